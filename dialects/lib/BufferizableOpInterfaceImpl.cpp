//===- BufferizableOpInterfaceImpl.cpp - tinyts bufferization ---*- C++ -*-===//
//
// Part of TinyTS-MLIR. BufferizableOpInterface for the tinyts kernel ops:
// destination style, every input is read, the `outs` operand is written in
// full and never read (so a tensor.empty destination needs no copy), and the
// result is equivalent to the `outs` buffer.
//
//===----------------------------------------------------------------------===//

#include "tinyts/BufferizableOpInterfaceImpl.h"
#include "tinyts/TinyTSOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace mlir::bufferization;

namespace {

template <typename OpTy>
struct KernelOpInterface
    : DstBufferizableOpInterfaceExternalModel<KernelOpInterface<OpTy>, OpTy> {
  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand,
                              const AnalysisState &) const {
    // Kernels overwrite their destination without reading it, except a
    // row_sum that accumulates into it.
    if (auto sum = dyn_cast<tinyts::RowSumOp>(op); sum && sum.getAccumulate())
      return true;
    return !cast<DestinationStyleOpInterface>(op).isDpsInit(&operand);
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto dps = cast<DestinationStyleOpInterface>(op);
    if (dps.hasPureBufferSemantics())
      return success();
    rewriter.setInsertionPoint(op);
    SmallVector<Value> operands;
    Value outBuffer;
    for (OpOperand &operand : op->getOpOperands()) {
      FailureOr<Value> buffer =
          getBuffer(rewriter, operand.get(), options, state);
      if (failed(buffer))
        return failure();
      operands.push_back(*buffer);
      if (dps.isDpsInit(&operand))
        outBuffer = *buffer;
    }
    // Same op, same properties, memref operands and no result.
    OperationState memrefForm(op->getLoc(), op->getName());
    memrefForm.addOperands(operands);
    memrefForm.propertiesAttr = op->getPropertiesAsAttribute();
    for (NamedAttribute attr : op->getDiscardableAttrs())
      memrefForm.addAttribute(attr.getName(), attr.getValue());
    rewriter.create(memrefForm);
    replaceOpWithBufferizedValues(rewriter, op, outBuffer);
    return success();
  }
};

/// Subview of `buffer` holding rows [row, row + rows) (dimension 1).
Value rowSubview(OpBuilder &b, Location loc, Value buffer, int64_t row,
                 int64_t rows) {
  auto type = cast<MemRefType>(buffer.getType());
  SmallVector<int64_t> offsets(type.getRank(), 0), sizes(type.getShape()),
      strides(type.getRank(), 1);
  offsets[1] = row;
  sizes[1] = rows;
  return memref::SubViewOp::create(b, loc, buffer, offsets, sizes, strides);
}

/// Identity-layout memref of a tensor type (a window's view, a join's buffer).
MemRefType identityBuffer(Type tensorType) {
  auto type = cast<RankedTensorType>(tensorType);
  return MemRefType::get(type.getShape(), type.getElementType());
}

/// The buffers of a band op's operands.
FailureOr<SmallVector<Value>> bandBuffers(RewriterBase &rewriter, ValueRange bands,
                                          const BufferizationOptions &options,
                                          BufferizationState &state) {
  SmallVector<Value> buffers;
  for (Value band : bands) {
    FailureOr<Value> buffer = getBuffer(rewriter, band, options, state);
    if (failed(buffer))
      return failure();
    buffers.push_back(*buffer);
  }
  return buffers;
}

/// tinyts.split: one subview per band (no copy, no allocation).
struct SplitOpInterface
    : BufferizableOpInterface::ExternalModel<SplitOpInterface, tinyts::SplitOp> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &, const AnalysisState &) const {
    return false;
  }
  bool bufferizesToMemoryWrite(Operation *, OpOperand &, const AnalysisState &) const {
    return false;
  }
  AliasingValueList getAliasingValues(Operation *op, OpOperand &,
                                      const AnalysisState &) const {
    AliasingValueList list;
    for (Value r : op->getResults())
      list.addAlias({r, BufferRelation::Unknown});
    return list;
  }
  FailureOr<BufferLikeType>
  getBufferType(Operation *op, Value value, const BufferizationOptions &options,
                const BufferizationState &state,
                SmallVector<Value> &invocationStack) const {
    auto split = cast<tinyts::SplitOp>(op);
    FailureOr<BufferLikeType> source = bufferization::getBufferType(
        split.getInput(), options, state, invocationStack);
    if (failed(source))
      return failure();
    auto sourceType = cast<MemRefType>(*source);
    unsigned index = cast<OpResult>(value).getResultNumber();
    int64_t row = 0;
    for (unsigned i = 0; i < index; ++i)
      row += split.getHeights()[i];
    SmallVector<int64_t> offsets(sourceType.getRank(), 0),
        sizes(sourceType.getShape()), strides(sourceType.getRank(), 1);
    offsets[1] = row;
    sizes[1] = split.getHeights()[index];
    return cast<BufferLikeType>(
        memref::SubViewOp::inferResultType(sourceType, offsets, sizes, strides));
  }
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto split = cast<tinyts::SplitOp>(op);
    FailureOr<Value> source = getBuffer(rewriter, split.getInput(), options, state);
    if (failed(source))
      return failure();
    rewriter.setInsertionPoint(op);
    SmallVector<Value> bands;
    int64_t row = 0;
    for (int64_t h : split.getHeights()) {
      bands.push_back(rowSubview(rewriter, op->getLoc(), *source, row, h));
      row += h;
    }
    replaceOpWithBufferizedValues(rewriter, op, bands);
    return success();
  }
};

/// tinyts.window: stays a view over the band buffers (memref form).
struct WindowOpInterface
    : BufferizableOpInterface::ExternalModel<WindowOpInterface, tinyts::WindowOp> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &, const AnalysisState &) const {
    return false;
  }
  bool bufferizesToMemoryWrite(Operation *, OpOperand &, const AnalysisState &) const {
    return false;
  }
  AliasingValueList getAliasingValues(Operation *op, OpOperand &,
                                      const AnalysisState &) const {
    return {{op->getResult(0), BufferRelation::Unknown}};
  }
  FailureOr<BufferLikeType>
  getBufferType(Operation *, Value value, const BufferizationOptions &,
                const BufferizationState &, SmallVector<Value> &) const {
    return cast<BufferLikeType>(identityBuffer(value.getType()));
  }
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto window = cast<tinyts::WindowOp>(op);
    FailureOr<SmallVector<Value>> bands =
        bandBuffers(rewriter, window.getBands(), options, state);
    if (failed(bands))
      return failure();
    rewriter.setInsertionPoint(op);
    Value view = tinyts::WindowOp::create(rewriter, op->getLoc(),
                                          identityBuffer(window.getType()),
                                          *bands, window.getOffset());
    replaceOpWithBufferizedValues(rewriter, op, view);
    return success();
  }
};

/// tinyts.join: a new buffer and one copy per band into its rows
/// (tinyts-plan-memory then makes each band's producer write in place).
struct JoinOpInterface
    : BufferizableOpInterface::ExternalModel<JoinOpInterface, tinyts::JoinOp> {
  bool bufferizesToAllocation(Operation *, Value) const { return true; }
  bool bufferizesToMemoryRead(Operation *, OpOperand &, const AnalysisState &) const {
    return true;
  }
  bool bufferizesToMemoryWrite(Operation *, OpOperand &, const AnalysisState &) const {
    return false;
  }
  AliasingValueList getAliasingValues(Operation *, OpOperand &,
                                      const AnalysisState &) const {
    return {};
  }
  FailureOr<BufferLikeType>
  getBufferType(Operation *, Value value, const BufferizationOptions &,
                const BufferizationState &, SmallVector<Value> &) const {
    return cast<BufferLikeType>(identityBuffer(value.getType()));
  }
  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto join = cast<tinyts::JoinOp>(op);
    FailureOr<SmallVector<Value>> bands =
        bandBuffers(rewriter, join.getBands(), options, state);
    if (failed(bands))
      return failure();
    rewriter.setInsertionPoint(op);
    FailureOr<Value> whole = options.createAlloc(
        rewriter, op->getLoc(), identityBuffer(join.getType()), ValueRange{});
    if (failed(whole))
      return failure();
    int64_t row = 0;
    for (Value band : *bands) {
      int64_t rows = cast<MemRefType>(band.getType()).getDimSize(1);
      Value target = rowSubview(rewriter, op->getLoc(), *whole, row, rows);
      if (failed(options.createMemCpy(rewriter, op->getLoc(), band, target)))
        return failure();
      row += rows;
    }
    replaceOpWithBufferizedValues(rewriter, op, *whole);
    return success();
  }
};

template <typename... Ops>
void attachKernelModels(MLIRContext *ctx) {
  (Ops::template attachInterface<KernelOpInterface<Ops>>(*ctx), ...);
}

} // namespace

void mlir::tinyts::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, TinyTSDialect *) {
    attachKernelModels<Conv2DOp, DepthwiseConv2DOp, FullyConnectedOp, AddOp,
                       AvgPool2DOp, SoftmaxOp, MulOp, MeanOp, TransposeOp,
                       PadOp, QuantizeOp, DequantizeOp, MaxPool2DOp, ConcatOp,
                       ResizeNearestOp, RowSumOp, AvgPoolFinishOp>(ctx);
    SplitOp::attachInterface<SplitOpInterface>(*ctx);
    WindowOp::attachInterface<WindowOpInterface>(*ctx);
    JoinOp::attachInterface<JoinOpInterface>(*ctx);
  });
}
