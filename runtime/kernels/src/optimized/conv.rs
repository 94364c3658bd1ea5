//! [`crate::conv`] with each output pixel's input patch gathered once.
//!
//! The reference walks the window again for every output channel, indexing every
//! tap. Here the window of an output pixel is gathered once into a patch of
//! `input + input_offset` values in the caller's scratch (zeros for taps in the padding, which the reference
//! skips: they add `weight * 0`), laid out like one filter (`[H, W, depth]`). Each
//! output channel is then one dot product of the patch with its contiguous filter, a
//! loop the compiler vectorizes. This matters most for few input channels (a
//! 1-channel first layer does one multiply per tap in the reference). INT32 sums
//! wrap, so summing in another order gives the same bits.
//!
//! The scratch is the one argument the reference does not take: tinymlc plans it in
//! the arena, one per core, `min(window, 512)` elements (see `scratch_len`). A
//! window longer than the scratch is summed chunk by chunk, for a block of output
//! channels at a time.
//!
//! [`conv_2d_overlapped`] has no reference twin: it is this kernel run over one
//! buffer in which the output is written over input no later pixel reads, which
//! the pixel-by-pixel order here (every read of a pixel's window before its writes)
//! makes safe; tests compare it with the reference on separate buffers.

use core::ops::Range;

use crate::conv::ConvLayout;
pub use crate::conv::{ConvGeometry, LinearQuantParams};
use crate::error::{elements, KernelError, KernelResult};
use crate::linear_output::Int8KernelOutput;
use crate::optimized::dsp::{lanes, FAST_PATHS};
use crate::optimized::mat_mult::{dot_2x2, interleave, widen_pair};
use crate::optimized::mve;
use crate::quant::{ActivationRange, OffsetRequantizer, QuantizedMultiplier, Requantizer};
use crate::shape::Nhwc;
use crate::spatial::WindowAxis;
use crate::split::OutputTile;

/// Output channels accumulated together on the stack (256 bytes) when the window is
/// gathered in chunks; each block gathers the window once.
const BLOCK: usize = 64;

/// The longest window part the DSP pair kernel gathers at a time: the second
/// pixel's is gathered on the stack (512 bytes), the first in the scratch.
const PAIR_WINDOW: usize = 256;

/// Whether `input + input_offset` fits an `i16` for every `i8` input, so that the
/// patch can hold it (always, for TFLM's offsets `-zero_point`).
#[inline]
pub(crate) fn offset_fits_i16(input_offset: i32) -> bool {
    (i32::from(i16::MIN) - i32::from(i8::MIN)..=i32::from(i16::MAX) - i32::from(i8::MAX))
        .contains(&input_offset)
}

/// `sum(x * w)` over a patch chunk and the matching filter chunk, wrapping.
#[inline(always)]
pub(crate) fn dot(patch: &[i16], weights: &[i8]) -> i32 {
    patch.iter().zip(weights).fold(0i32, |acc, (&x, &w)| {
        acc.wrapping_add(i32::from(x) * i32::from(w))
    })
}

/// The window of one output pixel over one group's input channels.
struct Window {
    input_shape: Nhwc,
    input_offset: i32,
    batch: usize,
    /// Input coordinates of tap (0, 0).
    origin: (isize, isize),
    /// First input channel of the group.
    channel_base: usize,
    depth: usize,
    filter_width: usize,
}

impl Window {
    /// Writes patch elements `from..from + patch.len()` (flat `[H, W, depth]`
    /// indices) as `input + input_offset`, or 0 for taps outside the input.
    fn gather(
        &self,
        input: &[i8],
        (y_axis, x_axis): (&WindowAxis, &WindowAxis),
        from: usize,
        patch: &mut [i16],
    ) -> KernelResult {
        if from == 0 && patch.len() == y_axis.taps * x_axis.taps * self.depth {
            return self.gather_whole(input, (y_axis, x_axis), patch);
        }
        // `max(1)`: a window without channels or columns gathers nothing.
        let (depth, filter_width) = (self.depth.max(1), self.filter_width.max(1));
        let mut filled = 0;
        while filled < patch.len() {
            let at = from + filled;
            let (tap, channel) = (at / depth, at % depth);
            let run = (depth - channel).min(patch.len() - filled);
            let out = patch
                .get_mut(filled..filled + run)
                .ok_or(KernelError::RangeOutOfBounds)?;
            let (filter_y, filter_x) = (tap / filter_width, tap % filter_width);
            match (
                y_axis.input_at(self.origin.0, filter_y),
                x_axis.input_at(self.origin.1, filter_x),
            ) {
                (Some(in_y), Some(in_x)) => {
                    let base = self.input_shape.offset(
                        self.batch,
                        in_y,
                        in_x,
                        self.channel_base + channel,
                    );
                    for (p, &x) in out.iter_mut().zip(elements(input, base, run)?) {
                        // In range: offset_fits_i16 was checked.
                        *p = (i32::from(x) + self.input_offset) as i16;
                    }
                }
                _ => out.fill(0),
            }
            filled += run;
        }
        Ok(())
    }

    /// [`Self::gather`] of the whole window, filter row by filter row: a row whose
    /// taps all lie inside the input and are adjacent (no dilation) is one
    /// contiguous input run of `filter_width * depth` elements, copied in one loop
    /// (a first layer of one input channel otherwise copies runs of one element).
    /// Padding taps are zeros, as in [`Self::gather`].
    fn gather_whole(
        &self,
        input: &[i8],
        (y_axis, x_axis): (&WindowAxis, &WindowAxis),
        patch: &mut [i16],
    ) -> KernelResult {
        let row_len = x_axis.taps * self.depth;
        if row_len == 0 {
            return Ok(());
        }
        let last_tap = x_axis.taps - 1;
        // One group: a tap's channels are all of the pixel's, so adjacent taps abut.
        let row_inside = self.depth == self.input_shape.channels
            && x_axis.dilation == 1
            && x_axis.input_at(self.origin.1, 0).is_some()
            && x_axis.input_at(self.origin.1, last_tap).is_some();
        let offset = self.input_offset;
        let widen = |out: &mut [i16], run: &[i8]| {
            for (p, &x) in out.iter_mut().zip(run) {
                // In range: offset_fits_i16 was checked.
                *p = (i32::from(x) + offset) as i16;
            }
        };
        for (filter_y, row) in patch.chunks_exact_mut(row_len).enumerate() {
            let Some(in_y) = y_axis.input_at(self.origin.0, filter_y) else {
                row.fill(0);
                continue;
            };
            if row_inside {
                let in_x = self.origin.1 as usize;
                let base = self
                    .input_shape
                    .offset(self.batch, in_y, in_x, self.channel_base);
                widen(row, elements(input, base, row_len)?);
                continue;
            }
            // Not zero: `row_len` is not.
            for (filter_x, tap) in row.chunks_exact_mut(self.depth.max(1)).enumerate() {
                match x_axis.input_at(self.origin.1, filter_x) {
                    Some(in_x) => {
                        let base =
                            self.input_shape
                                .offset(self.batch, in_y, in_x, self.channel_base);
                        widen(tap, elements(input, base, self.depth)?);
                    }
                    None => tap.fill(0),
                }
            }
        }
        Ok(())
    }
}

/// [`crate::conv::conv_2d`], same results and errors, gathering windows into
/// `scratch` (any non-empty length; [`KernelError::EmptyScratch`] if empty).
#[allow(clippy::too_many_arguments)]
pub fn conv_2d(
    geometry: &ConvGeometry,
    quant: &LinearQuantParams,
    input: &[i8],
    input_shape: Nhwc,
    filter: &[i8],
    filter_shape: Nhwc,
    bias: Option<&[i32]>,
    output: &mut [i8],
    output_shape: Nhwc,
    tile: OutputTile,
    scratch: &mut [i16],
) -> KernelResult {
    conv_2d_into(
        geometry,
        quant,
        input,
        input_shape,
        filter,
        filter_shape,
        bias,
        output,
        output_shape,
        tile,
        scratch,
    )
}

/// [`conv_2d`] writing the int32 accumulators (bias included) instead of int8 outputs
/// ([`crate::linear_output`]).
#[allow(clippy::too_many_arguments)]
pub fn conv_2d_accumulators(
    geometry: &ConvGeometry,
    quant: &LinearQuantParams,
    input: &[i8],
    input_shape: Nhwc,
    filter: &[i8],
    filter_shape: Nhwc,
    bias: Option<&[i32]>,
    output: &mut [i32],
    output_shape: Nhwc,
    tile: OutputTile,
    scratch: &mut [i16],
) -> KernelResult {
    conv_2d_into(
        geometry,
        quant,
        input,
        input_shape,
        filter,
        filter_shape,
        bias,
        output,
        output_shape,
        tile,
        scratch,
    )
}

/// Both forms: generic over the output, instantiated here for each (not in every model's
/// crate, where a size-optimized build would not inline the helpers of its loops).
#[allow(clippy::too_many_arguments)]
fn conv_2d_into<O: Int8KernelOutput>(
    geometry: &ConvGeometry,
    quant: &LinearQuantParams,
    input: &[i8],
    input_shape: Nhwc,
    filter: &[i8],
    filter_shape: Nhwc,
    bias: Option<&[i32]>,
    output: &mut [O],
    output_shape: Nhwc,
    tile: OutputTile,
    scratch: &mut [i16],
) -> KernelResult {
    let layout = ConvLayout::new::<O, i32>(
        geometry,
        quant,
        (input.len(), input_shape),
        (filter.len(), filter_shape),
        bias,
        (output.len(), output_shape),
        tile,
    )?;
    if scratch.is_empty() {
        return Err(KernelError::EmptyScratch);
    }
    let mut buffers = Apart { input, output };
    let weights = Weights {
        filter,
        shape: filter_shape,
        bias,
    };
    let shapes = (input_shape, output_shape);
    if let Some(done) = helium(&layout, quant, &weights, &mut buffers, shapes, tile) {
        return done;
    }
    if !offset_fits_i16(quant.input_offset) {
        return crate::conv::conv_2d(
            geometry,
            quant,
            input,
            input_shape,
            filter,
            filter_shape,
            bias,
            output,
            output_shape,
            tile,
        );
    }
    compute(
        &layout,
        quant,
        &weights,
        &mut buffers,
        (input_shape, output_shape),
        tile,
        scratch,
    )
}

/// The convolution on Helium ([`mve::conv`]), if it applies.
fn helium(
    layout: &ConvLayout,
    quant: &LinearQuantParams,
    weights: &Weights<'_>,
    buffers: &mut impl Buffers,
    (input_shape, output_shape): (Nhwc, Nhwc),
    tile: OutputTile,
) -> Option<KernelResult> {
    let conv = mve::conv::Conv {
        layout,
        quant,
        input_shape,
        filter: weights.filter,
        filter_shape: weights.shape,
        bias: weights.bias,
        output_shape,
    };
    mve::conv::conv_2d(&conv, buffers, tile)
}

/// Where a convolution reads its input and writes its output: two slices, or one
/// buffer in which the output overwrites input already read.
pub(crate) trait Buffers {
    /// The output element: int8, or an int32 accumulator.
    type Output: Int8KernelOutput;
    fn input(&self) -> &[i8];
    fn output(&mut self) -> &mut [Self::Output];
    /// Whether writing the output leaves the input as it was.
    fn input_stays(&self) -> bool;
}

struct Apart<'a, O> {
    input: &'a [i8],
    output: &'a mut [O],
}

impl<O: Int8KernelOutput> Buffers for Apart<'_, O> {
    type Output = O;
    fn input(&self) -> &[i8] {
        self.input
    }
    fn output(&mut self) -> &mut [O] {
        self.output
    }
    fn input_stays(&self) -> bool {
        true
    }
}

struct Overlapped<'a> {
    data: &'a mut [i8],
    input: Range<usize>,
    output: Range<usize>,
}

impl Buffers for Overlapped<'_> {
    type Output = i8;
    // Empty (the gathers and writes then fail) only if `span` had not checked the ranges.
    fn input(&self) -> &[i8] {
        self.data.get(self.input.clone()).unwrap_or_default()
    }
    fn output(&mut self) -> &mut [i8] {
        self.data.get_mut(self.output.clone()).unwrap_or_default()
    }
    fn input_stays(&self) -> bool {
        self.input.end <= self.output.start || self.output.end <= self.input.start
    }
}

/// A CONV_2D's filter (OHWI) and optional bias.
struct Weights<'a> {
    filter: &'a [i8],
    shape: Nhwc,
    bias: Option<&'a [i32]>,
}

/// The checked convolution, output pixel after output pixel in NHW order: each
/// pixel's window is read (all of it, for every block of channels) before the
/// pixel's outputs are written, which [`conv_2d_overlapped`] relies on.
fn compute(
    layout: &ConvLayout,
    quant: &LinearQuantParams,
    weights: &Weights<'_>,
    buffers: &mut impl Buffers,
    (input_shape, output_shape): (Nhwc, Nhwc),
    tile: OutputTile,
    patch: &mut [i16],
) -> KernelResult {
    let Weights {
        filter,
        shape: filter_shape,
        bias,
    } = *weights;
    let axes = (&layout.y_axis, &layout.x_axis);
    let patch_len = filter_shape.height * filter_shape.width * layout.filter_depth;
    // Grouped convolutions keep the one-pixel loop: a pair would write the second
    // pixel's first group before reading the first pixel's next group, which an
    // overlapped output may have overwritten.
    let one_group = layout.filter_depth == input_shape.channels;
    // The pair kernel takes channels in blocks outermost, reading every window once
    // per block: an overlapped output would have overwritten the input by the second.
    let one_block = tile.channels.len() <= BLOCK;
    if FAST_PATHS
        && one_group
        && patch_len > 0
        && pair_chunk(patch_len, patch.len()).is_some()
        && (one_block || buffers.input_stays())
    {
        return compute_pairs(
            layout,
            quant,
            weights,
            buffers,
            (input_shape, output_shape),
            tile,
            patch,
        );
    }
    // `max(1)`: zero only for an empty tile.
    let height = output_shape.height.max(1);
    let filters_per_group = layout.filters_per_group.max(1);
    for row in tile.rows.indices() {
        let (batch, out_y) = (row / height, row % height);
        for out_x in 0..output_shape.width {
            let out_base = output_shape.offset(batch, out_y, out_x, 0);
            let mut channel = tile.channels.start;
            while channel < tile.channels.end {
                // The output channels of one group in the tile share a patch; a
                // window longer than the scratch is gathered chunk by chunk for a
                // block of output channels at a time.
                let group = channel / filters_per_group;
                let group_end = ((group + 1) * filters_per_group).min(tile.channels.end);
                let window = Window {
                    input_shape,
                    input_offset: quant.input_offset,
                    batch,
                    origin: (layout.y_axis.origin(out_y), layout.x_axis.origin(out_x)),
                    channel_base: group * layout.filter_depth,
                    depth: layout.filter_depth,
                    filter_width: filter_shape.width,
                };
                if patch_len <= patch.len() {
                    // One gather serves the whole group; no accumulators to keep.
                    let patch = &mut patch[..patch_len];
                    window.gather(buffers.input(), axes, 0, patch)?;
                    let patch = &*patch;
                    let weights_term = weights_offset_term(quant.weights_offset, patch);
                    let output = buffers.output();
                    for oc in channel..group_end {
                        let weights = elements(filter, oc * patch_len, patch_len)?;
                        let acc = dot(patch, weights).wrapping_add(weights_term);
                        *output
                            .get_mut(out_base + oc)
                            .ok_or(KernelError::RangeOutOfBounds)? =
                            Int8KernelOutput::finish_unprepared(quant, acc, bias, oc);
                    }
                    channel = group_end;
                    continue;
                }
                let block_end = group_end.min(channel + BLOCK);
                let mut acc = [0i32; BLOCK];
                let acc = acc
                    .get_mut(..block_end.wrapping_sub(channel))
                    .ok_or(KernelError::InvalidParameter)?;
                let mut from = 0;
                while from < patch_len {
                    let chunk_len = (patch_len - from).min(patch.len());
                    let chunk = &mut patch[..chunk_len];
                    window.gather(buffers.input(), axes, from, chunk)?;
                    let chunk = &*chunk;
                    let weights_term = weights_offset_term(quant.weights_offset, chunk);
                    for (oc, a) in (channel..).zip(acc.iter_mut()) {
                        let weights = elements(filter, oc * patch_len + from, chunk.len())?;
                        *a = a
                            .wrapping_add(dot(chunk, weights))
                            .wrapping_add(weights_term);
                    }
                    from += chunk.len();
                }
                let output = buffers.output();
                for (oc, &a) in (channel..).zip(acc.iter()) {
                    *output
                        .get_mut(out_base + oc)
                        .ok_or(KernelError::RangeOutOfBounds)? =
                        Int8KernelOutput::finish_unprepared(quant, a, bias, oc);
                }
                channel = block_end;
            }
        }
    }
    Ok(())
}

/// The window length the pair kernel gathers at a time for windows of `patch_len`
/// with a scratch of `scratch_len`: the whole window if both hold it, else the
/// largest multiple of four both hold (chunks then start at packed-group
/// boundaries). `None` if that is less than one group.
#[inline]
fn pair_chunk(patch_len: usize, scratch_len: usize) -> Option<usize> {
    let room = PAIR_WINDOW.min(scratch_len);
    if patch_len <= room {
        Some(patch_len)
    } else {
        Some(room - room % 4).filter(|&chunk| chunk > 0)
    }
}

/// [`compute`] two output pixels at a time with [`dot_2x2`] (CMSIS-NN's im2col
/// and matrix-product scheme): both pixels' windows are gathered, one into
/// `scratch`, the other on the stack, and interleaved into pair order on the stack
/// ([`interleave`]), then every pair of output channels is
/// one pass over the two filters. A window longer than [`pair_chunk`] is gathered
/// and summed chunk by chunk, the sums of each channel pair kept on the stack. One
/// group only. An odd pixel or channel out is paired with itself. Both windows are
/// read before either pixel's outputs are written, which keeps
/// [`conv_2d_overlapped`]'s order for ungrouped convolutions (the caller's
/// condition).
#[inline(never)]
fn compute_pairs(
    layout: &ConvLayout,
    quant: &LinearQuantParams,
    weights: &Weights<'_>,
    buffers: &mut impl Buffers,
    (input_shape, output_shape): (Nhwc, Nhwc),
    tile: OutputTile,
    scratch: &mut [i16],
) -> KernelResult {
    let Weights {
        filter,
        shape: filter_shape,
        bias,
    } = *weights;
    let axes = (&layout.y_axis, &layout.x_axis);
    let patch_len = filter_shape.height * filter_shape.width * layout.filter_depth;
    // The caller checked that there is a chunk.
    let chunk = pair_chunk(patch_len, scratch.len()).unwrap_or(patch_len);
    let patch_a = scratch
        .get_mut(..chunk)
        .ok_or(KernelError::InvalidParameter)?;
    let mut patch_b = [0i16; PAIR_WINDOW];
    let patch_b = patch_b
        .get_mut(..chunk)
        .ok_or(KernelError::InvalidParameter)?;
    let mut both = [0u32; PAIR_WINDOW];
    let both = both.get_mut(..chunk).ok_or(KernelError::InvalidParameter)?;
    let width = output_shape.width;
    // `max(1)`: zero only for an empty tile.
    let (divisor_width, height) = (width.max(1), output_shape.height.max(1));
    let window = |pixel: usize| {
        let (row, out_x) = (pixel / divisor_width, pixel % divisor_width);
        let (batch, out_y) = (row / height, row % height);
        Window {
            input_shape,
            input_offset: quant.input_offset,
            batch,
            origin: (layout.y_axis.origin(out_y), layout.x_axis.origin(out_x)),
            channel_base: 0,
            depth: layout.filter_depth,
            filter_width: filter_shape.width,
        }
    };
    let (first, end) = (tile.rows.start * width, tile.rows.end * width);
    // A 1x1 window without a weights offset is one input run, widened straight into
    // pair order (no gather, no interleave) wherever it lies inside the input.
    let pointwise =
        filter_shape.height == 1 && filter_shape.width == 1 && quant.weights_offset == 0;
    // In range: the caller checked offset_fits_i16.
    let offset = quant.input_offset as i16;
    let offsets = lanes(&[offset, offset]);
    // Blocks of channels outermost, so that each channel's bias and multiplier are
    // prepared once per call; every pixel pair's windows are gathered once per block.
    let mut block_start = tile.channels.start;
    while block_start < tile.channels.end {
        let block_end = tile.channels.end.min(block_start + BLOCK);
        let mut outputs = [ChannelOutput::unused(); BLOCK];
        let outputs = outputs
            .get_mut(..block_end - block_start)
            .ok_or(KernelError::InvalidParameter)?;
        for (prepared, oc) in outputs.iter_mut().zip(block_start..) {
            *prepared = ChannelOutput::new(quant, bias, oc);
        }
        let outputs = &*outputs;
        let block_filters = elements(filter, block_start * patch_len, outputs.len() * patch_len)?;
        for pixel_a in (first..end).step_by(2) {
            let pixel_b = (pixel_a + 1).min(end - 1);
            // Both pixels' outputs of the block, computed into the stack and then
            // copied, so that the channel loop indexes nothing it must check.
            let mut results = [[<_ as Default>::default(); 2]; BLOCK];
            let results = &mut results[..outputs.len()];
            let pairs = outputs.chunks(2).zip(results.chunks_mut(2));
            let (patch_a, patch_b, both) = (&mut *patch_a, &mut *patch_b, &mut *both);
            if chunk == patch_len {
                let runs = pointwise.then(|| {
                    let run = |pixel: usize| {
                        let window = window(pixel);
                        let in_y = layout.y_axis.input_at(window.origin.0, 0)?;
                        let in_x = layout.x_axis.input_at(window.origin.1, 0)?;
                        let base = input_shape.offset(window.batch, in_y, in_x, 0);
                        elements(buffers.input(), base, patch_len).ok()
                    };
                    Some((run(pixel_a)?, run(pixel_b)?))
                });
                let terms = if let Some(Some((run_a, run_b))) = runs {
                    widen_pair(run_a, run_b, offsets, both);
                    // `pointwise`: no weights offset.
                    (0, 0)
                } else {
                    window(pixel_a).gather(buffers.input(), axes, 0, patch_a)?;
                    window(pixel_b).gather(buffers.input(), axes, 0, patch_b)?;
                    interleave(patch_a, patch_b, both);
                    (
                        weights_offset_term(quant.weights_offset, patch_a),
                        weights_offset_term(quant.weights_offset, patch_b),
                    )
                };
                let both = &*both;
                // The filters of each channel pair (the last one alone for an odd
                // block), taken from the block's filters without an index check.
                // `max(1)`: the caller takes this kernel only for windows of one
                // element or more; it keeps `chunks` free of its zero-size panic.
                let filter_pairs = block_filters.chunks(patch_len.saturating_mul(2).max(1));
                for ((pair, result), filters) in pairs.zip(filter_pairs) {
                    let (row_a, row_b) = filters
                        .split_at_checked(patch_len)
                        .unwrap_or((filters, &[]));
                    let row_b = if row_b.is_empty() { row_a } else { row_b };
                    let sums = dot_2x2(row_a, row_b, both);
                    finish_pair(quant, pair, result, sums, terms);
                }
            } else {
                // Per channel pair: filter a with pixels a and b, filter b with a and b.
                let mut sums = [[0i32; 4]; BLOCK / 2];
                let sums = sums
                    .get_mut(..outputs.len().div_ceil(2))
                    .ok_or(KernelError::InvalidParameter)?;
                let mut terms = (0i32, 0i32);
                let mut from = 0;
                while from < patch_len {
                    let len = chunk.min(patch_len - from);
                    let (patch_a, patch_b) = (&mut patch_a[..len], &mut patch_b[..len]);
                    window(pixel_a).gather(buffers.input(), axes, from, patch_a)?;
                    window(pixel_b).gather(buffers.input(), axes, from, patch_b)?;
                    terms = (
                        terms
                            .0
                            .wrapping_add(weights_offset_term(quant.weights_offset, patch_a)),
                        terms
                            .1
                            .wrapping_add(weights_offset_term(quant.weights_offset, patch_b)),
                    );
                    let both = &mut both[..len];
                    interleave(patch_a, patch_b, both);
                    let both = &*both;
                    let filter_part = |oc: usize| elements(filter, oc * patch_len + from, len);
                    for (pair_sums, oc_a) in sums.iter_mut().zip((block_start..).step_by(2)) {
                        let oc_b = (oc_a + 1).min(block_end - 1);
                        let part = dot_2x2(filter_part(oc_a)?, filter_part(oc_b)?, both);
                        for (sum, part) in pair_sums.iter_mut().zip(part) {
                            *sum = sum.wrapping_add(part);
                        }
                    }
                    from += len;
                }
                for ((pair, result), &sums) in pairs.zip(sums.iter()) {
                    finish_pair(quant, pair, result, sums, terms);
                }
            }
            let output = buffers.output();
            for (pixel, out_at) in [pixel_a, pixel_b].into_iter().zip([0, 1]) {
                let row = output
                    .get_mut(pixel * output_shape.channels..)
                    .and_then(|pixel_row| pixel_row.get_mut(block_start..block_end))
                    .ok_or(KernelError::RangeOutOfBounds)?;
                for (o, r) in row.iter_mut().zip(results.iter()) {
                    *o = r[out_at];
                }
            }
        }
        block_start = block_end;
    }
    Ok(())
}

/// The outputs of a channel pair (or a last single channel) for two pixels from
/// their [`dot_2x2`] sums, each pixel's weights offset term added.
#[inline(always)]
fn finish_pair<O: Int8KernelOutput>(
    quant: &LinearQuantParams,
    pair: &[ChannelOutput],
    result: &mut [[O; 2]],
    [a_a, a_b, b_a, b_b]: [i32; 4],
    (term_a, term_b): (i32, i32),
) {
    for ((channel, out), [sum_a, sum_b]) in pair.iter().zip(result).zip([[a_a, a_b], [b_a, b_b]]) {
        *out = [
            O::finish_channel(channel, quant, sum_a.wrapping_add(term_a)),
            O::finish_channel(channel, quant, sum_b.wrapping_add(term_b)),
        ];
    }
}

/// One output channel's bias and prepared multiplier.
#[derive(Clone, Copy)]
pub struct ChannelOutput {
    bias: i32,
    multiplier: Requantizer,
    /// The multiplier with the output offset folded in, where it applies and the
    /// activation is the whole int8 range (every layer without a fused activation,
    /// and most RELU/RELU6 layers, whose range starts at the zero point `-128`): then
    /// [`Self::finish`] is the folded multiply-add and one SSAT.
    folded: Option<OffsetRequantizer>,
}

impl ChannelOutput {
    /// A placeholder for stack arrays, never used to finish an output.
    #[inline]
    pub(crate) fn unused() -> Self {
        Self {
            bias: 0,
            multiplier: Requantizer::new(QuantizedMultiplier::ONE),
            folded: None,
        }
    }

    pub(crate) fn new(quant: &LinearQuantParams, bias: Option<&[i32]>, channel: usize) -> Self {
        let multiplier = quant.output_multipliers.get(channel);
        let folded = OffsetRequantizer::new(multiplier, quant.output_offset)
            .filter(|_| quant.activation == ActivationRange::full::<i8>());
        Self {
            // `check` bounded `channel`; `get` keeps the kernels free of panic paths.
            bias: bias
                .and_then(|bias| bias.get(channel))
                .copied()
                .unwrap_or(0),
            // Unused when folded: not decoded then.
            multiplier: Requantizer::new(match folded {
                Some(_) => QuantizedMultiplier::ONE,
                None => multiplier,
            }),
            folded,
        }
    }

    /// This output with `channel`'s bias: the whole output of a channel whose
    /// multiplier is this one's (every channel of a per-tensor layer), without
    /// preparing the multiplier again.
    #[inline]
    pub(crate) fn with_bias_of(self, bias: Option<&[i32]>, channel: usize) -> Self {
        Self {
            bias: bias
                .and_then(|bias| bias.get(channel))
                .copied()
                .unwrap_or(0),
            ..self
        }
    }

    /// The channel's bias (0 without one).
    pub(crate) fn bias(&self) -> i32 {
        self.bias
    }

    /// [`LinearQuantParams::finish_with`] of `acc` (adding no bias is adding 0).
    #[inline(always)]
    pub(crate) fn finish(&self, quant: &LinearQuantParams, acc: i32) -> i8 {
        match self.folded {
            Some(folded) => folded
                .apply(acc.wrapping_add(self.bias))
                .clamp(i8::MIN.into(), i8::MAX.into()) as i8,
            None => quant.finish_with(acc.wrapping_add(self.bias), None, 0, self.multiplier),
        }
    }
}

/// The smallest `input_at - output_at` with which [`conv_2d_overlapped`] may write
/// the output below the input in one buffer: for every output pixel, its elements
/// end at or before the lowest input element that pixel or any later one reads.
/// `None` if the shapes or geometry are invalid.
pub fn overlap_distance(
    geometry: &ConvGeometry,
    input_shape: Nhwc,
    filter_shape: Nhwc,
    output_shape: Nhwc,
) -> Option<usize> {
    let (y_axis, x_axis) = geometry
        .checked_axes(input_shape, filter_shape, output_shape)
        .ok()?;
    let first_tap = |axis: &WindowAxis, origin: isize| {
        (0..axis.taps).find_map(|tap| axis.input_at(origin, tap))
    };
    output_shape.element_count().ok()?;
    let pixels = output_shape.rows() * output_shape.width;
    // Walk the pixels backwards keeping the lowest input element read from here on.
    let mut lowest_read = usize::MAX;
    let mut distance = 0usize;
    // `max(1)`: without columns or rows there are no pixels.
    let (width, height) = (output_shape.width.max(1), output_shape.height.max(1));
    for pixel in (0..pixels).rev() {
        let (row, out_x) = (pixel / width, pixel % width);
        let (batch, out_y) = (row / height, row % height);
        if let (Some(in_y), Some(in_x)) = (
            first_tap(&y_axis, y_axis.origin(out_y)),
            first_tap(&x_axis, x_axis.origin(out_x)),
        ) {
            lowest_read = lowest_read.min(input_shape.offset(batch, in_y, in_x, 0));
        }
        let written_end = (pixel + 1).checked_mul(output_shape.channels)?;
        distance = distance.max(written_end.saturating_sub(lowest_read));
    }
    Some(distance)
}

/// [`conv_2d`] in one buffer `data`, the input at `data[input_at..]` and the output
/// at `data[output_at..]`, overlapping: the output overwrites input no later pixel
/// reads, so the two need less memory than apart. Pixels must be computed in order,
/// so `tile` must be the whole output (one core). [`KernelError::InvalidParameter`]
/// unless it is, and `input_at - output_at` is at least [`overlap_distance`] (or the
/// two do not overlap).
#[allow(clippy::too_many_arguments)]
pub fn conv_2d_overlapped(
    geometry: &ConvGeometry,
    quant: &LinearQuantParams,
    data: &mut [i8],
    (input_at, input_shape): (usize, Nhwc),
    filter: &[i8],
    filter_shape: Nhwc,
    bias: Option<&[i32]>,
    (output_at, output_shape): (usize, Nhwc),
    tile: OutputTile,
    scratch: &mut [i16],
) -> KernelResult {
    let input = span(input_at, input_shape, data.len())?;
    let output = span(output_at, output_shape, data.len())?;
    if tile != OutputTile::full(output_shape.rows(), output_shape.channels) {
        return Err(KernelError::InvalidParameter);
    }
    let layout = ConvLayout::new::<i8, i32>(
        geometry,
        quant,
        (input.len(), input_shape),
        (filter.len(), filter_shape),
        bias,
        (output.len(), output_shape),
        tile,
    )?;
    let apart = output.end <= input.start || input.end <= output.start;
    let distance = overlap_distance(geometry, input_shape, filter_shape, output_shape)
        .ok_or(KernelError::InvalidParameter)?;
    if !apart && input_at.checked_sub(output_at).is_none_or(|d| d < distance) {
        return Err(KernelError::InvalidParameter);
    }
    if scratch.is_empty() {
        return Err(KernelError::EmptyScratch);
    }
    if !offset_fits_i16(quant.input_offset) {
        return Err(KernelError::InvalidParameter);
    }
    let weights = Weights {
        filter,
        shape: filter_shape,
        bias,
    };
    let mut buffers = Overlapped {
        data,
        input,
        output,
    };
    let shapes = (input_shape, output_shape);
    if let Some(done) = helium(&layout, quant, &weights, &mut buffers, shapes, tile) {
        return done;
    }
    compute(
        &layout,
        quant,
        &weights,
        &mut buffers,
        (input_shape, output_shape),
        tile,
        scratch,
    )
}

/// `at .. at + shape's elements`, if within `len`.
fn span(at: usize, shape: Nhwc, len: usize) -> Result<Range<usize>, KernelError> {
    let end = shape
        .element_count()?
        .checked_add(at)
        .ok_or(KernelError::InvalidParameter)?;
    if end > len {
        return Err(KernelError::RangeOutOfBounds);
    }
    Ok(at..end)
}

/// `weights_offset * sum(patch)`: what adding `weights_offset` to every weight adds
/// to a dot product with `patch` (0 for CONV_2D, whose weights offset TFLM ignores).
#[inline(always)]
fn weights_offset_term(weights_offset: i32, patch: &[i16]) -> i32 {
    if weights_offset == 0 {
        return 0;
    }
    let sum = patch
        .iter()
        .fold(0i32, |acc, &x| acc.wrapping_add(i32::from(x)));
    sum.wrapping_mul(weights_offset)
}

/// The reference's bias and requantization, with the multiplier prepared.
#[inline(always)]
pub(crate) fn finish(
    quant: &LinearQuantParams,
    acc: i32,
    bias: Option<&[i32]>,
    channel: usize,
) -> i8 {
    let multiplier = Requantizer::new(quant.output_multipliers.get(channel));
    quant.finish_with(acc, bias, channel, multiplier)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conv as reference;
    use crate::quant::{ActivationRange, ChannelMultipliers};
    use crate::test_util::{check_tile_split, pseudo_random_i8};

    struct Case {
        input: Nhwc,
        filter: Nhwc,
        geometry: ConvGeometry,
        weights_offset: i32,
        per_channel: bool,
    }

    fn out_len(input: usize, taps: usize, stride: usize, dilation: usize, pad: usize) -> usize {
        (input + 2 * pad - ((taps - 1) * dilation + 1)) / stride + 1
    }

    fn check(case: &Case, seed: u32) {
        let g = &case.geometry;
        let output = Nhwc::new(
            case.input.batches,
            out_len(
                case.input.height,
                case.filter.height,
                g.stride_height,
                g.dilation_height,
                g.pad_top,
            ),
            out_len(
                case.input.width,
                case.filter.width,
                g.stride_width,
                g.dilation_width,
                g.pad_left,
            ),
            case.filter.batches,
        );
        let channels = output.channels;
        let input = pseudo_random_i8(case.input.element_count().unwrap(), seed);
        let filter = pseudo_random_i8(case.filter.element_count().unwrap(), seed + 1);
        let bias: Vec<i32> = pseudo_random_i8(channels, seed + 2)
            .iter()
            .map(|&b| i32::from(b) * 97)
            .collect();
        let count = if case.per_channel { channels } else { 1 };
        let multipliers: Vec<i32> = (0..count)
            .map(|c| 1_100_000_000 + 7_000_000 * c as i32)
            .collect();
        let shifts: Vec<i32> = (0..count).map(|c| -6 - (c % 4) as i32).collect();
        let quant = LinearQuantParams {
            input_offset: 11,
            weights_offset: case.weights_offset,
            output_offset: -5,
            output_multipliers: ChannelMultipliers {
                multipliers: &multipliers,
                shifts: &shifts,
            },
            // Half the cases with the full int8 range (`ChannelOutput`'s folded requantization).
            activation: if seed % 4 < 2 {
                ActivationRange::full::<i8>()
            } else {
                ActivationRange {
                    min: -120,
                    max: 125,
                }
            },
        };
        for bias in [Some(bias.as_slice()), None] {
            let n = output.element_count().unwrap();
            let mut expected = vec![0i8; n];
            let full = OutputTile::full(output.rows(), channels);
            reference::conv_2d(
                g,
                &quant,
                &input,
                case.input,
                &filter,
                case.filter,
                bias,
                &mut expected,
                output,
                full,
            )
            .unwrap();
            let optimized = |out: &mut [i8], tile, scratch: &mut [i16]| {
                conv_2d(
                    g,
                    &quant,
                    &input,
                    case.input,
                    &filter,
                    case.filter,
                    bias,
                    out,
                    output,
                    tile,
                    scratch,
                )
            };
            let window = case.filter.height * case.filter.width * case.filter.channels;
            // A scratch holding the window (the pair kernel, for windows of at most
            // PAIR_WINDOW), one element, and one splitting the window unevenly.
            for scratch_len in [window.min(512), 1, window / 2 + 1] {
                let got =
                    check_tile_split(output.rows(), output.width, channels, 0i8, |tile, out| {
                        optimized(out, tile, &mut vec![0i16; scratch_len]).unwrap()
                    });
                assert_eq!(
                    got, expected,
                    "{:?} {:?} {g:?} scratch {scratch_len}",
                    case.input, case.filter
                );
            }
            let empty = optimized(&mut vec![0i8; n], full, &mut []);
            assert_eq!(empty, Err(KernelError::EmptyScratch));
            check_overlapped(case, &quant, (&input, &filter, bias), output, &expected);
        }
    }

    /// The output written over the input it has read, at the smallest distance
    /// [`overlap_distance`] allows, equals the reference; one element closer is refused.
    fn check_overlapped(
        case: &Case,
        quant: &LinearQuantParams,
        (input, filter, bias): (&[i8], &[i8], Option<&[i32]>),
        output: Nhwc,
        expected: &[i8],
    ) {
        let g = &case.geometry;
        let distance = overlap_distance(g, case.input, case.filter, output).unwrap();
        let window = case.filter.height * case.filter.width * case.filter.channels;
        for scratch_len in [window.min(512), 1] {
            let run = |input_at: usize| {
                let mut data = vec![0i8; (input_at + input.len()).max(expected.len())];
                data[input_at..][..input.len()].copy_from_slice(input);
                let result = conv_2d_overlapped(
                    g,
                    quant,
                    &mut data,
                    (input_at, case.input),
                    filter,
                    case.filter,
                    bias,
                    (0, output),
                    OutputTile::full(output.rows(), output.channels),
                    &mut vec![0i16; scratch_len],
                );
                result.map(|()| data[..expected.len()].to_vec())
            };
            let got = run(distance).unwrap();
            assert_eq!(
                got, expected,
                "{:?} {:?} {g:?} distance {distance}",
                case.input, case.filter
            );
            if distance > 0 {
                assert_eq!(run(distance - 1), Err(KernelError::InvalidParameter));
            }
            // Pixels must be computed in order: never a part of the output.
            let mut data = vec![0i8; distance + input.len().max(expected.len())];
            let rows = OutputTile {
                rows: crate::split::SplitRange::new(0, output.rows() - 1),
                channels: crate::split::SplitRange::full(output.channels),
            };
            let part = conv_2d_overlapped(
                g,
                quant,
                &mut data,
                (distance, case.input),
                filter,
                case.filter,
                bias,
                (0, output),
                rows,
                &mut vec![0i16; scratch_len],
            );
            assert_eq!(part, Err(KernelError::InvalidParameter));
        }
    }

    fn geometry(
        stride: (usize, usize),
        dilation: (usize, usize),
        pad: (usize, usize),
    ) -> ConvGeometry {
        ConvGeometry {
            stride_height: stride.0,
            stride_width: stride.1,
            dilation_height: dilation.0,
            dilation_width: dilation.1,
            pad_top: pad.0,
            pad_left: pad.1,
        }
    }

    #[test]
    fn equals_reference_on_many_geometries() {
        let mut seed = 1;
        for depth in [1, 3, 8] {
            for groups in [1, 2] {
                for (taps, stride, dilation, pad) in [
                    ((1, 1), (1, 1), (1, 1), (0, 0)),
                    // 1x1 windows in the padding: the pointwise path's fallback.
                    ((1, 1), (2, 2), (1, 1), (1, 1)),
                    ((3, 3), (1, 1), (1, 1), (1, 1)),
                    ((3, 3), (2, 2), (1, 1), (1, 1)),
                    ((3, 5), (2, 1), (1, 1), (1, 2)),
                    ((3, 3), (1, 1), (2, 2), (2, 2)),
                    ((2, 2), (2, 2), (1, 1), (0, 0)),
                ] {
                    seed += 3;
                    let case = Case {
                        input: Nhwc::new(2, 6, 7, depth * groups),
                        filter: Nhwc::new(5 * groups, taps.0, taps.1, depth),
                        geometry: geometry(stride, dilation, pad),
                        weights_offset: if seed % 2 == 0 { 0 } else { 3 },
                        per_channel: seed % 3 != 0,
                    };
                    check(&case, seed);
                }
            }
        }
    }

    #[test]
    fn windows_larger_than_the_patch_are_chunked() {
        // 3x3x130 = 1170 window elements > 512, with padding taps in the chunks,
        // and more output channels than one BLOCK.
        let case = Case {
            input: Nhwc::new(1, 4, 3, 130),
            filter: Nhwc::new(70, 3, 3, 130),
            geometry: geometry((1, 1), (1, 1), (1, 1)),
            weights_offset: 2,
            per_channel: true,
        };
        check(&case, 77);
    }

    #[test]
    fn pair_kernel_sums_long_windows_in_chunks() {
        // 3x3x40 = 360 window elements: two chunks (256 + 104), one block of
        // channels, so the overlapped buffer takes the pair kernel too.
        let case = Case {
            input: Nhwc::new(1, 5, 4, 40),
            filter: Nhwc::new(9, 3, 3, 40),
            geometry: geometry((1, 1), (1, 1), (1, 1)),
            weights_offset: 0,
            per_channel: true,
        };
        check(&case, 55);
    }

    #[test]
    fn pair_kernel_prepares_multipliers_past_one_block() {
        // 1x1 and 3x3 windows the pair kernel takes, more output channels than BLOCK.
        for (taps, pad) in [((1, 1), (0, 0)), ((3, 3), (1, 1))] {
            let case = Case {
                input: Nhwc::new(1, 3, 5, 6),
                filter: Nhwc::new(BLOCK + 7, taps.0, taps.1, 6),
                geometry: geometry((1, 1), (1, 1), pad),
                weights_offset: 0,
                per_channel: true,
            };
            check(&case, 91);
        }
    }

    #[test]
    fn huge_input_offsets_fall_back_to_the_reference() {
        assert!(offset_fits_i16(128) && offset_fits_i16(-127));
        assert!(!offset_fits_i16(40_000));
    }
}
