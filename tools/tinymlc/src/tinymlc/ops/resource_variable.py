"""READ_VARIABLE and ASSIGN_VARIABLE, as `passes.resource_variables` lowers them: a copy
from the variable tensor (READ) or into it (ASSIGN). TFLM copies the raw bytes, whatever
the two tensors' quantization; it requires equal byte sizes."""

from __future__ import annotations

from tinymlc.ops._common import OpView, require, require_arity
from tinymlc.ops.reshape import ReshapeParams


def prepare(view: OpView) -> ReshapeParams:
    require_arity(view, (1,))
    source, target = view.input(0), view.output()
    require(
        source.dtype == target.dtype and source.byte_size == target.byte_size,
        f"copies {source.dtype.name} {list(source.shape)} into {target.dtype.name} {list(target.shape)}: "
        "TFLM needs the variable and the tensor read or assigned to have the same bytes",
        "give the variable one type and shape",
        target,
    )
    return ReshapeParams(input_shape=source.shape, output_shape=target.shape, byte_size=target.byte_size)
