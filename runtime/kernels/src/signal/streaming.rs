//! What `framer` and `stacker` share: the bool `valid` output TFLM's framer and
//! stacker write next to their samples.

use crate::error::{KernelError, KernelResult};
use crate::split::SplitRange;

/// Writes `flag` (computed from the operator's counters) as TFLM's one-byte bool.
/// Whole layer: `part` is `0..1`.
pub(crate) fn write_valid(
    valid: &mut [u8],
    part: SplitRange,
    flag: impl FnOnce() -> Result<bool, KernelError>,
) -> KernelResult {
    if !part.owns_whole_layer()? {
        return Ok(());
    }
    let flag = flag()?;
    let byte = valid.first_mut().ok_or(KernelError::ShapeMismatch)?;
    *byte = u8::from(flag);
    Ok(())
}

/// Drops the first `dropped` of the `held` values at the start of `buffer`, moving the
/// others to its front (the oldest samples of a circular buffer leave it).
pub(crate) fn shift_out<T: Copy>(buffer: &mut [T], dropped: usize, held: usize) -> KernelResult {
    let live = buffer.get_mut(..held).ok_or(KernelError::ShapeMismatch)?;
    if dropped > live.len() {
        return Err(KernelError::ShapeMismatch);
    }
    live.copy_within(dropped.., 0);
    Ok(())
}
