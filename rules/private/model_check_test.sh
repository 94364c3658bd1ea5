#!/bin/sh
# tinyml_model_test: TOOL MODEL HARNESS INPUTS. Exits 0 only when bit-exact with TFLite Micro.
# TFLite Micro's smallest arena is the benchmark's business (it takes many TFLM runs).
exec "$1" check --model="$2" --harness="$3" --inputs="$4" --notflm_arena --json
