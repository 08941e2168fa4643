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
from .codegen import TensorInfo
from .emitc import translate_to_c
from .pipeline import CompileError, MemoryPlan, PlannedBuffer

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
    # SRAM: the budget asked for (None: none), the compiler's upper bound of
    # the invoke call's stack and of the model's other static RAM (.data/.bss
    # beside the arena), and the smallest peak SRAM any configuration reaches
    # (filled in by a budget compile).
    sram_budget: int | None = None
    stack_bytes: int = 0
    static_ram_bytes: int = 0
    sram_lower_bound: int | None = None
    _host_exe: Path | None = field(default=None, repr=False)
    _flash_bytes: int | None = field(default=None, repr=False)
    _workdir: Path | None = field(default=None, repr=False)

    @property
    def arena_bytes(self) -> int:
        return self.plan.arena_bytes

    @property
    def peak_sram_bytes(self) -> int:
        """Estimated peak SRAM on the board: arena + stack bound + other static RAM."""
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
                   split_layers=[pipeline.SplitLayer(**s) for s in meta.get("split_layers", [])])

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

    def build_cortex_m7(self, dsp: bool = True) -> Path:
        from .targets import cortex_m7

        d = self._dir()
        return cortex_m7.build_elf(self._sources(), [d, d / "runtime"],
                                   d / ("build-m7" if dsp else "build-m7-nodsp"),
                                   dsp=dsp, name="model")

    def run_on_cortex_m7(self, *xs: np.ndarray, dsp: bool = True):
        """Run on the emulated Cortex-M7; returns (outputs, RunResult, SectionSizes)."""
        from .targets import cortex_m7

        elf = self.build_cortex_m7(dsp=dsp)
        result = cortex_m7.run_elf(elf, self._check_inputs(xs), self._output_bytes)
        return self._outputs(result.output), result, cortex_m7.section_sizes(elf)


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


def compile(model: str | Path | bytes | ir.Module, target: str = "cortex-m7", *,
            prefix: str = "tinyts_model", kernels: bool = True,
            strategy: str = "split", band_height: int | None = None,
            order: str = "depth-first", segments: str = "",
            max_overhead: float = autosplit.MAX_OVERHEAD,
            patches: int = 0, stage_end: int | None = None) -> CompiledModel:
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
    bytes as TFLite Micro."""
    if target not in TARGETS:
        raise ValueError(f"unknown target '{target}': expected one of {', '.join(TARGETS)}")
    if not prefix.isidentifier():
        raise ValueError(f"prefix '{prefix}' is not a C identifier")
    t0 = time.perf_counter()
    module = _to_module(model)
    with module.context:
        generic = pipeline.raise_kernels(module, kernels)
        func = pipeline.model_function(module)
        quant_in, quant_out = pipeline.float_io_quantization(module)
        inputs = _tensor_infos(func, "arg", quant_in)
        outputs = _tensor_infos(func, "res", quant_out)
        split_layers: list[pipeline.SplitLayer] = []
        layer_macs = list(analysis.count_macs_raised(module).per_op)
        layerwise_plan = pipeline.plan(ir.Module.parse(str(module)))
        if strategy == "split":
            if band_height is None and not segments:
                segments = autosplit.segments_option(
                    autosplit.choose_segments(module, order, max_overhead=max_overhead))
                if segments:
                    pipeline.split(module, 1, order, segments)
            else:
                pipeline.split(module, 1 if band_height is None else band_height, order, segments)
            split_layers = pipeline.split_layers(module)
            band_height = min((s.band_height for s in split_layers), default=None)
        elif strategy == "layerwise":
            band_height = None
        elif strategy == "patch":
            band_height = None
            stage_end, patches = autopatch.choose(module, stage_end, patches)
            pipeline.patch(module, stage_end, patches)
        else:
            raise ValueError(f"unknown strategy '{strategy}': expected split, patch or layerwise")
        plan = pipeline.plan(module)
        pipeline.lower_to_emitc(module, prefix)
        source = translate_to_c(module)
    header = codegen.header(prefix, plan.arena_bytes, inputs, outputs)
    return CompiledModel(prefix=prefix, target=target, source=source, header=header,
                         inputs=inputs, outputs=outputs, plan=plan,
                         compile_seconds=time.perf_counter() - t0, generic_ops=generic,
                         strategy=strategy, band_height=band_height, order=order,
                         segments=segments, split_layers=split_layers,
                         layerwise_plan=layerwise_plan, layer_macs=layer_macs,
                         patches=patches if strategy == "patch" else 0,
                         stage_end=stage_end if strategy == "patch" else None)
