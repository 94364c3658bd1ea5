#!/usr/bin/env bash
# A second `bazel test //...` on an unchanged tree must execute no action: every output,
# test result included, comes from the cache. Bazel's execution log lists each spawn it ran.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

log_dir="$(pwd)/.ci-out"
mkdir -p "${log_dir}"
log="${log_dir}/second_run_spawns.json"
rm -f "${log}"
./bazelw test //... --execution_log_json_file="${log}" >/dev/null 2>&1
if [[ -s "${log}" ]]; then
  echo "FAIL: the second bazel test //... executed actions on an unchanged tree:" >&2
  grep -o '"mnemonic": *"[^"]*"\|"targetLabel": *"[^"]*"' "${log}" | paste - - | sort | uniq -c >&2
  exit 1
fi
echo "PASS: the second bazel test //... executed no actions"
