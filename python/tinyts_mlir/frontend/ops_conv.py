"""CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED → tosa.conv2d/depthwise_conv2d + rescale + clamp."""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import tosa

from .context import ImportContext, converter
from .quant import activation_range, tosa_scale
from .reader import Operator


def _a(v: list[int]) -> ir.DenseI64ArrayAttr:
    return ir.DenseI64ArrayAttr.get([int(x) for x in v])


def fit_window(cx: ImportContext, x: ir.Value, k: tuple[int, int], stride: tuple[int, int],
               dil: tuple[int, int], out_hw: tuple[int, int], pads: list[int]) -> tuple[ir.Value, list[int]]:
    """Make TOSA's exact-divisibility rule hold: trim bottom/right padding, then input rows/cols
    that TFLite never reads (VALID or SAME with a remainder)."""
    em = cx.em
    shape = em.shape_of(x)
    pads = list(pads)
    crop = [0, 0]
    for d in range(2):
        need = (out_hw[d] - 1) * stride[d] + (k[d] - 1) * dil[d] + 1
        excess = shape[1 + d] + pads[2 * d] + pads[2 * d + 1] - need
        if excess < 0:
            raise ValueError(f"window does not fit: need {need} rows/cols, have {shape[1 + d]} + padding")
        cut = min(excess, pads[2 * d + 1])
        pads[2 * d + 1] -= cut
        crop[d] = excess - cut
    if crop != [0, 0]:
        size = [shape[0], shape[1] - crop[0], shape[2] - crop[1], shape[3]]
        x = tosa.SliceOp(em.tt(size, em.elt_of(x)), x, em.shape([0, 0, 0, 0]), em.shape(size)).result
    return x, pads


def same_pads(in_size: int, k: int, stride: int, dil: int, out_size: int) -> tuple[int, int]:
    eff = (k - 1) * dil + 1
    total = max((out_size - 1) * stride + eff - in_size, 0)
    return total // 2, total - total // 2


def _requant_out(cx: ImportContext, op: Operator, acc: ir.Value, in_idx: int, w_idx: int,
                 out_idx: int, act: str, n_out: int, float_product: bool = False) -> ir.Value:
    em = cx.em
    tin, tw, tout = cx.t(in_idx), cx.t(w_idx), cx.t(out_idx)
    ws = tw.quant.scale.astype(np.float32)
    per_channel = ws.size > 1
    if per_channel and ws.size != n_out:
        raise cx.fail(op, f"filter has {ws.size} scales for {n_out} output channels")
    mults, shifts = [], []
    for s in ws:
        if float_product:
            eff = float(np.float32(np.float32(tin.scale) * s)) / float(np.float32(tout.scale))
        else:
            eff = float(np.float32(tin.scale)) * float(s) / float(np.float32(tout.scale))
        m, sh = tosa_scale(eff)
        mults.append(m)
        shifts.append(sh)
    out_shape = em.shape_of(acc)
    y = em.rescale(acc, em.i8, mults, shifts, 0, tout.zp, per_channel=per_channel, out_shape=out_shape)
    lo, hi = activation_range(act, tout.scale, tout.zp)
    if (lo, hi) != (-128, 127):
        y = em.clamp(y, lo, hi)
    return y


def _bias(cx: ImportContext, op: Operator, n_out: int) -> ir.Value:
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        b = cx.const_data(op.inputs[2])
        if b is None:
            raise cx.fail(op, "bias is not a constant")
        if cx.t(op.inputs[2]).dtype != "INT32":
            raise cx.fail(op, f"bias type {cx.t(op.inputs[2]).dtype} is not supported (expected INT32)")
        return cx.em.const(b.reshape(-1).astype(np.int32), cx.em.i32)
    return cx.em.const(np.zeros(n_out, np.int32), cx.em.i32)


def _weights(cx: ImportContext, op: Operator, idx: int) -> np.ndarray:
    w = cx.const_data(idx)
    if w is None:
        raise cx.fail(op, "weights are not constant (runtime weights are not supported)")
    if cx.t(idx).dtype != "INT8":
        raise cx.fail(op, f"weights of type {cx.t(idx).dtype} are not supported (expected INT8)")
    return w


def _symmetric_weights(cx: ImportContext, op: Operator, w_i: int) -> np.ndarray:
    """The constant int8 filter of a convolution, which must have zero point 0."""
    w = _weights(cx, op, w_i)
    if int(np.any(cx.t(w_i).quant.zero_point != 0)):
        raise cx.fail(op, "non-zero filter zero point")
    return w


def _conv_window(cx: ImportContext, op: Operator, kh: int, kw: int
                 ) -> tuple[ir.Value, list[int], list[int], list[int]]:
    """Input, TOSA pads, strides and dilations of a CONV_2D/DEPTHWISE_CONV_2D
    window (SAME or VALID), trimmed so the TOSA output extent is exact."""
    o_ = op.options
    ishape, oshape = cx.shape(op.inputs[0]), cx.shape(op.outputs[0])
    sh, sw = o_.StrideH(), o_.StrideW()
    dh, dw = o_.DilationHFactor(), o_.DilationWFactor()
    if o_.Padding() == 0:
        pt, pb = same_pads(ishape[1], kh, sh, dh, oshape[1])
        pl, pr = same_pads(ishape[2], kw, sw, dw, oshape[2])
    else:
        pt = pb = pl = pr = 0
    x, pads = fit_window(cx, cx.value(op, op.inputs[0]), (kh, kw), (sh, sw), (dh, dw),
                         (oshape[1], oshape[2]), [pt, pb, pl, pr])
    return x, pads, [sh, sw], [dh, dw]


@converter("CONV_2D")
def conv2d(cx: ImportContext, op: Operator) -> None:
    em = cx.em
    i, w_i = op.inputs[0], op.inputs[1]
    o = op.outputs[0]
    cx.require_int8(op, i, o)
    w = _symmetric_weights(cx, op, w_i)
    ishape, oshape = cx.shape(i), cx.shape(o)
    oc, kh, kw, ic = w.shape
    if ic != ishape[3]:
        raise cx.fail(op, f"grouped convolution (input {ishape[3]} channels, filter {ic}) is not supported")
    x, pads, stride, dilation = _conv_window(cx, op, kh, kw)
    act = cx.act(op, op.options.FusedActivationFunction())
    acc = tosa.Conv2DOp(em.tt(oshape, em.i32), x, em.const(w, em.i8), _bias(cx, op, oc),
                        em.zp(cx.t(i).zp, em.i8), em.zp(0, em.i8),
                        _a(pads), _a(stride), _a(dilation), ir.TypeAttr.get(em.i32)).result
    cx.set(o, _requant_out(cx, op, acc, i, w_i, o, act, oc))


@converter("DEPTHWISE_CONV_2D")
def depthwise(cx: ImportContext, op: Operator) -> None:
    em = cx.em
    i, w_i = op.inputs[0], op.inputs[1]
    o = op.outputs[0]
    cx.require_int8(op, i, o)
    w = _symmetric_weights(cx, op, w_i)
    ishape, oshape = cx.shape(i), cx.shape(o)
    _, kh, kw, cm = w.shape
    c = ishape[3]
    if cm % c != 0 or cm != oshape[3]:
        raise cx.fail(op, f"filter has {cm} channels, input {c}, output {oshape[3]}: inconsistent depth multiplier")
    mult = cm // c
    x, pads, stride, dilation = _conv_window(cx, op, kh, kw)
    act = cx.act(op, op.options.FusedActivationFunction())
    wt = w.reshape(kh, kw, c, mult)
    acc = tosa.DepthwiseConv2DOp(em.tt(oshape, em.i32), x, em.const(wt, em.i8), _bias(cx, op, cm),
                                 em.zp(cx.t(i).zp, em.i8), em.zp(0, em.i8),
                                 _a(pads), _a(stride), _a(dilation), ir.TypeAttr.get(em.i32)).result
    cx.set(o, _requant_out(cx, op, acc, i, w_i, o, act, cm))


@converter("FULLY_CONNECTED")
def fully_connected(cx: ImportContext, op: Operator) -> None:
    em = cx.em
    i, w_i = op.inputs[0], op.inputs[1]
    o = op.outputs[0]
    cx.require_int8(op, i, o)
    w = _weights(cx, op, w_i)
    if w.ndim != 2:
        raise cx.fail(op, f"weights of rank {w.ndim} (expected 2)")
    if int(np.any(cx.t(w_i).quant.zero_point != 0)):
        raise cx.fail(op, "non-zero filter zero point")
    o_ = op.options
    if o_ is not None and o_.WeightsFormat() != 0:
        raise cx.fail(op, "shuffled weights format is not supported")
    act = cx.act(op, o_.FusedActivationFunction() if o_ is not None else 0)
    oc, ic = w.shape
    n_in = int(np.prod(cx.shape(i)))
    if n_in % ic:
        raise cx.fail(op, f"input of {n_in} elements is not a multiple of {ic}")
    batch = n_in // ic
    x = em.reshape(cx.value(op, i), [batch, 1, 1, ic])
    acc = tosa.Conv2DOp(em.tt([batch, 1, 1, oc], em.i32), x, em.const(w.reshape(oc, 1, 1, ic), em.i8),
                        _bias(cx, op, oc), em.zp(cx.t(i).zp, em.i8), em.zp(0, em.i8),
                        _a([0, 0, 0, 0]), _a([1, 1]), _a([1, 1]), ir.TypeAttr.get(em.i32)).result
    per_channel = cx.t(w_i).quant.scale.size > 1
    y = _requant_out(cx, op, acc, i, w_i, o, act, oc, float_product=not per_channel)
    cx.set(o, em.reshape(y, cx.shape(o)))
