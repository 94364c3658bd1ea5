"""Quantized weights and biases in the form TFLM's int8 kernels take them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from tinymlc.frontend.onnx.builder import Builder, Const, QParams, UnsupportedNodeError, signed_data
from tinymlc.ir import DType, Quantization


class WeightsNotInt8Error(UnsupportedNodeError):
    """Weights minus their zero point leave the int8 range."""


def per_channel_weights(weights: Const, channel_axis: int) -> tuple[npt.NDArray[np.int8], tuple[float, ...]]:
    """int8 weights with zero point 0 and one scale per index of `channel_axis` (ONNX
    layout). A non-zero weight zero point is folded into the values when they still fit
    int8 (TFLM's kernels ignore weight zero points)."""
    qparams = weights.qparams
    if qparams is None:
        raise UnsupportedNodeError("weights are float: quantize the model (QDQ or QOperator) first")
    channels = weights.data.shape[channel_axis]
    if len(qparams.scales) not in (1, channels):
        raise UnsupportedNodeError(f"weights have {len(qparams.scales)} scales for {channels} channels")
    if (
        len(qparams.scales) > 1
        and qparams.axis is not None
        and qparams.axis % weights.data.ndim != channel_axis
    ):
        raise UnsupportedNodeError(
            f"weights are quantized along axis {qparams.axis}, the kernel needs axis {channel_axis}"
        )
    shape = [1] * weights.data.ndim
    shape[channel_axis] = -1
    zero_points = np.array(qparams.int8_zero_points(), dtype=np.int32).reshape(
        shape if len(qparams.zero_points) > 1 else [1]
    )
    values = signed_data(weights) - zero_points
    if values.min(initial=0) < -128 or values.max(initial=0) > 127:
        raise WeightsNotInt8Error(
            "weights minus their zero point exceed int8: use symmetric weight quantization"
        )
    scales = qparams.scales if len(qparams.scales) == channels else qparams.scales * channels
    return values.astype(np.int8), tuple(scales)


FilterWeights = tuple[npt.NDArray[np.int8], tuple[float, ...], int]
"""A filter's int8 values, scale per channel and zero point (of every channel)."""

WeightsOf = Callable[[Const, int], FilterWeights]
"""The filter of weights whose channels run along the given ONNX axis."""


def folded_weights(weights: Const, channel_axis: int) -> FilterWeights:
    """`per_channel_weights` and the filter zero point they have (0)."""
    values, scales = per_channel_weights(weights, channel_axis)
    return values, scales, 0


def bias_values(
    name: str, bias: Const | None, input_scale: float, weight_scales: tuple[float, ...]
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]:
    """(int32 bias, its float32 scales input_scale * weight_scale per channel): a float
    bias is quantized to them, round half to even as ONNX's quantizers do."""
    channels = len(weight_scales)
    scales = np.array([np.float32(input_scale) * np.float32(s) for s in weight_scales], dtype=np.float64)
    if bias is None:
        values = np.zeros(channels, dtype=np.int32)
    elif bias.qparams is None:
        real = np.broadcast_to(np.asarray(bias.data, dtype=np.float64).reshape(-1), (channels,))
        if not np.all(np.isfinite(real)):
            raise UnsupportedNodeError(f"bias {name!r} holds values that are not finite")
        values = np.clip(np.rint(real / scales), -(2**31), 2**31 - 1).astype(np.int32)
    else:
        data = np.asarray(bias.data)
        if not np.issubdtype(data.dtype, np.integer):
            raise UnsupportedNodeError(f"quantized bias {name!r} must hold integers, not {data.dtype}")
        values = np.broadcast_to(data.reshape(-1), (channels,)).astype(np.int32)
    return values, scales


def bias_tensor(
    builder: Builder, name: str, bias: Const | None, input_scale: float, weight_scales: tuple[float, ...]
) -> int:
    """int32 bias at scale input_scale * weight_scale per channel (`bias_values`)."""
    values, scales = bias_values(name, bias, input_scale, weight_scales)
    channels = len(weight_scales)
    quantization = Quantization(tuple(float(s) for s in scales.astype(np.float32)), (0,) * channels)
    return builder.constant(name, values, DType.INT32, quantization)


def constant_operand(builder: Builder, name: str, operand: Const) -> int:
    """A quantized constant operand of an elementwise op as an int8 IR constant."""
    qparams: QParams | None = operand.qparams
    if qparams is None or len(qparams.scales) != 1:
        raise UnsupportedNodeError(f"constant operand {name!r} must be quantized per tensor")
    return builder.constant(name, signed_data(operand), DType.INT8, qparams.quantization())
