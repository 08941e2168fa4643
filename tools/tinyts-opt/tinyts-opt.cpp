//===- tinyts-opt.cpp - tinyts optimizer driver -----------------*- C++ -*-===//
//
// Part of TinyTS-MLIR. mlir-opt with every upstream dialect and pass plus the
// tinyts dialect and passes.
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

#include "tinyts/BufferizableOpInterfaceImpl.h"
#include "tinyts/Passes.h"
#include "tinyts/TinyTSDialect.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::tinyts::registerTinyTSPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::tinyts::TinyTSDialect>();
  mlir::tinyts::registerBufferizableOpInterfaceExternalModels(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "TinyTS-MLIR optimizer driver\n", registry));
}
