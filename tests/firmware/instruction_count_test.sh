#!/bin/sh
# Runs a tinyml_qemu_run(count_instructions = True) target twice: it must report the expected
# number of measured calls, each a positive count, and the same counts both times (instruction
# counts are the repeatable measure of firmware speed).
set -eu
runner="$1"
expected_calls="$2"
counts() {
  "${runner}" | sed -n 's/^measured call [0-9]* on core 0: \([0-9]*\) instructions$/\1/p'
}
first="$(counts)"
second="$(counts)"
calls="$(printf '%s\n' "${first}" | grep -c '^[1-9][0-9]*$' || true)"
if [ "${calls}" -ne "${expected_calls}" ]; then
  echo "FAIL: ${calls} measured calls with a positive count, expected ${expected_calls}:" >&2
  printf '%s\n' "${first}" >&2
  exit 1
fi
if [ "${first}" != "${second}" ]; then
  echo "FAIL: instruction counts differ between two runs:" >&2
  printf 'first:\n%s\nsecond:\n%s\n' "${first}" "${second}" >&2
  exit 1
fi
echo "PASS: ${calls} measured calls, identical counts in two runs:"
printf '%s\n' "${first}"
