//===- TinyTSDialect.td - tinyts dialect definition --------*- tablegen -*-===//
//
// Part of TinyTS-MLIR. The tinyts dialect: quantized int8 kernel ops with
// TFLite Micro's exact integer semantics, the unit that the tensor-splitting
// passes schedule and that the runtime implements.
//
//===----------------------------------------------------------------------===//

#ifndef TINYTS_DIALECT_TD
#define TINYTS_DIALECT_TD

include "mlir/IR/OpBase.td"

def TinyTS_Dialect : Dialect {
  let name = "tinyts";
  let cppNamespace = "::mlir::tinyts";
  let summary = "Quantized int8 kernels and tensor-splitting ops for microcontrollers";
  let description = [{
    The `tinyts` dialect holds int8 kernel operations whose semantics are
    exactly those of TFLite Micro's reference kernels: requantization uses a
    32-bit fixed-point multiplier and a shift per output channel with
    gemmlowp-style double rounding, zero points are explicit attributes, and
    the fused activation is an explicit clamp. The ops are in destination
    style on tensors (`outs(%init)`) so that bufferization can place each
    result into a planned arena buffer.
  }];
  let usePropertiesForAttributes = 1;
}

class TinyTS_Op<string mnemonic, list<Trait> traits = []>
    : Op<TinyTS_Dialect, mnemonic, traits>;

#endif // TINYTS_DIALECT_TD
