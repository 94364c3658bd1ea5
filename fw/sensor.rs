//! Keyword spotting on stored frames: the MLPerf Tiny DS-CNN (`//models:ds_cnn_kws.tflite`,
//! compiled by `tinyml_model`) classifies each 49x10 MFCC frame of `kws_frames.bin` (see
//! `make_kws_frames.py`) and prints the keyword it detects next to the one the frame holds.
//! Each inference runs inside `tinyml_rt::measure`, so `//fw:sensor_qemu` can report its
//! instruction count.
#![no_std]
#![no_main]

tinyml_rt::entry!(main, arena_bytes = kws::ARENA_BYTES);

/// The keywords of the MLPerf Tiny KWS benchmark, in the model's output order.
const KEYWORDS: [&str; 12] = [
    "down",
    "go",
    "left",
    "no",
    "off",
    "on",
    "right",
    "stop",
    "up",
    "yes",
    "_silence_",
    "_unknown_",
];

/// Per frame: a little-endian u32 keyword index, then the features as little-endian f32.
static FRAMES: &[u8] = include_bytes!("kws_frames.bin");
const FRAME_BYTES: usize = 4 + 4 * kws::INPUT_LEN;

fn main(arena: &'static mut [u8]) -> i32 {
    tinyml_rt::println!(
        "rules_tinyml sensor: keyword spotting, DS-CNN ({} keywords), {} stored frames",
        kws::OUTPUT_LEN,
        FRAMES.len() / FRAME_BYTES
    );
    let mut detected_as_stored = 0;
    let mut features = [0.0_f32; kws::INPUT_LEN];
    let mut scores = [0.0_f32; kws::OUTPUT_LEN];
    for (index, frame) in FRAMES.chunks_exact(FRAME_BYTES).enumerate() {
        let (keyword, values) = frame.split_at(4);
        let stored = u32::from_le_bytes([keyword[0], keyword[1], keyword[2], keyword[3]]) as usize;
        for (feature, bytes) in features.iter_mut().zip(values.chunks_exact(4)) {
            *feature = f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        if let Err(error) = tinyml_rt::measure(|| kws::predict(arena, &features, &mut scores)) {
            tinyml_rt::println!("frame {}: inference failed: {:?}", index + 1, error);
            return 1;
        }
        let best =
            (0..scores.len()).fold(0, |best, i| if scores[i] > scores[best] { i } else { best });
        detected_as_stored += usize::from(best == stored);
        tinyml_rt::println!(
            "frame {}: detected {:<9} (score {:.2}), stored {}",
            index + 1,
            KEYWORDS[best],
            scores[best],
            KEYWORDS.get(stored).unwrap_or(&"(not a keyword)")
        );
    }
    tinyml_rt::println!(
        "{} of {} frames detected as the stored keyword",
        detected_as_stored,
        FRAMES.len() / FRAME_BYTES
    );
    0
}
