"""`tinyts import` subcommand (frontend/cli.py, wired into tinyts_mlir.cli by the lead)."""
from __future__ import annotations

import argparse

from frontend_testlib import CORPUS, FIXTURES
from tinyts_mlir.frontend.cli import add_import_subcommand


def run(argv):
    parser = argparse.ArgumentParser(prog="tinyts")
    add_import_subcommand(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_text_output(tmp_path):
    out = tmp_path / "m.mlir"
    assert run(["import", str(FIXTURES / "pad.tflite"), "-o", str(out)]) == 0
    text = out.read_text()
    assert "func.func @main" in text and "tosa.pad" in text


def test_bytecode_roundtrip(tmp_path):
    from mlir import ir

    out = tmp_path / "m.mlirbc"
    assert run(["import", str(FIXTURES / "conv_same_relu.tflite"), "-o", str(out), "--bytecode"]) == 0
    data = out.read_bytes()
    assert data[:4] == b"ML\xefR"
    with ir.Context():
        m = ir.Module.parse(data)
        assert "tosa.conv2d" in str(m)


def test_error_exit_code(tmp_path, capsys):
    rc = run(["import", str(CORPUS / "unsupported" / "tflm_trained_lstm_int8.tflite"), "-o", str(tmp_path / "x")])
    assert rc == 1
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in capsys.readouterr().err
