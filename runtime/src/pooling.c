//===- pooling.c - int8 average/max pooling and spatial mean ----*- C -*-===//
//
// Part of TinyTS-MLIR.
//
//===----------------------------------------------------------------------===//
//
// int8 AVERAGE_POOL_2D, MAX_POOL_2D and MEAN over H,W, bit-exact with
// TFLite Micro's reference kernels.  Pools only count taps inside the input
// (padding is excluded, as in TFLite); the average rounds half away from
// zero.  MEAN folds 1/(h*w) into the requantization multiplier exactly as
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

/// Input rows of a pooling window: row iy starts at
/// tab[iy & tmask] + iy * stride (a base + row stride view: tab = &base,
/// tmask = 0; a row table: tab = in_rows, tmask = -1, stride = 0).
typedef struct {
  const int8_t *const *tab;
  int32_t tmask, stride;
} pool_rows;

TINYTS_INLINE const int8_t *pool_row(const pool_rows *r, int32_t iy) {
  return r->tab[iy & r->tmask] + iy * r->stride;
}

// The window walk shared by average and max pooling: only the taps inside
// the input count. `is_max` is a constant at each call site, so each public
// kernel gets its own specialised loop.
TINYTS_INLINE void pool2d(const pool_rows *in, int32_t in_h, int32_t in_w,
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
          const int8_t *row = pool_row(in, iy0 + ky) + ch;
          for (int32_t kx = kx0; kx < kx1; ++kx) {
            const int32_t v = row[(ix0 + kx) * in_pix_stride];
            if (is_max)
              acc = v > acc ? v : acc;
            else
              acc += v;
          }
        }
        if (!is_max && count > 0)
          acc = acc > 0 ? (acc + count / 2) / count
                        : (acc - count / 2) / count;
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
  const pool_rows in = {&input, 0, in_row_stride};
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
  const pool_rows in = {in_rows, -1, 0};
  pool2d(&in, in_h, in_w, c, in_pix_stride, output, out_h, out_w,
         out_row_stride, out_pix_stride, kh, kw, stride_h, stride_w, pad_top,
         pad_left, act_min, act_max, /*is_max=*/0);
}

void tinyts_max_pool2d_s8(const int8_t *input, int32_t in_h, int32_t in_w,
                          int32_t c, int32_t in_row_stride,
                          int32_t in_pix_stride, int8_t *output,
                          int32_t out_h, int32_t out_w,
                          int32_t out_row_stride, int32_t out_pix_stride,
                          int32_t kh, int32_t kw, int32_t stride_h,
                          int32_t stride_w, int32_t pad_top, int32_t pad_left,
                          int32_t act_min, int32_t act_max) {
  const pool_rows in = {&input, 0, in_row_stride};
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
  const pool_rows in = {in_rows, -1, 0};
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
