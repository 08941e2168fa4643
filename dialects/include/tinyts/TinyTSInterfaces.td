//===- TinyTSInterfaces.td - tinyts op interfaces ----------*- tablegen -*-===//
//
// Part of TinyTS-MLIR. The row-mapping interface through which the tensor
// splitting passes see a kernel op: which input rows a band of output rows
// reads, and how to build the op computing only that band.
//
//===----------------------------------------------------------------------===//

#ifndef TINYTS_INTERFACES_TD
#define TINYTS_INTERFACES_TD

include "mlir/IR/OpBase.td"

def TinyTS_RowMapOpInterface : OpInterface<"RowMapOpInterface"> {
  let cppNamespace = "::mlir::tinyts";
  let description = [{
    An op whose result rows (dimension 1 of an NHWC or NHW tensor) can be
    computed band by band: output rows `[begin, end)` read, from each "row
    operand", a contiguous range of rows given by the op's receptive field
    along H (kernel, stride, dilation, padding). Element-wise ops map rows
    1:1. `tinyts-split` and `tinyts-schedule` see kernels only through this
    interface.
  }];
  let methods = [
    InterfaceMethod<
      "Indices of the operands whose rows follow the result's rows (other "
      "operands, e.g. weights or a broadcast operand, are read whole).",
      "::llvm::SmallVector<unsigned>", "getRowOperands">,
    InterfaceMethod<
      "Rows `[lo, hi)` of row operand `index` that output rows `[begin, end)` "
      "read. The range is not clipped: rows outside the operand are padding.",
      "std::pair<int64_t, int64_t>", "getInputRows",
      (ins "unsigned":$index, "int64_t":$begin, "int64_t":$end)>,
    InterfaceMethod<
      "Whether the kernel can read a window whose rows are not at one stride "
      "(through a row-pointer table). Ops that cannot need every band's input "
      "rows inside one band of each row operand.",
      "bool", "acceptsRowTable">,
    InterfaceMethod<
      "Builds the op computing output rows `[begin, end)` into `init`, reading "
      "`rowInputs` (one per row operand: the operand's rows `getInputRows` "
      "clipped to the operand) and the other operands unchanged.",
      "::mlir::Operation *", "createBand",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::ValueRange":$rowInputs,
           "::mlir::Value":$init, "int64_t":$begin, "int64_t":$end)>,
  ];
}

#endif // TINYTS_INTERFACES_TD
