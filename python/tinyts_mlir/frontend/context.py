"""State shared by operator converters while one model is imported."""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np
from mlir import ir

from .builder import Emitter
from .errors import TFLiteImportError, op_error
from .reader import Graph, Operator, Tensor

Converter = Callable[["ImportContext", Operator], None]
CONVERTERS: dict[str, Converter] = {}

ACT_NAMES = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT", 6: "SIGMOID"}


def converter(*names: str) -> Callable[[Converter], Converter]:
    def deco(fn: Converter) -> Converter:
        for n in names:
            CONVERTERS[n] = fn
        return fn
    return deco


class ImportContext:
    def __init__(self, graph: Graph, em: Emitter) -> None:
        self.graph = graph
        self.em = em
        self.values: dict[int, ir.Value] = {}
        self.folded: dict[int, np.ndarray] = {}  # constant-folded tensors (SHAPE idiom)
        self.shape_override: dict[int, list[int]] = {}  # shapes resolved during import

    # ---- tensors -----------------------------------------------------------
    def t(self, idx: int) -> Tensor:
        return self.graph.tensors[idx]

    def shape(self, idx: int) -> list[int]:
        if idx in self.shape_override:
            return list(self.shape_override[idx])
        s = list(self.t(idx).shape)
        if s and s[0] < 0:
            s[0] = 1
        return s

    def const_data(self, idx: int) -> Optional[np.ndarray]:
        if idx < 0:
            return None
        if idx in self.folded:
            return self.folded[idx]
        return self.t(idx).data

    def value(self, op: Operator, idx: int) -> ir.Value:
        if idx in self.values:
            return self.values[idx]
        data = self.const_data(idx)
        if data is not None:
            t = self.t(idx)
            elt = self.elt(op, t)
            v = self.em.const(data.reshape(self.shape(idx)), elt)
            self.values[idx] = v
            return v
        raise op_error(op.index, op.name, f"input tensor {idx} ({self.t(idx).name}) is not produced by any earlier operator")

    def set(self, idx: int, v: ir.Value) -> None:
        self.values[idx] = v

    def elt(self, op: Operator, t: Tensor) -> ir.Type:
        m = {"INT8": self.em.i8, "INT32": self.em.i32, "FLOAT32": self.em.f32, "INT16": self.em.i16}
        if t.dtype not in m:
            raise op_error(op.index, op.name, f"tensor {t.index} ({t.name}) has unsupported type {t.dtype}")
        return m[t.dtype]

    def out_type(self, op: Operator, idx: int = 0) -> ir.RankedTensorType:
        t = self.t(op.outputs[idx])
        return self.em.tt(self.shape(t.index), self.elt(op, t))

    # ---- checks ------------------------------------------------------------
    def fail(self, op: Operator, why: str) -> TFLiteImportError:
        return op_error(op.index, op.name, why)

    def require_int8(self, op: Operator, *idxs: int) -> None:
        for i in idxs:
            t = self.t(i)
            if t.dtype == "FLOAT32":
                raise self.fail(op, f"tensor {i} ({t.name}) is float32: float (non-quantized) models are not supported, only int8")
            if t.dtype == "INT16":
                raise self.fail(op, f"tensor {i} ({t.name}) is int16: int16 activations are not supported, only int8")
            if t.dtype != "INT8":
                raise self.fail(op, f"tensor {i} ({t.name}) has type {t.dtype}, expected INT8")
            if t.quant is None:
                raise self.fail(op, f"tensor {i} ({t.name}) is int8 without quantization parameters")

    def act(self, op: Operator, code: int) -> str:
        name = ACT_NAMES.get(code, f"activation {code}")
        if name not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
            raise self.fail(op, f"fused activation {name} is not supported")
        return name
