//! Tensor shapes, row-major (TFLite layout).

use crate::error::KernelError;

/// Highest rank any kernel accepts. TFLM broadcasts binary ops up to 6D and
/// transposes/pads up to 5D.
pub const MAX_RANK: usize = 6;

/// A 4D NHWC feature-map shape. Filters reuse it: CONV_2D filters are `[O, H, W, I]`
/// (so `batches` is the output-channel count), DEPTHWISE_CONV_2D filters `[1, H, W, C]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nhwc {
    /// N (for a CONV_2D filter: output channels).
    pub batches: usize,
    /// H.
    pub height: usize,
    /// W.
    pub width: usize,
    /// C (innermost).
    pub channels: usize,
}

impl Nhwc {
    /// Shape `[batches, height, width, channels]`.
    pub const fn new(batches: usize, height: usize, width: usize, channels: usize) -> Self {
        Self {
            batches,
            height,
            width,
            channels,
        }
    }

    /// Number of elements, or an error if it does not fit in `usize`.
    #[inline]
    pub fn element_count(&self) -> Result<usize, KernelError> {
        checked_product(&[self.batches, self.height, self.width, self.channels])
    }

    /// Number of `N*H` rows, the row axis of an [`crate::OutputTile`].
    pub fn rows(&self) -> usize {
        // Never overflows once `element_count` succeeded (or a dimension is zero).
        self.batches.saturating_mul(self.height)
    }

    /// Flat index of element `(n, y, x, c)`.
    pub(crate) fn offset(&self, n: usize, y: usize, x: usize, c: usize) -> usize {
        ((n * self.height + y) * self.width + x) * self.channels + c
    }
}

/// A shape of rank `0..=MAX_RANK`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    dims: [usize; MAX_RANK],
    rank: usize,
}

impl Shape {
    /// The shape with the given dimensions, or an error if the rank exceeds [`MAX_RANK`].
    pub fn new(dims: &[usize]) -> Result<Self, KernelError> {
        if dims.len() > MAX_RANK {
            return Err(KernelError::InvalidParameter);
        }
        let mut all = [1; MAX_RANK];
        for (slot, &dim) in all.iter_mut().zip(dims) {
            *slot = dim;
        }
        Ok(Self {
            dims: all,
            rank: dims.len(),
        })
    }

    /// The dimensions, outermost first.
    pub fn dims(&self) -> &[usize] {
        // `new` keeps `rank <= MAX_RANK`; `get` spares the kernels a panic path.
        self.dims.get(..self.rank).unwrap_or(&self.dims)
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        // Through `dims` so that the optimizer sees `rank <= MAX_RANK`.
        self.dims().len()
    }

    /// Number of elements, or an error if it does not fit in `usize`.
    #[inline]
    pub fn element_count(&self) -> Result<usize, KernelError> {
        checked_product(self.dims())
    }

    /// The dimensions left-padded with ones to exactly [`MAX_RANK`] entries, the way
    /// TFLM's `RuntimeShape::ExtendedShape` aligns shapes of different ranks.
    pub(crate) fn extended(&self) -> [usize; MAX_RANK] {
        let mut out = [1; MAX_RANK];
        for (slot, &dim) in out.iter_mut().rev().zip(self.dims().iter().rev()) {
            *slot = dim;
        }
        out
    }
}

/// Product of `dims`, or an error on overflow.
pub(crate) fn checked_product(dims: &[usize]) -> Result<usize, KernelError> {
    dims.iter().try_fold(1usize, |acc, &d| {
        acc.checked_mul(d).ok_or(KernelError::InvalidParameter)
    })
}

/// Row-major element strides of `dims` (the caller has checked the element count).
pub(crate) fn row_major_strides(dims: &[usize; MAX_RANK]) -> [usize; MAX_RANK] {
    let mut strides = [0; MAX_RANK];
    let mut stride = 1;
    for axis in (0..MAX_RANK).rev() {
        strides[axis] = stride;
        stride *= dims[axis];
    }
    strides
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_shape_pads_on_the_left() {
        let shape = Shape::new(&[3, 4]).unwrap();
        assert_eq!(shape.extended(), [1, 1, 1, 1, 3, 4]);
        assert_eq!(shape.element_count(), Ok(12));
    }

    #[test]
    fn rank_above_max_is_rejected() {
        assert_eq!(
            Shape::new(&[1; MAX_RANK + 1]),
            Err(KernelError::InvalidParameter)
        );
    }

    #[test]
    fn overflowing_element_count_is_an_error() {
        let shape = Nhwc::new(usize::MAX, 2, 1, 1);
        assert_eq!(shape.element_count(), Err(KernelError::InvalidParameter));
    }

    #[test]
    fn nhwc_offset_is_row_major() {
        let shape = Nhwc::new(2, 3, 4, 5);
        assert_eq!(shape.offset(1, 2, 3, 4), 2 * 3 * 4 * 5 - 1);
        assert_eq!(shape.offset(0, 1, 0, 0), 20);
    }

    #[test]
    fn strides_of_extended_shape() {
        assert_eq!(
            row_major_strides(&[1, 1, 2, 3, 4, 5]),
            [120, 120, 60, 20, 5, 1]
        );
    }
}
