//===- softmax.c - int8 softmax ---------------------------------*- C -*-===//
//
// Part of TinyTS-MLIR.
//
//===----------------------------------------------------------------------===//
//
// int8 SOFTMAX over the last axis, bit-exact with TFLite Micro's reference
// kernel.  Input differences to the row maximum are rescaled to Q5.26, run
// through a fixed-point exp() for negative arguments (Taylor polynomial on
// [-1/4, 0) plus a barrel of exp(-2^k) factors), summed in Q12.19, inverted
// with a Newton-Raphson 1/(1+x), and scaled to the fixed output
// quantization (scale 1/256, zero point -128).  All fixed-point helpers
// follow gemmlowp's arithmetic (rounding doubling high multiplies, rounding
// power-of-two divisions, saturating power-of-two multiplies).
//
//===----------------------------------------------------------------------===//

#include "tinyts_internal.h"

/// Raw multiply of two fixed-point values (any formats): SRDHM.
TINYTS_INLINE int32_t fx_mul(int32_t a, int32_t b) { return tinyts_srdhm(a, b); }

/// x * 2^e for e > 0, saturating to the int32 range.
TINYTS_INLINE int32_t fx_sat_shl(int32_t x, int32_t e) {
  const int32_t threshold = (int32_t)(((uint32_t)1 << (31 - e)) - 1u);
  if (x > threshold)
    return INT32_MAX;
  if (x < -threshold)
    return INT32_MIN;
  return (int32_t)((uint32_t)x << e);
}

/// exp(a) for a in [-1/4, 0), a and result in Q0.31.
static int32_t fx_exp_quarter(int32_t a) {
  const int32_t c_exp_m1_8 = 1895147668; // exp(-1/8)
  const int32_t c_1_3 = 715827883;       // 1/3
  const int32_t x = a + (1 << 28);       // a + 1/8
  const int32_t x2 = fx_mul(x, x);
  const int32_t x3 = fx_mul(x2, x);
  const int32_t x4 = fx_mul(x2, x2);
  const int32_t x4_4 = tinyts_rdbpot(x4, 2);
  const int32_t poly = tinyts_rdbpot(fx_mul(x4_4 + x3, c_1_3) + x2, 1);
  return c_exp_m1_8 + fx_mul(c_exp_m1_8, x + poly);
}

/// exp(a) for a <= 0 in Q5.26; result in Q0.31.
static int32_t fx_exp_neg_q5(int32_t a) {
  static const int32_t kBarrel[7] = {1672461947, 1302514674, 790015084,
                                     290630308,  39332535,   720401, 242};
  const int32_t quarter = 1 << 24; // 1/4 in Q5.26
  const int32_t a_mod = (a & (quarter - 1)) - quarter;
  int32_t result = fx_exp_quarter(fx_sat_shl(a_mod, 5)); // Q5.26 -> Q0.31
  const int32_t remainder = a_mod - a;
  for (int32_t k = 0; k < 7; ++k) // exp(-2^(k-2)) when bit 24+k is set
    if (remainder & (1 << (24 + k)))
      result = fx_mul(result, kBarrel[k]);
  return a == 0 ? INT32_MAX : result;
}

/// 1 / (1 + a) for a in [0, 1) in Q0.31, Newton-Raphson in Q2.29.
static int32_t fx_one_over_one_plus_x(int32_t a) {
  const int64_t s = (int64_t)a + (int64_t)INT32_MAX;
  const int32_t half_den = (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
  int32_t x = 1515870810 + fx_mul(half_den, -1010580540); // 48/17 - 32/17 d
  for (int i = 0; i < 3; ++i) {
    const int32_t hdx = fx_mul(half_den, x);
    const int32_t one_minus = (1 << 29) - hdx;
    x = x + fx_sat_shl(fx_mul(x, one_minus), 2);
  }
  return fx_sat_shl(x, 1);
}

static uint32_t clz32(uint32_t v) {
  uint32_t n = 0;
  if (v == 0)
    return 32;
  while (!(v & 0x80000000u)) {
    v <<= 1;
    ++n;
  }
  return n;
}

void tinyts_softmax_s8(const int8_t *input, int32_t rows, int32_t n,
                       int32_t in_stride, int8_t *output, int32_t out_stride,
                       int32_t input_multiplier, int32_t input_left_shift,
                       int32_t diff_min) {
  for (int32_t r = 0; r < rows; ++r) {
    const int8_t *x = input + r * in_stride;
    int8_t *o = output + r * out_stride;
    int32_t max_v = -128;
    for (int32_t i = 0; i < n; ++i)
      max_v = x[i] > max_v ? x[i] : max_v;

    int32_t sum = 0; // Q12.19
    for (int32_t i = 0; i < n; ++i) {
      const int32_t d = x[i] - max_v;
      if (d >= diff_min) {
        const int32_t scaled = tinyts_srdhm(
            (int32_t)((uint32_t)d << input_left_shift), input_multiplier);
        sum += tinyts_rdbpot(fx_exp_neg_q5(scaled), 12);
      }
    }

    const uint32_t headroom = clz32((uint32_t)sum);
    const int32_t bits_over_unit = 12 - (int32_t)headroom;
    const int32_t shifted_minus_one =
        (int32_t)(((uint32_t)sum << headroom) - 0x80000000u);
    const int32_t recip = fx_one_over_one_plus_x(shifted_minus_one);
    const int32_t exponent = bits_over_unit + 31 - 8;

    for (int32_t i = 0; i < n; ++i) {
      const int32_t d = x[i] - max_v;
      if (d >= diff_min) {
        const int32_t scaled = tinyts_srdhm(
            (int32_t)((uint32_t)d << input_left_shift), input_multiplier);
        const int32_t e = fx_exp_neg_q5(scaled);
        const int32_t v = tinyts_rdbpot(fx_mul(recip, e), exponent) - 128;
        o[i] = (int8_t)tinyts_clamp(v, -128, 127);
      } else {
        o[i] = -128;
      }
    }
  }
}
