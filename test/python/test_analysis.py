"""tinyts_mlir.analysis.count_macs: MACs from the IR equal MACs from the .tflite graph."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from mlir import ir

import tinyts_mlir  # noqa: F401  (dialect and passes registered)
from tinyts_mlir.analysis import MacCount, count_macs, count_macs_raised
from tinyts_mlir.frontend import import_tflite

CORPUS_DIR = Path(__file__).resolve().parents[3] / "shared" / "models"

CORPUS = sorted(p.stem for p in CORPUS_DIR.glob("*.tflite"))


def _tflite_macs(path: Path) -> dict[str, int]:
    """MACs per kind, read independently from the flatbuffer with the `tflite` reader."""
    import tflite

    model = tflite.Model.GetRootAsModel(path.read_bytes(), 0)
    sg = model.Subgraphs(0)

    def shape(i: int) -> list[int]:
        return [int(d) for d in sg.Tensors(i).ShapeAsNumpy()]

    out = {"conv2d": 0, "depthwise_conv2d": 0, "fully_connected": 0}
    for k in range(sg.OperatorsLength()):
        op = sg.Operators(k)
        code = model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        ins, res = op.InputsAsNumpy(), shape(op.Outputs(0))
        if builtin == tflite.BuiltinOperator.CONV_2D:
            oc, kh, kw, ic = shape(ins[1])
            out["conv2d"] += math.prod(res) * kh * kw * ic
        elif builtin == tflite.BuiltinOperator.DEPTHWISE_CONV_2D:
            _, kh, kw, _ = shape(ins[1])
            out["depthwise_conv2d"] += math.prod(res) * kh * kw
        elif builtin == tflite.BuiltinOperator.FULLY_CONNECTED:
            n_out, n_in = shape(ins[1])
            out["fully_connected"] += math.prod(res) * n_in
        elif builtin == tflite.BuiltinOperator.BATCH_MATMUL:
            raise NotImplementedError("BATCH_MATMUL not counted by this test")
    return out


def _ir_macs_by_kind(count: MacCount) -> dict[str, int]:
    out = {"conv2d": 0, "depthwise_conv2d": 0, "fully_connected": 0}
    for name, macs in count.by_op_name.items():
        kind = name.split(".", 1)[1]
        if kind == "matmul":
            kind = "fully_connected"
        if macs:
            out[kind] += macs
    return out


@pytest.mark.parametrize("name", CORPUS)
def test_ir_macs_equal_tflite_graph_macs(name: str) -> None:
    path = CORPUS_DIR / f"{name}.tflite"
    module = import_tflite(path)
    with module.context:
        count = count_macs(module)
    expected = _tflite_macs(path)
    got = _ir_macs_by_kind(count)
    # The importer may express a FULLY_CONNECTED as a 1x1 conv (micro_speech):
    # compare dense (conv + fc) and depthwise MACs, and the total.
    assert got["depthwise_conv2d"] == expected["depthwise_conv2d"]
    assert (got["conv2d"] + got["fully_connected"]
            == expected["conv2d"] + expected["fully_connected"])
    assert count.total == sum(expected.values()) > 0


def test_corpus_is_present() -> None:
    assert len(CORPUS) >= 10, CORPUS


def test_module_not_modified_and_raised_form_counts_the_same() -> None:
    module = import_tflite(CORPUS_DIR / "mlc_kws_ref_model.tflite")
    with module.context:
        before = str(module)
        count = count_macs(module)
        assert str(module) == before
        assert not any(o.op.startswith("tinyts.") for o in count_macs_raised(module).per_op)
        from mlir.passmanager import PassManager
        from tinyts_mlir.pipeline import RAISE_PIPELINE

        PassManager.parse(RAISE_PIPELINE).run(module.operation)
        assert count_macs(module, raise_kernels=False) == count
    # Per-op list: each conv names its op, elementwise kernels report 0 MACs.
    assert count.per_op[0].op == "tinyts.conv2d"
    assert count.elementwise_ops == {"tinyts.avg_pool2d": 64, "tinyts.softmax": 12}


_SMALL = """
func.func @f(%a: tensor<1x4x8xi8>, %b: tensor<1x8x3xi8>, %x: tensor<1x6x6x2xi8>,
             %w: tensor<5x3x3x2xi8>, %dw: tensor<3x3x2x2xi8>, %bias: tensor<5xi32>,
             %bias4: tensor<4xi32>)
    -> (tensor<1x4x3xi32>, tensor<1x4x4x5xi32>, tensor<1x4x4x4xi32>) {
  %zp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %m = tosa.matmul %a, %b, %zp, %zp : (tensor<1x4x8xi8>, tensor<1x8x3xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x3xi32>
  %c = tosa.conv2d %x, %w, %bias, %zp, %zp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x6x6x2xi8>, tensor<5x3x3x2xi8>, tensor<5xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x5xi32>
  %d = tosa.depthwise_conv2d %x, %dw, %bias4, %zp, %zp {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x6x6x2xi8>, tensor<3x3x2x2xi8>, tensor<4xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x4xi32>
  return %m, %c, %d : tensor<1x4x3xi32>, tensor<1x4x4x5xi32>, tensor<1x4x4x4xi32>
}
"""


def test_unraised_tosa_ops_are_counted() -> None:
    with ir.Context():
        module = ir.Module.parse(_SMALL)
        count = count_macs(module, raise_kernels=False)
    assert count.by_op_name == {
        "tosa.matmul": 1 * 4 * 3 * 8,
        "tosa.conv2d": 4 * 4 * 5 * 3 * 3 * 2,
        "tosa.depthwise_conv2d": 4 * 4 * 4 * 3 * 3,
    }
