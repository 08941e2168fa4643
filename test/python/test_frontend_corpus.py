"""Every supported corpus model imports, validates as strict TOSA, and IREE == TFLite Micro."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from frontend_testlib import CORPUS, assert_iree_matches_tflm, validate
from tinyts_mlir.frontend import import_tflite

MODELS = sorted(CORPUS.glob("*.tflite"))
IDS = [p.stem for p in MODELS]
# IREE compiles of these take more than ~10 s here.
HEAVY = {"tinyengine_mcunetv2_large", "tinyengine_vww", "gen_mobilenetv2_a035_96", "mlc_vww_96_int8",
         "tflm_person_detect", "mlc_pretrainedResnet_quant"}


def test_corpus_present():
    assert len(MODELS) >= 9, f"corpus not found under {CORPUS}"


@pytest.mark.parametrize("path", MODELS, ids=IDS)
def test_corpus_imports_and_validates(path: Path):
    module = import_tflite(path)
    validate(module)


def test_largest_model_imports_fast():
    path = CORPUS / "tinyengine_mcunetv2_large.tflite"
    t0 = time.perf_counter()
    import_tflite(path)
    elapsed = time.perf_counter() - t0
    assert elapsed < 10.0, f"import took {elapsed:.2f} s"


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=pytest.mark.slow) if p.stem in HEAVY else p for p in MODELS],
    ids=IDS,
)
def test_corpus_iree_matches_tflm(path: Path):
    assert_iree_matches_tflm(str(path), n=3)
