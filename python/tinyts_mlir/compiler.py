"""``tinyts_mlir.compile``: a TFLite model (or imported module) to C.

>>> import tinyts_mlir
>>> cm = tinyts_mlir.compile("model.tflite", target="cortex-m7")
>>> cm.arena_bytes, cm.flash_bytes, cm.save("out/")
>>> y = cm.run(x)                # host build, cached
>>> r = cm.run_on_cortex_m7(x)   # QEMU: outputs, instructions, peak stack
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from mlir import ir

from . import analysis, autopatch, autosplit, codegen, pipeline
from . import budget as budget_mod
from .codegen import TensorInfo
from .emitc import translate_to_c
from .pipeline import CompileError, MemoryPlan, PlannedBuffer
from .progress import Progress

TARGETS = ("cortex-m7", "host")
RUNTIME_DIR = Path(__file__).resolve().parents[2] / "runtime"
_HARNESS_H = Path(__file__).resolve().parent / "targets" / "harness" / "tinyts_harness.h"


def _tensor_infos(func: ir.Operation, which: str,
                  float_quant: dict[int, tuple[float, int]]) -> list[TensorInfo]:
    """The model's inputs or outputs. int8 tensors carry their quantization; a
    float tensor (float-IO models) carries the quantization of the int8 tensor
    its QUANTIZE produces / its DEQUANTIZE reads (``float_quant``)."""
    ftype = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
    types = ftype.inputs if which == "arg" else ftype.results
    attr_name = "arg_attrs" if which == "arg" else "res_attrs"
    attrs = (ir.ArrayAttr(func.attributes[attr_name])
             if attr_name in func.attributes else None)
    infos = []
    for i, t in enumerate(types):
        rt = ir.RankedTensorType(t)
        d = ir.DictAttr(attrs[i]) if attrs is not None else None
        elt = rt.element_type
        if isinstance(elt, ir.IntegerType) and elt.width == 8:
            dtype = "int8"
        elif isinstance(elt, ir.F32Type):
            dtype = "float32"
        else:
            raise CompileError(f"model {which} {i} has element type {elt}: only int8 and "
                               "float32 model inputs and outputs are supported")

        def get(key: str, default, conv, d=d):
            return conv(d[key]) if d is not None and key in d else default

        scale = get("tinyts.scale", 1.0, lambda a: ir.FloatAttr(a).value)
        zero_point = get("tinyts.zero_point", 0, lambda a: ir.IntegerAttr(a).value)
        if dtype == "float32":
            scale, zero_point = float_quant[i]
        infos.append(TensorInfo(
            name=get("tinyts.name", f"{which}{i}", lambda a: ir.StringAttr(a).value),
            shape=tuple(rt.shape), dtype=dtype, scale=scale, zero_point=zero_point))
    return infos


def _to_module(model: str | Path | bytes | ir.Module) -> ir.Module:
    if isinstance(model, ir.Module):
        # Compile a copy: the pipeline rewrites the module in place.
        return ir.Module.parse(str(model), context=model.context)
    from .frontend import import_tflite

    return import_tflite(model)


@dataclass
class CompiledModel:
    """C sources of one compiled model and what the compiler knows about them."""

    prefix: str
    target: str
    source: str
    header: str
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    plan: MemoryPlan
    compile_seconds: float
    # TOSA ops with no kernel, compiled as generic loops: {op name: count}.
    generic_ops: dict[str, int] = field(default_factory=dict)
    strategy: str = "layerwise"
    # Smallest band height of the split ops (None: nothing split).
    band_height: int | None = None
    order: str = "depth-first"
    # The segments and band heights split ("a-b:h,..."; "" with band_height
    # set: every op, one segment).
    segments: str = ""
    # strategy="patch": patches per side of the grid and the index of the
    # stage's last row-mappable op (0 / None: not patched).
    patches: int = 0
    stage_end: int | None = None
    # Split ops: one entry per op split into row bands.
    split_layers: list[pipeline.SplitLayer] = field(default_factory=list)
    # The same model planned layer-wise (whole tensors), for comparison.
    layerwise_plan: MemoryPlan | None = None
    # Kernel ops of the model before splitting, in order: MACs per op.
    layer_macs: list[analysis.OpMacs] = field(default_factory=list)
    # SRAM budget asked for (bytes; None: none) and, for a budget compile, the
    # lower bound of peak SRAM no configuration goes below, with its reason.
    sram_budget: int | None = None
    sram_lower_bound: int | None = None
    sram_lower_bound_reason: str = ""
    _stack_bytes: int | None = field(default=None, repr=False)
    _static_ram_bytes: int | None = field(default=None, repr=False)
    _host_exe: Path | None = field(default=None, repr=False)
    _flash_bytes: int | None = field(default=None, repr=False)
    _workdir: Path | None = field(default=None, repr=False)

    @property
    def arena_bytes(self) -> int:
        return self.plan.arena_bytes

    @property
    def stack_bytes(self) -> int:
        """Upper bound of the stack an inference uses on Cortex-M7 (the invoke
        call through the harness adapter, as the board measures it), from
        arm-none-eabi-gcc's static call graph (:mod:`~tinyts_mlir.targets.cortex_m7.stack`)."""
        if self._stack_bytes is None:
            self._stack_bytes, self._static_ram_bytes = _sram_analysis(
                self.prefix, self.source, self.header, self.inputs, self.outputs,
                self.arena_bytes)
        return self._stack_bytes

    @property
    def static_ram_bytes(self) -> int:
        """.data + .bss of the model and runtime beside the arena."""
        self.stack_bytes  # noqa: B018  (analyses both)
        assert self._static_ram_bytes is not None
        return self._static_ram_bytes

    @property
    def peak_sram_bytes(self) -> int:
        """Peak SRAM on the board, an upper bound: arena + stack + other static RAM."""
        return self.plan.arena_bytes + self.stack_bytes + self.static_ram_bytes

    def memory_timeline(self) -> list[tuple[int, int]]:
        """Bytes live in the arena at each step of the schedule where that
        changes: [(step, bytes)], a step being an op index of the planned
        function (band by band under the split strategy)."""
        return self.plan.timeline()

    @property
    def flash_bytes(self) -> int:
        """Flash of the Cortex-M7 image (text + rodata + data load image: weights,
        generated code, the runtime kernels it links, startup and harness), from
        the ELF built with arm-none-eabi-gcc (DSP kernels on). Built once, cached."""
        if self._flash_bytes is None:
            from .targets import cortex_m7

            self._flash_bytes = cortex_m7.section_sizes(self.build_cortex_m7()).flash
        return self._flash_bytes

    def runtime_sources(self) -> list[Path]:
        return sorted((RUNTIME_DIR / "src").glob("*.c"))

    def save(self, out_dir: str | Path) -> Path:
        """Write a self-contained folder: model C/H, runtime, Makefile."""
        out = Path(out_dir)
        # A fresh runtime/ copy: a file left from an older runtime (a kernel
        # since moved or renamed) would be compiled in too.
        shutil.rmtree(out / "runtime", ignore_errors=True)
        (out / "runtime").mkdir(parents=True)
        (out / f"{self.prefix}.c").write_text(self.source)
        (out / f"{self.prefix}.h").write_text(self.header)
        for src in self.runtime_sources():
            shutil.copy2(src, out / "runtime" / src.name)
        for hdr in list((RUNTIME_DIR / "include").glob("*.h")) + list(
                (RUNTIME_DIR / "src").glob("*.h")):
            shutil.copy2(hdr, out / "runtime" / hdr.name)
        (out / "Makefile").write_text(_makefile(self.prefix))
        (out / "model.json").write_text(json.dumps(self._description(), indent=2) + "\n")
        return out

    def _description(self) -> dict:
        return {
            "prefix": self.prefix,
            "target": self.target,
            "arena_bytes": self.arena_bytes,
            "compile_seconds": self.compile_seconds,
            "generic_ops": self.generic_ops,
            "strategy": self.strategy,
            "band_height": self.band_height,
            "order": self.order,
            "segments": self.segments,
            "patches": self.patches,
            "stage_end": self.stage_end,
            "split_layers": [dataclasses.asdict(s) for s in self.split_layers],
            "sram_budget": self.sram_budget,
            "sram_lower_bound": self.sram_lower_bound,
            "sram_lower_bound_reason": self.sram_lower_bound_reason,
            "stack_bytes": self._stack_bytes,
            "static_ram_bytes": self._static_ram_bytes,
            "inputs": [dataclasses.asdict(t) for t in self.inputs],
            "outputs": [dataclasses.asdict(t) for t in self.outputs],
            "memory_plan": [dataclasses.asdict(b) for b in self.plan.buffers],
        }

    @classmethod
    def load(cls, folder: str | Path) -> CompiledModel:
        """Reopen a folder written by :meth:`save`."""
        folder = Path(folder)
        meta_path = folder / "model.json"
        if not meta_path.is_file():
            raise FileNotFoundError(f"{folder} has no model.json: not a folder written by "
                                    "`tinyts compile` / CompiledModel.save")
        meta = json.loads(meta_path.read_text())
        prefix = meta["prefix"]

        def tensors(key: str) -> list[TensorInfo]:
            return [TensorInfo(**{**t, "shape": tuple(t["shape"])}) for t in meta[key]]

        plan = MemoryPlan(arena_bytes=meta["arena_bytes"],
                          buffers=tuple(PlannedBuffer(**b) for b in meta["memory_plan"]))
        return cls(prefix=prefix, target=meta["target"],
                   source=(folder / f"{prefix}.c").read_text(),
                   header=(folder / f"{prefix}.h").read_text(),
                   inputs=tensors("inputs"), outputs=tensors("outputs"), plan=plan,
                   compile_seconds=meta["compile_seconds"],
                   generic_ops=meta.get("generic_ops", {}),
                   strategy=meta.get("strategy", "layerwise"),
                   band_height=meta.get("band_height"), order=meta.get("order", "depth-first"),
                   segments=meta.get("segments", ""),
                   patches=meta.get("patches", 0), stage_end=meta.get("stage_end"),
                   split_layers=[pipeline.SplitLayer(**s) for s in meta.get("split_layers", [])],
                   sram_budget=meta.get("sram_budget"),
                   sram_lower_bound=meta.get("sram_lower_bound"),
                   sram_lower_bound_reason=meta.get("sram_lower_bound_reason", ""),
                   _stack_bytes=meta.get("stack_bytes"),
                   _static_ram_bytes=meta.get("static_ram_bytes"))

    def _dir(self) -> Path:
        if self._workdir is None:
            digest = hashlib.sha256(self.source.encode()).hexdigest()[:16]
            self._workdir = Path(tempfile.gettempdir()) / f"tinyts-{self.prefix}-{digest}"
            self.save(self._workdir)
            (self._workdir / "adapter.c").write_text(
                codegen.harness_adapter(self.prefix, self.inputs, self.outputs))
        return self._workdir

    def _sources(self) -> list[Path]:
        d = self._dir()
        return [d / f"{self.prefix}.c", d / "adapter.c", *sorted((d / "runtime").glob("*.c"))]

    @property
    def _output_bytes(self) -> int:
        return codegen.packed_offsets(self.outputs)[1]

    def _check_inputs(self, xs: tuple[np.ndarray, ...]) -> bytes:
        if len(xs) != len(self.inputs):
            raise ValueError(f"the model takes {len(self.inputs)} input(s), got {len(xs)}")
        offsets, total = codegen.packed_offsets(self.inputs)
        data = bytearray(total)
        for info, x, offset in zip(self.inputs, xs, offsets):
            arr = np.asarray(x)
            if arr.dtype != np.dtype(info.dtype) or arr.size != int(np.prod(info.shape)):
                raise ValueError(f"input '{info.name}' must be {info.dtype} with shape "
                                 f"{list(info.shape)}, got {arr.dtype}{list(arr.shape)}")
            data[offset:offset + info.nbytes] = arr.tobytes()
        return bytes(data)

    def _outputs(self, raw: bytes) -> np.ndarray | list[np.ndarray]:
        outs = []
        for info, offset in zip(self.outputs, codegen.packed_offsets(self.outputs)[0]):
            outs.append(np.frombuffer(raw[offset:offset + info.nbytes],
                                      dtype=info.dtype).reshape(info.shape).copy())
        return outs[0] if len(outs) == 1 else outs

    def run(self, *xs: np.ndarray) -> np.ndarray | list[np.ndarray]:
        """Run on the host (built once per model with the host cc)."""
        from .targets import host

        data = self._check_inputs(xs)
        if self._host_exe is None or not self._host_exe.exists():
            d = self._dir()
            self._host_exe = host.build_executable(
                self._sources(), [d, d / "runtime"], d / "build-host", name="model_host")
        result = host.run_executable(self._host_exe, data, self._output_bytes)
        return self._outputs(result.output)

    def build_cortex_m7(self, dsp: bool = True, mcu_limits: bool = True) -> Path:
        """Cross-compile the model with the harness into an ELF for the emulated
        board. ``mcu_limits=False`` lifts the real MCU's limits the linker
        script enforces (STM32F767: 2 MiB flash, 512 KiB SRAM) to QEMU's 4 MiB
        each, to measure models too big for that MCU."""
        from .targets import cortex_m7

        d = self._dir()
        limits = {} if mcu_limits else {"flash_limit": None, "ram_limit": None}
        build = ("build-m7" if dsp else "build-m7-nodsp") + ("" if mcu_limits else "-qemu")
        return cortex_m7.build_elf(self._sources(), [d, d / "runtime"], d / build,
                                   dsp=dsp, name="model", **limits)

    def run_on_cortex_m7(self, *xs: np.ndarray, dsp: bool = True, mcu_limits: bool = True):
        """Run on the emulated Cortex-M7; returns (outputs, RunResult, SectionSizes).
        ``mcu_limits``: see :meth:`build_cortex_m7`."""
        from .targets import cortex_m7

        elf = self.build_cortex_m7(dsp=dsp, mcu_limits=mcu_limits)
        result = cortex_m7.run_elf(elf, self._check_inputs(xs), self._output_bytes)
        return self._outputs(result.output), result, cortex_m7.section_sizes(elf)

    def report(self, path: str | Path, tflm_arena_bytes: int | None = None) -> Path:
        """Write the memory report (:mod:`tinyts_mlir.report`): a self-contained
        HTML page at ``path`` and its PNG plots beside it; return ``path``."""
        from .report import write_report

        return write_report(self, path, tflm_arena_bytes=tflm_arena_bytes)


def _makefile(prefix: str) -> str:
    return f"""# Generated by TinyTS-MLIR: builds {prefix} for the host and for Cortex-M7.
SRCS := {prefix}.c $(wildcard runtime/*.c)
CFLAGS_COMMON := -std=c99 -O3 -Wall -Iruntime -I.
ARM_FLAGS := -mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16 -ffp-contract=off

all: host m7

host: $(SRCS)
\tmkdir -p build/host && cd build/host && $(CC) $(CFLAGS_COMMON:-I%=-I../../%) -c $(addprefix ../../,$(SRCS))

m7: $(SRCS)
\tmkdir -p build/m7 && cd build/m7 && arm-none-eabi-gcc $(ARM_FLAGS) $(CFLAGS_COMMON:-I%=-I../../%) -c $(addprefix ../../,$(SRCS))

clean:
\trm -rf build

.PHONY: all host m7 clean
"""


def _sram_analysis(prefix: str, source: str, header: str, inputs: list[TensorInfo],
                   outputs: list[TensorInfo], arena_bytes: int) -> tuple[int, int]:
    """(stack bound of an inference, static RAM beside the arena) on Cortex-M7."""
    from .targets._process import HARNESS_DIR
    from .targets.cortex_m7 import stack

    files = {f"{prefix}.c": source, f"{prefix}.h": header,
             "adapter.c": codegen.harness_adapter(prefix, inputs, outputs)}
    graph = stack.runtime_graph(RUNTIME_DIR).merge(
        stack.model_graph(files, [*stack.runtime_includes(RUNTIME_DIR), HARNESS_DIR]))
    return (stack.stack_bound(graph, "tinyts_harness_invoke"),
            stack.static_ram_bytes(graph) - arena_bytes)


# Invoke frame of the generated function (row-pointer tables, call
# arguments), a first guess before the budget search lowers a configuration.
_INVOKE_FRAME_GUESS = 256
# A budget search stops when the configuration found leaves less unused.
_BUDGET_SLACK = 512


@dataclass
class _Lowered:
    plan: MemoryPlan
    source: str
    header: str
    split_layers: list[pipeline.SplitLayer]
    segments: str


def _lower(text: str, context: ir.Context, prefix: str, order: str, band_height: int | None,
           segments: str, inputs: list[TensorInfo], outputs: list[TensorInfo],
           progress: Progress, patch: tuple[int, int] | None = None) -> _Lowered:
    """Split (when ``band_height`` or ``segments`` is given) or run the first
    stage by patches (``patch``: stage end, patches per side), plan and
    translate a copy of the raised module ``text`` to C."""
    module = ir.Module.parse(text, context=context)
    split_layers: list[pipeline.SplitLayer] = []
    if patch is not None:
        progress.update("cutting the first stage into patches")
        pipeline.patch(module, *patch)
    if band_height is not None or segments:
        progress.update("splitting")
        pipeline.split(module, 1 if band_height is None else band_height, order, segments)
        split_layers = pipeline.split_layers(module)
    progress.update("planning memory")
    plan = pipeline.plan(module)
    progress.update("lowering to C")
    pipeline.lower_to_emitc(module, prefix)
    source = translate_to_c(module)
    header = codegen.header(prefix, plan.arena_bytes, inputs, outputs)
    return _Lowered(plan, source, header, split_layers, segments)


def _fit_budget(text: str, context: ir.Context, budget: int, prefix: str, order: str,
                inputs: list[TensorInfo], outputs: list[TensorInfo],
                progress: Progress) -> tuple[_Lowered, int, int]:
    """The configuration with the fewest estimated instructions whose peak SRAM
    (arena + stack bound + static RAM) fits ``budget``. The arena limit is the
    budget less the stack and static RAM of the configuration lowered last
    (first a guess: the deepest runtime kernel and an invoke frame), until
    they agree: the stack barely changes between configurations."""
    from .targets.cortex_m7 import stack as stack_analysis

    module = ir.Module.parse(text, context=context)
    graph = stack_analysis.runtime_graph(RUNTIME_DIR)
    overhead = _INVOKE_FRAME_GUESS + max(stack_analysis.stack_bound(graph, f)
                                         for f in graph.frames if f.startswith("tinyts_"))
    plans: dict[str, int] = {}

    def lower(config: tuple[autosplit.Segment, ...]) -> tuple[_Lowered, int, int]:
        lowered = _lower(text, context, prefix, order, None, autosplit.segments_option(config),
                         inputs, outputs, progress)
        return (lowered, *_sram_analysis(prefix, lowered.source, lowered.header, inputs,
                                         outputs, lowered.plan.arena_bytes))

    fitted: tuple[_Lowered, int, int] | None = None
    limit = budget - overhead
    for _ in range(4):
        smallest = False
        try:
            config, _ = autosplit.fit_arena(module, limit, order, progress=progress,
                                            cache=plans)
        except autosplit.ArenaLimitError as err:
            config, smallest = err.smallest, True
        lowered, stack, static = lower(config)
        slack = budget - (lowered.plan.arena_bytes + stack + static)
        if slack >= 0:
            # Each try after a fit has a larger limit: a faster configuration.
            fitted = (lowered, stack, static)
        if (0 <= slack <= _BUDGET_SLACK or (slack >= 0 and not config)
                or (slack < 0 and (smallest or fitted is not None))):
            break
        # Correct the limit by what the lowered configuration really needs. An
        # overshoot also caps it at what this configuration's stack and static
        # RAM leave for the arena: its arena may sit below the limit, so the
        # overshoot alone would pick it again.
        limit += slack
        if slack < 0:
            limit = min(limit, budget - stack - static)
    if fitted is not None:
        return fitted
    if not smallest:
        # The tries ended on a configuration larger than the smallest one:
        # the smallest, whose peak the error reports, may still fit.
        try:
            autosplit.fit_arena(module, 0, order, progress=progress, cache=plans)
        except autosplit.ArenaLimitError as err:
            config = err.smallest
            lowered, stack, static = lower(config)
            if lowered.plan.arena_bytes + stack + static <= budget:
                return lowered, stack, static
    # Configurations of the smallest arena differ in stack (the kernels their
    # bands call): the fastest one at that arena may need less, and fit.
    try:
        fastest, _ = autosplit.fit_arena(module, lowered.plan.arena_bytes, order,
                                         progress=progress, cache=plans)
    except autosplit.ArenaLimitError:
        fastest = config
    if fastest != config:
        alternative = lower(fastest)
        peak = alternative[0].plan.arena_bytes + sum(alternative[1:])
        if peak <= budget:
            return alternative
        if peak < lowered.plan.arena_bytes + stack + static:
            lowered, stack, static = alternative
    bound = budget_mod.arena_lower_bound(module)
    peak = lowered.plan.arena_bytes + stack + static
    raise budget_mod.SramBudgetError(
        budget, peak, f"arena {lowered.plan.arena_bytes:,} + stack {stack:,}"
        + (f" + static {static:,}" if static else "")
        + (f", segments '{lowered.segments}'" if lowered.segments else ", whole tensors"),
        bound.arena_bytes + stack + static, bound.reason)


def compile(model: str | Path | bytes | ir.Module, target: str = "cortex-m7", *,
            prefix: str = "tinyts_model", kernels: bool = True,
            strategy: str = "split", band_height: int | None = None,
            order: str = "depth-first", segments: str = "",
            max_overhead: float = autosplit.MAX_OVERHEAD,
            sram_budget: int | str | None = None,
            patches: int = 0, stage_end: int | None = None,
            progress: bool = True) -> CompiledModel:
    """Compile an int8 TFLite model (path, bytes or imported module) to C.

    Float-IO models (a QUANTIZE from float first, a DEQUANTIZE to float last)
    take and return float32 arrays; the generated entry function quantizes from
    the caller's float buffer and dequantizes into it, so the float tensors never
    occupy the arena.

    Ops with no runtime kernel take the generic path (TOSA -> linalg -> loops ->
    EmitC) and are listed in ``CompiledModel.generic_ops``. ``kernels=False``
    sends every op that way: slower code, same bytes; useful to check a kernel.

    ``strategy="split"`` (the default) splits activation tensors into row bands
    run in ``order`` (depth-first, breadth-first or min-peak). With neither
    ``band_height`` nor ``segments`` given, the compiler chooses segments and
    their band heights: the smallest planned arena whose estimated extra
    instructions stay within ``max_overhead`` (5%) of layer-wise
    (:mod:`tinyts_mlir.autosplit`; ``max_overhead=float("inf")``: the
    smallest arena found, whatever it costs).
    ``band_height`` splits every op (or the ``segments``) into bands of that
    many rows; ``segments`` ("a-b:h,c-d") gives ranges of row-mappable ops,
    each its own segment with its own band height (default ``band_height``
    or 1). ``strategy="layerwise"`` runs each op on whole
    tensors. ``strategy="patch"`` is MCUNetV2-style patch-based inference, the
    comparison baseline: every op up to row-mappable op ``stage_end`` runs
    patch by patch over a ``patches`` x ``patches`` grid of that op's output
    (halos recomputed), the rest layer-wise; 0 / None: chosen for the
    smallest planned arena (:mod:`tinyts_mlir.autopatch`). All give the same
    bytes as TFLite Micro.

    ``sram_budget`` (bytes, or a size such as ``"64KiB"``) asks instead for the
    configuration with the fewest estimated instructions whose peak SRAM on
    the Cortex-M7 (arena + stack bound + other static RAM,
    :attr:`CompiledModel.peak_sram_bytes`) fits the budget: whole tensors
    when they fit, else the split that fits with the fewest extra
    instructions. A budget no configuration meets raises
    :class:`~tinyts_mlir.budget.SramBudgetError` with the smallest peak found
    and the lower bound that stops it.

    A line on stderr shows progress when compiling takes more than a second
    (``progress=False``: none)."""
    if target not in TARGETS:
        raise ValueError(f"unknown target '{target}': expected one of {', '.join(TARGETS)}")
    if not prefix.isidentifier():
        raise ValueError(f"prefix '{prefix}' is not a C identifier")
    if strategy not in ("split", "layerwise", "patch"):
        raise ValueError(f"unknown strategy '{strategy}': expected split, patch or layerwise")
    budget = None
    if sram_budget is not None:
        budget = budget_mod.parse_size(sram_budget)
        if strategy != "split" or band_height is not None or segments:
            raise ValueError("sram_budget chooses the split itself: do not also give "
                             f"strategy='{strategy}', band_height or segments")
        if target != "cortex-m7":
            raise ValueError("sram_budget is a Cortex-M7 budget: use target='cortex-m7'")
    name = Path(model).name if isinstance(model, (str, Path)) else "model"
    prog = Progress(f"compiling {name}", enabled=progress)
    t0 = time.perf_counter()
    prog.update("importing")
    module = _to_module(model)
    with module.context:
        generic = pipeline.raise_kernels(module, kernels)
        func = pipeline.model_function(module)
        quant_in, quant_out = pipeline.float_io_quantization(module)
        inputs = _tensor_infos(func, "arg", quant_in)
        outputs = _tensor_infos(func, "res", quant_out)
        layer_macs = list(analysis.count_macs_raised(module).per_op)
        text = str(module)
        layerwise_plan = pipeline.plan(ir.Module.parse(text))
        stack = static = None
        lower_bound: budget_mod.LowerBound | None = None
        if budget is not None:
            lowered, stack, static = _fit_budget(text, module.context, budget, prefix, order,
                                                 inputs, outputs, prog)
            lower_bound = budget_mod.arena_lower_bound(module)
        else:
            if strategy == "split" and band_height is None and not segments:
                segments = autosplit.segments_option(autosplit.choose_segments(
                    module, order, max_overhead=max_overhead, progress=prog))
                split_height = None
            else:
                split_height = band_height if strategy == "split" else None
                segments = segments if strategy == "split" else ""
            if strategy == "patch":
                stage_end, patches = autopatch.choose(module, stage_end, patches)
            lowered = _lower(text, module.context, prefix, order, split_height, segments,
                             inputs, outputs, prog,
                             (stage_end, patches) if strategy == "patch" else None)
    split = bool(lowered.split_layers)
    cm = CompiledModel(
        prefix=prefix, target=target, source=lowered.source, header=lowered.header,
        inputs=inputs, outputs=outputs, plan=lowered.plan,
        compile_seconds=time.perf_counter() - t0, generic_ops=generic,
        strategy=strategy,
        band_height=min((s.band_height for s in lowered.split_layers), default=None),
        order=order, segments=lowered.segments, split_layers=lowered.split_layers,
        layerwise_plan=layerwise_plan, layer_macs=layer_macs, sram_budget=budget,
        sram_lower_bound=(None if lower_bound is None
                          else lower_bound.arena_bytes + (stack or 0) + (static or 0)),
        sram_lower_bound_reason=lower_bound.reason if lower_bound else "",
        _stack_bytes=stack, _static_ram_bytes=static,
        patches=patches if strategy == "patch" else 0,
        stage_end=stage_end if strategy == "patch" else None)
    prog.done(f"arena {cm.arena_bytes:,} B"
              + (f", {len(cm.split_layers)} ops in row bands" if split else "")
              + (f", peak SRAM {cm.peak_sram_bytes:,} B of {budget:,} B budget"
                 if budget is not None else ""))
    return cm
