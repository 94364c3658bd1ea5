//! The loop shared by all element-wise single-input kernels, out of place
//! (`input: &[I]` -> `output: &mut [O]`) or in place (`data: &mut [T]`, each
//! element replaced by its image).

use crate::error::{expect_len, KernelResult};
use crate::split::SplitRange;

/// Where an element-wise kernel reads its operand and writes its result.
///
/// Both implementations visit exactly the indices of the range and, at index
/// `i`, read only element `i` of the operand before writing element `i` of the
/// result, so one per-element function gives the same values either way.
pub(crate) trait ElementwiseIo<I, O> {
    /// Checks the lengths and `range`, then writes `f(operand[i])` at every `i`
    /// in `range`.
    fn map_range(self, range: SplitRange, f: impl Fn(I) -> O) -> KernelResult;
}

/// Out of place: a shared input and a separate output of the same length.
impl<I: Copy, O> ElementwiseIo<I, O> for (&[I], &mut [O]) {
    fn map_range(self, range: SplitRange, f: impl Fn(I) -> O) -> KernelResult {
        let (input, output) = self;
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
}

/// In place: one buffer that is both the input and the output.
impl<T: Copy> ElementwiseIo<T, T> for &mut [T] {
    fn map_range(self, range: SplitRange, f: impl Fn(T) -> T) -> KernelResult {
        range.check_within(self.len())?;
        for value in &mut self[range.indices()] {
            *value = f(*value);
        }
        Ok(())
    }
}

/// Writes `f(input[i])` to `output[i]` for every `i` in `range`, after checking that
/// both slices have the same length and `range` lies within them.
pub(crate) fn map_range<I: Copy, O>(
    input: &[I],
    output: &mut [O],
    range: SplitRange,
    f: impl Fn(I) -> O,
) -> KernelResult {
    (input, output).map_range(range, f)
}
