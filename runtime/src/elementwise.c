//===- elementwise.c - int8 ADD and MUL -------------------------*- C -*-===//
//
// Part of TinyTS-MLIR.
//
//===----------------------------------------------------------------------===//
//
// int8 element-wise ADD and MUL, bit-exact with TFLite Micro's reference
// kernels.  ADD rescales both operands to a common scale with 20 bits of
// headroom (left_shift), adds, and rescales to the output; MUL multiplies
// the offset-corrected operands and requantizes once.  Operands are given as
// h x w x c blocks with their own strides (0 broadcasts a dimension).
//
//===----------------------------------------------------------------------===//

#include "tinyts_internal.h"

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
                   int32_t act_max) {
  for (int32_t y = 0; y < h; ++y) {
    for (int32_t x = 0; x < w; ++x) {
      const int8_t *a = in1 + y * in1_row_stride + x * in1_pix_stride;
      const int8_t *b = in2 + y * in2_row_stride + x * in2_pix_stride;
      int8_t *o = output + y * out_row_stride + x * out_pix_stride;
      for (int32_t k = 0; k < c; ++k) {
        const int32_t va = (int32_t)((uint32_t)(a[k * in1_ch_stride] +
                                                in1_offset)
                                     << left_shift);
        const int32_t vb = (int32_t)((uint32_t)(b[k * in2_ch_stride] +
                                                in2_offset)
                                     << left_shift);
        const int32_t sa = tinyts_mbqm(va, in1_multiplier, in1_shift);
        const int32_t sb = tinyts_mbqm(vb, in2_multiplier, in2_shift);
        o[k] = tinyts_requant_s8(sa + sb, out_multiplier, out_shift,
                                 output_offset, act_min, act_max);
      }
    }
  }
}

void tinyts_mul_s8(const int8_t *in1, int32_t in1_row_stride,
                   int32_t in1_pix_stride, int32_t in1_ch_stride,
                   const int8_t *in2, int32_t in2_row_stride,
                   int32_t in2_pix_stride, int32_t in2_ch_stride,
                   int8_t *output, int32_t out_row_stride,
                   int32_t out_pix_stride, int32_t h, int32_t w, int32_t c,
                   int32_t in1_offset, int32_t in2_offset,
                   int32_t output_offset, int32_t multiplier, int32_t shift,
                   int32_t act_min, int32_t act_max) {
  for (int32_t y = 0; y < h; ++y) {
    for (int32_t x = 0; x < w; ++x) {
      const int8_t *a = in1 + y * in1_row_stride + x * in1_pix_stride;
      const int8_t *b = in2 + y * in2_row_stride + x * in2_pix_stride;
      int8_t *o = output + y * out_row_stride + x * out_pix_stride;
      for (int32_t k = 0; k < c; ++k) {
        const int32_t p = (a[k * in1_ch_stride] + in1_offset) *
                          (b[k * in2_ch_stride] + in2_offset);
        o[k] = tinyts_requant_s8(p, multiplier, shift, output_offset, act_min,
                                 act_max);
      }
    }
  }
}
