//===- RaiseKernels.cpp - TOSA int8 patterns to tinyts kernels --*- C++ -*-===//
//
// Part of TinyTS-MLIR. Implements tinyts-raise-kernels: recognises the exact
// TOSA encodings of TFLite's int8 conv2d, depthwise_conv2d, fully_connected
// and add, and replaces each with one tinyts kernel op.
//
//===----------------------------------------------------------------------===//

#include "tinyts/Passes.h"
#include "tinyts/TinyTSOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace tinyts {
#define GEN_PASS_DEF_TINYTSRAISEKERNELS
#include "tinyts/Passes.h.inc"
} // namespace tinyts
} // namespace mlir

using namespace mlir;
using namespace mlir::tinyts;

namespace {

//===----------------------------------------------------------------------===//
// Constant helpers
//===----------------------------------------------------------------------===//

/// The integer values of a constant tensor operand, if it is one.
std::optional<SmallVector<int64_t>> getConstInts(Value v) {
  DenseIntElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &x : attr.getValues<APInt>())
    values.push_back(x.getSExtValue());
  return values;
}

/// The single value of a constant whose elements are all equal.
std::optional<int64_t> getConstScalar(Value v) {
  auto values = getConstInts(v);
  if (!values || values->empty())
    return std::nullopt;
  for (int64_t x : *values)
    if (x != values->front())
      return std::nullopt;
  return values->front();
}

bool hasElementWidth(Value v, unsigned width) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.hasStaticShape() && type.getElementType().isSignlessInteger(width);
}

//===----------------------------------------------------------------------===//
// Rescale decoding
//===----------------------------------------------------------------------===//

/// A TOSA rescale in TFLite terms: multiplier and exponent per channel, with
/// `real = multiplier * 2^(shift - 31)` (TFLite's QuantizeMultiplier).
struct Requant {
  SmallVector<int32_t> multiplier;
  SmallVector<int32_t> shift;
  int64_t inputZp = 0;
  int64_t outputZp = 0;
};

/// Decodes a signed, 32-bit rescale with constant operands. Unless
/// `anyRounding`, it must use double rounding (TFLite's requantization).
std::optional<Requant> decodeRescale(tosa::RescaleOp op,
                                     bool anyRounding = false) {
  if (!op.getScale32() || op.getInputUnsigned() || op.getOutputUnsigned())
    return std::nullopt;
  auto mult = getConstInts(op.getMultiplier());
  auto shift = getConstInts(op.getShift());
  // TOSA's double rounding differs from single rounding only for shifts
  // above 31, so a single-rounding rescale with smaller shifts is the same.
  bool doubleRoundEquivalent =
      op.getRoundingMode() == tosa::RoundingMode::DOUBLE_ROUND ||
      (op.getRoundingMode() == tosa::RoundingMode::SINGLE_ROUND && shift &&
       llvm::all_of(*shift, [](int64_t s) { return s <= 31; }));
  if (!anyRounding && !doubleRoundEquivalent)
    return std::nullopt;
  auto izp = getConstScalar(op.getInputZp());
  auto ozp = getConstScalar(op.getOutputZp());
  if (!mult || !shift || !izp || !ozp || mult->size() != shift->size())
    return std::nullopt;
  Requant r;
  for (auto [m, s] : llvm::zip(*mult, *shift)) {
    r.multiplier.push_back(static_cast<int32_t>(m));
    r.shift.push_back(static_cast<int32_t>(31 - s));
  }
  r.inputZp = *izp;
  r.outputZp = *ozp;
  return r;
}

/// The ops that follow an i32 accumulator up to the int8 result.
struct Epilogue {
  tosa::RescaleOp rescale;
  tosa::ClampOp clamp;
  tosa::ReshapeOp reshape;
  Operation *last = nullptr;
  Requant requant;
  int32_t clampMin = -128;
  int32_t clampMax = 127;
};

/// Follows the single-use chain from `acc` through at most one rescale
/// (required, i32 -> i8, input zero point 0), one int8 clamp and, when
/// `allowReshape`, one reshape.
std::optional<Epilogue> matchEpilogue(Value acc, bool allowReshape) {
  Epilogue ep;
  Value v = acc;
  while (v.hasOneUse()) {
    Operation *user = *v.getUsers().begin();
    if (auto rescale = dyn_cast<tosa::RescaleOp>(user)) {
      if (ep.rescale || !hasElementWidth(rescale.getInput(), 32) ||
          !hasElementWidth(rescale.getOutput(), 8))
        break;
      auto requant = decodeRescale(rescale);
      if (!requant || requant->inputZp != 0)
        return std::nullopt;
      ep.rescale = rescale;
      ep.requant = *requant;
    } else if (auto clamp = dyn_cast<tosa::ClampOp>(user)) {
      if (!ep.rescale || ep.clamp)
        break;
      auto lo = dyn_cast<IntegerAttr>(clamp.getMinVal());
      auto hi = dyn_cast<IntegerAttr>(clamp.getMaxVal());
      if (!lo || !hi || !hasElementWidth(clamp.getOutput(), 8))
        break;
      ep.clamp = clamp;
      ep.clampMin = static_cast<int32_t>(
          std::max<int64_t>(lo.getValue().getSExtValue(), -128));
      ep.clampMax = static_cast<int32_t>(
          std::min<int64_t>(hi.getValue().getSExtValue(), 127));
    } else if (auto reshape = dyn_cast<tosa::ReshapeOp>(user)) {
      if (!allowReshape || ep.reshape)
        break;
      ep.reshape = reshape;
    } else {
      break;
    }
    ep.last = user;
    v = user->getResult(0);
  }
  if (!ep.rescale)
    return std::nullopt;
  // A reshape after the last clamp/rescale must not be left dangling before
  // the rescale: the final value must be int8.
  if (!hasElementWidth(ep.last->getResult(0), 8))
    return std::nullopt;
  return ep;
}

/// Whether a value of type `from` broadcasts to `to` (same rank, each
/// dimension equal or 1).
bool broadcastsTo(Type from, Type to) {
  auto a = dyn_cast<RankedTensorType>(from);
  auto b = dyn_cast<RankedTensorType>(to);
  if (!a || !b || a.getRank() != b.getRank() || !a.hasStaticShape())
    return false;
  for (auto [x, y] : llvm::zip(a.getShape(), b.getShape()))
    if (x != y && x != 1)
      return false;
  return true;
}

Value createInit(PatternRewriter &rewriter, Location loc, Type type) {
  auto t = cast<RankedTensorType>(type);
  return tensor::EmptyOp::create(rewriter, loc, t.getShape(), t.getElementType());
}

/// Common checks on a TOSA convolution: int8 input and weights, i32
/// accumulator, symmetric (zero point 0) weights, constant input zero point.
template <typename TosaConv>
std::optional<int64_t> matchConvOperands(TosaConv conv) {
  if (!hasElementWidth(conv.getInput(), 8) ||
      !hasElementWidth(conv.getWeight(), 8) ||
      !hasElementWidth(conv.getOutput(), 32) ||
      !hasElementWidth(conv.getBias(), 32) ||
      !conv.getAccType().isSignlessInteger(32))
    return std::nullopt;
  auto wzp = getConstScalar(conv.getWeightZp());
  auto izp = getConstScalar(conv.getInputZp());
  if (!wzp || *wzp != 0 || !izp)
    return std::nullopt;
  return *izp;
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// tosa.conv2d -> rescale (-> clamp), or the fully connected encoding
/// reshape -> 1x1 conv2d -> rescale (-> clamp) -> reshape.
struct RaiseConv2D : OpRewritePattern<tosa::Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::Conv2DOp conv,
                                PatternRewriter &rewriter) const override {
    auto izp = matchConvOperands(conv);
    if (!izp)
      return rewriter.notifyMatchFailure(conv, "not an int8 conv with int8 "
                                               "symmetric weights");
    auto ep = matchEpilogue(conv.getOutput(), /*allowReshape=*/true);
    if (!ep)
      return rewriter.notifyMatchFailure(conv, "no exact int8 requantization");
    if (ep->reshape) {
      if (succeeded(raiseFullyConnected(conv, *izp, *ep, rewriter)))
        return success();
      // Not a fully connected layer: a convolution whose result is then
      // reshaped; raise it up to the reshape.
      ep = matchEpilogue(conv.getOutput(), /*allowReshape=*/false);
      if (!ep)
        return rewriter.notifyMatchFailure(conv, "no exact int8 requantization");
    }

    rewriter.setInsertionPoint(ep->last);
    Location loc = ep->last->getLoc();
    Type resultType = ep->last->getResult(0).getType();
    auto op = Conv2DOp::create(
        rewriter, loc, resultType, conv.getInput(), conv.getWeight(),
        conv.getBias(), createInit(rewriter, loc, resultType), conv.getStride(),
        conv.getPad(), conv.getDilation(), *izp, ep->requant.outputZp,
        ep->requant.multiplier, ep->requant.shift, ep->clampMin, ep->clampMax);
    rewriter.replaceOp(ep->last, op.getResult());
    return success();
  }

  LogicalResult raiseFullyConnected(tosa::Conv2DOp conv, int64_t izp,
                                    const Epilogue &ep,
                                    PatternRewriter &rewriter) const {
    auto in = conv.getInput().getDefiningOp<tosa::ReshapeOp>();
    auto result = cast<RankedTensorType>(ep.last->getResult(0).getType());
    auto weightType = cast<RankedTensorType>(conv.getWeight().getType());
    if (!in)
      return rewriter.notifyMatchFailure(conv, "input is not reshaped from "
                                               "[N, IN]");
    auto flatIn = cast<RankedTensorType>(in.getInput1().getType());
    int64_t outFeatures = weightType.getDimSize(0);
    int64_t inFeatures = weightType.getDimSize(3);
    bool unitWindow = weightType.getDimSize(1) == 1 &&
                      weightType.getDimSize(2) == 1 &&
                      llvm::all_of(conv.getPad(), [](int64_t p) { return p == 0; });
    if (!unitWindow || flatIn.getRank() != 2 || !flatIn.hasStaticShape() ||
        flatIn.getDimSize(1) != inFeatures || result.getRank() != 2 ||
        result.getDimSize(0) != flatIn.getDimSize(0) ||
        result.getDimSize(1) != outFeatures)
      return rewriter.notifyMatchFailure(conv, "not a fully connected layer");
    DenseElementsAttr weights;
    if (!matchPattern(conv.getWeight(), m_Constant(&weights)))
      return rewriter.notifyMatchFailure(conv, "non-constant weights");

    rewriter.setInsertionPoint(ep.last);
    Location loc = ep.last->getLoc();
    auto flatWeightType = RankedTensorType::get({outFeatures, inFeatures},
                                                weightType.getElementType());
    Value flatWeights = tosa::ConstOp::create(
        rewriter, conv.getLoc(), flatWeightType, weights.reshape(flatWeightType));
    auto op = FullyConnectedOp::create(
        rewriter, loc, result, in.getInput1(), flatWeights, conv.getBias(),
        createInit(rewriter, loc, result), izp, ep.requant.outputZp,
        ep.requant.multiplier, ep.requant.shift, ep.clampMin, ep.clampMax);
    rewriter.replaceOp(ep.last, op.getResult());
    return success();
  }
};

/// tosa.depthwise_conv2d -> rescale (-> clamp).
struct RaiseDepthwiseConv2D : OpRewritePattern<tosa::DepthwiseConv2DOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::DepthwiseConv2DOp conv,
                                PatternRewriter &rewriter) const override {
    auto izp = matchConvOperands(conv);
    if (!izp)
      return rewriter.notifyMatchFailure(conv, "not an int8 depthwise conv "
                                               "with int8 symmetric weights");
    auto ep = matchEpilogue(conv.getOutput(), /*allowReshape=*/false);
    if (!ep)
      return rewriter.notifyMatchFailure(conv, "no exact int8 requantization");
    rewriter.setInsertionPoint(ep->last);
    Location loc = ep->last->getLoc();
    Type resultType = ep->last->getResult(0).getType();
    auto op = DepthwiseConv2DOp::create(
        rewriter, loc, resultType, conv.getInput(), conv.getWeight(),
        conv.getBias(), createInit(rewriter, loc, resultType), conv.getStride(),
        conv.getPad(), conv.getDilation(), *izp, ep->requant.outputZp,
        ep->requant.multiplier, ep->requant.shift, ep->clampMin, ep->clampMax);
    rewriter.replaceOp(ep->last, op.getResult());
    return success();
  }
};

/// One input of TFLite's ADD: `rescale(i8 -> i32, * 2^left_shift exactly,
/// input_zp = zp)` followed by `rescale(i32 -> i32, double rounding)`.
struct AddInput {
  Value value;
  int64_t zp;
  int64_t leftShift;
  int32_t multiplier;
  int32_t shift;
};

/// Looks through the reshape the importer inserts to align an operand's
/// rank before a broadcasting elementwise op; `shape` gets its operand.
Value skipRankAlign(Value v, Value &shape) {
  if (auto reshape = v.getDefiningOp<tosa::ReshapeOp>()) {
    shape = reshape.getShape();
    return reshape.getInput1();
  }
  return v;
}

/// `value` (int8) reshaped like the elementwise operand it fed, if needed.
Value alignedInput(PatternRewriter &rewriter, Location loc, Value value,
                   Value shape, Type operandType) {
  if (!shape)
    return value;
  auto t = cast<RankedTensorType>(operandType);
  auto type = RankedTensorType::get(t.getShape(), rewriter.getIntegerType(8));
  return tosa::ReshapeOp::create(rewriter, loc, type, value, shape);
}

std::optional<AddInput> matchAddInput(Value v, Value *rankShape = nullptr) {
  Value shape;
  v = skipRankAlign(v, shape);
  if (rankShape)
    *rankShape = shape;
  auto scale = v.getDefiningOp<tosa::RescaleOp>();
  if (!scale || scale.getPerChannel() || !hasElementWidth(scale.getInput(), 32) ||
      !hasElementWidth(scale.getOutput(), 32))
    return std::nullopt;
  auto scaleRq = decodeRescale(scale);
  if (!scaleRq || scaleRq->inputZp != 0 || scaleRq->outputZp != 0 ||
      scaleRq->multiplier.size() != 1)
    return std::nullopt;
  auto widen = scale.getInput().getDefiningOp<tosa::RescaleOp>();
  if (!widen || widen.getPerChannel() || !hasElementWidth(widen.getInput(), 8))
    return std::nullopt;
  // The widening multiplies by an exact power of two, so nothing is rounded
  // and any rounding mode gives the same result.
  auto widenRq = decodeRescale(widen, /*anyRounding=*/true);
  if (!widenRq || widenRq->outputZp != 0 || widenRq->multiplier.size() != 1)
    return std::nullopt;
  // The widening rescale must multiply by an exact power of two:
  // (x * 2^p + 2^(s-1)) >> s == x * 2^(p-s) when p >= s.
  int64_t m = widenRq->multiplier.front();
  int64_t tosaShift = 31 - widenRq->shift.front();
  if (m <= 0 || !llvm::isPowerOf2_64(m))
    return std::nullopt;
  int64_t leftShift = llvm::Log2_64(m) - tosaShift;
  if (leftShift < 0 || leftShift > 30)
    return std::nullopt;
  return AddInput{widen.getInput(), widenRq->inputZp, leftShift,
                  scaleRq->multiplier.front(), scaleRq->shift.front()};
}

/// The exact TOSA encoding of TFLite's int8 ADD.
struct RaiseAdd : OpRewritePattern<tosa::AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::AddOp add,
                                PatternRewriter &rewriter) const override {
    if (!hasElementWidth(add.getOutput(), 32))
      return rewriter.notifyMatchFailure(add, "not an i32 add");
    auto lhs = matchAddInput(add.getInput1());
    auto rhs = matchAddInput(add.getInput2());
    if (!lhs || !rhs || lhs->leftShift != rhs->leftShift)
      return rewriter.notifyMatchFailure(add, "inputs are not rescaled from int8 "
                                              "the way TFLite's ADD does");
    auto ep = matchEpilogue(add.getOutput(), /*allowReshape=*/false);
    if (!ep || ep->requant.multiplier.size() != 1)
      return rewriter.notifyMatchFailure(add, "no exact int8 requantization");
    Type resultType = ep->last->getResult(0).getType();
    if (!broadcastsTo(add.getInput1().getType(), resultType) ||
        !broadcastsTo(add.getInput2().getType(), resultType))
      return rewriter.notifyMatchFailure(add, "operands do not broadcast to "
                                              "the result");
    rewriter.setInsertionPoint(ep->last);
    Location loc = ep->last->getLoc();
    Value lhsShape, rhsShape;
    matchAddInput(add.getInput1(), &lhsShape);
    matchAddInput(add.getInput2(), &rhsShape);
    Value lhsValue = alignedInput(rewriter, loc, lhs->value, lhsShape,
                                  add.getInput1().getType());
    Value rhsValue = alignedInput(rewriter, loc, rhs->value, rhsShape,
                                  add.getInput2().getType());
    auto op = AddOp::create(
        rewriter, loc, resultType, lhsValue, rhsValue,
        createInit(rewriter, loc, resultType), lhs->leftShift, lhs->zp,
        lhs->multiplier, lhs->shift, rhs->zp, rhs->multiplier, rhs->shift,
        ep->requant.outputZp, ep->requant.multiplier.front(),
        ep->requant.shift.front(), ep->clampMin, ep->clampMax);
    rewriter.replaceOp(ep->last, op.getResult());
    return success();
  }
};

/// The op that ends a pooling result: an int8 tosa.clamp using it alone
/// (whose bounds are returned), or the pool itself.
Operation *matchOptionalClamp(Operation *pool, int32_t &lo, int32_t &hi) {
  lo = -128;
  hi = 127;
  Value result = pool->getResult(0);
  if (result.hasOneUse())
    if (auto clamp = dyn_cast<tosa::ClampOp>(*result.getUsers().begin())) {
      auto min = dyn_cast<IntegerAttr>(clamp.getMinVal());
      auto max = dyn_cast<IntegerAttr>(clamp.getMaxVal());
      if (min && max) {
        lo = std::max<int64_t>(min.getValue().getSExtValue(), -128);
        hi = std::min<int64_t>(max.getValue().getSExtValue(), 127);
        return clamp;
      }
    }
  return pool;
}

/// tosa.avg_pool2d on int8 with zero points 0 (TFLite averages raw values)
/// or tosa.max_pool2d on int8 (-> clamp).
template <typename TosaPool, typename KernelOp>
struct RaisePool : OpRewritePattern<TosaPool> {
  using OpRewritePattern<TosaPool>::OpRewritePattern;

  LogicalResult matchAndRewrite(TosaPool pool,
                                PatternRewriter &rewriter) const override {
    if (!hasElementWidth(pool.getInput(), 8) || !hasElementWidth(pool.getOutput(), 8))
      return rewriter.notifyMatchFailure(pool, "not an int8 pool");
    if constexpr (std::is_same_v<TosaPool, tosa::AvgPool2dOp>) {
      auto izp = getConstScalar(pool.getInputZp());
      auto ozp = getConstScalar(pool.getOutputZp());
      if (!izp || !ozp || *izp != 0 || *ozp != 0 ||
          !pool.getAccType().isSignlessInteger(32))
        return rewriter.notifyMatchFailure(pool, "not TFLite's int8 average pool");
    }
    int32_t lo, hi;
    Operation *last = matchOptionalClamp(pool, lo, hi);
    rewriter.setInsertionPoint(last);
    Location loc = last->getLoc();
    Type type = last->getResult(0).getType();
    auto op = KernelOp::create(rewriter, loc, type, pool.getInput(),
                               createInit(rewriter, loc, type), pool.getKernel(),
                               pool.getStride(), pool.getPad(), lo, hi);
    rewriter.replaceOp(last, op.getResult());
    return success();
  }
};

/// TFLite's int8 CONCATENATION (a byte copy).
struct RaiseConcat : OpRewritePattern<tosa::ConcatOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::ConcatOp op,
                                PatternRewriter &rewriter) const override {
    if (!hasElementWidth(op.getOutput(), 8) ||
        !llvm::all_of(op.getInput1(), [](Value v) { return hasElementWidth(v, 8); }))
      return rewriter.notifyMatchFailure(op, "not an int8 concat");
    Type type = op.getOutput().getType();
    rewriter.replaceOpWithNewOp<ConcatOp>(op, type, op.getInput1(),
                                          createInit(rewriter, op.getLoc(), type),
                                          op.getAxis());
    return success();
  }
};

/// The importer's encoding of TFLite's RESIZE_NEAREST_NEIGHBOR (integer
/// upscale n: scale n/1, offset -(n / 2), which floors dst / n).
struct RaiseResizeNearest : OpRewritePattern<tosa::ResizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::ResizeOp op,
                                PatternRewriter &rewriter) const override {
    auto in = dyn_cast<RankedTensorType>(op.getInput().getType());
    auto out = dyn_cast<RankedTensorType>(op.getOutput().getType());
    auto scale = getConstInts(op.getScale());
    auto offset = getConstInts(op.getOffset());
    if (!in || !out || !hasElementWidth(op.getInput(), 8) || in.getRank() != 4 ||
        op.getMode() != tosa::ResizeMode::NEAREST_NEIGHBOR || !scale || !offset ||
        scale->size() != 4 || offset->size() != 2)
      return rewriter.notifyMatchFailure(op, "not an int8 NHWC nearest resize");
    for (int axis = 0; axis < 2; ++axis) {
      int64_t i = in.getDimSize(1 + axis), o = out.getDimSize(1 + axis);
      int64_t n = o / i;
      if (o % i || (*scale)[2 * axis] != n || (*scale)[2 * axis + 1] != 1 ||
          (*offset)[axis] != -(n / 2))
        return rewriter.notifyMatchFailure(op, "not TFLite's integer upscale");
    }
    rewriter.replaceOpWithNewOp<ResizeNearestOp>(
        op, out, op.getInput(), createInit(rewriter, op.getLoc(), out));
    return success();
  }
};

/// The importer's TOSA expansion of TFLite's int8 SOFTMAX: its last op (an
/// int8 tosa.rescale) carries the kernel's parameters as `tinyts.softmax`;
/// the chain's input is what its tosa.reduce_max reads.
struct RaiseSoftmax : OpRewritePattern<tosa::RescaleOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::RescaleOp last,
                                PatternRewriter &rewriter) const override {
    auto params = last->getAttrOfType<DictionaryAttr>("tinyts.softmax");
    if (!params)
      return failure();
    auto mult = params.getAs<IntegerAttr>("input_multiplier");
    auto shift = params.getAs<IntegerAttr>("input_left_shift");
    auto diffMin = params.getAs<IntegerAttr>("diff_min");
    if (!mult || !shift || !diffMin)
      return rewriter.notifyMatchFailure(last, "incomplete tinyts.softmax");
    // Find the row maximum in the chain feeding `last`.
    SmallVector<Operation *> worklist = {last};
    DenseSet<Operation *> seen;
    Value input;
    while (!worklist.empty() && !input) {
      Operation *op = worklist.pop_back_val();
      if (!seen.insert(op).second)
        continue;
      if (auto max = dyn_cast<tosa::ReduceMaxOp>(op)) {
        input = max.getInput();
        break;
      }
      for (Value v : op->getOperands())
        if (Operation *def = v.getDefiningOp())
          worklist.push_back(def);
    }
    Type type = last.getOutput().getType();
    if (!input || input.getType() != type || !hasElementWidth(input, 8))
      return rewriter.notifyMatchFailure(last, "no int8 row maximum of the "
                                               "result's shape in the chain");
    rewriter.setInsertionPoint(last);
    Location loc = last.getLoc();
    auto op = SoftmaxOp::create(
        rewriter, loc, type, input, createInit(rewriter, loc, type),
        mult.getInt(), shift.getInt(), diffMin.getInt());
    rewriter.replaceOp(last, op.getResult());
    return success();
  }
};

/// The importer's exact widening `(x - zp)` to i32 (a unit rescale,
/// multiplier 2^30 >> 30), possibly rank-aligned by a reshape.
struct Widened {
  Value value;
  Value rankShape;
  int64_t zp;
};

std::optional<Widened> matchWiden(Value v) {
  Widened w;
  v = skipRankAlign(v, w.rankShape);
  auto widen = v.getDefiningOp<tosa::RescaleOp>();
  if (!widen || widen.getPerChannel() || !hasElementWidth(widen.getInput(), 8) ||
      !hasElementWidth(widen.getOutput(), 32))
    return std::nullopt;
  auto rq = decodeRescale(widen, /*anyRounding=*/true);
  if (!rq || rq->outputZp != 0 || rq->multiplier.size() != 1)
    return std::nullopt;
  int64_t m = rq->multiplier.front();
  int64_t tosaShift = 31 - rq->shift.front();
  if (m <= 0 || !llvm::isPowerOf2_64(m) || (int64_t)llvm::Log2_64(m) != tosaShift)
    return std::nullopt;
  w.value = widen.getInput();
  w.zp = rq->inputZp;
  return w;
}

/// TFLite's int8 MUL: `rescale(widen(a) * widen(b))` (-> clamp).
struct RaiseMul : OpRewritePattern<tosa::MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::MulOp mul,
                                PatternRewriter &rewriter) const override {
    if (!hasElementWidth(mul.getOutput(), 32) || getConstScalar(mul.getShift()) != 0)
      return rewriter.notifyMatchFailure(mul, "not an i32 multiply without shift");
    auto lhs = matchWiden(mul.getInput1());
    auto rhs = matchWiden(mul.getInput2());
    if (!lhs || !rhs)
      return rewriter.notifyMatchFailure(mul, "inputs are not widened int8 values");
    auto ep = matchEpilogue(mul.getOutput(), /*allowReshape=*/false);
    if (!ep || ep->requant.multiplier.size() != 1)
      return rewriter.notifyMatchFailure(mul, "no exact int8 requantization");
    Type resultType = ep->last->getResult(0).getType();
    if (!broadcastsTo(mul.getInput1().getType(), resultType) ||
        !broadcastsTo(mul.getInput2().getType(), resultType))
      return rewriter.notifyMatchFailure(mul, "operands do not broadcast");
    rewriter.setInsertionPoint(ep->last);
    Location loc = ep->last->getLoc();
    Value a = alignedInput(rewriter, loc, lhs->value, lhs->rankShape,
                           mul.getInput1().getType());
    Value b = alignedInput(rewriter, loc, rhs->value, rhs->rankShape,
                           mul.getInput2().getType());
    auto op = MulOp::create(rewriter, loc, resultType, a, b,
                            createInit(rewriter, loc, resultType), lhs->zp,
                            rhs->zp, ep->requant.outputZp,
                            ep->requant.multiplier.front(),
                            ep->requant.shift.front(), ep->clampMin, ep->clampMax);
    rewriter.replaceOp(ep->last, op.getResult());
    return success();
  }
};

/// TFLite's int8 MEAN as the importer writes it: cast to i32, one
/// reduce_sum per axis, minus n * zp_in, one rescale to int8.
struct RaiseMean : OpRewritePattern<tosa::RescaleOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::RescaleOp rescale,
                                PatternRewriter &rewriter) const override {
    if (!hasElementWidth(rescale.getInput(), 32) ||
        !hasElementWidth(rescale.getOutput(), 8))
      return failure();
    auto rq = decodeRescale(rescale);
    if (!rq || rq->inputZp != 0 || rq->multiplier.size() != 1)
      return failure();
    Value v = rescale.getInput();
    int64_t offset = 0;
    if (auto sub = v.getDefiningOp<tosa::SubOp>()) {
      auto c = getConstScalar(sub.getInput2());
      if (!c)
        return failure();
      offset = *c;
      v = sub.getInput1();
    }
    SmallVector<int64_t> axes;
    while (auto sum = v.getDefiningOp<tosa::ReduceSumOp>()) {
      if (!sum->hasOneUse())
        return failure();
      axes.push_back(sum.getAxis());
      v = sum.getInput();
    }
    auto castOp = v.getDefiningOp<tosa::CastOp>();
    if (axes.empty() || !castOp || !hasElementWidth(castOp.getInput(), 8))
      return failure();
    Value input = castOp.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    llvm::sort(axes);
    int64_t n = 1;
    for (int64_t a : axes)
      n *= inType.getDimSize(a);
    if (offset % n != 0 || offset / n < -128 || offset / n > 127)
      return rewriter.notifyMatchFailure(rescale, "offset is not n * zp");
    rewriter.setInsertionPoint(rescale);
    Location loc = rescale.getLoc();
    Type type = rescale.getOutput().getType();
    auto op = MeanOp::create(rewriter, loc, type, input,
                             createInit(rewriter, loc, type), axes, offset / n,
                             rq->outputZp, rq->multiplier.front(),
                             rq->shift.front());
    rewriter.replaceOp(rescale, op.getResult());
    return success();
  }
};

struct RaiseTranspose : OpRewritePattern<tosa::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    if (!hasElementWidth(op.getInput1(), 8) ||
        cast<RankedTensorType>(op.getInput1().getType()).getRank() > 4)
      return rewriter.notifyMatchFailure(op, "not an int8 transpose of rank <= 4");
    Type type = op.getOutput().getType();
    rewriter.replaceOpWithNewOp<TransposeOp>(
        op, type, op.getInput1(), createInit(rewriter, op.getLoc(), type),
        op.getPerms());
    return success();
  }
};

/// An int8 constant pad of NHWC data, seen through the reshapes the importer
/// puts around it (it drops the leading unit batch dimension): the NHWC
/// input and [top, bottom, left, right, front, back].
struct NHWCPad {
  tosa::PadOp pad;
  SmallVector<int64_t> pads;
  int64_t value;
};

std::optional<NHWCPad> matchPad(tosa::PadOp pad) {
  auto in = dyn_cast<RankedTensorType>(pad.getInput1().getType());
  auto pads = getConstInts(pad.getPadding());
  auto value = getConstScalar(pad.getPadConst());
  if (!in || !in.hasStaticShape() || !in.getElementType().isSignlessInteger(8) ||
      !pads || !value || (in.getRank() != 3 && in.getRank() != 4))
    return std::nullopt;
  int64_t lead = in.getRank() == 4 ? 2 : 0;
  if (lead && ((*pads)[0] || (*pads)[1] || in.getDimSize(0) != 1))
    return std::nullopt;
  NHWCPad r{pad, SmallVector<int64_t>(pads->begin() + lead, pads->end()), *value};
  return r;
}

/// Whether `slice` is the importer's trim of an NHWC tensor: it starts at the
/// origin and keeps the batch and the channels (only rows/columns go).
bool trimsRowsAndColumns(tosa::SliceOp slice) {
  auto start = getConstInts(slice.getStart());
  auto in = cast<RankedTensorType>(slice.getInput1().getType());
  auto out = cast<RankedTensorType>(slice.getOutput().getType());
  return start && llvm::all_of(*start, [](int64_t x) { return x == 0; }) &&
         in.getRank() == 4 && in.getDimSize(0) == out.getDimSize(0) &&
         in.getDimSize(3) == out.getDimSize(3);
}

/// The tosa.pad whose result `v` is, seen through a reshape and a slice that
/// starts at the origin (and keeps the batch and the channels).
tosa::PadOp padFeeding(Value v) {
  if (auto slice = v.getDefiningOp<tosa::SliceOp>()) {
    if (!trimsRowsAndColumns(slice))
      return nullptr;
    v = slice.getInput1();
  }
  if (auto reshape = v.getDefiningOp<tosa::ReshapeOp>())
    v = reshape.getInput1();
  return v.getDefiningOp<tosa::PadOp>();
}

/// `v` reshaped (a view) to `shape` by a tosa.reshape with a constant shape.
Value reshapeTo(PatternRewriter &rewriter, Location loc, Value v,
                ArrayRef<int64_t> shape) {
  auto rank = static_cast<int64_t>(shape.size());
  auto shapeType = tosa::shapeType::get(rewriter.getContext(), rank);
  auto attr = DenseIntElementsAttr::get(
      RankedTensorType::get({rank}, rewriter.getIndexType()), shape);
  Value shapeValue = tosa::ConstShapeOp::create(rewriter, loc, shapeType, attr);
  auto elem = cast<RankedTensorType>(v.getType()).getElementType();
  return tosa::ReshapeOp::create(rewriter, loc, RankedTensorType::get(shape, elem),
                                 v, shapeValue);
}

/// The pad's input as a rank-4 NHWC tensor.
Value nhwcInput(PatternRewriter &rewriter, tosa::PadOp pad) {
  Value in = pad.getInput1();
  auto type = cast<RankedTensorType>(in.getType());
  if (type.getRank() == 4)
    return in;
  if (auto reshape = in.getDefiningOp<tosa::ReshapeOp>())
    if (cast<RankedTensorType>(reshape.getInput1().getType()).getRank() == 4)
      return reshape.getInput1();
  SmallVector<int64_t> shape = {1};
  llvm::append_range(shape, type.getShape());
  return reshapeTo(rewriter, pad.getLoc(), in, shape);
}

/// PAD feeding a convolution: the padding becomes the convolution's (the
/// padded value must be the convolution's input zero point, which it reads
/// for out-of-bounds taps), so no padded copy is ever stored.
template <typename ConvOp>
struct FoldPadIntoConv : OpRewritePattern<ConvOp> {
  using OpRewritePattern<ConvOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(ConvOp conv,
                                PatternRewriter &rewriter) const override {
    if (!conv.hasPureTensorSemantics())
      return failure();
    auto padOp = padFeeding(conv.getInput());
    if (!padOp)
      return failure();
    auto pad = matchPad(padOp);
    if (!pad || pad->value != static_cast<int32_t>(conv.getInputZp()) || pad->pads[4] ||
        pad->pads[5])
      return rewriter.notifyMatchFailure(conv, "pad value is not the input zero "
                                               "point or channels are padded");
    // A slice between the pad and the convolution (the importer trims rows
    // and columns a VALID window never reads) shortens the bottom/right pad.
    auto inType = cast<RankedTensorType>(conv.getInput().getType());
    auto padType = cast<RankedTensorType>(padOp.getOutput().getType());
    int64_t padH = padType.getDimSize(padType.getRank() - 3);
    int64_t padW = padType.getDimSize(padType.getRank() - 2);
    SmallVector<int64_t> pads(pad->pads.begin(), pad->pads.begin() + 4);
    pads[1] -= padH - inType.getDimSize(1);
    pads[3] -= padW - inType.getDimSize(2);
    if (pads[1] < 0 || pads[3] < 0)
      return rewriter.notifyMatchFailure(conv, "the slice cuts into the data");
    rewriter.setInsertionPoint(conv);
    Value x = nhwcInput(rewriter, padOp);
    SmallVector<int64_t> newPad(conv.getPad());
    for (int i = 0; i < 4; ++i)
      newPad[i] += pads[i];
    rewriter.modifyOpInPlace(conv, [&] {
      conv.getInputMutable().assign(x);
      conv.setPad(newPad);
    });
    return success();
  }
};

std::pair<int64_t, int64_t> windowOf(Conv2DOp op) {
  auto w = cast<ShapedType>(op.getWeights().getType());
  return {w.getDimSize(1), w.getDimSize(2)};
}
std::pair<int64_t, int64_t> windowOf(DepthwiseConv2DOp op) {
  auto w = cast<ShapedType>(op.getWeights().getType());
  return {w.getDimSize(0), w.getDimSize(1)};
}
template <typename PoolOp>
std::pair<int64_t, int64_t> windowOf(PoolOp op) {
  return {op.getKernel()[0], op.getKernel()[1]};
}
template <typename OpTy>
int64_t dilationOf(OpTy op, int axis) {
  if constexpr (std::is_same_v<OpTy, Conv2DOp> || std::is_same_v<OpTy, DepthwiseConv2DOp>)
    return op.getDilation()[axis];
  return 1;
}

/// The importer trims the rows and columns a strided VALID window never reads
/// with a tosa.slice at the origin. A windowed kernel reads the untrimmed
/// tensor just as well (same output extent), so the slice goes: the tensor
/// then keeps its row structure for tinyts-split (no whole copy).
template <typename OpTy>
struct DropTrimmingSlice : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return failure();
    auto slice = op.getInput().template getDefiningOp<tosa::SliceOp>();
    if (!slice || !trimsRowsAndColumns(slice))
      return failure();
    auto in = cast<RankedTensorType>(slice.getInput1().getType());
    auto result = cast<RankedTensorType>(op->getResult(0).getType());
    // The untrimmed input must give the same output extent along H and W.
    auto [kh, kw] = windowOf(op);
    for (int axis = 0; axis < 2; ++axis) {
      int64_t k = axis ? kw : kh;
      int64_t dil = dilationOf(op, axis);
      int64_t span = in.getDimSize(1 + axis) + op.getPad()[2 * axis] +
                     op.getPad()[2 * axis + 1] - dil * (k - 1) - 1;
      if (span < 0 || span / op.getStride()[axis] + 1 != result.getDimSize(1 + axis))
        return failure();
    }
    rewriter.modifyOpInPlace(op, [&] { op.getInputMutable().assign(slice.getInput1()); });
    return success();
  }
};

/// Whether `user` is a convolution (TOSA or tinyts) reading `pad`'s value
/// as its input zero point, so that FoldPadIntoConv can absorb the pad.
bool padValueIsInputZp(Operation *user, const NHWCPad &pad) {
  if (pad.pads[4] || pad.pads[5])
    return false;
  std::optional<int64_t> zp;
  if (auto c = dyn_cast<tosa::Conv2DOp>(user))
    zp = getConstScalar(c.getInputZp());
  else if (auto d = dyn_cast<tosa::DepthwiseConv2DOp>(user))
    zp = getConstScalar(d.getInputZp());
  else if (auto c = dyn_cast<Conv2DOp>(user))
    zp = static_cast<int32_t>(c.getInputZp());
  else if (auto d = dyn_cast<DepthwiseConv2DOp>(user))
    zp = static_cast<int32_t>(d.getInputZp());
  return zp && *zp == pad.value;
}

/// A PAD left standing (not feeding a convolution) becomes the pad kernel.
struct RaisePad : OpRewritePattern<tosa::PadOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::PadOp padOp,
                                PatternRewriter &rewriter) const override {
    auto pad = matchPad(padOp);
    if (!pad)
      return rewriter.notifyMatchFailure(padOp, "not an int8 NHWC pad");
    // Let FoldPadIntoConv see convolution users first.
    SmallVector<Operation *> users(padOp->getUsers());
    while (!users.empty()) {
      Operation *u = users.pop_back_val();
      if (isa<tosa::ReshapeOp, tosa::SliceOp>(u))
        llvm::append_range(users, u->getUsers());
      else if (padValueIsInputZp(u, *pad))
        return failure();
    }
    Location loc = padOp.getLoc();
    Value x = nhwcInput(rewriter, padOp);
    auto xt = cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> pads = {0, 0};
    llvm::append_range(pads, pad->pads);
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < 4; ++d)
      shape.push_back(xt.getDimSize(d) + pads[2 * d] + pads[2 * d + 1]);
    auto type = RankedTensorType::get(shape, xt.getElementType());
    Value result = PadOp::create(rewriter, loc, type, x,
                                 createInit(rewriter, loc, type), pads,
                                 static_cast<int32_t>(pad->value))
                       .getResult();
    auto outType = cast<RankedTensorType>(padOp.getOutput().getType());
    if (outType.getRank() != 4)
      result = reshapeTo(rewriter, loc, result, outType.getShape());
    rewriter.replaceOp(padOp, result);
    return success();
  }
};

/// The importer marks the last op of a float QUANTIZE (`tinyts.quantize`,
/// on the int8 rescale) and of a DEQUANTIZE (`tinyts.dequantize`, on the
/// float multiply) with {scale, zero_point}; the chain's float (resp. int8)
/// input is found by walking back to the op that reads a value of that
/// element type from outside the chain.
std::optional<std::pair<float, int32_t>> quantParams(Operation *op, StringRef name) {
  auto params = op->getAttrOfType<DictionaryAttr>(name);
  if (!params)
    return std::nullopt;
  auto scale = params.getAs<FloatAttr>("scale");
  auto zp = params.getAs<IntegerAttr>("zero_point");
  if (!scale || !zp)
    return std::nullopt;
  return std::make_pair(static_cast<float>(scale.getValueAsDouble()),
                        static_cast<int32_t>(zp.getInt()));
}

struct RaiseQuantize : OpRewritePattern<tosa::RescaleOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::RescaleOp last,
                                PatternRewriter &rewriter) const override {
    auto params = quantParams(last, "tinyts.quantize");
    if (!params)
      return failure();
    // rescale <- cast <- add(floor(y), ...) ; floor <- mul(x, 1/scale)
    auto castOp = last.getInput().getDefiningOp<tosa::CastOp>();
    auto add = castOp ? castOp.getInput().getDefiningOp<tosa::AddOp>() : nullptr;
    auto floor = add ? add.getInput1().getDefiningOp<tosa::FloorOp>() : nullptr;
    auto mul = floor ? floor.getInput1().getDefiningOp<tosa::MulOp>() : nullptr;
    Type type = last.getOutput().getType();
    if (!mul || mul.getInput1().getType() !=
                    RankedTensorType::get(cast<RankedTensorType>(type).getShape(),
                                          rewriter.getF32Type()))
      return rewriter.notifyMatchFailure(last, "tinyts.quantize chain not found");
    Location loc = last.getLoc();
    rewriter.replaceOpWithNewOp<QuantizeOp>(
        last, type, mul.getInput1(), createInit(rewriter, loc, type),
        llvm::APFloat(params->first), params->second);
    return success();
  }
};

struct RaiseDequantize : OpRewritePattern<tosa::MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::MulOp last,
                                PatternRewriter &rewriter) const override {
    auto params = quantParams(last, "tinyts.dequantize");
    if (!params)
      return failure();
    // mul(sub(cast(x), zp), scale)
    auto sub = last.getInput1().getDefiningOp<tosa::SubOp>();
    auto castOp = sub ? sub.getInput1().getDefiningOp<tosa::CastOp>() : nullptr;
    Type type = last.getOutput().getType();
    if (!castOp || !hasElementWidth(castOp.getInput(), 8) ||
        cast<RankedTensorType>(castOp.getInput().getType()).getShape() !=
            cast<RankedTensorType>(type).getShape())
      return rewriter.notifyMatchFailure(last, "tinyts.dequantize chain not found");
    Location loc = last.getLoc();
    rewriter.replaceOpWithNewOp<DequantizeOp>(
        last, type, castOp.getInput(), createInit(rewriter, loc, type),
        llvm::APFloat(params->first), params->second);
    return success();
  }
};

/// Why a TOSA op that looks like an int8 kernel was left on the generic
/// path (for `report-unraised`).
template <typename TosaConv>
StringRef explainConv(TosaConv conv) {
  if (!matchConvOperands(conv))
    return "needs int8 input and weights, an i32 accumulator and constant zero "
           "points with weight zero point 0";
  if (!matchEpilogue(conv.getOutput(), std::is_same_v<TosaConv, tosa::Conv2DOp>))
    return "its i32 result is not requantized to int8 by a single-use "
           "double-rounding tosa.rescale with constant parameters";
  return "the reshapes around it do not form a fully connected layer "
         "([N, IN] -> 1x1 conv -> [N, OUT])";
}

StringRef explainAdd(tosa::AddOp add) {
  auto lhs = matchAddInput(add.getInput1());
  auto rhs = matchAddInput(add.getInput2());
  if (!lhs || !rhs)
    return "its inputs are not int8 values rescaled exactly as TFLite's ADD "
           "(x * 2^left_shift, then a double-rounding rescale)";
  if (lhs->leftShift != rhs->leftShift)
    return "its inputs use different left shifts";
  auto ep = matchEpilogue(add.getOutput(), /*allowReshape=*/false);
  if (!ep || ep->requant.multiplier.size() != 1)
    return "its i32 result is not requantized to int8 by a single-use "
           "double-rounding tosa.rescale with constant parameters";
  return "its operands do not broadcast to the result";
}

struct RaiseKernelsPass
    : tinyts::impl::TinyTSRaiseKernelsBase<RaiseKernelsPass> {
  using TinyTSRaiseKernelsBase::TinyTSRaiseKernelsBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    if (onlyBoundaries) {
      patterns.add<RaiseQuantize, RaiseDequantize>(&getContext());
      if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
        signalPassFailure();
      return;
    }
    patterns.add<RaiseConv2D, RaiseDepthwiseConv2D, RaiseAdd,
                 RaisePool<tosa::AvgPool2dOp, AvgPool2DOp>,
                 RaisePool<tosa::MaxPool2dOp, MaxPool2DOp>, RaiseConcat,
                 RaiseResizeNearest,
                 RaiseSoftmax, RaiseMul, RaiseMean, RaiseTranspose, RaisePad,
                 FoldPadIntoConv<Conv2DOp>, FoldPadIntoConv<DepthwiseConv2DOp>,
                 DropTrimmingSlice<Conv2DOp>, DropTrimmingSlice<DepthwiseConv2DOp>,
                 DropTrimmingSlice<AvgPool2DOp>, DropTrimmingSlice<MaxPool2DOp>,
                 RaiseQuantize, RaiseDequantize>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    if (!reportUnraised)
      return;
    getOperation()->walk([](Operation *op) {
      if (auto conv = dyn_cast<tosa::Conv2DOp>(op))
        conv.emitRemark() << "conv2d not raised: " << explainConv(conv);
      else if (auto dw = dyn_cast<tosa::DepthwiseConv2DOp>(op))
        dw.emitRemark() << "depthwise_conv2d not raised: " << explainConv(dw);
      else if (auto add = dyn_cast<tosa::AddOp>(op);
               add && hasElementWidth(add.getOutput(), 32))
        add.emitRemark() << "add not raised: " << explainAdd(add);
    });
  }
};

} // namespace
