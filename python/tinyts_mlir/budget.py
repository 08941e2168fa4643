"""SRAM budgets: parsing sizes, the lower bound of peak SRAM, and the error a
budget no configuration meets.

Peak SRAM on the board is the arena, plus the stack of an inference, plus the
model's other static RAM (:attr:`CompiledModel.peak_sram_bytes`). The lower
bound counts what every configuration keeps whole: the int8 model inputs,
copied into the arena when inference starts, and the operands and results of
the ops that no split can cut into rows (fully connected, softmax, mean,
...), each with the stack and static RAM added.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from mlir import ir

from . import autosplit, pipeline
from .pipeline import CompileError

_UNITS = {"": 1, "b": 1, "kib": 1024, "mib": 1024 ** 2, "k": 1024,
          "kb": 1000, "mb": 1000 ** 2}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


def parse_size(value: int | str) -> int:
    """Bytes of ``65536``, ``"64KiB"``, ``"64 KiB"``, ``"64K"`` (KiB), ``"64kB"``
    (1000 B), ``"0.5MiB"``."""
    if isinstance(value, bool):
        raise ValueError(f"SRAM budget {value!r}: expected bytes or a size like '64KiB'")
    if isinstance(value, int):
        size = value
    else:
        m = _SIZE.match(str(value))
        unit = m.group(2).lower() if m else None
        if m is None or unit not in _UNITS:
            raise ValueError(f"SRAM budget {value!r}: expected bytes or a size like '64KiB', "
                             "'256K' (KiB), '100kB' (1000 B) or '0.5MiB'")
        size = math.floor(float(m.group(1)) * _UNITS[unit])
    if size <= 0:
        raise ValueError(f"SRAM budget {value!r} must be positive")
    return size


@dataclass(frozen=True)
class LowerBound:
    """Arena bytes every configuration needs, and why."""

    arena_bytes: int
    reason: str


def _bytes(value: ir.Value) -> int:
    t = ir.ShapedType(value.type)
    return math.prod(t.shape) * max(1, t.element_type.width // 8)


def arena_lower_bound(module: ir.Module) -> LowerBound:
    """The largest set of tensors that are whole together under every split,
    for a raised ``module``."""
    func = pipeline.model_function(module)
    body = func.regions[0].blocks[0]
    best = LowerBound(0, "")
    for i, arg in enumerate(body.arguments):
        t = ir.ShapedType(arg.type)
        if isinstance(t.element_type, ir.IntegerType) and t.element_type.width == 8:
            size = _bytes(arg)
            if size > best.arena_bytes:
                best = LowerBound(size, f"model input {i} ({size:,} B, int8{list(t.shape)}) "
                                        "is whole in the arena when inference starts")
    for idx, op in enumerate(body.operations):
        name = op.operation.name
        if not name.startswith("tinyts.") or not op.results:
            continue
        ins = [v for v in op.operands if _in_arena(v)]
        if name in autosplit.ROW_MAP_OPS or _keeps_rows(op):
            size = _one_row_bytes(op, ins)
            why = (f"op {idx} ({name}) needs, for one output row, its input rows and that "
                   f"row together: {size:,} B")
        else:
            size = sum(_bytes(v) for v in ins) + sum(_bytes(r) for r in op.results)
            why = (f"op {idx} ({name}) cannot be split into rows: its input(s) and output, "
                   f"{size:,} B, are whole together")
        if size > best.arena_bytes:
            best = LowerBound(size, why)
    return best


def _keeps_rows(op: ir.OpView) -> bool:
    """A MEAN over W and/or C of an NHWC tensor: tinyts-split runs it band by
    band, one output row per input row."""
    if op.operation.name != "tinyts.mean" or len(ir.ShapedType(op.operands[0].type).shape) != 4:
        return False
    return all(a >= 2 for a in ir.DenseI64ArrayAttr(op.operation.attributes["axes"]))


def _in_arena(value: ir.Value) -> bool:
    """An activation operand: not a constant, not a destination, not a float
    model input (read from the caller's buffer)."""
    if not isinstance(value.type, ir.RankedTensorType):
        return False
    if isinstance(value.owner, ir.Block):
        elt = ir.ShapedType(value.type).element_type
        return isinstance(elt, ir.IntegerType) and elt.width == 8
    return value.owner.name not in ("tosa.const", "arith.constant", "tensor.empty")


def _row_bytes(value: ir.Value) -> int:
    """Bytes of one row of an NHWC tensor (the whole tensor if not 4-d)."""
    shape = ir.ShapedType(value.type).shape
    return _bytes(value) // shape[1] if len(shape) == 4 else _bytes(value)


def _window_rows(op: ir.OpView) -> int:
    """Input rows one output row of a row-mappable op reads."""
    name = op.operation.name
    attrs = op.operation.attributes
    if name in ("tinyts.conv2d", "tinyts.depthwise_conv2d"):
        w = ir.ShapedType(op.operands[1].type).shape
        kh = w[1] if name == "tinyts.conv2d" else w[0]
        dil = ir.DenseI64ArrayAttr(attrs["dilation"])[0]
        return (kh - 1) * dil + 1
    if name in ("tinyts.avg_pool2d", "tinyts.max_pool2d"):
        return ir.DenseI64ArrayAttr(attrs["kernel"])[0]
    return 1


def _one_row_bytes(op: ir.OpView, ins: list[ir.Value]) -> int:
    rows = _window_rows(op)
    in_shape = ir.ShapedType(ins[0].type).shape if ins else []
    if op.operation.name == "tinyts.avg_pool2d" and len(in_shape) == 4 and rows >= in_shape[1]:
        # A global pool streams: one input row and int32 sums per channel.
        return _row_bytes(ins[0]) + 4 * in_shape[-1] + sum(_bytes(r) for r in op.results)
    in_rows = sum(min(rows, ir.ShapedType(v.type).shape[1]) * _row_bytes(v)
                  if len(ir.ShapedType(v.type).shape) == 4 else _bytes(v) for v in ins[:2])
    return in_rows + sum(_row_bytes(r) for r in op.results)


class SramBudgetError(CompileError):
    """No configuration fits the SRAM budget."""

    def __init__(self, budget: int, smallest_peak: int, smallest_detail: str,
                 lower_bound: int, lower_bound_reason: str) -> None:
        self.budget = budget
        self.smallest_peak = smallest_peak
        self.lower_bound = lower_bound
        super().__init__(
            f"SRAM budget of {budget:,} B cannot be met: the smallest peak SRAM found is "
            f"{smallest_peak:,} B ({smallest_detail}). Lower bound: {lower_bound:,} B, "
            f"because {lower_bound_reason}. Raise the budget to at least {smallest_peak:,} B.")
