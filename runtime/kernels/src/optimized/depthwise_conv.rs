//! [`crate::depthwise_conv`] with the window walked once per output pixel.
//!
//! The reference walks the window again for every output channel. Here each output
//! pixel visits its in-image taps once per block of up to `BLOCK` channels, and
//! every tap multiply-adds the block's contiguous run of channels into a stack block
//! of accumulators; each channel's bias and multiplier are prepared once per call. The per-tap product is the
//! reference's ([`LinearQuantParams`]'s `accumulate`); INT32 sums wrap, so the
//! different summation order gives the same bits.
//!
//! On Armv7E-M the common case (depth multiplier 1, weights offset 0, an int8 input
//! zero point, at most 25 taps) sums four channels over a pixel's whole
//! window in registers per `asm!` pass, two taps per SMLAD (`depthwise_tap_lists`); the other layers of
//! depth multiplier 1 and weights offset 0 multiply-add four channels per step with
//! the DSP instructions (`accumulate_packed`).

pub use crate::conv::{ConvGeometry, LinearQuantParams};
use crate::depthwise_conv::checked_depthwise_axes;
use crate::error::{element, elements, KernelError, KernelResult};
use crate::linear_output::Int8KernelOutput;
use crate::optimized::conv::{offset_fits_i16, ChannelOutput};
use crate::optimized::dsp::{
    lanes, sadd16, smlabb, smlatt, sxtb16, sxtb16_ror8, word, TapPairs, FAST_PATHS, MAX_TAPS,
    MAX_TAP_WIDTH, TAP_PAIR_WORDS,
};
use crate::optimized::mve;
use crate::shape::Nhwc;
use crate::spatial::{accumulate_window, WindowAxis};
use crate::split::OutputTile;

/// Output channels accumulated together on the stack.
const BLOCK: usize = 64;

// A block's runs fit a tap list.
const _: () = assert!(BLOCK <= MAX_TAP_WIDTH);

/// [`crate::depthwise_conv::depthwise_conv_2d`], same results and errors.
#[allow(clippy::too_many_arguments)]
pub fn depthwise_conv_2d(
    geometry: &ConvGeometry,
    depth_multiplier: usize,
    quant: &LinearQuantParams,
    input: &[i8],
    input_shape: Nhwc,
    filter: &[i8],
    filter_shape: Nhwc,
    bias: Option<&[i32]>,
    output: &mut [i8],
    output_shape: Nhwc,
    tile: OutputTile,
) -> KernelResult {
    depthwise_conv_2d_into(
        geometry,
        depth_multiplier,
        quant,
        input,
        input_shape,
        filter,
        filter_shape,
        bias,
        output,
        output_shape,
        tile,
    )
}

/// [`depthwise_conv_2d`] writing the int32 accumulators (bias included) instead of int8
/// outputs ([`crate::linear_output`]).
#[allow(clippy::too_many_arguments)]
pub fn depthwise_conv_2d_accumulators(
    geometry: &ConvGeometry,
    depth_multiplier: usize,
    quant: &LinearQuantParams,
    input: &[i8],
    input_shape: Nhwc,
    filter: &[i8],
    filter_shape: Nhwc,
    bias: Option<&[i32]>,
    output: &mut [i32],
    output_shape: Nhwc,
    tile: OutputTile,
) -> KernelResult {
    depthwise_conv_2d_into(
        geometry,
        depth_multiplier,
        quant,
        input,
        input_shape,
        filter,
        filter_shape,
        bias,
        output,
        output_shape,
        tile,
    )
}

/// Both forms: generic over the output, instantiated here for each (not in every model's
/// crate, where a size-optimized build would not inline the helpers of its loops).
#[allow(clippy::too_many_arguments)]
fn depthwise_conv_2d_into<O: Int8KernelOutput>(
    geometry: &ConvGeometry,
    depth_multiplier: usize,
    quant: &LinearQuantParams,
    input: &[i8],
    input_shape: Nhwc,
    filter: &[i8],
    filter_shape: Nhwc,
    bias: Option<&[i32]>,
    output: &mut [O],
    output_shape: Nhwc,
    tile: OutputTile,
) -> KernelResult {
    let (y_axis, x_axis) = checked_depthwise_axes::<O, i32>(
        geometry,
        depth_multiplier,
        quant,
        (input.len(), input_shape),
        (filter.len(), filter_shape),
        bias,
        (output.len(), output_shape),
        tile,
    )?;
    let conv = mve::depthwise_conv::Depthwise {
        y_axis: &y_axis,
        x_axis: &x_axis,
        quant,
        input,
        input_shape,
        filter,
        filter_shape,
        bias,
        output_shape,
    };
    if let Some(done) =
        mve::depthwise_conv::depthwise_conv_2d(&conv, depth_multiplier, output, tile)
    {
        return done;
    }
    let taps = y_axis.taps * x_axis.taps;
    // The input zero point (`-input_offset`) as an int8 padding value, if the
    // tap-list path applies.
    let padding_value =
        (FAST_PATHS && depth_multiplier == 1 && quant.weights_offset == 0 && taps <= MAX_TAPS)
            .then(|| i8::try_from(quant.input_offset.wrapping_neg()).ok())
            .flatten();
    if let Some(padding_value) = padding_value {
        let window = Window {
            y_axis,
            x_axis,
            input_shape,
            filter_shape,
            output_shape,
        };
        return depthwise_tap_lists(
            &window,
            quant,
            input,
            filter,
            bias,
            output,
            tile,
            padding_value,
        );
    }
    // The input offset in both lanes of a word, if the DSP path applies.
    let packed_offsets = (FAST_PATHS
        && depth_multiplier == 1
        && quant.weights_offset == 0
        && offset_fits_i16(quant.input_offset))
    .then(|| {
        // In range: offset_fits_i16.
        let offset = quant.input_offset as i16;
        lanes(&[offset, offset])
    });
    // Blocks of channels outermost, so that each channel's multiplier is prepared
    // once per call.
    let mut start = tile.channels.start;
    while start < tile.channels.end {
        let n = (tile.channels.end - start).min(BLOCK);
        let mut outputs = [ChannelOutput::unused(); BLOCK];
        let outputs = &mut outputs[..n];
        for (prepared, c) in outputs.iter_mut().zip(start..) {
            *prepared = ChannelOutput::new(quant, bias, c);
        }
        let outputs = &*outputs;
        // `max(1)`: zero only for an empty tile.
        let height = output_shape.height.max(1);
        for row in tile.rows.indices() {
            let (batch, out_y) = (row / height, row % height);
            let y_origin = y_axis.origin(out_y);
            for out_x in 0..output_shape.width {
                let x_origin = x_axis.origin(out_x);
                let out_base = output_shape.offset(batch, out_y, out_x, 0);
                let mut acc = [0i32; BLOCK];
                let acc = &mut acc[..n];
                for filter_y in 0..y_axis.taps {
                    let Some(in_y) = y_axis.input_at(y_origin, filter_y) else {
                        continue;
                    };
                    for filter_x in 0..x_axis.taps {
                        let Some(in_x) = x_axis.input_at(x_origin, filter_x) else {
                            continue;
                        };
                        let weights_at = filter_shape.offset(0, filter_y, filter_x, start);
                        let weights = elements(filter, weights_at, n)?;
                        let pixel = input_shape.offset(batch, in_y, in_x, 0);
                        if let Some(offsets) = packed_offsets {
                            let inputs = elements(input, pixel + start, n)?;
                            accumulate_packed(quant, acc, inputs, weights, offsets);
                        } else if depth_multiplier == 1 {
                            let inputs = elements(input, pixel + start, n)?;
                            for ((a, &w), &x) in acc.iter_mut().zip(weights).zip(inputs) {
                                *a = quant.accumulate(*a, w, x);
                            }
                        } else {
                            // Output channel `c` reads input channel `c / depth_multiplier`.
                            // Not zero: the checks above refused a zero multiplier.
                            let multiplier = depth_multiplier.max(1);
                            let (mut in_channel, mut m) = (start / multiplier, start % multiplier);
                            for (a, &w) in acc.iter_mut().zip(weights) {
                                *a = quant.accumulate(*a, w, element(input, pixel + in_channel)?);
                                m += 1;
                                if m == multiplier {
                                    m = 0;
                                    in_channel += 1;
                                }
                            }
                        }
                    }
                }
                let out = output
                    .get_mut(out_base + start..out_base + start + n)
                    .ok_or(KernelError::RangeOutOfBounds)?;
                for ((o, &a), channel) in out.iter_mut().zip(acc.iter()).zip(outputs) {
                    *o = O::finish_channel(channel, quant, a);
                }
            }
        }
        start += n;
    }
    Ok(())
}

/// The validated geometry of one call.
struct Window {
    y_axis: WindowAxis,
    x_axis: WindowAxis,
    input_shape: Nhwc,
    filter_shape: Nhwc,
    output_shape: Nhwc,
}

/// The DSP path for depth multiplier 1, weights offset 0, an input zero point
/// within int8 and at most [`MAX_TAPS`] taps (the caller's conditions; the call
/// validated). The input offset is folded out of the taps: `sum((x + offset) * w)`
/// over the taps inside the input equals `sum(x' * w) + offset * sum(w)` over all
/// taps, with `x'` the input inside and the zero point (`-offset`) outside, whose
/// products cancel; the second term is a per-channel constant made once per block.
/// Each block of channels lists its taps in pairs with their weights widened once
/// ([`TapPairs`]), each output pixel sets the taps' input runs, and every four
/// channels of the block are one pass over the pairs with the sums in registers
/// ([`TapPairs::group_sums`], one SMLAD per channel and pair of taps); the last `n % 4`
/// take the reference formula.
#[allow(clippy::too_many_arguments)]
fn depthwise_tap_lists<O: Int8KernelOutput>(
    window: &Window,
    quant: &LinearQuantParams,
    input: &[i8],
    filter: &[i8],
    bias: Option<&[i32]>,
    output: &mut [O],
    tile: OutputTile,
    padding_value: i8,
) -> KernelResult {
    let Window {
        y_axis,
        x_axis,
        input_shape,
        filter_shape,
        output_shape,
    } = window;
    // Past the validation of the call, a lookup that fails is an inconsistency
    // the checks missed: reported, not a panic.
    let inconsistent = KernelError::ShapeMismatch;
    let padding = [padding_value; BLOCK];
    let mut widened = [0; TAP_PAIR_WORDS];
    // Each pixel's sums of a block, before the requantization.
    let mut sums = [0; BLOCK];
    let mut start = tile.channels.start;
    while start < tile.channels.end {
        let n = (tile.channels.end - start).min(BLOCK);
        let whole = n - n % 4;
        let mut outputs = [ChannelOutput::unused(); BLOCK];
        let mut offset_terms = [0i32; BLOCK];
        for ((prepared, offset_term), c) in outputs
            .iter_mut()
            .zip(&mut offset_terms)
            .zip(start..start + n)
        {
            *prepared = ChannelOutput::new(quant, bias, c);
            let mut weight_sum = 0i32;
            for tap in 0..y_axis.taps * x_axis.taps {
                let weight = filter
                    .get(tap * filter_shape.channels + c)
                    .ok_or(inconsistent)?;
                weight_sum = weight_sum.wrapping_add(i32::from(*weight));
            }
            *offset_term = weight_sum.wrapping_mul(quant.input_offset);
        }
        let (whole_outputs, tail_outputs) = outputs
            .get(..n)
            .and_then(|outputs| outputs.split_at_checked(whole))
            .ok_or(inconsistent)?;
        let padding = padding.get(..n).ok_or(inconsistent)?;
        let weight_runs = (0..y_axis.taps).flat_map(|filter_y| {
            (0..x_axis.taps).map(move |filter_x| filter_shape.offset(0, filter_y, filter_x, start))
        });
        let mut taps =
            TapPairs::new(input, padding, filter, weight_runs, &mut widened).ok_or(inconsistent)?;
        // `max(1)`: zero only for an empty tile.
        let height = output_shape.height.max(1);
        for row in tile.rows.indices() {
            let (batch, out_y) = (row / height, row % height);
            for out_x in 0..output_shape.width {
                for_each_tap_input(
                    (y_axis, x_axis),
                    *input_shape,
                    (batch, out_y, out_x),
                    start,
                    |tap, input_at| {
                        if taps.set_input(tap, input_at) {
                            Ok(())
                        } else {
                            Err(inconsistent)
                        }
                    },
                )?;
                let out_base = output_shape.offset(batch, out_y, out_x, start);
                let (out_whole, out_tail) = output
                    .get_mut(out_base..out_base + n)
                    .and_then(|out| out.split_at_mut_checked(whole))
                    .ok_or(inconsistent)?;
                pixel_groups(
                    quant,
                    &taps,
                    whole_outputs,
                    &offset_terms,
                    &mut sums,
                    out_whole,
                )?;
                for (o, (c, channel)) in
                    out_tail.iter_mut().zip((start + whole..).zip(tail_outputs))
                {
                    let product = |(filter_y, filter_x), (in_y, in_x)| {
                        let w = filter.get(filter_shape.offset(0, filter_y, filter_x, c))?;
                        let x = input.get(input_shape.offset(batch, in_y, in_x, c))?;
                        Some((*w, *x))
                    };
                    let acc = accumulate_window::<i32>(
                        y_axis,
                        x_axis,
                        (out_y, out_x),
                        |acc, filter_at, input_at| {
                            product(filter_at, input_at)
                                .map(|(w, x)| quant.accumulate(acc, w, x))
                                .ok_or(inconsistent)
                        },
                    )?;
                    *o = O::finish_channel(channel, quant, acc);
                }
            }
        }
        start += n;
    }
    Ok(())
}

/// One pixel's outputs of the whole groups of four channels of a block: the sums
/// of all groups from the offset terms (one `asm!` call on Armv7E-M), then the
/// requantization. Out of line: inside the pixel loop the requantization ran short
/// of registers and reloaded its operands.
#[inline(never)]
fn pixel_groups<O: Int8KernelOutput>(
    quant: &LinearQuantParams,
    taps: &TapPairs<'_>,
    channels: &[ChannelOutput],
    offset_terms: &[i32],
    sums: &mut [i32],
    out: &mut [O],
) -> KernelResult {
    if out.len() % 4 != 0 || taps.group_sums(offset_terms, sums) != Some(out.len() / 4) {
        return Err(KernelError::ShapeMismatch);
    }
    for ((o, channel), &sum) in out.iter_mut().zip(channels).zip(&*sums) {
        *o = O::finish_channel(channel, quant, sum);
    }
    Ok(())
}

/// One tap's `acc[c] += (inputs[c] + input_offset) * weights[c]` for depth
/// multiplier 1 and weights offset 0 (the caller's conditions), `offsets` holding the
/// input offset in both lanes. Each four channels are one input word and one weight
/// word, widened by SXTB16 into channels (0, 2) and (1, 3), the offset added to two
/// lanes at once, and one SMLABB or SMLATT per channel; the last `len % 4` channels
/// take the reference formula.
#[inline(always)]
fn accumulate_packed(
    quant: &LinearQuantParams,
    acc: &mut [i32],
    inputs: &[i8],
    weights: &[i8],
    offsets: u32,
) {
    let groups = acc
        .chunks_exact_mut(4)
        .zip(inputs.chunks_exact(4).zip(weights.chunks_exact(4)));
    for (acc, (x, w)) in groups {
        let (x, w) = (word(x), word(w));
        let (x02, x13) = (sadd16(sxtb16(x), offsets), sadd16(sxtb16_ror8(x), offsets));
        let (w02, w13) = (sxtb16(w), sxtb16_ror8(w));
        acc[0] = smlabb(x02, w02, acc[0]);
        acc[1] = smlabb(x13, w13, acc[1]);
        acc[2] = smlatt(x02, w02, acc[2]);
        acc[3] = smlatt(x13, w13, acc[3]);
    }
    let tail = acc.len() - acc.len() % 4;
    for ((a, &w), &x) in acc.iter_mut().zip(weights).zip(inputs).skip(tail) {
        *a = quant.accumulate(*a, w, x);
    }
}

/// Calls `set(tap, input_at)` for every filter tap of output pixel
/// `(batch, out_y, out_x)`, row-major: `input_at` is the offset of input channel
/// `channel` under the tap, or `None` where the tap lies in the padding.
pub(crate) fn for_each_tap_input(
    (y_axis, x_axis): (&WindowAxis, &WindowAxis),
    input_shape: Nhwc,
    (batch, out_y, out_x): (usize, usize, usize),
    channel: usize,
    mut set: impl FnMut(usize, Option<usize>) -> KernelResult,
) -> KernelResult {
    let (y_origin, x_origin) = (y_axis.origin(out_y), x_axis.origin(out_x));
    let mut tap = 0;
    for filter_y in 0..y_axis.taps {
        let in_y = y_axis.input_at(y_origin, filter_y);
        for filter_x in 0..x_axis.taps {
            let input_at = in_y
                .zip(x_axis.input_at(x_origin, filter_x))
                .map(|(in_y, in_x)| input_shape.offset(batch, in_y, in_x, channel));
            set(tap, input_at)?;
            tap += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::depthwise_conv as reference;
    use crate::quant::{ActivationRange, ChannelMultipliers};
    use crate::test_util::{check_tile_split, pseudo_random_i8};

    fn out_len(input: usize, taps: usize, stride: usize, dilation: usize, pad: usize) -> usize {
        (input + 2 * pad - ((taps - 1) * dilation + 1)) / stride + 1
    }

    #[test]
    fn equals_reference_on_many_geometries() {
        let mut seed = 1;
        for (in_channels, multiplier) in [(1, 1), (3, 1), (8, 2), (70, 1), (5, 3), (40, 2)] {
            for (taps, stride, dilation, pad) in [
                ((1, 1), (1, 1), (1, 1), (0, 0)),
                ((3, 3), (1, 1), (1, 1), (1, 1)),
                ((3, 3), (2, 2), (1, 1), (1, 1)),
                ((5, 3), (1, 2), (1, 1), (2, 1)),
                ((3, 3), (1, 1), (2, 2), (2, 2)),
                // An even number of taps, and the most a tap list holds.
                ((2, 2), (1, 1), (1, 1), (0, 1)),
                ((5, 5), (1, 2), (1, 1), (2, 2)),
            ] {
                seed += 4;
                let channels = in_channels * multiplier;
                let input_shape = Nhwc::new(2, 6, 5, in_channels);
                let filter_shape = Nhwc::new(1, taps.0, taps.1, channels);
                let g = ConvGeometry {
                    stride_height: stride.0,
                    stride_width: stride.1,
                    dilation_height: dilation.0,
                    dilation_width: dilation.1,
                    pad_top: pad.0,
                    pad_left: pad.1,
                };
                let output_shape = Nhwc::new(
                    2,
                    out_len(6, taps.0, stride.0, dilation.0, pad.0),
                    out_len(5, taps.1, stride.1, dilation.1, pad.1),
                    channels,
                );
                let input = pseudo_random_i8(input_shape.element_count().unwrap(), seed);
                let filter = pseudo_random_i8(filter_shape.element_count().unwrap(), seed + 1);
                let bias: Vec<i32> = pseudo_random_i8(channels, seed + 2)
                    .iter()
                    .map(|&b| i32::from(b) * 53)
                    .collect();
                let count = if seed % 3 == 0 { 1 } else { channels };
                let multipliers: Vec<i32> = (0..count)
                    .map(|c| 1_200_000_000 + 5_000_000 * c as i32)
                    .collect();
                let shifts: Vec<i32> = (0..count).map(|c| -5 - (c % 3) as i32).collect();
                let quant = LinearQuantParams {
                    input_offset: -9,
                    // Seeds step by 4: half the cases with each offset (0 takes the DSP path).
                    weights_offset: if seed % 8 == 1 { 0 } else { -2 },
                    output_offset: 4,
                    output_multipliers: ChannelMultipliers {
                        multipliers: &multipliers,
                        shifts: &shifts,
                    },
                    // A third of the cases with the full int8 range
                    // (`ChannelOutput`'s folded requantization).
                    activation: if seed % 3 == 1 {
                        ActivationRange::full::<i8>()
                    } else {
                        ActivationRange {
                            min: -128,
                            max: 100,
                        }
                    },
                };
                let n = output_shape.element_count().unwrap();
                for bias in [Some(bias.as_slice()), None] {
                    let mut expected = vec![0i8; n];
                    let full = OutputTile::full(output_shape.rows(), channels);
                    reference::depthwise_conv_2d(
                        &g,
                        multiplier,
                        &quant,
                        &input,
                        input_shape,
                        &filter,
                        filter_shape,
                        bias,
                        &mut expected,
                        output_shape,
                        full,
                    )
                    .unwrap();
                    let got = check_tile_split(
                        output_shape.rows(),
                        output_shape.width,
                        channels,
                        0i8,
                        |tile, out| {
                            depthwise_conv_2d(
                                &g,
                                multiplier,
                                &quant,
                                &input,
                                input_shape,
                                &filter,
                                filter_shape,
                                bias,
                                out,
                                output_shape,
                                tile,
                            )
                            .unwrap()
                        },
                    );
                    assert_eq!(got, expected, "{input_shape:?} {filter_shape:?} {g:?}");
                }
            }
        }
    }
}
