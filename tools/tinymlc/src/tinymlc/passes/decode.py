"""TFLM_DECODE (TFLM's custom operator for compressed constants) decoded at compile time.

TFLM's compression tool stores a constant tensor as packed indices plus an "ancillary"
tensor (a 16-byte header, then value tables) and inserts a DECODE operator that
expands them into the original tensor at run time (micro/kernels/decode.cc). Both
inputs must be constant, so the outputs are constants too: this pass decodes them as
TFLM's look-up-table decoder does (micro/kernels/decode_state_lut.cc) and replaces
each output by a constant tensor, dropping the operator. The generated code then holds
the decoded values (flash as for the uncompressed model).

TFLM's decoders take the channels from the output's quantization, not from the
header: one channel per scale, along dimension 0, or along the last dimension when that
is the quantized dimension. The LUT decoder has one value table per channel and indices
packed most significant bit first, each `bit width` wide; the pruning decoder
(micro/kernels/decode_state_prune.cc) a bitmap, most significant bit first, of the
values kept, which follow in order, every other value being its channel's zero point.
The Huffman decoder (micro/kernels/decode_state_huffman.cc, read by passes.huffman)
decodes one stream for the whole tensor, to int8 or int16 only.
Whatever would make TFLM fail or read past its buffers is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from tinymlc.errors import CompileError
from tinymlc.ir import DType, Graph, Model, Operator, OpKind, Tensor
from tinymlc.passes.huffman import EntryFormat, HuffmanError, huffman_symbols

HEADER_BYTES = 16
"""TFLM's `kDcmSizeInBytes`: the decode common metadata before the value tables."""
DECODE_TYPES = {0: "LUT", 1: "Huffman", 2: "Prune", 127: "custom"}
"""Header byte 0 -> TFLM's decode type (128 to 255 are custom types whose decoders the
application registers with TFLM; 3 to 126 are reserved)."""
DECODED_TYPES = frozenset({DType.BOOL, DType.FLOAT32, DType.INT8, DType.INT16, DType.INT32, DType.INT64})
"""Output types TFLM's decoders write."""


def _fail(op_index: int, reason: str) -> CompileError:
    return CompileError(f"operator {op_index} (CUSTOM:TFLM_DECODE): {reason}")


def _channels(output: Tensor, op_index: int) -> tuple[int, bool]:
    """(value tables, whether they run along the last dimension), from the output's
    quantization as TFLM's `DecodeStateLut::Setup` reads them."""
    quantization = output.quantization
    if quantization is None:
        return 1, False
    channels = len(quantization.scales)
    last = quantization.quantized_dimension == len(output.shape) - 1 and channels > 1
    if not last and quantization.quantized_dimension != 0:
        raise _fail(op_index, f"unsupported quantization axis {quantization.quantized_dimension}")
    return channels, last


@dataclass(frozen=True)
class _Layout:
    """What both decoders check and derive from the output and the inputs."""

    dtype: np.dtype[np.generic]
    channel: npt.NDArray[np.int64]
    """Each element's channel."""
    bits: npt.NDArray[np.int64]
    """Each element's bits of the encoded tensor, most significant first."""
    values: npt.NDArray[np.generic]
    """The values after the header, of the output's type."""


def _layout(encoded: bytes, ancillary: bytes, output: Tensor, bit_width: int, op_index: int) -> _Layout:
    dtype = output.dtype.numpy_dtype
    if output.dtype not in DECODED_TYPES or dtype is None:
        raise _fail(op_index, f"TFLM's decoders cannot write {output.dtype.name} tensors")
    if ancillary[4] != 1:
        raise _fail(op_index, f"decoder version {ancillary[4]} is not 1")
    count = output.num_elements
    channels, last_axis = _channels(output, op_index)
    if channels == 0 or count % channels:
        raise _fail(op_index, f"{count} values do not split into {channels} channels")
    if len(encoded) * 8 < count * bit_width:
        held = f"{len(encoded)} bytes of indices hold fewer than {count} {bit_width}-bit indices"
        raise _fail(op_index, held)
    bits = np.unpackbits(np.frombuffer(encoded, np.uint8))[: count * bit_width].reshape(count, bit_width)
    position = np.arange(count, dtype=np.int64)
    tables = np.frombuffer(ancillary[HEADER_BYTES:], np.uint8)
    limit = len(tables) // dtype.itemsize
    return _Layout(
        dtype=dtype,
        channel=position % channels if last_axis else position // (count // channels),
        bits=bits.astype(np.int64),
        values=tables[: limit * dtype.itemsize].view(dtype.newbyteorder("<")),
    )


def _take(layout: _Layout, entries: npt.NDArray[np.int64], op_index: int) -> npt.NDArray[np.generic]:
    """`layout.values[entries]`, or the error TFLM's read past its buffer would be."""
    if entries.size and int(entries.max()) >= len(layout.values):
        last = int(entries.max())
        raise _fail(op_index, f"an index reads value {last} of {len(layout.values)} in the value tables")
    return layout.values[entries]


def decode_lut(encoded: bytes, ancillary: bytes, output: Tensor, op_index: int) -> np.ndarray:
    """The values TFLM's LUT decoder writes to `output`."""
    bit_width, stride = ancillary[5] & 0x07, ancillary[6]
    layout = _layout(encoded, ancillary, output, bit_width, op_index)
    indices = layout.bits @ (1 << np.arange(bit_width - 1, -1, -1, dtype=np.int64))
    values = _take(layout, layout.channel * stride + indices, op_index)
    return np.asarray(values, layout.dtype).reshape(output.shape)


def decode_pruned(encoded: bytes, ancillary: bytes, output: Tensor, op_index: int) -> np.ndarray:
    """The values TFLM's pruning decoder writes to `output`."""
    layout = _layout(encoded, ancillary, output, 1, op_index)
    kept = layout.bits[:, 0] == 1
    zero_points = (0,) if output.quantization is None else output.quantization.zero_points
    if output.dtype is not DType.INT8 and any(zero_points):
        raise _fail(op_index, "TFLM prunes tensors with non-zero zero points only if they are int8")
    # TFLM holds zero points as int8 (truncated), per channel only for int8 tensors of
    # several channels with some zero point not 0.
    as_int8 = np.array(zero_points, np.int64).astype(np.int8)
    per_channel = output.dtype is DType.INT8 and len(zero_points) > 1 and any(zero_points)
    fill = as_int8[layout.channel] if per_channel else np.full(len(kept), as_int8[0])
    decoded = fill.astype(layout.dtype)
    decoded[kept] = _take(layout, np.arange(int(kept.sum()), dtype=np.int64), op_index)
    return decoded.reshape(output.shape)


def decode_huffman(encoded: bytes, ancillary: bytes, output: Tensor, op_index: int) -> np.ndarray:
    """The values TFLM's Huffman decoder writes to `output`."""
    if ancillary[4] != 1:
        raise _fail(op_index, f"Huffman decoder version {ancillary[4]} is not 1")
    entry_format = EntryFormat(4 if ancillary[5] & 0x01 else 2)
    written = (DType.INT8,) if entry_format.entry_bytes == 2 else (DType.INT8, DType.INT16)
    if output.dtype not in written:
        names = " or ".join(dtype.name for dtype in written)
        raise _fail(
            op_index,
            f"TFLM's Huffman decoder writes {output.dtype.name} tensor {output.name!r} "
            f"from {entry_format.entry_bytes * 8}-bit tables only as {names}",
        )
    try:
        symbols = huffman_symbols(
            encoded, ancillary[HEADER_BYTES:], entry_format, (ancillary[5] >> 4) + 1, output.num_elements
        )
    except HuffmanError as exc:
        raise _fail(op_index, f"Huffman stream of {output.name!r}: {exc}") from None
    # TFLM stores the low bits of the symbol's table entry.
    return symbols.astype(output.dtype.numpy_dtype).reshape(output.shape)


_DECODERS = {0: decode_lut, 1: decode_huffman, 2: decode_pruned}
"""Header byte 0 -> the decoder of that type."""


def _type_name(decode_type: int) -> str:
    if decode_type in DECODE_TYPES:
        return DECODE_TYPES[decode_type]
    if decode_type >= 128:
        return f"custom (type {decode_type}, an application-registered decoder)"
    return f"reserved type {decode_type}"


def _decode(graph: Graph, op: Operator, op_index: int) -> dict[int, np.ndarray]:
    """Output tensor id -> decoded values, for one DECODE operator."""
    if not op.outputs or len(op.inputs) != 2 * len(op.outputs):
        raise _fail(
            op_index, f"has {len(op.inputs)} inputs for {len(op.outputs)} outputs (TFLM needs two each)"
        )
    decoded = {}
    for position, output_id in enumerate(op.outputs):
        encoded, ancillary = (graph.tensors[t] for t in op.inputs[2 * position : 2 * position + 2])
        if encoded.data is None or ancillary.data is None:
            raise _fail(op_index, f"inputs {encoded.name!r} and {ancillary.name!r} must be constant")
        header = ancillary.data.tobytes()
        if len(header) < HEADER_BYTES:
            raise _fail(op_index, f"ancillary tensor {ancillary.name!r} is shorter than its 16-byte header")
        if header[1] != 1:
            raise _fail(op_index, f"decode metadata version {header[1]} is not 1")
        decoder = _DECODERS.get(header[0])
        if decoder is None:
            raise _fail(
                op_index,
                f"{_type_name(header[0])} decoding of {graph.tensors[output_id].name!r} is not supported "
                "(tinymlc decodes LUT, Huffman and Prune)",
            )
        decoded[output_id] = decoder(encoded.data.tobytes(), header, graph.tensors[output_id], op_index)
    return decoded


def decode_constants(model: Model) -> Model:
    main = model.main
    if not any(op.kind is OpKind.DECODE for op in main.operators):
        return model
    tensors = list(main.tensors)
    operators = []
    for index, op in enumerate(main.operators):
        if op.kind is not OpKind.DECODE:
            operators.append(op)
            continue
        for output_id, values in _decode(main, op, index).items():
            tensors[output_id] = replace(tensors[output_id], data=values)
    graph = replace(main, tensors=tuple(tensors), operators=tuple(operators))
    return replace(model, subgraphs=(graph, *model.subgraphs[1:]))
