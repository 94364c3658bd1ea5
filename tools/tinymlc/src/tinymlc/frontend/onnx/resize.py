"""Resize (QDQ, and Upsample) over the spatial axes of an NCHW activation ->
RESIZE_NEAREST_NEIGHBOR or RESIZE_BILINEAR.

Nearest: ONNX's coordinate transformation and rounding mode give every output row and
column an input index; the shapes are static, so those index maps are computed here and
the TFLite mode (align_corners, half_pixel_centers) producing the same maps is chosen,
whatever the ONNX attributes that led to them. Linear: the coordinate transformations
TFLite's bilinear resize shares with ONNX (half_pixel, pytorch_half_pixel, align_corners,
asymmetric), at the scale output size / input size.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from tinymlc.frontend.onnx.builder import Builder, Const, Operand, QParams, UnsupportedNodeError
from tinymlc.frontend.onnx.node import Node, act, optional_const
from tinymlc.ir import OpKind, ResizeAttrs
from tinymlc.ops.resize_nearest_neighbor import nearest

# (align_corners, half_pixel_centers) of TFLite's resize operators.
_TFLITE_MODES = ((False, False), (True, False), (False, True))
_ROUNDING: dict[str, Callable[[float], int]] = {
    "round_prefer_floor": lambda x: math.ceil(x - 0.5),
    "round_prefer_ceil": lambda x: math.floor(x + 0.5),
    "floor": math.floor,
    "ceil": math.ceil,
}
_LINEAR_MODES = {
    "half_pixel": (False, True),
    "pytorch_half_pixel": (False, True),
    "align_corners": (True, False),
    "asymmetric": (False, False),
}


def _source_coordinate(mode: str, index: int, in_size: int, out_size: int, scale: float) -> float:
    """ONNX's coordinate_transformation_mode: output index -> input coordinate."""
    if mode == "half_pixel":
        return (index + 0.5) / scale - 0.5
    if mode == "pytorch_half_pixel":
        return (index + 0.5) / scale - 0.5 if out_size > 1 else 0.0
    if mode == "align_corners":
        return index * (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    if mode == "asymmetric":
        return index / scale
    if mode == "tf_half_pixel_for_nn":
        return (index + 0.5) / scale
    raise UnsupportedNodeError(f"coordinate_transformation_mode {mode!r} is not supported")


def _onnx_nearest_map(node: Node, mode: str, in_size: int, out_size: int, scale: float) -> list[int]:
    rounding = _ROUNDING.get(node.attr("nearest_mode", "round_prefer_floor"))
    if rounding is None:
        raise UnsupportedNodeError(f"nearest_mode {node.attr('nearest_mode')!r} is unknown")
    return [
        min(max(rounding(_source_coordinate(mode, o, in_size, out_size, scale)), 0), in_size - 1)
        for o in range(out_size)
    ]


def _sizes_and_scales(
    node: Node, inputs: list[Operand | None], shape: tuple[int, ...]
) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """The output shape and ONNX's per-axis scales (given, or output / input sizes)."""
    if node.op_type == "Upsample" or node.opset < 11:
        scales_operand: Const | None = optional_const(inputs, 1, "scales")
        sizes_operand = None
    else:
        scales_operand = optional_const(inputs, 2, "scales")
        sizes_operand = optional_const(inputs, 3, "sizes")
    if node.attr("axes") is not None:
        raise UnsupportedNodeError("the axes attribute is not supported: give every axis")
    if sizes_operand is not None and sizes_operand.data.size:
        sizes = tuple(int(s) for s in np.asarray(sizes_operand.data).reshape(-1))
        if len(sizes) != len(shape):
            raise UnsupportedNodeError(f"sizes {list(sizes)} do not match rank {len(shape)}")
        if node.attr("keep_aspect_ratio_policy", "stretch") != "stretch":
            raise UnsupportedNodeError("keep_aspect_ratio_policy other than stretch is not supported")
        return sizes, tuple(o / i for o, i in zip(sizes, shape, strict=True))
    if scales_operand is None or not scales_operand.data.size:
        raise UnsupportedNodeError("neither scales nor sizes is given")
    scales = tuple(float(s) for s in np.asarray(scales_operand.data, dtype=np.float32).reshape(-1))
    if len(scales) != len(shape):
        raise UnsupportedNodeError(f"scales {list(scales)} do not match rank {len(shape)}")
    return tuple(math.floor(i * s) for i, s in zip(shape, scales, strict=True)), scales


def lower_resize(builder: Builder, node: Node, inputs: list[Operand | None], out: list[QParams]) -> list[int]:
    x = act(inputs, 0)
    shape = builder.onnx_shape[x.tensor]
    if len(shape) != 4:
        raise UnsupportedNodeError(f"only 4-D NCHW inputs are resized, not rank {len(shape)}")
    sizes, scales = _sizes_and_scales(node, inputs, shape)
    if sizes[:2] != shape[:2]:
        raise UnsupportedNodeError(f"resizing the batch or channel axis ({list(sizes)} from {list(shape)})")
    if min(sizes) < 1:
        raise UnsupportedNodeError(f"output size {list(sizes)} is empty")
    if int(node.attr("antialias", 0)):
        raise UnsupportedNodeError("antialias is not supported")
    mode = node.attr("mode", "nearest")
    default_transform = "asymmetric" if node.op_type == "Upsample" or node.opset < 11 else "half_pixel"
    transform = node.attr("coordinate_transformation_mode", default_transform)
    spatial = list(zip(shape[2:], sizes[2:], scales[2:], strict=True))
    if mode == "nearest":
        if node.op_type == "Upsample" or node.opset < 11:
            # Opset 10's Resize and Upsample take the floor of the asymmetric coordinate.
            wanted = [[min(math.floor(o / s), i - 1) for o in range(n)] for i, n, s in spatial]
        else:
            wanted = [_onnx_nearest_map(node, transform, i, n, s) for i, n, s in spatial]
        matching = [
            (align, half)
            for align, half in _TFLITE_MODES
            if all(
                [nearest(o, i, n, align, half) for o in range(n)] == axis_map
                for (i, n, _), axis_map in zip(spatial, wanted, strict=True)
            )
        ]
        if not matching:
            raise UnsupportedNodeError(
                f"nearest resize with coordinate_transformation_mode {transform!r} picks input "
                "rows or columns no TFLite resize mode picks"
            )
        kind, (align, half) = OpKind.RESIZE_NEAREST_NEIGHBOR, matching[0]
    elif mode == "linear":
        if transform not in _LINEAR_MODES:
            raise UnsupportedNodeError(f"linear resize with {transform!r} coordinates is not supported")
        if transform != "align_corners" and any(not math.isclose(s, n / i) for i, n, s in spatial):
            raise UnsupportedNodeError(f"scales {list(scales[2:])} differ from output size / input size")
        kind, (align, half) = OpKind.RESIZE_BILINEAR, _LINEAR_MODES[transform]
    else:
        raise UnsupportedNodeError(f"mode {mode!r} is not supported (nearest and linear are)")
    source = builder.standard(x.tensor)
    size = builder.int32_vector(f"{node.name}/size", [sizes[2], sizes[3]])
    output = builder.activation(node.output_name(), sizes, builder.qparams(source))
    builder.op(kind, [source, size], [output], ResizeAttrs(align, half))
    return [builder.requantize(output, out[0].quantization(), f"{node.output_name()}/requantized")]


LOWERINGS = {"Resize": lower_resize, "Upsample": lower_resize}
