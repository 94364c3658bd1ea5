"""TensorFlow Lite Micro + CMSIS-NN on a Cortex-M4: the figures our firmware is compared with.

Guest instructions per inference on QEMU `mps2-an386` (Cortex-M4), counted the way
tools/bench counts ours (qemu_counts.py: instructions executed between the inference's
start and end markers, one inference). TFLite Micro with Arm's CMSIS-NN kernels, built by
arm-none-eabi-gcc 12.2 at -O2 for Cortex-M4F (`-mcpu=cortex-m4 -mfpu=fpv4-sp-d16
-mfloat-abi=hard`, CMSIS-NN's DSP paths on), on the published MLPerf Tiny and TFLite Micro
models. Measured once outside this repository (TFLite Micro cannot be built here: see
firmware_bench.py) and recorded in issue 12; the models in models/ are those models or ones
of the same architecture (our DS-CNN: the MLPerf Tiny layer shapes, its own weights; our
streaming wake word: the reference DS-TCN's layers, models/build_streaming_ww.py).
"""

from __future__ import annotations

CMSIS_NN_M4_INSTRUCTIONS: dict[str, int] = {
    "ds_cnn_kws": 7_697_866,
    "mobilenet_v1_025_vww": 24_101_896,
    "resnet8_cifar10": 29_865_025,
    "person_detect": 22_928_407,
    "fc_autoencoder": 582_958,
    "micro_speech": 1_495_354,
    "streaming_wakeword": 2_227_049,
}
"""Model name in models/ -> TFLM + CMSIS-NN instructions per inference on `mps2-an386`."""

CMSIS_NN_BOARD = "mps2_an386"
"""The board the figures were measured on; ratios are printed for it only."""


def ratio_to_cmsis_nn(model: str, board: str, instructions: int) -> str:
    """`instructions / CMSIS-NN's` as `0.93x`, or `-` without a figure for the pair."""
    reference = CMSIS_NN_M4_INSTRUCTIONS.get(model)
    if board != CMSIS_NN_BOARD or reference is None:
        return "-"
    return f"{instructions / reference:.2f}x"
