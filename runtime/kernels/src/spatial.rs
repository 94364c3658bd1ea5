//! Loops and checks shared by the NHWC windowed kernels (convolutions and pools).

use crate::accumulator::Accumulator;
use crate::error::KernelError;
use crate::shape::Nhwc;
use crate::split::OutputTile;

/// Writes `compute(batch, out_y, out_x, channel)` to every output element of `tile`.
/// The caller has validated `output.len()` against `shape` and `tile` against it; the
/// checked indexing only spares the kernels a panic path.
pub(crate) fn for_each_tile_element<T>(
    output: &mut [T],
    shape: Nhwc,
    tile: OutputTile,
    mut compute: impl FnMut(usize, usize, usize, usize) -> Result<T, KernelError>,
) -> Result<(), KernelError> {
    let height = shape.height.max(1);
    for row in tile.rows.indices() {
        let (batch, out_y) = (row / height, row % height);
        for out_x in 0..shape.width {
            let base = shape.offset(batch, out_y, out_x, 0);
            for channel in tile.channels.indices() {
                let value = compute(batch, out_y, out_x, channel)?;
                *output
                    .get_mut(base.wrapping_add(channel))
                    .ok_or(KernelError::RangeOutOfBounds)? = value;
            }
        }
    }
    Ok(())
}

/// One spatial axis of a sliding window: `in = out * stride - pad + tap * dilation`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WindowAxis {
    pub stride: usize,
    pub dilation: usize,
    pub pad: usize,
    pub taps: usize,
    pub input_len: usize,
}

impl WindowAxis {
    /// Checks the axis for `output_len` outputs: positive stride and dilation, and
    /// every input coordinate the window can reach representable as `isize`.
    pub fn check(&self, output_len: usize) -> Result<(), KernelError> {
        if self.stride == 0 || self.dilation == 0 {
            return Err(KernelError::InvalidParameter);
        }
        let far = output_len
            .saturating_sub(1)
            .checked_mul(self.stride)
            .and_then(|v| v.checked_add(self.taps.saturating_sub(1).checked_mul(self.dilation)?))
            .and_then(|v| isize::try_from(v).ok());
        match (
            far,
            isize::try_from(self.pad),
            isize::try_from(self.input_len),
        ) {
            (Some(_), Ok(_), Ok(_)) => Ok(()),
            _ => Err(KernelError::InvalidParameter),
        }
    }

    /// Input coordinate of tap 0 for output coordinate `out` (TFLM `in_*_origin`).
    pub fn origin(&self, out: usize) -> isize {
        (out * self.stride) as isize - self.pad as isize
    }

    /// Input coordinate of `tap` from `origin`, if it lies inside the input.
    pub fn input_at(&self, origin: isize, tap: usize) -> Option<usize> {
        let coordinate = origin + (tap * self.dilation) as isize;
        if coordinate >= 0 && (coordinate as usize) < self.input_len {
            Some(coordinate as usize)
        } else {
            None
        }
    }

    /// Taps of an undilated window that fall inside the input, as TFLM's pools clip
    /// them: `max(0, -origin) .. min(taps, input_len - origin)`.
    pub fn clipped_taps(&self, origin: isize) -> core::ops::Range<usize> {
        let start = (-origin).max(0) as usize;
        // max/min rather than clamp: clamp's panic on an empty range is a path the optimizer
        // keeps (tools/tinymlc/tests/test_no_panic_link.py).
        let end = (self.input_len as isize - origin)
            .max(0)
            .min(self.taps as isize)
            .max(0) as usize;
        start..end.max(start)
    }
}

/// Folds `tap(acc, (filter_y, filter_x), (in_y, in_x))` over the taps of the window
/// at output `(out_y, out_x)` that lie inside the input, from `start`, row by row
/// (TFLM's convolutions skip padding taps rather than reading zeros).
pub(crate) fn fold_window<A>(
    y_axis: &WindowAxis,
    x_axis: &WindowAxis,
    (out_y, out_x): (usize, usize),
    start: A,
    mut tap: impl FnMut(A, (usize, usize), (usize, usize)) -> Result<A, KernelError>,
) -> Result<A, KernelError> {
    let (y_origin, x_origin) = (y_axis.origin(out_y), x_axis.origin(out_x));
    let mut acc = start;
    for filter_y in 0..y_axis.taps {
        let Some(in_y) = y_axis.input_at(y_origin, filter_y) else {
            continue;
        };
        for filter_x in 0..x_axis.taps {
            let Some(in_x) = x_axis.input_at(x_origin, filter_x) else {
                continue;
            };
            acc = tap(acc, (filter_y, filter_x), (in_y, in_x))?;
        }
    }
    Ok(acc)
}

/// [`fold_window`] from the accumulator's zero.
pub(crate) fn accumulate_window<A: Accumulator>(
    y_axis: &WindowAxis,
    x_axis: &WindowAxis,
    out: (usize, usize),
    tap: impl FnMut(A, (usize, usize), (usize, usize)) -> Result<A, KernelError>,
) -> Result<A, KernelError> {
    fold_window(y_axis, x_axis, out, A::ZERO, tap)
}

/// A pool's window: strides, filter size and padding, each as (height, width).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PoolWindow {
    pub stride: (usize, usize),
    pub filter: (usize, usize),
    pub pad: (usize, usize),
}

impl PoolWindow {
    /// The window's (y, x) axes (undilated) over `input`, checked for `output`.
    pub fn axes(&self, input: Nhwc, output: Nhwc) -> Result<(WindowAxis, WindowAxis), KernelError> {
        let axis = |stride, taps, pad, input_len| WindowAxis {
            stride,
            dilation: 1,
            pad,
            taps,
            input_len,
        };
        let y = axis(self.stride.0, self.filter.0, self.pad.0, input.height);
        let x = axis(self.stride.1, self.filter.1, self.pad.1, input.width);
        y.check(output.height)?;
        x.check(output.width)?;
        Ok((y, x))
    }
}

/// Whether every output of `output` has a pool window with a tap inside the input
/// (TFLM fails an operator that averages an empty window).
pub(crate) fn every_window_has_taps(
    y_axis: &WindowAxis,
    x_axis: &WindowAxis,
    output: Nhwc,
) -> bool {
    (0..output.height).all(|y| !y_axis.clipped_taps(y_axis.origin(y)).is_empty())
        && (0..output.width).all(|x| !x_axis.clipped_taps(x_axis.origin(x)).is_empty())
}

/// The input `(in_y, in_x)` of every tap of the pool window at output `(out_y, out_x)`
/// inside the input (TFLM's clipped window), row by row, and their count.
pub(crate) fn clipped_window(
    y_axis: &WindowAxis,
    x_axis: &WindowAxis,
    (out_y, out_x): (usize, usize),
) -> (impl Iterator<Item = (usize, usize)>, usize) {
    let (y_origin, x_origin) = (y_axis.origin(out_y), x_axis.origin(out_x));
    let (rows, columns) = (y_axis.clipped_taps(y_origin), x_axis.clipped_taps(x_origin));
    let count = rows.len() * columns.len();
    // `clipped_taps` keeps every tap inside the input: the sums are non-negative.
    let taps = rows.flat_map(move |filter_y| {
        let in_y = (y_origin + filter_y as isize) as usize;
        columns
            .clone()
            .map(move |filter_x| (in_y, (x_origin + filter_x as isize) as usize))
    });
    (taps, count)
}

/// Checks that a convolution-like op's tensors agree: `input`/`output` lengths match
/// their shapes, batches agree, and `tile` lies within the output.
pub(crate) fn check_feature_maps(
    input_len: usize,
    input_shape: Nhwc,
    output_len: usize,
    output_shape: Nhwc,
    tile: OutputTile,
) -> Result<(), KernelError> {
    crate::error::expect_len(input_len, input_shape.element_count()?)?;
    crate::error::expect_len(output_len, output_shape.element_count()?)?;
    crate::error::expect_len(input_shape.batches, output_shape.batches)?;
    tile.check_within(output_shape.rows(), output_shape.channels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(stride: usize, pad: usize, taps: usize, input_len: usize) -> WindowAxis {
        WindowAxis {
            stride,
            dilation: 1,
            pad,
            taps,
            input_len,
        }
    }

    #[test]
    fn clipped_taps_match_tflm_window_bounds() {
        let a = axis(2, 1, 3, 5);
        // out 0: origin -1 -> taps 1..3 ; out 2: origin 3 -> taps 0..2.
        assert_eq!(a.clipped_taps(a.origin(0)), 1..3);
        assert_eq!(a.clipped_taps(a.origin(2)), 0..2);
        // A window entirely past the end is empty.
        assert!(a.clipped_taps(7).is_empty());
        assert!(a.clipped_taps(-5).is_empty());
    }

    #[test]
    fn zero_stride_or_huge_geometry_is_rejected() {
        assert_eq!(
            axis(0, 0, 1, 1).check(1),
            Err(KernelError::InvalidParameter)
        );
        assert_eq!(
            axis(usize::MAX / 2, 0, 1, 1).check(4),
            Err(KernelError::InvalidParameter)
        );
        assert!(axis(2, 1, 3, 5).check(3).is_ok());
    }
}
