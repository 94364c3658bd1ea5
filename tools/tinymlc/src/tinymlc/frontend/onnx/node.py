"""One ONNX node as the operator modules see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx

from tinymlc.frontend.onnx.builder import Act, Const, Operand, UnsupportedNodeError


@dataclass(frozen=True)
class Node:
    proto: onnx.NodeProto
    index: int
    opset: int
    """The opset of the node's domain the model imports."""

    @property
    def op_type(self) -> str:
        return str(self.proto.op_type)

    @property
    def domain(self) -> str:
        return str(self.proto.domain) or "ai.onnx"

    @property
    def name(self) -> str:
        return str(self.proto.name) or f"{self.op_type}_{self.index}"

    def describe(self) -> str:
        return f"node {self.name!r} ({self.op_type}, domain {self.domain}, opset {self.opset})"

    def attr(self, name: str, default: Any = None) -> Any:
        for attribute in self.proto.attribute:
            if attribute.name == name:
                value = onnx.helper.get_attribute_value(attribute)
                return value.decode() if isinstance(value, bytes) else value
        return default

    def output_name(self, index: int = 0) -> str:
        return str(self.proto.output[index])


def act(inputs: list[Operand | None], index: int, role: str = "input") -> Act:
    operand = inputs[index] if index < len(inputs) else None
    if not isinstance(operand, Act):
        raise UnsupportedNodeError(f"{role} must be a quantized activation, not a constant")
    return operand


def const(inputs: list[Operand | None], index: int, role: str) -> Const:
    operand = inputs[index] if index < len(inputs) else None
    if not isinstance(operand, Const):
        raise UnsupportedNodeError(f"{role} must be a constant (an initializer), not computed at run time")
    return operand


def optional_const(inputs: list[Operand | None], index: int, role: str) -> Const | None:
    if index >= len(inputs) or inputs[index] is None:
        return None
    return const(inputs, index, role)


def ints(operand: Const | None, default: list[int] | None = None) -> list[int]:
    if operand is None:
        return list(default or [])
    return [int(v) for v in np.asarray(operand.data).reshape(-1)]


def scalar(operand: Const | None, default: float) -> float:
    if operand is None:
        return default
    values = np.asarray(operand.data).reshape(-1)
    if values.size != 1:
        raise UnsupportedNodeError("expected a scalar constant")
    if operand.qparams is not None:
        return float(operand.qparams.scale * (float(values[0]) - operand.qparams.zero_points[0]))
    return float(values[0])


def int_list_input_or_attr(
    node: Node, inputs: list[Operand | None], index: int, attr: str, since: int
) -> list[int] | None:
    """Operator parameters that moved from an attribute to an input at opset `since`."""
    if node.opset >= since:
        operand = optional_const(inputs, index, attr)
        return None if operand is None else ints(operand)
    value = node.attr(attr)
    return None if value is None else [int(v) for v in value]
