"""`check`'s first-divergence search against TFLM's intermediate tensors."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.codegen_support import build, conv_softmax_model
from tinymlc import hostbuild
from tinymlc.check import first_divergence, random_inputs


def test_first_divergence_names_the_first_differing_layer() -> None:
    model = conv_softmax_model()
    with tempfile.TemporaryDirectory() as work:
        compiled, binary = build(model, Path(work))
        sample = random_inputs(compiled, 1, seed=4)[0]
        (ours,) = hostbuild.run_harness(binary, [sample])
    assert first_divergence(compiled, model, sample, ours) is None
    conv_output = bytearray(ours.layers[0])
    conv_output[5] ^= 1
    ours.layers[0] = bytes(conv_output)
    divergence = first_divergence(compiled, model, sample, ours)
    assert divergence is not None
    assert (divergence.layer, divergence.op, divergence.tensor, divergence.element) == (
        0,
        "CONV_2D",
        "conv",
        5,
    )
    assert divergence.ours != divergence.tflm
