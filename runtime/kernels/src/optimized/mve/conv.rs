//! CONV_2D on Helium: int8 windows, 64 multiply-adds in 9 instructions, and four
//! outputs requantized per vector.
//!
//! The input offset is folded out of the window, as the DSP depthwise kernel does:
//! `sum((x + input_offset) * w)` over the taps inside the input equals
//! `sum(x' * w) + input_offset * sum(w)` over all taps, with `x'` the input inside
//! and the input zero point (`-input_offset`) in the padding, whose products cancel.
//! The second term and the bias are one constant per output channel, made once per
//! call, which starts each channel's sums. So a window is plain int8: a filter row
//! wholly inside the input (every 1x1 convolution's window) is read where it lies,
//! and any other window is gathered into an int8 patch on the stack with the zero
//! point for its padding taps. Each pair of output channels is then one pass over
//! both filters and two pixels' windows ([`super::dot_2x2_i8`]), the sums of a pixel
//! pair's block of channels kept on the stack and requantized four at a time
//! ([`super::requantize`]). INT32 sums wrap, so the rearranged sums have the
//! reference's bits.
//!
//! Taken where the MVE paths are, for ungrouped convolutions with weights offset 0
//! (every TFLite int8 model), an input zero point within int8 and windows of at most
//! [`MAX_WINDOW`] elements; the other convolutions keep the DSP path.

use core::ops::Range;

use super::{dot_2x2_i8, requantize, BlockRequantization, BLOCK, MVE_PATHS};
use crate::conv::{ConvLayout, LinearQuantParams};
use crate::error::{elements, elements_mut, KernelError, KernelResult};
use crate::linear_output::Int8KernelOutput;
use crate::optimized::conv::Buffers;
use crate::shape::Nhwc;
use crate::split::OutputTile;

/// The longest window gathered (two on the stack: 2 KiB); ResNet-8's 3x3x64 is 576.
pub(crate) const MAX_WINDOW: usize = 1024;

/// The tensors of a CONV_2D call, as validated by [`ConvLayout::new`].
pub(crate) struct Conv<'a> {
    pub layout: &'a ConvLayout,
    pub quant: &'a LinearQuantParams<'a>,
    pub input_shape: Nhwc,
    pub filter: &'a [i8],
    pub filter_shape: Nhwc,
    pub bias: Option<&'a [i32]>,
    pub output_shape: Nhwc,
}

/// [`crate::optimized::conv::conv_2d`] and `conv_2d_overlapped` on Helium, if it
/// applies to `conv` (else `None`, and nothing was written). Each pixel pair's
/// windows are read before its outputs are written, and with one block of channels
/// every pixel's window is read once, which keeps an overlapped output's order.
pub(crate) fn conv_2d(
    conv: &Conv<'_>,
    buffers: &mut impl Buffers,
    tile: OutputTile,
) -> Option<KernelResult> {
    let Conv {
        layout,
        quant,
        input_shape,
        filter_shape,
        ..
    } = *conv;
    let zero_point = i8::try_from(quant.input_offset.wrapping_neg()).ok()?;
    let window = filter_shape.height * filter_shape.width * layout.filter_depth;
    let applies = MVE_PATHS
        && quant.weights_offset == 0
        && layout.filter_depth == input_shape.channels
        && (1..=MAX_WINDOW).contains(&window)
        && (tile.channels.len() <= BLOCK || buffers.input_stays());
    applies.then(|| compute(conv, buffers, tile, zero_point, window))
}

/// The sums' starts of a block's channels: bias plus the input offset term.
fn channel_starts(
    conv: &Conv<'_>,
    channels: Range<usize>,
    window: usize,
) -> Result<[i32; BLOCK], KernelError> {
    let mut starts = [0i32; BLOCK];
    for (start, channel) in starts.iter_mut().zip(channels) {
        let weights = elements(conv.filter, channel * window, window)?;
        let weight_sum = weights.iter().fold(0i32, |s, &w| s.wrapping_add(w.into()));
        let bias = conv
            .bias
            .and_then(|bias| bias.get(channel))
            .copied()
            .unwrap_or(0);
        *start = bias.wrapping_add(weight_sum.wrapping_mul(conv.quant.input_offset));
    }
    Ok(starts)
}

/// The window of one output pixel: where it lies in the input, read in place when
/// it is one contiguous run, else gathered into `patch`.
fn window_of<'a>(
    conv: &Conv<'_>,
    input: &'a [i8],
    pixel: usize,
    zero_point: i8,
    patch: &'a mut [i8; MAX_WINDOW],
) -> Result<&'a [i8], KernelError> {
    let Conv {
        layout,
        input_shape,
        output_shape,
        ..
    } = *conv;
    let (y_axis, x_axis) = (&layout.y_axis, &layout.x_axis);
    // `max(1)`: zero only for an empty tile, which has no pixels.
    let (row, out_x) = (
        pixel / output_shape.width.max(1),
        pixel % output_shape.width.max(1),
    );
    let (batch, out_y) = (
        row / output_shape.height.max(1),
        row % output_shape.height.max(1),
    );
    let (origin_y, origin_x) = (y_axis.origin(out_y), x_axis.origin(out_x));
    let depth = input_shape.channels;
    let row_len = x_axis.taps * depth;
    let first_x = x_axis.input_at(origin_x, 0);
    let row_inside = x_axis.dilation == 1
        && first_x.is_some()
        && x_axis
            .input_at(origin_x, x_axis.taps.saturating_sub(1))
            .is_some();
    let row_at = |in_y: usize| first_x.map(|in_x| input_shape.offset(batch, in_y, in_x, 0));
    if y_axis.taps == 1 && row_inside {
        if let Some(at) = y_axis.input_at(origin_y, 0).and_then(row_at) {
            return elements(input, at, row_len);
        }
    }
    let copy = |out: &mut [i8], from: Option<usize>| -> KernelResult {
        match from {
            Some(at) => {
                let len = out.len();
                for (o, &x) in out.iter_mut().zip(elements(input, at, len)?) {
                    *o = x;
                }
            }
            None => out.fill(zero_point),
        }
        Ok(())
    };
    // `max(1)`: a window without channels or columns gathers nothing.
    for (filter_y, out) in patch[..]
        .chunks_mut(row_len.max(1))
        .take(y_axis.taps)
        .enumerate()
    {
        let in_y = y_axis.input_at(origin_y, filter_y);
        if row_inside || in_y.is_none() {
            copy(out, in_y.and_then(row_at))?;
            continue;
        }
        for (filter_x, out) in out.chunks_mut(depth.max(1)).enumerate() {
            let at = in_y
                .zip(x_axis.input_at(origin_x, filter_x))
                .map(|(in_y, in_x)| input_shape.offset(batch, in_y, in_x, 0));
            copy(out, at)?;
        }
    }
    patch
        .get(..y_axis.taps * row_len)
        .ok_or(KernelError::ShapeMismatch)
}

/// The checked convolution, blocks of channels outermost (each block's constants
/// made once per call), then pairs of output pixels in NHW order (an odd last one
/// paired with itself).
fn compute(
    conv: &Conv<'_>,
    buffers: &mut impl Buffers,
    tile: OutputTile,
    zero_point: i8,
    window: usize,
) -> KernelResult {
    let quant = conv.quant;
    let width = conv.output_shape.width;
    let (first, end) = (tile.rows.start * width, tile.rows.end * width);
    let (mut patch_a, mut patch_b) = ([0i8; MAX_WINDOW], [0i8; MAX_WINDOW]);
    let mut block_start = tile.channels.start;
    while block_start < tile.channels.end {
        let block_end = tile.channels.end.min(block_start + BLOCK);
        let n = block_end - block_start;
        let starts = channel_starts(conv, block_start..block_end, window)?;
        let requantization = BlockRequantization::new(quant, block_start..block_end);
        let requantization = requantization.params(quant);
        let filters = elements(conv.filter, block_start * window, n * window)?;
        for pixel_a in (first..end).step_by(2) {
            let pixel_b = (pixel_a + 1).min(end - 1);
            let xa = window_of(conv, buffers.input(), pixel_a, zero_point, &mut patch_a)?;
            let xb = window_of(conv, buffers.input(), pixel_b, zero_point, &mut patch_b)?;
            let mut sums = [[0i32; BLOCK]; 2];
            let [sums_a, sums_b] = &mut sums;
            let pairs = filters
                .chunks(2 * window)
                .zip(starts[..n].chunks(2))
                .zip(sums_a[..n].chunks_mut(2).zip(sums_b[..n].chunks_mut(2)));
            for ((filters, starts), (sums_a, sums_b)) in pairs {
                let (fa, fb) = filters.split_at_checked(window).unwrap_or((filters, &[]));
                let fb = if fb.is_empty() { fa } else { fb };
                let start_a = starts.first().copied().unwrap_or(0);
                let start_b = starts.last().copied().unwrap_or(start_a);
                let [a_a, a_b, b_a, b_b] =
                    dot_2x2_i8(fa, fb, xa, xb, [start_a, start_a, start_b, start_b]);
                for ((sa, sb), (va, vb)) in
                    sums_a.iter_mut().zip(sums_b).zip([(a_a, a_b), (b_a, b_b)])
                {
                    (*sa, *sb) = (va, vb);
                }
            }
            let channels = conv.output_shape.channels;
            for (pixel, sums) in [(pixel_a, &sums[0]), (pixel_b, &sums[1])] {
                let out = elements_mut(buffers.output(), pixel * channels + block_start, n)?;
                Int8KernelOutput::store_sums(&sums[..n], out, |sums, out| {
                    requantize(sums, &requantization, out)
                });
            }
        }
        block_start = block_end;
    }
    Ok(())
}
