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

#endif // TINYTS_INTERNAL_H
