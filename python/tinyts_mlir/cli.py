"""The ``tinyts`` command line: a thin layer over the library.

Subcommands are added by the modules that implement them, each through an
``add_*_subcommand(subparsers)`` function that sets ``func`` on its parser.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from . import __version__

SubcommandAdder = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _subcommand_adders() -> list[SubcommandAdder]:
    from .cli_compile import add_compile_subcommands
    from .frontend.cli import add_import_subcommand

    return [add_import_subcommand, add_compile_subcommands]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinyts",
        description="Compile int8 TFLite CNNs to bare-metal C for Cortex-M7 (TinyTS-MLIR).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _subcommand_adders():
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except (ValueError, OSError, RuntimeError) as err:
        print(f"tinyts {args.command}: error: {err}", file=sys.stderr)
        return 1
