"""`tinyts import model.tflite -o model.mlir [--bytecode] [--generic]` subcommand."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import TFLiteImportError


def run_import(args: argparse.Namespace) -> int:
    from .importer import import_tflite

    try:
        module = import_tflite(args.model)
    except TFLiteImportError as e:
        print(f"tinyts import: error: {args.model}: {e}", file=sys.stderr)
        return 1
    out = args.output
    if args.bytecode:
        if out is None or str(out) == "-":
            print("tinyts import: error: --bytecode needs -o FILE", file=sys.stderr)
            return 2
        with open(out, "wb") as f:
            module.operation.write_bytecode(f)
        return 0
    text = module.operation.get_asm(print_generic_op_form=args.generic, large_elements_limit=None)
    if out is None or str(out) == "-":
        sys.stdout.write(text)
    else:
        Path(out).write_text(text)
    return 0


def add_import_subcommand(subparsers) -> argparse.ArgumentParser:
    """Register `import` on an argparse subparsers object; the handler is stored as `func`."""
    p = subparsers.add_parser(
        "import",
        help="import an int8 .tflite model as TOSA MLIR",
        description="Import an int8 TFLite CNN as one func.func @main in spec-valid TOSA 1.0 "
                    "(static shapes, batch 1, TFLite Micro's double rounding).")
    p.add_argument("model", help="input .tflite file")
    p.add_argument("-o", "--output", default=None, help="output file (default: stdout; '-' for stdout)")
    p.add_argument("--bytecode", action="store_true", help="write MLIR bytecode instead of text")
    p.add_argument("--generic", action="store_true",
                   help="print the generic op form (what IREE 3.13 needs for tosa.const_shape)")
    p.set_defaults(func=run_import)
    return p


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (python -m tinyts_mlir.frontend.cli import ...)."""
    parser = argparse.ArgumentParser(prog="tinyts")
    sub = parser.add_subparsers(dest="command", required=True)
    add_import_subcommand(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
