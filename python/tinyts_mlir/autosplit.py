"""Automatic choice of split segments and their band heights.

A *configuration* cuts the row-mappable ops of a raised model (the ops that
``tinyts-split`` can split: convolutions, pools, add, mul, quantize, counted in
function order) into consecutive segments, each split into bands of its own
height or left whole. Segments meet through one joined tensor, so a cut only
pays where a single small tensor crosses it (a block boundary).

The search (:func:`choose_segments`) is greedy and uses the real planner for
every candidate's arena (``tinyts-split`` + ``tinyts-plan-memory`` on a copy of
the module, a fraction of a second each), and a cost model for instructions:

1. one segment with band height 1; then, while it lowers the arena, add the
   cut that lowers it most;
2. while the estimated extra instructions (extra kernel calls x the per-call
   cost, plus the pixel a convolution band with an odd pixel count wastes,
   against the MACs at the kernels' best rate) exceed the budget, raise one
   segment's band height (or leave it whole), the step that costs the least
   arena per instruction saved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from mlir import ir

from . import pipeline
from .progress import Progress

# Cost model of the instruction budget, calibrated on the emulated Cortex-M7
# with prepared convolution layers (tinyts-lower-to-emitc passes each conv /
# depthwise call its layer's requantization class, dead-channel mask and
# unpacked depthwise weights, computed at compile time, so a band no longer
# re-derives them from the weights). Whole models at band height 1 against
# layer-wise (extra instructions measured / estimated): mlc_kws_ref_model
# 185k / 237k (+3.1%), mlc_vww_96_int8 227k / 191k (+1.7%),
# gen_mobilenetv2_a035_96 440k / 427k (+1.5%). An extra kernel call costs
# CALL_OVERHEAD_INSTRUCTIONS (arguments, geometry, the group loops, pools and
# element-wise ops) plus a little per output channel
# (CHANNEL_OVERHEAD_INSTRUCTIONS: the channel-pair and 4-channel group
# loops). Before the preparation the per-channel set-up cost 18 (conv) and 35
# (depthwise) instructions per channel and call, and kws at band height 1
# measured +7.8%.
CALL_OVERHEAD_INSTRUCTIONS = 300
CHANNEL_OVERHEAD_INSTRUCTIONS = {"tinyts.conv2d": 1, "tinyts.depthwise_conv2d": 2}
# A convolution computes output pixels in pairs, the odd last pixel of a call
# in a one-pixel kernel: 0.58 of a pair on layers that fold their
# requantization (kws: ~0.12 of a pixel's instructions lost per odd call),
# more on layers with the exact requantizer (vww_96's pruned pointwise
# layers, ~0.3). 0.15 fits the three models above together.
ODD_PIXEL_WASTE = 0.15
MACS_PER_INSTRUCTION = 0.45
MAX_OVERHEAD = 0.05

# Ops implementing RowMapOpInterface (dialects/lib/TinyTSOps.cpp).
ROW_MAP_OPS = frozenset({"tinyts.conv2d", "tinyts.depthwise_conv2d", "tinyts.avg_pool2d",
                         "tinyts.max_pool2d", "tinyts.add", "tinyts.mul", "tinyts.quantize"})
MIN_ROWS = 2  # tinyts-split's default min-rows
# A band height no tensor reaches: the segment is left whole.
UNSPLIT = 1 << 30
HEIGHTS = (1, 2, 3, 4, 6, 8, 12, 16, UNSPLIT)


@dataclass(frozen=True)
class Segment:
    """Row-mappable ops ``lo``..``hi`` (inclusive), bands of ``height`` rows
    (:data:`UNSPLIT`: left whole)."""

    lo: int
    hi: int
    height: int


@dataclass(frozen=True)
class RowMapOp:
    position: int  # in the function body
    rows: int  # output rows
    width: int = 1  # output columns
    pair_macs: int = 0  # MACs per output pixel of a convolution (pixel pairs)
    bytes: int = 0  # of its result
    kind: str = ""  # op name (per-channel call cost: CHANNEL_OVERHEAD_INSTRUCTIONS)
    channels: int = 0  # output channels


def segments_option(segments: tuple[Segment, ...]) -> str:
    """The ``segments`` option of tinyts-split for a configuration ("" when
    nothing is split: callers must then not run the split at all)."""
    return ",".join(f"{s.lo}-{s.hi}:{s.height}" for s in segments
                    if s.height != UNSPLIT)


def row_map_ops(module: ir.Module) -> list[RowMapOp]:
    ops = []
    for pos, op in enumerate(pipeline.model_function(module).regions[0].blocks[0].operations):
        if op.operation.name in ROW_MAP_OPS and len(op.results) == 1:
            shape = ir.ShapedType(op.results[0].type).shape
            pair_macs = 0
            if op.operation.name == "tinyts.conv2d":
                pair_macs = math.prod(ir.ShapedType(op.operands[1].type).shape)
            ops.append(RowMapOp(position=pos,
                                rows=shape[1] if len(shape) == 4 else 1,
                                width=shape[2] if len(shape) == 4 else 1,
                                pair_macs=pair_macs, bytes=math.prod(shape),
                                kind=op.operation.name,
                                channels=shape[3] if len(shape) == 4 else 1))
    return ops


def cut_candidates(module: ir.Module, ops: list[RowMapOp]) -> list[int]:
    """Indices k such that cutting after row-mappable op k leaves one tensor
    crossing the cut (the value op k defines)."""
    body = list(pipeline.model_function(module).regions[0].blocks[0].operations)
    defined = {r: i for i, op in enumerate(body) for r in op.results
               if op.operation.name not in ("tosa.const", "tosa.const_shape", "tensor.empty")}
    last_use: dict[int, int] = {}  # defining position -> last user position
    for i, op in enumerate(body):
        for v in op.operands:
            if v in defined:
                last_use[defined[v]] = i
    out = []
    for k, rm in enumerate(ops[:-1]):
        crossing = [d for d, u in last_use.items() if d <= rm.position < u]
        if crossing == [rm.position]:
            out.append(k)
    return out


def _odd_pixel_waste(op: RowMapOp, rows: int) -> float:
    """Instructions a convolution call of ``rows`` output rows loses on the
    lone last pixel of an odd pixel count (run by the one-pixel kernel)."""
    return (ODD_PIXEL_WASTE * op.pair_macs / MACS_PER_INSTRUCTION
            if (rows * op.width) % 2 else 0.0)


def call_overhead(op: RowMapOp) -> float:
    """Instructions of set-up one extra kernel call of ``op`` costs."""
    return call_overhead_of(op.kind, op.channels)


def call_overhead_of(kind: str, channels: int) -> float:
    """Instructions of set-up one extra call of a ``kind`` op (e.g.
    ``tinyts.conv2d``) with ``channels`` output channels costs."""
    return CALL_OVERHEAD_INSTRUCTIONS + CHANNEL_OVERHEAD_INSTRUCTIONS.get(kind, 0) * channels


def extra_instructions(ops: list[RowMapOp], segments: tuple[Segment, ...]) -> float:
    """Estimated instructions splitting adds: set-up per extra call, plus the
    odd-pixel waste of the convolutions' bands against their whole call."""
    extra = 0.0
    for s in segments:
        if s.height == UNSPLIT:
            continue
        for op in ops[s.lo:s.hi + 1]:
            if op.rows < MIN_ROWS or op.rows <= s.height:
                continue
            extra += (math.ceil(op.rows / s.height) - 1) * call_overhead(op)
            if op.pair_macs:
                bands = [min(s.height, op.rows - r) for r in range(0, op.rows, s.height)]
                extra += (sum(_odd_pixel_waste(op, b) for b in bands)
                          - _odd_pixel_waste(op, op.rows))
    return extra


class _Evaluator:
    """Planned arena of configurations, memoised; reports the search on a
    :class:`~tinyts_mlir.progress.Progress` line."""

    def __init__(self, module: ir.Module, order: str, progress: Progress | None,
                 cache: dict[str, int] | None = None, estimate: bool = False) -> None:
        self.text = str(module)
        self.context = module.context
        self.order = order
        self.estimate = estimate
        self.cache: dict[str, int] = {} if cache is None else cache
        self.progress = progress

    def state(self) -> str:
        return (f"choosing band splits: {len(self.cache)} plans, best arena "
                f"{min(self.cache.values()):,} B")

    def __call__(self, segments: tuple[Segment, ...]) -> int:
        option = segments_option(segments)
        if option not in self.cache:
            trial = ir.Module.parse(self.text, context=self.context)
            if option:
                pipeline.split(trial, 1, self.order, option)
            self.cache[option] = pipeline.plan(trial, estimate=self.estimate).arena_bytes
            if self.progress is not None:
                self.progress.update(self.state())
        return self.cache[option]


def _cut(segments: tuple[Segment, ...], k: int) -> tuple[Segment, ...]:
    out = []
    for s in segments:
        if s.lo <= k < s.hi:
            out += [replace(s, hi=k), replace(s, lo=k + 1)]
        else:
            out.append(s)
    return tuple(out)


def _smallest(module: ir.Module, ops: list[RowMapOp], arena: _Evaluator,
              prune: bool = False) -> tuple[tuple[Segment, ...], int]:
    """Band height 1 everywhere, then greedy cuts while the arena falls
    (``prune``: after the first round, only the cuts that lowered the arena
    on their own are tried again)."""
    config = (Segment(0, len(ops) - 1, 1),)
    best = arena(config)
    candidates = cut_candidates(module, ops)
    while True:
        trials = [(arena(_cut(config, k)), k) for k in candidates
                  if any(s.lo <= k < s.hi for s in config)]
        if prune:
            candidates = [k for size, k in trials if size < best]
        if not trials or min(trials)[0] >= best:
            return config, best
        best, k = min(trials)
        config = _cut(config, k)


def _raises(config: tuple[Segment, ...]) -> list[tuple[Segment, ...]]:
    """Every configuration one segment's band height higher (or whole)."""
    return [config[:i] + (replace(s, height=h),) + config[i + 1:]
            for i, s in enumerate(config) for h in HEIGHTS if h > s.height]


def _whole(config: tuple[Segment, ...]) -> tuple[Segment, ...]:
    return tuple(replace(s, height=UNSPLIT) for s in config)


def choose_segments(module: ir.Module, order: str = "depth-first", *,
                    max_overhead: float = MAX_OVERHEAD,
                    progress: Progress | None = None) -> tuple[Segment, ...]:
    """Segments and band heights for a raised ``module`` (not modified): the
    smallest arena found whose estimated extra instructions stay within
    ``max_overhead`` of layer-wise (estimated as the MACs at the kernels'
    rate; ``float("inf")``: the smallest arena, whatever it costs). Returns
    () when no split beats running every op whole."""
    from .analysis import count_macs_raised

    ops = row_map_ops(module)
    if not ops:
        return ()
    budget = max_overhead * count_macs_raised(module).total / MACS_PER_INSTRUCTION
    arena = _Evaluator(module, order, progress)
    config, best = _smallest(module, ops, arena)
    # Band heights up until the instruction estimate fits.
    while (extra := extra_instructions(ops, config)) > budget:
        steps = []
        for trial in _raises(config):
            saved = extra - extra_instructions(ops, trial)
            if saved > 0:
                steps.append(((arena(trial) - best) / saved, arena(trial), trial))
        if not steps:
            config = _whole(config)
            break
        _, best, config = min(steps, key=lambda t: (t[0], t[1]))
    whole = arena(_whole(config))
    if not segments_option(config) or whole <= arena(config):
        return ()
    return config


class ArenaLimitError(ValueError):
    """No configuration found plans an arena within the limit."""

    def __init__(self, limit: int, smallest: tuple[Segment, ...], smallest_arena: int,
                 searched: int) -> None:
        self.limit = limit
        self.smallest = smallest
        self.smallest_arena = smallest_arena
        super().__init__(f"the smallest arena found is {smallest_arena:,} B "
                         f"(segments '{segments_option(smallest)}', {searched} plans), "
                         f"above the limit of {limit:,} B")


def fit_arena(module: ir.Module, arena_limit: int, order: str = "depth-first", *,
              progress: Progress | None = None,
              cache: dict[str, int] | None = None) -> tuple[tuple[Segment, ...], int]:
    """The configuration with the fewest estimated instructions whose planned
    arena is at most ``arena_limit``, and that arena. Whole tensors (no
    split) when they fit; else from the smallest arena, greedily raise the
    band height (or unsplit the segment) that saves the most instructions
    while the arena stays within the limit. Raises
    :class:`ArenaLimitError` when even the smallest arena is above it.
    ``cache`` (segments option -> arena) carries plans between calls.
    Arenas are :func:`pipeline.plan` estimates: callers check the one chosen."""
    ops = row_map_ops(module)
    arena = _Evaluator(module, order, progress, cache, estimate=True)
    whole = arena(())
    if whole <= arena_limit or not ops:
        if whole > arena_limit:
            raise ArenaLimitError(arena_limit, (), whole, len(arena.cache))
        return (), whole
    config, best = _smallest(module, ops, arena, prune=True)
    if best > arena_limit:
        raise ArenaLimitError(arena_limit, config, best, len(arena.cache))
    while (extra := extra_instructions(ops, config)) > 0:
        # The raise that saves the most instructions and still fits.
        steps = sorted(((extra_instructions(ops, t) - extra, i, t)
                        for i, t in enumerate(_raises(config))), key=lambda x: x[:2])
        fitting = next(((size, t) for saved, _, t in steps if saved < 0
                        and (size := arena(t)) <= arena_limit), None)
        if fitting is None:
            break
        best, config = fitting
    return config, best
