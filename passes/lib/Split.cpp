//===- Split.cpp - row-band tensor splitting --------------------*- C++ -*-===//
//
// Part of TinyTS-MLIR. Implements tinyts-split: every selected op that
// implements RowMapOpInterface becomes one op per band of output rows, each
// reading only the input rows it needs (windows over the producer's bands),
// so that no tensor inside a segment is materialised whole and no row is
// computed twice.
//
//===----------------------------------------------------------------------===//

#include "tinyts/Passes.h"
#include "tinyts/TinyTSOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir {
namespace tinyts {
#define GEN_PASS_DEF_TINYTSSPLIT
#include "tinyts/Passes.h.inc"
} // namespace tinyts
} // namespace mlir

using namespace mlir;
using namespace mlir::tinyts;

namespace {

/// A tensor available as row bands: band i holds rows [starts[i],
/// starts[i+1]).
struct Bands {
  SmallVector<Value> values;
  SmallVector<int64_t> starts;
  /// The segment (index into the pass's ranges) whose ops read these bands.
  int64_t segment = 0;

  /// Indices of the first and last band overlapping rows [lo, hi).
  std::pair<size_t, size_t> covering(int64_t lo, int64_t hi) const {
    size_t first = 0;
    while (starts[first + 1] <= lo)
      ++first;
    size_t last = first;
    while (starts[last + 1] < hi)
      ++last;
    return {first, last};
  }
};

/// Row starts of `rows` rows cut into bands of `height` (the last shorter).
SmallVector<int64_t> uniformStarts(int64_t rows, int64_t height) {
  SmallVector<int64_t> starts;
  for (int64_t r = 0; r < rows; r += height)
    starts.push_back(r);
  starts.push_back(rows);
  return starts;
}

RankedTensorType withRows(Type type, int64_t rows) {
  auto t = cast<RankedTensorType>(type);
  SmallVector<int64_t> shape(t.getShape());
  shape[1] = rows;
  return RankedTensorType::get(shape, t.getElementType());
}

/// Marks a band op: `tinyts.band = [layer, band, first row, end row]`.
void setBand(Operation *op, size_t layer, size_t band, int64_t begin, int64_t end) {
  op->setAttr("tinyts.band",
              DenseI64ArrayAttr::get(op->getContext(),
                                     {static_cast<int64_t>(layer),
                                      static_cast<int64_t>(band), begin, end}));
}

/// One segment: row-mappable ops [lo, hi] (inclusive), split into bands of
/// `height` rows.
struct Segment {
  int64_t lo, hi, height;
};

/// An average pool over the whole input (one output pixel, no padding).
bool isGlobal(AvgPool2DOp pool) {
  auto in = cast<ShapedType>(pool.getInput().getType());
  auto out = cast<ShapedType>(pool.getInit().getType());
  return isa<RankedTensorType>(pool.getInput().getType()) && in.hasStaticShape() &&
         out.getDimSize(1) == 1 && out.getDimSize(2) == 1 &&
         pool.getKernel()[0] == in.getDimSize(1) &&
         pool.getKernel()[1] == in.getDimSize(2) &&
         llvm::all_of(pool.getPad(), [](int64_t p) { return p == 0; });
}

/// Replaces a global average pool of a banded tensor by a chain of
/// tinyts.row_sum (one per band: each band is released once summed) and a
/// tinyts.avg_pool_finish, so that the pooled tensor is never whole.
void streamGlobalPool(OpBuilder &builder, AvgPool2DOp pool, const Bands &in,
                      size_t layer) {
  builder.setInsertionPoint(pool);
  Location loc = pool.getLoc();
  auto inType = cast<ShapedType>(pool.getInput().getType());
  int64_t channels = inType.getDimSize(3);
  auto sumsType = RankedTensorType::get({channels}, builder.getI32Type());
  Value sums = tensor::EmptyOp::create(builder, loc, sumsType.getShape(),
                                       builder.getI32Type());
  for (auto [k, band] : llvm::enumerate(in.values)) {
    auto sum = RowSumOp::create(builder, loc, sumsType, sums, band,
                                k > 0 ? builder.getUnitAttr() : UnitAttr());
    setBand(sum, layer, k, in.starts[k], in.starts[k + 1]);
    sums = sum.getResult();
  }
  auto finish = AvgPoolFinishOp::create(
      builder, loc, pool.getInit().getType(), sums, pool.getInit(),
      builder.getI64IntegerAttr(inType.getDimSize(1) * inType.getDimSize(2)),
      pool.getClampMinAttr(), pool.getClampMaxAttr());
  pool.getResult().replaceAllUsesWith(finish.getResult());
  pool.erase();
}

/// A MEAN that keeps the rows (reduces only W and/or C, e.g. the first half
/// of a squeeze-excite's MEAN over H then W) of a banded tensor: one MEAN per
/// band, so the tensor is not joined (copied whole) for it. Its bands join the
/// input's segment; the op is not row-mappable, so segment indices (which
/// count row-mappable ops) are unchanged. Returns whether it split `mean`.
bool splitRowMean(OpBuilder &builder, MeanOp mean, DenseMap<Value, Bands> &banded,
                  size_t layer) {
  auto it = banded.find(mean.getInput());
  if (it == banded.end() || mean->getNumResults() != 1 ||
      llvm::any_of(mean.getAxes(), [](int64_t a) { return a < 2; }))
    return false;
  const Bands in = it->second;
  builder.setInsertionPoint(mean);
  Bands out;
  out.starts = in.starts;
  out.segment = in.segment;
  for (auto [k, band] : llvm::enumerate(in.values)) {
    int64_t begin = in.starts[k], end = in.starts[k + 1];
    auto type = withRows(mean.getResult().getType(), end - begin);
    Value init = tensor::EmptyOp::create(builder, mean.getLoc(), type.getShape(),
                                         type.getElementType());
    IRMapping mapping;
    Operation *piece = builder.clone(*mean, mapping);
    piece->setOperand(0, band);
    cast<MeanOp>(piece).getInitMutable().assign(init);
    piece->getResult(0).setType(type);
    setBand(piece, layer, k, begin, end);
    out.values.push_back(piece->getResult(0));
  }
  banded[mean.getResult()] = out;
  return true;
}

struct SplitPass : tinyts::impl::TinyTSSplitBase<SplitPass> {
  using TinyTSSplitBase::TinyTSSplitBase;

  /// Parses `segments` ("a-b:h,c,d-e") into inclusive index ranges, each with
  /// its band height (`band-height` when no ":h" is given).
  LogicalResult parseSegments(SmallVectorImpl<Segment> &out) {
    for (StringRef part : llvm::split(StringRef(segments), ',')) {
      part = part.trim();
      if (part.empty())
        continue;
      auto [range, height] = part.split(':');
      auto [a, b] = range.split('-');
      Segment seg{0, 0, bandHeight};
      if (a.trim().getAsInteger(10, seg.lo) ||
          (b.empty() ? (seg.hi = seg.lo, false)
                     : b.trim().getAsInteger(10, seg.hi)) ||
          seg.lo > seg.hi ||
          (!height.empty() &&
           (height.trim().getAsInteger(10, seg.height) || seg.height < 1))) {
        getOperation().emitError()
            << "tinyts-split: cannot parse segment '" << part
            << "': expected 'a-b' (inclusive op indices, a <= b) or 'a', "
               "optionally followed by ':h' (band height >= 1)";
        return failure();
      }
      out.push_back(seg);
    }
    return success();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (bandHeight < 1) {
      func.emitError() << "tinyts-split: band-height must be >= 1, got "
                       << static_cast<int64_t>(bandHeight);
      return signalPassFailure();
    }
    SmallVector<Segment> ranges;
    if (failed(parseSegments(ranges)))
      return signalPassFailure();
    if (!func.getBody().hasOneBlock())
      return;
    Block &body = func.getBody().front();

    SmallVector<Operation *> ops;
    for (Operation &op : body)
      ops.push_back(&op);

    // Bands of split ops' results, and of tensors split for a segment (a
    // tensor materialised whole, or one produced by another segment: segments
    // meet only through whole tensors).
    DenseMap<Value, Bands> banded;
    DenseMap<std::pair<Value, int64_t>, Bands> resplit;
    SmallVector<Operation *> replaced;
    int64_t rowMapIndex = -1;
    OpBuilder builder(&getContext());
    for (auto [layer, op] : llvm::enumerate(ops)) {
      if (auto mean = dyn_cast<MeanOp>(op)) {
        if (splitRowMean(builder, mean, banded, layer))
          replaced.push_back(op);
        continue;
      }
      auto rowMap = dyn_cast<RowMapOpInterface>(op);
      if (!rowMap)
        continue;
      ++rowMapIndex;
      int64_t segment = 0, height = bandHeight;
      if (!ranges.empty()) {
        const auto *it = llvm::find_if(ranges, [&](const Segment &r) {
          return r.lo <= rowMapIndex && rowMapIndex <= r.hi;
        });
        if (it == ranges.end())
          continue;
        segment = it - ranges.begin();
        height = it->height;
      }
      if (auto pool = dyn_cast<AvgPool2DOp>(op); pool && isGlobal(pool)) {
        auto it = banded.find(pool.getInput());
        if (it != banded.end() && it->second.segment == segment)
          streamGlobalPool(builder, pool, it->second, layer);
        continue;
      }
      if (op->getNumResults() != 1 || !isa<RankedTensorType>(op->getResult(0).getType()))
        continue;
      auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
      int64_t rows = resultType.getDimSize(1);
      if (rows < minRows || rows <= height)
        continue;
      SmallVector<int64_t> outStarts = uniformStarts(rows, height);
      SmallVector<unsigned> rowOperands = rowMap.getRowOperands();

      // The bands each row operand has (or will get from a tinyts.split).
      SmallVector<Bands> inputs;
      for (unsigned idx : rowOperands) {
        Value v = op->getOperand(idx);
        auto it = banded.find(v);
        if (it != banded.end() && it->second.segment == segment) {
          inputs.push_back(it->second);
          continue;
        }
        auto re = resplit.find({v, segment});
        if (re != resplit.end()) {
          inputs.push_back(re->second);
          continue;
        }
        Bands b;
        b.starts = uniformStarts(cast<ShapedType>(v.getType()).getDimSize(1), height);
        b.segment = segment;
        inputs.push_back(b);
      }
      // An op without row tables needs each band's rows inside one band.
      if (!rowMap.acceptsRowTable()) {
        bool fits = true;
        for (size_t k = 0; k + 1 < outStarts.size(); ++k)
          for (auto [i, idx] : llvm::enumerate(rowOperands)) {
            auto [lo, hi] = rowMap.getInputRows(idx, outStarts[k], outStarts[k + 1]);
            auto [first, last] = inputs[i].covering(lo, hi);
            fits &= first == last;
          }
        if (!fits) {
          op->emitRemark() << "not split: its kernel cannot read rows spanning "
                              "two bands of an input (band heights differ)";
          continue;
        }
      }
      // Materialise the tinyts.split of row operands produced whole.
      for (auto [i, idx] : llvm::enumerate(rowOperands)) {
        if (!inputs[i].values.empty())
          continue;
        Value v = op->getOperand(idx);
        if (Operation *def = v.getDefiningOp())
          builder.setInsertionPointAfter(def);
        else
          builder.setInsertionPointToStart(&body);
        SmallVector<int64_t> heights;
        SmallVector<Type> types;
        for (size_t k = 0; k + 1 < inputs[i].starts.size(); ++k) {
          heights.push_back(inputs[i].starts[k + 1] - inputs[i].starts[k]);
          types.push_back(withRows(v.getType(), heights.back()));
        }
        auto split = SplitOp::create(builder, op->getLoc(), types, v,
                                     builder.getDenseI64ArrayAttr(heights));
        inputs[i].values.assign(split.getResults().begin(), split.getResults().end());
        resplit[{v, segment}] = inputs[i];
      }

      // One op per band of output rows.
      builder.setInsertionPoint(op);
      Bands out;
      out.starts = outStarts;
      out.segment = segment;
      for (size_t k = 0; k + 1 < outStarts.size(); ++k) {
        int64_t begin = outStarts[k], end = outStarts[k + 1];
        SmallVector<Value> windows;
        for (auto [i, idx] : llvm::enumerate(rowOperands)) {
          const Bands &in = inputs[i];
          int64_t inRows = in.starts.back();
          auto [lo, hi] = rowMap.getInputRows(idx, begin, end);
          lo = std::max<int64_t>(lo, 0);
          hi = std::min(hi, inRows);
          auto [first, last] = in.covering(lo, hi);
          if (first == last && lo == in.starts[first] && hi == in.starts[first + 1]) {
            windows.push_back(in.values[first]);
            continue;
          }
          SmallVector<Value> spanned(in.values.begin() + first,
                                     in.values.begin() + last + 1);
          windows.push_back(WindowOp::create(
              builder, op->getLoc(), withRows(in.values[first].getType(), hi - lo),
              spanned, builder.getI64IntegerAttr(lo - in.starts[first])));
        }
        auto bandType = withRows(resultType, end - begin);
        Value init = tensor::EmptyOp::create(builder, op->getLoc(), bandType.getShape(),
                                             bandType.getElementType());
        Operation *band = rowMap.createBand(builder, windows, init, begin, end);
        setBand(band, layer, k, begin, end);
        out.values.push_back(band->getResult(0));
      }
      banded[op->getResult(0)] = out;
      replaced.push_back(op);
    }

    // Uses left by ops that were not split get the joined tensor; then the
    // whole ops go, consumers first.
    for (Operation *op : llvm::reverse(replaced)) {
      Value result = op->getResult(0);
      if (!result.use_empty()) {
        builder.setInsertionPoint(op);
        const Bands &b = banded[result];
        Value joined = JoinOp::create(builder, op->getLoc(), result.getType(), b.values);
        result.replaceAllUsesWith(joined);
      }
      op->erase();
    }
  }
};

} // namespace
