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
    part.check_within(1)?;
    if part.is_empty() {
        return Ok(());
    }
    let flag = flag()?;
    let byte = valid.first_mut().ok_or(KernelError::ShapeMismatch)?;
    *byte = u8::from(flag);
    Ok(())
}
