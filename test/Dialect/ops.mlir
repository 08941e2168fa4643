// RUN: tinyts-opt %s | tinyts-opt | FileCheck %s
// RUN: tinyts-opt %s --mlir-print-op-generic | tinyts-opt | FileCheck %s

// Round trip of every tinyts kernel op, in custom and generic form.

// CHECK-LABEL: func.func @conv2d
// CHECK: tinyts.conv2d %{{.*}}, %{{.*}}, %{{.*}} outs(%{{.*}} : tensor<1x5x5x2xi8>) stride [2, 2] pad [0, 1, 0, 1] dilation [1, 1] zp(-128, -5) requant([1518291584, 1073741824], [-8, -9]) clamp(-128, 127) : tensor<1x10x10x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x5x5x2xi8>
func.func @conv2d(%in: tensor<1x10x10x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x5x5x2xi8> {
  %init = tensor.empty() : tensor<1x5x5x2xi8>
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x5x5x2xi8>) stride [2, 2] pad [0, 1, 0, 1] dilation [1, 1]
         zp(-128, -5) requant([1518291584, 1073741824], [-8, -9]) clamp(-128, 127)
         : tensor<1x10x10x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x5x5x2xi8>
  return %0 : tensor<1x5x5x2xi8>
}

// CHECK-LABEL: func.func @conv2d_dilated_per_tensor
// CHECK: tinyts.conv2d {{.*}} stride [1, 1] pad [0, 0, 0, 0] dilation [2, 2] zp(0, 3) requant([1073741824], [0]) clamp(0, 127)
func.func @conv2d_dilated_per_tensor(%in: tensor<1x8x8x4xi8>, %w: tensor<3x3x3x4xi8>, %b: tensor<3xi32>) -> tensor<1x4x4x3xi8> {
  %init = tensor.empty() : tensor<1x4x4x3xi8>
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x4x4x3xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [2, 2]
         zp(0, 3) requant([1073741824], [0]) clamp(0, 127)
         : tensor<1x8x8x4xi8>, tensor<3x3x3x4xi8>, tensor<3xi32> -> tensor<1x4x4x3xi8>
  return %0 : tensor<1x4x4x3xi8>
}

// CHECK-LABEL: func.func @depthwise
// CHECK: tinyts.depthwise_conv2d {{.*}} stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1] zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127) : tensor<1x6x6x4xi8>, tensor<3x3x4x2xi8>, tensor<8xi32> -> tensor<1x6x6x8xi8>
func.func @depthwise(%in: tensor<1x6x6x4xi8>, %w: tensor<3x3x4x2xi8>, %b: tensor<8xi32>) -> tensor<1x6x6x8xi8> {
  %init = tensor.empty() : tensor<1x6x6x8xi8>
  %0 = tinyts.depthwise_conv2d %in, %w, %b outs(%init : tensor<1x6x6x8xi8>) stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1]
         zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x6x6x4xi8>, tensor<3x3x4x2xi8>, tensor<8xi32> -> tensor<1x6x6x8xi8>
  return %0 : tensor<1x6x6x8xi8>
}

// CHECK-LABEL: func.func @fully_connected
// CHECK: tinyts.fully_connected {{.*}} zp(-128, 12) requant([1518291584], [-8]) clamp(-128, 127) : tensor<1x16xi8>, tensor<10x16xi8>, tensor<10xi32> -> tensor<1x10xi8>
func.func @fully_connected(%in: tensor<1x16xi8>, %w: tensor<10x16xi8>, %b: tensor<10xi32>) -> tensor<1x10xi8> {
  %init = tensor.empty() : tensor<1x10xi8>
  %0 = tinyts.fully_connected %in, %w, %b outs(%init : tensor<1x10xi8>) zp(-128, 12)
         requant([1518291584], [-8]) clamp(-128, 127)
         : tensor<1x16xi8>, tensor<10x16xi8>, tensor<10xi32> -> tensor<1x10xi8>
  return %0 : tensor<1x10xi8>
}

// CHECK-LABEL: func.func @add
// CHECK: tinyts.add %{{.*}}, %{{.*}} outs(%{{.*}} : tensor<1x4x4x16xi8>) left_shift 20 lhs(-3, 1073741824, -1) rhs(5, 1518291584, -2) out(-128, 1283262371, -17) clamp(-128, 127) : tensor<1x4x4x16xi8>, tensor<1x4x4x16xi8> -> tensor<1x4x4x16xi8>
func.func @add(%a: tensor<1x4x4x16xi8>, %b: tensor<1x4x4x16xi8>) -> tensor<1x4x4x16xi8> {
  %init = tensor.empty() : tensor<1x4x4x16xi8>
  %0 = tinyts.add %a, %b outs(%init : tensor<1x4x4x16xi8>) left_shift 20 lhs(-3, 1073741824, -1)
         rhs(5, 1518291584, -2) out(-128, 1283262371, -17) clamp(-128, 127)
         : tensor<1x4x4x16xi8>, tensor<1x4x4x16xi8> -> tensor<1x4x4x16xi8>
  return %0 : tensor<1x4x4x16xi8>
}

// CHECK-LABEL: func.func @avg_pool2d
// CHECK: tinyts.avg_pool2d %{{.*}} outs(%{{.*}} : tensor<1x1x1x32xi8>) kernel [3, 3] stride [3, 3] pad [0, 0, 0, 0] clamp(-128, 127) : tensor<1x3x3x32xi8> -> tensor<1x1x1x32xi8>
func.func @avg_pool2d(%in: tensor<1x3x3x32xi8>) -> tensor<1x1x1x32xi8> {
  %init = tensor.empty() : tensor<1x1x1x32xi8>
  %0 = tinyts.avg_pool2d %in outs(%init : tensor<1x1x1x32xi8>) kernel [3, 3] stride [3, 3] pad [0, 0, 0, 0]
         clamp(-128, 127) : tensor<1x3x3x32xi8> -> tensor<1x1x1x32xi8>
  return %0 : tensor<1x1x1x32xi8>
}

// CHECK-LABEL: func.func @avg_pool2d_same
// CHECK: tinyts.avg_pool2d {{.*}} kernel [2, 2] stride [2, 2] pad [0, 1, 0, 1]
func.func @avg_pool2d_same(%in: tensor<1x5x5x8xi8>) -> tensor<1x3x3x8xi8> {
  %init = tensor.empty() : tensor<1x3x3x8xi8>
  %0 = tinyts.avg_pool2d %in outs(%init : tensor<1x3x3x8xi8>) kernel [2, 2] stride [2, 2] pad [0, 1, 0, 1]
         clamp(-128, 127) : tensor<1x5x5x8xi8> -> tensor<1x3x3x8xi8>
  return %0 : tensor<1x3x3x8xi8>
}

// The memref form (after bufferization): no result, the kernel writes `outs`.
// CHECK-LABEL: func.func @conv2d_memref
// CHECK: tinyts.conv2d %{{.*}}, %{{.*}}, %{{.*}} outs(%{{.*}} : memref<1x6x6x2xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1] zp(0, 0) requant([1073741824], [0]) clamp(-128, 127) : memref<1x8x8x3xi8>, memref<2x3x3x3xi8>, memref<2xi32>{{$}}
func.func @conv2d_memref(%in: memref<1x8x8x3xi8>, %w: memref<2x3x3x3xi8>, %b: memref<2xi32>, %out: memref<1x6x6x2xi8>) {
  tinyts.conv2d %in, %w, %b outs(%out : memref<1x6x6x2xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
    zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
    : memref<1x8x8x3xi8>, memref<2x3x3x3xi8>, memref<2xi32>
  return
}

// CHECK-LABEL: func.func @add_memref
// CHECK: tinyts.add %{{.*}}, %{{.*}} outs(%{{.*}} : memref<1x4x4x16xi8, strided<[256, 64, 16, 1], offset: 64>>)
func.func @add_memref(%a: memref<1x4x4x16xi8>, %b: memref<1x4x4x16xi8>, %out: memref<1x4x4x16xi8, strided<[256, 64, 16, 1], offset: 64>>) {
  tinyts.add %a, %b outs(%out : memref<1x4x4x16xi8, strided<[256, 64, 16, 1], offset: 64>>) left_shift 20
    lhs(0, 1073741824, -1) rhs(0, 1073741824, -1) out(0, 1073741824, -1) clamp(-128, 127)
    : memref<1x4x4x16xi8>, memref<1x4x4x16xi8>
  return
}

// CHECK-LABEL: func.func @softmax
// CHECK: tinyts.softmax %{{.*}} outs(%{{.*}} : tensor<1x10xi8>) input_multiplier 1518291584 input_left_shift 22 diff_min -248 : tensor<1x10xi8> -> tensor<1x10xi8>
func.func @softmax(%in: tensor<1x10xi8>) -> tensor<1x10xi8> {
  %init = tensor.empty() : tensor<1x10xi8>
  %0 = tinyts.softmax %in outs(%init : tensor<1x10xi8>) input_multiplier 1518291584
         input_left_shift 22 diff_min -248 : tensor<1x10xi8> -> tensor<1x10xi8>
  return %0 : tensor<1x10xi8>
}

// CHECK-LABEL: func.func @mul_broadcast
// CHECK: tinyts.mul %{{.*}}, %{{.*}} outs(%{{.*}} : tensor<1x4x4x8xi8>) zp(-128, -3, 7) requant(1518291584, -9) clamp(-128, 127) : tensor<1x4x4x8xi8>, tensor<1x1x1x8xi8> -> tensor<1x4x4x8xi8>
func.func @mul_broadcast(%a: tensor<1x4x4x8xi8>, %b: tensor<1x1x1x8xi8>) -> tensor<1x4x4x8xi8> {
  %init = tensor.empty() : tensor<1x4x4x8xi8>
  %0 = tinyts.mul %a, %b outs(%init : tensor<1x4x4x8xi8>) zp(-128, -3, 7) requant(1518291584, -9)
         clamp(-128, 127) : tensor<1x4x4x8xi8>, tensor<1x1x1x8xi8> -> tensor<1x4x4x8xi8>
  return %0 : tensor<1x4x4x8xi8>
}

// CHECK-LABEL: func.func @mean
// CHECK: tinyts.mean %{{.*}} outs(%{{.*}} : tensor<1x1x1x8xi8>) axes [1, 2] zp(-128, -128) requant(1431655765, -35) : tensor<1x3x3x8xi8> -> tensor<1x1x1x8xi8>
func.func @mean(%a: tensor<1x3x3x8xi8>) -> tensor<1x1x1x8xi8> {
  %init = tensor.empty() : tensor<1x1x1x8xi8>
  %0 = tinyts.mean %a outs(%init : tensor<1x1x1x8xi8>) axes [1, 2] zp(-128, -128)
         requant(1431655765, -35) : tensor<1x3x3x8xi8> -> tensor<1x1x1x8xi8>
  return %0 : tensor<1x1x1x8xi8>
}

// CHECK-LABEL: func.func @transpose_pad
// CHECK: tinyts.transpose %{{.*}} outs(%{{.*}} : tensor<1x8x3x3xi8>) perms [0, 3, 1, 2] : tensor<1x3x3x8xi8> -> tensor<1x8x3x3xi8>
// CHECK: tinyts.pad %{{.*}} outs(%{{.*}} : tensor<1x10x5x5xi8>) pad [0, 0, 1, 1, 1, 1, 0, 2] value -128 : tensor<1x8x3x3xi8> -> tensor<1x10x5x5xi8>
func.func @transpose_pad(%a: tensor<1x3x3x8xi8>) -> tensor<1x10x5x5xi8> {
  %i0 = tensor.empty() : tensor<1x8x3x3xi8>
  %0 = tinyts.transpose %a outs(%i0 : tensor<1x8x3x3xi8>) perms [0, 3, 1, 2]
         : tensor<1x3x3x8xi8> -> tensor<1x8x3x3xi8>
  %i1 = tensor.empty() : tensor<1x10x5x5xi8>
  %1 = tinyts.pad %0 outs(%i1 : tensor<1x10x5x5xi8>) pad [0, 0, 1, 1, 1, 1, 0, 2] value -128
         : tensor<1x8x3x3xi8> -> tensor<1x10x5x5xi8>
  return %1 : tensor<1x10x5x5xi8>
}

// CHECK-LABEL: func.func @float_io
// CHECK: tinyts.quantize %{{.*}} outs(%{{.*}} : tensor<1x4xi8>) scale 5.000000e-01 zp -3 : tensor<1x4xf32> -> tensor<1x4xi8>
// CHECK: tinyts.dequantize %{{.*}} outs(%{{.*}} : memref<1x4xf32>) scale 2.500000e-01 zp 0 : memref<1x4xi8>
func.func @float_io(%x: tensor<1x4xf32>, %q: memref<1x4xi8>, %out: memref<1x4xf32>) -> tensor<1x4xi8> {
  %i0 = tensor.empty() : tensor<1x4xi8>
  %0 = tinyts.quantize %x outs(%i0 : tensor<1x4xi8>) scale 0.5 zp -3 : tensor<1x4xf32> -> tensor<1x4xi8>
  tinyts.dequantize %q outs(%out : memref<1x4xf32>) scale 0.25 zp 0 : memref<1x4xi8>
  return %0 : tensor<1x4xi8>
}

// CHECK-LABEL: func.func @max_pool_concat_resize
// CHECK: tinyts.max_pool2d %{{.*}} outs(%{{.*}} : tensor<1x4x4x4xi8>) kernel [2, 2] stride [2, 2] pad [0, 0, 0, 0] clamp(-128, 127) : tensor<1x8x8x4xi8> -> tensor<1x4x4x4xi8>
// CHECK: tinyts.concat %{{.*}}, %{{.*}} outs(%{{.*}} : tensor<1x4x4x8xi8>) axis 3 : tensor<1x4x4x4xi8>, tensor<1x4x4x4xi8> -> tensor<1x4x4x8xi8>
// CHECK: tinyts.resize_nearest %{{.*}} outs(%{{.*}} : tensor<1x8x8x8xi8>) : tensor<1x4x4x8xi8> -> tensor<1x8x8x8xi8>
func.func @max_pool_concat_resize(%x: tensor<1x8x8x4xi8>, %y: tensor<1x4x4x4xi8>) -> tensor<1x8x8x8xi8> {
  %i0 = tensor.empty() : tensor<1x4x4x4xi8>
  %p = tinyts.max_pool2d %x outs(%i0 : tensor<1x4x4x4xi8>) kernel [2, 2] stride [2, 2] pad [0, 0, 0, 0]
         clamp(-128, 127) : tensor<1x8x8x4xi8> -> tensor<1x4x4x4xi8>
  %i1 = tensor.empty() : tensor<1x4x4x8xi8>
  %c = tinyts.concat %p, %y outs(%i1 : tensor<1x4x4x8xi8>) axis 3 : tensor<1x4x4x4xi8>, tensor<1x4x4x4xi8> -> tensor<1x4x4x8xi8>
  %i2 = tensor.empty() : tensor<1x8x8x8xi8>
  %r = tinyts.resize_nearest %c outs(%i2 : tensor<1x8x8x8xi8>) : tensor<1x4x4x8xi8> -> tensor<1x8x8x8xi8>
  return %r : tensor<1x8x8x8xi8>
}

// CHECK-LABEL: func.func @streamed_pool
// CHECK: %[[S0:.*]] = tinyts.row_sum %{{.*}} into(%{{.*}} : tensor<8xi32>) : tensor<1x2x4x8xi8> -> tensor<8xi32>
// CHECK: %[[S1:.*]] = tinyts.row_sum %{{.*}} into(%[[S0]] : tensor<8xi32>) accumulate : tensor<1x2x4x8xi8> -> tensor<8xi32>
// CHECK: tinyts.avg_pool_finish %[[S1]] outs(%{{.*}} : tensor<1x1x1x8xi8>) count 16 clamp(-128, 127) : tensor<8xi32> -> tensor<1x1x1x8xi8>
func.func @streamed_pool(%a: tensor<1x2x4x8xi8>, %b: tensor<1x2x4x8xi8>) -> tensor<1x1x1x8xi8> {
  %e = tensor.empty() : tensor<8xi32>
  %s0 = tinyts.row_sum %a into(%e : tensor<8xi32>) : tensor<1x2x4x8xi8> -> tensor<8xi32>
  %s1 = tinyts.row_sum %b into(%s0 : tensor<8xi32>) accumulate : tensor<1x2x4x8xi8> -> tensor<8xi32>
  %i = tensor.empty() : tensor<1x1x1x8xi8>
  %r = tinyts.avg_pool_finish %s1 outs(%i : tensor<1x1x1x8xi8>) count 16 clamp(-128, 127) : tensor<8xi32> -> tensor<1x1x1x8xi8>
  return %r : tensor<1x1x1x8xi8>
}
