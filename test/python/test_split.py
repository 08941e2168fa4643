"""Tensor splitting (strategy="split"): bit-exact with TFLite Micro on every
corpus model under the default (automatic band height, depth-first) and under
explicit configurations (band heights 1, 2, 4, 8; depth-first, breadth-first,
min-peak), no recomputation (MACs from the IR after splitting equal the
layer-wise MACs), and never a larger arena than layer-wise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tinyts_mlir
from tinyts_mlir import analysis, pipeline
from tinyts_mlir.frontend import import_tflite
from tinyts_mlir.oracle import run_tflm

from model_inputs import check_against_tflm, random_input

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "models"
MODELS = sorted(p.stem for p in CORPUS.glob("*.tflite"))
# (band height, order): every height of the issue, each order at least once.
CONFIGS = [(1, "depth-first"), (2, "breadth-first"), (4, "depth-first"),
           (8, "min-peak")]
M7_MODELS = ["mlc_vww_96_int8", "tinyengine_vww"]




@pytest.mark.parametrize("model", MODELS)
def test_default_split_bit_exact_and_not_larger(model: str, corpus_dir: Path) -> None:
    path = corpus_dir / f"{model}.tflite"
    split = tinyts_mlir.compile(path, target="host")
    layerwise = tinyts_mlir.compile(path, target="host", strategy="layerwise")
    assert split.strategy == "split"
    assert split.arena_bytes <= layerwise.arena_bytes
    check_against_tflm(path, split, 3, seed=0)
    # The timeline is the plan's: its peak never exceeds the arena.
    assert max(b for _, b in split.memory_timeline()) <= split.arena_bytes


@pytest.mark.parametrize("height,order", CONFIGS)
@pytest.mark.parametrize("model", MODELS)
def test_explicit_configuration_bit_exact(model: str, height: int, order: str,
                                          corpus_dir: Path) -> None:
    path = corpus_dir / f"{model}.tflite"
    cm = tinyts_mlir.compile(path, target="host", band_height=height, order=order)
    for layer in cm.split_layers:
        assert layer.band_height == min(height, layer.rows), layer
    check_against_tflm(path, cm, 1, seed=height)


def test_reshaped_input_bands_stay_live(corpus_dir: Path) -> None:
    """armex_ds_cnn's int8 input is 1x490, read as 1x49x10x1 in bands of rows
    by the split first conv: the planner once cut the 1x490 buffer at the
    bands' row numbers (elements 0..49), freed the rest after the QUANTIZE and
    let later bands overwrite input rows not yet read (wrong class)."""
    path = corpus_dir / "armex_ds_cnn_s_quantized.tflite"
    cm = tinyts_mlir.compile(path, target="host", band_height=1, segments="1-6")
    rng = np.random.default_rng(1)
    x = random_input(cm.inputs[0], rng)
    np.testing.assert_array_equal(cm.run(x), run_tflm(path, [x])[0].reshape(cm.outputs[0].shape))
    # Every piece of the input buffer (all 490 bytes) is read after the
    # QUANTIZE writes it: none is freed unread.
    quantized = [b for b in cm.plan.buffers if b.op == "tinyts.quantize"]
    assert sum(b.size for b in quantized) == 490
    assert all(b.last > b.first for b in quantized), quantized


def test_segments_with_own_band_heights(corpus_dir: Path) -> None:
    """Three segments of tinyengine_vww, each with its own band height, meet
    through joined tensors; bit-exact."""
    path = corpus_dir / "tinyengine_vww.tflite"
    cm = tinyts_mlir.compile(path, target="host", segments="0-17:1,18-26:2,27-53:3")
    assert cm.segments == "0-17:1,18-26:2,27-53:3"
    assert {layer.band_height for layer in cm.split_layers} == {1, 2, 3}
    assert cm.band_height == 1
    check_against_tflm(path, cm, 2, seed=3)


def test_global_average_pool_is_streamed(corpus_dir: Path) -> None:
    """kws ends in a global AVERAGE_POOL_2D over 25x5x64 (8,000 B): split, it
    becomes one row_sum per band, so that tensor is never whole."""
    path = corpus_dir / "mlc_kws_ref_model.tflite"
    cm = tinyts_mlir.compile(path, target="host", band_height=1)
    sums = [layer for layer in cm.split_layers if layer.op == "tinyts.row_sum"]
    assert len(sums) == 1 and sums[0].bands == 25, cm.split_layers
    assert cm.arena_bytes < 8000
    assert "tinyts_avg_pool_finish_s8" in cm.source
    check_against_tflm(path, cm, 2, seed=4)


@pytest.mark.parametrize("model", MODELS)
def test_no_recomputation(model: str, corpus_dir: Path) -> None:
    module = import_tflite(corpus_dir / f"{model}.tflite")
    with module.context:
        pipeline.raise_kernels(module)
        layerwise = analysis.count_macs_raised(module)
        pipeline.split(module, 1)
        split = analysis.count_macs_raised(module)
    assert split.total == layerwise.total
    if model not in ("tflm_hello_world_int8", "mlc_ad01_int8"):
        # Something was split (more kernel calls than ops).
        assert len(split.per_op) > len(layerwise.per_op)


@pytest.mark.parametrize("model", M7_MODELS)
def test_split_on_cortex_m7(model: str, corpus_dir: Path) -> None:
    path = corpus_dir / f"{model}.tflite"
    cm = tinyts_mlir.compile(path, target="cortex-m7", band_height=1)
    rng = np.random.default_rng(5)
    x = random_input(cm.inputs[0], rng)
    out, result, _ = cm.run_on_cortex_m7(x)
    np.testing.assert_array_equal(out, run_tflm(path, [x])[0].reshape(cm.outputs[0].shape))
    assert result.instructions > 0


def test_bad_split_options(corpus_dir: Path) -> None:
    path = corpus_dir / "mlc_kws_ref_model.tflite"
    with pytest.raises(ValueError, match="band height"):
        tinyts_mlir.compile(path, band_height=0)
    with pytest.raises(ValueError, match="order"):
        tinyts_mlir.compile(path, band_height=2, order="random")
    with pytest.raises(ValueError, match="strategy"):
        tinyts_mlir.compile(path, strategy="patches")
