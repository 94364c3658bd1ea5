#!/bin/sh
# tinyml_model_test: TOOL MODEL HARNESS INPUTS MAX_ULP [FLAG...]. Exits 0 only when bit-exact
# with TFLite Micro (float32 outputs: within MAX_ULP units in the last place); the FLAGs
# (--onnx_exact) go to `tinymlc check` as they went to the compile.
# TFLite Micro's smallest arena is the benchmark's business (it takes many TFLM runs).
tool=$1 model=$2 harness=$3 inputs=$4 max_ulp=$5
shift 5
exec "$tool" check --model="$model" --harness="$harness" --inputs="$inputs" --max_ulp="$max_ulp" --notflm_arena --json "$@"
