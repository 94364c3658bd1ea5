"""TFLM_DECODE: look-up-table and pruned constants decoded at compile time as TFLM's
decoder does, what TFLM cannot decode rejected naming the operator, and the zoo's
compressed models (made by TFLM's compression tool, models/build_compressed.py, or
Huffman-coded by models/build_decode_huffman.py) bit-exact with TFLM. Huffman streams
have their own tests in test_decode_huffman.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.codegen_support import assert_sequence_matches
from tests.model_builder import ModelBuilder
from tinymlc.errors import CompileError
from tinymlc.frontend.tflite import parse_model
from tinymlc.ir import DType, OpKind, Quantization, Tensor
from tinymlc.passes.decode import decode_constants, decode_lut, decode_pruned

MODELS = Path(__file__).absolute().parents[3] / "models"
ZOO_MODELS = sorted(path.stem for path in MODELS.glob("op_decode_*.tflite"))


def test_the_zoo_models_are_here() -> None:
    # The parametrized tests below run over these: none found would make them pass vacuously.
    assert ZOO_MODELS, f"no op_decode_*.tflite in {MODELS}"


def _header(decode_type: int, bit_width: int, stride: int) -> bytes:
    """The 16-byte decode metadata: type, version 1, then LUT version 1, bit width, stride."""
    return bytes([decode_type, 1, 0, 0, 1, bit_width, stride]) + bytes(9)


def _compressed(values: np.ndarray, axis: int | None, bit_width: int) -> tuple[bytes, bytes]:
    """(indices, ancillary) as TFLM's compression tool packs them."""
    from tflite_micro.tensorflow.lite.micro.compression import lut  # noqa: PLC0415 -- test dependency

    compressed = lut.compress_array(values, axis)
    stride = max(len(table) for table in compressed.lookup_tables)
    tables = lut.pack_lookup_tables(compressed.lookup_tables, stride)
    return lut.pack_indices(compressed.indices, bit_width), _header(0, bit_width, stride) + tables


@pytest.mark.parametrize("bit_width", range(1, 8))
@pytest.mark.parametrize(
    ("dtype", "shape", "axis"),
    [
        (DType.INT8, (6, 5), 0),
        (DType.INT8, (3, 7, 4), 2),
        (DType.INT16, (9,), None),
        (DType.INT32, (4, 3), 0),
        (DType.FLOAT32, (5, 4), None),
        (DType.INT64, (2, 3), 1),
    ],
)
def test_lut_decoding_recovers_what_the_compressor_packed(
    dtype: DType, shape: tuple[int, ...], axis: int | None, bit_width: int
) -> None:
    rng = np.random.default_rng(bit_width)
    numpy_dtype = dtype.numpy_dtype
    assert numpy_dtype is not None
    values = rng.integers(-100, 100, 2**bit_width).astype(numpy_dtype)
    original = rng.choice(values, shape)
    channels = 1 if axis is None else shape[axis]
    quantization = None if axis is None else Quantization((0.5,) * channels, (0,) * channels, axis)
    encoded, ancillary = _compressed(original, axis, bit_width)
    output = Tensor("decoded", shape, dtype, quantization)
    np.testing.assert_array_equal(decode_lut(encoded, ancillary, output, 0), original)


@pytest.mark.parametrize(
    ("dtype", "zero_points", "axis", "fill"),
    [
        # int8 with several channels and a non-zero zero point: each channel's own.
        (DType.INT8, (3, -2), 0, [3, 3, 3, -2, -2, -2]),
        (DType.INT8, (3, -2, 5), 1, [3, -2, 5, 3, -2, 5]),
        # One zero point, truncated to int8 as TFLM holds it.
        (DType.INT8, (300,), 0, [44] * 6),
        (DType.INT32, (0, 0), 0, [0] * 6),
        (DType.FLOAT32, None, 0, [0] * 6),
    ],
)
def test_pruned_values_fill_in_order_between_zero_points(
    dtype: DType, zero_points: tuple[int, ...] | None, axis: int, fill: list[int]
) -> None:
    shape = (2, 3)
    numpy_dtype = dtype.numpy_dtype
    assert numpy_dtype is not None
    kept = np.array([1, 0, 1, 1, 0, 0], bool)
    values = np.array([7, 8, 9], numpy_dtype)
    quantization = None if zero_points is None else Quantization((1.0,) * len(zero_points), zero_points, axis)
    ancillary = _header(2, 0, 0) + values.tobytes()
    output = Tensor("decoded", shape, dtype, quantization)
    expected = np.array(fill, numpy_dtype)
    expected[kept] = values
    decoded = decode_pruned(np.packbits(kept).tobytes(), ancillary, output, 0)
    np.testing.assert_array_equal(decoded.reshape(-1), expected)


def test_pruned_tensors_of_other_types_need_zero_zero_points() -> None:
    output = Tensor("decoded", (2,), DType.INT16, Quantization((1.0,), (4,)))
    with pytest.raises(CompileError, match=r"TFLM_DECODE.*non-zero zero points only if they are int8"):
        decode_pruned(bytes([0]), _header(2, 0, 0), output, 0)


def _decode_model(ancillary: bytes, encoded: bytes, output_scales: int, constant: bool = True) -> bytes:
    mb = ModelBuilder()
    indices = np.frombuffer(encoded, np.uint8)
    source = mb.tensor("indices", indices.shape, DType.UINT8, data=indices if constant else None)
    tables = mb.tensor("ancillary", (len(ancillary),), DType.UINT8, data=np.frombuffer(ancillary, np.uint8))
    scales = tuple([0.5] * output_scales)
    decoded = mb.tensor("decoded", (4, 2), DType.INT8, scale=scales, zero_point=(0,) * output_scales)
    mb.custom("TFLM_DECODE", [source, tables], [decoded], {})
    return mb.build([source] if not constant else [], [decoded])


def test_decoded_outputs_become_constants_and_the_operator_goes() -> None:
    original = np.arange(-4, 4, dtype=np.int8).reshape(4, 2)
    encoded, ancillary = _compressed(original, 0, 1)
    model = decode_constants(parse_model(_decode_model(ancillary, encoded, 4), "m"))
    assert not any(op.kind is OpKind.DECODE for op in model.main.operators)
    decoded = next(t for t in model.main.tensors if t.name == "decoded")
    assert decoded.data is not None
    np.testing.assert_array_equal(decoded.data, original)


@pytest.mark.parametrize(
    ("ancillary", "scales", "constant", "reason"),
    [
        # One table for a tensor TFLM decodes in 4 channels: it reads past the tables.
        (_header(0, 3, 8) + bytes(8), 4, True, "reads value 2. of 8"),
        (bytes([127, 1]) + bytes(14), 1, True, "custom decoding of 'decoded' is not supported"),
        (bytes([0, 2]) + bytes(14), 1, True, "metadata version 2 is not 1"),
        (_header(0, 3, 8)[:10], 1, True, "shorter than its 16-byte header"),
        (_header(0, 3, 8) + bytes(8), 1, False, "must be constant"),
        (_header(0, 7, 8) + bytes(8), 1, True, "fewer than 8 7-bit indices"),
    ],
)
def test_what_tflm_cannot_decode_is_rejected_naming_the_operator(
    ancillary: bytes, scales: int, constant: bool, reason: str
) -> None:
    encoded = bytes([0b0010_1001, 0b1100_1011, 0b1110_0000])  # 8 3-bit indices
    with pytest.raises(CompileError, match=f"TFLM_DECODE.*{reason}"):
        decode_constants(parse_model(_decode_model(ancillary, encoded, scales, constant), "m"))


@pytest.mark.parametrize("name", ZOO_MODELS)
def test_generated_code_matches_tflm(name: str) -> None:
    path = MODELS / f"{name}.tflite"
    if not path.is_file():
        pytest.skip(f"{path} is not in this checkout")
    # In sequence on one interpreter: the Huffman SVDF model keeps state between inferences.
    assert_sequence_matches(path.read_bytes(), samples=10)
