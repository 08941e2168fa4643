"""TFLite → TOSA importer: ``import_tflite(path_or_bytes, context=None) -> mlir.ir.Module``.

The module holds one ``func.func @main`` in spec-valid TOSA 1.0 (MLIR 22): static shapes, batch 1,
constants as ``tosa.const``; arguments/results carry ``tinyts.name``, ``tinyts.scale`` and
``tinyts.zero_point`` (plus ``tinyts.float_io`` when a float32 tensor is wrapped by QUANTIZE /
DEQUANTIZE: the scale/zero point are then those of the int8 tensor behind it).

IR shapes produced per TFLite op (what kernel raising can match):

- CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED: ``tosa.conv2d``/``tosa.depthwise_conv2d`` (i8 x i8 ->
  i32, input_zp operand = TFLite zero point) -> ``tosa.rescale`` (i32 -> i8, per-channel when the
  filter is, DOUBLE_ROUND when any shift > 31) -> optional ``tosa.clamp`` (fused activation).
  FULLY_CONNECTED is a 1x1 conv2d between reshapes. A ``tosa.slice`` precedes the conv when TFLite
  never reads the last rows/cols (TOSA's exact-divisibility rule).
- ADD: per input rescale i8->i32 (<<20) and rescale i32->i32 (input multiplier), ``tosa.add``,
  rescale i32->i8, optional clamp (TFLite Micro's exact integer ADD).
- MUL: rescale i8->i32 (zero point removal) x2, ``tosa.mul`` (shift 0), rescale i32->i8, clamp.
- AVERAGE_POOL_2D / MAX_POOL_2D: ``tosa.avg_pool2d`` (zps 0) / ``tosa.max_pool2d`` + clamp.
- MEAN: cast i8->i32, ``tosa.reduce_sum`` per axis, (sub n*zp), rescale i32->i8.
- PAD: reshape to rank 3 (MLIR 22.1 validator quirk), ``tosa.pad`` with the output zero point, reshape.
- SOFTMAX: integer gemmlowp algorithm (gather tables, clz, Newton-Raphson with ``tosa.mul`` shift 31).
- LOGISTIC / HARD_SWISH: ``tosa.table`` (256 int8 entries computed from TFLite Micro's kernels).
- QUANTIZE (float): mul by 1/scale, cast f32->i32, rescale to i8 with the zero point;
  QUANTIZE (int8): rescale; DEQUANTIZE: cast, sub zp, mul scale (bit-exact with TFLM).
- RESHAPE / TRANSPOSE / CONCATENATION / RESIZE_NEAREST_NEIGHBOR: ``tosa.reshape`` / ``transpose`` /
  ``concat`` / ``resize`` (NEAREST, offset -1 for TFLite's flooring); RELU / RELU6: rescale+clamp / clamp.
- SHAPE / STRIDED_SLICE / PACK feeding a RESHAPE are constant-folded away.
"""
from .errors import TFLiteImportError
from .importer import import_tflite

__all__ = ["import_tflite", "TFLiteImportError"]
