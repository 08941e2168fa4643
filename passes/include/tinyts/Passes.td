//===- Passes.td - tinyts pass definitions -----------------*- tablegen -*-===//
//
// Part of TinyTS-MLIR. Every pass of the compiler, with its summary, a
// description and an IR example.
//
//===----------------------------------------------------------------------===//

#ifndef TINYTS_PASSES_TD
#define TINYTS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TinyTSRaiseKernels : Pass<"tinyts-raise-kernels"> {
  let summary = "Raise the TOSA encodings of TFLite's int8 kernels to tinyts "
                "kernel ops (and fold PADs into convolutions)";
  let description = [{
    Recognises the TOSA encodings of TFLite's int8 kernels and replaces each
    with one tinyts kernel op carrying its quantization explicitly:

    * `tosa.conv2d` → `tosa.rescale` (→ `tosa.clamp`) becomes `tinyts.conv2d`;
    * `tosa.depthwise_conv2d` → `tosa.rescale` (→ `tosa.clamp`) becomes
      `tinyts.depthwise_conv2d`;
    * a fully connected layer, which TOSA expresses as `tosa.reshape` of a
      `[N, IN]` input to `[N, 1, 1, IN]`, a 1x1 `tosa.conv2d`, `tosa.rescale`
      (→ `tosa.clamp`) and `tosa.reshape` back to `[N, OUT]` (in any order
      after the convolution), becomes `tinyts.fully_connected`;
    * TFLite's int8 ADD, which TOSA expresses exactly as, per input, a rescale
      i8→i32 by `2^left_shift` then a double-rounding rescale i32→i32, then
      `tosa.add`, `tosa.rescale` i32→i8 (→ `tosa.clamp`), becomes `tinyts.add`
      (operands may broadcast along unit dimensions);
    * TFLite's MUL (both inputs widened exactly to i32, `tosa.mul`, rescale)
      becomes `tinyts.mul`; MEAN (cast, one `tosa.reduce_sum` per axis, minus
      n * zp, rescale) becomes `tinyts.mean`;
    * int8 `tosa.avg_pool2d` (zero points 0) / `tosa.max_pool2d`, `tosa.concat`,
      `tosa.transpose`, the importer's integer-upscale `tosa.resize` and
      `tosa.pad` become `tinyts.avg_pool2d` / `max_pool2d`, `concat`,
      `transpose`, `resize_nearest`, `pad`;
    * a `tosa.pad` feeding a convolution through the importer's reshape and
      slice, whose value is the convolution's input zero point, is folded
      into the convolution's padding (no padded copy is ever stored);
    * the importer marks the last op of SOFTMAX's, float QUANTIZE's and
      DEQUANTIZE's expansions (`tinyts.softmax`, `tinyts.quantize`,
      `tinyts.dequantize`); those chains become `tinyts.softmax`,
      `tinyts.quantize` and `tinyts.dequantize`.

    Only exact matches are raised: int8 activations, int8 weights with zero
    point 0, i32 accumulation, double rounding (`DOUBLE_ROUND`, `scale32`),
    constant quantization parameters and single-use intermediates. The TOSA
    shift `s` becomes TFLite's exponent `31 - s`. Anything else is left
    untouched for the generic lowering path.

    Example:

    ```mlir
    %acc = tosa.conv2d %x, %w, %b, %xzp, %wzp {acc_type = i32,
             dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>,
             stride = array<i64: 1, 1>} : (...) -> tensor<1x8x8x4xi32>
    %q = tosa.rescale %acc, %mult, %shift, %zero, %yzp {scale32 = true,
             rounding_mode = DOUBLE_ROUND, per_channel = true,
             input_unsigned = false, output_unsigned = false}
             : (...) -> tensor<1x8x8x4xi8>
    %y = tosa.clamp %q {min_val = -128 : i8, max_val = 127 : i8} : (...) -> ...
    ```

    becomes

    ```mlir
    %init = tensor.empty() : tensor<1x8x8x4xi8>
    %y = tinyts.conv2d %x, %w, %b outs(%init : tensor<1x8x8x4xi8>) stride [1, 1] pad [1, 1, 1, 1]
           dilation [1, 1] zp(-128, -128) requant([1073741824], [-9])
           clamp(-128, 127) : tensor<1x8x8x3xi8>, tensor<4x3x3x3xi8>,
           tensor<4xi32> -> tensor<1x8x8x4xi8>
    ```
  }];
  let options = [
    Option<"reportUnraised", "report-unraised", "bool", /*default=*/"false",
           "Emit a remark on every int8 TOSA conv, depthwise conv or add that "
           "stays on the generic path, saying why it was not raised">,
    Option<"onlyBoundaries", "only-boundaries", "bool", /*default=*/"false",
           "Raise only a float model's QUANTIZE/DEQUANTIZE boundaries (so the "
           "caller's float buffers stay outside the arena) and leave every "
           "other op to the generic path">
  ];
  let dependentDialects = [
    "::mlir::tinyts::TinyTSDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::tosa::TosaDialect"
  ];
}

def TinyTSSplit : Pass<"tinyts-split", "::mlir::func::FuncOp"> {
  let summary = "Split activation tensors into row bands and every op into "
                "per-band ops (no recomputation)";
  let description = [{
    Rewrites every selected op implementing `RowMapOpInterface` (convolutions,
    depthwise convolutions, pools, element-wise add/mul, quantize) whose
    result has at least `min-rows` rows into one op per band of
    `band-height` output rows. Each band op reads exactly the input rows its
    band needs (`getInputRows`), clipped to the input with the padding
    adjusted at the top and bottom edges:

    * from the producer's bands when the producer is split too: the band
      itself when the rows match, otherwise a `tinyts.window` spanning the
      adjacent bands (the halo rows come from the neighbouring band, which is
      kept alive, never recomputed);
    * from a `tinyts.split` of a tensor materialised whole (the model input,
      or the result of an op that is not split).

    Consecutive split ops form segments: no tensor inside a segment is ever
    materialised whole. Results still used by an op that is not split (MEAN,
    FULLY_CONNECTED, softmax, a reshape, a generic op) or returned are
    rebuilt by `tinyts.join`. Two reductions of a split tensor avoid the
    join: a global average pool becomes one `tinyts.row_sum` per band and a
    `tinyts.avg_pool_finish`, and a MEAN that keeps the rows (over W, the
    first half of a squeeze-excite's MEAN over H and W) becomes one MEAN per
    band, so only its small result is joined. Every output row is computed
    exactly once, so the MACs of the split function equal the original's.

    An op whose kernel cannot read a row-pointer table (add, mul, quantize)
    is split only when each of its bands reads within one band of every
    input; otherwise it is left whole, with a remark saying why.

    Options: `band-height` (rows per band), `segments` (which row-mappable
    ops to split, as ranges `a-b` of their index among the function's
    row-mappable ops, each optionally with its own band height `a-b:h`;
    empty = all ops in one segment), `min-rows`. Each range is a segment of
    its own: an op never reads the bands of another segment's op; the
    producer's result is joined and split again with the consumer's band
    height, so the first segment runs to completion (and its bands are
    released) before the next one needs its joined tensor.
    Band ops carry `tinyts.band = [layer, band, first row, end row]`, where
    `layer` is the op's position in the function before splitting;
    `tinyts-schedule` orders them.

    Example (`band-height=2`):

    ```mlir
    %0 = tinyts.depthwise_conv2d %x, %w, %b outs(%e : tensor<1x4x4x8xi8>)
           stride [1, 1] pad [1, 1, 1, 1] ... -> tensor<1x4x4x8xi8>
    ```

    becomes

    ```mlir
    %x:2 = tinyts.split %x heights [2, 2] : ...
    %w0 = tinyts.window %x#0, %x#1 offset 0 : ... -> tensor<1x3x4x8xi8>
    %0 = tinyts.depthwise_conv2d %w0, %w, %b outs(%e0 : tensor<1x2x4x8xi8>)
           stride [1, 1] pad [1, 0, 1, 1] ... {tinyts.band = array<i64: 0, 0, 0, 2>}
    %w1 = tinyts.window %x#0, %x#1 offset 1 : ... -> tensor<1x3x4x8xi8>
    %1 = tinyts.depthwise_conv2d %w1, %w, %b outs(%e1 : tensor<1x2x4x8xi8>)
           stride [1, 1] pad [0, 1, 1, 1] ... {tinyts.band = array<i64: 0, 1, 2, 4>}
    %r = tinyts.join %0, %1 : ... -> tensor<1x4x4x8xi8>
    ```
  }];
  let options = [
    Option<"bandHeight", "band-height", "int64_t", /*default=*/"1",
           "Rows per band of every split tensor">,
    Option<"segments", "segments", "std::string", /*default=*/"\"\"",
           "Segments a-b[:h] (inclusive ranges of row-mappable op indices, optional "
           "band height); empty: all ops, one segment">,
    Option<"minRows", "min-rows", "int64_t", /*default=*/"2",
           "Do not split results with fewer rows than this">,
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def TinyTSPatch : Pass<"tinyts-patch", "::mlir::func::FuncOp"> {
  let summary = "Run the first stage of the network patch by patch "
                "(MCUNetV2-style patch-based inference, halos recomputed)";
  let description = [{
    The comparison baseline of `tinyts-split`: patch-based inference as in
    MCUNetV2. The *stage* is every op of the function up to and including
    the row-mappable op `stage-end` (counted like `tinyts-split`'s
    `segments`: the index among the function's ops implementing
    `RowMapOpInterface`, in order). Its output is cut into a
    `patches` x `patches` grid (rows and columns as even as possible). For
    each patch, in row-major order:

    * backwards through the stage, the region (rows and columns) of every
      tensor the patch needs: rows from `RowMapOpInterface::getInputRows`,
      columns by the same arithmetic along W (kernel, stride, dilation,
      padding), the bounding box where a tensor has several readers;
    * a `tensor.extract_slice` of the stage input for its region;
    * every op of the stage cloned on its region, with padding only on the
      sides where the region meets the tensor's border (inside the tensor the
      halo comes from the slice: neighbouring patches compute it again);
    * the stage-end op writes into a `tensor.extract_slice` of the whole
      stage output, put back by the matching `tensor.insert_slice` (after
      bufferization: a strided view the kernel writes in place).

    An op before the stage end that cannot run on a region but reads no
    result of the stage (a reshape or quantize of the model input) runs whole
    before the stage; its result is a stage input. After the stage the
    function runs as before, on the assembled output.
    Per-patch ops carry `tinyts.patch = [op, patch, r0, r1, c0, c1]` (`op`:
    the position of the original op in the function; the region of its
    result). Every output is the same; the MACs grow by the recomputed
    halos. After bufferization each patch's tensors are their own
    allocations, so `tinyts-plan-memory` gives the stage the memory of its
    whole output plus one patch's working set.

    Refused, with the op named: a `stage-end` beyond the function's
    row-mappable ops, an op in the stage that cannot run on a region (fully
    connected, global pool, reshape, pad, ...), a tensor of the stage
    other than its output read after the stage, `patches` < 1 or larger than
    the output's height or width.

    Example (`stage-end=0 patches=2`; a 3x3 depthwise convolution, pad 1, on
    an 8x8 input):

    ```mlir
    %0 = tinyts.depthwise_conv2d %x, %w, %b outs(%e : tensor<1x8x8x4xi8>)
           stride [1, 1] pad [1, 1, 1, 1] ... -> tensor<1x8x8x4xi8>
    ```

    becomes (first of four patches; the others alike)

    ```mlir
    %acc = tensor.empty() : tensor<1x8x8x4xi8>
    %in0 = tensor.extract_slice %x[0, 0, 0, 0] [1, 5, 5, 4] [1, 1, 1, 1]
             : tensor<1x8x8x4xi8> to tensor<1x5x5x4xi8>
    %out0 = tensor.extract_slice %acc[0, 0, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1]
             : tensor<1x8x8x4xi8> to tensor<1x4x4x4xi8>
    %p0 = tinyts.depthwise_conv2d %in0, %w, %b outs(%out0 : tensor<1x4x4x4xi8>)
           stride [1, 1] pad [1, 0, 1, 0] ...
           {tinyts.patch = array<i64: 3, 0, 0, 4, 0, 4>}
    %acc1 = tensor.insert_slice %p0 into %acc[0, 0, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1]
             : tensor<1x4x4x4xi8> into tensor<1x8x8x4xi8>
    ```
  }];
  let options = [
    Option<"stageEnd", "stage-end", "int64_t", /*default=*/"-1",
           "Index of the last row-mappable op of the patch stage (required)">,
    Option<"patches", "patches", "int64_t", /*default=*/"2",
           "Patches per side: the stage output is cut into an n x n grid">,
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def TinyTSSchedule : Pass<"tinyts-schedule", "::mlir::func::FuncOp"> {
  let summary = "Order the band ops of a split function";
  let description = [{
    Reorders the ops of a straight-line function (on tensors, after
    `tinyts-split`) within their dependences:

    * `depth-first` (default): demand-driven from the function's results, a
      band of a layer is computed as soon as the next layer's band needs it,
      so only the rows in flight are live (TinyTS's order);
    * `breadth-first`: layer by layer (each op's bands in row order), the
      order of the unsplit model;
    * `min-peak`: greedy, always the ready op that frees the most bytes net
      of what it allocates.

    Example: after `tinyts-split{band-height=1}` of two 1x1 convolutions on
    a 2-row tensor, `breadth-first` gives conv0 band 0, conv0 band 1, conv1
    band 0, conv1 band 1; `depth-first` gives conv0 band 0, conv1 band 0,
    conv0 band 1, conv1 band 1:

    ```mlir
    %a0 = tinyts.conv2d %x0, ... {tinyts.band = array<i64: 0, 0, 0, 1>}
    %b0 = tinyts.conv2d %a0, ... {tinyts.band = array<i64: 1, 0, 0, 1>}
    %a1 = tinyts.conv2d %x1, ... {tinyts.band = array<i64: 0, 1, 1, 2>}
    %b1 = tinyts.conv2d %a1, ... {tinyts.band = array<i64: 1, 1, 1, 2>}
    ```
  }];
  let options = [
    Option<"order", "order", "std::string", /*default=*/"\"depth-first\"",
           "depth-first, breadth-first or min-peak">,
  ];
}

def TinyTSPlanMemory : Pass<"tinyts-plan-memory", "::mlir::ModuleOp"> {
  let summary = "Place every intermediate buffer in one static arena by liveness";
  let description = [{
    Runs after bufferization on functions whose body is one straight-line
    block (the schedule). Every `memref.alloc`/`memref.alloca` (static shape)
    gets a live interval from its allocation to its last use, followed
    through view-like ops (casts, subviews, reshapes); `memref.dealloc`s are
    dropped. Buffers are then placed at offsets inside ONE arena, a
    `memref.global` of i8: largest first, each at the lowest aligned offset
    that does not overlap a buffer live at the same time (the greedy planner
    TFLite Micro uses). With `in-place`, the destination of an elementwise
    kernel (`tinyts.add`) reuses an input buffer whose last use is that
    kernel, so the pair costs one buffer. With `scratch`, each `tinyts.conv2d`
    that gathers its windows (anything but a 1x1 convolution without padding)
    gets a scratch buffer of `2 * KH * KW * IC` bytes live during that kernel
    only, placed like any other buffer; its offset is recorded on the op as
    `tinyts.scratch = {arena = @tinyts_arena, offset = N}` and in the plan
    (`op` = "tinyts.conv2d scratch").

    Band granularity (after `tinyts-split`): every band is its own
    allocation, so it is free as soon as its last reader has run; a
    `tinyts.window` counts as a read of each band it spans by the window's
    readers. A buffer read or written only through row bands (subviews along
    dimension 1, e.g. a `tinyts.split` of the model input or the buffer of a
    `tinyts.join`) is planned piece by piece: each band of rows is live from
    its own first to its own last access, at a fixed place inside the
    buffer, so the input's rows are released as they are consumed (input
    eviction) and a joined tensor's rows take space only once written. The
    copies a `tinyts.join` bufferizes to are removed first: each band's
    producer writes into its place in the joined buffer directly; so are
    copies of a subview onto the same subview (a `tensor.insert_slice` of the
    matching `tensor.extract_slice`: a `tinyts-patch` patch written in place
    into the stage output). With
    `input-in-arena`, int8 input arguments are copied into an arena buffer
    at entry (a `memref.copy`; the caller may also write the input there).

    Each allocation becomes a `memref.view` into the arena. The function gets
    `tinyts.arena_bytes` (the arena's size) and `tinyts.memory_plan`, one
    dictionary per buffer: `{op, offset, size, first, last}` where `op` is
    the first kernel that writes it and `[first, last]` its interval in the
    schedule (indices of the ops of the function body).

    Example:

    ```mlir
    %a = memref.alloc() : memref<1x8x8x4xi8>
    tinyts.conv2d %x, %w, %b outs(%a : memref<1x8x8x4xi8>) ...
    ```

    becomes

    ```mlir
    memref.global "private" @tinyts_arena : memref<256xi8> {alignment = 16 : i64}
    ...
    %arena = memref.get_global @tinyts_arena : memref<256xi8>
    %c0 = arith.constant 0 : index
    %a = memref.view %arena[%c0][] : memref<256xi8> to memref<1x8x8x4xi8>
    ```
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"16",
           "Byte alignment of every buffer inside the arena">,
    Option<"arenaName", "arena-name", "std::string", /*default=*/"\"tinyts_arena\"",
           "Symbol name of the arena global">,
    Option<"inPlace", "in-place", "bool", /*default=*/"true",
           "Let elementwise kernels write over an input that dies there">,
    Option<"scratch", "scratch", "bool", /*default=*/"true",
           "Give kernels that can use it (conv2d's window gather) a scratch "
           "buffer in the arena">,
    Option<"inputInArena", "input-in-arena", "bool", /*default=*/"false",
           "Copy each int8 input argument into an arena buffer at entry, so "
           "that its row bands are released as they are consumed">
  ];
  let dependentDialects = [
    "::mlir::memref::MemRefDialect",
    "::mlir::arith::ArithDialect"
  ];
}

def TinyTSLowerToEmitC : Pass<"tinyts-lower-to-emitc", "::mlir::ModuleOp"> {
  let summary = "Lower a planned, bufferized model to EmitC calls into the runtime";
  let description = [{
    Input: the output of `tinyts-plan-memory`. That is one function with memref
    arguments (the model's inputs and outputs, no results), the arena as a
    `memref.global`, weights as constant `memref.global`s, views into the
    arena, and tinyts kernel ops in memref form.

    Output: EmitC that `mlir-translate --mlir-to-cpp` (or
    `tinyts_mlir.translate_to_c`) prints as C99:

    * the arena becomes one `static int8_t <prefix>_arena[N]`, aligned to 16;
    * every weight array becomes a `static const` array (flash);
    * per-channel requantization parameters become `static const int32_t`
      arrays;
    * the function becomes `void <prefix>_invoke(...)` taking one pointer per
      memref argument;
    * each kernel becomes one call into `runtime/` (`tinyts_conv2d_s8`, ...).
      Its operands are passed as base pointers (arena + offset, a weight
      array or an argument) plus row and pixel strides, so views cost nothing.

    Views that only reinterpret (`memref.cast`, `memref.collapse_shape`,
    `memref.expand_shape`) and static `memref.subview`s become pointer
    arithmetic. `memref.copy` becomes `memcpy` (an element loop between
    strided views).

    The generic path (ops no kernel implements, after
    `convert-linalg-to-loops` and `lower-affine`): `scf.for` nests and
    straight-line `arith`/`math` ops move into the entry function unchanged;
    each `memref.load`/`memref.store` becomes an `emitc.subscript` of the
    buffer's C pointer at the linearized index, and `math.ctlz` a call to
    `tinyts_clz32`. Run `arith-expand`, `convert-arith-to-emitc`,
    `convert-scf-to-emitc` and `reconcile-unrealized-casts` afterwards. Any
    other op is reported with its name.

    Example:

    ```mlir
    tinyts.conv2d %view, %w, %b outs(%out : memref<1x8x8x4xi8>) ...
    ```

    becomes

    ```mlir
    emitc.call_opaque "tinyts_conv2d_s8"(%arg1) {args = [
        #emitc.opaque<"(tinyts_model_arena + 0)">, 8 : i32, 8 : i32, ...]}
        : (!emitc.ptr<i8>) -> ()
    ```
  }];
  let options = [
    Option<"prefix", "prefix", "std::string", /*default=*/"\"tinyts_model\"",
           "Prefix of every emitted C symbol (the entry is <prefix>_invoke)">
  ];
  let dependentDialects = ["::mlir::emitc::EmitCDialect"];
}

#endif // TINYTS_PASSES_TD
