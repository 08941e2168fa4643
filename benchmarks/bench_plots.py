"""Plots of the side-by-side benchmark (run_benchmarks.py): arenas per model,
and memory against executed instructions per model."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"TFLite Micro": "tab:gray", "layer-wise": "tab:blue", "split, default": "tab:green",
          "split, smallest": "tab:olive", "patch": "tab:red",
          "split, at patch's peak SRAM": "tab:purple"}
MARKERS = {"layer-wise": "o", "split, default": "s", "split, smallest": "D", "patch": "^",
           "split, at patch's peak SRAM": "x"}
ARENA_CONFIGS = ("TFLite Micro", "layer-wise", "split, default", "split, smallest", "patch")


def _arena_plot(results: list[Any], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(9, 0.75 * len(results) + 1.5))
    height = 0.8 / len(ARENA_CONFIGS)
    labelled: set[str] = set()
    for i, res in enumerate(results):
        for j, name in enumerate(ARENA_CONFIGS):
            c = res.get(name)
            if c is None or not c.arena:
                continue
            ax.barh(i + (j - len(ARENA_CONFIGS) / 2 + 0.5) * height, c.arena, height,
                    color=COLORS[name], label=None if name in labelled else name)
            labelled.add(name)
    ax.set_yticks(range(len(results)), [r.model for r in results])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("arena (bytes, log scale)")
    ax.set_title("Arena per model and configuration (smaller is better)")
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _tradeoff_plot(results: list[Any], path: Path) -> Path | None:
    measured = [r for r in results if any(c.instructions for c in r.configs)]
    if not measured:
        return None
    cols = min(3, len(measured))
    rows = math.ceil(len(measured) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.6 * rows), squeeze=False)
    for ax, res in zip(axes.flat, measured):
        for c in res.configs:
            if c.instructions and c.peak_sram:
                ax.scatter(c.peak_sram / 1024, c.instructions / 1e6, color=COLORS.get(c.name),
                           marker=MARKERS.get(c.name, "o"), label=c.name, s=40, zorder=3)
        tflm = res.get("TFLite Micro")
        if tflm and tflm.arena:
            ax.axvline(tflm.arena / 1024, color=COLORS["TFLite Micro"], linestyle="--",
                       label="TFLite Micro arena")
        ax.set_xlim(left=0)
        ax.set_title(res.model, fontsize="medium")
        ax.set_xlabel("peak SRAM (KiB)")
        ax.set_ylabel("M7 instructions (millions)")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(measured):]:
        ax.axis("off")
    handles, labels = {}, []
    for ax in axes.flat:
        for h, label in zip(*ax.get_legend_handles_labels()):
            if label not in handles:
                handles[label] = h
                labels.append(label)
    fig.legend([handles[k] for k in labels], labels, loc="lower center", ncol=min(6, len(labels)),
               fontsize="small")
    fig.suptitle("Peak SRAM vs executed instructions on the emulated Cortex-M7 "
                 "(lower left is better)")
    fig.tight_layout(rect=(0, 0.06, 1, 0.97))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_plots(results: list[Any], folder: Path) -> list[Path]:
    """Write arena.png and tradeoff.png into ``folder``; return their paths."""
    out = [_arena_plot(results, folder / "arena.png")]
    tradeoff = _tradeoff_plot(results, folder / "tradeoff.png")
    if tradeoff is not None:
        out.append(tradeoff)
    return out
