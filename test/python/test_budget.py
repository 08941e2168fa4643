"""SRAM budget compilation (``compile(sram_budget=...)``, ``--sram-budget``).

Budgets are swept between the smallest peak SRAM the compiler reaches (read
from the error of a budget below the lower bound) and the layer-wise peak on
kws and person_detect; every other corpus model is compiled at its smallest
peak, the hardest feasible budget. Every compiled model runs on the emulated Cortex-M7, where the measured peak
SRAM (.data + .bss, the arena included, + the stack of the invoke call) must
not exceed the budget and the outputs must equal TFLite Micro's. Budgets
below the smallest peak are refused with the smallest peak and the lower
bound. The stack bound is checked against the measured stack.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tinyts_mlir
from tinyts_mlir.budget import SramBudgetError, parse_size
from tinyts_mlir.cli import main
from tinyts_mlir.oracle import run_tflm

from model_inputs import random_input


@pytest.mark.parametrize("text, size", [
    (65536, 65536), ("65536", 65536), ("64KiB", 64 * 1024), ("64 KiB", 64 * 1024),
    ("64K", 64 * 1024), ("100kB", 100_000), ("0.5MiB", 512 * 1024), ("2MB", 2_000_000)])
def test_parse_size(text: int | str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("bad", ["64 furlongs", "", "-5", 0, "KiB", True])
def test_parse_size_refuses(bad: object) -> None:
    with pytest.raises(ValueError, match="SRAM budget"):
        parse_size(bad)  # type: ignore[arg-type]


def _measured_peak(cm: tinyts_mlir.CompiledModel, path: Path, seed: int) -> int:
    rng = np.random.default_rng(seed)
    xs = [random_input(info, rng) for info in cm.inputs]
    # QEMU's 4 MiB of flash and RAM: the budget is checked here, not the
    # STM32F767's limits (mcunetv2's split image needs 3.5 MB of flash).
    y, result, sizes = cm.run_on_cortex_m7(*xs, mcu_limits=False)
    ref = run_tflm(path, xs)
    outs = y if isinstance(y, list) else [y]
    for o, r in zip(outs, ref):
        np.testing.assert_array_equal(o.ravel(), np.asarray(r).ravel())
    # The bound of the stack holds on the board.
    assert result.peak_stack_bytes <= cm.stack_bytes
    return sizes.data + sizes.bss + result.peak_stack_bytes


def _sweep(path: Path, steps: int) -> None:
    """``steps`` budgets from the smallest peak to the layer-wise peak (1: the
    smallest peak only)."""
    with pytest.raises(SramBudgetError) as info:
        tinyts_mlir.compile(path, sram_budget=64)  # below any model's stack alone
    err = info.value
    assert err.lower_bound <= err.smallest_peak
    assert "cannot be met" in str(err) and "Lower bound" in str(err)
    layerwise = tinyts_mlir.compile(path, strategy="layerwise", progress=False)
    top = layerwise.peak_sram_bytes
    # Splitting lowers the peak wherever a range of budgets is swept; a model
    # compiled at its smallest peak only may have nothing to split (equal).
    assert err.smallest_peak < top if steps > 1 else err.smallest_peak <= top
    budgets = sorted({int(err.smallest_peak + (top - err.smallest_peak) * i / max(1, steps - 1))
                      for i in range(steps)})
    arenas = []
    for i, budget in enumerate(budgets):
        cm = tinyts_mlir.compile(path, sram_budget=budget, progress=False)
        assert cm.peak_sram_bytes <= budget
        assert cm.sram_lower_bound is not None and cm.sram_lower_bound <= cm.peak_sram_bytes
        measured = _measured_peak(cm, path, seed=i)
        assert measured <= cm.peak_sram_bytes <= budget, (budget, cm.segments)
        arenas.append(cm.arena_bytes)
    if steps > 1:
        # The largest budget takes the layer-wise plan: whole tensors are fastest.
        assert arenas[-1] == layerwise.arena_bytes
    # One byte under the smallest peak cannot be met.
    with pytest.raises(SramBudgetError):
        tinyts_mlir.compile(path, sram_budget=err.smallest_peak - 1, progress=False)


def test_budget_sweep_kws(corpus_dir: Path) -> None:
    _sweep(corpus_dir / "mlc_kws_ref_model.tflite", steps=4)


@pytest.mark.slow
def test_budget_sweep_person_detect(corpus_dir: Path) -> None:
    _sweep(corpus_dir / "tflm_person_detect.tflite", steps=3)


# The rest of the corpus (kws and person_detect are swept above).
_REST = ["armex_ds_cnn_s_quantized", "gen_mobilenetv2_a035_96", "mlc_ad01_int8",
         "mlc_pretrainedResnet_quant", "mlc_vww_96_int8", "tflm_hello_world_int8",
         "tflm_micro_speech_quantized", "tinyengine_mcunetv2_large", "tinyengine_vww"]


@pytest.mark.slow
@pytest.mark.parametrize("name", _REST)
def test_budget_smallest_peak_on_corpus(corpus_dir: Path, name: str) -> None:
    """The hardest budget: the smallest peak."""
    _sweep(corpus_dir / f"{name}.tflite", steps=1)


def test_budget_sweep_covers_the_corpus(corpus_dir: Path) -> None:
    swept = {"mlc_kws_ref_model", "tflm_person_detect", *_REST}
    assert swept == {p.stem for p in corpus_dir.glob("*.tflite")}


def test_budget_with_explicit_split_refused(corpus_dir: Path) -> None:
    with pytest.raises(ValueError, match="sram_budget chooses the split itself"):
        tinyts_mlir.compile(corpus_dir / "mlc_kws_ref_model.tflite", sram_budget="64KiB",
                            band_height=2)
    with pytest.raises(ValueError, match="Cortex-M7"):
        tinyts_mlir.compile(corpus_dir / "mlc_kws_ref_model.tflite", target="host",
                            sram_budget="64KiB")


def test_cli_sram_budget(corpus_dir: Path, tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    model = corpus_dir / "mlc_kws_ref_model.tflite"
    args = ["compile", str(model), "-o", str(tmp_path / "out")]
    assert main([*args, "--sram-budget", "12KiB"]) == 0
    assert "within the 12,288 B budget" in capsys.readouterr().out
    saved = tinyts_mlir.CompiledModel.load(tmp_path / "out")
    assert saved.sram_budget == 12288 and saved.peak_sram_bytes <= 12288
    assert main([*args, "--sram-budget", "2KiB"]) == 1
    printed = capsys.readouterr().err
    assert "SRAM budget of 2,048 B cannot be met" in printed and "Lower bound" in printed
    assert main([*args, "--sram-budget", "lots"]) == 1
    assert "SRAM budget 'lots'" in capsys.readouterr().err
