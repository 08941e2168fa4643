//===- TinyTSCAPI.cpp - C API of the tinyts dialect and passes --*- C++ -*-===//
//
// Part of TinyTS-MLIR. Implements the C interface used by the Python glue.
//
//===----------------------------------------------------------------------===//

#include "TinyTSCAPI.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Support.h"
#include "mlir/CAPI/Utils.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Target/Cpp/CppEmitter.h"
#include "tinyts/BufferizableOpInterfaceImpl.h"
#include "tinyts/Passes.h"
#include "tinyts/TinyTSDialect.h"

#include <mutex>

void tinytsRegisterDialects(MlirDialectRegistry registry) {
  mlir::DialectRegistry *r = unwrap(registry);
  r->insert<mlir::tinyts::TinyTSDialect, mlir::tensor::TensorDialect,
            mlir::tosa::TosaDialect, mlir::emitc::EmitCDialect>();
  mlir::tinyts::registerBufferizableOpInterfaceExternalModels(*r);
}

void tinytsRegisterPasses(void) {
  static std::once_flag once;
  std::call_once(once, [] { mlir::tinyts::registerTinyTSPasses(); });
}

MlirLogicalResult tinytsTranslateToC(MlirOperation op, bool declareVariablesAtTop,
                                     MlirStringCallback callback, void *userData) {
  mlir::detail::CallbackOstream stream(callback, userData);
  return wrap(mlir::emitc::translateToCpp(unwrap(op), stream,
                                          declareVariablesAtTop));
}
