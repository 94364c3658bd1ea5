"""SUM (int8): TFLM's Prepare computes the same QuantizeMultiplier(input_scale /
output_scale) as MEAN's, and its Eval (QuantizedMeanOrSum with compute_sum) uses it
without folding in 1 / count; the parameters are MEAN's, the kernel `mean::sum`."""

from __future__ import annotations

from tinymlc.ops import mean
from tinymlc.ops._common import OpView
from tinymlc.ops.mean import MeanParams


def prepare(view: OpView) -> MeanParams:
    return mean.prepare(view)
