//===- Schedule.cpp - order the band ops of a split function ----*- C++ -*-===//
//
// Part of TinyTS-MLIR. Implements tinyts-schedule: a topological order of a
// straight-line function's ops chosen for memory (depth-first, breadth-first
// or greedy minimum peak).
//
//===----------------------------------------------------------------------===//

#include "tinyts/Passes.h"
#include "tinyts/TinyTSOps.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

namespace mlir {
namespace tinyts {
#define GEN_PASS_DEF_TINYTSSCHEDULE
#include "tinyts/Passes.h.inc"
} // namespace tinyts
} // namespace mlir

using namespace mlir;
using namespace mlir::tinyts;

namespace {

/// Bytes an op's results occupy once computed (views occupy none).
int64_t resultBytes(Operation *op) {
  // tensor.empty only names the destination its kernel fills.
  if (isa<SplitOp, WindowOp, tensor::EmptyOp>(op) ||
      op->hasTrait<OpTrait::ConstantLike>())
    return 0;
  int64_t bytes = 0;
  for (Value r : op->getResults())
    if (auto t = dyn_cast<RankedTensorType>(r.getType()); t && t.hasStaticShape())
      bytes += t.getNumElements() * ((t.getElementTypeBitWidth() + 7) / 8);
  return bytes;
}

struct SchedulePass : tinyts::impl::TinyTSScheduleBase<SchedulePass> {
  using TinyTSScheduleBase::TinyTSScheduleBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (order != "depth-first" && order != "breadth-first" && order != "min-peak") {
      func.emitError() << "tinyts-schedule: unknown order '" << order
                       << "'; expected depth-first, breadth-first or min-peak";
      return signalPassFailure();
    }
    if (!func.getBody().hasOneBlock())
      return;
    Block &body = func.getBody().front();
    Operation *terminator = body.getTerminator();
    SmallVector<Operation *> ops;
    DenseMap<Operation *, int64_t> position;
    for (Operation &op : body)
      if (&op != terminator) {
        position[&op] = ops.size();
        ops.push_back(&op);
      }

    // Dependences: SSA operands (also those used inside regions), plus the
    // program order among ops with memory effects.
    DenseMap<Operation *, SmallVector<Operation *>> preds;
    Operation *lastEffect = nullptr;
    for (Operation *op : ops) {
      llvm::SetVector<Operation *> deps;
      op->walk([&](Operation *inner) {
        for (Value v : inner->getOperands())
          if (Operation *def = v.getDefiningOp())
            if (Operation *top = body.findAncestorOpInBlock(*def);
                top && top != op && position.count(top))
              deps.insert(top);
      });
      if (!isMemoryEffectFree(op)) {
        if (lastEffect)
          deps.insert(lastEffect);
        lastEffect = op;
      }
      preds[op] = SmallVector<Operation *>(deps.begin(), deps.end());
    }

    SmallVector<Operation *> schedule;
    if (order == "depth-first")
      schedule = depthFirst(ops, preds, terminator, body);
    else
      schedule = listSchedule(ops, preds, position, order == "min-peak");
    for (Operation *op : schedule)
      op->moveBefore(terminator);
  }

  /// Demand-driven post-order from the terminator's operands (then any op
  /// nothing depends on, in program order).
  SmallVector<Operation *>
  depthFirst(ArrayRef<Operation *> ops,
             DenseMap<Operation *, SmallVector<Operation *>> &preds,
             Operation *terminator, Block &body) {
    SmallVector<Operation *> schedule;
    DenseSet<Operation *> done;
    auto visit = [&](Operation *root) {
      if (done.count(root))
        return;
      // Iterative DFS: (op, next predecessor to visit).
      SmallVector<std::pair<Operation *, size_t>> stack = {{root, 0}};
      DenseSet<Operation *> onStack = {root};
      while (!stack.empty()) {
        auto &[op, next] = stack.back();
        SmallVector<Operation *> &ps = preds[op];
        if (next < ps.size()) {
          Operation *p = ps[next++];
          if (!done.count(p) && !onStack.count(p)) {
            onStack.insert(p);
            stack.push_back({p, 0});
          }
          continue;
        }
        done.insert(op);
        schedule.push_back(op);
        onStack.erase(op);
        stack.pop_back();
      }
    };
    for (Value v : terminator->getOperands())
      if (Operation *def = v.getDefiningOp())
        if (Operation *top = body.findAncestorOpInBlock(*def); top && top != terminator)
          visit(top);
    for (Operation *op : ops)
      visit(op);
    return schedule;
  }

  /// Kahn's algorithm: by program order (breadth-first, since tinyts-split
  /// emits each op's bands in place of the op), or greedily by net bytes
  /// freed (min-peak).
  SmallVector<Operation *>
  listSchedule(ArrayRef<Operation *> ops,
               DenseMap<Operation *, SmallVector<Operation *>> &preds,
               DenseMap<Operation *, int64_t> &position, bool minPeak) {
    DenseMap<Operation *, int64_t> pending;
    DenseMap<Operation *, SmallVector<Operation *>> succs;
    for (Operation *op : ops) {
      pending[op] = preds[op].size();
      for (Operation *p : preds[op])
        succs[p].push_back(op);
    }
    // Storage owners: a view's readers keep the viewed op's result alive.
    DenseMap<Operation *, int64_t> readersLeft;
    std::function<void(Operation *, Operation *)> addReader =
        [&](Operation *owner, Operation *reader) {
          if (isa<SplitOp, WindowOp>(reader)) {
            for (Operation *s : succs[reader])
              addReader(owner, s);
            return;
          }
          ++readersLeft[owner];
        };
    if (minPeak)
      for (Operation *op : ops)
        if (!isa<SplitOp, WindowOp>(op))
          for (Operation *s : succs[op])
            addReader(op, s);
    auto owners = [&](Operation *op) {
      SmallVector<Operation *> result;
      SmallVector<Operation *> work(preds[op].begin(), preds[op].end());
      while (!work.empty()) {
        Operation *p = work.pop_back_val();
        if (isa<SplitOp, WindowOp>(p))
          work.append(preds[p].begin(), preds[p].end());
        else
          result.push_back(p);
      }
      return result;
    };

    SmallVector<Operation *> ready, schedule;
    for (Operation *op : ops)
      if (pending[op] == 0)
        ready.push_back(op);
    while (!ready.empty()) {
      size_t best = 0;
      for (size_t i = 1; i < ready.size(); ++i) {
        if (minPeak) {
          int64_t gainI = gain(ready[i], owners, readersLeft);
          int64_t gainB = gain(ready[best], owners, readersLeft);
          if (gainI != gainB) {
            if (gainI > gainB)
              best = i;
            continue;
          }
        }
        if (position[ready[i]] < position[ready[best]])
          best = i;
      }
      Operation *op = ready[best];
      ready.erase(ready.begin() + best);
      schedule.push_back(op);
      if (minPeak && !isa<SplitOp, WindowOp>(op))
        for (Operation *o : owners(op))
          --readersLeft[o];
      for (Operation *s : succs[op])
        if (--pending[s] == 0)
          ready.push_back(s);
    }
    return schedule;
  }

  /// Bytes released by running `op` (inputs it reads last) minus its result.
  template <typename OwnersFn>
  static int64_t gain(Operation *op, OwnersFn &owners,
                      DenseMap<Operation *, int64_t> &readersLeft) {
    if (isa<SplitOp, WindowOp>(op))
      return 0;
    int64_t freed = 0;
    DenseMap<Operation *, int64_t> reads;
    for (Operation *o : owners(op))
      ++reads[o];
    for (auto [o, n] : reads)
      if (readersLeft.lookup(o) == n)
        freed += resultBytes(o);
    return freed - resultBytes(op);
  }
};

} // namespace
