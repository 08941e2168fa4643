"""Read a .tflite flatbuffer into plain Python objects (one subgraph, static shapes)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import tflite

from .errors import TFLiteImportError

_BUILTIN_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_TENSOR_TYPE_NAMES = {v: k for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}
_NP_DTYPES = {
    tflite.TensorType.INT8: np.int8,
    tflite.TensorType.UINT8: np.uint8,
    tflite.TensorType.INT16: np.int16,
    tflite.TensorType.INT32: np.int32,
    tflite.TensorType.INT64: np.int64,
    tflite.TensorType.FLOAT32: np.float32,
    tflite.TensorType.FLOAT16: np.float16,
    tflite.TensorType.BOOL: np.bool_,
}


@dataclass
class Quant:
    scale: np.ndarray  # float32, 1 or per-channel
    zero_point: np.ndarray  # int64
    axis: int

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str  # TensorType name, e.g. "INT8"
    quant: Optional[Quant]
    data: Optional[np.ndarray]  # constant data (already shaped), None for activations
    dynamic: bool = False

    @property
    def scale(self) -> float:
        assert self.quant is not None
        return float(self.quant.scale[0])

    @property
    def zp(self) -> int:
        assert self.quant is not None
        return int(self.quant.zero_point[0])


@dataclass
class Operator:
    index: int
    name: str
    inputs: list[int]
    outputs: list[int]
    options: Any  # the tflite options object (or None)


@dataclass
class Graph:
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: list[int]
    outputs: list[int]
    description: str = ""
    extra: dict = field(default_factory=dict)


def _load_bytes(path_or_bytes: Union[str, Path, bytes, bytearray, memoryview]) -> bytes:
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        return bytes(path_or_bytes)
    p = Path(path_or_bytes)
    try:
        return p.read_bytes()
    except OSError as e:
        raise TFLiteImportError(f"cannot read {p}: {e.strerror or e}") from e


def _options(op: Any, name: str) -> Any:
    table = op.BuiltinOptions()
    if table is None:
        return None
    cls_name = {
        "CONV_2D": "Conv2DOptions",
        "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
        "FULLY_CONNECTED": "FullyConnectedOptions",
        "ADD": "AddOptions",
        "MUL": "MulOptions",
        "SUB": "SubOptions",
        "AVERAGE_POOL_2D": "Pool2DOptions",
        "MAX_POOL_2D": "Pool2DOptions",
        "MEAN": "ReducerOptions",
        "SOFTMAX": "SoftmaxOptions",
        "CONCATENATION": "ConcatenationOptions",
        "RESIZE_NEAREST_NEIGHBOR": "ResizeNearestNeighborOptions",
        "STRIDED_SLICE": "StridedSliceOptions",
        "PACK": "PackOptions",
        "RESHAPE": "ReshapeOptions",
    }.get(name)
    if cls_name is None or not hasattr(tflite, cls_name):
        return None
    opt = getattr(tflite, cls_name)()
    opt.Init(table.Bytes, table.Pos)
    return opt


def read_model(path_or_bytes: Union[str, Path, bytes]) -> Graph:
    """Parse a .tflite file; raise TFLiteImportError on anything malformed."""
    buf = _load_bytes(path_or_bytes)
    if len(buf) < 8:
        raise TFLiteImportError(f"not a TFLite model: file is only {len(buf)} bytes")
    if buf[4:8] != b"TFL3":
        raise TFLiteImportError(
            f"not a TFLite model: wrong file identifier {bytes(buf[4:8])!r} (expected b'TFL3')")
    try:
        return _read(buf)
    except TFLiteImportError:
        raise
    except Exception as e:  # flatbuffers raises all sorts on corrupt input
        raise TFLiteImportError(
            f"corrupt or truncated TFLite file ({len(buf)} bytes): {type(e).__name__}: {e}") from e


def _read(buf: bytes) -> Graph:
    model = tflite.Model.GetRootAsModel(buf, 0)
    nsub = model.SubgraphsLength()
    if nsub != 1:
        raise TFLiteImportError(f"model has {nsub} subgraphs; only single-subgraph models are supported")
    sg = model.Subgraphs(0)
    nbuf = model.BuffersLength()

    tensors: list[Tensor] = []
    for ti in range(sg.TensorsLength()):
        t = sg.Tensors(ti)
        raw_name = t.Name()
        name = raw_name.decode("utf-8", "replace") if raw_name else f"tensor_{ti}"
        shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() > 0 else ()
        sig = tuple(int(d) for d in t.ShapeSignatureAsNumpy()) if t.ShapeSignatureLength() > 0 else ()
        if any(d < 0 for d in shape[1:]) or (shape and shape[0] < -1) or len(shape) > 8:
            raise TFLiteImportError(f"tensor {ti} ({name}) has an invalid shape {list(shape)}")
        dynamic = any(d < 0 for d in shape) or any(d < 0 for d in sig[1:])
        ttype = t.Type()
        dtype = _TENSOR_TYPE_NAMES.get(ttype, f"type{ttype}")
        q = t.Quantization()
        quant = None
        if q is not None and q.ScaleLength() > 0:
            quant = Quant(np.asarray(q.ScaleAsNumpy(), dtype=np.float32),
                          np.asarray(q.ZeroPointAsNumpy(), dtype=np.int64),
                          int(q.QuantizedDimension()))
        data = None
        bi = t.Buffer()
        if bi < 0 or bi >= nbuf:
            raise TFLiteImportError(f"tensor {ti} ({name}) refers to missing buffer {bi}")
        if bi > 0:
            b = model.Buffers(bi)
            raw = None
            if b.DataLength() > 0:
                raw = b.DataAsNumpy().tobytes()
            elif b.Offset() > 1:
                off, size = int(b.Offset()), int(b.Size())
                if off + size > len(buf):
                    raise TFLiteImportError(f"tensor {ti} ({name}): buffer outside the file")
                raw = buf[off:off + size]
            if raw is not None:
                npdt = _NP_DTYPES.get(ttype)
                if npdt is None:
                    raise TFLiteImportError(f"tensor {ti} ({name}): constant of unsupported type {dtype}")
                arr = np.frombuffer(raw, dtype=npdt)
                n = int(np.prod(shape)) if shape else 1
                if arr.size != n:
                    raise TFLiteImportError(
                        f"tensor {ti} ({name}): constant has {arr.size} elements, shape {list(shape)} needs {n}")
                data = arr.reshape(shape).copy()
        tensors.append(Tensor(ti, name, shape, dtype, quant, data, dynamic))

    operators: list[Operator] = []
    ncodes = model.OperatorCodesLength()
    for oi in range(sg.OperatorsLength()):
        op = sg.Operators(oi)
        ci = op.OpcodeIndex()
        if ci >= ncodes:
            raise TFLiteImportError(f"operator #{oi}: opcode index {ci} out of range")
        oc = model.OperatorCodes(ci)
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        name = _BUILTIN_NAMES.get(code, f"BUILTIN_{code}")
        if code == tflite.BuiltinOperator.CUSTOM:
            cc = oc.CustomCode()
            name = f"CUSTOM({cc.decode('utf-8', 'replace') if cc else '?'})"
        ins = [int(x) for x in op.InputsAsNumpy()] if op.InputsLength() > 0 else []
        outs = [int(x) for x in op.OutputsAsNumpy()] if op.OutputsLength() > 0 else []
        for x in ins + outs:
            if x >= len(tensors):
                raise TFLiteImportError(f"operator #{oi} ({name}): tensor index {x} out of range")
        operators.append(Operator(oi, name, ins, outs, _options(op, name)))

    inputs = [int(x) for x in sg.InputsAsNumpy()] if sg.InputsLength() > 0 else []
    outputs = [int(x) for x in sg.OutputsAsNumpy()] if sg.OutputsLength() > 0 else []
    for x in inputs + outputs:
        if x < 0 or x >= len(tensors):
            raise TFLiteImportError(f"subgraph input/output tensor index {x} out of range")
    desc = model.Description()
    return Graph(tensors, operators, inputs, outputs, desc.decode("utf-8", "replace") if desc else "")
