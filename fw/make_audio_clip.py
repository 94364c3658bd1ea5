"""Writes audio_clip.bin, the input of the //fw:audio_pipeline example, and prints what the
firmware must print: the micro-speech pipeline run by TFLite Micro (the `tflite-micro` wheel)
on the host, the expected output of //fw:audio_pipeline_qemu_test.

The clip: one second of 16 kHz int16 audio, a seeded synthetic "utterance" (two harmonic
tones with a rising pitch under a smooth envelope, in seeded noise). The pipeline, as TFLM's
micro_speech example runs it: the audio preprocessor (models/signal_micro_speech_preprocessor
.tflite, one interpreter whose noise estimate carries from window to window) on each 30 ms
window (480 samples) every 20 ms (320 samples), 49 windows of 40 int8 features, then the
keyword model (models/micro_speech.tflite) on the 49 x 40 features.

    /work/venvs/models/bin/python fw/make_audio_clip.py    # rewrites fw/audio_clip.bin
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from tflite_micro.python.tflite_micro import runtime

RATE = 16000
WINDOW, STRIDE, FRAMES, CHANNELS = 480, 320, 49, 40
LABELS = ("silence", "unknown", "yes", "no")
HERE = Path(__file__).resolve().parent
MODELS = HERE.parent / "models"


def clip() -> np.ndarray:
    rng = np.random.default_rng(20261205)
    t = np.arange(RATE) / RATE
    pitch = 180 + 120 * t
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    envelope = np.exp(-(((t - 0.5) / 0.18) ** 2))
    voice = envelope * (np.sin(phase) + 0.5 * np.sin(3 * phase) + 0.25 * np.sin(7 * phase))
    audio = 6000 * voice + 300 * rng.standard_normal(RATE)
    return np.clip(np.round(audio), -32768, 32767).astype("<i2")


def pipeline(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(49 x 40 int8 features, int8 keyword scores) as TFLite Micro computes them."""
    preprocessor: Any = runtime.Interpreter.from_bytes(
        (MODELS / "signal_micro_speech_preprocessor.tflite").read_bytes()
    )
    features = np.zeros((FRAMES, CHANNELS), np.int8)
    for frame in range(FRAMES):
        window = audio[frame * STRIDE : frame * STRIDE + WINDOW].reshape(1, WINDOW)
        preprocessor.set_input(window, 0)
        preprocessor.invoke()
        features[frame] = preprocessor.get_output(0)
    keyword: Any = runtime.Interpreter.from_bytes((MODELS / "micro_speech.tflite").read_bytes())
    keyword.set_input(features.reshape(1, FRAMES * CHANNELS), 0)
    keyword.invoke()
    return features, np.asarray(keyword.get_output(0)).reshape(-1)


def main() -> None:
    audio = clip()
    (HERE / "audio_clip.bin").write_bytes(audio.tobytes())
    features, scores = pipeline(audio)
    best = int(np.argmax(scores))
    print(f"rules_tinyml audio pipeline: {RATE} int16 samples, {FRAMES} windows of {WINDOW} every {STRIDE}")
    print(
        f"features: {FRAMES} x {CHANNELS} int8, sum {int(features.astype(np.int64).sum())}, "
        f"last window {' '.join(str(int(v)) for v in features[-1][:8])} ..."
    )
    print(f"scores: {' '.join(str(int(v)) for v in scores)}")
    print(f"keyword: {LABELS[best]}")


if __name__ == "__main__":
    main()
