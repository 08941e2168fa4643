//===- PlanMemory.cpp - liveness-based static arena planning ----*- C++ -*-===//
//
// Part of TinyTS-MLIR. Implements tinyts-plan-memory: live intervals of the
// buffers of a straight-line schedule, greedy placement in one arena, and
// the rewrite of every allocation into a view of that arena.
//
//===----------------------------------------------------------------------===//

#include "tinyts/Passes.h"
#include "tinyts/TinyTSOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/Support/MathExtras.h"

namespace mlir {
namespace tinyts {
#define GEN_PASS_DEF_TINYTSPLANMEMORY
#include "tinyts/Passes.h.inc"
} // namespace tinyts
} // namespace mlir

using namespace mlir;
using namespace mlir::tinyts;

namespace {

/// One buffer to place: one or several allocations merged by in-place reuse.
struct Buffer {
  SmallVector<Operation *> allocs;
  int64_t size = 0;
  int64_t first = 0;
  int64_t last = 0;
  int64_t offset = -1;
  std::string writer;
  /// A kernel's scratch buffer (no allocation): live during that kernel only.
  Operation *scratchFor = nullptr;
};

/// Bytes of scratch a kernel can use (0: none). conv2d gathers each output
/// pixel pair's window there (TINYTS_CONV2D_SCRATCH_BYTES) unless it is a
/// 1x1 convolution without padding, which runs from its input directly.
int64_t scratchBytes(Operation *op) {
  auto conv = dyn_cast<Conv2DOp>(op);
  if (!conv || !conv.hasPureBufferSemantics())
    return 0;
  auto w = cast<MemRefType>(conv.getWeights().getType());
  int64_t kh = w.getDimSize(1), kw = w.getDimSize(2), inC = w.getDimSize(3);
  bool pointwise = kh == 1 && kw == 1 &&
                   llvm::all_of(conv.getPad(), [](int64_t p) { return p == 0; });
  return pointwise ? 0 : 2 * kh * kw * inC;
}

/// The ops of the function body that use `root` directly or through views.
void collectUsers(Value root, SmallVectorImpl<Operation *> &users) {
  SmallVector<Value> worklist = {root};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (Operation *user : v.getUsers()) {
      users.push_back(user);
      if (auto view = dyn_cast<ViewLikeOpInterface>(user))
        if (view.getViewSource() == v)
          for (Value r : user->getResults())
            worklist.push_back(r);
      if (isa<memref::CastOp>(user))
        worklist.push_back(user->getResult(0));
    }
  }
}

/// Size in bytes of a statically shaped, identity-layout allocation.
FailureOr<int64_t> allocationBytes(Operation *alloc) {
  auto type = cast<MemRefType>(alloc->getResult(0).getType());
  if (!type.hasStaticShape()) {
    alloc->emitError() << "cannot place a buffer of dynamic shape " << type
                       << " in the static arena; every shape must be static";
    return failure();
  }
  if (!type.getLayout().isIdentity()) {
    alloc->emitError() << "cannot place a buffer with a non-identity layout "
                       << type << " in the arena";
    return failure();
  }
  // Whole bytes per element, as C stores them (an i1 is a 1-byte bool).
  unsigned bytes = llvm::divideCeil(type.getElementTypeBitWidth(), 8);
  return type.getNumElements() * bytes;
}

/// Elementwise kernels that may write over one of their inputs.
SmallVector<Value> inPlaceCandidates(Operation *op) {
  if (auto add = dyn_cast<AddOp>(op); add && !add.hasPureTensorSemantics())
    return {add.getLhs(), add.getRhs()};
  if (auto mul = dyn_cast<MulOp>(op); mul && !mul.hasPureTensorSemantics())
    return {mul.getLhs(), mul.getRhs()};
  return {};
}

struct PlanMemoryPass : tinyts::impl::TinyTSPlanMemoryBase<PlanMemoryPass> {
  using TinyTSPlanMemoryBase::TinyTSPlanMemoryBase;

  void runOnOperation() override {
    if (alignment < 1 || !llvm::isPowerOf2_64(alignment)) {
      getOperation().emitError() << "tinyts-plan-memory: alignment must be a "
                                    "power of two, got "
                                 << alignment;
      return signalPassFailure();
    }
    SmallVector<func::FuncOp> funcs(getOperation().getOps<func::FuncOp>());
    int64_t arenaBytes = 0;
    SmallVector<std::pair<func::FuncOp, SmallVector<Buffer>>> plans;
    for (func::FuncOp func : funcs) {
      if (func.isExternal())
        continue;
      FailureOr<SmallVector<Buffer>> plan = planFunction(func);
      if (failed(plan))
        return signalPassFailure();
      for (const Buffer &b : *plan)
        arenaBytes = std::max(arenaBytes, b.offset + b.size);
      plans.emplace_back(func, std::move(*plan));
    }
    arenaBytes = llvm::alignTo(arenaBytes, alignment);
    rewrite(plans, arenaBytes);
  }

  FailureOr<SmallVector<Buffer>> planFunction(func::FuncOp func) {
    if (!func.getBody().hasOneBlock()) {
      func.emitError() << "tinyts-plan-memory needs a function body of one "
                          "block (a straight-line schedule) but '"
                       << func.getName() << "' has "
                       << func.getBody().getBlocks().size();
      return failure();
    }
    Block &body = func.getBody().front();
    DenseMap<Operation *, int64_t> index;
    for (auto [i, op] : llvm::enumerate(body))
      index[&op] = i;

    // Every allocation, top level only.
    SmallVector<Operation *> allocs;
    WalkResult walk = func.walk([&](Operation *op) {
      if (!isa<memref::AllocOp, memref::AllocaOp>(op))
        return WalkResult::advance();
      if (op->getBlock() != &body) {
        op->emitError() << "cannot plan an allocation inside a region: the "
                           "arena planner needs every buffer at the top "
                           "level of the schedule";
        return WalkResult::interrupt();
      }
      allocs.push_back(op);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();

    // In-place reuse: an elementwise kernel's destination joins an input
    // buffer of the same type whose last use is that kernel.
    llvm::EquivalenceClasses<Operation *> classes;
    DenseMap<Operation *, std::pair<int64_t, int64_t>> interval;
    DenseMap<Operation *, int64_t> bytes;
    for (Operation *alloc : allocs) {
      classes.insert(alloc);
      FailureOr<int64_t> size = allocationBytes(alloc);
      if (failed(size))
        return failure();
      bytes[alloc] = *size;
      SmallVector<Operation *> users;
      collectUsers(alloc->getResult(0), users);
      // The interval runs from the first use (an allocation may be hoisted
      // above it) to the last, deallocations aside.
      int64_t first = INT64_MAX, last = INT64_MIN;
      for (Operation *user : users) {
        Operation *top = body.findAncestorOpInBlock(*user);
        if (!top || isa<memref::DeallocOp>(user))
          continue;
        first = std::min(first, index[top]);
        last = std::max(last, index[top]);
      }
      if (first == INT64_MAX)
        first = last = index[alloc];
      interval[alloc] = {first, last};
    }
    if (inPlace) {
      for (Operation &op : body) {
        auto dps = dyn_cast<DestinationStyleOpInterface>(&op);
        if (!dps || dps.getNumDpsInits() != 1)
          continue;
        Operation *out = dps.getDpsInitOperand(0)->get().getDefiningOp();
        if (!out || !interval.count(out))
          continue;
        for (Value input : inPlaceCandidates(&op)) {
          Operation *in = input.getDefiningOp();
          if (!in || !interval.count(in) || in == out ||
              input.getType() != dps.getDpsInitOperand(0)->get().getType() ||
              interval[in].second != index[&op] ||
              classes.isEquivalent(in, out))
            continue;
          // `out` must not be used before this kernel writes it.
          bool usedBefore = false;
          SmallVector<Operation *> outUsers;
          collectUsers(out->getResult(0), outUsers);
          for (Operation *user : outUsers) {
            Operation *top = body.findAncestorOpInBlock(*user);
            usedBefore |= top && index[top] < index[&op];
          }
          if (usedBefore)
            continue;
          classes.unionSets(in, out);
          break;
        }
      }
    }

    // One buffer per class, then greedy placement, largest first.
    SmallVector<Buffer> buffers;
    for (auto it = classes.begin(); it != classes.end(); ++it) {
      if (!(*it)->isLeader())
        continue;
      Buffer b;
      b.first = INT64_MAX;
      b.last = INT64_MIN;
      for (auto member = classes.member_begin(**it);
           member != classes.member_end(); ++member) {
        Operation *alloc = *member;
        b.allocs.push_back(alloc);
        b.size = std::max(b.size, bytes[alloc]);
        b.first = std::min(b.first, interval[alloc].first);
        b.last = std::max(b.last, interval[alloc].second);
      }
      llvm::sort(b.allocs, [&](Operation *x, Operation *y) {
        return index[x] < index[y];
      });
      b.writer = firstWriter(b.allocs.front());
      buffers.push_back(std::move(b));
    }
    if (scratch) {
      for (Operation &op : body) {
        int64_t size = scratchBytes(&op);
        if (size == 0)
          continue;
        Buffer b;
        b.size = size;
        b.first = b.last = index[&op];
        b.writer = op.getName().getStringRef().str() + " scratch";
        b.scratchFor = &op;
        buffers.push_back(std::move(b));
      }
    }
    llvm::sort(buffers, [](const Buffer &x, const Buffer &y) {
      if (x.size != y.size)
        return x.size > y.size;
      return x.first < y.first;
    });
    SmallVector<const Buffer *> placed;
    for (Buffer &b : buffers) {
      SmallVector<const Buffer *> overlapping;
      for (const Buffer *p : placed)
        if (p->first <= b.last && b.first <= p->last)
          overlapping.push_back(p);
      llvm::sort(overlapping, [](const Buffer *x, const Buffer *y) {
        return x->offset < y->offset;
      });
      int64_t candidate = 0;
      for (const Buffer *p : overlapping) {
        if (candidate + b.size <= p->offset)
          break;
        candidate = std::max<int64_t>(
            candidate, llvm::alignTo(p->offset + p->size, alignment));
      }
      b.offset = candidate;
      placed.push_back(&b);
    }
    llvm::sort(buffers, [](const Buffer &x, const Buffer &y) {
      return x.first < y.first;
    });
    return buffers;
  }

  /// Name of the first op that writes into the allocation (for the plan).
  static std::string firstWriter(Operation *alloc) {
    SmallVector<Operation *> users;
    collectUsers(alloc->getResult(0), users);
    Operation *best = nullptr;
    for (Operation *user : users) {
      auto dps = dyn_cast<DestinationStyleOpInterface>(user);
      bool writes = dps && llvm::any_of(dps.getDpsInitsMutable(), [&](OpOperand &o) {
                      return o.get() == alloc->getResult(0);
                    });
      if (writes && (!best || user->isBeforeInBlock(best)))
        best = user;
    }
    return best ? best->getName().getStringRef().str() : "";
  }

  void rewrite(MutableArrayRef<std::pair<func::FuncOp, SmallVector<Buffer>>> plans,
               int64_t arenaBytes) {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    OpBuilder builder(ctx);
    auto i64 = IntegerType::get(ctx, 64);
    auto arenaType = MemRefType::get({arenaBytes}, IntegerType::get(ctx, 8));
    if (arenaBytes > 0) {
      builder.setInsertionPointToStart(module.getBody());
      memref::GlobalOp::create(builder, module.getLoc(), arenaName,
                               builder.getStringAttr("private"), arenaType,
                               /*initial_value=*/Attribute(), /*constant=*/false,
                               builder.getI64IntegerAttr(alignment));
    }
    for (auto &[func, buffers] : plans) {
      SmallVector<Attribute> plan;
      Block &body = func.getBody().front();
      builder.setInsertionPointToStart(&body);
      Value arena;
      if (llvm::any_of(buffers, [](const Buffer &b) { return !b.allocs.empty(); }))
        arena = memref::GetGlobalOp::create(builder, func.getLoc(), arenaType,
                                            arenaName);
      for (Buffer &b : buffers) {
        if (b.scratchFor)
          b.scratchFor->setAttr(
              "tinyts.scratch",
              DictionaryAttr::get(
                  ctx, {NamedAttribute(StringAttr::get(ctx, "arena"),
                                       FlatSymbolRefAttr::get(ctx, arenaName)),
                        NamedAttribute(StringAttr::get(ctx, "offset"),
                                       IntegerAttr::get(i64, b.offset))}));
        for (Operation *alloc : b.allocs) {
          builder.setInsertionPoint(alloc);
          Value offset = arith::ConstantIndexOp::create(builder, alloc->getLoc(), b.offset);
          Value view = memref::ViewOp::create(builder, alloc->getLoc(),
                                              alloc->getResult(0).getType(),
                                              arena, offset, ValueRange{});
          SmallVector<Operation *> deallocs;
          for (Operation *user : alloc->getResult(0).getUsers())
            if (isa<memref::DeallocOp>(user))
              deallocs.push_back(user);
          for (Operation *d : deallocs)
            d->erase();
          alloc->getResult(0).replaceAllUsesWith(view);
          alloc->erase();
        }
        plan.push_back(DictionaryAttr::get(
            ctx, {NamedAttribute(StringAttr::get(ctx, "op"),
                                 StringAttr::get(ctx, b.writer)),
                  NamedAttribute(StringAttr::get(ctx, "offset"),
                                 IntegerAttr::get(i64, b.offset)),
                  NamedAttribute(StringAttr::get(ctx, "size"),
                                 IntegerAttr::get(i64, b.size)),
                  NamedAttribute(StringAttr::get(ctx, "first"),
                                 IntegerAttr::get(i64, b.first)),
                  NamedAttribute(StringAttr::get(ctx, "last"),
                                 IntegerAttr::get(i64, b.last))}));
      }
      func->setAttr("tinyts.arena_bytes", IntegerAttr::get(i64, arenaBytes));
      func->setAttr("tinyts.memory_plan", ArrayAttr::get(ctx, plan));
    }
  }
};

} // namespace
