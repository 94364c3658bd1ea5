//! The loop shared by all element-wise single-input kernels.

use crate::error::{expect_len, KernelResult};
use crate::split::SplitRange;

/// Writes `f(input[i])` to `output[i]` for every `i` in `range`, after checking that
/// both slices have the same length and `range` lies within them.
pub(crate) fn map_range<I: Copy, O>(
    input: &[I],
    output: &mut [O],
    range: SplitRange,
    f: impl Fn(I) -> O,
) -> KernelResult {
    expect_len(input.len(), output.len())?;
    range.check_within(output.len())?;
    for (out, &value) in output[range.indices()]
        .iter_mut()
        .zip(&input[range.indices()])
    {
        *out = f(value);
    }
    Ok(())
}
