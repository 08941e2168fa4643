#!/usr/bin/env python3
"""Microbenchmark of the int8 runtime kernels on the emulated Cortex-M7.

Usage (from the repo root; no C++ build needed, tinyts_mlir is not imported):

    .venv/bin/python benchmarks/kernel_bench.py                 # default models
    .venv/bin/python benchmarks/kernel_bench.py --baseline HEAD # before/after
    .venv/bin/python benchmarks/kernel_bench.py --models mlc_vww_96_int8 \\
        --baseline a1bd0da --no-scratch --opt -O2

For every CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED layer of the chosen
corpus models (``../shared/models``) the script plans the kernel call exactly
as the layer tests do (``test/python/kernel_harness.py``: TFLite Micro runs
the model on a random input, our kernel gets TFLM's input tensor), builds a
tiny harness ELF with ``arm-none-eabi-gcc -mcpu=cortex-m7 -mthumb <opt>``
through ``tinyts_mlir.targets.cortex_m7.build_elf``, runs it on QEMU
mps2-an500 with instruction counting (``run_elf``) and checks that the output
equals TFLM's byte for byte.  Layers with identical shapes are measured once
and counted ``n`` times.

``--runtime DIR`` measures a copy of ``runtime/`` (e.g. a snapshot taken before
editing further) instead of the working tree; ``--match S ...`` keeps only the
layers whose key contains one of the substrings.  Layers with identical shapes
in different models are measured once, with the first model's weights (a
layer's cost can depend on them, e.g. dead channels).

``--rows`` plans the conv / depthwise layers through the ``_rows`` kernels
(input rows scattered, passed as a row-pointer table) instead of base +
strides.

``--prep`` calls the conv / depthwise layers through their ``_prep`` kernels
with the layer prepared on this host (``kernel_harness.prepare_layer``, the
runtime's ``*_prepare_s8`` as ``tinyts-lower-to-emitc`` runs them), as the
generated code does; every runtime tree measured must have them.

``--band-height N`` also measures every conv / depthwise layer as the
compiler's tensor splitting calls it: ceil(out_h / N) kernel calls, each
computing N output rows (the last one fewer) on only the input rows it needs
(input pointer / row table, in_h and pad_top adjusted per band, see
``kernel_harness.plan_layer``), and checks those outputs against TFLM too.
It prints, per layer and tree, whole-layer and banded instructions and the
fixed cost per extra call, (banded - whole) / (calls - 1); per model the
totals (fully connected layers count the same in both).

``--baseline REV`` also measures ``runtime/`` as of git revision REV (checked
out into a temporary directory with ``git archive``) and prints both.  Conv
layers get the planner's scratch buffer (TINYTS_CONV2D_SCRATCH_BYTES) unless
``--no-scratch``.

Output: one markdown row per distinct layer (kind, shape, MACs, instructions,
MACs/instr, before/after) and per model the sum over its conv/dw/fc layers
(the kernels' share of a whole-model run; element-wise ops, pooling and
softmax are not included) and the largest peak stack of those kernel calls.
"""

from __future__ import annotations

import argparse
import glob
import io
import os
import subprocess
import sys
import tarfile
import tempfile
from collections import OrderedDict

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO_ROOT, "test", "python"))

import kernel_harness as kh  # noqa: E402

DEFAULT_MODELS = ["mlc_vww_96_int8", "mlc_pretrainedResnet_quant", "mlc_kws_ref_model",
                  "tflm_person_detect", "gen_mobilenetv2_a035_96", "tinyengine_vww"]
KINDS = {"CONV_2D": "conv", "DEPTHWISE_CONV_2D": "dw", "FULLY_CONNECTED": "fc"}


def _layer_key(mut, op, values):
    """A short shape description identifying the kernel call."""
    kind = KINDS[op.name]
    x = values[op.inputs[0]]
    w = values[op.inputs[1]]
    y = values[op.outputs[0]]
    if kind == "fc":
        return f"fc {int(x.size // w.shape[1])}x{w.shape[1]}->{w.shape[0]}"
    _, ih, iw, ic = kh._nhwc(x.shape)
    _, oh, ow, oc = kh._nhwc(y.shape)
    o = op.options
    pad = "S" if o.Padding() == 0 else "V"
    return (f"{kind} {w.shape[1]}x{w.shape[2]}/s{o.StrideH()}{pad} "
            f"{ih}x{iw}x{ic}->{oh}x{ow}x{oc}")


def _runtime_tree(rev, tmp):
    """Directory holding runtime/ (include + src): the working tree or REV."""
    if rev is None:
        return kh.RUNTIME_DIR
    blob = subprocess.run(["git", "-C", REPO_ROOT, "archive", rev, "runtime"],
                          check=True, capture_output=True).stdout
    dest = os.path.join(tmp, "rt_" + rev.replace("/", "_"))
    with tarfile.open(fileobj=io.BytesIO(blob)) as tf:
        tf.extractall(dest)
    return os.path.join(dest, "runtime")


def _measure(m7, plan, runtime_dir, work, name, opt, dsp):
    os.makedirs(work, exist_ok=True)
    adapter = os.path.join(work, name + "_adapter.c")
    with open(adapter, "w") as f:
        f.write(plan.adapter_c())
    srcs = sorted(glob.glob(os.path.join(runtime_dir, "src", "*.c")))
    elf = m7.build_elf([adapter, *srcs], include_dirs=[os.path.join(runtime_dir, "include")],
                       out_dir=work, name=name, dsp=dsp, opt=opt,
                       flash_limit=None, ram_limit=None)
    res = m7.run_elf(elf, plan.input_bytes(), plan.output_size(), timeout_s=300.0)
    return plan.load_output(res.output), res.instructions, res.peak_stack_bytes


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    ap.add_argument("--baseline", default=None, help="git revision to compare against")
    ap.add_argument("--opt", default="-O3")
    ap.add_argument("--portable", action="store_true", help="undefine __ARM_FEATURE_DSP")
    ap.add_argument("--no-scratch", action="store_true", help="conv without scratch buffer")
    ap.add_argument("--rows", action="store_true",
                    help="conv/depthwise through the _rows kernels (scattered input rows)")
    ap.add_argument("--band-height", type=int, default=None,
                    help="also measure conv/dw layers called once per band of N output rows")
    ap.add_argument("--prep", action="store_true",
                    help="conv / depthwise through their _prep kernels on the layer "
                         "prepared at compile time, as the generated code calls them "
                         "(every measured runtime tree must have them)")
    ap.add_argument("--kinds", nargs="+", default=list(KINDS.values()))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--runtime", default=None,
                    help="measure this copy of runtime/ (include + src) as 'after' instead of "
                         "the working tree (a snapshot taken before editing further)")
    ap.add_argument("--match", nargs="+", default=None,
                    help="only layers whose key contains one of these substrings")
    args = ap.parse_args(argv)

    m7 = kh.load_cortex_m7()
    tmp = tempfile.mkdtemp(prefix="tinyts-kbench-")
    trees = OrderedDict()
    if args.baseline:
        trees["before"] = _runtime_tree(args.baseline, tmp)
    trees["after"] = os.path.abspath(args.runtime) if args.runtime else _runtime_tree(None, tmp)

    layers = OrderedDict()  # key -> dict(macs, count, plan, ref, models)
    per_model = OrderedDict()
    for mname in args.models:
        mut = kh.ModelUnderTest(os.path.join(kh.MODELS_DIR, mname + ".tflite"))
        values = mut.run_tflm(args.seed)
        per_model[mname] = []
        for op in mut.ops:
            if op.name not in KINDS or KINDS[op.name] not in args.kinds:
                continue
            key = _layer_key(mut, op, values)
            if args.match and not any(m in key for m in args.match):
                continue
            per_model[mname].append(key)
            if key in layers:
                layers[key]["count"] += 1
                continue
            plan = kh.plan_layer(mut, op, values, scratch=not args.no_scratch, rows=args.rows,
                                 prep=args.prep)
            layers[key] = dict(plan=plan, ref=values[op.outputs[0]].tobytes(),
                               macs=plan.macs, count=1, instr={}, stack={},
                               banded=None, calls=1, binstr={}, bstack={})
            if args.band_height and KINDS[op.name] in ("conv", "dw"):
                bp = kh.plan_layer(mut, op, values, scratch=not args.no_scratch,
                                   rows=args.rows, band_height=args.band_height,
                                   prep=args.prep)
                layers[key]["banded"] = bp
                layers[key]["calls"] = len(bp.calls)

    for i, (key, L) in enumerate(layers.items()):
        for tag, rt in trees.items():
            out, n, stack = _measure(m7, L["plan"], rt, os.path.join(tmp, tag), f"l{i}",
                                     args.opt, not args.portable)
            if out.tobytes() != L["ref"]:
                print(f"WARNING: {key} ({tag}) differs from TFLM", file=sys.stderr)
            L["instr"][tag] = n
            L["stack"][tag] = stack
            if L["banded"] is not None:
                out, n, stack = _measure(m7, L["banded"], rt, os.path.join(tmp, tag),
                                         f"b{i}", args.opt, not args.portable)
                if out.tobytes() != L["ref"]:
                    print(f"WARNING: {key} ({tag}, banded) differs from TFLM", file=sys.stderr)
                L["binstr"][tag] = n
                L["bstack"][tag] = stack
            else:
                L["binstr"][tag] = L["instr"][tag]
                L["bstack"][tag] = L["stack"][tag]
        print(f"[{i + 1}/{len(layers)}] {key}: "
              + " ".join(f"{t}={L['instr'][t]}" for t in trees)
              + ("" if L["banded"] is None else
                 " banded " + " ".join(f"{t}={L['binstr'][t]}" for t in trees)),
              file=sys.stderr)

    tags = list(trees)
    hdr = (["layer", "n", "MACs"] + [f"instr {t}" for t in tags]
           + [f"MAC/instr {t}" for t in tags] + [f"stack {t}" for t in tags])
    print("| " + " | ".join(hdr) + " |")
    print("|---|" + "---:|" * (len(hdr) - 1))
    for key, L in layers.items():
        cells = [key, str(L["count"]), f"{L['macs']:,}"]
        cells += [f"{L['instr'][t]:,}" for t in tags]
        cells += [f"{L['macs'] / max(L['instr'][t], 1):.3f}" for t in tags]
        cells += [str(L["stack"][t]) for t in tags]
        print("| " + " | ".join(cells) + " |")
    print()
    print("| model (conv/dw/fc kernels only) | MACs | "
          + " | ".join(f"instr {t} | MAC/instr {t}" for t in tags)
          + " | " + " | ".join(f"stack {t}" for t in tags) + " |")
    print("|---|---:|" + "---:|---:|" * len(tags) + "---:|" * len(tags))
    for mname, keys in per_model.items():
        macs = sum(layers[k]["macs"] for k in keys)
        cells = [mname, f"{macs:,}"]
        for t in tags:
            n = sum(layers[k]["instr"][t] for k in keys)
            cells += [f"{n:,}", f"{macs / max(n, 1):.3f}"]
        cells += [str(max((layers[k]["stack"][t] for k in keys), default=0)) for t in tags]
        print("| " + " | ".join(cells) + " |")
    # per kind
    print()
    print("| kind | MACs | " + " | ".join(f"MAC/instr {t}" for t in tags) + " |")
    print("|---|---:|" + "---:|" * len(tags))
    for kind in args.kinds:
        ks = [(k, L) for k, L in layers.items() if k.startswith(kind + " ")]
        if not ks:
            continue
        macs = sum(L["macs"] * L["count"] for _, L in ks)
        cells = [kind, f"{macs:,}"]
        for t in tags:
            n = sum(L["instr"][t] * L["count"] for _, L in ks)
            cells.append(f"{macs / max(n, 1):.3f}")
        print("| " + " | ".join(cells) + " |")

    if args.band_height:
        _print_banded(args, layers, per_model, tags)


def _print_banded(args, layers, per_model, tags):
    """Whole-layer vs banded instructions and the fixed cost per extra call."""
    N = args.band_height
    print()
    print(f"Band height {N}: whole-layer vs banded instructions, "
          "per-call overhead = (banded - whole) / (calls - 1)")
    print()
    hdr = ["layer", "n", "calls"]
    for t in tags:
        hdr += [f"whole {t}", f"banded {t}", f"+% {t}", f"per call {t}"]
    hdr += [f"stack {t}" for t in tags]
    print("| " + " | ".join(hdr) + " |")
    print("|---|" + "---:|" * (len(hdr) - 1))
    for key, L in layers.items():
        if L["banded"] is None:
            continue
        cells = [key, str(L["count"]), str(L["calls"])]
        for t in tags:
            w, b = L["instr"][t], L["binstr"][t]
            per = (b - w) / (L["calls"] - 1) if L["calls"] > 1 else 0.0
            cells += [f"{w:,}", f"{b:,}", f"{100.0 * (b - w) / max(w, 1):+.1f}", f"{per:,.0f}"]
        cells += [str(L["bstack"][t]) for t in tags]
        print("| " + " | ".join(cells) + " |")
    print()
    hdr = ["model (conv/dw/fc kernels only)", "calls"]
    for t in tags:
        hdr += [f"whole {t}", f"banded {t}", f"+% {t}"]
    print("| " + " | ".join(hdr) + " |")
    print("|---|" + "---:|" * (len(hdr) - 1))
    for mname, keys in per_model.items():
        cells = [mname, str(sum(layers[k]["calls"] for k in keys))]
        for t in tags:
            w = sum(layers[k]["instr"][t] for k in keys)
            b = sum(layers[k]["binstr"][t] for k in keys)
            cells += [f"{w:,}", f"{b:,}", f"{100.0 * (b - w) / max(w, 1):+.2f}"]
        print("| " + " | ".join(cells) + " |")
    print()
    print("| kind | calls | " + " | ".join(f"extra instr {t} | per extra call {t}" for t in tags)
          + " |")
    print("|---|---:|" + "---:|---:|" * len(tags))
    for kind in ("conv", "dw"):
        ks = [L for k, L in layers.items() if k.startswith(kind + " ") and L["banded"] is not None]
        if not ks:
            continue
        extra_calls = sum((L["calls"] - 1) * L["count"] for L in ks)
        cells = [kind, str(sum(L["calls"] * L["count"] for L in ks))]
        for t in tags:
            d = sum((L["binstr"][t] - L["instr"][t]) * L["count"] for L in ks)
            cells += [f"{d:,}", f"{d / max(extra_calls, 1):,.0f}"]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
