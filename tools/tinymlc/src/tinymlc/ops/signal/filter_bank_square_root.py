"""SignalFilterBankSquareRoot: uint64 channels to their rounded square roots, shifted
right by the scale bits of input 1 (signal/micro/kernels/filter_bank_square_root.cc)."""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require, require_arity, require_dtype


@dataclass(frozen=True)
class SignalFilterBankSquareRootParams:
    channels: int
    """input.dims[0]."""


def prepare(view: OpView) -> SignalFilterBankSquareRootParams:
    require_arity(view, (2,))
    input_, scale_bits, output = view.input(0), view.input(1), view.output()
    require(len(input_.shape) == 1, "input must be 1-D", "", input_)
    require(len(scale_bits.shape) == 0, "scale bits must be a scalar", "", scale_bits)
    require(len(output.shape) == 1, "output must be 1-D", "", output)
    require_dtype(input_, [DType.UINT64], "input")
    require_dtype(scale_bits, [DType.INT32], "scale bits")
    require_dtype(output, [DType.UINT32], "output")
    require(output.shape[0] == input_.shape[0], "output and input channel counts differ", "", output)
    if scale_bits.data is not None:
        bits = int(scale_bits.data.reshape(-1)[0])
        # TFLM shifts a uint32_t by it.
        require(0 <= bits < 32, f"scale bits {bits} are outside 0..31", "", scale_bits)
    return SignalFilterBankSquareRootParams(channels=input_.shape[0])
