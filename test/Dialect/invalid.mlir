// RUN: tinyts-opt %s -split-input-file -verify-diagnostics

// Every verifier error of the tinyts kernel ops.

func.func @conv_input_rank(%in: tensor<8x8x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x6x6x2xi8> {
  %init = tensor.empty() : tensor<1x6x6x2xi8>
  // expected-error @+1 {{expects input of rank 4 (NHWC) but got 'tensor<8x8x3xi8>'}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x6x6x2xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<8x8x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x6x6x2xi8>
  return %0 : tensor<1x6x6x2xi8>
}

// -----

func.func @conv_element_type(%in: tensor<1x8x8x3xi16>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x6x6x2xi8> {
  %init = tensor.empty() : tensor<1x6x6x2xi8>
  // expected-error @+1 {{operand #0 must be int8 tensor or memref, but got 'tensor<1x8x8x3xi16>'}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x6x6x2xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x8x8x3xi16>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x6x6x2xi8>
  return %0 : tensor<1x6x6x2xi8>
}

// -----

func.func @conv_weight_channels(%in: tensor<1x8x8x4xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x6x6x2xi8> {
  %init = tensor.empty() : tensor<1x6x6x2xi8>
  // expected-error @+1 {{weights have 3 input channels (OHWI dim 3) but the input has 4}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x6x6x2xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x8x8x4xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x6x6x2xi8>
  return %0 : tensor<1x6x6x2xi8>
}

// -----

func.func @conv_output_height(%in: tensor<1x8x8x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x8x6x2xi8> {
  %init = tensor.empty() : tensor<1x8x6x2xi8>
  // expected-error @+1 {{result height is 8 but input height 8, window 3, stride 1, dilation 1 and pad [0, 0] give 6}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x8x6x2xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x8x8x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x8x6x2xi8>
  return %0 : tensor<1x8x6x2xi8>
}

// -----

func.func @conv_output_width_strided(%in: tensor<1x8x8x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x4x3x2xi8> {
  %init = tensor.empty() : tensor<1x4x3x2xi8>
  // expected-error @+1 {{result width is 3 but input width 8, window 3, stride 2, dilation 1 and pad [0, 1] give 4}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x4x3x2xi8>) stride [2, 2] pad [0, 1, 0, 1] dilation [1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x8x8x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x4x3x2xi8>
  return %0 : tensor<1x4x3x2xi8>
}

// -----

func.func @conv_empty_window(%in: tensor<1x2x2x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x1x1x2xi8> {
  %init = tensor.empty() : tensor<1x1x1x2xi8>
  // expected-error @+1 {{has an empty output height: the window (3 with dilation 1) is larger than the padded input height (2 + pad [0, 0])}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x1x1x2xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x2x2x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x1x1x2xi8>
  return %0 : tensor<1x1x1x2xi8>
}

// -----

func.func @conv_zero_stride(%in: tensor<1x8x8x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x6x6x2xi8> {
  %init = tensor.empty() : tensor<1x6x6x2xi8>
  // expected-error @+1 {{expects every 'stride' value to be >= 1 but got [0, 1]}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x6x6x2xi8>) stride [0, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x8x8x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x6x6x2xi8>
  return %0 : tensor<1x6x6x2xi8>
}

// -----

func.func @conv_pad_length(%in: tensor<1x8x8x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x6x6x2xi8> {
  %init = tensor.empty() : tensor<1x6x6x2xi8>
  // expected-error @+1 {{expects 'pad' to have 4 values ([top, bottom, left, right]) but got 2}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x6x6x2xi8>) stride [1, 1] pad [0, 0] dilation [1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x8x8x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x6x6x2xi8>
  return %0 : tensor<1x6x6x2xi8>
}

// -----

func.func @conv_negative_pad(%in: tensor<1x8x8x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x6x6x2xi8> {
  %init = tensor.empty() : tensor<1x6x6x2xi8>
  // expected-error @+1 {{expects every 'pad' value to be >= 0 but got [0, 0, -1, 1]}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x6x6x2xi8>) stride [1, 1] pad [0, 0, -1, 1] dilation [1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x8x8x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x6x6x2xi8>
  return %0 : tensor<1x6x6x2xi8>
}

// -----

func.func @conv_dilation_length(%in: tensor<1x8x8x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x6x6x2xi8> {
  %init = tensor.empty() : tensor<1x6x6x2xi8>
  // expected-error @+1 {{expects 'dilation' to have 2 values ([y, x]) but got 3}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x6x6x2xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x8x8x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x6x6x2xi8>
  return %0 : tensor<1x6x6x2xi8>
}

// -----

func.func @conv_out_channels(%in: tensor<1x8x8x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x6x6x5xi8> {
  %init = tensor.empty() : tensor<1x6x6x5xi8>
  // expected-error @+1 {{result has 5 channels but the weights produce 2}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x6x6x5xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x8x8x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x6x6x5xi8>
  return %0 : tensor<1x6x6x5xi8>
}

// -----

func.func @conv_bias_length(%in: tensor<1x8x8x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<3xi32>) -> tensor<1x6x6x2xi8> {
  %init = tensor.empty() : tensor<1x6x6x2xi8>
  // expected-error @+1 {{expects bias of shape [2] (one per output channel) but got 'tensor<3xi32>'}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x6x6x2xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x8x8x3xi8>, tensor<2x3x3x3xi8>, tensor<3xi32> -> tensor<1x6x6x2xi8>
  return %0 : tensor<1x6x6x2xi8>
}

// -----

func.func @conv_requant_length(%in: tensor<1x8x8x3xi8>, %w: tensor<4x3x3x3xi8>, %b: tensor<4xi32>) -> tensor<1x6x6x4xi8> {
  %init = tensor.empty() : tensor<1x6x6x4xi8>
  // expected-error @+1 {{expects 1 (per-tensor) or 4 (one per output channel) requantization values but got 2}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x6x6x4xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(0, 0) requant([1073741824, 1073741824], [0, 0]) clamp(-128, 127)
         : tensor<1x8x8x3xi8>, tensor<4x3x3x3xi8>, tensor<4xi32> -> tensor<1x6x6x4xi8>
  return %0 : tensor<1x6x6x4xi8>
}

// -----

func.func @conv_requant_mismatch(%in: tensor<1x8x8x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x6x6x2xi8> {
  %init = tensor.empty() : tensor<1x6x6x2xi8>
  // expected-error @+1 {{expects 'multiplier' and 'shift' of the same length but got 2 and 1}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x6x6x2xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(0, 0) requant([1073741824, 1073741824], [0]) clamp(-128, 127)
         : tensor<1x8x8x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x6x6x2xi8>
  return %0 : tensor<1x6x6x2xi8>
}

// -----

func.func @conv_negative_multiplier(%in: tensor<1x8x8x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x6x6x2xi8> {
  %init = tensor.empty() : tensor<1x6x6x2xi8>
  // expected-error @+1 {{expects 'multiplier' to be a non-negative Q31 multiplier but got -5}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x6x6x2xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(0, 0) requant([-5], [0]) clamp(-128, 127)
         : tensor<1x8x8x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x6x6x2xi8>
  return %0 : tensor<1x6x6x2xi8>
}

// -----

func.func @conv_shift_range(%in: tensor<1x8x8x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x6x6x2xi8> {
  %init = tensor.empty() : tensor<1x6x6x2xi8>
  // expected-error @+1 {{expects 'shift' in [-31, 31] but got -40}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x6x6x2xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(0, 0) requant([1073741824], [-40]) clamp(-128, 127)
         : tensor<1x8x8x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x6x6x2xi8>
  return %0 : tensor<1x6x6x2xi8>
}

// -----

func.func @conv_zero_point(%in: tensor<1x8x8x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x6x6x2xi8> {
  %init = tensor.empty() : tensor<1x6x6x2xi8>
  // expected-error @+1 {{expects 'input_zp' in the int8 range [-128, 127] but got 200}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x6x6x2xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(200, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x8x8x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x6x6x2xi8>
  return %0 : tensor<1x6x6x2xi8>
}

// -----

func.func @conv_clamp_order(%in: tensor<1x8x8x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x6x6x2xi8> {
  %init = tensor.empty() : tensor<1x6x6x2xi8>
  // expected-error @+1 {{expects clamp_min <= clamp_max but got (10, -10)}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x6x6x2xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(10, -10)
         : tensor<1x8x8x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x6x6x2xi8>
  return %0 : tensor<1x6x6x2xi8>
}

// -----

func.func @conv_batch(%in: tensor<1x8x8x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<2x6x6x2xi8> {
  %init = tensor.empty() : tensor<2x6x6x2xi8>
  // expected-error @+1 {{expects the same batch in input and result but got 1 and 2}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<2x6x6x2xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x8x8x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<2x6x6x2xi8>
  return %0 : tensor<2x6x6x2xi8>
}

// -----

func.func @conv_dynamic(%in: tensor<1x?x8x3xi8>, %w: tensor<2x3x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x6x6x2xi8> {
  %init = tensor.empty() : tensor<1x6x6x2xi8>
  // expected-error @+1 {{expects input with a static shape but got 'tensor<1x?x8x3xi8>'}}
  %0 = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x6x6x2xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x?x8x3xi8>, tensor<2x3x3x3xi8>, tensor<2xi32> -> tensor<1x6x6x2xi8>
  return %0 : tensor<1x6x6x2xi8>
}

// -----

func.func @depthwise_weight_layout(%in: tensor<1x6x6x4xi8>, %w: tensor<3x3x8x1xi8>, %b: tensor<8xi32>) -> tensor<1x6x6x8xi8> {
  %init = tensor.empty() : tensor<1x6x6x8xi8>
  // expected-error @+1 {{weights have 8 channels (HWCM dim 2) but the input has 4}}
  %0 = tinyts.depthwise_conv2d %in, %w, %b outs(%init : tensor<1x6x6x8xi8>) stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x6x6x4xi8>, tensor<3x3x8x1xi8>, tensor<8xi32> -> tensor<1x6x6x8xi8>
  return %0 : tensor<1x6x6x8xi8>
}

// -----

func.func @depthwise_multiplier_channels(%in: tensor<1x6x6x4xi8>, %w: tensor<3x3x4x2xi8>, %b: tensor<4xi32>) -> tensor<1x6x6x4xi8> {
  %init = tensor.empty() : tensor<1x6x6x4xi8>
  // expected-error @+1 {{result has 4 channels but the weights produce 8}}
  %0 = tinyts.depthwise_conv2d %in, %w, %b outs(%init : tensor<1x6x6x4xi8>) stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x6x6x4xi8>, tensor<3x3x4x2xi8>, tensor<4xi32> -> tensor<1x6x6x4xi8>
  return %0 : tensor<1x6x6x4xi8>
}

// -----

func.func @depthwise_weight_rank(%in: tensor<1x6x6x4xi8>, %w: tensor<3x3x4xi8>, %b: tensor<4xi32>) -> tensor<1x6x6x4xi8> {
  %init = tensor.empty() : tensor<1x6x6x4xi8>
  // expected-error @+1 {{expects weights of rank 4 (HWCM) but got 'tensor<3x3x4xi8>'}}
  %0 = tinyts.depthwise_conv2d %in, %w, %b outs(%init : tensor<1x6x6x4xi8>) stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1]
         zp(0, 0) requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x6x6x4xi8>, tensor<3x3x4xi8>, tensor<4xi32> -> tensor<1x6x6x4xi8>
  return %0 : tensor<1x6x6x4xi8>
}

// -----

func.func @fc_features(%in: tensor<1x16xi8>, %w: tensor<10x12xi8>, %b: tensor<10xi32>) -> tensor<1x10xi8> {
  %init = tensor.empty() : tensor<1x10xi8>
  // expected-error @+1 {{weights take 12 inputs but the input has 16 features}}
  %0 = tinyts.fully_connected %in, %w, %b outs(%init : tensor<1x10xi8>) zp(0, 0)
         requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x16xi8>, tensor<10x12xi8>, tensor<10xi32> -> tensor<1x10xi8>
  return %0 : tensor<1x10xi8>
}

// -----

func.func @fc_out_features(%in: tensor<1x16xi8>, %w: tensor<10x16xi8>, %b: tensor<10xi32>) -> tensor<1x9xi8> {
  %init = tensor.empty() : tensor<1x9xi8>
  // expected-error @+1 {{result has 9 features but the weights produce 10}}
  %0 = tinyts.fully_connected %in, %w, %b outs(%init : tensor<1x9xi8>) zp(0, 0)
         requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x16xi8>, tensor<10x16xi8>, tensor<10xi32> -> tensor<1x9xi8>
  return %0 : tensor<1x9xi8>
}

// -----

func.func @fc_rank(%in: tensor<1x1x16xi8>, %w: tensor<10x16xi8>, %b: tensor<10xi32>) -> tensor<1x10xi8> {
  %init = tensor.empty() : tensor<1x10xi8>
  // expected-error @+1 {{expects input of rank 2 ([batch, in]) but got 'tensor<1x1x16xi8>'}}
  %0 = tinyts.fully_connected %in, %w, %b outs(%init : tensor<1x10xi8>) zp(0, 0)
         requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x1x16xi8>, tensor<10x16xi8>, tensor<10xi32> -> tensor<1x10xi8>
  return %0 : tensor<1x10xi8>
}

// -----

func.func @fc_bias(%in: tensor<1x16xi8>, %w: tensor<10x16xi8>, %b: tensor<16xi32>) -> tensor<1x10xi8> {
  %init = tensor.empty() : tensor<1x10xi8>
  // expected-error @+1 {{expects bias of shape [10] (one per output feature) but got 'tensor<16xi32>'}}
  %0 = tinyts.fully_connected %in, %w, %b outs(%init : tensor<1x10xi8>) zp(0, 0)
         requant([1073741824], [0]) clamp(-128, 127)
         : tensor<1x16xi8>, tensor<10x16xi8>, tensor<16xi32> -> tensor<1x10xi8>
  return %0 : tensor<1x10xi8>
}

// -----

func.func @add_left_shift(%a: tensor<1x4x4x16xi8>, %b: tensor<1x4x4x16xi8>) -> tensor<1x4x4x16xi8> {
  %init = tensor.empty() : tensor<1x4x4x16xi8>
  // expected-error @+1 {{expects 'left_shift' in [0, 30] (TFLite uses 20 for int8) but got 40}}
  %0 = tinyts.add %a, %b outs(%init : tensor<1x4x4x16xi8>) left_shift 40 lhs(0, 1073741824, -1)
         rhs(0, 1073741824, -1) out(0, 1073741824, -1) clamp(-128, 127) : tensor<1x4x4x16xi8>, tensor<1x4x4x16xi8> -> tensor<1x4x4x16xi8>
  return %0 : tensor<1x4x4x16xi8>
}

// -----

func.func @add_output_shift(%a: tensor<1x4x4x16xi8>, %b: tensor<1x4x4x16xi8>) -> tensor<1x4x4x16xi8> {
  %init = tensor.empty() : tensor<1x4x4x16xi8>
  // expected-error @+1 {{expects 'output_shift' in [-31, 31] but got -32}}
  %0 = tinyts.add %a, %b outs(%init : tensor<1x4x4x16xi8>) left_shift 20 lhs(0, 1073741824, -1)
         rhs(0, 1073741824, -1) out(0, 1073741824, -32) clamp(-128, 127) : tensor<1x4x4x16xi8>, tensor<1x4x4x16xi8> -> tensor<1x4x4x16xi8>
  return %0 : tensor<1x4x4x16xi8>
}

// -----

func.func @add_zero_point(%a: tensor<1x4x4x16xi8>, %b: tensor<1x4x4x16xi8>) -> tensor<1x4x4x16xi8> {
  %init = tensor.empty() : tensor<1x4x4x16xi8>
  // expected-error @+1 {{expects 'rhs_zp' in the int8 range [-128, 127] but got -129}}
  %0 = tinyts.add %a, %b outs(%init : tensor<1x4x4x16xi8>) left_shift 20 lhs(0, 1073741824, -1)
         rhs(-129, 1073741824, -1) out(0, 1073741824, -1) clamp(-128, 127) : tensor<1x4x4x16xi8>, tensor<1x4x4x16xi8> -> tensor<1x4x4x16xi8>
  return %0 : tensor<1x4x4x16xi8>
}

// -----

func.func @add_shapes(%a: tensor<1x4x4x16xi8>, %b: tensor<1x4x4x8xi8>) -> tensor<1x4x4x16xi8> {
  %init = tensor.empty() : tensor<1x4x4x16xi8>
  // expected-error @+1 {{expects rhs of the result shape [1, 4, 4, 16] or broadcastable to it (same rank, unit dimensions) but got 'tensor<1x4x4x8xi8>'}}
  %0 = "tinyts.add"(%a, %b, %init) <{left_shift = 20 : i32, lhs_zp = 0 : i32,
         lhs_multiplier = 1073741824 : i32, lhs_shift = -1 : i32, rhs_zp = 0 : i32,
         rhs_multiplier = 1073741824 : i32, rhs_shift = -1 : i32, output_zp = 0 : i32,
         output_multiplier = 1073741824 : i32, output_shift = -1 : i32,
         clamp_min = -128 : i32, clamp_max = 127 : i32}>
         : (tensor<1x4x4x16xi8>, tensor<1x4x4x8xi8>, tensor<1x4x4x16xi8>) -> tensor<1x4x4x16xi8>
  return %0 : tensor<1x4x4x16xi8>
}

// -----

func.func @avg_pool_kernel(%in: tensor<1x3x3x32xi8>) -> tensor<1x1x1x32xi8> {
  %init = tensor.empty() : tensor<1x1x1x32xi8>
  // expected-error @+1 {{expects 'kernel' to have 2 values ([y, x]) but got 1}}
  %0 = tinyts.avg_pool2d %in outs(%init : tensor<1x1x1x32xi8>) kernel [3] stride [3, 3] pad [0, 0, 0, 0]
         clamp(-128, 127) : tensor<1x3x3x32xi8> -> tensor<1x1x1x32xi8>
  return %0 : tensor<1x1x1x32xi8>
}

// -----

func.func @avg_pool_channels(%in: tensor<1x3x3x32xi8>) -> tensor<1x1x1x16xi8> {
  %init = tensor.empty() : tensor<1x1x1x16xi8>
  // expected-error @+1 {{expects as many result channels as input channels (32) but got 16}}
  %0 = tinyts.avg_pool2d %in outs(%init : tensor<1x1x1x16xi8>) kernel [3, 3] stride [3, 3] pad [0, 0, 0, 0]
         clamp(-128, 127) : tensor<1x3x3x32xi8> -> tensor<1x1x1x16xi8>
  return %0 : tensor<1x1x1x16xi8>
}

// -----

func.func @avg_pool_output(%in: tensor<1x6x6x8xi8>) -> tensor<1x2x3x8xi8> {
  %init = tensor.empty() : tensor<1x2x3x8xi8>
  // expected-error @+1 {{result height is 2 but input height 6, window 2, stride 2, dilation 1 and pad [0, 0] give 3}}
  %0 = tinyts.avg_pool2d %in outs(%init : tensor<1x2x3x8xi8>) kernel [2, 2] stride [2, 2] pad [0, 0, 0, 0]
         clamp(-128, 127) : tensor<1x6x6x8xi8> -> tensor<1x2x3x8xi8>
  return %0 : tensor<1x2x3x8xi8>
}

// -----

func.func @avg_pool_clamp(%in: tensor<1x3x3x32xi8>) -> tensor<1x1x1x32xi8> {
  %init = tensor.empty() : tensor<1x1x1x32xi8>
  // expected-error @+1 {{expects 'clamp_max' in the int8 range [-128, 127] but got 300}}
  %0 = tinyts.avg_pool2d %in outs(%init : tensor<1x1x1x32xi8>) kernel [3, 3] stride [3, 3] pad [0, 0, 0, 0]
         clamp(-128, 300) : tensor<1x3x3x32xi8> -> tensor<1x1x1x32xi8>
  return %0 : tensor<1x1x1x32xi8>
}

// -----

func.func @mixed_forms(%in: tensor<1x3x3x32xi8>, %out: memref<1x1x1x32xi8>) {
  // expected-error @+1 {{expects all operands to be tensors or all to be memrefs, but `outs` is a memref and an operand is 'tensor<1x3x3x32xi8>'}}
  tinyts.avg_pool2d %in outs(%out : memref<1x1x1x32xi8>) kernel [3, 3] stride [3, 3] pad [0, 0, 0, 0]
    clamp(-128, 127) : tensor<1x3x3x32xi8>
  return
}

// -----

func.func @tensor_form_without_result(%in: tensor<1x3x3x32xi8>) {
  %init = tensor.empty() : tensor<1x1x1x32xi8>
  // expected-error @+1 {{expects one result of the `outs` type 'tensor<1x1x1x32xi8>' in tensor form}}
  tinyts.avg_pool2d %in outs(%init : tensor<1x1x1x32xi8>) kernel [3, 3] stride [3, 3] pad [0, 0, 0, 0]
    clamp(-128, 127) : tensor<1x3x3x32xi8>
  return
}

// -----

func.func @tensor_form_wrong_result(%in: tensor<1x3x3x32xi8>) -> tensor<1x1x2x32xi8> {
  %init = tensor.empty() : tensor<1x1x1x32xi8>
  // expected-error @+1 {{expects one result of the `outs` type 'tensor<1x1x1x32xi8>' in tensor form}}
  %0 = tinyts.avg_pool2d %in outs(%init : tensor<1x1x1x32xi8>) kernel [3, 3] stride [3, 3] pad [0, 0, 0, 0]
    clamp(-128, 127) : tensor<1x3x3x32xi8> -> tensor<1x1x2x32xi8>
  return %0 : tensor<1x1x2x32xi8>
}

// -----

func.func @softmax_shape(%in: tensor<1x10xi8>) -> tensor<1x9xi8> {
  %init = tensor.empty() : tensor<1x9xi8>
  // expected-error @+1 {{expects the result shape [1, 10] of the input but got [1, 9]}}
  %0 = tinyts.softmax %in outs(%init : tensor<1x9xi8>) input_multiplier 1518291584
         input_left_shift 22 diff_min -248 : tensor<1x10xi8> -> tensor<1x9xi8>
  return %0 : tensor<1x9xi8>
}

// -----

func.func @softmax_left_shift(%in: tensor<1x10xi8>) -> tensor<1x10xi8> {
  %init = tensor.empty() : tensor<1x10xi8>
  // expected-error @+1 {{expects 'input_left_shift' in [0, 31] but got 40}}
  %0 = tinyts.softmax %in outs(%init : tensor<1x10xi8>) input_multiplier 1518291584
         input_left_shift 40 diff_min -248 : tensor<1x10xi8> -> tensor<1x10xi8>
  return %0 : tensor<1x10xi8>
}

// -----

func.func @softmax_diff_min(%in: tensor<1x10xi8>) -> tensor<1x10xi8> {
  %init = tensor.empty() : tensor<1x10xi8>
  // expected-error @+1 {{expects 'diff_min' <= 0 (minus the input radius) but got 5}}
  %0 = tinyts.softmax %in outs(%init : tensor<1x10xi8>) input_multiplier 1518291584
         input_left_shift 22 diff_min 5 : tensor<1x10xi8> -> tensor<1x10xi8>
  return %0 : tensor<1x10xi8>
}

// -----

func.func @mul_not_broadcastable(%a: tensor<1x4x4x8xi8>, %b: tensor<1x1x1x4xi8>) -> tensor<1x4x4x8xi8> {
  %init = tensor.empty() : tensor<1x4x4x8xi8>
  // expected-error @+1 {{expects rhs of the result shape [1, 4, 4, 8] or broadcastable to it (same rank, unit dimensions) but got 'tensor<1x1x1x4xi8>'}}
  %0 = tinyts.mul %a, %b outs(%init : tensor<1x4x4x8xi8>) zp(0, 0, 0) requant(1073741824, 0)
         clamp(-128, 127) : tensor<1x4x4x8xi8>, tensor<1x1x1x4xi8> -> tensor<1x4x4x8xi8>
  return %0 : tensor<1x4x4x8xi8>
}

// -----

func.func @mul_zp(%a: tensor<1x4xi8>) -> tensor<1x4xi8> {
  %init = tensor.empty() : tensor<1x4xi8>
  // expected-error @+1 {{expects 'rhs_zp' in the int8 range [-128, 127] but got 200}}
  %0 = tinyts.mul %a, %a outs(%init : tensor<1x4xi8>) zp(0, 200, 0) requant(1073741824, 0)
         clamp(-128, 127) : tensor<1x4xi8>, tensor<1x4xi8> -> tensor<1x4xi8>
  return %0 : tensor<1x4xi8>
}

// -----

func.func @mean_kept_dim(%a: tensor<1x3x3x8xi8>) -> tensor<1x1x3x8xi8> {
  %init = tensor.empty() : tensor<1x1x3x8xi8>
  // expected-error @+1 {{expects result dimension 2 to be 1 but got 3}}
  %0 = tinyts.mean %a outs(%init : tensor<1x1x3x8xi8>) axes [1, 2] zp(0, 0)
         requant(1073741824, 0) : tensor<1x3x3x8xi8> -> tensor<1x1x3x8xi8>
  return %0 : tensor<1x1x3x8xi8>
}

// -----

func.func @mean_axes_order(%a: tensor<1x3x3x8xi8>) -> tensor<1x1x1x8xi8> {
  %init = tensor.empty() : tensor<1x1x1x8xi8>
  // expected-error @+1 {{expects 'axes' strictly increasing within [0, 4) but got [2, 1]}}
  %0 = tinyts.mean %a outs(%init : tensor<1x1x1x8xi8>) axes [2, 1] zp(0, 0)
         requant(1073741824, 0) : tensor<1x3x3x8xi8> -> tensor<1x1x1x8xi8>
  return %0 : tensor<1x1x1x8xi8>
}

// -----

func.func @transpose_not_permutation(%a: tensor<1x3x3x8xi8>) -> tensor<1x3x3x8xi8> {
  %init = tensor.empty() : tensor<1x3x3x8xi8>
  // expected-error @+1 {{expects 'perms' to be a permutation of [0, 4)}}
  %0 = tinyts.transpose %a outs(%init : tensor<1x3x3x8xi8>) perms [0, 1, 1, 3]
         : tensor<1x3x3x8xi8> -> tensor<1x3x3x8xi8>
  return %0 : tensor<1x3x3x8xi8>
}

// -----

func.func @transpose_shape(%a: tensor<1x3x3x8xi8>) -> tensor<1x3x3x8xi8> {
  %init = tensor.empty() : tensor<1x3x3x8xi8>
  // expected-error @+1 {{expects result dimension 1 to be input dimension 3 (8) but got 3}}
  %0 = tinyts.transpose %a outs(%init : tensor<1x3x3x8xi8>) perms [0, 3, 1, 2]
         : tensor<1x3x3x8xi8> -> tensor<1x3x3x8xi8>
  return %0 : tensor<1x3x3x8xi8>
}

// -----

func.func @pad_batch(%a: tensor<1x3x3x8xi8>) -> tensor<2x3x3x8xi8> {
  %init = tensor.empty() : tensor<2x3x3x8xi8>
  // expected-error @+1 {{cannot pad the batch dimension: expects pad[0] and pad[1] to be 0}}
  %0 = tinyts.pad %a outs(%init : tensor<2x3x3x8xi8>) pad [1, 0, 0, 0, 0, 0, 0, 0] value 0
         : tensor<1x3x3x8xi8> -> tensor<2x3x3x8xi8>
  return %0 : tensor<2x3x3x8xi8>
}

// -----

func.func @pad_extent(%a: tensor<1x3x3x8xi8>) -> tensor<1x5x4x8xi8> {
  %init = tensor.empty() : tensor<1x5x4x8xi8>
  // expected-error @+1 {{expects result dimension 2 to be 5 (input plus padding) but got 4}}
  %0 = tinyts.pad %a outs(%init : tensor<1x5x4x8xi8>) pad [0, 0, 1, 1, 1, 1, 0, 0] value 0
         : tensor<1x3x3x8xi8> -> tensor<1x5x4x8xi8>
  return %0 : tensor<1x5x4x8xi8>
}

// -----

func.func @quantize_scale(%x: tensor<1x4xf32>) -> tensor<1x4xi8> {
  %init = tensor.empty() : tensor<1x4xi8>
  // expected-error @+1 {{expects a positive finite 'scale' but got}}
  %0 = tinyts.quantize %x outs(%init : tensor<1x4xi8>) scale 0.0 zp 0 : tensor<1x4xf32> -> tensor<1x4xi8>
  return %0 : tensor<1x4xi8>
}

// -----

func.func @dequantize_shape(%x: tensor<1x4xi8>) -> tensor<1x5xf32> {
  %init = tensor.empty() : tensor<1x5xf32>
  // expected-error @+1 {{expects static input and result of the same shape but got 'tensor<1x4xi8>' and 'tensor<1x5xf32>'}}
  %0 = tinyts.dequantize %x outs(%init : tensor<1x5xf32>) scale 0.5 zp 0 : tensor<1x4xi8> -> tensor<1x5xf32>
  return %0 : tensor<1x5xf32>
}

// -----

func.func @concat_sum(%a: tensor<1x4x4x4xi8>) -> tensor<1x4x4x9xi8> {
  %init = tensor.empty() : tensor<1x4x4x9xi8>
  // expected-error @+1 {{expects the inputs' extents along axis 3 to sum to 9 but they sum to 8}}
  %0 = tinyts.concat %a, %a outs(%init : tensor<1x4x4x9xi8>) axis 3 : tensor<1x4x4x4xi8>, tensor<1x4x4x4xi8> -> tensor<1x4x4x9xi8>
  return %0 : tensor<1x4x4x9xi8>
}

// -----

func.func @concat_other_dim(%a: tensor<1x4x4x4xi8>, %b: tensor<1x4x5x4xi8>) -> tensor<1x4x4x8xi8> {
  %init = tensor.empty() : tensor<1x4x4x8xi8>
  // expected-error @+1 {{expects input 1 to match the result in dimension 2 (4) but got 5}}
  %0 = tinyts.concat %a, %b outs(%init : tensor<1x4x4x8xi8>) axis 3 : tensor<1x4x4x4xi8>, tensor<1x4x5x4xi8> -> tensor<1x4x4x8xi8>
  return %0 : tensor<1x4x4x8xi8>
}

// -----

func.func @max_pool_extent(%a: tensor<1x8x8x4xi8>) -> tensor<1x3x4x4xi8> {
  %init = tensor.empty() : tensor<1x3x4x4xi8>
  // expected-error @+1 {{result height is 3 but input height 8, window 2, stride 2, dilation 1 and pad [0, 0] give 4}}
  %0 = tinyts.max_pool2d %a outs(%init : tensor<1x3x4x4xi8>) kernel [2, 2] stride [2, 2] pad [0, 0, 0, 0]
         clamp(-128, 127) : tensor<1x8x8x4xi8> -> tensor<1x3x4x4xi8>
  return %0 : tensor<1x3x4x4xi8>
}

// -----

func.func @resize_channels(%a: tensor<1x4x4x4xi8>) -> tensor<1x8x8x8xi8> {
  %init = tensor.empty() : tensor<1x8x8x8xi8>
  // expected-error @+1 {{expects the input's batch and channels in the result}}
  %0 = tinyts.resize_nearest %a outs(%init : tensor<1x8x8x8xi8>) : tensor<1x4x4x4xi8> -> tensor<1x8x8x8xi8>
  return %0 : tensor<1x8x8x8xi8>
}

// -----

func.func @row_sum_channels(%a: tensor<1x2x4x8xi8>) -> tensor<4xi32> {
  %e = tensor.empty() : tensor<4xi32>
  // expected-error @+1 {{expects one sum per input channel (8) but the sums have 4}}
  %s = tinyts.row_sum %a into(%e : tensor<4xi32>) : tensor<1x2x4x8xi8> -> tensor<4xi32>
  return %s : tensor<4xi32>
}

// -----

func.func @finish_shape(%s: tensor<8xi32>) -> tensor<1x2x1x8xi8> {
  %i = tensor.empty() : tensor<1x2x1x8xi8>
  // expected-error @+1 {{expects a 1x1x1x8 result (one average per sum)}}
  %r = tinyts.avg_pool_finish %s outs(%i : tensor<1x2x1x8xi8>) count 16 clamp(-128, 127) : tensor<8xi32> -> tensor<1x2x1x8xi8>
  return %r : tensor<1x2x1x8xi8>
}

// -----

func.func @finish_count(%s: tensor<8xi32>) -> tensor<1x1x1x8xi8> {
  %i = tensor.empty() : tensor<1x1x1x8xi8>
  // expected-error @+1 {{expects 'count' >= 1 (elements averaged per channel) but got 0}}
  %r = tinyts.avg_pool_finish %s outs(%i : tensor<1x1x1x8xi8>) count 0 clamp(-128, 127) : tensor<8xi32> -> tensor<1x1x1x8xi8>
  return %r : tensor<1x1x1x8xi8>
}
