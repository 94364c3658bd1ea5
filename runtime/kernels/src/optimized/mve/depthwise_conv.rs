//! DEPTHWISE_CONV_2D on Helium, depth multiplier 1: sixteen channels of a pixel per
//! pass over its taps, the sums in vector registers, and four outputs requantized
//! per vector.
//!
//! The input offset is folded out of the taps as in [`super::conv`]: padding taps
//! read a run of the input zero point, and each channel's sums start from its bias
//! plus `input_offset * sum(w)` over all taps. Per block of up to [`BLOCK`]
//! channels the tap list holds each tap's weight run (set once per block) and input
//! run (set per output pixel); each sixteen channels are then one pass over the
//! list ([`super::depthwise_sums`]: per tap, per four channels, two widening VLDRB,
//! VMUL and VADD), then four at a time, then the last `n % 4` one by one.
//!
//! Taken where the MVE paths are, for depth multiplier 1, weights offset 0 (every
//! TFLite int8 model), an input zero point within int8 and at most [`MAX_TAPS`]
//! taps; the other layers keep the DSP path.

use super::{depthwise_sums, requantize, BlockRequantization, TapRuns, BLOCK, MVE_PATHS};
use crate::conv::LinearQuantParams;
use crate::error::{elements, elements_mut, KernelError, KernelResult};
use crate::linear_output::Int8KernelOutput;
use crate::optimized::depthwise_conv::for_each_tap_input;
use crate::shape::Nhwc;
use crate::spatial::WindowAxis;
use crate::split::OutputTile;

/// The most taps a window may have (a 7x7 window has 49).
pub(crate) const MAX_TAPS: usize = 64;

/// The tensors of a DEPTHWISE_CONV_2D call, as validated by
/// [`crate::depthwise_conv::checked_depthwise_axes`].
pub(crate) struct Depthwise<'a> {
    pub y_axis: &'a WindowAxis,
    pub x_axis: &'a WindowAxis,
    pub quant: &'a LinearQuantParams<'a>,
    pub input: &'a [i8],
    pub input_shape: Nhwc,
    pub filter: &'a [i8],
    pub filter_shape: Nhwc,
    pub bias: Option<&'a [i32]>,
    pub output_shape: Nhwc,
}

/// [`crate::optimized::depthwise_conv::depthwise_conv_2d`] on Helium, if it
/// applies (else `None`, and nothing was written).
pub(crate) fn depthwise_conv_2d<O: Int8KernelOutput>(
    conv: &Depthwise<'_>,
    depth_multiplier: usize,
    output: &mut [O],
    tile: OutputTile,
) -> Option<KernelResult> {
    let quant = conv.quant;
    let zero_point = i8::try_from(quant.input_offset.wrapping_neg()).ok()?;
    let applies = MVE_PATHS
        && depth_multiplier == 1
        && quant.weights_offset == 0
        && conv.y_axis.taps * conv.x_axis.taps <= MAX_TAPS;
    applies.then(|| compute(conv, output, tile, zero_point))
}

fn compute<O: Int8KernelOutput>(
    conv: &Depthwise<'_>,
    output: &mut [O],
    tile: OutputTile,
    zero_point: i8,
) -> KernelResult {
    let Depthwise {
        y_axis,
        x_axis,
        quant,
        input,
        input_shape,
        filter,
        filter_shape,
        bias,
        output_shape,
    } = *conv;
    let taps = y_axis.taps * x_axis.taps;
    let padding = [zero_point; BLOCK];
    // Every pixel's sums, written over (not zeroed) per pixel.
    let mut all_sums = [0i32; BLOCK];
    let mut block_start = tile.channels.start;
    while block_start < tile.channels.end {
        let block_end = tile.channels.end.min(block_start + BLOCK);
        let n = block_end - block_start;
        let padding = padding.get(..n).ok_or(KernelError::InvalidParameter)?;
        let mut runs = TapRuns::new(input, filter, padding);
        let mut starts = [0i32; BLOCK];
        for (start, channel) in starts.iter_mut().zip(block_start..block_end) {
            *start = bias
                .and_then(|bias| bias.get(channel))
                .copied()
                .unwrap_or(0);
        }
        for tap in 0..taps {
            let weights_at = tap * filter_shape.channels + block_start;
            for (start, &w) in starts.iter_mut().zip(elements(filter, weights_at, n)?) {
                *start = start.wrapping_add(i32::from(w).wrapping_mul(quant.input_offset));
            }
            runs.push(weights_at)?;
        }
        let requantization = BlockRequantization::new(quant, block_start..block_end);
        let requantization = requantization.params(quant);
        // `max(1)`: zero only for an empty tile.
        let height = output_shape.height.max(1);
        for row in tile.rows.indices() {
            let (batch, out_y) = (row / height, row % height);
            for out_x in 0..output_shape.width {
                for_each_tap_input(
                    (y_axis, x_axis),
                    input_shape,
                    (batch, out_y, out_x),
                    block_start,
                    |tap, at| runs.set_input(tap, at),
                )?;
                let sums = all_sums.get_mut(..n).ok_or(KernelError::InvalidParameter)?;
                depthwise_sums(&runs, &starts, sums)?;
                let at = output_shape.offset(batch, out_y, out_x, block_start);
                Int8KernelOutput::store_sums(sums, elements_mut(output, at, n)?, |sums, out| {
                    requantize(sums, &requantization, out)
                });
            }
        }
        block_start = block_end;
    }
    Ok(())
}
