//! MLAS_CONV: a float32 convolution (or matrix product, as a 1x1 convolution) summed in
//! the order onnxruntime's MLAS sums it, for `tinymlc --onnx_exact` on QDQ Conv, Gemm and
//! MatMul (onnxruntime dequantizes their operands and runs its float kernels).
//!
//! MLAS expands the input into columns (`k = (channel * kernel_h + y) * kernel_w + x`
//! within a group, padding as zeros) and multiplies by the `[filters][k]` weights in K
//! blocks: each block's sum is added to the running output. Inside a block the x86-64
//! FMA3/AVX-512 kernels accumulate one fused multiply-add per term from zero; the kernel
//! for a single filter row (MLAS's `M = 1` path, a depthwise convolution) rounds every
//! product, sums them in groups of four (then two, then one) and adds each group to the
//! output. A convolution's bias is added after the sum; Gemm's bias is the output's
//! initial value. The compiler derives the block length from onnxruntime's blocking
//! (`frontend/onnx/mlas_order.py`); the fused multiply-adds are emulated exactly in `f64`
//! ([`fused_multiply_add`]), so any core, with an FPU or without, gives the same bits.
//!
//! Split axis: flat NHWC output elements ([`SplitRange`]).

use crate::error::{expect_len, KernelError, KernelResult};
use crate::qlinear_add::fused_multiply_add;
use crate::split::SplitRange;

/// How MLAS sums the terms of one K block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockSum {
    /// `acc = fma(w, x, acc)` from zero over the block; the block's sum is then added.
    Fused,
    /// Products rounded, added in groups of four (then two, then one) from the block's
    /// start; each group's sum is added to the output.
    UnfusedGroups,
    /// MLAS's single-row kernel for transposed weights: eight lane sums (term `k` into
    /// lane `k % 8`, rounded products added unfused), reduced by a tree that depends on
    /// whether the output channel (within its group) falls in a run of four, two or one
    /// channels; the reduction is added to the output.
    EightLanes,
}

/// The eight lanes' sum as MLAS's transposed-weights kernel reduces them for a channel in
/// a run of `run` (4, 2 or 1) channels.
fn reduce_lanes(l: &[f32; 8], run: usize) -> f32 {
    match run {
        4 => (((l[0] + l[1]) + l[2]) + l[3]) + (((l[4] + l[5]) + l[6]) + l[7]),
        2 => ((l[0] + l[2]) + (l[4] + l[6])) + ((l[1] + l[3]) + (l[5] + l[7])),
        _ => ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])),
    }
}

/// The run (4, 2 or 1 channels) MLAS's transposed-weights kernel puts `channel` of
/// `channels` in: fours while four remain, then a two, then a one.
fn lane_run(channel: usize, channels: usize) -> usize {
    let fours = channels / 4 * 4;
    if channel < fours {
        4
    } else if channel < fours + (channels % 4) / 2 * 2 {
        2
    } else {
        1
    }
}

/// The per-layer constants of [`mlas_conv`]. Input and output are NHWC, the filter is
/// `[output_channels][k]` in MLAS's column order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MlasConvParams {
    /// `[batches, height, width, channels]` of the input.
    pub input: [usize; 4],
    /// `[batches, height, width, channels]` of the output.
    pub output: [usize; 4],
    /// `[height, width]` of the kernel window.
    pub kernel: [usize; 2],
    /// `[height, width]` steps of the window.
    pub stride: [usize; 2],
    /// `[height, width]` spacing of the window's taps.
    pub dilation: [usize; 2],
    /// Zero rows above and columns left of the input.
    pub pad: [usize; 2],
    /// Channel groups (the input's and output's channels divided evenly).
    pub groups: usize,
    /// Terms per K block (at least 1).
    pub block: usize,
    /// How each block is summed.
    pub block_sum: BlockSum,
    /// The bias is the initial value (Gemm) instead of being added after the sum (Conv).
    pub bias_first: bool,
}

impl MlasConvParams {
    fn group_channels(&self) -> Result<(usize, usize), KernelError> {
        let [_, _, _, in_channels] = self.input;
        let out_channels = self.output[3];
        if self.groups == 0
            || in_channels % self.groups != 0
            || out_channels % self.groups != 0
            || self.block == 0
            || self.input[0] != self.output[0]
        {
            return Err(KernelError::InvalidParameter);
        }
        Ok((in_channels / self.groups, out_channels / self.groups))
    }
}

fn product(values: &[usize]) -> Result<usize, KernelError> {
    values
        .iter()
        .try_fold(1usize, |total, &value| total.checked_mul(value))
        .ok_or(KernelError::InvalidParameter)
}

/// The input coordinate `out * stride + tap * dilation - pad` along one axis, or `None`
/// in the padding.
fn source(
    out: usize,
    tap: usize,
    stride: usize,
    dilation: usize,
    pad: usize,
    size: usize,
) -> Option<usize> {
    let position = out
        .checked_mul(stride)?
        .checked_add(tap.checked_mul(dilation)?)?;
    position.checked_sub(pad).filter(|&index| index < size)
}

/// `output[i]` for `i` in `range`: the convolution of `input` by `filter` (plus `bias` per
/// output channel), summed in MLAS's order.
pub fn mlas_conv(
    params: &MlasConvParams,
    input: &[f32],
    filter: &[f32],
    bias: Option<&[f32]>,
    output: &mut [f32],
    range: SplitRange,
) -> KernelResult {
    let (channels, filters) = params.group_channels()?;
    let [kernel_h, kernel_w] = params.kernel;
    let depth = product(&[channels, kernel_h, kernel_w])?;
    let [_, in_h, in_w, in_c] = params.input;
    let [_, out_h, out_w, out_c] = params.output;
    expect_len(input.len(), product(&params.input)?)?;
    expect_len(output.len(), product(&params.output)?)?;
    expect_len(filter.len(), product(&[out_c, depth])?)?;
    if let Some(bias) = bias {
        expect_len(bias.len(), out_c)?;
    }
    range.check_within(output.len())?;
    for index in range.indices() {
        let channel = index % out_c;
        let pixel = index / out_c;
        let (x, y, batch) = (
            pixel % out_w,
            (pixel / out_w) % out_h,
            pixel / (out_w * out_h),
        );
        let first_channel = (channel / filters) * channels;
        let weights = filter
            .get(channel * depth..(channel + 1) * depth)
            .ok_or(KernelError::ShapeMismatch)?;
        let term = |k: usize| -> Result<(f32, f32), KernelError> {
            let (tap_x, tap_y, c) = (
                k % kernel_w,
                (k / kernel_w) % kernel_h,
                k / (kernel_w * kernel_h),
            );
            let weight = *weights.get(k).ok_or(KernelError::ShapeMismatch)?;
            let row = source(
                y,
                tap_y,
                params.stride[0],
                params.dilation[0],
                params.pad[0],
                in_h,
            );
            let column = source(
                x,
                tap_x,
                params.stride[1],
                params.dilation[1],
                params.pad[1],
                in_w,
            );
            let value = match (row, column) {
                (Some(row), Some(column)) => {
                    let offset = ((batch * in_h + row) * in_w + column) * in_c + first_channel + c;
                    *input.get(offset).ok_or(KernelError::ShapeMismatch)?
                }
                _ => 0.0,
            };
            Ok((weight, value))
        };
        let bias_value = match bias {
            Some(bias) => Some(*bias.get(channel).ok_or(KernelError::ShapeMismatch)?),
            None => None,
        };
        let mut total = if params.bias_first { bias_value } else { None };
        let mut start = 0;
        while start < depth {
            let end = depth.min(start + params.block);
            match params.block_sum {
                BlockSum::Fused => {
                    let mut sum = 0.0f32;
                    for k in start..end {
                        let (weight, value) = term(k)?;
                        sum = fused_multiply_add(weight, value, sum);
                    }
                    total = Some(total.map_or(sum, |total| sum + total));
                }
                BlockSum::EightLanes => {
                    let mut lanes = [0.0f32; 8];
                    for k in start..end {
                        let (weight, value) = term(k)?;
                        let lane = lanes
                            .get_mut((k - start) % 8)
                            .ok_or(KernelError::ShapeMismatch)?;
                        *lane += weight * value;
                    }
                    let sum = reduce_lanes(&lanes, lane_run(channel % filters, filters));
                    total = Some(total.map_or(sum, |total| sum + total));
                }
                BlockSum::UnfusedGroups => {
                    let mut k = start;
                    while k < end {
                        let remaining = end - k;
                        let size = if remaining >= 4 {
                            4
                        } else if remaining >= 2 {
                            2
                        } else {
                            1
                        };
                        let mut sum = 0.0f32;
                        for offset in 0..size {
                            let (weight, value) = term(k + offset)?;
                            let product = weight * value;
                            sum = if offset == 0 { product } else { sum + product };
                        }
                        total = Some(total.map_or(sum, |total| sum + total));
                        k += size;
                    }
                }
            }
            start = end;
        }
        let mut result = total.unwrap_or(0.0);
        if !params.bias_first {
            if let Some(bias) = bias_value {
                result += bias;
            }
        }
        *output.get_mut(index).ok_or(KernelError::RangeOutOfBounds)? = result;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(input: [usize; 4], output: [usize; 4], kernel: [usize; 2]) -> MlasConvParams {
        MlasConvParams {
            input,
            output,
            kernel,
            stride: [1, 1],
            dilation: [1, 1],
            pad: [0, 0],
            groups: 1,
            block: 256,
            block_sum: BlockSum::Fused,
            bias_first: false,
        }
    }

    fn run(p: &MlasConvParams, input: &[f32], filter: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
        let mut output = vec![0.0; p.output.iter().product()];
        let full = SplitRange::full(output.len());
        mlas_conv(p, input, filter, bias, &mut output, full).unwrap();
        output
    }

    const TINY: f32 = 1.0 / 16_777_216.0; // 2^-24: half an ulp of 1

    #[test]
    fn fused_terms_keep_each_product_exact() {
        // -(1 + 2^-11) + (1 + 2^-12)^2 = 2^-24 exactly; a rounded product loses it.
        let p = params([1, 1, 1, 2], [1, 1, 1, 1], [1, 1]);
        let x = 1.0 + 1.0 / 4096.0;
        let sum = run(&p, &[1.0 + 1.0 / 2048.0, x], &[-1.0, x], None);
        assert_eq!(sum, [TINY]);
    }

    #[test]
    fn blocks_are_summed_then_added() {
        // One block [0, 1, t, t]: 1 + t rounds to 1 (ties to even), twice. Blocks of two:
        // [0, 1] -> 1, [t, t] -> 2t, and 1 + 2t = 1 + 2^-23 exactly.
        let mut p = params([1, 1, 1, 4], [1, 1, 1, 1], [1, 1]);
        let input = [0.0, 1.0, TINY, TINY];
        p.block = 4;
        assert_eq!(run(&p, &input, &[1.0; 4], None), [1.0]);
        p.block = 2;
        assert_eq!(run(&p, &input, &[1.0; 4], None), [1.0 + 2.0 * TINY]);
    }

    #[test]
    fn bias_first_or_after() {
        // Blocks of one over [t, t] with bias 1: first, 1 + t rounds to 1 twice; after,
        // t + t = 2t, then 1 + 2t exactly.
        let mut p = params([1, 1, 1, 2], [1, 1, 1, 1], [1, 1]);
        p.block = 1;
        let bias = [1.0];
        assert_eq!(
            run(&p, &[TINY, TINY], &[1.0, 1.0], Some(&bias)),
            [1.0 + 2.0 * TINY]
        );
        p.bias_first = true;
        assert_eq!(run(&p, &[TINY, TINY], &[1.0, 1.0], Some(&bias)), [1.0]);
    }

    #[test]
    fn unfused_groups_of_four_then_two_then_one() {
        let mut p = params([1, 1, 1, 7], [1, 1, 1, 1], [1, 1]);
        p.block_sum = BlockSum::UnfusedGroups;
        // Groups [1, t, t, t] -> 1, [t, t] -> 2t, [t] -> t, added to the output in turn:
        // 1 + 2t = 1 + 2^-23 exactly, + t rounds to even: 1 + 2^-22.
        let input = [1.0, TINY, TINY, TINY, TINY, TINY, TINY];
        let result = run(&p, &input, &[1.0; 7], None);
        assert_eq!(result, [1.0 + 4.0 * TINY]);
    }

    #[test]
    fn eight_lanes_reduce_by_the_channels_run() {
        // Terms 1, then t in lanes 1..=3 and 4: a run of four adds l0 + l1 + l2 + l3 first
        // (1 + t rounds to 1, three times) then l4..l7 (t): 1 + t rounds to 1. A run of two
        // adds (l0 + l2) + (l4 + l6) = 1 + t -> 1 and (l1 + l3) + (l5 + l7) = 2t, then
        // 1 + 2t exactly; a single channel: (l0 + l1) + (l2 + l3) = 1 + 2t, + t: a tie,
        // to even 1 + 4t.
        let mut p = params([1, 1, 1, 5], [1, 1, 1, 7], [1, 1]);
        p.block_sum = BlockSum::EightLanes;
        let input = [1.0, TINY, TINY, TINY, TINY];
        let output = run(&p, &input, &[1.0; 35], None);
        assert_eq!(output[..4], [1.0; 4]);
        assert_eq!(output[4..6], [1.0 + 2.0 * TINY; 2]);
        assert_eq!(output[6], 1.0 + 4.0 * TINY);
    }

    #[test]
    fn padded_strided_grouped_window() {
        // Two groups of one channel, 3x3 window, stride 2, one row/column of padding:
        // output (0, 0) of group 1 sees input rows/columns 0..2 of channel 1.
        let mut p = params([1, 3, 3, 2], [1, 2, 2, 2], [3, 3]);
        p.stride = [2, 2];
        p.pad = [1, 1];
        p.groups = 2;
        let input: Vec<f32> = (0..18).map(|v| v as f32).collect();
        let mut filter = vec![0.0; 18];
        filter[9 + 4] = 1.0; // group 1's centre tap
        filter[9 + 8] = 10.0; // group 1's bottom-right tap
        let output = run(&p, &input, &filter, None);
        // Centre at input (0, 0) channel 1 = 1; bottom-right at (1, 1) channel 1 = 9.
        assert_eq!(output[1], 1.0 + 10.0 * 9.0);
        assert_eq!(output[0], 0.0);
    }

    #[test]
    fn rejects_inconsistent_arguments() {
        let p = params([1, 1, 1, 2], [1, 1, 1, 1], [1, 1]);
        let mut output = [0.0f32; 1];
        let full = SplitRange::full(1);
        let short = mlas_conv(&p, &[1.0], &[1.0, 1.0], None, &mut output, full);
        assert_eq!(short, Err(KernelError::ShapeMismatch));
        let zero_block = MlasConvParams { block: 0, ..p };
        let refused = mlas_conv(&zero_block, &[1.0; 2], &[1.0; 2], None, &mut output, full);
        assert_eq!(refused, Err(KernelError::InvalidParameter));
    }
}
