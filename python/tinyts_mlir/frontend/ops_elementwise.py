"""ADD, MUL, QUANTIZE, DEQUANTIZE, RELU, RELU6 with TFLite Micro's integer arithmetic."""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import tosa

from .context import ImportContext, converter
from .quant import activation_range, quantize_multiplier, tosa_scale
from .reader import Operator


def _rank_align(cx: ImportContext, v: ir.Value, rank: int) -> ir.Value:
    s = cx.em.shape_of(v)
    if len(s) < rank:
        return cx.em.reshape(v, [1] * (rank - len(s)) + s)
    return v


def _out_clamp(cx: ImportContext, y: ir.Value, act: str, o: int) -> ir.Value:
    t = cx.t(o)
    lo, hi = activation_range(act, t.scale, t.zp)
    return cx.em.clamp(y, lo, hi) if (lo, hi) != (-128, 127) else y


@converter("ADD")
def add(cx: ImportContext, op: Operator) -> None:
    em = cx.em
    a, b = op.inputs[:2]
    o = op.outputs[0]
    cx.require_int8(op, a, b, o)
    ta, tb, to = cx.t(a), cx.t(b), cx.t(o)
    act = cx.act(op, op.options.FusedActivationFunction() if op.options is not None else 0)
    left_shift = 20
    twice_max = 2.0 * float(max(np.float32(ta.scale), np.float32(tb.scale)))
    rank = len(cx.shape(o))
    terms = []
    for t in (ta, tb):
        q, e = quantize_multiplier(float(np.float32(t.scale)) / twice_max)
        x = cx.value(op, t.index)
        x = em.rescale(x, em.i32, [1 << (left_shift + 2)], [2], t.zp, 0, double_round=False)
        x = em.rescale(x, em.i32, [q], [31 - e], 0, 0)
        terms.append(_rank_align(cx, x, rank))
    oshape = cx.shape(o)
    s = tosa.AddOp(em.tt(oshape, em.i32), terms[0], terms[1]).result
    m, sh = tosa_scale(twice_max / ((1 << left_shift) * float(np.float32(to.scale))))
    y = em.rescale(s, em.i8, [m], [sh], 0, to.zp)
    cx.set(o, _out_clamp(cx, y, act, o))


@converter("MUL")
def mul(cx: ImportContext, op: Operator) -> None:
    em = cx.em
    a, b = op.inputs[:2]
    o = op.outputs[0]
    cx.require_int8(op, a, b, o)
    ta, tb, to = cx.t(a), cx.t(b), cx.t(o)
    act = cx.act(op, op.options.FusedActivationFunction() if op.options is not None else 0)
    rank = len(cx.shape(o))
    xa = _rank_align(cx, em.to_i32(cx.value(op, a), ta.zp), rank)
    xb = _rank_align(cx, em.to_i32(cx.value(op, b), tb.zp), rank)
    oshape = cx.shape(o)
    p = tosa.MulOp(em.tt(oshape, em.i32), xa, xb, em.const(np.array([0]), em.i8)).result
    m, sh = tosa_scale(float(np.float32(ta.scale)) * float(np.float32(tb.scale)) / float(np.float32(to.scale)))
    y = em.rescale(p, em.i8, [m], [sh], 0, to.zp)
    cx.set(o, _out_clamp(cx, y, act, o))


def _round_half_away(em, y: ir.Value, shape: list[int]) -> ir.Value:
    """std::round in TOSA, exactly: r = floor(y), frac = y - r (exact), and
    r + 1 when frac > 0.5, or frac == 0.5 and y >= 0."""
    ones = [1] * len(shape)
    f32, i1 = em.tt(shape, em.f32), em.tt(shape, em.i1)
    half = em.const(np.full(ones, 0.5, np.float32), em.f32)
    zero = em.const(np.full(ones, 0.0, np.float32), em.f32)
    one = em.const(np.full(ones, 1.0, np.float32), em.f32)
    r = tosa.FloorOp(f32, y).result
    frac = tosa.SubOp(f32, y, r).result
    above = tosa.GreaterOp(i1, frac, half).result
    tie_up = tosa.LogicalAndOp(i1, tosa.EqualOp(frac, half).result,
                               tosa.GreaterEqualOp(i1, y, zero).result).result
    up = tosa.LogicalOrOp(i1, above, tie_up).result
    return tosa.AddOp(f32, r, tosa.SelectOp(f32, up, one, zero).result).result


@converter("QUANTIZE")
def quantize(cx: ImportContext, op: Operator) -> None:
    em = cx.em
    i, o = op.inputs[0], op.outputs[0]
    ti, to = cx.t(i), cx.t(o)
    cx.require_int8(op, o)
    shape = cx.shape(o)
    if ti.dtype == "FLOAT32":
        # TFLM: clamp(round(x / scale) + zp) with round half away from zero. TOSA has no
        # float division: multiplying by 1/scale matches x / scale except where the two differ
        # in the last ulp right at a rounding boundary (documented limitation).
        x = cx.value(op, i)
        ones = [1] * len(shape)
        inv = em.const(np.full(ones, 1.0 / np.float32(to.scale), np.float32), em.f32)
        y = tosa.MulOp(em.tt(shape, em.f32), x, inv, em.const(np.array([0]), em.i8)).result
        y = _round_half_away(em, y, shape)
        y = em.cast(y, em.i32)
        # + zero point with saturation to int8, exactly: a unit rescale with output_zp.
        y = em.rescale(y, em.i8, [1 << 30], [30], 0, to.zp, double_round=False)
        _mark(y, "tinyts.quantize", float(np.float32(to.scale)), to.zp)
        cx.set(o, y)
        return
    cx.require_int8(op, i)
    m, sh = tosa_scale(float(np.float32(ti.scale)) / float(np.float32(to.scale)))
    cx.set(o, em.rescale(cx.value(op, i), em.i8, [m], [sh], ti.zp, to.zp))


@converter("DEQUANTIZE")
def dequantize(cx: ImportContext, op: Operator) -> None:
    em = cx.em
    i, o = op.inputs[0], op.outputs[0]
    ti, to = cx.t(i), cx.t(o)
    cx.require_int8(op, i)
    if to.dtype != "FLOAT32":
        raise cx.fail(op, f"output type {to.dtype} is not supported (expected FLOAT32)")
    shape = cx.shape(o)
    one = [1] * len(shape)
    x = em.cast(cx.value(op, i), em.f32)
    x = tosa.SubOp(em.tt(shape, em.f32), x, em.const(np.full(one, float(ti.zp), np.float32), em.f32)).result
    y = tosa.MulOp(em.tt(shape, em.f32), x, em.const(np.full(one, ti.scale, np.float32), em.f32),
                   em.const(np.array([0]), em.i8)).result
    _mark(y, "tinyts.dequantize", float(np.float32(ti.scale)), ti.zp)
    cx.set(o, y)


def _mark(value: ir.Value, name: str, scale: float, zero_point: int) -> None:
    """Record TFLite's quantization on the last op of a (de)quantize chain, so that
    tinyts-raise-kernels replaces the whole chain with one kernel (exact division)."""
    value.owner.attributes[name] = ir.DictAttr.get({
        "scale": ir.FloatAttr.get(ir.F32Type.get(), scale),
        "zero_point": ir.IntegerAttr.get(ir.IntegerType.get_signless(32), zero_point)})


def _relu_like(cx: ImportContext, op: Operator, act: str) -> None:
    em = cx.em
    i, o = op.inputs[0], op.outputs[0]
    cx.require_int8(op, i, o)
    ti, to = cx.t(i), cx.t(o)
    m, sh = tosa_scale(float(np.float32(ti.scale)) / float(np.float32(to.scale)))
    y = em.rescale(cx.value(op, i), em.i8, [m], [sh], ti.zp, to.zp)
    lo, hi = activation_range(act, to.scale, to.zp)
    cx.set(o, em.clamp(y, lo, hi))


@converter("RELU")
def relu(cx: ImportContext, op: Operator) -> None:
    _relu_like(cx, op, "RELU")


@converter("RELU6")
def relu6(cx: ImportContext, op: Operator) -> None:
    # TFLM's int8 RELU6 clamps the raw input to [q(0), q(6)] in the INPUT's quantization and does
    # not requantize (unlike RELU).
    i, o = op.inputs[0], op.outputs[0]
    cx.require_int8(op, i, o)
    ti = cx.t(i)
    lo, hi = activation_range("RELU6", ti.scale, ti.zp)
    cx.set(o, cx.em.clamp(cx.value(op, i), lo, hi))
