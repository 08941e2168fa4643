//===- pooling.c - int8 average/max pooling and spatial mean ----*- C -*-===//
//
// Part of TinyTS-MLIR.
//
//===----------------------------------------------------------------------===//
//
// int8 AVERAGE_POOL_2D, MAX_POOL_2D and MEAN over H,W, bit-exact with
// TFLite Micro's reference kernels.  Pools only count taps inside the input
// (padding is excluded, as in TFLite); the average rounds half away from
// zero.  A global AVERAGE_POOL_2D can also run as its input arrives in row
// bands: each band adds into one int32 sum per channel (tinyts_row_sum_s8),
// and the sums become the averages at the end (tinyts_avg_pool_finish_s8);
// integer sums do not depend on their order, so that is bit-exact too.  MEAN folds 1/(h*w) into the requantization multiplier exactly as
// TFLite's QuantizedMeanOrSum does (or divides with truncation when input and
// output quantization are equal).
//
//===----------------------------------------------------------------------===//

#include "tinyts_internal.h"

TINYTS_INLINE void pool_range(int32_t origin, int32_t size, int32_t k,
                              int32_t *lo, int32_t *hi) {
  int32_t a = origin < 0 ? -origin : 0;
  int32_t b = size - origin < k ? size - origin : k;
  *lo = a;
  *hi = b;
}

/// TFLite's average: sum / count rounded half away from zero.
TINYTS_INLINE int32_t pool_average(int32_t sum, int32_t count) {
  return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

// The window walk shared by average and max pooling: only the taps inside
// the input count. `is_max` is a constant at each call site, so each public
// kernel gets its own specialised loop.
TINYTS_INLINE void pool2d(const tinyts_rows *in, int32_t in_h, int32_t in_w,
                          int32_t c, int32_t in_pix_stride, int8_t *output,
                          int32_t out_h, int32_t out_w, int32_t out_row_stride,
                          int32_t out_pix_stride, int32_t kh, int32_t kw,
                          int32_t stride_h, int32_t stride_w, int32_t pad_top,
                          int32_t pad_left, int32_t act_min, int32_t act_max,
                          int is_max) {
  for (int32_t oy = 0; oy < out_h; ++oy) {
    const int32_t iy0 = oy * stride_h - pad_top;
    int32_t ky0, ky1;
    pool_range(iy0, in_h, kh, &ky0, &ky1);
    for (int32_t ox = 0; ox < out_w; ++ox) {
      const int32_t ix0 = ox * stride_w - pad_left;
      int32_t kx0, kx1;
      pool_range(ix0, in_w, kw, &kx0, &kx1);
      const int32_t count = (ky1 - ky0) * (kx1 - kx0);
      int8_t *o = output + oy * out_row_stride + ox * out_pix_stride;
      for (int32_t ch = 0; ch < c; ++ch) {
        int32_t acc = is_max ? -128 : 0;
        for (int32_t ky = ky0; ky < ky1; ++ky) {
          const int8_t *row = tinyts_row(in, iy0 + ky) + ch;
          for (int32_t kx = kx0; kx < kx1; ++kx) {
            const int32_t v = row[(ix0 + kx) * in_pix_stride];
            if (is_max)
              acc = v > acc ? v : acc;
            else
              acc += v;
          }
        }
        if (!is_max && count > 0)
          acc = pool_average(acc, count);
        o[ch] = (int8_t)tinyts_clamp(acc, act_min, act_max);
      }
    }
  }
}

void tinyts_avg_pool2d_s8(const int8_t *input, int32_t in_h, int32_t in_w,
                          int32_t c, int32_t in_row_stride,
                          int32_t in_pix_stride, int8_t *output,
                          int32_t out_h, int32_t out_w,
                          int32_t out_row_stride, int32_t out_pix_stride,
                          int32_t kh, int32_t kw, int32_t stride_h,
                          int32_t stride_w, int32_t pad_top, int32_t pad_left,
                          int32_t act_min, int32_t act_max) {
  const tinyts_rows in = {&input, 0, in_row_stride};
  pool2d(&in, in_h, in_w, c, in_pix_stride, output, out_h, out_w,
         out_row_stride, out_pix_stride, kh, kw, stride_h, stride_w, pad_top,
         pad_left, act_min, act_max, /*is_max=*/0);
}

void tinyts_avg_pool2d_rows_s8(const int8_t *const *in_rows, int32_t in_h,
                               int32_t in_w, int32_t c, int32_t in_pix_stride,
                               int8_t *output, int32_t out_h, int32_t out_w,
                               int32_t out_row_stride, int32_t out_pix_stride,
                               int32_t kh, int32_t kw, int32_t stride_h,
                               int32_t stride_w, int32_t pad_top,
                               int32_t pad_left, int32_t act_min,
                               int32_t act_max) {
  const tinyts_rows in = {in_rows, -1, 0};
  pool2d(&in, in_h, in_w, c, in_pix_stride, output, out_h, out_w,
         out_row_stride, out_pix_stride, kh, kw, stride_h, stride_w, pad_top,
         pad_left, act_min, act_max, /*is_max=*/0);
}

/// Adds (or, without `accumulate`, writes) the per-channel sums of h rows of
/// w pixels.
TINYTS_INLINE void row_sum(const tinyts_rows *in, int32_t h, int32_t w,
                           int32_t c, int32_t pix_stride, int32_t *sums,
                           int32_t accumulate) {
  if (!accumulate)
    for (int32_t ch = 0; ch < c; ++ch)
      sums[ch] = 0;
  for (int32_t y = 0; y < h; ++y) {
    const int8_t *row = tinyts_row(in, y);
    for (int32_t x = 0; x < w; ++x) {
      const int8_t *p = row + x * pix_stride;
      for (int32_t ch = 0; ch < c; ++ch)
        sums[ch] += p[ch];
    }
  }
}

void tinyts_row_sum_s8(const int8_t *input, int32_t h, int32_t w, int32_t c,
                       int32_t row_stride, int32_t pix_stride, int32_t *sums,
                       int32_t accumulate) {
  const tinyts_rows in = {&input, 0, row_stride};
  row_sum(&in, h, w, c, pix_stride, sums, accumulate);
}

void tinyts_row_sum_rows_s8(const int8_t *const *rows, int32_t h, int32_t w,
                            int32_t c, int32_t pix_stride, int32_t *sums,
                            int32_t accumulate) {
  const tinyts_rows in = {rows, -1, 0};
  row_sum(&in, h, w, c, pix_stride, sums, accumulate);
}

void tinyts_avg_pool_finish_s8(const int32_t *sums, int32_t c, int32_t count,
                               int32_t act_min, int32_t act_max,
                               int8_t *output) {
  for (int32_t ch = 0; ch < c; ++ch)
    output[ch] = (int8_t)tinyts_clamp(pool_average(sums[ch], count), act_min,
                                      act_max);
}

void tinyts_max_pool2d_s8(const int8_t *input, int32_t in_h, int32_t in_w,
                          int32_t c, int32_t in_row_stride,
                          int32_t in_pix_stride, int8_t *output,
                          int32_t out_h, int32_t out_w,
                          int32_t out_row_stride, int32_t out_pix_stride,
                          int32_t kh, int32_t kw, int32_t stride_h,
                          int32_t stride_w, int32_t pad_top, int32_t pad_left,
                          int32_t act_min, int32_t act_max) {
  const tinyts_rows in = {&input, 0, in_row_stride};
  pool2d(&in, in_h, in_w, c, in_pix_stride, output, out_h, out_w,
         out_row_stride, out_pix_stride, kh, kw, stride_h, stride_w, pad_top,
         pad_left, act_min, act_max, /*is_max=*/1);
}

void tinyts_max_pool2d_rows_s8(const int8_t *const *in_rows, int32_t in_h,
                               int32_t in_w, int32_t c, int32_t in_pix_stride,
                               int8_t *output, int32_t out_h, int32_t out_w,
                               int32_t out_row_stride, int32_t out_pix_stride,
                               int32_t kh, int32_t kw, int32_t stride_h,
                               int32_t stride_w, int32_t pad_top,
                               int32_t pad_left, int32_t act_min,
                               int32_t act_max) {
  const tinyts_rows in = {in_rows, -1, 0};
  pool2d(&in, in_h, in_w, c, in_pix_stride, output, out_h, out_w,
         out_row_stride, out_pix_stride, kh, kw, stride_h, stride_w, pad_top,
         pad_left, act_min, act_max, /*is_max=*/1);
}

void tinyts_mean_s8(const int8_t *input, int32_t n_outer,
                    int32_t in_outer_stride, int32_t n_out,
                    int32_t in_elem_stride, int32_t h, int32_t w,
                    int32_t in_row_stride, int32_t in_pix_stride,
                    int8_t *output, int32_t input_zero_point,
                    int32_t output_zero_point, int32_t multiplier,
                    int32_t shift) {
  const int32_t count = h * w;
  for (int32_t o = 0; o < n_outer; ++o) {
    const int8_t *in = input + o * in_outer_stride;
    for (int32_t k = 0; k < n_out; ++k) {
      int32_t sum = 0;
      for (int32_t y = 0; y < h; ++y) {
        const int8_t *row = in + y * in_row_stride + k * in_elem_stride;
        for (int32_t x = 0; x < w; ++x)
          sum += row[x * in_pix_stride];
      }
      int32_t v = tinyts_mbqm(sum - input_zero_point * count, multiplier, shift) +
                  output_zero_point;
      *output++ = (int8_t)tinyts_clamp(v, -128, 127);
    }
  }
}
