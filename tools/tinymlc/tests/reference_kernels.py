"""Tiny numpy/Python re-implementations of TFLM's int8 (and 16x8 convolution)
reference kernels,
driven only by tinymlc's prepared parameters.

If a prepared parameter is off by one bit, these disagree with the real TFLM
interpreter on random data -- which is how the prepare tests get their
golden values from TFLM itself.
"""

from __future__ import annotations

import numpy as np

from tinymlc import quant
from tinymlc.ir import DType
from tinymlc.ops._binary import ArithmeticParams
from tinymlc.ops._pooling import Pool2DParams
from tinymlc.ops.conv_2d import Conv2DParams
from tinymlc.ops.depthwise_conv_2d import DepthwiseConv2DParams
from tinymlc.ops.fully_connected import FullyConnectedParams
from tinymlc.ops.leaky_relu import LeakyReluParams
from tinymlc.ops.mean import MeanParams
from tinymlc.ops.mul import MulParams
from tinymlc.ops.quantize import QuantizeMode, QuantizeParams
from tinymlc.ops.relu import ReluParams
from tinymlc.quant import multiply_by_quantized_multiplier as mbqm


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def mbqm_int64(x: int, multiplier: int, shift: int) -> int:
    """TFLM's `MultiplyByQuantizedMultiplier(int64_t, ...)`: Q0.15 multiplier, one
    rounding shift (inputs in its documented range, so no wrap-around)."""
    reduced = (multiplier + (1 << 15)) >> 16 if multiplier < 0x7FFF0000 else 0x7FFF
    total_shift = 15 - shift
    return (x * reduced + (1 << (total_shift - 1))) >> total_shift


def _rescale_linear(acc: int, multiplier: int, shift: int, accumulator: DType) -> int:
    return mbqm_int64(acc, multiplier, shift) if accumulator is DType.INT64 else mbqm(acc, multiplier, shift)


def fully_connected(
    p: FullyConnectedParams, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None
) -> np.ndarray:
    rows = x.reshape(p.batches, p.accum_depth).astype(np.int64)
    out = np.zeros((p.batches, p.output_depth), dtype=np.int8)
    for b in range(p.batches):
        for o in range(p.output_depth):
            acc = int(np.sum((rows[b] + p.input_offset) * (w[o].astype(np.int64) + p.weights_offset)))
            if bias is not None:
                acc += int(bias[o])
            if p.per_channel_output_multiplier is not None and p.per_channel_output_shift is not None:
                acc = mbqm(acc, p.per_channel_output_multiplier[o], p.per_channel_output_shift[o])
            else:
                acc = mbqm(acc, p.output_multiplier, p.output_shift)
            out[b, o] = _clamp(acc + p.output_offset, p.output_activation_min, p.output_activation_max)
    return out


def conv_2d(
    p: Conv2DParams | DepthwiseConv2DParams, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None
) -> np.ndarray:
    q = p.quantization
    n, in_h, in_w, _ = p.input_shape
    _, out_h, out_w, out_c = p.output_shape
    kh, kw = p.filter_shape[1], p.filter_shape[2]
    depthwise = isinstance(p, DepthwiseConv2DParams)
    out = np.zeros(p.output_shape, dtype=p.mode.activation.numpy_dtype)
    xi = x.astype(np.int64)
    for b in range(n):
        for oy in range(out_h):
            for ox in range(out_w):
                for oc in range(out_c):
                    acc = 0
                    for fy in range(kh):
                        for fx in range(kw):
                            iy = oy * p.stride_h - p.padding.height + fy * p.dilation_h
                            ix = ox * p.stride_w - p.padding.width + fx * p.dilation_w
                            if not (0 <= iy < in_h and 0 <= ix < in_w):
                                continue
                            if depthwise:
                                assert isinstance(p, DepthwiseConv2DParams)
                                ic = oc // p.depth_multiplier
                                acc += (int(xi[b, iy, ix, ic]) + q.input_offset) * int(w[0, fy, fx, oc])
                            else:
                                acc += int(
                                    np.sum(
                                        (xi[b, iy, ix, :] + q.input_offset)
                                        * w[oc, fy, fx, :].astype(np.int64)
                                    )
                                )
                    if bias is not None:
                        acc += int(bias[oc])
                    acc = _rescale_linear(
                        acc,
                        q.per_channel_output_multiplier[oc],
                        q.per_channel_output_shift[oc],
                        p.mode.accumulator,
                    )
                    out[b, oy, ox, oc] = _clamp(
                        acc + q.output_offset, q.output_activation_min, q.output_activation_max
                    )
    return out


def _broadcast(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a64, b64 = np.broadcast_arrays(a.astype(np.int64), b.astype(np.int64))
    return a64, b64


def add_sub(p: ArithmeticParams, a: np.ndarray, b: np.ndarray, subtract: bool) -> np.ndarray:
    a64, b64 = _broadcast(a, b)
    out = np.zeros(a64.shape, dtype=np.int8)
    for idx in np.ndindex(a64.shape):
        x = (int(a64[idx]) + p.input1_offset) << p.left_shift
        y = (int(b64[idx]) + p.input2_offset) << p.left_shift
        x = mbqm(x, p.input1_multiplier, p.input1_shift)
        y = mbqm(y, p.input2_multiplier, p.input2_shift)
        raw = mbqm(x - y if subtract else x + y, p.output_multiplier, p.output_shift) + p.output_offset
        out[idx] = _clamp(raw, p.output_activation_min, p.output_activation_max)
    return out


def mul(p: MulParams, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a64, b64 = _broadcast(a, b)
    out = np.zeros(a64.shape, dtype=np.int8)
    for idx in np.ndindex(a64.shape):
        product = (int(a64[idx]) + p.input1_offset) * (int(b64[idx]) + p.input2_offset)
        raw = mbqm(product, p.output_multiplier, p.output_shift) + p.output_offset
        out[idx] = _clamp(raw, p.output_activation_min, p.output_activation_max)
    return out


def pool(p: Pool2DParams, x: np.ndarray, average: bool) -> np.ndarray:
    _, in_h, in_w, _ = p.input_shape
    out = np.zeros(p.output_shape, dtype=np.int8)
    for b, oy, ox, ch in np.ndindex(p.output_shape):
        y0 = oy * p.stride_h - p.padding.height
        x0 = ox * p.stride_w - p.padding.width
        window = [
            int(x[b, y, xx, ch])
            for y in range(max(y0, 0), min(y0 + p.filter_h, in_h))
            for xx in range(max(x0, 0), min(x0 + p.filter_w, in_w))
        ]
        if average:
            total, count = sum(window), len(window)
            value = (total + count // 2) // count if total > 0 else -((-total + count // 2) // count)
        else:
            value = max(window)
        out[b, oy, ox, ch] = _clamp(value, p.activation_min, p.activation_max)
    return out


def quantize(p: QuantizeParams, x: np.ndarray) -> np.ndarray:
    if p.mode is QuantizeMode.FLOAT_TO_INT8:
        return quant.affine_quantize(x, p.output_scale, p.output_zero_point, DType.INT8)
    multiplier = quant.QuantizedMultiplier(p.requantize_output_multiplier, p.requantize_output_shift)
    return quant.requantize(x, multiplier, p.input_zero_point, p.output_zero_point, DType.INT8)


def mean(p: MeanParams, x: np.ndarray) -> np.ndarray:
    sums = x.astype(np.int64).sum(axis=p.axes, keepdims=p.keep_dims)
    flat = [
        _clamp(
            mbqm(int(s) - p.input_zero_point * p.num_elements_in_axis, p.mean_multiplier, p.mean_shift)
            + p.output_zero_point,
            -128,
            127,
        )
        for s in sums.reshape(-1)
    ]
    return np.array(flat, dtype=np.int8).reshape(p.output_shape)


def relu(p: ReluParams, x: np.ndarray) -> np.ndarray:
    flat = [
        _clamp(
            p.output_offset + mbqm(int(v) - p.input_offset, p.output_multiplier, p.output_shift),
            p.quantized_activation_min,
            p.quantized_activation_max,
        )
        for v in x.reshape(-1)
    ]
    return np.array(flat, dtype=np.int8).reshape(x.shape)


def leaky_relu(p: LeakyReluParams, x: np.ndarray) -> np.ndarray:
    flat = []
    for v in x.reshape(-1):
        diff = int(v) - p.input_zero_point
        if diff >= 0:
            raw = mbqm(diff, p.output_multiplier_identity, p.output_shift_identity)
        else:
            raw = mbqm(diff, p.output_multiplier_alpha, p.output_shift_alpha)
        flat.append(_clamp(raw + p.output_zero_point, -128, 127))
    return np.array(flat, dtype=np.int8).reshape(x.shape)
