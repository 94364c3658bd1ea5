#!/usr/bin/env bash
# Two properties of builds across machines, shown with clean clones of the commit under test:
# - Reproducible firmware: //tests/clones:firmware (several boards, the ESP32-S3 app image
#   too) built in this work tree and in a clone in another directory, with a fresh output
#   base, is byte-identical.
# - A team's shared remote cache serves a second machine: with BuildGrid (a real Remote
#   Execution API server, started here on loopback) as --remote_cache, that clone's build fills
#   the cache, and the same build from a second clone, in another directory with a fresh
#   output base, executes no action locally: every spawn is a remote cache hit.
# One clean clone serves both, so CI builds from scratch once instead of twice.
#
#   tools/ci/check_clones.sh
#   TINYML_BUILDGRID_PORT=50551 tools/ci/check_clones.sh
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=tools/offline/root.sh
source "${repo}/tools/offline/root.sh"
# shellcheck source=tools/ci/clones.sh
source "${repo}/tools/ci/clones.sh"

buildgrid_version=0.4.4
firmware=//tests/clones:firmware
targets=("${firmware}" //models:sine_test)

# BuildGrid from PyPI, pinned, in a venv of the machine's Python 3.11 (outside the build
# root: the server is a separate machine as far as Bazel is concerned).
venv="${TINYML_BUILDGRID_VENV:-/var/cache/rules_tinyml/buildgrid-${buildgrid_version}}"
if [[ ! -x "${venv}/bin/bgd" ]]; then
  python3.11 -m venv --clear "${venv}"
  "${venv}/bin/pip" install --quiet "buildgrid==${buildgrid_version}"
fi

scratch="$(mktemp -d /tmp/tinyml-clones.XXXXXX)"
server_pid=""
cleanup() {
  if [[ -n "${server_pid}" ]]; then kill "${server_pid}" 2>/dev/null || true; fi
  release_clones "${scratch}"
  rm -rf "${scratch}"
}
trap cleanup EXIT

port="${TINYML_BUILDGRID_PORT:-$(python3.11 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
cat >"${scratch}/buildgrid.yml" <<CONFIG
# A cache-only REAPI server: CAS, ByteStream and ActionCache of the default instance.
server:
  - !channel
    address: "127.0.0.1:${port}"
    insecure-mode: true
authorization:
  method: none
storages:
  - !disk-storage &cas
    path: ${scratch}/cas
caches:
  - !lru-action-cache &action-cache
    storage: *cas
    max-cached-refs: 1000000
    allow-updates: true
    cache-failed-actions: false
instances:
  - name: ""
    services:
      - !action-cache
        cache: *action-cache
      - !cas
        storage: *cas
      - !bytestream
        storage: *cas
CONFIG
"${venv}/bin/bgd" server start "${scratch}/buildgrid.yml" >"${scratch}/buildgrid.log" 2>&1 &
server_pid=$!
for _ in $(seq 60); do
  if python3.11 -c "import socket; socket.create_connection(('127.0.0.1', ${port}), 1)" 2>/dev/null; then break; fi
  if ! kill -0 "${server_pid}" 2>/dev/null; then
    echo "FAIL: BuildGrid did not start:" >&2
    cat "${scratch}/buildgrid.log" >&2
    exit 1
  fi
  sleep 1
done

# Runs `./bazelw "$@"` in work tree $1, with output base $2 unless it is empty.
bazelw_at() {
  local work_tree="$1" output_base="$2"
  shift 2
  local -a startup=()
  if [[ -n "${output_base}" ]]; then startup=(--output_base="${output_base}"); fi
  (cd "${work_tree}" && ./bazelw "${startup[@]}" "$@")
}

# Runs `./bazelw "$@"` in work tree $1 (its output base $2 if not empty), its output in $3.
bazel_in() {
  local work_tree="$1" output_base="$2" log="$3"
  shift 3
  bazelw_at "${work_tree}" "${output_base}" "$@" >"${log}" 2>&1 || {
    cat "${log}" >&2
    return 1
  }
}

# Prints the sha256 of every file of ${firmware} as built in work tree $1 (output base $2).
# Its files are symlinks, absolute inside the build root.
firmware_sha256() {
  local work_tree="$1" output_base="$2" execroot file path link
  execroot="$(bazelw_at "${work_tree}" "${output_base}" info execution_root 2>/dev/null)"
  bazelw_at "${work_tree}" "${output_base}" cquery "${firmware}" --output=files 2>/dev/null |
    while read -r file; do
      path="${TINYML_ROOT}${execroot}/${file}"
      while [[ -L "${path}" ]]; do
        link="$(readlink "${path}")"
        if [[ "${link}" == /* ]]; then path="${TINYML_ROOT}${link}"; else path="$(dirname "${path}")/${link}"; fi
      done
      echo "$(sha256sum <"${path}" | cut -d' ' -f1)  ${file#bazel-out/*/bin/}"
    done
}

# Builds the targets in clone $1 against the remote cache; prints Bazel's summary line.
build_clone() {
  local copy="$1"
  bazel_in "${copy}/src" "${copy}/output_base" "${copy}/build.log" test --nobuild_tests_only "${targets[@]}" \
    --remote_cache="grpc://127.0.0.1:${port}" --execution_log_json_file="${copy}/spawns.json"
  grep -E '^INFO: [0-9]+ processes' "${copy}/build.log"
}

clone_commit "${repo}" "${scratch}/copy-a"
clone_commit "${repo}" "${scratch}/copy-b"
echo "first clone (fills the cache): $(build_clone "${scratch}/copy-a")"

bazel_in "${repo}" "" "${scratch}/work_tree.log" build "${firmware}"
firmware_sha256 "${repo}" "" >"${scratch}/work_tree.sha256"
firmware_sha256 "${scratch}/copy-a/src" "${scratch}/copy-a/output_base" >"${scratch}/clone.sha256"
if ! diff -u "${scratch}/work_tree.sha256" "${scratch}/clone.sha256"; then
  echo "FAIL: firmware built in this work tree and in a clean clone differs (above: sha256 of each file)" >&2
  exit 1
fi
sed 's/^/  /' "${scratch}/clone.sha256"
echo "PASS: firmware is byte-identical across output bases in different directories"

echo "second clone (another directory, fresh output base): $(build_clone "${scratch}/copy-b")"
# Every spawn of the second build must have come from the remote cache.
if ! python3.11 - "${scratch}/copy-b/spawns.json" <<'PY'; then
import json
import sys

text = open(sys.argv[1]).read()
decoder, index, spawns = json.JSONDecoder(), 0, []
while index < len(text):
    if text[index].isspace():
        index += 1
        continue
    spawn, index = decoder.raw_decode(text, index)
    spawns.append(spawn)
local = [s for s in spawns if s.get("runner") != "remote cache hit"]
for spawn in local:
    print(f"  executed locally: {spawn.get('mnemonic')} of {spawn.get('targetLabel')} ({spawn.get('runner')})")
print(f"{len(spawns) - len(local)} of {len(spawns)} spawns were remote cache hits")
sys.exit(1 if local or not spawns else 0)
PY
  echo "FAIL: the second clone executed actions locally despite a warm remote cache" >&2
  exit 1
fi
echo "PASS: a clean build from a second clone executed no action locally (BuildGrid remote cache)"
