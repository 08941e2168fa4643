// RUN: tinyts-opt %s -split-input-file -verify-diagnostics | FileCheck %s

// Band ops: split, window, join round-trip; verifier messages.

// CHECK-LABEL: func.func @round_trip
// CHECK: %[[B:.*]]:3 = tinyts.split %{{.*}} heights [4, 4, 2]
// CHECK: tinyts.window %[[B]]#0, %[[B]]#1 offset 3
// CHECK: tinyts.join %[[B]]#0, %[[B]]#1, %[[B]]#2
func.func @round_trip(%x: tensor<1x10x8x3xi8>) -> (tensor<1x3x8x3xi8>, tensor<1x10x8x3xi8>) {
  %b:3 = tinyts.split %x heights [4, 4, 2]
         : tensor<1x10x8x3xi8> -> tensor<1x4x8x3xi8>, tensor<1x4x8x3xi8>, tensor<1x2x8x3xi8>
  %w = tinyts.window %b#0, %b#1 offset 3
         : tensor<1x4x8x3xi8>, tensor<1x4x8x3xi8> -> tensor<1x3x8x3xi8>
  %j = tinyts.join %b#0, %b#1, %b#2
         : tensor<1x4x8x3xi8>, tensor<1x4x8x3xi8>, tensor<1x2x8x3xi8> -> tensor<1x10x8x3xi8>
  return %w, %j : tensor<1x3x8x3xi8>, tensor<1x10x8x3xi8>
}

// -----

func.func @split_not_tiling(%x: tensor<1x10x8x3xi8>) {
  // expected-error @+1 {{expects the bands to tile the 10 rows exactly, but their heights add up to 8}}
  %b:2 = tinyts.split %x heights [4, 4]
         : tensor<1x10x8x3xi8> -> tensor<1x4x8x3xi8>, tensor<1x4x8x3xi8>
  return
}

// -----

func.func @split_wrong_width(%x: tensor<1x8x8x3xi8>) {
  // expected-error @+1 {{to differ from 'tensor<1x8x8x3xi8>' only in dimension 1 (rows), but dimension 2 is 7 instead of 8}}
  %b:2 = tinyts.split %x heights [4, 4]
         : tensor<1x8x8x3xi8> -> tensor<1x4x8x3xi8>, tensor<1x4x7x3xi8>
  return
}

// -----

func.func @join_short(%a: tensor<1x4x8x3xi8>) -> tensor<1x10x8x3xi8> {
  // expected-error @+1 {{expects the bands to tile the 10 rows exactly, but their heights add up to 4}}
  %j = tinyts.join %a : tensor<1x4x8x3xi8> -> tensor<1x10x8x3xi8>
  return %j : tensor<1x10x8x3xi8>
}

// -----

func.func @window_offset(%a: tensor<1x4x8x3xi8>, %b: tensor<1x4x8x3xi8>) -> tensor<1x3x8x3xi8> {
  // expected-error @+1 {{expects the offset to fall in the first band (0 <= offset < 4) but got 4}}
  %w = tinyts.window %a, %b offset 4 : tensor<1x4x8x3xi8>, tensor<1x4x8x3xi8> -> tensor<1x3x8x3xi8>
  return %w : tensor<1x3x8x3xi8>
}

// -----

func.func @window_unused_band(%a: tensor<1x4x8x3xi8>, %b: tensor<1x4x8x3xi8>) -> tensor<1x3x8x3xi8> {
  // expected-error @+1 {{window rows [0, 3) do not reach the last band (rows from 4): drop it}}
  %w = tinyts.window %a, %b offset 0 : tensor<1x4x8x3xi8>, tensor<1x4x8x3xi8> -> tensor<1x3x8x3xi8>
  return %w : tensor<1x3x8x3xi8>
}

// -----

func.func @window_too_long(%a: tensor<1x4x8x3xi8>, %b: tensor<1x4x8x3xi8>) -> tensor<1x6x8x3xi8> {
  // expected-error @+1 {{window rows [3, 9) exceed the 8 rows of its bands}}
  %w = tinyts.window %a, %b offset 3 : tensor<1x4x8x3xi8>, tensor<1x4x8x3xi8> -> tensor<1x6x8x3xi8>
  return %w : tensor<1x6x8x3xi8>
}
