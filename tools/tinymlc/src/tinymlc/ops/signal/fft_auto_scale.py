"""SignalFftAutoScale (signal/micro/kernels/fft_auto_scale_common.cc), as
`passes.signal_operators` splits it: the scale bits of an int16 frame (the int32 scalar
output), then the frame shifted left by them."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType, Tensor
from tinymlc.ops._common import OpView, require, require_arity, require_dtype


@dataclass(frozen=True)
class SignalFftAutoScaleParams:
    elements: int
    """The frame's length (output.dims[0])."""
    computes_scale_bits: bool
    """True for the step writing the scale bits, False for the one shifting the frame."""


def _frame(input_: Tensor) -> None:
    require(len(input_.shape) == 1, "input must be 1-D", "", input_)
    require_dtype(input_, [DType.INT16], "input")


def prepare_scale_bits(view: OpView) -> SignalFftAutoScaleParams:
    require_arity(view, (1,))
    input_, scale_bits = view.input(0), view.output()
    _frame(input_)
    require(len(scale_bits.shape) == 0, "the scale bits output must be a scalar", "", scale_bits)
    require_dtype(scale_bits, [DType.INT32], "scale bits")
    return SignalFftAutoScaleParams(elements=input_.shape[0], computes_scale_bits=True)


def prepare(view: OpView) -> SignalFftAutoScaleParams:
    # Two inputs: the frame and the scale bits the split's first step computed.
    require(
        view.num_inputs == 2,
        f"expects 1 input and 2 outputs (the frame and its scale bits), has {len(view.op.outputs)} outputs",
        "re-export the model",
    )
    input_, output = view.input(0), view.output()
    _frame(input_)
    require(len(output.shape) == 1, "output must be 1-D", "", output)
    require_dtype(output, [DType.INT16], "output")
    # TFLM scales output.dims[0] values of the input.
    require(output.shape == input_.shape, "output and input lengths differ", "", output)
    return SignalFftAutoScaleParams(elements=output.shape[0], computes_scale_bits=False)
