"""Helpers to check runtime/ kernels against TFLite Micro, layer by layer.

* ``build_runtime(dirname)`` compiles runtime/src/*.c for the host into a
  shared library and loads it with ctypes.
* ``quantize_multiplier`` reproduces TFLite's QuantizeMultiplier (frexp,
  round half away from zero, 31-bit clamp) for the test code.
* ``ModelUnderTest`` runs a .tflite model in the TFLite Micro interpreter
  (PyPI ``tflite-micro``) with ``kPreserveAllTensors`` so that every
  intermediate tensor can be read back with ``GetTensor``, and describes each
  operator (type, options, tensors, quantization) from the flatbuffer read by
  the PyPI ``tflite`` package.
* ``run_layer`` calls our kernel for one operator on TFLM's own input tensors
  and returns our output, to be compared byte for byte with TFLM's output.
  With ``rows`` the windowed layers (conv, depthwise, pools) call the
  ``_rows`` kernels instead, on an input whose rows sit at scattered,
  non-uniform addresses (``ScatteredBuf``) passed as a row-pointer table.
"""

from __future__ import annotations

import ctypes
import glob
import hashlib
import math
import os
import subprocess
import tempfile
from dataclasses import dataclass

import numpy as np
import tflite
from tflite.BuiltinOperator import BuiltinOperator

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUNTIME_DIR = os.path.join(REPO_ROOT, "runtime")
MODELS_DIR = os.path.abspath(os.path.join(REPO_ROOT, "..", "shared", "models"))

OP_NAMES = {v: k for k, v in BuiltinOperator.__dict__.items() if not k.startswith("_")}

# --------------------------------------------------------------------------
# Building the runtime for the host
# --------------------------------------------------------------------------

_P = ctypes.c_void_p
_I = ctypes.c_int32
_F = ctypes.c_float

_SIGNATURES = {
    "tinyts_requantize": [_I, _I, _I],
    "tinyts_conv2d_s8": [_P, _I, _I, _I, _I, _I, _P, _P, _P, _I, _I, _I, _I, _I]
    + [_I] * 8 + [_I, _I, _P, _P, _I, _I, _P],
    "tinyts_depthwise_conv2d_s8": [_P, _I, _I, _I, _I, _I, _P, _P, _P, _I, _I, _I, _I, _I]
    + [_I] * 8 + [_I, _I, _P, _P, _I, _I],
    "tinyts_conv2d_rows_s8": [_P, _I, _I, _I, _I, _P, _P, _P, _I, _I, _I, _I, _I]
    + [_I] * 8 + [_I, _I, _P, _P, _I, _I, _P],
    "tinyts_depthwise_conv2d_rows_s8": [_P, _I, _I, _I, _I, _P, _P, _P, _I, _I, _I, _I, _I]
    + [_I] * 8 + [_I, _I, _P, _P, _I, _I],
    "tinyts_conv2d_prepare_s8": [_P, _P, _P, _I, _I, _P],
    "tinyts_depthwise_conv2d_prepare_s8": [_P, _P, _P, _P, _I, _I, _I, _I, _P],
    "tinyts_fully_connected_s8": [_P, _I, _I, _I, _P, _P, _P, _I, _I, _I, _I, _I, _P, _P, _I, _I, _I],
    "tinyts_add_s8": [_P, _I, _I, _I, _P, _I, _I, _I, _P, _I, _I, _I, _I, _I] + [_I] * 12,
    "tinyts_mul_s8": [_P, _I, _I, _I, _P, _I, _I, _I, _P, _I, _I, _I, _I, _I] + [_I] * 7,
    "tinyts_avg_pool2d_s8": [_P, _I, _I, _I, _I, _I, _P] + [_I] * 12,
    "tinyts_max_pool2d_s8": [_P, _I, _I, _I, _I, _I, _P] + [_I] * 12,
    "tinyts_avg_pool2d_rows_s8": [_P, _I, _I, _I, _I, _P] + [_I] * 12,
    "tinyts_max_pool2d_rows_s8": [_P, _I, _I, _I, _I, _P] + [_I] * 12,
    "tinyts_mean_s8": [_P, _I, _I, _I, _I, _I, _I, _I, _I, _P, _I, _I, _I, _I],
    "tinyts_softmax_s8": [_P, _I, _I, _I, _P, _I, _I, _I, _I],
    "tinyts_pad_s8": [_P, _I, _I, _I, _I, _I, _P] + [_I] * 8 + [ctypes.c_int8],
    "tinyts_concat_channels_s8": [_P, _I, _I, _I, _I, _I, _P, _I, _I, _I],
    "tinyts_transpose_s8": [_P, _P, _I, _P, _P],
    "tinyts_resize_nearest_s8": [_P, _I, _I, _I, _I, _I, _P, _I, _I, _I, _I],
    "tinyts_quantize_f32_s8": [_P, _P, _I, _F, _I],
    "tinyts_dequantize_s8_f32": [_P, _P, _I, _F, _I],
}


# The prepared-layer variants: the base kernel's arguments, then `prep`.
for _base in ("tinyts_conv2d", "tinyts_depthwise_conv2d"):
    _SIGNATURES[_base + "_prep_s8"] = _SIGNATURES[_base + "_s8"] + [_P]
    _SIGNATURES[_base + "_prep_rows_s8"] = _SIGNATURES[_base + "_rows_s8"] + [_P]
_PREPARE_RESTYPE = {"tinyts_requantize", "tinyts_conv2d_prepare_s8",
                    "tinyts_depthwise_conv2d_prepare_s8"}


def runtime_sources():
    return sorted(glob.glob(os.path.join(RUNTIME_DIR, "src", "*.c")))


def build_runtime(out_dir: str, cc: str = "cc") -> ctypes.CDLL:
    """Compile runtime/ into a host shared library (cached by source hash)."""
    srcs = runtime_sources()
    hdrs = sorted(glob.glob(os.path.join(RUNTIME_DIR, "src", "*.h"))) + sorted(
        glob.glob(os.path.join(RUNTIME_DIR, "include", "*.h")))
    h = hashlib.sha256()
    for f in srcs + hdrs:
        with open(f, "rb") as fh:
            h.update(f.encode() + fh.read())
    lib_path = os.path.join(out_dir, f"libtinyts_{h.hexdigest()[:16]}.so")
    if not os.path.exists(lib_path):
        cmd = [cc, "-std=c99", "-O2", "-shared", "-fPIC", "-ffp-contract=off",
               "-Wall", "-Wextra", "-Werror",
               "-I", os.path.join(RUNTIME_DIR, "include"), *srcs, "-o", lib_path + ".tmp"]
        subprocess.run(cmd, check=True)
        os.replace(lib_path + ".tmp", lib_path)
    lib = ctypes.CDLL(lib_path)
    for name, argtypes in _SIGNATURES.items():
        fn = getattr(lib, name, None)
        if fn is None:
            continue
        fn.argtypes = argtypes
        fn.restype = _I if name in _PREPARE_RESTYPE else None
    return lib


_HOST_LIB: list = []


def _host_lib() -> ctypes.CDLL:
    """The runtime built for this host (cached), for preparing layers."""
    if not _HOST_LIB:
        d = os.path.join(tempfile.gettempdir(), f"tinyts_kernel_harness_{os.getuid()}")
        os.makedirs(d, exist_ok=True)
        _HOST_LIB.append(build_runtime(d))
    return _HOST_LIB[0]


def _ptr(a):
    return None if a is None else ctypes.c_void_p(a.ctypes.data)


def prepare_layer(depthwise: bool, w: np.ndarray, bias, mult: np.ndarray, shift: np.ndarray,
                  out_c: int, kh: int, kw: int, output_offset: int):
    """The layer's prep array as tinyts-lower-to-emitc computes it on the
    compiling host (the runtime's *_prepare_s8 run here through ctypes), or
    None when the kernel shape takes no prepared path."""
    lib = _host_lib()
    w = np.ascontiguousarray(w, np.int8)
    b = None if bias is None else np.ascontiguousarray(bias, np.int32)
    m = np.ascontiguousarray(mult, np.int32)
    sh = np.ascontiguousarray(shift, np.int32)
    if depthwise:
        out = np.zeros((out_c // 4) * (17 + 2 * kh * kw) + 1, np.int32)
        n = lib.tinyts_depthwise_conv2d_prepare_s8(_ptr(w), _ptr(b), _ptr(m), _ptr(sh), out_c,
                                                   kh, kw, output_offset, _ptr(out))
    else:
        out = np.zeros(1 + (min(out_c, 256) + 31) // 32, np.int32)
        n = lib.tinyts_conv2d_prepare_s8(_ptr(w), _ptr(b), _ptr(sh), out_c, w.size // out_c,
                                         _ptr(out))
    return out[:n].copy() if n > 0 else None


# --------------------------------------------------------------------------
# TFLite quantization arithmetic (test-side, mirrors TFLite Micro)
# --------------------------------------------------------------------------

def _round_half_away(x: float) -> int:
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier: real = m * 2^(shift - 31), m in [2^30, 2^31)."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = _round_half_away(q * float(1 << 31))
    assert abs(q_fixed) <= (1 << 31)
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    if shift > 30:
        shift, q_fixed = 30, (1 << 31) - 1
    return int(q_fixed), int(shift)


def mean_params(n: int, in_scale: float, out_scale: float) -> tuple[int, int]:
    """TFLite Micro's int8 MEAN: QuantizeMultiplier(s_in / s_out) with 1/n
    folded in as (q << k) / n, shift - k (k as large as the 64-bit product
    allows).  Test-side mirror (no tinyts_mlir import, so running the kernel
    tests never triggers the package's native rebuild)."""
    q, e = quantize_multiplier(float(np.float32(in_scale)) / float(np.float32(out_scale)))
    k = min(int(n).bit_length() - 1, 32, 31 + e)
    return int((q << k) // n), e - k


def activation_range(act: int, scale: float, zp: int) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for int8 (float arithmetic as TFLite)."""
    def q(f):
        return zp + _round_half_away(float(np.float32(f) / np.float32(scale)))
    lo, hi = -128, 127
    if act == 1:  # RELU
        lo = max(lo, q(0.0))
    elif act == 2:  # RELU_N1_TO_1
        lo, hi = max(lo, q(-1.0)), min(hi, q(1.0))
    elif act == 3:  # RELU6
        lo, hi = max(lo, q(0.0)), min(hi, q(6.0))
    elif act != 0:
        raise NotImplementedError(f"fused activation {act}")
    return lo, hi


def softmax_params(beta: float, input_scale: float, integer_bits: int = 5):
    """PreprocessSoftmaxScaling + CalculateInputRadius (double rounding build)."""
    real = min(float(np.float32(beta)) * float(np.float32(input_scale)) * float(1 << (31 - integer_bits)),
               float((1 << 31) - 1))
    mult, shift = quantize_multiplier(real)
    assert shift >= 0
    max_in = 1.0 * ((1 << integer_bits) - 1) * float(1 << (31 - integer_bits)) / float(1 << shift)
    return mult, shift, -int(math.floor(max_in))


def compute_padding(stride, dil, in_size, k, out_size):
    """TFLite's ComputePaddingWithOffset: (leading padding)."""
    eff = (k - 1) * dil + 1
    total = max((out_size - 1) * stride + eff - in_size, 0)
    return total // 2


# --------------------------------------------------------------------------
# Model description + TFLM run
# --------------------------------------------------------------------------

@dataclass
class TensorInfo:
    index: int
    shape: tuple
    dtype: int
    scales: np.ndarray  # float32
    zero_points: np.ndarray
    is_const: bool

    @property
    def scale(self) -> float:
        return float(self.scales[0])

    @property
    def zp(self) -> int:
        return int(self.zero_points[0]) if len(self.zero_points) else 0


@dataclass
class OpInfo:
    index: int
    name: str
    inputs: list
    outputs: list
    options: object


_OPTION_CLASSES = {
    "CONV_2D": tflite.Conv2DOptions,
    "DEPTHWISE_CONV_2D": tflite.DepthwiseConv2DOptions,
    "FULLY_CONNECTED": tflite.FullyConnectedOptions,
    "ADD": tflite.AddOptions,
    "MUL": tflite.MulOptions,
    "AVERAGE_POOL_2D": tflite.Pool2DOptions,
    "MAX_POOL_2D": tflite.Pool2DOptions,
    "SOFTMAX": tflite.SoftmaxOptions,
    "MEAN": tflite.ReducerOptions,
    "CONCATENATION": tflite.ConcatenationOptions,
}


class ModelUnderTest:
    def __init__(self, path: str):
        self.path = path
        with open(path, "rb") as f:
            self.buf = f.read()
        self.model = tflite.Model.GetRootAsModel(self.buf, 0)
        g = self.model.Subgraphs(0)
        self.tensors = []
        for i in range(g.TensorsLength()):
            t = g.Tensors(i)
            q = t.Quantization()
            scales = q.ScaleAsNumpy() if q is not None and q.ScaleLength() else np.zeros(0)
            zps = q.ZeroPointAsNumpy() if q is not None and q.ZeroPointLength() else np.zeros(0)
            buf = self.model.Buffers(t.Buffer())
            is_const = buf is not None and buf.DataLength() > 0
            self.tensors.append(TensorInfo(i, tuple(int(d) for d in t.ShapeAsNumpy()),
                                           t.Type(), np.asarray(scales, np.float32),
                                           np.asarray(zps, np.int64), is_const))
        self.ops = []
        for i in range(g.OperatorsLength()):
            op = g.Operators(i)
            oc = self.model.OperatorCodes(op.OpcodeIndex())
            name = OP_NAMES[max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())]
            opts = None
            cls = _OPTION_CLASSES.get(name)
            if cls is not None and op.BuiltinOptions() is not None:
                opts = cls()
                opts.Init(op.BuiltinOptions().Bytes, op.BuiltinOptions().Pos)
            self.ops.append(OpInfo(i, name, [int(x) for x in op.InputsAsNumpy()],
                                   [int(x) for x in op.OutputsAsNumpy()], opts))

    def run_tflm(self, seed: int) -> dict:
        """Invoke TFLM on a random input; return {tensor index: ndarray}."""
        from tflite_micro import runtime as tflm
        interp = tflm.Interpreter.from_bytes(
            self.buf, intrepreter_config=tflm.InterpreterConfig.kPreserveAllTensors)
        det = interp.get_input_details(0)
        rng = np.random.default_rng(seed)
        shape = tuple(det["shape"])
        if det["dtype"] == np.int8:
            x = rng.integers(-128, 128, size=shape, dtype=np.int8)
        else:  # float-IO model: its QUANTIZE op sees floats in [-1, 1)
            x = rng.uniform(-1.0, 1.0, size=shape).astype(det["dtype"])
        interp.set_input(x, 0)
        interp.invoke()
        values = {}
        for t in self.tensors:
            if t.index < 0:
                continue
            d = interp.GetTensor(t.index, 0)
            values[t.index] = np.array(d["tensor_data"]).reshape(
                tuple(d["shape"]) if len(d["shape"]) else ())
        return values


# --------------------------------------------------------------------------
# Calling our kernels on one layer
# --------------------------------------------------------------------------

def _nhwc(shape):
    """Pad a shape to 4-D NHWC (batch 1)."""
    s = tuple(shape)
    while len(s) < 4:
        s = (1,) + s
    assert s[0] == 1, s
    return s


def per_channel_multipliers(in_t: TensorInfo, w_t: TensorInfo, out_t: TensorInfo, n: int):
    """PopulateConvolutionQuantizationParams: in_scale * w_scale[c] / out_scale."""
    in_s = float(np.float32(in_t.scale))
    out_s = float(np.float32(out_t.scale))
    scales = w_t.scales if len(w_t.scales) == n else np.repeat(w_t.scales[:1], n)
    mult = np.zeros(n, np.int32)
    shift = np.zeros(n, np.int32)
    for c in range(n):
        mult[c], shift[c] = quantize_multiplier(in_s * float(scales[c]) / out_s)
    return mult, shift


class Ref:
    """A pointer argument: byte offset into a named plan buffer."""

    def __init__(self, name: str, offset: int = 0):
        self.name, self.offset = name, offset

    def at(self, offset: int) -> "Ref":
        return Ref(self.name, self.offset + offset)


class RowTable:
    """A pointer argument to a table of row pointers (the _rows kernels):
    entry i is the address of rows[i] (a Ref)."""

    def __init__(self, rows: list):
        self.rows = list(rows)


class StridedBuf:
    """An h x w x c view embedded in a larger buffer with gaps, to check that
    kernels honour row/pixel strides.  gap=0 gives a dense tensor."""

    def __init__(self, plan, name, role, h, w, c, gap, data=None, fill=0x5A, dtype=np.int8):
        self.h, self.w, self.c = h, w, c
        self.pix = c + gap
        self.row = w * self.pix + 3 * gap
        mem = np.full(h * self.row + 16, fill, dtype=np.int64).astype(dtype)
        self.ref = plan.add(name, mem, role)
        self.plan, self.name = plan, name
        if data is not None:
            self.view()[...] = np.asarray(data).reshape(h, w, c)

    @property
    def mem(self):
        return self.plan.bufs[self.name][0]

    def view(self):
        m = self.mem
        return np.lib.stride_tricks.as_strided(
            m, shape=(self.h, self.w, self.c),
            strides=(self.row * m.itemsize, self.pix * m.itemsize, m.itemsize))

    def get(self):
        return np.array(self.view())

    def at_row(self, r):
        return self.ref.at(r * self.row * self.mem.itemsize)

    def input_arg(self, r0, r1):
        """The input pointer of a kernel reading rows [r0, r1)."""
        return self.at_row(r0)


class ScatteredBuf:
    """An h x w x c int8 tensor whose rows lie at non-uniform addresses: in
    reverse order (row h - 1 first), separated by gaps of varying, mostly odd
    sizes, each row's pixels `gap` bytes apart.  For the _rows kernels,
    which get a table of row pointers (``input_arg``)."""

    def __init__(self, plan, name, role, h, w, c, gap, data):
        self.h, self.w, self.c = h, w, c
        self.pix = c + gap
        row_bytes = w * self.pix
        self.offsets = [0] * h
        pos = 0
        for r in reversed(range(h)):
            pos += 1 + (7 * r + 3) % 12  # 1..12 bytes before each row
            self.offsets[r] = pos
            pos += row_bytes
        mem = np.full(pos + 16, 0x5A, dtype=np.int8)
        self.ref = plan.add(name, mem, role)
        self.plan, self.name = plan, name
        arr = np.asarray(data, dtype=np.int8).reshape(h, w, c)
        m = self.mem
        for r in range(h):
            row = m[self.offsets[r]:self.offsets[r] + row_bytes].reshape(w, self.pix)
            row[:, :c] = arr[r]

    @property
    def mem(self):
        return self.plan.bufs[self.name][0]

    def at_row(self, r):
        return self.ref.at(self.offsets[r])

    def input_arg(self, r0, r1):
        return RowTable(self.at_row(r) for r in range(r0, r1))


class Plan:
    """The kernel calls that implement one layer, independent of where they
    run: buffers (role 'in', 'out' or 'const'), calls (function name + args:
    Ref, int, float or None) and a function that reads our output back."""

    def __init__(self):
        self.bufs: dict = {}
        self.calls: list = []
        self.extract = None
        self.macs = 0

    def add(self, name, arr, role):
        arr = np.ascontiguousarray(arr)
        self.bufs[name] = (arr, role)
        return Ref(name)

    def call(self, fn, *args):
        assert len(args) == len(_SIGNATURES[fn]), fn
        self.calls.append((fn, args))

    # -- execution on the host through ctypes ------------------------------
    def _host_addr(self, a: Ref) -> int:
        return self.bufs[a.name][0].ctypes.data + a.offset

    def run_host(self, lib):
        for fn, args in self.calls:
            cargs, keep = [], []
            for a in args:
                if isinstance(a, Ref):
                    cargs.append(ctypes.c_void_p(self._host_addr(a)))
                elif isinstance(a, RowTable):
                    tab = (ctypes.c_void_p * max(len(a.rows), 1))(
                        *[self._host_addr(r) for r in a.rows])
                    keep.append(tab)
                    cargs.append(ctypes.cast(tab, ctypes.c_void_p))
                else:
                    cargs.append(a)
            getattr(lib, fn)(*cargs)
        return self.extract()

    # -- C adapter for the tinyts harness (QEMU) -----------------------------
    def _layout(self, role):
        off, lay = 0, {}
        for name, (arr, r) in self.bufs.items():
            if r == role:
                lay[name] = off
                off += (arr.nbytes + 7) & ~7
        return lay, off

    def input_bytes(self) -> bytes:
        lay, total = self._layout("in")
        blob = bytearray(total)
        for name, off in lay.items():
            raw = self.bufs[name][0].tobytes()
            blob[off:off + len(raw)] = raw
        return bytes(blob)

    def output_size(self) -> int:
        return self._layout("out")[1]

    def load_output(self, blob: bytes):
        lay, _ = self._layout("out")
        for name, off in lay.items():
            arr = self.bufs[name][0]
            arr[...] = np.frombuffer(blob[off:off + arr.nbytes], dtype=arr.dtype).reshape(arr.shape)
        return self.extract()

    def adapter_c(self) -> str:
        in_lay, in_n = self._layout("in")
        out_lay, out_n = self._layout("out")
        lines = ["#include <stddef.h>", "#include <stdint.h>", '#include "tinyts_harness.h"',
                 '#include "tinyts_kernels.h"',
                 f"#define TINYTS_HARNESS_INPUT_BYTES {in_n}",
                 f"#define TINYTS_HARNESS_OUTPUT_BYTES {out_n}",
                 "TINYTS_HARNESS_DEFINE_SIZES()"]
        base = {}
        for name, (arr, role) in self.bufs.items():
            if role == "const":
                data = arr.tobytes()
                body = ",".join(str(b) for b in data) or "0"
                lines.append(f"static const uint8_t c_{name}[{max(len(data), 1)}] "
                             f"__attribute__((aligned(8))) = {{{body}}};")
                base[name] = f"c_{name}"
            elif role == "scratch":
                lines.append(f"static uint8_t s_{name}[{max(arr.nbytes, 1)}] __attribute__((aligned(8)));")
                base[name] = f"s_{name}"
            elif role == "in":
                base[name] = f"((const uint8_t *)in + {in_lay[name]})"
            else:
                base[name] = f"((uint8_t *)out + {out_lay[name]})"
        lines.append("int tinyts_harness_invoke(const int8_t *in, size_t in_bytes, "
                     "int8_t *out, size_t out_bytes) {")
        lines.append("  (void)in; (void)out; (void)in_bytes; (void)out_bytes;")
        ntab = 0
        for fn, args in self.calls:
            cargs = []
            for a, t in zip(args, _SIGNATURES[fn]):
                if isinstance(a, RowTable):
                    # Filled at run time (the input's address is known then);
                    # static, so that the kernel's stack use is not disturbed.
                    tab = f"rows{ntab}"
                    ntab += 1
                    lines.append(f"  static const int8_t *{tab}[{max(len(a.rows), 1)}];")
                    for i, r in enumerate(a.rows):
                        lines.append(f"  {tab}[{i}] = (const int8_t *)({base[r.name]} + {r.offset});")
                    cargs.append(tab)
                elif isinstance(a, Ref):
                    cargs.append(f"(void *)({base[a.name]} + {a.offset})")
                elif a is None:
                    cargs.append("NULL")
                elif t is _F:
                    cargs.append(f"{float(np.float32(a)).hex()}f" if a == a else "(0.0f/0.0f)")
                else:
                    cargs.append(f"(int32_t)({int(a)}LL)")
            lines.append(f"  {fn}({', '.join(cargs)});")
        lines.append("  return 0;")
        lines.append("}")
        return "\n".join(lines) + "\n"


def merge_plans(plans: list) -> Plan:
    """One plan running the calls of several (e.g. a layer through the base
    and the _rows kernels) in order, each on its own buffers (shared with the
    original plans, renamed); its extract() returns the list of their
    outputs.  One QEMU run checks them all."""
    M = Plan()

    def ren(i, a):
        if isinstance(a, Ref):
            return Ref(f"p{i}_{a.name}", a.offset)
        if isinstance(a, RowTable):
            return RowTable(ren(i, r) for r in a.rows)
        return a
    for i, p in enumerate(plans):
        for name, buf in p.bufs.items():
            M.bufs[f"p{i}_{name}"] = buf
        M.calls += [(fn, tuple(ren(i, a) for a in args)) for fn, args in p.calls]
        M.macs += p.macs
    M.extract = lambda: [p.extract() for p in plans]
    return M


def _band_ranges(out_h, bands, band_height=None):
    """Output row ranges [a, b): `bands` bands of equal height (the last one
    shorter), or, with band_height, bands of band_height rows each."""
    step = band_height if band_height else max(1, -(-out_h // bands))
    return [(a, min(out_h, a + step)) for a in range(0, out_h, step)]


def _window_call(ib: StridedBuf, ob: StridedBuf, kh, sh, dh, pad_top, bands, call,
                 band_height=None):
    """Emit a windowed kernel band by band over output rows; each band sees
    only the input rows it needs (shifted, possibly negative pad_top)."""
    for a, b in _band_ranges(ob.h, bands, band_height):
        lo = a * sh - pad_top
        hi = (b - 1) * sh - pad_top + (kh - 1) * dh + 1
        r0, r1 = max(lo, 0), min(hi, ib.h)
        if r1 <= r0:  # band reads only padding
            r0 = r1 = max(0, min(r0, ib.h))
        call(ib.input_arg(r0, r1), r1 - r0, ob.at_row(a), b - a, pad_top - a * sh + r0)


WINDOWED_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D")


def plan_layer(mut: ModelUnderTest, op: OpInfo, values: dict, gap: int = 0, bands: int = 1,
               scratch: bool = True, rows: bool = False, band_height: int = None,
               prep: bool = False) -> Plan:
    """Plan our kernel calls for `op` on TFLM's input values (raises
    NotImplementedError for ops without a kernel).  scratch=False passes no
    scratch buffer to kernels that take one (their fallback path).  rows=True
    runs the windowed ops (WINDOWED_OPS) through their _rows kernels on an
    input with scattered rows (other ops are planned as usual).  The windowed
    ops are called once per band of output rows: `bands` bands, or with
    band_height, bands of that many rows (as the compiler's tensor splitting
    emits them).  prep=True calls conv / depthwise layers through their
    _prep kernels with the layer prepared on this host (prepare_layer), as
    the generated code does."""
    T = mut.tensors
    name = op.name
    out_t = T[op.outputs[0]]
    out_shape = values[op.outputs[0]].shape
    P = Plan()

    def opt_bias():
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            return P.add("bias", values[op.inputs[2]].astype(np.int32), "const")
        return None

    if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        in_t, w_t = T[op.inputs[0]], T[op.inputs[1]]
        x = values[op.inputs[0]].astype(np.int8)
        w = values[op.inputs[1]].astype(np.int8)
        _, ih, iw, ic = _nhwc(x.shape)
        _, oh, ow, oc = _nhwc(out_shape)
        o = op.options
        sh, sw = o.StrideH(), o.StrideW()
        dh, dw = o.DilationHFactor(), o.DilationWFactor()
        kh, kw = w.shape[1], w.shape[2]
        pad_top = compute_padding(sh, dh, ih, kh, oh) if o.Padding() == 0 else 0
        pad_left = compute_padding(sw, dw, iw, kw, ow) if o.Padding() == 0 else 0
        mult, shift = per_channel_multipliers(in_t, w_t, out_t, oc)
        lo, hi = activation_range(o.FusedActivationFunction(), out_t.scale, out_t.zp)
        wr, br = P.add("filter", w, "const"), opt_bias()
        mr, sr = P.add("mult", mult, "const"), P.add("shift", shift, "const")
        ib = (ScatteredBuf if rows else StridedBuf)(P, "x", "in", ih, iw, ic, gap, x)
        ob = StridedBuf(P, "y", "out", oh, ow, oc, gap, fill=0x77)
        in_strides = (ib.pix,) if rows else (ib.row, ib.pix)
        sfx = "_rows_s8" if rows else "_s8"
        pr = prepare_layer(name == "DEPTHWISE_CONV_2D", w,
                           values[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0
                           else None, mult, shift, oc, kh, kw, out_t.zp) if prep else None
        extra = ()
        if pr is not None:
            sfx = "_prep" + sfx
            extra = (P.add("prep", pr, "const"),)
        if name == "CONV_2D":
            if w.shape[3] != ic:
                raise NotImplementedError("grouped convolution")
            P.macs = oh * ow * oc * kh * kw * ic
            scr = P.add("scratch", np.full(2 * kh * kw * ic, 0x33, np.int8), "scratch") \
                if scratch else None

            def call(ip, ih_, op_, oh_, pt):
                P.call("tinyts_conv2d" + sfx, ip, ih_, iw, ic, *in_strides, wr, br,
                       op_, oh_, ow, oc, ob.row, ob.pix, kh, kw, sh, sw, dh, dw,
                       pt, pad_left, -in_t.zp, out_t.zp, mr, sr, lo, hi, scr, *extra)
        else:
            mdep = oc // ic
            P.macs = oh * ow * oc * kh * kw

            def call(ip, ih_, op_, oh_, pt):
                P.call("tinyts_depthwise_conv2d" + sfx, ip, ih_, iw, ic, *in_strides, wr, br,
                       op_, oh_, ow, mdep, ob.row, ob.pix, kh, kw, sh, sw,
                       dh, dw, pt, pad_left, -in_t.zp, out_t.zp, mr, sr, lo, hi, *extra)
        _window_call(ib, ob, kh, sh, dh, pad_top, bands, call, band_height)
        P.extract = lambda: ob.get().reshape(out_shape)
        return P

    if name in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        x = values[op.inputs[0]].astype(np.int8)
        _, ih, iw, ic = _nhwc(x.shape)
        _, oh, ow, oc = _nhwc(out_shape)
        o = op.options
        sh, sw, kh, kw = o.StrideH(), o.StrideW(), o.FilterHeight(), o.FilterWidth()
        pad_top = compute_padding(sh, 1, ih, kh, oh) if o.Padding() == 0 else 0
        pad_left = compute_padding(sw, 1, iw, kw, ow) if o.Padding() == 0 else 0
        lo, hi = activation_range(o.FusedActivationFunction(), out_t.scale, out_t.zp)
        ib = (ScatteredBuf if rows else StridedBuf)(P, "x", "in", ih, iw, ic, gap, x)
        ob = StridedBuf(P, "y", "out", oh, ow, oc, gap, fill=0x77)
        in_strides = (ib.pix,) if rows else (ib.row, ib.pix)
        fn = "tinyts_avg_pool2d" if name == "AVERAGE_POOL_2D" else "tinyts_max_pool2d"
        fn += "_rows_s8" if rows else "_s8"

        def call(ip, ih_, op_, oh_, pt):
            P.call(fn, ip, ih_, iw, ic, *in_strides, op_, oh_, ow, ob.row, ob.pix,
                   kh, kw, sh, sw, pt, pad_left, lo, hi)
        _window_call(ib, ob, kh, sh, 1, pad_top, bands, call, band_height)
        P.extract = lambda: ob.get().reshape(out_shape)
        return P

    if name == "FULLY_CONNECTED":
        in_t, w_t = T[op.inputs[0]], T[op.inputs[1]]
        w = values[op.inputs[1]].astype(np.int8)
        out_n, in_n = w.shape
        x = values[op.inputs[0]].astype(np.int8).reshape(-1, in_n)
        rows = x.shape[0]
        if len(w_t.scales) > 1:
            mult, shift = per_channel_multipliers(in_t, w_t, out_t, out_n)
            per_channel = 1
        else:
            m, s = quantize_multiplier(float(np.float32(in_t.scale)) * float(np.float32(w_t.scale))
                                       / float(np.float32(out_t.scale)))
            mult, shift, per_channel = np.array([m], np.int32), np.array([s], np.int32), 0
        lo, hi = activation_range(op.options.FusedActivationFunction(), out_t.scale, out_t.zp)
        wr, br = P.add("filter", w, "const"), opt_bias()
        mr, sr = P.add("mult", mult, "const"), P.add("shift", shift, "const")
        xr = P.add("x", x, "in")
        yr = P.add("y", np.full((rows, out_n), 0x77, np.int8), "out")
        P.macs = rows * out_n * in_n
        P.call("tinyts_fully_connected_s8", xr, rows, in_n, in_n, wr, br, yr, out_n,
               out_n, -in_t.zp, -w_t.zp, out_t.zp, mr, sr, per_channel, lo, hi)
        P.extract = lambda: P.bufs["y"][0].copy().reshape(out_shape)
        return P

    if name in ("ADD", "MUL"):
        a_t, b_t = T[op.inputs[0]], T[op.inputs[1]]
        _, oh, ow, oc = _nhwc(out_shape)

        def operand(idx, nm):
            arr = values[op.inputs[idx]].astype(np.int8)
            s = _nhwc(arr.shape)
            ref = P.add(nm, arr.reshape(s[1:]), "const" if T[op.inputs[idx]].is_const else "in")
            rs, ps, cs = s[2] * s[3], s[3], 1
            return (ref, rs if s[1] > 1 else 0, ps if s[2] > 1 else 0, cs if s[3] > 1 else 0)
        A, B = operand(0, "a"), operand(1, "b")
        ob = StridedBuf(P, "y", "out", oh, ow, oc, gap, fill=0x77)
        lo, hi = activation_range(op.options.FusedActivationFunction(), out_t.scale, out_t.zp)
        if name == "ADD":
            left_shift = 20
            s1, s2, so = (float(np.float32(t.scale)) for t in (a_t, b_t, out_t))
            twice_max = 2.0 * max(s1, s2)
            m1, sh1 = quantize_multiplier(s1 / twice_max)
            m2, sh2 = quantize_multiplier(s2 / twice_max)
            mo, sho = quantize_multiplier(twice_max / ((1 << left_shift) * so))
            P.call("tinyts_add_s8", *A, *B, ob.at_row(0), ob.row, ob.pix, oh, ow, oc,
                   -a_t.zp, m1, sh1, -b_t.zp, m2, sh2, left_shift, out_t.zp, mo, sho, lo, hi)
        else:
            m, s = quantize_multiplier(float(np.float32(a_t.scale)) * float(np.float32(b_t.scale))
                                       / float(np.float32(out_t.scale)))
            P.call("tinyts_mul_s8", *A, *B, ob.at_row(0), ob.row, ob.pix, oh, ow, oc,
                   -a_t.zp, -b_t.zp, out_t.zp, m, s, lo, hi)
        P.extract = lambda: ob.get().reshape(out_shape)
        return P

    if name == "MEAN":
        in_t = T[op.inputs[0]]
        x = values[op.inputs[0]].astype(np.int8)
        axes = sorted({int(v) % x.ndim for v in np.atleast_1d(values[op.inputs[1]])})
        if axes != list(range(axes[0], axes[-1] + 1)):
            raise NotImplementedError(f"MEAN over non-contiguous axes {axes}")
        outer = int(np.prod(x.shape[:axes[0]]))
        red = int(np.prod(x.shape[axes[0]:axes[-1] + 1]))
        # TFLM folds 1/red into QuantizeMultiplier(s_in / s_out); the kernel takes the folded pair.
        m, s = mean_params(red, in_t.scale, out_t.scale)
        inner = int(np.prod(x.shape[axes[-1] + 1:]))
        xr = P.add("x", x, "in")
        yr = P.add("y", np.full(outer * inner, 0x77, np.int8), "out")
        # outer x inner outputs (inner at stride 1), each the mean of red elements (stride inner).
        P.call("tinyts_mean_s8", xr.at(0), outer, red * inner, inner, 1, 1, red, 0, inner,
               yr.at(0), in_t.zp, out_t.zp, m, s)
        P.extract = lambda: P.bufs["y"][0].copy().reshape(out_shape)
        return P

    if name == "PAD":
        x = values[op.inputs[0]].astype(np.int8)
        pads = values[op.inputs[1]].reshape(-1, 2)
        if x.ndim != 4 or pads[0].any():
            raise NotImplementedError("PAD: 4-D, no batch padding")
        pad_value = out_t.zp
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            pad_value = int(values[op.inputs[2]].reshape(-1)[0])
        _, ih, iw, ic = x.shape
        _, oh, ow, oc = out_shape
        ib = StridedBuf(P, "x", "in", ih, iw, ic, gap, x)
        ob = StridedBuf(P, "y", "out", oh, ow, oc, gap, fill=0x77)
        P.call("tinyts_pad_s8", ib.at_row(0), ih, iw, ic, ib.row, ib.pix, ob.at_row(0), oh, ow,
               oc, ob.row, ob.pix, int(pads[1, 0]), int(pads[2, 0]), int(pads[3, 0]), pad_value)
        P.extract = lambda: ob.get().reshape(out_shape)
        return P

    if name == "TRANSPOSE":
        x = values[op.inputs[0]].astype(np.int8)
        xr = P.add("x", x, "in")
        pr = P.add("perm", values[op.inputs[1]].astype(np.int32), "const")
        dr = P.add("dims", np.array(x.shape, np.int32), "const")
        yr = P.add("y", np.full(x.size, 0x77, np.int8), "out")
        P.call("tinyts_transpose_s8", xr, dr, x.ndim, pr, yr)
        P.extract = lambda: P.bufs["y"][0].copy().reshape(out_shape)
        return P

    if name == "QUANTIZE" and T[op.inputs[0]].dtype == 0:  # float32 -> int8
        x = values[op.inputs[0]].astype(np.float32)
        xr = P.add("x", x, "in")
        yr = P.add("y", np.full(x.size, 0x77, np.int8), "out")
        P.call("tinyts_quantize_f32_s8", xr, yr, x.size, float(out_t.scale), out_t.zp)
        P.extract = lambda: P.bufs["y"][0].copy().reshape(out_shape)
        return P

    if name == "DEQUANTIZE":
        in_t = T[op.inputs[0]]
        x = values[op.inputs[0]].astype(np.int8)
        xr = P.add("x", x, "in")
        yr = P.add("y", np.full(x.size, np.nan, np.float32), "out")
        P.call("tinyts_dequantize_s8_f32", xr, yr, x.size, float(in_t.scale), in_t.zp)
        P.extract = lambda: P.bufs["y"][0].copy().reshape(out_shape)
        return P

    if name == "SOFTMAX":
        in_t = T[op.inputs[0]]
        if in_t.dtype != 9 or out_t.dtype != 9:
            raise NotImplementedError("SOFTMAX: int8 -> int8 only")
        x = values[op.inputs[0]].astype(np.int8)
        n = x.shape[-1]
        rows = x.size // n
        mult, lshift, diff_min = softmax_params(float(op.options.Beta()), in_t.scale)
        xr = P.add("x", x, "in")
        yr = P.add("y", np.full(x.size, 0x77, np.int8), "out")
        P.call("tinyts_softmax_s8", xr, rows, n, n, yr, n, mult, lshift, diff_min)
        P.extract = lambda: P.bufs["y"][0].copy().reshape(out_shape)
        return P

    raise NotImplementedError(name)


def run_layer(lib, mut: ModelUnderTest, op: OpInfo, values: dict, gap: int = 0, bands: int = 1,
              scratch: bool = True, rows: bool = False):
    """Run our kernels for `op` on the host; return our output."""
    return plan_layer(mut, op, values, gap, bands, scratch, rows).run_host(lib)


# --------------------------------------------------------------------------
# Emulated Cortex-M7 (QEMU) through the package's target runner
# --------------------------------------------------------------------------

def load_cortex_m7():
    """Import python/tinyts_mlir/targets/cortex_m7.py without importing the
    tinyts_mlir package (whose native extension the kernel tests do not
    need).  Returns the module, or None if the runner is not there."""
    import importlib
    import importlib.util
    import sys
    pkg_dir = os.path.join(REPO_ROOT, "python", "tinyts_mlir", "targets")
    if not (os.path.exists(os.path.join(pkg_dir, "cortex_m7.py"))
            or os.path.exists(os.path.join(pkg_dir, "cortex_m7", "__init__.py"))):
        return None
    pkg_name = "_tinyts_targets_for_kernel_tests"
    if pkg_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            pkg_name, os.path.join(pkg_dir, "__init__.py"), submodule_search_locations=[pkg_dir])
        mod = importlib.util.module_from_spec(spec)
        sys.modules[pkg_name] = mod
        spec.loader.exec_module(mod)
    return importlib.import_module(pkg_name + ".cortex_m7")


def run_plan_on_m7(m7, plan: Plan, work_dir: str, name: str, dsp: bool = True):
    """Cross-compile `plan` with runtime/ for the Cortex-M7, run it on QEMU;
    return (our output, RunResult)."""
    os.makedirs(work_dir, exist_ok=True)
    adapter = os.path.join(work_dir, f"{name}_adapter.c")
    with open(adapter, "w") as f:
        f.write(plan.adapter_c())
    elf = m7.build_elf([adapter, *runtime_sources()],
                       include_dirs=[os.path.join(RUNTIME_DIR, "include")],
                       out_dir=work_dir, name=name, dsp=dsp, flash_limit=None, ram_limit=None)
    res = m7.run_elf(elf, plan.input_bytes(), plan.output_size(), timeout_s=120.0)
    return plan.load_output(res.output), res
