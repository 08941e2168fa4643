#!/usr/bin/env python3
"""Per-model benchmark table: TFLite Micro's arena vs ours, Cortex-M7 cost, MACs.

Usage:
    .venv/bin/python benchmarks/run_benchmarks.py [--models NAME ...]
        [--output benchmarks/results/table.md] [--seed 0]

Prints one markdown row per corpus model (../shared/models, not unsupported/)
to stdout and a progress line per model to stderr. See benchmarks/README.md
for what each column means and how it is measured.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO_ROOT.parent / "shared" / "models"
# The SRAM limit the Cortex-M7 linker script enforces by default (a real MCU's: STM32F767,
# 512 KiB; python/tinyts_mlir/targets/cortex_m7/m7.ld). Larger arenas run on the host only.
M7_RAM_BYTES = 512 * 1024

COLUMNS = ["model", "TFLM arena (B)", "layer-wise arena (B)", "split arena (B)", "band h (segments)",
           "TFLM / split", "peak stack (B)", "flash (B)", "layer-wise M7 instr",
           "split M7 instr", "split overhead", "smallest split arena (B)", "TFLM / smallest",
           "smallest split overhead", "MACs", "MACs/instr (layer-wise)",
           "compile (s)", "output = TFLM", "generic ops"]


@dataclass
class Row:
    model: str
    tflm_arena: str = "?"
    lw_arena: str = "-"
    arena: str = "-"
    band: str = "-"
    lw_instructions: str = "-"
    overhead: str = "-"
    ratio: str = "-"
    stack: str = "-"
    flash: str = "-"
    instructions: str = "-"
    macs: str = "?"
    macs_per_instr: str = "-"
    compile_s: str = "-"
    small_arena: str = "-"
    small_ratio: str = "-"
    small_overhead: str = "-"
    equal: str = "-"
    generic: str = "-"

    def markdown(self) -> str:
        cells = [self.model, self.tflm_arena, self.lw_arena, self.arena, self.band, self.ratio,
                 self.stack, self.flash, self.lw_instructions, self.instructions, self.overhead,
                 self.small_arena, self.small_ratio, self.small_overhead, self.macs, self.macs_per_instr, self.compile_s, self.equal, self.generic]
        return "| " + " | ".join(cells) + " |"


def _header() -> str:
    return ("| " + " | ".join(COLUMNS) + " |\n"
            + "|" + "|".join("---" if i == 0 else "---:" for i in range(len(COLUMNS))) + "|")


def _one_line(text: str, n: int = 60) -> str:
    flat = " ".join(str(text).split()).replace("|", "/")
    return flat[:n]


def _random_inputs(path: Path, seed: int) -> list[np.ndarray]:
    from tinyts_mlir.oracle import input_details

    rng = np.random.default_rng(seed)
    xs = []
    for d in input_details(path):
        dtype = np.dtype(d["dtype"])
        shape = tuple(int(s) for s in d["shape"])
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            xs.append(rng.integers(info.min, info.max + 1, size=shape, dtype=dtype))
        else:
            xs.append(rng.uniform(-1.0, 1.0, size=shape).astype(dtype))
    return xs


def benchmark(path: Path, seed: int) -> Row:
    import tinyts_mlir
    from tinyts_mlir.analysis import count_macs
    from tinyts_mlir.frontend import import_tflite
    from tinyts_mlir.oracle import run_tflm, tflm_arena_bytes

    row = Row(model=path.stem)
    tflm_arena: int | None = None
    macs: int | None = None
    try:
        tflm_arena = tflm_arena_bytes(path)
        row.tflm_arena = f"{tflm_arena:,}"
    except Exception as err:  # noqa: BLE001  (a row, never a crash)
        row.tflm_arena = f"error: {_one_line(err)}"
    try:
        module = import_tflite(path)
        with module.context:
            macs = count_macs(module).total
        row.macs = f"{macs:,}"
    except Exception as err:  # noqa: BLE001
        row.macs = f"error: {_one_line(err)}"

    lw_instr: int | None = None
    try:
        lw = tinyts_mlir.compile(path, target="cortex-m7", strategy="layerwise")
        row.lw_arena = f"{lw.arena_bytes:,}"
        if lw.arena_bytes <= M7_RAM_BYTES:
            _, lw_result, _ = lw.run_on_cortex_m7(*_random_inputs(path, seed), dsp=True)
            lw_instr = lw_result.instructions
            row.lw_instructions = f"{lw_instr:,}"
            if macs:
                row.macs_per_instr = f"{macs / lw_instr:.3f}"
    except Exception as err:  # noqa: BLE001
        row.lw_arena = f"error: {_one_line(err)}"

    t0 = time.perf_counter()
    try:
        cm = tinyts_mlir.compile(path, target="cortex-m7")  # strategy="split", automatic segments
        compile_s = time.perf_counter() - t0
    except tinyts_mlir.CompileError as err:
        note = f"not yet: {_one_line(err)}"
        row.arena = note
        for name in ("ratio", "stack", "flash", "instructions", "macs_per_instr",
                     "compile_s", "equal"):
            setattr(row, name, "not yet")
        return row
    except Exception as err:  # noqa: BLE001
        row.arena = f"error: {_one_line(err)}"
        return row

    row.arena = f"{cm.arena_bytes:,}"
    heights = sorted({layer.band_height for layer in cm.split_layers})
    segments = len(cm.segments.split(",")) if cm.segments else 1
    row.band = (f"{'/'.join(map(str, heights))} ({segments} seg)" if heights else "no split")
    row.compile_s = f"{compile_s:.2f}"
    row.generic = str(sum(cm.generic_ops.values()))
    if tflm_arena:
        row.ratio = f"{tflm_arena / cm.arena_bytes:.2f}x"
    if cm.arena_bytes > M7_RAM_BYTES:
        row.equal = f"arena > {M7_RAM_BYTES // 1024} KiB MCU SRAM: host only"
        try:
            xs = _random_inputs(path, seed)
            same = np.array_equal(np.asarray(cm.run(*xs)).reshape(-1),
                                  np.asarray(run_tflm(path, xs)[0]).reshape(-1))
            row.equal = f"{'yes' if same else 'NO'} (host only: arena > {M7_RAM_BYTES // 1024} KiB MCU SRAM)"
        except Exception as err:  # noqa: BLE001
            row.equal = f"error: {_one_line(err)}"
        return row
    try:
        xs = _random_inputs(path, seed)
        y, result, sizes = cm.run_on_cortex_m7(*xs, dsp=True)
        row.stack = f"{result.peak_stack_bytes:,}"
        row.flash = f"{sizes.flash:,}"
        row.instructions = f"{result.instructions:,}"
        if lw_instr:
            row.overhead = f"{100 * (result.instructions / lw_instr - 1):+.1f}%"
        ours = y if isinstance(y, list) else [y]
        ref = run_tflm(path, xs)
        same = len(ours) == len(ref) and all(
            np.array_equal(a.reshape(-1), np.asarray(b).reshape(-1)) for a, b in zip(ours, ref))
        row.equal = "yes" if same else "NO"
        _smallest(row, path, xs, ref, tflm_arena, lw_instr)
    except Exception as err:  # noqa: BLE001
        row.equal = f"error: {_one_line(err)}"
    return row


def _smallest(row: Row, path: Path, xs: list[np.ndarray], ref: list[np.ndarray],
              tflm_arena: int | None, lw_instr: int | None) -> None:
    """The split with the smallest arena the search finds, whatever it costs
    (max_overhead=inf): its arena and measured overhead; its output must equal
    TFLM's too ("NO" marks the overhead cell otherwise)."""
    import tinyts_mlir

    try:
        cm = tinyts_mlir.compile(path, target="cortex-m7", max_overhead=float("inf"))
        row.small_arena = f"{cm.arena_bytes:,}"
        if tflm_arena:
            row.small_ratio = f"{tflm_arena / cm.arena_bytes:.2f}x"
        y, result, _ = cm.run_on_cortex_m7(*xs, dsp=True)
        ours = y if isinstance(y, list) else [y]
        same = all(np.array_equal(a.reshape(-1), np.asarray(b).reshape(-1))
                   for a, b in zip(ours, ref))
        if lw_instr:
            row.small_overhead = f"{100 * (result.instructions / lw_instr - 1):+.1f}%"
        if not same:
            row.small_overhead += " (output NO)"
    except Exception as err:  # noqa: BLE001
        row.small_arena = f"error: {_one_line(err)}"


def corpus_models() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*.tflite"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", metavar="NAME",
                    help="model names (file stems in ../shared/models); default: all")
    ap.add_argument("--output", type=Path, default=None,
                    help="also write the table to this markdown file "
                         "(e.g. benchmarks/results/table.md)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random input")
    args = ap.parse_args(argv)

    models = corpus_models()
    if args.models:
        by_name = {p.stem: p for p in models}
        unknown = [m for m in args.models if m.removesuffix(".tflite") not in by_name]
        if unknown:
            ap.error(f"unknown model(s): {', '.join(unknown)}; "
                     f"known: {', '.join(sorted(by_name))}")
        models = [by_name[m.removesuffix(".tflite")] for m in args.models]

    import tinyts_mlir  # noqa: F401  (any rebuild happens before the table starts)

    lines = [_header()]
    print(lines[0], flush=True)
    for i, path in enumerate(models, 1):
        print(f"[{i}/{len(models)}] {path.stem} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        row = benchmark(path, args.seed)
        line = row.markdown()
        lines.append(line)
        print(line, flush=True)
        print(f"[{i}/{len(models)}] {path.stem} done in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr, flush=True)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
