"""The operators on the `remap` kernel: their coordinate tables, applied in numpy
(as constant folding does), against numpy's own definition of each operator."""

import numpy as np
import pytest

from tests.model_builder import ModelBuilder
from tinymlc.errors import OpError
from tinymlc.frontend import parse_model
from tinymlc.ir import DType
from tinymlc.ops import prepare_operator
from tinymlc.ops._remap import RemapParams, apply_remap
from tinymlc.ops.resize_bilinear import Sample, samples
from tinymlc.ops.resize_nearest_neighbor import nearest

RNG = np.random.default_rng(7)


def _remap(
    builtin: str,
    shape: tuple[int, ...],
    out_shape: tuple[int, ...],
    operands: list[np.ndarray],
    options: str | None = None,
    **values: object,
) -> RemapParams:
    mb = ModelBuilder()
    x = mb.tensor("x", shape, scale=0.1)
    constants = [
        mb.tensor(f"c{i}", a.shape, DType.INT64 if a.dtype == np.int64 else DType.INT32, data=a)
        for i, a in enumerate(operands)
    ]
    y = mb.tensor("y", out_shape, scale=0.1)
    mb.op(builtin, [x, *constants], [y], options, None, **values)
    params = prepare_operator(parse_model(mb.build([x], [y])).main, 0)
    assert isinstance(params, RemapParams)
    return params


def _data(shape: tuple[int, ...]) -> np.ndarray:
    return RNG.integers(-128, 128, shape).astype(np.int8)


def test_depth_to_space_matches_its_definition() -> None:
    x = _data((2, 3, 2, 12))
    params = _remap("DEPTH_TO_SPACE", x.shape, (2, 6, 4, 3), [], "DepthToSpaceOptions", BlockSize=2)
    expected = x.reshape(2, 3, 2, 2, 2, 3).transpose(0, 1, 3, 2, 4, 5).reshape(2, 6, 4, 3)
    np.testing.assert_array_equal(apply_remap(params, x).reshape(expected.shape), expected)


def test_space_to_batch_then_batch_to_space_round_trips() -> None:
    x = _data((1, 4, 6, 2))
    block = np.array([2, 2], dtype=np.int32)
    paddings = np.array([[1, 1], [0, 2]], dtype=np.int32)
    to_batch = _remap("SPACE_TO_BATCH_ND", x.shape, (4, 3, 4, 2), [block, paddings])
    batched = apply_remap(to_batch, x).reshape(4, 3, 4, 2)
    assert np.count_nonzero(batched == 0) >= 4 * 3 * 4 * 2 - x.size  # padding is 0
    back = _remap("BATCH_TO_SPACE_ND", (4, 3, 4, 2), (1, 4, 6, 2), [block, paddings])
    np.testing.assert_array_equal(apply_remap(back, batched).reshape(x.shape), x)


@pytest.mark.parametrize(("mode", "name"), [(0, "reflect"), (1, "symmetric")])
def test_mirror_pad_matches_numpy(mode: int, name: str) -> None:
    x = _data((1, 4, 5))
    paddings = np.array([[0, 0], [3 - mode, 2], [1, 4 - mode]], dtype=np.int32)
    out_shape = tuple(int(d + p.sum()) for d, p in zip(x.shape, paddings, strict=True))
    params = _remap("MIRROR_PAD", x.shape, out_shape, [paddings], "MirrorPadOptions", Mode=mode)
    expected = np.pad(x, paddings.tolist(), mode=name)  # type: ignore[call-overload]
    np.testing.assert_array_equal(apply_remap(params, x).reshape(out_shape), expected)


def test_mirror_pad_wider_than_the_input_is_rejected() -> None:
    paddings = np.array([[0, 0], [4, 0]], dtype=np.int32)
    with pytest.raises(OpError, match="exceed the input extents"):
        _remap("MIRROR_PAD", (1, 4), (1, 8), [paddings], "MirrorPadOptions", Mode=0)


def test_gather_with_batch_dims_matches_numpy() -> None:
    x = _data((2, 3, 5, 2))
    indices = np.array([[4, 0, 1], [2, 2, 3]], dtype=np.int64)
    params = _remap("GATHER", x.shape, (2, 3, 3, 2), [indices], "GatherOptions", Axis=2, BatchDims=1)
    expected = np.stack([np.take(x[b], indices[b], axis=1) for b in range(2)])
    np.testing.assert_array_equal(apply_remap(params, x).reshape(expected.shape), expected)


def test_gather_index_out_of_range_is_rejected() -> None:
    with pytest.raises(OpError, match=r"indices outside \[0, 3\)"):
        _remap("GATHER", (3, 2), (1, 2), [np.array([3], dtype=np.int32)], "GatherOptions", Axis=0)


def test_broadcast_to_matches_numpy() -> None:
    x = _data((3, 1))
    params = _remap("BROADCAST_TO", x.shape, (2, 3, 4), [np.array([2, 3, 4], dtype=np.int32)])
    np.testing.assert_array_equal(apply_remap(params, x).reshape(2, 3, 4), np.broadcast_to(x, (2, 3, 4)))


def test_nearest_neighbor_indices() -> None:
    # Half-pixel centers: floor((i + 0.5) * 5 / 9); align corners: round(i * 4 / 7).
    assert [nearest(i, 5, 9, False, True) for i in range(9)] == [0, 0, 1, 1, 2, 3, 3, 4, 4]
    assert [nearest(i, 5, 8, True, False) for i in range(8)] == [0, 1, 1, 2, 2, 3, 3, 4]
    assert [nearest(i, 6, 4, False, False) for i in range(4)] == [0, 1, 3, 4]


def test_space_to_depth_inverts_depth_to_space() -> None:
    x = _data((1, 4, 6, 3))
    params = _remap("SPACE_TO_DEPTH", x.shape, (1, 2, 3, 12), [], "SpaceToDepthOptions", BlockSize=2)
    expected = x.reshape(1, 2, 2, 3, 2, 3).transpose(0, 1, 3, 2, 4, 5).reshape(1, 2, 3, 12)
    np.testing.assert_array_equal(apply_remap(params, x).reshape(expected.shape), expected)


def test_bilinear_half_pixel_samples_extrapolate_at_the_edges() -> None:
    # 4 -> 8 rows: scale 512; row 0 sits at -256/1024, clamped to row 0 with a
    # negative fraction (TFLM extrapolates), the last row at 3.25 -> rows 3 and 3.
    rows = samples(4, 8, align_corners=False, half_pixel_centers=True)
    assert rows[0] == Sample(0, 0, -256)
    assert rows[1] == Sample(0, 1, 256)
    assert rows[-1] == Sample(3, 3, 256)
    assert samples(3, 5, align_corners=True, half_pixel_centers=False)[1] == Sample(0, 1, 512)


def test_gather_nd_follows_tflm_flat_positions() -> None:
    # TFLM checks only the flat start: [0, 7] on [2, 5] reads row 1, column 2.
    x = _data((2, 5))
    indices = np.array([[1, 4], [0, 7]], dtype=np.int32)
    params = _remap("GATHER_ND", x.shape, (2,), [indices])
    np.testing.assert_array_equal(apply_remap(params, x).reshape(-1), [x[1, 4], x[1, 2]])
    with pytest.raises(OpError, match="reads outside params"):
        _remap("GATHER_ND", x.shape, (1,), [np.array([[1, 5]], dtype=np.int32)])
