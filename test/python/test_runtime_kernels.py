"""runtime/ int8 kernels are bit-exact with TFLite Micro, layer by layer.

For every corpus model the TFLite Micro interpreter (PyPI ``tflite-micro``,
``kPreserveAllTensors``) runs on random inputs; each layer's input tensors are
read back with ``GetTensor`` and fed to our kernel (host build through ctypes,
or the Cortex-M7 build on QEMU), whose output must equal TFLM's output tensor
byte for byte.  Inputs/outputs are passed with gaps between pixels and rows
and, for windowed kernels, computed in row bands, so the stride/band interface
the generated code relies on is exercised too.  Every windowed layer (conv,
depthwise, pools) also runs through the ``_rows`` kernels on an input whose
rows are scattered at non-uniform addresses (reversed, uneven gaps) and passed
as a row-pointer table.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections import Counter

import numpy as np
import pytest

import kernel_harness as kh

# (model, op types that must be covered by the layer test)
MODELS = [
    ("mlc_vww_96_int8", {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX"}),
    ("mlc_kws_ref_model", {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX"}),
    ("mlc_pretrainedResnet_quant", {"CONV_2D", "ADD", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX"}),
    ("tflm_person_detect", {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "SOFTMAX"}),
    ("tinyengine_vww", {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "PAD", "MEAN", "TRANSPOSE",
                        "FULLY_CONNECTED", "QUANTIZE", "DEQUANTIZE"}),
    ("mlc_ad01_int8", {"FULLY_CONNECTED"}),
    ("tflm_hello_world_int8", {"FULLY_CONNECTED"}),
    ("tflm_micro_speech_quantized", {"DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX"}),
    ("armex_ds_cnn_s_quantized", {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "FULLY_CONNECTED",
                                  "SOFTMAX", "QUANTIZE", "DEQUANTIZE"}),
    ("gen_mobilenetv2_a035_96", {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MEAN", "FULLY_CONNECTED", "SOFTMAX"}),
    ("tinyengine_mcunetv2_large", {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MUL", "PAD", "MEAN"}),
]
SLOW_MODELS = {"tinyengine_mcunetv2_large"}
# Ops that are views / have no kernel on purpose.
NO_KERNEL = {"RESHAPE"}
# seed -> (gap between pixels/rows, number of row bands, conv scratch given)
VARIANTS = {0: (0, 1, True), 1: (3, 3, True), 2: (1, 2, False)}


@pytest.fixture(scope="session")
def runtime_lib(tmp_path_factory):
    return kh.build_runtime(str(tmp_path_factory.mktemp("tinyts_runtime")))


_MODEL_CACHE: dict = {}


def _model(name):
    if name not in _MODEL_CACHE:
        path = os.path.join(kh.MODELS_DIR, name + ".tflite")
        if not os.path.exists(path):
            pytest.skip(f"{path} not found")
        _MODEL_CACHE[name] = kh.ModelUnderTest(path)
    return _MODEL_CACHE[name]


# --------------------------------------------------------------------------
# Fixed-point primitives
# --------------------------------------------------------------------------

def _ref_srdhm(a, b):
    if a == b == -(1 << 31):
        return (1 << 31) - 1
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    s = ab + nudge
    q = abs(s) >> 31
    return q if s >= 0 else -q


def _ref_rdbpot(x, e):
    mask = (1 << e) - 1
    rem = x & mask
    thr = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if rem > thr else 0)


def _wrap32(v):
    return ((v + (1 << 31)) % (1 << 32)) - (1 << 31)


def _ref_mbqm(x, m, shift):
    left = max(shift, 0)
    right = max(-shift, 0)
    return _ref_rdbpot(_ref_srdhm(_wrap32(x << left), m), right)


def test_quantize_multiplier_matches_tflite_rules():
    assert kh.quantize_multiplier(0.0) == (0, 0)
    assert kh.quantize_multiplier(0.5) == (1 << 30, 0)
    assert kh.quantize_multiplier(1.0) == (1 << 30, 1)
    assert kh.quantize_multiplier(0.75) == (3 << 29, 0)
    # rounding up to 2^31 renormalises to 2^30 with shift + 1
    assert kh.quantize_multiplier(1.0 - 2.0 ** -40) == (1 << 30, 1)
    # tiny multipliers flush to zero (shift < -31)
    assert kh.quantize_multiplier(2.0 ** -40) == (0, 0)
    rng = random.Random(1)
    for _ in range(2000):
        real = rng.uniform(1e-9, 4.0)
        m, s = kh.quantize_multiplier(real)
        assert (1 << 30) <= m < (1 << 31)
        assert abs(m * 2.0 ** (s - 31) - real) <= real * 2.0 ** -30


def test_requantize_matches_gemmlowp_double_rounding(runtime_lib):
    rng = random.Random(7)
    edge_x = [0, 1, -1, (1 << 31) - 1, -(1 << 31), 1 << 30, -(1 << 30), 12345, -12345]
    cases = []
    for x in edge_x:
        for m in (0, 1, (1 << 30), (1 << 31) - 1, 1518500250):
            for s in (-31, -20, -8, -1, 0, 1, 5):
                cases.append((x, m, s))
    for _ in range(20000):
        cases.append((rng.randint(-(1 << 31), (1 << 31) - 1) >> rng.randint(0, 30),
                      rng.randint(1 << 30, (1 << 31) - 1), rng.randint(-31, 4)))
    for x, m, s in cases:
        # TFLite only guarantees a meaningful result when x << left fits; the
        # kernel wraps like the reference does on two's-complement targets.
        assert runtime_lib.tinyts_requantize(x, m, s) == _ref_mbqm(x, m, s), (x, m, s)


# --------------------------------------------------------------------------
# Every layer of every corpus model against TFLite Micro (host build)
# --------------------------------------------------------------------------

def _check_model(lib, name, seed):
    mut = _model(name)
    gap, bands, scratch = VARIANTS[seed]
    values = mut.run_tflm(seed)
    covered, failures, missing = Counter(), [], Counter()
    for op in mut.ops:
        for rows in ((False, True) if op.name in kh.WINDOWED_OPS else (False,)):
            tag = op.name + ("/rows" if rows else "")
            try:
                ours = kh.run_layer(lib, mut, op, values, gap=gap, bands=bands, scratch=scratch,
                                    rows=rows)
            except NotImplementedError:
                missing[op.name] += 1
                continue
            ref = values[op.outputs[0]]
            assert ours.shape == ref.shape and ours.dtype == ref.dtype, (op.index, tag)
            if ours.tobytes() != ref.tobytes():
                diff = ours.astype(np.float64) - ref.astype(np.float64)
                failures.append(f"op {op.index} {tag}: {np.count_nonzero(diff)} of {diff.size} "
                                f"differ, max |diff| {np.abs(diff).max()}")
            else:
                covered[tag] += 1
    return covered, failures, missing


_LAYER_PARAMS = [
    pytest.param(name, seed, ops, id=f"{name}-seed{seed}",
                 marks=[pytest.mark.slow] if name in SLOW_MODELS else [])
    for name, ops in MODELS for seed in VARIANTS
]


@pytest.mark.parametrize("name,seed,required_ops", _LAYER_PARAMS)
def test_layers_bit_exact_with_tflm(runtime_lib, name, seed, required_ops):
    covered, failures, missing = _check_model(runtime_lib, name, seed)
    assert not failures, "\n".join(failures)
    assert required_ops <= set(covered), f"not covered: {required_ops - set(covered)}"
    windowed = {op for op in covered if op in kh.WINDOWED_OPS}
    assert {op + "/rows" for op in windowed} <= set(covered), "_rows variants not covered"
    assert set(missing) <= NO_KERNEL, f"layers without a kernel: {dict(missing)}"


def test_comparison_detects_a_one_lsb_error(runtime_lib):
    """Negative control: a plan with the output zero point off by one must
    not compare equal, so the layer tests can fail."""
    mut = _model("mlc_pretrainedResnet_quant")
    values = mut.run_tflm(0)
    op = next(o for o in mut.ops if o.name == "CONV_2D")
    plan = kh.plan_layer(mut, op, values)
    fn, args = plan.calls[0]
    args = list(args)
    args[23] += 1  # output_offset
    plan.calls[0] = (fn, tuple(args))
    ours = plan.run_host(runtime_lib)
    assert ours.tobytes() != values[op.outputs[0]].tobytes()


# --------------------------------------------------------------------------
# Builds: host pedantic C99, arm-none-eabi warning-free (DSP and portable)
# --------------------------------------------------------------------------

def _compile_all(cc, flags, tmp_path):
    for src in kh.runtime_sources():
        obj = tmp_path / (os.path.basename(src) + ".o")
        proc = subprocess.run([cc, *flags, "-I", os.path.join(kh.RUNTIME_DIR, "include"),
                               "-c", src, "-o", str(obj)], capture_output=True, text=True)
        assert proc.returncode == 0 and not proc.stderr.strip(), f"{src}:\n{proc.stderr}"


def test_runtime_builds_pedantic_c99_on_host(tmp_path):
    _compile_all("cc", ["-std=c99", "-pedantic", "-O2", "-Wall", "-Wextra", "-Werror"], tmp_path)


ARM_FLAGS = ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16", "-O3",
             "-Wall", "-Wextra", "-std=c99"]


@pytest.mark.parametrize("dsp", [True, False], ids=["dsp", "portable"])
def test_runtime_cross_compiles_warning_free(tmp_path, dsp):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed (apt-get install gcc-arm-none-eabi)")
    _compile_all("arm-none-eabi-gcc", ARM_FLAGS + ([] if dsp else ["-U__ARM_FEATURE_DSP"]), tmp_path)


# --------------------------------------------------------------------------
# DSP and portable paths on the emulated Cortex-M7 (QEMU mps2-an500)
# --------------------------------------------------------------------------

# (model, op index) of real layers: 3x3 stride-2 conv with padding, 1x1
# convs, depthwise stride 1 / 2, FC, ADD, pools, softmax, pad, mean, mul.
M7_LAYERS = [
    ("mlc_vww_96_int8", 0), ("mlc_vww_96_int8", 1), ("mlc_vww_96_int8", 2),
    ("mlc_vww_96_int8", 3), ("mlc_vww_96_int8", 27), ("mlc_vww_96_int8", 29),
    ("mlc_vww_96_int8", 30), ("mlc_pretrainedResnet_quant", 1),
    ("mlc_kws_ref_model", 0), ("mlc_kws_ref_model", 1),
]


def _find_op(name, kind):
    mut = _model(name)
    return next(o.index for o in mut.ops if o.name == kind)


def _cortex_m7():
    """The Cortex-M7 runner module (loaded without the tinyts_mlir package),
    its toolchain checked; the test is skipped when either is absent."""
    m7 = kh.load_cortex_m7()
    if m7 is None:
        pytest.skip("python/tinyts_mlir/targets/cortex_m7 not available")
    try:
        m7.check_toolchain()
    except Exception as exc:  # ToolchainMissingError
        pytest.skip(str(exc))
    return m7


@pytest.mark.slow
@pytest.mark.parametrize("dsp", [True, False], ids=["dsp", "portable"])
def test_kernels_bit_exact_on_emulated_cortex_m7(tmp_path, dsp):
    m7 = _cortex_m7()
    layers = list(M7_LAYERS)
    layers.append(("mlc_pretrainedResnet_quant", _find_op("mlc_pretrainedResnet_quant", "ADD")))
    for kind in ("PAD", "MEAN"):
        layers.append(("tinyengine_vww", _find_op("tinyengine_vww", kind)))
    layers.append(("tinyengine_mcunetv2_large", _find_op("tinyengine_mcunetv2_large", "MUL")))
    report = []
    for i, (name, idx) in enumerate(layers):
        mut = _model(name)
        values = mut.run_tflm(100 + i)
        op = mut.ops[idx]
        plans = [kh.plan_layer(mut, op, values, gap=i % 2, bands=1 + i % 3, scratch=i % 4 != 3,
                               rows=rows, prep=i % 2 == 1)
                 for rows in ((False, True) if op.name in kh.WINDOWED_OPS else (False,))]
        plan = kh.merge_plans(plans)  # base and _rows kernels in one ELF
        outs, res = kh.run_plan_on_m7(m7, plan, str(tmp_path), f"layer{i}", dsp=dsp)
        ref = values[op.outputs[0]]
        for ours, tag in zip(outs, ("", " (_rows)")):
            assert ours.tobytes() == ref.tobytes(), f"{name} op {idx} {op.name}{tag} differs on QEMU"
        if plan.macs:
            report.append(f"{name}:{idx}:{op.name} {plan.macs / max(res.instructions, 1):.3f} MAC/instr")
    print("\n".join(report))


# --------------------------------------------------------------------------
# Kernels no corpus model exercises: checked against NumPy models of the
# TFLite reference semantics (not against TFLM itself).
# --------------------------------------------------------------------------

def _p(a):
    import ctypes
    return ctypes.c_void_p(a.ctypes.data)


def test_max_pool_matches_reference_semantics(runtime_lib):
    rng = np.random.default_rng(3)
    for (h, w, c, k, s, pt, pl) in [(9, 7, 5, 3, 2, 1, 1), (8, 8, 16, 2, 2, 0, 0), (5, 6, 3, 3, 1, 1, 1)]:
        x = rng.integers(-128, 128, (h, w, c), dtype=np.int8)
        oh, ow = (h + 2 * pt - k) // s + 1, (w + 2 * pl - k) // s + 1
        out = np.zeros((oh, ow, c), np.int8)
        lo, hi = -100, 90
        runtime_lib.tinyts_max_pool2d_s8(_p(x), h, w, c, w * c, c, _p(out), oh, ow, ow * c, c,
                                         k, k, s, s, pt, pl, lo, hi)
        ref = np.zeros_like(out)
        for oy in range(oh):
            for ox in range(ow):
                y0, x0 = oy * s - pt, ox * s - pl
                win = x[max(y0, 0):min(y0 + k, h), max(x0, 0):min(x0 + k, w)]
                ref[oy, ox] = np.clip(win.reshape(-1, c).max(0), lo, hi)
        assert out.tobytes() == ref.tobytes()
        # _rows variant: every row its own array (unrelated addresses).
        import ctypes
        row_arrays = [np.ascontiguousarray(x[r]) for r in range(h)]
        tab = (ctypes.c_void_p * h)(*[a.ctypes.data for a in row_arrays])
        out2 = np.zeros_like(out)
        runtime_lib.tinyts_max_pool2d_rows_s8(ctypes.cast(tab, ctypes.c_void_p), h, w, c, c,
                                              _p(out2), oh, ow, ow * c, c, k, k, s, s, pt, pl,
                                              lo, hi)
        assert out2.tobytes() == ref.tobytes()


def test_concat_channels_and_pad_channels(runtime_lib):
    rng = np.random.default_rng(4)
    a = rng.integers(-128, 128, (4, 5, 3), dtype=np.int8)
    b = rng.integers(-128, 128, (4, 5, 6), dtype=np.int8)
    out = np.full((4, 5, 9), 0x11, np.int8)
    runtime_lib.tinyts_concat_channels_s8(_p(a), 4, 5, 3, 15, 3, _p(out), 45, 9, 0)
    runtime_lib.tinyts_concat_channels_s8(_p(b), 4, 5, 6, 30, 6, _p(out), 45, 9, 3)
    assert out.tobytes() == np.concatenate([a, b], axis=-1).tobytes()
    padded = np.zeros((6, 8, 10), np.int8)
    runtime_lib.tinyts_pad_s8(_p(a), 4, 5, 3, 15, 3, _p(padded), 6, 8, 10, 80, 10, 1, 2, 4, -7)
    ref = np.pad(a, ((1, 1), (2, 1), (4, 3)), constant_values=-7)
    assert padded.tobytes() == ref.tobytes()


def test_transpose_all_rank4_permutations(runtime_lib):
    import itertools
    x = np.random.default_rng(5).integers(-128, 128, (2, 3, 4, 5), dtype=np.int8)
    dims = np.array(x.shape, np.int32)
    for perm in itertools.permutations(range(4)):
        p = np.array(perm, np.int32)
        out = np.zeros(x.size, np.int8)
        runtime_lib.tinyts_transpose_s8(_p(x), _p(dims), 4, _p(p), _p(out))
        assert out.tobytes() == np.transpose(x, perm).tobytes(), perm
    y = x.reshape(6, 20)
    d2 = np.array(y.shape, np.int32)
    out = np.zeros(y.size, np.int8)
    runtime_lib.tinyts_transpose_s8(_p(y), _p(d2), 2, _p(np.array([1, 0], np.int32)), _p(out))
    assert out.tobytes() == y.T.tobytes()


def test_resize_nearest_matches_tflite_float_mapping(runtime_lib):
    rng = np.random.default_rng(6)
    for (ih, iw, oh, ow) in [(3, 5, 7, 10), (4, 4, 8, 8), (7, 3, 3, 9), (5, 5, 5, 5)]:
        x = rng.integers(-128, 128, (ih, iw, 2), dtype=np.int8)
        out = np.zeros((oh, ow, 2), np.int8)
        runtime_lib.tinyts_resize_nearest_s8(_p(x), ih, iw, 2, iw * 2, 2, _p(out), oh, ow, ow * 2, 2)
        sy, sx = np.float32(ih) / np.float32(oh), np.float32(iw) / np.float32(ow)
        ys = [min(int(np.float32(y) * sy), ih - 1) for y in range(oh)]
        xs = [min(int(np.float32(v) * sx), iw - 1) for v in range(ow)]
        assert out.tobytes() == x[ys][:, xs].tobytes()


def test_quantize_rounds_half_away_like_roundf(runtime_lib):
    scale, zp = np.float32(0.5), 3
    x = np.array([0.25, -0.25, 0.75, -0.75, 1.25, -1.25, 63.0, -66.0, 200.0, -200.0,
                  0.2499999, np.float32(1e30), -np.float32(1e30)], np.float32)
    out = np.zeros(x.size, np.int8)
    runtime_lib.tinyts_quantize_f32_s8(_p(x), _p(out), x.size, float(scale), zp)
    q = (x / scale).astype(np.float64)
    ref = np.clip(np.where(q >= 0, np.floor(q + 0.5), -np.floor(-q + 0.5)) + zp, -128, 127)
    assert out.tolist() == ref.astype(np.int8).tolist()


# --------------------------------------------------------------------------
# Synthetic conv / depthwise shapes for the fast paths (odd channel counts,
# channel tails, depth multipliers, stride 2, dilation, asymmetric padding,
# clamps narrower than int8, channels that need the exact slow requantizer:
# shift >= 0 or |bias| near 2^30).  Checked against a NumPy model of the
# TFLite reference kernels on the host and, DSP and portable, on QEMU.
# --------------------------------------------------------------------------

def _np_requant(acc, mult, shift, out_off, lo, hi):
    out = np.empty(acc.shape, np.int64)
    flat_acc = acc.reshape(-1, acc.shape[-1])
    flat_out = out.reshape(-1, acc.shape[-1])
    for c in range(acc.shape[-1]):
        for i, a in enumerate(flat_acc[:, c]):
            flat_out[i, c] = _ref_mbqm(int(a), int(mult[c]), int(shift[c]))
    return np.clip(out + out_off, lo, hi).astype(np.int8)


def _np_conv(x, w, bias, stride, dil, pad, out_hw, in_off, depthwise, mdep=1):
    ih, iw, ic = x.shape
    oh, ow = out_hw
    kh_, kw_ = w.shape[1], w.shape[2]
    oc = w.shape[0] if not depthwise else w.shape[3]
    acc = np.zeros((oh, ow, oc), np.int64) + bias.astype(np.int64)
    xi = x.astype(np.int64) + in_off
    for oy in range(oh):
        for ox in range(ow):
            for ky in range(kh_):
                iy = oy * stride[0] - pad[0] + ky * dil[0]
                if not 0 <= iy < ih:
                    continue
                for kx in range(kw_):
                    ix = ox * stride[1] - pad[1] + kx * dil[1]
                    if not 0 <= ix < iw:
                        continue
                    if depthwise:
                        acc[oy, ox] += np.repeat(xi[iy, ix], mdep) * w[0, ky, kx].astype(np.int64)
                    else:
                        acc[oy, ox] += w[:, ky, kx, :].astype(np.int64) @ xi[iy, ix]
    return acc


# (depthwise, ih, iw, ic, oc_or_mult, k, stride, dil, pad, clamp, odd_channels)
_SYNTH = [
    (False, 9, 7, 5, 7, 3, 1, 1, (1, 1), (-128, 127), False),
    (False, 8, 9, 16, 6, 3, 2, 1, (0, 1), (-20, 100), True),
    (False, 6, 6, 3, 8, 3, 1, 2, (2, 2), (-128, 127), True),
    (False, 5, 7, 12, 5, 1, 1, 1, (0, 0), (-128, 127), True),
    (False, 6, 5, 9, 4, 1, 2, 1, (0, 0), (-5, 90), False),
    (False, 5, 5, 8, 3, 5, 1, 1, (2, 2), (-128, 127), False),
    (True, 9, 8, 8, 1, 3, 1, 1, (1, 1), (-128, 127), False),
    (True, 10, 9, 7, 1, 3, 2, 1, (0, 1), (-30, 110), True),
    (True, 8, 8, 12, 1, 5, 1, 1, (2, 2), (-128, 127), False),
    (True, 9, 9, 4, 1, 3, 1, 2, (2, 2), (-128, 127), True),
    (True, 7, 7, 6, 1, 7, 2, 1, (3, 3), (-128, 127), False),
    (True, 9, 9, 1, 8, 3, 2, 1, (0, 0), (-128, 127), False),
    (True, 6, 7, 3, 4, 3, 1, 1, (1, 1), (-100, 50), True),
    (True, 5, 6, 3, 2, 3, 1, 1, (1, 1), (-128, 127), False),
    # per-channel fast/slow requantization mix (1x1, 3x3 stride 2, 3 channels)
    (False, 6, 6, 16, 10, 1, 1, 1, (0, 0), (-128, 127), True),
    (False, 7, 6, 16, 9, 1, 1, 1, (0, 0), (-10, 120), True),
    (False, 11, 10, 3, 8, 3, 2, 1, (1, 1), (-128, 127), True),
    # unrolled pointwise K = 8 / 16 (odd out_c: tail channel), dense im2col rows
    (False, 6, 7, 8, 7, 1, 1, 1, (0, 0), (-128, 127), False),
    (False, 5, 6, 16, 5, 1, 1, 1, (0, 0), (-100, 90), False),
    (False, 12, 12, 3, 6, 3, 2, 1, (1, 1), (-128, 127), False),
    (False, 9, 8, 4, 6, 3, 1, 1, (1, 1), (-30, 127), False),
    # pointwise K = 8 (4-pixel groups) / K = 16 (2-pixel groups): pixel
    # counts not a multiple of the group, odd out_c, stride 2, narrow clamp,
    # and mixed fast/slow channels (falls back to the pair kernel)
    (False, 5, 7, 8, 7, 1, 1, 1, (0, 0), (-128, 127), False),
    (False, 5, 5, 8, 5, 1, 2, 1, (0, 0), (-60, 100), False),
    (False, 5, 5, 16, 9, 1, 1, 1, (0, 0), (-128, 127), False),
    (False, 3, 5, 16, 3, 1, 2, 1, (0, 0), (-100, 127), False),
    (False, 6, 6, 8, 10, 1, 1, 1, (0, 0), (-128, 127), True),
    (False, 3, 5, 16, 6, 1, 1, 1, (0, 0), (-128, 127), True),
    # pointwise depths with unrolled channel pairs (conv_chan_pairs_kc):
    # odd out_c, stride 2, narrow clamp, mixed fast/slow channels
    (False, 5, 6, 24, 7, 1, 1, 1, (0, 0), (-100, 90), False),
    (False, 3, 7, 32, 5, 1, 2, 1, (0, 0), (-128, 127), False),
    (False, 4, 4, 40, 6, 1, 1, 1, (0, 0), (-128, 127), True),
    (False, 3, 5, 48, 4, 1, 1, 1, (0, 0), (-128, 127), False),
    (False, 3, 3, 56, 9, 1, 1, 1, (0, 0), (-60, 127), False),
    (False, 4, 3, 64, 6, 1, 1, 1, (0, 0), (-128, 127), False),
    (False, 3, 3, 96, 5, 1, 1, 1, (0, 0), (-128, 127), False),
    # other multiples of 16: 16 elements per iteration (1x1 K = 128, 3x3x16)
    (False, 3, 4, 128, 5, 1, 1, 1, (0, 0), (-90, 127), False),
    (False, 6, 5, 16, 7, 3, 1, 1, (1, 1), (-128, 127), False),
    # dead (all-zero) filters between live channels: 1x1, 3x3, > 256 channels
    (False, 6, 6, 16, 40, 1, 1, 1, (0, 0), (-128, 127), "dead"),
    (False, 5, 7, 12, 23, 1, 1, 1, (0, 0), (-90, 127), "dead"),
    (False, 7, 5, 6, 37, 3, 1, 1, (1, 1), (-128, 127), "dead"),
    (False, 3, 3, 8, 300, 1, 1, 1, (0, 0), (-128, 127), "dead"),
    # depthwise interior-row kernel: mixed groups, strides, dilation, no
    # padding, layers that are all border
    (True, 11, 12, 16, 1, 3, 2, 1, (1, 1), (-40, 127), True),
    (True, 11, 13, 16, 1, 3, 1, 1, (1, 1), (-128, 127), True),
    (True, 10, 10, 8, 1, 3, 1, 2, (2, 2), (-128, 127), False),
    (True, 7, 9, 12, 1, 3, 1, 1, (0, 0), (-128, 100), False),
    (True, 8, 7, 8, 1, 3, 2, 1, (0, 0), (-128, 127), False),
    (True, 3, 3, 8, 1, 3, 1, 1, (1, 1), (-128, 127), False),
    (True, 4, 4, 12, 1, 3, 2, 1, (1, 1), (-128, 127), False),
    (True, 2, 5, 4, 1, 3, 1, 1, (1, 1), (-50, 60), False),
    # depth multiplier 4 / 8: broadcast groups (row kernel, border, 5x5)
    (True, 12, 11, 2, 8, 3, 1, 1, (1, 1), (-128, 127), True),
    (True, 10, 12, 1, 8, 3, 2, 1, (1, 1), (-60, 127), False),
    (True, 9, 9, 2, 4, 5, 1, 1, (2, 2), (-128, 127), False),
    (True, 8, 9, 3, 4, 3, 2, 2, (2, 2), (-128, 127), True),
    # tiny depth-multiplier-1 outputs (<= TINYTS_DW_SMALL_PIX pixels) take
    # the per-pixel loop: 3x3 (stride 2, 5x5 kernel), channel tail, 2x2;
    # 6x6 stays on the group kernel
    (True, 6, 6, 20, 1, 3, 1, 1, (1, 1), (-128, 127), True),
    (True, 3, 3, 12, 1, 3, 1, 1, (1, 1), (-128, 127), True),
    (True, 2, 2, 8, 1, 3, 1, 1, (1, 1), (-90, 127), False),
    (True, 5, 5, 12, 1, 5, 2, 1, (2, 2), (-70, 127), False),
    (True, 3, 3, 10, 1, 3, 1, 1, (1, 1), (-128, 127), False),
    (True, 4, 4, 8, 1, 3, 1, 1, (1, 1), (-128, 127), True),
]


def _synth_plan(case, seed, rows=False, band_height=None, no_bias=False, prep=False):
    """Plan of a synthetic case and its reference output.  k may be (kh, kw);
    band_height: one kernel call per band of that many output rows (as
    kernel_harness.plan_layer); no_bias: the kernel gets a NULL bias; prep:
    the _prep kernels on the layer prepared on this host (as the generated
    code calls them)."""
    depthwise, ih, iw, ic, n, k, s, d, pad, (lo, hi), odd = case
    rng = np.random.default_rng(seed)
    mdep = n if depthwise else 1
    oc = ic * n if depthwise else n
    kh_, kw_ = k if isinstance(k, tuple) else (k, k)
    oh = (ih + 2 * pad[0] - ((kh_ - 1) * d + 1)) // s + 1
    ow = (iw + 2 * pad[1] - ((kw_ - 1) * d + 1)) // s + 1
    x = rng.integers(-128, 128, (ih, iw, ic), dtype=np.int8)
    w = rng.integers(-128, 128, (1, kh_, kw_, oc) if depthwise else (oc, kh_, kw_, ic),
                     dtype=np.int8)
    bias = rng.integers(-20000, 20000, oc).astype(np.int32)
    mult = rng.integers(1 << 30, (1 << 31) - 1, oc).astype(np.int32)
    shift = rng.integers(-12, -6, oc).astype(np.int32)
    if odd:  # channels that must take the exact requantizer
        shift[0] = 0
        bias[-1] = (1 << 30) - 5
        shift[oc // 2] = -27
        mult[oc // 2] = 1 << 30
    if odd == "dead" and not depthwise:  # pruned channels: zero filter, bias ~ +-2^30
        dead = rng.random(oc) < 0.7
        dead[0] = dead[-2] = True
        dead[1] = False
        w[dead] = 0
        nd = int(dead.sum())
        bias[dead] = rng.integers((1 << 30) - 3000, (1 << 30) + 3000, nd) * rng.choice([-1, 1], nd)
        shift[dead] = rng.choice([-31, -28, -12, 0], nd)
    in_off, out_off = int(rng.integers(-127, 129)), int(rng.integers(-128, 128))
    if no_bias:
        bias[...] = 0  # the reference's accumulators start at 0
    acc = _np_conv(x, w, bias, (s, s), (d, d), pad, (oh, ow), in_off, depthwise, mdep)
    ref = _np_requant(acc, mult, shift, out_off, lo, hi)
    P = kh.Plan()
    gap = seed % 2
    if rows:  # the _rows kernels, input rows scattered (table of row pointers)
        xb = kh.ScatteredBuf(P, "x", "in", ih, iw, ic, gap, x)
        strides, sfx = (xb.pix,), "_rows_s8"
    else:
        xb = kh.StridedBuf(P, "x", "in", ih, iw, ic, gap, x)
        strides, sfx = (xb.row, xb.pix), "_s8"
    yb = kh.StridedBuf(P, "y", "out", oh, ow, oc, gap, fill=0x77)
    wr = P.add("filter", w, "const")
    br = None if no_bias else P.add("bias", bias, "const")
    mr, sr = P.add("mult", mult, "const"), P.add("shift", shift, "const")
    pr = kh.prepare_layer(depthwise, w, None if no_bias else bias, mult, shift, oc, kh_, kw_,
                          out_off) if prep else None
    extra = ()
    if pr is not None:
        sfx = "_prep" + sfx
        extra = (P.add("prep", pr, "const"),)
    if depthwise:
        def call(ip, ih_, op_, oh_, pt):
            P.call("tinyts_depthwise_conv2d" + sfx, ip, ih_, iw, ic, *strides, wr, br,
                   op_, oh_, ow, mdep, yb.row, yb.pix, kh_, kw_, s, s, d, d, pt, pad[1],
                   in_off, out_off, mr, sr, lo, hi, *extra)
    else:
        scr = None if seed % 3 == 2 else P.add(
            "scratch", np.full(2 * kh_ * kw_ * ic, 0x33, np.int8), "scratch")

        def call(ip, ih_, op_, oh_, pt):
            P.call("tinyts_conv2d" + sfx, ip, ih_, iw, ic, *strides, wr, br,
                   op_, oh_, ow, oc, yb.row, yb.pix, kh_, kw_, s, s, d, d, pt, pad[1],
                   in_off, out_off, mr, sr, lo, hi, scr, *extra)
    if band_height is None:  # one call on the whole input
        call(xb.input_arg(0, ih), ih, yb.at_row(0), oh, pad[0])
    else:  # one call per band of output rows, each on the input rows it needs
        kh._window_call(xb, yb, kh_, s, d, pad[0], 1, call, band_height)
    P.extract = lambda: yb.get()
    return P, ref


@pytest.mark.parametrize("idx", range(len(_SYNTH)))
def test_synthetic_conv_shapes_host(runtime_lib, idx):
    for seed in range(3):
        for rows in (False, True):
            for prep in (False, True):
                plan, ref = _synth_plan(_SYNTH[idx], seed, rows, prep=prep)
                assert plan.run_host(runtime_lib).tobytes() == ref.tobytes(), \
                    (idx, seed, rows, prep)


# Plans merged into one ELF: one cross-compilation of the runtime and one
# QEMU run check many cases (each on its own buffers).
_PLANS_PER_ELF = 40


def _check_on_m7(m7, checks: list, tmp_path, name: str, dsp: bool) -> None:
    """Run (plan, reference, tag) checks on the emulated M7, _PLANS_PER_ELF
    plans per ELF; every output must equal its reference byte for byte."""
    for start in range(0, len(checks), _PLANS_PER_ELF):
        chunk = checks[start:start + _PLANS_PER_ELF]
        outs, _ = kh.run_plan_on_m7(m7, kh.merge_plans([c[0] for c in chunk]), str(tmp_path),
                                    f"{name}{start}", dsp=dsp)
        assert len(outs) == len(chunk)
        for ours, (_, ref, tag) in zip(outs, chunk):
            assert ours.tobytes() == ref.tobytes(), tag


@pytest.mark.slow
@pytest.mark.parametrize("dsp", [True, False], ids=["dsp", "portable"])
def test_synthetic_conv_shapes_on_emulated_cortex_m7(tmp_path, dsp):
    m7 = _cortex_m7()
    # Base and _rows kernels of each case (seed varies the stride gap /
    # scratch / values), and the _prep ones on the layer prepared on this
    # host (as the compiler prepares it); several cases per ELF.
    checks = []
    for idx, case in enumerate(_SYNTH):
        seed = idx % 3
        plan, ref = _synth_plan(case, seed)
        plan_rows, _ = _synth_plan(case, seed, rows=True)
        plan_prep, _ = _synth_plan(case, seed, rows=idx % 2 == 1, prep=True)
        checks += [(plan, ref, (idx, case, "base")), (plan_rows, ref, (idx, case, "_rows")),
                   (plan_prep, ref, (idx, case, "_prep"))]
    _check_on_m7(m7, checks, tmp_path, "synth", dsp)


# --------------------------------------------------------------------------
# Odd pixel counts: the conv kernel works on pixel pairs and gives an odd
# call's last pixel its own kernels (1 pixel x 4 output channels when every
# channel folds, with unrolled copies for the depths of TINYTS_CONV_KC and a
# generic one for other multiples of 4; pairs of channels otherwise, also
# for the mixed-requantization and dead-channel paths).  Odd widths, whole
# layers and bands of 1 and 2 rows (5-wide rows as in kws / ds_cnn), base
# and _rows kernels, with and without bias, against the NumPy reference.
# --------------------------------------------------------------------------

# (depthwise, ih, iw, ic, oc, k or (kh, kw), stride, dil, pad, clamp, odd) as _SYNTH
_ODD_PIX = [
    # kws / ds_cnn: 5-wide pointwise 64 -> 64; the 10x4 stride-2 stem (im2col, K = 40)
    (False, 3, 5, 64, 64, 1, 1, 1, (0, 0), (-128, 127), False),
    (False, 13, 10, 1, 64, (10, 4), 2, 1, (4, 1), (-128, 127), False),
    # unrolled depths, out_c % 4 = 0..3 (channels after the quads), stride 2,
    # narrow clamps
    (False, 2, 3, 24, 7, 1, 1, 1, (0, 0), (-100, 90), False),
    (False, 3, 9, 32, 9, 1, 2, 1, (0, 0), (-128, 127), False),
    (False, 1, 7, 40, 6, 1, 1, 1, (0, 0), (-128, 127), False),
    (False, 3, 3, 48, 8, 1, 1, 1, (0, 0), (-60, 127), False),
    (False, 1, 5, 56, 5, 1, 1, 1, (0, 0), (-128, 127), False),
    (False, 3, 3, 96, 12, 1, 1, 1, (0, 0), (-128, 100), False),
    # other multiples of 4 (generic quad kernel): 1x1 K = 12 / 144, 3x3x4
    # (im2col, K = 36); K not a multiple of 4: 3x3x3 stem (K = 27), K = 3
    (False, 3, 5, 12, 11, 1, 1, 1, (0, 0), (-128, 127), False),
    (False, 5, 7, 4, 6, 3, 1, 1, (1, 1), (-128, 127), False),
    (False, 3, 3, 144, 5, 1, 1, 1, (0, 0), (-90, 127), False),
    (False, 7, 9, 3, 8, 3, 2, 1, (1, 1), (-128, 127), False),
    (False, 3, 5, 3, 6, 1, 1, 1, (0, 0), (-128, 127), False),
    # a single output pixel (1x1 output, no earlier pixel in the call)
    (False, 1, 1, 64, 10, 1, 1, 1, (0, 0), (-128, 127), False),
    # channels on the exact requantizer (no folding: channel pairs), dead
    # channels (the sparse path; a 1x1 output has no earlier pixel to copy
    # the dead channels' constants from), K = 8 / 16 pixel groups
    (False, 3, 5, 16, 10, 1, 1, 1, (0, 0), (-128, 127), True),
    (False, 3, 3, 64, 9, 1, 1, 1, (0, 0), (-10, 120), True),
    (False, 3, 5, 16, 40, 1, 1, 1, (0, 0), (-128, 127), "dead"),
    (False, 1, 1, 32, 37, 1, 1, 1, (0, 0), (-128, 127), "dead"),
    (False, 3, 5, 8, 6, 1, 1, 1, (0, 0), (-128, 127), False),
    (False, 3, 5, 16, 7, 1, 1, 1, (0, 0), (-128, 127), False),
    # depthwise group kernel called on one-row bands (the window formed once
    # for every channel group): kws's 5-wide 3x3x64, depth multiplier 4
    # (broadcast groups), 5x5, dilation 2, stride 2, channels on the exact
    # requantizer
    (True, 5, 5, 64, 1, 3, 1, 1, (1, 1), (-128, 127), False),
    (True, 6, 7, 3, 4, 3, 1, 1, (1, 1), (-100, 50), True),
    (True, 8, 7, 12, 1, 5, 1, 1, (2, 2), (-128, 127), False),
    (True, 9, 9, 4, 1, 3, 1, 2, (2, 2), (-128, 127), True),
    (True, 10, 9, 8, 1, 3, 2, 1, (0, 1), (-30, 110), True),
]
ODD_BAND_HEIGHTS = (None, 1, 2)  # None: one call for the whole output


def test_odd_pixel_cases_have_odd_calls():
    """Every _ODD_PIX case has an odd pixel count in some call."""
    for case in _ODD_PIX:
        _, ih, iw, _, _, k, s, d, pad, _, _ = case
        kh_, kw_ = k if isinstance(k, tuple) else (k, k)
        oh = (ih + 2 * pad[0] - ((kh_ - 1) * d + 1)) // s + 1
        ow = (iw + 2 * pad[1] - ((kw_ - 1) * d + 1)) // s + 1
        assert ow % 2 == 1 and oh >= 1, case


@pytest.mark.parametrize("idx", range(len(_ODD_PIX)))
def test_odd_pixel_counts_host(runtime_lib, idx):
    for seed in range(3):
        for bh in ODD_BAND_HEIGHTS:
            for rows in (False, True):
                for prep in (False, True):
                    plan, ref = _synth_plan(_ODD_PIX[idx], seed, rows, bh, no_bias=seed == 1,
                                            prep=prep)
                    ours = plan.run_host(runtime_lib)
                    assert ours.tobytes() == ref.tobytes(), (idx, seed, bh, rows, prep)


@pytest.mark.slow
@pytest.mark.parametrize("dsp", [True, False], ids=["dsp", "portable"])
def test_odd_pixel_counts_on_emulated_cortex_m7(tmp_path, dsp):
    m7 = _cortex_m7()
    # Seeds 0 (bias, scratch, plain kernels) and 1 (NULL bias, stride gaps,
    # _prep kernels on the layer prepared on this host), every band height,
    # base and _rows kernels; several cases per ELF.
    checks = []
    for idx, case in enumerate(_ODD_PIX):
        for seed in (0, 1):
            for bh in ODD_BAND_HEIGHTS:
                for rows in (False, True):
                    plan, ref = _synth_plan(case, seed, rows, bh, no_bias=seed == 1,
                                            prep=seed == 1)
                    checks.append((plan, ref, (idx, case, seed, bh, rows)))
    _check_on_m7(m7, checks, tmp_path, "odd", dsp)


# --------------------------------------------------------------------------
# Banded calls (tensor splitting): a windowed layer called once per band of
# output rows (band height 1 and 3, base and _rows kernels) must equal TFLM,
# i.e. the whole-layer result.  Per-call set-up (requantization checks,
# dead-channel classification, im2col windows, depthwise channel groups)
# runs on every band, and bands change which pixels pair up.
# --------------------------------------------------------------------------

# (model, op index): 3x3 stride-2 padded stem conv (im2col), depthwise
# stride 1 (3x3 pair kernel) and stride 2 with padding, pointwise conv with
# dead channels (6x6x128), pointwise conv with an odd row width (3x3x256);
# kws's 10x4 stride-2 stem and a 5-wide pointwise conv (odd pixel counts in
# every band).
BANDED_LAYERS = [("mlc_vww_96_int8", 0), ("mlc_vww_96_int8", 1), ("mlc_vww_96_int8", 3),
                 ("mlc_vww_96_int8", 14), ("mlc_vww_96_int8", 26),
                 ("mlc_kws_ref_model", 0), ("mlc_kws_ref_model", 2)]
BAND_HEIGHTS = (1, 3)


def _banded_plans(name, idx, seed):
    mut = _model(name)
    values = mut.run_tflm(seed)
    op = mut.ops[idx]
    assert op.name in ("CONV_2D", "DEPTHWISE_CONV_2D"), op.name
    # Plain and _prep kernels (the layer prepared on this host, as the
    # compiler does); the generated code calls the latter.
    plans = [kh.plan_layer(mut, op, values, gap=bh % 2, band_height=bh, rows=rows, prep=prep)
             for bh in BAND_HEIGHTS for rows in (False, True) for prep in (False, True)]
    return plans, values[op.outputs[0]]


def test_banded_calls_match_tflm_host(runtime_lib):
    for name, idx in BANDED_LAYERS:
        plans, ref = _banded_plans(name, idx, 11)
        assert len(plans[0].calls) == -(-ref.shape[1] // BAND_HEIGHTS[0])
        for i, plan in enumerate(plans):
            ours = plan.run_host(runtime_lib)
            assert ours.tobytes() == ref.tobytes(), (name, idx, i)


@pytest.mark.slow
@pytest.mark.parametrize("dsp", [True, False], ids=["dsp", "portable"])
def test_banded_calls_match_tflm_on_emulated_cortex_m7(tmp_path, dsp):
    m7 = _cortex_m7()
    for name, idx in BANDED_LAYERS:
        plans, ref = _banded_plans(name, idx, 12)
        outs, _ = kh.run_plan_on_m7(m7, kh.merge_plans(plans), str(tmp_path),
                                    f"banded{idx}", dsp=dsp)
        for i, ours in enumerate(outs):
            assert ours.tobytes() == ref.tobytes(), (name, idx, i)
