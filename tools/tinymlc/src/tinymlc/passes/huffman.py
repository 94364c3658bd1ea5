"""The symbols of a TFLM_DECODE Huffman stream, read as TFLM's decoder reads them
(micro/kernels/decode_state_huffman.cc, "Xtensa-format" tables).

The encoded tensor is a bit stream, most significant bit of each byte first (TFLM
reads it in big-endian 32-bit words). The value table after the 16-byte header is an
array of little-endian 16- or 32-bit entries, made of sub-tables: a lookup reads
`width` bits of the stream and takes the entry at the sub-table's start plus those
bits. Every entry holds a found-symbol flag (its top bit), a 4-bit count and a value
(the low 11 or 27 bits). A symbol entry's value is the symbol (TFLM stores its low 8
or 16 bits) and its count the bits of this lookup the code used: the rest are put back.
Any other entry points to the next sub-table, `value` entries after itself, which is
read with `count + 1` bits. The first lookup reads the initial table width given by
the header. The stream covers the whole tensor in order, channels play no part.

TFLM checks none of this: what would make it read outside its tables, or decode
values taken from memory past the stream, is refused here with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


class HuffmanError(ValueError):
    """Why TFLM could not decode the stream (the caller names the operator and tensor)."""


@dataclass(frozen=True)
class EntryFormat:
    """How a table entry is laid out: 16-bit entries or 32-bit ones."""

    entry_bytes: int

    @property
    def found_flag(self) -> int:
        return 1 << (self.entry_bytes * 8 - 1)

    @property
    def count_shift(self) -> int:
        return self.entry_bytes * 8 - 5

    @property
    def value_mask(self) -> int:
        return (1 << self.count_shift) - 1

    def count(self, entry: int) -> int:
        return (entry >> self.count_shift) & 0xF


class _Stream:
    """Bits of the encoded tensor, most significant first, and how many it holds."""

    def __init__(self, encoded: bytes) -> None:
        self.bits = len(encoded) * 8
        # Two spare words: a read is at most 16 bits past a byte boundary.
        self._padded = encoded + bytes(8)

    def read(self, position: int, width: int) -> tuple[int, int]:
        """(the known bits of [position, position + width) as an integer, how many of
        the width lie past the stream's end)."""
        start = position >> 3
        window = int.from_bytes(self._padded[start : start + 4], "big")
        value = (window >> (32 - (position & 7) - width)) & ((1 << width) - 1)
        missing = max(0, position + width - self.bits)
        return value >> missing, missing


def huffman_symbols(
    encoded: bytes, tables: bytes, entry_format: EntryFormat, initial_width: int, count: int
) -> npt.NDArray[np.int64]:
    """The first `count` symbols of `encoded` (the whole table entries that decode them)."""
    entries = np.frombuffer(
        tables[: len(tables) // entry_format.entry_bytes * entry_format.entry_bytes],
        np.dtype(f"<u{entry_format.entry_bytes}"),
    ).astype(np.int64)
    stream = _Stream(encoded)
    symbols = np.empty(count, np.int64)
    position = 0
    for symbol_index in range(count):
        table_start, width, value_start = 0, initial_width, position
        while True:
            if position >= stream.bits:
                raise HuffmanError(f"the stream ends after {symbol_index} of {count} values")
            known, missing = stream.read(position, width)
            first = table_start + (known << missing)
            last = first + (1 << missing) - 1
            if last >= len(entries):
                raise HuffmanError(
                    f"value {symbol_index} reads entry {last} of the {len(entries)} in the Huffman table"
                )
            entry = int(entries[first])
            if missing and np.any(entries[first : last + 1] != entry):
                # TFLM reads these bits from whatever follows the stream in memory.
                raise HuffmanError(
                    f"value {symbol_index} depends on {missing} bits past the end of the stream"
                )
            if entry & entry_format.found_flag:
                used = min(width, entry_format.count(entry))
                if position + used == value_start:
                    # A code of no bits leaves the reader where it was: every value to come is this one.
                    symbols[symbol_index:] = entry
                    return symbols
                symbols[symbol_index] = entry
                position += used
                break
            if missing:
                raise HuffmanError(f"value {symbol_index} needs bits past the end of the stream")
            position += width
            table_start = first + (entry & entry_format.value_mask)
            width = entry_format.count(entry) + 1
    return symbols
