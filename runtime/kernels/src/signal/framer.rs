//! `SignalFramer`: cuts each row of int16 samples into overlapping frames
//! across inferences.
//!
//! Mirrors signal/micro/kernels/framer.cc: TFLM keeps a circular buffer per row
//! (the innermost dimension) of `frame_size` rounded up to a multiple of
//! `frame_step` samples, primed with `frame_size - frame_step` zeros when
//! `prefill` is set. For every `frame_step` input samples it appends them and,
//! once the buffer holds `frame_size` samples, outputs the oldest `frame_size`
//! and drops the oldest `frame_step`; otherwise that frame is left unwritten and
//! `valid` is false. tinymlc keeps the same buffer as state, oldest sample
//! first, and in `counters[0]` the samples it gained since reset beyond the
//! priming (every row holds as many). Zeroed state is TFLM's reset state. Whole
//! layer: `part` is `0..1`.

use crate::error::{KernelError, KernelResult};
use crate::rows::{rows, rows_mut};
use crate::split::SplitRange;

use super::streaming::{shift_out, write_valid};

/// The framing TFLM's Init and Prepare configure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FramerConfig {
    /// Samples per output frame.
    pub frame_size: usize,
    /// Samples between frame starts (the input's innermost dimension is a multiple).
    pub frame_step: usize,
    /// Frames per row and inference.
    pub frames: usize,
    /// Rows (the product of the input's outer dimensions).
    pub rows: usize,
    /// Whether the buffers start primed with `frame_size - frame_step` zeros.
    pub prefill: bool,
}

impl FramerConfig {
    fn capacity(&self) -> usize {
        self.frame_size.div_ceil(self.frame_step) * self.frame_step
    }

    fn primed(&self) -> usize {
        if self.prefill {
            self.frame_size.saturating_sub(self.frame_step)
        } else {
            0
        }
    }

    /// Samples every row's buffer holds before this inference.
    fn held(&self, counters: &[i32]) -> Result<usize, KernelError> {
        if self.frame_step == 0 || self.frame_size == 0 || self.frames == 0 {
            return Err(KernelError::InvalidParameter);
        }
        let gained = counters
            .first()
            .and_then(|&count| usize::try_from(count).ok())
            .ok_or(KernelError::InvalidParameter)?;
        let held = self.primed() + gained;
        // Room for the next frame_step samples, as TFLM's buffer always has.
        if held + self.frame_step > self.capacity() {
            return Err(KernelError::InvalidParameter);
        }
        Ok(held)
    }
}

/// Writes TFLM's `valid` flag (1: every frame of this inference is written):
/// the buffers, once full enough for one frame, stay so.
pub fn framer_valid(
    config: &FramerConfig,
    counters: &[i32],
    valid: &mut [u8],
    part: SplitRange,
) -> KernelResult {
    write_valid(valid, part, || {
        let held = config.held(counters)?;
        Ok(config.rows == 0 || held + config.frame_step >= config.frame_size)
    })
}

/// Frames every row of `input` through its buffer in `buffers` into `output`
/// (`frames` frames of `frame_size` per row), updating `counters`.
pub fn framer(
    config: &FramerConfig,
    input: &[i16],
    counters: &mut [i32],
    buffers: &mut [i16],
    output: &mut [i16],
    part: SplitRange,
) -> KernelResult {
    if !part.owns_whole_layer()? {
        return Ok(());
    }
    let held = config.held(counters)?;
    let (size, step, capacity) = (config.frame_size, config.frame_step, config.capacity());
    let (row_in, row_out) = (config.frames * step, config.frames * size);
    if input.len() != config.rows * row_in
        || output.len() != config.rows * row_out
        || buffers.len() != config.rows * capacity
    {
        return Err(KernelError::ShapeMismatch);
    }
    let mut after = held;
    let row_parts = rows(input, row_in)
        .zip(rows_mut(output, row_out))
        .zip(rows_mut(buffers, capacity));
    for ((samples, frames), buffer) in row_parts {
        let mut count = held;
        for (fresh, frame) in rows(samples, step).zip(rows_mut(frames, size)) {
            let slot = buffer
                .get_mut(count..count + step)
                .ok_or(KernelError::ShapeMismatch)?;
            slot.copy_from_slice(fresh);
            count += step;
            if count >= size {
                let oldest = buffer.get(..size).ok_or(KernelError::ShapeMismatch)?;
                frame.copy_from_slice(oldest);
                shift_out(buffer, step, count)?;
                count -= step;
            }
        }
        after = count;
    }
    let gained = after
        .checked_sub(config.primed())
        .and_then(|gained| i32::try_from(gained).ok())
        .ok_or(KernelError::InvalidParameter)?;
    let counter = counters.first_mut().ok_or(KernelError::ShapeMismatch)?;
    *counter = gained;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(frame_size: usize, frame_step: usize, frames: usize, prefill: bool) -> FramerConfig {
        FramerConfig {
            frame_size,
            frame_step,
            frames,
            rows: 1,
            prefill,
        }
    }

    #[test]
    fn prefilled_frames_are_valid_from_the_start() {
        let c = config(4, 2, 2, true);
        let r = SplitRange::full(1);
        let (mut counters, mut buffer, mut out, mut valid) = ([0i32], [0i16; 4], [0i16; 8], [9u8]);
        framer_valid(&c, &counters, &mut valid, r).unwrap();
        framer(&c, &[1, 2, 3, 4], &mut counters, &mut buffer, &mut out, r).unwrap();
        assert_eq!(valid, [1]);
        assert_eq!(out, [0, 0, 1, 2, 1, 2, 3, 4]);
        framer(&c, &[5, 6, 7, 8], &mut counters, &mut buffer, &mut out, r).unwrap();
        assert_eq!(out, [3, 4, 5, 6, 5, 6, 7, 8]);
        assert_eq!(counters, [0]);
    }

    #[test]
    fn without_prefill_frames_wait_for_the_buffer() {
        // frame_size 5, step 2: capacity 6; frames come out of the oldest samples.
        let c = config(5, 2, 1, false);
        let r = SplitRange::full(1);
        let (mut counters, mut buffer) = ([0i32], [0i16; 6]);
        let mut outputs = [0i16; 3];
        for (k, fresh) in [[1, 2], [3, 4], [5, 6], [7, 8]].iter().enumerate() {
            let (mut out, mut valid) = ([-1i16; 5], [9u8]);
            framer_valid(&c, &counters, &mut valid, r).unwrap();
            framer(&c, fresh, &mut counters, &mut buffer, &mut out, r).unwrap();
            outputs = [valid[0] as i16, out[0], out[4]];
            if k < 2 {
                assert_eq!(outputs, [0, -1, -1]);
            }
        }
        assert_eq!(outputs, [1, 3, 7]);
        assert_eq!(counters, [4]);
    }

    #[test]
    fn bad_counters_and_shapes_fail() {
        let c = config(4, 2, 1, false);
        let r = SplitRange::full(1);
        let mut out = [0i16; 4];
        for counters in [[-1i32], [4]] {
            assert_eq!(
                framer(&c, &[1, 2], &mut counters.clone(), &mut [0; 4], &mut out, r),
                Err(KernelError::InvalidParameter)
            );
        }
        assert_eq!(
            framer(&c, &[1, 2, 3], &mut [0], &mut [0; 4], &mut out, r),
            Err(KernelError::ShapeMismatch)
        );
    }
}
