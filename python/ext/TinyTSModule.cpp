//===- TinyTSModule.cpp - nanobind glue for tinyts_mlir._tinyts -*- C++ -*-===//
//
// Part of TinyTS-MLIR. Python entry points: register the dialect into the
// `mlir` package's global DialectRegistry, register the passes, and emit C
// from an EmitC module. Only MLIR C handles cross this file.
//
//===----------------------------------------------------------------------===//

#include "TinyTSCAPI.h"

#include "mlir-c/Bindings/Python/Interop.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <string>

namespace nb = nanobind;

namespace {

nb::object capsuleOf(nb::handle obj) {
  return nb::getattr(obj, MLIR_PYTHON_CAPI_PTR_ATTR);
}

MlirOperation operationOf(nb::handle obj) {
  // Accept an ir.Module, an ir.Operation or an ir.OpView.
  nb::object target = nb::borrow(obj);
  if (nb::hasattr(target, "operation"))
    target = nb::getattr(target, "operation");
  nb::object capsule = capsuleOf(target);
  MlirOperation op = mlirPythonCapsuleToOperation(capsule.ptr());
  if (mlirOperationIsNull(op))
    throw nb::type_error("expected an mlir.ir.Module or mlir.ir.Operation");
  return op;
}

void appendString(MlirStringRef s, void *userData) {
  static_cast<std::string *>(userData)->append(s.data, s.length);
}

MlirLogicalResult collectDiagnostic(MlirDiagnostic diag, void *userData) {
  auto *out = static_cast<std::string *>(userData);
  if (!out->empty())
    out->append("\n");
  std::string loc;
  mlirLocationPrint(mlirDiagnosticGetLocation(diag), appendString, &loc);
  out->append(loc + ": ");
  mlirDiagnosticPrint(diag, appendString, out);
  return mlirLogicalResultSuccess();
}

} // namespace

NB_MODULE(_tinyts, m) {
  m.doc() = "Native part of tinyts_mlir (dialect/pass registration, EmitC).";

  m.def(
      "register_dialects",
      [](nb::handle registry) {
        nb::object capsule = capsuleOf(registry);
        MlirDialectRegistry r = mlirPythonCapsuleToDialectRegistry(capsule.ptr());
        if (mlirDialectRegistryIsNull(r))
          throw nb::type_error("expected an mlir.ir.DialectRegistry");
        tinytsRegisterDialects(r);
      },
      nb::arg("registry"),
      "Insert the tinyts dialect into an mlir.ir.DialectRegistry.");

  m.def("register_passes", &tinytsRegisterPasses,
        "Register the tinyts passes in the global pass registry.");

  m.def(
      "translate_to_c",
      [](nb::handle module, bool declareVariablesAtTop) {
        MlirOperation op = operationOf(module);
        MlirContext ctx = mlirOperationGetContext(op);
        std::string diagnostics;
        MlirDiagnosticHandlerID id = mlirContextAttachDiagnosticHandler(
            ctx, collectDiagnostic, &diagnostics, nullptr);
        std::string out;
        MlirLogicalResult result =
            tinytsTranslateToC(op, declareVariablesAtTop, appendString, &out);
        mlirContextDetachDiagnosticHandler(ctx, id);
        if (mlirLogicalResultIsFailure(result))
          throw std::runtime_error(
              "EmitC translation to C failed" +
              (diagnostics.empty() ? std::string(".") : ":\n" + diagnostics));
        return out;
      },
      nb::arg("module"), nb::arg("declare_variables_at_top") = false,
      "Emit a module of EmitC (and func/arith/... ops the emitter accepts) "
      "as C source text.");
}
