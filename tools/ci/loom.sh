#!/usr/bin/env bash
# Model-checks the multi-core executor's barrier and job hand-over with loom (crates.io,
# pinned by runtime/executor/Cargo.lock): every interleaving of two cores exchanging data
# through it, within loom's preemption bound. Bazel never builds loom; this is its only user.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "${repo}/runtime/executor"
export CARGO_TARGET_DIR="${TINYML_LINT_CACHE:-/var/cache/rules_tinyml/lint}/cargo-target-loom"
cargo fetch --locked
RUSTFLAGS="--cfg loom" cargo test --locked --release --features std --test loom
echo "loom: executor barrier model-checked"
