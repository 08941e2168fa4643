//===- quantize.c - float <-> int8 QUANTIZE / DEQUANTIZE --------*- C -*-===//
//
// Part of TinyTS-MLIR.
//
//===----------------------------------------------------------------------===//
//
// Affine quantization at the float boundary of a model, bit-exact with
// TFLite Micro: QUANTIZE divides in float and rounds half away from zero (as
// roundf does) before adding the zero point and saturating; DEQUANTIZE
// multiplies in double and narrows to float.  No libm is needed: rounding is
// done with exact float arithmetic.  Build with -ffp-contract=off.
//
//===----------------------------------------------------------------------===//

#include "tinyts_internal.h"

/// roundf() for |q| <= 2^30, without libm.  Floats with |q| >= 2^23 are
/// integers already; below that, q - trunc(q) is exact.
static int32_t round_half_away(float q) {
  if (q >= 1073741824.0f)
    return 1073741824;
  if (q <= -1073741824.0f)
    return -1073741824;
  int32_t t = (int32_t)q; // truncation toward zero
  float frac = q - (float)t;
  if (frac >= 0.5f)
    ++t;
  else if (frac <= -0.5f)
    --t;
  return t;
}

void tinyts_quantize_f32_s8(const float *input, int8_t *output, int32_t n,
                            float scale, int32_t zero_point) {
  for (int32_t i = 0; i < n; ++i) {
    const float q = input[i] / scale;
    int32_t v;
    if (q != q) // NaN: TFLite's cast is undefined; pick the zero point.
      v = zero_point;
    else
      v = round_half_away(q) + zero_point;
    output[i] = (int8_t)tinyts_clamp(v, -128, 127);
  }
}

void tinyts_dequantize_s8_f32(const int8_t *input, float *output, int32_t n,
                              float scale, int32_t zero_point) {
  const double s = (double)scale;
  for (int32_t i = 0; i < n; ++i)
    output[i] = (float)(s * (double)(input[i] - zero_point));
}
