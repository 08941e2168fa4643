#!/usr/bin/env python3
"""Side-by-side benchmark: TFLite Micro, layer-wise, split and patch-based inference.

Usage:
    .venv/bin/python benchmarks/run_benchmarks.py [--models NAME ...]
        [--results benchmarks/results] [--readme README.md] [--seed 0]

For each corpus model (../shared/models, not unsupported/) it measures, in
one run, on one random input:

* TFLite Micro: its arena (PyPI tflite-micro);
* our layer-wise build (every op on whole tensors);
* our split at its default (the smallest arena within the 5% instruction
  estimate);
* our split at the smallest arena the search finds (whatever it costs);
* patch-based inference (MCUNetV2) at that same arena, or, where no patch
  configuration reaches it, at the smallest arena patches reach;
* our split at the patch build's peak SRAM (``sram_budget``): the
  comparison at equal memory.

Each build of ours runs on the emulated Cortex-M7 (QEMU, DSP kernels on):
arena, measured peak SRAM, executed instructions, flash, compile time, and
whether its output equals TFLite Micro's byte for byte. Writes
``table.md`` and two plots into ``--results``; ``--readme`` also replaces
the table between the benchmark markers of that README. A progress line per
configuration goes to stderr. benchmarks/README.md says how each column is
measured.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO_ROOT.parent / "shared" / "models"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_plots import write_plots  # noqa: E402

README_BEGIN = "<!-- benchmark table: begin (benchmarks/run_benchmarks.py --readme README.md) -->"
README_END = "<!-- benchmark table: end -->"

TFLM = "TFLite Micro"
LAYERWISE = "layer-wise"
SPLIT = "split, default"
SMALLEST = "split, smallest"
PATCH = "patch"
SPLIT_AT_PATCH = "split, at patch's peak SRAM"

COLUMNS = ["model", "configuration", "arena (B)", "TFLM / arena", "peak SRAM (B)",
           "M7 instructions", "vs layer-wise", "MACs", "flash (B)", "compile (s)",
           "output = TFLM"]


@dataclass
class Measured:
    """One configuration of one model. None: not measured (the note says why)."""

    name: str
    arena: int | None = None
    peak_sram: int | None = None
    instructions: int | None = None
    macs: int | None = None
    flash: int | None = None
    compile_s: float | None = None
    equal: bool | None = None
    detail: str = ""  # band heights, patch grid, ...
    note: str = ""  # why something is missing, or where it ran


@dataclass
class ModelResult:
    model: str
    configs: list[Measured] = field(default_factory=list)

    def get(self, name: str) -> Measured | None:
        return next((c for c in self.configs if c.name == name), None)

    def patch_ratio(self) -> float | None:
        """Patch instructions / our split's at the patch build's peak SRAM."""
        patch, ours = self.get(PATCH), self.get(SPLIT_AT_PATCH)
        if patch and ours and patch.instructions and ours.instructions:
            return patch.instructions / ours.instructions
        return None


def _one_line(text: object, n: int = 90) -> str:
    return " ".join(str(text).split()).replace("|", "/")[:n]


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


def _same(ours: object, ref: list[np.ndarray]) -> bool:
    outs = ours if isinstance(ours, list) else [ours]
    return len(outs) == len(ref) and all(
        np.array_equal(np.asarray(a).reshape(-1), np.asarray(b).reshape(-1))
        for a, b in zip(outs, ref))


def _describe(cm) -> str:
    if cm.strategy == "patch":
        return f"stage end {cm.stage_end}, {cm.patches}x{cm.patches} patches"
    if cm.strategy == "layerwise" or not cm.split_layers:
        return "whole tensors"
    heights = sorted({layer.band_height for layer in cm.split_layers})
    return f"band h {'/'.join(map(str, heights))}, segments {cm.segments or 'all'}"


def measure(name: str, build: Callable[[], object], xs: list[np.ndarray],
            ref: list[np.ndarray], macs: int | None) -> tuple[Measured, object | None]:
    """Compile with ``build`` and run the result on the emulated Cortex-M7.
    Never raises: a failure is the row's note."""
    from tinyts_mlir.targets.errors import BuildError

    row = Measured(name, macs=macs)
    try:
        cm = build()
    except Exception as err:  # noqa: BLE001  (a row, never a crash)
        row.note = f"does not compile: {_one_line(err)}"
        return row, None
    row.arena, row.compile_s, row.detail = cm.arena_bytes, cm.compile_seconds, _describe(cm)
    try:
        try:
            y, result, sizes = cm.run_on_cortex_m7(*xs, dsp=True)
        except BuildError as err:
            if "exceeds the MCU" not in err.stderr:
                raise
            # Too big for the STM32F767 (2 MiB flash / 512 KiB SRAM): measured
            # with QEMU's 4 MiB each, and said so.
            y, result, sizes = cm.run_on_cortex_m7(*xs, dsp=True, mcu_limits=False)
            row.note = "exceeds the STM32F767's 2 MiB flash / 512 KiB SRAM: run with QEMU's 4 MiB"
    except Exception as err:  # noqa: BLE001
        row.note = f"M7 run failed: {_one_line(err)}"
        return row, cm
    row.instructions, row.flash = result.instructions, sizes.flash
    row.peak_sram = sizes.data + sizes.bss + result.peak_stack_bytes
    row.equal = _same(y, ref)
    return row, cm


def _patch_config(path: Path, arena_limit: int | None):
    """(PatchConfig, reached): the patch configuration with the least
    recomputation at ``arena_limit``, or the smallest-arena one (reached=False)."""
    from tinyts_mlir import autopatch, pipeline
    from tinyts_mlir.frontend import import_tflite

    module = import_tflite(path)
    with module.context:
        pipeline.raise_kernels(module, True)
        try:
            best = autopatch.fit(module, arena_limit if arena_limit is not None else 0)
            return best, True
        except autopatch.PatchArenaError as err:
            if err.smallest is None:
                raise
            return err.smallest, False


def benchmark(path: Path, seed: int, log: Callable[[str], None] = lambda _: None) -> ModelResult:
    import tinyts_mlir
    from tinyts_mlir import autopatch
    from tinyts_mlir.analysis import count_macs
    from tinyts_mlir.frontend import import_tflite
    from tinyts_mlir.oracle import run_tflm, tflm_arena_bytes

    res = ModelResult(path.stem)
    tflm = Measured(TFLM)  # its arena only: TFLite Micro does not run on the M7 here
    macs: int | None = None
    try:
        tflm.arena = tflm_arena_bytes(path)
        module = import_tflite(path)
        with module.context:
            macs = count_macs(module).total
        tflm.macs = macs
    except Exception as err:  # noqa: BLE001
        tflm.note = f"error: {_one_line(err)}"
    res.configs.append(tflm)
    xs = _random_inputs(path, seed)
    ref = run_tflm(path, xs)

    def run(name: str, build: Callable[[], object], config_macs: int | None = macs):
        log(name)
        row, cm = measure(name, build, xs, ref, config_macs)
        res.configs.append(row)
        return row, cm

    def compile_(**kw):
        return lambda: tinyts_mlir.compile(path, target="cortex-m7", progress=False, **kw)

    run(LAYERWISE, compile_(strategy="layerwise"))
    run(SPLIT, compile_())
    smallest, _ = run(SMALLEST, compile_(max_overhead=float("inf")))

    log("patch search")
    try:
        config, reached = _patch_config(path, smallest.arena)
    except autopatch.PatchArenaError:
        res.configs.append(Measured(PATCH, note="n/a: no stage can run patch by patch"))
        return res
    except Exception as err:  # noqa: BLE001
        res.configs.append(Measured(PATCH, note=f"error: {_one_line(err)}"))
        return res
    patch, patch_cm = run(PATCH, compile_(strategy="patch", stage_end=config.stage_end,
                                          patches=config.patches), config.macs)
    patch.note = ("at most the smallest split arena" if reached else
                  f"its smallest arena; cannot reach {_int(smallest.arena)} B") + (
                  f"; {patch.note}" if patch.note else "")
    if patch_cm is not None:
        budget = patch_cm.peak_sram_bytes
        ours, _ = run(SPLIT_AT_PATCH, compile_(sram_budget=budget))
        ours.note = f"budget {budget:,} B: the patch build's peak SRAM estimate" + (
            f"; {ours.note}" if ours.note else "")
    return res


# --- the markdown ---------------------------------------------------------------

def _int(v: int | None) -> str:
    return "-" if v is None else f"{v:,}"


def table_rows(res: ModelResult) -> list[str]:
    tflm = res.get(TFLM)
    lw = res.get(LAYERWISE)
    rows = []
    for c in res.configs:
        ratio = (f"{tflm.arena / c.arena:.2f}x" if tflm and tflm.arena and c.arena else "-")
        over = (f"{100 * (c.instructions / lw.instructions - 1):+.1f}%"
                if c.instructions and lw and lw.instructions else "-")
        equal = "-" if c.equal is None else ("yes" if c.equal else "NO")
        name = c.name + (f" ({c.detail})" if c.detail else "")
        if c.note:
            name += f" [{c.note}]"
        cells = [res.model, name, _int(c.arena), ratio if c.name != TFLM else "1.00x",
                 _int(c.peak_sram), _int(c.instructions), over, _int(c.macs), _int(c.flash),
                 "-" if c.compile_s is None else f"{c.compile_s:.1f}", equal]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def summary_rows(results: list[ModelResult]) -> list[str]:
    """Per model: the patch build and our split at the same peak SRAM."""
    rows, ratios = [], []
    for res in results:
        patch, ours = res.get(PATCH), res.get(SPLIT_AT_PATCH)
        ratio = res.patch_ratio()
        if patch is None or ours is None or ratio is None:
            continue
        ratios.append(ratio)
        rows.append(f"| {res.model} | {_int(patch.peak_sram)} | {_int(patch.instructions)} | "
                    f"{_int(ours.peak_sram)} | {_int(ours.instructions)} | {ratio:.2f}x |")
    if ratios:
        geo = math.exp(sum(map(math.log, ratios)) / len(ratios))
        rows.append(f"| geometric mean | | | | | {geo:.2f}x |")
    return rows


def markdown(results: list[ModelResult]) -> str:
    head = ("| " + " | ".join(COLUMNS) + " |\n|---|---|"
            + "|".join("---:" for _ in COLUMNS[2:]) + "|")
    lines = [head] + [r for res in results for r in table_rows(res)]
    summary = summary_rows(results)
    if summary:
        lines += ["", "At equal memory: patch-based inference vs our split given the patch "
                  "build's peak SRAM as its budget (TinyTS reports 8.83x fewer cycles):", "",
                  "| model | patch peak SRAM (B) | patch M7 instructions | split peak SRAM (B) "
                  "| split M7 instructions | patch / split |",
                  "|---|---:|---:|---:|---:|---:|"] + summary
    return "\n".join(lines) + "\n"


def update_readme(readme: Path, table: str) -> None:
    text = readme.read_text()
    if README_BEGIN not in text or README_END not in text:
        raise SystemExit(f"{readme}: no benchmark markers ({README_BEGIN} ... {README_END})")
    head, rest = text.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_BEGIN}\n{table}{README_END}{tail}")


def corpus_models() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*.tflite"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", metavar="NAME",
                    help="model names (file stems in ../shared/models); default: all")
    ap.add_argument("--results", type=Path, default=REPO_ROOT / "benchmarks" / "results",
                    help="folder for table.md and the plots (default: benchmarks/results)")
    ap.add_argument("--readme", type=Path, default=None,
                    help="also replace the table between the benchmark markers of this README")
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

    import tinyts_mlir  # noqa: F401  (any rebuild happens before the first timing)

    results = []
    for i, path in enumerate(models, 1):
        t0 = time.perf_counter()

        def log(step: str, i: int = i, stem: str = path.stem, t0: float = t0) -> None:
            print(f"[{i}/{len(models)}] {stem}: {step} ({time.perf_counter() - t0:.0f} s)",
                  file=sys.stderr, flush=True)

        results.append(benchmark(path, args.seed, log))
        for row in table_rows(results[-1]):
            print(row, flush=True)
        log("done")
    table = markdown(results)
    args.results.mkdir(parents=True, exist_ok=True)
    plots = write_plots(results, args.results)
    images = "".join(f"\n![{p.stem}]({p.name})\n" for p in plots)
    (args.results / "table.md").write_text(table + images)
    print(f"wrote {args.results / 'table.md'} and {', '.join(p.name for p in plots)}",
          file=sys.stderr)
    if args.readme:
        update_readme(args.readme, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
