"""Targets that build and run C: the host and an emulated Cortex-M7 (QEMU).

Both share one adapter contract (``harness/tinyts_harness.h``); see
:mod:`tinyts_mlir.targets.cortex_m7` and :mod:`tinyts_mlir.targets.host`.
"""

from .errors import (
    BuildError,
    TargetError,
    TargetFaultError,
    TargetRunError,
    TargetTimeoutError,
    ToolchainMissingError,
)

__all__ = [
    "BuildError",
    "TargetError",
    "TargetFaultError",
    "TargetRunError",
    "TargetTimeoutError",
    "ToolchainMissingError",
]
