#!/usr/bin/env bash
# CI: builds and tests examples/consumer, a separate repository that depends on rules_tinyml
# (bazel_dep + local_path_override), through the same offline root and bazelw a user's
# repository would use (README.md, "Use it in your repository"). A change to the rules,
# toolchains or offline configuration that breaks dependent repositories fails here, even when
# this repository's own `bazel test //...` passes.
#
# On CI's fresh machine this starts from a cold output base, as a new user's build does. The
# Bazel server it starts is stopped at the end: the main repository's keeps running.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo="$(pwd)"

bazel() {
  (cd "${repo}/examples/consumer" && "${repo}/bazelw" "$@")
}
trap 'bazel shutdown' EXIT

start=${SECONDS}
# The model on the host (rust_test of the application), and the firmware under QEMU on an Arm
# and a RISC-V board.
bazel test //... --test_output=errors
# A board that only builds (no emulator): the firmware links within its memory map.
bazel build //fw:breathe //fw:breathe_size --platforms=@rules_tinyml//platforms:nrf52840
echo "ci: examples/consumer built and tested in $((SECONDS - start)) s"
