"""Every single-op fixture through tinyts_mlir.compile: bit-exact with TFLite
Micro on the host, through a runtime kernel or through the generic path.

The lists are explicit so that a new kernel (or a regression) shows up here as
a deliberate change.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tinyts_mlir
from tinyts_mlir.oracle import run_tflm

from model_inputs import random_input

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tflite"

COMPILES = [
    "add", "add_relu_broadcast", "avgpool_same_s2", "avgpool_valid", "concat", "conv_1x1_nobias",
    "conv_dilation2", "conv_float_io", "conv_per_tensor", "conv_same_relu", "conv_same_s2_odd",
    "conv_valid_s2_relu6", "dwconv_mult2_valid_s2", "dwconv_mult3_same", "dwconv_per_tensor",
    "dwconv_same", "fc_from_4d", "fc_relu", "mean_keepdims", "mean_nokeep", "mean_same_quant_h",
    "maxpool_same_s2", "maxpool_valid", "mul", "mul_broadcast", "pad", "reshape",
    "reshape_diff_scale", "resize_nearest_x2", "resize_nearest_x3_x4", "softmax", "softmax_4d",
    "transpose",
]

# Fixtures whose op has no runtime kernel: compiled through the generic path
# (TOSA -> linalg -> loops -> EmitC), still bit-exact.
GENERIC = {
    "hard_swish": {"tosa.table": 1},
    "logistic": {"tosa.table": 1},
    "relu": {"tosa.rescale": 1},
    "relu6": {"tosa.clamp": 1},
}


def test_lists_cover_every_fixture() -> None:
    # shape_idiom: TFLite Micro cannot run it (no oracle); float32_conv is
    # rejected by the importer (test_frontend_errors.py).
    names = {p.stem for p in FIXTURES.glob("*.tflite")} - {"shape_idiom", "float32_conv"}
    assert names == set(COMPILES) | set(GENERIC)


@pytest.mark.parametrize("name", COMPILES + sorted(GENERIC))
def test_fixture_bit_exact_on_host(name: str) -> None:
    path = FIXTURES / f"{name}.tflite"
    cm = tinyts_mlir.compile(path, target="host")
    # Every op has a kernel except the GENERIC ones.
    assert cm.generic_ops == GENERIC.get(name, {})
    rng = np.random.default_rng(7)
    for _ in range(3):
        xs = [random_input(t, rng) for t in cm.inputs]
        expected = run_tflm(path, xs)[0]
        np.testing.assert_array_equal(cm.run(*xs), expected.reshape(cm.outputs[0].shape))
