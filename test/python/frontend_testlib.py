"""Shared helpers for the frontend tests: validation, TFLM oracle, IREE (cached per session)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from tinyts_mlir import iree_check, oracle
from tinyts_mlir.frontend import import_tflite
from tinyts_mlir.frontend.reader import read_model

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "test" / "fixtures" / "tflite"
CORPUS = ROOT.parent / "shared" / "models"

TOSA_VALIDATE = (
    "builtin.module(tosa-attach-target{profiles=pro_int,pro_fp level=8k extensions=int16,doubleround},"
    "tosa-validate{strict-op-spec-alignment=true})"
)


def validate(module) -> None:
    """Run tosa-validate (strict) with the project's target; raises MLIRError when invalid."""
    from mlir.passmanager import PassManager

    with module.context:
        PassManager.parse(TOSA_VALIDATE).run(module.operation)


@lru_cache(maxsize=None)
def imported_generic_text(path: str) -> str:
    return iree_check.module_generic_text(import_tflite(path))


@lru_cache(maxsize=None)
def vmfb(path: str) -> bytes:
    """IREE compilation of the imported model, once per session."""
    return iree_check.compile_tosa(imported_generic_text(path))


def random_inputs(path: str, seed: int) -> list[np.ndarray]:
    """Random int8 inputs; float inputs get exactly dequantized int8 values (no rounding ties)."""
    g = read_model(path)
    rng = np.random.default_rng(seed)
    ins = []
    for idx in g.inputs:
        t = g.tensors[idx]
        shape = [1] + list(t.shape[1:])
        if t.dtype == "INT8":
            ins.append(rng.integers(-128, 128, size=shape, dtype=np.int8))
        else:
            q = next(g.tensors[op.outputs[0]] for op in g.operators if idx in op.inputs)
            qi = rng.integers(-128, 128, size=shape)
            ins.append(((qi - q.zp).astype(np.float32) * np.float32(q.scale)).astype(np.float32))
    return ins


def assert_iree_matches_tflm(path: str, n: int = 3) -> None:
    blob = vmfb(path)
    for seed in range(n):
        ins = random_inputs(path, seed)
        want = oracle.run_tflm(path, ins)
        got = iree_check.run_vmfb(blob, ins)
        assert len(want) == len(got)
        for k, (w, g) in enumerate(zip(want, got)):
            g = np.asarray(g).reshape(w.shape)
            assert g.dtype == w.dtype, f"output {k}: dtype {g.dtype} != {w.dtype}"
            diff = int(np.sum(w != g))
            assert diff == 0, (f"{Path(path).name} seed {seed} output {k}: {diff}/{w.size} elements differ "
                               f"(max |d| = {np.max(np.abs(w.astype(np.float64) - g))})")
