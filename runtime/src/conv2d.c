//===- conv2d.c - int8 2-D convolution --------------------------*- C -*-===//
//
// Part of TinyTS-MLIR.
//
//===----------------------------------------------------------------------===//
//
// int8 NHWC 2-D convolution with per-channel requantization, bit-exact with
// TFLite Micro's reference CONV_2D: acc = bias + sum (x + input_offset) * w
// over the taps that fall inside the input, then MultiplyByQuantizedMultiplier,
// + output_offset, clamp.  Input and output are addressed through row/pixel
// strides so bands and windows need no copy.  Output pixels are processed in
// pairs: a 1x1 (pointwise) convolution reads both pixels straight from the
// input, other shapes first gather each pixel's receptive field into a
// caller-provided scratch patch (padding taps filled with the input zero
// point, so they contribute exactly zero), then one inner kernel computes
// 2 pixels x 2 output channels.  Under __ARM_FEATURE_DSP the inner kernel
// unpacks four int8 values per 32-bit load with SXTAB16/SXTB16 (adding the
// input offset for free) and accumulates with SMLAD.
//
//===----------------------------------------------------------------------===//

#include "tinyts_internal.h"

#if TINYTS_DSP
/// acc0 += sum (x + off) * f0, acc1 += sum (x + off) * f1 over n elements.
TINYTS_INLINE void dot2_s8(const int8_t *x, const int8_t *f0,
                           const int8_t *f1, int32_t n, int32_t off,
                           int32_t *acc0, int32_t *acc1) {
  const uint32_t off2 = ((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16);
  int32_t a0 = *acc0, a1 = *acc1;
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const uint32_t xv = (uint32_t)tinyts_read_s32(x + i);
    const uint32_t xe = __sxtab16(off2, xv);
    const uint32_t xo = tinyts_sxtab16_ror8(off2, xv);
    const uint32_t w0 = (uint32_t)tinyts_read_s32(f0 + i);
    const uint32_t w1 = (uint32_t)tinyts_read_s32(f1 + i);
    a0 = __smlad(xe, __sxtb16(w0), a0);
    a0 = __smlad(xo, tinyts_sxtb16_ror8(w0), a0);
    a1 = __smlad(xe, __sxtb16(w1), a1);
    a1 = __smlad(xo, tinyts_sxtb16_ror8(w1), a1);
  }
  for (; i < n; ++i) {
    const int32_t xv = x[i] + off;
    a0 += xv * f0[i];
    a1 += xv * f1[i];
  }
  *acc0 = a0;
  *acc1 = a1;
}

/// acc += sum (x + off) * f over n elements.
TINYTS_INLINE int32_t dot1_s8(const int8_t *x, const int8_t *f, int32_t n,
                              int32_t off, int32_t acc) {
  const uint32_t off2 = ((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16);
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const uint32_t xv = (uint32_t)tinyts_read_s32(x + i);
    const uint32_t w = (uint32_t)tinyts_read_s32(f + i);
    acc = __smlad(__sxtab16(off2, xv), __sxtb16(w), acc);
    acc = __smlad(tinyts_sxtab16_ror8(off2, xv),
                  tinyts_sxtb16_ror8(w), acc);
  }
  for (; i < n; ++i)
    acc += (x[i] + off) * f[i];
  return acc;
}
#else
TINYTS_INLINE int32_t dot1_s8(const int8_t *x, const int8_t *f, int32_t n,
                              int32_t off, int32_t acc) {
  for (int32_t i = 0; i < n; ++i)
    acc += (x[i] + off) * f[i];
  return acc;
}

TINYTS_INLINE void dot2_s8(const int8_t *x, const int8_t *f0,
                           const int8_t *f1, int32_t n, int32_t off,
                           int32_t *acc0, int32_t *acc1) {
  int32_t a0 = *acc0, a1 = *acc1;
  for (int32_t i = 0; i < n; ++i) {
    const int32_t xv = x[i] + off;
    a0 += xv * f0[i];
    a1 += xv * f1[i];
  }
  *acc0 = a0;
  *acc1 = a1;
}
#endif

/// acc[2p + c] += sum_i (x_p[i] + off) * f_c[i] for pixels p and channels c
/// in {0, 1}: the inner kernel of the convolution.
#if TINYTS_DSP
TINYTS_INLINE void mac2x2_s8(const int8_t *x0, const int8_t *x1,
                             const int8_t *f0, const int8_t *f1, int32_t n,
                             int32_t off, int32_t *acc) {
  const uint32_t off2 = ((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16);
  int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
  // Two base pointers and two distances keep the loop within the register
  // file (x1 - x0 and f1 - f0 are loop invariant).
  const int32_t dx = (int32_t)(x1 - x0), df = (int32_t)(f1 - f0);
  const int8_t *xp = x0, *fp = f0;
  const int8_t *const fend = f0 + (n & ~3);
  while (fp < fend) {
    const uint32_t p = (uint32_t)tinyts_read_s32(xp);
    const uint32_t q = (uint32_t)tinyts_read_s32(xp + dx);
    const uint32_t pe = __sxtab16(off2, p);
    const uint32_t po = tinyts_sxtab16_ror8(off2, p);
    const uint32_t qe = __sxtab16(off2, q);
    const uint32_t qo = tinyts_sxtab16_ror8(off2, q);
    const uint32_t w0 = (uint32_t)tinyts_read_s32(fp);
    const uint32_t w0e = __sxtb16(w0);
    a00 = __smlad(pe, w0e, a00);
    a10 = __smlad(qe, w0e, a10);
    const uint32_t w0o = tinyts_sxtb16_ror8(w0);
    a00 = __smlad(po, w0o, a00);
    a10 = __smlad(qo, w0o, a10);
    const uint32_t w1 = (uint32_t)tinyts_read_s32(fp + df);
    const uint32_t w1e = __sxtb16(w1);
    a01 = __smlad(pe, w1e, a01);
    a11 = __smlad(qe, w1e, a11);
    const uint32_t w1o = tinyts_sxtb16_ror8(w1);
    a01 = __smlad(po, w1o, a01);
    a11 = __smlad(qo, w1o, a11);
    xp += 4;
    fp += 4;
  }
  int32_t i = n & ~3;
  for (; i < n; ++i) {
    const int32_t p = x0[i] + off, q = x1[i] + off;
    a00 += p * f0[i];
    a01 += p * f1[i];
    a10 += q * f0[i];
    a11 += q * f1[i];
  }
  acc[0] = a00;
  acc[1] = a01;
  acc[2] = a10;
  acc[3] = a11;
}
#else
TINYTS_INLINE void mac2x2_s8(const int8_t *x0, const int8_t *x1,
                             const int8_t *f0, const int8_t *f1, int32_t n,
                             int32_t off, int32_t *acc) {
  int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
  for (int32_t i = 0; i < n; ++i) {
    const int32_t p = x0[i] + off, q = x1[i] + off;
    a00 += p * f0[i];
    a01 += p * f1[i];
    a10 += q * f0[i];
    a11 += q * f1[i];
  }
  acc[0] = a00;
  acc[1] = a01;
  acc[2] = a10;
  acc[3] = a11;
}
#endif

/// Copy n bytes (small n: no libc call).
TINYTS_INLINE void copy_s8(int8_t *dst, const int8_t *src, int32_t n) {
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    int32_t w;
    memcpy(&w, src + i, 4);
    memcpy(dst + i, &w, 4);
  }
  for (; i < n; ++i)
    dst[i] = src[i];
}

/// Gather the kh x kw x in_c window of output pixel (oy, ox) into `patch`;
/// taps outside the input get the input zero point (-input_offset).
static void im2col_s8(const int8_t *input, int32_t in_h, int32_t in_w,
                      int32_t in_c, int32_t in_row_stride,
                      int32_t in_pix_stride, int32_t iy0, int32_t ix0,
                      int32_t kh, int32_t kw, int32_t dil_h, int32_t dil_w,
                      int8_t pad, int8_t *patch) {
  for (int32_t ky = 0; ky < kh; ++ky) {
    const int32_t iy = iy0 + ky * dil_h;
    const int row_ok = iy >= 0 && iy < in_h;
    for (int32_t kx = 0; kx < kw; ++kx) {
      const int32_t ix = ix0 + kx * dil_w;
      if (row_ok && ix >= 0 && ix < in_w)
        copy_s8(patch, input + iy * in_row_stride + ix * in_pix_stride, in_c);
      else
        memset(patch, pad, (size_t)in_c);
      patch += in_c;
    }
  }
}

/// Convolution as pairs of output pixels, each a K-vector (a direct input
/// pointer for 1x1 without padding, otherwise an im2col patch in scratch),
/// times the [out_c][K] filter.
static void conv_pairs_s8(const int8_t *input, int32_t in_h, int32_t in_w,
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
                          int32_t act_min, int32_t act_max, int8_t *scratch) {
  const int32_t k = kh * kw * in_c;
  const int32_t npix = out_h * out_w;
  const int8_t pad = (int8_t)(-input_offset);
  const int fast = tinyts_fast_requant_ok(bias, shift, out_c, k);
  for (int32_t q = 0; q < npix; q += 2) {
    const int32_t two = q + 1 < npix;
    const int32_t oy0 = q / out_w, ox0 = q - oy0 * out_w;
    const int32_t q1 = two ? q + 1 : q;
    const int32_t oy1 = q1 / out_w, ox1 = q1 - oy1 * out_w;
    const int8_t *x0, *x1;
    if (scratch == NULL) { // 1x1, no padding
      x0 = input + oy0 * stride_h * in_row_stride + ox0 * stride_w * in_pix_stride;
      x1 = input + oy1 * stride_h * in_row_stride + ox1 * stride_w * in_pix_stride;
    } else {
      im2col_s8(input, in_h, in_w, in_c, in_row_stride, in_pix_stride,
                oy0 * stride_h - pad_top, ox0 * stride_w - pad_left, kh, kw,
                dil_h, dil_w, pad, scratch);
      if (two)
        im2col_s8(input, in_h, in_w, in_c, in_row_stride, in_pix_stride,
                  oy1 * stride_h - pad_top, ox1 * stride_w - pad_left, kh, kw,
                  dil_h, dil_w, pad, scratch + k);
      x0 = scratch;
      x1 = two ? scratch + k : scratch;
    }
    int8_t *o0 = output + oy0 * out_row_stride + ox0 * out_pix_stride;
    int8_t *o1 = output + oy1 * out_row_stride + ox1 * out_pix_stride;
    if (!two) // a lone last pixel: its outputs are written twice (same bytes)
      o1 = o0;
    const int8_t *f = filter;
    int32_t oc = 0;
    if (fast) {
      for (; oc + 2 <= out_c; oc += 2, f += 2 * k) {
        int32_t acc[4];
        acc[0] = acc[2] = bias ? bias[oc] : 0;
        acc[1] = acc[3] = bias ? bias[oc + 1] : 0;
        mac2x2_s8(x0, x1, f, f + k, k, input_offset, acc);
        const int32_t m0 = multiplier[oc], e0 = -shift[oc];
        const int32_t m1 = multiplier[oc + 1], e1 = -shift[oc + 1];
        o0[oc] = tinyts_requant_fast(acc[0], m0, e0, output_offset, act_min, act_max);
        o0[oc + 1] = tinyts_requant_fast(acc[1], m1, e1, output_offset, act_min, act_max);
        o1[oc] = tinyts_requant_fast(acc[2], m0, e0, output_offset, act_min, act_max);
        o1[oc + 1] = tinyts_requant_fast(acc[3], m1, e1, output_offset, act_min, act_max);
      }
    } else {
      for (; oc + 2 <= out_c; oc += 2, f += 2 * k) {
        int32_t acc[4];
        acc[0] = acc[2] = bias ? bias[oc] : 0;
        acc[1] = acc[3] = bias ? bias[oc + 1] : 0;
        mac2x2_s8(x0, x1, f, f + k, k, input_offset, acc);
        const int32_t m0 = multiplier[oc], s0 = shift[oc];
        const int32_t m1 = multiplier[oc + 1], s1 = shift[oc + 1];
        o0[oc] = tinyts_requant_s8(acc[0], m0, s0, output_offset, act_min, act_max);
        o0[oc + 1] = tinyts_requant_s8(acc[1], m1, s1, output_offset, act_min, act_max);
        o1[oc] = tinyts_requant_s8(acc[2], m0, s0, output_offset, act_min, act_max);
        o1[oc + 1] = tinyts_requant_s8(acc[3], m1, s1, output_offset, act_min, act_max);
      }
    }
    if (oc < out_c) {
      int32_t acc[4];
      acc[0] = acc[1] = acc[2] = acc[3] = bias ? bias[oc] : 0;
      mac2x2_s8(x0, x1, f, f, k, input_offset, acc);
      o0[oc] = tinyts_requant_s8(acc[0], multiplier[oc], shift[oc], output_offset,
                                 act_min, act_max);
      o1[oc] = tinyts_requant_s8(acc[2], multiplier[oc], shift[oc],
                                 output_offset, act_min, act_max);
    }
  }
}

/// Requantize through the fast path when the call allows it.
TINYTS_INLINE int8_t conv_requant(int fast, int32_t acc, int32_t m,
                                  int32_t s, int32_t output_offset,
                                  int32_t act_min, int32_t act_max) {
  return fast ? tinyts_requant_fast(acc, m, -s, output_offset, act_min, act_max)
              : tinyts_requant_s8(acc, m, s, output_offset, act_min, act_max);
}

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
                      int32_t act_min, int32_t act_max, int8_t *scratch) {
  const int pointwise = kh == 1 && kw == 1 && pad_top == 0 &&
                        pad_left == 0 && (out_h - 1) * stride_h < in_h &&
                        (out_w - 1) * stride_w < in_w;
  if (pointwise || scratch != NULL) {
    conv_pairs_s8(input, in_h, in_w, in_c, in_row_stride, in_pix_stride,
                  filter, bias, output, out_h, out_w, out_c, out_row_stride,
                  out_pix_stride, kh, kw, stride_h, stride_w, dil_h, dil_w,
                  pad_top, pad_left, input_offset, output_offset, multiplier,
                  shift, act_min, act_max, pointwise ? NULL : scratch);
    return;
  }
  // Tap-by-tap fallback (no scratch): same arithmetic, no gather.
  const int fast = tinyts_fast_requant_ok(bias, shift, out_c, kh * kw * in_c);
  const int32_t tap_stride = in_c;           // filter elements per tap
  const int32_t oc_stride = kh * kw * in_c;  // filter elements per out chan
  for (int32_t oy = 0; oy < out_h; ++oy) {
    const int32_t iy0 = oy * stride_h - pad_top;
    for (int32_t ox = 0; ox < out_w; ++ox) {
      const int32_t ix0 = ox * stride_w - pad_left;
      int8_t *o = output + oy * out_row_stride + ox * out_pix_stride;
      int32_t oc = 0;
      for (; oc + 2 <= out_c; oc += 2) {
        int32_t a0 = bias ? bias[oc] : 0;
        int32_t a1 = bias ? bias[oc + 1] : 0;
        const int8_t *f0 = filter + oc * oc_stride;
        const int8_t *f1 = f0 + oc_stride;
        for (int32_t ky = 0; ky < kh; ++ky) {
          const int32_t iy = iy0 + ky * dil_h;
          if (iy < 0 || iy >= in_h)
            continue;
          const int8_t *in_row = input + iy * in_row_stride;
          for (int32_t kx = 0; kx < kw; ++kx) {
            const int32_t ix = ix0 + kx * dil_w;
            if (ix < 0 || ix >= in_w)
              continue;
            const int32_t t = (ky * kw + kx) * tap_stride;
            dot2_s8(in_row + ix * in_pix_stride, f0 + t, f1 + t, in_c,
                    input_offset, &a0, &a1);
          }
        }
        o[oc] = conv_requant(fast, a0, multiplier[oc], shift[oc],
                             output_offset, act_min, act_max);
        o[oc + 1] = conv_requant(fast, a1, multiplier[oc + 1], shift[oc + 1],
                                 output_offset, act_min, act_max);
      }
      for (; oc < out_c; ++oc) {
        int32_t a = bias ? bias[oc] : 0;
        const int8_t *f0 = filter + oc * oc_stride;
        for (int32_t ky = 0; ky < kh; ++ky) {
          const int32_t iy = iy0 + ky * dil_h;
          if (iy < 0 || iy >= in_h)
            continue;
          const int8_t *in_row = input + iy * in_row_stride;
          for (int32_t kx = 0; kx < kw; ++kx) {
            const int32_t ix = ix0 + kx * dil_w;
            if (ix < 0 || ix >= in_w)
              continue;
            a = dot1_s8(in_row + ix * in_pix_stride,
                        f0 + (ky * kw + kx) * tap_stride, in_c, input_offset,
                        a);
          }
        }
        o[oc] = conv_requant(fast, a, multiplier[oc], shift[oc],
                             output_offset, act_min, act_max);
      }
    }
  }
}
