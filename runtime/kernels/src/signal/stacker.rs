//! `SignalStacker`: stacks each frame of `num_channels` int16 values with its
//! left and right context frames.
//!
//! Mirrors signal/micro/kernels/stacker.cc: TFLM keeps a circular buffer of
//! `(left + right + 1)` frames. Each inference appends the frame (the first
//! after reset repeated `left + 1` times, as left context); once the buffer is
//! full it outputs the whole buffer, oldest first, drops the oldest `step`
//! frames and sets `valid`; otherwise the output is left unwritten and `valid`
//! is false. tinymlc keeps the same buffer as state, oldest first, with
//! `counters` = [whether the first frame arrived, values held]. Zeroed state is
//! TFLM's reset state. Whole layer: `part` is `0..1`.

use crate::error::{KernelError, KernelResult};
use crate::split::SplitRange;

use super::streaming::{shift_out, write_valid};

/// The stacking TFLM's Init configures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackerConfig {
    /// Values per frame.
    pub channels: usize,
    /// Earlier frames in each stack.
    pub left_context: usize,
    /// Later frames in each stack.
    pub right_context: usize,
    /// Frames between stacks.
    pub step: usize,
}

impl StackerConfig {
    fn stack(&self) -> usize {
        self.channels * (self.left_context + self.right_context + 1)
    }

    /// (whether the first frame arrived, values held) before this inference.
    fn state(&self, counters: &[i32]) -> Result<(bool, usize), KernelError> {
        if self.channels == 0 || self.step == 0 || self.channels * self.step > self.stack() {
            return Err(KernelError::InvalidParameter);
        }
        let (started, held) = match counters {
            [started, held] => (*started != 0, usize::try_from(*held).ok()),
            _ => return Err(KernelError::ShapeMismatch),
        };
        match held {
            Some(held) if held + self.channels <= self.stack() => Ok((started, held)),
            _ => Err(KernelError::InvalidParameter),
        }
    }

    /// Values held once this inference's frame is appended.
    fn held_after(&self, counters: &[i32]) -> Result<usize, KernelError> {
        let (started, held) = self.state(counters)?;
        Ok(if started {
            held + self.channels
        } else {
            self.channels * (self.left_context + 1)
        })
    }
}

/// Writes TFLM's `valid` flag (1: this inference outputs a stack).
pub fn stacker_valid(
    config: &StackerConfig,
    counters: &[i32],
    valid: &mut [u8],
    part: SplitRange,
) -> KernelResult {
    write_valid(valid, part, || {
        Ok(config.held_after(counters)? >= config.stack())
    })
}

/// Appends the first `channels` values of `input` to `buffer` and, when it is
/// full, writes it to `output` and drops the oldest `step` frames.
pub fn stacker(
    config: &StackerConfig,
    input: &[i16],
    counters: &mut [i32],
    buffer: &mut [i16],
    output: &mut [i16],
    part: SplitRange,
) -> KernelResult {
    if !part.owns_whole_layer()? {
        return Ok(());
    }
    let (started, mut held) = config.state(counters)?;
    let stack = config.stack();
    let frame = input
        .get(..config.channels)
        .ok_or(KernelError::ShapeMismatch)?;
    if buffer.len() != stack || output.len() != stack {
        return Err(KernelError::ShapeMismatch);
    }
    let copies = if started { 1 } else { config.left_context + 1 };
    for _ in 0..copies {
        let slot = buffer
            .get_mut(held..held + config.channels)
            .ok_or(KernelError::ShapeMismatch)?;
        slot.copy_from_slice(frame);
        held += config.channels;
    }
    if held >= stack {
        output.copy_from_slice(buffer);
        let dropped = config.channels * config.step;
        shift_out(buffer, dropped, held)?;
        held -= dropped;
    }
    let held = i32::try_from(held).map_err(|_| KernelError::InvalidParameter)?;
    counters.copy_from_slice(&[1, held]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_frame_is_the_left_context() {
        let c = StackerConfig {
            channels: 2,
            left_context: 1,
            right_context: 1,
            step: 1,
        };
        let r = SplitRange::full(1);
        let (mut counters, mut buffer) = ([0i32; 2], [0i16; 6]);
        let mut results = [[0i16; 7]; 3];
        for (k, frame) in [[1, 2], [3, 4], [5, 6]].iter().enumerate() {
            let (mut out, mut valid) = ([-1i16; 6], [9u8]);
            stacker_valid(&c, &counters, &mut valid, r).unwrap();
            stacker(&c, frame, &mut counters, &mut buffer, &mut out, r).unwrap();
            results[k][0] = i16::from(valid[0]);
            results[k][1..].copy_from_slice(&out);
        }
        assert_eq!(results[0], [0, -1, -1, -1, -1, -1, -1]);
        assert_eq!(results[1], [1, 1, 2, 1, 2, 3, 4]);
        assert_eq!(results[2], [1, 1, 2, 3, 4, 5, 6]);
        assert_eq!(counters, [1, 4]);
    }

    #[test]
    fn steps_drop_whole_stacks() {
        let c = StackerConfig {
            channels: 1,
            left_context: 0,
            right_context: 1,
            step: 2,
        };
        let r = SplitRange::full(1);
        let (mut counters, mut buffer, mut out) = ([0i32; 2], [0i16; 2], [0i16; 2]);
        let mut valids = [0u8; 4];
        for (k, value) in [7i16, 8, 9, 10].iter().enumerate() {
            stacker_valid(&c, &counters, &mut valids[k..=k], r).unwrap();
            stacker(&c, &[*value], &mut counters, &mut buffer, &mut out, r).unwrap();
        }
        assert_eq!(valids, [0, 1, 0, 1]);
        assert_eq!(out, [9, 10]);
    }

    #[test]
    fn bad_configurations_and_counters_fail() {
        let r = SplitRange::full(1);
        let c = StackerConfig {
            channels: 1,
            left_context: 0,
            right_context: 0,
            step: 2,
        };
        assert_eq!(
            stacker(&c, &[1], &mut [0; 2], &mut [0; 1], &mut [0; 1], r),
            Err(KernelError::InvalidParameter)
        );
        let c = StackerConfig { step: 1, ..c };
        assert_eq!(
            stacker(&c, &[1], &mut [1, 5], &mut [0; 1], &mut [0; 1], r),
            Err(KernelError::InvalidParameter)
        );
        assert_eq!(
            stacker(&c, &[], &mut [0; 2], &mut [0; 1], &mut [0; 1], r),
            Err(KernelError::ShapeMismatch)
        );
    }
}
