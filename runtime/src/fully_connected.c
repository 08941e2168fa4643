//===- fully_connected.c - int8 fully connected layer -----------*- C -*-===//
//
// Part of TinyTS-MLIR.
//
//===----------------------------------------------------------------------===//
//
// int8 FULLY_CONNECTED, bit-exact with TFLite Micro's reference kernel:
// acc = bias + sum (x + input_offset) * (w + filter_offset), requantized with
// a per-tensor (or per-channel) multiplier/shift, + output_offset, clamp.
// Under __ARM_FEATURE_DSP the dot products run two outputs at a time with
// SXTAB16 + SMLAD.
//
//===----------------------------------------------------------------------===//

#include "tinyts_internal.h"

#if TINYTS_DSP
TINYTS_INLINE uint32_t fc_ror8(uint32_t v) { return (v >> 8) | (v << 24); }
#endif

void tinyts_fully_connected_s8(const int8_t *input, int32_t rows,
                               int32_t in_n, int32_t in_stride,
                               const int8_t *filter, const int32_t *bias,
                               int8_t *output, int32_t out_n,
                               int32_t out_stride, int32_t input_offset,
                               int32_t filter_offset, int32_t output_offset,
                               const int32_t *multiplier,
                               const int32_t *shift, int32_t per_channel,
                               int32_t act_min, int32_t act_max) {
  for (int32_t r = 0; r < rows; ++r) {
    const int8_t *x = input + r * in_stride;
    int8_t *o = output + r * out_stride;
    int32_t j = 0;
#if TINYTS_DSP
    const uint32_t xoff2 =
        ((uint32_t)input_offset & 0xFFFFu) | ((uint32_t)input_offset << 16);
    const uint32_t woff2 =
        ((uint32_t)filter_offset & 0xFFFFu) | ((uint32_t)filter_offset << 16);
    for (; j + 2 <= out_n; j += 2) {
      const int8_t *w0 = filter + j * in_n;
      const int8_t *w1 = w0 + in_n;
      int32_t a0 = bias ? bias[j] : 0;
      int32_t a1 = bias ? bias[j + 1] : 0;
      int32_t i = 0;
      for (; i + 4 <= in_n; i += 4) {
        const uint32_t xv = (uint32_t)tinyts_read_s32(x + i);
        const uint32_t xe = __sxtab16(xoff2, xv);
        const uint32_t xo = __sxtab16(xoff2, fc_ror8(xv));
        const uint32_t v0 = (uint32_t)tinyts_read_s32(w0 + i);
        const uint32_t v1 = (uint32_t)tinyts_read_s32(w1 + i);
        a0 = __smlad(xe, __sxtab16(woff2, v0), a0);
        a0 = __smlad(xo, __sxtab16(woff2, fc_ror8(v0)), a0);
        a1 = __smlad(xe, __sxtab16(woff2, v1), a1);
        a1 = __smlad(xo, __sxtab16(woff2, fc_ror8(v1)), a1);
      }
      for (; i < in_n; ++i) {
        const int32_t xv = x[i] + input_offset;
        a0 += xv * (w0[i] + filter_offset);
        a1 += xv * (w1[i] + filter_offset);
      }
      const int32_t q0 = per_channel ? j : 0;
      const int32_t q1 = per_channel ? j + 1 : 0;
      o[j] = tinyts_requant_s8(a0, multiplier[q0], shift[q0], output_offset,
                               act_min, act_max);
      o[j + 1] = tinyts_requant_s8(a1, multiplier[q1], shift[q1],
                                   output_offset, act_min, act_max);
    }
#endif
    for (; j < out_n; ++j) {
      const int8_t *w = filter + j * in_n;
      int32_t acc = bias ? bias[j] : 0;
      for (int32_t i = 0; i < in_n; ++i)
        acc += (x[i] + input_offset) * (w[i] + filter_offset);
      const int32_t q = per_channel ? j : 0;
      o[j] = tinyts_requant_s8(acc, multiplier[q], shift[q], output_offset,
                               act_min, act_max);
    }
  }
}
