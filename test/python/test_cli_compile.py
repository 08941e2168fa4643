"""`tinyts compile` and `tinyts run` (the CLI over tinyts_mlir.compile)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinyts_mlir.cli import main


def test_compile_then_run_on_host_matches_tflm(corpus_dir: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    model = corpus_dir / "mlc_kws_ref_model.tflite"
    out = tmp_path / "kws"
    assert main(["compile", str(model), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "arena" in printed and (out / "tinyts_model.c").is_file()
    x = np.random.default_rng(3).integers(-128, 128, size=(1, 49, 10, 1), dtype=np.int8)
    np.save(tmp_path / "x.npy", x)
    assert main(["run", str(out), "--input", str(tmp_path / "x.npy"),
                 "--output", str(tmp_path / "y.npy"), "--check-tflm", str(model)]) == 0
    assert "TFLite Micro: outputs identical" in capsys.readouterr().out
    assert np.load(tmp_path / "y.npy").shape == (1, 12)


def test_run_on_qemu_prints_the_figures(corpus_dir: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    model = corpus_dir / "tflm_hello_world_int8.tflite"
    out = tmp_path / "hello"
    assert main(["compile", str(model), "-o", str(out)]) == 0
    assert main(["run", str(out), "--on", "qemu", "--check-tflm", str(model)]) == 0
    printed = capsys.readouterr().out
    for figure in ("arena", "peak stack", "peak SRAM", "flash", "executed instr.",
                   "outputs identical"):
        assert figure in printed


def test_run_on_a_folder_that_is_not_compiled(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tmp_path)]) == 1
    assert "has no model.json" in capsys.readouterr().err


def test_wrong_input_shape_is_reported(corpus_dir: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "hello"
    assert main(["compile", str(corpus_dir / "tflm_hello_world_int8.tflite"), "-o", str(out)]) == 0
    np.save(tmp_path / "bad.npy", np.zeros((3, 3), np.int8))
    assert main(["run", str(out), "--input", str(tmp_path / "bad.npy")]) == 1
    assert "must be int8 with shape [1, 1]" in capsys.readouterr().err
