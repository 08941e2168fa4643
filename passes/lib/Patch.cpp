//===- Patch.cpp - MCUNetV2-style patch-based inference ---------*- C++ -*-===//
//
// Part of TinyTS-MLIR. Implements tinyts-patch: the first stage of the
// network (every op up to the row-mappable op `stage-end`) runs patch by
// patch over an n x n grid of the stage output. Each patch computes,
// backwards through the stage, the region (rows and columns) of every tensor
// it needs, and runs every op of the stage on its region: the overlapping
// halos of neighbouring patches are recomputed. It is the comparison
// baseline of tinyts-split, which never recomputes a row.
//
//===----------------------------------------------------------------------===//

#include "tinyts/Passes.h"
#include "tinyts/TinyTSOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir {
namespace tinyts {
#define GEN_PASS_DEF_TINYTSPATCH
#include "tinyts/Passes.h.inc"
} // namespace tinyts
} // namespace mlir

using namespace mlir;
using namespace mlir::tinyts;

namespace {

/// Rows [r0, r1) and columns [c0, c1) of an NHWC tensor.
struct Region {
  int64_t r0 = 0, r1 = 0, c0 = 0, c1 = 0;

  bool empty() const { return r0 >= r1 || c0 >= c1; }
  int64_t rows() const { return r1 - r0; }
  int64_t cols() const { return c1 - c0; }
  bool operator==(const Region &o) const {
    return r0 == o.r0 && r1 == o.r1 && c0 == o.c0 && c1 == o.c1;
  }
  /// The bounding box of both regions.
  Region unite(const Region &o) const {
    if (empty())
      return o;
    if (o.empty())
      return *this;
    return {std::min(r0, o.r0), std::max(r1, o.r1), std::min(c0, o.c0),
            std::max(c1, o.c1)};
  }
  /// The part inside a tensor of `rows` x `cols`.
  Region clip(int64_t rows, int64_t cols) const {
    return {std::max<int64_t>(r0, 0), std::min(r1, rows), std::max<int64_t>(c0, 0),
            std::min(c1, cols)};
  }
};

/// A spatially mappable op of the stage: a windowed op (convolution,
/// depthwise convolution, pool) reading its operand 0 through a window, or
/// an element-wise op whose operands map pixel to pixel.
struct Spatial {
  bool windowed = false;
  /// Windowed ops: kernel width, column stride and dilation, left padding.
  int64_t kw = 1, sw = 1, dw = 1, padLeft = 0;
  /// Operands whose rows and columns follow the result's.
  SmallVector<unsigned> operands;
};

ArrayRef<int64_t> padOf(Operation *op) {
  return TypeSwitch<Operation *, ArrayRef<int64_t>>(op)
      .Case<Conv2DOp, DepthwiseConv2DOp, AvgPool2DOp, MaxPool2DOp>(
          [](auto o) { return o.getPad(); })
      .Default([](Operation *) { return ArrayRef<int64_t>(); });
}

void setPadOf(Operation *op, ArrayRef<int64_t> pad) {
  TypeSwitch<Operation *>(op)
      .Case<Conv2DOp, DepthwiseConv2DOp, AvgPool2DOp, MaxPool2DOp>(
          [&](auto o) { o.setPad(pad); });
}

ShapedType shaped(Value v) { return cast<ShapedType>(v.getType()); }

bool isNHWC(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.hasStaticShape() && t.getRank() == 4 && t.getDimSize(0) == 1;
}

/// How `op` maps its result's regions to its operands', or the reason it
/// cannot run on a region of its output.
FailureOr<Spatial> classify(Operation *op, std::string &why) {
  Spatial s;
  if (op->getNumResults() != 1 || !isNHWC(op->getResult(0))) {
    why = "its result is not a static batch-1 NHWC tensor";
    return failure();
  }
  auto result = shaped(op->getResult(0));
  auto window = [&](int64_t kw, int64_t sw, int64_t dw) -> FailureOr<Spatial> {
    if (!isNHWC(op->getOperand(0))) {
      why = "its input is not a static batch-1 NHWC tensor";
      return failure();
    }
    s.windowed = true;
    s.kw = kw;
    s.sw = sw;
    s.dw = dw;
    s.padLeft = padOf(op)[2];
    s.operands = {0};
    return s;
  };
  if (auto conv = dyn_cast<Conv2DOp>(op))
    return window(shaped(conv.getWeights()).getDimSize(2), conv.getStride()[1],
                  conv.getDilation()[1]);
  if (auto dw = dyn_cast<DepthwiseConv2DOp>(op))
    return window(shaped(dw.getWeights()).getDimSize(1), dw.getStride()[1],
                  dw.getDilation()[1]);
  auto pool = [&](auto p) -> FailureOr<Spatial> {
    auto in = shaped(p.getInput());
    if (result.getDimSize(1) == 1 && result.getDimSize(2) == 1 &&
        p.getKernel()[0] >= in.getDimSize(1) && p.getKernel()[1] >= in.getDimSize(2)) {
      why = "it is a global pool: every output pixel reads the whole input";
      return failure();
    }
    return window(p.getKernel()[1], p.getStride()[1], 1);
  };
  if (auto p = dyn_cast<AvgPool2DOp>(op))
    return pool(p);
  if (auto p = dyn_cast<MaxPool2DOp>(op))
    return pool(p);
  if (isa<AddOp, MulOp>(op)) {
    auto dps = cast<DestinationStyleOpInterface>(op);
    for (OpOperand &operand : op->getOpOperands()) {
      if (dps.isDpsInit(&operand))
        continue;
      auto t = shaped(operand.get());
      if (t.getDimSize(1) == result.getDimSize(1) &&
          t.getDimSize(2) == result.getDimSize(2)) {
        s.operands.push_back(operand.getOperandNumber());
      } else if (t.getDimSize(1) != 1 || t.getDimSize(2) != 1) {
        why = "an operand broadcasts along only one of rows and columns";
        return failure();
      }
    }
    return s;
  }
  if (isa<QuantizeOp>(op)) {
    s.operands = {0};
    return s;
  }
  if (isa<RowMapOpInterface>(op))
    why = "it has no region mapping along columns";
  else
    why = "it has no region mapping (only convolutions, depthwise "
          "convolutions, pools, add, mul and quantize run on a patch)";
  return failure();
}

/// Region of operand `index` of `op` that its output region `out` reads,
/// unclipped (rows or columns outside the operand are padding). Rows come
/// from RowMapOpInterface, columns follow the same arithmetic along W.
Region inputRegion(Operation *op, const Spatial &s, unsigned index,
                   const Region &out) {
  auto [r0, r1] = cast<RowMapOpInterface>(op).getInputRows(index, out.r0, out.r1);
  if (!s.windowed)
    return {r0, r1, out.c0, out.c1};
  return {r0, r1, out.c0 * s.sw - s.padLeft,
          (out.c1 - 1) * s.sw - s.padLeft + s.dw * (s.kw - 1) + 1};
}

RankedTensorType regionType(Value whole, const Region &r) {
  auto t = cast<RankedTensorType>(whole.getType());
  return RankedTensorType::get({t.getDimSize(0), r.rows(), r.cols(), t.getDimSize(3)},
                               t.getElementType());
}

/// Offsets, sizes and unit strides of region `r` (relative to `origin`) of
/// an NHWC tensor of type `t`.
void sliceParams(OpBuilder &b, RankedTensorType t, const Region &r,
                 const Region &origin, SmallVectorImpl<OpFoldResult> &offsets,
                 SmallVectorImpl<OpFoldResult> &sizes,
                 SmallVectorImpl<OpFoldResult> &strides) {
  offsets.assign({b.getIndexAttr(0), b.getIndexAttr(r.r0 - origin.r0),
                  b.getIndexAttr(r.c0 - origin.c0), b.getIndexAttr(0)});
  sizes.assign({b.getIndexAttr(t.getDimSize(0)), b.getIndexAttr(r.rows()),
                b.getIndexAttr(r.cols()), b.getIndexAttr(t.getDimSize(3))});
  strides.assign(4, b.getIndexAttr(1));
}

/// Region `r` of `source`, a tensor holding region `origin` of its tensor.
Value slice(OpBuilder &b, Location loc, Value source, const Region &r,
            const Region &origin) {
  auto t = cast<RankedTensorType>(source.getType());
  if (r == origin)
    return source;
  SmallVector<OpFoldResult> offsets, sizes, strides;
  sliceParams(b, t, r, origin, offsets, sizes, strides);
  return tensor::ExtractSliceOp::create(b, loc, source, offsets, sizes, strides);
}

/// Starts of `n` parts of `size` as even as possible (the last is `size`).
SmallVector<int64_t> evenStarts(int64_t size, int64_t n) {
  SmallVector<int64_t> starts;
  for (int64_t i = 0; i <= n; ++i)
    starts.push_back(i * size / n);
  return starts;
}

struct PatchPass : tinyts::impl::TinyTSPatchBase<PatchPass> {
  using TinyTSPatchBase::TinyTSPatchBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (patches < 1) {
      func.emitError() << "tinyts-patch: patches must be >= 1 (an n x n grid), got "
                       << static_cast<int64_t>(patches);
      return signalPassFailure();
    }
    if (stageEnd < 0) {
      func.emitError() << "tinyts-patch: stage-end must be given: the index "
                          "(>= 0) of the last row-mappable op of the patch stage, got "
                       << static_cast<int64_t>(stageEnd);
      return signalPassFailure();
    }
    if (!func.getBody().hasOneBlock())
      return;
    Block &body = func.getBody().front();

    // The stage: every op up to the stage-end op but constants and empty
    // tensors.
    DenseMap<Operation *, int64_t> position;
    SmallVector<Operation *> stage;
    Operation *end = nullptr;
    int64_t rowMapIndex = -1;
    for (auto [i, op] : llvm::enumerate(body)) {
      position[&op] = i;
      if (end)
        continue;
      if (isa<RowMapOpInterface>(op) && ++rowMapIndex == stageEnd)
        end = &op;
      if (!op.hasTrait<OpTrait::ConstantLike>() && !isa<tensor::EmptyOp>(op) &&
          !op.hasTrait<OpTrait::IsTerminator>())
        stage.push_back(&op);
    }
    if (!end) {
      func.emitError() << "tinyts-patch: stage-end " << static_cast<int64_t>(stageEnd)
                       << " is not a row-mappable op: the function has "
                       << rowMapIndex + 1 << " row-mappable ops (indices 0 to "
                       << rowMapIndex << ")";
      return signalPassFailure();
    }

    // Every op of the stage must run on a region of its output. An op that
    // cannot but reads no result of the stage (a reshape or quantize of the
    // model input, say) runs whole before it: its result is a stage input.
    // Only the stage output may leave the stage.
    DenseMap<Operation *, Spatial> spatial;
    llvm::SmallPtrSet<Operation *, 32> inStage;
    SmallVector<Operation *> patched;
    for (Operation *op : stage) {
      std::string why;
      FailureOr<Spatial> s = classify(op, why);
      if (failed(s)) {
        bool prelude = op != end && llvm::none_of(op->getOperands(), [&](Value v) {
          return v.getDefiningOp() && inStage.contains(v.getDefiningOp());
        });
        if (prelude)
          continue;
        if (op == end)
          op->emitError() << "tinyts-patch: the stage-end op (row-mappable op #"
                          << static_cast<int64_t>(stageEnd)
                          << ") is not spatially mappable: " << why;
        else
          op->emitError() << "tinyts-patch: '" << op->getName() << "' (op #"
                          << position[op] << " of the function) is in the patch "
                          << "stage (ending at row-mappable op #"
                          << static_cast<int64_t>(stageEnd)
                          << ") but is not spatially mappable: " << why
                          << "; end the stage before it";
        return signalPassFailure();
      }
      spatial[op] = *s;
      inStage.insert(op);
      patched.push_back(op);
    }
    stage = std::move(patched);
    for (Operation *op : stage) {
      if (op == end)
        continue;
      for (Operation *user : op->getUsers())
        if (!inStage.contains(user)) {
          op->emitError() << "tinyts-patch: the result of '" << op->getName()
                          << "' (op #" << position[op]
                          << ") inside the patch stage is also used after it, by '"
                          << user->getName() << "' (op #"
                          << position[body.findAncestorOpInBlock(*user)]
                          << "): only the stage output may leave the stage; "
                             "end the stage where one tensor crosses";
          return signalPassFailure();
        }
    }
    Value output = end->getResult(0);
    auto outType = cast<RankedTensorType>(output.getType());
    int64_t rows = outType.getDimSize(1), cols = outType.getDimSize(2);
    if (patches > rows || patches > cols) {
      end->emitError() << "tinyts-patch: cannot cut the stage output (" << rows
                       << " x " << cols << ") into " << static_cast<int64_t>(patches)
                       << " x " << static_cast<int64_t>(patches)
                       << " patches: at most " << std::min(rows, cols)
                       << " per side";
      return signalPassFailure();
    }

    OpBuilder builder(end);
    Location loc = end->getLoc();
    Value acc = tensor::EmptyOp::create(builder, loc, outType.getShape(),
                                        outType.getElementType());
    SmallVector<int64_t> rowStarts = evenStarts(rows, patches);
    SmallVector<int64_t> colStarts = evenStarts(cols, patches);
    int64_t patchIndex = 0;
    for (int64_t pi = 0; pi < patches; ++pi)
      for (int64_t pj = 0; pj < patches; ++pj, ++patchIndex) {
        Region outRegion{rowStarts[pi], rowStarts[pi + 1], colStarts[pj],
                         colStarts[pj + 1]};
        // Backwards: the region of every tensor the patch needs (the
        // bounding box of what its readers in the stage read).
        DenseMap<Value, Region> need;
        need[output] = outRegion;
        for (Operation *op : llvm::reverse(stage)) {
          Region region = need.lookup(op->getResult(0));
          if (region.empty())
            continue;
          for (unsigned idx : spatial[op].operands) {
            Value v = op->getOperand(idx);
            auto t = shaped(v);
            Region in = inputRegion(op, spatial[op], idx, region)
                            .clip(t.getDimSize(1), t.getDimSize(2));
            need[v] = need.lookup(v).unite(in);
          }
        }
        // Forwards: every op of the stage on its region.
        DenseMap<Value, Value> local;
        for (Operation *op : stage) {
          Value result = op->getResult(0);
          Region region = need.lookup(result);
          if (region.empty())
            continue;
          const Spatial &s = spatial[op];
          SmallVector<Value> inputs;
          SmallVector<int64_t> pad(padOf(op));
          for (unsigned idx : s.operands) {
            Value v = op->getOperand(idx);
            auto t = shaped(v);
            Region want = inputRegion(op, s, idx, region);
            Region got = want.clip(t.getDimSize(1), t.getDimSize(2));
            if (s.windowed) {
              // Padding only where the region meets the tensor's border.
              pad = {got.r0 - want.r0, want.r1 - got.r1, got.c0 - want.c0,
                     want.c1 - got.c1};
            }
            auto found = local.find(v);
            if (found != local.end())
              inputs.push_back(slice(builder, loc, found->second, got, need[v]));
            else
              inputs.push_back(slice(builder, loc, v, got,
                                     {0, t.getDimSize(1), 0, t.getDimSize(2)}));
          }
          Value init;
          if (op == end)
            init = slice(builder, loc, acc, region, {0, rows, 0, cols});
          else
            init = tensor::EmptyOp::create(builder, loc, regionType(result, region).getShape(),
                                           outType.getElementType());
          IRMapping mapping;
          Operation *clone = builder.clone(*op, mapping);
          for (auto [idx, input] : llvm::zip(s.operands, inputs))
            clone->setOperand(idx, input);
          cast<DestinationStyleOpInterface>(clone).getDpsInitOperand(0)->set(init);
          clone->getResult(0).setType(init.getType());
          if (s.windowed)
            setPadOf(clone, pad);
          clone->setAttr("tinyts.patch",
                         builder.getDenseI64ArrayAttr(
                             {position[op], patchIndex, region.r0, region.r1,
                              region.c0, region.c1}));
          local[result] = clone->getResult(0);
          if (op != end)
            continue;
          if (init == acc) {
            acc = clone->getResult(0);
            continue;
          }
          SmallVector<OpFoldResult> offsets, sizes, strides;
          sliceParams(builder, outType, region, {0, rows, 0, cols}, offsets, sizes,
                      strides);
          acc = tensor::InsertSliceOp::create(builder, loc, clone->getResult(0), acc,
                                              offsets, sizes, strides);
        }
      }

    // The stage output is the assembled tensor; the whole ops go, readers
    // first.
    output.replaceAllUsesWith(acc);
    SmallVector<Operation *> inits;
    for (Operation *op : stage)
      if (Operation *init =
              cast<DestinationStyleOpInterface>(op).getDpsInitOperand(0)->get().getDefiningOp())
        inits.push_back(init);
    for (Operation *op : llvm::reverse(stage))
      op->erase();
    for (Operation *init : inits)
      if (isa<tensor::EmptyOp>(init) && init->use_empty())
        init->erase();
  }
};

} // namespace
