// RUN: tinyts-opt %s -split-input-file -tinyts-raise-kernels | FileCheck %s
// RUN: tinyts-opt %s -split-input-file -tinyts-raise-kernels="report-unraised=true" -verify-diagnostics -o /dev/null

// Positive and negative cases of tinyts-raise-kernels. The second RUN line
// checks the remarks that explain why an op kept the generic path.

// CHECK-LABEL: func.func @conv_rescale_clamp
// CHECK-DAG:   %[[W:.*]] = "tosa.const"() <{values = dense<1> : tensor<4x3x3x3xi8>}>
// CHECK-DAG:   %[[B:.*]] = "tosa.const"() <{values = dense<10> : tensor<4xi32>}>
// CHECK:       %[[INIT:.*]] = tensor.empty() : tensor<1x8x8x4xi8>
// CHECK:       %[[R:.*]] = tinyts.conv2d %arg0, %[[W]], %[[B]] outs(%[[INIT]] : {{.*}}) stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1] zp(-128, -7) requant([1073741824, 1518291584, 1073741824, 2000000000], [-9, -10, 0, -31]) clamp(-128, 127)
// CHECK-NOT:   tosa.conv2d
// CHECK-NOT:   tosa.rescale
// CHECK:       return %[[R]]
func.func @conv_rescale_clamp(%arg0: tensor<1x8x8x3xi8>) -> tensor<1x8x8x4xi8> {
  %w = "tosa.const"() {values = dense<1> : tensor<4x3x3x3xi8>} : () -> tensor<4x3x3x3xi8>
  %b = "tosa.const"() {values = dense<10> : tensor<4xi32>} : () -> tensor<4xi32>
  %izp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %wzp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %0 = tosa.conv2d %arg0, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x8x8x3xi8>, tensor<4x3x3x3xi8>, tensor<4xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x8x8x4xi32>
  %m = "tosa.const"() {values = dense<[1073741824, 1518291584, 1073741824, 2000000000]> : tensor<4xi32>} : () -> tensor<4xi32>
  %s = "tosa.const"() {values = dense<[40, 41, 31, 62]> : tensor<4xi8>} : () -> tensor<4xi8>
  %rizp = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %rozp = "tosa.const"() {values = dense<-7> : tensor<1xi8>} : () -> tensor<1xi8>
  %1 = tosa.rescale %0, %m, %s, %rizp, %rozp {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = true, input_unsigned = false, output_unsigned = false} : (tensor<1x8x8x4xi32>, tensor<4xi32>, tensor<4xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x8x8x4xi8>
  %2 = tosa.clamp %1 {min_val = -128 : i8, max_val = 127 : i8} : (tensor<1x8x8x4xi8>) -> tensor<1x8x8x4xi8>
  return %2 : tensor<1x8x8x4xi8>
}

// -----

// A strided conv with a fused RELU6-style clamp and no clamp op after it.
// CHECK-LABEL: func.func @conv_strided_relu
// CHECK: tinyts.conv2d %arg0, %{{.*}}, %{{.*}} outs(%{{.*}} : {{.*}}) stride [2, 2] pad [0, 1, 0, 1] dilation [1, 1] zp(5, -128) requant([1073741824], [-9]) clamp(-128, 23)
// CHECK-LABEL: func.func @conv_no_clamp
// CHECK: tinyts.conv2d {{.*}} clamp(-128, 127)
func.func @conv_strided_relu(%arg0: tensor<1x8x8x3xi8>) -> tensor<1x4x4x2xi8> {
  %w = "tosa.const"() {values = dense<1> : tensor<2x3x3x3xi8>} : () -> tensor<2x3x3x3xi8>
  %b = "tosa.const"() {values = dense<0> : tensor<2xi32>} : () -> tensor<2xi32>
  %izp = "tosa.const"() {values = dense<5> : tensor<1xi8>} : () -> tensor<1xi8>
  %wzp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %0 = tosa.conv2d %arg0, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 1, 0, 1>, stride = array<i64: 2, 2>} : (tensor<1x8x8x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x2xi32>
  %m = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<40> : tensor<1xi8>} : () -> tensor<1xi8>
  %rizp = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %rozp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %1 = tosa.rescale %0, %m, %s, %rizp, %rozp {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x2xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x2xi8>
  %2 = tosa.clamp %1 {min_val = -128 : i8, max_val = 23 : i8} : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8>
  return %2 : tensor<1x4x4x2xi8>
}
func.func @conv_no_clamp(%arg0: tensor<1x8x8x3xi8>) -> tensor<1x8x8x2xi8> {
  %w = "tosa.const"() {values = dense<1> : tensor<2x1x1x3xi8>} : () -> tensor<2x1x1x3xi8>
  %b = "tosa.const"() {values = dense<0> : tensor<2xi32>} : () -> tensor<2xi32>
  %izp = "tosa.const"() {values = dense<5> : tensor<1xi8>} : () -> tensor<1xi8>
  %wzp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %0 = tosa.conv2d %arg0, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x8x8x2xi32>
  %m = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<40> : tensor<1xi8>} : () -> tensor<1xi8>
  %rizp = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %rozp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %1 = tosa.rescale %0, %m, %s, %rizp, %rozp {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x8x8x2xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x8x8x2xi8>
  return %1 : tensor<1x8x8x2xi8>
}

// -----

// CHECK-LABEL: func.func @depthwise
// CHECK: tinyts.depthwise_conv2d %arg0, %{{.*}}, %{{.*}} outs(%{{.*}} : tensor<1x6x6x6xi8>) stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1] zp(-128, -128) requant([1073741824, 1073741824, 1073741824, 1073741824, 1073741824, 1073741824], [-9, -9, -9, -9, -9, -9]) clamp(-128, 127) : tensor<1x6x6x3xi8>, tensor<3x3x3x2xi8>, tensor<6xi32> -> tensor<1x6x6x6xi8>
// CHECK-NOT: tosa.depthwise_conv2d
func.func @depthwise(%arg0: tensor<1x6x6x3xi8>) -> tensor<1x6x6x6xi8> {
  %w = "tosa.const"() {values = dense<2> : tensor<3x3x3x2xi8>} : () -> tensor<3x3x3x2xi8>
  %b = "tosa.const"() {values = dense<1> : tensor<6xi32>} : () -> tensor<6xi32>
  %izp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %wzp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %0 = tosa.depthwise_conv2d %arg0, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x6x6x3xi8>, tensor<3x3x3x2xi8>, tensor<6xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x6x6x6xi32>
  %m = "tosa.const"() {values = dense<1073741824> : tensor<6xi32>} : () -> tensor<6xi32>
  %s = "tosa.const"() {values = dense<40> : tensor<6xi8>} : () -> tensor<6xi8>
  %rizp = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %rozp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %1 = tosa.rescale %0, %m, %s, %rizp, %rozp {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = true, input_unsigned = false, output_unsigned = false} : (tensor<1x6x6x6xi32>, tensor<6xi32>, tensor<6xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x6x6x6xi8>
  %2 = tosa.clamp %1 {min_val = -128 : i8, max_val = 127 : i8} : (tensor<1x6x6x6xi8>) -> tensor<1x6x6x6xi8>
  return %2 : tensor<1x6x6x6xi8>
}

// -----

// Fully connected: reshape [1, 16] -> [1, 1, 1, 16], 1x1 conv, rescale, clamp,
// reshape back to [1, 10]. The weights are flattened to [10, 16].
// CHECK-LABEL: func.func @fully_connected
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<3> : tensor<10x16xi8>}>
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<7> : tensor<10xi32>}>
// CHECK: %[[R:.*]] = tinyts.fully_connected %arg0, %[[W]], %[[B]] outs(%{{.*}} : tensor<1x10xi8>) zp(-128, 12) requant([1518291584], [-8]) clamp(-128, 127) : tensor<1x16xi8>, tensor<10x16xi8>, tensor<10xi32> -> tensor<1x10xi8>
// CHECK-NOT: tosa.conv2d
// CHECK: return %[[R]]
func.func @fully_connected(%arg0: tensor<1x16xi8>) -> tensor<1x10xi8> {
  %shape4 = tosa.const_shape {values = dense<[1, 1, 1, 16]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %x = tosa.reshape %arg0, %shape4 : (tensor<1x16xi8>, !tosa.shape<4>) -> tensor<1x1x1x16xi8>
  %w = "tosa.const"() {values = dense<3> : tensor<10x1x1x16xi8>} : () -> tensor<10x1x1x16xi8>
  %b = "tosa.const"() {values = dense<7> : tensor<10xi32>} : () -> tensor<10xi32>
  %izp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %wzp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %0 = tosa.conv2d %x, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x16xi8>, tensor<10x1x1x16xi8>, tensor<10xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x10xi32>
  %m = "tosa.const"() {values = dense<1518291584> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<39> : tensor<1xi8>} : () -> tensor<1xi8>
  %rizp = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %rozp = "tosa.const"() {values = dense<12> : tensor<1xi8>} : () -> tensor<1xi8>
  %1 = tosa.rescale %0, %m, %s, %rizp, %rozp {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x1x1x10xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x1x1x10xi8>
  %2 = tosa.clamp %1 {min_val = -128 : i8, max_val = 127 : i8} : (tensor<1x1x1x10xi8>) -> tensor<1x1x1x10xi8>
  %shape2 = tosa.const_shape {values = dense<[1, 10]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %3 = tosa.reshape %2, %shape2 : (tensor<1x1x1x10xi8>, !tosa.shape<2>) -> tensor<1x10xi8>
  return %3 : tensor<1x10xi8>
}

// -----

// TFLite's int8 ADD: per input, an exact x * 2^20 widening (multiplier 2^30,
// shift 10) and a double-rounding rescale; then add, rescale to int8, clamp.
// CHECK-LABEL: func.func @add
// CHECK: %[[R:.*]] = tinyts.add %arg0, %arg1 outs(%{{.*}} : tensor<1x4x4x8xi8>) left_shift 20 lhs(-3, 1073741824, -1) rhs(5, 1518291584, -2) out(-128, 1283262371, -17) clamp(-128, 127) : tensor<1x4x4x8xi8>, tensor<1x4x4x8xi8> -> tensor<1x4x4x8xi8>
// CHECK-NOT: tosa.add
// CHECK: return %[[R]]
func.func @add(%arg0: tensor<1x4x4x8xi8>, %arg1: tensor<1x4x4x8xi8>) -> tensor<1x4x4x8xi8> {
  %m30 = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %s10 = "tosa.const"() {values = dense<10> : tensor<1xi8>} : () -> tensor<1xi8>
  %zp32 = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %zpa = "tosa.const"() {values = dense<-3> : tensor<1xi8>} : () -> tensor<1xi8>
  %zpb = "tosa.const"() {values = dense<5> : tensor<1xi8>} : () -> tensor<1xi8>
  %a0 = tosa.rescale %arg0, %m30, %s10, %zpa, %zp32 {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x4x4x8xi32>
  %ma = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %sa = "tosa.const"() {values = dense<32> : tensor<1xi8>} : () -> tensor<1xi8>
  %a1 = tosa.rescale %a0, %ma, %sa, %zp32, %zp32 {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi32>) -> tensor<1x4x4x8xi32>
  %b0 = tosa.rescale %arg1, %m30, %s10, %zpb, %zp32 {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x4x4x8xi32>
  %mb = "tosa.const"() {values = dense<1518291584> : tensor<1xi32>} : () -> tensor<1xi32>
  %sb = "tosa.const"() {values = dense<33> : tensor<1xi8>} : () -> tensor<1xi8>
  %b1 = tosa.rescale %b0, %mb, %sb, %zp32, %zp32 {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi32>) -> tensor<1x4x4x8xi32>
  %sum = tosa.add %a1, %b1 : (tensor<1x4x4x8xi32>, tensor<1x4x4x8xi32>) -> tensor<1x4x4x8xi32>
  %mo = "tosa.const"() {values = dense<1283262371> : tensor<1xi32>} : () -> tensor<1xi32>
  %so = "tosa.const"() {values = dense<48> : tensor<1xi8>} : () -> tensor<1xi8>
  %zpo = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %out = tosa.rescale %sum, %mo, %so, %zp32, %zpo {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x8xi8>
  %c = tosa.clamp %out {min_val = -128 : i8, max_val = 127 : i8} : (tensor<1x4x4x8xi8>) -> tensor<1x4x4x8xi8>
  return %c : tensor<1x4x4x8xi8>
}

// -----

// The same ADD with the widening written as x * 2^22 >> 2 in single rounding
// (exact, as the importer emits it).
// CHECK-LABEL: func.func @add_single_round_widening
// CHECK: tinyts.add %arg0, %arg1 outs(%{{.*}} : tensor<1x4x4x8xi8>) left_shift 20 lhs(-3, 1073741824, -1) rhs(-3, 1073741824, -1) out(-128, 1283262371, -17) clamp(-128, 127) : tensor<1x4x4x8xi8>, tensor<1x4x4x8xi8> -> tensor<1x4x4x8xi8>
func.func @add_single_round_widening(%arg0: tensor<1x4x4x8xi8>, %arg1: tensor<1x4x4x8xi8>) -> tensor<1x4x4x8xi8> {
  %m22 = "tosa.const"() {values = dense<4194304> : tensor<1xi32>} : () -> tensor<1xi32>
  %s2 = "tosa.const"() {values = dense<2> : tensor<1xi8>} : () -> tensor<1xi8>
  %zp32 = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %zpa = "tosa.const"() {values = dense<-3> : tensor<1xi8>} : () -> tensor<1xi8>
  %a0 = tosa.rescale %arg0, %m22, %s2, %zpa, %zp32 {scale32 = true, rounding_mode = SINGLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x4x4x8xi32>
  %b0 = tosa.rescale %arg1, %m22, %s2, %zpa, %zp32 {scale32 = true, rounding_mode = SINGLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x4x4x8xi32>
  %ma = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %sa = "tosa.const"() {values = dense<32> : tensor<1xi8>} : () -> tensor<1xi8>
  %a1 = tosa.rescale %a0, %ma, %sa, %zp32, %zp32 {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi32>) -> tensor<1x4x4x8xi32>
  %b1 = tosa.rescale %b0, %ma, %sa, %zp32, %zp32 {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi32>) -> tensor<1x4x4x8xi32>
  %sum = tosa.add %a1, %b1 : (tensor<1x4x4x8xi32>, tensor<1x4x4x8xi32>) -> tensor<1x4x4x8xi32>
  %mo = "tosa.const"() {values = dense<1283262371> : tensor<1xi32>} : () -> tensor<1xi32>
  %so = "tosa.const"() {values = dense<48> : tensor<1xi8>} : () -> tensor<1xi8>
  %zpo = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %out = tosa.rescale %sum, %mo, %so, %zp32, %zpo {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x8xi8>
  return %out : tensor<1x4x4x8xi8>
}

// -----

// A convolution whose int8 result is reshaped (as before a rank-3 PAD) but
// that is no fully connected layer: raised up to the reshape, which stays.
// CHECK-LABEL: func.func @conv_then_reshape
// CHECK: %[[C:.*]] = tinyts.conv2d %arg0, {{.*}} -> tensor<1x4x4x2xi8>
// CHECK: tosa.reshape %[[C]]
func.func @conv_then_reshape(%arg0: tensor<1x4x4x3xi8>) -> tensor<4x4x2xi8> {
  %w = "tosa.const"() {values = dense<1> : tensor<2x1x1x3xi8>} : () -> tensor<2x1x1x3xi8>
  %b = "tosa.const"() {values = dense<0> : tensor<2xi32>} : () -> tensor<2xi32>
  %zp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %0 = tosa.conv2d %arg0, %w, %b, %zp, %zp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x2xi32>
  %m = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<40> : tensor<1xi8>} : () -> tensor<1xi8>
  %zp32 = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %1 = tosa.rescale %0, %m, %s, %zp32, %zp {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x2xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x2xi8>
  %shape = tosa.const_shape {values = dense<[4, 4, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %2 = tosa.reshape %1, %shape : (tensor<1x4x4x2xi8>, !tosa.shape<3>) -> tensor<4x4x2xi8>
  return %2 : tensor<4x4x2xi8>
}

// -----

// ADD whose input rescale uses single rounding with shift 31: the same as
// double rounding (TOSA rounds twice only above 31), so it is raised.
// CHECK-LABEL: func.func @add_single_round_scale
// CHECK: tinyts.add %arg0, %arg1 {{.*}} left_shift 20 lhs(-3, 1073741824, 0) rhs(-3, 1073741824, 0)
func.func @add_single_round_scale(%arg0: tensor<1x4x4x8xi8>, %arg1: tensor<1x4x4x8xi8>) -> tensor<1x4x4x8xi8> {
  %m22 = "tosa.const"() {values = dense<4194304> : tensor<1xi32>} : () -> tensor<1xi32>
  %s2 = "tosa.const"() {values = dense<2> : tensor<1xi8>} : () -> tensor<1xi8>
  %zp32 = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %zpa = "tosa.const"() {values = dense<-3> : tensor<1xi8>} : () -> tensor<1xi8>
  %a0 = tosa.rescale %arg0, %m22, %s2, %zpa, %zp32 {scale32 = true, rounding_mode = SINGLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x4x4x8xi32>
  %b0 = tosa.rescale %arg1, %m22, %s2, %zpa, %zp32 {scale32 = true, rounding_mode = SINGLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x4x4x8xi32>
  %ma = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %s31 = "tosa.const"() {values = dense<31> : tensor<1xi8>} : () -> tensor<1xi8>
  %a1 = tosa.rescale %a0, %ma, %s31, %zp32, %zp32 {scale32 = true, rounding_mode = SINGLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi32>) -> tensor<1x4x4x8xi32>
  %b1 = tosa.rescale %b0, %ma, %s31, %zp32, %zp32 {scale32 = true, rounding_mode = SINGLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi32>) -> tensor<1x4x4x8xi32>
  %sum = tosa.add %a1, %b1 : (tensor<1x4x4x8xi32>, tensor<1x4x4x8xi32>) -> tensor<1x4x4x8xi32>
  %mo = "tosa.const"() {values = dense<1283262371> : tensor<1xi32>} : () -> tensor<1xi32>
  %so = "tosa.const"() {values = dense<48> : tensor<1xi8>} : () -> tensor<1xi8>
  %zpo = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %out = tosa.rescale %sum, %mo, %so, %zp32, %zpo {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x8xi8>
  return %out : tensor<1x4x4x8xi8>
}

// -----

// TFLite's AVERAGE_POOL_2D (raw values, zero points 0) with a fused clamp.
// CHECK-LABEL: func.func @avg_pool
// CHECK: %[[R:.*]] = tinyts.avg_pool2d %arg0 outs(%{{.*}} : tensor<1x1x1x8xi8>) kernel [3, 3] stride [3, 3] pad [0, 0, 0, 0] clamp(-128, 100) : tensor<1x3x3x8xi8> -> tensor<1x1x1x8xi8>
// CHECK-NOT: tosa.avg_pool2d
// CHECK: return %[[R]]
func.func @avg_pool(%arg0: tensor<1x3x3x8xi8>) -> tensor<1x1x1x8xi8> {
  %zp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %0 = tosa.avg_pool2d %arg0, %zp, %zp {acc_type = i32, kernel = array<i64: 3, 3>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 3, 3>} : (tensor<1x3x3x8xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x8xi8>
  %1 = tosa.clamp %0 {min_val = -128 : i8, max_val = 100 : i8} : (tensor<1x1x1x8xi8>) -> tensor<1x1x1x8xi8>
  return %1 : tensor<1x1x1x8xi8>
}

// -----

// The importer's SOFTMAX expansion, shortened: the annotated last rescale
// and the row maximum that finds the input. The chain is replaced.
// CHECK-LABEL: func.func @softmax_chain
// CHECK: %[[R:.*]] = tinyts.softmax %arg0 outs(%{{.*}} : tensor<1x10xi8>) input_multiplier 1518291584 input_left_shift 22 diff_min -248
// CHECK-NOT: tosa.reduce_max
// CHECK: return %[[R]]
func.func @softmax_chain(%arg0: tensor<1x10xi8>) -> tensor<1x10xi8> {
  %mx = tosa.reduce_max %arg0 {axis = 1 : i32} : (tensor<1x10xi8>) -> tensor<1x1xi8>
  %m32 = tosa.cast %mx : (tensor<1x1xi8>) -> tensor<1x1xi32>
  %x32 = tosa.cast %arg0 : (tensor<1x10xi8>) -> tensor<1x10xi32>
  %d = tosa.sub %m32, %x32 : (tensor<1x1xi32>, tensor<1x10xi32>) -> tensor<1x10xi32>
  %m = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<30> : tensor<1xi8>} : () -> tensor<1xi8>
  %zp32 = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %zpo = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %y = tosa.rescale %d, %m, %s, %zp32, %zpo {scale32 = true, rounding_mode = SINGLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false, tinyts.softmax = {input_multiplier = 1518291584 : i32, input_left_shift = 22 : i32, diff_min = -248 : i32}} : (tensor<1x10xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x10xi8>
  return %y : tensor<1x10xi8>
}

// -----

// Negative: weights with a non-zero zero point are left to the generic path.
// CHECK-LABEL: func.func @conv_weight_zp
// CHECK: tosa.conv2d
// CHECK: tosa.rescale
// CHECK-NOT: tinyts.conv2d
func.func @conv_weight_zp(%arg0: tensor<1x4x4x3xi8>) -> tensor<1x4x4x2xi8> {
  %w = "tosa.const"() {values = dense<1> : tensor<2x1x1x3xi8>} : () -> tensor<2x1x1x3xi8>
  %b = "tosa.const"() {values = dense<0> : tensor<2xi32>} : () -> tensor<2xi32>
  %izp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %wzp = "tosa.const"() {values = dense<3> : tensor<1xi8>} : () -> tensor<1xi8>
  // expected-remark @+1 {{conv2d not raised: needs int8 input and weights, an i32 accumulator and constant zero points with weight zero point 0}}
  %0 = tosa.conv2d %arg0, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x2xi32>
  %m = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<40> : tensor<1xi8>} : () -> tensor<1xi8>
  %rizp = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %rozp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %1 = tosa.rescale %0, %m, %s, %rizp, %rozp {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x2xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x2xi8>
  return %1 : tensor<1x4x4x2xi8>
}

// -----

// Negative: single rounding is not TFLite's requantization.
// CHECK-LABEL: func.func @conv_single_round
// CHECK: tosa.conv2d
// CHECK-NOT: tinyts.conv2d
func.func @conv_single_round(%arg0: tensor<1x4x4x3xi8>) -> tensor<1x4x4x2xi8> {
  %w = "tosa.const"() {values = dense<1> : tensor<2x1x1x3xi8>} : () -> tensor<2x1x1x3xi8>
  %b = "tosa.const"() {values = dense<0> : tensor<2xi32>} : () -> tensor<2xi32>
  %izp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %wzp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  // expected-remark @+1 {{conv2d not raised: its i32 result is not requantized to int8 by a single-use double-rounding tosa.rescale with constant parameters}}
  %0 = tosa.conv2d %arg0, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x2xi32>
  %m = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<40> : tensor<1xi8>} : () -> tensor<1xi8>
  %rizp = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %rozp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %1 = tosa.rescale %0, %m, %s, %rizp, %rozp {scale32 = true, rounding_mode = SINGLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x2xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x2xi8>
  return %1 : tensor<1x4x4x2xi8>
}

// -----

// Negative: the accumulator has a second use, so the conv must stay.
// CHECK-LABEL: func.func @conv_acc_reused
// CHECK: tosa.conv2d
// CHECK-NOT: tinyts.conv2d
func.func @conv_acc_reused(%arg0: tensor<1x4x4x3xi8>) -> (tensor<1x4x4x2xi8>, tensor<1x4x4x2xi32>) {
  %w = "tosa.const"() {values = dense<1> : tensor<2x1x1x3xi8>} : () -> tensor<2x1x1x3xi8>
  %b = "tosa.const"() {values = dense<0> : tensor<2xi32>} : () -> tensor<2xi32>
  %izp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %wzp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  // expected-remark @+1 {{conv2d not raised: its i32 result is not requantized}}
  %0 = tosa.conv2d %arg0, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x2xi32>
  %m = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<40> : tensor<1xi8>} : () -> tensor<1xi8>
  %rizp = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %rozp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %1 = tosa.rescale %0, %m, %s, %rizp, %rozp {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x2xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x2xi8>
  return %1, %0 : tensor<1x4x4x2xi8>, tensor<1x4x4x2xi32>
}

// -----

// Negative: a float convolution is not an int8 kernel.
// CHECK-LABEL: func.func @conv_float
// CHECK: tosa.conv2d
// CHECK-NOT: tinyts
func.func @conv_float(%arg0: tensor<1x4x4x3xf32>) -> tensor<1x4x4x2xf32> {
  %w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x3xf32>} : () -> tensor<2x1x1x3xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  // expected-remark @+1 {{conv2d not raised: needs int8 input and weights}}
  %0 = tosa.conv2d %arg0, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  return %0 : tensor<1x4x4x2xf32>
}

// -----

// Negative: an add whose inputs are widened in one inexact rescale is not
// TFLite's ADD; it keeps the generic path.
// CHECK-LABEL: func.func @add_fused_rescale
// CHECK: tosa.add
// CHECK-NOT: tinyts.add
func.func @add_fused_rescale(%arg0: tensor<1x4x4x8xi8>, %arg1: tensor<1x4x4x8xi8>) -> tensor<1x4x4x8xi8> {
  %m = "tosa.const"() {values = dense<1518291584> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<12> : tensor<1xi8>} : () -> tensor<1xi8>
  %zp32 = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %zp8 = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %a = tosa.rescale %arg0, %m, %s, %zp8, %zp32 {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x4x4x8xi32>
  %b = tosa.rescale %arg1, %m, %s, %zp8, %zp32 {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x4x4x8xi32>
  // expected-remark @+1 {{add not raised: its inputs are not int8 values rescaled exactly as TFLite's ADD}}
  %sum = tosa.add %a, %b : (tensor<1x4x4x8xi32>, tensor<1x4x4x8xi32>) -> tensor<1x4x4x8xi32>
  %mo = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %so = "tosa.const"() {values = dense<40> : tensor<1xi8>} : () -> tensor<1xi8>
  %out = tosa.rescale %sum, %mo, %so, %zp32, %zp8 {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x8xi8>
  return %out : tensor<1x4x4x8xi8>
}

// -----

// TFLite MUL with a broadcast operand: both inputs widened exactly ((x - zp)
// to i32), the rank-aligning reshape moves to the int8 operand.
// CHECK-LABEL: func.func @mul_broadcast
// CHECK:       %[[RB:.*]] = tosa.reshape %arg1
// CHECK:       tinyts.mul %arg0, %[[RB]] outs({{.*}}) zp(-3, 5, -128) requant(1518291584, -9) clamp(-128, 127) : tensor<1x4x4x8xi8>, tensor<1x1x1x8xi8> -> tensor<1x4x4x8xi8>
// CHECK-NOT:   tosa.mul
func.func @mul_broadcast(%a: tensor<1x4x4x8xi8>, %b: tensor<8xi8>) -> tensor<1x4x4x8xi8> {
  %m30 = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %s30 = "tosa.const"() {values = dense<30> : tensor<1xi8>} : () -> tensor<1xi8>
  %zpa = "tosa.const"() {values = dense<-3> : tensor<1xi8>} : () -> tensor<1xi8>
  %zpb = "tosa.const"() {values = dense<5> : tensor<1xi8>} : () -> tensor<1xi8>
  %z32 = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %wa = tosa.rescale %a, %m30, %s30, %zpa, %z32 {scale32 = true, rounding_mode = SINGLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x4x4x8xi32>
  %wb = tosa.rescale %b, %m30, %s30, %zpb, %z32 {scale32 = true, rounding_mode = SINGLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<8xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<8xi32>
  %shape = tosa.const_shape {values = dense<[1, 1, 1, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %rb = tosa.reshape %wb, %shape : (tensor<8xi32>, !tosa.shape<4>) -> tensor<1x1x1x8xi32>
  %sh = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %p = tosa.mul %wa, %rb, %sh : (tensor<1x4x4x8xi32>, tensor<1x1x1x8xi32>, tensor<1xi8>) -> tensor<1x4x4x8xi32>
  %m = "tosa.const"() {values = dense<1518291584> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<40> : tensor<1xi8>} : () -> tensor<1xi8>
  %ozp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %y = tosa.rescale %p, %m, %s, %z32, %ozp {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x8xi8>
  return %y : tensor<1x4x4x8xi8>
}

// -----

// TFLite MEAN over H and W: cast, one reduce_sum per axis, minus n * zp_in.
// CHECK-LABEL: func.func @mean_spatial
// CHECK:       tinyts.mean %arg0 outs({{.*}}) axes [1, 2] zp(-128, -128) requant(1431655765, -3) : tensor<1x3x3x8xi8> -> tensor<1x1x1x8xi8>
// CHECK-NOT:   tosa.reduce_sum
func.func @mean_spatial(%x: tensor<1x3x3x8xi8>) -> tensor<1x1x1x8xi8> {
  %c = tosa.cast %x : (tensor<1x3x3x8xi8>) -> tensor<1x3x3x8xi32>
  %s1 = tosa.reduce_sum %c {axis = 1 : i32} : (tensor<1x3x3x8xi32>) -> tensor<1x1x3x8xi32>
  %s2 = tosa.reduce_sum %s1 {axis = 2 : i32} : (tensor<1x1x3x8xi32>) -> tensor<1x1x1x8xi32>
  %off = "tosa.const"() {values = dense<-1152> : tensor<1x1x1x1xi32>} : () -> tensor<1x1x1x1xi32>
  %d = tosa.sub %s2, %off : (tensor<1x1x1x8xi32>, tensor<1x1x1x1xi32>) -> tensor<1x1x1x8xi32>
  %m = "tosa.const"() {values = dense<1431655765> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<34> : tensor<1xi8>} : () -> tensor<1xi8>
  %z32 = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %ozp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %y = tosa.rescale %d, %m, %s, %z32, %ozp {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x1x1x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x1x1x8xi8>
  return %y : tensor<1x1x1x8xi8>
}

// -----

// An offset that is not n * zp (n = 9) is not TFLite's MEAN: left alone.
// CHECK-LABEL: func.func @mean_bad_offset
// CHECK-NOT:   tinyts.mean
// CHECK:       tosa.reduce_sum
func.func @mean_bad_offset(%x: tensor<1x3x3x8xi8>) -> tensor<1x1x1x8xi8> {
  %c = tosa.cast %x : (tensor<1x3x3x8xi8>) -> tensor<1x3x3x8xi32>
  %s1 = tosa.reduce_sum %c {axis = 1 : i32} : (tensor<1x3x3x8xi32>) -> tensor<1x1x3x8xi32>
  %s2 = tosa.reduce_sum %s1 {axis = 2 : i32} : (tensor<1x1x3x8xi32>) -> tensor<1x1x1x8xi32>
  %off = "tosa.const"() {values = dense<-1151> : tensor<1x1x1x1xi32>} : () -> tensor<1x1x1x1xi32>
  %d = tosa.sub %s2, %off : (tensor<1x1x1x8xi32>, tensor<1x1x1x1xi32>) -> tensor<1x1x1x8xi32>
  %m = "tosa.const"() {values = dense<1431655765> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<34> : tensor<1xi8>} : () -> tensor<1xi8>
  %z32 = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %ozp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %y = tosa.rescale %d, %m, %s, %z32, %ozp {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x1x1x8xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x1x1x8xi8>
  return %y : tensor<1x1x1x8xi8>
}

// -----

// CHECK-LABEL: func.func @transpose
// CHECK:       tinyts.transpose %arg0 outs({{.*}}) perms [0, 3, 1, 2] : tensor<1x3x3x16xi8> -> tensor<1x16x3x3xi8>
func.func @transpose(%x: tensor<1x3x3x16xi8>) -> tensor<1x16x3x3xi8> {
  %y = tosa.transpose %x {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x3x3x16xi8>) -> tensor<1x16x3x3xi8>
  return %y : tensor<1x16x3x3xi8>
}

// -----

// PAD (rank 3, as the importer writes it) -> reshape -> slice trimming the row
// and column a stride-2 VALID window never reads -> depthwise conv: the
// padding moves into the convolution and no padded copy is stored.
// CHECK-LABEL: func.func @pad_folded_into_depthwise
// CHECK:       tinyts.depthwise_conv2d %arg0, {{.*}} stride [2, 2] pad [1, 0, 1, 0] dilation [1, 1] zp(-128, -128)
// CHECK-NOT:   tosa.pad
// CHECK-NOT:   tosa.slice
func.func @pad_folded_into_depthwise(%x: tensor<1x8x8x4xi8>) -> tensor<1x4x4x4xi8> {
  %s3 = tosa.const_shape {values = dense<[8, 8, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %r = tosa.reshape %x, %s3 : (tensor<1x8x8x4xi8>, !tosa.shape<3>) -> tensor<8x8x4xi8>
  %pads = tosa.const_shape {values = dense<[1, 1, 1, 1, 0, 0]> : tensor<6xindex>} : () -> !tosa.shape<6>
  %pv = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %p = tosa.pad %r, %pads, %pv : (tensor<8x8x4xi8>, !tosa.shape<6>, tensor<1xi8>) -> tensor<10x10x4xi8>
  %s4 = tosa.const_shape {values = dense<[1, 10, 10, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %r4 = tosa.reshape %p, %s4 : (tensor<10x10x4xi8>, !tosa.shape<4>) -> tensor<1x10x10x4xi8>
  %start = tosa.const_shape {values = dense<0> : tensor<4xindex>} : () -> !tosa.shape<4>
  %size = tosa.const_shape {values = dense<[1, 9, 9, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %sl = tosa.slice %r4, %start, %size : (tensor<1x10x10x4xi8>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x9x9x4xi8>
  %w = "tosa.const"() {values = dense<1> : tensor<3x3x4x1xi8>} : () -> tensor<3x3x4x1xi8>
  %b = "tosa.const"() {values = dense<0> : tensor<4xi32>} : () -> tensor<4xi32>
  %izp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %wzp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %0 = tosa.depthwise_conv2d %sl, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x9x9x4xi8>, tensor<3x3x4x1xi8>, tensor<4xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x4xi32>
  %m = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<40> : tensor<1xi8>} : () -> tensor<1xi8>
  %z32 = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %ozp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %y = tosa.rescale %0, %m, %s, %z32, %ozp {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x4x4x4xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x4xi8>
  return %y : tensor<1x4x4x4xi8>
}

// -----

// A pad whose value is not the convolution's input zero point cannot be folded
// (the convolution reads its zero point outside the input): it becomes the pad
// kernel.
// CHECK-LABEL: func.func @pad_kept
// CHECK:       %[[P:.*]] = tinyts.pad %arg0 outs({{.*}}) pad [0, 0, 1, 1, 1, 1, 0, 0] value 0 : tensor<1x8x8x4xi8> -> tensor<1x10x10x4xi8>
// CHECK:       tinyts.depthwise_conv2d %[[P]], {{.*}} pad [0, 0, 0, 0]
func.func @pad_kept(%x: tensor<1x8x8x4xi8>) -> tensor<1x8x8x4xi8> {
  %pads = tosa.const_shape {values = dense<[0, 0, 1, 1, 1, 1, 0, 0]> : tensor<8xindex>} : () -> !tosa.shape<8>
  %pv = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %p = tosa.pad %x, %pads, %pv : (tensor<1x8x8x4xi8>, !tosa.shape<8>, tensor<1xi8>) -> tensor<1x10x10x4xi8>
  %w = "tosa.const"() {values = dense<1> : tensor<3x3x4x1xi8>} : () -> tensor<3x3x4x1xi8>
  %b = "tosa.const"() {values = dense<0> : tensor<4xi32>} : () -> tensor<4xi32>
  %izp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %wzp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %0 = tosa.depthwise_conv2d %p, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x10x10x4xi8>, tensor<3x3x4x1xi8>, tensor<4xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x8x8x4xi32>
  %m = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<40> : tensor<1xi8>} : () -> tensor<1xi8>
  %z32 = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %ozp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %y = tosa.rescale %0, %m, %s, %z32, %ozp {scale32 = true, rounding_mode = DOUBLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x8x8x4xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x8x8x4xi8>
  return %y : tensor<1x8x8x4xi8>
}

// -----

// Float-IO boundaries: the importer marks the last op of QUANTIZE's and
// DEQUANTIZE's expansions with TFLite's quantization.
// CHECK-LABEL: func.func @float_io
// CHECK:       %[[Q:.*]] = tinyts.quantize %arg0 outs({{.*}}) scale 5.000000e-01 zp -128 : tensor<1x4xf32> -> tensor<1x4xi8>
// CHECK:       %[[D:.*]] = tinyts.dequantize %[[Q]] outs({{.*}}) scale 2.500000e-01 zp -128 : tensor<1x4xi8> -> tensor<1x4xf32>
// CHECK:       return %[[D]]
func.func @float_io(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %inv = "tosa.const"() {values = dense<2.0> : tensor<1x1xf32>} : () -> tensor<1x1xf32>
  %sh = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %y = tosa.mul %x, %inv, %sh : (tensor<1x4xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<1x4xf32>
  %r = tosa.floor %y : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %one = "tosa.const"() {values = dense<1.0> : tensor<1x1xf32>} : () -> tensor<1x1xf32>
  %a = tosa.add %r, %one : (tensor<1x4xf32>, tensor<1x1xf32>) -> tensor<1x4xf32>
  %c = tosa.cast %a : (tensor<1x4xf32>) -> tensor<1x4xi32>
  %m = "tosa.const"() {values = dense<1073741824> : tensor<1xi32>} : () -> tensor<1xi32>
  %s = "tosa.const"() {values = dense<30> : tensor<1xi8>} : () -> tensor<1xi8>
  %z32 = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %ozp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %q = tosa.rescale %c, %m, %s, %z32, %ozp {scale32 = true, rounding_mode = SINGLE_ROUND, per_channel = false, input_unsigned = false, output_unsigned = false, tinyts.quantize = {scale = 5.000000e-01 : f32, zero_point = -128 : i32}} : (tensor<1x4xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4xi8>
  %f = tosa.cast %q : (tensor<1x4xi8>) -> tensor<1x4xf32>
  %zp = "tosa.const"() {values = dense<-128.0> : tensor<1x1xf32>} : () -> tensor<1x1xf32>
  %d = tosa.sub %f, %zp : (tensor<1x4xf32>, tensor<1x1xf32>) -> tensor<1x4xf32>
  %sc = "tosa.const"() {values = dense<0.25> : tensor<1x1xf32>} : () -> tensor<1x1xf32>
  %o = tosa.mul %d, %sc, %sh {tinyts.dequantize = {scale = 2.500000e-01 : f32, zero_point = -128 : i32}} : (tensor<1x4xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<1x4xf32>
  return %o : tensor<1x4xf32>
}

// -----

// CHECK-LABEL: func.func @max_pool_concat_resize
// CHECK:       %[[P:.*]] = tinyts.max_pool2d %arg0 outs({{.*}}) kernel [2, 2] stride [2, 2] pad [0, 0, 0, 0] clamp(-100, 127)
// CHECK:       %[[C:.*]] = tinyts.concat %[[P]], %arg1 outs({{.*}}) axis 3 : tensor<1x4x4x4xi8>, tensor<1x4x4x4xi8> -> tensor<1x4x4x8xi8>
// CHECK:       tinyts.resize_nearest %[[C]] outs({{.*}}) : tensor<1x4x4x8xi8> -> tensor<1x8x8x8xi8>
func.func @max_pool_concat_resize(%x: tensor<1x8x8x4xi8>, %y: tensor<1x4x4x4xi8>) -> tensor<1x8x8x8xi8> {
  %p = tosa.max_pool2d %x {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x8x8x4xi8>) -> tensor<1x4x4x4xi8>
  %c = tosa.clamp %p {min_val = -100 : i8, max_val = 127 : i8} : (tensor<1x4x4x4xi8>) -> tensor<1x4x4x4xi8>
  %cat = tosa.concat %c, %y {axis = 3 : i32} : (tensor<1x4x4x4xi8>, tensor<1x4x4x4xi8>) -> tensor<1x4x4x8xi8>
  %scale = tosa.const_shape {values = dense<[2, 1, 2, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %offset = tosa.const_shape {values = dense<-1> : tensor<2xindex>} : () -> !tosa.shape<2>
  %border = tosa.const_shape {values = dense<0> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r = tosa.resize %cat, %scale, %offset, %border {mode = NEAREST_NEIGHBOR} : (tensor<1x4x4x8xi8>, !tosa.shape<4>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<1x8x8x8xi8>
  return %r : tensor<1x8x8x8xi8>
}
