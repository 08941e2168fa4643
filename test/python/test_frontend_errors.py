"""Unsupported models and malformed files give clear TFLiteImportError messages, never crashes."""
from __future__ import annotations

import numpy as np
import pytest

from frontend_testlib import CORPUS, FIXTURES
from tinyts_mlir.frontend import TFLiteImportError, import_tflite

GOOD = FIXTURES / "conv_same_relu.tflite"


def test_error_is_a_value_error():
    assert issubclass(TFLiteImportError, ValueError)


def test_lstm_rejected():
    with pytest.raises(TFLiteImportError, match=r"operator #0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): recurrent"):
        import_tflite(CORPUS / "unsupported" / "tflm_trained_lstm_int8.tflite")


def test_svdf_int16_rejected():
    with pytest.raises(TFLiteImportError) as e:
        import_tflite(CORPUS / "unsupported" / "tflm_keyword_scrambled_8bit.tflite")
    msg = str(e.value)
    assert ("SVDF" in msg and "operator #" in msg) or "INT16" in msg


@pytest.mark.parametrize("path", sorted((CORPUS / "unsupported").glob("*.tflite")), ids=lambda p: p.stem)
def test_every_unsupported_model_rejected(path):
    with pytest.raises(TFLiteImportError, match=r"operator #\d+ \(\w+\): "):
        import_tflite(path)


def test_float32_model_rejected():
    with pytest.raises(TFLiteImportError,
                       match=r"operator #0 \(CONV_2D\): .*float \(non-quantized\) models are not supported"):
        import_tflite(FIXTURES / "float32_conv.tflite")


def test_empty_file():
    with pytest.raises(TFLiteImportError, match="not a TFLite model: file is only 0 bytes"):
        import_tflite(b"")


def test_wrong_magic():
    data = bytearray(GOOD.read_bytes())
    data[4:8] = b"XXXX"
    with pytest.raises(TFLiteImportError, match=r"wrong file identifier b'XXXX' \(expected b'TFL3'\)"):
        import_tflite(bytes(data))


def test_missing_file(tmp_path):
    with pytest.raises(TFLiteImportError, match="cannot read"):
        import_tflite(tmp_path / "nope.tflite")


@pytest.mark.parametrize("cut", [8, 16, 64, 200, 600, 1000])
def test_truncated(cut):
    data = GOOD.read_bytes()[:cut]
    with pytest.raises(TFLiteImportError, match=r"corrupt or truncated|not a TFLite|out of range|missing buffer|"
                                                r"constant has|outside the file"):
        import_tflite(data)


@pytest.mark.parametrize("seed", range(8))
def test_random_bytes(seed):
    data = np.random.default_rng(seed).integers(0, 256, size=2048, dtype=np.uint8).tobytes()
    with pytest.raises(TFLiteImportError, match="not a TFLite model"):
        import_tflite(data)


@pytest.mark.parametrize("seed", range(12))
def test_random_bytes_with_magic(seed):
    rng = np.random.default_rng(100 + seed)
    data = bytearray(rng.integers(0, 256, size=4096, dtype=np.uint8).tobytes())
    data[4:8] = b"TFL3"
    with pytest.raises(TFLiteImportError):
        import_tflite(bytes(data))


@pytest.mark.parametrize("seed", range(12))
def test_corrupted_body(seed):
    """Flip bytes inside a valid model: either it still imports or it fails with TFLiteImportError."""
    rng = np.random.default_rng(200 + seed)
    data = bytearray(GOOD.read_bytes())
    for pos in rng.integers(8, len(data), size=16):
        data[pos] = int(rng.integers(0, 256))
    try:
        import_tflite(bytes(data))
    except TFLiteImportError:
        pass
