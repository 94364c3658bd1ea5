"""SignalRfft and SignalIrfft: the real FFT of each frame and its inverse
(signal/micro/kernels/rfft.cc, irfft.cc), int16 and int32 in TFLM's fixed-point KISS FFT
(v130, Q15 and Q31) and float32 in its float build. Prepare computes what
`kiss_fftr_alloc` does: the twiddles, the super-twiddles of the real split (both
conjugated for the inverse), and the radix factorization."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinymlc.ir import DType
from tinymlc.ops._common import OpView, require, require_arity, require_dtype
from tinymlc.ops.signal._options import option_int32, option_int32_by_key

FFT_LENGTH = 1
"""Option 'fft_length' (after 'T' in key order)."""
SUPPORTED_RADICES = (2, 3, 4)
# KISS FFT's double-precision pi literals (kiss_fft.c and tools/kiss_fftr.c).
_PI = 3.141592653589793238462643383279502884197169399375105820974944
_PI_FFTR = 3.14159265358979323846264338327
_SAMP_MAX = {DType.INT16: 32767, DType.INT32: 2147483647}
"""KISS FFT's SAMP_MAX of each fixed-point build; float twiddles are unscaled."""
_TYPES = {t.value: t for t in (DType.INT16, DType.INT32, DType.FLOAT32)}


@dataclass(frozen=True)
class SignalRfftParams:
    dtype: DType
    """The samples' type (option 'T'): int16, int32 or float32."""
    fft_length: int
    input_length: int
    """Samples per frame (the input's last dimension), zero-padded to fft_length; for
    the inverse, complex bins per frame (fft_length / 2 + 1)."""
    inverse: bool
    twiddles: tuple[float, ...]
    """fft_length / 2 twiddles of the complex FFT, interleaved (re, im): Q15 or Q31
    integers, or float32 values."""
    super_twiddles: tuple[float, ...]
    """fft_length / 4 twiddles of the real split, interleaved, likewise."""
    factors: tuple[int, ...]
    """(radix, remaining length) pairs of the complex FFT (`kf_factor`)."""

    @property
    def scratch_bytes(self) -> int:
        """Forward: the zero-padded frame and the complex FFT's result, 2 * fft_length
        samples; inverse: the split spectrum, fft_length samples."""
        samples = self.fft_length if self.inverse else 2 * self.fft_length
        return samples * (self.dtype.itemsize or 0)


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


def _cexp(phase: float, dtype: DType) -> tuple[float, float]:
    """`kf_cexp`: in fixed point floor(0.5 + SAMP_MAX * cos), floor(0.5 + SAMP_MAX * sin);
    in float the double cosine and sine rounded to float32."""
    if dtype is DType.FLOAT32:
        return float(np.float32(math.cos(phase))), float(np.float32(math.sin(phase)))
    limit = _SAMP_MAX[dtype]
    return math.floor(0.5 + limit * math.cos(phase)), math.floor(0.5 + limit * math.sin(phase))


def _plan(dtype: DType, fft_length: int, input_length: int, inverse: bool) -> SignalRfftParams:
    half = fft_length // 2
    factors = factorize(half)
    radices = sorted(set(factors[0::2]))
    require(
        all(r in SUPPORTED_RADICES for r in radices),
        f"fft_length {fft_length} needs KISS FFT radices {radices}; only 2, 3 and 4 are implemented",
        "use an fft_length of the form 2^a * 3^b",
    )
    sign = 1 if inverse else -1
    twiddles = [v for i in range(half) for v in _cexp(-sign * (-2 * _PI * i / half), dtype)]
    super_twiddles = [
        v for i in range(half // 2) for v in _cexp(-sign * (-_PI_FFTR * ((i + 1) / half + 0.5)), dtype)
    ]
    return SignalRfftParams(
        dtype=dtype,
        fft_length=fft_length,
        input_length=input_length,
        inverse=inverse,
        twiddles=tuple(twiddles),
        super_twiddles=tuple(super_twiddles),
        factors=factors,
    )


def _common(view: OpView, name: str) -> tuple[DType, int]:
    """Checks what SignalRfft and SignalIrfft share; returns (type, fft_length)."""
    require_arity(view, (1,))
    input_, output = view.input(0), view.output()
    element = option_int32_by_key(view, "T")
    dtype = _TYPES.get(element if element is not None else -1)
    require(dtype is not None, f"{name} of type {element}: TFLM supports int16, int32 and float32", "")
    assert dtype is not None
    ranks = (len(input_.shape), len(output.shape))
    require(ranks[0] >= 1 and ranks[0] == ranks[1], f"input and output ranks {ranks} differ", "")
    require_dtype(input_, [dtype], "input")
    require_dtype(output, [dtype], "output")
    fft_length = option_int32(view, FFT_LENGTH)
    require(
        fft_length >= 4 and fft_length % 2 == 0,
        f"fft_length {fft_length} is not an even number of at least 4",
        "",
    )
    return dtype, fft_length


def prepare(view: OpView) -> SignalRfftParams:
    dtype, fft_length = _common(view, "SignalRfft")
    input_, output = view.input(0), view.output()
    half = fft_length // 2
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
    return _plan(dtype, fft_length, input_length, inverse=False)


def prepare_inverse(view: OpView) -> SignalRfftParams:
    dtype, fft_length = _common(view, "SignalIrfft")
    input_, output = view.input(0), view.output()
    bins = fft_length // 2 + 1
    # TFLM reads fft_length / 2 + 1 bins from each frame's offset and writes fft_length
    # samples from each output frame's.
    require(input_.shape[-1] == 2 * bins, f"input frames must hold {bins} complex bins", "", input_)
    frames = input_.num_elements // (2 * bins)
    require(
        output.shape[-1] == fft_length and output.num_elements == frames * fft_length,
        f"output {list(output.shape)} does not hold {fft_length} samples for each of {frames} frames",
        "",
        output,
    )
    return _plan(dtype, fft_length, bins, inverse=True)
