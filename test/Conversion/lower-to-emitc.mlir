// RUN: tinyts-opt %s -split-input-file -tinyts-plan-memory -tinyts-lower-to-emitc -verify-diagnostics | FileCheck %s
// RUN: tinyts-opt %s -split-input-file -tinyts-plan-memory -tinyts-lower-to-emitc -verify-diagnostics | tinyts-opt -split-input-file -arith-expand -convert-arith-to-emitc -convert-scf-to-emitc -reconcile-unrealized-casts | mlir-translate -split-input-file --mlir-to-cpp | FileCheck %s --check-prefix=C

// tinyts-lower-to-emitc: the planned model becomes runtime calls whose
// operands are arena offsets, weight arrays and the function's arguments.

// CHECK-LABEL: emitc.include "tinyts_kernels.h"
// CHECK:       emitc.verbatim "static int8_t tinyts_model_arena[512] __attribute__((aligned(16)));"
// CHECK-DAG:   emitc.global static const @tinyts_model_q1_mult : !emitc.array<4xi32> = dense<1073741824>
// CHECK-DAG:   emitc.global static const @tinyts_model_q1_shift : !emitc.array<4xi32> = dense<-9>
// CHECK:       emitc.func @tinyts_model_invoke(%[[X:.*]]: !emitc.ptr<!emitc.opaque<"const int8_t">>, %{{.*}}: !emitc.ptr<!emitc.opaque<"const int8_t">>, %{{.*}}: !emitc.ptr<!emitc.opaque<"const int8_t">>, %{{.*}}: !emitc.ptr<!emitc.opaque<"const int8_t">>, %{{.*}}: !emitc.ptr<!emitc.opaque<"const int32_t">>, %[[OUT:.*]]: !emitc.ptr<i8>)
// CHECK:       call_opaque "tinyts_conv2d_s8"
// CHECK:       call_opaque "tinyts_depthwise_conv2d_s8"
// CHECK:       call_opaque "tinyts_add_s8"
// CHECK:       call_opaque "tinyts_conv2d_s8"
// CHECK-NOT:   memref.

// The emitted code: strides from the memref layouts, offsets from the plan, the 3x3
// conv's window scratch in the arena (the 1x1 one needs none), the add writing over
// the conv's buffer, the last conv into the output argument. The layers share one
// copy of their identical requantization arrays. Weights that are arguments, not
// constants, are not prepared: the plain kernels.
// C-LABEL: #include "tinyts_kernels.h"
// C: static int8_t tinyts_model_arena[512] __attribute__((aligned(16)));
// C: void tinyts_model_invoke(const int8_t* [[X:v[0-9]+]], const int8_t* [[W:v[0-9]+]], const int8_t* [[W2:v[0-9]+]], const int8_t* [[DW:v[0-9]+]], const int32_t* [[B:v[0-9]+]], int8_t* [[OUT:v[0-9]+]]) {
// C-NEXT: tinyts_conv2d_s8([[X]], 8, 8, 3, 24, 3, [[W]], [[B]], (tinyts_model_arena + 0), 8, 8, 4, 32, 4, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, tinyts_model_q1_mult, tinyts_model_q1_shift, -128, 127, (tinyts_model_arena + 256));
// C-NEXT: tinyts_depthwise_conv2d_s8((tinyts_model_arena + 0), 8, 8, 4, 32, 4, [[DW]], [[B]], (tinyts_model_arena + 256), 8, 8, 1, 32, 4, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, tinyts_model_q1_mult, tinyts_model_q1_shift, -128, 127);
// C-NEXT: tinyts_add_s8((tinyts_model_arena + 0), 32, 4, 1, (tinyts_model_arena + 256), 32, 4, 1, (tinyts_model_arena + 0), 32, 4, 8, 8, 4, 0, 1073741824, -1, 0, 1073741824, -1, 20, 0, 1073741824, -1, -128, 127);
// C-NEXT: tinyts_conv2d_s8((tinyts_model_arena + 0), 8, 8, 4, 32, 4, [[W2]], [[B]], [[OUT]], 8, 8, 4, 32, 4, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, tinyts_model_q1_mult, tinyts_model_q1_shift, -128, 127, NULL);
// C-NEXT: return;
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

// Constant weights: each conv / depthwise layer is prepared at compile time by the
// runtime's *_prepare_s8 (conv: requantization class 7 = every channel folds, no
// dead-channel mask; depthwise: one 4-channel group: fold, biases, multipliers,
// folded rounding terms (2 * 0 + 1) << 8, right shifts, then the 3x3 weights
// unpacked into halfword pairs, 2 | 2 << 16 = 131074) and called through the
// _prep_s8 kernels. Two bands of a layer share its arrays.
// CHECK-LABEL: emitc.include "tinyts_kernels.h"
// CHECK-DAG:   emitc.global static const @tinyts_model_q1_prep : !emitc.array<2xi32> = dense<[7, 0]>
// CHECK-DAG:   emitc.global static const @tinyts_model_q3_prep : !emitc.array<35xi32> = dense<[1, 0, 0, 0, 0, 1073741824, 1073741824, 1073741824, 1073741824, 256, 256, 256, 256, 9, 9, 9, 9, 131074, 131074,
// CHECK-NOT:   _q2_prep
// CHECK-NOT:   _q4_prep
// CHECK:       call_opaque "tinyts_conv2d_prep_s8"
// C-LABEL: #include "tinyts_kernels.h"
// C: void tinyts_model_invoke(const int8_t* [[X:v[0-9]+]], int8_t* [[OUT:v[0-9]+]]) {
// C-NEXT: tinyts_conv2d_prep_s8([[X]], 2, 4, 4, 16, 4, tinyts_model_constant_4x1x1x4xi8, tinyts_model_constant_4xi32, (tinyts_model_arena + 0), 2, 4, 4, 16, 4, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, tinyts_model_q1_mult, tinyts_model_q1_shift, -128, 127, NULL, tinyts_model_q1_prep);
// C-NEXT: tinyts_conv2d_prep_s8(([[X]] + 32), 2, 4, 4, 16, 4, tinyts_model_constant_4x1x1x4xi8, tinyts_model_constant_4xi32, ((tinyts_model_arena + 0) + 32), 2, 4, 4, 16, 4, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, tinyts_model_q1_mult, tinyts_model_q1_shift, -128, 127, NULL, tinyts_model_q1_prep);
// C-NEXT: tinyts_depthwise_conv2d_prep_s8((tinyts_model_arena + 0), 3, 4, 4, 16, 4, tinyts_model_constant_3x3x4x1xi8, tinyts_model_constant_4xi32, [[OUT]], 2, 4, 1, 16, 4, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, tinyts_model_q1_mult, tinyts_model_q1_shift, -128, 127, tinyts_model_q3_prep);
// C-NEXT: tinyts_depthwise_conv2d_prep_s8(((tinyts_model_arena + 0) + 16), 3, 4, 4, 16, 4, tinyts_model_constant_3x3x4x1xi8, tinyts_model_constant_4xi32, ([[OUT]] + 32), 2, 4, 1, 16, 4, 3, 3, 1, 1, 1, 1, 0, 1, 0, 0, tinyts_model_q1_mult, tinyts_model_q1_shift, -128, 127, tinyts_model_q3_prep);
// C-NEXT: return;
memref.global "private" constant @__constant_4x1x1x4xi8 : memref<4x1x1x4xi8> = dense<1>
memref.global "private" constant @__constant_3x3x4x1xi8 : memref<3x3x4x1xi8> = dense<2>
memref.global "private" constant @__constant_4xi32 : memref<4xi32> = dense<0>
func.func @prepared(%x: memref<1x4x4x4xi8>, %out: memref<1x4x4x4xi8>) {
  %w = memref.get_global @__constant_4x1x1x4xi8 : memref<4x1x1x4xi8>
  %dw = memref.get_global @__constant_3x3x4x1xi8 : memref<3x3x4x1xi8>
  %b = memref.get_global @__constant_4xi32 : memref<4xi32>
  %a = memref.alloc() : memref<1x4x4x4xi8>
  %x0 = memref.subview %x[0, 0, 0, 0] [1, 2, 4, 4] [1, 1, 1, 1] : memref<1x4x4x4xi8> to memref<1x2x4x4xi8, strided<[64, 16, 4, 1]>>
  %x1 = memref.subview %x[0, 2, 0, 0] [1, 2, 4, 4] [1, 1, 1, 1] : memref<1x4x4x4xi8> to memref<1x2x4x4xi8, strided<[64, 16, 4, 1], offset: 32>>
  %a0 = memref.subview %a[0, 0, 0, 0] [1, 2, 4, 4] [1, 1, 1, 1] : memref<1x4x4x4xi8> to memref<1x2x4x4xi8, strided<[64, 16, 4, 1]>>
  %a1 = memref.subview %a[0, 2, 0, 0] [1, 2, 4, 4] [1, 1, 1, 1] : memref<1x4x4x4xi8> to memref<1x2x4x4xi8, strided<[64, 16, 4, 1], offset: 32>>
  tinyts.conv2d %x0, %w, %b outs(%a0 : memref<1x2x4x4xi8, strided<[64, 16, 4, 1]>>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x2x4x4xi8, strided<[64, 16, 4, 1]>>, memref<4x1x1x4xi8>, memref<4xi32>
  tinyts.conv2d %x1, %w, %b outs(%a1 : memref<1x2x4x4xi8, strided<[64, 16, 4, 1], offset: 32>>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x2x4x4xi8, strided<[64, 16, 4, 1], offset: 32>>, memref<4x1x1x4xi8>, memref<4xi32>
  %i0 = memref.subview %a[0, 0, 0, 0] [1, 3, 4, 4] [1, 1, 1, 1] : memref<1x4x4x4xi8> to memref<1x3x4x4xi8, strided<[64, 16, 4, 1]>>
  %i1 = memref.subview %a[0, 1, 0, 0] [1, 3, 4, 4] [1, 1, 1, 1] : memref<1x4x4x4xi8> to memref<1x3x4x4xi8, strided<[64, 16, 4, 1], offset: 16>>
  %o0 = memref.subview %out[0, 0, 0, 0] [1, 2, 4, 4] [1, 1, 1, 1] : memref<1x4x4x4xi8> to memref<1x2x4x4xi8, strided<[64, 16, 4, 1]>>
  %o1 = memref.subview %out[0, 2, 0, 0] [1, 2, 4, 4] [1, 1, 1, 1] : memref<1x4x4x4xi8> to memref<1x2x4x4xi8, strided<[64, 16, 4, 1], offset: 32>>
  tinyts.depthwise_conv2d %i0, %dw, %b outs(%o0 : memref<1x2x4x4xi8, strided<[64, 16, 4, 1]>>) stride [1, 1] pad [1, 0, 1, 1] dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x3x4x4xi8, strided<[64, 16, 4, 1]>>, memref<3x3x4x1xi8>, memref<4xi32>
  tinyts.depthwise_conv2d %i1, %dw, %b outs(%o1 : memref<1x2x4x4xi8, strided<[64, 16, 4, 1], offset: 32>>) stride [1, 1] pad [0, 1, 1, 1] dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x3x4x4xi8, strided<[64, 16, 4, 1], offset: 16>>, memref<3x3x4x1xi8>, memref<4xi32>
  memref.dealloc %a : memref<1x4x4x4xi8>
  return
}

// -----

// A whole (unsplit) layer is one call: the conv is still prepared (its record
// is two words), the depthwise layer is not (its record would be about twice
// its weights in flash for one call's set-up).
// CHECK-LABEL: emitc.include "tinyts_kernels.h"
// CHECK:       emitc.global static const @tinyts_model_q1_prep : !emitc.array<2xi32> = dense<[7, 0]>
// CHECK-NOT:   _q2_prep
// CHECK:       call_opaque "tinyts_conv2d_prep_s8"
// CHECK:       call_opaque "tinyts_depthwise_conv2d_s8"
memref.global "private" constant @__constant_4x1x1x4xi8 : memref<4x1x1x4xi8> = dense<1>
memref.global "private" constant @__constant_3x3x4x1xi8 : memref<3x3x4x1xi8> = dense<2>
memref.global "private" constant @__constant_4xi32 : memref<4xi32> = dense<0>
func.func @whole_layers(%x: memref<1x4x4x4xi8>, %out: memref<1x4x4x4xi8>) {
  %w = memref.get_global @__constant_4x1x1x4xi8 : memref<4x1x1x4xi8>
  %dw = memref.get_global @__constant_3x3x4x1xi8 : memref<3x3x4x1xi8>
  %b = memref.get_global @__constant_4xi32 : memref<4xi32>
  %a = memref.alloc() : memref<1x4x4x4xi8>
  tinyts.conv2d %x, %w, %b outs(%a : memref<1x4x4x4xi8>) stride [1, 1] pad [0, 0, 0, 0] dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x4x4x4xi8>, memref<4x1x1x4xi8>, memref<4xi32>
  tinyts.depthwise_conv2d %a, %dw, %b outs(%out : memref<1x4x4x4xi8>) stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1] zp(0, 0) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x4x4x4xi8>, memref<3x3x4x1xi8>, memref<4xi32>
  memref.dealloc %a : memref<1x4x4x4xi8>
  return
}

// -----

// Weights in flash, a fully connected layer on rows, and a copy to the output.
// CHECK-LABEL: emitc.global static const @tinyts_model_constant_4x8xi8 : !emitc.array<32xi8> = dense<3>
// CHECK: call_opaque "tinyts_fully_connected_s8"
// CHECK: call_opaque "memcpy"
// C-LABEL: static const int8_t tinyts_model_constant_4x8xi8[32] = {3, 3,
// C: tinyts_fully_connected_s8({{v[0-9]+}}, 1, 8, 8, tinyts_model_constant_4x8xi8, tinyts_model_constant_4xi32, (tinyts_model_arena + 0), 4, 4, 128, 0, -3, tinyts_model_q1_mult, tinyts_model_q1_shift, 0, -128, 127);
// C: memcpy({{v[0-9]+}}, (tinyts_model_arena + 0), 4);
memref.global "private" constant @__constant_4x8xi8 : memref<4x8xi8> = dense<3>
memref.global "private" constant @__constant_4xi32 : memref<4xi32> = dense<7>
func.func @fc(%x: memref<1x8xi8>, %out: memref<4xi8>) {
  %w = memref.get_global @__constant_4x8xi8 : memref<4x8xi8>
  %b = memref.get_global @__constant_4xi32 : memref<4xi32>
  %a = memref.alloc() : memref<1x4xi8>
  tinyts.fully_connected %x, %w, %b outs(%a : memref<1x4xi8>) zp(-128, -3) requant([1073741824], [-9]) clamp(-128, 127) : memref<1x8xi8>, memref<4x8xi8>, memref<4xi32>
  %flat = memref.collapse_shape %a [[0, 1]] : memref<1x4xi8> into memref<4xi8>
  memref.copy %flat, %out : memref<4xi8> to memref<4xi8>
  return
}

// -----

// Average pooling and softmax on a classifier head.
// CHECK-LABEL: emitc.include "tinyts_kernels.h"
// CHECK: call_opaque "tinyts_avg_pool2d_s8"
// CHECK: call_opaque "tinyts_softmax_s8"
// C: void tinyts_model_invoke(const int8_t* [[X:v[0-9]+]], int8_t* [[Y:v[0-9]+]]) {
// C-NEXT: tinyts_avg_pool2d_s8([[X]], 3, 3, 10, 30, 10, (tinyts_model_arena + 0), 1, 1, 10, 10, 3, 3, 3, 3, 0, 0, -128, 127);
// C-NEXT: tinyts_softmax_s8((tinyts_model_arena + 0), 1, 10, 10, [[Y]], 10, 1518291584, 22, -248);
func.func @head(%x: memref<1x3x3x10xi8>, %y: memref<1x10xi8>) {
  %a = memref.alloc() : memref<1x1x1x10xi8>
  tinyts.avg_pool2d %x outs(%a : memref<1x1x1x10xi8>) kernel [3, 3] stride [3, 3] pad [0, 0, 0, 0] clamp(-128, 127) : memref<1x3x3x10xi8>
  %flat = memref.collapse_shape %a [[0, 1, 2], [3]] : memref<1x1x1x10xi8> into memref<1x10xi8>
  tinyts.softmax %flat outs(%y : memref<1x10xi8>) input_multiplier 1518291584 input_left_shift 22 diff_min -248 : memref<1x10xi8>
  return
}

// -----

// A streamed global average pool: per-band sums, then the averages.
// CHECK-LABEL: emitc.include "tinyts_kernels.h"
// CHECK: call_opaque "tinyts_row_sum_s8"
// CHECK: call_opaque "tinyts_row_sum_s8"
// CHECK: call_opaque "tinyts_avg_pool_finish_s8"
// C: void tinyts_model_invoke(const int8_t* [[X:v[0-9]+]], int8_t* [[Y:v[0-9]+]]) {
// C-NEXT: tinyts_row_sum_s8([[X]], 2, 3, 10, 30, 10, ((int32_t *)(tinyts_model_arena + 0)), 0);
// C-NEXT: tinyts_row_sum_s8(([[X]] + 60), 2, 3, 10, 30, 10, ((int32_t *)(tinyts_model_arena + 0)), 1);
// C-NEXT: tinyts_avg_pool_finish_s8(((int32_t *)(tinyts_model_arena + 0)), 10, 12, -128, 127, [[Y]]);
func.func @streamed_pool(%x: memref<1x4x3x10xi8>, %y: memref<1x1x1x10xi8>) {
  %s = memref.alloc() : memref<10xi32>
  %b0 = memref.subview %x[0, 0, 0, 0] [1, 2, 3, 10] [1, 1, 1, 1] : memref<1x4x3x10xi8> to memref<1x2x3x10xi8, strided<[120, 30, 10, 1]>>
  %b1 = memref.subview %x[0, 2, 0, 0] [1, 2, 3, 10] [1, 1, 1, 1] : memref<1x4x3x10xi8> to memref<1x2x3x10xi8, strided<[120, 30, 10, 1], offset: 60>>
  tinyts.row_sum %b0 into(%s : memref<10xi32>) : memref<1x2x3x10xi8, strided<[120, 30, 10, 1]>>
  tinyts.row_sum %b1 into(%s : memref<10xi32>) accumulate : memref<1x2x3x10xi8, strided<[120, 30, 10, 1], offset: 60>>
  tinyts.avg_pool_finish %s outs(%y : memref<1x1x1x10xi8>) count 12 clamp(-128, 127) : memref<10xi32>
  return
}

// -----

// expected-error @+1 {{tinyts-lower-to-emitc expects exactly one function (the model) but found 2}}
module {
  func.func @a() {
    return
  }
  func.func @b() {
    return
  }
}

// -----

// expected-error @+1 {{expects the model function to return its outputs through memref arguments (run buffer-results-to-out-params first)}}
func.func @returns(%x: memref<4xi8>) -> memref<4xi8> {
  return %x : memref<4xi8>
}

// -----

func.func @generic(%x: memref<4xf32>, %y: memref<4xf32>) {
  // expected-error @+1 {{tinyts-lower-to-emitc cannot lower 'linalg.copy' yet}}
  linalg.copy ins(%x : memref<4xf32>) outs(%y : memref<4xf32>)
  return
}

// -----

// A float-IO model: quantize from the caller's float buffer, a broadcast mul,
// a mean over W only (outer rows, kept channels), a transpose, a pad, and a
// dequantize into the caller's float output.
// CHECK-LABEL: emitc.include "tinyts_kernels.h"
// CHECK: emitc.global static const @tinyts_model_q1_dims : !emitc.array<4xi32> = dense<[1, 2, 1, 4]>
// CHECK: emitc.global static const @tinyts_model_q1_perms : !emitc.array<4xi32> = dense<[0, 3, 1, 2]>
// CHECK: emitc.func @tinyts_model_invoke(%{{.*}}: !emitc.ptr<!emitc.opaque<"const float">>, %{{.*}}: !emitc.ptr<!emitc.opaque<"const int8_t">>, %{{.*}}: !emitc.ptr<f32>)
// C: void tinyts_model_invoke(const float* [[X:v[0-9]+]], const int8_t* [[S:v[0-9]+]], float* [[Y:v[0-9]+]]) {
// C-NEXT: tinyts_quantize_f32_s8([[X]], (tinyts_model_arena + 0), 32, 0x1p-1f, -3);
// The mul writes over the quantized input in place (its last use).
// C-NEXT: tinyts_mul_s8((tinyts_model_arena + 0), 16, 4, 1, [[S]], 0, 0, 1, (tinyts_model_arena + 0), 16, 4, 2, 4, 4, 3, 0, -128, 1518291584, -9, -128, 127);
// C-NEXT: tinyts_mean_s8((tinyts_model_arena + 0), 2, 16, 4, 1, 1, 4, 0, 4, (tinyts_model_arena + 32), -128, -128, 1431655765, -2);
// C-NEXT: tinyts_transpose_s8((tinyts_model_arena + 32), tinyts_model_q1_dims, 4, tinyts_model_q1_perms, (tinyts_model_arena + 48));
// C-NEXT: tinyts_pad_s8((tinyts_model_arena + 48), 4, 2, 1, 2, 1, (tinyts_model_arena + 0), 6, 4, 1, 4, 1, 1, 1, 0, -128);
// C-NEXT: tinyts_dequantize_s8_f32((tinyts_model_arena + 0), [[Y]], 24, 0x1p-2f, 0);
func.func @float_io(%x: memref<1x2x4x4xf32>, %s: memref<1x1x1x4xi8>, %y: memref<1x6x4x1xf32>) {
  %q = memref.alloc() : memref<1x2x4x4xi8>
  tinyts.quantize %x outs(%q : memref<1x2x4x4xi8>) scale 0.5 zp -3 : memref<1x2x4x4xf32>
  %m = memref.alloc() : memref<1x2x4x4xi8>
  tinyts.mul %q, %s outs(%m : memref<1x2x4x4xi8>) zp(-3, 0, -128) requant(1518291584, -9) clamp(-128, 127) : memref<1x2x4x4xi8>, memref<1x1x1x4xi8>
  memref.dealloc %q : memref<1x2x4x4xi8>
  %a = memref.alloc() : memref<1x2x1x4xi8>
  tinyts.mean %m outs(%a : memref<1x2x1x4xi8>) axes [2] zp(-128, -128) requant(1431655765, -2) : memref<1x2x4x4xi8>
  memref.dealloc %m : memref<1x2x4x4xi8>
  %t = memref.alloc() : memref<1x4x2x1xi8>
  tinyts.transpose %a outs(%t : memref<1x4x2x1xi8>) perms [0, 3, 1, 2] : memref<1x2x1x4xi8>
  memref.dealloc %a : memref<1x2x1x4xi8>
  %p = memref.alloc() : memref<1x6x4x1xi8>
  tinyts.pad %t outs(%p : memref<1x6x4x1xi8>) pad [0, 0, 1, 1, 1, 1, 0, 0] value -128 : memref<1x4x2x1xi8>
  memref.dealloc %t : memref<1x4x2x1xi8>
  tinyts.dequantize %p outs(%y : memref<1x6x4x1xf32>) scale 0.25 zp 0 : memref<1x6x4x1xi8>
  memref.dealloc %p : memref<1x6x4x1xi8>
  return
}

// -----

// Max pooling, a concatenation along channels (one copy per input, at its
// channel offset) and a nearest-neighbour upscale.
// CHECK-LABEL: emitc.include "tinyts_kernels.h"
// C: void tinyts_model_invoke(const int8_t* [[X:v[0-9]+]], const int8_t* [[Y:v[0-9]+]], int8_t* [[Z:v[0-9]+]]) {
// C-NEXT: tinyts_max_pool2d_s8([[X]], 8, 8, 4, 32, 4, (tinyts_model_arena + 128), 4, 4, 16, 4, 2, 2, 2, 2, 0, 0, -128, 127);
// C-NEXT: tinyts_concat_channels_s8((tinyts_model_arena + 128), 1, 16, 4, 0, 4, (tinyts_model_arena + 0), 0, 8, 0);
// C-NEXT: tinyts_concat_channels_s8([[Y]], 1, 16, 4, 0, 4, (tinyts_model_arena + 0), 0, 8, 4);
// C-NEXT: tinyts_resize_nearest_s8((tinyts_model_arena + 0), 4, 4, 8, 32, 8, [[Z]], 8, 8, 64, 8);
func.func @pool_concat_resize(%x: memref<1x8x8x4xi8>, %y: memref<1x4x4x4xi8>, %z: memref<1x8x8x8xi8>) {
  %p = memref.alloc() : memref<1x4x4x4xi8>
  tinyts.max_pool2d %x outs(%p : memref<1x4x4x4xi8>) kernel [2, 2] stride [2, 2] pad [0, 0, 0, 0] clamp(-128, 127) : memref<1x8x8x4xi8>
  %c = memref.alloc() : memref<1x4x4x8xi8>
  tinyts.concat %p, %y outs(%c : memref<1x4x4x8xi8>) axis 3 : memref<1x4x4x4xi8>, memref<1x4x4x4xi8>
  memref.dealloc %p : memref<1x4x4x4xi8>
  tinyts.resize_nearest %c outs(%z : memref<1x8x8x8xi8>) : memref<1x4x4x8xi8>
  memref.dealloc %c : memref<1x4x4x8xi8>
  return
}

// -----

// The generic path: a loop nest from convert-linalg-to-loops (here a clamp of
// an arena buffer into the output) moves into the entry function; loads and
// stores become subscripts of the buffers' C pointers at the linearized
// index, constants are cloned in, and math.ctlz calls tinyts_clz32.
// CHECK-LABEL: emitc.include "tinyts_kernels.h"
// CHECK: emitc.func @tinyts_model_invoke
// CHECK: scf.for
// CHECK: emitc.literal "(tinyts_model_arena + 0)" : !emitc.ptr<i8>
// CHECK: emitc.subscript
// CHECK: emitc.load
// CHECK: emitc.call_opaque "tinyts_clz32"
// CHECK: emitc.assign
// CHECK-NOT: memref.
// C: void tinyts_model_invoke(const int8_t* [[X:v[0-9]+]], int8_t* [[Y:v[0-9]+]]) {
// C: memcpy((tinyts_model_arena + 0), [[X]], 8);
// C: for (size_t {{[a-z0-9]+}} =
// C: for (size_t {{[a-z0-9]+}} =
// C: = (tinyts_model_arena + 0)[
// C: tinyts_clz32(
// C: ((int8_t *)[[Y]])[
func.func @generic(%x: memref<2x4xi8>, %y: memref<2x4xi8>) {
  %a = memref.alloc() : memref<2x4xi8>
  memref.copy %x, %a : memref<2x4xi8> to memref<2x4xi8>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %lo = arith.constant -100 : i8
  scf.for %i = %c0 to %c2 step %c1 {
    scf.for %j = %c0 to %c4 step %c1 {
      %v = memref.load %a[%i, %j] : memref<2x4xi8>
      %w = arith.maxsi %v, %lo : i8
      %e = arith.extsi %w : i8 to i32
      %z = math.ctlz %e : i32
      %t = arith.trunci %z : i32 to i8
      %s = arith.addi %w, %t : i8
      memref.store %s, %y[%i, %j] : memref<2x4xi8>
    }
  }
  memref.dealloc %a : memref<2x4xi8>
  return
}

// -----

func.func @generic_bad_op(%x: memref<2x4xi8>, %y: memref<2x4xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  scf.for %i = %c0 to %c2 step %c1 {
    // expected-error @+1 {{generic loop uses 'memref.dim', which the C lowering does not handle}}
    %d = memref.dim %x, %i : memref<2x4xi8>
  }
  return
}
