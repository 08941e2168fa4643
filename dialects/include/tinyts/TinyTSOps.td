//===- TinyTSOps.td - tinyts kernel operations -------------*- tablegen -*-===//
//
// Part of TinyTS-MLIR. Quantized int8 kernel ops (NHWC, batch first) in
// destination style. Weights use TOSA's layouts: conv2d OHWI, depthwise
// HWCM, fully_connected [out, in].
//
//===----------------------------------------------------------------------===//

#ifndef TINYTS_OPS_TD
#define TINYTS_OPS_TD

include "tinyts/TinyTSDialect.td"
include "tinyts/TinyTSInterfaces.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// Kernel ops work on tensors (before bufferization: the `outs` tensor is
// tied to the one result) and on memrefs (after: no result, the kernel
// writes into the `outs` buffer), like linalg's structured ops.
def TinyTS_I8Shaped : AnyTypeOf<[RankedTensorOf<[I8]>, MemRefOf<[I8]>],
                                "int8 tensor or memref">;
def TinyTS_I32Shaped : AnyTypeOf<[RankedTensorOf<[I32]>, MemRefOf<[I32]>],
                                 "int32 tensor or memref">;
def TinyTS_F32Shaped : AnyTypeOf<[RankedTensorOf<[F32]>, MemRefOf<[F32]>],
                                 "float32 tensor or memref">;
def TinyTS_I8Tensor : RankedTensorOf<[I8]>;
def TinyTS_F32Tensor : RankedTensorOf<[F32]>;
def TinyTS_I32Tensor : RankedTensorOf<[I32]>;

// Traits shared by every kernel op: destination style with a single `outs`
// operand, whose type is the result type in tensor form.
class TinyTS_KernelOp<string mnemonic, list<Trait> traits = []>
    : TinyTS_Op<mnemonic, !listconcat(traits, [
        DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
        DestinationStyleOpInterface])> {
  let hasVerifier = 1;
  code extraDPSDecl = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
  }];
  let extraClassDeclaration = extraDPSDecl;
}

//===----------------------------------------------------------------------===//
// Convolutions
//===----------------------------------------------------------------------===//

class TinyTS_ConvLikeOp<string mnemonic> : TinyTS_KernelOp<mnemonic, [DeclareOpInterfaceMethods<TinyTS_RowMapOpInterface>]> {
  let arguments = (ins
    TinyTS_I8Shaped:$input,
    TinyTS_I8Shaped:$weights,
    TinyTS_I32Shaped:$bias,
    TinyTS_I8Shaped:$init,
    DenseI64ArrayAttr:$stride,
    DenseI64ArrayAttr:$pad,
    DenseI64ArrayAttr:$dilation,
    I32Attr:$input_zp,
    I32Attr:$output_zp,
    DenseI32ArrayAttr:$multiplier,
    DenseI32ArrayAttr:$shift,
    I32Attr:$clamp_min,
    I32Attr:$clamp_max
  );
  let results = (outs Optional<TinyTS_I8Tensor>:$result);
  let assemblyFormat = [{
    $input `,` $weights `,` $bias `outs` `(` $init `:` type($init) `)`
    `stride` $stride `pad` $pad `dilation` $dilation
    `zp` `(` $input_zp `,` $output_zp `)`
    `requant` `(` $multiplier `,` $shift `)`
    `clamp` `(` $clamp_min `,` $clamp_max `)`
    attr-dict `:` type($input) `,` type($weights) `,` type($bias) (`->` type($result)^)?
  }];
}

def TinyTS_Conv2DOp : TinyTS_ConvLikeOp<"conv2d"> {
  let summary = "int8 2-D convolution with per-channel requantization";
  let description = [{
    `out[n, y, x, o] = clamp(zp_out + requant_o(bias[o] + sum_{ky,kx,i}
    (in[n, y*sy + ky*dy - pad_top, x*sx + kx*dx - pad_left, i] - zp_in) *
    w[o, ky, kx, i]))`, where rows and columns outside the input read as
    `zp_in` (they contribute zero), and `requant_o` is TFLite's
    MultiplyByQuantizedMultiplier with `multiplier[o]`, `shift[o]` (one entry
    for per-tensor quantization). `pad` is `[top, bottom, left, right]`,
    `stride` and `dilation` are `[y, x]`. Weights are OHWI.

    Example:

    ```mlir
    %r = tinyts.conv2d %in, %w, %b outs(%init : tensor<1x48x48x8xi8>)
           stride [2, 2] pad [0, 1, 0, 1] dilation [1, 1]
           zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
           : tensor<1x96x96x3xi8>, tensor<8x3x3x3xi8>, tensor<8xi32>
           -> tensor<1x48x48x8xi8>
    ```
  }];
}

def TinyTS_DepthwiseConv2DOp : TinyTS_ConvLikeOp<"depthwise_conv2d"> {
  let summary = "int8 depthwise 2-D convolution with per-channel requantization";
  let description = [{
    Like `tinyts.conv2d` but each input channel `c` is convolved with its own
    `M` filters (depth multiplier): weights are `[KH, KW, C, M]` and output
    channel `c * M + m` uses `w[:, :, c, m]`. `multiplier`/`shift` have one
    entry per output channel (or one for per-tensor quantization).

    ```mlir
    %r = tinyts.depthwise_conv2d %in, %w, %b outs(%init : tensor<1x48x48x8xi8>)
           stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1]
           zp(-128, -128) requant([1518291584], [-8]) clamp(-128, 127)
           : tensor<1x48x48x8xi8>, tensor<3x3x8x1xi8>, tensor<8xi32>
           -> tensor<1x48x48x8xi8>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Fully connected
//===----------------------------------------------------------------------===//

def TinyTS_FullyConnectedOp : TinyTS_KernelOp<"fully_connected"> {
  let summary = "int8 fully connected layer with requantization";
  let description = [{
    `out[n, o] = clamp(zp_out + requant_o(bias[o] + sum_i (in[n, i] - zp_in) *
    w[o, i]))`. Weights are `[OUT, IN]` as in TFLite.

    ```mlir
    %r = tinyts.fully_connected %in, %w, %b outs(%init : tensor<1x10xi8>)
           zp(-128, 12) requant([1518291584], [-8]) clamp(-128, 127)
           : tensor<1x256xi8>, tensor<10x256xi8>, tensor<10xi32> -> tensor<1x10xi8>
    ```
  }];
  let arguments = (ins
    TinyTS_I8Shaped:$input,
    TinyTS_I8Shaped:$weights,
    TinyTS_I32Shaped:$bias,
    TinyTS_I8Shaped:$init,
    I32Attr:$input_zp,
    I32Attr:$output_zp,
    DenseI32ArrayAttr:$multiplier,
    DenseI32ArrayAttr:$shift,
    I32Attr:$clamp_min,
    I32Attr:$clamp_max
  );
  let results = (outs Optional<TinyTS_I8Tensor>:$result);
  let assemblyFormat = [{
    $input `,` $weights `,` $bias `outs` `(` $init `:` type($init) `)`
    `zp` `(` $input_zp `,` $output_zp `)`
    `requant` `(` $multiplier `,` $shift `)`
    `clamp` `(` $clamp_min `,` $clamp_max `)`
    attr-dict `:` type($input) `,` type($weights) `,` type($bias) (`->` type($result)^)?
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise add
//===----------------------------------------------------------------------===//

def TinyTS_AddOp : TinyTS_KernelOp<"add", [DeclareOpInterfaceMethods<TinyTS_RowMapOpInterface>]> {
  let summary = "int8 elementwise addition with TFLite's rescaling";
  let description = [{
    TFLite's int8 ADD: each input is offset by its zero point, shifted left
    by `left_shift`, and scaled by its own multiplier/shift to a common
    scale; the sum is requantized by the output multiplier/shift, offset by
    the output zero point and clamped:

    `a = rq((lhs - lhs_zp) << left_shift, lhs_mult, lhs_shift)`,
    `b = rq((rhs - rhs_zp) << left_shift, rhs_mult, rhs_shift)`,
    `out = clamp(rq(a + b, out_mult, out_shift) + out_zp)`.

    Each operand has the result's shape or broadcasts along its unit
    dimensions (same rank).

    ```mlir
    %r = tinyts.add %a, %b outs(%init : tensor<1x8x8x16xi8>) left_shift 20
           lhs(-3, 1073741824, -1) rhs(5, 1518291584, -2) out(-128, 1283262371, -17)
           clamp(-128, 127) : tensor<1x8x8x16xi8>, tensor<1x8x8x16xi8> -> tensor<1x8x8x16xi8>
    ```
  }];
  let arguments = (ins
    TinyTS_I8Shaped:$lhs,
    TinyTS_I8Shaped:$rhs,
    TinyTS_I8Shaped:$init,
    I32Attr:$left_shift,
    I32Attr:$lhs_zp, I32Attr:$lhs_multiplier, I32Attr:$lhs_shift,
    I32Attr:$rhs_zp, I32Attr:$rhs_multiplier, I32Attr:$rhs_shift,
    I32Attr:$output_zp, I32Attr:$output_multiplier, I32Attr:$output_shift,
    I32Attr:$clamp_min,
    I32Attr:$clamp_max
  );
  let results = (outs Optional<TinyTS_I8Tensor>:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `outs` `(` $init `:` type($init) `)` `left_shift` $left_shift
    `lhs` `(` $lhs_zp `,` $lhs_multiplier `,` $lhs_shift `)`
    `rhs` `(` $rhs_zp `,` $rhs_multiplier `,` $rhs_shift `)`
    `out` `(` $output_zp `,` $output_multiplier `,` $output_shift `)`
    `clamp` `(` $clamp_min `,` $clamp_max `)`
    attr-dict `:` type($lhs) `,` type($rhs) (`->` type($result)^)?
  }];
}

//===----------------------------------------------------------------------===//
// Average pooling
//===----------------------------------------------------------------------===//

def TinyTS_AvgPool2DOp : TinyTS_KernelOp<"avg_pool2d", [DeclareOpInterfaceMethods<TinyTS_RowMapOpInterface>]> {
  let summary = "int8 average pooling with TFLite's rounding";
  let description = [{
    TFLite's int8 AVERAGE_POOL_2D: the average over the window's elements
    that lie inside the input (padding is not counted), rounded half away
    from zero, then clamped. Input and output share scale and zero point.
    `kernel` and `stride` are `[y, x]`, `pad` is `[top, bottom, left, right]`.

    ```mlir
    %r = tinyts.avg_pool2d %in outs(%init : tensor<1x1x1x256xi8>) kernel [3, 3] stride [3, 3]
           pad [0, 0, 0, 0] clamp(-128, 127)
           : tensor<1x3x3x256xi8> -> tensor<1x1x1x256xi8>
    ```
  }];
  let arguments = (ins
    TinyTS_I8Shaped:$input,
    TinyTS_I8Shaped:$init,
    DenseI64ArrayAttr:$kernel,
    DenseI64ArrayAttr:$stride,
    DenseI64ArrayAttr:$pad,
    I32Attr:$clamp_min,
    I32Attr:$clamp_max
  );
  let results = (outs Optional<TinyTS_I8Tensor>:$result);
  let assemblyFormat = [{
    $input `outs` `(` $init `:` type($init) `)` `kernel` $kernel `stride` $stride `pad` $pad
    `clamp` `(` $clamp_min `,` $clamp_max `)`
    attr-dict `:` type($input) (`->` type($result)^)?
  }];
}

//===----------------------------------------------------------------------===//
// Streaming global average pooling
//===----------------------------------------------------------------------===//

def TinyTS_RowSumOp : TinyTS_KernelOp<"row_sum"> {
  let summary = "int32 per-channel sums of an int8 band, accumulated";
  let description = [{
    Adds every element of `input` (NHWC, int8) to the int32 sum of its
    channel in `init` (shape `[C]`), or writes the sums (`init` not read)
    without `accumulate`. `tinyts-split` streams a global AVERAGE_POOL_2D
    through a chain of these, one per band of its input, so that each band is
    released once summed; `tinyts.avg_pool_finish` turns the sums into the
    pooled int8 values. The accumulator comes first so that a demand-driven
    schedule sums band k-1 before it computes band k.

    ```mlir
    %s0 = tinyts.row_sum %b0 into(%e : tensor<64xi32>) : tensor<1x1x5x64xi8>
            -> tensor<64xi32>
    %s1 = tinyts.row_sum %b1 into(%s0 : tensor<64xi32>) accumulate
            : tensor<1x1x5x64xi8> -> tensor<64xi32>
    ```
  }];
  let arguments = (ins
    TinyTS_I32Shaped:$init,
    TinyTS_I8Shaped:$input,
    UnitAttr:$accumulate
  );
  let results = (outs Optional<TinyTS_I32Tensor>:$result);
  let assemblyFormat = [{
    $input `into` `(` $init `:` type($init) `)` (`accumulate` $accumulate^)?
    attr-dict `:` type($input) (`->` type($result)^)?
  }];
}

def TinyTS_AvgPoolFinishOp : TinyTS_KernelOp<"avg_pool_finish"> {
  let summary = "int8 averages from int32 per-channel sums (TFLite's rounding)";
  let description = [{
    The last step of a streamed global AVERAGE_POOL_2D: each channel's sum
    (`sums`, `[C]`) divided by `count` (the pooled elements per channel),
    rounded half away from zero as TFLite does, then clamped, into `init`
    (NHWC `1x1x1xC`). Bit-exact with `tinyts.avg_pool2d` over the whole input.

    ```mlir
    %r = tinyts.avg_pool_finish %s outs(%e : tensor<1x1x1x64xi8>) count 125
           clamp(-128, 127) : tensor<64xi32> -> tensor<1x1x1x64xi8>
    ```
  }];
  let arguments = (ins
    TinyTS_I32Shaped:$sums,
    TinyTS_I8Shaped:$init,
    I64Attr:$count,
    I32Attr:$clamp_min,
    I32Attr:$clamp_max
  );
  let results = (outs Optional<TinyTS_I8Tensor>:$result);
  let assemblyFormat = [{
    $sums `outs` `(` $init `:` type($init) `)` `count` $count
    `clamp` `(` $clamp_min `,` $clamp_max `)`
    attr-dict `:` type($sums) (`->` type($result)^)?
  }];
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

def TinyTS_SoftmaxOp : TinyTS_KernelOp<"softmax"> {
  let summary = "int8 softmax over the last axis with TFLite's fixed-point algorithm";
  let description = [{
    TFLite Micro's int8 SOFTMAX over the innermost dimension: differences to
    the row maximum are scaled by `input_multiplier`/`input_left_shift`
    (PreprocessSoftmaxScaling(beta, input_scale, 5)), differences below
    `diff_min` (-CalculateInputRadius) contribute nothing, exponentials and
    the reciprocal of their sum use gemmlowp fixed point. The output has
    TFLite's fixed quantization (scale 1/256, zero point -128).

    ```mlir
    %r = tinyts.softmax %in outs(%init : tensor<1x10xi8>)
           input_multiplier 1518291584 input_left_shift 22 diff_min -248
           : tensor<1x10xi8> -> tensor<1x10xi8>
    ```
  }];
  let arguments = (ins
    TinyTS_I8Shaped:$input,
    TinyTS_I8Shaped:$init,
    I32Attr:$input_multiplier,
    I32Attr:$input_left_shift,
    I32Attr:$diff_min
  );
  let results = (outs Optional<TinyTS_I8Tensor>:$result);
  let assemblyFormat = [{
    $input `outs` `(` $init `:` type($init) `)`
    `input_multiplier` $input_multiplier `input_left_shift` $input_left_shift
    `diff_min` $diff_min
    attr-dict `:` type($input) (`->` type($result)^)?
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise multiply
//===----------------------------------------------------------------------===//

def TinyTS_MulOp : TinyTS_KernelOp<"mul", [DeclareOpInterfaceMethods<TinyTS_RowMapOpInterface>]> {
  let summary = "int8 elementwise multiplication with TFLite's requantization";
  let description = [{
    TFLite's int8 MUL: `out = clamp(rq((lhs - lhs_zp) * (rhs - rhs_zp),
    multiplier, shift) + output_zp)`, where `rq` is MultiplyByQuantizedMultiplier
    and `multiplier`/`shift` encode `s_lhs * s_rhs / s_out`. Each operand has
    the result's shape or broadcasts along its unit dimensions (same rank),
    e.g. the squeeze-and-excite scale `[1, 1, 1, C]` times `[1, H, W, C]`.

    ```mlir
    %r = tinyts.mul %x, %se outs(%init : tensor<1x8x8x16xi8>)
           zp(-128, -128, -3) requant(1518291584, -9) clamp(-128, 127)
           : tensor<1x8x8x16xi8>, tensor<1x1x1x16xi8> -> tensor<1x8x8x16xi8>
    ```
  }];
  let arguments = (ins
    TinyTS_I8Shaped:$lhs,
    TinyTS_I8Shaped:$rhs,
    TinyTS_I8Shaped:$init,
    I32Attr:$lhs_zp, I32Attr:$rhs_zp, I32Attr:$output_zp,
    I32Attr:$multiplier, I32Attr:$shift,
    I32Attr:$clamp_min,
    I32Attr:$clamp_max
  );
  let results = (outs Optional<TinyTS_I8Tensor>:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `outs` `(` $init `:` type($init) `)`
    `zp` `(` $lhs_zp `,` $rhs_zp `,` $output_zp `)`
    `requant` `(` $multiplier `,` $shift `)`
    `clamp` `(` $clamp_min `,` $clamp_max `)`
    attr-dict `:` type($lhs) `,` type($rhs) (`->` type($result)^)?
  }];
}

//===----------------------------------------------------------------------===//
// Mean
//===----------------------------------------------------------------------===//

def TinyTS_MeanOp : TinyTS_KernelOp<"mean"> {
  let summary = "int8 mean over some axes with TFLite's folded requantization";
  let description = [{
    TFLite Micro's int8 MEAN: `out = clamp(rq(sum - n * input_zp, multiplier,
    shift) + output_zp)` where the sum runs over the `n` elements of the
    reduced `axes` and `multiplier`/`shift` already include the 1/n factor
    (TFLM folds it into QuantizeMultiplier(s_in / s_out)). The result keeps
    the input's rank with the reduced axes of extent 1.

    ```mlir
    %r = tinyts.mean %in outs(%init : tensor<1x1x1x64xi8>) axes [1, 2]
           zp(-128, -128) requant(1431655765, -5)
           : tensor<1x3x3x64xi8> -> tensor<1x1x1x64xi8>
    ```
  }];
  let arguments = (ins
    TinyTS_I8Shaped:$input,
    TinyTS_I8Shaped:$init,
    DenseI64ArrayAttr:$axes,
    I32Attr:$input_zp, I32Attr:$output_zp,
    I32Attr:$multiplier, I32Attr:$shift
  );
  let results = (outs Optional<TinyTS_I8Tensor>:$result);
  let assemblyFormat = [{
    $input `outs` `(` $init `:` type($init) `)` `axes` $axes
    `zp` `(` $input_zp `,` $output_zp `)`
    `requant` `(` $multiplier `,` $shift `)`
    attr-dict `:` type($input) (`->` type($result)^)?
  }];
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def TinyTS_TransposeOp : TinyTS_KernelOp<"transpose"> {
  let summary = "int8 transpose of a tensor of rank <= 4";
  let description = [{
    `out[i0, .., ik] = in[j]` where `j[perms[d]] = i[d]`: result dimension
    `d` is input dimension `perms[d]` (TOSA's convention).

    ```mlir
    %r = tinyts.transpose %in outs(%init : tensor<1x16x3x3xi8>) perms [0, 3, 1, 2]
           : tensor<1x3x3x16xi8> -> tensor<1x16x3x3xi8>
    ```
  }];
  let arguments = (ins
    TinyTS_I8Shaped:$input,
    TinyTS_I8Shaped:$init,
    DenseI32ArrayAttr:$perms
  );
  let results = (outs Optional<TinyTS_I8Tensor>:$result);
  let assemblyFormat = [{
    $input `outs` `(` $init `:` type($init) `)` `perms` $perms
    attr-dict `:` type($input) (`->` type($result)^)?
  }];
}

def TinyTS_PadOp : TinyTS_KernelOp<"pad"> {
  let summary = "int8 constant padding of an NHWC tensor";
  let description = [{
    Writes the input into the result at offset `[pad[0], pad[2], pad[4],
    pad[6]]` and `value` everywhere else; `pad` holds `[before, after]` for
    each of the 4 dimensions (the batch is never padded). A pad that feeds a
    convolution is folded into it by `tinyts-raise-kernels` instead.

    ```mlir
    %r = tinyts.pad %in outs(%init : tensor<1x10x10x8xi8>)
           pad [0, 0, 1, 1, 1, 1, 0, 0] value -128
           : tensor<1x8x8x8xi8> -> tensor<1x10x10x8xi8>
    ```
  }];
  let arguments = (ins
    TinyTS_I8Shaped:$input,
    TinyTS_I8Shaped:$init,
    DenseI64ArrayAttr:$pad,
    I32Attr:$value
  );
  let results = (outs Optional<TinyTS_I8Tensor>:$result);
  let assemblyFormat = [{
    $input `outs` `(` $init `:` type($init) `)` `pad` $pad `value` $value
    attr-dict `:` type($input) (`->` type($result)^)?
  }];
}

//===----------------------------------------------------------------------===//
// Float model boundaries
//===----------------------------------------------------------------------===//

def TinyTS_QuantizeOp : TinyTS_KernelOp<"quantize", [DeclareOpInterfaceMethods<TinyTS_RowMapOpInterface>]> {
  let summary = "float32 to int8 quantization (a float model's first op)";
  let description = [{
    TFLite's QUANTIZE from float: `out = clamp(round_half_away(in / scale) +
    zero_point, -128, 127)` with an exact float division. Reads the caller's
    float buffer directly, so the float tensor never occupies the arena.

    ```mlir
    %r = tinyts.quantize %in outs(%init : tensor<1x49x10xi8>) scale 0.0039 zp -128
           : tensor<1x49x10xf32> -> tensor<1x49x10xi8>
    ```
  }];
  let arguments = (ins
    TinyTS_F32Shaped:$input,
    TinyTS_I8Shaped:$init,
    F32Attr:$scale,
    I32Attr:$zero_point
  );
  let results = (outs Optional<TinyTS_I8Tensor>:$result);
  let assemblyFormat = [{
    $input `outs` `(` $init `:` type($init) `)` `scale` $scale `zp` $zero_point
    attr-dict `:` type($input) (`->` type($result)^)?
  }];
}

def TinyTS_DequantizeOp : TinyTS_KernelOp<"dequantize"> {
  let summary = "int8 to float32 dequantization (a float model's last op)";
  let description = [{
    TFLite's DEQUANTIZE: `out = scale * (in - zero_point)` in float. Writes
    the caller's float output buffer directly.

    ```mlir
    %r = tinyts.dequantize %in outs(%init : tensor<1x12xf32>) scale 0.0039 zp -128
           : tensor<1x12xi8> -> tensor<1x12xf32>
    ```
  }];
  let arguments = (ins
    TinyTS_I8Shaped:$input,
    TinyTS_F32Shaped:$init,
    F32Attr:$scale,
    I32Attr:$zero_point
  );
  let results = (outs Optional<TinyTS_F32Tensor>:$result);
  let assemblyFormat = [{
    $input `outs` `(` $init `:` type($init) `)` `scale` $scale `zp` $zero_point
    attr-dict `:` type($input) (`->` type($result)^)?
  }];
}

//===----------------------------------------------------------------------===//
// Max pooling, concatenation, resize
//===----------------------------------------------------------------------===//

def TinyTS_MaxPool2DOp : TinyTS_KernelOp<"max_pool2d", [DeclareOpInterfaceMethods<TinyTS_RowMapOpInterface>]> {
  let summary = "int8 max pooling";
  let description = [{
    TFLite's int8 MAX_POOL_2D: the maximum over the window's elements that
    lie inside the input (padding never wins), then clamped. Input and
    output share scale and zero point. `kernel` and `stride` are `[y, x]`,
    `pad` is `[top, bottom, left, right]`.

    ```mlir
    %r = tinyts.max_pool2d %in outs(%init : tensor<1x4x4x8xi8>) kernel [2, 2] stride [2, 2]
           pad [0, 0, 0, 0] clamp(-128, 127)
           : tensor<1x8x8x8xi8> -> tensor<1x4x4x8xi8>
    ```
  }];
  let arguments = (ins
    TinyTS_I8Shaped:$input,
    TinyTS_I8Shaped:$init,
    DenseI64ArrayAttr:$kernel,
    DenseI64ArrayAttr:$stride,
    DenseI64ArrayAttr:$pad,
    I32Attr:$clamp_min,
    I32Attr:$clamp_max
  );
  let results = (outs Optional<TinyTS_I8Tensor>:$result);
  let assemblyFormat = [{
    $input `outs` `(` $init `:` type($init) `)` `kernel` $kernel `stride` $stride `pad` $pad
    `clamp` `(` $clamp_min `,` $clamp_max `)`
    attr-dict `:` type($input) (`->` type($result)^)?
  }];
}

def TinyTS_ConcatOp : TinyTS_KernelOp<"concat"> {
  let summary = "int8 concatenation (a byte copy, as TFLite Micro does)";
  let description = [{
    Concatenates the inputs along `axis`. TFLite Micro's int8 CONCATENATION
    copies bytes without requantizing, and so does this op.

    ```mlir
    %r = tinyts.concat %a, %b outs(%init : tensor<1x4x4x12xi8>) axis 3
           : tensor<1x4x4x4xi8>, tensor<1x4x4x8xi8> -> tensor<1x4x4x12xi8>
    ```
  }];
  let arguments = (ins
    Variadic<TinyTS_I8Shaped>:$inputs,
    TinyTS_I8Shaped:$init,
    I64Attr:$axis
  );
  let results = (outs Optional<TinyTS_I8Tensor>:$result);
  let assemblyFormat = [{
    $inputs `outs` `(` $init `:` type($init) `)` `axis` $axis
    attr-dict `:` type($inputs) (`->` type($result)^)?
  }];
}

def TinyTS_ResizeNearestOp : TinyTS_KernelOp<"resize_nearest"> {
  let summary = "int8 nearest-neighbour upscaling of NHWC (TFLite's RESIZE_NEAREST_NEIGHBOR)";
  let description = [{
    `out[n, y, x, c] = in[n, min(floor(y * H / OH), H - 1), min(floor(x * W
    / OW), W - 1), c]` with TFLite's float arithmetic (align_corners and
    half_pixel_centers false).

    ```mlir
    %r = tinyts.resize_nearest %in outs(%init : tensor<1x8x8x4xi8>)
           : tensor<1x4x4x4xi8> -> tensor<1x8x8x4xi8>
    ```
  }];
  let arguments = (ins
    TinyTS_I8Shaped:$input,
    TinyTS_I8Shaped:$init
  );
  let results = (outs Optional<TinyTS_I8Tensor>:$result);
  let assemblyFormat = [{
    $input `outs` `(` $init `:` type($init) `)`
    attr-dict `:` type($input) (`->` type($result)^)?
  }];
}

//===----------------------------------------------------------------------===//
// Row bands (tensor splitting)
//===----------------------------------------------------------------------===//

def TinyTS_SplitOp : TinyTS_Op<"split", [Pure]> {
  let summary = "view a tensor as consecutive row bands";
  let description = [{
    Splits `input` along dimension 1 (the rows of NHWC) into bands of the
    given heights, top to bottom; the heights must add up to the input's
    rows. Used where a tensor that is materialised whole (the model input, or
    the result of an op that is not split) feeds a split segment. Bufferizes
    to one subview per band, so each band can be released as soon as its
    last reader has run (input eviction).

    ```mlir
    %b:3 = tinyts.split %x heights [4, 4, 2]
           : tensor<1x10x8x3xi8> -> tensor<1x4x8x3xi8>, tensor<1x4x8x3xi8>, tensor<1x2x8x3xi8>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$heights);
  let results = (outs Variadic<AnyRankedTensor>:$bands);
  let assemblyFormat = [{
    $input `heights` $heights attr-dict `:` type($input) `->` type($bands)
  }];
  let hasVerifier = 1;
}

def TinyTS_WindowOp : TinyTS_Op<"window", [Pure]> {
  let summary = "a window of rows spanning adjacent bands";
  let description = [{
    The rows `[offset, offset + R)` of the concatenation (along dimension 1)
    of consecutive bands of one tensor, where `R` is the result's row count:
    the rows a windowed kernel (a 3x3 convolution, a strided pool) needs for
    one band of its output, including halo rows of the neighbouring bands.
    Every band is needed: the window starts in the first band and ends in the
    last. Nothing is copied: after bufferization the op stays as a view on
    memrefs, and `tinyts-lower-to-emitc` passes a plain pointer and row stride
    when the bands are adjacent in memory, otherwise a table of row pointers.

    ```mlir
    %w = tinyts.window %b0, %b1 offset 3
           : tensor<1x4x8x3xi8>, tensor<1x4x8x3xi8> -> tensor<1x3x8x3xi8>
    ```
  }];
  let arguments = (ins Variadic<AnyShaped>:$bands, I64Attr:$offset);
  let results = (outs AnyShaped:$result);
  let assemblyFormat = [{
    $bands `offset` $offset attr-dict `:` type($bands) `->` type($result)
  }];
  let hasVerifier = 1;
}

def TinyTS_JoinOp : TinyTS_Op<"join", [Pure]> {
  let summary = "join row bands into the whole tensor";
  let description = [{
    Concatenates consecutive row bands along dimension 1 into the tensor
    they tile exactly, before an op that cannot be split (MEAN, FULLY
    CONNECTED, a reshape) or a function result. Bufferizes to one buffer and
    a copy per band; `tinyts-plan-memory` then lets each band's producer
    write into its place directly, so a join costs neither copies nor a
    second buffer.

    ```mlir
    %t = tinyts.join %b0, %b1
           : tensor<1x4x8x3xi8>, tensor<1x2x8x3xi8> -> tensor<1x6x8x3xi8>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$bands);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $bands attr-dict `:` type($bands) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // TINYTS_OPS_TD
