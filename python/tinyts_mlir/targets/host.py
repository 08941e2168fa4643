"""Build and run C on the host, with the same adapter contract as the
emulated Cortex-M7 (see ``harness/tinyts_harness.h`` and
:mod:`tinyts_mlir.targets.cortex_m7`).

The host build is the reference for bit-exactness: :func:`build_executable`
links the caller's sources (code under test + adapter) with
``harness/host_main.c`` into an executable; :func:`run_executable` feeds it
input bytes through a file and returns the output bytes.  Running in a
separate process keeps a crash in generated code from taking Python down;
``sanitize=True`` adds AddressSanitizer and UBSan.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from ._process import HARNESS_DIR, compile_command, define_flags, find_tool
from .errors import TargetRunError, TargetTimeoutError

__all__ = ["HostRunResult", "build_executable", "run_executable", "CFLAGS"]

CC_PACKAGES = ("gcc",)
CFLAGS = ("-ffp-contract=off", "-fno-strict-aliasing", "-Wall")
SANITIZE_FLAGS = ("-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-g")

_EXIT_MEANING = {
    2: "usage error",
    4: "cannot open the input file",
    5: "input size does not match tinyts_harness_input_bytes",
    6: "cannot write the output file",
    7: "out of memory",
}


@dataclass(frozen=True)
class HostRunResult:
    output: bytes
    exit_code: int  # 0, or 3 if invoke returned non-zero
    wall_time_s: float
    stderr: str = ""


def build_executable(
    sources: Sequence[str | Path],
    include_dirs: Sequence[str | Path] = (),
    out_dir: str | Path = ".",
    defines: Mapping[str, object] | Sequence[str] | None = None,
    *,
    name: str = "model_host",
    opt: str = "-O2",
    sanitize: bool = False,
    extra_cflags: Sequence[str] = (),
    timeout_s: float = 600.0,
) -> Path:
    """Compile ``sources`` + the host harness with ``cc`` (``$CC`` overrides)."""
    cc = find_tool(os.environ.get("CC", "cc"), "TINYTS_HOST_CC", CC_PACKAGES)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    exe = out / name
    cmd = [
        cc,
        opt,
        *CFLAGS,
        *(SANITIZE_FLAGS if sanitize else ()),
        *define_flags(defines),
        *[f"-I{Path(i).resolve()}" for i in (HARNESS_DIR, *include_dirs)],
        *extra_cflags,
        *[str(Path(s).resolve()) for s in sources],
        str(HARNESS_DIR / "host_main.c"),
        "-o",
        str(exe),
        "-lm",
    ]
    compile_command(cmd, f"host compiler failed building {exe.name}", timeout_s)
    return exe


def run_executable(
    exe: str | Path,
    input_bytes: bytes,
    output_bytes: int,
    timeout_s: float = 60.0,
) -> HostRunResult:
    """Run one inference; raise TargetTimeoutError / TargetRunError on failure."""
    exe = Path(exe).resolve()
    with tempfile.TemporaryDirectory(prefix="tinyts-host-") as tmp:
        inp, outp = Path(tmp) / "input.bin", Path(tmp) / "output.bin"
        inp.write_bytes(bytes(input_bytes))
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                [str(exe), str(inp), str(outp)],
                capture_output=True, timeout=timeout_s, check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise TargetTimeoutError(
                f"{exe.name} did not finish within {timeout_s:g} s (hang or infinite loop?)"
            ) from exc
        wall = time.perf_counter() - t0
        err = proc.stderr.decode("utf-8", "replace")
        code = proc.returncode
        if code < 0:
            raise TargetRunError(f"{exe.name} was killed by signal {-code}", exit_code=code, console=err)
        if code not in (0, 3):
            why = _EXIT_MEANING.get(code, "unexpected exit status (sanitizer report?)")
            raise TargetRunError(f"{exe.name} exited with {code}: {why}", exit_code=code, console=err)
        output = outp.read_bytes()
    if len(output) != output_bytes:
        raise TargetRunError(
            f"{exe.name} wrote {len(output)} output bytes, caller expects {output_bytes}",
            exit_code=code, console=err,
        )
    return HostRunResult(output=output, exit_code=code, wall_time_s=wall, stderr=err)
