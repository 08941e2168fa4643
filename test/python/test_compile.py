"""tinyts_mlir.compile end to end: real models to C, bit-exact with TFLite Micro.

Covers the corpus models whose every op has a kernel so far, on the host and
on the emulated Cortex-M7 (DSP kernels on); test_compile_fixtures.py covers
the single-op models.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

import tinyts_mlir
from tinyts_mlir.oracle import run_tflm, tflm_arena_bytes

COMPILED_MODELS = [
    "tflm_hello_world_int8",
    "mlc_ad01_int8",
    "tflm_micro_speech_quantized",
    "mlc_kws_ref_model",
    "mlc_vww_96_int8",
    "tflm_person_detect",
    "mlc_pretrainedResnet_quant",
]


def _inputs(cm: tinyts_mlir.CompiledModel, n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = cm.inputs[0].shape
    return [rng.integers(-128, 128, size=shape, dtype=np.int8) for _ in range(n)]


@pytest.fixture(scope="module", params=COMPILED_MODELS)
def compiled(request, corpus_dir: Path) -> tuple[Path, tinyts_mlir.CompiledModel]:
    path = corpus_dir / f"{request.param}.tflite"
    return path, tinyts_mlir.compile(path, target="cortex-m7")


def test_host_bit_exact(compiled) -> None:
    path, cm = compiled
    for x in _inputs(cm, 3, seed=0):
        expected = run_tflm(path, [x])[0]
        np.testing.assert_array_equal(cm.run(x), expected.reshape(cm.outputs[0].shape))


def test_cortex_m7_bit_exact_with_dsp(compiled) -> None:
    path, cm = compiled
    x = _inputs(cm, 1, seed=1)[0]
    y, result, sizes = cm.run_on_cortex_m7(x, dsp=True)
    np.testing.assert_array_equal(y, run_tflm(path, [x])[0].reshape(y.shape))
    assert result.instructions > 0 and result.peak_stack_bytes > 0
    # The arena is the model's static RAM (.bss); weights sit in flash.
    assert sizes.bss >= cm.arena_bytes
    assert sizes.flash > sizes.text > 0


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
    assert "void tinyts_model_invoke(const int8_t *input0, int8_t *output0);" in h
    assert "malloc" not in cm.source


def test_saved_folder_builds_with_its_makefile(corpus_dir: Path, tmp_path: Path) -> None:
    cm = tinyts_mlir.compile(corpus_dir / "tflm_hello_world_int8.tflite")
    out = cm.save(tmp_path / "out")
    for goal in ("host", "m7"):
        subprocess.run(["make", "-s", goal], cwd=out, check=True, capture_output=True)
    assert list((out / "build" / "m7").glob("*.o"))


def test_model_with_unlowered_ops_names_them(repo_root: Path) -> None:
    with pytest.raises(tinyts_mlir.CompileError, match=r"no kernel for 'tosa.max_pool2d' x1"):
        tinyts_mlir.compile(repo_root / "test" / "fixtures" / "tflite" / "maxpool_valid.tflite")


def test_float_io_model_is_reported(corpus_dir: Path) -> None:
    with pytest.raises(tinyts_mlir.CompileError, match="only int8 model inputs and outputs"):
        tinyts_mlir.compile(corpus_dir / "armex_ds_cnn_s_quantized.tflite")


def test_unknown_target(corpus_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown target 'avr'"):
        tinyts_mlir.compile(corpus_dir / "mlc_ad01_int8.tflite", target="avr")
