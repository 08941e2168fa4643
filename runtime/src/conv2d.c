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
// 2 pixels x 2 output channels; the last pixel of an odd pixel count gets a
// one-pixel kernel (1 pixel x 4 output channels).  Under __ARM_FEATURE_DSP
// the inner kernels unpack four int8 values per 32-bit load with
// SXTAB16/SXTB16 (adding the input offset for free) and accumulate with
// SMLAD.
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
/// Four elements of mac2x2: words at XP, XQ (pixels), FA, FB (channels).
#define TINYTS_MAC2X2_STEP(XP, XQ, FA, FB)                                     \
  do {                                                                         \
    const uint32_t p_ = (uint32_t)tinyts_read_s32(XP);                         \
    const uint32_t q_ = (uint32_t)tinyts_read_s32(XQ);                         \
    const uint32_t pe_ = __sxtab16(off2, p_);                                  \
    const uint32_t po_ = tinyts_sxtab16_ror8(off2, p_);                        \
    const uint32_t qe_ = __sxtab16(off2, q_);                                  \
    const uint32_t qo_ = tinyts_sxtab16_ror8(off2, q_);                        \
    const uint32_t w0_ = (uint32_t)tinyts_read_s32(FA);                        \
    const uint32_t w0e_ = __sxtb16(w0_);                                       \
    a00 = __smlad(pe_, w0e_, a00);                                             \
    a10 = __smlad(qe_, w0e_, a10);                                             \
    const uint32_t w0o_ = tinyts_sxtb16_ror8(w0_);                             \
    a00 = __smlad(po_, w0o_, a00);                                             \
    a10 = __smlad(qo_, w0o_, a10);                                             \
    const uint32_t w1_ = (uint32_t)tinyts_read_s32(FB);                        \
    const uint32_t w1e_ = __sxtb16(w1_);                                       \
    a01 = __smlad(pe_, w1e_, a01);                                             \
    a11 = __smlad(qe_, w1e_, a11);                                             \
    const uint32_t w1o_ = tinyts_sxtb16_ror8(w1_);                             \
    a01 = __smlad(po_, w1o_, a01);                                             \
    a11 = __smlad(qo_, w1o_, a11);                                             \
  } while (0)

/// mac2x2_s8 for a compile-time K (a multiple of 4) with f1 = f0 + K: fully
/// unrolled, every address a base register plus an immediate, so the
/// accumulators, offsets and temporaries all stay in registers.
TINYTS_INLINE void mac2x2_unrolled_s8(const int8_t *x0, const int8_t *x1,
                                      const int8_t *f0, int32_t K,
                                      int32_t off, int32_t *acc) {
  const uint32_t off2 = ((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16);
  int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
#pragma GCC unroll 32
  for (int32_t j = 0; j < K; j += 4)
    TINYTS_MAC2X2_STEP(x0 + j, x1 + j, f0 + j, f0 + K + j);
  acc[0] = a00;
  acc[1] = a01;
  acc[2] = a10;
  acc[3] = a11;
}

/// mac2x2_s8 for k a multiple of 16 with f1 = f0 + k: 16 elements per
/// iteration, unrolled, so that what does not fit the register file is
/// reloaded once per 16 elements instead of every 4.
TINYTS_INLINE void mac2x2_k16_s8(const int8_t *x0, const int8_t *x1,
                                 const int8_t *f0, int32_t k, int32_t off,
                                 int32_t *acc) {
  const uint32_t off2 = ((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16);
  int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
  const int8_t *xa = x0, *xb = x1, *fa = f0;
  const int8_t *const fend = f0 + k;
  do {
    const int8_t *const fb = fa + k;
    TINYTS_MAC2X2_STEP(xa, xb, fa, fb);
    TINYTS_MAC2X2_STEP(xa + 4, xb + 4, fa + 4, fb + 4);
    TINYTS_MAC2X2_STEP(xa + 8, xb + 8, fa + 8, fb + 8);
    TINYTS_MAC2X2_STEP(xa + 12, xb + 12, fa + 12, fb + 12);
    xa += 16;
    xb += 16;
    fa += 16;
  } while (fa < fend);
  acc[0] = a00;
  acc[1] = a01;
  acc[2] = a10;
  acc[3] = a11;
}

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
    TINYTS_MAC2X2_STEP(xp, xp + dx, fp, fp + df);
    xp += 4;
    fp += 4;
  }
  int32_t i = n & ~3;
  if (i < n && n >= 4) {
    // The last n % 4 elements: one word ending at element n - 1, shifted so
    // that the elements already done become zero bytes (zero weights, so
    // they add nothing whatever the input lanes hold).
    const int32_t sh = 8 * (4 - (n & 3));
    const uint32_t p = (uint32_t)tinyts_read_s32(x0 + n - 4) >> sh;
    const uint32_t q = (uint32_t)tinyts_read_s32(x1 + n - 4) >> sh;
    const uint32_t w0 = (uint32_t)tinyts_read_s32(f0 + n - 4) >> sh;
    const uint32_t w1 = (uint32_t)tinyts_read_s32(f1 + n - 4) >> sh;
    const uint32_t pe = __sxtab16(off2, p), po = tinyts_sxtab16_ror8(off2, p);
    const uint32_t qe = __sxtab16(off2, q), qo = tinyts_sxtab16_ror8(off2, q);
    const uint32_t w0e = __sxtb16(w0), w0o = tinyts_sxtb16_ror8(w0);
    const uint32_t w1e = __sxtb16(w1), w1o = tinyts_sxtb16_ror8(w1);
    a00 = __smlad(po, w0o, __smlad(pe, w0e, a00));
    a10 = __smlad(qo, w0o, __smlad(qe, w0e, a10));
    a01 = __smlad(po, w1o, __smlad(pe, w1e, a01));
    a11 = __smlad(qo, w1o, __smlad(qe, w1e, a11));
    i = n;
  }
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

/// Output channel pairs [0, out_c & ~1) of two output pixels with the fast
/// requantizer and the output offset folded into its rounding term (every
/// channel fast, every shift >= -22); `full` selects the SSAT clamp.
TINYTS_INLINE void conv_chan_pairs_folded_u(
    const int8_t *x0, const int8_t *x1, const int8_t *f, int32_t k,
    int32_t out_c, const int32_t *bias, const int32_t *multiplier,
    const int32_t *shift, int32_t input_offset, int32_t output_offset,
    int32_t act_min, int32_t act_max, int8_t *o0, int8_t *o1, int full,
    int unrolled) {
  for (int32_t oc = 0; oc + 2 <= out_c; oc += 2, f += 2 * k) {
    int32_t acc[4];
    acc[0] = acc[2] = bias ? bias[oc] : 0;
    acc[1] = acc[3] = bias ? bias[oc + 1] : 0;
#if TINYTS_DSP
    if (unrolled == 2)
      mac2x2_k16_s8(x0, x1, f, k, input_offset, acc);
    else if (unrolled)
      mac2x2_unrolled_s8(x0, x1, f, k, input_offset, acc);
    else
#else
    (void)unrolled;
#endif
      mac2x2_s8(x0, x1, f, f + k, k, input_offset, acc);
    const int32_t m0 = multiplier[oc], e0 = -shift[oc];
    const int32_t m1 = multiplier[oc + 1], e1 = -shift[oc + 1];
    const int32_t r0 = tinyts_folded_rnd(e0, output_offset);
    const int32_t r1 = tinyts_folded_rnd(e1, output_offset);
    o0[oc] = tinyts_clamp_s8(tinyts_requant_folded(acc[0], m0, r0, e0), full,
                             act_min, act_max);
    o1[oc] = tinyts_clamp_s8(tinyts_requant_folded(acc[2], m0, r0, e0), full,
                             act_min, act_max);
    o0[oc + 1] = tinyts_clamp_s8(tinyts_requant_folded(acc[1], m1, r1, e1),
                                 full, act_min, act_max);
    o1[oc + 1] = tinyts_clamp_s8(tinyts_requant_folded(acc[3], m1, r1, e1),
                                 full, act_min, act_max);
  }
}

TINYTS_INLINE void conv_chan_pairs_folded(
    const int8_t *x0, const int8_t *x1, const int8_t *f, int32_t k,
    int32_t out_c, const int32_t *bias, const int32_t *multiplier,
    const int32_t *shift, int32_t input_offset, int32_t output_offset,
    int32_t act_min, int32_t act_max, int8_t *o0, int8_t *o1, int full) {
  conv_chan_pairs_folded_u(x0, x1, f, k, out_c, bias, multiplier, shift,
                           input_offset, output_offset, act_min, act_max, o0,
                           o1, full, 0);
}

#if TINYTS_DSP
/// Depths for conv_chan_pairs_kc: fully unrolled channel pairs for the common
/// pointwise depths of MobileNets / MCUNets (and the 10x4 KWS stem, K = 40),
/// 16 elements per loop iteration for the other multiples of 16.
#define TINYTS_CONV_KC(k)                                                      \
  ((k) == 24 || (k) == 40 || (k) == 56 || ((k) >= 32 && ((k) & 15) == 0))

/// conv_chan_pairs_folded for the depths of TINYTS_CONV_KC; out of line so
/// that each copy gets the register file to itself.
static __attribute__((noinline)) void conv_chan_pairs_kc(
    const int8_t *x0, const int8_t *x1, const int8_t *f, int32_t k,
    int32_t out_c, const int32_t *bias, const int32_t *multiplier,
    const int32_t *shift, int32_t input_offset, int32_t output_offset,
    int32_t act_min, int32_t act_max, int8_t *o0, int8_t *o1, int full) {
#define TINYTS_CONV_KC_CASE(K)                                                 \
  case K:                                                                      \
    if (full)                                                                  \
      conv_chan_pairs_folded_u(x0, x1, f, K, out_c, bias, multiplier, shift,   \
                               input_offset, output_offset, act_min, act_max,  \
                               o0, o1, 1, 1);                                  \
    else                                                                       \
      conv_chan_pairs_folded_u(x0, x1, f, K, out_c, bias, multiplier, shift,   \
                               input_offset, output_offset, act_min, act_max,  \
                               o0, o1, 0, 1);                                  \
    break
  switch (k) {
    TINYTS_CONV_KC_CASE(24);
    TINYTS_CONV_KC_CASE(32);
    TINYTS_CONV_KC_CASE(40);
    TINYTS_CONV_KC_CASE(48);
    TINYTS_CONV_KC_CASE(56);
    TINYTS_CONV_KC_CASE(64);
    TINYTS_CONV_KC_CASE(96);
  default: // k a multiple of 16 (TINYTS_CONV_KC)
    if (full)
      conv_chan_pairs_folded_u(x0, x1, f, k, out_c, bias, multiplier, shift,
                               input_offset, output_offset, act_min, act_max,
                               o0, o1, 1, 2);
    else
      conv_chan_pairs_folded_u(x0, x1, f, k, out_c, bias, multiplier, shift,
                               input_offset, output_offset, act_min, act_max,
                               o0, o1, 0, 2);
    break;
  }
#undef TINYTS_CONV_KC_CASE
}
#endif

/// A layer's parameters for the out-of-line pixel kernels, and its dead
/// output channels (see conv_sparse_init): channels [0, TINYTS_CONV_MASK_CH)
/// are classified, later ones count as live.
#define TINYTS_CONV_MASK_CH 256

typedef struct {
  const int8_t *filter;
  const int32_t *bias, *multiplier, *shift;
  int32_t k, out_c, nmask, input_offset, output_offset, act_min, act_max;
  int32_t headroom;
  uint32_t live[TINYTS_CONV_MASK_CH / 32]; // bit c: channel c's filter != 0
} conv_sparse_ctx;

#if TINYTS_DSP
/// Small pointwise depths (K = 8 with 4 pixels, K = 16 with 2 pixels), every
/// channel on the fast requantizer: the NP pixels' inputs are unpacked once
/// into offset-added, doubled halfword pairs (2 (x + off) fits 16 bits, so
/// SMLAD from 2 * bias yields the 2 * acc SMMULR wants), then each output
/// channel costs one filter row unpack, NP * K / 2 SMLADs and NP
/// requantizations, its bias / multiplier / shift loaded once per group.
TINYTS_INLINE void conv_pw_group(const int8_t *const *xs, int8_t *const *os,
                                 const int8_t *f, int32_t out_c, int32_t K,
                                 int32_t NP, const int32_t *bias,
                                 const int32_t *multiplier,
                                 const int32_t *shift, int32_t input_offset,
                                 int32_t output_offset, int32_t act_min,
                                 int32_t act_max, int full) {
  const uint32_t off2 = ((uint32_t)input_offset & 0xFFFFu) |
                        ((uint32_t)input_offset << 16);
  uint32_t xv[16]; // [NP][K / 2] doubled halfword pairs, NP * K == 32
  for (int32_t p = 0; p < NP; ++p)
    for (int32_t j = 0; j < K / 4; ++j) {
      const uint32_t v = (uint32_t)tinyts_read_s32(xs[p] + 4 * j);
      const uint32_t e = __sxtab16(off2, v), o = tinyts_sxtab16_ror8(off2, v);
      xv[p * (K / 2) + 2 * j] = __sadd16(e, e);
      xv[p * (K / 2) + 2 * j + 1] = __sadd16(o, o);
    }
  int8_t *const o0 = os[0], *const o1 = os[1];
  int8_t *const o2 = os[NP > 2 ? 2 : 1], *const o3 = os[NP > 3 ? 3 : 1];
  for (int32_t oc = 0; oc < out_c; ++oc, f += K) {
    const int32_t b2 = bias ? 2 * bias[oc] : 0;
    int32_t acc[4];
    for (int32_t p = 0; p < NP; ++p)
      acc[p] = b2;
    for (int32_t j = 0; j < K / 4; ++j) {
      const uint32_t w = (uint32_t)tinyts_read_s32(f + 4 * j);
      const uint32_t we = __sxtb16(w), wo = tinyts_sxtb16_ror8(w);
      for (int32_t p = 0; p < NP; ++p) {
        acc[p] = __smlad(xv[p * (K / 2) + 2 * j], we, acc[p]);
        acc[p] = __smlad(xv[p * (K / 2) + 2 * j + 1], wo, acc[p]);
      }
    }
    const int32_t m = multiplier[oc], e = -shift[oc];
    const int32_t r = (int32_t)(1u << (e - 1));
    for (int32_t p = 0; p < NP; ++p) {
      int32_t s;
      __asm__("smmulr %0, %1, %2" : "=r"(s) : "r"(acc[p]), "r"(m));
      const int8_t v = tinyts_clamp_s8(((s + r + (s >> 31)) >> e) +
                                           output_offset,
                                       full, act_min, act_max);
      int8_t *const o = p == 0 ? o0 : p == 1 ? o1 : p == 2 ? o2 : o3;
      o[oc] = v;
    }
  }
}

/// conv_pw_group for K = 8 (4 pixels) or K = 16 (2 pixels).
static __attribute__((noinline)) void
conv_pw_small(const int8_t *const *xs, int8_t *const *os,
              const conv_sparse_ctx *a, int full) {
  const int8_t *const f = a->filter;
  const int32_t out_c = a->out_c;
  const int32_t *const bias = a->bias, *const multiplier = a->multiplier;
  const int32_t *const shift = a->shift;
  const int32_t input_offset = a->input_offset;
  const int32_t output_offset = a->output_offset;
  const int32_t act_min = a->act_min, act_max = a->act_max;
  if (a->k == 8) {
    if (full)
      conv_pw_group(xs, os, f, out_c, 8, 4, bias, multiplier, shift,
                    input_offset, output_offset, act_min, act_max, 1);
    else
      conv_pw_group(xs, os, f, out_c, 8, 4, bias, multiplier, shift,
                    input_offset, output_offset, act_min, act_max, 0);
  } else {
    if (full)
      conv_pw_group(xs, os, f, out_c, 16, 2, bias, multiplier, shift,
                    input_offset, output_offset, act_min, act_max, 1);
    else
      conv_pw_group(xs, os, f, out_c, 16, 2, bias, multiplier, shift,
                    input_offset, output_offset, act_min, act_max, 0);
  }
}
#endif

/// conv_chan_pairs_folded unrolled for K = 27 (3x3x3 stem convolutions); out
/// of line so that conv_pairs_s8's frame does not grow.
static __attribute__((noinline)) void conv_chan_pairs_k27(
    const int8_t *x0, const int8_t *x1, const int8_t *f, int32_t out_c,
    const int32_t *bias, const int32_t *multiplier, const int32_t *shift,
    int32_t input_offset, int32_t output_offset, int32_t act_min,
    int32_t act_max, int8_t *o0, int8_t *o1, int full) {
  if (full)
    conv_chan_pairs_folded(x0, x1, f, 27, out_c, bias, multiplier, shift,
                           input_offset, output_offset, act_min, act_max, o0,
                           o1, 1);
  else
    conv_chan_pairs_folded(x0, x1, f, 27, out_c, bias, multiplier, shift,
                           input_offset, output_offset, act_min, act_max, o0,
                           o1, 0);
}

/// Channel c may use conv_chan_pairs_folded (fast requantizer, shift >= -22).
TINYTS_INLINE int conv_foldable(const int32_t *bias, const int32_t *shift,
                                int32_t c, int32_t headroom) {
  return shift[c] >= -22 && tinyts_fast_requant_ch(bias, shift, c, headroom);
}

/// conv_requant_class bits: some channel may use the fast requantizer (see
/// tinyts_fast_requant_ch), every channel may, every channel may also fold
/// (conv_foldable).
#define TINYTS_CONV_ANY_FAST 1
#define TINYTS_CONV_ALL_FAST 2
#define TINYTS_CONV_ALL_FOLD 4
#define TINYTS_CONV_CLASS_BITS 7
/// Prepared flag: the layer takes the dead-channel path (conv_pair_sparse).
#define TINYTS_CONV_SPARSE 8

/// Classify the requantization of channels [0, n) in one pass that stops as
/// soon as the answer is known (every call of a banded layer pays for it).
static __attribute__((noinline)) int conv_requant_class(const int32_t *bias, const int32_t *shift,
                              int32_t n, int32_t headroom) {
  if (headroom < 0)
    return 0;
  // |b| <= headroom <=> (uint32)(b + headroom) <= 2 headroom (headroom < 2^30).
  const uint32_t h = (uint32_t)headroom, h2 = 2u * h;
  int32_t c = 0;
  // The leading quads of channels that fold (shift in [-22, -1], bias in
  // range), four channels per branch: s + 22 and ~s = -1 - s are both below
  // 2^31 (as unsigned) exactly when -22 <= s <= -1, b + h and h - b exactly
  // when -h <= b <= h (h < 2^30).  Every call of a banded layer pays this.
#define TINYTS_CONV_FOLD_BITS(S)                                               \
  (((uint32_t)(S) + 22u) | ~(uint32_t)(S))
#define TINYTS_CONV_BIAS_BITS(B) (((uint32_t)(B) + h) | (h - (uint32_t)(B)))
  if (bias) {
    for (; c + 4 <= n; c += 4) {
      const uint32_t bad =
          TINYTS_CONV_FOLD_BITS(shift[c]) |
          TINYTS_CONV_FOLD_BITS(shift[c + 1]) |
          TINYTS_CONV_FOLD_BITS(shift[c + 2]) |
          TINYTS_CONV_FOLD_BITS(shift[c + 3]) | TINYTS_CONV_BIAS_BITS(bias[c]) |
          TINYTS_CONV_BIAS_BITS(bias[c + 1]) |
          TINYTS_CONV_BIAS_BITS(bias[c + 2]) |
          TINYTS_CONV_BIAS_BITS(bias[c + 3]);
      if (bad >> 31)
        break;
    }
  } else {
    for (; c + 4 <= n; c += 4) {
      const uint32_t bad =
          TINYTS_CONV_FOLD_BITS(shift[c]) |
          TINYTS_CONV_FOLD_BITS(shift[c + 1]) |
          TINYTS_CONV_FOLD_BITS(shift[c + 2]) |
          TINYTS_CONV_FOLD_BITS(shift[c + 3]);
      if (bad >> 31)
        break;
    }
  }
#undef TINYTS_CONV_FOLD_BITS
#undef TINYTS_CONV_BIAS_BITS
  // The rest (a quad that failed, n % 4 channels) one by one.
  if (bias) {
    for (; c < n; ++c)
      if ((uint32_t)(shift[c] + 22) > 21u || (uint32_t)bias[c] + h > h2)
        break;
  } else {
    for (; c < n; ++c)
      if ((uint32_t)(shift[c] + 22) > 21u)
        break;
  }
  if (c == n)
    return (n > 0 ? TINYTS_CONV_ANY_FAST : 0) | TINYTS_CONV_ALL_FAST |
           TINYTS_CONV_ALL_FOLD;
  // Channel c does not fold; the rest decides ALL_FAST / ANY_FAST.
  int any = c > 0;
  for (; c < n; ++c) {
    if ((uint32_t)(shift[c] + 31) > 30u ||
        (bias && (uint32_t)bias[c] + h > h2)) {
      if (any)
        return TINYTS_CONV_ANY_FAST; // some fast, some not
      // Not fast: find any fast channel.
      for (++c; c < n; ++c)
        if (tinyts_fast_requant_ch(bias, shift, c, headroom))
          return TINYTS_CONV_ANY_FAST;
      return 0;
    }
    any = 1;
  }
  return TINYTS_CONV_ANY_FAST | TINYTS_CONV_ALL_FAST;
}

// Input rows (tinyts_rows): addresses are formed once per output row
// (conv_win_row), never in the inner loops.

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

/// Window rows whose addresses conv_cursor keeps (the rows of taller
/// kernels are addressed by im2col_s8 itself).
#define TINYTS_CONV_WROWS 10

/// The rows of the current output row's windows (im2col) and what is
/// needed to form them.
typedef struct {
  const int8_t *wr[TINYTS_CONV_WROWS]; // window row ky (NULL: padding)
  const tinyts_rows *in;
  int32_t in_h, stride_h, pad_top, kh, dil_h;
  int32_t oy;
} conv_win;

/// Input row addresses of output row oy: returns the pointwise input row
/// oy * stride_h (without im2col) or fills w->wr.
static __attribute__((noinline)) const int8_t *
conv_win_row(conv_win *w, int32_t oy, int im2col) {
  w->oy = oy;
  if (!im2col)
    return tinyts_row(w->in, oy * w->stride_h);
  const int32_t iy0 = oy * w->stride_h - w->pad_top;
  const int32_t n = w->kh < TINYTS_CONV_WROWS ? w->kh : TINYTS_CONV_WROWS;
  for (int32_t ky = 0; ky < n; ++ky) {
    const int32_t iy = iy0 + ky * w->dil_h;
    w->wr[ky] = iy >= 0 && iy < w->in_h ? tinyts_row(w->in, iy) : NULL;
  }
  return NULL;
}

/// Gather the kh x kw x in_c window of an output pixel of row w->oy (input
/// column ix0 first) into `patch`; taps outside the input get the input
/// zero point (-input_offset).
static void im2col_s8(const conv_win *w, int32_t in_w, int32_t in_c,
                      int32_t in_pix_stride, int32_t ix0, int32_t kw,
                      int32_t dil_w, int8_t pad, int8_t *patch) {
  // A window row is one contiguous run of bytes when the pixels are dense.
  const int dense = dil_w == 1 && in_pix_stride == in_c && ix0 >= 0 &&
                    ix0 + kw <= in_w;
  const int32_t kh = w->kh;
  for (int32_t ky = 0; ky < kh; ++ky) {
    const int8_t *row;
    if (ky < TINYTS_CONV_WROWS) {
      row = w->wr[ky];
    } else {
      const int32_t iy = w->oy * w->stride_h - w->pad_top + ky * w->dil_h;
      row = iy >= 0 && iy < w->in_h ? tinyts_row(w->in, iy) : NULL;
    }
    if (row == NULL || dense) {
      if (row != NULL)
        copy_s8(patch, row + ix0 * in_pix_stride, kw * in_c);
      else
        memset(patch, pad, (size_t)(kw * in_c));
      patch += kw * in_c;
      continue;
    }
    for (int32_t kx = 0; kx < kw; ++kx) {
      const int32_t ix = ix0 + kx * dil_w;
      if (ix >= 0 && ix < in_w)
        copy_s8(patch, row + ix * in_pix_stride, in_c);
      else
        memset(patch, pad, (size_t)in_c);
      patch += in_c;
    }
  }
}

//===----------------------------------------------------------------------===//
// Dead output channels (an all-zero filter): acc == bias for every pixel, so
// the output is one constant per channel.  Layers pruned this way (e.g.
// mlc_vww_96_int8's 6x6x128 pointwise convolutions, ~3/4 of the channels
// dead with biases near 2^30) skip their MACs; the live channels are paired
// up across the gaps and requantized channel by channel (fast where exact).
//===----------------------------------------------------------------------===//

TINYTS_INLINE int32_t conv_ctz(uint32_t w) {
#if defined(__GNUC__)
  return __builtin_ctz(w);
#else
  int32_t n = 0;
  while (!(w & 1u)) {
    w >>= 1;
    ++n;
  }
  return n;
#endif
}

/// First live channel >= ch (out_c if none).
TINYTS_INLINE int32_t conv_next_live(const conv_sparse_ctx *c, int32_t ch) {
  while (ch < c->nmask) {
    const uint32_t w = c->live[ch >> 5] >> (ch & 31);
    if (w)
      return ch + conv_ctz(w);
    ch = (ch | 31) + 1;
  }
  return ch < c->out_c ? ch : c->out_c;
}

/// Requantize channel ch (folded fast path where exact, else TFLite's).
TINYTS_INLINE int8_t conv_requant_ch(const conv_sparse_ctx *c, int32_t ch,
                                     int32_t acc) {
  const int32_t m = c->multiplier[ch], s = c->shift[ch];
  if (s >= -22 && tinyts_fast_requant_ch(c->bias, c->shift, ch, c->headroom))
    return tinyts_clamp_s8(
        tinyts_requant_folded(acc, m, tinyts_folded_rnd(-s, c->output_offset),
                              -s),
        0, c->act_min, c->act_max);
  return tinyts_requant_s8(acc, m, s, c->output_offset, c->act_min,
                           c->act_max);
}

/// A 32-bit word that may alias the int8 filter.
typedef uint32_t conv_word __attribute__((may_alias));

/// Non-zero if a word in [p, end) is (word aligned, a multiple of 8 words
/// apart): about two instructions per word (LDRDs, one test per 8 words).
static __attribute__((noinline)) int conv_any_word8(const conv_word *p,
                                                    const conv_word *end) {
  do {
    const uint32_t v =
        (p[0] | p[1]) | (p[2] | p[3]) | (p[4] | p[5]) | (p[6] | p[7]);
    p += 8;
    if (v)
      return 1;
  } while (p != end);
  return 0;
}

/// Non-zero if the k-element filter f has a non-zero element: live filters
/// almost always show it in their first word, dead ones are read in full.
TINYTS_INLINE int conv_filter_live(const int8_t *f, int32_t k) {
  int32_t i = 0;
  if (k >= 4 && tinyts_read_s32(f))
    return 1;
  if (k >= 32 && ((uintptr_t)f & 3u) == 0) {
    i = k & ~31;
    if (conv_any_word8((const conv_word *)(const void *)f,
                       (const conv_word *)(const void *)(f + i)))
      return 1;
  }
  for (; i + 16 <= k; i += 16)
    if ((tinyts_read_s32(f + i) | tinyts_read_s32(f + i + 4)) |
        (tinyts_read_s32(f + i + 8) | tinyts_read_s32(f + i + 12)))
      return 1;
  for (; i + 4 <= k; i += 4)
    if (tinyts_read_s32(f + i))
      return 1;
  for (; i < k; ++i)
    if (f[i])
      return 1;
  return 0;
}

/// The dead-channel path is worth it when at least 1/4 of the channels are
/// dead (the per-channel requantization costs a little on every live one).
TINYTS_INLINE int conv_sparse_worth(int32_t dead, int32_t out_c) {
  return dead * 4 >= out_c;
}

/// Classify the channels; returns the number of dead ones.
static __attribute__((noinline)) int32_t conv_sparse_init(conv_sparse_ctx *c) {
  int32_t dead = 0;
  c->nmask = c->out_c < TINYTS_CONV_MASK_CH ? c->out_c : TINYTS_CONV_MASK_CH;
  const int8_t *f = c->filter;
  for (int32_t i = 0; i * 32 < c->nmask; ++i) {
    const int32_t n = c->nmask - i * 32 < 32 ? c->nmask - i * 32 : 32;
    uint32_t live = 0;
    for (int32_t b = 0; b < n; ++b, f += c->k)
      if (conv_filter_live(f, c->k))
        live |= 1u << b;
      else
        ++dead;
    c->live[i] = live;
  }
  return dead;
}

/// The dead channels of two pixels' outputs o0, o1 (the same pointer for a
/// lone pixel): their constants, copied from `first` (an earlier pixel's
/// output) or computed when it is NULL.
TINYTS_INLINE void conv_fill_dead(const conv_sparse_ctx *c, int8_t *o0,
                                  int8_t *o1, const int8_t *first) {
  for (int32_t i = 0; i * 32 < c->nmask; ++i) {
    uint32_t w = ~c->live[i];
    if (c->nmask - i * 32 < 32)
      w &= (1u << (c->nmask - i * 32)) - 1u;
    while (w) {
      const int32_t ch = i * 32 + conv_ctz(w);
      w &= w - 1u;
      const int8_t v =
          first ? first[ch]
                : tinyts_requant_s8(c->bias ? c->bias[ch] : 0,
                                    c->multiplier[ch], c->shift[ch],
                                    c->output_offset, c->act_min, c->act_max);
      o0[ch] = v;
      o1[ch] = v;
    }
  }
}

/// All output channels of two pixels (x0/o0, x1/o1).  `first` is the output
/// of an earlier pixel of this call (its dead channels already hold their
/// constants) or NULL.
static __attribute__((noinline)) void
conv_pair_sparse(const conv_sparse_ctx *c, const int8_t *x0, const int8_t *x1,
                 int8_t *o0, int8_t *o1, const int8_t *first) {
  const int32_t k = c->k, out_c = c->out_c;
  int32_t ca = conv_next_live(c, 0);
  while (ca < out_c) {
    const int32_t cb = conv_next_live(c, ca + 1);
    const int8_t *fa = c->filter + ca * k;
    int32_t acc[4];
    acc[0] = acc[2] = c->bias ? c->bias[ca] : 0;
    if (cb >= out_c) { // a lone last live channel
      acc[1] = acc[3] = acc[0];
      mac2x2_s8(x0, x1, fa, fa, k, c->input_offset, acc);
      o0[ca] = conv_requant_ch(c, ca, acc[0]);
      o1[ca] = conv_requant_ch(c, ca, acc[2]);
      break;
    }
    acc[1] = acc[3] = c->bias ? c->bias[cb] : 0;
    mac2x2_s8(x0, x1, fa, c->filter + cb * k, k, c->input_offset, acc);
    o0[ca] = conv_requant_ch(c, ca, acc[0]);
    o1[ca] = conv_requant_ch(c, ca, acc[2]);
    o0[cb] = conv_requant_ch(c, cb, acc[1]);
    o1[cb] = conv_requant_ch(c, cb, acc[3]);
    ca = conv_next_live(c, cb + 1);
  }
  conv_fill_dead(c, o0, o1, first);
}

//===----------------------------------------------------------------------===//
// A lone output pixel: with an odd pixel count (e.g. a one-row band of a
// 5-pixel-wide tensor) the last pixel of a call has no partner.  It gets
// its own kernels, one pixel x all output channels, instead of a pair that
// repeats it, so it costs about half a pair.  Same accumulators (bias +
// sum of (x + input_offset) * w, exact in int32) and the same requantizers
// as the pair kernels, so the same bytes.
//===----------------------------------------------------------------------===//

#if TINYTS_DSP
/// SMLAD of the unpacked pixel lanes xe_, xo_ (in scope) with the word W of
/// one output channel into accumulator A.
#define TINYTS_MAC1_WORD(A, W)                                                 \
  do {                                                                         \
    const uint32_t w_ = (W);                                                   \
    A = __smlad(xe_, __sxtb16(w_), A);                                         \
    A = __smlad(xo_, tinyts_sxtb16_ror8(w_), A);                               \
  } while (0)

/// Four elements of mac1x4_s8: the pixel's word at XP against the words of
/// four consecutive output channels at F, F + D, F + 2 D and F + 3 D.
#define TINYTS_MAC1X4_STEP(XP, F, D)                                           \
  do {                                                                         \
    const uint32_t x_ = (uint32_t)tinyts_read_s32(XP);                         \
    const uint32_t xe_ = __sxtab16(off2, x_);                                  \
    const uint32_t xo_ = tinyts_sxtab16_ror8(off2, x_);                        \
    TINYTS_MAC1_WORD(a0, (uint32_t)tinyts_read_s32(F));                        \
    TINYTS_MAC1_WORD(a1, (uint32_t)tinyts_read_s32((F) + (D)));                \
    TINYTS_MAC1_WORD(a2, (uint32_t)tinyts_read_s32((F) + 2 * (D)));            \
    TINYTS_MAC1_WORD(a3, (uint32_t)tinyts_read_s32((F) + 3 * (D)));            \
  } while (0)

/// acc[c] += sum_i (x[i] + off) * f[c K + i], i < K, for the four output
/// channels c < 4 of one pixel, K a compile-time multiple of 4: every
/// address is a base register plus an immediate, each input word is
/// unpacked once for the four channels, 16 elements per loop iteration.
TINYTS_INLINE void mac1x4_const_s8(const int8_t *x, const int8_t *f,
                                   int32_t K, int32_t off, int32_t *acc) {
  const uint32_t off2 = ((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16);
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  const int8_t *xp = x, *fp = f;
  const int8_t *f16 = f + (K & ~15);
#if defined(__GNUC__)
  // Keep the loop a loop: fully peeled, each K's copy would grow by half.
  __asm__("" : "+r"(f16));
#endif
  while (fp < f16) {
    TINYTS_MAC1X4_STEP(xp, fp, K);
    TINYTS_MAC1X4_STEP(xp + 4, fp + 4, K);
#if defined(__GNUC__)
    // The second half's loads wait for the first half's sums: GCC's
    // scheduler would otherwise start them early and run out of registers
    // (the input pointer spilled, about 15 extra instructions per 16
    // elements).
    __asm__("" : "+r"(xp), "+r"(fp) : "r"(a0), "r"(a1), "r"(a2), "r"(a3));
#endif
    TINYTS_MAC1X4_STEP(xp + 8, fp + 8, K);
    TINYTS_MAC1X4_STEP(xp + 12, fp + 12, K);
    xp += 16;
    fp += 16;
  }
  for (int32_t j = 0; j < (K & 15); j += 4)
    TINYTS_MAC1X4_STEP(xp + j, fp + j, K);
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/// mac1x4_const_s8 for any multiple of 4 k: one word per iteration;
/// channels 0 and 2 through their own pointers, channels 1 and 3 at the
/// register offset k from them.
TINYTS_INLINE void mac1x4_s8(const int8_t *x, const int8_t *f, int32_t k,
                             int32_t off, int32_t *acc) {
  const uint32_t off2 = ((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16);
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  const int8_t *xp = x, *fp = f, *fq = f + 2 * k;
  const int8_t *const xend = x + k;
  while (xp < xend) {
    const uint32_t x_ = (uint32_t)tinyts_read_s32(xp);
    const uint32_t xe_ = __sxtab16(off2, x_);
    const uint32_t xo_ = tinyts_sxtab16_ror8(off2, x_);
    xp += 4;
    TINYTS_MAC1_WORD(a1, (uint32_t)tinyts_read_s32(fp + k));
    TINYTS_MAC1_WORD(a0, (uint32_t)tinyts_read_s32(fp));
    fp += 4;
    TINYTS_MAC1_WORD(a3, (uint32_t)tinyts_read_s32(fq + k));
    TINYTS_MAC1_WORD(a2, (uint32_t)tinyts_read_s32(fq));
    fq += 4;
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/// The channel quads [0, out_c & ~3) of a lone pixel when every channel
/// folds (fast requantizer, output offset in the rounding term, as
/// conv_chan_pairs_folded) and k is a multiple of 4; returns the number of
/// channels done.  Only the MAC kernel depends on k: the depths
/// conv_chan_pairs_kc unrolls (TINYTS_CONV_KC) get a copy with a
/// compile-time k, the requantization is shared.  The layer's parameters
/// are read from *c in the loop (the MAC kernel needs the whole register
/// file, so they would be spilled anyway; a smaller frame, and this call
/// adds to conv_pairs_s8's peak stack).  `full`: the clamp is [-128, 127].
static __attribute__((noinline)) int32_t
conv_pixel_quads(const conv_sparse_ctx *c, const int8_t *x, int8_t *o,
                 int full) {
  static const int32_t zeros[4] = {0, 0, 0, 0};
  const int32_t n = c->out_c & ~3;
  for (int32_t oc = 0; oc < n; oc += 4) {
    const int32_t k = c->k;
    const int8_t *const f = c->filter + oc * k;
    const int32_t *const b = c->bias ? c->bias + oc : zeros;
    int32_t acc[4] = {b[0], b[1], b[2], b[3]};
#define TINYTS_CONV_PIX_CASE(K)                                                \
  case K:                                                                      \
    mac1x4_const_s8(x, f, K, c->input_offset, acc);                            \
    break
    switch (k) {
      TINYTS_CONV_PIX_CASE(24);
      TINYTS_CONV_PIX_CASE(32);
      TINYTS_CONV_PIX_CASE(40);
      TINYTS_CONV_PIX_CASE(48);
      TINYTS_CONV_PIX_CASE(56);
      TINYTS_CONV_PIX_CASE(64);
      TINYTS_CONV_PIX_CASE(96);
    default:
      mac1x4_s8(x, f, k, c->input_offset, acc);
      break;
    }
#undef TINYTS_CONV_PIX_CASE
    // Every parameter is read before the first int8 store (which could
    // alias them and force reloads).
    const int32_t *const m = c->multiplier + oc, *const sh = c->shift + oc;
    const int32_t output_offset = c->output_offset;
    const int32_t act_min = c->act_min, act_max = c->act_max;
    int32_t v[4];
    for (int32_t j = 0; j < 4; ++j) {
      const int32_t e = -sh[j];
      v[j] = tinyts_requant_folded(acc[j], m[j],
                                   tinyts_folded_rnd(e, output_offset), e);
    }
    if (full) {
      for (int32_t j = 0; j < 4; ++j)
        o[oc + j] = tinyts_clamp_s8(v[j], 1, act_min, act_max);
    } else {
      for (int32_t j = 0; j < 4; ++j)
        o[oc + j] = tinyts_clamp_s8(v[j], 0, act_min, act_max);
    }
  }
  return n;
}
#endif

/// Output channels [ca, out_c) of a lone pixel (input x, output o), in
/// pairs, each requantized as conv_requant_ch does (the folded fast path
/// where exact, else TFLite's); with `sparse`, only the live channels are
/// computed and the dead ones filled as conv_pair_sparse does (`first`: an
/// earlier pixel's output or NULL).
static __attribute__((noinline)) void
conv_pixel_rest(const conv_sparse_ctx *c, const int8_t *x, int8_t *o,
                int32_t ca, int sparse, const int8_t *first) {
  const int32_t k = c->k, out_c = c->out_c;
  if (sparse)
    ca = conv_next_live(c, ca);
  while (ca < out_c) {
    int32_t cb = sparse ? conv_next_live(c, ca + 1) : ca + 1;
    if (cb >= out_c)
      cb = ca; // a lone last (live) channel: computed twice, same bytes
    int32_t a0 = c->bias ? c->bias[ca] : 0;
    int32_t a1 = c->bias ? c->bias[cb] : 0;
    dot2_s8(x, c->filter + ca * k, c->filter + cb * k, k, c->input_offset,
            &a0, &a1);
    o[ca] = conv_requant_ch(c, ca, a0);
    o[cb] = conv_requant_ch(c, cb, a1);
    if (cb == ca)
      break;
    ca = sparse ? conv_next_live(c, cb + 1) : cb + 1;
  }
  if (sparse)
    conv_fill_dead(c, o, o, first);
}

/// Convolution as pairs of output pixels, each a K-vector (a direct input
/// pointer for 1x1 without padding, otherwise an im2col patch in scratch),
/// times the [out_c][K] filter.
static __attribute__((noinline)) void conv_pairs_s8(const tinyts_rows *in, int32_t in_h, int32_t in_w,
                          int32_t in_c, int32_t in_pix_stride, const int8_t *filter,
                          const int32_t *bias, int8_t *output, int32_t out_h,
                          int32_t out_w, int32_t out_c,
                          int32_t out_row_stride, int32_t out_pix_stride,
                          int32_t kh, int32_t kw, int32_t stride_h,
                          int32_t stride_w, int32_t dil_h, int32_t dil_w,
                          int32_t pad_top, int32_t pad_left,
                          int32_t input_offset, int32_t output_offset,
                          const int32_t *multiplier, const int32_t *shift,
                          int32_t act_min, int32_t act_max, int8_t *scratch,
                          const int32_t *prep) {
  const int32_t k = kh * kw * in_c;
  const int32_t npix = out_h * out_w;
  const int8_t pad = (int8_t)(-input_offset);
  int32_t headroom = tinyts_fast_requant_headroom(k);
  // The layer's requantization class and dead channels: prepared at compile
  // time (tinyts_conv2d_prepare_s8) or found here, on every call.
  const int cls = prep ? (int)(prep[0] & TINYTS_CONV_CLASS_BITS)
                       : conv_requant_class(bias, shift, out_c, headroom);
  const int fast = (cls & TINYTS_CONV_ALL_FAST) != 0;
  // Folded output offset (tinyts_requant_folded) needs every shift >= -22.
  const int fold = (cls & TINYTS_CONV_ALL_FOLD) != 0;
  const int any_fast = (cls & TINYTS_CONV_ANY_FAST) != 0;
  (void)fast; // the DSP small-depth path's
  if (!any_fast)
    headroom = -1; // every channel takes the exact requantizer
  const int full = act_min == -128 && act_max == 127;
  // The layer's parameters for conv_pair_sparse and conv_pw_small.
  conv_sparse_ctx sp;
  sp.filter = filter;
  sp.bias = bias;
  sp.multiplier = multiplier;
  sp.shift = shift;
  sp.k = k;
  sp.out_c = out_c;
  sp.input_offset = input_offset;
  sp.output_offset = output_offset;
  sp.act_min = act_min;
  sp.act_max = act_max;
  sp.headroom = headroom;
  int sparse = 0;
  if (!fold && any_fast) {
    if (prep) {
      sparse = (prep[0] & TINYTS_CONV_SPARSE) != 0;
      sp.nmask = out_c < TINYTS_CONV_MASK_CH ? out_c : TINYTS_CONV_MASK_CH;
      if (sparse)
        for (int32_t i = 0; i * 32 < sp.nmask; ++i)
          sp.live[i] = (uint32_t)prep[1 + i];
    } else {
      sparse = conv_sparse_worth(conv_sparse_init(&sp), out_c);
    }
  }
  const int8_t *first = NULL; // output of pixel 0 once written
  const int32_t x_step = stride_w * in_pix_stride; // pointwise pixel step
  const int im2col = scratch != NULL;
  conv_win win;
  win.in = in;
  win.in_h = in_h;
  win.stride_h = stride_h;
  win.pad_top = pad_top;
  win.kh = kh;
  win.dil_h = dil_h;
  // The pixel walk: (oy, ox), its output row and (pointwise) input row.
  int32_t oy = 0, ox = 0;
  int8_t *orow = output;
  const int8_t *xrow = npix > 0 ? conv_win_row(&win, 0, im2col) : NULL;
#define TINYTS_CONV_NEXT_PIXEL()                                               \
  do {                                                                         \
    if (++ox == out_w) {                                                       \
      ox = 0;                                                                  \
      orow += out_row_stride;                                                  \
      if (++oy < out_h)                                                        \
        xrow = conv_win_row(&win, oy, im2col);                                 \
    }                                                                          \
  } while (0)
  int32_t q = 0;
  // An odd pixel count leaves a lone last pixel, done after the pair loop
  // by conv_pixel_quads / conv_pixel_rest (decided here rather than from q
  // after the loop, which costs more instructions on every call).
  int lone = npix & 1;
#if TINYTS_DSP
  if (scratch == NULL && fast && !sparse && (k == 8 || k == 16)) {
    lone = 0;
    // Groups of 4 (K = 8) or 2 (K = 16) pixels; a short last group repeats
    // its last pixel (same bytes written twice).
    const int32_t np = k == 8 ? 4 : 2;
    for (; q < npix; q += np) {
      const int8_t *xs[4];
      int8_t *os[4];
      for (int32_t p = 0; p < np; ++p) {
        if (q + p < npix) {
          xs[p] = xrow + ox * x_step;
          os[p] = orow + ox * out_pix_stride;
          TINYTS_CONV_NEXT_PIXEL();
        } else {
          xs[p] = xs[p - 1];
          os[p] = os[p - 1];
        }
      }
      conv_pw_small(xs, os, &sp, full);
    }
  }
#endif
  for (; q < npix - lone; q += 2) {
    const int8_t *x0, *x1;
    int8_t *o0, *o1;
    // Pixels q and q + 1 (an odd last pixel is done after the loop).
    o0 = orow + ox * out_pix_stride;
    if (!im2col) { // 1x1, no padding
      x0 = xrow + ox * x_step;
    } else {
      im2col_s8(&win, in_w, in_c, in_pix_stride, ox * stride_w - pad_left,
                kw, dil_w, pad, scratch);
      x0 = scratch;
    }
    TINYTS_CONV_NEXT_PIXEL();
    o1 = orow + ox * out_pix_stride;
    if (!im2col) {
      x1 = xrow + ox * x_step;
    } else {
      im2col_s8(&win, in_w, in_c, in_pix_stride, ox * stride_w - pad_left,
                kw, dil_w, pad, scratch + k);
      x1 = scratch + k;
    }
    TINYTS_CONV_NEXT_PIXEL();
    if (sparse) {
      conv_pair_sparse(&sp, x0, x1, o0, o1, first);
      first = output;
      continue;
    }
    const int8_t *f = filter;
    int32_t oc = 0;
    if (fold) {
      // Small pointwise depths get fully unrolled copies (the MobileNetV2
      // bottleneck expansions have K = 8 or 16).
#define TINYTS_CONV_FOLDED(K, FULL)                                            \
  conv_chan_pairs_folded(x0, x1, filter, (K), out_c & ~1, bias, multiplier,    \
                         shift, input_offset, output_offset, act_min, act_max, \
                         o0, o1, (FULL))
      if (k == 27) {
        conv_chan_pairs_k27(x0, x1, filter, out_c & ~1, bias, multiplier,
                            shift, input_offset, output_offset, act_min,
                            act_max, o0, o1, full);
#if TINYTS_DSP
      } else if (TINYTS_CONV_KC(k)) {
        conv_chan_pairs_kc(x0, x1, filter, k, out_c & ~1, bias, multiplier,
                           shift, input_offset, output_offset, act_min,
                           act_max, o0, o1, full);
#endif
      } else if (full) {
        if (k == 8)
          TINYTS_CONV_FOLDED(8, 1);
        else if (k == 16)
          TINYTS_CONV_FOLDED(16, 1);
        else
          TINYTS_CONV_FOLDED(k, 1);
      } else {
        if (k == 8)
          TINYTS_CONV_FOLDED(8, 0);
        else if (k == 16)
          TINYTS_CONV_FOLDED(16, 0);
        else
          TINYTS_CONV_FOLDED(k, 0);
      }
#undef TINYTS_CONV_FOLDED
      oc = out_c & ~1;
      f = filter + oc * k;
    } else {
      // Runs of channel pairs that may use the folded fast requantizer go
      // through conv_chan_pairs_folded, the other pairs through the exact
      // one (per-channel decision: a few channels with huge biases or
      // shift >= 0 no longer slow down the whole layer).
      while (oc + 2 <= out_c) {
        int32_t end = oc;
        while (end + 2 <= out_c && conv_foldable(bias, shift, end, headroom) &&
               conv_foldable(bias, shift, end + 1, headroom))
          end += 2;
        if (end > oc) {
          if (k == 27) // 3x3x3 stems
            conv_chan_pairs_k27(x0, x1, f, end - oc, bias ? bias + oc : NULL,
                                multiplier + oc, shift + oc, input_offset,
                                output_offset, act_min, act_max, o0 + oc,
                                o1 + oc, full);
          else if (full)
            conv_chan_pairs_folded(x0, x1, f, k, end - oc, bias ? bias + oc : NULL,
                                   multiplier + oc, shift + oc, input_offset,
                                   output_offset, act_min, act_max, o0 + oc,
                                   o1 + oc, 1);
          else
            conv_chan_pairs_folded(x0, x1, f, k, end - oc, bias ? bias + oc : NULL,
                                   multiplier + oc, shift + oc, input_offset,
                                   output_offset, act_min, act_max, o0 + oc,
                                   o1 + oc, 0);
          f += (end - oc) * k;
          oc = end;
          continue;
        }
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
        oc += 2;
        f += 2 * k;
      }
    }
    if (oc < out_c) {
      int32_t acc[4];
      acc[0] = acc[1] = acc[2] = acc[3] = bias ? bias[oc] : 0;
      mac2x2_s8(x0, x1, f, f, k, input_offset, acc);
      if (tinyts_fast_requant_ch(bias, shift, oc, headroom)) {
        o0[oc] = tinyts_requant_fast(acc[0], multiplier[oc], -shift[oc],
                                     output_offset, act_min, act_max);
        o1[oc] = tinyts_requant_fast(acc[2], multiplier[oc], -shift[oc],
                                     output_offset, act_min, act_max);
      } else {
        o0[oc] = tinyts_requant_s8(acc[0], multiplier[oc], shift[oc],
                                   output_offset, act_min, act_max);
        o1[oc] = tinyts_requant_s8(acc[2], multiplier[oc], shift[oc],
                                   output_offset, act_min, act_max);
      }
    }
  }
#undef TINYTS_CONV_NEXT_PIXEL
  if (lone) { // the odd last pixel: about half a pair's work
    const int8_t *x0;
    if (!im2col) {
      x0 = xrow + ox * x_step;
    } else {
      im2col_s8(&win, in_w, in_c, in_pix_stride, ox * stride_w - pad_left,
                kw, dil_w, pad, scratch);
      x0 = scratch;
    }
    int8_t *const o0 = orow + ox * out_pix_stride;
    int32_t ca = 0;
#if TINYTS_DSP
    if (fold && (k & 3) == 0)
      ca = conv_pixel_quads(&sp, x0, o0, full);
#endif
    if (ca < out_c)
      conv_pixel_rest(&sp, x0, o0, ca, sparse, first);
  }
}

/// Requantize channel c through the fast path where it is exact.
TINYTS_INLINE int8_t conv_requant(int32_t headroom, const int32_t *bias,
                                  const int32_t *multiplier,
                                  const int32_t *shift, int32_t c,
                                  int32_t acc, int32_t output_offset,
                                  int32_t act_min, int32_t act_max) {
  return tinyts_fast_requant_ch(bias, shift, c, headroom)
             ? tinyts_requant_fast(acc, multiplier[c], -shift[c],
                                   output_offset, act_min, act_max)
             : tinyts_requant_s8(acc, multiplier[c], shift[c], output_offset,
                                 act_min, act_max);
}

/// Tap-by-tap convolution (no scratch): same arithmetic, no gather.
static __attribute__((noinline)) void conv_taps_s8(const tinyts_rows *in, int32_t in_h, int32_t in_w,
                      int32_t in_c, int32_t in_pix_stride, const int8_t *filter,
                      const int32_t *bias, int8_t *output, int32_t out_h,
                      int32_t out_w, int32_t out_c, int32_t out_row_stride,
                      int32_t out_pix_stride, int32_t kh, int32_t kw,
                      int32_t stride_h, int32_t stride_w, int32_t dil_h,
                      int32_t dil_w, int32_t pad_top, int32_t pad_left,
                      int32_t input_offset, int32_t output_offset,
                      const int32_t *multiplier, const int32_t *shift,
                      int32_t act_min, int32_t act_max, int8_t *scratch) {
  (void)scratch;
  const int32_t headroom = tinyts_fast_requant_headroom(kh * kw * in_c);
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
          const int8_t *in_row = tinyts_row(in, iy);
          for (int32_t kx = 0; kx < kw; ++kx) {
            const int32_t ix = ix0 + kx * dil_w;
            if (ix < 0 || ix >= in_w)
              continue;
            const int32_t t = (ky * kw + kx) * tap_stride;
            dot2_s8(in_row + ix * in_pix_stride, f0 + t, f1 + t, in_c,
                    input_offset, &a0, &a1);
          }
        }
        o[oc] = conv_requant(headroom, bias, multiplier, shift, oc, a0,
                             output_offset, act_min, act_max);
        o[oc + 1] = conv_requant(headroom, bias, multiplier, shift, oc + 1, a1,
                                 output_offset, act_min, act_max);
      }
      for (; oc < out_c; ++oc) {
        int32_t a = bias ? bias[oc] : 0;
        const int8_t *f0 = filter + oc * oc_stride;
        for (int32_t ky = 0; ky < kh; ++ky) {
          const int32_t iy = iy0 + ky * dil_h;
          if (iy < 0 || iy >= in_h)
            continue;
          const int8_t *in_row = tinyts_row(in, iy);
          for (int32_t kx = 0; kx < kw; ++kx) {
            const int32_t ix = ix0 + kx * dil_w;
            if (ix < 0 || ix >= in_w)
              continue;
            a = dot1_s8(in_row + ix * in_pix_stride,
                        f0 + (ky * kw + kx) * tap_stride, in_c, input_offset,
                        a);
          }
        }
        o[oc] = conv_requant(headroom, bias, multiplier, shift, oc, a,
                             output_offset, act_min, act_max);
      }
    }
  }
}

/// Both public entry points: pick the pair kernel (pointwise, or with an
/// im2col scratch) or the tap-by-tap fallback.
TINYTS_INLINE void conv2d_any(const tinyts_rows *in, int32_t in_h, int32_t in_w,
                       int32_t in_c, int32_t in_pix_stride,
                       const int8_t *filter, const int32_t *bias,
                       int8_t *output, int32_t out_h, int32_t out_w,
                       int32_t out_c, int32_t out_row_stride,
                       int32_t out_pix_stride, int32_t kh, int32_t kw,
                       int32_t stride_h, int32_t stride_w, int32_t dil_h,
                       int32_t dil_w, int32_t pad_top, int32_t pad_left,
                       int32_t input_offset, int32_t output_offset,
                       const int32_t *multiplier, const int32_t *shift,
                       int32_t act_min, int32_t act_max, int8_t *scratch,
                       const int32_t *prep) {
  const int pointwise = kh == 1 && kw == 1 && pad_top == 0 &&
                        pad_left == 0 && (out_h - 1) * stride_h < in_h &&
                        (out_w - 1) * stride_w < in_w;
  if (pointwise || scratch != NULL) {
    conv_pairs_s8(in, in_h, in_w, in_c, in_pix_stride, filter, bias, output,
                  out_h, out_w, out_c, out_row_stride, out_pix_stride, kh, kw,
                  stride_h, stride_w, dil_h, dil_w, pad_top, pad_left,
                  input_offset, output_offset, multiplier, shift, act_min,
                  act_max, pointwise ? NULL : scratch, prep);
    return;
  }
  conv_taps_s8(in, in_h, in_w, in_c, in_pix_stride, filter, bias, output,
               out_h, out_w, out_c, out_row_stride, out_pix_stride, kh, kw,
               stride_h, stride_w, dil_h, dil_w, pad_top, pad_left,
               input_offset, output_offset, multiplier, shift, act_min,
               act_max, scratch);
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
  const tinyts_rows in = {&input, 0, in_row_stride};
  conv2d_any(&in, in_h, in_w, in_c, in_pix_stride, filter, bias, output,
             out_h, out_w, out_c, out_row_stride, out_pix_stride, kh, kw,
             stride_h, stride_w, dil_h, dil_w, pad_top, pad_left,
             input_offset, output_offset, multiplier, shift, act_min, act_max,
             scratch, NULL);
}

void tinyts_conv2d_rows_s8(
    const int8_t *const *in_rows, int32_t in_h, int32_t in_w, int32_t in_c,
    int32_t in_pix_stride, const int8_t *filter, const int32_t *bias,
    int8_t *output, int32_t out_h, int32_t out_w, int32_t out_c,
    int32_t out_row_stride, int32_t out_pix_stride, int32_t kh, int32_t kw,
    int32_t stride_h, int32_t stride_w, int32_t dil_h, int32_t dil_w,
    int32_t pad_top, int32_t pad_left, int32_t input_offset,
    int32_t output_offset, const int32_t *multiplier, const int32_t *shift,
    int32_t act_min, int32_t act_max, int8_t *scratch) {
  const tinyts_rows in = {in_rows, -1, 0};
  conv2d_any(&in, in_h, in_w, in_c, in_pix_stride, filter, bias, output,
             out_h, out_w, out_c, out_row_stride, out_pix_stride, kh, kw,
             stride_h, stride_w, dil_h, dil_w, pad_top, pad_left,
             input_offset, output_offset, multiplier, shift, act_min, act_max,
             scratch, NULL);
}

void tinyts_conv2d_prep_s8(const int8_t *input, int32_t in_h, int32_t in_w,
                      int32_t in_c, int32_t in_row_stride,
                      int32_t in_pix_stride, const int8_t *filter,
                      const int32_t *bias, int8_t *output, int32_t out_h,
                      int32_t out_w, int32_t out_c, int32_t out_row_stride,
                      int32_t out_pix_stride, int32_t kh, int32_t kw,
                      int32_t stride_h, int32_t stride_w, int32_t dil_h,
                      int32_t dil_w, int32_t pad_top, int32_t pad_left,
                      int32_t input_offset, int32_t output_offset,
                      const int32_t *multiplier, const int32_t *shift,
                      int32_t act_min, int32_t act_max, int8_t *scratch, const int32_t *prep) {
  const tinyts_rows in = {&input, 0, in_row_stride};
  conv2d_any(&in, in_h, in_w, in_c, in_pix_stride, filter, bias, output,
             out_h, out_w, out_c, out_row_stride, out_pix_stride, kh, kw,
             stride_h, stride_w, dil_h, dil_w, pad_top, pad_left,
             input_offset, output_offset, multiplier, shift, act_min, act_max,
             scratch, prep);
}

void tinyts_conv2d_prep_rows_s8(
    const int8_t *const *in_rows, int32_t in_h, int32_t in_w, int32_t in_c,
    int32_t in_pix_stride, const int8_t *filter, const int32_t *bias,
    int8_t *output, int32_t out_h, int32_t out_w, int32_t out_c,
    int32_t out_row_stride, int32_t out_pix_stride, int32_t kh, int32_t kw,
    int32_t stride_h, int32_t stride_w, int32_t dil_h, int32_t dil_w,
    int32_t pad_top, int32_t pad_left, int32_t input_offset,
    int32_t output_offset, const int32_t *multiplier, const int32_t *shift,
    int32_t act_min, int32_t act_max, int8_t *scratch, const int32_t *prep) {
  const tinyts_rows in = {in_rows, -1, 0};
  conv2d_any(&in, in_h, in_w, in_c, in_pix_stride, filter, bias, output,
             out_h, out_w, out_c, out_row_stride, out_pix_stride, kh, kw,
             stride_h, stride_w, dil_h, dil_w, pad_top, pad_left,
             input_offset, output_offset, multiplier, shift, act_min, act_max,
             scratch, prep);
}

int32_t tinyts_conv2d_prepare_s8(const int8_t *filter, const int32_t *bias,
                                 const int32_t *shift, int32_t out_c,
                                 int32_t k, int32_t *prep) {
  const int32_t headroom = tinyts_fast_requant_headroom(k);
  const int cls = conv_requant_class(bias, shift, out_c, headroom);
  const int32_t words = TINYTS_CONV2D_PREP_WORDS(out_c);
  for (int32_t i = 0; i < words; ++i)
    prep[i] = 0;
  prep[0] = cls;
  if (!(cls & TINYTS_CONV_ALL_FOLD) && (cls & TINYTS_CONV_ANY_FAST)) {
    conv_sparse_ctx sp;
    sp.filter = filter;
    sp.k = k;
    sp.out_c = out_c;
    if (conv_sparse_worth(conv_sparse_init(&sp), out_c)) {
      prep[0] |= TINYTS_CONV_SPARSE;
      for (int32_t i = 0; i * 32 < sp.nmask; ++i)
        prep[1 + i] = (int32_t)sp.live[i];
    }
  }
  return words;
}
