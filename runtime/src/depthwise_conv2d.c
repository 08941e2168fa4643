//===- depthwise_conv2d.c - int8 depthwise 2-D convolution ------*- C -*-===//
//
// Part of TinyTS-MLIR.
//
//===----------------------------------------------------------------------===//
//
// int8 NHWC depthwise convolution (any kernel size, stride, dilation and
// depth multiplier), bit-exact with TFLite Micro's reference
// DEPTHWISE_CONV_2D: output channel c * M + m accumulates
// (x[c] + input_offset) * w[c * M + m] over the in-bounds taps, adds the
// bias and is requantized per channel.  Under __ARM_FEATURE_DSP the common
// depth-multiplier-1 case handles four channels per 32-bit load with
// SXTAB16/SXTB16 and the halfword multiply-accumulates SMLABB/SMLATT.
//
//===----------------------------------------------------------------------===//

#include "tinyts_internal.h"

#if TINYTS_DSP
/// One tap of four adjacent channels: a_j += (x[j] + off) * w[j], with the
/// offset added by SXTAB16 and single multiply-accumulates SMLABB/SMLATT.
#define TINYTS_DW_TAP4(xp, fp)                                                 \
  do {                                                                         \
    const uint32_t xv_ = (uint32_t)tinyts_read_s32(xp);                        \
    const uint32_t wv_ = (uint32_t)tinyts_read_s32(fp);                        \
    const uint32_t xe_ = __sxtab16(off2, xv_);                                 \
    const uint32_t we_ = __sxtb16(wv_);                                        \
    a0 = __smlabb(xe_, we_, a0);                                               \
    a2 = __smlatt(xe_, we_, a2);                                               \
    const uint32_t xo_ = tinyts_sxtab16_ror8(off2, xv_);                       \
    const uint32_t wo_ = tinyts_sxtb16_ror8(wv_);                              \
    a1 = __smlabb(xo_, wo_, a1);                                               \
    a3 = __smlatt(xo_, wo_, a3);                                               \
  } while (0)

/// One tap of four output channels reading the same input value xx (the
/// offset-added input replicated in both halfwords).
#define TINYTS_DW_TAP4_BCAST(xx, fp)                                           \
  do {                                                                         \
    const uint32_t wv_ = (uint32_t)tinyts_read_s32(fp);                        \
    const uint32_t we_ = __sxtb16(wv_);                                        \
    const uint32_t wo_ = tinyts_sxtb16_ror8(wv_);                              \
    a0 = __smlabb(xx, we_, a0);                                                \
    a2 = __smlatt(xx, we_, a2);                                                \
    a1 = __smlabb(xx, wo_, a1);                                                \
    a3 = __smlatt(xx, wo_, a3);                                                \
  } while (0)
#endif

/// Requantize and store four adjacent output channels starting at oc.
#define TINYTS_DW_STORE4(o, oc)                                                \
  do {                                                                         \
    if (fast) {                                                                \
      (o)[0] = tinyts_requant_fast(a0, multiplier[(oc)], -shift[(oc)],         \
                                   output_offset, act_min, act_max);           \
      (o)[1] = tinyts_requant_fast(a1, multiplier[(oc) + 1],                   \
                                   -shift[(oc) + 1], output_offset, act_min,   \
                                   act_max);                                   \
      (o)[2] = tinyts_requant_fast(a2, multiplier[(oc) + 2],                   \
                                   -shift[(oc) + 2], output_offset, act_min,   \
                                   act_max);                                   \
      (o)[3] = tinyts_requant_fast(a3, multiplier[(oc) + 3],                   \
                                   -shift[(oc) + 3], output_offset, act_min,   \
                                   act_max);                                   \
    } else {                                                                   \
      (o)[0] = tinyts_requant_s8(a0, multiplier[(oc)], shift[(oc)],            \
                                 output_offset, act_min, act_max);             \
      (o)[1] = tinyts_requant_s8(a1, multiplier[(oc) + 1], shift[(oc) + 1],    \
                                 output_offset, act_min, act_max);             \
      (o)[2] = tinyts_requant_s8(a2, multiplier[(oc) + 2], shift[(oc) + 2],    \
                                 output_offset, act_min, act_max);             \
      (o)[3] = tinyts_requant_s8(a3, multiplier[(oc) + 3], shift[(oc) + 3],    \
                                 output_offset, act_min, act_max);             \
    }                                                                          \
  } while (0)

/// Clip the tap range [0, k) so that origin + t * dil stays in [0, size).
TINYTS_INLINE void dw_tap_range(int32_t origin, int32_t size, int32_t k,
                                int32_t dil, int32_t *lo, int32_t *hi) {
  int32_t a = 0, b = k;
  if (origin < 0)
    a = (-origin + dil - 1) / dil; // first t with origin + t * dil >= 0
  if (origin + (k - 1) * dil >= size)
    b = size - origin > 0 ? (size - origin + dil - 1) / dil : 0;
  if (a > k)
    a = k;
  if (b < a)
    b = a;
  *lo = a;
  *hi = b;
}

// Input rows (tinyts_rows): the kernels form the addresses of a window's
// rows once per output row (a few pointers on the stack) and step between
// rows with per-row byte distances, so a row table costs the inner loops
// nothing.

/// Byte distance from a to b (rows of a table need not share an object).
TINYTS_INLINE intptr_t dw_dist(const int8_t *a, const int8_t *b) {
  return (intptr_t)b - (intptr_t)a;
}

/// p advanced by d bytes (a distance from dw_dist).
TINYTS_INLINE const int8_t *dw_at(const int8_t *p, intptr_t d) {
  return (const int8_t *)((intptr_t)p + d);
}

/// Kernel rows whose addresses the per-pixel SIMD paths keep on the stack;
/// taller kernels take the scalar loop.
#define TINYTS_DW_MAX_ROWS 8

/// The same for the group path (dw_group_pixels: kernels up to 5x5).
#define TINYTS_DW_GROUP_ROWS 5

/// rp[j] = address of input row iy + j * dil_h, plus off bytes, j < n.
TINYTS_INLINE void dw_fill_rows(const tinyts_rows *in, int32_t iy, int32_t dil_h,
                                int32_t n, int32_t off, const int8_t **rp) {
  if (in->tmask == 0) { // base + row stride: uniform steps
    const int32_t step = dil_h * in->stride;
    const int8_t *r = in->tab[0] + iy * in->stride + off;
    if (n == 3) { // the common 3x3 case, unrolled
      rp[0] = r;
      rp[1] = r + step;
      rp[2] = r + 2 * step;
      return;
    }
    for (int32_t j = 0; j < n; ++j, r += step)
      rp[j] = r;
  } else {
    for (int32_t j = 0; j < n; ++j)
      rp[j] = in->tab[iy + j * dil_h] + off;
  }
}

#if TINYTS_DSP
/// One tap of four adjacent channels with pre-unpacked weights: we holds the
/// weights of channels 0 and 2, wo those of channels 1 and 3 (halfwords).
#define TINYTS_DW_TAPW(xp, we, wo)                                             \
  do {                                                                         \
    const uint32_t xv_ = (uint32_t)tinyts_read_s32(xp);                        \
    const uint32_t xe_ = __sxtab16(off2, xv_);                                 \
    const uint32_t xo_ = tinyts_sxtab16_ror8(off2, xv_);                       \
    a0 = __smlabb(xe_, (we), a0);                                              \
    a2 = __smlatt(xe_, (we), a2);                                              \
    a1 = __smlabb(xo_, (wo), a1);                                              \
    a3 = __smlatt(xo_, (wo), a3);                                              \
  } while (0)

/// TINYTS_DW_TAPW, or with `bcast` one input channel (the int8 at xp) for
/// all four output channels (depth multiplier a multiple of 4).
#define TINYTS_DW_TAPX(xp, we, wo, bcast)                                      \
  do {                                                                         \
    uint32_t xe_, xo_;                                                         \
    if (bcast) {                                                               \
      const uint32_t xv_ = (uint32_t)(*(xp) + input_offset);                   \
      xe_ = xo_ = tinyts_dup16(xv_);                                           \
    } else {                                                                   \
      const uint32_t xv_ = (uint32_t)tinyts_read_s32(xp);                      \
      xe_ = __sxtab16(off2, xv_);                                              \
      xo_ = tinyts_sxtab16_ror8(off2, xv_);                                    \
    }                                                                          \
    a0 = __smlabb(xe_, (we), a0);                                              \
    a2 = __smlatt(xe_, (we), a2);                                              \
    a1 = __smlabb(xo_, (wo), a1);                                              \
    a3 = __smlatt(xo_, (wo), a3);                                              \
  } while (0)

/// Depth-multiplier-1 layers with at most this many output pixels take the
/// per-pixel loop (dw_pixels_s8) instead of dw_group_pixels.
#ifndef TINYTS_DW_SMALL_PIX
#define TINYTS_DW_SMALL_PIX 9
#endif

/// Interior 3x3 rows of one 4-channel group: everything the row kernel
/// needs, so that its loop keeps only pointers and accumulators in
/// registers (the rest is one base register away).
typedef struct {
  const tinyts_dw_group *k; // the group's weights and requantization
  tinyts_dw_group *buf;     // where a call without prepared groups sets it up
  uint32_t off2;      // input offset in both halfwords
  int32_t input_offset;
  int32_t x_col;      // bytes between horizontal taps
  intptr_t d1, d2;    // bytes from window row 0 to rows 1 and 2
  int32_t x_step;     // bytes between the windows of adjacent output pixels
  int32_t o_step;     // bytes between adjacent output pixels
  int32_t lo, hi;     // activation clamp
} dw_row_ctx;

/// n >= 1 interior output pixels of a 3x3 window (all taps in bounds),
/// folded requantization; `full` selects the SSAT clamp.
TINYTS_INLINE void dw_row3x3_body(const int8_t *xp, int8_t *o, int32_t n,
                                  const dw_row_ctx *ctx, int full,
                                  int bcast) {
  const uint32_t off2 = ctx->off2;
  const int32_t input_offset = ctx->input_offset;
  const int32_t xc = ctx->x_col;
  const tinyts_dw_group *const k = ctx->k;
  do {
    int32_t a0 = k->b[0], a1 = k->b[1], a2 = k->b[2], a3 = k->b[3];
    const int8_t *p = xp;
    TINYTS_DW_TAPX(p, k->wk[0], k->wk[1], bcast);
    TINYTS_DW_TAPX(p + xc, k->wk[2], k->wk[3], bcast);
    TINYTS_DW_TAPX(p + 2 * xc, k->wk[4], k->wk[5], bcast);
    p = dw_at(xp, ctx->d1);
    TINYTS_DW_TAPX(p, k->wk[6], k->wk[7], bcast);
    TINYTS_DW_TAPX(p + xc, k->wk[8], k->wk[9], bcast);
    TINYTS_DW_TAPX(p + 2 * xc, k->wk[10], k->wk[11], bcast);
    p = dw_at(xp, ctx->d2);
    TINYTS_DW_TAPX(p, k->wk[12], k->wk[13], bcast);
    TINYTS_DW_TAPX(p + xc, k->wk[14], k->wk[15], bcast);
    TINYTS_DW_TAPX(p + 2 * xc, k->wk[16], k->wk[17], bcast);
    const int32_t v0 = tinyts_requant_folded(a0, k->m[0], k->r[0], k->e[0]);
    const int32_t v1 = tinyts_requant_folded(a1, k->m[1], k->r[1], k->e[1]);
    const int32_t v2 = tinyts_requant_folded(a2, k->m[2], k->r[2], k->e[2]);
    const int32_t v3 = tinyts_requant_folded(a3, k->m[3], k->r[3], k->e[3]);
    o[0] = tinyts_clamp_s8(v0, full, ctx->lo, ctx->hi);
    o[1] = tinyts_clamp_s8(v1, full, ctx->lo, ctx->hi);
    o[2] = tinyts_clamp_s8(v2, full, ctx->lo, ctx->hi);
    o[3] = tinyts_clamp_s8(v3, full, ctx->lo, ctx->hi);
    xp += ctx->x_step;
    o += ctx->o_step;
  } while (--n);
}

static __attribute__((noinline)) void
dw_row3x3_full(const int8_t *xp, int8_t *o, int32_t n, const dw_row_ctx *ctx) {
  dw_row3x3_body(xp, o, n, ctx, 1, 0);
}

static __attribute__((noinline)) void
dw_row3x3_clamp(const int8_t *xp, int8_t *o, int32_t n, const dw_row_ctx *ctx) {
  dw_row3x3_body(xp, o, n, ctx, 0, 0);
}

static __attribute__((noinline)) void
dw_row3x3_full_bc(const int8_t *xp, int8_t *o, int32_t n,
                  const dw_row_ctx *ctx) {
  dw_row3x3_body(xp, o, n, ctx, 1, 1);
}

static __attribute__((noinline)) void
dw_row3x3_clamp_bc(const int8_t *xp, int8_t *o, int32_t n,
                   const dw_row_ctx *ctx) {
  dw_row3x3_body(xp, o, n, ctx, 0, 1);
}

/// One 3x3 tap row of two adjacent output pixels at stride 1 (dilation 1):
/// the four input columns at RP are loaded once, each feeding both pixels'
/// accumulators (lane pair `h` of the four channels, see dw_row3x3_s1_body).
#define TINYTS_DW_S1_ROW(RP, W0, W1, W2)                                       \
  do {                                                                         \
    const int8_t *q_ = (RP);                                                   \
    uint32_t x_ = (uint32_t)tinyts_read_s32(q_);                               \
    x_ = h ? tinyts_sxtab16_ror8(off2, x_) : (uint32_t)__sxtab16(off2, x_);    \
    p0l = __smlabb(x_, (W0), p0l);                                             \
    p0h = __smlatt(x_, (W0), p0h);                                             \
    x_ = (uint32_t)tinyts_read_s32(q_ + xc);                                   \
    x_ = h ? tinyts_sxtab16_ror8(off2, x_) : (uint32_t)__sxtab16(off2, x_);    \
    p0l = __smlabb(x_, (W1), p0l);                                             \
    p0h = __smlatt(x_, (W1), p0h);                                             \
    p1l = __smlabb(x_, (W0), p1l);                                             \
    p1h = __smlatt(x_, (W0), p1h);                                             \
    q_ += 2 * xc;                                                              \
    x_ = (uint32_t)tinyts_read_s32(q_);                                        \
    x_ = h ? tinyts_sxtab16_ror8(off2, x_) : (uint32_t)__sxtab16(off2, x_);    \
    p0l = __smlabb(x_, (W2), p0l);                                             \
    p0h = __smlatt(x_, (W2), p0h);                                             \
    p1l = __smlabb(x_, (W1), p1l);                                             \
    p1h = __smlatt(x_, (W1), p1h);                                             \
    x_ = (uint32_t)tinyts_read_s32(q_ + xc);                                   \
    x_ = h ? tinyts_sxtab16_ror8(off2, x_) : (uint32_t)__sxtab16(off2, x_);    \
    p1l = __smlabb(x_, (W2), p1l);                                             \
    p1h = __smlatt(x_, (W2), p1h);                                             \
  } while (0)

/// Stride-1 (dilation-1) interior 3x3 pixels in pairs, one lane pair of the
/// group per pass: h = 0 computes channels 0 and 2, h = 1 channels 1 and 3.
/// Adjacent windows share two of their three columns, so a pair loads 12
/// input words (instead of 18) and each unpacked weight once (instead of
/// twice); four accumulators keep the loop within the register file.
TINYTS_INLINE void dw_row3x3_s1_body(const int8_t *xp, int8_t *o,
                                     int32_t npairs, const dw_row_ctx *ctx,
                                     int full, int h) {
  const uint32_t off2 = ctx->off2;
  const int32_t xc = ctx->x_col;
  const tinyts_dw_group *const k = ctx->k;
  const uint32_t *const w = k->wk + h; // tap t: w[2t]
  do {
    int32_t p0l = k->b[h], p0h = k->b[h + 2];
    int32_t p1l = p0l, p1h = p0h;
    TINYTS_DW_S1_ROW(xp, w[0], w[2], w[4]);
    TINYTS_DW_S1_ROW(dw_at(xp, ctx->d1), w[6], w[8], w[10]);
    TINYTS_DW_S1_ROW(dw_at(xp, ctx->d2), w[12], w[14], w[16]);
    const int32_t ml = k->m[h], rl = k->r[h], el = k->e[h];
    const int32_t mh = k->m[h + 2], rh = k->r[h + 2], eh = k->e[h + 2];
    const int32_t os = ctx->o_step;
    o[h] = tinyts_clamp_s8(tinyts_requant_folded(p0l, ml, rl, el), full,
                           ctx->lo, ctx->hi);
    o[h + 2] = tinyts_clamp_s8(tinyts_requant_folded(p0h, mh, rh, eh), full,
                               ctx->lo, ctx->hi);
    o[os + h] = tinyts_clamp_s8(tinyts_requant_folded(p1l, ml, rl, el), full,
                                ctx->lo, ctx->hi);
    o[os + h + 2] = tinyts_clamp_s8(tinyts_requant_folded(p1h, mh, rh, eh),
                                    full, ctx->lo, ctx->hi);
    xp += 2 * xc;
    o += 2 * os;
  } while (--npairs);
}

/// One pass each (separate functions keep the frames small: nothing has to
/// survive a first pass).
#define TINYTS_DW_S1_FN(NAME, FULL, H)                                         \
  static __attribute__((noinline)) void NAME(const int8_t *xp, int8_t *o,      \
                                             int32_t npairs,                   \
                                             const dw_row_ctx *ctx) {          \
    dw_row3x3_s1_body(xp, o, npairs, ctx, FULL, H);                            \
  }
TINYTS_DW_S1_FN(dw_row3x3_s1_full_e, 1, 0)
TINYTS_DW_S1_FN(dw_row3x3_s1_full_o, 1, 1)
TINYTS_DW_S1_FN(dw_row3x3_s1_clamp_e, 0, 0)
TINYTS_DW_S1_FN(dw_row3x3_s1_clamp_o, 0, 1)
#undef TINYTS_DW_S1_FN

/// What the groups of one dw_group_pixels call share: the call's parameters
/// (read through one pointer, so that a group's set-up and its rows keep
/// few values live) and the interior pixel range of the row kernel.
typedef struct {
  const tinyts_rows *in;
  const int8_t *filter;
  const int32_t *bias, *multiplier, *shift;
  int8_t *output;
  int32_t out_c, depth_multiplier;
  int32_t in_h, in_w, in_pix_stride;
  int32_t out_h, out_w, out_row_stride, out_pix_stride;
  int32_t kh, kw, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left;
  int32_t input_offset, output_offset, act_min, act_max;
  int32_t row_x0, row_x1; // interior pixels of a full-height 3x3 row
  int full_range, is3x3, pairs_s1;
  const int32_t *prep; // prepared groups (NULL: set up per call)
  int32_t prep_words;  // words per prepared group
} dw_call;

/// The input window of one output row, shared by every group: in-bounds
/// kernel rows [ky0, ky1) at rp[ky] (channel 0, column 0) and, when all kh
/// rows are in bounds, the distances from row 0 to rows 1 and 2.
typedef struct {
  const int8_t *rp[TINYTS_DW_GROUP_ROWS];
  int32_t ky0, ky1, rows_full;
  intptr_t d1, d2;
} dw_row_geo;

/// The window of output row oy.
TINYTS_INLINE void dw_row_geometry(const dw_call *cl, int32_t oy,
                                   dw_row_geo *g) {
  const int32_t iy0 = oy * cl->stride_h - cl->pad_top;
  int32_t ky0, ky1;
  dw_tap_range(iy0, cl->in_h, cl->kh, cl->dil_h, &ky0, &ky1);
  g->ky0 = ky0;
  g->ky1 = ky1;
  g->rows_full = ky0 == 0 && ky1 == cl->kh;
  dw_fill_rows(cl->in, iy0 + ky0 * cl->dil_h, cl->dil_h, ky1 - ky0, 0,
               g->rp + ky0);
  if (g->rows_full && cl->kh >= 3) {
    g->d1 = dw_dist(g->rp[0], g->rp[1]);
    g->d2 = dw_dist(g->rp[0], g->rp[2]);
  }
}

/// One group of four output channels (oc: its first), every output row of
/// the call.  *g holds the window of the current row: formed once by
/// dw_group_pixels for a one-row call (`formed`), else here row by row.
TINYTS_INLINE void dw_group_body(const dw_call *cl, dw_row_ctx *ctx,
                                 int32_t oc, dw_row_geo *g, int formed,
                                 int bcast) {
  const int32_t kh = cl->kh, kw = cl->kw, taps = kh * kw;
  const int is3x3 = cl->is3x3, full_range = cl->full_range;
  // The group's constants: prepared at compile time (cl->prep, one record
  // per group) or set up here, once per call.
  int fold;
  if (cl->prep) {
    ctx->k = (const tinyts_dw_group *)(const void *)(cl->prep +
                                                     (oc >> 2) * cl->prep_words);
    fold = ctx->k->fold;
  } else {
    fold = tinyts_dw_group_fill(ctx->buf, cl->filter, cl->out_c, cl->bias,
                                cl->multiplier, cl->shift, oc, taps,
                                cl->output_offset);
    ctx->k = ctx->buf;
  }
  const tinyts_dw_group *const k = ctx->k;
  const uint32_t *const wk = k->wk;
  // Input channel of the group: byte offset added to every row address.
  const int32_t ch = bcast ? oc / cl->depth_multiplier : oc;
  // The call's parameters are read from *cl where they are used, not
  // copied into locals: the copies would be spilled, and a banded layer
  // pays this prologue for every group of every call.
  const uint32_t off2 = ctx->off2; // for the tap macros
  const int32_t input_offset = ctx->input_offset;
  const int row_kernel = is3x3 && fold;
  int8_t *orow = cl->output + oc;
  for (int32_t oy = 0; oy < cl->out_h; ++oy, orow += cl->out_row_stride) {
    if (!formed)
      dw_row_geometry(cl, oy, g);
    const int32_t ky0 = g->ky0, ky1 = g->ky1;
    const int rows_full = g->rows_full;
    int8_t *o = orow;
    int32_t rx0 = cl->out_w, rx1 = cl->out_w;
    if (row_kernel && rows_full) {
      rx0 = cl->row_x0;
      rx1 = cl->row_x1;
      ctx->d1 = g->d1;
      ctx->d2 = g->d2;
    }
    for (int32_t ox = 0; ox < cl->out_w; ++ox, o += cl->out_pix_stride) {
      if (ox == rx0) {
        const int32_t ix = rx0 * cl->stride_w - cl->pad_left;
        const int8_t *xp = g->rp[0] + ix * cl->in_pix_stride + ch;
        if (bcast) {
          if (full_range)
            dw_row3x3_full_bc(xp, o, rx1 - rx0, ctx);
          else
            dw_row3x3_clamp_bc(xp, o, rx1 - rx0, ctx);
        } else if (cl->pairs_s1 && rx1 - rx0 >= 4) {
          // Pairs of pixels, then a lone last one.
          const int32_t n = rx1 - rx0, np = n >> 1;
          if (full_range) {
            dw_row3x3_s1_full_e(xp, o, np, ctx);
            dw_row3x3_s1_full_o(xp, o, np, ctx);
          } else {
            dw_row3x3_s1_clamp_e(xp, o, np, ctx);
            dw_row3x3_s1_clamp_o(xp, o, np, ctx);
          }
          if (n & 1) {
            const int8_t *xl = xp + 2 * np * ctx->x_col;
            int8_t *ol = o + 2 * np * cl->out_pix_stride;
            if (full_range)
              dw_row3x3_full(xl, ol, 1, ctx);
            else
              dw_row3x3_clamp(xl, ol, 1, ctx);
          }
        } else if (full_range) {
          dw_row3x3_full(xp, o, rx1 - rx0, ctx);
        } else {
          dw_row3x3_clamp(xp, o, rx1 - rx0, ctx);
        }
        o += (rx1 - rx0 - 1) * cl->out_pix_stride;
        ox = rx1 - 1;
        continue;
      }
      const int32_t ix0 = ox * cl->stride_w - cl->pad_left;
      int32_t a0 = k->b[0], a1 = k->b[1], a2 = k->b[2], a3 = k->b[3];
      if (!bcast && is3x3 && rows_full && ix0 >= 0 &&
          ix0 + 2 * cl->dil_w < cl->in_w) {
        const int32_t xo = ix0 * cl->in_pix_stride + ch;
        const int8_t *xp = g->rp[0] + xo;
        TINYTS_DW_TAPW(xp, wk[0], wk[1]);
        TINYTS_DW_TAPW(xp + ctx->x_col, wk[2], wk[3]);
        TINYTS_DW_TAPW(xp + 2 * ctx->x_col, wk[4], wk[5]);
        xp = g->rp[1] + xo;
        TINYTS_DW_TAPW(xp, wk[6], wk[7]);
        TINYTS_DW_TAPW(xp + ctx->x_col, wk[8], wk[9]);
        TINYTS_DW_TAPW(xp + 2 * ctx->x_col, wk[10], wk[11]);
        xp = g->rp[2] + xo;
        TINYTS_DW_TAPW(xp, wk[12], wk[13]);
        TINYTS_DW_TAPW(xp + ctx->x_col, wk[14], wk[15]);
        TINYTS_DW_TAPW(xp + 2 * ctx->x_col, wk[16], wk[17]);
      } else if (!bcast && is3x3 && rows_full) {
        // A left / right border pixel of a full-height 3x3 window: the
        // in-bounds columns, three rows each.
        int32_t kx0, kx1;
        dw_tap_range(ix0, cl->in_w, 3, cl->dil_w, &kx0, &kx1);
        const int32_t xo =
            (ix0 + kx0 * cl->dil_w) * cl->in_pix_stride + ch;
        const int8_t *x0 = g->rp[0] + xo;
        const intptr_t d1 = dw_dist(g->rp[0], g->rp[1]);
        const intptr_t d2 = dw_dist(g->rp[0], g->rp[2]);
        const uint32_t *wp = wk + 2 * kx0;
        for (int32_t kx = kx0; kx < kx1; ++kx, x0 += ctx->x_col, wp += 2) {
          TINYTS_DW_TAPW(x0, wp[0], wp[1]);
          TINYTS_DW_TAPW(dw_at(x0, d1), wp[6], wp[7]);
          TINYTS_DW_TAPW(dw_at(x0, d2), wp[12], wp[13]);
        }
      } else {
        int32_t kx0, kx1;
        dw_tap_range(ix0, cl->in_w, kw, cl->dil_w, &kx0, &kx1);
        const int32_t xo =
            (ix0 + kx0 * cl->dil_w) * cl->in_pix_stride + ch;
        for (int32_t ky = ky0; ky < ky1; ++ky) {
          const int8_t *xp = g->rp[ky] + xo;
          const uint32_t *wp = wk + 2 * (ky * kw + kx0);
          for (int32_t kx = kx0; kx < kx1; ++kx, xp += ctx->x_col, wp += 2)
            TINYTS_DW_TAPX(xp, wp[0], wp[1], bcast);
        }
      }
      if (fold) {
        const int32_t lo = full_range ? -128 : cl->act_min;
        const int32_t hi = full_range ? 127 : cl->act_max;
#define TINYTS_DW_FOLDED(A, I)                                                 \
  tinyts_clamp_s8(                                                             \
      tinyts_requant_folded((A), k->m[I], k->r[I], k->e[I]),                   \
      full_range, lo, hi)
        o[0] = TINYTS_DW_FOLDED(a0, 0);
        o[1] = TINYTS_DW_FOLDED(a1, 1);
        o[2] = TINYTS_DW_FOLDED(a2, 2);
        o[3] = TINYTS_DW_FOLDED(a3, 3);
#undef TINYTS_DW_FOLDED
      } else {
        const int32_t *const mu = cl->multiplier + oc;
        const int32_t *const sh = cl->shift + oc;
        const int32_t oo = cl->output_offset;
        const int32_t lo = cl->act_min, hi = cl->act_max;
        o[0] = tinyts_requant_s8(a0, mu[0], sh[0], oo, lo, hi);
        o[1] = tinyts_requant_s8(a1, mu[1], sh[1], oo, lo, hi);
        o[2] = tinyts_requant_s8(a2, mu[2], sh[2], oo, lo, hi);
        o[3] = tinyts_requant_s8(a3, mu[3], sh[3], oo, lo, hi);
      }
    }
  }
}

/// dw_group_body for depth multiplier 1 and for broadcast groups; out of
/// line so that a group's loops get the registers to themselves.
static __attribute__((noinline)) void
dw_group_dm1(const dw_call *cl, dw_row_ctx *ctx, int32_t oc, dw_row_geo *g,
             int formed) {
  dw_group_body(cl, ctx, oc, g, formed, 0);
}

static __attribute__((noinline)) void
dw_group_bc(const dw_call *cl, dw_row_ctx *ctx, int32_t oc, dw_row_geo *g,
            int formed) {
  dw_group_body(cl, ctx, oc, g, formed, 1);
}

/// The call's parameters for dw_group_pixels.
TINYTS_INLINE void dw_call_init(
    dw_call *cl, const tinyts_rows *in, int32_t in_h, int32_t in_w,
    int32_t in_pix_stride, const int8_t *filter, int32_t out_c,
    int32_t depth_multiplier, const int32_t *bias, int8_t *output,
    int32_t out_h, int32_t out_w, int32_t out_row_stride,
    int32_t out_pix_stride, int32_t kh, int32_t kw, int32_t stride_h,
    int32_t stride_w, int32_t dil_h, int32_t dil_w, int32_t pad_top,
    int32_t pad_left, int32_t input_offset, int32_t output_offset,
    const int32_t *multiplier, const int32_t *shift, int32_t act_min,
    int32_t act_max, int bcast, const int32_t *prep) {
  cl->in = in;
  cl->prep = prep;
  cl->prep_words = TINYTS_DW_GROUP_WORDS(kh * kw);
  cl->filter = filter;
  cl->bias = bias;
  cl->multiplier = multiplier;
  cl->shift = shift;
  cl->output = output;
  cl->out_c = out_c;
  cl->depth_multiplier = depth_multiplier;
  cl->in_h = in_h;
  cl->in_w = in_w;
  cl->in_pix_stride = in_pix_stride;
  cl->out_h = out_h;
  cl->out_w = out_w;
  cl->out_row_stride = out_row_stride;
  cl->out_pix_stride = out_pix_stride;
  cl->kh = kh;
  cl->kw = kw;
  cl->stride_h = stride_h;
  cl->stride_w = stride_w;
  cl->dil_h = dil_h;
  cl->dil_w = dil_w;
  cl->pad_top = pad_top;
  cl->pad_left = pad_left;
  cl->input_offset = input_offset;
  cl->output_offset = output_offset;
  cl->act_min = act_min;
  cl->act_max = act_max;
  cl->full_range = act_min == -128 && act_max == 127;
  cl->is3x3 = kh == 3 && kw == 3;
  // Stride 1, dilation 1: the row kernel takes its pixels in pairs (rows of
  // at least 4 interior pixels; shorter ones do not repay the extra calls).
  cl->pairs_s1 = !bcast && stride_w == 1 && dil_w == 1;
  // Interior pixels [row_x0, row_x1) of a full-height 3x3 row go to the row
  // kernel (none: out_w, out_w).
  int32_t row_x0 = out_w, row_x1 = out_w;
  if (cl->is3x3) {
    row_x0 = pad_left <= 0 ? 0 : (pad_left + stride_w - 1) / stride_w;
    const int32_t lim = in_w - 2 * dil_w + pad_left - 1; // ox * sw <= lim
    row_x1 = lim < 0 ? 0 : lim / stride_w + 1;
    if (row_x1 > out_w)
      row_x1 = out_w;
    // One pixel is cheaper in place unless its input is broadcast.
    if (row_x0 >= row_x1 || (row_x1 - row_x0 < 2 && !bcast))
      row_x0 = row_x1 = out_w;
  }
  cl->row_x0 = row_x0;
  cl->row_x1 = row_x1;
}

/// Output channels [0, oc1) in groups of four (oc1 a multiple of 4), every
/// output pixel; kh <= TINYTS_DW_GROUP_ROWS.  Without `bcast` (depth
/// multiplier 1) group oc reads input channels oc..oc+3; with it, the four
/// output channels share input channel oc / depth_multiplier.  Each group's
/// weights are unpacked once into ctx->wk; interior 3x3 windows are
/// unrolled.  What does not depend on the group (the row kernel's geometry
/// and constants and, for a one-row call, the input window) is set up once
/// per call: a banded layer calls this once per band.
static __attribute__((noinline)) void dw_group_pixels(const dw_call *cl,
                                                      int32_t oc1, int bcast) {
  dw_row_ctx ctx;
  tinyts_dw_group buf; // a group's set-up when nothing is prepared
  ctx.buf = &buf;
  const int32_t input_offset = cl->input_offset;
  ctx.off2 =
      ((uint32_t)input_offset & 0xFFFFu) | ((uint32_t)input_offset << 16);
  ctx.input_offset = input_offset;
  ctx.x_col = cl->dil_w * cl->in_pix_stride;
  ctx.x_step = cl->stride_w * cl->in_pix_stride;
  ctx.o_step = cl->out_pix_stride;
  ctx.lo = cl->act_min;
  ctx.hi = cl->act_max;
  // A one-row call (a band of height 1) forms its window once for all
  // groups.
  dw_row_geo geo;
  const int formed = cl->out_h == 1;
  if (formed)
    dw_row_geometry(cl, 0, &geo);
  if (bcast) {
    for (int32_t oc = 0; oc < oc1; oc += 4)
      dw_group_bc(cl, &ctx, oc, &geo, formed);
  } else {
    for (int32_t oc = 0; oc < oc1; oc += 4)
      dw_group_dm1(cl, &ctx, oc, &geo, formed);
  }
}
#endif

/// Channels [c_done, in_c) pixel by pixel (any shape; out of line so that
/// the group path's stack frames do not stack on top of this one's).
static __attribute__((noinline)) void dw_pixels_s8(
    const tinyts_rows *in, int32_t in_h, int32_t in_w, int32_t in_c,
    int32_t in_pix_stride, const int8_t *filter, const int32_t *bias,
    int8_t *output, int32_t out_h, int32_t out_w, int32_t depth_multiplier,
    int32_t out_row_stride, int32_t out_pix_stride, int32_t kh, int32_t kw,
    int32_t stride_h, int32_t stride_w, int32_t dil_h, int32_t dil_w,
    int32_t pad_top, int32_t pad_left, int32_t input_offset,
    int32_t output_offset, const int32_t *multiplier, const int32_t *shift,
    int32_t act_min, int32_t act_max, int32_t c_done) {
  const int32_t out_c = in_c * depth_multiplier;
  const int32_t frow = kw * out_c; // filter elements per kernel row
  const int32_t headroom = tinyts_fast_requant_headroom(kh * kw);
#if TINYTS_DSP
  const int fast = tinyts_fast_requant_ok(bias, shift, out_c, kh * kw);
  const uint32_t off2 =
      ((uint32_t)input_offset & 0xFFFFu) | ((uint32_t)input_offset << 16);
  const int32_t x_col = dil_w * in_pix_stride;
  // The SIMD paths keep the window's row addresses on the stack.
  const int simd = kh <= TINYTS_DW_MAX_ROWS;
#endif
  for (int32_t oy = 0; oy < out_h; ++oy) {
    const int32_t iy0 = oy * stride_h - pad_top;
    int32_t ky0, ky1;
    dw_tap_range(iy0, in_h, kh, dil_h, &ky0, &ky1);
#if TINYTS_DSP
    // rp[j]: in-bounds window row ky0 + j (column 0).
    const int8_t *rp[TINYTS_DW_MAX_ROWS];
    const int32_t nky = ky1 - ky0;
    if (simd)
      dw_fill_rows(in, iy0 + ky0 * dil_h, dil_h, nky, 0, rp);
#endif
    for (int32_t ox = 0; ox < out_w; ++ox) {
      const int32_t ix0 = ox * stride_w - pad_left;
      int32_t kx0, kx1;
      dw_tap_range(ix0, in_w, kw, dil_w, &kx0, &kx1);
      int8_t *o = output + oy * out_row_stride + ox * out_pix_stride;
      // Byte offset of the first in-bounds tap within a row.
      const int32_t xo = (ix0 + kx0 * dil_w) * in_pix_stride;
      int32_t c = c_done;
#if TINYTS_DSP
      const int32_t nkx = kx1 - kx0;
      const int8_t *fw = filter + ky0 * frow + kx0 * out_c;
      if (!simd) {
        // Scalar loop below.
      } else if (depth_multiplier == 1) {
        if (nky == 3 && nkx == 3 && kw == 3) {
          // Interior 3x3 window: the nine taps unrolled; filter tap t of
          // channel c is at fw + c + t * out_c.
          const int8_t *const xw = rp[0] + xo;
          const intptr_t s1 = dw_dist(rp[0], rp[1]) - 2 * x_col;
          const intptr_t s2 = dw_dist(rp[1], rp[2]) - 2 * x_col;
          for (; c + 4 <= in_c; c += 4) {
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            if (bias) {
              a0 = bias[c];
              a1 = bias[c + 1];
              a2 = bias[c + 2];
              a3 = bias[c + 3];
            }
            const int8_t *xp = xw + c;
            const int8_t *fp = fw + c;
            TINYTS_DW_TAP4(xp, fp);
            TINYTS_DW_TAP4(xp + x_col, fp + out_c);
            TINYTS_DW_TAP4(xp + 2 * x_col, fp + 2 * out_c);
            xp = dw_at(xp + 2 * x_col, s1);
            fp += 3 * out_c;
            TINYTS_DW_TAP4(xp, fp);
            TINYTS_DW_TAP4(xp + x_col, fp + out_c);
            TINYTS_DW_TAP4(xp + 2 * x_col, fp + 2 * out_c);
            xp = dw_at(xp + 2 * x_col, s2);
            fp += 3 * out_c;
            TINYTS_DW_TAP4(xp, fp);
            TINYTS_DW_TAP4(xp + x_col, fp + out_c);
            TINYTS_DW_TAP4(xp + 2 * x_col, fp + 2 * out_c);
            TINYTS_DW_STORE4(o + c, c);
          }
        } else {
          for (; c + 4 <= in_c; c += 4) {
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            if (bias) {
              a0 = bias[c];
              a1 = bias[c + 1];
              a2 = bias[c + 2];
              a3 = bias[c + 3];
            }
            const int8_t *fr = fw + c;
            for (int32_t ky = 0; ky < nky; ++ky, fr += frow) {
              const int8_t *xp = rp[ky] + xo + c;
              const int8_t *fp = fr;
              for (int32_t kx = 0; kx < nkx; ++kx, xp += x_col, fp += out_c)
                TINYTS_DW_TAP4(xp, fp);
            }
            TINYTS_DW_STORE4(o + c, c);
          }
        }
      } else if ((depth_multiplier & 3) == 0) {
        // Groups of four output channels that share one input channel.
        for (; c < in_c; ++c) {
          for (int32_t m = 0; m < depth_multiplier; m += 4) {
            const int32_t oc = c * depth_multiplier + m;
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            if (bias) {
              a0 = bias[oc];
              a1 = bias[oc + 1];
              a2 = bias[oc + 2];
              a3 = bias[oc + 3];
            }
            const int8_t *fr = fw + oc;
            for (int32_t ky = 0; ky < nky; ++ky, fr += frow) {
              const int8_t *xp = rp[ky] + xo + c;
              const int8_t *fp = fr;
              for (int32_t kx = 0; kx < nkx; ++kx, xp += x_col, fp += out_c) {
                const uint32_t xv = (uint32_t)(*xp + input_offset);
                const uint32_t xx = (xv & 0xFFFFu) | (xv << 16);
                TINYTS_DW_TAP4_BCAST(xx, fp);
              }
            }
            TINYTS_DW_STORE4(o + oc, oc);
          }
        }
      }
#endif
      for (; c < in_c; ++c) {
        for (int32_t m = 0; m < depth_multiplier; ++m) {
          const int32_t oc = c * depth_multiplier + m;
          int32_t acc = bias ? bias[oc] : 0;
          for (int32_t ky = ky0; ky < ky1; ++ky) {
            const int8_t *xr = tinyts_row(in, iy0 + ky * dil_h) + xo + c;
            const int8_t *fr = filter + ky * frow + kx0 * out_c + oc;
            for (int32_t kx = 0; kx < kx1 - kx0; ++kx)
              acc += (xr[kx * dil_w * in_pix_stride] + input_offset) *
                     fr[kx * out_c];
          }
          o[oc] = tinyts_fast_requant_ch(bias, shift, oc, headroom)
                      ? tinyts_requant_fast(acc, multiplier[oc], -shift[oc],
                                             output_offset, act_min, act_max)
                       : tinyts_requant_s8(acc, multiplier[oc], shift[oc],
                                           output_offset, act_min, act_max);
        }
      }
    }
  }
}

#if TINYTS_DSP
/// dw_pixels_s8 for the call described by *cl.
static __attribute__((noinline)) void dw_pixels_call(const dw_call *cl,
                                                     int32_t c_done) {
  dw_pixels_s8(cl->in, cl->in_h, cl->in_w, cl->out_c / cl->depth_multiplier,
               cl->in_pix_stride, cl->filter, cl->bias, cl->output,
               cl->out_h, cl->out_w, cl->depth_multiplier, cl->out_row_stride,
               cl->out_pix_stride, cl->kh, cl->kw, cl->stride_h, cl->stride_w,
               cl->dil_h, cl->dil_w, cl->pad_top, cl->pad_left,
               cl->input_offset, cl->output_offset, cl->multiplier, cl->shift,
               cl->act_min, cl->act_max, c_done);
}
#endif

/// Both public entry points.
TINYTS_INLINE void depthwise_any(
    const tinyts_rows *in, int32_t in_h, int32_t in_w, int32_t in_c,
    int32_t in_pix_stride, const int8_t *filter, const int32_t *bias,
    int8_t *output, int32_t out_h, int32_t out_w, int32_t depth_multiplier,
    int32_t out_row_stride, int32_t out_pix_stride, int32_t kh, int32_t kw,
    int32_t stride_h, int32_t stride_w, int32_t dil_h, int32_t dil_w,
    int32_t pad_top, int32_t pad_left, int32_t input_offset,
    int32_t output_offset, const int32_t *multiplier, const int32_t *shift,
    int32_t act_min, int32_t act_max, const int32_t *prep) {
  int32_t c_done = 0; // channels [0, c_done) already computed
#if TINYTS_DSP
  const int32_t out_c = in_c * depth_multiplier;
  const int group_ok =
      kh * kw <= TINYTS_DW_MAX_TAPS && kh <= TINYTS_DW_GROUP_ROWS;
  // Tiny outputs (the 3x3 tails of MobileNets) are all edge pixels but one:
  // the per-pixel loop (tap range once per pixel, weights straight from the
  // filter) beats per-group weight unpacking there.
  if (depth_multiplier == 1 && group_ok &&
      (out_h * out_w > TINYTS_DW_SMALL_PIX || out_w >= 4)) {
    const int32_t c_end = in_c & ~3;
    if (c_end > 0) {
      dw_call cl;
      dw_call_init(&cl, in, in_h, in_w, in_pix_stride, filter, out_c, 1, bias,
                   output, out_h, out_w, out_row_stride, out_pix_stride, kh,
                   kw, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left,
                   input_offset, output_offset, multiplier, shift, act_min,
                   act_max, 0, prep);
      dw_group_pixels(&cl, c_end, 0);
    }
    c_done = c_end;
    if (c_done == in_c)
      return;
  }
  if ((depth_multiplier & 3) == 0 && group_ok) {
    // Groups of four output channels reading one input channel (broadcast).
    dw_call cl;
    dw_call_init(&cl, in, in_h, in_w, in_pix_stride, filter, out_c,
                 depth_multiplier, bias, output, out_h, out_w, out_row_stride,
                 out_pix_stride, kh, kw, stride_h, stride_w, dil_h, dil_w,
                 pad_top, pad_left, input_offset, output_offset, multiplier,
                 shift, act_min, act_max, 1, prep);
    dw_group_pixels(&cl, out_c, 1);
    return;
  }
  {
    // Through the call's parameters, so that this frame does not also hold
    // dw_pixels_s8's stack arguments (the group paths' frames stack on it).
    dw_call cl;
    dw_call_init(&cl, in, in_h, in_w, in_pix_stride, filter, out_c,
                 depth_multiplier, bias, output, out_h, out_w, out_row_stride,
                 out_pix_stride, kh, kw, stride_h, stride_w, dil_h, dil_w,
                 pad_top, pad_left, input_offset, output_offset, multiplier,
                 shift, act_min, act_max, 0, NULL);
    dw_pixels_call(&cl, c_done);
    return;
  }
#endif
  dw_pixels_s8(in, in_h, in_w, in_c, in_pix_stride, filter, bias, output,
               out_h, out_w, depth_multiplier, out_row_stride, out_pix_stride,
               kh, kw, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left,
               input_offset, output_offset, multiplier, shift, act_min,
               act_max, c_done);
#if !TINYTS_DSP
  (void)prep; // the portable path reads the layer's parameters directly
#endif
}

void tinyts_depthwise_conv2d_s8(
    const int8_t *input, int32_t in_h, int32_t in_w, int32_t in_c,
    int32_t in_row_stride, int32_t in_pix_stride, const int8_t *filter,
    const int32_t *bias, int8_t *output, int32_t out_h, int32_t out_w,
    int32_t depth_multiplier, int32_t out_row_stride, int32_t out_pix_stride,
    int32_t kh, int32_t kw, int32_t stride_h, int32_t stride_w, int32_t dil_h,
    int32_t dil_w, int32_t pad_top, int32_t pad_left, int32_t input_offset,
    int32_t output_offset, const int32_t *multiplier, const int32_t *shift,
    int32_t act_min, int32_t act_max) {
  const tinyts_rows in = {&input, 0, in_row_stride};
  depthwise_any(&in, in_h, in_w, in_c, in_pix_stride, filter, bias, output,
                out_h, out_w, depth_multiplier, out_row_stride,
                out_pix_stride, kh, kw, stride_h, stride_w, dil_h, dil_w,
                pad_top, pad_left, input_offset, output_offset, multiplier,
                shift, act_min, act_max, NULL);
}

void tinyts_depthwise_conv2d_rows_s8(
    const int8_t *const *in_rows, int32_t in_h, int32_t in_w, int32_t in_c,
    int32_t in_pix_stride, const int8_t *filter, const int32_t *bias,
    int8_t *output, int32_t out_h, int32_t out_w, int32_t depth_multiplier,
    int32_t out_row_stride, int32_t out_pix_stride, int32_t kh, int32_t kw,
    int32_t stride_h, int32_t stride_w, int32_t dil_h, int32_t dil_w,
    int32_t pad_top, int32_t pad_left, int32_t input_offset,
    int32_t output_offset, const int32_t *multiplier, const int32_t *shift,
    int32_t act_min, int32_t act_max) {
  const tinyts_rows in = {in_rows, -1, 0};
  depthwise_any(&in, in_h, in_w, in_c, in_pix_stride, filter, bias, output,
                out_h, out_w, depth_multiplier, out_row_stride,
                out_pix_stride, kh, kw, stride_h, stride_w, dil_h, dil_w,
                pad_top, pad_left, input_offset, output_offset, multiplier,
                shift, act_min, act_max, NULL);
}

void tinyts_depthwise_conv2d_prep_s8(
    const int8_t *input, int32_t in_h, int32_t in_w, int32_t in_c,
    int32_t in_row_stride, int32_t in_pix_stride, const int8_t *filter,
    const int32_t *bias, int8_t *output, int32_t out_h, int32_t out_w,
    int32_t depth_multiplier, int32_t out_row_stride, int32_t out_pix_stride,
    int32_t kh, int32_t kw, int32_t stride_h, int32_t stride_w, int32_t dil_h,
    int32_t dil_w, int32_t pad_top, int32_t pad_left, int32_t input_offset,
    int32_t output_offset, const int32_t *multiplier, const int32_t *shift,
    int32_t act_min, int32_t act_max, const int32_t *prep) {
  const tinyts_rows in = {&input, 0, in_row_stride};
  depthwise_any(&in, in_h, in_w, in_c, in_pix_stride, filter, bias, output,
                out_h, out_w, depth_multiplier, out_row_stride,
                out_pix_stride, kh, kw, stride_h, stride_w, dil_h, dil_w,
                pad_top, pad_left, input_offset, output_offset, multiplier,
                shift, act_min, act_max, prep);
}

void tinyts_depthwise_conv2d_prep_rows_s8(
    const int8_t *const *in_rows, int32_t in_h, int32_t in_w, int32_t in_c,
    int32_t in_pix_stride, const int8_t *filter, const int32_t *bias,
    int8_t *output, int32_t out_h, int32_t out_w, int32_t depth_multiplier,
    int32_t out_row_stride, int32_t out_pix_stride, int32_t kh, int32_t kw,
    int32_t stride_h, int32_t stride_w, int32_t dil_h, int32_t dil_w,
    int32_t pad_top, int32_t pad_left, int32_t input_offset,
    int32_t output_offset, const int32_t *multiplier, const int32_t *shift,
    int32_t act_min, int32_t act_max, const int32_t *prep) {
  const tinyts_rows in = {in_rows, -1, 0};
  depthwise_any(&in, in_h, in_w, in_c, in_pix_stride, filter, bias, output,
                out_h, out_w, depth_multiplier, out_row_stride,
                out_pix_stride, kh, kw, stride_h, stride_w, dil_h, dil_w,
                pad_top, pad_left, input_offset, output_offset, multiplier,
                shift, act_min, act_max, prep);
}

/// Bytes 0 and 2 (odd: 1 and 3) of w sign-extended into halfwords: SXTB16.
TINYTS_INLINE uint32_t dw_unpack(uint32_t w, int odd) {
#if TINYTS_DSP
  return odd ? tinyts_sxtb16_ror8(w) : (uint32_t)__sxtb16(w);
#else
  if (odd)
    w >>= 8;
  return ((uint32_t)(int32_t)(int8_t)(w & 0xFFu) & 0xFFFFu) |
         ((uint32_t)(int32_t)(int8_t)((w >> 16) & 0xFFu) << 16);
#endif
}

int tinyts_dw_group_fill(tinyts_dw_group *g, const int8_t *filter,
                         int32_t out_c, const int32_t *bias,
                         const int32_t *multiplier, const int32_t *shift,
                         int32_t oc, int32_t taps, int32_t output_offset) {
  static const int32_t zeros[4] = {0, 0, 0, 0};
  const int8_t *fp = filter + oc;
  uint32_t *wp = g->wk;
#define TINYTS_DW_UNPACK_TAP()                                                 \
  do {                                                                         \
    const uint32_t wv_ = (uint32_t)tinyts_read_s32(fp);                        \
    fp += out_c;                                                               \
    wp[0] = dw_unpack(wv_, 0);                                                 \
    wp[1] = dw_unpack(wv_, 1);                                                 \
    wp += 2;                                                                   \
  } while (0)
  if (taps == 9) { // straight-line 3x3
    TINYTS_DW_UNPACK_TAP();
    TINYTS_DW_UNPACK_TAP();
    TINYTS_DW_UNPACK_TAP();
    TINYTS_DW_UNPACK_TAP();
    TINYTS_DW_UNPACK_TAP();
    TINYTS_DW_UNPACK_TAP();
    TINYTS_DW_UNPACK_TAP();
    TINYTS_DW_UNPACK_TAP();
    TINYTS_DW_UNPACK_TAP();
  } else {
    for (int32_t t = 0; t < taps; ++t)
      TINYTS_DW_UNPACK_TAP();
  }
#undef TINYTS_DW_UNPACK_TAP
  const int32_t *const sh = shift + oc, *const mu = multiplier + oc;
  const int32_t *const bs = bias ? bias + oc : zeros;
  const int32_t e0 = -sh[0], e1 = -sh[1], e2 = -sh[2], e3 = -sh[3];
  const int32_t b0 = bs[0], b1 = bs[1], b2 = bs[2], b3 = bs[3];
  g->b[0] = b0;
  g->b[1] = b1;
  g->b[2] = b2;
  g->b[3] = b3;
  g->m[0] = mu[0];
  g->m[1] = mu[1];
  g->m[2] = mu[2];
  g->m[3] = mu[3];
  g->e[0] = e0;
  g->e[1] = e1;
  g->e[2] = e2;
  g->e[3] = e3;
  // Sign-bit tests, no branch: e - 1 and 22 - e are both below 2^31 (as
  // unsigned) exactly when 1 <= e <= 22, b + h and h - b exactly when
  // -h <= b <= h (h = headroom < 2^30); a negative headroom sets the bit.
  const uint32_t h = (uint32_t)tinyts_fast_requant_headroom(taps);
#define TINYTS_DW_FOLD_BITS(E, B)                                              \
  (((uint32_t)(E) - 1u) | (22u - (uint32_t)(E)) | ((uint32_t)(B) + h) |        \
   (h - (uint32_t)(B)))
  const uint32_t bad =
      h | TINYTS_DW_FOLD_BITS(e0, b0) | TINYTS_DW_FOLD_BITS(e1, b1) |
      TINYTS_DW_FOLD_BITS(e2, b2) | TINYTS_DW_FOLD_BITS(e3, b3);
#undef TINYTS_DW_FOLD_BITS
  if (bad >> 31) {
    g->fold = 0;
    g->r[0] = g->r[1] = g->r[2] = g->r[3] = 0; // unused without folding
    return 0;
  }
  // rnd = 2^(e-1) + (output_offset << e) = (2 output_offset + 1) << (e - 1)
  // (mod 2^32).
  const uint32_t o21 = 2u * (uint32_t)output_offset + 1u;
  g->r[0] = (int32_t)(o21 << (e0 - 1));
  g->r[1] = (int32_t)(o21 << (e1 - 1));
  g->r[2] = (int32_t)(o21 << (e2 - 1));
  g->r[3] = (int32_t)(o21 << (e3 - 1));
  g->fold = 1;
  return 1;
}

int32_t tinyts_depthwise_conv2d_prepare_s8(
    const int8_t *filter, const int32_t *bias, const int32_t *multiplier,
    const int32_t *shift, int32_t out_c, int32_t kh, int32_t kw,
    int32_t output_offset, int32_t *prep) {
  const int32_t taps = kh * kw;
  if (taps > TINYTS_DW_MAX_TAPS || kh > TINYTS_DW_GROUP_ROWS)
    return 0; // the per-pixel path, which prepares nothing
  const int32_t words = TINYTS_DW_GROUP_WORDS(taps);
  for (int32_t oc = 0; oc + 4 <= out_c; oc += 4) {
    tinyts_dw_group g;
    tinyts_dw_group_fill(&g, filter, out_c, bias, multiplier, shift, oc, taps,
                         output_offset);
    memcpy(prep + (oc >> 2) * words, &g, (size_t)words * sizeof(int32_t));
  }
  return (out_c >> 2) * words;
}
