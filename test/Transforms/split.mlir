// RUN: tinyts-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyts-split{band-height=2}))' -verify-diagnostics | FileCheck %s
// RUN: tinyts-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyts-split{band-height=2 segments=1-1}))' -verify-diagnostics | FileCheck %s --check-prefix=SEG
// RUN: not tinyts-opt %s -pass-pipeline='builtin.module(func.func(tinyts-split{band-height=0}))' 2>&1 | FileCheck %s --check-prefix=BADH
// RUN: not tinyts-opt %s -pass-pipeline='builtin.module(func.func(tinyts-split{segments=x-1}))' 2>&1 | FileCheck %s --check-prefix=BADSEG
// RUN: not tinyts-opt %s -pass-pipeline='builtin.module(func.func(tinyts-split{segments=0-1:0}))' 2>&1 | FileCheck %s --check-prefix=BADSEGH
// RUN: tinyts-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyts-split{segments=0-0:3,1-1:2}))' -verify-diagnostics | FileCheck %s --check-prefix=TWO

// tinyts-split: per-band ops, windows for halos, split of the input, join of
// the result; the padding of edge bands; refusal of an op that cannot read
// rows across bands.

// CHECK-LABEL: func.func @dw_chain
// CHECK: %[[X:.*]]:3 = tinyts.split %arg0 heights [2, 2, 2]
// CHECK: %[[W0:.*]] = tinyts.window %[[X]]#0, %[[X]]#1 offset 0 {{.*}} -> tensor<1x3x4x8xi8>
// CHECK: %[[A0:.*]] = tinyts.depthwise_conv2d %[[W0]], {{.*}} pad [1, 0, 1, 1] {{.*}} {tinyts.band = array<i64: 1, 0, 0, 2>}
// CHECK: tinyts.window %[[X]]#0, %[[X]]#1, %[[X]]#2 offset 1 {{.*}} -> tensor<1x4x4x8xi8>
// CHECK: tinyts.depthwise_conv2d {{.*}} pad [0, 0, 1, 1] {{.*}} {tinyts.band = array<i64: 1, 1, 2, 4>}
// CHECK: tinyts.window %[[X]]#1, %[[X]]#2 offset 1
// CHECK: tinyts.depthwise_conv2d {{.*}} pad [0, 1, 1, 1] {{.*}} {tinyts.band = array<i64: 1, 2, 4, 6>}
// The 1x1 convolution reads its producer's bands directly (no window).
// CHECK: tinyts.conv2d %[[A0]], {{.*}} {tinyts.band = array<i64: 3, 0, 0, 2>}
// CHECK: %[[J:.*]] = tinyts.join {{.*}} -> tensor<1x6x4x8xi8>
// CHECK: return %[[J]]
// Two segments with their own band heights meet through a joined tensor.
// TWO-LABEL: func.func @dw_chain
// TWO: tinyts.split %arg0 heights [3, 3]
// TWO: %[[D0:.*]] = tinyts.depthwise_conv2d {{.*}} {tinyts.band = array<i64: 1, 0, 0, 3>}
// TWO: %[[D1:.*]] = tinyts.depthwise_conv2d {{.*}} {tinyts.band = array<i64: 1, 1, 3, 6>}
// TWO: %[[J:.*]] = tinyts.join %[[D0]], %[[D1]]
// TWO: %[[S:.*]]:3 = tinyts.split %[[J]] heights [2, 2, 2]
// TWO: tinyts.conv2d %[[S]]#0, {{.*}} {tinyts.band = array<i64: 3, 0, 0, 2>}
// SEG-LABEL: func.func @dw_chain
// SEG-NOT: tinyts.window
// SEG: tinyts.split
// SEG: tinyts.conv2d {{.*}}tinyts.band = array<i64: 3, 0, 0, 2>
func.func @dw_chain(%x: tensor<1x6x4x8xi8>, %w: tensor<3x3x8x1xi8>, %b: tensor<8xi32>,
                    %pw: tensor<8x1x1x8xi8>) -> tensor<1x6x4x8xi8> {
  %e0 = tensor.empty() : tensor<1x6x4x8xi8>
  %0 = tinyts.depthwise_conv2d %x, %w, %b outs(%e0 : tensor<1x6x4x8xi8>)
         stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x6x4x8xi8>, tensor<3x3x8x1xi8>, tensor<8xi32> -> tensor<1x6x4x8xi8>
  %e1 = tensor.empty() : tensor<1x6x4x8xi8>
  %1 = tinyts.conv2d %0, %pw, %b outs(%e1 : tensor<1x6x4x8xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x6x4x8xi8>, tensor<8x1x1x8xi8>, tensor<8xi32> -> tensor<1x6x4x8xi8>
  return %1 : tensor<1x6x4x8xi8>
}

// -----

// A stride-2 3x3 convolution: output rows [2k, 2k+2) read input rows
// [4k, 4k+5) (clipped, the bottom row is padding), spanning two or three
// input bands.
// CHECK-LABEL: func.func @strided
// CHECK: tinyts.window %{{.*}}#0, %{{.*}}#1, %{{.*}}#2 offset 0 {{.*}} -> tensor<1x5x8x4xi8>
// CHECK: tinyts.conv2d {{.*}} stride [2, 2] pad [0, 0, 0, 1] {{.*}} {tinyts.band = array<i64: 1, 0, 0, 2>}
// CHECK: tinyts.window %{{.*}}#2, %{{.*}}#3 offset 0 {{.*}} -> tensor<1x4x8x4xi8>
// CHECK: tinyts.conv2d {{.*}} stride [2, 2] pad [0, 1, 0, 1] {{.*}} {tinyts.band = array<i64: 1, 1, 2, 4>}
func.func @strided(%x: tensor<1x8x8x4xi8>, %w: tensor<4x3x3x4xi8>, %b: tensor<4xi32>) -> tensor<1x4x4x4xi8> {
  %e = tensor.empty() : tensor<1x4x4x4xi8>
  %0 = tinyts.conv2d %x, %w, %b outs(%e : tensor<1x4x4x4xi8>)
         stride [2, 2] pad [0, 1, 0, 1] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<4x3x3x4xi8>, tensor<4xi32> -> tensor<1x4x4x4xi8>
  return %0 : tensor<1x4x4x4xi8>
}

// -----

// An add reads the same band of both operands (no window); a 2x1 stride-2
// convolution's bands read exactly two input rows.
// CHECK-LABEL: func.func @add_bands
// CHECK: %[[Z:.*]]:5 = tinyts.split %arg2 heights [2, 2, 2, 2, 2]
// CHECK: %[[C0:.*]] = tinyts.conv2d {{.*}} {tinyts.band = array<i64: 1, 0, 0, 2>}
// CHECK: tinyts.add %[[C0]], %{{.*}}#0 outs({{.*}} : tensor<1x2x4x8xi8>) {{.*}} {tinyts.band = array<i64: 3, 0, 0, 2>}
// CHECK: tinyts.add {{.*}} : tensor<1x1x4x8xi8>) {{.*}} {tinyts.band = array<i64: 3, 2, 4, 5>}
func.func @add_bands(%x: tensor<1x5x4x8xi8>, %y: tensor<1x5x4x8xi8>, %z: tensor<1x10x4x8xi8>,
                       %w: tensor<8x2x1x8xi8>, %b: tensor<8xi32>) -> tensor<1x5x4x8xi8> {
  %e = tensor.empty() : tensor<1x5x4x8xi8>
  %0 = tinyts.conv2d %z, %w, %b outs(%e : tensor<1x5x4x8xi8>)
         stride [2, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x10x4x8xi8>, tensor<8x2x1x8xi8>, tensor<8xi32> -> tensor<1x5x4x8xi8>
  %e2 = tensor.empty() : tensor<1x5x4x8xi8>
  %1 = tinyts.add %0, %x outs(%e2 : tensor<1x5x4x8xi8>) left_shift 20
         lhs(-3, 1073741824, -1) rhs(5, 1518291584, -2) out(-128, 1283262371, -17)
         clamp(-128, 127) : tensor<1x5x4x8xi8>, tensor<1x5x4x8xi8> -> tensor<1x5x4x8xi8>
  return %1 : tensor<1x5x4x8xi8>
}

// BADH: tinyts-split: band-height must be >= 1, got 0
// BADSEG: tinyts-split: cannot parse segment 'x-1'
// BADSEGH: tinyts-split: cannot parse segment '0-1:0': {{.*}} optionally followed by ':h' (band height >= 1)

// -----

// A global average pool of a split tensor is streamed: one row_sum per band
// of its input (each band released once summed), then the averages.
// CHECK-LABEL: func.func @global_pool
// CHECK: %[[D0:.*]] = tinyts.depthwise_conv2d {{.*}} {tinyts.band = array<i64: 1, 0, 0, 2>}
// CHECK: %[[D1:.*]] = tinyts.depthwise_conv2d {{.*}} {tinyts.band = array<i64: 1, 1, 2, 4>}
// CHECK: %[[E:.*]] = tensor.empty() : tensor<8xi32>
// CHECK: %[[S0:.*]] = tinyts.row_sum %[[D0]] into(%[[E]] : tensor<8xi32>) {tinyts.band = array<i64: 3, 0, 0, 2>}
// CHECK: %[[S1:.*]] = tinyts.row_sum %[[D1]] into(%[[S0]] : tensor<8xi32>) accumulate {tinyts.band = array<i64: 3, 1, 2, 4>}
// CHECK: %[[R:.*]] = tinyts.avg_pool_finish %[[S1]] outs({{.*}} : tensor<1x1x1x8xi8>) count 8 clamp(-128, 127)
// CHECK-NOT: tinyts.join
// CHECK: return %[[R]]
func.func @global_pool(%x: tensor<1x4x2x8xi8>, %w: tensor<3x3x8x1xi8>, %b: tensor<8xi32>)
    -> tensor<1x1x1x8xi8> {
  %e0 = tensor.empty() : tensor<1x4x2x8xi8>
  %0 = tinyts.depthwise_conv2d %x, %w, %b outs(%e0 : tensor<1x4x2x8xi8>)
         stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x4x2x8xi8>, tensor<3x3x8x1xi8>, tensor<8xi32> -> tensor<1x4x2x8xi8>
  %e1 = tensor.empty() : tensor<1x1x1x8xi8>
  %1 = tinyts.avg_pool2d %0 outs(%e1 : tensor<1x1x1x8xi8>) kernel [4, 2] stride [1, 1]
         pad [0, 0, 0, 0] clamp(-128, 127) : tensor<1x4x2x8xi8> -> tensor<1x1x1x8xi8>
  return %1 : tensor<1x1x1x8xi8>
}

// -----

// A MEAN that keeps the rows (over W: the first half of a squeeze-excite's
// MEAN over H, then W) runs band by band on its banded input; only its small
// result is joined for the MEAN over H. The layer index of the MEAN's bands
// is its op index (3); it does not count as a row-mappable op.
// CHECK-LABEL: func.func @row_mean
// CHECK: %[[D0:.*]] = tinyts.depthwise_conv2d {{.*}} {tinyts.band = array<i64: 1, 0, 0, 2>}
// CHECK: %[[D1:.*]] = tinyts.depthwise_conv2d {{.*}} {tinyts.band = array<i64: 1, 1, 2, 4>}
// CHECK-NOT: tensor<1x4x2x8xi8>
// CHECK: %[[M0:.*]] = tinyts.mean %[[D0]] outs({{.*}} : tensor<1x2x1x8xi8>) axes [2] {{.*}} {tinyts.band = array<i64: 3, 0, 0, 2>}
// CHECK: %[[M1:.*]] = tinyts.mean %[[D1]] outs({{.*}} : tensor<1x2x1x8xi8>) axes [2] {{.*}} {tinyts.band = array<i64: 3, 1, 2, 4>}
// CHECK: %[[J:.*]] = tinyts.join %[[M0]], %[[M1]] : tensor<1x2x1x8xi8>, tensor<1x2x1x8xi8> -> tensor<1x4x1x8xi8>
// CHECK: tinyts.mean %[[J]] {{.*}} axes [1]
func.func @row_mean(%x: tensor<1x4x2x8xi8>, %w: tensor<3x3x8x1xi8>, %b: tensor<8xi32>)
    -> tensor<1x1x1x8xi8> {
  %e0 = tensor.empty() : tensor<1x4x2x8xi8>
  %0 = tinyts.depthwise_conv2d %x, %w, %b outs(%e0 : tensor<1x4x2x8xi8>)
         stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x4x2x8xi8>, tensor<3x3x8x1xi8>, tensor<8xi32> -> tensor<1x4x2x8xi8>
  %e1 = tensor.empty() : tensor<1x4x1x8xi8>
  %1 = tinyts.mean %0 outs(%e1 : tensor<1x4x1x8xi8>) axes [2] zp(-128, -128)
         requant(1073741824, 0) : tensor<1x4x2x8xi8> -> tensor<1x4x1x8xi8>
  %e2 = tensor.empty() : tensor<1x1x1x8xi8>
  %2 = tinyts.mean %1 outs(%e2 : tensor<1x1x1x8xi8>) axes [1] zp(-128, -128)
         requant(1073741824, -1) : tensor<1x4x1x8xi8> -> tensor<1x1x1x8xi8>
  return %2 : tensor<1x1x1x8xi8>
}

// -----

// A MEAN over the rows reads the joined tensor.
// CHECK-LABEL: func.func @global_mean
// CHECK: %[[J:.*]] = tinyts.join {{.*}} -> tensor<1x4x2x8xi8>
// CHECK: tinyts.mean %[[J]] {{.*}} axes [1, 2]
func.func @global_mean(%x: tensor<1x4x2x8xi8>, %w: tensor<3x3x8x1xi8>, %b: tensor<8xi32>)
    -> tensor<1x1x1x8xi8> {
  %e0 = tensor.empty() : tensor<1x4x2x8xi8>
  %0 = tinyts.depthwise_conv2d %x, %w, %b outs(%e0 : tensor<1x4x2x8xi8>)
         stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x4x2x8xi8>, tensor<3x3x8x1xi8>, tensor<8xi32> -> tensor<1x4x2x8xi8>
  %e1 = tensor.empty() : tensor<1x1x1x8xi8>
  %1 = tinyts.mean %0 outs(%e1 : tensor<1x1x1x8xi8>) axes [1, 2] zp(-128, -128)
         requant(1073741824, -1) : tensor<1x4x2x8xi8> -> tensor<1x1x1x8xi8>
  return %1 : tensor<1x1x1x8xi8>
}

// -----

// A padded pool is not streamed (padding changes its count): it reads the
// joined tensor.
// CHECK-LABEL: func.func @padded_global_pool
// CHECK: tinyts.join
// CHECK: tinyts.avg_pool2d
func.func @padded_global_pool(%x: tensor<1x4x2x8xi8>, %w: tensor<3x3x8x1xi8>, %b: tensor<8xi32>)
    -> tensor<1x1x1x8xi8> {
  %e0 = tensor.empty() : tensor<1x4x2x8xi8>
  %0 = tinyts.depthwise_conv2d %x, %w, %b outs(%e0 : tensor<1x4x2x8xi8>)
         stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x4x2x8xi8>, tensor<3x3x8x1xi8>, tensor<8xi32> -> tensor<1x4x2x8xi8>
  %e1 = tensor.empty() : tensor<1x1x1x8xi8>
  %1 = tinyts.avg_pool2d %0 outs(%e1 : tensor<1x1x1x8xi8>) kernel [5, 2] stride [1, 1]
         pad [1, 0, 0, 0] clamp(-128, 127) : tensor<1x4x2x8xi8> -> tensor<1x1x1x8xi8>
  return %1 : tensor<1x1x1x8xi8>
}
