"""SignalRfft: the real FFT of each frame (signal/micro/kernels/rfft.cc), int16 in TFLM's
fixed-point KISS FFT (v130). Prepare computes what `kiss_fftr_alloc` does: the twiddles,
the super-twiddles of the real split, and the radix factorization."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require, require_arity, require_dtype
from tinymlc.ops.signal._options import option_int32, option_int32_by_key

FFT_LENGTH = 1
"""Option 'fft_length' (after 'T' in key order)."""
SUPPORTED_RADICES = (2, 3, 4)
# KISS FFT's double-precision pi literals (kiss_fft.c and tools/kiss_fftr.c).
_PI = 3.141592653589793238462643383279502884197169399375105820974944
_PI_FFTR = 3.14159265358979323846264338327
_Q15_MAX = 32767


@dataclass(frozen=True)
class SignalRfftParams:
    fft_length: int
    input_length: int
    """Samples per frame (the input's last dimension), zero-padded to fft_length."""
    twiddles: tuple[int, ...]
    """fft_length / 2 Q15 twiddles of the complex FFT, interleaved (re, im)."""
    super_twiddles: tuple[int, ...]
    """fft_length / 4 Q15 twiddles of the real split, interleaved."""
    factors: tuple[int, ...]
    """(radix, remaining length) pairs of the complex FFT (`kf_factor`)."""

    @property
    def scratch_bytes(self) -> int:
        """The zero-padded frame and the complex FFT's result: 2 * fft_length int16."""
        return 4 * self.fft_length


def factorize(n: int) -> tuple[int, ...]:
    """KISS FFT's `kf_factor`: radix 4 first, then 2, then odd numbers up to sqrt(n)."""
    factors: list[int] = []
    radix = 4
    floor_sqrt = math.floor(math.sqrt(n))
    while n > 1:
        while n % radix:
            radix = {4: 2, 2: 3}.get(radix, radix + 2)
            if radix > floor_sqrt:
                radix = n
        n //= radix
        factors += [radix, n]
    return tuple(factors)


def _q15(phase: float) -> tuple[int, int]:
    """`kf_cexp` in fixed point: floor(0.5 + 32767 * cos), floor(0.5 + 32767 * sin)."""
    return math.floor(0.5 + _Q15_MAX * math.cos(phase)), math.floor(0.5 + _Q15_MAX * math.sin(phase))


def prepare(view: OpView) -> SignalRfftParams:
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    element = option_int32_by_key(view, "T")
    require(
        element == DType.INT16.value,
        f"SignalRfft of type {element} is not supported yet (only int16, T = {DType.INT16.value})",
        "use the int16 front end",
    )
    require(
        len(input_.shape) >= 1 and len(input_.shape) == len(output.shape), "input and output ranks differ", ""
    )
    require_dtype(input_, [DType.INT16], "input")
    require_dtype(output, [DType.INT16], "output")
    fft_length = option_int32(view, FFT_LENGTH)
    half = fft_length // 2
    require(
        fft_length >= 4 and fft_length % 2 == 0,
        f"fft_length {fft_length} is not an even number of at least 4",
        "",
    )
    input_length = input_.shape[-1]
    # TFLM copies a frame into its fft_length work area.
    require(
        0 < input_length <= fft_length,
        f"frames of {input_length} samples do not fit fft_length {fft_length}",
        "",
        input_,
    )
    frames = input_.num_elements // input_length
    # TFLM writes fft_length / 2 + 1 bins per frame from each frame's output offset.
    require(
        output.shape[-1] == 2 * (half + 1) and output.num_elements == frames * 2 * (half + 1),
        f"output {list(output.shape)} does not hold {half + 1} complex bins for each of {frames} frames",
        "",
        output,
    )
    factors = factorize(half)
    radices = sorted(set(factors[0::2]))
    require(
        all(r in SUPPORTED_RADICES for r in radices),
        f"fft_length {fft_length} needs KISS FFT radices {radices}; only 2, 3 and 4 are implemented",
        "use an fft_length of the form 2^a * 3^b",
    )
    twiddles = [v for i in range(half) for v in _q15(-2 * _PI * i / half)]
    super_twiddles = [v for i in range(half // 2) for v in _q15(-_PI_FFTR * ((i + 1) / half + 0.5))]
    return SignalRfftParams(
        fft_length=fft_length,
        input_length=input_length,
        twiddles=tuple(twiddles),
        super_twiddles=tuple(super_twiddles),
        factors=factors,
    )
