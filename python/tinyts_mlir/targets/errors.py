"""Errors raised by the target runners (host and emulated Cortex-M7)."""

from __future__ import annotations

__all__ = [
    "TargetError",
    "ToolchainMissingError",
    "BuildError",
    "TargetRunError",
    "TargetTimeoutError",
    "TargetFaultError",
]


class TargetError(RuntimeError):
    """Base class of every error raised by ``tinyts_mlir.targets``."""


class ToolchainMissingError(TargetError):
    """A compiler or emulator needed by a target is not installed."""

    def __init__(self, tool: str, packages: tuple[str, ...], detail: str = "") -> None:
        self.tool = tool
        self.packages = packages
        msg = f"{tool} not found"
        if detail:
            msg += f" ({detail})"
        if packages:
            msg += (
                f"; it comes from the Debian package(s) {', '.join(packages)}: "
                f"run `apt-get update && apt-get install -y {' '.join(packages)}` "
                "(scripts/setup.sh does this)"
            )
        super().__init__(msg)


class BuildError(TargetError):
    """Compiling or linking failed; ``stderr`` holds the compiler's output."""

    def __init__(self, message: str, command: list[str], stderr: str) -> None:
        self.command = command
        self.stderr = stderr
        super().__init__(f"{message}\n$ {' '.join(command)}\n{stderr.strip()}")


class TargetRunError(TargetError):
    """The program ran but did not produce a valid result."""

    def __init__(self, message: str, exit_code: int | None = None, console: str = "") -> None:
        self.exit_code = exit_code
        self.console = console
        if console.strip():
            message += f"\n--- console ---\n{console.strip()}"
        super().__init__(message)


class TargetTimeoutError(TargetRunError):
    """The program did not finish within its time limit (a hang is a failure)."""


class TargetFaultError(TargetRunError):
    """The emulated CPU took a fault exception (HardFault, BusFault, ...)."""

    def __init__(
        self,
        message: str,
        *,
        fault: str,
        pc: int | None = None,
        fault_address: int | None = None,
        cfsr_flags: tuple[str, ...] = (),
        exit_code: int | None = None,
        console: str = "",
    ) -> None:
        self.fault = fault
        self.pc = pc
        self.fault_address = fault_address
        self.cfsr_flags = cfsr_flags
        super().__init__(message, exit_code=exit_code, console=console)
