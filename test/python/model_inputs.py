"""Random model inputs for the end-to-end tests (int8 and float-IO models)."""

from __future__ import annotations

import numpy as np

from tinyts_mlir.codegen import TensorInfo


def random_input(info: TensorInfo, rng: np.random.Generator) -> np.ndarray:
    """int8: uniform over the type. float32 (float-IO models): values spread over
    the int8 grid of the model's QUANTIZE, off-grid and on exact ties too, so that
    quantization rounding is exercised."""
    if info.dtype == "int8":
        return rng.integers(-128, 128, size=info.shape, dtype=np.int8)
    q = rng.integers(-128, 128, size=info.shape) - info.zero_point
    ties = rng.choice([-0.5, 0.5], size=info.shape)
    frac = np.where(rng.random(info.shape) < 0.25, ties, rng.uniform(-0.5, 0.5, info.shape))
    return (np.float32(info.scale) * (q + frac)).astype(np.float32)


def check_against_tflm(path, cm, n: int, seed: int) -> None:
    """``n`` random inputs (``seed``): ``cm`` on the host gives TFLite Micro's
    bytes for the model at ``path``."""
    from tinyts_mlir.oracle import run_tflm

    rng = np.random.default_rng(seed)
    for _ in range(n):
        x = random_input(cm.inputs[0], rng)
        expected = run_tflm(path, [x])[0]
        np.testing.assert_array_equal(cm.run(x), expected.reshape(cm.outputs[0].shape))
