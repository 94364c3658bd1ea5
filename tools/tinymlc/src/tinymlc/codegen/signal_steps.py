"""Emitters of TFLM's signal-library operators (`tinyml_kernels::signal`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tinymlc.codegen import rust
from tinymlc.ir import DType, OpKind
from tinymlc.ops.signal import delay, overlap_add
from tinymlc.ops.signal._streaming import COUNTERS_INPUT, SAMPLES_INPUT
from tinymlc.ops.signal.energy import SignalEnergyParams
from tinymlc.ops.signal.fft_auto_scale import SignalFftAutoScaleParams
from tinymlc.ops.signal.filter_bank import SignalFilterBankParams
from tinymlc.ops.signal.filter_bank_log import SignalFilterBankLogParams
from tinymlc.ops.signal.filter_bank_square_root import SignalFilterBankSquareRootParams
from tinymlc.ops.signal.framer import SignalFramerParams
from tinymlc.ops.signal.pcan import SignalPcanParams
from tinymlc.ops.signal.rfft import SignalRfftParams
from tinymlc.ops.signal.spectral_subtraction import STATE_INPUT, SignalSpectralSubtractionParams
from tinymlc.ops.signal.stacker import SignalStackerParams
from tinymlc.ops.signal.window import SignalWindowParams

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from tinymlc.codegen.steps import StepBuilder
    from tinymlc.ops import PreparedParams


def _window(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, SignalWindowParams)
    b.call(
        "signal::window::window",
        b.input(0),
        b.input(1),
        str(params.shift),
        b.output(),
        b.range(params.elements),
    )


def _energy(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, SignalEnergyParams)
    bins = params.end_index - params.start_index
    b.step.body.append(
        f"let bins = SplitRange::new(part.rows.start + {params.start_index}, "
        f"part.rows.end + {params.start_index});"
    )
    b.range(bins, "bins")
    b.call("signal::energy::energy", b.input(0), b.output(), "bins")


def _filter_bank_log(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, SignalFilterBankLogParams)
    b.call(
        "signal::filter_bank_log::filter_bank_log",
        b.input(0),
        str(params.output_scale),
        str(params.correction_bits),
        b.output(),
        b.range(params.channels, "channels"),
    )


def _filter_bank(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, SignalFilterBankParams)
    tables = ", ".join(
        f"{field}: {b.input(position)}"
        for position, field in enumerate(
            ("weights", "unweights", "channel_frequency_starts", "channel_weight_starts", "channel_widths"),
            start=1,
        )
    )
    b.step.body.append(f"let tables = kernels::signal::filter_bank::FilterBankTables {{ {tables} }};")
    b.call(
        "signal::filter_bank::filter_bank",
        b.input(0),
        "&tables",
        str(params.num_channels),
        b.output(),
        b.whole(),
    )


def _filter_bank_square_root(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, SignalFilterBankSquareRootParams)
    b.call(
        "signal::filter_bank_square_root::filter_bank_square_root",
        b.input(0),
        b.input(1),
        b.output(),
        b.range(params.channels, "channels"),
    )


def _pcan(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, SignalPcanParams)
    b.call(
        "signal::pcan::pcan",
        b.input(0),
        b.input(1),
        b.input(2),
        str(params.snr_shift),
        b.output(),
        b.range(params.channels, "channels"),
    )


def _rfft(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, SignalRfftParams)
    element = rust.element_type(params.dtype)
    plan = (
        "kernels::signal::rfft::RfftPlan { "
        f"fft_length: {params.fft_length}, "
        f"inverse: {'true' if params.inverse else 'false'}, "
        f"twiddles: &{_samples(b, 'TWIDDLES', params.dtype, params.twiddles)}, "
        f"super_twiddles: &{_samples(b, 'SUPER_TWIDDLES', params.dtype, params.super_twiddles)}, "
        f"factors: &{b.int_array('FACTORS', 'usize', params.factors)} }}"
    )
    b.step.body.append(f"let plan = {plan};")
    if params.inverse:
        b.call("signal::rfft::irfft", "&plan", b.input(0), b.output(), b.scratch(element), b.whole())
        return
    b.call(
        "signal::rfft::rfft",
        "&plan",
        b.input(0),
        str(params.input_length),
        b.output(),
        b.scratch(element),
        b.whole(),
    )


def _samples(b: StepBuilder, suffix: str, dtype: DType, values: Sequence[float]) -> str:
    """A table of the transform's sample type: integers, or float32 with their exact bits."""
    if dtype is DType.FLOAT32:
        literal = "[" + ", ".join(rust.f32(v) for v in values) + "]"
        return b.item(suffix, f"[f32; {len(values)}]", literal, 4 * len(values))
    return b.int_array(suffix, rust.element_type(dtype), [int(v) for v in values])


def _fft_auto_scale(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, SignalFftAutoScaleParams)
    if params.computes_scale_bits:
        b.call("signal::fft_auto_scale::scale_bits", b.input(0), b.output(), b.whole())
        return
    b.call(
        "signal::fft_auto_scale::fft_auto_scale",
        b.input(0),
        b.input(1),
        b.output(),
        b.range(params.elements),
    )


def _spectral_subtraction(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, SignalSpectralSubtractionParams)
    config = (
        "kernels::signal::spectral_subtraction::SpectralSubtractionConfig { "
        f"smoothing: {params.smoothing}, "
        f"one_minus_smoothing: {params.one_minus_smoothing}, "
        f"alternate_smoothing: {params.alternate_smoothing}, "
        f"alternate_one_minus_smoothing: {params.alternate_one_minus_smoothing}, "
        f"min_signal_remaining: {params.min_signal_remaining}, "
        f"smoothing_bits: {params.smoothing_bits}, "
        f"spectral_subtraction_bits: {params.spectral_subtraction_bits}, "
        f"clamping: {'true' if params.clamping else 'false'} }}"
    )
    b.step.body.append(f"let config = {config};")
    b.call(
        "signal::spectral_subtraction::spectral_subtraction",
        "&config",
        b.input(0),
        b.state(STATE_INPUT),
        b.output(),
        b.whole(),
    )


def _delay(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, delay.SignalDelayParams)
    if not params.stateful:
        b.call("reshape::reshape", b.input(0), b.output(), b.range(b.tensor(0).num_elements))
        return
    b.call(
        "signal::delay::delay",
        b.input(0),
        str(params.frame),
        b.state(delay.STATE_INPUT),
        b.output(),
        b.whole(),
    )


def _overlap_add(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, overlap_add.SignalOverlapAddParams)
    b.call(
        f"signal::overlap_add::overlap_add::<{rust.element_type(params.dtype)}>",
        b.input(0),
        str(params.frames),
        str(params.frame_size),
        str(params.frame_step),
        b.state(overlap_add.STATE_INPUT),
        b.output(),
        b.whole(),
    )


def _streaming(b: StepBuilder, kernel: str, config: str, computes_valid: bool) -> None:
    """The `valid` step (reading the counters) or the one updating the buffer."""
    b.step.body.append(f"let config = {config};")
    if computes_valid:
        b.call(f"{kernel}_valid", "&config", b.input(COUNTERS_INPUT), b.output(), b.whole())
        return
    counters, samples = b.states(COUNTERS_INPUT, SAMPLES_INPUT)
    b.call(kernel, "&config", b.input(0), counters, samples, b.output(), b.whole())


def _framer(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, SignalFramerParams)
    config = (
        "kernels::signal::framer::FramerConfig { "
        f"frame_size: {params.frame_size}, frame_step: {params.frame_step}, frames: {params.frames}, "
        f"rows: {params.rows}, prefill: {rust.boolean(params.prefill)} }}"
    )
    _streaming(b, "signal::framer::framer", config, params.computes_valid)


def _stacker(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, SignalStackerParams)
    config = (
        "kernels::signal::stacker::StackerConfig { "
        f"channels: {params.channels}, left_context: {params.left_context}, "
        f"right_context: {params.right_context}, step: {params.step} }}"
    )
    _streaming(b, "signal::stacker::stacker", config, params.computes_valid)


SIGNAL_EMITTERS: dict[OpKind, Callable[[StepBuilder, PreparedParams], None]] = {
    OpKind.SIGNAL_WINDOW: _window,
    OpKind.SIGNAL_ENERGY: _energy,
    OpKind.SIGNAL_FILTER_BANK_LOG: _filter_bank_log,
    OpKind.SIGNAL_FILTER_BANK: _filter_bank,
    OpKind.SIGNAL_FILTER_BANK_SQUARE_ROOT: _filter_bank_square_root,
    OpKind.SIGNAL_PCAN: _pcan,
    OpKind.SIGNAL_RFFT: _rfft,
    OpKind.SIGNAL_FFT_AUTO_SCALE: _fft_auto_scale,
    OpKind.SIGNAL_FFT_AUTO_SCALE_BITS: _fft_auto_scale,
    OpKind.SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION: _spectral_subtraction,
    OpKind.SIGNAL_DELAY: _delay,
    OpKind.SIGNAL_OVERLAP_ADD: _overlap_add,
    OpKind.SIGNAL_IRFFT: _rfft,
    OpKind.SIGNAL_FRAMER: _framer,
    OpKind.SIGNAL_FRAMER_VALID: _framer,
    OpKind.SIGNAL_STACKER: _stacker,
    OpKind.SIGNAL_STACKER_VALID: _stacker,
}
