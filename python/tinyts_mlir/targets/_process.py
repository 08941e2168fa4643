"""Small helpers shared by the target runners (tool lookup, subprocesses)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Sequence

from .errors import BuildError, ToolchainMissingError

HARNESS_DIR = Path(__file__).resolve().parent / "harness"


def find_tool(name: str, env_var: str, packages: tuple[str, ...]) -> str:
    """Path of ``name`` (or of ``$env_var`` if set), else ToolchainMissingError."""
    override = os.environ.get(env_var)
    candidate = override or name
    found = shutil.which(candidate)
    if found is None:
        detail = f"${env_var}={override!r}" if override else "not on PATH"
        raise ToolchainMissingError(candidate, packages, detail)
    return found


def compile_command(
    cmd: Sequence[str], message: str, timeout_s: float, cwd: Path | None = None
) -> None:
    """Run a compiler command; raise BuildError with its stderr on failure."""
    cmd = [str(c) for c in cmd]
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BuildError(f"{message}: compiler did not finish within {timeout_s:g} s", cmd, "") from exc
    if proc.returncode != 0:
        raise BuildError(f"{message} (exit {proc.returncode})", cmd, proc.stderr + proc.stdout)


def define_flags(defines: dict[str, object] | Sequence[str] | None) -> list[str]:
    """``{"N": 4, "FLAG": None}`` or ``["N=4", "FLAG"]`` → ``["-DN=4", "-DFLAG"]``."""
    if not defines:
        return []
    if isinstance(defines, dict):
        return [f"-D{k}" if v is None else f"-D{k}={v}" for k, v in defines.items()]
    return [f"-D{d}" for d in defines]
