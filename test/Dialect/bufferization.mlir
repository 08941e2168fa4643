// RUN: tinyts-opt %s --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s

// BufferizableOpInterface of the tinyts kernels: each op becomes its memref
// form writing into a fresh buffer for its tensor.empty destination (never
// read, so never copied), and a chain of kernels needs no memref.copy.

// CHECK-LABEL: func.func @chain
// CHECK-SAME:    (%[[IN:.*]]: memref<1x8x8x3xi8, strided<[?, ?, ?, ?], offset: ?>>)
// CHECK-NOT:   memref.copy
// CHECK:       %[[A:.*]] = memref.alloc() {{.*}} : memref<1x8x8x4xi8>
// CHECK:       tinyts.conv2d %[[IN]], %{{.*}}, %{{.*}} outs(%[[A]] : memref<1x8x8x4xi8>)
// CHECK:       %[[B:.*]] = memref.alloc() {{.*}} : memref<1x8x8x4xi8>
// CHECK:       tinyts.depthwise_conv2d %[[A]], %{{.*}}, %{{.*}} outs(%[[B]] : memref<1x8x8x4xi8>)
// CHECK:       %[[C:.*]] = memref.alloc() {{.*}} : memref<1x8x8x4xi8>
// CHECK:       tinyts.add %[[A]], %[[B]] outs(%[[C]] : memref<1x8x8x4xi8>)
// CHECK-NOT:   memref.copy
// CHECK:       return %[[C]]
func.func @chain(%x: tensor<1x8x8x3xi8>) -> tensor<1x8x8x4xi8> {
  %w = arith.constant dense<1> : tensor<4x3x3x3xi8>
  %b = arith.constant dense<0> : tensor<4xi32>
  %dw = arith.constant dense<1> : tensor<3x3x4x1xi8>
  %e0 = tensor.empty() : tensor<1x8x8x4xi8>
  %0 = tinyts.conv2d %x, %w, %b outs(%e0 : tensor<1x8x8x4xi8>) stride [1, 1] pad [1, 1, 1, 1]
         dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127)
         : tensor<1x8x8x3xi8>, tensor<4x3x3x3xi8>, tensor<4xi32> -> tensor<1x8x8x4xi8>
  %e1 = tensor.empty() : tensor<1x8x8x4xi8>
  %1 = tinyts.depthwise_conv2d %0, %dw, %b outs(%e1 : tensor<1x8x8x4xi8>) stride [1, 1]
         pad [1, 1, 1, 1] dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<3x3x4x1xi8>, tensor<4xi32> -> tensor<1x8x8x4xi8>
  %e2 = tensor.empty() : tensor<1x8x8x4xi8>
  %2 = tinyts.add %0, %1 outs(%e2 : tensor<1x8x8x4xi8>) left_shift 20 lhs(0, 1073741824, -1)
         rhs(0, 1073741824, -1) out(0, 1073741824, -1) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<1x8x8x4xi8> -> tensor<1x8x8x4xi8>
  return %2 : tensor<1x8x8x4xi8>
}
