"""Independent check of the frontend: compile imported TOSA with IREE (llvm-cpu) and run it."""
from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

IREE_FLAGS = [
    "--iree-hal-target-device=local",
    "--iree-hal-local-target-device-backends=llvm-cpu",
    "--iree-llvmcpu-target-cpu=host",
]


def module_bytecode(module) -> bytes:
    """MLIR bytecode of a module (IREE 3.13 rejects MLIR 22's pretty tosa.const_shape syntax)."""
    buf = io.BytesIO()
    module.operation.write_bytecode(buf)
    return buf.getvalue()


def module_generic_text(module) -> str:
    return module.operation.get_asm(print_generic_op_form=True, large_elements_limit=None)


def iree_compile_exe() -> str:
    """The iree-compile executable of the venv (run as a subprocess: importing iree.compiler into a
    process that already loaded the `mlir` bindings clashes at the native level)."""
    cand = Path(sys.executable).with_name("iree-compile")
    if cand.exists():
        return str(cand)
    found = shutil.which("iree-compile")
    if not found:
        raise RuntimeError("iree-compile not found (pip install iree-base-compiler)")
    return found


def compile_tosa(module_or_text, timeout: float = 900) -> bytes:
    """Compile a TOSA module (mlir.ir.Module or generic-form text) to an IREE vmfb (llvm-cpu)."""
    text = module_or_text if isinstance(module_or_text, str) else module_generic_text(module_or_text)
    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d) / "in.mlir", Path(d) / "out.vmfb"
        src.write_text(text)
        cmd = [iree_compile_exe(), "--iree-input-type=tosa", *IREE_FLAGS, str(src), "-o", str(out)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"iree-compile failed ({r.returncode}):\n{r.stderr[-4000:]}")
        return out.read_bytes()


def run_vmfb(vmfb: bytes, inputs: Sequence[np.ndarray], function: str = "main") -> list[np.ndarray]:
    import iree.runtime as rt

    config = rt.Config("local-sync")
    ctx = rt.SystemContext(config=config)
    vm_module = rt.VmModule.copy_buffer(ctx.instance, vmfb)
    ctx.add_vm_module(vm_module)
    fn = ctx.modules.module[function]
    res = fn(*[np.ascontiguousarray(x) for x in inputs])
    if not isinstance(res, (list, tuple)):
        res = [res]
    return [np.asarray(r.to_host() if hasattr(r, "to_host") else r) for r in res]
