//===- TinyTSOps.cpp - tinyts operation verifiers ---------------*- C++ -*-===//
//
// Part of TinyTS-MLIR. Verifiers for the tinyts kernel ops: every message
// names the offending operand or attribute and the value that would be valid.
//
//===----------------------------------------------------------------------===//

#include "tinyts/TinyTSOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tinyts;

namespace {

// Formats an int64 list as "[a, b, c]" for diagnostics.
std::string formatList(ArrayRef<int64_t> values) {
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(values, os);
  os << "]";
  return s;
}

ShapedType shapedOf(Value v) { return cast<ShapedType>(v.getType()); }

LogicalResult checkRank(Operation *op, Value v, int64_t rank, StringRef name,
                        StringRef layout) {
  auto type = shapedOf(v);
  if (type.getRank() != rank)
    return op->emitOpError() << "expects " << name << " of rank " << rank
                             << " (" << layout << ") but got " << type;
  if (!type.hasStaticShape())
    return op->emitOpError() << "expects " << name
                             << " with a static shape but got " << type;
  return success();
}

LogicalResult checkArray(Operation *op, StringRef name, ArrayRef<int64_t> v,
                         size_t size, int64_t minValue, StringRef meaning) {
  if (v.size() != size)
    return op->emitOpError() << "expects '" << name << "' to have " << size
                             << " values (" << meaning << ") but got "
                             << v.size();
  for (int64_t x : v)
    if (x < minValue)
      return op->emitOpError() << "expects every '" << name << "' value to be >= "
                               << minValue << " but got " << formatList(v);
  return success();
}

LogicalResult checkInt8Value(Operation *op, StringRef name, int32_t value) {
  if (value < -128 || value > 127)
    return op->emitOpError() << "expects '" << name
                             << "' in the int8 range [-128, 127] but got "
                             << value;
  return success();
}

LogicalResult checkClamp(Operation *op, int32_t lo, int32_t hi) {
  if (failed(checkInt8Value(op, "clamp_min", lo)) ||
      failed(checkInt8Value(op, "clamp_max", hi)))
    return failure();
  if (lo > hi)
    return op->emitOpError() << "expects clamp_min <= clamp_max but got ("
                             << lo << ", " << hi << ")";
  return success();
}

LogicalResult checkShift(Operation *op, StringRef name, int32_t shift) {
  if (shift < -31 || shift > 31)
    return op->emitOpError() << "expects '" << name
                             << "' in [-31, 31] but got " << shift;
  return success();
}

LogicalResult checkMultiplier(Operation *op, StringRef name, int32_t m) {
  if (m < 0)
    return op->emitOpError() << "expects '" << name
                             << "' to be a non-negative Q31 multiplier but got "
                             << m;
  return success();
}

// Per-channel (or per-tensor) requantization parameters.
LogicalResult checkRequant(Operation *op, ArrayRef<int32_t> multiplier,
                           ArrayRef<int32_t> shift, int64_t channels) {
  if (multiplier.size() != shift.size())
    return op->emitOpError() << "expects 'multiplier' and 'shift' of the same "
                                "length but got "
                             << multiplier.size() << " and " << shift.size();
  if (multiplier.size() != 1 && (int64_t)multiplier.size() != channels)
    return op->emitOpError()
           << "expects 1 (per-tensor) or " << channels
           << " (one per output channel) requantization values but got "
           << multiplier.size();
  for (auto [m, s] : llvm::zip(multiplier, shift))
    if (failed(checkMultiplier(op, "multiplier", m)) ||
        failed(checkShift(op, "shift", s)))
      return failure();
  return success();
}

LogicalResult checkZeroPoints(Operation *op, int32_t in, int32_t out) {
  if (failed(checkInt8Value(op, "input_zp", in)) ||
      failed(checkInt8Value(op, "output_zp", out)))
    return failure();
  return success();
}

// Output extent of a windowed op along one axis (TFLite/TOSA floor rule).
int64_t windowedExtent(int64_t in, int64_t k, int64_t stride, int64_t dilation,
                       int64_t padLo, int64_t padHi) {
  int64_t effective = dilation * (k - 1) + 1;
  int64_t span = in + padLo + padHi - effective;
  if (span < 0)
    return 0;
  return span / stride + 1;
}

LogicalResult checkSpatial(Operation *op, ShapedType in, ShapedType out, int64_t kh, int64_t kw,
                           ArrayRef<int64_t> stride, ArrayRef<int64_t> dilation,
                           ArrayRef<int64_t> pad) {
  if (in.getDimSize(0) != out.getDimSize(0))
    return op->emitOpError() << "expects the same batch in input and result but got "
                             << in.getDimSize(0) << " and " << out.getDimSize(0);
  static const char *axisNames[2] = {"height", "width"};
  int64_t k[2] = {kh, kw};
  for (int axis = 0; axis < 2; ++axis) {
    int64_t expect =
        windowedExtent(in.getDimSize(1 + axis), k[axis], stride[axis],
                       dilation[axis], pad[2 * axis], pad[2 * axis + 1]);
    if (expect < 1)
      return op->emitOpError()
             << "has an empty output " << axisNames[axis] << ": the window ("
             << k[axis] << " with dilation " << dilation[axis]
             << ") is larger than the padded input " << axisNames[axis] << " ("
             << in.getDimSize(1 + axis) << " + pad "
             << formatList(pad.slice(2 * axis, 2)) << ")";
    if (out.getDimSize(1 + axis) != expect)
      return op->emitOpError()
             << "result " << axisNames[axis] << " is " << out.getDimSize(1 + axis)
             << " but input " << axisNames[axis] << " "
             << in.getDimSize(1 + axis) << ", window " << k[axis]
             << ", stride " << stride[axis] << ", dilation " << dilation[axis]
             << " and pad " << formatList(pad.slice(2 * axis, 2)) << " give "
             << expect;
  }
  return success();
}

// Checks shared by conv2d and depthwise_conv2d once the kernel extent and the
// number of output channels are known.
template <typename ConvOp>
LogicalResult verifyConvCommon(ConvOp op, int64_t kh, int64_t kw,
                               int64_t outChannels) {
  Operation *o = op.getOperation();
  auto in = shapedOf(op.getInput());
  auto out = shapedOf(op.getInit());
  if (failed(checkArray(o, "stride", op.getStride(), 2, 1, "[y, x]")) ||
      failed(checkArray(o, "dilation", op.getDilation(), 2, 1, "[y, x]")) ||
      failed(checkArray(o, "pad", op.getPad(), 4, 0,
                        "[top, bottom, left, right]")))
    return failure();
  if (failed(checkSpatial(o, in, out, kh, kw, op.getStride(), op.getDilation(),
                          op.getPad())))
    return failure();
  if (out.getDimSize(3) != outChannels)
    return op.emitOpError() << "result has " << out.getDimSize(3)
                            << " channels but the weights produce "
                            << outChannels;
  auto bias = shapedOf(op.getBias());
  if (bias.getRank() != 1 || bias.getDimSize(0) != outChannels)
    return op.emitOpError() << "expects bias of shape [" << outChannels
                            << "] (one per output channel) but got " << bias;
  if (failed(checkZeroPoints(o, op.getInputZp(), op.getOutputZp())) ||
      failed(checkClamp(o, op.getClampMin(), op.getClampMax())))
    return failure();
  return checkRequant(o, op.getMultiplier(), op.getShift(), outChannels);
}

/// Destination style in one of two forms: all tensors with one result of the
/// `outs` type, or all memrefs and no result.
LogicalResult verifyDestination(Operation *op, Value init) {
  bool tensorForm = isa<RankedTensorType>(init.getType());
  for (Value v : op->getOperands())
    if (isa<RankedTensorType>(v.getType()) != tensorForm)
      return op->emitOpError()
             << "expects all operands to be tensors or all to be memrefs, but "
             << (tensorForm ? "`outs` is a tensor and an operand is " : "`outs` is a memref and an operand is ")
             << v.getType();
  if (tensorForm) {
    if (op->getNumResults() != 1 || op->getResult(0).getType() != init.getType())
      return op->emitOpError() << "expects one result of the `outs` type "
                               << init.getType() << " in tensor form";
  } else if (op->getNumResults() != 0) {
    return op->emitOpError() << "expects no result when `outs` is a memref";
  }
  return success();
}

/// Memory effects: none on tensors; reads of every input buffer and a write
/// of the `outs` buffer on memrefs.
/// Elementwise binary operands: static, the result's rank, and each
/// dimension either the result's or 1 (broadcast).
LogicalResult checkBroadcastOperands(Operation *op, Value lhs, Value rhs,
                                     Value init) {
  auto out = shapedOf(init);
  if (!out.hasStaticShape())
    return op->emitOpError() << "expects a static shape but got " << out;
  for (auto [v, name] : {std::pair<Value, StringRef>{lhs, "lhs"},
                         std::pair<Value, StringRef>{rhs, "rhs"}}) {
    auto t = shapedOf(v);
    bool ok = t.hasStaticShape() && t.getRank() == out.getRank();
    for (int64_t d = 0; ok && d < t.getRank(); ++d)
      ok = t.getDimSize(d) == out.getDimSize(d) || t.getDimSize(d) == 1;
    if (!ok)
      return op->emitOpError()
             << "expects " << name << " of the result shape "
             << formatList(out.getShape())
             << " or broadcastable to it (same rank, unit dimensions) but got "
             << v.getType();
  }
  return success();
}

void kernelEffects(
    Operation *op, Value init,
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>> &effects) {
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    if (operand.get() == init)
      effects.emplace_back(MemoryEffects::Write::get(), &operand,
                           SideEffects::DefaultResource::get());
    else
      effects.emplace_back(MemoryEffects::Read::get(), &operand,
                           SideEffects::DefaultResource::get());
  }
}

} // namespace

#include "tinyts/TinyTSInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "tinyts/TinyTSOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Conv2DOp
//===----------------------------------------------------------------------===//

LogicalResult Conv2DOp::verify() {
  Operation *o = getOperation();
  if (failed(verifyDestination(o, getInit())) ||
      failed(checkRank(o, getInput(), 4, "input", "NHWC")) ||
      failed(checkRank(o, getWeights(), 4, "weights", "OHWI")) ||
      failed(checkRank(o, getInit(), 4, "result", "NHWC")))
    return failure();
  auto in = shapedOf(getInput());
  auto w = shapedOf(getWeights());
  if (w.getDimSize(3) != in.getDimSize(3))
    return emitOpError() << "weights have " << w.getDimSize(3)
                         << " input channels (OHWI dim 3) but the input has "
                         << in.getDimSize(3);
  return verifyConvCommon(*this, w.getDimSize(1), w.getDimSize(2),
                          w.getDimSize(0));
}

//===----------------------------------------------------------------------===//
// DepthwiseConv2DOp
//===----------------------------------------------------------------------===//

LogicalResult DepthwiseConv2DOp::verify() {
  Operation *o = getOperation();
  if (failed(verifyDestination(o, getInit())) ||
      failed(checkRank(o, getInput(), 4, "input", "NHWC")) ||
      failed(checkRank(o, getWeights(), 4, "weights", "HWCM")) ||
      failed(checkRank(o, getInit(), 4, "result", "NHWC")))
    return failure();
  auto in = shapedOf(getInput());
  auto w = shapedOf(getWeights());
  if (w.getDimSize(2) != in.getDimSize(3))
    return emitOpError() << "weights have " << w.getDimSize(2)
                         << " channels (HWCM dim 2) but the input has "
                         << in.getDimSize(3);
  return verifyConvCommon(*this, w.getDimSize(0), w.getDimSize(1),
                          w.getDimSize(2) * w.getDimSize(3));
}

//===----------------------------------------------------------------------===//
// FullyConnectedOp
//===----------------------------------------------------------------------===//

LogicalResult FullyConnectedOp::verify() {
  Operation *o = getOperation();
  if (failed(verifyDestination(o, getInit())) ||
      failed(checkRank(o, getInput(), 2, "input", "[batch, in]")) ||
      failed(checkRank(o, getWeights(), 2, "weights", "[out, in]")) ||
      failed(checkRank(o, getInit(), 2, "result", "[batch, out]")))
    return failure();
  auto in = shapedOf(getInput());
  auto w = shapedOf(getWeights());
  auto out = shapedOf(getInit());
  if (w.getDimSize(1) != in.getDimSize(1))
    return emitOpError() << "weights take " << w.getDimSize(1)
                         << " inputs but the input has " << in.getDimSize(1)
                         << " features";
  if (out.getDimSize(0) != in.getDimSize(0))
    return emitOpError() << "expects the same batch in input and result but got "
                         << in.getDimSize(0) << " and " << out.getDimSize(0);
  if (out.getDimSize(1) != w.getDimSize(0))
    return emitOpError() << "result has " << out.getDimSize(1)
                         << " features but the weights produce "
                         << w.getDimSize(0);
  auto bias = shapedOf(getBias());
  if (bias.getRank() != 1 || bias.getDimSize(0) != w.getDimSize(0))
    return emitOpError() << "expects bias of shape [" << w.getDimSize(0)
                         << "] (one per output feature) but got " << bias;
  if (failed(checkZeroPoints(o, getInputZp(), getOutputZp())) ||
      failed(checkClamp(o, getClampMin(), getClampMax())))
    return failure();
  return checkRequant(o, getMultiplier(), getShift(), w.getDimSize(0));
}

//===----------------------------------------------------------------------===//
// AddOp
//===----------------------------------------------------------------------===//

LogicalResult AddOp::verify() {
  Operation *o = getOperation();
  if (failed(verifyDestination(o, getInit())))
    return failure();
  if (failed(checkBroadcastOperands(o, getLhs(), getRhs(), getInit())))
    return failure();
  if (getLeftShift() < 0 || getLeftShift() > 30)
    return emitOpError() << "expects 'left_shift' in [0, 30] (TFLite uses 20 "
                            "for int8) but got "
                         << getLeftShift();
  if (failed(checkInt8Value(o, "lhs_zp", getLhsZp())) ||
      failed(checkInt8Value(o, "rhs_zp", getRhsZp())) ||
      failed(checkInt8Value(o, "output_zp", getOutputZp())) ||
      failed(checkMultiplier(o, "lhs_multiplier", getLhsMultiplier())) ||
      failed(checkMultiplier(o, "rhs_multiplier", getRhsMultiplier())) ||
      failed(checkMultiplier(o, "output_multiplier", getOutputMultiplier())) ||
      failed(checkShift(o, "lhs_shift", getLhsShift())) ||
      failed(checkShift(o, "rhs_shift", getRhsShift())) ||
      failed(checkShift(o, "output_shift", getOutputShift())))
    return failure();
  return checkClamp(o, getClampMin(), getClampMax());
}

//===----------------------------------------------------------------------===//
// AvgPool2DOp
//===----------------------------------------------------------------------===//

template <typename PoolOp>
LogicalResult verifyPool(PoolOp op) {
  Operation *o = op.getOperation();
  if (failed(verifyDestination(o, op.getInit())) ||
      failed(checkRank(o, op.getInput(), 4, "input", "NHWC")) ||
      failed(checkRank(o, op.getInit(), 4, "result", "NHWC")))
    return failure();
  if (failed(checkArray(o, "kernel", op.getKernel(), 2, 1, "[y, x]")) ||
      failed(checkArray(o, "stride", op.getStride(), 2, 1, "[y, x]")) ||
      failed(checkArray(o, "pad", op.getPad(), 4, 0, "[top, bottom, left, right]")))
    return failure();
  auto in = shapedOf(op.getInput());
  auto out = shapedOf(op.getInit());
  SmallVector<int64_t> dilation = {1, 1};
  if (failed(checkSpatial(o, in, out, op.getKernel()[0], op.getKernel()[1],
                          op.getStride(), dilation, op.getPad())))
    return failure();
  if (in.getDimSize(3) != out.getDimSize(3))
    return op.emitOpError() << "expects as many result channels as input channels ("
                            << in.getDimSize(3) << ") but got " << out.getDimSize(3);
  return checkClamp(o, op.getClampMin(), op.getClampMax());
}

LogicalResult AvgPool2DOp::verify() { return verifyPool(*this); }
LogicalResult MaxPool2DOp::verify() { return verifyPool(*this); }

//===----------------------------------------------------------------------===//
// RowSumOp / AvgPoolFinishOp
//===----------------------------------------------------------------------===//

LogicalResult RowSumOp::verify() {
  Operation *o = getOperation();
  if (failed(verifyDestination(o, getInit())) ||
      failed(checkRank(o, getInput(), 4, "input", "NHWC")) ||
      failed(checkRank(o, getInit(), 1, "sums", "[C]")))
    return failure();
  int64_t c = shapedOf(getInput()).getDimSize(3);
  if (shapedOf(getInit()).getDimSize(0) != c)
    return emitOpError() << "expects one sum per input channel (" << c
                         << ") but the sums have "
                         << shapedOf(getInit()).getDimSize(0);
  return success();
}

LogicalResult AvgPoolFinishOp::verify() {
  Operation *o = getOperation();
  if (failed(verifyDestination(o, getInit())) ||
      failed(checkRank(o, getSums(), 1, "sums", "[C]")) ||
      failed(checkRank(o, getInit(), 4, "result", "NHWC")))
    return failure();
  auto out = shapedOf(getInit());
  int64_t c = shapedOf(getSums()).getDimSize(0);
  if (out.getDimSize(0) != 1 || out.getDimSize(1) != 1 || out.getDimSize(2) != 1 ||
      out.getDimSize(3) != c)
    return emitOpError() << "expects a 1x1x1x" << c
                         << " result (one average per sum) but got " << out;
  if (getCount() < 1)
    return emitOpError() << "expects 'count' >= 1 (elements averaged per "
                            "channel) but got "
                         << getCount();
  return checkClamp(o, getClampMin(), getClampMax());
}

//===----------------------------------------------------------------------===//
// ConcatOp / ResizeNearestOp
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::verify() {
  if (failed(verifyDestination(getOperation(), getInit())))
    return failure();
  auto out = shapedOf(getInit());
  int64_t axis = getAxis();
  if (getInputs().empty())
    return emitOpError() << "expects at least one input";
  if (!out.hasStaticShape() || axis < 0 || axis >= out.getRank())
    return emitOpError() << "expects a static result and 'axis' in [0, "
                         << out.getRank() << ") but got " << axis;
  int64_t total = 0;
  for (auto [i, v] : llvm::enumerate(getInputs())) {
    auto t = shapedOf(v);
    if (!t.hasStaticShape() || t.getRank() != out.getRank())
      return emitOpError() << "expects input " << i << " static of rank "
                           << out.getRank() << " but got " << t;
    for (int64_t d = 0; d < out.getRank(); ++d)
      if (d != axis && t.getDimSize(d) != out.getDimSize(d))
        return emitOpError() << "expects input " << i << " to match the result in "
                             << "dimension " << d << " (" << out.getDimSize(d)
                             << ") but got " << t.getDimSize(d);
    total += t.getDimSize(axis);
  }
  if (total != out.getDimSize(axis))
    return emitOpError() << "expects the inputs' extents along axis " << axis
                         << " to sum to " << out.getDimSize(axis) << " but they sum to "
                         << total;
  return success();
}

LogicalResult ResizeNearestOp::verify() {
  Operation *o = getOperation();
  if (failed(verifyDestination(o, getInit())) ||
      failed(checkRank(o, getInput(), 4, "input", "NHWC")) ||
      failed(checkRank(o, getInit(), 4, "result", "NHWC")))
    return failure();
  auto in = shapedOf(getInput());
  auto out = shapedOf(getInit());
  if (in.getDimSize(0) != out.getDimSize(0) || in.getDimSize(3) != out.getDimSize(3))
    return emitOpError() << "expects the input's batch and channels in the result but got "
                         << in << " and " << out;
  return success();
}

//===----------------------------------------------------------------------===//
// SoftmaxOp
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  if (failed(verifyDestination(getOperation(), getInit())))
    return failure();
  auto in = shapedOf(getInput());
  auto out = shapedOf(getInit());
  if (in.getRank() < 1 || !in.hasStaticShape())
    return emitOpError() << "expects a static input of rank >= 1 but got " << in;
  if (in.getShape() != out.getShape())
    return emitOpError() << "expects the result shape "
                         << formatList(in.getShape()) << " of the input but got "
                         << formatList(out.getShape());
  int32_t shift = getInputLeftShift(), diffMin = getDiffMin(),
          mult = getInputMultiplier();
  if (shift < 0 || shift > 31)
    return emitOpError() << "expects 'input_left_shift' in [0, 31] but got " << shift;
  if (diffMin > 0)
    return emitOpError() << "expects 'diff_min' <= 0 (minus the input radius) but got "
                         << diffMin;
  return checkMultiplier(getOperation(), "input_multiplier", mult);
}

//===----------------------------------------------------------------------===//
// MulOp
//===----------------------------------------------------------------------===//

LogicalResult MulOp::verify() {
  Operation *o = getOperation();
  if (failed(verifyDestination(o, getInit())) ||
      failed(checkBroadcastOperands(o, getLhs(), getRhs(), getInit())) ||
      failed(checkInt8Value(o, "lhs_zp", getLhsZp())) ||
      failed(checkInt8Value(o, "rhs_zp", getRhsZp())) ||
      failed(checkInt8Value(o, "output_zp", getOutputZp())) ||
      failed(checkMultiplier(o, "multiplier", getMultiplier())) ||
      failed(checkShift(o, "shift", getShift())))
    return failure();
  return checkClamp(o, getClampMin(), getClampMax());
}

//===----------------------------------------------------------------------===//
// MeanOp
//===----------------------------------------------------------------------===//

LogicalResult MeanOp::verify() {
  Operation *o = getOperation();
  if (failed(verifyDestination(o, getInit())))
    return failure();
  auto in = shapedOf(getInput());
  auto out = shapedOf(getInit());
  if (!in.hasStaticShape() || in.getRank() != out.getRank())
    return emitOpError() << "expects a static input and a result of the same "
                            "rank (reduced axes kept with extent 1) but got "
                         << in << " and " << out;
  ArrayRef<int64_t> axes = getAxes();
  if (axes.empty())
    return emitOpError() << "expects at least one axis to reduce";
  for (auto [i, axis] : llvm::enumerate(axes))
    if (axis < 0 || axis >= in.getRank() || (i > 0 && axis <= axes[i - 1]))
      return emitOpError() << "expects 'axes' strictly increasing within [0, "
                           << in.getRank() << ") but got " << formatList(axes);
  for (int64_t d = 0; d < in.getRank(); ++d) {
    int64_t expect = llvm::is_contained(axes, d) ? 1 : in.getDimSize(d);
    if (out.getDimSize(d) != expect)
      return emitOpError() << "expects result dimension " << d << " to be "
                           << expect << " but got " << out.getDimSize(d);
  }
  if (failed(checkZeroPoints(o, getInputZp(), getOutputZp())) ||
      failed(checkMultiplier(o, "multiplier", getMultiplier())))
    return failure();
  // The 1/n factor folded into the shift can take it below -31.
  int32_t shift = getShift();
  if (shift < -62 || shift > 31)
    return emitOpError() << "expects 'shift' in [-62, 31] but got " << shift;
  return success();
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::verify() {
  if (failed(verifyDestination(getOperation(), getInit())))
    return failure();
  auto in = shapedOf(getInput());
  auto out = shapedOf(getInit());
  ArrayRef<int32_t> perms = getPerms();
  if (!in.hasStaticShape() || in.getRank() > 4 || in.getRank() != out.getRank() ||
      (int64_t)perms.size() != in.getRank())
    return emitOpError() << "expects static input and result of the same rank "
                            "<= 4 and one permutation entry per dimension but got "
                         << in << ", " << out << " and " << perms.size() << " entries";
  SmallVector<bool> seen(perms.size(), false);
  for (auto [d, p] : llvm::enumerate(perms)) {
    if (p < 0 || p >= (int32_t)perms.size() || seen[p])
      return emitOpError() << "expects 'perms' to be a permutation of [0, "
                           << perms.size() << ")";
    seen[p] = true;
    if (out.getDimSize(d) != in.getDimSize(p))
      return emitOpError() << "expects result dimension " << d
                           << " to be input dimension " << p << " ("
                           << in.getDimSize(p) << ") but got " << out.getDimSize(d);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// PadOp
//===----------------------------------------------------------------------===//

LogicalResult PadOp::verify() {
  Operation *o = getOperation();
  if (failed(verifyDestination(o, getInit())) ||
      failed(checkRank(o, getInput(), 4, "input", "NHWC")) ||
      failed(checkRank(o, getInit(), 4, "result", "NHWC")) ||
      failed(checkArray(o, "pad", getPad(), 8, 0,
                        "[before, after] for each of N, H, W, C")) ||
      failed(checkInt8Value(o, "value", getValue())))
    return failure();
  if (getPad()[0] != 0 || getPad()[1] != 0)
    return emitOpError() << "cannot pad the batch dimension: expects pad[0] "
                            "and pad[1] to be 0";
  auto in = shapedOf(getInput());
  auto out = shapedOf(getInit());
  for (int64_t d = 0; d < 4; ++d) {
    int64_t expect = in.getDimSize(d) + getPad()[2 * d] + getPad()[2 * d + 1];
    if (out.getDimSize(d) != expect)
      return emitOpError() << "expects result dimension " << d << " to be "
                           << expect << " (input plus padding) but got "
                           << out.getDimSize(d);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp / DequantizeOp
//===----------------------------------------------------------------------===//

template <typename QOp>
LogicalResult verifyQuantization(QOp op) {
  Operation *o = op.getOperation();
  if (failed(verifyDestination(o, op.getInit())))
    return failure();
  auto in = shapedOf(op.getInput());
  auto out = shapedOf(op.getInit());
  if (!in.hasStaticShape() || in.getShape() != out.getShape())
    return op.emitOpError() << "expects static input and result of the same "
                               "shape but got "
                            << in << " and " << out;
  float scale = op.getScale().convertToFloat();
  if (!(scale > 0.0f) || std::isinf(scale))
    return op.emitOpError() << "expects a positive finite 'scale' but got "
                            << scale;
  return checkInt8Value(o, "zero_point", op.getZeroPoint());
}

LogicalResult QuantizeOp::verify() { return verifyQuantization(*this); }
LogicalResult DequantizeOp::verify() { return verifyQuantization(*this); }

//===----------------------------------------------------------------------===//
// Memory effects (memref form)
//===----------------------------------------------------------------------===//

#define TINYTS_KERNEL_EFFECTS(OP)                                              \
  void OP::getEffects(                                                         \
      SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>      \
          &effects) {                                                          \
    kernelEffects(getOperation(), getInit(), effects);                         \
  }
TINYTS_KERNEL_EFFECTS(Conv2DOp)
TINYTS_KERNEL_EFFECTS(DepthwiseConv2DOp)
TINYTS_KERNEL_EFFECTS(FullyConnectedOp)
TINYTS_KERNEL_EFFECTS(AddOp)
TINYTS_KERNEL_EFFECTS(AvgPool2DOp)
TINYTS_KERNEL_EFFECTS(SoftmaxOp)
TINYTS_KERNEL_EFFECTS(MulOp)
TINYTS_KERNEL_EFFECTS(MeanOp)
TINYTS_KERNEL_EFFECTS(TransposeOp)
TINYTS_KERNEL_EFFECTS(PadOp)
TINYTS_KERNEL_EFFECTS(QuantizeOp)
TINYTS_KERNEL_EFFECTS(DequantizeOp)
TINYTS_KERNEL_EFFECTS(MaxPool2DOp)
TINYTS_KERNEL_EFFECTS(ConcatOp)
TINYTS_KERNEL_EFFECTS(ResizeNearestOp)
TINYTS_KERNEL_EFFECTS(AvgPoolFinishOp)
#undef TINYTS_KERNEL_EFFECTS

void RowSumOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>> &effects) {
  kernelEffects(getOperation(), getInit(), effects);
  // Accumulating reads the sums it adds to.
  if (getAccumulate() && isa<MemRefType>(getInit().getType()))
    effects.emplace_back(MemoryEffects::Read::get(), &getInitMutable(),
                         SideEffects::DefaultResource::get());
}

//===----------------------------------------------------------------------===//
// Row mapping (RowMapOpInterface)
//===----------------------------------------------------------------------===//

namespace {

/// Rows [lo, hi) of a windowed op's input read by output rows [begin, end):
/// window `k` with `dilation` and `stride`, input row 0 at `padTop`.
std::pair<int64_t, int64_t> windowRows(int64_t begin, int64_t end, int64_t k,
                                       int64_t stride, int64_t dilation,
                                       int64_t padTop) {
  return {begin * stride - padTop,
          (end - 1) * stride - padTop + dilation * (k - 1) + 1};
}

/// Clone of `op` with its row operands replaced by `rowInputs` and its
/// destination by `init` (the result takes `init`'s type).
Operation *cloneForBand(Operation *op, OpBuilder &b, ArrayRef<unsigned> rowOps,
                        ValueRange rowInputs, Value init) {
  IRMapping mapping;
  Operation *band = b.clone(*op, mapping);
  for (auto [idx, input] : llvm::zip(rowOps, rowInputs))
    band->setOperand(idx, input);
  cast<DestinationStyleOpInterface>(band).getDpsInitOperand(0)->set(init);
  if (band->getNumResults() == 1)
    band->getResult(0).setType(init.getType());
  return band;
}

/// Band of a windowed op (conv, depthwise, pools): the window given is the
/// unclipped one clipped to the input, so the padding shrinks to what is left
/// of it at the tensor's top and bottom edges.
template <typename OpTy>
Operation *windowedBand(OpTy op, OpBuilder &b, ValueRange rowInputs, Value init,
                        int64_t begin, int64_t end) {
  auto [lo, hi] = cast<RowMapOpInterface>(op.getOperation()).getInputRows(0, begin, end);
  int64_t rows = cast<ShapedType>(op->getOperand(0).getType()).getDimSize(1);
  SmallVector<int64_t> pad(op.getPad());
  pad[0] = std::max<int64_t>(0, -lo);
  pad[1] = std::max<int64_t>(0, hi - rows);
  auto band = cast<OpTy>(cloneForBand(op, b, {0}, rowInputs, init));
  band.setPad(pad);
  return band;
}

/// Row operands of an element-wise op: those not broadcast along the rows.
SmallVector<unsigned> elementwiseRowOperands(Operation *op) {
  int64_t rows = cast<ShapedType>(op->getResult(0).getType()).getDimSize(1);
  SmallVector<unsigned> result;
  auto dps = cast<DestinationStyleOpInterface>(op);
  for (OpOperand &operand : op->getOpOperands())
    if (!dps.isDpsInit(&operand) &&
        cast<ShapedType>(operand.get().getType()).getDimSize(1) == rows)
      result.push_back(operand.getOperandNumber());
  return result;
}

} // namespace

#define TINYTS_WINDOWED_ROWMAP(OP, KDIM, DILATION)                            \
  SmallVector<unsigned> OP::getRowOperands() { return {0}; }                  \
  std::pair<int64_t, int64_t> OP::getInputRows(unsigned, int64_t begin,       \
                                               int64_t end) {                 \
    return windowRows(begin, end, KDIM, getStride()[0], DILATION,             \
                      getPad()[0]);                                           \
  }                                                                           \
  bool OP::acceptsRowTable() { return true; }                                 \
  Operation *OP::createBand(OpBuilder &b, ValueRange rowInputs, Value init,   \
                            int64_t begin, int64_t end) {                     \
    return windowedBand(*this, b, rowInputs, init, begin, end);               \
  }
TINYTS_WINDOWED_ROWMAP(Conv2DOp, shapedOf(getWeights()).getDimSize(1),
                       getDilation()[0])
TINYTS_WINDOWED_ROWMAP(DepthwiseConv2DOp, shapedOf(getWeights()).getDimSize(0),
                       getDilation()[0])
TINYTS_WINDOWED_ROWMAP(AvgPool2DOp, getKernel()[0], 1)
TINYTS_WINDOWED_ROWMAP(MaxPool2DOp, getKernel()[0], 1)
#undef TINYTS_WINDOWED_ROWMAP

#define TINYTS_ELEMENTWISE_ROWMAP(OP)                                         \
  SmallVector<unsigned> OP::getRowOperands() {                                \
    return elementwiseRowOperands(getOperation());                            \
  }                                                                           \
  std::pair<int64_t, int64_t> OP::getInputRows(unsigned, int64_t begin,       \
                                               int64_t end) {                 \
    return {begin, end};                                                      \
  }                                                                           \
  bool OP::acceptsRowTable() { return false; }                                \
  Operation *OP::createBand(OpBuilder &b, ValueRange rowInputs, Value init,   \
                            int64_t, int64_t) {                               \
    return cloneForBand(getOperation(), b, getRowOperands(), rowInputs, init);\
  }
TINYTS_ELEMENTWISE_ROWMAP(AddOp)
TINYTS_ELEMENTWISE_ROWMAP(MulOp)
TINYTS_ELEMENTWISE_ROWMAP(QuantizeOp)
#undef TINYTS_ELEMENTWISE_ROWMAP

//===----------------------------------------------------------------------===//
// Band ops
//===----------------------------------------------------------------------===//

namespace {

/// Checks that `band` has the shape of `whole` except for its rows
/// (dimension 1) and the same element type.
LogicalResult checkBandShape(Operation *op, ShapedType whole, ShapedType band,
                             StringRef what) {
  if (whole.getElementType() != band.getElementType() ||
      whole.getRank() != band.getRank() || whole.getRank() < 2 ||
      !whole.hasStaticShape() || !band.hasStaticShape())
    return op->emitOpError() << "expects " << what << " " << band
                             << " to be a static band of " << whole
                             << " (same rank >= 2 and element type)";
  for (int64_t d = 0; d < whole.getRank(); ++d)
    if (d != 1 && whole.getDimSize(d) != band.getDimSize(d))
      return op->emitOpError()
             << "expects " << what << " " << band << " to differ from "
             << whole << " only in dimension 1 (rows), but dimension " << d
             << " is " << band.getDimSize(d) << " instead of "
             << whole.getDimSize(d);
  return success();
}

/// Bands must tile `whole`'s rows exactly.
LogicalResult checkTiling(Operation *op, ShapedType whole, TypeRange bands) {
  int64_t total = 0;
  for (auto [i, t] : llvm::enumerate(bands)) {
    auto band = cast<ShapedType>(t);
    if (failed(checkBandShape(op, whole, band, "band #" + std::to_string(i))))
      return failure();
    if (band.getDimSize(1) < 1)
      return op->emitOpError() << "expects band #" << i << " to have at least one row";
    total += band.getDimSize(1);
  }
  if (total != whole.getDimSize(1))
    return op->emitOpError() << "expects the bands to tile the " << whole.getDimSize(1)
                             << " rows exactly, but their heights add up to " << total;
  return success();
}

} // namespace

LogicalResult SplitOp::verify() {
  auto whole = cast<ShapedType>(getInput().getType());
  if (getHeights().size() != getBands().size())
    return emitOpError() << "has " << getHeights().size() << " heights but "
                         << getBands().size() << " results";
  for (auto [i, h] : llvm::enumerate(getHeights()))
    if (cast<ShapedType>(getBands()[i].getType()).getDimSize(1) != h)
      return emitOpError() << "result #" << i << " has "
                           << cast<ShapedType>(getBands()[i].getType()).getDimSize(1)
                           << " rows but its height is " << h;
  return checkTiling(*this, whole, getBands().getTypes());
}

LogicalResult JoinOp::verify() {
  return checkTiling(*this, cast<ShapedType>(getResult().getType()),
                     getBands().getTypes());
}

LogicalResult WindowOp::verify() {
  if (getBands().empty())
    return emitOpError() << "expects at least one band";
  auto result = cast<ShapedType>(getResult().getType());
  SmallVector<int64_t> heights;
  for (auto [i, t] : llvm::enumerate(getBands().getTypes())) {
    auto band = cast<ShapedType>(t);
    if (failed(checkBandShape(*this, result, band, "band #" + std::to_string(i))))
      return failure();
    heights.push_back(band.getDimSize(1));
  }
  int64_t offset = getOffset(), rows = result.getDimSize(1);
  int64_t total = 0;
  for (int64_t h : heights)
    total += h;
  if (offset < 0 || offset >= heights.front())
    return emitOpError() << "expects the offset to fall in the first band "
                            "(0 <= offset < "
                         << heights.front() << ") but got " << offset;
  if (rows < 1 || offset + rows > total)
    return emitOpError() << "window rows [" << offset << ", " << offset + rows
                         << ") exceed the " << total << " rows of its bands";
  if (offset + rows <= total - heights.back())
    return emitOpError() << "window rows [" << offset << ", " << offset + rows
                         << ") do not reach the last band (rows from "
                         << total - heights.back() << "): drop it";
  return success();
}
