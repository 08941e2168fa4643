"""Automatic choice of the patch stage and patch count (``strategy="patch"``).

Patch-based inference (MCUNetV2) runs the first, high-resolution stage of the
network patch by patch (``tinyts-patch``); the halos of neighbouring patches
are recomputed. The stage ends at a row-mappable op (counted like
``tinyts-split``'s segments, :func:`tinyts_mlir.autosplit.row_map_ops`) where
one tensor crosses (:func:`tinyts_mlir.autosplit.cut_candidates`), and its
output is cut into an n x n grid.

:func:`choose` plans every candidate with the real planner (``tinyts-patch`` +
``tinyts-plan-memory`` on a copy of the module) and keeps the smallest arena:

* stage ends: the cut points in the first half of the row-mappable ops whose
  output still has at least n rows and columns (MCUNetV2 patches roughly the
  first quarter to third of the network, where activations are largest);
* patch counts: 2, 3 and 4 per side (or the one given);
* configurations whose recomputation adds more than
  :data:`MAX_MAC_OVERHEAD` of the layer-wise MACs are skipped (unless all
  are); ties go to the fewest MACs.

:func:`fit` is the same search turned around, for comparisons at equal
memory: the configuration with the least recomputation whose arena fits a
given limit (more patch counts, no MAC limit).
"""

from __future__ import annotations

from typing import NamedTuple

from mlir import ir

from . import autosplit, pipeline
from .analysis import count_macs_raised

PATCH_COUNTS = (2, 3, 4)
# Patch counts :func:`fit` tries to reach an arena limit (more patches, smaller
# patch buffers, more recomputed halo).
FIT_PATCH_COUNTS = (2, 3, 4, 5, 6, 8)
# Largest MAC increase (recomputed halos) a configuration may cost.
MAX_MAC_OVERHEAD = 0.25
# Stage ends are searched in this leading fraction of the row-mappable ops.
STAGE_FRACTION = 0.5


class PatchConfig(NamedTuple):
    """One planned patch configuration (ordered by arena, then MACs)."""

    arena: int  # planned arena bytes
    macs: int  # MACs with the recomputed halos
    stage_end: int
    patches: int  # per side


def _trial(text: str, context: ir.Context, stage_end: int,
           patches: int) -> PatchConfig | None:
    """One configuration, planned; None if tinyts-patch refuses it."""
    trial = ir.Module.parse(text, context=context)
    try:
        pipeline.patch(trial, stage_end, patches)
    except pipeline.CompileError:
        return None
    macs = count_macs_raised(trial).total
    return PatchConfig(pipeline.plan(trial).arena_bytes, macs, stage_end, patches)


def _candidates(module: ir.Module, stage_end: int | None,
                counts: tuple[int, ...]) -> tuple[list[PatchConfig], list[int]]:
    """Every configuration tinyts-patch accepts, planned, and the stage ends tried."""
    ops = autosplit.row_map_ops(module)
    if stage_end is not None:
        ends = [stage_end]
    else:
        limit = max(1, int(len(ops) * STAGE_FRACTION))
        ends = [k for k in autosplit.cut_candidates(module, ops) if k < limit]
    text, context = str(module), module.context
    tried: list[PatchConfig] = []
    for end in ends:
        for n in counts:
            if end < len(ops) and min(ops[end].rows, ops[end].width) < n:
                continue
            config = _trial(text, context, end, n)
            if config is not None:
                tried.append(config)
    return tried, ends


def choose(module: ir.Module, stage_end: int | None = None,
           patches: int = 0) -> tuple[int, int]:
    """(stage_end, patches) for a raised ``module`` (not modified): the given
    values, the missing ones chosen for the smallest planned arena. Raises
    :class:`~tinyts_mlir.pipeline.CompileError` when no stage can be patched."""
    if patches < 0:
        raise ValueError(f"patches must be >= 1 (0: automatic), got {patches}")
    if stage_end is not None and patches:
        return stage_end, patches
    counts = (patches,) if patches else PATCH_COUNTS
    tried, ends = _candidates(module, stage_end, counts)
    if not tried:
        if stage_end is not None:  # the pass's own diagnostic for that stage
            pipeline.patch(ir.Module.parse(str(module), context=module.context),
                           stage_end, counts[0])
        raise pipeline.CompileError(
            "strategy='patch': no stage of this model can run patch by patch "
            f"(tried stage ends {ends} with {list(counts)} patches per side)")
    budget = (1 + MAX_MAC_OVERHEAD) * count_macs_raised(module).total
    # Within the MAC budget if any configuration is.
    best = min([t for t in tried if t.macs <= budget] or tried)
    return best.stage_end, best.patches


class PatchArenaError(pipeline.CompileError):
    """No patch configuration's planned arena fits the limit (see :func:`fit`)."""

    def __init__(self, limit: int, smallest: PatchConfig | None) -> None:
        self.limit = limit
        self.smallest = smallest
        where = ("no stage of this model can run patch by patch" if smallest is None else
                 f"the smallest patch arena is {smallest.arena:,} B (stage end "
                 f"{smallest.stage_end}, {smallest.patches}x{smallest.patches} patches)")
        super().__init__(f"strategy='patch' cannot reach an arena of {limit:,} B: {where}")


def fit(module: ir.Module, arena_limit: int,
        counts: tuple[int, ...] = FIT_PATCH_COUNTS) -> PatchConfig:
    """The patch configuration with the fewest MACs (least recomputation)
    whose planned arena is at most ``arena_limit``,
    over every stage end and ``counts`` patches per side. Raises
    :class:`PatchArenaError`, with the smallest arena found, if none fits."""
    tried, _ = _candidates(module, None, counts)
    fitting = [t for t in tried if t.arena <= arena_limit]
    if not fitting:
        raise PatchArenaError(arena_limit, min(tried) if tried else None)
    return min(fitting, key=lambda t: (t.macs, t.arena))
