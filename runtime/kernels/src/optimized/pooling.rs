//! [`crate::pooling`] kernels with the window walked once per output pixel.
//!
//! The reference visits the window of every output element separately, computing
//! each tap's input index. Here each output pixel's window is clipped once, and every
//! tap adds a contiguous run of channels into a block of accumulators, a loop the
//! compiler vectorizes. Sums, maxima, rounding and clamping are the reference's.

use crate::element::QuantElement;
use crate::error::{elements, KernelError, KernelResult};
pub use crate::pooling::PoolParams;
use crate::pooling::{checked_pool_axes, rounded_average, PoolKind};
use crate::shape::Nhwc;
use crate::split::OutputTile;

/// Channels reduced together: the accumulators stay on the stack.
const BLOCK: usize = 64;

/// Computes the `tile` part of a pool's output: `fold` accumulates one tap into an
/// accumulator (from `init`), `finish(acc, taps)` turns the accumulator of a window
/// of `taps` taps into the value before the activation clamp.
#[allow(clippy::too_many_arguments)]
fn pool<T: QuantElement>(
    kind: PoolKind,
    params: &PoolParams,
    input: &[T],
    input_shape: Nhwc,
    output: &mut [T],
    output_shape: Nhwc,
    tile: OutputTile,
    init: i32,
    fold: impl Fn(i32, i32) -> i32,
    finish: impl Fn(i32, i32) -> i32,
) -> KernelResult {
    let (y_axis, x_axis) = checked_pool_axes(
        kind,
        params,
        (input.len(), input_shape),
        (output.len(), output_shape),
        tile,
    )?;
    let channels = tile.channels;
    // Zero only without rows (an empty tile).
    let height = output_shape.height.max(1);
    for row in tile.rows.indices() {
        let (batch, out_y) = (row / height, row % height);
        let y_origin = y_axis.origin(out_y);
        let ys = y_axis.clipped_taps(y_origin);
        for out_x in 0..output_shape.width {
            let x_origin = x_axis.origin(out_x);
            let xs = x_axis.clipped_taps(x_origin);
            let taps = (ys.len() * xs.len()) as i32;
            let out_base = output_shape.offset(batch, out_y, out_x, 0);
            let mut start = channels.start;
            while start < channels.end {
                let n = (channels.end - start).min(BLOCK);
                let mut acc = [init; BLOCK];
                let acc = &mut acc[..n];
                for fy in ys.clone() {
                    let in_y = (y_origin + fy as isize) as usize;
                    for fx in xs.clone() {
                        let in_x = (x_origin + fx as isize) as usize;
                        let at = input_shape.offset(batch, in_y, in_x, start);
                        for (a, &v) in acc.iter_mut().zip(elements(input, at, n)?) {
                            *a = fold(*a, v.widen());
                        }
                    }
                }
                let out = output
                    .get_mut(out_base + start..out_base + start + n)
                    .ok_or(KernelError::RangeOutOfBounds)?;
                for (o, &a) in out.iter_mut().zip(acc.iter()) {
                    *o = T::saturate(params.activation.apply(finish(a, taps)));
                }
                start += n;
            }
        }
    }
    Ok(())
}

/// [`crate::pooling::average_pool_2d`], same results and errors.
pub fn average_pool_2d<T: QuantElement>(
    params: &PoolParams,
    input: &[T],
    input_shape: Nhwc,
    output: &mut [T],
    output_shape: Nhwc,
    tile: OutputTile,
) -> KernelResult {
    pool(
        PoolKind::Average,
        params,
        input,
        input_shape,
        output,
        output_shape,
        tile,
        0,
        i32::wrapping_add,
        rounded_average,
    )
}

/// [`crate::pooling::max_pool_2d`], same results and errors.
pub fn max_pool_2d<T: QuantElement>(
    params: &PoolParams,
    input: &[T],
    input_shape: Nhwc,
    output: &mut [T],
    output_shape: Nhwc,
    tile: OutputTile,
) -> KernelResult {
    pool(
        PoolKind::Max,
        params,
        input,
        input_shape,
        output,
        output_shape,
        tile,
        T::MIN,
        i32::max,
        |acc, _| acc,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pooling as reference;
    use crate::quant::ActivationRange;
    use crate::test_util::{check_tile_split, pseudo_random_i8};

    /// Both pools over one geometry, compared with the reference on every tile split.
    fn check<T: QuantElement + Default + core::fmt::Debug>(
        p: &PoolParams,
        input: &[T],
        input_shape: Nhwc,
        output_shape: Nhwc,
    ) {
        let n = output_shape.element_count().unwrap();
        let full = OutputTile::full(output_shape.rows(), output_shape.channels);
        for average in [false, true] {
            let run = |reference: bool, tile, out: &mut [T]| match (average, reference) {
                (true, true) => {
                    reference::average_pool_2d(p, input, input_shape, out, output_shape, tile)
                }
                (true, false) => average_pool_2d(p, input, input_shape, out, output_shape, tile),
                (false, true) => {
                    reference::max_pool_2d(p, input, input_shape, out, output_shape, tile)
                }
                (false, false) => max_pool_2d(p, input, input_shape, out, output_shape, tile),
            };
            let mut expected = vec![T::default(); n];
            let result = run(true, full, &mut expected);
            let mut got = vec![T::default(); n];
            assert_eq!(run(false, full, &mut got), result, "{p:?}");
            if result.is_err() {
                continue;
            }
            assert_eq!(got, expected, "{p:?} average {average}");
            let split = check_tile_split(
                output_shape.rows(),
                output_shape.width,
                output_shape.channels,
                T::default(),
                |tile, out| run(false, tile, out).unwrap(),
            );
            assert_eq!(split, expected);
        }
    }

    #[test]
    fn equals_reference_on_many_geometries() {
        let mut seed = 1;
        for channels in [1, 3, 8, 70, 130] {
            for (filter, stride, pad) in [
                (1, 1, 0),
                (2, 2, 0),
                (3, 1, 1),
                (3, 2, 1),
                (3, 2, 0),
                (2, 1, 1),
            ] {
                seed += 1;
                let input_shape = Nhwc::new(2, 5, 6, channels);
                let out_len = |len: usize| (len + 2 * pad - filter) / stride + 1;
                let output_shape = Nhwc::new(2, out_len(5), out_len(6), channels);
                let p = PoolParams {
                    stride_height: stride,
                    stride_width: stride,
                    filter_height: filter,
                    filter_width: filter,
                    pad_top: pad,
                    pad_left: pad,
                    activation: ActivationRange {
                        min: -100,
                        max: 120,
                    },
                };
                let input = pseudo_random_i8(input_shape.element_count().unwrap(), seed);
                check(&p, &input, input_shape, output_shape);
                let wide: Vec<i16> = input.iter().map(|&v| i16::from(v) * 251).collect();
                let wide_params = PoolParams {
                    activation: ActivationRange::full::<i16>(),
                    ..p
                };
                check(&wide_params, &wide, input_shape, output_shape);
            }
        }
    }

    #[test]
    fn empty_average_window_fails_like_the_reference() {
        let p = PoolParams {
            stride_height: 1,
            stride_width: 1,
            filter_height: 2,
            filter_width: 2,
            pad_top: 3,
            pad_left: 3,
            activation: ActivationRange::full::<i8>(),
        };
        check(
            &p,
            &[1i8, 2, 3, 4],
            Nhwc::new(1, 2, 2, 1),
            Nhwc::new(1, 1, 1, 1),
        );
    }
}
