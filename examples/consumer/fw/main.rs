//! Firmware: one period of the breathing LED, printed rather than driven (the emulated boards
//! have no LED), with the model's estimate of sin(x) at each step.
#![no_std]
#![no_main]

tinyml_rt::entry!(main, arena_bytes = sine::ARENA_BYTES);

const STEPS: u32 = 8;

fn main(arena: &'static mut [u8]) -> i32 {
    tinyml_rt::println!("breathing LED: {} steps of one period", STEPS);
    for step in 0..STEPS {
        let x = wave::phase(step, STEPS);
        match wave::sine(arena, x) {
            Ok(y) => tinyml_rt::println!(
                "step {}: sin({:.2}) ~ {:+.2}, brightness {}",
                step,
                x,
                y,
                wave::brightness(y)
            ),
            Err(error) => {
                tinyml_rt::println!("step {}: inference failed: {:?}", step, error);
                return 1;
            }
        }
    }
    0
}
