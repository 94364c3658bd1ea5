//! The packed 16-bit arithmetic of Armv7E-M's DSP extension that the DSP fast paths
//! ([`super::mat_mult`], [`super::depthwise_conv`]) are built from, and the one-load
//! read of a lane pair they need.
//!
//! With the crate feature `arm_dsp` on an Arm target (Bazel sets it for Armv7E-M
//! platforms, see `BUILD.bazel`) each function is its one instruction, written with
//! `asm!` because `core::arch::arm`'s DSP intrinsics are unstable. Everywhere else
//! each is a portable function with the same bits, which the host tests run, so the
//! kernels built on them are tested on the host as well as on QEMU.
//!
//! A word holds two 16-bit lanes, lane 0 in the low half.

/// Whether the kernels take their DSP fast paths: on Armv7E-M, and with the
/// portable definitions on RV32 (feature `portable_dsp_paths`: the blocking pays
/// without SIMD), in the host tests and the no-panic link check.
pub(crate) const FAST_PATHS: bool = cfg!(any(
    test,
    feature = "portable_dsp_paths",
    all(feature = "arm_dsp", target_arch = "arm")
));

/// The loop around a group's instructions (`$group`, a macro naming them): `$n`
/// groups, an odd one first, then two per pass with one SUBS and BNE for both; `$n`
/// is the counter's register and is consumed.
#[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
macro_rules! groups_two_per_pass {
    ($group:ident, $n:literal) => {
        concat!(
            "lsrs ",
            $n,
            ", ",
            $n,
            ", #1\n",
            "bcc 3f\n",
            $group!(),
            "\n",
            "3:\n",
            "cmp ",
            $n,
            ", #0\n",
            "beq 4f\n",
            "2:\n",
            $group!(),
            "\n",
            $group!(),
            "\n",
            "subs ",
            $n,
            ", ",
            $n,
            ", #1\n",
            "bne 2b\n",
            "4:",
        )
    };
}

/// One group of four of `imp::dot_2x2_groups`' loop: 15 instructions for 16
/// multiply-adds. `r4`..`r7` receive the group's four patch words (`pa` lanes 0 2,
/// `pa` 1 3, `pb` 0 2, `pb` 1 3), LDM filling ascending registers from ascending
/// addresses. Registers: sums `r0`..`r3`, filters `r8`, `r9`, patches `r10`, weight
/// word `r12`, widened weights `lr`.
#[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
macro_rules! dot_2x2_group {
    () => {
        concat!(
            "ldm r10!, {{r4, r5, r6, r7}}\n",
            "ldr r12, [r8], #4\n",
            "sxtb16 lr, r12\n",
            "smlad r0, lr, r4, r0\n",
            "smlad r1, lr, r6, r1\n",
            "sxtb16 lr, r12, ror #8\n",
            "smlad r0, lr, r5, r0\n",
            "smlad r1, lr, r7, r1\n",
            "ldr r12, [r9], #4\n",
            "sxtb16 lr, r12\n",
            "smlad r2, lr, r4, r2\n",
            "smlad r3, lr, r6, r3\n",
            "sxtb16 lr, r12, ror #8\n",
            "smlad r2, lr, r5, r2\n",
            "smlad r3, lr, r7, r3",
        )
    };
}

/// One group of four of `imp::dot_4x1_groups`' loop: 21 instructions for 16
/// multiply-adds (registers in its doc).
#[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
macro_rules! dot_4x1_group {
    () => {
        concat!(
            "ldm r10!, {{r4, r5}}\n",
            "ldr r12, [r8], #4\n",
            "sxtb16 lr, r12\n",
            "smlad r0, lr, r4, r0\n",
            "sxtb16 lr, r12, ror #8\n",
            "smlad r0, lr, r5, r0\n",
            "ldr r12, [r9], #4\n",
            "sxtb16 lr, r12\n",
            "smlad r1, lr, r4, r1\n",
            "sxtb16 lr, r12, ror #8\n",
            "smlad r1, lr, r5, r1\n",
            "ldr r12, [r11], #4\n",
            "sxtb16 lr, r12\n",
            "smlad r2, lr, r4, r2\n",
            "sxtb16 lr, r12, ror #8\n",
            "smlad r2, lr, r5, r2\n",
            "ldr r12, [r6], #4\n",
            "sxtb16 lr, r12\n",
            "smlad r3, lr, r4, r3\n",
            "sxtb16 lr, r12, ror #8\n",
            "smlad r3, lr, r5, r3",
        )
    };
}

/// The implementation: one instruction each. This is the crate's only `unsafe`:
/// every `asm!` block reads and writes only the registers it names (no memory, no
/// stack), and every instruction is defined for every input, so no input can make
/// them unsound; [`imp::lanes`] reads the 4 bytes of a borrowed array, and
/// `imp::dot_2x2_groups` reads within three borrowed slices (its own argument).
#[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
#[allow(unsafe_code)]
mod imp {
    use core::arch::asm;

    #[inline(always)]
    pub fn lanes(pair: &[i16; 2]) -> u32 {
        // SAFETY: `pair` is 4 readable bytes; `read_unaligned` needs no alignment (a
        // single LDR: Armv7-M loads words at any address).
        unsafe { core::ptr::read_unaligned(pair.as_ptr().cast::<u32>()) }
    }

    #[inline(always)]
    pub fn sxtb16(x: u32) -> u32 {
        let out: u32;
        // SAFETY: register-only instruction, defined for every input (module docs).
        unsafe {
            asm!("sxtb16 {0}, {1}", lateout(reg) out, in(reg) x,
                 options(pure, nomem, nostack, preserves_flags));
        }
        out
    }

    #[inline(always)]
    pub fn sxtb16_ror8(x: u32) -> u32 {
        let out: u32;
        // SAFETY: register-only instruction, defined for every input (module docs).
        unsafe {
            asm!("sxtb16 {0}, {1}, ror #8", lateout(reg) out, in(reg) x,
                 options(pure, nomem, nostack, preserves_flags));
        }
        out
    }

    #[inline(always)]
    pub fn sadd16(x: u32, y: u32) -> u32 {
        let out: u32;
        // SAFETY: register-only instruction, defined for every input (module docs).
        // It sets the GE flags, so no `preserves_flags`.
        unsafe {
            asm!("sadd16 {0}, {1}, {2}", lateout(reg) out, in(reg) x, in(reg) y,
                 options(pure, nomem, nostack));
        }
        out
    }

    #[inline(always)]
    pub fn smlabb(x: u32, y: u32, acc: i32) -> i32 {
        let out: i32;
        // SAFETY: register-only instruction, defined for every input (module docs).
        // It may set the sticky Q flag, so no `preserves_flags`.
        unsafe {
            asm!("smlabb {0}, {1}, {2}, {3}", lateout(reg) out, in(reg) x, in(reg) y,
                 in(reg) acc, options(pure, nomem, nostack));
        }
        out
    }

    #[inline(always)]
    pub fn smlatt(x: u32, y: u32, acc: i32) -> i32 {
        let out: i32;
        // SAFETY: register-only instruction, defined for every input (module docs).
        // It may set the sticky Q flag, so no `preserves_flags`.
        unsafe {
            asm!("smlatt {0}, {1}, {2}, {3}", lateout(reg) out, in(reg) x, in(reg) y,
                 in(reg) acc, options(pure, nomem, nostack));
        }
        out
    }

    /// [`super::super::mat_mult::dot_2x2`]'s full groups as one loop of 31
    /// instructions per 32 multiply-adds (two groups per pass), which needs 14
    /// registers: the 12 `asm!` may name, and `r6` and `r7` (LLVM's base and frame
    /// pointers, which no operand may name), saved on the stack around the loop.
    #[inline(always)]
    pub fn dot_2x2_groups(a: &[i8], b: &[i8], pair: &[u32]) -> [i32; 4] {
        let groups = (a.len() / 4).min(b.len() / 4).min(pair.len() / 4);
        let mut sums = [0i32; 4];
        if groups == 0 {
            return sums;
        }
        let [mut s0, mut s1, mut s2, mut s3] = sums;
        // SAFETY: the code runs the group `groups` >= 1 times (an odd one, then
        // pairs) and each group reads 4 bytes at `a` and at `b` and 16 bytes at `p`,
        // advancing each past what it read, so it reads the first `4 * groups`
        // elements of `a`, `b` and `pair`, all within them (`groups` is at most each
        // length / 4). LDR needs no alignment on Armv7-M; LDM needs word alignment,
        // which `pair`, a `u32` slice, has (each group advances it by 16 bytes). It writes only
        // its register operands, the flags (SUBS; no `preserves_flags`) and `r6`,
        // `r7`, which it pushes first and pops last, restoring them and the stack
        // pointer.
        unsafe {
            asm!(
                "push {{r6, r7}}",
                groups_two_per_pass!(dot_2x2_group, "r11"),
                "pop {{r6, r7}}",
                // Every register named (the group's `asm!` names them): the loop uses
                // all but `r6`, `r7` (saved above), and the LDM needs its four in
                // ascending order; the pass counter is `r11`.
                inout("r8") a.as_ptr() => _,
                inout("r9") b.as_ptr() => _,
                inout("r10") pair.as_ptr() => _,
                inout("r11") groups => _,
                inout("r0") s0,
                inout("r1") s1,
                inout("r2") s2,
                inout("r3") s3,
                out("r12") _,
                out("lr") _,
                out("r4") _,
                out("r5") _,
                options(readonly),
            );
        }
        sums = [s0, s1, s2, s3];
        sums
    }

    /// [`super::super::mat_mult::dot_4x1`]'s full groups as one loop of 43
    /// instructions per 32 multiply-adds (two groups per pass) in 14 registers:
    /// the sums `r0`..`r3`, the input words `r4`, `r5` (one LDM), the rows `r6`,
    /// `r8`, `r9`, `r11`, the input `r10`, the pass counter `r7`, the weight word
    /// `r12` and its widened lanes `lr`; `r6` and `r7` saved on the stack around it.
    #[inline(always)]
    pub fn dot_4x1_groups(rows: [&[i8]; 4], x: &[u32], sums: [i32; 4]) -> [i32; 4] {
        let groups = rows
            .iter()
            .fold(x.len() / 2, |groups, row| groups.min(row.len() / 4));
        if groups == 0 {
            return sums;
        }
        let [mut s0, mut s1, mut s2, mut s3] = sums;
        let [r0, r1, r2, r3] = rows;
        // SAFETY: the code runs the group `groups` >= 1 times (an odd one, then
        // pairs); each group reads 4 bytes at each row and 8 bytes at `x`, advancing
        // each past what it read, so it reads the first `4 * groups` elements of
        // each row and `2 * groups` of `x`, all within them (`groups` is at most
        // each row's length / 4 and `x.len() / 2`). LDR needs no alignment on
        // Armv7-M; LDM needs word alignment, which `x`, a `u32` slice, has. It writes
        // only its register operands, the flags (SUBS; no `preserves_flags`) and
        // `r6`, `r7`, which it pushes first and pops last, restoring them and the
        // stack pointer. `r6` and `r7` cannot be operands: the fourth row and the
        // count arrive in `r12` and `lr` and are moved there.
        unsafe {
            asm!(
                "push {{r6, r7}}",
                "mov r6, r12",
                "mov r7, lr",
                groups_two_per_pass!(dot_4x1_group, "r7"),
                "pop {{r6, r7}}",
                inout("r8") r0.as_ptr() => _,
                inout("r9") r1.as_ptr() => _,
                inout("r11") r2.as_ptr() => _,
                inout("r12") r3.as_ptr() => _,
                inout("lr") groups => _,
                inout("r10") x.as_ptr() => _,
                inout("r0") s0,
                inout("r1") s1,
                inout("r2") s2,
                inout("r3") s3,
                out("r4") _,
                out("r5") _,
                options(readonly),
            );
        }
        [s0, s1, s2, s3]
    }

    /// [`super::TapPairs::group_sums`]' loops: per group of four channels the four
    /// sums loaded from `inits`, then per pair of taps one LDRD of their two input
    /// offsets, two input LDRs, 4 SXTB16, 4 PKHBT/PKHTB (each channel's two taps
    /// into one word), two LDRDs of the four widened weight words, 4 SMLADs, SUBS,
    /// BNE (19 instructions per 8 multiply-adds), then the sums stored to `sums`. It needs 14 registers: the 12 `asm!` may name and `r6`,
    /// `r7` (LLVM's base and frame pointers), saved on the stack around the loops,
    /// with the per-group constants.
    ///
    /// # Safety
    ///
    /// `groups >= 1`, `pairs >= 1`, `inits.len()` and `sums.len()` at least `4 *
    /// groups`, `offsets.len() >=
    /// 2 * pairs`, `weights.len() >= 4 * pairs * groups`, and for each `x` in
    /// `offsets[..2 * pairs]`, `base + x` (wrapping address arithmetic) is the start
    /// of `4 * groups` readable bytes.
    #[inline(always)]
    pub unsafe fn depthwise_pair_sums(
        base: *const i8,
        offsets: &[u32],
        weights: &[u32],
        pairs: usize,
        groups: usize,
        inits: &[i32],
        sums: &mut [i32],
    ) {
        // SAFETY: the outer loop runs `groups` >= 1 times: it loads the four words
        // at `inits + 16 * g` and stores four at `sums + 16 * g` (LDM/STM,
        // word-aligned: `i32` slices), and
        // its inner loop runs `pairs` >= 1 times, each pass reading two elements of
        // `offsets` (one LDRD, 4-byte aligned as LDRD needs: a `u32` slice) from
        // its start, the 4 bytes at `base + 4 * g + x` for each (the caller's
        // contract; LDR needs no alignment on Armv7-M) and four elements of
        // `weights` (two LDRDs), the weight pointer running on across groups, so it
        // reads within every slice (the caller's lengths). It writes only `sums`,
        // its register operands, the flags (SUBS; no `preserves_flags`) and `r6`,
        // `r7` and 20 bytes below them on the stack, which it pushes first and pops
        // last, restoring them and the stack pointer.
        unsafe {
            asm!(
                "push {{r6, r7}}",
                // [sp]: sums, [sp + 4]: groups left, [sp + 8]: offsets, [sp + 12]:
                // pairs, [sp + 16]: inits.
                "push {{r0, r1, r2, r3, r4}}",
                "1:",
                "ldr r12, [sp, #16]",
                "ldm r12!, {{r0, r1, r2, r3}}",
                "str r12, [sp, #16]",
                "ldr r8, [sp, #8]",
                "ldr r11, [sp, #12]",
                "2:",
                "ldrd r4, r5, [r8], #8",
                "ldr r4, [r10, r4]",
                "ldr r5, [r10, r5]",
                // Channels 0 and 2 of both taps, then (tap 0, tap 1) per channel.
                "sxtb16 r6, r4",
                "sxtb16 r7, r5",
                "pkhbt r12, r6, r7, lsl #16",
                "pkhtb r7, r7, r6, asr #16",
                "ldrd r6, lr, [r9], #8",
                "smlad r0, r12, r6, r0",
                "smlad r2, r7, lr, r2",
                // Channels 1 and 3.
                "sxtb16 r4, r4, ror #8",
                "sxtb16 r5, r5, ror #8",
                "pkhbt r12, r4, r5, lsl #16",
                "pkhtb r5, r5, r4, asr #16",
                "ldrd r6, lr, [r9], #8",
                "smlad r1, r12, r6, r1",
                "smlad r3, r5, lr, r3",
                "subs r11, r11, #1",
                "bne 2b",
                // The group's sums, then the next group.
                "ldr r12, [sp]",
                "stm r12!, {{r0, r1, r2, r3}}",
                "str r12, [sp]",
                "add r10, r10, #4",
                "ldr r12, [sp, #4]",
                "subs r12, r12, #1",
                "str r12, [sp, #4]",
                "bne 1b",
                "add sp, sp, #20",
                "pop {{r6, r7}}",
                inout("r0") sums.as_mut_ptr() => _,
                inout("r1") groups => _,
                inout("r2") offsets.as_ptr() => _,
                inout("r3") pairs => _,
                out("r8") _,
                inout("r9") weights.as_ptr() => _,
                inout("r10") base => _,
                out("r11") _,
                inout("r4") inits.as_ptr() => _,
                out("r5") _,
                out("r12") _,
                out("lr") _,
            );
        }
    }
}

/// The portable implementation, bit for bit the instructions' definitions.
#[cfg(not(all(feature = "arm_dsp", target_arch = "arm")))]
mod imp {
    /// `pair[0]` in lane 0, `pair[1]` in lane 1.
    #[inline(always)]
    pub fn lanes(pair: &[i16; 2]) -> u32 {
        u32::from(pair[0] as u16) | u32::from(pair[1] as u16) << 16
    }

    /// Sign-extends bytes 0 and 2 of `x` into lanes 0 and 1.
    #[inline(always)]
    pub fn sxtb16(x: u32) -> u32 {
        let lane = |byte: u32| u32::from(i16::from(byte as u8 as i8) as u16);
        lane(x) | lane(x >> 16) << 16
    }

    /// Sign-extends bytes 1 and 3 of `x` into lanes 0 and 1.
    #[inline(always)]
    pub fn sxtb16_ror8(x: u32) -> u32 {
        sxtb16(x.rotate_right(8))
    }

    fn lo(w: u32) -> i32 {
        i32::from(w as u16 as i16)
    }

    fn hi(w: u32) -> i32 {
        i32::from((w >> 16) as u16 as i16)
    }

    /// Lane-wise `x + y`, each lane wrapping.
    #[inline(always)]
    pub fn sadd16(x: u32, y: u32) -> u32 {
        let lane = |a: i32, b: i32| u32::from(a.wrapping_add(b) as u16);
        lane(lo(x), lo(y)) | lane(hi(x), hi(y)) << 16
    }

    /// `acc + x.0 * y.0`, wrapping.
    #[inline(always)]
    pub fn smlabb(x: u32, y: u32, acc: i32) -> i32 {
        acc.wrapping_add(lo(x) * lo(y))
    }

    /// `acc + x.1 * y.1`, wrapping.
    #[inline(always)]
    pub fn smlatt(x: u32, y: u32, acc: i32) -> i32 {
        acc.wrapping_add(hi(x) * hi(y))
    }

    /// `acc + x.0 * y.0 + x.1 * y.1` over signed lanes, wrapping like the
    /// instruction's 32-bit result.
    #[inline(always)]
    pub fn smlad(x: u32, y: u32, acc: i32) -> i32 {
        acc.wrapping_add(lo(x) * lo(y)).wrapping_add(hi(x) * hi(y))
    }
}

pub(crate) use imp::{lanes, sadd16, smlabb, smlatt, sxtb16, sxtb16_ror8};

/// SMLAD, which only the portable twins of the `asm!` loops call.
#[cfg(not(all(feature = "arm_dsp", target_arch = "arm")))]
pub(crate) use imp::smlad;

/// The full groups of four of [`super::mat_mult::dot_2x2`] as one `asm!` loop (its
/// portable twin is the loop in `dot_2x2` itself, which the host tests run).
#[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
pub(crate) use imp::{dot_2x2_groups, dot_4x1_groups};

/// Most taps a [`TapPairs`] holds (a 5x5 window).
pub(crate) const MAX_TAPS: usize = 25;

/// Most channels a [`TapPairs`] run holds.
pub(crate) const MAX_TAP_WIDTH: usize = 64;

/// Pairs of taps of the largest window, an odd tap paired with the padding.
const MAX_PAIRS: usize = MAX_TAPS.div_ceil(2);

/// The words of widened weights a [`TapPairs`] needs at most (its `weights`).
pub(crate) const TAP_PAIR_WORDS: usize = MAX_PAIRS * MAX_TAP_WIDTH;

/// One output pixel's depthwise window over a run of `width` channels, its taps
/// taken in pairs: per tap, the run of inputs it reads (or the padding run, for a
/// tap outside the input), and per group of four channels and pair of taps the four
/// words of widened weights, each one channel's weights of both taps in its two
/// lanes (channels 0, 2, 1, 3 of the group: the order SXTB16 widens inputs in). An
/// odd last tap is paired with a tap of zero weights that reads the padding.
/// [`TapPairs::group_sums`] then sums the products of each group over all taps in
/// one `asm!` loop on Armv7E-M, one SMLAD per channel and pair of taps. The
/// weights are widened once per block of channels ([`TapPairs::new`]), the input
/// runs set again for every pixel ([`TapPairs::set_input`]).
///
/// Every run is checked to lie in its slice when it is set, which is what makes
/// the loop's reads sound; on Arm an input run is stored as its byte offset from
/// the input's start (wrapping), so that one base register serves the padding too.
pub(crate) struct TapPairs<'a> {
    input: &'a [i8],
    padding: &'a [i8],
    #[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
    offsets: [u32; 2 * MAX_PAIRS],
    #[cfg(not(all(feature = "arm_dsp", target_arch = "arm")))]
    runs: [Option<usize>; 2 * MAX_PAIRS],
    /// Per whole group of four channels, per pair, the four weight words.
    weights: &'a [u32],
    taps: usize,
    pairs: usize,
}

impl<'a> TapPairs<'a> {
    /// The taps multiplying the runs of `filter` starting at `weight_runs` (one per
    /// tap, in order), `padding.len()` channels long, with the padding run (until
    /// [`Self::set_input`]), their weights widened into `weights`; `None` if a run
    /// does not fit the filter, there are no taps or more than [`MAX_TAPS`], or the
    /// runs are wider than [`MAX_TAP_WIDTH`].
    pub(crate) fn new(
        input: &'a [i8],
        padding: &'a [i8],
        filter: &[i8],
        weight_runs: impl IntoIterator<Item = usize>,
        weights: &'a mut [u32; TAP_PAIR_WORDS],
    ) -> Option<Self> {
        let width = padding.len();
        if width > MAX_TAP_WIDTH {
            return None;
        }
        let mut runs: [&[i8]; 2 * MAX_PAIRS] = [&[]; 2 * MAX_PAIRS];
        let mut taps = 0;
        for at in weight_runs {
            *runs.get_mut(taps)? = filter.get(at..at.checked_add(width)?)?;
            taps += 1;
        }
        if taps == 0 || taps > MAX_TAPS {
            return None;
        }
        let pairs = taps.div_ceil(2);
        let groups = width / 4;
        let weights = weights.get_mut(..groups * pairs * 4)?;
        // The zero weights of the padding tap.
        let zeros = [0i8; MAX_TAP_WIDTH];
        for (pair, runs) in runs.get(..2 * pairs)?.chunks_exact(2).enumerate() {
            let &[first, second] = runs else {
                return None;
            };
            let second = if second.is_empty() {
                &zeros[..]
            } else {
                second
            };
            // `max(4)`, wrapping: `pairs` is 1 to 13 here; no zero-size chunks.
            let words = weights
                .chunks_exact_mut(pairs.wrapping_mul(4).max(4))
                .map(|group| group.get_mut(4 * pair..4 * pair + 4));
            for ((group, x), y) in words.zip(first.chunks_exact(4)).zip(second.chunks_exact(4)) {
                let (x, y) = (word(x), word(y));
                let (x02, y02, x13, y13) = (sxtb16(x), sxtb16(y), sxtb16_ror8(x), sxtb16_ror8(y));
                let lanes = [
                    pack_low(x02, y02),
                    pack_high(x02, y02),
                    pack_low(x13, y13),
                    pack_high(x13, y13),
                ];
                for (word, lanes) in group.into_iter().flatten().zip(lanes) {
                    *word = lanes;
                }
            }
        }
        Some(Self {
            input,
            padding,
            #[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
            offsets: [Self::padding_offset(input, padding); 2 * MAX_PAIRS],
            #[cfg(not(all(feature = "arm_dsp", target_arch = "arm")))]
            runs: [None; 2 * MAX_PAIRS],
            weights,
            taps,
            pairs,
        })
    }

    /// The padding run's byte offset from the input's start (exact modulo 2^32:
    /// addresses are 32 bits wide on Arm).
    #[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
    #[inline]
    fn padding_offset(input: &[i8], padding: &[i8]) -> u32 {
        (padding.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize) as u32
    }

    /// Makes tap `tap` read `input[input_at..]` (the padding if `None`); `false`,
    /// changing nothing, if there is no such tap or the run does not fit the input.
    #[inline(always)]
    pub(crate) fn set_input(&mut self, tap: usize, input_at: Option<usize>) -> bool {
        if tap >= self.taps
            || input_at.is_some_and(|at| {
                at.checked_add(self.padding.len())
                    .is_none_or(|end| end > self.input.len())
            })
        {
            return false;
        }
        #[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
        let (slot, run) = (
            self.offsets.get_mut(tap),
            // Indices within the input are its offsets from the start.
            input_at.map_or(Self::padding_offset(self.input, self.padding), |at| {
                at as u32
            }),
        );
        #[cfg(not(all(feature = "arm_dsp", target_arch = "arm")))]
        let (slot, run) = (self.runs.get_mut(tap), input_at);
        if let Some(slot) = slot {
            *slot = run;
        }
        true
    }

    /// For every whole group of four channels of the runs, in order, while `inits`
    /// and `sums` have four more: `sums[c] = inits[c] + sum over taps of x[c] *
    /// w[c]` for the group's
    /// channels `c`, wrapping, `x` being each tap's input (or padding) run and `w`
    /// its weight run. The number of groups summed; `None` if a run was not where
    /// `set_input` checked it to be.
    pub(crate) fn group_sums(&self, inits: &[i32], sums: &mut [i32]) -> Option<usize> {
        let groups = (self.weights.len() / 4)
            .checked_div(self.pairs)
            .unwrap_or(0)
            .min(inits.len() / 4)
            .min(sums.len() / 4)
            .min(self.padding.len() / 4);
        #[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
        {
            let offsets = self.offsets.get(..2 * self.pairs)?;
            if groups == 0 || self.pairs == 0 {
                return Some(0);
            }
            // SAFETY: `groups` and `pairs` are at least 1 and at most what `sums`,
            // `offsets` (`2 * pairs` words) and `weights` (`4 * pairs` words per
            // group) hold; `set_input` admitted each input run only inside the
            // input, the others are the padding run, each `width` long, in slices
            // the list borrows, and `4 * groups <= width`, so `base + x` starts `4 *
            // groups` bytes inside a run.
            #[allow(unsafe_code)]
            unsafe {
                imp::depthwise_pair_sums(
                    self.input.as_ptr(),
                    offsets,
                    self.weights,
                    self.pairs,
                    groups,
                    inits,
                    sums,
                );
            }
            Some(groups)
        }
        #[cfg(not(all(feature = "arm_dsp", target_arch = "arm")))]
        {
            let runs = self.runs.get(..2 * self.pairs)?;
            // `max(4)`, wrapping: `pairs` is 1 to 13 (`new`); no zero-size chunks.
            let group_weights = self.weights.chunks_exact(self.pairs.wrapping_mul(4).max(4));
            for (((sums, inits), weights), channel) in sums
                .chunks_exact_mut(4)
                .zip(inits.chunks_exact(4))
                .zip(group_weights)
                .zip((0..groups).map(|group| 4 * group))
            {
                let run = |input_at: Option<usize>| match input_at {
                    Some(at) => self.input.get(at + channel..at + channel + 4).map(word),
                    None => self.padding.get(channel..channel + 4).map(word),
                };
                for (sum, &init) in sums.iter_mut().zip(inits) {
                    *sum = init;
                }
                for (runs, weights) in runs.chunks_exact(2).zip(weights.chunks_exact(4)) {
                    let (&[first, second], &[w0, w2, w1, w3], [s0, s1, s2, s3]) =
                        (runs, weights, &mut *sums)
                    else {
                        return None;
                    };
                    let (x, y) = (run(first)?, run(second)?);
                    let (x02, y02, x13, y13) =
                        (sxtb16(x), sxtb16(y), sxtb16_ror8(x), sxtb16_ror8(y));
                    *s0 = smlad(pack_low(x02, y02), w0, *s0);
                    *s1 = smlad(pack_low(x13, y13), w1, *s1);
                    *s2 = smlad(pack_high(x02, y02), w2, *s2);
                    *s3 = smlad(pack_high(x13, y13), w3, *s3);
                }
            }
            Some(groups)
        }
    }
}

/// (lane 0 of `a`, lane 0 of `b`): PKHBT with `lsl #16`.
#[inline(always)]
fn pack_low(a: u32, b: u32) -> u32 {
    (a & 0xffff) | (b << 16)
}

/// (lane 1 of `a`, lane 1 of `b`): PKHTB with `asr #16`.
#[inline(always)]
fn pack_high(a: u32, b: u32) -> u32 {
    (a >> 16) | (b & 0xffff_0000)
}

/// Four `i8` in one word, element 0 in the low byte (one LDR).
#[inline(always)]
pub(crate) fn word(bytes: &[i8]) -> u32 {
    u32::from_le_bytes([
        bytes[0] as u8,
        bytes[1] as u8,
        bytes[2] as u8,
        bytes[3] as u8,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_follow_the_instruction_definitions() {
        let x = u32::from_le_bytes([0x80, 0x7f, 0xff, 0x01]);
        assert_eq!(sxtb16(x), 0xffff_ff80);
        assert_eq!(sxtb16_ror8(x), 0x0001_007f);
        let pair = |lo: i16, hi: i16| lanes(&[lo, hi]);
        assert_eq!(pair(-2, 3), 0x0003_fffe);
        assert_eq!(smlad(pair(-3, 7), pair(5, -2), 100), 100 - 15 - 14);
        // The sum wraps as the instruction's 32-bit result does.
        let min = pair(i16::MIN, i16::MIN);
        assert_eq!(smlad(min, min, i32::MAX), i32::MAX.wrapping_add(1 << 31));
        assert_eq!(sadd16(pair(i16::MAX, -4), pair(1, 9)), pair(i16::MIN, 5));
        assert_eq!(smlabb(pair(-3, 7), pair(5, -2), 1), 1 - 15);
        assert_eq!(smlatt(pair(-3, 7), pair(5, -2), 1), 1 - 14);
        assert_eq!(word(&[1, -1, 2, -128]), 0x80_02_ff_01);
    }

    #[test]
    fn tap_pairs_admit_only_runs_inside_their_slices() {
        let input = [1i8, 2, 3, 4, 5, 6, -7, 8, 9];
        let filter = [1i8, -1, 2, -2, 3, 4, -5];
        let padding = [7i8; 4];
        assert!(
            TapPairs::new(&input, &padding, &filter, [1, 4], &mut [0; TAP_PAIR_WORDS]).is_none(),
            "weights 4..8 pass the filter's end"
        );
        let mut weights = [0; TAP_PAIR_WORDS];
        assert!(
            TapPairs::new(&input, &padding, &filter, [0; MAX_TAPS + 1], &mut weights).is_none()
        );
        assert!(TapPairs::new(&input, &padding, &filter, [], &mut weights).is_none());
        let wide = [0; MAX_TAP_WIDTH + 4];
        assert!(TapPairs::new(&input, &wide, &filter, [0], &mut weights).is_none());
        let mut taps = TapPairs::new(&input, &padding, &filter, [1], &mut weights).unwrap();
        assert!(!taps.set_input(1, Some(0)), "no tap 1");
        assert!(
            !taps.set_input(0, Some(6)),
            "inputs 6..10 pass the input's end"
        );
        assert!(taps.set_input(0, Some(2)));
        // Inputs 3 4 5 6 times weights -1 2 -2 3, from sums 10 20 30 40.
        let sums = |taps: &TapPairs, inits: &[i32]| {
            let mut sums = vec![1; inits.len()];
            let groups = taps.group_sums(inits, &mut sums);
            (groups, sums)
        };
        assert_eq!(
            sums(&taps, &[10, 20, 30, 40]),
            (Some(1), vec![7, 28, 20, 58])
        );
        // One group only (the runs are 4 wide), and only while the sums last.
        assert_eq!(
            sums(&taps, &[0; 8]),
            (Some(1), vec![-3, 8, -10, 18, 1, 1, 1, 1])
        );
        assert_eq!(sums(&taps, &[5; 3]), (Some(0), vec![1; 3]));
        assert!(taps.set_input(0, None));
        assert_eq!(sums(&taps, &[0; 4]), (Some(1), vec![-7, 14, -14, 21]));
        // Three taps: a pair, then the third with the zero-weight padding tap.
        let mut taps = TapPairs::new(&input, &padding, &filter, [0, 3, 1], &mut weights).unwrap();
        assert!(taps.set_input(0, Some(0)));
        assert!(taps.set_input(2, Some(5)));
        assert!(!taps.set_input(3, None), "the padding tap is not settable");
        // Tap 0: 1 2 3 4 * 1 -1 2 -2; tap 1: padding 7 * -2 3 4 -5;
        // tap 2: 6 -7 8 9 * -1 2 -2 3.
        let expected = [1 - 14 - 6, -2 + 21 - 14, 6 + 28 - 16, -8 - 35 + 27];
        assert_eq!(sums(&taps, &[0; 4]), (Some(1), expected.to_vec()));
    }
}
