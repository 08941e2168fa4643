//===- TinyTSOps.h - tinyts operations --------------------------*- C++ -*-===//
//
// Part of TinyTS-MLIR. Declares the tinyts kernel operations.
//
//===----------------------------------------------------------------------===//

#ifndef TINYTS_TINYTSOPS_H
#define TINYTS_TINYTSOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "tinyts/TinyTSDialect.h"

#include "tinyts/TinyTSInterfaces.h.inc"

#define GET_OP_CLASSES
#include "tinyts/TinyTSOps.h.inc"

#endif // TINYTS_TINYTSOPS_H
