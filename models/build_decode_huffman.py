"""Micro-models whose constants are Huffman-coded for TFLM_DECODE (decode type 1).

TFLM's compression tool cannot write Huffman streams yet (its Huffman plugin is a
stub), so this file encodes them as TFLM's decoder (micro/kernels/decode_state_huffman.cc)
reads them: a Huffman code of the tensor's values, written most significant bit first
and padded with zero bits to whole 32-bit words (TFLM reads the stream word by word,
and every lookup reads a whole sub-table index, more than the code may use), and
"Xtensa-format" tables after the 16-byte header: sub-tables of 16-bit (int8 values)
or 32-bit (int8 or int16 values) little-endian entries. An entry is either a symbol
(top bit set; then 4 bits: how many of the lookup's bits its code uses; then the
value) or a link to the sub-table read with the next `width` bits (4 bits: width - 1;
then the sub-table's distance in entries from the link). The header's byte 5 holds
(initial table width - 1) << 4, bit 0 set for 32-bit entries.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from build_compressed import Binning, Encoding, binned_to_step, compressed_spec, decoded_model
from build_models import ModelSpec

MAX_WIDTH = 15
"""Widest lookup: a symbol entry's 4-bit count must hold the bits its code uses."""


def huffman_code(values: np.ndarray) -> dict[int, str]:
    """Value -> its code, bits as '0'/'1', by Huffman's construction over the values'
    counts (ties broken by value, so the code is deterministic). A single value gets
    the empty code: TFLM then reads no bits for it."""
    symbols, counts = np.unique(values, return_counts=True)
    heap = [(int(count), order, {int(symbol): ""}) for order, (symbol, count) in enumerate(zip(symbols, counts))]
    heapq.heapify(heap)
    order = len(heap)
    while len(heap) > 1:
        low_count, _, low = heapq.heappop(heap)
        high_count, _, high = heapq.heappop(heap)
        merged = {symbol: "0" + code for symbol, code in low.items()} | {s: "1" + c for s, c in high.items()}
        heapq.heappush(heap, (low_count + high_count, order, merged))
        order += 1
    return heap[0][2]


@dataclass(frozen=True)
class HuffmanTables:
    """How to lay the code's decode tables out."""

    entry_bits: int
    """16 or 32."""
    initial_width: int
    """Bits of the first lookup (1..15)."""
    sub_width: int
    """Most bits of any later lookup (1..15); a sub-table is no wider than its longest code."""

    def symbol_entry(self, value: int, used: int) -> int:
        count_shift = self.entry_bits - 5
        return 1 << (self.entry_bits - 1) | used << count_shift | value & ((1 << (self.entry_bits // 2)) - 1)

    def link_entry(self, width: int, distance: int) -> int:
        count_shift = self.entry_bits - 5
        if distance >= 1 << count_shift:
            raise ValueError(f"sub-table {distance} entries away does not fit a {self.entry_bits}-bit entry")
        return (width - 1) << count_shift | distance

    def entries(self, code: dict[int, str]) -> list[int]:
        table: list[int] = []

        def place(codes: dict[int, str], width: int) -> int:
            start = len(table)
            table.extend([0] * (1 << width))
            longer: dict[str, dict[int, str]] = {}
            for value, bits in codes.items():
                if len(bits) <= width:
                    first = int(bits or "0", 2) << (width - len(bits))
                    for index in range(first, first + (1 << (width - len(bits)))):
                        table[start + index] = self.symbol_entry(value, len(bits))
                else:
                    longer.setdefault(bits[:width], {})[value] = bits[width:]
            for prefix, rest in longer.items():
                sub_width = min(self.sub_width, max(len(bits) for bits in rest.values()))
                link = start + int(prefix, 2)
                table[link] = self.link_entry(sub_width, place(rest, sub_width) - link)
            return start

        place(code, self.initial_width)
        return table

    def encode(self, values: np.ndarray) -> tuple[bytes, bytes]:
        """(stream, ancillary tensor) of `values` for TFLM_DECODE."""
        code = huffman_code(values)
        bits = "".join(code[int(value)] for value in values.reshape(-1))
        # TFLM's last lookup reads `initial_width` bits and more from where the last code starts.
        longest_read = len(bits) - len(code[int(values.reshape(-1)[-1])]) + max(
            self.initial_width, max(len(c) for c in code.values()))
        padded = -(-max(len(bits), longest_read, 1) // 32) * 32
        stream = int(bits.ljust(padded, "0"), 2).to_bytes(padded // 8, "big")
        header = bytes([1, 1, 0, 0, 1, (self.initial_width - 1) << 4 | (self.entry_bits == 32)]) + bytes(10)
        entry_type = np.dtype(f"<u{self.entry_bits // 8}")
        return stream, header + np.array(self.entries(code), entry_type).tobytes()


def _binned(binning: Binning, tables: HuffmanTables) -> Encoding:
    """`binning` (few distinct values, unevenly common), then Huffman-coded."""
    return lambda values: tables.encode(binning(values))


def _huffman_model(base: str, encodings: dict[int, Encoding]) -> bytes:
    return decoded_model(base, encodings, "huffman")


def decode_huffman_models() -> list[ModelSpec]:
    conv, depthwise = "op_conv_2d_3x3_same_relu", "op_depthwise_conv_2d_3x3_same_relu"
    svdf, window = "op_svdf_rank2_batch2", "op_signal_window"
    int16_by_64 = binned_to_step(64, -32768, 32767)
    return [
        compressed_spec("op_decode_huffman_conv_2d", f"TFLM_DECODE (Huffman) of {conv}'s weights, binned to "
                        "multiples of 16: 16-bit table entries, 4-bit first lookup, sub-tables of up to "
                        "3 bits", "CONV_2D", (1, 10, 10, 4),
                        lambda: _huffman_model(conv, {2: _binned(binned_to_step(16), HuffmanTables(16, 4, 3))})),
        compressed_spec("op_decode_huffman_depthwise_bitwise", f"TFLM_DECODE (Huffman) of {depthwise}'s "
                        "weights, all 72 distinct: 32-bit entries, one bit per lookup (a binary tree)",
                        "DEPTHWISE_CONV_2D", (1, 10, 10, 8),
                        lambda: _huffman_model(depthwise, {2: HuffmanTables(32, 1, 1).encode})),
        compressed_spec("op_decode_huffman_svdf_int16", f"TFLM_DECODE (Huffman) of {svdf}'s int16 time "
                        "weights (32-bit entries: one 12-bit lookup, longer than every code; 2-bit "
                        "lookups) and int8 feature weights (16-bit entries: 7-bit first lookup and 2-bit "
                        "sub-tables; 3-bit and 4-bit): four streams in one operator", "SVDF", (2, 12),
                        lambda: _huffman_model(svdf, {2: _binned(int16_by_64, HuffmanTables(32, 12, 12)),
                                                      7: HuffmanTables(32, 2, 2).encode,
                                                      1: _binned(binned_to_step(8), HuffmanTables(16, 7, 2)),
                                                      6: HuffmanTables(16, 3, 4).encode})),
        compressed_spec("op_decode_huffman_signal_window", f"TFLM_DECODE (Huffman) of {window}'s int16 Hann "
                        "window, 64 values, 33 distinct: 32-bit entries, 3-bit first lookup, sub-tables of up "
                        "to 4 bits", "CUSTOM(SignalWindow)", (3, 64),
                        lambda: _huffman_model(window, {1: HuffmanTables(32, 3, 4).encode}), io="INT16"),
    ]
