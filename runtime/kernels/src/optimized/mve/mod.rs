//! The Helium (M-profile Vector Extension, MVE) fast paths on the Cortex-M55: the
//! int8 CONV_2D kernel of [`conv`], the DEPTHWISE_CONV_2D kernel of
//! [`depthwise_conv`], and FULLY_CONNECTED's [`dot_offset`] (the convolutions
//! [`conv`] leaves go to the DSP pair kernel), their inner loops over 128-bit vectors (most tail-predicated low-overhead
//! loops).
//!
//! With the crate feature `arm_mve` on an Arm target (Bazel sets it, with `arm_dsp`,
//! for platforms whose cores have MVE, see `BUILD.bazel`, and builds the crate with
//! `-C target-feature=+mve`) each loop is one `asm!` block, because
//! `core::arch::arm` has no MVE intrinsics. Everywhere else each is portable code
//! that computes lane by lane what the instructions compute, with the same bits;
//! the host tests run it, and the feature `portable_mve_paths` takes the MVE paths
//! with it on any target (`cargo test --features portable_mve_paths` runs every
//! kernel test through them).
//!
//! Where the MVE paths are taken, the pair kernel's patches stay in natural order
//! ([`super::mat_mult::pack`] leaves them): VLDRB.S16 widens eight weights in order.

pub(crate) mod conv;
pub(crate) mod depthwise_conv;

use core::ops::Range;

use crate::conv::LinearQuantParams;
use crate::error::{elements, KernelError, KernelResult};
use depthwise_conv::MAX_TAPS;

/// Whether the kernels take the MVE loops: on cores with MVE, and with the portable
/// loops under `portable_mve_paths`.
pub(crate) const MVE_PATHS: bool = cfg!(any(
    feature = "portable_mve_paths",
    all(feature = "arm_mve", target_arch = "arm")
));

/// `sum((x + input_offset) * w)` over `inputs` and `weights` (the shorter length),
/// wrapping, as `sum(x * w) + input_offset * sum(w)`. Per sixteen elements: two
/// VLDRB, one VMLADAVA.S8 (the products), one VADDVA.S8 (the weights' sum) and the
/// LETP: 16 multiply-adds in 5 instructions.
#[inline(always)]
pub(crate) fn dot_offset(inputs: &[i8], weights: &[i8], input_offset: i32) -> i32 {
    let len = inputs.len().min(weights.len());
    let (products, weight_sum) = imp::dot_and_sum(&inputs[..len], &weights[..len]);
    products.wrapping_add(weight_sum.wrapping_mul(input_offset))
}

/// The wrapping dot products of filters `a`, `b` with int8 patches `pa`, `pb`, from
/// `init`: `[init[0] + a.pa, init[1] + a.pb,
/// init[2] + b.pa, init[3] + b.pb]`, wrapping, over the shortest length. Per sixteen
/// elements: four VLDRB, four VMLADAVA.S8 and the LETP: 64 multiply-adds in 9
/// instructions.
#[inline(always)]
pub(crate) fn dot_2x2_i8(a: &[i8], b: &[i8], pa: &[i8], pb: &[i8], init: [i32; 4]) -> [i32; 4] {
    let len = a.len().min(b.len()).min(pa.len()).min(pb.len());
    imp::dot_2x2_i8(&a[..len], &b[..len], &pa[..len], &pb[..len], init)
}

/// Per-channel requantization parameters in the lane layout [`requantize`] loads.
pub(crate) struct Requantization<'a> {
    /// Q0.31 multipliers.
    pub multipliers: &'a [i32],
    /// Left shifts, `clamp(shift, 0, 31)`.
    pub left_shifts: &'a [i32],
    /// Right shifts negated, `-clamp(-shift, 0, 31)` (VRSHL shifts right by a
    /// negative amount).
    pub right_shifts: &'a [i32],
    /// Added after the rescaling.
    pub output_offset: i32,
    /// The activation range, within int8.
    pub min: i32,
    pub max: i32,
}

/// Output channels whose constants and sums the MVE kernels keep on the stack
/// together.
pub(crate) const BLOCK: usize = 64;

/// A block's multipliers decoded into [`Requantization`]'s lanes, once per call.
pub(crate) struct BlockRequantization {
    multipliers: [i32; BLOCK],
    left_shifts: [i32; BLOCK],
    right_shifts: [i32; BLOCK],
    len: usize,
}

impl BlockRequantization {
    /// The multipliers of `channels` (at most [`BLOCK`] of them are kept).
    pub(crate) fn new(quant: &LinearQuantParams, channels: Range<usize>) -> Self {
        let mut block = Self {
            multipliers: [0; BLOCK],
            left_shifts: [0; BLOCK],
            right_shifts: [0; BLOCK],
            len: channels.len().min(BLOCK),
        };
        let lanes = block
            .multipliers
            .iter_mut()
            .zip(block.left_shifts.iter_mut().zip(&mut block.right_shifts));
        for ((multiplier, (left, right)), channel) in lanes.zip(channels) {
            let quantized = quant.output_multipliers.get(channel);
            *multiplier = quantized.multiplier;
            *left = quantized.shift.clamp(0, 31);
            *right = -quantized.shift.saturating_neg().clamp(0, 31);
        }
        block
    }

    /// The parameters of [`requantize`], with `quant`'s output offset and activation.
    pub(crate) fn params(&self, quant: &LinearQuantParams) -> Requantization<'_> {
        let len = self.len;
        Requantization {
            multipliers: self.multipliers.get(..len).unwrap_or_default(),
            left_shifts: self.left_shifts.get(..len).unwrap_or_default(),
            right_shifts: self.right_shifts.get(..len).unwrap_or_default(),
            output_offset: quant.output_offset,
            min: quant.activation.min,
            max: quant.activation.max,
        }
    }
}

/// `out[c] = clamp(MultiplyByQuantizedMultiplier(sums[c], m[c], shift[c]) +
/// output_offset, min, max)` for every `c` of the shortest of `sums`, `out` and the
/// parameters: four channels per pass of VSHL (the left shift, wrapping),
/// VQRDMULH (gemmlowp's saturating rounding doubling high multiply, the same
/// rounding for every sign), VAND, VSHR and VQADD (subtracting one from a negative
/// value that is shifted right, which turns VRSHL's ties toward +infinity into
/// gemmlowp's ties away from zero), VRSHL, VADD, VMAX, VMIN, the narrowing VSTRB
/// and four VLDRW: 15 instructions per four outputs.
#[inline(always)]
pub(crate) fn requantize(sums: &[i32], params: &Requantization<'_>, out: &mut [i8]) {
    let len = sums
        .len()
        .min(out.len())
        .min(params.multipliers.len())
        .min(params.left_shifts.len())
        .min(params.right_shifts.len());
    let Requantization {
        multipliers,
        left_shifts,
        right_shifts,
        ..
    } = *params;
    imp::requantize(
        [
            &sums[..len],
            &multipliers[..len],
            &left_shifts[..len],
            &right_shifts[..len],
        ],
        [params.output_offset, params.min, params.max],
        &mut out[..len],
    );
}

/// A depthwise block's taps: per tap, the run of the block's channels in the input
/// (or in the padding: the input zero point, for a tap outside the input) and in the
/// filter, as indices and, where the `asm!` loops read them, addresses.
pub(crate) struct TapRuns<'a> {
    input: &'a [i8],
    filter: &'a [i8],
    /// The zero point, one per channel of the block.
    padding: &'a [i8],
    /// Per tap: the input run's first index (`None`: the padding), the weights'.
    runs: [(Option<usize>, usize); MAX_TAPS],
    /// Per tap: the input run's address and the weights'.
    #[cfg(all(feature = "arm_mve", target_arch = "arm"))]
    addresses: [[usize; 2]; MAX_TAPS],
    len: usize,
}

impl<'a> TapRuns<'a> {
    /// An empty list for runs of `padding.len()` channels.
    pub(crate) fn new(input: &'a [i8], filter: &'a [i8], padding: &'a [i8]) -> Self {
        Self {
            input,
            filter,
            padding,
            runs: [(None, 0); MAX_TAPS],
            #[cfg(all(feature = "arm_mve", target_arch = "arm"))]
            addresses: [[0; 2]; MAX_TAPS],
            len: 0,
        }
    }

    /// Appends a tap whose weights start at `weights_at`, its input in the padding.
    pub(crate) fn push(&mut self, weights_at: usize) -> KernelResult {
        elements(self.filter, weights_at, self.padding.len())?;
        let tap = self.len;
        *self
            .runs
            .get_mut(tap)
            .ok_or(KernelError::InvalidParameter)? = (None, weights_at);
        #[cfg(all(feature = "arm_mve", target_arch = "arm"))]
        if let Some(addresses) = self.addresses.get_mut(tap) {
            let weights = self.filter.as_ptr().wrapping_add(weights_at);
            *addresses = [self.padding.as_ptr() as usize, weights as usize];
        }
        self.len += 1;
        Ok(())
    }

    /// Sets where `tap`'s input run starts (`None`: the padding).
    #[inline(always)]
    pub(crate) fn set_input(&mut self, tap: usize, input_at: Option<usize>) -> KernelResult {
        if tap >= self.len {
            return Err(KernelError::InvalidParameter);
        }
        let run = match input_at {
            Some(at) => elements(self.input, at, self.padding.len())?,
            None => self.padding,
        };
        #[cfg(all(feature = "arm_mve", target_arch = "arm"))]
        if let Some([address, _]) = self.addresses.get_mut(tap) {
            *address = run.as_ptr() as usize;
        }
        #[cfg(not(all(feature = "arm_mve", target_arch = "arm")))]
        let _ = run;
        if let Some((input, _)) = self.runs.get_mut(tap) {
            *input = input_at;
        }
        Ok(())
    }

    /// `starts[c] + sum(x * w)` over the taps, for channel `c` of the block.
    fn sum(&self, c: usize, start: i32) -> Option<i32> {
        let mut sum = start;
        for &(input_at, weights_at) in self.runs.get(..self.len)? {
            let x = match input_at {
                Some(at) => self.input.get(at.checked_add(c)?)?,
                None => self.padding.get(c)?,
            };
            let w = self.filter.get(weights_at.checked_add(c)?)?;
            sum = sum.wrapping_add(i32::from(*x) * i32::from(*w));
        }
        Some(sum)
    }
}

/// `sums[c] = starts[c] + sum(x * w)` over the taps of `runs` for every channel `c`
/// of the block (`sums` as long as the runs): sixteen channels per pass over the
/// taps, each tap two widening VLDRB, VMUL and VADD per four channels (16
/// multiply-adds in 21 instructions with the tap's LDRD, two ADDs, SUBS and BNE),
/// then four per pass (4 in 9), then the last `n % 4` one by one.
pub(crate) fn depthwise_sums(
    runs: &TapRuns<'_>,
    starts: &[i32; BLOCK],
    sums: &mut [i32],
) -> KernelResult {
    let inconsistent = KernelError::InvalidParameter;
    if sums.len() != runs.padding.len() {
        return Err(inconsistent);
    }
    let mut channel = 0;
    for (sums, starts) in sums.chunks_exact_mut(16).zip(starts.chunks_exact(16)) {
        let sums: &mut [i32; 16] = sums.try_into().map_err(|_| inconsistent)?;
        let starts: &[i32; 16] = starts.try_into().map_err(|_| inconsistent)?;
        imp::tap_sums(runs, channel, starts, sums).ok_or(inconsistent)?;
        channel += 16;
    }
    let rest = sums.get_mut(channel..).unwrap_or_default();
    let rest_starts = starts.get(channel..).unwrap_or_default();
    for (sums, starts) in rest.chunks_exact_mut(4).zip(rest_starts.chunks_exact(4)) {
        let sums: &mut [i32; 4] = sums.try_into().map_err(|_| inconsistent)?;
        let starts: &[i32; 4] = starts.try_into().map_err(|_| inconsistent)?;
        imp::tap_sums(runs, channel, starts, sums).ok_or(inconsistent)?;
        channel += 4;
    }
    let last = sums.get_mut(channel..).unwrap_or_default();
    for ((sum, &start), c) in last
        .iter_mut()
        .zip(starts.get(channel..).unwrap_or_default())
        .zip(channel..)
    {
        *sum = runs.sum(c, start).ok_or(inconsistent)?;
    }
    Ok(())
}

/// The loops as `asm!`. This module's `unsafe`: every block reads only within the
/// slices it is given (below), writes only the registers it names and the flags,
/// and touches no stack.
#[cfg(all(feature = "arm_mve", target_arch = "arm"))]
#[allow(unsafe_code)]
mod imp {
    use super::TapRuns;
    use core::arch::asm;

    /// `(sum(x * w), sum(w))`, wrapping; both slices have one length (the caller's).
    #[inline(always)]
    pub fn dot_and_sum(inputs: &[i8], weights: &[i8]) -> (i32, i32) {
        let (mut products, mut weight_sum) = (0i32, 0i32);
        // SAFETY: WLSTP.8 skips the loop for length 0; otherwise it runs
        // `ceil(len / 16)` passes with tail predication, each reading 16 bytes at
        // `inputs` and at `weights` with the lanes past `len` predicated off (they
        // neither read memory nor add), so it reads exactly both slices; LCTP leaves
        // tail predication off again, and the loop counter is LR. It writes q0, q1
        // (s0-s7, declared) and the named registers, and neither memory nor the stack.
        unsafe {
            asm!(
                "wlstp.8 lr, {n}, 3f",
                "2:",
                "vldrb.u8 q0, [{x}], #16",
                "vldrb.u8 q1, [{w}], #16",
                "vmladava.s8 r0, q0, q1",
                "vaddva.s8 r2, q1",
                "letp lr, 2b",
                "3:",
                "lctp",
                x = inout(reg) inputs.as_ptr() => _,
                w = inout(reg) weights.as_ptr() => _,
                n = in(reg) inputs.len(),
                inout("r0") products,
                inout("r2") weight_sum,
                out("lr") _,
                out("s0") _, out("s1") _, out("s2") _, out("s3") _,
                out("s4") _, out("s5") _, out("s6") _, out("s7") _,
                options(readonly, nostack),
            );
        }
        (products, weight_sum)
    }

    /// All four slices have one length (the caller's).
    #[inline(always)]
    pub fn dot_2x2_i8(a: &[i8], b: &[i8], pa: &[i8], pb: &[i8], init: [i32; 4]) -> [i32; 4] {
        let [mut s0, mut s1, mut s2, mut s3] = init;
        // SAFETY: WLSTP.8 skips the loop for length 0; otherwise it runs
        // `ceil(len / 16)` passes with tail predication, each reading 16 bytes at
        // each pointer with the lanes past `len` predicated off (they neither read
        // memory nor add), so it reads exactly the four slices; LCTP leaves tail
        // predication off again, and the loop counter is LR. VMLADAV takes even
        // accumulator registers. It writes q0-q3 (s0-s15, declared) and the named
        // registers, and neither memory nor the stack.
        unsafe {
            asm!(
                "wlstp.8 lr, {n}, 3f",
                "2:",
                "vldrb.u8 q0, [{a}], #16",
                "vldrb.u8 q1, [{b}], #16",
                "vldrb.u8 q2, [{pa}], #16",
                "vldrb.u8 q3, [{pb}], #16",
                "vmladava.s8 r0, q0, q2",
                "vmladava.s8 r2, q0, q3",
                "vmladava.s8 r8, q1, q2",
                "vmladava.s8 r12, q1, q3",
                "letp lr, 2b",
                "3:",
                "lctp",
                a = inout(reg) a.as_ptr() => _,
                b = inout(reg) b.as_ptr() => _,
                pa = inout(reg) pa.as_ptr() => _,
                pb = inout(reg) pb.as_ptr() => _,
                n = in(reg) a.len(),
                inout("r0") s0,
                inout("r2") s1,
                inout("r8") s2,
                inout("r12") s3,
                out("lr") _,
                out("s0") _, out("s1") _, out("s2") _, out("s3") _,
                out("s4") _, out("s5") _, out("s6") _, out("s7") _,
                out("s8") _, out("s9") _, out("s10") _, out("s11") _,
                out("s12") _, out("s13") _, out("s14") _, out("s15") _,
                options(readonly, nostack),
            );
        }
        [s0, s1, s2, s3]
    }

    /// `sums[i] = starts[i] + sum(x * w)` for channels `channel..channel + W` of the
    /// block (within it: the caller's), `W` 16 or 4.
    #[inline(always)]
    pub fn tap_sums<const W: usize>(
        runs: &TapRuns<'_>,
        channel: usize,
        starts: &[i32; W],
        sums: &mut [i32; W],
    ) -> Option<()> {
        let taps = runs.addresses.get(..runs.len).unwrap_or_default();
        if taps.is_empty() {
            *sums = *starts;
            return Some(());
        }
        if W == 16 {
            // SAFETY: each tap's two addresses start runs of the block's channels
            // (`TapRuns` checked them: the input run within the input, or the
            // padding, and the weights within the filter); the loop reads bytes
            // `channel..channel + 16` of both runs of every tap (within them: the
            // caller's), through r4 and r5 (the widening VLDRB takes low base
            // registers), once per tap (at least one), and `taps` is read through its
            // slice. It reads the 16 words of `starts` and writes the 16 of `sums`
            // (VLDRW/VSTRW: `i32` arrays are word aligned), writes q0, q1, q4-q7
            // (declared), the named registers and the flags, and touches no stack.
            unsafe {
                asm!(
                    "vldrw.u32 q4, [{starts}]",
                    "vldrw.u32 q5, [{starts}, #16]",
                    "vldrw.u32 q6, [{starts}, #32]",
                    "vldrw.u32 q7, [{starts}, #48]",
                    "2:",
                    "ldrd r4, r5, [{taps}], #8",
                    "add r4, {channel}",
                    "add r5, {channel}",
                    "vldrb.s32 q0, [r4]",
                    "vldrb.s32 q1, [r5]",
                    "vmul.i32 q0, q0, q1",
                    "vadd.i32 q4, q4, q0",
                    "vldrb.s32 q0, [r4, #4]",
                    "vldrb.s32 q1, [r5, #4]",
                    "vmul.i32 q0, q0, q1",
                    "vadd.i32 q5, q5, q0",
                    "vldrb.s32 q0, [r4, #8]",
                    "vldrb.s32 q1, [r5, #8]",
                    "vmul.i32 q0, q0, q1",
                    "vadd.i32 q6, q6, q0",
                    "vldrb.s32 q0, [r4, #12]",
                    "vldrb.s32 q1, [r5, #12]",
                    "vmul.i32 q0, q0, q1",
                    "vadd.i32 q7, q7, q0",
                    "subs {n}, #1",
                    "bne 2b",
                    "vstrw.32 q4, [{sums}]",
                    "vstrw.32 q5, [{sums}, #16]",
                    "vstrw.32 q6, [{sums}, #32]",
                    "vstrw.32 q7, [{sums}, #48]",
                    starts = in(reg) starts.as_ptr(),
                    sums = in(reg) sums.as_mut_ptr(),
                    taps = inout(reg) taps.as_ptr() => _,
                    n = inout(reg) taps.len() => _,
                    channel = in(reg) channel,
                    out("r4") _,
                    out("r5") _,
                    out("s0") _, out("s1") _, out("s2") _, out("s3") _,
                    out("s4") _, out("s5") _, out("s6") _, out("s7") _,
                    out("s16") _, out("s17") _, out("s18") _, out("s19") _,
                    out("s20") _, out("s21") _, out("s22") _, out("s23") _,
                    out("s24") _, out("s25") _, out("s26") _, out("s27") _,
                    out("s28") _, out("s29") _, out("s30") _, out("s31") _,
                    options(nostack),
                );
            }
        } else {
            // SAFETY: as above, for bytes `channel..channel + 4` of each run and 4
            // words of `starts` and `sums`; it writes q0, q1, q4 (declared).
            unsafe {
                asm!(
                    "vldrw.u32 q4, [{starts}]",
                    "2:",
                    "ldrd r4, r5, [{taps}], #8",
                    "add r4, {channel}",
                    "add r5, {channel}",
                    "vldrb.s32 q0, [r4]",
                    "vldrb.s32 q1, [r5]",
                    "vmul.i32 q0, q0, q1",
                    "vadd.i32 q4, q4, q0",
                    "subs {n}, #1",
                    "bne 2b",
                    "vstrw.32 q4, [{sums}]",
                    starts = in(reg) starts.as_ptr(),
                    sums = in(reg) sums.as_mut_ptr(),
                    taps = inout(reg) taps.as_ptr() => _,
                    n = inout(reg) taps.len() => _,
                    channel = in(reg) channel,
                    out("r4") _,
                    out("r5") _,
                    out("s0") _, out("s1") _, out("s2") _, out("s3") _,
                    out("s4") _, out("s5") _, out("s6") _, out("s7") _,
                    out("s16") _, out("s17") _, out("s18") _, out("s19") _,
                    options(nostack),
                );
            }
        }
        Some(())
    }

    /// All slices have one length (the caller's).
    #[inline(always)]
    pub fn requantize(
        [sums, multipliers, left_shifts, right_shifts]: [&[i32]; 4],
        [output_offset, min, max]: [i32; 3],
        out: &mut [i8],
    ) {
        // SAFETY: WLSTP.32 skips the loop for length 0; otherwise it runs
        // `ceil(len / 4)` passes with tail predication, each reading 4 words at each
        // of the four `i32` slices (word aligned, as VLDRW needs) and writing 4
        // bytes at `out`, advancing past them, with the lanes past `len` predicated
        // off: it reads exactly the four slices and writes exactly `out`. The
        // narrowing VSTRB takes a low base register, hence r1. It writes q0-q4
        // (s0-s19, declared), the named registers and `out`, and not the stack.
        unsafe {
            asm!(
                "vdup.32 q3, {min}",
                "vdup.32 q4, {max}",
                "wlstp.32 lr, {n}, 3f",
                "2:",
                "vldrw.u32 q0, [{sums}], #16",
                "vldrw.u32 q1, [{left}], #16",
                "vshl.s32 q0, q0, q1",
                "vldrw.u32 q1, [{mult}], #16",
                "vqrdmulh.s32 q0, q0, q1",
                "vldrw.u32 q1, [{right}], #16",
                "vand q2, q0, q1",
                "vshr.s32 q2, q2, #31",
                "vqadd.s32 q0, q0, q2",
                "vrshl.s32 q0, q0, q1",
                "vadd.i32 q0, q0, {offset}",
                "vmax.s32 q0, q0, q3",
                "vmin.s32 q0, q0, q4",
                "vstrb.32 q0, [r1], #4",
                "letp lr, 2b",
                "3:",
                "lctp",
                sums = inout(reg) sums.as_ptr() => _,
                left = inout(reg) left_shifts.as_ptr() => _,
                mult = inout(reg) multipliers.as_ptr() => _,
                right = inout(reg) right_shifts.as_ptr() => _,
                n = in(reg) out.len(),
                offset = in(reg) output_offset,
                min = in(reg) min,
                max = in(reg) max,
                inout("r1") out.as_mut_ptr() => _,
                out("lr") _,
                out("s0") _, out("s1") _, out("s2") _, out("s3") _,
                out("s4") _, out("s5") _, out("s6") _, out("s7") _,
                out("s8") _, out("s9") _, out("s10") _, out("s11") _,
                out("s12") _, out("s13") _, out("s14") _, out("s15") _,
                out("s16") _, out("s17") _, out("s18") _, out("s19") _,
                options(nostack),
            );
        }
    }
}

/// The loops lane by lane: each pass takes the next vector of lanes (fewer in the
/// last), as the predicated instructions do.
#[cfg(not(all(feature = "arm_mve", target_arch = "arm")))]
mod imp {
    use super::TapRuns;
    pub fn tap_sums<const W: usize>(
        runs: &TapRuns<'_>,
        channel: usize,
        starts: &[i32; W],
        sums: &mut [i32; W],
    ) -> Option<()> {
        for ((c, sum), &start) in (channel..).zip(sums).zip(starts) {
            *sum = runs.sum(c, start)?;
        }
        Some(())
    }

    /// The lanes of a vector (VLDRB.S16, VLDRH), widened.
    fn widen<T: Copy + Into<i32>>(lanes: &[T]) -> impl Iterator<Item = i32> + '_ {
        lanes.iter().map(|&x| x.into())
    }

    /// VMLADAVA: `acc` plus the lanes' products, wrapping.
    fn multiply_add_across(
        acc: i32,
        x: impl Iterator<Item = i32>,
        y: impl Iterator<Item = i32>,
    ) -> i32 {
        x.zip(y).fold(acc, |acc, (x, y)| acc.wrapping_add(x * y))
    }

    pub fn dot_and_sum(inputs: &[i8], weights: &[i8]) -> (i32, i32) {
        const LANES: usize = 16;
        let (mut products, mut weight_sum) = (0i32, 0i32);
        for (x, w) in inputs.chunks(LANES).zip(weights.chunks(LANES)) {
            products = multiply_add_across(products, widen(x), widen(w));
            weight_sum = widen(w).fold(weight_sum, i32::wrapping_add);
        }
        (products, weight_sum)
    }

    pub fn dot_2x2_i8(a: &[i8], b: &[i8], pa: &[i8], pb: &[i8], init: [i32; 4]) -> [i32; 4] {
        const LANES: usize = 16;
        let mut sums = init;
        let vectors = a
            .chunks(LANES)
            .zip(b.chunks(LANES))
            .zip(pa.chunks(LANES).zip(pb.chunks(LANES)));
        for ((a, b), (pa, pb)) in vectors {
            sums[0] = multiply_add_across(sums[0], widen(a), widen(pa));
            sums[1] = multiply_add_across(sums[1], widen(a), widen(pb));
            sums[2] = multiply_add_across(sums[2], widen(b), widen(pa));
            sums[3] = multiply_add_across(sums[3], widen(b), widen(pb));
        }
        sums
    }

    /// VQRDMULH.S32: `(2 * x * m + 2^31) >> 32`, saturated (computed halved, which
    /// cannot overflow).
    fn saturating_rounding_doubling_high_mul(x: i32, m: i32) -> i32 {
        let high = (i64::from(x) * i64::from(m) + (1 << 30)) >> 31;
        high.clamp(i32::MIN.into(), i32::MAX.into()) as i32
    }

    /// VRSHL.S32 by `shift` in `-31..=0`: `(x + 2^(-shift-1)) >> -shift`, exact.
    fn rounding_shift_right(x: i32, shift: i32) -> i32 {
        let right = shift.unsigned_abs().min(31);
        let round = (1i64 << right) >> 1;
        ((i64::from(x) + round) >> right) as i32
    }

    pub fn requantize(
        [sums, multipliers, left_shifts, right_shifts]: [&[i32]; 4],
        [output_offset, min, max]: [i32; 3],
        out: &mut [i8],
    ) {
        let lanes = sums
            .iter()
            .zip(multipliers)
            .zip(left_shifts.iter().zip(right_shifts));
        for (o, ((&x, &m), (&left, &right))) in out.iter_mut().zip(lanes) {
            let x = x.wrapping_shl(left.clamp(0, 31) as u32);
            let x = saturating_rounding_doubling_high_mul(x, m);
            let fixup = (x & right) >> 31;
            let x = rounding_shift_right(x.saturating_add(fixup), right);
            // The range lies within int8: VSTRB keeps the low byte.
            *o = x.wrapping_add(output_offset).max(min).min(max) as i8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::pseudo_random_i8;

    #[test]
    fn offset_dot_equals_plain_dot_product() {
        for len in [0, 1, 15, 16, 17, 40, 4000] {
            let x = pseudo_random_i8(len, 5);
            let w = pseudo_random_i8(len, 6);
            for offset in [-127i32, 0, 128, 40_000] {
                let expected = x.iter().zip(&w).fold(0i32, |s, (&x, &w)| {
                    s.wrapping_add((i32::from(x) + offset) * i32::from(w))
                });
                assert_eq!(
                    dot_offset(&x, &w, offset),
                    expected,
                    "len {len} offset {offset}"
                );
                let third = len / 3;
                let shorter = dot_offset(&x[..third], &w[..third], offset);
                assert_eq!(dot_offset(&x, &w[..third], offset), shorter, "len {len}");
            }
        }
    }

    #[test]
    fn int8_pair_sums_equal_plain_dot_products() {
        let dot8 = |w: &[i8], x: &[i8]| -> i32 {
            w.iter().zip(x).fold(0i32, |s, (&w, &x)| {
                s.wrapping_add(i32::from(w) * i32::from(x))
            })
        };
        for len in [0, 1, 15, 16, 17, 33, 64, 576] {
            let a = pseudo_random_i8(len, 7);
            let b = pseudo_random_i8(len, 8);
            let mut pa = pseudo_random_i8(len, 9);
            let pb = pseudo_random_i8(len, 10);
            pa.iter_mut().take(3).for_each(|x| *x = i8::MIN);
            let init = [5, -7, i32::MAX, i32::MIN];
            let expected = [
                init[0].wrapping_add(dot8(&a, &pa)),
                init[1].wrapping_add(dot8(&a, &pb)),
                init[2].wrapping_add(dot8(&b, &pa)),
                init[3].wrapping_add(dot8(&b, &pb)),
            ];
            assert_eq!(dot_2x2_i8(&a, &b, &pa, &pb, init), expected, "len {len}");
        }
    }

    #[test]
    fn requantization_equals_the_reference() {
        use crate::quant::multiply_by_quantized_multiplier;
        let values = [
            0,
            1,
            -1,
            2,
            -2,
            3,
            -3,
            5,
            -5,
            1 << 20,
            -(1 << 20),
            (1 << 20) + (1 << 19),
            -(1 << 20) - (1 << 19),
            123_456_789,
            -123_456_789,
            i32::MAX,
            i32::MIN,
            i32::MIN + 1,
        ];
        let multipliers = [
            i32::MIN,
            -1_500_000_000,
            0,
            1 << 30,
            1_518_500_250,
            i32::MAX,
        ];
        for shift in [-31, -30, -20, -8, -1, 0, 1, 3, 30, 31, 40] {
            for &m in &multipliers {
                for (offset, min, max) in [(0, -128, 127), (-128, -128, 127), (5, -20, 100)] {
                    let n = values.len();
                    let params = Requantization {
                        multipliers: &vec![m; n],
                        left_shifts: &vec![shift.clamp(0, 31); n],
                        right_shifts: &vec![-shift.saturating_neg().clamp(0, 31); n],
                        output_offset: offset,
                        min,
                        max,
                    };
                    let mut out = vec![0i8; n];
                    requantize(&values, &params, &mut out);
                    for (&x, &o) in values.iter().zip(&out) {
                        let expected = multiply_by_quantized_multiplier(x, m, shift)
                            .wrapping_add(offset)
                            .max(min)
                            .min(max);
                        assert_eq!(i32::from(o), expected, "x {x} m {m} shift {shift}");
                    }
                }
            }
        }
    }
}
