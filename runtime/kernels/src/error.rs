//! The single error type every kernel returns.

/// Why a kernel refused to run. A kernel that returns an error has written nothing.
///
/// The compiler validates models before generating code, so on a correct build these
/// never happen; they exist so that inconsistent arguments are reported instead of
/// indexing out of bounds or overflowing index arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelError {
    /// A slice length does not match the element count of its shape, or two shapes
    /// that must agree (e.g. input and output batch) do not.
    ShapeMismatch,
    /// The requested split range or tile reaches past the end of its axis.
    RangeOutOfBounds,
    /// A parameter is outside the domain TFLM accepts (zero stride, bad axis, ...),
    /// or shape arithmetic would overflow `usize`/`isize`.
    InvalidParameter,
    /// The kernel's scratch buffer is empty; kernels that take one need at least
    /// one element (tinymlc plans it in the arena).
    EmptyScratch,
    /// An INT32 DIV divisor is zero (TFLM's C++ division is undefined there and
    /// traps on most targets).
    DivisionByZero,
}

/// Shorthand used by all kernels.
pub type KernelResult = Result<(), KernelError>;

/// Fails with [`KernelError::ShapeMismatch`] unless `actual == expected`.
pub(crate) fn expect_len(actual: usize, expected: usize) -> KernelResult {
    if actual == expected {
        Ok(())
    } else {
        Err(KernelError::ShapeMismatch)
    }
}

/// The `len` elements of `slice` from `start`, or [`KernelError::ShapeMismatch`]: the
/// checked form of `&slice[start..start + len]`, for kernels that must not panic.
#[inline]
pub(crate) fn elements<T>(slice: &[T], start: usize, len: usize) -> Result<&[T], KernelError> {
    start
        .checked_add(len)
        .and_then(|end| slice.get(start..end))
        .ok_or(KernelError::ShapeMismatch)
}

/// The mutable form of [`elements`], failing with [`KernelError::RangeOutOfBounds`].
#[inline]
pub(crate) fn elements_mut<T>(
    slice: &mut [T],
    start: usize,
    len: usize,
) -> Result<&mut [T], KernelError> {
    start
        .checked_add(len)
        .and_then(|end| slice.get_mut(start..end))
        .ok_or(KernelError::RangeOutOfBounds)
}

/// Element `index` of `slice`, or [`KernelError::ShapeMismatch`].
#[inline]
pub(crate) fn element<T: Copy>(slice: &[T], index: usize) -> Result<T, KernelError> {
    slice.get(index).copied().ok_or(KernelError::ShapeMismatch)
}
