"""The pass pipeline from imported TOSA to EmitC, and what it reports.

Stage 1 raises kernels, bufferizes and plans the arena; the function's
``tinyts.arena_bytes`` / ``tinyts.memory_plan`` attributes are read there.
Stage 2 lowers to EmitC. Both are ordinary ``tinyts-opt`` pipelines
(:data:`PLAN_PIPELINE`, :data:`EMITC_PIPELINE`).
"""

from __future__ import annotations

from dataclasses import dataclass

from mlir import ir
from mlir.passmanager import PassManager

from . import _tinyts  # noqa: F401  (dialect and passes registered)

RAISE_PIPELINE = "builtin.module(tinyts-raise-kernels, canonicalize)"

PLAN_PIPELINE = (
    "builtin.module("
    "func.func(tosa-to-tensor, tosa-to-arith),"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-results-to-out-params{modify-public-functions hoist-static-allocs},"
    "canonicalize,"
    "tinyts-plan-memory)"
)

EMITC_PIPELINE = "builtin.module(tinyts-lower-to-emitc{prefix=%s})"


class CompileError(RuntimeError):
    """The model could not be compiled; the message says where and why."""


@dataclass(frozen=True)
class PlannedBuffer:
    """One buffer of the arena: who writes it, where, and when it is live."""

    op: str
    offset: int
    size: int
    first: int
    last: int


@dataclass(frozen=True)
class MemoryPlan:
    arena_bytes: int
    buffers: tuple[PlannedBuffer, ...]


def _run(module: ir.Module, pipeline: str, stage: str) -> None:
    try:
        PassManager.parse(pipeline, context=module.context).run(module.operation)
    except ir.MLIRError as err:
        raise CompileError(f"{stage} failed: {err}") from None


def model_function(module: ir.Module) -> ir.Operation:
    """The module's one func.func (the model)."""
    funcs = [op for op in module.body.operations if op.operation.name == "func.func"]
    if len(funcs) != 1:
        raise CompileError(f"expected one model function, found {len(funcs)}")
    return funcs[0].operation


# Ops that need no kernel: constants, views and bookkeeping.
_NO_KERNEL_NEEDED = {"tosa.const", "tosa.const_shape", "tosa.reshape", "tosa.slice", "tensor.empty",
                     "func.return"}


def _check_lowerable(module: ir.Module) -> None:
    """Fail with the list of ops that have no kernel (the generic path to C
    does not exist yet)."""
    missing: dict[str, int] = {}
    for op in model_function(module).regions[0].blocks[0].operations:
        name = op.operation.name
        if not name.startswith("tinyts.") and name not in _NO_KERNEL_NEEDED:
            missing[name] = missing.get(name, 0) + 1
    if missing:
        listing = ", ".join(f"'{n}' x{c}" for n, c in sorted(missing.items()))
        raise CompileError(
            f"no kernel for {listing}: these TOSA ops were not raised to tinyts kernels "
            "and the generic lowering path is not implemented yet")


def plan(module: ir.Module) -> MemoryPlan:
    """Raise, bufferize and plan ``module`` in place; return the plan."""
    _run(module, RAISE_PIPELINE, "kernel raising")
    _check_lowerable(module)
    _run(module, PLAN_PIPELINE, "bufferization and memory planning")
    func = model_function(module)
    arena = ir.IntegerAttr(func.attributes["tinyts.arena_bytes"]).value
    buffers = []
    for entry in ir.ArrayAttr(func.attributes["tinyts.memory_plan"]):
        d = ir.DictAttr(entry)
        buffers.append(PlannedBuffer(
            op=ir.StringAttr(d["op"]).value,
            offset=ir.IntegerAttr(d["offset"]).value,
            size=ir.IntegerAttr(d["size"]).value,
            first=ir.IntegerAttr(d["first"]).value,
            last=ir.IntegerAttr(d["last"]).value))
    return MemoryPlan(arena_bytes=arena, buffers=tuple(buffers))


def lower_to_emitc(module: ir.Module, prefix: str) -> None:
    """Lower a planned module to EmitC in place."""
    _run(module, EMITC_PIPELINE % prefix, "lowering to EmitC")
