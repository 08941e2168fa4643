"""Per-op fixtures: import, strict TOSA validation, IREE == TFLite Micro byte for byte."""
from __future__ import annotations

from pathlib import Path

import pytest

import numpy as np

from frontend_testlib import FIXTURES, assert_iree_matches_tflm, random_inputs, validate, vmfb
from tinyts_mlir import iree_check, oracle
from tinyts_mlir.frontend import import_tflite
from tinyts_mlir.frontend.reader import read_model

# Fixtures that must be rejected (see test_frontend_errors.py) or are not implemented yet.
REJECTED = {"float32_conv.tflite"}
NOT_YET: set[str] = set()

FIXTURE_FILES = sorted(p for p in FIXTURES.glob("*.tflite") if p.name not in REJECTED | NOT_YET)
IDS = [p.stem for p in FIXTURE_FILES]

# Every operator the corpus uses (and the rest the issue lists) must have at least one fixture.
REQUIRED_OPS = {
    "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "MUL", "AVERAGE_POOL_2D", "MAX_POOL_2D",
    "MEAN", "PAD", "RESHAPE", "SOFTMAX", "QUANTIZE", "DEQUANTIZE", "TRANSPOSE", "CONCATENATION",
    "RESIZE_NEAREST_NEIGHBOR", "RELU", "RELU6", "SHAPE", "STRIDED_SLICE", "PACK", "LOGISTIC", "HARD_SWISH",
}


def test_fixtures_cover_ops():
    seen = set()
    for p in FIXTURE_FILES:
        seen |= {op.name for op in read_model(p).operators}
    assert REQUIRED_OPS <= seen, f"ops without a fixture: {sorted(REQUIRED_OPS - seen)}"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=IDS)
def test_fixture_imports_and_validates(path: Path):
    module = import_tflite(path)
    text = str(module)
    assert "func.func @main" in text
    assert "tinyts.name" in text and "tinyts.scale" in text and "tinyts.zero_point" in text
    assert "?" not in text.split("{", 1)[0]  # static function signature
    validate(module)


def test_import_from_bytes_equals_path():
    p = FIXTURES / "conv_same_relu.tflite"
    assert str(import_tflite(p.read_bytes())) == str(import_tflite(p))


def test_double_rounding_is_used():
    text = str(import_tflite(FIXTURES / "conv_same_relu.tflite"))
    assert "DOUBLE_ROUND" in text


def test_resize_uses_flooring_offset():
    text = str(import_tflite(FIXTURES / "resize_nearest_x2.tflite"))
    assert "tosa.resize" in text and "dense<-1>" in text


def test_shape_idiom_is_folded():
    text = str(import_tflite(FIXTURES / "shape_idiom.tflite"))
    assert "tosa.reshape" in text and "48" in text


# TFLite Micro cannot run the unfolded Keras shape idiom (its RESHAPE output shape is [1, 1] in the
# file); it is checked against its meaning instead.
NO_TFLM = {"shape_idiom.tflite"}
TFLM_FILES = [p for p in FIXTURE_FILES if p.name not in NO_TFLM]


@pytest.mark.parametrize("path", TFLM_FILES, ids=[p.stem for p in TFLM_FILES])
def test_fixture_iree_matches_tflm(path: Path):
    assert_iree_matches_tflm(str(path), n=3)


def test_shape_idiom_iree_is_a_reshape():
    path = str(FIXTURES / "shape_idiom.tflite")
    for seed in range(3):
        (x,) = random_inputs(path, seed)
        (y,) = iree_check.run_vmfb(vmfb(path), [x])
        assert y.shape == (1, 48)
        assert np.array_equal(y.reshape(-1), x.reshape(-1))


@pytest.mark.parametrize("name", ["logistic", "hard_swish"])
def test_lut_ops_exhaustive(name):
    """Every int8 input value: IREE (tosa.table) == TFLite Micro."""
    path = str(FIXTURES / f"{name}.tflite")
    (x0,) = random_inputs(path, 0)
    x = np.resize(np.arange(-128, 128, dtype=np.int8), x0.size).reshape(x0.shape)
    (want,) = oracle.run_tflm(path, [x])
    (got,) = iree_check.run_vmfb(vmfb(path), [x])
    assert np.array_equal(want, got.reshape(want.shape))


def test_per_tensor_vs_per_channel_rescale():
    per_tensor = str(import_tflite(FIXTURES / "conv_per_tensor.tflite"))
    per_channel = str(import_tflite(FIXTURES / "conv_same_relu.tflite"))
    assert "per_channel = false" in per_tensor and "per_channel = true" not in per_tensor
    assert "per_channel = true" in per_channel


def test_float_quantize_rounds_like_tflm_on_ties_and_random_floats() -> None:
    """QUANTIZE from float on values off the quantization grid, including
    exact .5 ties of both signs: TFLM rounds half away from zero."""
    from tinyts_mlir import iree_check, oracle
    from tinyts_mlir.frontend.reader import read_model

    path = str(FIXTURES / "conv_float_io.tflite")
    g = read_model(path)
    scale = np.float32(g.tensors[g.operators[0].outputs[0]].scale)
    shape = g.tensors[g.inputs[0]].shape
    n = int(np.prod(shape))
    rng = np.random.default_rng(11)
    ties = (np.arange(n) % 40 - 20 + 0.5).astype(np.float32) * scale
    random = rng.uniform(-140, 140, size=n).astype(np.float32) * scale
    for x in (ties, random):
        x = x.reshape(shape).astype(np.float32)
        got = iree_check.run_vmfb(vmfb(path), [x])
        want = oracle.run_tflm(path, [x])
        for a, b in zip(got, want):
            np.testing.assert_array_equal(np.asarray(a).ravel(), np.asarray(b).ravel())
