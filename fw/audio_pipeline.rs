//! The micro-speech pipeline end to end: int16 audio in, keyword out. TFLite Micro's audio
//! preprocessor as a model (`//models:signal_micro_speech_preprocessor.tflite`: the signal
//! library's front end, its noise estimate carried from window to window in its arena's
//! state) turns each 30 ms window of `audio_clip.bin` (one second at 16 kHz, see
//! `make_audio_clip.py`), every 20 ms, into 40 int8 features; the keyword model
//! (`//models:micro_speech.tflite`) classifies the 49 x 40 features.
#![no_std]
#![no_main]

/// The preprocessor's arena (its state must survive the keyword model), then the keyword
/// model's: each model aligns its own part.
const PREPROCESSOR_ARENA: usize = audio_preprocessor::ARENA_BYTES + audio_preprocessor::ARENA_ALIGN;
const ARENA_BYTES: usize =
    PREPROCESSOR_ARENA + micro_speech::ARENA_BYTES + micro_speech::ARENA_ALIGN;

tinyml_rt::entry!(main, arena_bytes = ARENA_BYTES);

const RATE: usize = 16_000;
const WINDOW: usize = 480;
const STRIDE: usize = 320;
const CHANNELS: usize = audio_preprocessor::OUTPUT_LEN;
const FRAMES: usize = micro_speech::INPUT_LEN / CHANNELS;
const LABELS: [&str; 4] = ["silence", "unknown", "yes", "no"];

/// Little-endian int16 samples.
static CLIP: &[u8] = include_bytes!("audio_clip.bin");

fn main(arena: &'static mut [u8]) -> i32 {
    let (preprocessor_arena, keyword_arena) = arena.split_at_mut(PREPROCESSOR_ARENA);
    tinyml_rt::println!(
        "rules_tinyml audio pipeline: {} int16 samples, {} windows of {} every {}",
        CLIP.len() / 2,
        FRAMES,
        WINDOW,
        STRIDE
    );
    if CLIP.len() != 2 * RATE {
        tinyml_rt::println!("audio_clip.bin holds {} bytes, not one second", CLIP.len());
        return 1;
    }
    let mut window = [0i16; WINDOW];
    let mut features = [0i8; FRAMES * CHANNELS];
    for (frame, out) in features.chunks_exact_mut(CHANNELS).enumerate() {
        let start = 2 * frame * STRIDE;
        let bytes = &CLIP[start..start + 2 * WINDOW];
        for (sample, pair) in window.iter_mut().zip(bytes.chunks_exact(2)) {
            *sample = i16::from_le_bytes([pair[0], pair[1]]);
        }
        let inputs = [audio_preprocessor::TensorRef::Int16(&window)];
        let mut outputs = [audio_preprocessor::TensorMut::Int8(out)];
        let result = tinyml_rt::measure(|| {
            audio_preprocessor::predict_tensors(preprocessor_arena, &inputs, &mut outputs)
        });
        if let Err(error) = result {
            tinyml_rt::println!("window {}: preprocessing failed: {:?}", frame + 1, error);
            return 1;
        }
    }
    let sum: i32 = features.iter().map(|&v| i32::from(v)).sum();
    let last = &features[(FRAMES - 1) * CHANNELS..];
    tinyml_rt::println!(
        "features: {} x {} int8, sum {}, last window {} {} {} {} {} {} {} {} ...",
        FRAMES,
        CHANNELS,
        sum,
        last[0],
        last[1],
        last[2],
        last[3],
        last[4],
        last[5],
        last[6],
        last[7]
    );
    let mut scores = [0i8; micro_speech::OUTPUT_LEN];
    let result = tinyml_rt::measure(|| {
        micro_speech::predict_quantized(keyword_arena, &features, &mut scores)
    });
    if let Err(error) = result {
        tinyml_rt::println!("keyword model failed: {:?}", error);
        return 1;
    }
    tinyml_rt::println!(
        "scores: {} {} {} {}",
        scores[0],
        scores[1],
        scores[2],
        scores[3]
    );
    let best = (0..scores.len()).fold(0, |best, i| if scores[i] > scores[best] { i } else { best });
    tinyml_rt::println!("keyword: {}", LABELS[best]);
    0
}
