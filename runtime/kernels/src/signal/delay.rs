//! `SignalDelay`: delays each row of int16 frames by `delay` samples across
//! inferences.
//!
//! Mirrors signal/micro/kernels/delay.cc: TFLM keeps a circular buffer per row
//! (the innermost dimension), primed with `delay` zeros; each frame is appended
//! and the oldest frame-length samples are read out. tinymlc keeps the same
//! history as state, the last `delay` samples of each row in order (zero after
//! `reset`, as TFLM's Reset leaves it), updated in place. Whole layer: `part`
//! is `0..1`.

use crate::error::{elements, elements_mut, KernelError, KernelResult};
use crate::split::SplitRange;

/// Writes each `frame`-long row of `input`, preceded by its row's history in
/// `state` (`delay` samples per row), minus the last `delay` samples, to `output`,
/// and keeps those last samples as the new history.
pub fn delay(
    input: &[i16],
    frame: usize,
    state: &mut [i16],
    output: &mut [i16],
    part: SplitRange,
) -> KernelResult {
    if !part.owns_whole_layer()? {
        return Ok(());
    }
    if frame == 0 || input.len() % frame != 0 || output.len() != input.len() {
        return Err(KernelError::ShapeMismatch);
    }
    let rows = input.len() / frame;
    if rows == 0 || state.len() % rows != 0 {
        return Err(KernelError::ShapeMismatch);
    }
    let history = state.len() / rows;
    if history == 0 {
        // Equal lengths (checked above): a plain copy.
        for (out, &sample) in output.iter_mut().zip(input) {
            *out = sample;
        }
        return Ok(());
    }
    // Indexed rather than zipped chunks: the optimizer proves these bounds, not a zip's
    // division by the chunk length.
    for row in 0..rows {
        let samples = elements(input, row * frame, frame)?;
        let out = elements_mut(output, row * frame, frame)?;
        let kept = elements_mut(state, row * history, history)?;
        // The row's stream: the kept history, then this frame.
        let stream = |i: usize, kept: &[i16]| {
            if i < history {
                kept.get(i).copied()
            } else {
                samples.get(i - history).copied()
            }
        };
        for (j, value) in out.iter_mut().enumerate() {
            *value = stream(j, kept).unwrap_or(0);
        }
        // Ascending, each read lies at or after the write (frame >= 1).
        for k in 0..history {
            let next = stream(frame + k, kept).unwrap_or(0);
            if let Some(slot) = kept.get_mut(k) {
                *slot = next;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_delayed_across_calls() {
        let mut state = [0i16; 4];
        let mut out = [0i16; 6];
        let r = SplitRange::full(1);
        delay(&[1, 2, 3, 10, 20, 30], 3, &mut state, &mut out, r).unwrap();
        assert_eq!(out, [0, 0, 1, 0, 0, 10]);
        delay(&[4, 5, 6, 40, 50, 60], 3, &mut state, &mut out, r).unwrap();
        assert_eq!(out, [2, 3, 4, 20, 30, 40]);
        assert_eq!(state, [5, 6, 50, 60]);
    }

    #[test]
    fn a_delay_longer_than_the_frame() {
        let mut state = [0i16; 5];
        let mut out = [0i16; 2];
        let r = SplitRange::full(1);
        for (frame, expected) in [
            ([1, 2], [0, 0]),
            ([3, 4], [0, 0]),
            ([5, 6], [0, 1]),
            ([7, 8], [2, 3]),
        ] {
            delay(&frame, 2, &mut state, &mut out, r).unwrap();
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn no_delay_copies_and_bad_shapes_fail() {
        let mut out = [0i16; 2];
        let r = SplitRange::full(1);
        delay(&[7, 8], 2, &mut [], &mut out, r).unwrap();
        assert_eq!(out, [7, 8]);
        assert_eq!(
            delay(&[1, 2, 3], 2, &mut [0; 2], &mut [0; 3], r),
            Err(KernelError::ShapeMismatch)
        );
        assert_eq!(
            delay(&[1, 2, 3, 4], 2, &mut [0; 3], &mut [0; 4], r),
            Err(KernelError::ShapeMismatch)
        );
    }
}
