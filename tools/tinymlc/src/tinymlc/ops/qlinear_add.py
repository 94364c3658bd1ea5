"""QLINEAR_ADD (`--onnx_exact` only): ONNX QLinearAdd as onnxruntime computes it on x86-64
with AVX2 and FMA (`runtime/kernels/src/qlinear_add.rs`), with broadcasting."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinymlc.ir import QLinearAddAttrs
from tinymlc.ops._binary import BinaryShapes, check_binary
from tinymlc.ops._common import OpView, require

SCALAR_OPERANDS = ("Neither", "First", "Second")
"""`QLinearAddAttrs.scalar` -> the kernel's `ScalarOperand`."""


@dataclass(frozen=True)
class QLinearAddParams:
    shapes: BinaryShapes
    ratio_a: float
    ratio_b: float
    fixed: float
    stored_offset: int
    output_offset: int
    scalar: str


def prepare(view: OpView) -> QLinearAddParams:
    operands = check_binary(view)
    attrs = view.op.attrs
    require(isinstance(attrs, QLinearAddAttrs), "QLINEAR_ADD without its constants")
    assert isinstance(attrs, QLinearAddAttrs)
    values = (attrs.ratio_a, attrs.ratio_b, attrs.fixed)
    require(all(float(np.float32(v)) == v for v in values), "its constants must be float32 values")
    require(0 <= attrs.scalar < len(SCALAR_OPERANDS), f"scalar operand {attrs.scalar} is 0, 1 or 2")
    shift = 128 if attrs.unsigned else 0
    return QLinearAddParams(operands.shapes, *values, shift, -shift, SCALAR_OPERANDS[attrs.scalar])
