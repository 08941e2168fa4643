//===- tinyts_internal.h - shared fixed-point helpers -----------*- C -*-===//
//
// Part of TinyTS-MLIR.
//
//===----------------------------------------------------------------------===//
//
// Fixed-point primitives shared by the kernels: gemmlowp-style saturating
// rounding doubling high multiply, rounding division by a power of two and
// TFLite's MultiplyByQuantizedMultiplier built from them.  Written for exact
// agreement with TFLite Micro (double rounding, round half away from zero in
// the high multiply, round half away from zero in the shift).
//
//===----------------------------------------------------------------------===//

#ifndef TINYTS_INTERNAL_H
#define TINYTS_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "tinyts_kernels.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#define TINYTS_DSP 1
#else
#define TINYTS_DSP 0
#endif

#if defined(__GNUC__)
#define TINYTS_INLINE static inline __attribute__((always_inline))
#else
#define TINYTS_INLINE static inline
#endif

/// gemmlowp's SaturatingRoundingDoublingHighMul: (a * b * 2) / 2^32 with
/// gemmlowp's nudge (+2^30 for a non-negative product, 1 - 2^30 for a
/// negative one) and truncating division.  Both cases reduce to
/// (a * b + 2^30) >> 31 with an arithmetic shift: for a negative product,
/// trunc((p + 1 - 2^30) / 2^31) == floor((p + 2^30) / 2^31).  The single
/// overflowing case a == b == INT32_MIN saturates.
/// Rows of an int8 activation seen by a windowed kernel: row iy starts at
/// tab[iy & tmask] + iy * stride (a base + row stride view: tab = &base,
/// tmask = 0, stride = row stride; a row-pointer table: tab = in_rows,
/// tmask = -1, stride = 0).
typedef struct {
  const int8_t *const *tab;
  int32_t tmask, stride;
} tinyts_rows;

TINYTS_INLINE const int8_t *tinyts_row(const tinyts_rows *r, int32_t iy) {
  return r->tab[iy & r->tmask] + iy * r->stride;
}

TINYTS_INLINE int32_t tinyts_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN)
    return INT32_MAX;
  return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 30)) >> 31);
}

/// SRDHM for b >= 0 (quantized multipliers are never negative), where the
/// saturating case cannot occur.
TINYTS_INLINE int32_t tinyts_srdhm_pos(int32_t a, int32_t b) {
  return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 30)) >> 31);
}

/// x / 2^exponent rounded to nearest, ties away from zero; 0 <= exponent <= 31.
TINYTS_INLINE int32_t tinyts_rdbpot(int32_t x, int32_t exponent) {
  const int32_t mask = (int32_t)(((uint32_t)1 << exponent) - 1u);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/// TFLite's MultiplyByQuantizedMultiplier (double rounding).
TINYTS_INLINE int32_t tinyts_mbqm(int32_t x, int32_t multiplier,
                                  int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  const int32_t xs = (int32_t)((uint32_t)x << left);
  return tinyts_rdbpot(tinyts_srdhm(xs, multiplier), right);
}

/// MultiplyByQuantizedMultiplier for multiplier >= 0 (every multiplier
/// TFLite's QuantizeMultiplier produces): no saturation test needed.
TINYTS_INLINE int32_t tinyts_mbqm_pos(int32_t x, int32_t multiplier,
                                      int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  const int32_t xs = (int32_t)((uint32_t)x << left);
  return tinyts_rdbpot(tinyts_srdhm_pos(xs, multiplier), right);
}

TINYTS_INLINE int32_t tinyts_clamp(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

/// Requantize an accumulator to int8 with output offset and clamp
/// (multiplier >= 0, as TFLite's QuantizeMultiplier always gives).
TINYTS_INLINE int8_t tinyts_requant_s8(int32_t acc, int32_t multiplier,
                                       int32_t shift, int32_t output_offset,
                                       int32_t act_min, int32_t act_max) {
  int32_t v = tinyts_mbqm_pos(acc, multiplier, shift) + output_offset;
  return (int8_t)tinyts_clamp(v, act_min, act_max);
}

/// Unaligned 32-bit load (a single LDR on Cortex-M7).
TINYTS_INLINE int32_t tinyts_read_s32(const int8_t *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

//===----------------------------------------------------------------------===//
// Fast exact requantization (conv / depthwise / fully connected)
//===----------------------------------------------------------------------===//
//
// When shift < 0 (a right shift e = -shift in [1, 31], the usual case) and
// |acc| < 2^30, TFLite's double rounding can be computed with fewer
// instructions and identical results:
//  * SRDHM(acc, m) = (acc * m + 2^30) >> 31 = (2 acc * m + 2^31) >> 32, one
//    SMMULR of 2 * acc (which does not overflow for |acc| < 2^30);
//  * RoundingDivideByPOT(s, e) for e >= 1 is (s + 2^(e-1) - (s < 0)) >> e
//    (round half away from zero), and s + 2^(e-1) cannot overflow because
//    |s| <= |acc| < 2^30.
// Kernels check the accumulator bound once per call from the biases and the
// number of products (|x + input_offset| <= 255, |w| <= 128) and the shifts,
// and otherwise use tinyts_requant_s8.

/// Largest |(x + input_offset) * w| of one int8 product.
#define TINYTS_MAX_PRODUCT 32640

/// Non-zero if every channel c < n may use tinyts_requant_fast: shift[c] in
/// [-31, -1] and |bias[c]| + k_products * 255 * 128 < 2^30.
static inline int tinyts_fast_requant_ok(const int32_t *bias,
                                         const int32_t *shift, int32_t n,
                                         int32_t k_products) {
  const int64_t limit = ((int64_t)1 << 30) - 1;
  const int64_t body = (int64_t)k_products * TINYTS_MAX_PRODUCT;
  if (body > limit)
    return 0;
  for (int32_t c = 0; c < n; ++c) {
    if (shift[c] > -1 || shift[c] < -31)
      return 0;
    if (bias) {
      const int64_t b = bias[c] < 0 ? -(int64_t)bias[c] : (int64_t)bias[c];
      if (b + body > limit)
        return 0;
    }
  }
  return 1;
}

/// Per-channel form of tinyts_fast_requant_ok: the bias headroom
/// 2^30 - 1 - k_products * 255 * 128 (negative: no channel qualifies).
static inline int32_t tinyts_fast_requant_headroom(int32_t k_products) {
  const int64_t h = (((int64_t)1 << 30) - 1) -
                    (int64_t)k_products * TINYTS_MAX_PRODUCT;
  return h < 0 ? -1 : (int32_t)h;
}

/// Non-zero if channel c may use tinyts_requant_fast (shift in [-31, -1] and
/// |bias| <= headroom, see tinyts_fast_requant_headroom).
TINYTS_INLINE int tinyts_fast_requant_ch(const int32_t *bias,
                                         const int32_t *shift, int32_t c,
                                         int32_t headroom) {
  if (headroom < 0 || (uint32_t)(shift[c] + 31) > 30u)
    return 0;
  if (!bias)
    return 1;
  const int32_t b = bias[c];
  return b <= headroom && b >= -headroom;
}

/// MultiplyByQuantizedMultiplier for |acc| < 2^30, multiplier >= 0 and
/// e = -shift in [1, 31] (see tinyts_fast_requant_ok).
TINYTS_INLINE int32_t tinyts_mbqm_fast(int32_t acc, int32_t multiplier,
                                       int32_t e) {
#if TINYTS_DSP && defined(__GNUC__)
  int32_t s;
  __asm__("smmulr %0, %1, %2" : "=r"(s) : "r"(acc * 2), "r"(multiplier));
#else
  const int32_t s = tinyts_srdhm_pos(acc, multiplier);
#endif
  return (s + (int32_t)(1u << (e - 1)) + (s >> 31)) >> e;
}

/// tinyts_requant_s8 through tinyts_mbqm_fast (same result where allowed).
TINYTS_INLINE int8_t tinyts_requant_fast(int32_t acc, int32_t multiplier,
                                         int32_t e, int32_t output_offset,
                                         int32_t act_min, int32_t act_max) {
  int32_t v = tinyts_mbqm_fast(acc, multiplier, e) + output_offset;
  v = v < act_min ? act_min : v;
  v = v > act_max ? act_max : v;
  return (int8_t)v;
}

/// Requantization with the output offset folded into the rounding term:
/// rnd = 2^(e-1) + (output_offset << e), valid where tinyts_mbqm_fast is and
/// e <= 22 (then s + rnd cannot overflow), since floor((y + off 2^e) / 2^e)
/// == floor(y / 2^e) + off.  Returns the value before clamping.
TINYTS_INLINE int32_t tinyts_requant_folded(int32_t acc, int32_t multiplier,
                                            int32_t rnd, int32_t e) {
#if TINYTS_DSP && defined(__GNUC__)
  int32_t s;
  __asm__("smmulr %0, %1, %2" : "=r"(s) : "r"(acc * 2), "r"(multiplier));
#else
  const int32_t s = tinyts_srdhm_pos(acc, multiplier);
#endif
  return (s + rnd + (s >> 31)) >> e;
}

/// The rounding term of tinyts_requant_folded.
TINYTS_INLINE int32_t tinyts_folded_rnd(int32_t e, int32_t output_offset) {
  return (int32_t)((1u << (e - 1)) + ((uint32_t)output_offset << e));
}

/// Clamp to [lo, hi] ⊆ [-128, 127]; `full` != 0 when lo == -128, hi == 127
/// (a single SSAT on DSP targets).
TINYTS_INLINE int8_t tinyts_clamp_s8(int32_t v, int full, int32_t lo,
                                     int32_t hi) {
#if TINYTS_DSP
  if (full)
    return (int8_t)__ssat(v, 8);
#else
  (void)full;
#endif
  v = v < lo ? lo : v;
  v = v > hi ? hi : v;
  return (int8_t)v;
}

#if TINYTS_DSP && defined(__GNUC__)
/// SXTB16 of x rotated right by 8 (bytes 1 and 3), one instruction (GCC
/// does not fold the rotate into the intrinsic).
TINYTS_INLINE uint32_t tinyts_sxtb16_ror8(uint32_t x) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}

/// SXTAB16 of x rotated right by 8: a + sign-extended bytes 1 and 3.
TINYTS_INLINE uint32_t tinyts_sxtab16_ror8(uint32_t a, uint32_t x) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
  return r;
}
/// The low halfword of x in both halfwords (PKHBT x, x, lsl #16).
TINYTS_INLINE uint32_t tinyts_dup16(uint32_t x) {
  uint32_t r;
  __asm__("pkhbt %0, %1, %1, lsl #16" : "=r"(r) : "r"(x));
  return r;
}
#elif TINYTS_DSP
TINYTS_INLINE uint32_t tinyts_dup16(uint32_t x) {
  return (x & 0xFFFFu) | (x << 16);
}
TINYTS_INLINE uint32_t tinyts_sxtb16_ror8(uint32_t x) {
  return __sxtb16((x >> 8) | (x << 24));
}
TINYTS_INLINE uint32_t tinyts_sxtab16_ror8(uint32_t a, uint32_t x) {
  return __sxtab16(a, (x >> 8) | (x << 24));
}
#endif

/// Largest kh * kw of the depthwise group path (weights unpacked per group
/// of four output channels: 8 bytes per tap); larger kernels take the
/// per-pixel loop.
#define TINYTS_DW_MAX_TAPS 25

/// One group of four depthwise output channels, ready for the group path:
/// whether it may use the folded requantization (tinyts_requant_folded),
/// biases, multipliers, folded rounding terms (tinyts_folded_rnd; 0 when
/// not folded), right shifts e = -shift and the weights unpacked by SXTB16
/// (tap t: wk[2t] holds channels 0 and 2, wk[2t + 1] channels 1 and 3, one
/// int16 per halfword).  A prepared layer
/// (tinyts_depthwise_conv2d_prepare_s8) stores these records back to back,
/// TINYTS_DW_GROUP_WORDS(kh * kw) words each (wk cut to 2 * taps words).
typedef struct {
  int32_t fold;
  int32_t b[4], m[4], r[4], e[4];
  uint32_t wk[2 * TINYTS_DW_MAX_TAPS];
} tinyts_dw_group;

/// Words of one prepared depthwise group with `taps` = kh * kw.
#define TINYTS_DW_GROUP_WORDS(taps) (17 + 2 * (taps))

/// Sets up *g for output channels [oc, oc + 4) of a depthwise layer
/// (filter [taps][out_c]); returns g->fold.
int tinyts_dw_group_fill(tinyts_dw_group *g, const int8_t *filter,
                         int32_t out_c, const int32_t *bias,
                         const int32_t *multiplier, const int32_t *shift,
                         int32_t oc, int32_t taps, int32_t output_offset);

#endif // TINYTS_INTERNAL_H
