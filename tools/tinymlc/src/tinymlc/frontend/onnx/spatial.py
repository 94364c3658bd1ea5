"""ONNX spatial attributes (kernel, strides, dilations, pads, auto_pad) -> TFLite padding."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.frontend.onnx.builder import UnsupportedNodeError
from tinymlc.frontend.onnx.node import Node
from tinymlc.ir import Padding


@dataclass(frozen=True)
class Spatial:
    strides: tuple[int, int]
    dilations: tuple[int, int]
    pads: tuple[int, int, int, int]
    """(top, left, bottom, right), resolved from `pads` or `auto_pad`."""
    output: tuple[int, int]

    def tflite_padding(self, size: tuple[int, int], kernel: tuple[int, int]) -> Padding | None:
        """SAME or VALID when TFLite's scheme pads exactly like the model, else None."""
        valid = tuple(
            (n - (k - 1) * d - 1) // s + 1
            for n, k, s, d in zip(size, kernel, self.strides, self.dilations, strict=True)
        )
        if self.pads == (0, 0, 0, 0) and self.output == valid:
            return Padding.VALID
        same = _same_pads(size, kernel, self.strides, self.dilations, upper=True)
        if self.pads == same and self.output == tuple(
            -(-n // s) for n, s in zip(size, self.strides, strict=True)
        ):
            return Padding.SAME
        return None


def _same_pads(
    size: tuple[int, int],
    kernel: tuple[int, int],
    strides: tuple[int, int],
    dilations: tuple[int, int],
    upper: bool,
) -> tuple[int, int, int, int]:
    begin, end = [], []
    for n, k, s, d in zip(size, kernel, strides, dilations, strict=True):
        out = -(-n // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
        small, large = total // 2, total - total // 2
        begin.append(small if upper else large)
        end.append(large if upper else small)
    return (begin[0], begin[1], end[0], end[1])


def spatial(node: Node, size: tuple[int, int], kernel: tuple[int, int]) -> Spatial:
    def pair(name: str) -> tuple[int, int]:
        values = node.attr(name) or [1, 1]
        if len(values) != 2:
            raise UnsupportedNodeError(f"{name} {list(values)} is not 2-D")
        return int(values[0]), int(values[1])

    strides, dilations = pair("strides"), pair("dilations")
    if min(strides + dilations) < 1:
        raise UnsupportedNodeError("strides and dilations must be positive")
    auto_pad = node.attr("auto_pad", "NOTSET")
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        pads = _same_pads(size, kernel, strides, dilations, upper=auto_pad == "SAME_UPPER")
    elif auto_pad == "VALID":
        pads = (0, 0, 0, 0)
    elif auto_pad == "NOTSET":
        values = [int(v) for v in node.attr("pads") or [0, 0, 0, 0]]
        if len(values) != 4 or min(values) < 0:
            raise UnsupportedNodeError(f"pads {values} must be four non-negative values")
        pads = (values[0], values[1], values[2], values[3])
    else:
        raise UnsupportedNodeError(f"auto_pad {auto_pad!r} is unknown")
    ceil_mode = bool(node.attr("ceil_mode", 0))
    output = []
    for axis in range(2):
        span = size[axis] + pads[axis] + pads[axis + 2] - ((kernel[axis] - 1) * dilations[axis] + 1)
        if span < 0:
            raise UnsupportedNodeError("the kernel is larger than the padded input")
        steps = -(-span // strides[axis]) if ceil_mode else span // strides[axis]
        output.append(steps + 1)
    if ceil_mode and any(
        (o - 1) * s >= n + p for o, s, n, p in zip(output, strides, size, pads[:2], strict=True)
    ):
        output = [o - 1 for o in output]
    return Spatial(strides, dilations, pads, (output[0], output[1]))
