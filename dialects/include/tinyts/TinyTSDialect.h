//===- TinyTSDialect.h - tinyts dialect -------------------------*- C++ -*-===//
//
// Part of TinyTS-MLIR. Declares the tinyts dialect class.
//
//===----------------------------------------------------------------------===//

#ifndef TINYTS_TINYTSDIALECT_H
#define TINYTS_TINYTSDIALECT_H

#include "mlir/IR/Dialect.h"

#include "tinyts/TinyTSOpsDialect.h.inc"

#endif // TINYTS_TINYTSDIALECT_H
