"""MLPerf Tiny streaming wake word: the reference DS-TCN, re-written.

The architecture of mlcommons/tiny benchmark/training/streaming_wakeword (keras_model.py,
`ds_tcn` with its default configuration; str_ww_util.py's feature defaults): one-second
clips as 30 frames of 40 log-mel features (64 ms windows every 32 ms), shaped
[time, 1, features]; four blocks of a bias-free depthwise convolution along time (3, 5,
10 and 15 taps, VALID, so the last block leaves one frame), a bias-free 1x1 convolution
(128, 64, 64, 32 filters), batch normalization (folded into the convolution) and ReLU;
then flatten and a dense layer of 3 logits (wake word, unknown, silence). The reference's
dropout is the identity at inference and is left out. Weights come from a short fit on
synthetic frames, seeded like every zoo model.
"""

from __future__ import annotations

from build_models import L, ModelSpec, app_model, batch_norm, expect, keras, trained_classifier

FRAMES = 30
FEATURES = 40
CLASSES = 3
# (depthwise taps along time, 1x1 filters) per block.
BLOCKS = ((3, 128), (5, 64), (10, 64), (15, 32))


def streaming_wakeword() -> keras.Model:
    inputs = keras.Input((FRAMES, 1, FEATURES))
    x = inputs
    for taps, filters in BLOCKS:
        x = L.DepthwiseConv2D((taps, 1), padding="valid", use_bias=False)(x)
        x = L.Conv2D(filters, 1, use_bias=False)(x)
        x = L.ReLU()(batch_norm()(x))
    return keras.Model(inputs, L.Dense(CLASSES)(L.Flatten()(x)))


def streaming_wakeword_models() -> list[ModelSpec]:
    return [
        app_model(
            "streaming_wakeword",
            "MLPerf Tiny streaming wake word DS-TCN, 30x1x40 log-mel -> 3 logits",
            trained_classifier(streaming_wakeword, (FRAMES, 1, FEATURES), CLASSES, samples=512, epochs=3),
            expect("DEPTHWISE_CONV_2D"),
            expect("CONV_2D", fusedActivationFunction="RELU"),
            expect("FULLY_CONNECTED"),
        ),
    ]
