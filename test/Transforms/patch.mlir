// RUN: tinyts-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyts-patch{stage-end=2 patches=2}))' -verify-diagnostics | FileCheck %s
// RUN: tinyts-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyts-patch{stage-end=2 patches=3}))' -verify-diagnostics | FileCheck %s --check-prefix=THREE
// RUN: not tinyts-opt %s -pass-pipeline='builtin.module(func.func(tinyts-patch{stage-end=2 patches=0}))' 2>&1 | FileCheck %s --check-prefix=BADN
// RUN: not tinyts-opt %s -pass-pipeline='builtin.module(func.func(tinyts-patch{patches=2}))' 2>&1 | FileCheck %s --check-prefix=BADE

// tinyts-patch: every op of the stage (up to row-mappable op #2) runs on the
// region of its output each patch needs, rows and columns; padding only at
// the tensor's border, halos recomputed from overlapping slices; the stage
// output assembled by insert_slice; refusals.

// BADN: tinyts-patch: patches must be >= 1 (an n x n grid), got 0
// BADE: tinyts-patch: stage-end must be given

// Patch (0, 0): output rows/cols [0, 4); the depthwise convolution reads a
// 5x5 slice with padding only at the top and left.
// CHECK-LABEL: func.func @dw_chain
// CHECK: %[[ACC:.*]] = tensor.empty() : tensor<1x8x8x4xi8>
// CHECK: %[[S0:.*]] = tensor.extract_slice %arg0[0, 0, 0, 0] [1, 5, 5, 4] [1, 1, 1, 1]
// CHECK: %[[D0:.*]] = tinyts.depthwise_conv2d %[[S0]], {{.*}} pad [1, 0, 1, 0] {{.*}} {tinyts.patch = array<i64: 1, 0, 0, 4, 0, 4>}
// CHECK: %[[C0:.*]] = tinyts.conv2d %[[D0]], {{.*}} {tinyts.patch = array<i64: 3, 0, 0, 4, 0, 4>}
// The stage-end op writes into its region of the stage output.
// CHECK: %[[O0:.*]] = tensor.extract_slice %[[ACC]][0, 0, 0, 0] [1, 4, 4, 4]
// CHECK: %[[E0:.*]] = tinyts.conv2d %[[C0]], {{.*}} outs(%[[O0]] : tensor<1x4x4x4xi8>) {{.*}} {tinyts.patch = array<i64: 5, 0, 0, 4, 0, 4>}
// CHECK: %[[A0:.*]] = tensor.insert_slice %[[E0]] into %[[ACC]][0, 0, 0, 0] [1, 4, 4, 4]
// Patch (0, 1): columns [4, 8), read from column 3 (halo), padding right.
// CHECK: tensor.extract_slice %arg0[0, 0, 3, 0] [1, 5, 5, 4]
// CHECK: tinyts.depthwise_conv2d {{.*}} pad [1, 0, 0, 1] {{.*}} {tinyts.patch = array<i64: 1, 1, 0, 4, 4, 8>}
// CHECK: tensor.extract_slice %[[A0]][0, 0, 4, 0] [1, 4, 4, 4]
// CHECK: %[[A1:.*]] = tensor.insert_slice {{.*}} into %[[A0]][0, 0, 4, 0] [1, 4, 4, 4]
// CHECK: tensor.extract_slice %arg0[0, 3, 0, 0] [1, 5, 5, 4]
// CHECK: tinyts.depthwise_conv2d {{.*}} pad [0, 1, 1, 0] {{.*}} {tinyts.patch = array<i64: 1, 2, 4, 8, 0, 4>}
// CHECK: tensor.extract_slice %arg0[0, 3, 3, 0] [1, 5, 5, 4]
// CHECK: tinyts.depthwise_conv2d {{.*}} pad [0, 1, 0, 1] {{.*}} {tinyts.patch = array<i64: 1, 3, 4, 8, 4, 8>}
// CHECK: %[[A3:.*]] = tensor.insert_slice {{.*}} into {{.*}}[0, 4, 4, 0] [1, 4, 4, 4]
// After the stage: layer-wise on the assembled output.
// CHECK: %[[L:.*]] = tinyts.conv2d %[[A3]], {{.*}} -> tensor<1x8x8x4xi8>
// CHECK-NOT: tinyts.patch
// CHECK: return %[[L]]
// Three patches per side: rows and columns cut at 0, 2, 5, 8.
// THREE-LABEL: func.func @dw_chain
// THREE: tensor.extract_slice %arg0[0, 0, 0, 0] [1, 3, 3, 4]
// THREE: tinyts.depthwise_conv2d {{.*}} pad [1, 0, 1, 0] {{.*}} {tinyts.patch = array<i64: 1, 0, 0, 2, 0, 2>}
// THREE: tensor.extract_slice %arg0[0, 0, 1, 0] [1, 3, 5, 4]
// THREE: tinyts.depthwise_conv2d {{.*}} pad [1, 0, 0, 0] {{.*}} {tinyts.patch = array<i64: 1, 1, 0, 2, 2, 5>}
// THREE: tinyts.patch = array<i64: 5, 8, 5, 8, 5, 8>
// THREE-NOT: tinyts.patch
// THREE: return

// A 3x3 depthwise convolution and two 1x1 convolutions (the stage) then a
// 1x1 convolution run layer-wise on the assembled stage output.
func.func @dw_chain(%x: tensor<1x8x8x4xi8>, %w: tensor<3x3x4x1xi8>, %b: tensor<4xi32>,
                    %pw: tensor<4x1x1x4xi8>) -> tensor<1x8x8x4xi8> {
  %e0 = tensor.empty() : tensor<1x8x8x4xi8>
  %0 = tinyts.depthwise_conv2d %x, %w, %b outs(%e0 : tensor<1x8x8x4xi8>)
         stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<3x3x4x1xi8>, tensor<4xi32> -> tensor<1x8x8x4xi8>
  %e1 = tensor.empty() : tensor<1x8x8x4xi8>
  %1 = tinyts.conv2d %0, %pw, %b outs(%e1 : tensor<1x8x8x4xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<4x1x1x4xi8>, tensor<4xi32> -> tensor<1x8x8x4xi8>
  %e2 = tensor.empty() : tensor<1x8x8x4xi8>
  %2 = tinyts.conv2d %1, %pw, %b outs(%e2 : tensor<1x8x8x4xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<4x1x1x4xi8>, tensor<4xi32> -> tensor<1x8x8x4xi8>
  %e3 = tensor.empty() : tensor<1x8x8x4xi8>
  %3 = tinyts.conv2d %2, %pw, %b outs(%e3 : tensor<1x8x8x4xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<4x1x1x4xi8>, tensor<4xi32> -> tensor<1x8x8x4xi8>
  return %3 : tensor<1x8x8x4xi8>
}

// -----

// A stride-2 3x3 convolution: patch (0, 0) reads input rows/cols [0, 7)
// without padding; patch (1, 1) reads [2, 8) with one padded row and column.
// The depthwise convolution needs rows/cols [0, 3) of the convolution, the
// add only [0, 2): a slice of the convolution's patch (computed once).
// CHECK-LABEL: func.func @strided_residual
// CHECK: %[[X0:.*]] = tensor.extract_slice %arg0[0, 0, 0, 0] [1, 7, 7, 4]
// CHECK: %[[C0:.*]] = tinyts.conv2d %[[X0]], {{.*}} stride [2, 2] pad [0, 0, 0, 0] {{.*}} {tinyts.patch = array<i64: 1, 0, 0, 3, 0, 3>} {{.*}} -> tensor<1x3x3x4xi8>
// CHECK: %[[D0:.*]] = tinyts.depthwise_conv2d %[[C0]], {{.*}} pad [1, 0, 1, 0] {{.*}} -> tensor<1x2x2x4xi8>
// CHECK: %[[R0:.*]] = tensor.extract_slice %[[C0]][0, 0, 0, 0] [1, 2, 2, 4]
// CHECK: tinyts.add %[[D0]], %[[R0]] {{.*}} {tinyts.patch = array<i64: 5, 0, 0, 2, 0, 2>}
// CHECK: %[[X3:.*]] = tensor.extract_slice %arg0[0, 2, 2, 0] [1, 6, 6, 4]
// CHECK: %[[C3:.*]] = tinyts.conv2d %[[X3]], {{.*}} stride [2, 2] pad [0, 1, 0, 1] {{.*}} {tinyts.patch = array<i64: 1, 3, 1, 4, 1, 4>}
// CHECK: tinyts.depthwise_conv2d %[[C3]], {{.*}} pad [0, 1, 0, 1]
// CHECK: tensor.extract_slice %[[C3]][0, 1, 1, 0] [1, 2, 2, 4]

// A stride-2 convolution (padding only at the bottom and right), then a
// residual block: the add reads the part of the convolution's patch it needs.
func.func @strided_residual(%x: tensor<1x8x8x4xi8>, %w: tensor<4x3x3x4xi8>,
                            %dw: tensor<3x3x4x1xi8>, %b: tensor<4xi32>) -> tensor<1x4x4x4xi8> {
  %e0 = tensor.empty() : tensor<1x4x4x4xi8>
  %0 = tinyts.conv2d %x, %w, %b outs(%e0 : tensor<1x4x4x4xi8>)
         stride [2, 2] pad [0, 1, 0, 1] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<4x3x3x4xi8>, tensor<4xi32> -> tensor<1x4x4x4xi8>
  %e1 = tensor.empty() : tensor<1x4x4x4xi8>
  %1 = tinyts.depthwise_conv2d %0, %dw, %b outs(%e1 : tensor<1x4x4x4xi8>)
         stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x4x4x4xi8>, tensor<3x3x4x1xi8>, tensor<4xi32> -> tensor<1x4x4x4xi8>
  %e2 = tensor.empty() : tensor<1x4x4x4xi8>
  %2 = tinyts.add %1, %0 outs(%e2 : tensor<1x4x4x4xi8>) left_shift 20
         lhs(-3, 1073741824, -1) rhs(5, 1518291584, -2) out(-128, 1283262371, -17)
         clamp(-128, 127) : tensor<1x4x4x4xi8>, tensor<1x4x4x4xi8> -> tensor<1x4x4x4xi8>
  return %2 : tensor<1x4x4x4xi8>
}

// -----

// The reshape of the model input runs whole before the stage; pools map
// columns like rows.
// CHECK-LABEL: func.func @prelude
// CHECK: %[[R:.*]] = tensor.expand_shape %arg0
// CHECK: tensor.extract_slice %[[R]][0, 0, 0, 0] [1, 6, 6, 4]
// CHECK: tinyts.max_pool2d {{.*}} pad [1, 0, 1, 0] {{.*}} {tinyts.patch = array<i64: 4, 0, 0, 5, 0, 5>}
// CHECK: tinyts.avg_pool2d {{.*}} pad [0, 0, 0, 0] {{.*}} {tinyts.patch = array<i64: 6, 0, 0, 4, 0, 4>}
// CHECK: tensor.extract_slice %[[R]][0, 3, 3, 0] [1, 5, 5, 4]
// CHECK: tinyts.avg_pool2d {{.*}} pad [0, 1, 0, 1] {{.*}} {tinyts.patch = array<i64: 6, 3, 4, 8, 4, 8>}

// The model input reshaped to NHWC first: the reshape runs whole before the
// stage and its result is sliced.
func.func @prelude(%x: tensor<1x64x4xi8>, %pw: tensor<4x1x1x4xi8>, %b: tensor<4xi32>)
    -> tensor<1x8x8x4xi8> {
  %r = tensor.expand_shape %x [[0], [1, 2], [3]] output_shape [1, 8, 8, 4]
         : tensor<1x64x4xi8> into tensor<1x8x8x4xi8>
  %e0 = tensor.empty() : tensor<1x8x8x4xi8>
  %0 = tinyts.conv2d %r, %pw, %b outs(%e0 : tensor<1x8x8x4xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<4x1x1x4xi8>, tensor<4xi32> -> tensor<1x8x8x4xi8>
  %e1 = tensor.empty() : tensor<1x8x8x4xi8>
  %1 = tinyts.max_pool2d %0 outs(%e1 : tensor<1x8x8x4xi8>) kernel [3, 3] stride [1, 1]
         pad [1, 1, 1, 1] clamp(-128, 127) : tensor<1x8x8x4xi8> -> tensor<1x8x8x4xi8>
  %e2 = tensor.empty() : tensor<1x8x8x4xi8>
  %2 = tinyts.avg_pool2d %1 outs(%e2 : tensor<1x8x8x4xi8>) kernel [2, 2] stride [1, 1]
         pad [0, 1, 0, 1] clamp(-128, 127) : tensor<1x8x8x4xi8> -> tensor<1x8x8x4xi8>
  return %2 : tensor<1x8x8x4xi8>
}

// -----

// Refused: stage-end beyond the function's row-mappable ops.
// expected-error @+1 {{tinyts-patch: stage-end 2 is not a row-mappable op: the function has 2 row-mappable ops (indices 0 to 1)}}
func.func @too_few(%x: tensor<1x8x8x4xi8>, %pw: tensor<4x1x1x4xi8>, %b: tensor<4xi32>) -> tensor<1x8x8x4xi8> {
  %e0 = tensor.empty() : tensor<1x8x8x4xi8>
  %0 = tinyts.conv2d %x, %pw, %b outs(%e0 : tensor<1x8x8x4xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<4x1x1x4xi8>, tensor<4xi32> -> tensor<1x8x8x4xi8>
  %e1 = tensor.empty() : tensor<1x8x8x4xi8>
  %1 = tinyts.conv2d %0, %pw, %b outs(%e1 : tensor<1x8x8x4xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<4x1x1x4xi8>, tensor<4xi32> -> tensor<1x8x8x4xi8>
  return %1 : tensor<1x8x8x4xi8>
}

// -----

// Refused: the stage ends at a global pool.
func.func @global_pool(%x: tensor<1x8x8x4xi8>, %pw: tensor<4x1x1x4xi8>, %b: tensor<4xi32>) -> tensor<1x1x1x4xi8> {
  %e0 = tensor.empty() : tensor<1x8x8x4xi8>
  %0 = tinyts.conv2d %x, %pw, %b outs(%e0 : tensor<1x8x8x4xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<4x1x1x4xi8>, tensor<4xi32> -> tensor<1x8x8x4xi8>
  %e1 = tensor.empty() : tensor<1x8x8x4xi8>
  %1 = tinyts.conv2d %0, %pw, %b outs(%e1 : tensor<1x8x8x4xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<4x1x1x4xi8>, tensor<4xi32> -> tensor<1x8x8x4xi8>
  %e2 = tensor.empty() : tensor<1x1x1x4xi8>
  // expected-error @+1 {{tinyts-patch: the stage-end op (row-mappable op #2) is not spatially mappable: it is a global pool: every output pixel reads the whole input}}
  %2 = tinyts.avg_pool2d %1 outs(%e2 : tensor<1x1x1x4xi8>) kernel [8, 8] stride [8, 8]
         pad [0, 0, 0, 0] clamp(-128, 127) : tensor<1x8x8x4xi8> -> tensor<1x1x1x4xi8>
  return %2 : tensor<1x1x1x4xi8>
}

// -----

// Refused: an op of the stage that has no region mapping.
func.func @pad_in_stage(%x: tensor<1x8x8x4xi8>, %pw: tensor<4x1x1x4xi8>, %b: tensor<4xi32>) -> tensor<1x10x10x4xi8> {
  %e0 = tensor.empty() : tensor<1x8x8x4xi8>
  %0 = tinyts.conv2d %x, %pw, %b outs(%e0 : tensor<1x8x8x4xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<4x1x1x4xi8>, tensor<4xi32> -> tensor<1x8x8x4xi8>
  %ep = tensor.empty() : tensor<1x10x10x4xi8>
  // expected-error @+1 {{tinyts-patch: 'tinyts.pad' (op #3 of the function) is in the patch stage (ending at row-mappable op #2) but is not spatially mappable}}
  %p = tinyts.pad %0 outs(%ep : tensor<1x10x10x4xi8>) pad [0, 0, 1, 1, 1, 1, 0, 0] value -128
         : tensor<1x8x8x4xi8> -> tensor<1x10x10x4xi8>
  %e1 = tensor.empty() : tensor<1x10x10x4xi8>
  %1 = tinyts.conv2d %p, %pw, %b outs(%e1 : tensor<1x10x10x4xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x10x10x4xi8>, tensor<4x1x1x4xi8>, tensor<4xi32> -> tensor<1x10x10x4xi8>
  %e2 = tensor.empty() : tensor<1x10x10x4xi8>
  %2 = tinyts.conv2d %1, %pw, %b outs(%e2 : tensor<1x10x10x4xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x10x10x4xi8>, tensor<4x1x1x4xi8>, tensor<4xi32> -> tensor<1x10x10x4xi8>
  return %2 : tensor<1x10x10x4xi8>
}

// -----

// Refused: a tensor of the stage (not its output) is read after the stage.
func.func @escapes(%x: tensor<1x8x8x4xi8>, %pw: tensor<4x1x1x4xi8>, %b: tensor<4xi32>) -> (tensor<1x8x8x4xi8>, tensor<1x8x8x4xi8>) {
  %e0 = tensor.empty() : tensor<1x8x8x4xi8>
  // expected-error @+1 {{tinyts-patch: the result of 'tinyts.conv2d' (op #1) inside the patch stage is also used after it, by 'func.return' (op #6)}}
  %0 = tinyts.conv2d %x, %pw, %b outs(%e0 : tensor<1x8x8x4xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<4x1x1x4xi8>, tensor<4xi32> -> tensor<1x8x8x4xi8>
  %e1 = tensor.empty() : tensor<1x8x8x4xi8>
  %1 = tinyts.conv2d %0, %pw, %b outs(%e1 : tensor<1x8x8x4xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<4x1x1x4xi8>, tensor<4xi32> -> tensor<1x8x8x4xi8>
  %e2 = tensor.empty() : tensor<1x8x8x4xi8>
  %2 = tinyts.conv2d %1, %pw, %b outs(%e2 : tensor<1x8x8x4xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<4x1x1x4xi8>, tensor<4xi32> -> tensor<1x8x8x4xi8>
  return %2, %0 : tensor<1x8x8x4xi8>, tensor<1x8x8x4xi8>
}

// -----

// Refused: more patches per side than the stage output has rows.
func.func @too_many_patches(%x: tensor<1x8x8x4xi8>, %w: tensor<4x8x1x4xi8>, %pw: tensor<4x1x1x4xi8>,
                            %b: tensor<4xi32>) -> tensor<1x1x8x4xi8> {
  %e0 = tensor.empty() : tensor<1x8x8x4xi8>
  %0 = tinyts.conv2d %x, %pw, %b outs(%e0 : tensor<1x8x8x4xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<4x1x1x4xi8>, tensor<4xi32> -> tensor<1x8x8x4xi8>
  %e1 = tensor.empty() : tensor<1x1x8x4xi8>
  %1 = tinyts.conv2d %0, %w, %b outs(%e1 : tensor<1x1x8x4xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<4x8x1x4xi8>, tensor<4xi32> -> tensor<1x1x8x4xi8>
  %e2 = tensor.empty() : tensor<1x1x8x4xi8>
  // expected-error @+1 {{tinyts-patch: cannot cut the stage output (1 x 8) into}}
  %2 = tinyts.conv2d %1, %pw, %b outs(%e2 : tensor<1x1x8x4xi8>)
         stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x1x8x4xi8>, tensor<4x1x1x4xi8>, tensor<4xi32> -> tensor<1x1x8x4xi8>
  return %2 : tensor<1x1x8x4xi8>
}
