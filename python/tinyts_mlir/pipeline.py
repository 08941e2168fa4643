"""The pass pipeline from imported TOSA to EmitC, and what it reports.

Stage 0 raises kernels (:data:`RAISE_PIPELINE`); stage 1 bufferizes and plans the arena; the function's
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

# Ops no kernel implements take upstream's generic path: TOSA -> linalg here, then
# linalg -> loops -> EmitC in EMITC_PIPELINE.
PLAN_PIPELINE = (
    "builtin.module("
    "func.func(tosa-to-linalg-named, tosa-to-linalg, tosa-to-tensor,"
    " tosa-to-arith{include-apply-rescale=true}),"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-results-to-out-params{modify-public-functions hoist-static-allocs},"
    "canonicalize,"
    "tinyts-plan-memory{input-in-arena=%s})"
)

# Tensor splitting (strategy="split"): band ops, then their order.
SPLIT_PIPELINE = (
    "builtin.module(func.func(tinyts-split{band-height=%d segments=%s},"
    " tinyts-schedule{order=%s}, canonicalize))")

ORDERS = ("depth-first", "breadth-first", "min-peak")

# Patch-based inference (strategy="patch"): the first stage patch by patch.
PATCH_PIPELINE = "builtin.module(func.func(tinyts-patch{stage-end=%d patches=%d}, canonicalize))"

EMITC_PIPELINE = (
    "builtin.module("
    "func.func(convert-linalg-to-loops, lower-affine, canonicalize),"
    "tinyts-lower-to-emitc{prefix=%s},"
    "arith-expand, convert-arith-to-emitc, convert-scf-to-emitc, reconcile-unrealized-casts)")


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

    def timeline(self) -> list[tuple[int, int]]:
        """[(step, bytes live)] at every step where the live total changes."""
        if not self.buffers:
            return []
        delta: dict[int, int] = {}
        for b in self.buffers:
            delta[b.first] = delta.get(b.first, 0) + b.size
            delta[b.last + 1] = delta.get(b.last + 1, 0) - b.size
        out, live = [], 0
        for step in sorted(delta):
            live += delta[step]
            out.append((step, live))
        return out


@dataclass(frozen=True)
class SplitLayer:
    """One op split into row bands: its index in the function before
    splitting, its name, its output rows, band height and number of bands."""

    layer: int
    op: str
    rows: int
    band_height: int
    bands: int


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


def generic_ops(module: ir.Module) -> dict[str, int]:
    """The compute ops of a raised module that no kernel implements: they take
    the generic path (linalg loops in C: correct, but slower than a kernel)."""
    counts: dict[str, int] = {}
    for op in model_function(module).regions[0].blocks[0].operations:
        name = op.operation.name
        if not name.startswith("tinyts.") and name not in _NO_KERNEL_NEEDED:
            counts[name] = counts.get(name, 0) + 1
    return counts


# Raising only the float-IO boundaries: the whole model takes the generic path.
BOUNDARY_RAISE_PIPELINE = "builtin.module(tinyts-raise-kernels{only-boundaries=true}, canonicalize)"


def raise_kernels(module: ir.Module, kernels: bool = True) -> dict[str, int]:
    """Replace TOSA patterns by tinyts kernels in place (with ``kernels=False``
    only a float model's QUANTIZE/DEQUANTIZE boundaries); return the ops left for
    the generic path (:func:`generic_ops`)."""
    _run(module, RAISE_PIPELINE if kernels else BOUNDARY_RAISE_PIPELINE, "kernel raising")
    return generic_ops(module)


def float_io_quantization(module: ir.Module) -> tuple[dict[int, tuple[float, int]],
                                                      dict[int, tuple[float, int]]]:
    """For a raised module: {arg index: (scale, zero point)} of the tinyts.quantize
    reading each float input, and {result index: ...} of the tinyts.dequantize
    producing each float output. A float input or output without one is an error."""
    func = model_function(module)
    block = func.regions[0].blocks[0]

    def params(op: ir.OpView) -> tuple[float, int]:
        return (ir.FloatAttr(op.attributes["scale"]).value,
                ir.IntegerAttr(op.attributes["zero_point"]).value)

    ins: dict[int, tuple[float, int]] = {}
    outs: dict[int, tuple[float, int]] = {}
    for op in block.operations:
        name = op.operation.name
        if name == "tinyts.quantize" and isinstance(op.operands[0], ir.BlockArgument):
            ins[ir.BlockArgument(op.operands[0]).arg_number] = params(op)
        if name == "func.return":
            for k, v in enumerate(op.operands):
                owner = v.owner
                if isinstance(owner, ir.OpView) and owner.operation.name == "tinyts.dequantize":
                    outs[k] = params(owner)
    for i, arg in enumerate(block.arguments):
        if ir.RankedTensorType(arg.type).element_type == ir.F32Type.get() and i not in ins:
            raise CompileError(f"float model input {i} is not read by a QUANTIZE to int8: "
                               "only float inputs quantized first are supported")
    ret = next(op for op in block.operations if op.operation.name == "func.return")
    for k, v in enumerate(ret.operands):
        if ir.RankedTensorType(v.type).element_type == ir.F32Type.get() and k not in outs:
            raise CompileError(f"float model output {k} is not produced by a DEQUANTIZE from "
                               "int8: only float outputs dequantized last are supported")
    return ins, outs


def split(module: ir.Module, band_height: int, order: str = "depth-first",
          segments: str = "") -> None:
    """Split a raised ``module`` into row bands and order them, in place."""
    if order not in ORDERS:
        raise ValueError(f"unknown order '{order}': expected one of {', '.join(ORDERS)}")
    if band_height < 1:
        raise ValueError(f"band height must be >= 1, got {band_height}")
    _run(module, SPLIT_PIPELINE % (band_height, f'"{segments}"' if segments else '""', order),
         "tensor splitting")


def patch(module: ir.Module, stage_end: int, patches: int) -> None:
    """Run the first stage of a raised ``module`` (every op up to row-mappable op
    ``stage_end``, counted like ``split``'s segments) patch by patch over a
    ``patches`` x ``patches`` grid of its output, in place (MCUNetV2-style; the
    halos of neighbouring patches are recomputed)."""
    if patches < 1:
        raise ValueError(f"patches must be >= 1, got {patches}")
    if stage_end < 0:
        raise ValueError(f"stage_end must be >= 0 (a row-mappable op index), got {stage_end}")
    _run(module, PATCH_PIPELINE % (stage_end, patches), "patch-based inference")


def split_layers(module: ir.Module) -> list[SplitLayer]:
    """The split ops of a module after :func:`split`, from their tinyts.band."""
    layers: dict[int, list] = {}
    for op in model_function(module).regions[0].blocks[0].operations:
        if "tinyts.band" in op.attributes:
            layer, _, begin, end = ir.DenseI64ArrayAttr(op.attributes["tinyts.band"])
            layers.setdefault(layer, [op.operation.name, 0, 0, 0])
            entry = layers[layer]
            entry[1] = max(entry[1], end)
            entry[2] = max(entry[2], end - begin)
            entry[3] += 1
    return [SplitLayer(layer=k, op=v[0], rows=v[1], band_height=v[2], bands=v[3])
            for k, v in sorted(layers.items())]


# An estimate of the plan, ~2-4x faster on large split modules: bufferization
# copies before every write instead of analysing aliases. Its arena is at or
# slightly above the real one (3952 vs 4208 B on ds_cnn at band height 1,
# equal on most corpus configurations): for searches, never for code.
ESTIMATE_PIPELINE = PLAN_PIPELINE.replace("one-shot-bufferize{",
                                          "one-shot-bufferize{copy-before-write ")


def plan(module: ir.Module, input_in_arena: bool = True, estimate: bool = False) -> MemoryPlan:
    """Bufferize and plan a raised ``module`` in place; return the plan
    (``estimate``: the faster :data:`ESTIMATE_PIPELINE`)."""
    _run(module, (ESTIMATE_PIPELINE if estimate else PLAN_PIPELINE)
         % ("true" if input_in_arena else "false"), "bufferization and memory planning")
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
