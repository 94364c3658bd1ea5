"""Just enough of ELF32 to account for a firmware image's flash and RAM.

Bare-metal images here are little-endian ELF32 (Arm and RISC-V alike). A section occupies
flash when it has contents (not NOBITS) loaded at a flash address, RAM when its run address
is in RAM; `.data` does both (stored in flash, copied to RAM at reset).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from tinymlc.errors import CompileError

_SHT_NOBITS = 8
_SHF_ALLOC = 0x2
_PT_LOAD = 1


@dataclass(frozen=True)
class Section:
    name: str
    address: int
    load_address: int
    size: int
    has_contents: bool


@dataclass(frozen=True)
class _Segment:
    offset: int
    physical_address: int
    file_size: int


def allocated_sections(path: Path) -> list[Section]:
    """The sections of `path` that occupy memory on the target, in file order."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or len(data) < 52:
        raise CompileError("not an ELF file", str(path))
    if data[4] != 1 or data[5] != 1:
        raise CompileError("not a little-endian 32-bit ELF file (a bare-metal firmware image)", str(path))
    try:
        return _sections(data)
    except struct.error as error:
        raise CompileError(f"truncated ELF file ({error})", str(path)) from None


def _sections(data: bytes) -> list[Section]:
    (phoff, shoff) = struct.unpack_from("<II", data, 0x1C)
    (phentsize, phnum, shentsize, shnum, shstrndx) = struct.unpack_from("<HHHHH", data, 0x2A)
    segments = []
    for index in range(phnum):
        p_type, p_offset, _vaddr, p_paddr, p_filesz = struct.unpack_from(
            "<IIIII", data, phoff + index * phentsize
        )
        if p_type == _PT_LOAD:
            segments.append(_Segment(p_offset, p_paddr, p_filesz))
    headers = [struct.unpack_from("<IIIIII", data, shoff + index * shentsize) for index in range(shnum)]
    names_offset = headers[shstrndx][4]
    sections = []
    for name_index, sh_type, flags, address, offset, size in headers:
        if not flags & _SHF_ALLOC or size == 0:
            continue
        has_contents = sh_type != _SHT_NOBITS
        sections.append(
            Section(
                name=_string_at(data, names_offset + name_index),
                address=address,
                load_address=_load_address(segments, offset, address) if has_contents else address,
                size=size,
                has_contents=has_contents,
            )
        )
    return sections


def _string_at(data: bytes, offset: int) -> str:
    return data[offset : data.index(b"\0", offset)].decode("ascii", errors="replace")


def _load_address(segments: list[_Segment], offset: int, address: int) -> int:
    for segment in segments:
        if segment.offset <= offset < segment.offset + segment.file_size:
            return segment.physical_address + offset - segment.offset
    return address
