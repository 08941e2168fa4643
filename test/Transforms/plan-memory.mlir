// RUN: tinyts-opt %s -split-input-file -tinyts-plan-memory=scratch=false -verify-diagnostics | FileCheck %s
// RUN: tinyts-opt %s -split-input-file -tinyts-plan-memory="in-place=false scratch=false" -verify-diagnostics | FileCheck %s --check-prefix=NOINPLACE
// RUN: tinyts-opt %s -split-input-file -tinyts-plan-memory -verify-diagnostics | FileCheck %s --check-prefix=SCRATCH

// tinyts-plan-memory: liveness over the schedule, one arena, in-place reuse
// for elementwise kernels, and the diagnostics for what cannot be planned.

// Residual block: conv -> depthwise -> add(conv, depthwise) -> conv. The add
// writes over the conv's buffer (both die at the add): 2 buffers of 256 B.
// CHECK-LABEL: memref.global "private" @tinyts_arena : memref<512xi8> {alignment = 16 : i64}
// CHECK-LABEL: func.func @residual
// CHECK-SAME:    tinyts.arena_bytes = 512 : i64
// CHECK-SAME:    tinyts.memory_plan = [{first = 1 : i64, last = 8 : i64, offset = 0 : i64, op = "tinyts.conv2d", size = 256 : i64}, {first = 3 : i64, last = 5 : i64, offset = 256 : i64, op = "tinyts.depthwise_conv2d", size = 256 : i64}]
// CHECK:         %[[ARENA:.*]] = memref.get_global @tinyts_arena : memref<512xi8>
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[A:.*]] = memref.view %[[ARENA]][%[[C0]]][] : memref<512xi8> to memref<1x8x8x4xi8>
// CHECK:         tinyts.conv2d {{.*}} outs(%[[A]] : memref<1x8x8x4xi8>)
// CHECK:         %[[C256:.*]] = arith.constant 256 : index
// CHECK:         %[[B:.*]] = memref.view %[[ARENA]][%[[C256]]][] : memref<512xi8> to memref<1x8x8x4xi8>
// CHECK:         tinyts.depthwise_conv2d %[[A]], {{.*}} outs(%[[B]] : memref<1x8x8x4xi8>)
// CHECK:         %[[C:.*]] = memref.view %[[ARENA]][%{{.*}}][] : memref<512xi8> to memref<1x8x8x4xi8>
// CHECK:         tinyts.add %[[A]], %[[B]] outs(%[[C]] : memref<1x8x8x4xi8>)
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     memref.dealloc
// NOINPLACE-LABEL: memref.global "private" @tinyts_arena : memref<768xi8>
// NOINPLACE-LABEL: func.func @residual
// NOINPLACE-SAME:    tinyts.arena_bytes = 768 : i64
func.func @residual(%x: memref<1x8x8x3xi8>, %w: memref<4x3x3x3xi8>, %w2: memref<4x1x1x4xi8>, %dw: memref<3x3x4x1xi8>, %b: memref<4xi32>, %out: memref<1x8x8x4xi8>) {
  %a = memref.alloc() : memref<1x8x8x4xi8>
  tinyts.conv2d %x, %w, %b outs(%a : memref<1x8x8x4xi8>) stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x8x8x3xi8>, memref<4x3x3x3xi8>, memref<4xi32>
  %bb = memref.alloc() : memref<1x8x8x4xi8>
  tinyts.depthwise_conv2d %a, %dw, %b outs(%bb : memref<1x8x8x4xi8>) stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x8x8x4xi8>, memref<3x3x4x1xi8>, memref<4xi32>
  %c = memref.alloc() : memref<1x8x8x4xi8>
  tinyts.add %a, %bb outs(%c : memref<1x8x8x4xi8>) left_shift 20 lhs(0, 1073741824, -1) rhs(0, 1073741824, -1) out(0, 1073741824, -1) clamp(-128, 127) : memref<1x8x8x4xi8>, memref<1x8x8x4xi8>
  memref.dealloc %a : memref<1x8x8x4xi8>
  memref.dealloc %bb : memref<1x8x8x4xi8>
  tinyts.conv2d %c, %w2, %b outs(%out : memref<1x8x8x4xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x8x8x4xi8>, memref<4x1x1x4xi8>, memref<4xi32>
  memref.dealloc %c : memref<1x8x8x4xi8>
  return
}

// -----

// A chain whose first and third buffers never live at the same time: the
// third reuses the first one's offset (the greedy placement, largest first).
// CHECK-LABEL: func.func @chain_reuse
// CHECK-SAME:    tinyts.arena_bytes = 1536 : i64
// CHECK-SAME:    tinyts.memory_plan = [{first = 1 : i64, last = 3 : i64, offset = 0 : i64, op = "tinyts.conv2d", size = 1024 : i64}, {first = 3 : i64, last = 5 : i64, offset = 1024 : i64, op = "tinyts.conv2d", size = 512 : i64}, {first = 5 : i64, last = 6 : i64, offset = 0 : i64, op = "tinyts.conv2d", size = 256 : i64}]
func.func @chain_reuse(%x: memref<1x8x8x3xi8>, %w16: memref<16x1x1x3xi8>, %b16: memref<16xi32>,
                       %w8: memref<8x1x1x16xi8>, %b8: memref<8xi32>, %w4: memref<4x1x1x8xi8>,
                       %b4: memref<4xi32>, %w2: memref<2x1x1x4xi8>, %b2: memref<2xi32>,
                       %out: memref<1x8x8x2xi8>) {
  %a = memref.alloc() : memref<1x8x8x16xi8>
  tinyts.conv2d %x, %w16, %b16 outs(%a : memref<1x8x8x16xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x8x8x3xi8>, memref<16x1x1x3xi8>, memref<16xi32>
  %b = memref.alloc() : memref<1x8x8x8xi8>
  tinyts.conv2d %a, %w8, %b8 outs(%b : memref<1x8x8x8xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x8x8x16xi8>, memref<8x1x1x16xi8>, memref<8xi32>
  %c = memref.alloc() : memref<1x8x8x4xi8>
  tinyts.conv2d %b, %w4, %b4 outs(%c : memref<1x8x8x4xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x8x8x8xi8>, memref<4x1x1x8xi8>, memref<4xi32>
  tinyts.conv2d %c, %w2, %b2 outs(%out : memref<1x8x8x2xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x8x8x4xi8>, memref<2x1x1x4xi8>, memref<2xi32>
  return
}

// -----

// Uses through views extend a buffer's interval.
// CHECK-LABEL: func.func @through_view
// CHECK-SAME:    tinyts.memory_plan = [{first = 1 : i64, last = 3 : i64, offset = 0 : i64, op = "tinyts.fully_connected", size = 16 : i64}]
func.func @through_view(%x: memref<1x16xi8>, %w: memref<16x16xi8>, %b: memref<16xi32>, %out: memref<16xi8>) {
  %a = memref.alloc() : memref<1x16xi8>
  tinyts.fully_connected %x, %w, %b outs(%a : memref<1x16xi8>) zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x16xi8>, memref<16x16xi8>, memref<16xi32>
  %flat = memref.collapse_shape %a [[0, 1]] : memref<1x16xi8> into memref<16xi8>
  memref.copy %flat, %out : memref<16xi8> to memref<16xi8>
  return
}

// With scratch (the default), a 3x3 conv2d gets 2 * 3 * 3 * 4 = 72 bytes live
// during that call only: it fits where the next conv's output goes later, so the
// arena does not grow; the 1x1 conv2d (no window gather) gets none.
// SCRATCH-LABEL: func.func @conv_scratch
// SCRATCH-SAME:  tinyts.arena_bytes = 512
// SCRATCH-SAME:  {first = 1 : i64, last = 1 : i64, offset = 256 : i64, op = "tinyts.conv2d scratch", size = 72 : i64}
// SCRATCH:       tinyts.conv2d {{.*}} {tinyts.scratch = {arena = @tinyts_arena, offset = 256 : i64}}
// SCRATCH:       tinyts.conv2d
// SCRATCH-NOT:   tinyts.scratch
func.func @conv_scratch(%x: memref<1x8x8x4xi8>, %w: memref<4x3x3x4xi8>, %w1: memref<4x1x1x4xi8>, %b: memref<4xi32>, %out: memref<1x8x8x4xi8>) {
  %a = memref.alloc() : memref<1x8x8x4xi8>
  tinyts.conv2d %x, %w, %b outs(%a : memref<1x8x8x4xi8>) stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x8x8x4xi8>, memref<4x3x3x4xi8>, memref<4xi32>
  %c = memref.alloc() : memref<1x8x8x4xi8>
  tinyts.conv2d %a, %w1, %b outs(%c : memref<1x8x8x4xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x8x8x4xi8>, memref<4x1x1x4xi8>, memref<4xi32>
  memref.copy %c, %out : memref<1x8x8x4xi8> to memref<1x8x8x4xi8>
  return
}

// -----

// A buffer read band by band through a reshape (a 1x40 input seen as
// 1x4x10x1, bands of 2 rows, as tinyts.split cuts a reshaped model input):
// the pieces are the bands' elements of the buffer, [0, 20) and [20, 40),
// not the buffer's own "rows" (dimension 1: single elements). Rows 2-3 stay
// live until their copy, so %b may only reuse the first band's bytes, never
// overlap the second's.
// CHECK-LABEL: func.func @reshaped_bands
// CHECK-SAME:    tinyts.arena_bytes = 48 : i64
// CHECK-SAME:    tinyts.memory_plan = [{first = 1 : i64, last = 7 : i64, offset = 0 : i64, op = "tinyts.quantize", size = 20 : i64}, {first = 1 : i64, last = 11 : i64, offset = 20 : i64, op = "tinyts.quantize", size = 20 : i64}, {first = 9 : i64, last = 10 : i64, offset = 0 : i64, op = "tinyts.quantize", size = 20 : i64}]
func.func @reshaped_bands(%x: memref<1x40xf32>, %y: memref<1x20xf32>, %out: memref<1x4x10x1xi8>, %out2: memref<1x20xi8>) {
  %a = memref.alloc() : memref<1x40xi8>
  tinyts.quantize %x outs(%a : memref<1x40xi8>) scale 1.0 zp 0 : memref<1x40xf32>
  %e = memref.expand_shape %a [[0], [1, 2, 3]] output_shape [1, 4, 10, 1] : memref<1x40xi8> into memref<1x4x10x1xi8>
  %r0 = memref.subview %e[0, 0, 0, 0] [1, 2, 10, 1] [1, 1, 1, 1] : memref<1x4x10x1xi8> to memref<1x2x10x1xi8, strided<[40, 10, 1, 1]>>
  %r1 = memref.subview %e[0, 2, 0, 0] [1, 2, 10, 1] [1, 1, 1, 1] : memref<1x4x10x1xi8> to memref<1x2x10x1xi8, strided<[40, 10, 1, 1], offset: 20>>
  %o0 = memref.subview %out[0, 0, 0, 0] [1, 2, 10, 1] [1, 1, 1, 1] : memref<1x4x10x1xi8> to memref<1x2x10x1xi8, strided<[40, 10, 1, 1]>>
  %o1 = memref.subview %out[0, 2, 0, 0] [1, 2, 10, 1] [1, 1, 1, 1] : memref<1x4x10x1xi8> to memref<1x2x10x1xi8, strided<[40, 10, 1, 1], offset: 20>>
  memref.copy %r0, %o0 : memref<1x2x10x1xi8, strided<[40, 10, 1, 1]>> to memref<1x2x10x1xi8, strided<[40, 10, 1, 1]>>
  %b = memref.alloc() : memref<1x20xi8>
  tinyts.quantize %y outs(%b : memref<1x20xi8>) scale 1.0 zp 0 : memref<1x20xf32>
  memref.copy %b, %out2 : memref<1x20xi8> to memref<1x20xi8>
  memref.copy %r1, %o1 : memref<1x2x10x1xi8, strided<[40, 10, 1, 1], offset: 20>> to memref<1x2x10x1xi8, strided<[40, 10, 1, 1], offset: 20>>
  return
}

// -----

// A kernel writing a region of a buffer in place (a tinyts-patch patch,
// insert_slice of the matching extract_slice after bufferization): the copy
// of the subview onto the identical subview is dropped; the kernel writes
// the arena buffer through its strided view.
// CHECK-LABEL: func.func @patch_in_place
// CHECK:         %[[A:.*]] = memref.view {{.*}} to memref<1x4x4x4xi8>
// CHECK:         %[[S:.*]] = memref.subview %[[A]][0, 0, 2, 0] [1, 4, 2, 4] [1, 1, 1, 1]
// CHECK:         tinyts.conv2d {{.*}} outs(%[[S]] : memref<1x4x2x4xi8, strided<[64, 16, 4, 1], offset: 8>>)
// CHECK-NOT:     memref.subview %[[A]]
// CHECK:         memref.copy %[[A]], %arg3
// CHECK-NOT:     memref.copy
func.func @patch_in_place(%x: memref<1x4x4x4xi8>, %w: memref<4x1x1x4xi8>, %b: memref<4xi32>,
                          %out: memref<1x4x4x4xi8>) {
  %a = memref.alloc() : memref<1x4x4x4xi8>
  %xs = memref.subview %x[0, 0, 2, 0] [1, 4, 2, 4] [1, 1, 1, 1] : memref<1x4x4x4xi8> to memref<1x4x2x4xi8, strided<[64, 16, 4, 1], offset: 8>>
  %s = memref.subview %a[0, 0, 2, 0] [1, 4, 2, 4] [1, 1, 1, 1] : memref<1x4x4x4xi8> to memref<1x4x2x4xi8, strided<[64, 16, 4, 1], offset: 8>>
  tinyts.conv2d %xs, %w, %b outs(%s : memref<1x4x2x4xi8, strided<[64, 16, 4, 1], offset: 8>>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x4x2x4xi8, strided<[64, 16, 4, 1], offset: 8>>, memref<4x1x1x4xi8>, memref<4xi32>
  %t = memref.subview %a[0, 0, 2, 0] [1, 4, 2, 4] [1, 1, 1, 1] : memref<1x4x4x4xi8> to memref<1x4x2x4xi8, strided<[64, 16, 4, 1], offset: 8>>
  memref.copy %s, %t : memref<1x4x2x4xi8, strided<[64, 16, 4, 1], offset: 8>> to memref<1x4x2x4xi8, strided<[64, 16, 4, 1], offset: 8>>
  memref.copy %a, %out : memref<1x4x4x4xi8> to memref<1x4x4x4xi8>
  return
}

// -----

// No allocation: no arena.
// CHECK-LABEL: func.func @nothing
// CHECK-SAME:    tinyts.arena_bytes = 0 : i64
// CHECK-NOT:     memref.global
func.func @nothing(%x: memref<4xi8>) {
  return
}

// -----

func.func @dynamic(%n: index) {
  // expected-error @+1 {{cannot place a buffer of dynamic shape 'memref<?xi8>' in the static arena; every shape must be static}}
  %a = memref.alloc(%n) : memref<?xi8>
  return
}

// -----

func.func @in_region(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    // expected-error @+1 {{cannot plan an allocation inside a region: the arena planner needs every buffer at the top level of the schedule}}
    %a = memref.alloc() : memref<4xi8>
  }
  return
}

// -----

// expected-error @+1 {{tinyts-plan-memory needs a function body of one block (a straight-line schedule) but 'branches' has 2}}
func.func @branches(%c: i1) {
  cf.br ^bb1
^bb1:
  return
}


