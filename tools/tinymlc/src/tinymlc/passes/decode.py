"""TFLM_DECODE (TFLM's custom operator for compressed constants) decoded at compile time.

TFLM's compression tool stores a constant tensor as packed indices plus an "ancillary"
tensor (a 16-byte header, then value tables) and inserts a DECODE operator that
expands them into the original tensor at run time (micro/kernels/decode.cc). Both
inputs must be constant, so the outputs are constants too: this pass decodes them as
TFLM's look-up-table decoder does (micro/kernels/decode_state_lut.cc) and replaces
each output by a constant tensor, dropping the operator. The generated code then holds
the decoded values (flash as for the uncompressed model).

TFLM's LUT decoder takes the channels from the output's quantization, not from the
header: one value table per scale, along dimension 0, or along the last dimension when
that is the quantized dimension. Indices are packed most significant bit first, each
`bit width` wide. Whatever would make TFLM fail or read past its buffers is rejected.
Pruning and Huffman decoding (TFLM's other decode types) are not supported.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tinymlc.errors import CompileError
from tinymlc.ir import DType, Graph, Model, Operator, OpKind, Tensor

HEADER_BYTES = 16
"""TFLM's `kDcmSizeInBytes`: the decode common metadata before the value tables."""
DECODE_TYPES = {0: "LUT", 1: "Huffman", 2: "Prune", 127: "custom"}
"""Header byte 0 -> TFLM's decode type."""
LUT_TYPES = frozenset({DType.BOOL, DType.FLOAT32, DType.INT8, DType.INT16, DType.INT32, DType.INT64})
"""Output types TFLM's LUT decoder writes."""


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


def decode_lut(encoded: bytes, ancillary: bytes, output: Tensor, op_index: int) -> np.ndarray:
    """The values TFLM's LUT decoder writes to `output`."""
    dtype = output.dtype.numpy_dtype
    if output.dtype not in LUT_TYPES or dtype is None:
        raise _fail(op_index, f"TFLM's LUT decoder cannot write {output.dtype.name} tensors")
    if ancillary[4] != 1:
        raise _fail(op_index, f"LUT version {ancillary[4]} is not 1")
    bit_width, stride = ancillary[5] & 0x07, ancillary[6]
    count = output.num_elements
    channels, last_axis = _channels(output, op_index)
    if channels == 0 or count % channels:
        raise _fail(op_index, f"{count} values do not split into {channels} channels")
    if len(encoded) * 8 < count * bit_width:
        raise _fail(
            op_index, f"{len(encoded)} bytes of indices hold fewer than {count} {bit_width}-bit indices"
        )
    bits = np.unpackbits(np.frombuffer(encoded, np.uint8))[: count * bit_width].reshape(count, bit_width)
    indices = bits.astype(np.int64) @ (1 << np.arange(bit_width - 1, -1, -1, dtype=np.int64))
    position = np.arange(count)
    channel = position % channels if last_axis else position // (count // channels)
    tables = np.frombuffer(ancillary[HEADER_BYTES:], np.uint8)
    entries = channel * stride + indices
    limit = len(tables) // dtype.itemsize
    if count and int(entries.max()) >= limit:
        raise _fail(op_index, f"an index reads value {int(entries.max())} of {limit} in the value tables")
    values = tables[: limit * dtype.itemsize].view(dtype.newbyteorder("<"))[entries]
    return np.asarray(values, dtype).reshape(output.shape)


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
        kind = DECODE_TYPES.get(header[0], f"unknown ({header[0]})")
        if kind != "LUT":
            raise _fail(op_index, f"{kind} decoding is not supported (tinymlc decodes look-up tables only)")
        output = graph.tensors[output_id]
        decoded[output_id] = decode_lut(encoded.data.tobytes(), header, output, op_index)
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
