//! `SignalOverlapAdd`: overlap-adds frames into a running buffer and emits
//! `frame_step` finished samples per frame (the inverse of framing).
//!
//! Mirrors signal/micro/kernels/overlap_add.cc and signal/src/overlap_add.cc:
//! per row (the dimensions before the frames), a `frame_size` buffer (state,
//! zero after `reset`) accumulates each frame, int16 saturating or float32;
//! its first `frame_step` samples are output, and it shifts left by as many,
//! filling with zeros. Whole layer: `part` is `0..1`.

use crate::error::{KernelError, KernelResult};
use crate::rows::{rows, rows_mut};
use crate::split::SplitRange;

/// A sample type TFLM's overlap-add supports.
pub trait OverlapSample: Copy + Default {
    /// `buffered + new`, as TFLM stores it back into the buffer.
    fn accumulate(buffered: Self, new: Self) -> Self;
}

impl OverlapSample for i16 {
    fn accumulate(buffered: Self, new: Self) -> Self {
        buffered.saturating_add(new)
    }
}

impl OverlapSample for f32 {
    fn accumulate(buffered: Self, new: Self) -> Self {
        buffered + new
    }
}

/// Overlap-adds every `frame_size` frame of `input` (`frames` per row) into its
/// row's buffer in `state` and writes `frame_step` samples per frame to `output`.
pub fn overlap_add<T: OverlapSample>(
    input: &[T],
    frames: usize,
    frame_size: usize,
    frame_step: usize,
    state: &mut [T],
    output: &mut [T],
    part: SplitRange,
) -> KernelResult {
    if !part.owns_whole_layer()? {
        return Ok(());
    }
    if frame_step == 0 || frame_step > frame_size || frames == 0 {
        return Err(KernelError::InvalidParameter);
    }
    let row_in = frames * frame_size;
    let row_out = frames * frame_step;
    if input.len() % row_in != 0 {
        return Err(KernelError::ShapeMismatch);
    }
    let row_count = input.len() / row_in;
    if state.len() != row_count * frame_size || output.len() != row_count * row_out {
        return Err(KernelError::ShapeMismatch);
    }
    let row_parts = rows(input, row_in)
        .zip(rows_mut(output, row_out))
        .zip(rows_mut(state, frame_size));
    for ((row_input, row_output), buffer) in row_parts {
        for (frame, out) in rows(row_input, frame_size).zip(rows_mut(row_output, frame_step)) {
            for (slot, &value) in buffer.iter_mut().zip(frame) {
                *slot = T::accumulate(*slot, value);
            }
            out.copy_from_slice(&buffer[..frame_step]);
            buffer.copy_within(frame_step.., 0);
            buffer[frame_size - frame_step..].fill(T::default());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_overlap_and_saturate() {
        let mut state = [0i16; 4];
        let mut out = [0i16; 4];
        let r = SplitRange::full(1);
        overlap_add(
            &[1, 2, 3, 4, 10, 20, 30, 32767],
            2,
            4,
            2,
            &mut state,
            &mut out,
            r,
        )
        .unwrap();
        assert_eq!(out, [1, 2, 13, 24]);
        assert_eq!(state, [30, 32767, 0, 0]);
        overlap_add(&[0, 5, 0, 0, 0, 0, 0, 0], 2, 4, 2, &mut state, &mut out, r).unwrap();
        assert_eq!(out, [30, 32767, 0, 0]);
    }

    #[test]
    fn float_frames_add() {
        let mut state = [0f32; 2];
        let mut out = [0f32; 1];
        overlap_add(
            &[0.5f32, 0.25],
            1,
            2,
            1,
            &mut state,
            &mut out,
            SplitRange::full(1),
        )
        .unwrap();
        assert_eq!((out, state), ([0.5], [0.25, 0.0]));
    }

    #[test]
    fn rejects_bad_steps_and_shapes() {
        let r = SplitRange::full(1);
        let bad = overlap_add(&[1i16, 2], 1, 2, 3, &mut [0; 2], &mut [0; 3], r);
        assert_eq!(bad, Err(KernelError::InvalidParameter));
        let short = overlap_add(&[1i16, 2], 1, 2, 1, &mut [0; 1], &mut [0; 1], r);
        assert_eq!(short, Err(KernelError::ShapeMismatch));
    }
}
