//! `CIRCULAR_BUFFER`: a history of int8 frames that ends inferences early until it has
//! taken `cycles_max` new frames.
//!
//! Mirrors TFLM's kernels/circular_buffer.cc: the output holds `slots` frames of
//! `depth` values, kept from one inference to the next; each inference drops the
//! oldest, appends the input's frame, and counts down the cycles left; unless they
//! reach zero (then they start again from `cycles_max`), TFLM's Eval returns
//! kTfLiteAbort and the interpreter runs no later operator. The count and whether this
//! inference ended here are the layer's `state` (`[cycles left, ended]`), which the
//! generated executor reads after the layer. With TFLM's second output, `valid`, no
//! inference ends early: `circular_buffer_valid` writes, after the layer, whether it
//! completed the count. Whole layer: `part` is `0..1`.

use crate::error::{KernelError, KernelResult};
use crate::signal::streaming::write_valid;
use crate::split::SplitRange;

/// The layer's state: `[cycles left, ended]`, `ended` nonzero when the layer ended the
/// inference it last ran in.
pub const STATE_LEN: usize = 2;

/// Shifts the first `slots` frames of `depth` values in `frames` one frame towards the
/// start, writes the first `depth` values of `input` as the newest frame (values past
/// them stay as they were, as TFLM leaves a batch's other frames), and counts down
/// `state`: it sets `ended` unless the count reached zero, which restarts it at
/// `cycles_max`.
pub fn circular_buffer(
    input: &[i8],
    depth: usize,
    frames: &mut [i8],
    slots: usize,
    state: &mut [i32],
    cycles_max: i32,
    part: SplitRange,
) -> KernelResult {
    if !part.owns_whole_layer()? {
        return Ok(());
    }
    let [cycles_left, ended] = state else {
        return Err(KernelError::ShapeMismatch);
    };
    if slots == 0 || cycles_max < 1 {
        return Err(KernelError::InvalidParameter);
    }
    let kept = (slots - 1)
        .checked_mul(depth)
        .ok_or(KernelError::InvalidParameter)?;
    let total = kept
        .checked_add(depth)
        .ok_or(KernelError::InvalidParameter)?;
    let history = frames.get_mut(..total).ok_or(KernelError::ShapeMismatch)?;
    let frame = input.get(..depth).ok_or(KernelError::ShapeMismatch)?;
    // Ascending: each value moves to a lower index, read before anything overwrites it.
    for index in 0..kept {
        let newer = history.get(index + depth).copied();
        if let (Some(newer), Some(slot)) = (newer, history.get_mut(index)) {
            *slot = newer;
        }
    }
    for (slot, &value) in history.iter_mut().skip(kept).zip(frame) {
        *slot = value;
    }
    *cycles_left = cycles_left.wrapping_sub(1);
    let finished = *cycles_left == 0;
    if finished {
        *cycles_left = cycles_max;
    }
    *ended = i32::from(!finished);
    Ok(())
}

/// Writes `valid` (one bool byte): whether the `circular_buffer` call that last
/// updated `state` completed the count, i.e. did not set `ended`.
pub fn circular_buffer_valid(state: &[i32], valid: &mut [u8], part: SplitRange) -> KernelResult {
    write_valid(valid, part, || match state {
        [_, ended] => Ok(*ended == 0),
        _ => Err(KernelError::ShapeMismatch),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole() -> SplitRange {
        SplitRange::new(0, 1)
    }

    #[test]
    fn appends_each_frame_and_ends_inferences_until_cycles_max_frames_came() {
        let mut frames = [0i8; 6];
        let mut state = [3, 0];
        let mut ended = Vec::new();
        for step in 1..=7i8 {
            circular_buffer(&[step, -step], 2, &mut frames, 3, &mut state, 3, whole()).unwrap();
            ended.push(state[1]);
        }
        assert_eq!(frames, [5, -5, 6, -6, 7, -7]);
        // cycles_until_run starts at 3: the third, sixth, ... inference completes.
        assert_eq!(ended, [1, 1, 0, 1, 1, 0, 1]);
        assert_eq!(state[0], 2);
    }

    #[test]
    fn cycles_max_one_never_ends_an_inference() {
        let mut frames = [9i8; 2];
        let mut state = [1, 1];
        for step in 0..4 {
            circular_buffer(&[step], 1, &mut frames, 2, &mut state, 1, whole()).unwrap();
            assert_eq!(state, [1, 0]);
        }
        assert_eq!(frames, [2, 3]);
    }

    #[test]
    fn only_the_first_frames_and_input_values_take_part() {
        // Batch 2 as TFLM runs it: the first batch's frames shift, the rest stay.
        let mut frames = [1, 2, 3, 4, 50, 60, 70, 80];
        let mut state = [2, 0];
        circular_buffer(&[7, 8, 9, 10], 2, &mut frames, 2, &mut state, 2, whole()).unwrap();
        assert_eq!(frames, [3, 4, 7, 8, 50, 60, 70, 80]);
        assert_eq!(state, [1, 1]);
    }

    #[test]
    fn one_slot_holds_the_newest_frame() {
        let mut frames = [0i8; 3];
        let mut state = [2, 0];
        circular_buffer(&[4, 5, 6], 3, &mut frames, 1, &mut state, 2, whole()).unwrap();
        assert_eq!(frames, [4, 5, 6]);
    }

    #[test]
    fn other_cores_leave_everything_alone() {
        let mut frames = [1i8; 2];
        let mut state = [1, 0];
        circular_buffer(
            &[5],
            1,
            &mut frames,
            2,
            &mut state,
            1,
            SplitRange::new(1, 1),
        )
        .unwrap();
        assert_eq!((frames, state), ([1, 1], [1, 0]));
    }

    #[test]
    fn bad_lengths_and_parameters_are_errors_not_panics() {
        let mut frames = [0i8; 4];
        let mut state = [1, 0];
        let shape = Err(KernelError::ShapeMismatch);
        assert_eq!(
            circular_buffer(&[1], 2, &mut frames, 2, &mut state, 1, whole()),
            shape
        );
        assert_eq!(
            circular_buffer(&[1, 2], 2, &mut frames, 3, &mut state, 1, whole()),
            shape
        );
        assert_eq!(
            circular_buffer(&[1, 2], 2, &mut frames, 2, &mut [1], 1, whole()),
            shape
        );
        let invalid = Err(KernelError::InvalidParameter);
        assert_eq!(
            circular_buffer(&[1, 2], 2, &mut frames, 0, &mut state, 1, whole()),
            invalid
        );
        assert_eq!(
            circular_buffer(&[1, 2], 2, &mut frames, 2, &mut state, 0, whole()),
            invalid
        );
        assert_eq!(
            circular_buffer(&[1], usize::MAX, &mut frames, 3, &mut state, 1, whole()),
            invalid
        );
    }

    #[test]
    fn valid_is_set_by_the_inferences_completing_the_count() {
        let mut frames = [0i8; 2];
        let mut state = [3, 0];
        let mut valid = [7u8];
        let mut flags = Vec::new();
        for step in 0..7 {
            circular_buffer(&[step], 1, &mut frames, 2, &mut state, 3, whole()).unwrap();
            circular_buffer_valid(&state, &mut valid, whole()).unwrap();
            flags.push(valid[0]);
        }
        assert_eq!(flags, [0, 0, 1, 0, 0, 1, 0]);
    }

    #[test]
    fn valid_leaves_other_cores_alone_and_rejects_bad_lengths() {
        let mut valid = [7u8];
        circular_buffer_valid(&[1, 0], &mut valid, SplitRange::new(1, 1)).unwrap();
        assert_eq!(valid, [7]);
        let shape = Err(KernelError::ShapeMismatch);
        assert_eq!(circular_buffer_valid(&[1], &mut valid, whole()), shape);
        assert_eq!(circular_buffer_valid(&[1, 0], &mut [], whole()), shape);
    }

    #[test]
    fn a_garbage_count_wraps_instead_of_panicking() {
        let mut frames = [0i8; 1];
        let mut state = [i32::MIN, 0];
        circular_buffer(&[1], 1, &mut frames, 1, &mut state, 2, whole()).unwrap();
        assert_eq!(state, [i32::MAX, 1]);
    }
}
