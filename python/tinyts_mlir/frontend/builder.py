"""Thin helpers over the MLIR Python bindings for emitting TOSA 1.0 ops."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from mlir import ir
from mlir.dialects import tosa

_NP_OF_WIDTH = {1: np.bool_, 8: np.int8, 16: np.int16, 32: np.int32, 48: np.int64, 64: np.int64}


class Emitter:
    """Creates TOSA ops at the current insertion point (caller holds Context/Location/InsertionPoint)."""

    def __init__(self) -> None:
        self.i1 = ir.IntegerType.get_signless(1)
        self.i8 = ir.IntegerType.get_signless(8)
        self.i16 = ir.IntegerType.get_signless(16)
        self.i32 = ir.IntegerType.get_signless(32)
        self.f32 = ir.F32Type.get()
        self.double_round = ir.Attribute.parse("#tosa.rounding_mode<DOUBLE_ROUND>")
        self.single_round = ir.Attribute.parse("#tosa.rounding_mode<SINGLE_ROUND>")

    # ---- types / constants -------------------------------------------------
    def tt(self, shape: Sequence[int], elt: ir.Type) -> ir.RankedTensorType:
        return ir.RankedTensorType.get(list(shape), elt)

    def const(self, arr: np.ndarray, elt: ir.Type) -> ir.Value:
        arr = np.ascontiguousarray(arr)
        if str(elt) == "f32":
            arr = arr.astype(np.float32)
        else:
            arr = arr.astype(_NP_OF_WIDTH[ir.IntegerType(elt).width])
        attr = ir.DenseElementsAttr.get(arr, type=elt)
        return tosa.ConstOp(attr).result

    def zp(self, value: int, elt: ir.Type) -> ir.Value:
        """Rank-1 single-element zero-point constant (TOSA 1.0 zp operands)."""
        return self.const(np.array([value]), elt)

    def shape(self, vals: Sequence[int]) -> ir.Value:
        vals = [int(v) for v in vals]
        t = ir.Type.parse(f"!tosa.shape<{len(vals)}>")
        attr = ir.DenseElementsAttr.get(np.array(vals, dtype=np.int64), type=ir.IndexType.get())
        return tosa.ConstShapeOp(t, attr).result

    # ---- ops ---------------------------------------------------------------
    @staticmethod
    def shape_of(v: ir.Value) -> list[int]:
        return list(ir.RankedTensorType(v.type).shape)

    @staticmethod
    def elt_of(v: ir.Value) -> ir.Type:
        return ir.RankedTensorType(v.type).element_type

    def rescale(self, x: ir.Value, out_elt: ir.Type, mults: Sequence[int], shifts: Sequence[int],
                in_zp: int, out_zp: int, double_round: bool = True, per_channel: bool = False,
                out_shape: Sequence[int] | None = None) -> ir.Value:
        in_elt = self.elt_of(x)
        shp = out_shape if out_shape is not None else self.shape_of(x)
        m = self.const(np.array(mults, dtype=np.int64), self.i32)
        s = self.const(np.array(shifts, dtype=np.int64), self.i8)
        izp = self.zp(in_zp, in_elt)
        ozp = self.zp(out_zp, out_elt)
        dr = double_round and any(int(v) > 31 for v in shifts)
        return tosa.RescaleOp(self.tt(shp, out_elt), x, m, s, izp, ozp,
                              scale32=True,
                              rounding_mode=self.double_round if dr else self.single_round,
                              per_channel=per_channel, input_unsigned=False, output_unsigned=False).result

    def to_i32(self, x: ir.Value, zp: int) -> ir.Value:
        """(x - zp) widened to i32, exactly."""
        return self.rescale(x, self.i32, [1 << 30], [30], zp, 0, double_round=False)

    def clamp(self, x: ir.Value, lo: int, hi: int) -> ir.Value:
        elt = self.elt_of(x)
        return tosa.ClampOp(x.type, x, ir.IntegerAttr.get(elt, lo), ir.IntegerAttr.get(elt, hi)).result

    def clamp_f(self, x: ir.Value, lo: float, hi: float) -> ir.Value:
        return tosa.ClampOp(x.type, x, ir.FloatAttr.get(self.f32, lo), ir.FloatAttr.get(self.f32, hi)).result

    def reshape(self, x: ir.Value, shape: Sequence[int]) -> ir.Value:
        if self.shape_of(x) == list(shape):
            return x
        return tosa.ReshapeOp(x, self.shape(shape)).result

    def cast(self, x: ir.Value, elt: ir.Type) -> ir.Value:
        return tosa.CastOp(self.tt(self.shape_of(x), elt), x).result

    def reduce_sum(self, x: ir.Value, axis: int) -> ir.Value:
        return tosa.ReduceSumOp(x, ir.IntegerAttr.get(self.i32, axis)).result

    def reduce_max(self, x: ir.Value, axis: int) -> ir.Value:
        return tosa.ReduceMaxOp(x, ir.IntegerAttr.get(self.i32, axis)).result


def broadcast_shape(a: Sequence[int], b: Sequence[int]) -> list[int]:
    out = []
    for x, y in zip(a, b):
        if x != y and x != 1 and y != 1:
            raise ValueError(f"shapes {list(a)} and {list(b)} do not broadcast")
        out.append(max(x, y))
    return out
