"""TFLM_DECODE Huffman streams: hand-computed decodes, the edge cases TFLM's decoder
(the tflite-micro wheel) decodes as the pass does, a second decoder that keeps TFLM's
word-by-word reader state (written apart from passes.huffman's bit positions) agreeing
on random tables and streams, and what TFLM refuses or cannot decode without reading
past its buffers rejected naming the operator and the tensor. The zoo's
Huffman models (models/build_decode_huffman.py) are checked against TFLM in
test_pass_decode.py."""

from __future__ import annotations

import random

import numpy as np
import pytest

from tests.model_builder import ModelBuilder
from tinymlc.errors import CompileError
from tinymlc.frontend.tflite import parse_model
from tinymlc.ir import DType, Tensor
from tinymlc.passes.decode import decode_constants, decode_huffman
from tinymlc.tflm_reference import run


def _header(initial_width: int, entry_bits: int, decode_type: int = 1, version: int = 1) -> bytes:
    """Decode type, metadata version 1, Huffman version, (initial width - 1) << 4 | 32-bit flag."""
    return bytes([decode_type, 1, 0, 0, version, (initial_width - 1) << 4 | (entry_bits == 32)]) + bytes(10)


def _symbol(entry_bits: int, value: int, used: int) -> int:
    return 1 << (entry_bits - 1) | used << (entry_bits - 5) | value & ((1 << (entry_bits // 2)) - 1)


def _link(entry_bits: int, width: int, distance: int) -> int:
    return (width - 1) << (entry_bits - 5) | distance


def _tables(entry_bits: int, entries: list[int]) -> bytes:
    return np.array(entries, f"<u{entry_bits // 8}").tobytes()


def _output(count: int, dtype: DType = DType.INT8) -> Tensor:
    return Tensor("weights", (count,), dtype)


# The code a = 0, b = 10, c = 110, d = 111 with a 2-bit first lookup: a fills entries 0 and
# 1 (using 1 bit, the other put back), b is entry 2, entry 3 links 1 entry on to a 1-bit
# sub-table of c and d.
def _abcd_table(entry_bits: int, a: int, b: int, c: int, d: int) -> bytes:
    a_entry, link = _symbol(entry_bits, a, 1), _link(entry_bits, 1, 1)
    sub_table = [_symbol(entry_bits, c, 1), _symbol(entry_bits, d, 1)]
    return _tables(entry_bits, [a_entry, a_entry, _symbol(entry_bits, b, 2), link, *sub_table])


# a b c d a a d b = 0 10 110 111 0 0 111 10, then zero bits to a whole word.
ABCD_STREAM = bytes([0b0101_1011, 0b1001_1110]) + bytes(2)


@pytest.mark.parametrize("entry_bits", [16, 32])
def test_a_hand_coded_stream_decodes_to_int8(entry_bits: int) -> None:
    ancillary = _header(2, entry_bits) + _abcd_table(entry_bits, 1, -2, 3, -128)
    decoded = decode_huffman(ABCD_STREAM, ancillary, _output(8), 0)
    np.testing.assert_array_equal(decoded, [1, -2, 3, -128, 1, 1, -128, -2])


def test_32_bit_entries_decode_to_int16_and_int8_keeps_their_low_byte() -> None:
    ancillary = _header(2, 32) + _abcd_table(32, 1000, -300, 32767, -32768)
    int16 = decode_huffman(ABCD_STREAM, ancillary, _output(8, DType.INT16), 0)
    np.testing.assert_array_equal(int16, [1000, -300, 32767, -32768, 1000, 1000, -32768, -300])
    int8 = decode_huffman(ABCD_STREAM, ancillary, _output(8), 0)
    np.testing.assert_array_equal(
        int8, np.array([1000, -300, 32767, -32768, 1000, 1000, -32768, -300]).astype(np.int8)
    )


def test_a_first_lookup_longer_than_every_code_puts_the_rest_back() -> None:
    # a = 0, b = 1 read with a 3-bit first lookup: every value reads 3 bits and keeps 1.
    ancillary = _header(3, 16) + _tables(16, [_symbol(16, 7, 1)] * 4 + [_symbol(16, -7, 1)] * 4)
    decoded = decode_huffman(bytes([0b1011_0000]) + bytes(3), ancillary, _output(5), 0)
    np.testing.assert_array_equal(decoded, [-7, 7, -7, -7, 7])


def test_a_single_value_reads_no_bits() -> None:
    ancillary = _header(2, 16) + _tables(16, [_symbol(16, 42, 0)] * 4)
    np.testing.assert_array_equal(decode_huffman(bytes(4), ancillary, _output(9), 0), [42] * 9)


def test_a_code_of_no_bits_after_others_repeats_to_the_end() -> None:
    # a = 0 (1 bit), then entries 2 and 3 hold b using none of the 2 bits read: once the
    # stream reaches a 1, every value left is b.
    ancillary = _header(2, 16) + _tables(16, [_symbol(16, 1, 1)] * 2 + [_symbol(16, 2, 0)] * 2)
    decoded = decode_huffman(bytes([0b0010_0000]), ancillary, _output(1_000_000), 0)
    np.testing.assert_array_equal(decoded[:3], [1, 1, 2])
    assert (decoded[3:] == 2).all()


def test_lookahead_past_a_stream_not_padded_to_a_word_is_ignored() -> None:
    # b c b a = 10 110 10 0: a starts at the stream's last bit, and its 2-bit lookup reads
    # one bit past the end, which both entries it can reach (0 and 1) ignore.
    ancillary = _header(2, 16) + _abcd_table(16, 1, 2, 3, 4)
    decoded = decode_huffman(bytes([0b1011_0100]), ancillary, _output(4), 0)
    np.testing.assert_array_equal(decoded, [2, 3, 2, 1])


def _word_reader_decode(
    stream: bytes, tables: bytes, entry_bits: int, initial_width: int, count: int, fill: int
) -> tuple[list[int] | None, bool]:
    """TFLM's decode loop with its reader state (the word held, the bits left in it, the
    next word), the bytes after the stream `fill`: (the table entries of the values, None
    where TFLM would read a table entry past the tables or a word further than two past
    the stream; whether it read a word holding bytes past the stream)."""
    word_count = len(stream) // 4 + 2
    padded = stream + bytes([fill]) * (word_count * 4 - len(stream))
    words = [int.from_bytes(padded[i : i + 4], "big") for i in range(0, len(padded), 4)]
    entries = list(
        np.frombuffer(tables[: len(tables) // (entry_bits // 8) * (entry_bits // 8)], f"<u{entry_bits // 8}")
    )
    state = {"held": words[0], "left": 32, "next": 1, "furthest": 0}

    def take(bits: int) -> int:
        value = 0
        if bits > state["left"]:
            value = (state["held"] & ((1 << state["left"]) - 1)) << (bits - state["left"])
            bits -= state["left"]
            if state["next"] >= word_count:
                raise IndexError
            state["held"], state["left"], state["next"] = words[state["next"]], 32, state["next"] + 1
            state["furthest"] = max(state["furthest"], state["next"] - 1)
        state["left"] -= bits
        return value | (state["held"] >> state["left"]) & ((1 << bits) - 1)

    def give_back(bits: int) -> None:
        state["left"] += bits
        if state["left"] > 32:
            state["left"] -= 32
            state["next"] -= 1
            state["held"] = words[state["next"] - 1]

    count_shift = entry_bits - 5
    decoded = []
    try:
        for _ in range(count):
            width = initial_width
            offset = take(width)
            entry = int(entries[offset])
            while not entry >> (entry_bits - 1):
                width = (entry >> count_shift & 0xF) + 1
                offset += (entry & ((1 << count_shift) - 1)) + take(width)
                entry = int(entries[offset])
            decoded.append(entry)
            used = entry >> count_shift & 0xF
            if width > used:
                give_back(width - used)
    except IndexError:
        return None, True
    return decoded, (state["furthest"] + 1) * 4 > len(stream)


def _random_case(seed: int) -> tuple[bytes, bytes, int, int, int]:
    """(stream, tables, entry bits, initial width, count): mostly short codes, some links
    (a few to themselves or out of the tables), random stream bytes."""
    rng = random.Random(seed)
    entry_bits = rng.choice([16, 32])
    initial_width = rng.randint(1, 5)
    entries = []
    for _ in range((1 << initial_width) + rng.randint(0, 24)):
        if rng.random() < 0.65:
            used = rng.randint(0, initial_width) if rng.random() < 0.9 else rng.randint(0, 15)
            entries.append(_symbol(entry_bits, rng.getrandbits(16), used))
        else:
            entries.append(_link(entry_bits, rng.randint(1, 4), rng.randint(0, 12)))
    stream = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 10)))
    return stream, _tables(entry_bits, entries), entry_bits, initial_width, rng.randint(1, 24)


@pytest.mark.parametrize("seed", range(400))
def test_the_word_reader_decodes_every_accepted_stream_alike_whatever_follows_it(seed: int) -> None:
    stream, tables, entry_bits, initial_width, count = _random_case(seed)
    ancillary = _header(initial_width, entry_bits) + tables
    output = _output(count, DType.INT16 if entry_bits == 32 else DType.INT8)
    rejection = None
    try:
        decoded = decode_huffman(stream, ancillary, output, 0)
    except CompileError as exc:
        rejection = str(exc)
    if rejection is not None:
        # Rejected: TFLM reads past the tables, or past the stream.
        assert "Huffman stream of 'weights'" in rejection
        reference, read_past_stream = _word_reader_decode(stream, tables, entry_bits, initial_width, count, 0)
        assert reference is None or read_past_stream, rejection
        return
    mask = 0xFFFF if entry_bits == 32 else 0xFF
    for fill in (0x00, 0xFF, 0x5A):
        reference, _ = _word_reader_decode(stream, tables, entry_bits, initial_width, count, fill)
        assert reference is not None
        np.testing.assert_array_equal(decoded.astype(np.int64) & mask, [entry & mask for entry in reference])


def _huffman_model(
    ancillary: bytes, stream: bytes, dtype: DType = DType.INT8, count: int = 8, through_maximum: bool = False
) -> bytes:
    """One TFLM_DECODE of `weights`, the graph's output, or with `through_maximum` the
    maximum of an input and `weights` (TFLM's interpreter runs graphs with an input)."""
    mb = ModelBuilder()
    encoded = mb.tensor("stream", (len(stream),), DType.UINT8, data=np.frombuffer(stream, np.uint8))
    tables = mb.tensor("ancillary", (len(ancillary),), DType.UINT8, data=np.frombuffer(ancillary, np.uint8))
    decoded = mb.tensor("weights", (count,), dtype)
    mb.custom("TFLM_DECODE", [encoded, tables], [decoded], {})
    if not through_maximum:
        return mb.build([], [decoded])
    source, maximum = mb.tensor("x", (count,), dtype), mb.tensor("y", (count,), dtype)
    mb.op("MAXIMUM", [source, decoded], [maximum])
    return mb.build([source], [maximum])


@pytest.mark.parametrize(
    ("ancillary", "stream", "dtype", "count"),
    [
        (_header(2, 16) + _abcd_table(16, 1, -2, 3, -128), ABCD_STREAM, DType.INT8, 8),
        (_header(2, 32) + _abcd_table(32, 1000, -300, 32767, -32768), ABCD_STREAM, DType.INT8, 8),
        (_header(2, 32) + _abcd_table(32, 1000, -300, 32767, -32768), ABCD_STREAM, DType.INT16, 8),
        # Lookahead past an unpadded stream.
        (_header(2, 16) + _abcd_table(16, 1, 2, 3, 4), bytes([0b1011_0100]), DType.INT8, 4),
        # A code of no bits after others.
        (
            _header(2, 16) + _tables(16, [_symbol(16, 1, 1)] * 2 + [_symbol(16, 2, 0)] * 2),
            bytes([0x20]),
            DType.INT8,
            9,
        ),
        # Symbol counts above the lookup's width: TFLM puts nothing back.
        (
            _header(3, 32) + _tables(32, [_symbol(32, -5, 15)] * 4 + [_symbol(32, 6, 9)] * 4),
            bytes([0x9F, 0]),
            DType.INT16,
            5,
        ),
    ],
)
def test_tflm_decodes_what_the_pass_decodes(
    ancillary: bytes, stream: bytes, dtype: DType, count: int
) -> None:
    model = _huffman_model(ancillary, stream, dtype, count, through_maximum=True)
    ours = next(t for t in decode_constants(parse_model(model, "m")).main.tensors if t.name == "weights")
    numpy_dtype = dtype.numpy_dtype
    assert numpy_dtype is not None
    assert ours.data is not None
    lowest = -128 if dtype is DType.INT8 else -32768  # MAXIMUM then passes the decoded values on
    (reference,), _ = run(model, [np.full(count, lowest, numpy_dtype)], 1)
    np.testing.assert_array_equal(ours.data, np.asarray(reference).reshape(-1))


@pytest.mark.parametrize(
    ("ancillary", "stream", "dtype", "count", "reason"),
    [
        (
            _header(2, 16) + _abcd_table(16, 1, 2, 3, 4),
            ABCD_STREAM,
            DType.INT16,
            8,
            "Huffman decoder writes INT16 tensor 'weights' from 16-bit tables only as INT8",
        ),
        (
            _header(2, 32) + _abcd_table(32, 1, 2, 3, 4),
            ABCD_STREAM,
            DType.INT32,
            8,
            "writes INT32 tensor 'weights' from 32-bit tables only as INT8 or INT16",
        ),
        (
            _header(2, 16, version=2) + _abcd_table(16, 1, 2, 3, 4),
            ABCD_STREAM,
            DType.INT8,
            8,
            "Huffman decoder version 2 is not 1",
        ),
        # The 5-entry table ends before d's entry.
        (
            _header(2, 16) + _abcd_table(16, 1, 2, 3, 4)[:10],
            ABCD_STREAM,
            DType.INT8,
            8,
            r"'weights': value 3 reads entry 5 of the 5 in the Huffman table",
        ),
        # Eight values fill the 16 bits: the ninth starts past the end.
        (
            _header(2, 16) + _abcd_table(16, 1, 2, 3, 4),
            ABCD_STREAM[:2],
            DType.INT8,
            9,
            "'weights': the stream ends after 8 of 9 values",
        ),
        # b c b, then b (entry 2) or the link to c and d (entry 3) by the bit past the end.
        (
            _header(2, 16) + _abcd_table(16, 1, 2, 3, 4),
            bytes([0b1011_0101]),
            DType.INT8,
            4,
            "'weights': value 3 depends on 1 bits past the end of the stream",
        ),
        # Entries 2 and 3 link alike, but each to the sub-table after itself.
        (
            _header(2, 16)
            + _tables(16, [_symbol(16, 1, 1)] * 2 + [_link(16, 1, 2)] * 2 + [_symbol(16, 3, 1)] * 3),
            bytes([0b0000_0001]),
            DType.INT8,
            8,
            "'weights': value 7 needs bits past the end of the stream",
        ),
        (
            _header(2, 16, decode_type=127) + bytes(8),
            ABCD_STREAM,
            DType.INT8,
            8,
            "custom decoding of 'weights' is not supported",
        ),
        (
            _header(2, 16, decode_type=200) + bytes(8),
            ABCD_STREAM,
            DType.INT8,
            8,
            r"custom \(type 200, an application-registered decoder\) decoding of 'weights' is not supported",
        ),
        (
            _header(2, 16, decode_type=3) + bytes(8),
            ABCD_STREAM,
            DType.INT8,
            8,
            "reserved type 3 decoding of 'weights' is not supported",
        ),
    ],
)
def test_what_tflm_cannot_decode_is_rejected_naming_the_operator_and_tensor(
    ancillary: bytes, stream: bytes, dtype: DType, count: int, reason: str
) -> None:
    model = parse_model(_huffman_model(ancillary, stream, dtype, count), "m")
    with pytest.raises(CompileError, match=f"operator 0 \\(CUSTOM:TFLM_DECODE\\).*{reason}"):
        decode_constants(model)
