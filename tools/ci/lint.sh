#!/usr/bin/env bash
# Linters of every language here, with pinned versions, on the host (not in the build root):
# buildifier (Starlark), shellcheck (shell), rustfmt and clippy (Rust), ruff and mypy (Python).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "${repo}"
cache="${TINYML_LINT_CACHE:-/var/cache/rules_tinyml/lint}"
mkdir -p "${cache}"

buildifier_version=v0.0.0-20231115204819-d4c9dccdfbb1  # buildtools 6.4.0
if [[ ! -x "${cache}/bin/buildifier" ]]; then
  GOBIN="${cache}/bin" go install "github.com/bazelbuild/buildtools/buildifier@${buildifier_version}"
fi
"${cache}/bin/buildifier" -mode=check -lint=warn -r .
echo "lint: buildifier clean"

if ! command -v shellcheck >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
fi
shellcheck bazelw .ci/run tools/offline/*.sh tools/ci/*.sh tools/release/*.sh toolchains/cc/ld.lld toolchains/cc/no_c_compiler.sh toolchains/cc/xtensa_ld \
  rules/private/model_check_test.sh rules/private/multicore_test.sh tests/firmware/*.sh tests/rules/*.sh
echo "lint: shellcheck clean"

export CARGO_TARGET_DIR="${cache}/cargo-target"
for crate in runtime/*/; do
  (cd "${crate}" && cargo fmt --check && cargo clippy --offline --quiet --all-targets --all-features -- -D warnings)
done
# Bazel-only Rust (bare-metal runtime, firmware): formatting; rustc's own lints run in the build.
rustfmt --edition 2021 --check platforms/rt/src/lib.rs fw/*.rs tests/firmware/*.rs tests/toolchain/src/*.rs \
  examples/consumer/*/*.rs
echo "lint: rustfmt and clippy clean"

venv="${cache}/venv"
if [[ ! -x "${venv}/bin/mypy" ]] || ! cmp -s tools/requirements_lock.txt "${venv}/requirements_lock.txt"; then
  python3.11 -m venv --clear "${venv}"
  "${venv}/bin/pip" install --quiet --require-hashes -r tools/requirements_lock.txt
  "${venv}/bin/pip" install --quiet ruff==0.17.6 mypy==2.4.1
  cp tools/requirements_lock.txt "${venv}/requirements_lock.txt"
fi
# tools/bench shares the compiler's configuration (it is typed the same way).
(cd tools/tinymlc && "${venv}/bin/ruff" check . ../bench && "${venv}/bin/ruff" format --check . ../bench &&
  "${venv}/bin/mypy" && "${venv}/bin/mypy" ../bench/model_bench.py ../bench/firmware_bench.py ../bench/multicore_bench.py \
    ../bench/speedup_bench.py ../bench/qemu_counts.py ../bench/cmsis_nn.py)
echo "lint: ruff and mypy clean"
