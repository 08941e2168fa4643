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
"""

from __future__ import annotations

from mlir import ir

from . import autosplit, pipeline
from .analysis import count_macs_raised

PATCH_COUNTS = (2, 3, 4)
# Largest MAC increase (recomputed halos) a configuration may cost.
MAX_MAC_OVERHEAD = 0.25
# Stage ends are searched in this leading fraction of the row-mappable ops.
STAGE_FRACTION = 0.5


def _trial(text: str, context: ir.Context, stage_end: int,
           patches: int) -> tuple[int, int] | None:
    """(arena bytes, MACs) of one configuration; None if tinyts-patch refuses it."""
    trial = ir.Module.parse(text, context=context)
    try:
        pipeline.patch(trial, stage_end, patches)
    except pipeline.CompileError:
        return None
    macs = count_macs_raised(trial).total
    return pipeline.plan(trial).arena_bytes, macs


def choose(module: ir.Module, stage_end: int | None = None,
           patches: int = 0) -> tuple[int, int]:
    """(stage_end, patches) for a raised ``module`` (not modified): the given
    values, the missing ones chosen for the smallest planned arena. Raises
    :class:`~tinyts_mlir.pipeline.CompileError` when no stage can be patched."""
    if patches < 0:
        raise ValueError(f"patches must be >= 1 (0: automatic), got {patches}")
    if stage_end is not None and patches:
        return stage_end, patches
    ops = autosplit.row_map_ops(module)
    if stage_end is not None:
        ends = [stage_end]
    else:
        limit = max(1, int(len(ops) * STAGE_FRACTION))
        ends = [k for k in autosplit.cut_candidates(module, ops) if k < limit]
    counts = (patches,) if patches else PATCH_COUNTS
    text, context = str(module), module.context
    budget = (1 + MAX_MAC_OVERHEAD) * count_macs_raised(module).total
    tried: list[tuple[int, int, int, int]] = []  # (arena, MACs, end, n)
    for end in ends:
        for n in counts:
            if end < len(ops) and min(ops[end].rows, ops[end].width) < n:
                continue
            result = _trial(text, context, end, n)
            if result is not None:
                tried.append((result[0], result[1], end, n))
    if not tried:
        if stage_end is not None:  # the pass's own diagnostic for that stage
            pipeline.patch(ir.Module.parse(text, context=context), stage_end, counts[0])
        raise pipeline.CompileError(
            "strategy='patch': no stage of this model can run patch by patch "
            f"(tried stage ends {ends} with {list(counts)} patches per side)")
    # Within the MAC budget if any configuration is.
    _, _, end, n = min([t for t in tried if t[1] <= budget] or tried)
    return end, n
