//===- requantize.c - exported requantization helper ------------*- C -*-===//
//
// Part of TinyTS-MLIR.
//
//===----------------------------------------------------------------------===//
//
// Out-of-line MultiplyByQuantizedMultiplier for generated code and tests.
//
//===----------------------------------------------------------------------===//

#include "tinyts_internal.h"

int32_t tinyts_requantize(int32_t acc, int32_t multiplier, int32_t shift) {
  return tinyts_mbqm(acc, multiplier, shift);
}
