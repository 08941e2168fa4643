"""tinyts_mlir.compile end to end: real models to C, bit-exact with TFLite Micro.

Every corpus model (../shared/models, not unsupported/) on the host; all that
fit the Cortex-M7 board's SRAM also on the emulated Cortex-M7 (DSP kernels
on); test_compile_fixtures.py covers the single-op models.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

import tinyts_mlir
from tinyts_mlir.oracle import run_tflm, tflm_arena_bytes
from tinyts_mlir.targets.errors import BuildError

from model_inputs import random_input

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "models"
COMPILED_MODELS = sorted(p.stem for p in CORPUS.glob("*.tflite"))

# tinyengine_mcunetv2_large needs a 1.5 MB arena (TFLM: 2.6 MB): more than the
# 512 KiB SRAM limit the Cortex-M7 linker script enforces (STM32F767). Its
# correctness is checked on the host; on the M7 the test checks that the link
# refuses it with the RAM limit named.
TOO_BIG_FOR_M7 = {"tinyengine_mcunetv2_large"}


def _inputs(cm: tinyts_mlir.CompiledModel, n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [random_input(cm.inputs[0], rng) for _ in range(n)]


def test_corpus_is_there() -> None:
    assert len(COMPILED_MODELS) >= 11, COMPILED_MODELS


@pytest.fixture(scope="module", params=COMPILED_MODELS)
def compiled(request, corpus_dir: Path) -> tuple[Path, tinyts_mlir.CompiledModel]:
    path = corpus_dir / f"{request.param}.tflite"
    return path, tinyts_mlir.compile(path, target="cortex-m7", strategy="layerwise")


def test_host_bit_exact(compiled) -> None:
    path, cm = compiled
    for x in _inputs(cm, 3, seed=0):
        expected = run_tflm(path, [x])[0]
        np.testing.assert_array_equal(cm.run(x), expected.reshape(cm.outputs[0].shape))


def test_cortex_m7_bit_exact_with_dsp(compiled) -> None:
    path, cm = compiled
    if path.stem in TOO_BIG_FOR_M7:
        # The link fails with the MCU's RAM limit named, instead of an image
        # that could never run on the part.
        with pytest.raises(BuildError, match="RAM"):
            cm.build_cortex_m7()
        return
    x = _inputs(cm, 1, seed=1)[0]
    y, result, sizes = cm.run_on_cortex_m7(x, dsp=True)
    np.testing.assert_array_equal(y, run_tflm(path, [x])[0].reshape(y.shape))
    assert result.instructions > 0 and result.peak_stack_bytes > 0
    # The arena is the model's static RAM (.bss); weights sit in flash.
    assert sizes.bss >= cm.arena_bytes
    assert sizes.flash > sizes.text > 0
    assert cm.flash_bytes == sizes.flash


def test_arena_not_above_tflm(compiled) -> None:
    path, cm = compiled
    assert cm.arena_bytes <= tflm_arena_bytes(path)


def test_plan_is_consistent(compiled) -> None:
    _, cm = compiled
    bufs = cm.plan.buffers
    assert bufs and all(b.offset + b.size <= cm.arena_bytes for b in bufs)
    for i, a in enumerate(bufs):
        for b in bufs[i + 1:]:
            live_together = a.first <= b.last and b.first <= a.last
            overlap = a.offset < b.offset + b.size and b.offset < a.offset + a.size
            assert not (live_together and overlap), (a, b)


def test_header_documents_the_api(compiled) -> None:
    _, cm = compiled
    h = cm.header
    assert f"#define TINYTS_MODEL_ARENA_BYTES {cm.arena_bytes}" in h
    assert f"#define TINYTS_MODEL_INPUT_BYTES {cm.inputs[0].nbytes}" in h
    assert f"#define TINYTS_MODEL_OUTPUT_ZERO_POINT {cm.outputs[0].zero_point}" in h
    ctype = {"int8": "int8_t", "float32": "float"}
    assert (f"void tinyts_model_invoke(const {ctype[cm.inputs[0].dtype]} *input0, "
            f"{ctype[cm.outputs[0].dtype]} *output0);") in h
    assert "malloc" not in cm.source


def test_saved_folder_builds_with_its_makefile(corpus_dir: Path, tmp_path: Path) -> None:
    cm = tinyts_mlir.compile(corpus_dir / "tflm_hello_world_int8.tflite")
    out = cm.save(tmp_path / "out")
    for goal in ("host", "m7"):
        subprocess.run(["make", "-s", goal], cwd=out, check=True, capture_output=True)
    assert list((out / "build" / "m7").glob("*.o"))


def test_save_replaces_a_stale_runtime_copy(corpus_dir: Path, tmp_path: Path) -> None:
    """Saving over a folder from an older runtime leaves only today's kernel
    files (a stale one defining the same symbols broke the link)."""
    cm = tinyts_mlir.compile(corpus_dir / "tflm_hello_world_int8.tflite", target="host")
    (tmp_path / "out" / "runtime").mkdir(parents=True)
    (tmp_path / "out" / "runtime" / "old_kernel.c").write_text("int tinyts_old;\n")
    out = cm.save(tmp_path / "out")
    assert sorted(p.name for p in (out / "runtime").glob("*.c")) == sorted(
        p.name for p in cm.runtime_sources())


def test_float_io_model_takes_and_returns_float(corpus_dir: Path) -> None:
    path = corpus_dir / "armex_ds_cnn_s_quantized.tflite"
    cm = tinyts_mlir.compile(path, target="host")
    assert cm.inputs[0].dtype == "float32" and cm.outputs[0].dtype == "float32"
    # The float input and output are the caller's buffers, never in the arena:
    # the arena holds the int8 input (490 B) and less than the float one (1960 B).
    assert "tinyts_quantize_f32_s8(v1," in cm.source
    assert "tinyts_dequantize_s8_f32(" in cm.source
    with pytest.raises(ValueError, match="must be float32"):
        cm.run(np.zeros(cm.inputs[0].shape, np.int8))


# The generic path alone (kernels=False: TOSA -> linalg -> loops -> EmitC for
# every op, the float-IO boundaries aside) compiles real models bit-exactly.
GENERIC_MODELS = ["tflm_hello_world_int8", "mlc_ad01_int8", "tflm_micro_speech_quantized",
                  "armex_ds_cnn_s_quantized", "mlc_pretrainedResnet_quant"]


@pytest.mark.parametrize("name", GENERIC_MODELS)
def test_generic_path_alone_is_bit_exact(name: str, corpus_dir: Path) -> None:
    path = corpus_dir / f"{name}.tflite"
    cm = tinyts_mlir.compile(path, target="host", kernels=False)
    assert "tosa.conv2d" in cm.generic_ops or "tosa.depthwise_conv2d" in cm.generic_ops
    calls = [line for line in cm.source.splitlines() if "tinyts_" in line and "_s8(" in line]
    assert all("quantize" in line for line in calls), calls[:3]
    x = _inputs(cm, 1, seed=3)[0]
    np.testing.assert_array_equal(cm.run(x), run_tflm(path, [x])[0].reshape(cm.outputs[0].shape))


def test_generic_path_on_cortex_m7(corpus_dir: Path) -> None:
    path = corpus_dir / "tflm_micro_speech_quantized.tflite"
    cm = tinyts_mlir.compile(path, kernels=False)
    x = _inputs(cm, 1, seed=4)[0]
    y, result, _ = cm.run_on_cortex_m7(x)
    np.testing.assert_array_equal(y, run_tflm(path, [x])[0].reshape(y.shape))
    assert result.instructions > 0


def test_ops_without_kernel_are_listed(repo_root: Path) -> None:
    cm = tinyts_mlir.compile(repo_root / "test" / "fixtures" / "tflite" / "logistic.tflite")
    assert cm.generic_ops == {"tosa.table": 1}
    assert "tinyts_model_invoke" in cm.source and "for (" in cm.source


def test_unknown_target(corpus_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown target 'avr'"):
        tinyts_mlir.compile(corpus_dir / "mlc_ad01_int8.tflite", target="avr")
