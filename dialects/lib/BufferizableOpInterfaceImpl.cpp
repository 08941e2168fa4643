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
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace mlir::bufferization;

namespace {

template <typename OpTy>
struct KernelOpInterface
    : DstBufferizableOpInterfaceExternalModel<KernelOpInterface<OpTy>, OpTy> {
  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand,
                              const AnalysisState &) const {
    // Kernels overwrite their destination without reading it.
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
                       ResizeNearestOp>(ctx);
  });
}
