"""Quantization arithmetic, reproducing TFLite Micro's integer parameters exactly."""
from __future__ import annotations

import math

import numpy as np


def tfl_round(x: float) -> int:
    """std::round: half away from zero."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def quantize_multiplier(m: float) -> tuple[int, int]:
    """TFLite QuantizeMultiplier: m ~= q * 2^(exp-31), q in [2^30, 2^31). Returns (q, exp)."""
    if m == 0.0:
        return 0, 0
    mant, exp = math.frexp(m)
    q = tfl_round(mant * (1 << 31))
    if q == (1 << 31):
        q //= 2
        exp += 1
    if exp < -31:
        return 0, 0
    if exp > 30:
        return (1 << 31) - 1, 30
    return q, exp


def tosa_scale(m: float) -> tuple[int, int]:
    """(multiplier, shift) for tosa.rescale reproducing MultiplyByQuantizedMultiplier(x, m)."""
    q, exp = quantize_multiplier(m)
    shift = 31 - exp
    if q == 0:
        return 0, 2
    while shift > 62:  # tiny scale: drop precision (result is 0 anyway for int8 ranges)
        q >>= 1
        shift -= 1
    return q, shift


def srdhm(a: np.ndarray, b: int) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul on int64 arrays (no saturation case)."""
    ab = a.astype(np.int64) * np.int64(b)
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    return _tdiv(ab + nudge, 1 << 31)


def _tdiv(a: np.ndarray, d: int) -> np.ndarray:
    q = np.abs(a) // d
    return np.where(a < 0, -q, q)


def rounding_divide_by_pot(x: np.ndarray, e: int) -> np.ndarray:
    x = x.astype(np.int64)
    if e == 0:
        return x
    mask = (1 << e) - 1
    rem = x & mask
    thr = (mask >> 1) + (x < 0)
    return (x >> e) + (rem > thr)


def mbqm(x: np.ndarray, q: int, exp: int) -> np.ndarray:
    """MultiplyByQuantizedMultiplier (TFLite reference, int32 x)."""
    left = exp if exp > 0 else 0
    right = 0 if exp > 0 else -exp
    return rounding_divide_by_pot(srdhm(x.astype(np.int64) * (1 << left), q), right)


def activation_range(act: str, scale: float, zp: int, qmin: int = -128, qmax: int = 127) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for a fused activation name."""
    def q(f: float) -> int:
        return zp + tfl_round(float(np.float32(f) / np.float32(scale)))
    if act == "NONE":
        return qmin, qmax
    if act == "RELU":
        return max(qmin, q(0.0)), qmax
    if act == "RELU6":
        return max(qmin, q(0.0)), min(qmax, q(6.0))
    if act == "RELU_N1_TO_1":
        return max(qmin, q(-1.0)), min(qmax, q(1.0))
    raise ValueError(f"unsupported fused activation {act}")
