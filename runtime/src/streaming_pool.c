//===- streaming_pool.c - global average pooling band by band ----*- C -*-===//
//
// Part of TinyTS-MLIR.
//
//===----------------------------------------------------------------------===//
//
// A global AVERAGE_POOL_2D computed as its input arrives in row bands: each
// band adds its values to one int32 sum per channel (tinyts_row_sum_s8), and
// the sums become the int8 averages at the end
// (tinyts_avg_pool_finish_s8). Integer sums do not depend on their order, so
// the result is bit-exact with tinyts_avg_pool2d_s8 over the whole input.
//
//===----------------------------------------------------------------------===//

#include "tinyts_internal.h"

/// Adds (or with accumulate == 0 writes) the per-channel sums of the rows
/// row(y) = base(y) for y < h, each holding w pixels of c channels.
TINYTS_INLINE void row_sum(const int8_t *const *tab, int32_t tmask,
                           int32_t row_stride, int32_t h, int32_t w, int32_t c,
                           int32_t pix_stride, int32_t *sums,
                           int32_t accumulate) {
  if (!accumulate)
    for (int32_t ch = 0; ch < c; ++ch)
      sums[ch] = 0;
  for (int32_t y = 0; y < h; ++y) {
    const int8_t *row = tab[y & tmask] + y * row_stride;
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
  row_sum(&input, 0, row_stride, h, w, c, pix_stride, sums, accumulate);
}

void tinyts_row_sum_rows_s8(const int8_t *const *rows, int32_t h, int32_t w,
                            int32_t c, int32_t pix_stride, int32_t *sums,
                            int32_t accumulate) {
  row_sum(rows, -1, 0, h, w, c, pix_stride, sums, accumulate);
}

void tinyts_avg_pool_finish_s8(const int32_t *sums, int32_t c, int32_t count,
                               int32_t act_min, int32_t act_max,
                               int8_t *output) {
  for (int32_t ch = 0; ch < c; ++ch) {
    const int32_t acc = sums[ch];
    const int32_t avg = acc > 0 ? (acc + count / 2) / count
                                : (acc - count / 2) / count;
    output[ch] = (int8_t)tinyts_clamp(avg, act_min, act_max);
  }
}
