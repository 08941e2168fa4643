"""Static analysis of a raised module: multiply-accumulates per kernel op.

>>> from tinyts_mlir.analysis import count_macs
>>> macs = count_macs(raised_module)      # after tinyts-raise-kernels
>>> macs.total, macs.per_op[0]

MACs follow the usual convention: every kernel tap counts, including taps
that fall on padding (``OH*OW*OC*KH*KW*IC`` for a convolution). The count is
read from operand/result types only, so it is the same in tensor and memref
form (the ``outs`` operand is always the last operand of a kernel op).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

from mlir import ir

from . import _tinyts  # noqa: F401  (dialect registered)
from .pipeline import RAISE_PIPELINE

__all__ = ["MacCount", "OpMacs", "count_macs", "count_macs_raised", "RAISE_PIPELINE"]


@dataclass(frozen=True)
class OpMacs:
    """One op: its name, MACs, output elements (for elementwise ops) and
    output channels (the last dimension of its result)."""

    op: str
    macs: int
    output_elements: int
    channels: int = 0


@dataclass(frozen=True)
class MacCount:
    per_op: tuple[OpMacs, ...]

    @property
    def total(self) -> int:
        return sum(o.macs for o in self.per_op)

    @property
    def by_op_name(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for o in self.per_op:
            out[o.op] = out.get(o.op, 0) + o.macs
        return out

    @property
    def elementwise_ops(self) -> dict[str, int]:
        """Output elements of the ops that count no MACs (add, pools, softmax, ...)."""
        out: dict[str, int] = {}
        for o in self.per_op:
            if o.macs == 0:
                out[o.op] = out.get(o.op, 0) + o.output_elements
        return out


def _shape(value: ir.Value) -> list[int]:
    t = ir.ShapedType(value.type)
    if not t.has_static_shape:
        raise ValueError(f"dynamic shape {value.type} in MAC counting")
    return list(t.shape)


def _output_shape(op: ir.Operation) -> list[int]:
    if len(op.results) == 1:
        return _shape(op.results[0])
    # Memref form of a destination-style kernel: no result, `outs` is last.
    return _shape(op.operands[len(op.operands) - 1])


def _macs(op: ir.Operation) -> int | None:
    """MACs of a MAC-carrying op, or None if the op carries none."""
    name = op.name
    if name in ("tinyts.conv2d", "tosa.conv2d"):
        oc, kh, kw, ic = _shape(op.operands[1])          # OHWI
        n, oh, ow, out_c = _output_shape(op)
        assert out_c == oc, op
        return n * oh * ow * oc * kh * kw * ic
    if name in ("tinyts.depthwise_conv2d", "tosa.depthwise_conv2d"):
        kh, kw, c, m = _shape(op.operands[1])            # HWCM
        n, oh, ow, out_c = _output_shape(op)
        assert out_c == c * m, op
        return n * oh * ow * out_c * kh * kw
    if name == "tinyts.fully_connected":
        out, inp = _shape(op.operands[1])                # [OUT, IN]
        rows = math.prod(_output_shape(op)[:-1])
        return rows * out * inp
    if name == "tosa.matmul":
        n, h, c = _shape(op.operands[0])                 # [N, H, C] x [N, C, W]
        w = _shape(op.operands[1])[2]
        return n * h * w * c
    return None


def _walk(op: ir.Operation) -> Iterator[ir.Operation]:
    for region in op.regions:
        for block in region.blocks:
            for child in block.operations:
                yield child.operation
                yield from _walk(child.operation)


def count_macs_raised(module: ir.Module | ir.Operation) -> MacCount:
    """Count MACs of a module that has already been raised (not modified)."""
    root = module.operation
    per_op: list[OpMacs] = []
    for op in _walk(root):
        name = op.name
        macs = _macs(op)
        if macs is None and not name.startswith("tinyts."):
            continue
        shape = _output_shape(op)
        per_op.append(OpMacs(name, macs or 0, math.prod(shape), shape[-1] if shape else 0))
    return MacCount(per_op=tuple(per_op))


def count_macs(module: ir.Module, *, raise_kernels: bool = True) -> MacCount:
    """MACs of ``module`` per kernel op; the module itself is not modified.

    With ``raise_kernels`` (the default) a copy is first run through
    :data:`RAISE_PIPELINE`, so an imported TOSA module can be passed directly;
    a module that is already raised is left as it is by that pipeline.
    """
    if not raise_kernels:
        return count_macs_raised(module)
    from mlir.passmanager import PassManager

    with module.context:
        copy = module.operation.clone()
        try:
            PassManager.parse(RAISE_PIPELINE, context=module.context).run(copy)
            return count_macs_raised(copy)
        finally:
            copy.erase()
