"""Writes kws_frames.bin: the stored input frames of the //fw:sensor example.

models/ds_cnn_kws.tflite was fitted on noisy copies of one smooth 49x10 "MFCC" prototype per
keyword (models/build_models.py: synthetic_classification). The frames here are fresh noisy
copies of those same prototypes, so each has a known keyword the model should detect:
one frame per keyword, in a shuffled order, from a seed of their own.

Format, little-endian: per frame a u32 keyword index, then 49 * 10 f32 features.

    /work/venvs/models/bin/python fw/make_kws_frames.py    # rewrites fw/kws_frames.bin
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))
from build_models import model_seed, smooth_patterns  # noqa: E402

SHAPE = (49, 10, 1)
KEYWORDS = 12
NOISE = 0.7  # as in synthetic_classification


def main() -> None:
    # The model's fitting drew its prototypes first from this generator.
    prototypes = smooth_patterns(np.random.default_rng(model_seed("ds_cnn_kws")), KEYWORDS, SHAPE)
    rng = np.random.default_rng([model_seed("ds_cnn_kws"), 3])
    keywords = rng.permutation(KEYWORDS)
    noise = smooth_patterns(rng, KEYWORDS, SHAPE, coarse=2)
    frames = (prototypes[keywords] + NOISE * noise).astype("<f4")
    out = bytearray()
    for keyword, frame in zip(keywords, frames, strict=True):
        out += struct.pack("<I", int(keyword)) + frame.tobytes()
    (Path(__file__).resolve().parent / "kws_frames.bin").write_bytes(bytes(out))


if __name__ == "__main__":
    main()
