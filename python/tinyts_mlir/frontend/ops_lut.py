"""LOGISTIC and HARD_SWISH (int8) as tosa.table lookups; the 256 entries reproduce TFLite Micro's
integer reference kernels (gemmlowp fixed point) for every possible input byte."""
from __future__ import annotations

import math

import numpy as np
from mlir.dialects import tosa

from .context import ImportContext, converter
from .ops_softmax import (_rdbpot, _srdhm, exp_on_negative_values, one_over_one_plus_x_for_x_in_0_1,
                          I32_MAX)
from .quant import mbqm, quantize_multiplier, tfl_round
from .reader import Operator


def logistic_table(in_scale: float, in_zp: int) -> np.ndarray:
    int_bits = 4
    m = float(np.float32(in_scale)) * float(1 << (31 - int_bits))
    q, left = math.frexp(m)
    mult = tfl_round(q * (1 << 31))
    radius = math.floor(((1 << int_bits) - 1) * (1 << (31 - int_bits)) / (1 << left))
    out = np.zeros(256, np.int64)
    for k, v in enumerate(range(-128, 128)):
        x = v - in_zp
        if x <= -radius:
            out[k] = -128
        elif x >= radius:
            out[k] = 127
        else:
            a = int(mbqm(np.array([x]), mult, left)[0])
            if a == 0:
                r = 1 << 30
            else:
                pos = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(-abs(a), int_bits))
                r = pos if a > 0 else I32_MAX - pos
            out[k] = min(max(_rdbpot(r, 23) - 128, -128), 127)
    return out


def _srdhm16(a: int, b: int) -> int:
    if a == b == -32768:
        return 32767
    ab = a * b
    nudge = (1 << 14) if ab >= 0 else 1 - (1 << 14)
    v = ab + nudge
    return (abs(v) >> 15) * (1 if v >= 0 else -1)


def _sdhm16(a: int, b: int) -> int:
    if a == b == -32768:
        return 32767
    ab = a * b
    return (abs(ab) >> 15) * (1 if ab >= 0 else -1)


def _sat16(v: int) -> int:
    return min(max(v, -32768), 32767)


def _down16(m32: int) -> int:
    if m32 >= I32_MAX - (1 << 15):
        return 32767
    return (m32 + (1 << 15)) >> 16


def hard_swish_table(in_scale: float, in_zp: int, out_scale: float, out_zp: int) -> np.ndarray:
    hires = np.float32(1.0 / 128.0) * np.float32(in_scale)
    out_m, out_e = quantize_multiplier(float(np.float32(hires / np.float32(out_scale))))
    rel_m, rel_e = quantize_multiplier(float(np.float32(hires / np.float32(3.0 / 32768.0))))
    out_m16, rel_m16 = _down16(out_m), _down16(rel_m)
    if out_e > 0:
        raise ValueError("HARD_SWISH output multiplier exponent > 0")
    table = np.zeros(256, np.int64)
    for k, v in enumerate(range(-128, 128)):
        x = _sat16(v - in_zp)
        hi = _sat16(x * 128)
        pre_out = _srdhm16(hi, out_m16)
        r = hi
        if rel_e > 0:
            r = _sat16(r << (rel_e - 1))
        r = _srdhm16(r, rel_m16)
        if rel_e > 0:
            r = _sat16(r << 1)
        if rel_e < 0:
            r = _rdbpot(r, -rel_e)
        r = (r + (1 << 15)) >> 1
        o = _sdhm16(r, pre_out)
        o = _rdbpot(o, -out_e) + out_zp
        table[k] = min(max(o, -128), 127)
    return table


def _emit_table(cx: ImportContext, op: Operator, table: np.ndarray) -> None:
    em = cx.em
    t = em.const(table.astype(np.int8), em.i8)
    cx.set(op.outputs[0], tosa.TableOp(cx.out_type(op), cx.value(op, op.inputs[0]), t).result)


@converter("LOGISTIC")
def logistic(cx: ImportContext, op: Operator) -> None:
    i, o = op.inputs[0], op.outputs[0]
    cx.require_int8(op, i, o)
    to = cx.t(o)
    if to.zp != -128 or np.float32(to.scale) != np.float32(1.0 / 256):
        raise cx.fail(op, "int8 output must have scale 1/256 and zero point -128 (as TFLite Micro requires)")
    _emit_table(cx, op, logistic_table(cx.t(i).scale, cx.t(i).zp))


@converter("HARD_SWISH")
def hard_swish(cx: ImportContext, op: Operator) -> None:
    i, o = op.inputs[0], op.outputs[0]
    cx.require_int8(op, i, o)
    ti, to = cx.t(i), cx.t(o)
    try:
        table = hard_swish_table(ti.scale, ti.zp, to.scale, to.zp)
    except ValueError as e:
        raise cx.fail(op, str(e)) from e
    _emit_table(cx, op, table)
