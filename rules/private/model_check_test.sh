#!/bin/sh
# tinyml_model_test: TOOL MODEL HARNESS INPUTS MAX_ULP. Exits 0 only when bit-exact with
# TFLite Micro (float32 outputs: within MAX_ULP units in the last place).
# TFLite Micro's smallest arena is the benchmark's business (it takes many TFLM runs).
exec "$1" check --model="$2" --harness="$3" --inputs="$4" --max_ulp="$5" --notflm_arena --json
