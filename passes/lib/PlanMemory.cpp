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

#include <set>

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
/// A part of a buffer with its own live interval, at a fixed offset inside
/// the buffer (a band of rows of a buffer accessed band by band).
struct Piece {
  int64_t offset, size, first, last;
};

struct Buffer {
  SmallVector<Operation *> allocs;
  /// Parts with their own intervals; empty: the whole buffer, [first, last].
  SmallVector<Piece> pieces;
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
      if (isa<memref::CastOp, WindowOp>(user))
        worklist.push_back(user->getResult(0));
    }
  }
}

/// Elements [lo, hi) of a buffer (row-major offsets from its base) touched
/// by `user` at some point of the schedule.
struct RowAccess {
  int64_t lo, hi;
  Operation *user;
};

/// Whether `sub` selects whole rows [offset, offset + size) of its source
/// (dimension 1 only, unit strides).
std::optional<std::pair<int64_t, int64_t>> rowBand(memref::SubViewOp sub) {
  auto source = cast<MemRefType>(sub.getSource().getType());
  if (source.getRank() < 2 || !sub.getOffsets().empty() ||
      !sub.getSizes().empty() || !sub.getStrides().empty() ||
      sub.getType().getRank() != source.getRank())
    return std::nullopt;
  for (int64_t d = 0; d < source.getRank(); ++d) {
    if (sub.getStaticStrides()[d] != 1)
      return std::nullopt;
    if (d != 1 && (sub.getStaticOffsets()[d] != 0 ||
                   sub.getStaticSizes()[d] != source.getDimSize(d)))
      return std::nullopt;
  }
  return std::make_pair(sub.getStaticOffsets()[1], sub.getStaticSizes()[1]);
}

/// Elements [lo, hi) of the underlying buffer that a view of static shape
/// and layout spans: its layout's offset and strides are relative to the
/// buffer's base (subviews and reshapes compose them), whatever the view's
/// own shape.
std::optional<std::pair<int64_t, int64_t>> elementSpan(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (!type.hasStaticShape() || failed(type.getStridesAndOffset(strides, offset)) ||
      ShapedType::isDynamic(offset) ||
      llvm::any_of(strides, [](int64_t s) { return ShapedType::isDynamic(s) || s < 0; }))
    return std::nullopt;
  if (type.getNumElements() == 0)
    return std::make_pair(offset, offset);
  int64_t last = offset;
  for (auto [size, stride] : llvm::zip(type.getShape(), strides))
    last += (size - 1) * stride;
  return std::make_pair(offset, last + 1);
}

/// Every use of `root` (an identity-layout buffer of `elements` elements)
/// with the elements it touches, as offsets from the root's base. A subview
/// narrows the range to the elements its layout spans; this holds through
/// reshapes (expand/collapse_shape) and casts, which keep the root's base,
/// so a band of rows of a reshaped buffer (e.g. a 1x490 input seen as
/// 1x49x10x1) maps to the right elements of the root, not to the root's own
/// rows. Past a window (a new buffer over bands) layouts are no longer
/// relative to the root: the range reaching it passes on unchanged.
void collectRowAccesses(Value root, int64_t elements, SmallVectorImpl<RowAccess> &out) {
  // (value, lo, hi, whether the value's layout is relative to the root's base)
  SmallVector<std::tuple<Value, int64_t, int64_t, bool>> worklist = {
      {root, 0, elements, true}};
  while (!worklist.empty()) {
    auto [v, lo, hi, based] = worklist.pop_back_val();
    for (Operation *user : v.getUsers()) {
      out.push_back({lo, hi, user});
      if (isa<memref::SubViewOp, memref::ExpandShapeOp, memref::CollapseShapeOp,
              memref::CastOp>(user)) {
        if (user->getOperand(0) != v)
          continue;
        Value r = user->getResult(0);
        std::optional<std::pair<int64_t, int64_t>> span;
        if (based && isa<memref::SubViewOp>(user))
          span = elementSpan(cast<MemRefType>(r.getType()));
        if (span)
          worklist.push_back({r, std::max(lo, span->first), std::min(hi, span->second),
                              true});
        else
          worklist.push_back({r, lo, hi, based});
        continue;
      }
      if (auto view = dyn_cast<ViewLikeOpInterface>(user)) {
        if (view.getViewSource() == v)
          for (Value r : user->getResults())
            worklist.push_back({r, lo, hi, false});
        continue;
      }
      if (isa<WindowOp>(user))
        worklist.push_back({user->getResult(0), lo, hi, false});
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

    if (inputInArena)
      copyInputsIntoArena(func);
    elideSelfCopies(body);
    elideJoinCopies(body);
    index.clear();
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
    DenseMap<Operation *, SmallVector<Piece>> pieces;
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
      pieces[alloc] = rowPieces(alloc, body, index);
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
              !pieces[in].empty() || !pieces[out].empty() ||
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
      if (b.allocs.size() == 1)
        b.pieces = pieces[b.allocs.front()];
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
    // Lowest aligned offset where no piece overlaps a placed piece that is
    // live at the same time.
    SmallVector<Piece> placed;
    for (Buffer &b : buffers) {
      SmallVector<Piece> mine = b.pieces;
      if (mine.empty())
        mine.push_back({0, b.size, b.first, b.last});
      // Offsets in the open interval (lo, hi) are forbidden.
      SmallVector<std::pair<int64_t, int64_t>> forbidden;
      for (const Piece &m : mine)
        for (const Piece &p : placed)
          if (p.first <= m.last && m.first <= p.last)
            forbidden.push_back({p.offset - m.offset - m.size, p.offset + p.size - m.offset});
      llvm::sort(forbidden);
      int64_t candidate = 0;
      for (auto [lo, hi] : forbidden) {
        if (candidate <= lo)
          break;
        if (candidate < hi)
          candidate = llvm::alignTo(hi, alignment);
      }
      // A later interval may start below the candidate: sweep until stable.
      for (bool moved = true; moved;) {
        moved = false;
        for (auto [lo, hi] : forbidden)
          if (lo < candidate && candidate < hi) {
            candidate = llvm::alignTo(hi, alignment);
            moved = true;
          }
      }
      b.offset = candidate;
      for (const Piece &m : mine)
        placed.push_back({candidate + m.offset, m.size, m.first, m.last});
    }
    llvm::sort(buffers, [](const Buffer &x, const Buffer &y) {
      return x.first < y.first;
    });
    return buffers;
  }

  /// Pieces of an allocation accessed band by band (e.g. bands of rows along
  /// dimension 1, possibly of a reshaped view of it): one per run of
  /// elements between the boundaries of the accessed ranges, each live from
  /// its first to its last access. Empty if some access covers the whole
  /// buffer only or the buffer has a single piece.
  static SmallVector<Piece> rowPieces(Operation *alloc, Block &body,
                                      DenseMap<Operation *, int64_t> &index) {
    auto type = cast<MemRefType>(alloc->getResult(0).getType());
    if (!type.hasStaticShape() || !type.getLayout().isIdentity())
      return {};
    int64_t elements = type.getNumElements();
    unsigned elemBytes = llvm::divideCeil(type.getElementTypeBitWidth(), 8);
    SmallVector<RowAccess> accesses;
    collectRowAccesses(alloc->getResult(0), elements, accesses);
    std::set<int64_t> cuts = {0, elements};
    SmallVector<std::tuple<int64_t, int64_t, int64_t>> touches;
    for (const RowAccess &a : accesses) {
      if (isa<ViewLikeOpInterface, memref::CastOp, WindowOp, memref::DeallocOp>(a.user))
        continue;
      Operation *top = body.findAncestorOpInBlock(*a.user);
      if (!top || a.lo >= a.hi)
        continue;
      cuts.insert(a.lo);
      cuts.insert(a.hi);
      touches.push_back({a.lo, a.hi, index[top]});
    }
    if (cuts.size() <= 2 || touches.empty())
      return {};
    SmallVector<Piece> result;
    SmallVector<int64_t> bounds(cuts.begin(), cuts.end());
    for (size_t i = 0; i + 1 < bounds.size(); ++i) {
      int64_t first = INT64_MAX, last = INT64_MIN;
      for (auto [lo, hi, t] : touches)
        if (lo < bounds[i + 1] && bounds[i] < hi) {
          first = std::min(first, t);
          last = std::max(last, t);
        }
      if (first == INT64_MAX)
        continue; // elements nobody touches need no memory
      result.push_back({bounds[i] * elemBytes, (bounds[i + 1] - bounds[i]) * elemBytes,
                        first, last});
    }
    return result;
  }

  /// input-in-arena: each read-only integer memref argument is copied into a
  /// new allocation at entry, which the ops read instead.
  static void copyInputsIntoArena(func::FuncOp func) {
    Block &body = func.getBody().front();
    OpBuilder builder(func.getContext());
    builder.setInsertionPointToStart(&body);
    for (BlockArgument arg : body.getArguments()) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity() ||
          !type.getElementType().isInteger(8) || arg.use_empty())
        continue;
      // Written directly or through a view (e.g. a subview a patch of
      // tinyts-patch writes): an output, not an input.
      bool written = false;
      SmallVector<Operation *> users;
      collectUsers(arg, users);
      llvm::SmallPtrSet<Value, 8> views = {arg};
      for (Operation *user : users)
        if (isa<ViewLikeOpInterface, memref::CastOp>(user) &&
            views.contains(user->getOperand(0)))
          views.insert(user->result_begin(), user->result_end());
      for (Operation *user : users) {
        if (auto dps = dyn_cast<DestinationStyleOpInterface>(user))
          for (OpOperand &init : dps.getDpsInitsMutable())
            written |= views.contains(init.get());
        if (auto copy = dyn_cast<memref::CopyOp>(user))
          written |= views.contains(copy.getTarget());
      }
      if (written)
        continue;
      Value copy = memref::AllocOp::create(builder, func.getLoc(), type);
      arg.replaceAllUsesWith(copy);
      memref::CopyOp::create(builder, func.getLoc(), arg, copy);
    }
  }

  /// A tensor.insert_slice of the matching tensor.extract_slice (a kernel
  /// writing a region of a tensor in place, e.g. a tinyts-patch patch)
  /// bufferizes to a copy of a subview onto the same subview: nothing to do.
  static void elideSelfCopies(Block &body) {
    auto same = [](Value a, Value b) {
      if (a == b)
        return true;
      auto x = a.getDefiningOp<memref::SubViewOp>();
      auto y = b.getDefiningOp<memref::SubViewOp>();
      return x && y && x.getSource() == y.getSource() && x.getType() == y.getType() &&
             x.getOffsets().empty() && y.getOffsets().empty() &&
             x.getSizes().empty() && y.getSizes().empty() &&
             x.getStrides().empty() && y.getStrides().empty() &&
             x.getStaticOffsets() == y.getStaticOffsets() &&
             x.getStaticSizes() == y.getStaticSizes() &&
             x.getStaticStrides() == y.getStaticStrides();
    };
    for (memref::CopyOp copy : llvm::make_early_inc_range(body.getOps<memref::CopyOp>())) {
      if (!same(copy.getSource(), copy.getTarget()))
        continue;
      Value target = copy.getTarget();
      copy->erase();
      if (auto sub = target.getDefiningOp<memref::SubViewOp>(); sub && sub->use_empty())
        sub->erase();
    }
  }

  /// A tinyts.join bufferizes to a buffer and one memref.copy per band: let
  /// each band's producer write into its rows instead (the band's own
  /// allocation becomes a subview of the joined buffer).
  static void elideJoinCopies(Block &body) {
    SmallVector<memref::CopyOp> copies(body.getOps<memref::CopyOp>());
    for (memref::CopyOp copy : copies) {
      auto src = copy.getSource().getDefiningOp<memref::AllocOp>();
      auto dst = copy.getTarget().getDefiningOp<memref::SubViewOp>();
      if (!src || !dst || !rowBand(dst) || src.getType().getShape() !=
                                               dst.getType().getShape())
        continue;
      Value base = dst.getSource();
      auto baseAlloc = base.getDefiningOp<memref::AllocOp>();
      if (!baseAlloc && !isa<BlockArgument>(base))
        continue;
      // The copy must be the band's last use.
      bool usedAfter = llvm::any_of(src->getUsers(), [&](Operation *u) {
        Operation *top = body.findAncestorOpInBlock(*u);
        return top && top != copy && copy->isBeforeInBlock(top) &&
               !isa<memref::DeallocOp>(u);
      });
      if (usedAfter)
        continue;
      OpBuilder builder(copy);
      if (baseAlloc) {
        baseAlloc->moveBefore(&body, body.begin());
        builder.setInsertionPointAfter(baseAlloc);
      } else {
        builder.setInsertionPointToStart(&body);
      }
      auto place = memref::SubViewOp::create(
          builder, dst.getLoc(), dst.getType(), base, dst.getMixedOffsets(),
          dst.getMixedSizes(), dst.getMixedStrides());
      for (Operation *u : llvm::make_early_inc_range(src->getUsers()))
        if (isa<memref::DeallocOp>(u))
          u->erase();
      copy->erase();
      src.getResult().replaceAllUsesWith(place.getResult());
      src->erase();
      if (dst.use_empty())
        dst->erase();
    }
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
        // One entry per piece: a buffer planned band by band reports each
        // band of rows with its own interval.
        SmallVector<Piece> parts = b.pieces;
        if (parts.empty())
          parts.push_back({0, b.size, b.first, b.last});
        for (const Piece &part : parts)
          plan.push_back(DictionaryAttr::get(
              ctx, {NamedAttribute(StringAttr::get(ctx, "op"),
                                   StringAttr::get(ctx, b.writer)),
                    NamedAttribute(StringAttr::get(ctx, "offset"),
                                   IntegerAttr::get(i64, b.offset + part.offset)),
                    NamedAttribute(StringAttr::get(ctx, "size"),
                                   IntegerAttr::get(i64, part.size)),
                    NamedAttribute(StringAttr::get(ctx, "first"),
                                   IntegerAttr::get(i64, part.first)),
                    NamedAttribute(StringAttr::get(ctx, "last"),
                                   IntegerAttr::get(i64, part.last))}));
      }
      func->setAttr("tinyts.arena_bytes", IntegerAttr::get(i64, arenaBytes));
      func->setAttr("tinyts.memory_plan", ArrayAttr::get(ctx, plan));
    }
  }
};

} // namespace
