"""Ground truth: run a .tflite model with TFLite Micro's reference kernels (PyPI `tflite-micro`)."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Sequence, Union

import numpy as np

ModelRef = Union[str, Path, bytes, bytearray]

_DEFAULT_ARENA = 16 * 1024 * 1024


def _model_bytes(model: ModelRef) -> bytes:
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model)
    return Path(model).read_bytes()


def _interpreter(model: ModelRef, arena_size: int):
    from tflite_micro import runtime  # imported lazily: heavy native module

    return runtime.Interpreter.from_bytes(_model_bytes(model), arena_size=arena_size)


def _io_counts(model: ModelRef) -> tuple[int, int]:
    import tflite

    m = tflite.Model.GetRootAsModel(_model_bytes(model), 0)
    sg = m.Subgraphs(0)
    return sg.InputsLength(), sg.OutputsLength()


def run_tflm(model: ModelRef, inputs: Sequence[np.ndarray], arena_size: int = _DEFAULT_ARENA) -> list[np.ndarray]:
    """Run one inference; `inputs` in model input order, each with the input's shape and dtype."""
    it = _interpreter(model, arena_size)
    for i, x in enumerate(inputs):
        it.set_input(np.ascontiguousarray(x), i)
    it.invoke()
    return [np.array(it.get_output(i), copy=True) for i in range(_io_counts(model)[1])]


def input_details(model: ModelRef) -> list[dict]:
    it = _interpreter(model, _DEFAULT_ARENA)
    return [it.get_input_details(i) for i in range(_io_counts(model)[0])]


def _capture_stderr(fn) -> str:
    """Run fn() and return what native code wrote to file descriptor 2."""
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        saved = os.dup(2)
        try:
            os.dup2(tmp.fileno(), 2)
            fn()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        return tmp.read().decode("utf-8", "replace")


def tflm_arena_bytes(model: ModelRef, arena_size: int = _DEFAULT_ARENA) -> int:
    """Total arena bytes TFLite Micro's RecordingMicroAllocator reports after one zero-input inference."""
    it = _interpreter(model, arena_size)
    for i in range(_io_counts(model)[0]):
        d = it.get_input_details(i)
        it.set_input(np.zeros(d["shape"], dtype=d["dtype"]), i)
    it.invoke()
    text = _capture_stderr(it.print_allocations)
    m = re.search(r"Arena allocation total (\d+) bytes", text)
    if not m:
        raise RuntimeError(f"could not parse TFLM allocation report: {text[:500]!r}")
    return int(m.group(1))
