"""Rust target specifications of the Xtensa targets, as rustc's JSON target files.

rustc's built-in `xtensa-esp32s3-none-elf` does not build with Debian's LLVM 22 (its data
layout differs from LLVM's, and LLVM knows no `esp32s3` CPU), so these specs replace it:
`esp32` is the LLVM CPU whose instructions the ESP32-S3 has. The FPU is left off (`-fp`):
LLVM 22 crashes selecting instructions for `core`'s f16 code with it on, so float
arithmetic is done in software. `xtensa-sim-none-elf` is the same without MUL32_HIGH, which
no core QEMU emulates.

Pure data, read by Starlark (//toolchains/xtensa, @debian_rust) and by
tools/offline/setup.sh, which writes each spec as rustc's JSON the way rules_rust does (rustc
accepts a standard library only if built for byte-identical JSON).
"""

_ESP32S3 = {
    "arch": "xtensa",
    "cpu": "esp32",
    "data-layout": "e-m:e-p:32:32-i8:8:32-i16:16:32-i64:64-n32",
    "emit-debug-gdb-scripts": False,
    "features": "-fp",
    "linker-flavor": "gnu",
    "llvm-target": "xtensa-none-elf",
    "max-atomic-width": 32,
    # rustc's default; rules_rust reads it from the spec.
    "os": "none",
    "panic-strategy": "abort",
    "relocation-model": "static",
    "target-pointer-width": 32,
    "vendor": "espressif",
}

XTENSA_TARGET_SPECS = {
    "xtensa-esp32s3-none-elf": _ESP32S3,
    "xtensa-sim-none-elf": dict(_ESP32S3, features = "-fp,-mul32high"),
}
