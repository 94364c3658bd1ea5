#!/bin/sh
# tinyml_model_test, tinyml_models_test: TOOL INPUTS FLAG... runs `tinymlc check` on the
# models the FLAGs name (--models=M,H,N per model; --onnx_exact as it went to the compile).
# Exits 0 only when every model is bit-exact with its reference (float32 outputs: within its
# MAX_ULP units in the last place).
# TFLite Micro's smallest arena is the benchmark's business (it takes many TFLM runs).
tool=$1 inputs=$2
shift 2
exec "$tool" check --inputs="$inputs" --notflm_arena --json "$@"
