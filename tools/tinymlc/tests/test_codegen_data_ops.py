"""Generated Rust vs TFLM, bit for bit, on one model chaining the data-movement and
reduction operators (one compile: each costs seconds)."""

from __future__ import annotations

import numpy as np

from tests.codegen_support import assert_bit_exact
from tests.model_builder import ModelBuilder
from tinymlc.ir import DType


def _constant(mb: ModelBuilder, name: str, values: object) -> int:
    data = np.array(values, dtype=np.int32)
    return mb.tensor(name, data.shape, DType.INT32, data=data)


def _chain() -> bytes:
    mb = ModelBuilder()

    def q(name: str, shape: tuple[int, ...]) -> int:
        return mb.tensor(name, shape, scale=0.05, zero_point=3)

    x = q("x", (1, 4, 6, 4))
    padded = q("padded", (1, 6, 7, 4))
    mb.op(
        "MIRROR_PAD",
        [x, _constant(mb, "pads", [[0, 0], [1, 1], [1, 0], [0, 0]])],
        [padded],
        "MirrorPadOptions",
        Mode=0,
    )
    resized = q("resized", (1, 5, 8, 4))
    mb.op(
        "RESIZE_BILINEAR",
        [padded, _constant(mb, "size", [5, 8])],
        [resized],
        "ResizeBilinearOptions",
        HalfPixelCenters=True,
    )
    left, right = q("left", (1, 5, 8, 2)), q("right", (1, 5, 8, 2))
    mb.op("SPLIT", [_constant(mb, "split_axis", 3), resized], [left, right], "SplitOptions", NumSplits=2)
    gathered = q("gathered", (1, 5, 8, 3))
    mb.op("GATHER", [right, _constant(mb, "indices", [1, 0, 1])], [gathered], "GatherOptions", Axis=3)
    summed = mb.tensor("summed", (1, 1, 1, 3), scale=0.9, zero_point=-4)
    mb.op("SUM", [gathered, _constant(mb, "sum_axes", [1, 2])], [summed], "ReducerOptions", KeepDims=True)
    arg = mb.tensor("arg", (1, 5, 2), DType.INT32)
    mb.op("ARG_MAX", [left, _constant(mb, "arg_axis", [2])], [arg], "ArgMaxOptions", OutputType=2)
    batched = q("batched", (4, 3, 4, 2))
    mb.op(
        "SPACE_TO_BATCH_ND",
        [left, _constant(mb, "block", [2, 2]), _constant(mb, "paddings", [[1, 0], [0, 0]])],
        [batched],
    )
    reduced = q("reduced", (3, 4, 2))
    mb.op("REDUCE_MAX", [batched, _constant(mb, "max_axes", [0])], [reduced], "ReducerOptions")
    return mb.build([x], [summed, arg, reduced])


def test_data_movement_and_reduction_chain_is_bit_exact() -> None:
    assert_bit_exact(_chain())
