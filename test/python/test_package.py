"""The tinyts_mlir package: dialect/pass registration, pipelines, EmitC."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest
from mlir import ir
from mlir.passmanager import PassManager

import tinyts_mlir
from tinyts_mlir.emitc import TranslationError

CONV_TOSA = """
func.func @f(%arg0: tensor<1x8x8x3xi8>) -> tensor<1x8x8x4xi8> {
  %w = "tosa.const"() {values = dense<1> : tensor<4x3x3x3xi8>} : () -> tensor<4x3x3x3xi8>
  %b = "tosa.const"() {values = dense<10> : tensor<4xi32>} : () -> tensor<4xi32>
  %izp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %wzp = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %0 = tosa.conv2d %arg0, %w, %b, %izp, %wzp {acc_type = i32, dilation = array<i64: 1, 1>,
         pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>}
       : (tensor<1x8x8x3xi8>, tensor<4x3x3x3xi8>, tensor<4xi32>, tensor<1xi8>, tensor<1xi8>)
       -> tensor<1x8x8x4xi32>
  %m = "tosa.const"() {values = dense<1073741824> : tensor<4xi32>} : () -> tensor<4xi32>
  %s = "tosa.const"() {values = dense<40> : tensor<4xi8>} : () -> tensor<4xi8>
  %rizp = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %rozp = "tosa.const"() {values = dense<-128> : tensor<1xi8>} : () -> tensor<1xi8>
  %1 = tosa.rescale %0, %m, %s, %rizp, %rozp {scale32 = true, rounding_mode = DOUBLE_ROUND,
         per_channel = true, input_unsigned = false, output_unsigned = false}
       : (tensor<1x8x8x4xi32>, tensor<4xi32>, tensor<4xi8>, tensor<1xi32>, tensor<1xi8>)
       -> tensor<1x8x8x4xi8>
  %2 = tosa.clamp %1 {min_val = -128 : i8, max_val = 127 : i8}
       : (tensor<1x8x8x4xi8>) -> tensor<1x8x8x4xi8>
  return %2 : tensor<1x8x8x4xi8>
}
"""

AVG_POOL = """
func.func @pool(%in: tensor<1x3x3x8xi8>) -> tensor<1x1x1x8xi8> {
  %init = tensor.empty() : tensor<1x1x1x8xi8>
  %0 = tinyts.avg_pool2d %in outs(%init : tensor<1x1x1x8xi8>) kernel [3, 3] stride [3, 3] pad [0, 0, 0, 0]
         clamp(-128, 127) : tensor<1x3x3x8xi8> -> tensor<1x1x1x8xi8>
  return %0 : tensor<1x1x1x8xi8>
}
"""


def test_dialect_in_every_new_context() -> None:
    for _ in range(3):
        with ir.Context() as ctx:
            assert ctx.dialects["tinyts"] is not None
            module = ir.Module.parse(AVG_POOL)
            assert module.operation.verify()
            assert "tinyts.avg_pool2d" in str(module)


def test_contexts_are_independent() -> None:
    first = ir.Context()
    second = ir.Context()
    with first:
        m1 = ir.Module.parse(AVG_POOL)
    with second:
        m2 = ir.Module.parse(AVG_POOL)
    assert m1.context is not m2.context
    assert str(m1) == str(m2)


def test_verifier_error_reaches_python() -> None:
    bad = AVG_POOL.replace("kernel [3, 3]", "kernel [3]")
    with ir.Context():
        with pytest.raises(ir.MLIRError, match=r"expects 'kernel' to have 2 values"):
            ir.Module.parse(bad)


def test_raise_kernels_pipeline_from_python() -> None:
    with ir.Context():
        module = ir.Module.parse(CONV_TOSA)
        pm = PassManager.parse("builtin.module(tinyts-raise-kernels, canonicalize)")
        pm.run(module.operation)
        text = str(module)
    assert "tinyts.conv2d" in text
    assert "requant([1073741824, 1073741824, 1073741824, 1073741824], [-9, -9, -9, -9])" in text
    assert "tosa.conv2d" not in text and "tosa.rescale" not in text


def test_unknown_pass_is_a_clear_error() -> None:
    with ir.Context():
        with pytest.raises(ValueError, match="tinyts-no-such-pass"):
            PassManager.parse("builtin.module(tinyts-no-such-pass)")


EMITC_ADD = """
func.func @tinyts_add_i32(%a: i32, %b: i32) -> i32 {
  %0 = emitc.add %a, %b : (i32, i32) -> i32
  return %0 : i32
}
"""


def test_translate_to_c_compiles_and_runs(tmp_path: Path) -> None:
    with ir.Context():
        module = ir.Module.parse(EMITC_ADD)
        source = tinyts_mlir.translate_to_c(module)
    assert "int32_t tinyts_add_i32(int32_t" in source
    cc = shutil.which("cc") or shutil.which("gcc")
    assert cc, "a host C compiler is needed"
    c_file = tmp_path / "add.c"
    c_file.write_text("#include <stdint.h>\n" + source)
    lib = tmp_path / "libadd.so"
    subprocess.run([cc, "-std=c99", "-Wall", "-Werror", "-shared", "-fPIC", "-o", str(lib),
                    str(c_file)], check=True)
    fn = ctypes.CDLL(str(lib)).tinyts_add_i32
    fn.restype = ctypes.c_int32
    fn.argtypes = [ctypes.c_int32, ctypes.c_int32]
    assert fn(40, 2) == 42
    assert fn(-7, 3) == -4


def test_translate_to_c_reports_unsupported_ops() -> None:
    with ir.Context():
        module = ir.Module.parse(CONV_TOSA)
        with pytest.raises(TranslationError, match="tosa"):
            tinyts_mlir.translate_to_c(module)


def _opt(*args: str) -> str:
    exe = Path(sysconfig.get_path("scripts")) / "tinyts-opt"
    assert exe.exists(), "`pip install -e .` must put tinyts-opt in the environment's bin"
    return subprocess.run([str(exe), *args], check=True, capture_output=True, text=True).stdout


def test_tinyts_opt_lists_dialects() -> None:
    out = _opt("--show-dialects")
    for dialect in ("tinyts", "tosa", "linalg", "bufferization", "emitc"):
        assert dialect in out.replace(",", " ").split(), dialect


def test_tinyts_opt_help_lists_passes() -> None:
    out = _opt("--help")
    assert "--tinyts-raise-kernels" in out
    assert "Raise the TOSA encodings of TFLite's int8 kernels" in out
    assert "--tinyts-plan-memory" in out and "--tinyts-lower-to-emitc" in out
