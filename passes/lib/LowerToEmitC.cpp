//===- LowerToEmitC.cpp - planned model to EmitC runtime calls --*- C++ -*-===//
//
// Part of TinyTS-MLIR. Implements tinyts-lower-to-emitc: every memref of the
// planned function is a C pointer expression (arena + offset, a weight
// array or a function argument) with static strides; every tinyts kernel
// becomes one call into runtime/ with those pointers and strides.
// Convolution layers are prepared here, at compile time, by the runtime's
// own `_prepare_s8` functions (compiled into this library): the facts their
// kernels would otherwise derive from the constant weights on every call,
// i.e. once per band of a split layer, become a const array in flash.
//
//===----------------------------------------------------------------------===//

#include "tinyts/Passes.h"
#include "tinyts/TinyTSOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/RegionUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/StringExtras.h"

#include "tinyts_kernels.h"

#include <cstdio>
#include <map>

namespace mlir {
namespace tinyts {
#define GEN_PASS_DEF_TINYTSLOWERTOEMITC
#include "tinyts/Passes.h.inc"
} // namespace tinyts
} // namespace mlir

using namespace mlir;
using namespace mlir::tinyts;

namespace {

/// Where a memref lives in C: either a function argument (an SSA value of
/// the emitted function) or a C expression, plus its element strides.
struct Pointer {
  Value arg;
  std::string expr;
  SmallVector<int64_t> strides;
  /// The named base (global or argument) and the element offset from it,
  /// when known statically (used to tell whether a window is contiguous).
  std::string root;
  int64_t rootOffset = 0;
  /// A window whose rows are not at one stride: one C expression per row.
  SmallVector<std::string> rows;
};

std::string cTypeName(Type elem) {
  if (elem.isInteger(1))
    return "bool";
  if (elem.isInteger(8))
    return "int8_t";
  if (elem.isInteger(16))
    return "int16_t";
  if (elem.isInteger(32))
    return "int32_t";
  if (elem.isInteger(64))
    return "int64_t";
  if (elem.isF32())
    return "float";
  return "";
}

class ModelLowering {
public:
  ModelLowering(ModuleOp module, StringRef prefix)
      : module(module), ctx(module.getContext()), prefix(prefix.str()),
        builder(module.getContext()) {}

  LogicalResult run() {
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    if (funcs.size() != 1)
      return module.emitError()
             << "tinyts-lower-to-emitc expects exactly one function (the "
                "model) but found "
             << funcs.size();
    func::FuncOp func = funcs.front();
    if (func.getNumResults() != 0)
      return func.emitError() << "expects the model function to return its "
                                 "outputs through memref arguments (run "
                                 "buffer-results-to-out-params first)";
    if (!func.getBody().hasOneBlock())
      return func.emitError() << "expects a straight-line function body";
    func.walk([&](DepthwiseConv2DOp op) {
      if (memref::GlobalOp global = globalOf(op.getWeights()))
        ++weightCalls[global];
    });

    builder.setInsertionPointToStart(module.getBody());
    emitc::IncludeOp::create(builder, module.getLoc(), "stdbool.h", true);
    emitc::IncludeOp::create(builder, module.getLoc(), "stddef.h", true);
    emitc::IncludeOp::create(builder, module.getLoc(), "stdint.h", true);
    emitc::IncludeOp::create(builder, module.getLoc(), "string.h", true);
    emitc::IncludeOp::create(builder, module.getLoc(), "tinyts_kernels.h", false);

    if (failed(lowerGlobals()))
      return failure();

    // The entry function: one pointer per memref argument.
    SmallVector<Type> argTypes;
    for (Type t : func.getArgumentTypes()) {
      auto memref = dyn_cast<MemRefType>(t);
      if (!memref || !memref.hasStaticShape() || cTypeName(memref.getElementType()).empty())
        return func.emitError() << "cannot pass argument of type " << t
                                << " to C: expected a static memref of "
                                   "int8/int16/int32/float";
      // Arguments the model only reads (its inputs) are `const T *`.
      Type pointee = memref.getElementType();
      if (!isWritten(func.getArgument(argTypes.size())))
        pointee = emitc::OpaqueType::get(ctx, "const " + cTypeName(pointee));
      argTypes.push_back(emitc::PointerType::get(pointee));
    }
    builder.setInsertionPoint(func);
    entry = emitc::FuncOp::create(
        builder, func.getLoc(), prefix + "_invoke",
        FunctionType::get(ctx, argTypes, {}));
    Block *entryBlock = entry.addEntryBlock();
    for (auto [oldArg, newArg] :
         llvm::zip(func.getArguments(), entryBlock->getArguments())) {
      Pointer p;
      p.arg = newArg;
      p.strides = stridesOf(cast<MemRefType>(oldArg.getType()));
      p.root = argName(newArg);
      pointers[oldArg] = p;
    }
    builder.setInsertionPointToStart(entryBlock);
    for (Operation &op : llvm::make_early_inc_range(func.getBody().front()))
      if (failed(lowerOp(&op)))
        return failure();
    emitc::ReturnOp::create(builder, func.getLoc(), Value());
    func.erase();
    for (Operation *g : deadGlobals)
      g->erase();
    return success();
  }

private:
  /// Whether some op writes `v` (as a kernel destination or a copy target),
  /// directly or through views.
  static bool isWritten(Value v) {
    SmallVector<Value> worklist = {v};
    while (!worklist.empty()) {
      Value cur = worklist.pop_back_val();
      for (OpOperand &use : cur.getUses()) {
        Operation *user = use.getOwner();
        if (auto dps = dyn_cast<DestinationStyleOpInterface>(user))
          if (dps.isDpsInit(&use))
            return true;
        if (auto copy = dyn_cast<memref::CopyOp>(user))
          if (copy.getTarget() == cur)
            return true;
        if (auto store = dyn_cast<memref::StoreOp>(user))
          if (store.getMemRef() == cur)
            return true;
        if (isa<ViewLikeOpInterface, memref::CastOp>(user))
          worklist.append(user->result_begin(), user->result_end());
      }
    }
    return false;
  }

  /// Whether a memref operand is a dense row-major buffer (identity layout).
  static bool contiguous(Value v) {
    auto type = cast<MemRefType>(v.getType());
    if (type.getLayout().isIdentity())
      return true;
    SmallVector<int64_t> strides;
    int64_t offset;
    if (!type.hasStaticShape() || failed(type.getStridesAndOffset(strides, offset)))
      return false;
    int64_t dense = 1;
    for (int64_t d = type.getRank() - 1; d >= 0; --d) {
      if (type.getDimSize(d) != 1 && strides[d] != dense)
        return false;
      dense *= type.getDimSize(d);
    }
    return true;
  }

  static SmallVector<int64_t> stridesOf(MemRefType type) {
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(type.getStridesAndOffset(strides, offset)))
      return {};
    return strides;
  }

  /// Weights (constant globals) become static const arrays; the arena
  /// becomes one aligned static array.
  LogicalResult lowerGlobals() {
    for (auto global : llvm::make_early_inc_range(module.getOps<memref::GlobalOp>())) {
      // Constants the schedule no longer reads (e.g. folded requantization
      // parameters) are not emitted.
      if (SymbolTable::symbolKnownUseEmpty(global.getSymNameAttr(), module)) {
        deadGlobals.push_back(global);
        continue;
      }
      MemRefType type = global.getType();
      std::string ctype = cTypeName(type.getElementType());
      if (ctype.empty() || !type.hasStaticShape())
        return global.emitError() << "cannot emit global of type " << type;
      StringRef sym = global.getSymName();
      sym.consume_front("tinyts_");
      std::string name = prefix + "_" + sanitize(sym);
      globalNames[global.getSymName()] = name;
      if (global.getConstant()) {
        auto init = dyn_cast_or_null<DenseElementsAttr>(global.getInitialValueAttr());
        if (!init)
          return global.emitError() << "constant global without dense initial value";
        auto flat = RankedTensorType::get({type.getNumElements()}, type.getElementType());
        builder.setInsertionPoint(global);
        emitc::GlobalOp::create(
            builder, global.getLoc(), name,
            emitc::ArrayType::get({type.getNumElements()}, type.getElementType()),
            init.reshape(flat), /*extern=*/false, /*static=*/true, /*const=*/true);
      } else {
        if (global.getInitialValue() && !isa<UnitAttr>(*global.getInitialValue()))
          return global.emitError() << "mutable global with an initial value is "
                                       "not supported (only the arena)";
        int64_t align = global.getAlignment().value_or(16);
        builder.setInsertionPoint(global);
        emitc::VerbatimOp::create(
            builder, global.getLoc(),
            ("static " + ctype + " " + name + "[" + std::to_string(type.getNumElements()) +
             "] __attribute__((aligned(" + std::to_string(align) + ")));")
                .c_str());
      }
      deadGlobals.push_back(global);
    }
    return success();
  }

  static std::string sanitize(StringRef name) {
    std::string out;
    for (char c : name)
      out.push_back(llvm::isAlnum(c) ? c : '_');
    while (!out.empty() && out.front() == '_')
      out.erase(out.begin());
    return out;
  }

  Attribute opaque(StringRef text) { return emitc::OpaqueAttr::get(ctx, text); }
  Attribute i32(int64_t v) { return builder.getI32IntegerAttr(static_cast<int32_t>(v)); }

  /// A const int32 array global for requantization parameters, expanded to
  /// `channels` entries.  Arrays with the same contents are emitted once (the
  /// bands of a split layer share their layer's).
  std::string paramArray(Location loc, StringRef what, ArrayRef<int32_t> values,
                         int64_t channels) {
    return constArray(loc, what, perChannel(values, channels));
  }

  /// Per-tensor (one value) or per-channel requantization parameters as
  /// `channels` entries.
  static SmallVector<int32_t> perChannel(ArrayRef<int32_t> values, int64_t channels) {
    SmallVector<int32_t> expanded;
    for (int64_t c = 0; c < channels; ++c)
      expanded.push_back(values.size() == 1 ? values.front() : values[c]);
    return expanded;
  }

  /// A const int32 array global holding `values`, shared by every use with
  /// the same `what` and contents.
  std::string constArray(Location loc, StringRef what, ArrayRef<int32_t> values) {
    auto key = std::make_pair(what.str(), std::vector<int32_t>(values.begin(), values.end()));
    auto found = constArrays.find(key);
    if (found != constArrays.end())
      return found->second;
    int64_t channels = values.size();
    std::string name = prefix + "_q" + std::to_string(paramCounter) + "_" + what.str();
    constArrays[key] = name;
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPoint(entry);
    auto i32Type = builder.getI32Type();
    emitc::GlobalOp::create(
        builder, loc, name, emitc::ArrayType::get({channels}, i32Type),
        DenseIntElementsAttr::get(RankedTensorType::get({channels}, i32Type),
                                  values),
        false, true, true);
    return name;
  }

  /// The argument list entry for a memref operand.
  Attribute pointerArg(Value v, SmallVectorImpl<Value> &operands) {
    const Pointer &p = pointers[v];
    if (p.arg) {
      operands.push_back(p.arg);
      return builder.getIndexAttr(operands.size() - 1);
    }
    return opaque(p.expr);
  }

  FailureOr<Pointer> pointerOf(Operation *op, Value v) {
    auto it = pointers.find(v);
    if (it == pointers.end()) {
      op->emitError() << "operand has no C address: it is not a function "
                         "argument, a global or a view of one";
      return failure();
    }
    return it->second;
  }

  /// C expression of `p` offset by `elements` (same element type).
  Pointer offsetPointer(const Pointer &p, int64_t elements,
                        SmallVector<int64_t> strides) {
    Pointer r;
    r.strides = std::move(strides);
    r.root = p.root;
    r.rootOffset = p.rootOffset + elements;
    if (elements == 0) {
      r.arg = p.arg;
      r.expr = p.expr;
      return r;
    }
    // An offset argument becomes a C expression over the argument's name.
    std::string base = p.arg ? argName(p.arg) : p.expr;
    r.expr = "(" + base + " + " + std::to_string(elements) + ")";
    return r;
  }

  std::string argName(Value arg) {
    // The C emitter names block arguments v1, v2, ... in order.
    return "v" + std::to_string(cast<BlockArgument>(arg).getArgNumber() + 1);
  }

  LogicalResult lowerOp(Operation *op) {
    Location loc = op->getLoc();
    if (isa<func::ReturnOp, arith::ConstantOp, memref::DeallocOp>(op))
      return success();
    if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
      auto name = globalNames.find(get.getName());
      if (name == globalNames.end())
        return op->emitError() << "unknown global @" << get.getName();
      Pointer p;
      p.expr = name->second;
      p.root = name->second;
      p.strides = stridesOf(get.getType());
      pointers[get.getResult()] = p;
      return success();
    }
    if (auto view = dyn_cast<memref::ViewOp>(op)) {
      FailureOr<Pointer> src = pointerOf(op, view.getSource());
      IntegerAttr shift;
      if (failed(src) || !view.getSizes().empty() ||
          !matchPattern(view.getByteShift(), m_Constant(&shift)))
        return op->emitError() << "expects a static view into the arena";
      Type elem = view.getType().getElementType();
      std::string base = src->arg ? argName(src->arg) : src->expr;
      Pointer p;
      p.strides = stridesOf(view.getType());
      p.expr = "(" + base + " + " + std::to_string(shift.getInt()) + ")";
      // Byte shift == element offset for the int8 activations windows view.
      p.root = src->root;
      p.rootOffset = src->rootOffset + shift.getInt();
      if (!elem.isInteger(8))
        p.expr = "((" + cTypeName(elem) + " *)" + p.expr + ")";
      pointers[view.getResult()] = p;
      return success();
    }
    if (isa<memref::CastOp, memref::CollapseShapeOp, memref::ExpandShapeOp>(op)) {
      FailureOr<Pointer> src = pointerOf(op, op->getOperand(0));
      if (failed(src))
        return failure();
      Pointer p = *src;
      p.strides = stridesOf(cast<MemRefType>(op->getResult(0).getType()));
      pointers[op->getResult(0)] = p;
      return success();
    }
    if (auto sub = dyn_cast<memref::SubViewOp>(op)) {
      FailureOr<Pointer> src = pointerOf(op, sub.getSource());
      if (failed(src))
        return failure();
      if (!sub.getOffsets().empty() || !sub.getSizes().empty() || !sub.getStrides().empty())
        return op->emitError() << "expects a subview with static offsets, sizes and strides";
      int64_t elements = 0;
      for (auto [off, stride] : llvm::zip(sub.getStaticOffsets(), src->strides))
        elements += off * stride;
      pointers[sub.getResult()] =
          offsetPointer(*src, elements, stridesOf(sub.getType()));
      return success();
    }
    if (auto window = dyn_cast<WindowOp>(op))
      return lowerWindow(window);
    if (auto copy = dyn_cast<memref::CopyOp>(op)) {
      auto type = cast<MemRefType>(copy.getSource().getType());
      if (!contiguous(copy.getSource()) || !contiguous(copy.getTarget()))
        return lowerStridedCopy(copy);
      SmallVector<Value> operands;
      SmallVector<Attribute> args = {pointerArg(copy.getTarget(), operands),
                                     pointerArg(copy.getSource(), operands)};
      int64_t bytes = type.getNumElements() * type.getElementTypeBitWidth() / 8;
      args.push_back(builder.getI64IntegerAttr(bytes));
      emitc::CallOpaqueOp::create(builder, loc, TypeRange{}, "memcpy", operands,
                                  builder.getArrayAttr(args), ArrayAttr());
      return success();
    }
    // Generic code (loops from convert-linalg-to-loops, or their bodies when
    // canonicalization removed unit loops).
    if (isa<scf::ForOp, memref::LoadOp, memref::StoreOp>(op) ||
        (!isa<arith::ConstantOp>(op) && op->getDialect() &&
         llvm::is_contained({StringRef("arith"), StringRef("math")},
                            op->getDialect()->getNamespace())))
      return lowerGeneric(op);
    if (auto conv = dyn_cast<Conv2DOp>(op))
      return lowerConv(conv);
    if (auto dw = dyn_cast<DepthwiseConv2DOp>(op))
      return lowerDepthwise(dw);
    if (auto fc = dyn_cast<FullyConnectedOp>(op))
      return lowerFullyConnected(fc);
    if (auto add = dyn_cast<AddOp>(op))
      return lowerAdd(add);
    if (auto pool = dyn_cast<AvgPool2DOp>(op))
      return lowerPool(pool, "tinyts_avg_pool2d_s8");
    if (auto pool = dyn_cast<MaxPool2DOp>(op))
      return lowerPool(pool, "tinyts_max_pool2d_s8");
    if (auto sum = dyn_cast<RowSumOp>(op))
      return lowerRowSum(sum);
    if (auto finish = dyn_cast<AvgPoolFinishOp>(op))
      return lowerAvgPoolFinish(finish);
    if (auto concat = dyn_cast<ConcatOp>(op))
      return lowerConcat(concat);
    if (auto resize = dyn_cast<ResizeNearestOp>(op))
      return lowerResize(resize);
    if (auto softmax = dyn_cast<SoftmaxOp>(op))
      return lowerSoftmax(softmax);
    if (auto mul = dyn_cast<MulOp>(op))
      return lowerMul(mul);
    if (auto mean = dyn_cast<MeanOp>(op))
      return lowerMean(mean);
    if (auto transpose = dyn_cast<TransposeOp>(op))
      return lowerTranspose(transpose);
    if (auto pad = dyn_cast<PadOp>(op))
      return lowerPad(pad);
    if (auto q = dyn_cast<QuantizeOp>(op))
      return lowerQuantization(q, "tinyts_quantize_f32_s8");
    if (auto dq = dyn_cast<DequantizeOp>(op))
      return lowerQuantization(dq, "tinyts_dequantize_s8_f32");
    return op->emitError() << "tinyts-lower-to-emitc cannot lower '"
                           << op->getName() << "' yet";
  }

  /// The generic path: a loop nest from convert-linalg-to-loops (an op that
  /// no kernel implements), or a straight-line arith/load/store op. It moves
  /// into the entry function as is; constants it reads are cloned, and every
  /// memref.load/store becomes an
  /// emitc.subscript of the buffer's C pointer at the linearized index. The
  /// remaining scf/arith ops are then converted by upstream's
  /// convert-scf-to-emitc / convert-arith-to-emitc.
  LogicalResult lowerGeneric(Operation *loop) {
    llvm::SetVector<Value> outside;
    for (Region &region : loop->getRegions())
      getUsedValuesDefinedAbove(region, outside);
    for (Value v : loop->getOperands())
      outside.insert(v);
    for (Value v : outside) {
      if (isa<MemRefType>(v.getType()))
        continue;
      Operation *def = v.getDefiningOp();
      // Already moved into the entry function (earlier generic code).
      if (def && def->getParentOfType<emitc::FuncOp>() == entry)
        continue;
      if (!def || !def->hasTrait<OpTrait::ConstantLike>())
        return loop->emitError() << "generic code reads a value the C lowering "
                                    "cannot pass in: "
                                 << v;
      Value copy = builder.clone(*def)->getResult(0);
      v.replaceUsesWithIf(copy, [&](OpOperand &use) {
        return loop->isAncestor(use.getOwner());
      });
    }
    loop->moveBefore(builder.getInsertionBlock(), builder.getInsertionPoint());
    SmallVector<Operation *> accesses;
    SmallVector<math::CountLeadingZerosOp> clzs;
    WalkResult walk = loop->walk([&](Operation *op) {
      if (auto clz = dyn_cast<math::CountLeadingZerosOp>(op)) {
        if (!clz.getType().isInteger(32)) {
          op->emitError() << "generic code counts leading zeros of "
                          << clz.getType() << "; only i32 is supported";
          return WalkResult::interrupt();
        }
        clzs.push_back(clz);
      } else if (isa<memref::LoadOp, memref::StoreOp>(op)) {
        accesses.push_back(op);
      } else if (op->getDialect() && op->getDialect()->getNamespace() == "memref") {
        op->emitError() << "generic loop uses '" << op->getName()
                        << "', which the C lowering does not handle";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    for (math::CountLeadingZerosOp clz : clzs) {
      OpBuilder b(clz);
      auto call = emitc::CallOpaqueOp::create(b, clz.getLoc(), clz.getType(),
                                              "tinyts_clz32", clz.getOperand());
      clz.getResult().replaceAllUsesWith(call.getResult(0));
      clz.erase();
    }
    auto indexType = builder.getIndexType();
    auto sizeType = emitc::SizeTType::get(ctx);
    for (Operation *op : accesses) {
      auto load = dyn_cast<memref::LoadOp>(op);
      auto store = dyn_cast<memref::StoreOp>(op);
      Value mem = load ? load.getMemRef() : store.getMemRef();
      ValueRange indices = load ? load.getIndices() : store.getIndices();
      FailureOr<Pointer> ptr = pointerOf(op, mem);
      if (failed(ptr))
        return failure();
      auto type = cast<MemRefType>(mem.getType());
      Type elem = type.getElementType();
      OpBuilder b(op);
      Location loc = op->getLoc();
      // The C pointer as an expression, typed like the element.
      std::string expr = ptr->arg ? argName(ptr->arg) : ptr->expr;
      if (ptr->arg)
        expr = "((" + cTypeName(elem) + " *)" + expr + ")";
      Value base = emitc::LiteralOp::create(b, loc, emitc::PointerType::get(elem), expr);
      Value linear;
      for (auto [idx, stride] : llvm::zip(indices, ptr->strides)) {
        Value term = idx;
        if (stride != 1)
          term = arith::MulIOp::create(
              b, loc, idx, arith::ConstantIndexOp::create(b, loc, stride));
        linear = linear ? arith::AddIOp::create(b, loc, linear, term).getResult() : term;
      }
      if (!linear)
        linear = arith::ConstantIndexOp::create(b, loc, 0);
      // index -> size_t; the cast pairs with convert-arith-to-emitc's and
      // disappears in reconcile-unrealized-casts.
      Value offset = UnrealizedConversionCastOp::create(b, loc, sizeType, linear)
                         .getResult(0);
      (void)indexType;
      Value lvalue = emitc::SubscriptOp::create(
          b, loc, emitc::LValueType::get(elem), base, ValueRange{offset});
      if (load) {
        Value v = emitc::LoadOp::create(b, loc, elem, lvalue);
        load.getResult().replaceAllUsesWith(v);
      } else {
        emitc::AssignOp::create(b, loc, lvalue, store.getValue());
      }
      op->erase();
    }
    return success();
  }

  /// A copy between strided views (e.g. into the interior of a padded
  /// buffer on the generic path): an element loop nest, lowered like any
  /// generic loop.
  LogicalResult lowerStridedCopy(memref::CopyOp copy) {
    auto type = cast<MemRefType>(copy.getSource().getType());
    if (!type.hasStaticShape())
      return copy.emitError() << "cannot copy a dynamically shaped buffer";
    OpBuilder b(copy);
    Location loc = copy.getLoc();
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    SmallVector<Value> ivs;
    scf::ForOp outer;
    for (int64_t size : type.getShape()) {
      Value ub = arith::ConstantIndexOp::create(b, loc, size);
      auto loop = scf::ForOp::create(b, loc, zero, ub, one);
      if (!outer)
        outer = loop;
      ivs.push_back(loop.getInductionVar());
      b.setInsertionPoint(loop.getBody()->getTerminator());
    }
    Value v = memref::LoadOp::create(b, loc, copy.getSource(), ivs);
    memref::StoreOp::create(b, loc, v, copy.getTarget(), ivs);
    copy.erase();
    if (!outer)
      return success(); // rank 0: nothing was built
    return lowerGeneric(outer);
  }

  /// A window over bands: a plain pointer when its rows are at one stride in
  /// memory (adjacent bands), otherwise one C expression per row for a
  /// row-pointer table.
  LogicalResult lowerWindow(WindowOp window) {
    SmallVector<Pointer> bands;
    for (Value band : window.getBands()) {
      FailureOr<Pointer> p = pointerOf(window, band);
      if (failed(p))
        return failure();
      auto type = cast<MemRefType>(band.getType());
      if (type.getRank() < 3 || p->strides.size() != static_cast<size_t>(type.getRank()) ||
          p->strides.back() != 1)
        return window.emitError() << "expects bands with contiguous rows of "
                                     "contiguous channels, got "
                                  << type;
      bands.push_back(*p);
    }
    int64_t rows = cast<MemRefType>(window.getType()).getDimSize(1);
    SmallVector<std::pair<size_t, int64_t>> where; // (band, row in band)
    size_t band = 0;
    int64_t row = window.getOffset();
    for (int64_t r = 0; r < rows; ++r, ++row) {
      while (row >= cast<MemRefType>(window.getBands()[band].getType()).getDimSize(1)) {
        row -= cast<MemRefType>(window.getBands()[band].getType()).getDimSize(1);
        ++band;
      }
      where.push_back({band, row});
    }
    const Pointer &first = bands[where.front().first];
    int64_t rowStride = first.strides[1];
    bool uniform = true;
    for (auto [i, w] : llvm::enumerate(where)) {
      const Pointer &p = bands[w.first];
      uniform &= !p.root.empty() && p.root == first.root && p.strides == first.strides &&
                 p.rootOffset + w.second * p.strides[1] ==
                     first.rootOffset + where.front().second * rowStride +
                         static_cast<int64_t>(i) * rowStride;
    }
    SmallVector<int64_t> strides = stridesOf(cast<MemRefType>(window.getType()));
    strides[1] = rowStride;
    for (size_t d = 2; d < strides.size(); ++d)
      strides[d] = first.strides[d];
    Pointer result = offsetPointer(first, where.front().second * rowStride, strides);
    if (!uniform) {
      for (auto [b, r] : where) {
        const Pointer &p = bands[b];
        if (p.strides[2] != first.strides[2])
          return window.emitError() << "expects the same pixel stride in every band";
        Pointer rp = offsetPointer(p, r * p.strides[1], p.strides);
        result.rows.push_back(rp.arg ? argName(rp.arg) : rp.expr);
      }
    }
    pointers[window.getResult()] = result;
    return success();
  }

  /// Calls `callee` on `args`; when the input (argument 0, with the row
  /// stride at argument `rowStrideArg`) is a non-contiguous window, calls its
  /// `_rows_s8` variant on a row-pointer table built in a block scope.
  void callWindowed(Operation *op, Value input, StringRef callee,
                    SmallVector<Attribute> args, ArrayRef<Value> operands,
                    size_t rowStrideArg) {
    const Pointer &p = pointers[input];
    if (p.rows.empty())
      return call(op, callee, args, operands);
    std::string table = "const int8_t *const tinyts_rows[" +
                        std::to_string(p.rows.size()) + "] = {" +
                        llvm::join(p.rows, ", ") + "};";
    emitc::VerbatimOp::create(builder, op->getLoc(), builder.getStringAttr("{ " + table));
    args[0] = opaque("tinyts_rows");
    args.erase(args.begin() + rowStrideArg);
    std::string rowsCallee = callee.str();
    rowsCallee.replace(rowsCallee.rfind("_s8"), 3, "_rows_s8");
    call(op, rowsCallee, args, operands);
    emitc::VerbatimOp::create(builder, op->getLoc(), builder.getStringAttr("}"));
  }

  /// Checks an NHWC activation (batch 1, contiguous channels) and returns
  /// {H, W, C, row stride, pixel stride}.
  FailureOr<std::array<int64_t, 5>> nhwc(Operation *op, Value v, StringRef name) {
    auto type = cast<MemRefType>(v.getType());
    const Pointer &p = pointers[v];
    if (type.getRank() != 4 || type.getDimSize(0) != 1 || p.strides.size() != 4 ||
        p.strides[3] != 1)
      return op->emitError() << "expects " << name
                             << " to be a batch-1 NHWC buffer with contiguous "
                                "channels, got "
                             << type;
    return std::array<int64_t, 5>{type.getDimSize(1), type.getDimSize(2),
                                  type.getDimSize(3), p.strides[1], p.strides[2]};
  }

  template <typename ConvOp>
  LogicalResult checkOperands(ConvOp op) {
    for (Value v : op->getOperands())
      if (failed(pointerOf(op, v)))
        return failure();
    if (!op.hasPureBufferSemantics())
      return op.emitError() << "expects the memref form (bufferize first)";
    return success();
  }

  void call(Operation *op, StringRef callee, ArrayRef<Attribute> args,
            ArrayRef<Value> operands) {
    emitc::CallOpaqueOp::create(builder, op->getLoc(), TypeRange{}, callee,
                                operands, builder.getArrayAttr(args), ArrayAttr());
  }

  /// The global `v` reads (memref.get_global), or null.
  memref::GlobalOp globalOf(Value v) {
    auto get = v.getDefiningOp<memref::GetGlobalOp>();
    return get ? module.lookupSymbol<memref::GlobalOp>(get.getNameAttr()) : nullptr;
  }

  /// The contents of the constant global `v` reads, or null.
  DenseElementsAttr constantOf(Value v) {
    memref::GlobalOp global = globalOf(v);
    if (!global || !global.getConstant())
      return {};
    return dyn_cast_or_null<DenseElementsAttr>(global.getInitialValueAttr());
  }

  /// The layer prepared at compile time by the runtime's
  /// tinyts_conv2d_prepare_s8 / tinyts_depthwise_conv2d_prepare_s8, as the
  /// name of a const array, or "" when the weights are not constants (the
  /// kernel then finds the same facts on every call).
  template <typename ConvOp>
  std::string prepArray(ConvOp op, bool depthwise, int64_t outC, int64_t kh, int64_t kw) {
    DenseElementsAttr weights = constantOf(op.getWeights());
    DenseElementsAttr bias = constantOf(op.getBias());
    if (!weights || !bias || !weights.getElementType().isInteger(8) ||
        !bias.getElementType().isInteger(32) || bias.getNumElements() != outC)
      return "";
    // A depthwise record is about twice the layer's weights in flash; it pays
    // for itself only when the set-up it saves repeats, i.e. on a layer
    // split into bands. A conv record is a few words: always worth it.
    if (depthwise && weightCalls.lookup(globalOf(op.getWeights())) < 2)
      return "";
    SmallVector<int8_t> w(weights.getValues<int8_t>());
    SmallVector<int32_t> b(bias.getValues<int32_t>());
    SmallVector<int32_t> mult = perChannel(op.getMultiplier(), outC);
    SmallVector<int32_t> shift = perChannel(op.getShift(), outC);
    std::vector<int32_t> prep;
    int32_t words;
    if (depthwise) {
      prep.resize(TINYTS_DEPTHWISE_PREP_WORDS(outC, kh, kw));
      words = tinyts_depthwise_conv2d_prepare_s8(
          w.data(), b.data(), mult.data(), shift.data(), outC, kh, kw,
          static_cast<int32_t>(op.getOutputZp()), prep.data());
    } else {
      prep.resize(TINYTS_CONV2D_PREP_WORDS(outC));
      words = tinyts_conv2d_prepare_s8(w.data(), b.data(), shift.data(), outC,
                                       w.size() / outC, prep.data());
    }
    if (words <= 0)
      return "";
    prep.resize(words);
    return constArray(op.getLoc(), "prep", prep);
  }

  /// conv2d and depthwise_conv2d share one call shape; they differ in the
  /// callee, the weight dims holding the window, the channel argument (output
  /// channels or depth multiplier) and conv2d's trailing scratch pointer.
  template <typename ConvOp>
  LogicalResult lowerConvLike(ConvOp op, StringRef callee, int64_t khDim,
                              int64_t channelArg, bool scratch) {
    if (failed(checkOperands(op)))
      return failure();
    auto in = nhwc(op, op.getInput(), "the input");
    auto out = nhwc(op, op.getInit(), "the output");
    if (failed(in) || failed(out))
      return failure();
    auto w = cast<MemRefType>(op.getWeights().getType());
    int64_t outC = (*out)[2];
    ++paramCounter;
    std::string mult = paramArray(op.getLoc(), "mult", op.getMultiplier(), outC);
    std::string shift = paramArray(op.getLoc(), "shift", op.getShift(), outC);
    SmallVector<Value> operands;
    SmallVector<Attribute> args = {
        pointerArg(op.getInput(), operands), i32((*in)[0]), i32((*in)[1]),
        i32((*in)[2]), i32((*in)[3]), i32((*in)[4]),
        pointerArg(op.getWeights(), operands), pointerArg(op.getBias(), operands),
        pointerArg(op.getInit(), operands), i32((*out)[0]), i32((*out)[1]),
        i32(channelArg), i32((*out)[3]), i32((*out)[4]), i32(w.getDimSize(khDim)),
        i32(w.getDimSize(khDim + 1)), i32(op.getStride()[0]), i32(op.getStride()[1]),
        i32(op.getDilation()[0]), i32(op.getDilation()[1]), i32(op.getPad()[0]),
        i32(op.getPad()[2]), i32(-static_cast<int32_t>(op.getInputZp())),
        i32(op.getOutputZp()), opaque(mult), opaque(shift),
        i32(op.getClampMin()),
        i32(op.getClampMax())};
    if (scratch) {
      // The planner's scratch buffer, or NULL: the kernel then takes its
      // slower tap-by-tap path (same results).
      std::string expr = "NULL";
      if (auto s = op->template getAttrOfType<DictionaryAttr>("tinyts.scratch")) {
        auto arena = s.template getAs<FlatSymbolRefAttr>("arena");
        auto offset = s.template getAs<IntegerAttr>("offset");
        auto name = arena ? globalNames.find(arena.getValue()) : globalNames.end();
        if (!offset || name == globalNames.end())
          return op.emitError() << "has a malformed tinyts.scratch attribute "
                                   "(expects {arena = @global, offset = N})";
        expr = "(" + name->second + " + " + std::to_string(offset.getInt()) + ")";
      }
      args.push_back(opaque(expr));
    }
    std::string prepared = prepArray(op, /*depthwise=*/!scratch, outC,
                                     w.getDimSize(khDim), w.getDimSize(khDim + 1));
    std::string name = callee.str();
    if (!prepared.empty()) {
      args.push_back(opaque(prepared));
      name.replace(name.rfind("_s8"), 3, "_prep_s8");
    }
    callWindowed(op, op.getInput(), name, args, operands, /*rowStrideArg=*/4);
    return success();
  }

  LogicalResult lowerConv(Conv2DOp op) {
    int64_t outC = cast<MemRefType>(op.getInit().getType()).getDimSize(3);
    return lowerConvLike(op, "tinyts_conv2d_s8", /*khDim=*/1, outC,
                         /*scratch=*/true);
  }

  LogicalResult lowerDepthwise(DepthwiseConv2DOp op) {
    int64_t multiplier = cast<MemRefType>(op.getWeights().getType()).getDimSize(3);
    return lowerConvLike(op, "tinyts_depthwise_conv2d_s8", /*khDim=*/0,
                         multiplier, /*scratch=*/false);
  }

  LogicalResult lowerFullyConnected(FullyConnectedOp op) {
    if (failed(checkOperands(op)))
      return failure();
    auto in = cast<MemRefType>(op.getInput().getType());
    auto out = cast<MemRefType>(op.getInit().getType());
    const Pointer &pin = pointers[op.getInput()];
    const Pointer &pout = pointers[op.getInit()];
    if (pin.strides.size() != 2 || pin.strides[1] != 1 || pout.strides.size() != 2 ||
        pout.strides[1] != 1)
      return op.emitError() << "expects rows of contiguous features";
    int64_t outN = out.getDimSize(1);
    bool perChannel = op.getMultiplier().size() != 1;
    ++paramCounter;
    int64_t n = perChannel ? outN : 1;
    std::string mult = paramArray(op.getLoc(), "mult", op.getMultiplier(), n);
    std::string shift = paramArray(op.getLoc(), "shift", op.getShift(), n);
    SmallVector<Value> operands;
    SmallVector<Attribute> args = {
        pointerArg(op.getInput(), operands), i32(in.getDimSize(0)),
        i32(in.getDimSize(1)), i32(pin.strides[0]),
        pointerArg(op.getWeights(), operands), pointerArg(op.getBias(), operands),
        pointerArg(op.getInit(), operands), i32(outN), i32(pout.strides[0]),
        i32(-static_cast<int32_t>(op.getInputZp())), i32(0),
        i32(op.getOutputZp()), opaque(mult), opaque(shift),
        i32(perChannel ? 1 : 0), i32(op.getClampMin()),
        i32(op.getClampMax())};
    call(op, "tinyts_fully_connected_s8", args, operands);
    return success();
  }

  /// {H, W, C, row stride, pixel stride, channel stride} of an elementwise
  /// operand addressed over the result's index space `out`: dimensions the
  /// operand broadcasts get stride 0, and the shape is folded to 3
  /// dimensions (leading dimensions of the result must be 1).
  FailureOr<std::array<int64_t, 6>> elementwise(Operation *op, Value v,
                                                MemRefType out) {
    auto type = cast<MemRefType>(v.getType());
    const Pointer &p = pointers[v];
    int64_t rank = out.getRank();
    if (type.getRank() != rank || (int64_t)p.strides.size() != rank)
      return op->emitError() << "expects a strided operand of the result's rank, got "
                             << type;
    std::array<int64_t, 3> size = {1, 1, 1}, stride = {0, 0, 0};
    for (int64_t d = 0; d < rank; ++d) {
      int64_t slot = d - (rank - 3);
      if (slot < 0) {
        if (out.getDimSize(d) != 1)
          return op->emitError() << "expects the leading dimensions of " << out
                                 << " to be 1 (at most 3 non-unit dimensions)";
        continue;
      }
      size[slot] = out.getDimSize(d);
      stride[slot] = type.getDimSize(d) == 1 ? 0 : p.strides[d];
    }
    return std::array<int64_t, 6>{size[0], size[1], size[2],
                                  stride[0], stride[1], stride[2]};
  }

  /// The operands of tinyts_add_s8 / tinyts_mul_s8: three strided operands
  /// and the 3-D extent.
  template <typename BinOp>
  LogicalResult binaryOperands(BinOp op, SmallVectorImpl<Value> &operands,
                               SmallVectorImpl<Attribute> &args) {
    if (failed(checkOperands(op)))
      return failure();
    auto outType = cast<MemRefType>(op.getInit().getType());
    auto a = elementwise(op, op.getLhs(), outType);
    auto b = elementwise(op, op.getRhs(), outType);
    auto o = elementwise(op, op.getInit(), outType);
    if (failed(a) || failed(b) || failed(o))
      return failure();
    if ((*o)[5] != 1)
      return op.emitError() << "expects a result with contiguous channels";
    args.append({pointerArg(op.getLhs(), operands), i32((*a)[3]), i32((*a)[4]),
                 i32((*a)[5]), pointerArg(op.getRhs(), operands), i32((*b)[3]),
                 i32((*b)[4]), i32((*b)[5]), pointerArg(op.getInit(), operands),
                 i32((*o)[3]), i32((*o)[4]), i32((*o)[0]), i32((*o)[1]),
                 i32((*o)[2])});
    return success();
  }

  LogicalResult lowerAdd(AddOp op) {
    SmallVector<Value> operands;
    SmallVector<Attribute> args;
    if (failed(binaryOperands(op, operands, args)))
      return failure();
    args.append({
        i32(-static_cast<int32_t>(op.getLhsZp())),
        i32(op.getLhsMultiplier()),
        i32(op.getLhsShift()),
        i32(-static_cast<int32_t>(op.getRhsZp())),
        i32(op.getRhsMultiplier()),
        i32(op.getRhsShift()),
        i32(op.getLeftShift()),
        i32(op.getOutputZp()),
        i32(op.getOutputMultiplier()),
        i32(op.getOutputShift()),
        i32(op.getClampMin()),
        i32(op.getClampMax())});
    call(op, "tinyts_add_s8", args, operands);
    return success();
  }

  template <typename PoolOp>
  LogicalResult lowerPool(PoolOp op, StringRef callee) {
    if (failed(checkOperands(op)))
      return failure();
    auto in = nhwc(op, op.getInput(), "the input");
    auto out = nhwc(op, op.getInit(), "the output");
    if (failed(in) || failed(out))
      return failure();
    SmallVector<Value> operands;
    SmallVector<Attribute> args = {
        pointerArg(op.getInput(), operands), i32((*in)[0]), i32((*in)[1]),
        i32((*in)[2]), i32((*in)[3]), i32((*in)[4]),
        pointerArg(op.getInit(), operands), i32((*out)[0]), i32((*out)[1]),
        i32((*out)[3]), i32((*out)[4]), i32(op.getKernel()[0]),
        i32(op.getKernel()[1]), i32(op.getStride()[0]), i32(op.getStride()[1]),
        i32(op.getPad()[0]), i32(op.getPad()[2]),
        i32(op.getClampMin()),
        i32(op.getClampMax())};
    callWindowed(op, op.getInput(), callee, args, operands, /*rowStrideArg=*/4);
    return success();
  }

  /// One band of a streamed global average pool: per-channel int32 sums.
  LogicalResult lowerRowSum(RowSumOp op) {
    if (failed(checkOperands(op)))
      return failure();
    auto in = nhwc(op, op.getInput(), "the input");
    if (failed(in))
      return failure();
    if (!contiguous(op.getInit()))
      return op.emitError() << "expects contiguous sums";
    SmallVector<Value> operands;
    SmallVector<Attribute> args = {
        pointerArg(op.getInput(), operands), i32((*in)[0]), i32((*in)[1]),
        i32((*in)[2]), i32((*in)[3]), i32((*in)[4]),
        pointerArg(op.getInit(), operands), i32(op.getAccumulate() ? 1 : 0)};
    callWindowed(op, op.getInput(), "tinyts_row_sum_s8", args, operands,
                 /*rowStrideArg=*/4);
    return success();
  }

  LogicalResult lowerAvgPoolFinish(AvgPoolFinishOp op) {
    if (failed(checkOperands(op)))
      return failure();
    if (!contiguous(op.getSums()) || !contiguous(op.getInit()))
      return op.emitError() << "expects contiguous sums and result";
    SmallVector<Value> operands;
    SmallVector<Attribute> args = {
        pointerArg(op.getSums(), operands),
        i32(cast<MemRefType>(op.getSums().getType()).getDimSize(0)),
        i32(op.getCount()), i32(op.getClampMin()), i32(op.getClampMax()),
        pointerArg(op.getInit(), operands)};
    call(op, "tinyts_avg_pool_finish_s8", args, operands);
    return success();
  }

  LogicalResult lowerSoftmax(SoftmaxOp op) {
    if (failed(checkOperands(op)))
      return failure();
    auto type = cast<MemRefType>(op.getInput().getType());
    int64_t n = type.getShape().back();
    int64_t rows = type.getNumElements() / n;
    if (!contiguous(op.getInput()) || !contiguous(op.getInit()))
      return op.emitError() << "expects contiguous rows";
    SmallVector<Value> operands;
    SmallVector<Attribute> args = {
        pointerArg(op.getInput(), operands), i32(rows), i32(n), i32(n),
        pointerArg(op.getInit(), operands), i32(n),
        i32(op.getInputMultiplier()),
        i32(op.getInputLeftShift()),
        i32(op.getDiffMin())};
    call(op, "tinyts_softmax_s8", args, operands);
    return success();
  }

  /// Concatenation along any axis of contiguous tensors: each input is a
  /// block of rows (the dimensions before the axis) of `block` bytes, copied
  /// at its byte offset inside the result's rows.
  LogicalResult lowerConcat(ConcatOp op) {
    if (failed(checkOperands(op)))
      return failure();
    auto out = cast<MemRefType>(op.getInit().getType());
    int64_t axis = op.getAxis();
    int64_t rows = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d)
      rows *= out.getDimSize(d);
    for (int64_t d = axis + 1; d < out.getRank(); ++d)
      inner *= out.getDimSize(d);
    int64_t outRow = out.getDimSize(axis) * inner;
    if (!contiguous(op.getInit()))
      return op.emitError() << "expects a contiguous result";
    int64_t offset = 0;
    for (Value in : op.getInputs()) {
      auto t = cast<MemRefType>(in.getType());
      if (!contiguous(in))
        return op.emitError() << "expects contiguous inputs";
      int64_t block = t.getDimSize(axis) * inner;
      SmallVector<Value> operands;
      SmallVector<Attribute> args = {
          pointerArg(in, operands), i32(1), i32(rows), i32(block), i32(0),
          i32(block), pointerArg(op.getInit(), operands), i32(0), i32(outRow),
          i32(offset)};
      call(op, "tinyts_concat_channels_s8", args, operands);
      offset += block;
    }
    return success();
  }

  LogicalResult lowerResize(ResizeNearestOp op) {
    if (failed(checkOperands(op)))
      return failure();
    auto in = nhwc(op, op.getInput(), "the input");
    auto out = nhwc(op, op.getInit(), "the output");
    if (failed(in) || failed(out))
      return failure();
    SmallVector<Value> operands;
    SmallVector<Attribute> args = {
        pointerArg(op.getInput(), operands), i32((*in)[0]), i32((*in)[1]),
        i32((*in)[2]), i32((*in)[3]), i32((*in)[4]),
        pointerArg(op.getInit(), operands), i32((*out)[0]), i32((*out)[1]),
        i32((*out)[3]), i32((*out)[4])};
    call(op, "tinyts_resize_nearest_s8", args, operands);
    return success();
  }

  LogicalResult lowerMul(MulOp op) {
    SmallVector<Value> operands;
    SmallVector<Attribute> args;
    if (failed(binaryOperands(op, operands, args)))
      return failure();
    args.append({i32(-static_cast<int32_t>(op.getLhsZp())),
                 i32(-static_cast<int32_t>(op.getRhsZp())),
                 i32(op.getOutputZp()),
                 i32(op.getMultiplier()),
                 i32(op.getShift()),
                 i32(op.getClampMin()),
                 i32(op.getClampMax())});
    call(op, "tinyts_mul_s8", args, operands);
    return success();
  }

  /// MEAN maps onto tinyts_mean_s8's (outer, kept element, row, column)
  /// walk: the kept non-unit dimensions must fold into at most two strided
  /// dimensions, at most two reduced dimensions are non-unit, and the result
  /// is contiguous.
  LogicalResult lowerMean(MeanOp op) {
    if (failed(checkOperands(op)))
      return failure();
    auto type = cast<MemRefType>(op.getInput().getType());
    const Pointer &p = pointers[op.getInput()];
    if (!contiguous(op.getInit()))
      return op.emitError() << "expects a contiguous result";
    // (size, stride) of the non-unit dimensions, outermost first; adjacent
    // kept dimensions that are contiguous with each other are merged.
    SmallVector<std::pair<int64_t, int64_t>> kept, reduced;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      int64_t size = type.getDimSize(d), stride = p.strides[d];
      if (size == 1)
        continue;
      if (llvm::is_contained(op.getAxes(), d)) {
        reduced.push_back({size, stride});
      } else if (!kept.empty() && kept.back().second == size * stride) {
        kept.back() = {kept.back().first * size, stride};
      } else {
        kept.push_back({size, stride});
      }
    }
    if (kept.size() > 2 || reduced.size() > 2)
      return op.emitError() << "cannot walk " << type << " reduced over "
                            << "its axes with two kept and two reduced strides";
    while (kept.size() < 2)
      kept.insert(kept.begin(), {1, 0});
    while (reduced.size() < 2)
      reduced.insert(reduced.begin(), {1, 0});
    SmallVector<Value> operands;
    SmallVector<Attribute> args = {
        pointerArg(op.getInput(), operands), i32(kept[0].first),
        i32(kept[0].second), i32(kept[1].first), i32(kept[1].second),
        i32(reduced[0].first), i32(reduced[1].first), i32(reduced[0].second),
        i32(reduced[1].second), pointerArg(op.getInit(), operands),
        i32(op.getInputZp()),
        i32(op.getOutputZp()),
        i32(op.getMultiplier()),
        i32(op.getShift())};
    call(op, "tinyts_mean_s8", args, operands);
    return success();
  }

  LogicalResult lowerTranspose(TransposeOp op) {
    if (failed(checkOperands(op)))
      return failure();
    auto type = cast<MemRefType>(op.getInput().getType());
    if (!contiguous(op.getInput()) || !contiguous(op.getInit()))
      return op.emitError() << "expects contiguous input and result";
    SmallVector<int32_t> dims, perms(op.getPerms());
    for (int64_t d : type.getShape())
      dims.push_back(static_cast<int32_t>(d));
    ++paramCounter;
    int64_t rank = type.getRank();
    std::string dimsName = paramArray(op.getLoc(), "dims", dims, rank);
    std::string permsName = paramArray(op.getLoc(), "perms", perms, rank);
    SmallVector<Value> operands;
    SmallVector<Attribute> args = {pointerArg(op.getInput(), operands),
                                   opaque(dimsName), i32(rank), opaque(permsName),
                                   pointerArg(op.getInit(), operands)};
    call(op, "tinyts_transpose_s8", args, operands);
    return success();
  }

  LogicalResult lowerPad(PadOp op) {
    if (failed(checkOperands(op)))
      return failure();
    auto in = nhwc(op, op.getInput(), "the input");
    auto out = nhwc(op, op.getInit(), "the output");
    if (failed(in) || failed(out))
      return failure();
    ArrayRef<int64_t> pad = op.getPad();
    SmallVector<Value> operands;
    SmallVector<Attribute> args = {
        pointerArg(op.getInput(), operands), i32((*in)[0]), i32((*in)[1]),
        i32((*in)[2]), i32((*in)[3]), i32((*in)[4]),
        pointerArg(op.getInit(), operands), i32((*out)[0]), i32((*out)[1]),
        i32((*out)[2]), i32((*out)[3]), i32((*out)[4]), i32(pad[2]),
        i32(pad[4]), i32(pad[6]), i32(op.getValue())};
    call(op, "tinyts_pad_s8", args, operands);
    return success();
  }

  /// Row stride of a batch-1 NHWC buffer whose rows are each contiguous
  /// (pixels at the channel count apart), e.g. a patch of a larger tensor.
  std::optional<int64_t> contiguousRows(Value v) {
    auto type = cast<MemRefType>(v.getType());
    const Pointer &p = pointers[v];
    if (type.getRank() != 4 || type.getDimSize(0) != 1 || p.strides.size() != 4 ||
        p.strides[3] != 1 || p.strides[2] != type.getDimSize(3))
      return std::nullopt;
    return p.strides[1];
  }

  /// quantize / dequantize: contiguous buffers, `scale` as an exact C99
  /// hexadecimal float literal. Buffers whose rows are contiguous but not
  /// adjacent (a region of a larger NHWC tensor) take one call per row.
  template <typename QOp>
  LogicalResult lowerQuantization(QOp op, StringRef callee) {
    if (failed(checkOperands(op)))
      return failure();
    auto type = cast<MemRefType>(op.getInput().getType());
    char scale[64];
    snprintf(scale, sizeof(scale), "%af",
             static_cast<double>(op.getScale().convertToFloat()));
    auto emit = [&](const Pointer &in, const Pointer &out, int64_t n) {
      SmallVector<Value> operands;
      SmallVector<Attribute> args;
      for (const Pointer *p : {&in, &out}) {
        if (p->arg) {
          operands.push_back(p->arg);
          args.push_back(builder.getIndexAttr(operands.size() - 1));
        } else {
          args.push_back(opaque(p->expr));
        }
      }
      args.append({i32(n), opaque(scale), i32(op.getZeroPoint())});
      call(op, callee, args, operands);
    };
    const Pointer &in = pointers[op.getInput()], &out = pointers[op.getInit()];
    if (contiguous(op.getInput()) && contiguous(op.getInit())) {
      emit(in, out, type.getNumElements());
      return success();
    }
    std::optional<int64_t> inRow = contiguousRows(op.getInput());
    std::optional<int64_t> outRow = contiguousRows(op.getInit());
    if (!inRow || !outRow)
      return op.emitError() << "expects contiguous input and result, or NHWC "
                               "buffers with contiguous rows";
    int64_t n = type.getDimSize(2) * type.getDimSize(3);
    for (int64_t r = 0; r < type.getDimSize(1); ++r)
      emit(offsetPointer(in, r * *inRow, in.strides),
           offsetPointer(out, r * *outRow, out.strides), n);
    return success();
  }

  ModuleOp module;
  MLIRContext *ctx;
  std::string prefix;
  OpBuilder builder;
  DenseMap<Value, Pointer> pointers;
  llvm::StringMap<std::string> globalNames;
  SmallVector<Operation *> deadGlobals;
  emitc::FuncOp entry;
  int paramCounter = 0;
  std::map<std::pair<std::string, std::vector<int32_t>>, std::string> constArrays;
  // Depthwise calls per weight global (kept across renaming): a layer split
  // into bands is one call per band.
  DenseMap<Operation *, int> weightCalls;
};

struct LowerToEmitCPass
    : tinyts::impl::TinyTSLowerToEmitCBase<LowerToEmitCPass> {
  using TinyTSLowerToEmitCBase::TinyTSLowerToEmitCBase;

  void runOnOperation() override {
    if (failed(ModelLowering(getOperation(), prefix).run()))
      signalPassFailure();
  }
};

} // namespace
