"""RESHAPE: a copy (or nothing, once aliased) -- only the shape is checked."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ops._common import OpView, require, require_arity


@dataclass(frozen=True)
class ReshapeParams:
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    byte_size: int


def prepare_reshape_like(view: OpView) -> ReshapeParams:
    """Shared by RESHAPE and SQUEEZE: same type, quantization and element count."""
    input_, output = view.input(0), view.output()
    require(input_.dtype == output.dtype, "input and output types differ", "", output)
    # TFLM copies raw values whatever the quantization (the validator warns).
    require(
        input_.num_elements == output.num_elements,
        f"cannot reshape {list(input_.shape)} to {list(output.shape)}",
        "",
        output,
    )
    return ReshapeParams(input_shape=input_.shape, output_shape=output.shape, byte_size=output.byte_size)


def prepare(view: OpView) -> ReshapeParams:
    # The optional second input (new shape) only matters for dynamic shapes,
    # which are rejected; the output tensor's static shape is authoritative.
    require_arity(view, (1, 2))
    return prepare_reshape_like(view)
