#!/bin/sh
# tinyml_model_multicore_test: HARNESS SAMPLES REPEATS SEED. Exits 0 only when every run on
# 1 to 4 host threads gives the same bytes as one core.
exec "$1" multicore "$2" "$3" "$4"
