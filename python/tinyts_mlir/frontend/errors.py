"""Errors raised by the TFLite importer."""
from __future__ import annotations


class TFLiteImportError(ValueError):
    """A .tflite file cannot be imported (malformed, or outside what we support).

    The message names the operator index and op name when an operator is at fault.
    """


def op_error(index: int, op_name: str, why: str) -> TFLiteImportError:
    return TFLiteImportError(f"operator #{index} ({op_name}): {why}")
