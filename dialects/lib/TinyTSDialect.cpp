//===- TinyTSDialect.cpp - tinyts dialect registration ----------*- C++ -*-===//
//
// Part of TinyTS-MLIR. Registers the tinyts operations with the dialect.
//
//===----------------------------------------------------------------------===//

#include "tinyts/TinyTSDialect.h"
#include "tinyts/TinyTSOps.h"

using namespace mlir;
using namespace mlir::tinyts;

#include "tinyts/TinyTSOpsDialect.cpp.inc"

void TinyTSDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "tinyts/TinyTSOps.cpp.inc"
      >();
}
