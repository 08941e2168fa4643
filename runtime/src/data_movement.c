//===- data_movement.c - int8 pad, concat, transpose, resize ----*- C -*-===//
//
// Part of TinyTS-MLIR.
//
//===----------------------------------------------------------------------===//
//
// Kernels that move int8 data without arithmetic: constant PAD,
// CONCATENATION along channels, TRANSPOSE (rank <= 4) and
// RESIZE_NEAREST_NEIGHBOR (TFLite's default coordinate mapping).  All are
// bit-exact with TFLite Micro because they only copy bytes; the resize
// index computation uses TFLite's float formula.
//
//===----------------------------------------------------------------------===//

#include "tinyts_internal.h"

void tinyts_pad_s8(const int8_t *input, int32_t in_h, int32_t in_w,
                   int32_t in_c, int32_t in_row_stride, int32_t in_pix_stride,
                   int8_t *output, int32_t out_h, int32_t out_w,
                   int32_t out_c, int32_t out_row_stride,
                   int32_t out_pix_stride, int32_t pad_top, int32_t pad_left,
                   int32_t pad_front, int8_t pad_value) {
  for (int32_t y = 0; y < out_h; ++y) {
    const int32_t iy = y - pad_top;
    int8_t *orow = output + y * out_row_stride;
    for (int32_t x = 0; x < out_w; ++x) {
      const int32_t ix = x - pad_left;
      int8_t *o = orow + x * out_pix_stride;
      if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) {
        memset(o, pad_value, (size_t)out_c);
        continue;
      }
      const int8_t *src = input + iy * in_row_stride + ix * in_pix_stride;
      int32_t tail = out_c - pad_front - in_c;
      if (pad_front > 0)
        memset(o, pad_value, (size_t)pad_front);
      memcpy(o + pad_front, src, (size_t)in_c);
      if (tail > 0)
        memset(o + pad_front + in_c, pad_value, (size_t)tail);
    }
  }
}

void tinyts_concat_channels_s8(const int8_t *input, int32_t h, int32_t w,
                               int32_t c, int32_t in_row_stride,
                               int32_t in_pix_stride, int8_t *output,
                               int32_t out_row_stride, int32_t out_pix_stride,
                               int32_t c_offset) {
  for (int32_t y = 0; y < h; ++y)
    for (int32_t x = 0; x < w; ++x)
      memcpy(output + y * out_row_stride + x * out_pix_stride + c_offset,
             input + y * in_row_stride + x * in_pix_stride, (size_t)c);
}

void tinyts_transpose_s8(const int8_t *input, const int32_t *in_dims,
                         int32_t rank, const int32_t *perm, int8_t *output) {
  int32_t dims[4] = {1, 1, 1, 1};
  int32_t p[4] = {0, 1, 2, 3};
  const int32_t lead = 4 - rank;
  for (int32_t i = 0; i < rank; ++i) {
    dims[lead + i] = in_dims[i];
    p[lead + i] = perm[i] + lead;
  }
  int32_t istr[4];
  istr[3] = 1;
  for (int32_t i = 2; i >= 0; --i)
    istr[i] = istr[i + 1] * dims[i + 1];
  // Output dim i walks input dim p[i].
  const int32_t d0 = dims[p[0]], d1 = dims[p[1]], d2 = dims[p[2]],
                d3 = dims[p[3]];
  const int32_t s0 = istr[p[0]], s1 = istr[p[1]], s2 = istr[p[2]],
                s3 = istr[p[3]];
  int8_t *o = output;
  for (int32_t a = 0; a < d0; ++a)
    for (int32_t b = 0; b < d1; ++b)
      for (int32_t c = 0; c < d2; ++c) {
        const int8_t *src = input + a * s0 + b * s1 + c * s2;
        for (int32_t d = 0; d < d3; ++d)
          *o++ = src[d * s3];
      }
}

void tinyts_resize_nearest_s8(const int8_t *input, int32_t in_h,
                              int32_t in_w, int32_t c, int32_t in_row_stride,
                              int32_t in_pix_stride, int8_t *output,
                              int32_t out_h, int32_t out_w,
                              int32_t out_row_stride, int32_t out_pix_stride) {
  const float sy = (float)in_h / (float)out_h;
  const float sx = (float)in_w / (float)out_w;
  for (int32_t y = 0; y < out_h; ++y) {
    int32_t iy = (int32_t)((float)y * sy); // non-negative: trunc == floor
    if (iy > in_h - 1)
      iy = in_h - 1;
    for (int32_t x = 0; x < out_w; ++x) {
      int32_t ix = (int32_t)((float)x * sx);
      if (ix > in_w - 1)
        ix = in_w - 1;
      memcpy(output + y * out_row_stride + x * out_pix_stride,
             input + iy * in_row_stride + ix * in_pix_stride, (size_t)c);
    }
  }
}
