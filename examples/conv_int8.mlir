// An int8 TFLite CONV_2D (3x3, SAME, fused clamp) as the importer expresses it in
// TOSA: conv2d -> rescale (double rounding) -> clamp. Used by scripts/main.sh.
func.func @f(%arg0: tensor<1x8x8x3xi8>) -> tensor<1x8x8x4xi8> {
  %w = "tosa.const"() {values = dense<1> : tensor<4x3x3x3xi8>} : () -> tensor<4x3x3x3xi8>
  %b = "tosa.const"() {values = dense<10> : tensor<4xi32>} : () -> tensor<4xi32>
  %izp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %wzp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %0 = tosa.conv2d %arg0, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>,
         pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>}
       : (tensor<1x8x8x3xi8>, tensor<4x3x3x3xi8>, tensor<4xi32>, tensor<1xi8>, tensor<1xi8>)
       -> tensor<1x8x8x4xi32>
  %m = "tosa.const"() {values = dense<1073741824> : tensor<4xi32>} : () -> tensor<4xi32>
  %s = "tosa.const"() {values = dense<40> : tensor<4xi8>} : () -> tensor<4xi8>
  %rizp = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %rozp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %1 = tosa.rescale %0, %m, %s, %rizp, %rozp {scale32 = true, rounding_mode = DOUBLE_ROUND,
         per_channel = true, input_unsigned = false, output_unsigned = false}
       : (tensor<1x8x8x4xi32>, tensor<4xi32>, tensor<4xi8>, tensor<1xi32>, tensor<1xi8>)
       -> tensor<1x8x8x4xi8>
  %2 = tosa.clamp %1 {min_val = -128 : i8, max_val = 127 : i8}
       : (tensor<1x8x8x4xi8>) -> tensor<1x8x8x4xi8>
  return %2 : tensor<1x8x8x4xi8>
}
