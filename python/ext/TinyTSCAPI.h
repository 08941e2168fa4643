//===- TinyTSCAPI.h - C API of the tinyts dialect and passes ------*- C -*-===//
//
// Part of TinyTS-MLIR. A small C interface so that the Python glue (compiled
// with RTTI) never touches MLIR's C++ classes (compiled without).
//
//===----------------------------------------------------------------------===//

#ifndef TINYTS_CAPI_H
#define TINYTS_CAPI_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Inserts the tinyts dialect (and the upstream dialects its passes create)
/// into `registry`.
void tinytsRegisterDialects(MlirDialectRegistry registry);

/// Registers every tinyts pass in the global pass registry (idempotent).
void tinytsRegisterPasses(void);

/// Emits `op` (a module) as C with MLIR's EmitC emitter. On failure the
/// diagnostics go to the context's handlers.
MlirLogicalResult tinytsTranslateToC(MlirOperation op, bool declareVariablesAtTop,
                                     MlirStringCallback callback, void *userData);

#ifdef __cplusplus
}
#endif

#endif // TINYTS_CAPI_H
