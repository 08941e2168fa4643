"""int8 SOFTMAX reproducing TFLite Micro's reference kernel (gemmlowp fixed point) bit for bit.

Per row: diff = x - max(x) in [-255, 0]; exp(diff) (Q0.31) comes from a 256-entry table computed here
with gemmlowp's integer exp_on_negative_values; the reciprocal of the sum of exps is computed in TOSA
with the same fixed-point Newton-Raphson steps (SRDHM = tosa.mul with shift 31, which rounds
identically), and the output is RoundingDivideByPOT(SRDHM(1/sum, exp), 35 - clz(sum)) - 128.
"""
from __future__ import annotations

import math

import numpy as np
from mlir import ir
from mlir.dialects import tosa

from .context import ImportContext, converter
from .quant import quantize_multiplier
from .reader import Operator

I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1


# ---- scalar gemmlowp fixed-point helpers (Python ints) ---------------------------------------
def _srdhm(a: int, b: int) -> int:
    if a == b == I32_MIN:
        return I32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    q = abs(ab + nudge) >> 31
    return q if ab + nudge >= 0 else -q


def _rdbpot(x: int, e: int) -> int:
    mask = (1 << e) - 1
    rem = x & mask
    thr = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if rem > thr else 0)


def _sat_shl(x: int, e: int) -> int:
    thr = (1 << (31 - e)) - 1
    if x > thr:
        return I32_MAX
    if x < -thr:
        return I32_MIN
    return x << e


def _exp_quarter(a: int) -> int:
    """exp on [-1/4, 0), Q0.31 in and out."""
    const_term = 1895147668
    one_third = 715827883
    x = a + (1 << 28)
    x2 = _srdhm(x, x)
    x3 = _srdhm(x2, x)
    x4 = _srdhm(x2, x2)
    x4_over_4 = _rdbpot(x4, 2)
    poly = _rdbpot(_srdhm(x4_over_4 + x3, one_third) + x2, 1)
    return const_term + _srdhm(const_term, x + poly)


def exp_on_negative_values(a: int, int_bits: int) -> int:
    """gemmlowp exp_on_negative_values for FixedPoint<int32, int_bits> (<= 5) input; Q0.31 raw out."""
    frac_bits = 31 - int_bits
    quarter = 1 << (frac_bits - 2)
    amq = (a & (quarter - 1)) - quarter
    result = _exp_quarter(_sat_shl(amq, int_bits) if int_bits else amq)
    remainder = amq - a
    for exponent, mult in ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
                           (2, 39332535), (3, 720401), (4, 242)):
        if int_bits > exponent and remainder & (1 << (frac_bits + exponent)):
            result = _srdhm(result, mult)
    return I32_MAX if a == 0 else result


def one_over_one_plus_x_for_x_in_0_1(a: int) -> int:
    """gemmlowp, Q0.31 in and out."""
    s = a + I32_MAX
    half_den = (s + (1 if s >= 0 else -1))
    half_den = abs(half_den) // 2 * (1 if half_den >= 0 else -1)
    x = 1515870810 + _srdhm(half_den, -1010580540)
    for _ in range(3):
        hdx = _srdhm(half_den, x)
        one_minus = (1 << 29) - hdx
        x = x + _sat_shl(_srdhm(x, one_minus), 2)
    return _sat_shl(x, 1)


def _exp_on_negative_values_q5(a: int) -> int:
    return exp_on_negative_values(a, 5)


def softmax_tables(input_scale: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """(exp Q0.31, exp rescaled to Q12.19) indexed by -diff for diff in [-255, 0]."""
    real = min(float(beta) * float(input_scale) * (1 << 26), float((1 << 31) - 1))
    mult, left = quantize_multiplier(real)
    radius = math.floor(31.0 * (1 << 26) / (1 << left))
    e0 = np.zeros(256, np.int64)
    for k in range(256):
        diff = -k
        if diff >= -radius:
            e0[k] = _exp_on_negative_values_q5(_srdhm(diff * (1 << left), mult))
    ea = np.array([_rdbpot(int(v), 12) for v in e0], np.int64)
    return e0, ea


@converter("SOFTMAX")
def softmax(cx: ImportContext, op: Operator) -> None:
    em = cx.em
    i, o = op.inputs[0], op.outputs[0]
    cx.require_int8(op, i, o)
    to = cx.t(o)
    if to.zp != -128 or np.float32(to.scale) != np.float32(1.0 / 256):
        raise cx.fail(op, "int8 output must have scale 1/256 and zero point -128 (as TFLite Micro requires)")
    beta = op.options.Beta() if op.options is not None else 1.0
    e0, ea = softmax_tables(float(np.float32(cx.t(i).scale)), float(np.float32(beta)))
    shape = cx.shape(i)
    rank = len(shape)
    red = shape[:-1] + [1]
    total = int(np.prod(shape))
    i32 = em.i32

    def c32(v: int) -> ir.Value:
        return em.const(np.full([1] * rank, v, np.int64), i32)

    def srdhm(a: ir.Value, b: ir.Value, shp: list[int]) -> ir.Value:
        return tosa.MulOp(em.tt(shp, i32), a, b, em.const(np.array([31]), em.i8)).result

    def sat_shl(x: ir.Value, e: int, shp: list[int]) -> ir.Value:
        thr = (1 << (31 - e)) - 1
        xc = tosa.MinimumOp(em.tt(shp, i32), tosa.MaximumOp(em.tt(shp, i32), x, c32(-thr)).result, c32(thr)).result
        y = tosa.LogicalLeftShiftOp(em.tt(shp, i32), xc, c32(e)).result
        y = tosa.SelectOp(em.tt(shp, i32), tosa.GreaterOp(em.tt(shp, em.i1), x, c32(thr)).result, c32(I32_MAX), y).result
        y = tosa.SelectOp(em.tt(shp, i32), tosa.GreaterOp(em.tt(shp, em.i1), c32(-thr), x).result, c32(I32_MIN), y).result
        return y

    x = cx.value(op, i)
    mx = em.cast(em.reduce_max(x, rank - 1), i32)
    xi = em.cast(x, i32)
    neg_diff = tosa.SubOp(em.tt(shape, i32), mx, xi).result  # in [0, 255]
    idx = em.reshape(neg_diff, [1, total])

    def lookup(table: np.ndarray) -> ir.Value:
        vals = em.const(table.reshape(1, 256, 1), i32)
        g = tosa.GatherOp(em.tt([1, total, 1], i32), vals, idx).result
        return em.reshape(g, shape)

    exp0 = lookup(e0)
    s = em.reduce_sum(lookup(ea), rank - 1)  # [.., 1], Q12.19 sum of exps
    hpo = tosa.ClzOp(em.tt(red, i32), s).result
    shifted = tosa.LogicalLeftShiftOp(em.tt(red, i32), s, hpo).result
    a = tosa.BitwiseXorOp(em.tt(red, i32), shifted, c32(I32_MIN)).result  # (x << hpo) - 2^31
    # one_over_one_plus_x_for_x_in_0_1(a): half_denominator = RoundingHalfSum(a, 1.0 = INT32_MAX).
    # Here a = (sum << clz) - 2^31 is in [0, 2^31), so (a + INT32_MAX + 1) / 2 = (a >> 1) + 2^30 exactly.
    hd = tosa.AddOp(em.tt(red, i32), tosa.ArithmeticRightShiftOp(em.tt(red, i32), a, c32(1), False).result,
                    c32(1 << 30)).result
    xk = tosa.AddOp(em.tt(red, i32), c32(1515870810), srdhm(hd, c32(-1010580540), red)).result
    for _ in range(3):
        hdx = srdhm(hd, xk, red)
        one_minus = tosa.SubOp(em.tt(red, i32), c32(1 << 29), hdx).result
        xk = tosa.AddOp(em.tt(red, i32), xk, sat_shl(srdhm(xk, one_minus, red), 2, red)).result
    scale = sat_shl(xk, 1, red)  # Rescale<0>(ExactMulByPot<-1>(x))
    exponent = tosa.SubOp(em.tt(red, i32), c32(35), hpo).result  # num_bits_over_unit + 31 - 8
    prod = srdhm(exp0, scale, shape)  # >= 0
    unsat = tosa.ArithmeticRightShiftOp(em.tt(shape, i32), prod, exponent, True).result
    y = em.rescale(unsat, em.i8, [1 << 30], [30], 0, -128, double_round=False)
    # TFLite Micro's kernel parameters on the chain's last op (a discardable
    # attribute: still pure TOSA), so tinyts-raise-kernels can replace the
    # whole chain with one softmax kernel call.
    mult, left = quantize_multiplier(
        min(float(np.float32(beta)) * float(np.float32(cx.t(i).scale)) * (1 << 26),
            float((1 << 31) - 1)))
    radius = math.floor(31.0 * (1 << 26) / (1 << left))
    y.owner.attributes["tinyts.softmax"] = ir.DictAttr.get({
        "input_multiplier": ir.IntegerAttr.get(i32, mult),
        "input_left_shift": ir.IntegerAttr.get(i32, left),
        "diff_min": ir.IntegerAttr.get(i32, -radius)})
    cx.set(o, y)
