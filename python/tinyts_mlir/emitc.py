"""C emission from EmitC IR (MLIR's ``translateToCpp``)."""

from __future__ import annotations

from mlir import ir

from . import _tinyts


class TranslationError(RuntimeError):
    """The EmitC emitter rejected the module (the message has its diagnostics)."""


def translate_to_c(module: ir.Module | ir.Operation, *,
                   declare_variables_at_top: bool = False) -> str:
    """Return the C source MLIR's EmitC emitter produces for ``module``.

    The module must hold only ops the emitter understands (``emitc``,
    ``func``, ``cf``/``scf`` after conversion, ...). Raises
    :class:`TranslationError` with the emitter's diagnostics otherwise.
    """
    try:
        return _tinyts.translate_to_c(module, declare_variables_at_top)
    except RuntimeError as err:
        raise TranslationError(str(err)) from None
