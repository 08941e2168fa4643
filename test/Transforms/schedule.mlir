// RUN: tinyts-opt %s -pass-pipeline='builtin.module(func.func(tinyts-split{band-height=1},tinyts-schedule{order=depth-first}))' | FileCheck %s --check-prefix=DF
// RUN: tinyts-opt %s -pass-pipeline='builtin.module(func.func(tinyts-split{band-height=1},tinyts-schedule{order=breadth-first}))' | FileCheck %s --check-prefix=BF
// RUN: tinyts-opt %s -pass-pipeline='builtin.module(func.func(tinyts-split{band-height=1},tinyts-schedule{order=min-peak}))' | FileCheck %s --check-prefix=MP
// RUN: not tinyts-opt %s -pass-pipeline='builtin.module(func.func(tinyts-schedule{order=random}))' 2>&1 | FileCheck %s --check-prefix=BAD

// tinyts-schedule: two 1x1 convolutions on a 2-row tensor, band height 1.

// DF-LABEL: func.func @two_pointwise
// DF: tinyts.band = array<i64: 1, 0, 0, 1>
// DF-NEXT: tensor.empty
// DF-NEXT: tinyts.conv2d {{.*}}tinyts.band = array<i64: 3, 0, 0, 1>
// DF: tinyts.band = array<i64: 1, 1, 1, 2>
// DF: tinyts.band = array<i64: 3, 1, 1, 2>
// BF-LABEL: func.func @two_pointwise
// BF: tinyts.band = array<i64: 1, 0, 0, 1>
// BF: tinyts.band = array<i64: 1, 1, 1, 2>
// BF: tinyts.band = array<i64: 3, 0, 0, 1>
// BF: tinyts.band = array<i64: 3, 1, 1, 2>
// The greedy order frees the first band of the middle tensor before making
// the second one.
// MP-LABEL: func.func @two_pointwise
// MP: tinyts.band = array<i64: 1, 0, 0, 1>
// MP: tinyts.band = array<i64: 3, 0, 0, 1>
// MP: tinyts.band = array<i64: 1, 1, 1, 2>
// MP: tinyts.band = array<i64: 3, 1, 1, 2>
// BAD: tinyts-schedule: unknown order 'random'; expected depth-first, breadth-first or min-peak
func.func @two_pointwise(%x: tensor<1x2x4x8xi8>, %w: tensor<8x1x1x8xi8>, %b: tensor<8xi32>) -> tensor<1x2x4x8xi8> {
  %e0 = tensor.empty() : tensor<1x2x4x8xi8>
  %0 = tinyts.conv2d %x, %w, %b outs(%e0 : tensor<1x2x4x8xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x2x4x8xi8>, tensor<8x1x1x8xi8>, tensor<8xi32> -> tensor<1x2x4x8xi8>
  %e1 = tensor.empty() : tensor<1x2x4x8xi8>
  %1 = tinyts.conv2d %0, %w, %b outs(%e1 : tensor<1x2x4x8xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x2x4x8xi8>, tensor<8x1x1x8xi8>, tensor<8xi32> -> tensor<1x2x4x8xi8>
  return %1 : tensor<1x2x4x8xi8>
}
