"""``tinyts compile`` and ``tinyts run``: thin wrappers over the library."""

from __future__ import annotations

import argparse

import numpy as np

from .compiler import TARGETS, CompiledModel, compile


def _summary(cm: CompiledModel) -> str:
    lines = [f"arena        {cm.arena_bytes:>10,} bytes  ({len(cm.plan.buffers)} buffers)"]
    if cm.split_layers:
        heights = sorted({s.band_height for s in cm.split_layers})
        lines.append(f"strategy     split, {len(cm.split_layers)} ops in bands of "
                     f"{'/'.join(map(str, heights))} row(s), {cm.order}"
                     + (f", segments {cm.segments}" if cm.segments else ""))
    elif cm.strategy == "patch":
        lines.append(f"strategy     patch, ops up to row-mappable op #{cm.stage_end} in "
                     f"{cm.patches} x {cm.patches} patches (halos recomputed)")
    else:
        lines.append("strategy     layer-wise (whole tensors)")
    for kind, tensors in (("input", cm.inputs), ("output", cm.outputs)):
        for t in tensors:
            lines.append(f"{kind:<12} {t.nbytes:>10,} bytes  {t.dtype}{list(t.shape)} "
                         f"scale={t.scale:.6g} zero_point={t.zero_point}  '{t.name}'")
    if cm.sram_budget is not None:
        lines.append(f"peak SRAM    {cm.peak_sram_bytes:>10,} bytes  (arena + stack bound "
                     f"{cm.stack_bytes:,} + static {cm.static_ram_bytes:,}) within the "
                     f"{cm.sram_budget:,} B budget; lower bound {cm.sram_lower_bound:,} B")
    if cm.generic_ops:
        listing = ", ".join(f"{n} x{c}" for n, c in sorted(cm.generic_ops.items()))
        lines.append(f"generic path {listing} (no runtime kernel: plain C loops)")
    lines.append(f"compile time {cm.compile_seconds:>10.2f} s")
    return "\n".join(lines)


def run_compile(args: argparse.Namespace) -> int:
    cm = compile(args.model, target=args.target, prefix=args.prefix,
                 kernels=not args.no_kernels, strategy=args.strategy,
                 band_height=args.band_height, order=args.order, segments=args.segments,
                 patches=args.patches, stage_end=args.stage_end,
                 sram_budget=args.sram_budget)
    out = cm.save(args.output)
    print(f"wrote {out}/ ({cm.prefix}.c, {cm.prefix}.h, runtime/, Makefile, model.json)")
    print(_summary(cm))
    if args.report:
        _write_report(cm, args.model, args.report)
    return 0


def _write_report(cm: CompiledModel, model: str, path: str) -> None:
    """The memory report, with TFLite Micro's arena when it can be measured."""
    tflm: int | None = None
    try:
        from .oracle import tflm_arena_bytes

        tflm = tflm_arena_bytes(model)
    except Exception as err:  # noqa: BLE001  (the report is still useful without it)
        print(f"note: the report has no TFLite Micro arena ({type(err).__name__}: {err})")
    print(f"wrote {cm.report(path, tflm_arena_bytes=tflm)} (memory report)")


def _load_inputs(args: argparse.Namespace, cm: CompiledModel) -> list[np.ndarray]:
    if args.input:
        arrays = [np.load(p) for p in args.input]
    else:
        rng = np.random.default_rng(args.seed)
        arrays = []
        for t in cm.inputs:
            q = rng.integers(-128, 128, size=t.shape, dtype=np.int8)
            # float inputs: the dequantized values of a random int8 tensor
            arrays.append(q if t.dtype == "int8" else
                          (np.float32(t.scale) * (q.astype(np.float32) - t.zero_point)))
        print(f"input: random {', '.join(t.dtype for t in cm.inputs)} (seed {args.seed})")
    return arrays


def run_run(args: argparse.Namespace) -> int:
    cm = CompiledModel.load(args.folder)
    xs = _load_inputs(args, cm)
    if args.on == "qemu":
        y, result, sizes = cm.run_on_cortex_m7(*xs, dsp=not args.no_dsp)
        print(f"ran on the emulated Cortex-M7 (QEMU mps2-an500, DSP kernels "
              f"{'off' if args.no_dsp else 'on'})")
        print(f"arena              {cm.arena_bytes:>12,} bytes")
        print(f"peak stack         {result.peak_stack_bytes:>12,} bytes")
        print(f"peak SRAM          {sizes.data + sizes.bss + result.peak_stack_bytes:>12,} "
              "bytes (.data + .bss, the arena included, + stack of invoke)")
        print(f"flash              {sizes.flash:>12,} bytes (text {sizes.text:,}, "
              f"rodata {sizes.rodata:,})")
        print(f"executed instr.    {result.instructions:>12,}")
    else:
        y = cm.run(*xs)
        print("ran on the host")
    outs = y if isinstance(y, list) else [y]
    for i, o in enumerate(outs):
        print(f"output {i}: {np.array2string(o.ravel()[:16], separator=' ')}"
              f"{' ...' if o.size > 16 else ''}")
    if args.output:
        np.save(args.output, outs[0])
    if args.check_tflm:
        from .oracle import run_tflm

        ref = run_tflm(args.check_tflm, xs)
        same = all(np.array_equal(o.ravel(), r.ravel()) for o, r in zip(outs, ref))
        print(f"TFLite Micro: outputs {'identical' if same else 'DIFFERENT'}")
        if not same:
            return 1
    return 0


def add_compile_subcommands(
        subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("compile", help="compile an int8 (or float-IO) .tflite model to C")
    p.add_argument("model", help="the .tflite file")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--target", choices=TARGETS, default="cortex-m7")
    p.add_argument("--prefix", default="tinyts_model", help="prefix of the C symbols")
    p.add_argument("--strategy", choices=("split", "layerwise", "patch"), default="split",
                   help="split activation tensors into row bands (default), run "
                        "each op on whole tensors, or run the first stage patch by "
                        "patch (MCUNetV2-style baseline)")
    p.add_argument("--band-height", type=int, default=None, metavar="N",
                   help="rows per band (default: automatic)")
    p.add_argument("--order", choices=("depth-first", "breadth-first", "min-peak"),
                   default="depth-first", help="order of the band ops")
    p.add_argument("--segments", default="", metavar="A-B:H,...",
                   help="split only these ranges of row-mappable ops, each a segment "
                        "with its own band height (default: automatic)")
    p.add_argument("--patches", type=int, default=0, metavar="N",
                   help="--strategy patch: N x N patches (default: automatic)")
    p.add_argument("--stage-end", type=int, default=None, metavar="K",
                   help="--strategy patch: the stage ends at row-mappable op K "
                        "(default: automatic)")
    p.add_argument("--sram-budget", default=None, metavar="SIZE",
                   help="peak SRAM the model may use on the Cortex-M7 (arena + stack + "
                        "static RAM), e.g. 64KiB, 200K (KiB), 100kB (1000 B) or bytes: the "
                        "fastest split that fits is chosen; an error gives the smallest "
                        "peak reachable and the lower bound when none fits")
    p.add_argument("--no-kernels", action="store_true",
                   help="compile every op through the generic path (no runtime kernels)")
    p.add_argument("--report", metavar="HTML",
                   help="also write the memory report: a self-contained HTML page "
                        "(timeline, arena map, per-layer MACs) and its PNG plots beside it")
    p.set_defaults(func=run_compile)

    r = subparsers.add_parser("run", help="run a compiled folder on the host or on QEMU")
    r.add_argument("folder", help="folder written by `tinyts compile`")
    r.add_argument("--on", choices=("host", "qemu"), default="host")
    r.add_argument("--input", nargs="+", help=".npy file(s), one per model input "
                   "(default: random int8)")
    r.add_argument("--seed", type=int, default=0, help="seed of the random input")
    r.add_argument("--output", help="save the (first) output as .npy")
    r.add_argument("--no-dsp", action="store_true", help="portable kernels on Cortex-M7")
    r.add_argument("--check-tflm", metavar="MODEL",
                   help="compare with TFLite Micro on MODEL (exit 1 when different)")
    r.set_defaults(func=run_run)
