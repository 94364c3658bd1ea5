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
