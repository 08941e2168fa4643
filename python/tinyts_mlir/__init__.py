"""TinyTS-MLIR: int8 TFLite CNNs to bare-metal C for Cortex-M7.

Importing this package registers the ``tinyts`` dialect in the ``mlir``
package's global dialect registry (so every new ``mlir.ir.Context`` has it)
and registers the ``tinyts-*`` passes, so that for example::

    from mlir.ir import Context, Module
    from mlir.passmanager import PassManager
    import tinyts_mlir

    with Context():
        module = Module.parse(text)
        PassManager.parse("builtin.module(tinyts-raise-kernels, canonicalize)").run(
            module.operation)
"""

from __future__ import annotations

import mlir.ir  # noqa: F401  (loads the one MLIR copy before our extension)
from mlir._mlir_libs import get_dialect_registry

from . import _tinyts

_tinyts.register_dialects(get_dialect_registry())
_tinyts.register_passes()

from .compiler import CompiledModel, compile  # noqa: E402
from .emitc import translate_to_c  # noqa: E402
from .pipeline import CompileError  # noqa: E402

__all__ = ["CompileError", "CompiledModel", "compile", "translate_to_c", "__version__"]
__version__ = "0.1.0"
