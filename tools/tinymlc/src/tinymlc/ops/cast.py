"""CAST (micro/kernels/cast.cc): `static_cast` of every element, no Prepare checks.

TFLM casts from INT8, INT16, INT32, UINT32, FLOAT32 and BOOL to INT8, INT16, INT32,
UINT32 and FLOAT32 (UINT32 is arena-only here: the signal library's tensors, never
model inputs or outputs).
Quantization parameters play no part: stored values are converted as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require, require_arity, require_dtype

SOURCE_TYPES = (DType.INT8, DType.INT16, DType.INT32, DType.UINT32, DType.FLOAT32, DType.BOOL)
TARGET_TYPES = (DType.INT8, DType.INT16, DType.INT32, DType.UINT32, DType.FLOAT32)


@dataclass(frozen=True)
class CastParams:
    input_dtype: DType
    output_dtype: DType
    elements: int


def prepare(view: OpView) -> CastParams:
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    require_dtype(input_, SOURCE_TYPES, "input")
    require_dtype(output, TARGET_TYPES, "output")
    require(
        input_.num_elements == output.num_elements,
        f"input has {input_.num_elements} elements, output {output.num_elements} (TFLM's MatchingFlatSize)",
        "re-export the model",
        output,
    )
    return CastParams(input_.dtype, output.dtype, input_.num_elements)
