#!/bin/sh
# Bare-metal targets of this repository are Rust only: their C toolchain exists to link.
echo "the bare-metal C toolchain of //toolchains/cc links Rust firmware; it has no C compiler or binutils ($0)" >&2
exit 1
