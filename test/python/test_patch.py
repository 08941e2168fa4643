"""Patch-based inference (strategy="patch", MCUNetV2-style, tinyts-patch): the
first stage of the network runs patch by patch, halos recomputed. Bit-exact
with TFLite Micro on the corpus CNNs at 2 and 3 patches per side (host, and
one model on the emulated Cortex-M7); the recomputation is real (MACs from
the IR after patching exceed layer-wise); the planned arena is smaller than
layer-wise; the configuration is recorded and reloaded; bad options are
refused with the pass's diagnostic.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import tinyts_mlir
from tinyts_mlir import analysis, pipeline
from tinyts_mlir.frontend import import_tflite
from tinyts_mlir.oracle import run_tflm

from model_inputs import check_against_tflm, random_input

# CNNs with a high-resolution first stage (int8 and float-IO inputs, residual
# blocks in the stage for tinyengine_vww / mobilenetv2 / resnet).
MODELS = ["mlc_vww_96_int8", "tflm_person_detect", "tinyengine_vww",
          "gen_mobilenetv2_a035_96", "mlc_pretrainedResnet_quant",
          "tinyengine_mcunetv2_large"]




def _patched_macs(path: Path, stage_end: int, patches: int) -> tuple[int, int]:
    """(layer-wise MACs, MACs after tinyts-patch) counted from the IR."""
    module = import_tflite(path)
    with module.context:
        pipeline.raise_kernels(module)
        layerwise = analysis.count_macs_raised(module).total
        pipeline.patch(module, stage_end, patches)
        return layerwise, analysis.count_macs_raised(module).total


@pytest.mark.parametrize("patches", [2, 3])
@pytest.mark.parametrize("model", MODELS)
def test_patch_bit_exact_recomputes_and_shrinks_arena(model: str, patches: int,
                                                      corpus_dir: Path) -> None:
    path = corpus_dir / f"{model}.tflite"
    cm = tinyts_mlir.compile(path, target="host", strategy="patch", patches=patches)
    assert cm.strategy == "patch" and cm.patches == patches
    assert cm.stage_end is not None and cm.stage_end >= 0
    assert cm.split_layers == []
    # Memory: the stage output whole plus one patch's working set, below the
    # whole tensors layer-wise.
    assert cm.arena_bytes < cm.layerwise_plan.arena_bytes
    assert max(b for _, b in cm.memory_timeline()) <= cm.arena_bytes
    # Recomputation: the halos are computed again by the neighbouring patches.
    layerwise, patched = _patched_macs(path, cm.stage_end, patches)
    assert patched > layerwise
    check_against_tflm(path, cm, 2, seed=patches)


def test_explicit_stage_recorded_and_reloaded(corpus_dir: Path, tmp_path: Path) -> None:
    """stage_end and patches given: used as they are, recorded in model.json and
    read back by CompiledModel.load; more patches recompute more."""
    path = corpus_dir / "mlc_vww_96_int8.tflite"
    cm = tinyts_mlir.compile(path, target="host", strategy="patch", stage_end=6, patches=4)
    assert (cm.stage_end, cm.patches) == (6, 4)
    check_against_tflm(path, cm, 1, seed=7)
    loaded = tinyts_mlir.CompiledModel.load(cm.save(tmp_path / "m"))
    assert (loaded.strategy, loaded.stage_end, loaded.patches) == ("patch", 6, 4)
    two = _patched_macs(path, 6, 2)[1]
    layerwise, four = _patched_macs(path, 6, 4)
    assert layerwise < two < four
    # The other strategies record no patching.
    split = tinyts_mlir.compile(path, target="host", band_height=4)
    assert (split.patches, split.stage_end) == (0, None)


def test_float_input_quantized_per_patch(corpus_dir: Path) -> None:
    """tinyengine_vww's first op quantizes the float input: it runs on each
    patch's strided slice of the caller's buffer, one kernel call per row."""
    path = corpus_dir / "tinyengine_vww.tflite"
    cm = tinyts_mlir.compile(path, target="host", strategy="patch", stage_end=6, patches=2)
    assert cm.inputs[0].dtype == "float32"
    assert cm.source.count("tinyts_quantize_f32_s8(") > 4
    check_against_tflm(path, cm, 2, seed=8)


def test_bad_patch_options(corpus_dir: Path) -> None:
    path = corpus_dir / "mlc_vww_96_int8.tflite"
    with pytest.raises(tinyts_mlir.CompileError, match="stage-end 99 is not a row-mappable op"):
        tinyts_mlir.compile(path, strategy="patch", stage_end=99, patches=2)
    with pytest.raises(tinyts_mlir.CompileError, match="stage-end 99 is not a row-mappable op"):
        tinyts_mlir.compile(path, strategy="patch", stage_end=99)
    with pytest.raises(tinyts_mlir.CompileError, match="global pool"):
        tinyts_mlir.compile(path, strategy="patch", stage_end=27, patches=1)
    with pytest.raises(tinyts_mlir.CompileError, match=r"cannot cut the stage output \(3 x 3\)"):
        tinyts_mlir.compile(path, strategy="patch", stage_end=26, patches=4)
    with pytest.raises(ValueError, match="patches"):
        tinyts_mlir.compile(path, strategy="patch", patches=-1)
    with pytest.raises(tinyts_mlir.CompileError, match="no stage of this model"):
        tinyts_mlir.compile(corpus_dir / "mlc_ad01_int8.tflite", strategy="patch")


@pytest.mark.skipif(not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")),
                    reason="arm-none-eabi-gcc / qemu-system-arm missing")
def test_patch_on_cortex_m7(corpus_dir: Path) -> None:
    path = corpus_dir / "tflm_person_detect.tflite"
    cm = tinyts_mlir.compile(path, target="cortex-m7", strategy="patch", patches=2)
    rng = np.random.default_rng(9)
    x = random_input(cm.inputs[0], rng)
    out, result, _ = cm.run_on_cortex_m7(x)
    np.testing.assert_array_equal(out, run_tflm(path, [x])[0].reshape(cm.outputs[0].shape))
    assert result.instructions > 0
