"""Static bound of the stack and static RAM of generated code on Cortex-M7.

arm-none-eabi-gcc compiles the runtime kernels and the generated model C with
the flags of :func:`build_elf` plus ``-fstack-usage -fcallgraph-info=su``: each
function's frame size and its calls. The bound of a function is its frame plus
the largest bound of any function it calls; a call out of the compiled code
(newlib's ``memcpy``/``memset``) is charged :data:`EXTERNAL_FRAME_BYTES`. The
code has no recursion and no calls through pointers, so the bound is exact up
to paths the data never takes: it is never below the stack measured on the
emulated board.

Compiled call graphs are cached by content in the temporary folder, so a
runtime is analysed once per machine and a model source once per search.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .._process import compile_command, find_tool
from . import CFLAGS, GCC_PACKAGES

__all__ = ["EXTERNAL_FRAME_BYTES", "CallGraph", "StackAnalysisError", "runtime_graph",
           "model_graph", "stack_bound", "static_ram_bytes"]

# newlib-nano's ARM memcpy/memset/memmove push at most a few registers.
EXTERNAL_FRAME_BYTES = 64
_NODE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
_EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
_FRAME = re.compile(r"\\n(\d+) bytes \(([a-z, ]+)\)")


class StackAnalysisError(RuntimeError):
    """The call graph has recursion or an unbounded (dynamic) frame."""


@dataclass
class CallGraph:
    """Frames (bytes) of the functions defined, by name, and their callees."""

    frames: dict[str, int] = field(default_factory=dict)
    calls: dict[str, set[str]] = field(default_factory=dict)
    # static RAM (.data + .bss) of the compiled objects, by object
    ram: dict[str, int] = field(default_factory=dict)

    def merge(self, other: CallGraph) -> CallGraph:
        return CallGraph({**self.frames, **other.frames},
                         {**self.calls, **other.calls}, {**self.ram, **other.ram})


def _name(title: str) -> str:
    """A node title is ``file:function`` for a function defined in that file
    and ``function`` for one it only calls."""
    return title.rsplit(":", 1)[-1]


def parse_callgraph(text: str, where: str) -> CallGraph:
    """One ``.ci`` file of ``-fcallgraph-info=su``."""
    graph = CallGraph()
    for title, label in _NODE.findall(text):
        m = _FRAME.search(label)
        if m is None:
            continue  # declared only: called, not defined here
        if m.group(2) != "static":
            raise StackAnalysisError(f"{_name(title)} in {where} has a {m.group(2)} stack "
                                     "frame: no static bound")
        graph.frames[_name(title)] = int(m.group(1))
    for src, dst in _EDGE.findall(text):
        graph.calls.setdefault(_name(src), set()).add(_name(dst))
    return graph


def _cache_dir(key: str) -> Path:
    d = Path(tempfile.gettempdir()) / "tinyts-stack" / key
    d.mkdir(parents=True, exist_ok=True)
    return d


def _section_ram(obj: Path) -> int:
    """.data + .bss bytes of one object (from its section headers)."""
    from ..elf import Elf32

    return sum(s.size for s in Elf32(obj).sections
               if s.alloc and s.name.startswith((".data", ".bss", "COMMON")))


def _compile(sources: list[Path], include_dirs: list[Path], dsp: bool) -> CallGraph:
    flags = [*CFLAGS, "-O3", *([] if dsp else ["-U__ARM_FEATURE_DSP"]),
             *[f"-I{d}" for d in include_dirs]]
    digest = hashlib.sha256(" ".join(flags).encode())
    for s in sources:
        digest.update(s.name.encode() + s.read_bytes())
    out = _cache_dir(digest.hexdigest()[:20])
    graph = CallGraph()
    for src in sources:
        ci, obj = out / f"{src.stem}.ci", out / f"{src.stem}.o"
        if not ci.exists():
            gcc = find_tool("arm-none-eabi-gcc", "TINYTS_ARM_GCC", GCC_PACKAGES)
            compile_command([gcc, *flags, "-fstack-usage", "-fcallgraph-info=su", "-c",
                             str(src), "-o", str(obj)],
                            f"arm-none-eabi-gcc failed analysing {src.name}", 600.0, cwd=out)
        graph = graph.merge(parse_callgraph(ci.read_text(), src.name))
        graph.ram[src.name] = _section_ram(obj)
    return graph


def runtime_graph(runtime_dir: Path, dsp: bool = True) -> CallGraph:
    """Call graph of the runtime kernels (``runtime_dir``/src/*.c)."""
    return _compile(sorted((runtime_dir / "src").glob("*.c")), runtime_includes(runtime_dir), dsp)


def runtime_includes(runtime_dir: Path) -> list[Path]:
    return [runtime_dir / "include", runtime_dir / "src"]


_CONST_ARRAY = re.compile(r"^static (const [^=]+) = \{.*\};$", re.MULTILINE)


def without_constant_data(source: str) -> str:
    """``source`` with its constant arrays (weights) declared, not defined:
    frames and calls are the same, and it compiles in a fraction of the time."""
    return _CONST_ARRAY.sub(r"extern \1;", source)


def model_graph(files: dict[str, str], include_dirs: list[Path], dsp: bool = True) -> CallGraph:
    """Call graph of generated files (name -> text): every ``.c`` among them is
    compiled (constant arrays declared only), with the others (headers)
    beside it."""
    files = {n: without_constant_data(t) if n.endswith(".c") else t for n, t in files.items()}
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode())
    d = _cache_dir("src-" + digest.hexdigest()[:20])
    for name, text in files.items():
        if not (d / name).exists():
            (d / name).write_text(text)
    return _compile(sorted(d / n for n in files if n.endswith(".c")), [d, *include_dirs], dsp)


def stack_bound(graph: CallGraph, root: str) -> int:
    """Worst-case stack bytes of a call to ``root`` (its frame and its deepest
    chain of calls)."""
    memo: dict[str, int] = {}

    def visit(fn: str, path: tuple[str, ...]) -> int:
        if fn in path:
            raise StackAnalysisError("recursion: " + " -> ".join((*path, fn)))
        if fn not in memo:
            if fn not in graph.frames:
                return EXTERNAL_FRAME_BYTES
            memo[fn] = graph.frames[fn] + max(
                (visit(c, (*path, fn)) for c in graph.calls.get(fn, ())), default=0)
        return memo[fn]

    if root not in graph.frames:
        raise StackAnalysisError(f"{root} is not defined in the analysed code")
    return visit(root, ())


def static_ram_bytes(graph: CallGraph, exclude: str = "") -> int:
    """.data + .bss of the compiled objects, without object ``exclude``."""
    return sum(v for k, v in graph.ram.items() if k != exclude)

