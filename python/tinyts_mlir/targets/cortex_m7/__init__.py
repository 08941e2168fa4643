"""Build and run C on an emulated Cortex-M7 (QEMU ``mps2-an500``).

See ../shared/docs/TARGET.md for where every flag and figure comes from.

Harness contract
----------------
The caller supplies the code under test plus one small *adapter* C file
(see ``harness/tinyts_harness.h``) that defines::

    #include "tinyts_harness.h"
    #define TINYTS_HARNESS_INPUT_BYTES  <n>
    #define TINYTS_HARNESS_OUTPUT_BYTES <m>
    TINYTS_HARNESS_DEFINE_SIZES()
    int tinyts_harness_invoke(const int8_t *in, size_t in_bytes,
                              int8_t *out, size_t out_bytes);  /* 0 = ok */

:func:`build_elf` links it with this package's ``cortex_m7/startup.c``,
``semihost.c``, ``harness.c`` and ``m7.ld``.  :func:`run_elf` writes the
input bytes to a scratch directory, runs QEMU there with semihosting and
``-icount shift=N``; the harness reads ``input.bin``, paints the free stack,
reads the FPGAIO counter (0x40028018, 25 MHz of virtual time) around the
call, and writes ``output.bin`` and ``stats.bin``.  With ``2**N`` ns per
instruction one counter tick is ``40 / 2**N`` instructions; the default
N=6 resolves single instructions and counts up to ~2.7e9 instructions per
invoke.  ``instructions`` covers the ``bl`` through the callee's return;
measured equal to a QEMU single-step trace (``-singlestep -d exec,nochain``,
re-logged TBs removed) on runs of 10,689 / 85,491 / 342,006 instructions.

The same adapter links with :mod:`tinyts_mlir.targets.host` for the host.

Harness buffers live in a separate memory region (PSRAM, 0x60000000), so the
RAM figure of :func:`section_sizes` is the model's own (.data, .bss,
.noinit, stack).  ``peak_stack_bytes`` is the stack used by the invoke call
itself (below the caller's SP); ``total_stack_bytes`` adds the harness's own
frames (what a firmware's stack must hold).
"""

from __future__ import annotations

import struct
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from .._process import HARNESS_DIR, compile_command, define_flags, find_tool
from ..elf import Elf32
from ..errors import (
    BuildError,
    TargetFaultError,
    TargetRunError,
    TargetTimeoutError,
    ToolchainMissingError,
)

__all__ = [
    "DATA_DIR",
    "ARCH_FLAGS",
    "CFLAGS",
    "STM32F767_FLASH_BYTES",
    "STM32F767_RAM_BYTES",
    "RunResult",
    "SectionSizes",
    "build_elf",
    "run_elf",
    "section_sizes",
    "check_toolchain",
    "FAULT_NAMES",
]

DATA_DIR = Path(__file__).resolve().parent
LINKER_SCRIPT = DATA_DIR / "m7.ld"
HARNESS_SOURCES = ("startup.c", "semihost.c", "harness.c")

GCC_PACKAGES = ("gcc-arm-none-eabi", "libnewlib-arm-none-eabi")
QEMU_PACKAGES = ("qemu-system-arm",)

ARCH_FLAGS = ("-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16")
CFLAGS = (
    *ARCH_FLAGS,
    "-ffunction-sections",
    "-fdata-sections",
    "-ffp-contract=off",
    "-Wall",
)
LDFLAGS = (
    "-nostartfiles",
    "--specs=nano.specs",
    "--specs=nosys.specs",
    "-Wl,--gc-sections",
)

STM32F767_FLASH_BYTES = 2 * 1024 * 1024
STM32F767_RAM_BYTES = 512 * 1024
QEMU_MEMORY_BYTES = 4 * 1024 * 1024  # mps2-an500 SSRAM1 (flash) and SSRAM2/3 (RAM)
DEFAULT_STACK_BYTES = 64 * 1024

FLASH_BASE, RAM_BASE, RAM_END = 0x0000_0000, 0x2000_0000, 0x2040_0000
COUNTER_HZ = 25_000_000  # FPGAIO COUNTER prescale clock on mps2
DEFAULT_ICOUNT_SHIFT = 6

FAULT_NAMES: dict[int, str] = {
    0x82: "NMI",
    0x83: "HardFault",
    0x84: "MemManage",
    0x85: "BusFault",
    0x86: "UsageFault",
    0x8B: "SVCall",
    0x8C: "DebugMonitor",
    0x8E: "PendSV",
    0x8F: "SysTick",
}
HARNESS_EXIT = {
    4: "cannot open input.bin (semihosting)",
    5: "input size does not match tinyts_harness_input_bytes",
    6: "cannot write output.bin (semihosting)",
    7: "cannot write stats.bin (semihosting)",
    8: "harness I/O region (16 MiB PSRAM) too small for input + output",
}
_CFSR_BITS = {
    0: "IACCVIOL", 1: "DACCVIOL", 3: "MUNSTKERR", 4: "MSTKERR", 5: "MLSPERR",
    7: "MMARVALID", 8: "IBUSERR", 9: "PRECISERR", 10: "IMPRECISERR",
    11: "UNSTKERR", 12: "STKERR", 13: "LSPERR", 15: "BFARVALID",
    16: "UNDEFINSTR", 17: "INVSTATE", 18: "INVPC", 19: "NOCP",
    24: "UNALIGNED", 25: "DIVBYZERO",
}
_HFSR_BITS = {1: "VECTTBL", 30: "FORCED", 31: "DEBUGEVT"}

_STATS = struct.Struct("<IIiIIIIIII")
_STATS_MAGIC = 0x54535453
_FAULT = struct.Struct("<13I")
_FAULT_MAGIC = 0x544C4654


@dataclass(frozen=True)
class RunResult:
    """One inference on the emulated Cortex-M7."""

    output: bytes
    instructions: int  # executed from the bl to invoke through its return
    peak_stack_bytes: int  # stack used by the invoke call
    exit_code: int  # 0, or 3 if invoke returned non-zero (see invoke_status)
    invoke_status: int = 0
    total_stack_bytes: int = 0  # from __stack_top__: harness frames + invoke
    stack_size: int = 0
    counter_ticks: int = 0
    baseline_ticks: int = 0
    icount_shift: int = DEFAULT_ICOUNT_SHIFT
    wall_time_s: float = 0.0
    console: str = ""


@dataclass(frozen=True)
class SectionSizes:
    """Byte sizes from the ELF section headers.

    flash = text + rodata + data (load image); ram = data + bss + stack, where
    bss includes .noinit.  The harness I/O region is not counted.
    """

    flash: int
    ram: int
    text: int
    rodata: int
    data: int
    bss: int
    stack: int
    sections: Mapping[str, int] = field(default_factory=dict)


def check_toolchain() -> tuple[str, str]:
    """Paths of (arm-none-eabi-gcc, qemu-system-arm); ToolchainMissingError if absent.

    ``$TINYTS_ARM_GCC`` / ``$TINYTS_QEMU_ARM`` override the names.
    """
    return (
        find_tool("arm-none-eabi-gcc", "TINYTS_ARM_GCC", GCC_PACKAGES),
        find_tool("qemu-system-arm", "TINYTS_QEMU_ARM", QEMU_PACKAGES),
    )


def build_elf(
    sources: Sequence[str | Path],
    include_dirs: Sequence[str | Path] = (),
    out_dir: str | Path = ".",
    defines: Mapping[str, object] | Sequence[str] | None = None,
    dsp: bool = True,
    *,
    name: str = "model",
    opt: str = "-O3",
    extra_cflags: Sequence[str] = (),
    stack_bytes: int = DEFAULT_STACK_BYTES,
    flash_limit: int | None = STM32F767_FLASH_BYTES,
    ram_limit: int | None = STM32F767_RAM_BYTES,
    timeout_s: float = 600.0,
) -> Path:
    """Cross-compile ``sources`` (code under test + adapter) with the harness.

    ``dsp=False`` undefines ``__ARM_FEATURE_DSP`` so code takes its portable
    path.  ``flash_limit``/``ram_limit`` are the MCU limits the linker
    script ASSERTs (default STM32F767); ``None`` allows QEMU's 4 MiB.
    Returns the ELF path ``out_dir/<name>.elf``; BuildError on failure.
    """
    gcc = find_tool("arm-none-eabi-gcc", "TINYTS_ARM_GCC", GCC_PACKAGES)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    elf = out / f"{name}.elf"
    incs = [HARNESS_DIR, DATA_DIR, *map(Path, include_dirs)]
    cmd = [
        gcc,
        *CFLAGS,
        opt,
        *([] if dsp else ["-U__ARM_FEATURE_DSP"]),
        *define_flags(defines),
        *[f"-I{Path(i).resolve()}" for i in incs],
        *extra_cflags,
        *LDFLAGS,
        f"-T{LINKER_SCRIPT}",
        f"-Wl,--defsym=__stack_size__={int(stack_bytes)}",
        f"-Wl,--defsym=__mcu_flash_limit__={int(flash_limit or QEMU_MEMORY_BYTES)}",
        f"-Wl,--defsym=__mcu_ram_limit__={int(ram_limit or QEMU_MEMORY_BYTES)}",
        f"-Wl,-Map={out / (name + '.map')}",
        *[str(Path(s).resolve()) for s in sources],
        *[str(DATA_DIR / s) for s in HARNESS_SOURCES],
        "-o",
        str(elf),
    ]
    try:
        compile_command(cmd, f"arm-none-eabi-gcc failed building {elf.name}", timeout_s)
    except BuildError as exc:
        text = exc.stderr
        if "nano.specs" in text or "cannot find -lc" in text:
            raise ToolchainMissingError(
                "newlib for arm-none-eabi", ("libnewlib-arm-none-eabi",), "nano.specs / libc missing"
            ) from exc
        raise
    return elf


def _decode_bits(value: int, names: Mapping[int, str]) -> tuple[str, ...]:
    return tuple(n for bit, n in sorted(names.items()) if value >> bit & 1)


def _fault_error(elf: Path, workdir: Path, code: int, console: str) -> TargetFaultError:
    fault = FAULT_NAMES.get(code, f"exception {code - 0x80}")
    rec_path = workdir / "fault.bin"
    if not rec_path.exists() or rec_path.stat().st_size != _FAULT.size:
        return TargetFaultError(f"{fault} on the emulated Cortex-M7 (no fault record)",
                                fault=fault, exit_code=code, console=console)
    (_magic, _code, frame_ok, pc, lr, _xpsr, cfsr, hfsr, mmfar, bfar, sp,
     stack_limit, _stack_top) = _FAULT.unpack(rec_path.read_bytes())
    flags = _decode_bits(cfsr, _CFSR_BITS) + _decode_bits(hfsr, _HFSR_BITS)
    address = bfar if "BFARVALID" in flags else mmfar if "MMARVALID" in flags else None
    try:
        where = Elf32(elf).function_at(pc) if frame_ok else None
    except (OSError, ValueError):
        where = None
    parts = [f"{fault} on the emulated Cortex-M7"]
    if frame_ok:
        parts.append(f"pc=0x{pc:08x}" + (f" ({where})" if where else "") + f" lr=0x{lr:08x}")
    else:
        parts.append(f"stacked frame unreadable (sp=0x{sp:08x})")
    if address is not None:
        parts.append(f"fault address=0x{address:08x}")
    parts.append(f"CFSR=0x{cfsr:08x} [{' '.join(flags) or '-'}]")
    if sp < stack_limit + 64 or (address is not None and stack_limit - 4096 <= address < stack_limit) \
            or "STKERR" in flags or "MSTKERR" in flags:
        parts.append("likely stack overflow: raise stack_bytes")
    return TargetFaultError(", ".join(parts), fault=fault, pc=pc if frame_ok else None,
                            fault_address=address, cfsr_flags=flags, exit_code=code,
                            console=console)


def run_elf(
    elf: str | Path,
    input_bytes: bytes,
    output_bytes: int,
    timeout_s: float = 60.0,
    *,
    icount_shift: int = DEFAULT_ICOUNT_SHIFT,
    workdir: str | Path | None = None,
) -> RunResult:
    """Run one inference of ``elf`` (from :func:`build_elf`) under QEMU.

    Raises TargetTimeoutError if QEMU runs longer than ``timeout_s`` (wall
    clock), TargetFaultError on a CPU fault (its ``fault`` names it), and
    TargetRunError on any other failure.  A non-zero return of the invoke
    function is not an error: see ``exit_code``/``invoke_status``.
    """
    qemu = find_tool("qemu-system-arm", "TINYTS_QEMU_ARM", QEMU_PACKAGES)
    elf = Path(elf).resolve()
    data = bytes(input_bytes)
    try:
        image = Elf32(elf)
        want_in = image.read_u32("tinyts_harness_input_bytes")
        want_out = image.read_u32("tinyts_harness_output_bytes")
    except (OSError, ValueError, KeyError) as exc:
        raise TargetRunError(f"{elf}: not a tinyts harness ELF ({exc})") from exc
    if len(data) != want_in:
        raise TargetRunError(f"{elf.name} takes {want_in} input bytes, got {len(data)}")
    if output_bytes != want_out:
        raise TargetRunError(f"{elf.name} writes {want_out} output bytes, caller expects {output_bytes}")

    with tempfile.TemporaryDirectory(prefix="tinyts-m7-") as tmp:
        wd = Path(workdir) if workdir is not None else Path(tmp)
        wd.mkdir(parents=True, exist_ok=True)
        for stale in ("output.bin", "stats.bin", "fault.bin"):
            (wd / stale).unlink(missing_ok=True)
        (wd / "input.bin").write_bytes(data)
        cmd = [
            qemu, "-M", "mps2-an500", "-cpu", "cortex-m7", "-nographic",
            "-monitor", "none", "-serial", "none",
            "-semihosting-config", "enable=on,target=native",
            "-icount", f"shift={int(icount_shift)}",
            "-kernel", str(elf),
        ]
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=wd, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            console = (exc.stderr or b"").decode("utf-8", "replace")
            raise TargetTimeoutError(
                f"{elf.name} did not finish within {timeout_s:g} s on QEMU "
                "(hang or infinite loop?); QEMU was killed",
                console=console,
            ) from exc
        wall = time.perf_counter() - t0
        console = (proc.stdout + proc.stderr).decode("utf-8", "replace")
        code = proc.returncode
        if code in FAULT_NAMES or 0x80 <= code <= 0x8F:
            raise _fault_error(elf, wd, code, console)
        if code not in (0, 3):
            why = HARNESS_EXIT.get(code, "unexpected exit status (QEMU error or exit() in the code)")
            raise TargetRunError(f"{elf.name} exited with {code}: {why}", exit_code=code, console=console)
        stats_raw = (wd / "stats.bin").read_bytes() if (wd / "stats.bin").exists() else b""
        if len(stats_raw) != _STATS.size:
            raise TargetRunError(f"{elf.name}: missing or short stats.bin", exit_code=code, console=console)
        (magic, _ver, status, ticks, base, stack_invoke, stack_total, stack_size,
         _in_n, out_n) = _STATS.unpack(stats_raw)
        if magic != _STATS_MAGIC:
            raise TargetRunError(f"{elf.name}: bad stats.bin magic", exit_code=code, console=console)
        output = (wd / "output.bin").read_bytes()
        if len(output) != out_n:
            raise TargetRunError(f"{elf.name}: output.bin has {len(output)} bytes, expected {out_n}",
                                 exit_code=code, console=console)

    ns_per_tick = 1e9 / COUNTER_HZ
    instructions = round((ticks - base) * ns_per_tick / (1 << icount_shift))
    return RunResult(
        output=output,
        instructions=max(instructions, 0),
        peak_stack_bytes=stack_invoke,
        exit_code=code,
        invoke_status=status,
        total_stack_bytes=stack_total,
        stack_size=stack_size,
        counter_ticks=ticks,
        baseline_ticks=base,
        icount_shift=icount_shift,
        wall_time_s=wall,
        console=console,
    )


def section_sizes(elf: str | Path) -> SectionSizes:
    """Flash/RAM breakdown of an ELF linked with ``m7.ld`` (no binutils needed)."""
    image = Elf32(elf)
    text = rodata = data = bss = stack = 0
    sizes: dict[str, int] = {}
    for s in image.sections:
        if not s.alloc or s.size == 0:
            continue
        sizes[s.name] = s.size
        in_flash = FLASH_BASE <= s.addr < RAM_BASE and not s.nobits
        in_ram = RAM_BASE <= s.addr < RAM_END
        if s.name == ".stack":
            stack += s.size
        elif in_ram and s.nobits:
            bss += s.size
        elif in_ram:
            data += s.size
        elif in_flash and (s.flags & 0x4 or s.name == ".vectors"):
            text += s.size
        elif in_flash:
            rodata += s.size
    return SectionSizes(
        flash=text + rodata + data,
        ram=data + bss + stack,
        text=text,
        rodata=rodata,
        data=data,
        bss=bss,
        stack=stack,
        sections=sizes,
    )
