//! An LED that breathes along a sine wave, the use TensorFlow Lite Micro's hello_world makes of
//! its model: the generated crate `sine` estimates sin(x), this turns it into a brightness.
#![cfg_attr(not(test), no_std)]

/// One period of the wave: the model was trained on x in [0, 2*pi).
pub const PERIOD: f32 = 2.0 * core::f32::consts::PI;

/// x at step `step` of a period divided into `steps` steps.
pub fn phase(step: u32, steps: u32) -> f32 {
    PERIOD * (step % steps) as f32 / steps as f32
}

/// sin(x) as the model estimates it, for x in [0, PERIOD).
pub fn sine(arena: &mut [u8], x: f32) -> Result<f32, sine::Error> {
    let mut y = [0.0_f32; sine::OUTPUT_LEN];
    sine::predict(arena, &[x], &mut y)?;
    Ok(y[0])
}

/// LED brightness (0 dark, 255 full) for a value of the wave; the model may overshoot [-1, 1].
pub fn brightness(wave: f32) -> u8 {
    // In range by the clamp; `as` rounds toward zero.
    ((wave.clamp(-1.0, 1.0) + 1.0) * 127.5) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    // The quantized model's error against sin over [0, 2*pi), as TFLite Micro computes it too.
    const TOLERANCE: f32 = 0.25;

    #[test]
    fn sine_follows_sin_over_one_period() {
        let mut arena = sine::Arena::new();
        for step in 0..64 {
            let x = phase(step, 64);
            let y = sine(&mut arena.0, x).unwrap();
            assert!(
                (y - x.sin()).abs() < TOLERANCE,
                "sin({x}) = {}, model says {y}",
                x.sin()
            );
        }
    }

    #[test]
    fn brightness_peaks_at_a_quarter_and_bottoms_at_three_quarters() {
        let mut arena = sine::Arena::new();
        let levels: Vec<u8> = (0..8)
            .map(|step| brightness(sine(&mut arena.0, phase(step, 8)).unwrap()))
            .collect();
        let brightest = (0..8).max_by_key(|&step| levels[step]).unwrap();
        let darkest = (0..8).min_by_key(|&step| levels[step]).unwrap();
        assert_eq!((brightest, darkest), (2, 6), "levels {levels:?}");
    }

    #[test]
    fn brightness_saturates_beyond_the_wave() {
        assert_eq!(
            (brightness(-1.2), brightness(0.0), brightness(1.3)),
            (0, 127, 255)
        );
    }

    #[test]
    fn a_small_arena_is_an_error() {
        let mut arena = [0_u8; 1];
        assert!(sine(&mut arena, 1.0).is_err());
    }
}
