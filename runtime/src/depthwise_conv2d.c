//===- depthwise_conv2d.c - int8 depthwise 2-D convolution ------*- C -*-===//
//
// Part of TinyTS-MLIR.
//
//===----------------------------------------------------------------------===//
//
// int8 NHWC depthwise convolution (any kernel size, stride, dilation and
// depth multiplier), bit-exact with TFLite Micro's reference
// DEPTHWISE_CONV_2D: output channel c * M + m accumulates
// (x[c] + input_offset) * w[c * M + m] over the in-bounds taps, adds the
// bias and is requantized per channel.  Under __ARM_FEATURE_DSP the common
// depth-multiplier-1 case handles four channels per 32-bit load with
// SXTAB16/SXTB16 and the halfword multiply-accumulates SMLABB/SMLATT.
//
//===----------------------------------------------------------------------===//

#include "tinyts_internal.h"

#if TINYTS_DSP
TINYTS_INLINE uint32_t dw_ror8(uint32_t v) { return (v >> 8) | (v << 24); }

/// Four adjacent channels (depth multiplier 1) over an nky x nkx block of
/// in-bounds taps: acc[j] += (x[j] + off) * f[j] per tap.  Kept out of line
/// so that its loop gets the registers to itself.
static __attribute__((noinline)) void
dw_group4(const int8_t *x, int32_t x_row, int32_t x_col, const int8_t *f,
          int32_t f_row, int32_t f_col, int32_t nky, int32_t nkx, int32_t off,
          int32_t *acc) {
  const uint32_t off2 = ((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16);
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
#define TINYTS_DW_TAP(xp, fp)                                                  \
  do {                                                                         \
    const uint32_t xv = (uint32_t)tinyts_read_s32(xp);                         \
    const uint32_t wv = (uint32_t)tinyts_read_s32(fp);                         \
    const uint32_t xe = __sxtab16(off2, xv);                                   \
    const uint32_t xo = __sxtab16(off2, dw_ror8(xv));                          \
    const uint32_t we = __sxtb16(wv);                                          \
    const uint32_t wo = __sxtb16(dw_ror8(wv));                                 \
    a0 = __smlabb(xe, we, a0);                                                 \
    a2 = __smlatt(xe, we, a2);                                                 \
    a1 = __smlabb(xo, wo, a1);                                                 \
    a3 = __smlatt(xo, wo, a3);                                                 \
  } while (0)
  if (nky == 3 && nkx == 3) { // the common interior 3x3 window, unrolled
    for (int32_t ky = 0; ky < 3; ++ky, x += x_row, f += f_row) {
      TINYTS_DW_TAP(x, f);
      TINYTS_DW_TAP(x + x_col, f + f_col);
      TINYTS_DW_TAP(x + 2 * x_col, f + 2 * f_col);
    }
    nky = 0;
  }
  for (int32_t ky = 0; ky < nky; ++ky, x += x_row, f += f_row) {
    const int8_t *xp = x;
    const int8_t *fp = f;
    for (int32_t kx = 0; kx < nkx; ++kx, xp += x_col, fp += f_col)
      TINYTS_DW_TAP(xp, fp);
  }
#undef TINYTS_DW_TAP
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}
#endif

/// Clip the tap range [0, k) so that origin + t * dil stays in [0, size).
TINYTS_INLINE void dw_tap_range(int32_t origin, int32_t size, int32_t k,
                                int32_t dil, int32_t *lo, int32_t *hi) {
  int32_t a = 0, b = k;
  if (origin < 0)
    a = (-origin + dil - 1) / dil; // first t with origin + t * dil >= 0
  if (origin + (k - 1) * dil >= size)
    b = size - origin > 0 ? (size - origin + dil - 1) / dil : 0;
  if (a > k)
    a = k;
  if (b < a)
    b = a;
  *lo = a;
  *hi = b;
}

void tinyts_depthwise_conv2d_s8(
    const int8_t *input, int32_t in_h, int32_t in_w, int32_t in_c,
    int32_t in_row_stride, int32_t in_pix_stride, const int8_t *filter,
    const int32_t *bias, int8_t *output, int32_t out_h, int32_t out_w,
    int32_t depth_multiplier, int32_t out_row_stride, int32_t out_pix_stride,
    int32_t kh, int32_t kw, int32_t stride_h, int32_t stride_w, int32_t dil_h,
    int32_t dil_w, int32_t pad_top, int32_t pad_left, int32_t input_offset,
    int32_t output_offset, const int32_t *multiplier, const int32_t *shift,
    int32_t act_min, int32_t act_max) {
  const int32_t out_c = in_c * depth_multiplier;
  const int32_t frow = kw * out_c; // filter elements per kernel row
  for (int32_t oy = 0; oy < out_h; ++oy) {
    const int32_t iy0 = oy * stride_h - pad_top;
    int32_t ky0, ky1;
    dw_tap_range(iy0, in_h, kh, dil_h, &ky0, &ky1);
    for (int32_t ox = 0; ox < out_w; ++ox) {
      const int32_t ix0 = ox * stride_w - pad_left;
      int32_t kx0, kx1;
      dw_tap_range(ix0, in_w, kw, dil_w, &kx0, &kx1);
      int8_t *o = output + oy * out_row_stride + ox * out_pix_stride;
      // Offset of the (possibly out-of-bounds) window origin; pointers are
      // only formed for in-bounds taps.
      const int32_t base = iy0 * in_row_stride + ix0 * in_pix_stride;
      int32_t c = 0;
#if TINYTS_DSP
      if (depth_multiplier == 1) {
        const int8_t *x0 = input + (base + ky0 * dil_h * in_row_stride +
                                    kx0 * dil_w * in_pix_stride);
        const int8_t *f0 = filter + ky0 * frow + kx0 * out_c;
        for (; c + 4 <= in_c; c += 4) {
          int32_t acc[4] = {0, 0, 0, 0};
          if (bias) {
            acc[0] = bias[c];
            acc[1] = bias[c + 1];
            acc[2] = bias[c + 2];
            acc[3] = bias[c + 3];
          }
          dw_group4(x0 + c, dil_h * in_row_stride, dil_w * in_pix_stride,
                    f0 + c, frow, out_c, ky1 - ky0, kx1 - kx0, input_offset,
                    acc);
          o[c] = tinyts_requant_s8(acc[0], multiplier[c], shift[c],
                                   output_offset, act_min, act_max);
          o[c + 1] = tinyts_requant_s8(acc[1], multiplier[c + 1], shift[c + 1],
                                       output_offset, act_min, act_max);
          o[c + 2] = tinyts_requant_s8(acc[2], multiplier[c + 2], shift[c + 2],
                                       output_offset, act_min, act_max);
          o[c + 3] = tinyts_requant_s8(acc[3], multiplier[c + 3], shift[c + 3],
                                       output_offset, act_min, act_max);
        }
      }
#endif
      for (; c < in_c; ++c) {
        for (int32_t m = 0; m < depth_multiplier; ++m) {
          const int32_t oc = c * depth_multiplier + m;
          int32_t acc = bias ? bias[oc] : 0;
          for (int32_t ky = ky0; ky < ky1; ++ky) {
            const int8_t *xr =
                input + (base + ky * dil_h * in_row_stride +
                         kx0 * dil_w * in_pix_stride + c);
            const int8_t *fr = filter + ky * frow + kx0 * out_c + oc;
            for (int32_t kx = 0; kx < kx1 - kx0; ++kx)
              acc += (xr[kx * dil_w * in_pix_stride] + input_offset) *
                     fr[kx * out_c];
          }
          o[oc] = tinyts_requant_s8(acc, multiplier[oc], shift[oc],
                                    output_offset, act_min, act_max);
        }
      }
    }
  }
}
