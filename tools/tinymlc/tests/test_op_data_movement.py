"""SLICE, EXPAND_DIMS, SPLIT, SPLIT_V and UNPACK: parameters and the rewrite of
multi-output operators into single-output slices."""

import numpy as np
import pytest

from tests.model_builder import ModelBuilder
from tinymlc.errors import OpError
from tinymlc.frontend import parse_model
from tinymlc.ir import DType, Graph, OpKind
from tinymlc.ops import prepare_graph, prepare_operator
from tinymlc.ops.concatenation import ConcatenationParams
from tinymlc.ops.reshape import ReshapeParams
from tinymlc.ops.strided_slice import StridedSliceParams
from tinymlc.passes import split_outputs


def _graph(data: bytes) -> Graph:
    return parse_model(data).main


def test_slice_to_the_end_is_a_unit_stride_slice_on_five_dimensions() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 6, 5, 4), scale=0.1)
    begin = mb.tensor("begin", (4,), DType.INT32, data=np.array([0, 2, 1, 3]))
    size = mb.tensor("size", (4,), DType.INT32, data=np.array([1, 3, -1, 1]))
    y = mb.tensor("y", (1, 3, 4, 1), scale=0.1)
    mb.op("SLICE", [x, begin, size], [y])
    params = prepare_operator(_graph(mb.build([x], [y])), 0)
    assert params == StridedSliceParams(
        input_shape_5d=(1, 1, 6, 5, 4),
        starts=(0, 0, 2, 1, 3),
        stops=(1, 1, 5, 5, 4),
        strides=(1, 1, 1, 1, 1),
        output_shape=(1, 3, 4, 1),
    )


def test_slice_out_of_bounds_is_rejected() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 6), scale=0.1)
    begin = mb.tensor("begin", (2,), DType.INT32, data=np.array([0, 4]))
    size = mb.tensor("size", (2,), DType.INT32, data=np.array([1, 3]))
    y = mb.tensor("y", (1, 3), scale=0.1)
    mb.op("SLICE", [x, begin, size], [y])
    with pytest.raises(OpError, match="leave the input extent 6"):
        prepare_operator(_graph(mb.build([x], [y])), 0)


def test_expand_dims_counts_negative_axes_from_the_output_rank() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 5, 3), scale=0.1)
    axis = mb.tensor("axis", (1,), DType.INT32, data=np.array([-1]))
    y = mb.tensor("y", (1, 5, 3, 1), scale=0.1)
    mb.op("EXPAND_DIMS", [x, axis], [y])
    params = prepare_operator(_graph(mb.build([x], [y])), 0)
    assert params == ReshapeParams(input_shape=(1, 5, 3), output_shape=(1, 5, 3, 1), byte_size=15)


def test_split_becomes_one_strided_slice_per_output() -> None:
    mb = ModelBuilder()
    axis = mb.tensor("axis", (), DType.INT32, data=np.array(-1))
    x = mb.tensor("x", (1, 4, 6), scale=0.1)
    outputs = [mb.tensor(f"y{i}", (1, 4, 2), scale=0.1) for i in range(3)]
    mb.op("SPLIT", [axis, x], outputs, "SplitOptions", NumSplits=3)
    graph = split_outputs(_graph(mb.build([x], outputs)))
    assert [op.kind for op in graph.operators] == [OpKind.STRIDED_SLICE] * 3
    assert [op.outputs for op in graph.operators] == [(o,) for o in outputs]
    params = prepare_graph(graph)
    assert [p.starts[-1] for p in params if isinstance(p, StridedSliceParams)] == [0, 2, 4]
    assert all(p.output_shape == (1, 4, 2) for p in params if isinstance(p, StridedSliceParams))


def test_split_v_takes_each_extent_from_its_output() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 7), scale=0.1)
    sizes = mb.tensor("sizes", (2,), DType.INT32, data=np.array([5, -1]))
    axis = mb.tensor("axis", (), DType.INT32, data=np.array(1))
    y0, y1 = mb.tensor("y0", (1, 5), scale=0.1), mb.tensor("y1", (1, 2), scale=0.1)
    mb.op("SPLIT_V", [x, sizes, axis], [y0, y1], "SplitVOptions", NumSplits=2)
    params = prepare_graph(split_outputs(_graph(mb.build([x], [y0, y1]))))
    assert [(p.starts[-1], p.stops[-1]) for p in params if isinstance(p, StridedSliceParams)] == [
        (0, 5),
        (5, 7),
    ]


def test_unpack_shrinks_its_axis() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 3, 4), scale=0.1)
    outputs = [mb.tensor(f"y{i}", (2, 4), scale=0.1) for i in range(3)]
    mb.op("UNPACK", [x], outputs, "UnpackOptions", Num=3, Axis=1)
    params = prepare_graph(split_outputs(_graph(mb.build([x], outputs))))
    assert all(isinstance(p, StridedSliceParams) and p.output_shape == (2, 4) for p in params)


def test_unpack_with_the_wrong_output_count_is_rejected() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 3, 4), scale=0.1)
    outputs = [mb.tensor(f"y{i}", (2, 4), scale=0.1) for i in range(2)]
    mb.op("UNPACK", [x], outputs, "UnpackOptions", Num=2, Axis=1)
    with pytest.raises(OpError, match="unpacks 2 outputs from an axis of size 3"):
        prepare_operator(_graph(mb.build([x], outputs)), 0)


def test_pack_is_a_concatenation_of_unit_slices() -> None:
    mb = ModelBuilder()
    inputs = [mb.tensor(f"x{i}", (2, 3), scale=0.1) for i in range(4)]
    y = mb.tensor("y", (2, 4, 3), scale=0.1)
    mb.op("PACK", inputs, [y], "PackOptions", ValuesCount=4, Axis=-2)
    params = prepare_operator(_graph(mb.build(inputs, [y])), 0)
    assert isinstance(params, ConcatenationParams)
    assert (params.axis, params.outer_size, params.copy_sizes) == (1, 2, (3, 3, 3, 3))
    assert params.input_shapes == ((2, 1, 3),) * 4
