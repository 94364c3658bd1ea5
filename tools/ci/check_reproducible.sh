#!/usr/bin/env bash
# Firmware is reproducible: the same commit built twice, from two clones in different
# directories, each with a fresh output base, gives byte-identical ELF files.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=tools/offline/root.sh
source "${repo}/tools/offline/root.sh"
# shellcheck source=tools/ci/clones.sh
source "${repo}/tools/ci/clones.sh"

targets=(
  "//tests/firmware:hello mps2_an386"
  "//tests/firmware:hello mps2_an521"
  "//tests/firmware:hello riscv32_virt"
  "//fw:sensor mps2_an386"
  "//fw:sensor riscv32_virt"
  "//fw:sensor xtensa_sim"
  "//fw:sensor esp32s3"
  "//fw:sensor_app_image esp32s3"
)

scratch="$(mktemp -d /tmp/tinyml-reproducible.XXXXXX)"
trap 'cleanup' EXIT
cleanup() {
  release_clones "${scratch}"
  rm -rf "${scratch}"
}

build_copy() {
  local copy="$1" entry label platform out
  clone_commit "${repo}" "${copy}"
  for entry in "${targets[@]}"; do
    read -r label platform <<<"${entry}"
    out="$(cd "${copy}/src" && ./bazelw --output_base="${copy}/output_base" \
      cquery "${label}" --platforms="//platforms:${platform}" --output=files 2>/dev/null)"
    (cd "${copy}/src" && ./bazelw --output_base="${copy}/output_base" \
      build "${label}" --platforms="//platforms:${platform}" >/dev/null 2>&1)
    sha256sum "${TINYML_ROOT}${copy}/output_base/execroot/_main/${out}" | cut -d' ' -f1 |
      sed "s|\$|  ${label} for ${platform}|"
  done
}

build_copy "${scratch}/copy-a" >"${scratch}/a.sha256"
build_copy "${scratch}/copy-b" >"${scratch}/b.sha256"
if ! diff -u "${scratch}/a.sha256" "${scratch}/b.sha256"; then
  echo "FAIL: builds from two clean output bases differ (above: sha256 of each ELF)" >&2
  exit 1
fi
sed 's/^/  /' "${scratch}/a.sha256"
echo "PASS: firmware is byte-identical across clean output bases in different directories"
