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

std::optional<AddInput> matchAddInput(Value v) {
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
    if (lhs->value.getType() != resultType || rhs->value.getType() != resultType)
      return rewriter.notifyMatchFailure(add, "broadcasting add");
    rewriter.setInsertionPoint(ep->last);
    Location loc = ep->last->getLoc();
    auto op = AddOp::create(
        rewriter, loc, resultType, lhs->value, rhs->value,
        createInit(rewriter, loc, resultType), lhs->leftShift, lhs->zp,
        lhs->multiplier, lhs->shift, rhs->zp, rhs->multiplier, rhs->shift,
        ep->requant.outputZp, ep->requant.multiplier.front(),
        ep->requant.shift.front(), ep->clampMin, ep->clampMax);
    rewriter.replaceOp(ep->last, op.getResult());
    return success();
  }
};

/// tosa.avg_pool2d on int8 with zero points 0 (TFLite averages raw values)
/// (-> clamp).
struct RaiseAvgPool : OpRewritePattern<tosa::AvgPool2dOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::AvgPool2dOp pool,
                                PatternRewriter &rewriter) const override {
    auto izp = getConstScalar(pool.getInputZp());
    auto ozp = getConstScalar(pool.getOutputZp());
    if (!hasElementWidth(pool.getInput(), 8) ||
        !hasElementWidth(pool.getOutput(), 8) || !izp || !ozp || *izp != 0 ||
        *ozp != 0 || !pool.getAccType().isSignlessInteger(32))
      return rewriter.notifyMatchFailure(pool, "not TFLite's int8 average pool");
    Operation *last = pool;
    int32_t lo = -128, hi = 127;
    Value result = pool.getOutput();
    if (result.hasOneUse())
      if (auto clamp = dyn_cast<tosa::ClampOp>(*result.getUsers().begin())) {
        auto min = dyn_cast<IntegerAttr>(clamp.getMinVal());
        auto max = dyn_cast<IntegerAttr>(clamp.getMaxVal());
        if (min && max) {
          lo = std::max<int64_t>(min.getValue().getSExtValue(), -128);
          hi = std::min<int64_t>(max.getValue().getSExtValue(), 127);
          last = clamp;
        }
      }
    rewriter.setInsertionPoint(last);
    Location loc = last->getLoc();
    Type type = last->getResult(0).getType();
    auto op = AvgPool2DOp::create(rewriter, loc, type, pool.getInput(),
                                  createInit(rewriter, loc, type), pool.getKernel(),
                                  pool.getStride(), pool.getPad(), lo, hi);
    rewriter.replaceOp(last, op.getResult());
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
  return "it broadcasts one operand (only same-shape adds are raised)";
}

struct RaiseKernelsPass
    : tinyts::impl::TinyTSRaiseKernelsBase<RaiseKernelsPass> {
  using TinyTSRaiseKernelsBase::TinyTSRaiseKernelsBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseConv2D, RaiseDepthwiseConv2D, RaiseAdd, RaiseAvgPool,
                 RaiseSoftmax>(&getContext());
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
