"""Rust literal formatting: exact integers, bit-exact floats, wrapped arrays."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

from tinymlc.errors import CompileError
from tinymlc.ir import DType

ITEMS_PER_LINE = 24

# DType -> (Rust element type, variant of the generated `DType` enum).
_RUST_TYPES: dict[DType, tuple[str, str]] = {
    DType.INT8: ("i8", "Int8"),
    DType.UINT8: ("u8", "UInt8"),
    DType.INT16: ("i16", "Int16"),
    DType.INT32: ("i32", "Int32"),
    DType.FLOAT32: ("f32", "Float32"),
    # TFLM stores a bool in one byte, 0 or 1; the arena holds it as that byte (a Rust
    # `bool` is not valid for every bit pattern, so arena views never have that type).
    DType.BOOL: ("u8", "Bool"),
}
# Types only signal operators' intermediate tensors have: arena-only, never model I/O.
_ARENA_ONLY_TYPES: dict[DType, str] = {DType.UINT32: "u32", DType.UINT64: "u64"}

# Types only constants have (16x8 biases; INT4 weights, unpacked to int8 by the parser):
# they are never arena tensors or I/O.
_CONSTANT_ONLY_TYPES: dict[DType, str] = {DType.INT64: "i64", DType.INT4: "i8"}


def element_type(dtype: DType) -> str:
    special = _CONSTANT_ONLY_TYPES.get(dtype) or _ARENA_ONLY_TYPES.get(dtype)
    return special if special is not None else _rust_type(dtype)[0]


def api_element_type(dtype: DType) -> str:
    """Element type of the generated API's `TensorRef` / `TensorMut` (`bool` for BOOL)."""
    return "bool" if dtype is DType.BOOL else element_type(dtype)


def api_literal(dtype: DType, value: int) -> str:
    """An integer or BOOL element as a literal of its API element type."""
    return boolean(bool(value)) if dtype is DType.BOOL else str(value)


def dtype_variant(dtype: DType) -> str:
    return _rust_type(dtype)[1]


def _rust_type(dtype: DType) -> tuple[str, str]:
    names = _RUST_TYPES.get(dtype)
    if names is None:
        raise CompileError(f"tensors of type {dtype.name} cannot be stored in the arena")
    return names


def f32(value: float) -> str:
    """A float32 constant with exactly the model's bits (a decimal could round)."""
    bits = struct.unpack("<I", struct.pack("<f", value))[0]
    return f"f32::from_bits(0x{bits:08X}) /* {value!r} */"


def boolean(value: bool) -> str:
    return "true" if value else "false"


def string(value: str) -> str:
    """A Rust string literal; anything but printable ASCII is escaped."""
    escaped = []
    for char in value:
        if char in '"\\':
            escaped.append("\\" + char)
        elif " " <= char <= "~":
            escaped.append(char)
        else:
            escaped.append(f"\\u{{{ord(char):x}}}")
    return '"' + "".join(escaped) + '"'


def ints(values: Iterable[int]) -> str:
    """`[a, b, c]`, wrapped for long arrays."""
    items = [str(int(v)) for v in values]
    if len(items) <= ITEMS_PER_LINE:
        return f"[{', '.join(items)}]"
    lines = [", ".join(items[i : i + ITEMS_PER_LINE]) for i in range(0, len(items), ITEMS_PER_LINE)]
    return "[\n    " + ",\n    ".join(lines) + ",\n]"


def usizes(values: Sequence[int]) -> str:
    return ints(values)
