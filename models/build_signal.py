"""Micro-models of TFLM's signal library (the audio front end's custom operators).

No converter emits these operators, so the flatbuffers are written directly: each
operator is a custom operator named as TFLM's op resolver registers it
("SignalWindow", ...) whose options are a flexbuffer map, the form TFLM's Init reads
(values in key order). Inputs are seeded int16 audio frames and spectra.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from flatbuffers import flexbuffers
from tensorflow.lite.python import schema_py_generated as schema

from build_models import Graph, GraphInput, ModelSpec
from build_stateful import _Writer
from inspect_models import ModelExpectations, OpExpectation


def int16_sampler(shape: tuple[int, ...], amplitude: int = 32767) -> Callable[[np.random.Generator], np.ndarray]:
    return lambda rng: rng.integers(-amplitude, amplitude + 1, shape).astype(np.int16)


class _SignalWriter(_Writer):
    def tensor_int(self, name: str, shape: tuple[int, ...], dtype: int,
                   data: np.ndarray | None = None) -> int:
        """An unquantized integer tensor (the signal operators read raw values)."""
        index = self.tensor(name, shape, dtype, 1.0, data=data)
        self.graph.tensors[index].quantization = None
        return index

    def custom(self, name: str, inputs: list[int], outputs: list[int], options: dict[str, int]) -> None:
        names = [c.customCode for c in self.model.operatorCodes]
        if name not in names:
            opcode = schema.OperatorCodeT()
            opcode.builtinCode = opcode.deprecatedBuiltinCode = schema.BuiltinOperator.CUSTOM
            opcode.customCode, opcode.version = name, 1
            self.model.operatorCodes.append(opcode)
            names.append(name)
        op = schema.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = names.index(name), inputs, outputs
        op.customOptions = list(flexbuffers.Dumps(options))
        op.customOptionsFormat = schema.CustomOptionsFormat.FLEXBUFFERS
        self.graph.operators.append(op)


def hann_weights(length: int, bits: int) -> np.ndarray:
    """A Hann window in Q`bits`, as the micro-speech front end configures one."""
    n = np.arange(length)
    return np.round((0.5 - 0.5 * np.cos(2 * np.pi * (n + 0.5) / length)) * (1 << bits)).astype(np.int16)


def window_model(frames: int, length: int, shift: int) -> bytes:
    writer = _SignalWriter()
    audio = writer.tensor_int("audio", (frames, length), schema.TensorType.INT16)
    weights = writer.tensor_int("window", (length,), schema.TensorType.INT16, hann_weights(length, shift))
    out = writer.tensor_int("windowed", (frames, length), schema.TensorType.INT16)
    writer.custom("SignalWindow", [audio, weights], [out], {"shift": shift})
    return writer.finish([audio], [out])


def rfft_model(frames: int, length: int, fft_length: int, dtype: int = schema.TensorType.INT16) -> bytes:
    writer = _SignalWriter()
    audio = writer.tensor_int("frames", (frames, length), dtype)
    bins = fft_length // 2 + 1
    spectrum = writer.tensor_int("spectrum", (frames, 2 * bins), dtype)
    writer.custom("SignalRfft", [audio], [spectrum], {"T": dtype, "fft_length": fft_length})
    return writer.finish([audio], [spectrum])


def irfft_model(frames: int, fft_length: int, round_trip: bool, dtype: int = schema.TensorType.INT16) -> bytes:
    """SignalIrfft of spectra, or of SignalRfft's spectra of frames (of `dtype`)."""
    writer = _SignalWriter()
    bins = fft_length // 2 + 1
    options = {"T": dtype, "fft_length": fft_length}
    if round_trip:
        source = frame = writer.tensor_int("frames", (frames, fft_length), dtype)
        if dtype == schema.TensorType.INT32:
            # Both transforms divide by fft_length: small int32 samples scaled up first
            # keep the result from vanishing.
            gain = writer.tensor_int("gain", (), dtype, np.array(1 << 20, np.int32))
            frame = writer.tensor_int("frames_scaled", (frames, fft_length), dtype)
            writer.op(schema.BuiltinOperator.MUL, [source, gain], [frame],
                      schema.BuiltinOptions.MulOptions, schema.MulOptionsT())
        spectrum = writer.tensor_int("spectrum", (frames, 2 * bins), dtype)
        writer.custom("SignalRfft", [frame], [spectrum], options)
    else:
        source = spectrum = writer.tensor_int("spectrum", (frames, 2 * bins), dtype)
    samples = writer.tensor_int("samples", (frames, fft_length), dtype)
    writer.custom("SignalIrfft", [spectrum], [samples], options)
    return writer.finish([source], [samples])


def energy_log_model(bins: int, start: int, end: int, scale: int, correction: int) -> bytes:
    """SignalEnergy of an int16 spectrum, then SignalFilterBankLog of the energies."""
    writer = _SignalWriter()
    spectrum = writer.tensor_int("spectrum", (2 * bins,), schema.TensorType.INT16)
    energy = writer.tensor_int("energy", (bins,), schema.TensorType.UINT32)
    log = writer.tensor_int("log_energy", (bins,), schema.TensorType.INT16)
    writer.custom("SignalEnergy", [spectrum], [energy], {"start_index": start, "end_index": end})
    writer.custom("SignalFilterBankLog", [energy], [log],
                  {"output_scale": scale, "input_correction_bits": correction})
    return writer.finish([spectrum], [log])


def filter_bank_tables(bins: int, channels: int, weight_bits: int = 12) -> list[np.ndarray]:
    """weights, unweights, channel_frequency_starts, channel_weight_starts, channel_widths
    of `channels` triangular filters over bins 1..bins-1 (plus TFLM's leading scratch
    channel): each bin of band i weighs w into channel i and 1 - w into channel i + 1."""
    edges = np.round(np.linspace(1, bins - 1, channels + 2)).astype(np.int64)
    one = 1 << weight_bits
    weights, unweights, starts, weight_starts, widths = [], [], [], [], []
    for band in range(channels + 1):
        low, high = int(edges[band]), int(edges[band + 1])
        starts.append(low)
        weight_starts.append(len(weights))
        widths.append(high - low)
        for b in range(low, high):
            w = round(one * (b - low + 0.5) / (high - low))
            weights.append(w)
            unweights.append(one - w)
    return [np.array(t, np.int16) for t in (weights, unweights, starts, weight_starts, widths)]


def gain_lut(rng: np.random.Generator) -> np.ndarray:
    """A PCAN gain table: 125 seeded coefficients (3 per bit position of the noise
    estimate, after the entries for estimates 0, 1 and 2)."""
    return rng.integers(-2000, 8000, 125).astype(np.int16)


def _integer_stages(writer: _SignalWriter, spectrum: int, bins: int, channels: int, scale_bits: int) -> int:
    """Energy -> filter bank -> square root -> PCAN (the channels as their own noise
    estimate) -> log over `spectrum`; returns the int16 features tensor."""
    rng = np.random.default_rng(11)
    u32, u64, i16 = schema.TensorType.UINT32, schema.TensorType.UINT64, schema.TensorType.INT16
    energy = writer.tensor_int("energy", (bins,), u32)
    writer.custom("SignalEnergy", [spectrum], [energy], {"start_index": 0, "end_index": bins})
    names = ("weights", "unweights", "channel_frequency_starts", "channel_weight_starts", "channel_widths")
    tables = [writer.tensor_int(f"filter_bank/{n}", t.shape, i16, t)
              for n, t in zip(names, filter_bank_tables(bins, channels))]
    filtered = writer.tensor_int("filter_bank", (channels,), u64)
    writer.custom("SignalFilterBank", [energy, *tables], [filtered], {"num_channels": channels})
    bits = writer.tensor_int("scale_bits", (), schema.TensorType.INT32, np.array(scale_bits, np.int32))
    root = writer.tensor_int("square_root", (channels,), u32)
    writer.custom("SignalFilterBankSquareRoot", [filtered, bits], [root], {})
    lut = writer.tensor_int("pcan/gain_lut", (125,), i16, gain_lut(rng))
    normalized = writer.tensor_int("pcan", (channels,), u32)
    writer.custom("SignalPCAN", [root, root, lut], [normalized], {"snr_shift": 6})
    log = writer.tensor_int("features", (channels,), i16)
    writer.custom("SignalFilterBankLog", [normalized], [log], {"output_scale": 1600, "input_correction_bits": 3})
    return log


def front_end_model(bins: int, channels: int) -> bytes:
    """The integer stages after the FFT, from an int16 spectrum."""
    writer = _SignalWriter()
    spectrum = writer.tensor_int("spectrum", (2 * bins,), schema.TensorType.INT16)
    return writer.finish([spectrum], [_integer_stages(writer, spectrum, bins, channels, 7)])


def audio_front_end_model(samples: int, fft_length: int, channels: int) -> bytes:
    """int16 audio frame -> window -> RFFT -> the integer stages -> int16 features."""
    writer = _SignalWriter()
    i16 = schema.TensorType.INT16
    audio = writer.tensor_int("audio", (samples,), i16)
    weights = writer.tensor_int("window", (samples,), i16, hann_weights(samples, 12))
    windowed = writer.tensor_int("windowed", (samples,), i16)
    writer.custom("SignalWindow", [audio, weights], [windowed], {"shift": 12})
    bins = fft_length // 2 + 1
    spectrum = writer.tensor_int("spectrum", (2 * bins,), i16)
    writer.custom("SignalRfft", [windowed], [spectrum], {"T": i16, "fft_length": fft_length})
    return writer.finish([audio], [_integer_stages(writer, spectrum, bins, channels, 0)])


def pcan_gain_lut(input_bits: int, strength: float = 0.95, offset: float = 80.0, gain_bits: int = 21) -> np.ndarray:
    """The PCAN gain table of the audio front end's configuration (gain 2^gain_bits *
    (x / 2^input_bits + offset)^-strength in float32): the gains of 0 and 1, then per
    bit position k = 2..32 of the noise estimate the gain y0 at 2^(k-1) and the
    quadratic's coefficients through the gains at 1.5 and 2 times that (at 32: 2^32 - 1)."""
    def gain(x: int) -> int:
        scaled = np.float32(x) / np.float32(1 << input_bits)
        value = np.float32(1 << gain_bits) * np.power(scaled + np.float32(offset), np.float32(-strength))
        return 32767 if value > 32767 else int(value + np.float32(0.5))

    table = [gain(0), gain(1)]
    for bit in range(2, 33):
        x0 = 1 << (bit - 1)
        x2 = x0 + (x0 - 1) if bit == 32 else 2 * x0
        y0, y1, y2 = gain(x0), gain(x0 + (x0 >> 1)), gain(x2)
        a1 = 4 * (y1 - y0) - (y2 - y0)
        table += [y0, a1, (y2 - y0) - a1, 0]
    return np.array(table[:125], np.int16)


def _micro_speech_stages(writer: _SignalWriter, audio: int, samples: int, fft_length: int,
                         channels: int, energy_band: tuple[int, int] | None) -> int:
    """TFLM micro_speech's audio preprocessor's signal operators from an int16 frame, in
    its order: window, FFT auto-scale, RFFT, energy, filter bank, square root (by the
    auto-scale bits), spectral subtraction (state: the noise estimate), PCAN (by that
    estimate), log; returns the int16 features. With `energy_band` (start, end), the
    energies outside the band are zeroed as the preprocessor's TF graph does it: CAST
    to int32, STRIDED_SLICE of the band, CONCATENATION between zeros, CAST back."""
    rng = np.random.default_rng(12)
    i16, i32 = schema.TensorType.INT16, schema.TensorType.INT32
    u32, u64 = schema.TensorType.UINT32, schema.TensorType.UINT64
    weights = writer.tensor_int("window", (samples,), i16, hann_weights(samples, 12))
    windowed = writer.tensor_int("windowed", (samples,), i16)
    writer.custom("SignalWindow", [audio, weights], [windowed], {"shift": 12})
    scaled = writer.tensor_int("auto_scaled", (samples,), i16)
    scale_bits = writer.tensor_int("scale_bits", (), i32)
    writer.custom("SignalFftAutoScale", [windowed], [scaled, scale_bits], {})
    bins = fft_length // 2 + 1
    spectrum = writer.tensor_int("spectrum", (2 * bins,), i16)
    writer.custom("SignalRfft", [scaled], [spectrum], {"T": i16, "fft_length": fft_length})
    energy = writer.tensor_int("energy", (bins,), u32)
    start, end = energy_band or (0, bins)
    writer.custom("SignalEnergy", [spectrum], [energy], {"start_index": start, "end_index": end})
    if energy_band is not None:
        energy = _zero_outside(writer, energy, bins, start, end)
    names = ("weights", "unweights", "channel_frequency_starts", "channel_weight_starts", "channel_widths")
    tables = [writer.tensor_int(f"filter_bank/{n}", t.shape, i16, t)
              for n, t in zip(names, filter_bank_tables(bins, channels))]
    filtered = writer.tensor_int("filter_bank", (channels,), u64)
    writer.custom("SignalFilterBank", [energy, *tables], [filtered], {"num_channels": channels})
    root = writer.tensor_int("square_root", (channels,), u32)
    writer.custom("SignalFilterBankSquareRoot", [filtered, scale_bits], [root], {})
    denoised = writer.tensor_int("spectral_subtraction", (channels,), u32)
    noise = writer.tensor_int("noise_estimate", (channels,), u32)
    writer.custom("SignalFilterBankSpectralSubtraction", [root], [denoised, noise], {
        "alternate_one_minus_smoothing": 15729, "alternate_smoothing": 655, "clamping": False,
        "min_signal_remaining": 819, "num_channels": channels, "one_minus_smoothing": 15729,
        "smoothing": 655, "smoothing_bits": 10, "spectral_subtraction_bits": 14})
    # The published preprocessor's gains (smoothing bits 10 - correction bits 3); the
    # seeded table of the earlier model keeps that model's bytes.
    gains = gain_lut(rng) if energy_band is None else pcan_gain_lut(input_bits=7)
    lut = writer.tensor_int("pcan/gain_lut", (125,), i16, gains)
    normalized = writer.tensor_int("pcan", (channels,), u32)
    writer.custom("SignalPCAN", [denoised, noise, lut], [normalized], {"snr_shift": 6})
    log = writer.tensor_int("features", (channels,), i16)
    writer.custom("SignalFilterBankLog", [normalized], [log], {"output_scale": 64, "input_correction_bits": 3})
    return log


def _zero_outside(writer: _SignalWriter, energy: int, bins: int, start: int, end: int) -> int:
    """uint32 energies with those outside start..end zeroed, through int32 builtins."""
    i32, u32 = schema.TensorType.INT32, schema.TensorType.UINT32
    signed = writer.tensor_int("energy_int32", (bins,), i32)
    writer.op(schema.BuiltinOperator.CAST, [energy], [signed])
    band = writer.tensor_int("energy_band", (end - start,), i32)
    bounds = [writer.tensor_int(f"band/{n}", (1,), i32, np.array([v], np.int32))
              for n, v in (("begin", start), ("end", end), ("strides", 1))]
    writer.op(schema.BuiltinOperator.STRIDED_SLICE, [signed, *bounds], [band],
              schema.BuiltinOptions.StridedSliceOptions, schema.StridedSliceOptionsT())
    below = writer.tensor_int("zeros_below", (start,), i32, np.zeros(start, np.int32))
    above = writer.tensor_int("zeros_above", (bins - end,), i32, np.zeros(bins - end, np.int32))
    padded = writer.tensor_int("energy_padded", (bins,), i32)
    writer.op(schema.BuiltinOperator.CONCATENATION, [below, band, above], [padded],
              schema.BuiltinOptions.ConcatenationOptions, schema.ConcatenationOptionsT())
    unsigned = writer.tensor_int("energy_masked", (bins,), u32)
    writer.op(schema.BuiltinOperator.CAST, [padded], [unsigned])
    return unsigned


def micro_speech_front_end_model(samples: int, fft_length: int, channels: int) -> bytes:
    """The signal operators of TFLM micro_speech's audio preprocessor as one model."""
    writer = _SignalWriter()
    audio = writer.tensor_int("audio", (samples,), schema.TensorType.INT16)
    return writer.finish([audio], [_micro_speech_stages(writer, audio, samples, fft_length, channels, None)])


def micro_speech_preprocessor_model() -> bytes:
    """TFLM micro_speech's `audio_preprocessor_int8` as a deterministic model: a 30 ms
    int16 frame at 16 kHz (1 x 480) -> the signal stages (energies of bins 5..240 only)
    -> int8 features = clamp((log * 256 + 333) / 666 - 128) in int32 builtins (CAST,
    MUL, ADD, DIV, ADD, MINIMUM, MAXIMUM, CAST), the features micro_speech's model reads."""
    writer = _SignalWriter()
    i16, i32 = schema.TensorType.INT16, schema.TensorType.INT32
    samples = 480
    audio = writer.tensor_int("audio_frame", (1, samples), i16)
    flat = writer.tensor_int("audio_flat", (samples,), i16)
    shape = writer.tensor_int("audio_flat/shape", (1,), i32, np.array([samples], np.int32))
    reshape = schema.ReshapeOptionsT()
    reshape.newShape = [samples]
    writer.op(schema.BuiltinOperator.RESHAPE, [audio, shape], [flat], schema.BuiltinOptions.ReshapeOptions, reshape)
    log = _micro_speech_stages(writer, flat, samples, 512, 40, (5, 241))
    value = writer.tensor_int("log_int32", (40,), i32)
    writer.op(schema.BuiltinOperator.CAST, [log], [value])
    steps = (
        (schema.BuiltinOperator.MUL, 256, schema.BuiltinOptions.MulOptions, schema.MulOptionsT()),
        (schema.BuiltinOperator.ADD, 333, schema.BuiltinOptions.AddOptions, schema.AddOptionsT()),
        (schema.BuiltinOperator.DIV, 666, schema.BuiltinOptions.DivOptions, schema.DivOptionsT()),
        (schema.BuiltinOperator.ADD, -128, schema.BuiltinOptions.AddOptions, schema.AddOptionsT()),
        (schema.BuiltinOperator.MINIMUM, 127, 0, None),
        (schema.BuiltinOperator.MAXIMUM, -128, 0, None),
    )
    for index, (code, constant, options_type, options) in enumerate(steps):
        operand = writer.tensor_int(f"scale/{index}/operand", (), i32, np.array(constant, np.int32))
        result = writer.tensor_int(f"scale/{index}", (40,), i32)
        writer.op(code, [value, operand], [result], options_type, options)
        value = result
    features = writer.tensor_int("features_int8", (40,), schema.TensorType.INT8)
    writer.op(schema.BuiltinOperator.CAST, [value], [features])
    return writer.finish([audio], [features])


def fft_auto_scale_model(length: int) -> bytes:
    writer = _SignalWriter()
    frame = writer.tensor_int("frame", (length,), schema.TensorType.INT16)
    scaled = writer.tensor_int("scaled", (length,), schema.TensorType.INT16)
    bits = writer.tensor_int("scale_bits", (), schema.TensorType.INT32)
    writer.custom("SignalFftAutoScale", [frame], [scaled, bits], {})
    return writer.finish([frame], [scaled, bits])


def spectral_subtraction_model(channels: int, clamping: bool) -> bytes:
    """Energy of a spectrum as channels, spectral subtraction, then log of both outputs."""
    writer = _SignalWriter()
    u32, i16 = schema.TensorType.UINT32, schema.TensorType.INT16
    spectrum = writer.tensor_int("spectrum", (2 * channels,), i16)
    energy = writer.tensor_int("energy", (channels,), u32)
    writer.custom("SignalEnergy", [spectrum], [energy], {"start_index": 0, "end_index": channels})
    denoised = writer.tensor_int("denoised", (channels,), u32)
    noise = writer.tensor_int("noise_estimate", (channels,), u32)
    writer.custom("SignalFilterBankSpectralSubtraction", [energy], [denoised, noise], {
        "alternate_one_minus_smoothing": 14336, "alternate_smoothing": 2048, "clamping": clamping,
        "min_signal_remaining": 1638, "num_channels": channels, "one_minus_smoothing": 15360,
        "smoothing": 1024, "smoothing_bits": 10, "spectral_subtraction_bits": 14})
    outputs = []
    for name, tensor in (("denoised_log", denoised), ("noise_log", noise)):
        log = writer.tensor_int(name, (channels,), i16)
        writer.custom("SignalFilterBankLog", [tensor], [log], {"output_scale": 1024, "input_correction_bits": 0})
        outputs.append(log)
    return writer.finish([spectrum], outputs)


def delay_model(shape: tuple[int, ...], delay: int) -> bytes:
    writer = _SignalWriter()
    frames = writer.tensor_int("frames", shape, schema.TensorType.INT16)
    delayed = writer.tensor_int("delayed", shape, schema.TensorType.INT16)
    writer.custom("SignalDelay", [frames], [delayed], {"delay_length": delay})
    return writer.finish([frames], [delayed])


def overlap_add_model(shape: tuple[int, ...], frame_step: int, float_samples: bool) -> bytes:
    writer = _SignalWriter()
    dtype = schema.TensorType.FLOAT32 if float_samples else schema.TensorType.INT16
    frames = writer.tensor_int("frames", shape, dtype)
    out_shape = (*shape[:-2], shape[-2] * frame_step)
    added = writer.tensor_int("overlap_added", out_shape, dtype)
    writer.custom("SignalOverlapAdd", [frames], [added], {"T": dtype, "frame_step": frame_step})
    return writer.finish([frames], [added])


def framer_model(shape: tuple[int, ...], frame_size: int, frame_step: int, prefill: bool) -> bytes:
    writer = _SignalWriter()
    samples = writer.tensor_int("samples", shape, schema.TensorType.INT16)
    frames = (*shape[:-1], shape[-1] // frame_step, frame_size)
    framed = writer.tensor_int("frames", frames, schema.TensorType.INT16)
    valid = writer.tensor_int("valid", (), schema.TensorType.BOOL)
    writer.custom("SignalFramer", [samples], [framed, valid],
                  {"frame_size": frame_size, "frame_step": frame_step, "prefill": prefill})
    return writer.finish([samples], [framed, valid])


def stacker_model(channels: int, left: int, right: int, step: int) -> bytes:
    writer = _SignalWriter()
    frame = writer.tensor_int("frame", (channels,), schema.TensorType.INT16)
    stacked = writer.tensor_int("stacked", (channels * (left + right + 1),), schema.TensorType.INT16)
    valid = writer.tensor_int("valid", (), schema.TensorType.BOOL)
    writer.custom("SignalStacker", [frame], [stacked, valid], {
        "num_channels": channels, "stacker_left_context": left, "stacker_right_context": right,
        "stacker_step": step})
    return writer.finish([frame], [stacked, valid])


def float_sampler(shape: tuple[int, ...]) -> Callable[[np.random.Generator], np.ndarray]:
    return lambda rng: rng.uniform(-1, 1, shape).astype(np.float32)


def int32_sampler(shape: tuple[int, ...], amplitude: int) -> Callable[[np.random.Generator], np.ndarray]:
    return lambda rng: rng.integers(-amplitude, amplitude, shape, endpoint=True).astype(np.int32)


def signal_spec(name: str, description: str, ops: tuple[str, ...], shape: tuple[int, ...],
                amplitude: int, flatbuffer: Callable[[], bytes],
                output_dtypes: tuple[str, ...] = (), float_io: bool = False, int32_io: bool = False) -> ModelSpec:
    sampler = (float_sampler(shape) if float_io else int32_sampler(shape, amplitude) if int32_io
               else int16_sampler(shape, amplitude))
    build: Callable[[np.random.Generator], Graph] = lambda _rng: Graph(
        forward=lambda x: x, inputs=[GraphInput(shape, sampler)])
    io_dtype = "FLOAT32" if float_io else "INT32" if int32_io else "INT16"
    return ModelSpec(
        name, description, build,
        ModelExpectations(required_ops=tuple(OpExpectation(op if op.isupper() else f"CUSTOM({op})") for op in ops),
                          only_required_ops=True, input_dtype=io_dtype, output_dtype=io_dtype,
                          output_dtypes=output_dtypes, integer_only=not float_io),
        flatbuffer=lambda _rng: flatbuffer(), tflm_only=True)


def signal_models() -> list[ModelSpec]:
    return [
        signal_spec("op_signal_window", "SignalWindow: 3 frames of 64 int16 samples, Q14 Hann window",
                    ("SignalWindow",), (3, 64), 32767, lambda: window_model(3, 64, 14)),
        signal_spec("op_signal_window_saturating", "SignalWindow with shift 0: products saturate to int16",
                    ("SignalWindow",), (1, 32), 32767, lambda: window_model(1, 32, 0)),
        signal_spec("op_signal_energy_log", "SignalEnergy of 33 bins, then SignalFilterBankLog "
                    "(output_scale 1600, 3 correction bits)", ("SignalEnergy", "SignalFilterBankLog"),
                    (66,), 32767, lambda: energy_log_model(33, 0, 33, 1600, 3)),
        signal_spec("op_signal_energy_log_small", "SignalEnergy and SignalFilterBankLog of a quiet "
                    "spectrum (values 0..3: the log's 0 and 1 cases), output_scale 65536",
                    ("SignalEnergy", "SignalFilterBankLog"), (16,), 3,
                    lambda: energy_log_model(8, 0, 8, 65536, 0)),
        signal_spec("op_signal_rfft_512", "SignalRfft int16: 2 frames of 400 samples, fft_length 512 "
                    "(KISS FFT radix 4 and 2)", ("SignalRfft",), (2, 400), 32767, lambda: rfft_model(2, 400, 512)),
        signal_spec("op_signal_rfft_48", "SignalRfft int16: 3 frames of 40 samples, fft_length 48 "
                    "(KISS FFT radices 4, 2 and 3)", ("SignalRfft",), (3, 40), 32767, lambda: rfft_model(3, 40, 48)),
        signal_spec("op_signal_irfft_512", "SignalIrfft int16: 2 spectra of 257 bins, fft_length 512",
                    ("SignalIrfft",), (2, 514), 32767, lambda: irfft_model(2, 512, False)),
        signal_spec("op_signal_irfft_48_round_trip", "SignalRfft then SignalIrfft int16: 3 frames, fft_length 48 "
                    "(radices 4, 2, 3)", ("SignalRfft", "SignalIrfft"), (3, 48), 32767,
                    lambda: irfft_model(3, 48, True)),
        signal_spec("op_signal_rfft_int32_48", "SignalRfft int32 (Q31 KISS FFT): 3 frames of 40 samples, "
                    "fft_length 48 (radices 4, 2, 3)", ("SignalRfft",), (3, 40), 2**31 - 1,
                    lambda: rfft_model(3, 40, 48, schema.TensorType.INT32), int32_io=True),
        signal_spec("op_signal_irfft_int32_64_round_trip", "MUL by 2^20, SignalRfft then SignalIrfft int32: "
                    "2 frames, fft_length 64 (radices 4, 2)", ("MUL", "SignalRfft", "SignalIrfft"), (2, 64), 2000,
                    lambda: irfft_model(2, 64, True, schema.TensorType.INT32), int32_io=True),
        signal_spec("op_signal_rfft_float_48", "SignalRfft float32: 3 frames of 40 samples, fft_length 48 "
                    "(radices 4, 2, 3)", ("SignalRfft",), (3, 40), 0,
                    lambda: rfft_model(3, 40, 48, schema.TensorType.FLOAT32), float_io=True),
        signal_spec("op_signal_irfft_float_48_round_trip", "SignalRfft then SignalIrfft float32: 3 frames, "
                    "fft_length 48", ("SignalRfft", "SignalIrfft"), (3, 48), 0,
                    lambda: irfft_model(3, 48, True, schema.TensorType.FLOAT32), float_io=True),
        signal_spec("signal_front_end_stages", "micro-speech front end's integer stages: SignalEnergy of "
                    "129 bins, SignalFilterBank of 40 channels, SignalFilterBankSquareRoot, SignalPCAN, "
                    "SignalFilterBankLog", ("SignalEnergy", "SignalFilterBank", "SignalFilterBankSquareRoot",
                                            "SignalPCAN", "SignalFilterBankLog"),
                    (258,), 32767, lambda: front_end_model(129, 40)),
        signal_spec("signal_audio_front_end", "micro-speech-sized audio front end: 480 int16 samples, "
                    "SignalWindow (Hann, Q12), SignalRfft 512, SignalEnergy, SignalFilterBank 40 channels, "
                    "SignalFilterBankSquareRoot, SignalPCAN, SignalFilterBankLog",
                    ("SignalWindow", "SignalRfft", "SignalEnergy", "SignalFilterBank",
                     "SignalFilterBankSquareRoot", "SignalPCAN", "SignalFilterBankLog"),
                    (480,), 8000, lambda: audio_front_end_model(480, 512, 40)),
        signal_spec("op_signal_fft_auto_scale", "SignalFftAutoScale of 64 int16 samples (both outputs)",
                    ("SignalFftAutoScale",), (64,), 32767, lambda: fft_auto_scale_model(64),
                    output_dtypes=("INT16", "INT32")),
        signal_spec("op_signal_spectral_subtraction", "SignalFilterBankSpectralSubtraction of 16 channels "
                    "(noise estimate state), SignalEnergy before, SignalFilterBankLog of both outputs",
                    ("SignalEnergy", "SignalFilterBankSpectralSubtraction", "SignalFilterBankLog"),
                    (32,), 32767, lambda: spectral_subtraction_model(16, False)),
        signal_spec("op_signal_spectral_subtraction_clamping", "SignalFilterBankSpectralSubtraction with "
                    "clamping, 16 channels", ("SignalEnergy", "SignalFilterBankSpectralSubtraction",
                                              "SignalFilterBankLog"),
                    (32,), 32767, lambda: spectral_subtraction_model(16, True)),
        signal_spec("signal_micro_speech_front_end", "TFLM micro_speech's audio preprocessor as one model: "
                    "480 int16 samples -> SignalWindow -> SignalFftAutoScale -> SignalRfft 512 -> SignalEnergy "
                    "-> SignalFilterBank 40 -> SignalFilterBankSquareRoot -> SignalFilterBankSpectralSubtraction "
                    "(state) -> SignalPCAN -> SignalFilterBankLog -> 40 int16 features",
                    ("SignalWindow", "SignalFftAutoScale", "SignalRfft", "SignalEnergy", "SignalFilterBank",
                     "SignalFilterBankSquareRoot", "SignalFilterBankSpectralSubtraction", "SignalPCAN",
                     "SignalFilterBankLog"),
                    (480,), 8000, lambda: micro_speech_front_end_model(480, 512, 40)),
        signal_spec("signal_micro_speech_preprocessor", "TFLM micro_speech's audio_preprocessor_int8 as a "
                    "deterministic model: 1 x 480 int16 samples -> RESHAPE -> the signal stages above with "
                    "energies outside bins 5..240 zeroed (CAST uint32/int32, STRIDED_SLICE, CONCATENATION int32) "
                    "-> int8 features by int32 CAST, MUL, ADD, DIV, ADD, MINIMUM, MAXIMUM, CAST",
                    ("SignalWindow", "SignalFftAutoScale", "SignalRfft", "SignalEnergy", "SignalFilterBank",
                     "SignalFilterBankSquareRoot", "SignalFilterBankSpectralSubtraction", "SignalPCAN",
                     "SignalFilterBankLog", "RESHAPE", "CAST", "STRIDED_SLICE", "CONCATENATION", "MUL", "ADD",
                     "DIV", "MINIMUM", "MAXIMUM"),
                    (1, 480), 8000, micro_speech_preprocessor_model, output_dtypes=("INT8",)),
        signal_spec("op_signal_delay", "SignalDelay of 3 rows of 16 samples by 5 samples (state)",
                    ("SignalDelay",), (3, 16), 32767, lambda: delay_model((3, 16), 5)),
        signal_spec("op_signal_delay_rank1", "SignalDelay of 8-sample frames by 3 samples (rank 1; "
                    "delays longer than a frame: the kernel's tests)",
                    ("SignalDelay",), (8,), 32767, lambda: delay_model((8,), 3)),
        signal_spec("op_signal_framer_prefill", "SignalFramer: 2 rows of 320 samples into 400-sample frames "
                    "every 160 (prefill: valid from the start; state)", ("SignalFramer",), (2, 320), 32767,
                    lambda: framer_model((2, 320), 400, 160, True), output_dtypes=("INT16", "BOOL")),
        signal_spec("op_signal_framer", "SignalFramer without prefill: 48 samples into 40-sample frames "
                    "every 16 (the first frames wait for the buffer; state)", ("SignalFramer",), (48,), 32767,
                    lambda: framer_model((48,), 40, 16, False), output_dtypes=("INT16", "BOOL")),
        signal_spec("op_signal_stacker", "SignalStacker: 16 channels with 2 left context frames, step 1 "
                    "(state; right context: the compiler's tests)", ("SignalStacker",), (16,), 32767,
                    lambda: stacker_model(16, 2, 0, 1),
                    output_dtypes=("INT16", "BOOL")),
        signal_spec("op_signal_stacker_step2", "SignalStacker: 8 channels, 3 left context frames, "
                    "step 2 (valid every other frame; state)", ("SignalStacker",), (8,), 32767,
                    lambda: stacker_model(8, 3, 0, 2), output_dtypes=("INT16", "BOOL")),
        signal_spec("op_signal_overlap_add", "SignalOverlapAdd int16 (saturating): 2 rows of 3 frames "
                    "of 16 samples, frame_step 8 (state)", ("SignalOverlapAdd",), (2, 3, 16), 32767,
                    lambda: overlap_add_model((2, 3, 16), 8, False)),
        signal_spec("op_signal_overlap_add_float", "SignalOverlapAdd float32: 3 frames of 8 samples, "
                    "frame_step 4 (state)", ("SignalOverlapAdd",), (3, 8), 0,
                    lambda: overlap_add_model((3, 8), 4, True), float_io=True),
    ]
