"""TFLite flatbuffer → func.func @main in TOSA 1.0 (MLIR 22)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

import numpy as np
from mlir import ir
from mlir.dialects import func

from . import ops_conv, ops_elementwise, ops_lut, ops_misc, ops_softmax  # noqa: F401  (register converters)
from .builder import Emitter
from .context import CONVERTERS, ImportContext
from .errors import TFLiteImportError, op_error
from .reader import Graph, read_model

_UNSUPPORTED_WHY = {
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "recurrent operators (LSTM) are not supported by this CNN compiler",
    "BIDIRECTIONAL_SEQUENCE_LSTM": "recurrent operators (LSTM) are not supported by this CNN compiler",
    "LSTM": "recurrent operators (LSTM) are not supported by this CNN compiler",
    "SVDF": "recurrent operators (SVDF) are not supported by this CNN compiler",
    "RNN": "recurrent operators (RNN) are not supported by this CNN compiler",
}


def _check_graph(g: Graph) -> None:
    for idx in g.inputs:
        t = g.tensors[idx]
        if t.dynamic:
            raise TFLiteImportError(
                f"model input tensor {idx} ({t.name}) has a dynamic shape: only static shapes are supported "
                "(a dynamic batch dimension is imported as 1)")
    for op in g.operators:
        if op.name in _UNSUPPORTED_WHY:
            raise op_error(op.index, op.name, _UNSUPPORTED_WHY[op.name])
        if op.name not in CONVERTERS:
            raise op_error(op.index, op.name, "operator is not supported")
    for idx in g.inputs + g.outputs:
        t = g.tensors[idx]
        if t.dtype not in ("INT8", "FLOAT32"):
            raise TFLiteImportError(
                f"model input/output tensor {idx} ({t.name}) has type {t.dtype}: only int8 (or float32 around "
                "QUANTIZE/DEQUANTIZE) is supported")


def _io_attrs(cx: ImportContext, idx: int) -> ir.DictAttr:
    t = cx.t(idx)
    d = {"tinyts.name": ir.StringAttr.get(t.name)}
    if t.dtype == "FLOAT32":
        # Float I/O around an int8 graph: record the quantization of the int8 tensor behind the
        # QUANTIZE (input) / DEQUANTIZE (output) so the C API can document it.
        d["tinyts.float_io"] = ir.UnitAttr.get()
        for op in cx.graph.operators:
            if op.name == "QUANTIZE" and op.inputs[0] == idx:
                t = cx.t(op.outputs[0])
            elif op.name == "DEQUANTIZE" and op.outputs[0] == idx:
                t = cx.t(op.inputs[0])
    if t.quant is not None:
        d["tinyts.scale"] = ir.FloatAttr.get(ir.F32Type.get(), float(t.scale))
        d["tinyts.zero_point"] = ir.IntegerAttr.get(ir.IntegerType.get_signless(32), t.zp)
    return ir.DictAttr.get(d)


def import_tflite(path_or_bytes: Union[str, Path, bytes], context: Optional[ir.Context] = None) -> ir.Module:
    """Import a .tflite model as an MLIR module holding one TOSA `func.func @main`.

    Raises TFLiteImportError for malformed files and anything outside the supported int8 CNN subset.
    """
    g = read_model(path_or_bytes)
    _check_graph(g)
    try:
        return _build(g, context)
    except TFLiteImportError:
        raise
    except Exception as e:  # malformed but parseable files (bad shapes, inconsistent tensors, ...)
        raise TFLiteImportError(f"cannot import model: {type(e).__name__}: {e}") from e


def _build(g: Graph, context: Optional[ir.Context]) -> ir.Module:
    ctx = context if context is not None else ir.Context()
    with ctx, ir.Location.unknown():
        module = ir.Module.create()
        em = Emitter()
        cx = ImportContext(g, em)
        for idx in g.inputs:
            if g.tensors[idx].dtype == "FLOAT32":
                consumers = [op for op in g.operators if idx in op.inputs]
                if any(op.name != "QUANTIZE" for op in consumers):
                    bad = next(op for op in consumers if op.name != "QUANTIZE")
                    raise op_error(bad.index, bad.name,
                                   "float32 input: float (non-quantized) models are not supported, only int8")
        in_types = [em.tt(cx.shape(i), cx.elt(g.operators[0] if g.operators else None, g.tensors[i]))
                    for i in g.inputs]
        out_types = [em.tt(cx.shape(i), cx.elt(g.operators[0] if g.operators else None, g.tensors[i]))
                     for i in g.outputs]
        with ir.InsertionPoint(module.body):
            fn = func.FuncOp("main", ir.FunctionType.get(in_types, out_types))
            fn.arg_attrs = ir.ArrayAttr.get([_io_attrs(cx, i) for i in g.inputs])
            fn.result_attrs = ir.ArrayAttr.get([_io_attrs(cx, i) for i in g.outputs])
            block = fn.add_entry_block()
        with ir.InsertionPoint(block):
            for idx, arg in zip(g.inputs, block.arguments):
                cx.set(idx, arg)
            for op in g.operators:
                try:
                    CONVERTERS[op.name](cx, op)
                except TFLiteImportError:
                    raise
                except Exception as e:
                    raise op_error(op.index, op.name, f"conversion failed: {type(e).__name__}: {e}") from e
            outs = []
            for idx in g.outputs:
                if idx not in cx.values:
                    raise TFLiteImportError(f"model output tensor {idx} ({g.tensors[idx].name}) is never computed")
                outs.append(cx.values[idx])
            func.ReturnOp(outs)
        fn.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(in_types, [v.type for v in outs]))
        try:
            module.operation.verify()
        except ir.MLIRError as e:
            raise TFLiteImportError(f"internal error: generated IR does not verify: {e}") from e
    return module
