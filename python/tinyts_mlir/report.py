"""The memory report of a compiled model: one self-contained HTML page.

``write_report(cm, "out/report.html")`` writes the page and, beside it, its
two plots as PNG files (``report_timeline.png``, ``report_arena.png``):

* the memory timeline: bytes live in the arena as the schedule runs (band by
  band for a split model), split against layer-wise, with TFLite Micro's
  arena, the SRAM budget and the lower bound as horizontal lines when known;
* the arena map: which buffer lives where (offset) and when (steps), and the
  list of buffers;
* per layer: MACs and the compiler's instruction estimate
  (:mod:`tinyts_mlir.autosplit`'s cost model, not a measurement).

The page embeds the PNGs as data URIs and its CSS inline: it opens offline
and can be mailed as one file. Plots use matplotlib's Agg backend.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter

from . import autosplit
from .pipeline import MemoryPlan, SplitLayer

if TYPE_CHECKING:
    from .compiler import CompiledModel

__all__ = ["LayerRow", "layer_rows", "match_split_layers", "write_report"]

# A global average pool split band by band is streamed as row sums.
_SPLIT_NAME_OF = {"tinyts.row_sum": "tinyts.avg_pool2d"}
_BUFFER_TABLE_OPEN_MAX = 24  # longer buffer tables start folded
_DPI = 110


@dataclass(frozen=True)
class LayerRow:
    """One kernel op of the model before splitting, as the report shows it."""

    index: int
    op: str
    macs: int
    output_elements: int
    split: SplitLayer | None
    est_instructions: int


def _segment_ops(segments: str) -> set[int] | None:
    """Row-mappable op indices a ``segments`` option ("a-b:h,c") covers;
    None: no option (every row-mappable op may be split)."""
    if not segments:
        return None
    covered: set[int] = set()
    for part in segments.split(","):
        lo, _, hi = part.split(":")[0].partition("-")
        covered.update(range(int(lo), int(hi or lo) + 1))
    return covered


def match_split_layers(cm: CompiledModel) -> tuple[dict[int, SplitLayer], list[SplitLayer]]:
    """Map split ops to indices of ``cm.layer_macs``; return (mapping, unmatched).

    ``SplitLayer.layer`` is a position in the raised function's body, which
    also counts constants, ``tensor.empty`` and reshapes, while ``layer_macs``
    counts kernel ops only. Both follow function order, so a split op is
    matched to the next kernel op of the same kind (a row-mappable op inside
    the split segments, at an index no greater than its position)."""
    covered = _segment_ops(cm.segments)
    candidates: list[int] = []  # layer_macs indices of the ops the split may cover
    row_map_ops = [i for i, m in enumerate(cm.layer_macs) if m.op in autosplit.ROW_MAP_OPS]
    for k, i in enumerate(row_map_ops):
        if covered is None or k in covered:
            candidates.append(i)
    mapping: dict[int, SplitLayer] = {}
    unmatched: list[SplitLayer] = []
    nxt = 0
    for s in sorted(cm.split_layers, key=lambda s: s.layer):
        name = _SPLIT_NAME_OF.get(s.op, s.op)
        hit = next((k for k in range(nxt, len(candidates))
                    if cm.layer_macs[candidates[k]].op == name and candidates[k] <= s.layer), None)
        if hit is None:
            unmatched.append(s)
            continue
        mapping[candidates[hit]] = s
        nxt = hit + 1
    return mapping, unmatched


def _est_instructions(macs: int, split: SplitLayer | None, call_cost: float = 0.0) -> int:
    """The cost model's instructions: MACs at the kernels' rate, plus
    ``call_cost`` per extra band call."""
    extra_calls = split.bands - 1 if split else 0
    return round(macs / autosplit.MACS_PER_INSTRUCTION + extra_calls * call_cost)


def layer_rows(cm: CompiledModel) -> list[LayerRow]:
    """One row per kernel op of the model before splitting."""
    mapping, _ = match_split_layers(cm)
    return [LayerRow(index=i, op=m.op, macs=m.macs, output_elements=m.output_elements,
                     split=mapping.get(i), est_instructions=_est_instructions(
                         m.macs, mapping.get(i), autosplit.call_overhead_of(m.op, m.channels)))
            for i, m in enumerate(cm.layer_macs)]


def _new_figure(width: float, height: float) -> Figure:
    """A figure drawn by Agg, outside pyplot (no global state, no GUI)."""
    fig = Figure(figsize=(width, height), dpi=_DPI)
    FigureCanvasAgg(fig)
    return fig


_BYTES = FuncFormatter(lambda v, _: f"{v:,.0f}")


def _events(plan: MemoryPlan) -> dict[int, int]:
    """{step: rank} of the steps where a buffer is allocated or freed. The
    plots skip the steps between them (constants, views): they leave the
    arena as it is."""
    steps = {b.first for b in plan.buffers} | {b.last + 1 for b in plan.buffers}
    return {s: k for k, s in enumerate(sorted(steps))}


def _plans(cm: CompiledModel) -> list[tuple[MemoryPlan, str, str]]:
    """(plan, name, colour) of the compiled plan and, for a split model, the
    layer-wise plan it is compared with (None in a reopened folder)."""
    if cm.strategy != "split":
        return [(cm.plan, "layer-wise", "tab:orange")]
    plans = [(cm.plan, "split", "tab:blue")]
    if cm.layerwise_plan is not None:
        plans.append((cm.layerwise_plan, "layer-wise", "tab:orange"))
    return plans


def _hline(ax: Axes, y: int, label: str, color: str, style: str | tuple) -> None:
    ax.axhline(y, color=color, linestyle=style, linewidth=1.3, label=f"{label}: {y:,} B")


def _plot_timeline(cm: CompiledModel, tflm_arena: int | None, path: Path) -> None:
    fig = _new_figure(11, 4.8)
    ax = fig.add_subplot()
    for plan, name, color in _plans(cm):
        rank = _events(plan)
        last = max(len(rank) - 1, 1)
        points = plan.timeline()
        ax.step([rank[s] / last for s, _ in points], [b for _, b in points], where="post",
                color=color, linewidth=1.7,
                label=f"{name}: peak live {max((b for _, b in points), default=0):,} B")
        ax.axhline(plan.arena_bytes, color=color, linestyle=":", linewidth=1.2,
                   label=f"{name} arena: {plan.arena_bytes:,} B")
    if tflm_arena is not None:
        _hline(ax, tflm_arena, "TFLite Micro arena", "tab:red", "-.")
    if cm.sram_budget is not None:
        _hline(ax, cm.sram_budget, "SRAM budget (arena + stack + static)", "black", "--")
    if cm.sram_lower_bound is not None:
        _hline(ax, cm.sram_lower_bound, "lower bound of peak SRAM", "tab:gray", (0, (1, 3)))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, None)
    ax.set_xlabel("progress through the schedule (buffers allocated or freed so far, "
                  "normalised)")
    ax.set_ylabel("bytes live in the arena")
    ax.set_title(f"{cm.prefix}: memory timeline")
    ax.yaxis.set_major_formatter(_BYTES)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path)


def _buffer_label(op: str) -> str:
    """A buffer's writer for the plots (no dialect prefix; '' is the input)."""
    return op.removeprefix("tinyts.") or "(input)"


def _colors(plans: list[MemoryPlan]) -> dict[str, tuple[float, ...]]:
    names = sorted({_buffer_label(b.op) for p in plans for b in p.buffers})
    cmap = matplotlib.colormaps["tab10" if len(names) <= 10 else "tab20"]
    return {n: cmap(i % cmap.N) for i, n in enumerate(names)}


def _draw_arena(ax: Axes, plan: MemoryPlan, title: str,
                colors: dict[str, tuple[float, ...]]) -> None:
    rank = _events(plan)
    for b in plan.buffers:
        start = rank[b.first]
        # A white edge separates neighbours but would wash out thin buffers.
        edge = 0.4 if b.size * 50 >= plan.arena_bytes else 0.0
        ax.add_patch(Rectangle((start, b.offset), rank[b.last + 1] - start, b.size,
                               facecolor=colors[_buffer_label(b.op)], edgecolor="white",
                               linewidth=edge))
    ax.axhline(plan.arena_bytes, color="black", linewidth=0.8, linestyle="--")
    ax.set_xlim(0, max(len(rank) - 1, 1))
    ax.set_title(f"{title}: arena {plan.arena_bytes:,} B, {len(plan.buffers)} buffers",
                 fontsize=10)
    ax.set_xlabel("buffer allocated or freed (event)")
    ax.grid(True, alpha=0.25)


def _plot_arena(cm: CompiledModel, path: Path) -> None:
    panels = _plans(cm)
    colors = _colors([p for p, _, _ in panels])
    legend_rows = (len(colors) + 3) // 4
    fig = _new_figure(11, 4.6 + 0.25 * legend_rows)
    axes = fig.subplots(1, len(panels), sharey=True, squeeze=False,
                        width_ratios=[2, 1][:len(panels)])[0]
    for ax, (plan, name, _) in zip(axes, panels):
        _draw_arena(ax, plan, name, colors)
    axes[0].set_ylim(0, max(p.arena_bytes for p, _, _ in panels) * 1.04 or 1)
    axes[0].set_ylabel("arena offset (bytes)")
    axes[0].yaxis.set_major_formatter(_BYTES)
    fig.legend(handles=[Patch(color=c, label=n) for n, c in colors.items()],
               loc="lower center", ncol=min(len(colors), 4), fontsize=8, frameon=False)
    fig.suptitle(f"{cm.prefix}: arena map (which buffer lives where, when)")
    fig.tight_layout(rect=(0, 0.06 * legend_rows + 0.02, 1, 1))
    fig.savefig(path)


_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1180px;
       color: #1d2430; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border-bottom: 1px solid #dde2ea; padding: 3px 10px; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 600; border-top: 2px solid #99a3b3; }
table.summary th { font-weight: 500; color: #4a5568; }
img { max-width: 100%; border: 1px solid #e4e8ef; }
.note { color: #4a5568; font-size: 13px; }
.good { color: #17803d; font-weight: 600; }
"""


def _b(n: int) -> str:
    return f"{n:,} B"


def _ratio(ours: int, theirs: int) -> str:
    if ours <= 0:
        return "-"
    return f"{ours / theirs:.2f} of it ({theirs / ours:.2f}x smaller)" if ours <= theirs \
        else f"{ours / theirs:.2f}x of it (larger)"


def _strategy_text(cm: CompiledModel) -> str:
    if cm.strategy != "split" or not cm.split_layers:
        return "layer-wise (whole tensors)"
    heights = "/".join(str(h) for h in sorted({s.band_height for s in cm.split_layers}))
    segments = f", segments {cm.segments}" if cm.segments else ""
    return (f"split ({cm.order}): {len(cm.split_layers)} ops in bands of {heights} "
            f"row(s){segments}")


def _summary(cm: CompiledModel, tflm_arena: int | None) -> list[tuple[str, str]]:
    rows = [("model", cm.prefix), ("target", cm.target), ("strategy", _strategy_text(cm)),
            ("arena", f"<span class='good'>{_b(cm.arena_bytes)}</span>")]
    sram = _b(cm.peak_sram_bytes)
    if cm.stack_bytes or cm.static_ram_bytes:
        sram += (f" = arena + stack bound {_b(cm.stack_bytes)} + other static RAM "
                 f"{_b(cm.static_ram_bytes)}")
    else:
        sram += " (arena only: this compile did not bound the stack and static RAM)"
    rows.append(("peak SRAM estimate", sram))
    if cm.layerwise_plan is not None and cm.strategy == "split":
        rows.append(("layer-wise arena", f"{_b(cm.layerwise_plan.arena_bytes)} (split arena: "
                     f"{_ratio(cm.arena_bytes, cm.layerwise_plan.arena_bytes)})"))
    if tflm_arena is not None:
        rows.append(("TFLite Micro arena", f"{_b(tflm_arena)} (this arena: "
                     f"{_ratio(cm.arena_bytes, tflm_arena)})"))
    if cm.sram_budget is not None:
        fits = "fits" if cm.peak_sram_bytes <= cm.sram_budget else "does NOT fit"
        rows.append(("SRAM budget", f"{_b(cm.sram_budget)} (peak SRAM estimate {fits})"))
    if cm.sram_lower_bound is not None:
        reason = getattr(cm, "sram_lower_bound_reason", "")
        rows.append(("lower bound", f"{_b(cm.sram_lower_bound)} of peak SRAM, which no "
                     "configuration goes below" + (f": {html.escape(reason)}" if reason else "")))
    return rows


def _data_uri(png: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")


def _table(head: list[str], rows: list[list[str]], numeric: set[int],
           table_id: str, total: list[str] | None = None) -> str:
    def cells(tag: str, values: list[str]) -> str:
        return "".join(f"<{tag}{' class=n' if k in numeric else ''}>{v}</{tag}>"
                       for k, v in enumerate(values))

    body = "".join(f"<tr>{cells('td', r)}</tr>" for r in rows)
    foot = f"<tfoot><tr class=total>{cells('td', total)}</tr></tfoot>" if total else ""
    return (f"<table id={table_id}><thead><tr>{cells('th', head)}</tr></thead>"
            f"<tbody>{body}</tbody>{foot}</table>")


def _buffers_html(plan: MemoryPlan) -> str:
    rows = [[str(k), html.escape(_buffer_label(b.op)), f"{b.offset:,}", f"{b.size:,}",
             f"{b.offset + b.size:,}", f"{b.first}..{b.last}"]
            for k, b in enumerate(sorted(plan.buffers, key=lambda b: (b.first, b.offset)))]
    table = _table(["#", "written by", "offset", "bytes", "end", "live (op index)"], rows,
                   {0, 2, 3, 4}, "buffers")
    state = " open" if len(rows) <= _BUFFER_TABLE_OPEN_MAX else ""
    return (f"<details{state}><summary>{len(rows)} buffers of the compiled plan</summary>"
            f"{table}</details>")


def _layers_html(cm: CompiledModel) -> str:
    rows = layer_rows(cm)
    if not rows:
        return ("<p class=note>No per-layer MACs: this model was reopened from a folder "
                "(CompiledModel.load), which keeps no analysis; compile it to see them.</p>")
    body = [[str(r.index), html.escape(r.op), f"{r.macs:,}", f"{r.output_elements:,}",
             f"{r.split.bands} bands of {r.split.band_height} rows" if r.split else "whole",
             f"{r.est_instructions:,}"] for r in rows]
    whole = sum(_est_instructions(r.macs, None) for r in rows)
    ours = sum(r.est_instructions for r in rows)
    total = ["", "total", f"{sum(r.macs for r in rows):,}", "", "",
             f"{ours:,}" + (f" ({(ours - whole) / whole:+.1%} vs whole tensors)" if whole else "")]
    _, unmatched = match_split_layers(cm)
    missing = "".join(f"<li>{html.escape(s.op)} at position {s.layer} of the function "
                      f"({s.bands} bands)</li>" for s in unmatched)
    missing = (f"<p class=note>Split ops not matched to a layer above (their band calls "
               f"are not in the estimate):</p><ul>{missing}</ul>" if missing else "")
    per_channel = ", ".join(f"{kind.removeprefix('tinyts.')}: {cost}" for kind, cost in
                            autosplit.CHANNEL_OVERHEAD_INSTRUCTIONS.items())
    note = (f"<p class=note><b>est. instr.</b> is the compiler's cost model "
            f"(<code>tinyts_mlir.autosplit</code>), not a measurement: MACs / "
            f"{autosplit.MACS_PER_INSTRUCTION} MAC per instruction, plus per extra band call "
            f"of a split op {autosplit.CALL_OVERHEAD_INSTRUCTIONS:,} instructions and, for a "
            f"convolution, a set-up per output channel ({per_channel}). "
            "Ops without MACs (pools, softmax, add) count only their extra band "
            "calls. Run <code>tinyts run FOLDER --on qemu</code> for measured "
            "instructions.</p>")
    head = ["#", "op", "MACs", "output elements", "bands", "est. instr."]
    return _table(head, body, {0, 2, 3, 5}, "layers", total) + note + missing


def _page(cm: CompiledModel, tflm_arena: int | None, timeline: Path, arena: Path) -> str:
    summary = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in _summary(cm, tflm_arena))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>TinyTS-MLIR memory report: {html.escape(cm.prefix)}</title>
<style>{_CSS}</style></head><body>
<h1>Memory report: {html.escape(cm.prefix)}</h1>
<p class=note>TinyTS-MLIR, target {html.escape(cm.target)}. Arena figures are the compiler's
static plan (<code>tinyts-plan-memory</code>).</p>
<table class=summary>{summary}</table>
<h2>Memory timeline</h2>
<p class=note>Bytes live in the arena as the schedule runs: a split model runs band by band, so
it has many more steps than layer-wise. The x axis counts the steps where a buffer is
allocated or freed, as a fraction of the schedule, so the two plans line up; steps that leave
the arena as it is (constants, views) are skipped. Dotted lines: each plan's arena (the live
bytes plus the gaps its placement leaves).</p>
<img alt="memory timeline" src="{_data_uri(timeline)}">
<h2>Arena map</h2>
<p class=note>One rectangle per buffer: from its offset, its size high, from the step that
allocates it to the step that frees it (counted as in the timeline; the table below gives
the op indices of the planned function); the colour says which op writes it ("input": the
model input, in the arena). The dashed line is the arena's size.</p>
<img alt="arena map" src="{_data_uri(arena)}">
{_buffers_html(cm.plan)}
<h2>Per layer</h2>
{_layers_html(cm)}
</body></html>
"""


def write_report(cm: CompiledModel, path: str | Path, *,
                 tflm_arena_bytes: int | None = None) -> Path:
    """Write the HTML report to ``path`` and its PNG plots beside it
    (``<stem>_timeline.png``, ``<stem>_arena.png``); return ``path``."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    timeline = out.with_name(f"{out.stem}_timeline.png")
    arena = out.with_name(f"{out.stem}_arena.png")
    _plot_timeline(cm, tflm_arena_bytes, timeline)
    _plot_arena(cm, arena)
    out.write_text(_page(cm, tflm_arena_bytes, timeline, arena), encoding="utf-8")
    return out
