#!/usr/bin/env bash
# Passes when every argument is a link to one and the same built file: the targets named
# built it once, in one configuration, whatever platform they were requested for.
set -euo pipefail
first="$(readlink -f "$1")"
for path in "$@"; do
  resolved="$(readlink -f "${path}")"
  if [[ "${resolved}" != "${first}" ]]; then
    echo "FAIL: ${path} is ${resolved}, but $1 is ${first}" >&2
    exit 1
  fi
  echo "${path} -> ${resolved}"
done
