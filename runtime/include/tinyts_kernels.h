//===- tinyts_kernels.h - int8 kernels called by generated code -*- C -*-===//
//
// Part of TinyTS-MLIR.
//
//===----------------------------------------------------------------------===//
//
// Public interface of the TinyTS runtime: int8 (NHWC, batch 1) kernels that
// the C emitted by tinyts-lower-to-emitc calls.  Every kernel is bit-exact
// with the TFLite Micro reference kernel of the same op (gemmlowp-style double
// rounding in requantization).
//
// Conventions shared by all kernels:
//  * C99, no dynamic allocation, no libc beyond <stdint.h>/<string.h>.
//  * Activations are addressed by a base pointer plus strides counted in
//    elements (== bytes for int8): `row_stride` between two rows (H) and
//    `pix_stride` between two pixels (W) of the same row; channels (C) are
//    always contiguous.  A band of rows or a window over a larger tensor is
//    therefore passed without copying (base pointer at its first row).
//  * The windowed kernels (conv, depthwise, pools) also come as `_rows`
//    variants whose input is a table of row pointers instead: input row iy
//    (0 <= iy < in_h) starts at in_rows[iy], the rows at any addresses (row
//    bands stored apart), pixels of a row at in_pix_stride.  Their
//    parameters are the base kernel's with `const int8_t *input` replaced by
//    `const int8_t *const *in_rows` and `in_row_stride` dropped; padding and
//    results are identical.
//  * `pad_top`/`pad_left` give the position of input row/column 0 relative
//    to the origin of output row/column 0's receptive field: output row `oy`
//    reads input rows `oy * stride_h - pad_top + ky * dil_h`.  Rows outside
//    [0, in_h) are treated as zero padding (i.e. value == input zero point),
//    exactly as TFLite does.  pad_top may be negative when the input view is
//    a band that starts below the tensor's first row.
//  * Quantization follows TFLite: `input_offset` = -input_zero_point,
//    `output_offset` = +output_zero_point, per-channel (or per-tensor)
//    `multiplier`/`shift` as produced by TFLite's QuantizeMultiplier, and the
//    fused activation as a clamp [act_min, act_max].
//  * Weights are const (they live in flash).  Filter layouts are TFLite's:
//    conv OHWI, depthwise 1HW(C*M), fully connected [out][in].
//
// Each kernel has a portable C path and, when __ARM_FEATURE_DSP is defined
// (Cortex-M4/M7/M33...), a SIMD path using the ACLE intrinsics of
// <arm_acle.h>; both produce identical bytes.
//
//===----------------------------------------------------------------------===//

#ifndef TINYTS_KERNELS_H
#define TINYTS_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Requantize an int32 accumulator: TFLite's MultiplyByQuantizedMultiplier
/// (SaturatingRoundingDoublingHighMul followed by RoundingDivideByPOT).
int32_t tinyts_requantize(int32_t acc, int32_t multiplier, int32_t shift);

/// Count of leading zero bits (32 for 0): math.ctlz on the generic path.
static inline int32_t tinyts_clz32(int32_t x) {
  uint32_t v = (uint32_t)x;
  int32_t n = 0;
  if (v == 0)
    return 32;
  while (!(v & 0x80000000u)) {
    v <<= 1;
    ++n;
  }
  return n;
}

//===----------------------------------------------------------------------===//
// Convolutions
//===----------------------------------------------------------------------===//

/// Bytes of scratch tinyts_conv2d_s8 uses for its fast path (two im2col
/// patches); a 1x1 convolution without padding needs none.
#define TINYTS_CONV2D_SCRATCH_BYTES(kh, kw, in_c) (2 * (kh) * (kw) * (in_c))

/// 2-D convolution, int8 in/out, int32 bias (may be NULL), per-channel
/// requantization (`multiplier`/`shift` have out_c entries).
/// filter: [out_c][kh][kw][in_c].  A 1x1 convolution without padding runs
/// straight from the input; other shapes gather each output pixel's window
/// into `scratch` (TINYTS_CONV2D_SCRATCH_BYTES, any alignment) and run the
/// same 2-pixel x 2-channel inner kernel.  With scratch == NULL they fall
/// back to a slower tap-by-tap loop (same results).
void tinyts_conv2d_s8(const int8_t *input, int32_t in_h, int32_t in_w,
                      int32_t in_c, int32_t in_row_stride,
                      int32_t in_pix_stride, const int8_t *filter,
                      const int32_t *bias, int8_t *output, int32_t out_h,
                      int32_t out_w, int32_t out_c, int32_t out_row_stride,
                      int32_t out_pix_stride, int32_t kh, int32_t kw,
                      int32_t stride_h, int32_t stride_w, int32_t dil_h,
                      int32_t dil_w, int32_t pad_top, int32_t pad_left,
                      int32_t input_offset, int32_t output_offset,
                      const int32_t *multiplier, const int32_t *shift,
                      int32_t act_min, int32_t act_max, int8_t *scratch);

/// tinyts_conv2d_s8 on a row table (input row iy at in_rows[iy]).
void tinyts_conv2d_rows_s8(
    const int8_t *const *in_rows, int32_t in_h, int32_t in_w, int32_t in_c,
    int32_t in_pix_stride, const int8_t *filter, const int32_t *bias,
    int8_t *output, int32_t out_h, int32_t out_w, int32_t out_c,
    int32_t out_row_stride, int32_t out_pix_stride, int32_t kh, int32_t kw,
    int32_t stride_h, int32_t stride_w, int32_t dil_h, int32_t dil_w,
    int32_t pad_top, int32_t pad_left, int32_t input_offset,
    int32_t output_offset, const int32_t *multiplier, const int32_t *shift,
    int32_t act_min, int32_t act_max, int8_t *scratch);

/// Depthwise 2-D convolution; out_c == in_c * depth_multiplier and output
/// channel `c * depth_multiplier + m` reads input channel c.
/// filter: [kh][kw][out_c].  Any kernel size, stride and dilation.
void tinyts_depthwise_conv2d_s8(
    const int8_t *input, int32_t in_h, int32_t in_w, int32_t in_c,
    int32_t in_row_stride, int32_t in_pix_stride, const int8_t *filter,
    const int32_t *bias, int8_t *output, int32_t out_h, int32_t out_w,
    int32_t depth_multiplier, int32_t out_row_stride, int32_t out_pix_stride,
    int32_t kh, int32_t kw, int32_t stride_h, int32_t stride_w, int32_t dil_h,
    int32_t dil_w, int32_t pad_top, int32_t pad_left, int32_t input_offset,
    int32_t output_offset, const int32_t *multiplier, const int32_t *shift,
    int32_t act_min, int32_t act_max);

/// tinyts_depthwise_conv2d_s8 on a row table (input row iy at in_rows[iy]).
void tinyts_depthwise_conv2d_rows_s8(
    const int8_t *const *in_rows, int32_t in_h, int32_t in_w, int32_t in_c,
    int32_t in_pix_stride, const int8_t *filter, const int32_t *bias,
    int8_t *output, int32_t out_h, int32_t out_w, int32_t depth_multiplier,
    int32_t out_row_stride, int32_t out_pix_stride, int32_t kh, int32_t kw,
    int32_t stride_h, int32_t stride_w, int32_t dil_h, int32_t dil_w,
    int32_t pad_top, int32_t pad_left, int32_t input_offset,
    int32_t output_offset, const int32_t *multiplier, const int32_t *shift,
    int32_t act_min, int32_t act_max);

/// Prepared layers.  The per-layer facts the convolution kernels would
/// otherwise derive from the constant weights on every call (a banded layer
/// is called once per band) can be computed once, at compile time: each
/// `_prepare_s8` function fills an int32 array (placed in flash by the
/// generated code) that the `_prep_s8` / `_prep_rows_s8` variants take as a
/// trailing `prep` argument.  Their other parameters and their results are
/// exactly those of the base kernel; prep == NULL is allowed (the base
/// kernel).  The arrays are plain little-endian int32 data, so they may be
/// prepared on the compiling host.

/// Words tinyts_conv2d_prepare_s8 writes for out_c output channels.
#define TINYTS_CONV2D_PREP_WORDS(out_c)                                        \
  (1 + (((out_c) < 256 ? (out_c) : 256) + 31) / 32)

/// Prepares a tinyts_conv2d_s8 layer with k = kh * kw * in_c: its
/// requantization class and, when the layer takes the dead-channel path, a
/// bit mask of the output channels whose filter is not all zero.  Returns
/// the number of words written (TINYTS_CONV2D_PREP_WORDS(out_c)).
int32_t tinyts_conv2d_prepare_s8(const int8_t *filter, const int32_t *bias,
                                 const int32_t *shift, int32_t out_c,
                                 int32_t k, int32_t *prep);

/// tinyts_conv2d_s8 with a prepared layer.
void tinyts_conv2d_prep_s8(const int8_t *input, int32_t in_h, int32_t in_w,
                           int32_t in_c, int32_t in_row_stride,
                           int32_t in_pix_stride, const int8_t *filter,
                           const int32_t *bias, int8_t *output, int32_t out_h,
                           int32_t out_w, int32_t out_c,
                           int32_t out_row_stride, int32_t out_pix_stride,
                           int32_t kh, int32_t kw, int32_t stride_h,
                           int32_t stride_w, int32_t dil_h, int32_t dil_w,
                           int32_t pad_top, int32_t pad_left,
                           int32_t input_offset, int32_t output_offset,
                           const int32_t *multiplier, const int32_t *shift,
                           int32_t act_min, int32_t act_max, int8_t *scratch,
                           const int32_t *prep);

/// tinyts_conv2d_rows_s8 with a prepared layer.
void tinyts_conv2d_prep_rows_s8(
    const int8_t *const *in_rows, int32_t in_h, int32_t in_w, int32_t in_c,
    int32_t in_pix_stride, const int8_t *filter, const int32_t *bias,
    int8_t *output, int32_t out_h, int32_t out_w, int32_t out_c,
    int32_t out_row_stride, int32_t out_pix_stride, int32_t kh, int32_t kw,
    int32_t stride_h, int32_t stride_w, int32_t dil_h, int32_t dil_w,
    int32_t pad_top, int32_t pad_left, int32_t input_offset,
    int32_t output_offset, const int32_t *multiplier, const int32_t *shift,
    int32_t act_min, int32_t act_max, int8_t *scratch, const int32_t *prep);

/// Words tinyts_depthwise_conv2d_prepare_s8 writes at most: one record of
/// 17 + 2 * kh * kw words per group of four output channels.
#define TINYTS_DEPTHWISE_PREP_WORDS(out_c, kh, kw)                             \
  (((out_c) / 4) * (17 + 2 * (kh) * (kw)))

/// Prepares a tinyts_depthwise_conv2d_s8 layer (out_c = in_c * depth
/// multiplier): for every group of four output channels, its weights
/// unpacked into halfwords and its requantization constants, as the SIMD
/// group path uses them.  Returns the number of words written: 0 when the
/// kernel shape does not take that path (kh * kw > 25 or kh > 5), then pass
/// NULL.
int32_t tinyts_depthwise_conv2d_prepare_s8(
    const int8_t *filter, const int32_t *bias, const int32_t *multiplier,
    const int32_t *shift, int32_t out_c, int32_t kh, int32_t kw,
    int32_t output_offset, int32_t *prep);

/// tinyts_depthwise_conv2d_s8 with a prepared layer.
void tinyts_depthwise_conv2d_prep_s8(
    const int8_t *input, int32_t in_h, int32_t in_w, int32_t in_c,
    int32_t in_row_stride, int32_t in_pix_stride, const int8_t *filter,
    const int32_t *bias, int8_t *output, int32_t out_h, int32_t out_w,
    int32_t depth_multiplier, int32_t out_row_stride, int32_t out_pix_stride,
    int32_t kh, int32_t kw, int32_t stride_h, int32_t stride_w, int32_t dil_h,
    int32_t dil_w, int32_t pad_top, int32_t pad_left, int32_t input_offset,
    int32_t output_offset, const int32_t *multiplier, const int32_t *shift,
    int32_t act_min, int32_t act_max, const int32_t *prep);

/// tinyts_depthwise_conv2d_rows_s8 with a prepared layer.
void tinyts_depthwise_conv2d_prep_rows_s8(
    const int8_t *const *in_rows, int32_t in_h, int32_t in_w, int32_t in_c,
    int32_t in_pix_stride, const int8_t *filter, const int32_t *bias,
    int8_t *output, int32_t out_h, int32_t out_w, int32_t depth_multiplier,
    int32_t out_row_stride, int32_t out_pix_stride, int32_t kh, int32_t kw,
    int32_t stride_h, int32_t stride_w, int32_t dil_h, int32_t dil_w,
    int32_t pad_top, int32_t pad_left, int32_t input_offset,
    int32_t output_offset, const int32_t *multiplier, const int32_t *shift,
    int32_t act_min, int32_t act_max, const int32_t *prep);

/// Fully connected: `rows` input vectors of `in_n` elements (row i at
/// input + i * in_stride) times filter [out_n][in_n].  `per_channel` != 0
/// means multiplier/shift have out_n entries, otherwise one entry.
/// filter_offset is -filter_zero_point (0 for symmetric int8 weights).
void tinyts_fully_connected_s8(const int8_t *input, int32_t rows,
                               int32_t in_n, int32_t in_stride,
                               const int8_t *filter, const int32_t *bias,
                               int8_t *output, int32_t out_n,
                               int32_t out_stride, int32_t input_offset,
                               int32_t filter_offset, int32_t output_offset,
                               const int32_t *multiplier,
                               const int32_t *shift, int32_t per_channel,
                               int32_t act_min, int32_t act_max);

//===----------------------------------------------------------------------===//
// Element-wise
//===----------------------------------------------------------------------===//

/// TFLite int8 ADD over an h x w x c block.  Each operand has its own
/// row/pixel/channel strides; a stride of 0 broadcasts that dimension.
/// `left_shift` is 20 for int8 in TFLite; input multipliers/shifts come from
/// QuantizeMultiplierSmallerThanOneExp of s_i / (2 * max(s1, s2)), the output
/// ones from 2 * max(s1, s2) / (2^left_shift * s_out).
void tinyts_add_s8(const int8_t *in1, int32_t in1_row_stride,
                   int32_t in1_pix_stride, int32_t in1_ch_stride,
                   const int8_t *in2, int32_t in2_row_stride,
                   int32_t in2_pix_stride, int32_t in2_ch_stride,
                   int8_t *output, int32_t out_row_stride,
                   int32_t out_pix_stride, int32_t h, int32_t w, int32_t c,
                   int32_t in1_offset, int32_t in1_multiplier,
                   int32_t in1_shift, int32_t in2_offset,
                   int32_t in2_multiplier, int32_t in2_shift,
                   int32_t left_shift, int32_t output_offset,
                   int32_t out_multiplier, int32_t out_shift, int32_t act_min,
                   int32_t act_max);

/// TFLite int8 MUL (same operand addressing as tinyts_add_s8); multiplier and
/// shift come from s1 * s2 / s_out.
void tinyts_mul_s8(const int8_t *in1, int32_t in1_row_stride,
                   int32_t in1_pix_stride, int32_t in1_ch_stride,
                   const int8_t *in2, int32_t in2_row_stride,
                   int32_t in2_pix_stride, int32_t in2_ch_stride,
                   int8_t *output, int32_t out_row_stride,
                   int32_t out_pix_stride, int32_t h, int32_t w, int32_t c,
                   int32_t in1_offset, int32_t in2_offset,
                   int32_t output_offset, int32_t multiplier, int32_t shift,
                   int32_t act_min, int32_t act_max);

//===----------------------------------------------------------------------===//
// Pooling and reductions
//===----------------------------------------------------------------------===//

/// Streamed global average pooling, one call per band of input rows: adds
/// the band's values to one int32 sum per channel (`accumulate` = 0: the
/// first band, which writes the sums).
void tinyts_row_sum_s8(const int8_t *input, int32_t h, int32_t w, int32_t c,
                       int32_t row_stride, int32_t pix_stride, int32_t *sums,
                       int32_t accumulate);

/// tinyts_row_sum_s8 on a row table (row y at rows[y]).
void tinyts_row_sum_rows_s8(const int8_t *const *rows, int32_t h, int32_t w,
                            int32_t c, int32_t pix_stride, int32_t *sums,
                            int32_t accumulate);

/// The averages of a streamed global average pool: sums[ch] / count rounded
/// half away from zero (as tinyts_avg_pool2d_s8), then clamped.
void tinyts_avg_pool_finish_s8(const int32_t *sums, int32_t c, int32_t count,
                               int32_t act_min, int32_t act_max,
                               int8_t *output);

/// Average pooling (input and output share quantization in TFLite): mean of
/// the in-bounds taps, rounded half away from zero, then clamped.
void tinyts_avg_pool2d_s8(const int8_t *input, int32_t in_h, int32_t in_w,
                          int32_t c, int32_t in_row_stride,
                          int32_t in_pix_stride, int8_t *output,
                          int32_t out_h, int32_t out_w,
                          int32_t out_row_stride, int32_t out_pix_stride,
                          int32_t kh, int32_t kw, int32_t stride_h,
                          int32_t stride_w, int32_t pad_top, int32_t pad_left,
                          int32_t act_min, int32_t act_max);

/// tinyts_avg_pool2d_s8 on a row table (input row iy at in_rows[iy]).
void tinyts_avg_pool2d_rows_s8(const int8_t *const *in_rows, int32_t in_h,
                               int32_t in_w, int32_t c, int32_t in_pix_stride,
                               int8_t *output, int32_t out_h, int32_t out_w,
                               int32_t out_row_stride, int32_t out_pix_stride,
                               int32_t kh, int32_t kw, int32_t stride_h,
                               int32_t stride_w, int32_t pad_top,
                               int32_t pad_left, int32_t act_min,
                               int32_t act_max);

/// Max pooling over the in-bounds taps, then clamped.
void tinyts_max_pool2d_s8(const int8_t *input, int32_t in_h, int32_t in_w,
                          int32_t c, int32_t in_row_stride,
                          int32_t in_pix_stride, int8_t *output,
                          int32_t out_h, int32_t out_w,
                          int32_t out_row_stride, int32_t out_pix_stride,
                          int32_t kh, int32_t kw, int32_t stride_h,
                          int32_t stride_w, int32_t pad_top, int32_t pad_left,
                          int32_t act_min, int32_t act_max);

/// tinyts_max_pool2d_s8 on a row table (input row iy at in_rows[iy]).
void tinyts_max_pool2d_rows_s8(const int8_t *const *in_rows, int32_t in_h,
                               int32_t in_w, int32_t c, int32_t in_pix_stride,
                               int8_t *output, int32_t out_h, int32_t out_w,
                               int32_t out_row_stride, int32_t out_pix_stride,
                               int32_t kh, int32_t kw, int32_t stride_h,
                               int32_t stride_w, int32_t pad_top,
                               int32_t pad_left, int32_t act_min,
                               int32_t act_max);

/// MEAN: output[o * n_out + k] (o < n_outer, k < n_out) is the mean of the
/// h x w elements at input + o * in_outer_stride + k * in_elem_stride +
/// y * in_row_stride + x * in_pix_stride:
/// clamp(MultiplyByQuantizedMultiplier(sum - h*w*input_zero_point,
/// multiplier, shift) + output_zero_point).  Spatial mean of NHWC: n_outer =
/// 1, n_out = C, in_elem_stride = 1; mean over W only of [H][W][C]: n_outer =
/// H, in_outer_stride = W*C, n_out = C, h = 1, w = W, in_pix_stride = C.
/// `multiplier`/`shift` already include the 1/(h*w) factor, folded into
/// QuantizeMultiplier(s_in / s_out) the way TFLite Micro's reference kernel
/// does (the importer computes them; see frontend/ops_misc.py).
void tinyts_mean_s8(const int8_t *input, int32_t n_outer,
                    int32_t in_outer_stride, int32_t n_out,
                    int32_t in_elem_stride, int32_t h, int32_t w,
                    int32_t in_row_stride, int32_t in_pix_stride,
                    int8_t *output, int32_t input_zero_point,
                    int32_t output_zero_point, int32_t multiplier,
                    int32_t shift);

/// int8 SOFTMAX over the last axis of `rows` rows of n elements.
/// input_multiplier / input_left_shift / diff_min come from TFLite's
/// PreprocessSoftmaxScaling(beta, s_in, 5) and CalculateInputRadius(5, ..);
/// output quantization is fixed by TFLite (scale 1/256, zero point -128).
void tinyts_softmax_s8(const int8_t *input, int32_t rows, int32_t n,
                       int32_t in_stride, int8_t *output, int32_t out_stride,
                       int32_t input_multiplier, int32_t input_left_shift,
                       int32_t diff_min);

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

/// Constant padding: writes an out_h x out_w x out_c block whose interior at
/// (pad_top, pad_left, pad_front) is the in_h x in_w x in_c input and whose
/// border is `pad_value` (the output zero point for TFLite's PAD).
void tinyts_pad_s8(const int8_t *input, int32_t in_h, int32_t in_w,
                   int32_t in_c, int32_t in_row_stride, int32_t in_pix_stride,
                   int8_t *output, int32_t out_h, int32_t out_w,
                   int32_t out_c, int32_t out_row_stride,
                   int32_t out_pix_stride, int32_t pad_top, int32_t pad_left,
                   int32_t pad_front, int8_t pad_value);

/// Concatenation along channels: copies an h x w x c input into channels
/// [c_offset, c_offset + c) of the output (call once per input).  TFLite's
/// int8 CONCATENATION does not requantize.
void tinyts_concat_channels_s8(const int8_t *input, int32_t h, int32_t w,
                               int32_t c, int32_t in_row_stride,
                               int32_t in_pix_stride, int8_t *output,
                               int32_t out_row_stride, int32_t out_pix_stride,
                               int32_t c_offset);

/// Generic transpose of a dense tensor of rank <= 4 (dims padded in front
/// with 1): output dim i is input dim perm[i].
void tinyts_transpose_s8(const int8_t *input, const int32_t *in_dims,
                         int32_t rank, const int32_t *perm, int8_t *output);

/// RESIZE_NEAREST_NEIGHBOR (align_corners = false, half_pixel_centers =
/// false): source index = min(floor(dst * (in / out)), in - 1) computed in
/// float exactly as TFLite does.
void tinyts_resize_nearest_s8(const int8_t *input, int32_t in_h,
                              int32_t in_w, int32_t c, int32_t in_row_stride,
                              int32_t in_pix_stride, int8_t *output,
                              int32_t out_h, int32_t out_w,
                              int32_t out_row_stride, int32_t out_pix_stride);

/// QUANTIZE float -> int8: clamp(round_half_away(x / scale) + zp).
void tinyts_quantize_f32_s8(const float *input, int8_t *output, int32_t n,
                            float scale, int32_t zero_point);

/// DEQUANTIZE int8 -> float: (float)((double)scale * (x - zp)).
void tinyts_dequantize_s8_f32(const int8_t *input, float *output, int32_t n,
                              float scale, int32_t zero_point);

#ifdef __cplusplus
}
#endif

#endif // TINYTS_KERNELS_H
