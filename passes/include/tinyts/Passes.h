//===- Passes.h - tinyts passes ---------------------------------*- C++ -*-===//
//
// Part of TinyTS-MLIR. Declarations and registration of the tinyts passes.
//
//===----------------------------------------------------------------------===//

#ifndef TINYTS_PASSES_H
#define TINYTS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Pass/Pass.h"
#include "tinyts/TinyTSDialect.h"

namespace mlir {
namespace tinyts {

#define GEN_PASS_DECL
#include "tinyts/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tinyts/Passes.h.inc"

} // namespace tinyts
} // namespace mlir

#endif // TINYTS_PASSES_H
