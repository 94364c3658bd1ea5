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

    /// [`super::TapList::sums4`]'s loop: per tap one LDRD of its two offsets, one
    /// input and one weight LDR, 4 SXTB16, 2 SMLABB, 2 SMLATT, SUBS, BNE (13
    /// instructions per 4 multiply-adds), the sums in registers.
    ///
    /// # Safety
    ///
    /// `offsets` is not empty, and for each `[x, w]` in it, `base + x` and `base + w`
    /// (wrapping address arithmetic) are each the start of 4 readable bytes.
    #[inline(always)]
    pub unsafe fn depthwise_sums4(
        base: *const i8,
        offsets: &[[u32; 2]],
        sums: [i32; 4],
    ) -> [i32; 4] {
        let [mut s0, mut s1, mut s2, mut s3] = sums;
        // SAFETY: the loop runs `offsets.len()` >= 1 times, each pass reading one
        // element of `offsets` (LDRD, 8-byte elements, 4-byte aligned as LDRD needs)
        // and the 4 bytes at `base + x` and at `base + w` (the caller's contract;
        // LDR needs no alignment on Armv7-M). It writes only its register operands
        // and the flags (SUBS; no `preserves_flags`), and touches no stack.
        unsafe {
            asm!(
                "2:",
                "ldrd {x}, {w}, [{taps}], #8",
                "ldr {x}, [{base}, {x}]",
                "ldr {w}, [{base}, {w}]",
                "sxtb16 {t}, {x}",
                "sxtb16 {u}, {w}",
                "smlabb {s0}, {t}, {u}, {s0}",
                "smlatt {s2}, {t}, {u}, {s2}",
                "sxtb16 {t}, {x}, ror #8",
                "sxtb16 {u}, {w}, ror #8",
                "smlabb {s1}, {t}, {u}, {s1}",
                "smlatt {s3}, {t}, {u}, {s3}",
                "subs {n}, {n}, #1",
                "bne 2b",
                taps = inout(reg) offsets.as_ptr() => _,
                base = in(reg) base,
                n = inout(reg) offsets.len() => _,
                s0 = inout(reg) s0,
                s1 = inout(reg) s1,
                s2 = inout(reg) s2,
                s3 = inout(reg) s3,
                x = out(reg) _,
                w = out(reg) _,
                t = out(reg) _,
                u = out(reg) _,
                options(readonly, nostack),
            );
        }
        [s0, s1, s2, s3]
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

/// Most taps a [`TapList`] holds (a 5x5 window).
pub(crate) const MAX_TAPS: usize = 25;

/// One output pixel's depthwise window over a run of `width` channels: per tap, the
/// run of inputs it reads (or the padding run, for a tap outside the input) and the
/// run of weights it multiplies them with. [`TapList::sums4`] then sums the products
/// of any four channels of the run over all taps in one `asm!` loop on Armv7E-M.
/// The weight runs are pushed once per block of channels, the input runs set again
/// for every pixel ([`TapList::set_input`]).
///
/// Every run is checked to lie in its slice when it is set, which is what makes
/// the loop's reads sound; on Arm a tap is stored as the two runs' byte offsets from
/// the input's start (wrapping), so that one base register serves both.
pub(crate) struct TapList<'a> {
    input: &'a [i8],
    filter: &'a [i8],
    padding: &'a [i8],
    #[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
    offsets: [[u32; 2]; MAX_TAPS],
    #[cfg(not(all(feature = "arm_dsp", target_arch = "arm")))]
    runs: [(Option<usize>, usize); MAX_TAPS],
    len: usize,
}

impl<'a> TapList<'a> {
    /// An empty list whose runs are `padding.len()` channels long.
    pub(crate) fn new(input: &'a [i8], filter: &'a [i8], padding: &'a [i8]) -> Self {
        Self {
            input,
            filter,
            padding,
            #[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
            offsets: [[0; 2]; MAX_TAPS],
            #[cfg(not(all(feature = "arm_dsp", target_arch = "arm")))]
            runs: [(None, 0); MAX_TAPS],
            len: 0,
        }
    }

    /// Whether a run of `width` from `at` lies in a slice of `len`.
    #[inline(always)]
    fn fits(&self, at: usize, len: usize) -> bool {
        at.checked_add(self.padding.len())
            .is_some_and(|end| end <= len)
    }

    /// Appends a tap multiplying `filter[weights_at..]` with the padding run (until
    /// [`Self::set_input`]); `false`, adding nothing, if the run does not fit the
    /// filter or the list is full.
    pub(crate) fn push(&mut self, weights_at: usize) -> bool {
        if !self.fits(weights_at, self.filter.len()) {
            return false;
        }
        #[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
        let (slot, tap) = {
            let origin = self.input.as_ptr() as usize;
            let weight_run = self.filter.as_ptr() as usize + weights_at;
            // Addresses are 32 bits wide on Arm: the offsets are exact modulo 2^32.
            let tap = [
                (self.padding.as_ptr() as usize).wrapping_sub(origin) as u32,
                weight_run.wrapping_sub(origin) as u32,
            ];
            (self.offsets.get_mut(self.len), tap)
        };
        #[cfg(not(all(feature = "arm_dsp", target_arch = "arm")))]
        let (slot, tap) = (self.runs.get_mut(self.len), (None, weights_at));
        // A full list has no slot left.
        let Some(slot) = slot else {
            return false;
        };
        *slot = tap;
        self.len += 1;
        true
    }

    /// Makes tap `tap` read `input[input_at..]` (the padding if `None`); `false`,
    /// changing nothing, if there is no such tap or the run does not fit the input.
    #[inline(always)]
    pub(crate) fn set_input(&mut self, tap: usize, input_at: Option<usize>) -> bool {
        if tap >= self.len {
            return false;
        }
        #[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
        {
            let offset = match input_at {
                // Indices within the input are its offsets from the start.
                Some(at) if self.fits(at, self.input.len()) => at as u32,
                Some(_) => return false,
                None => (self.padding.as_ptr() as usize).wrapping_sub(self.input.as_ptr() as usize)
                    as u32,
            };
            if let Some([input_offset, _]) = self.offsets.get_mut(tap) {
                *input_offset = offset;
            }
        }
        #[cfg(not(all(feature = "arm_dsp", target_arch = "arm")))]
        {
            if input_at.is_some_and(|at| !self.fits(at, self.input.len())) {
                return false;
            }
            if let Some((run, _)) = self.runs.get_mut(tap) {
                *run = input_at;
            }
        }
        true
    }

    /// `sums[i] + sum over taps of x[channel + i] * w[channel + i]` for `i` in
    /// 0..4, wrapping, `x` being each tap's input (or padding) run and `w` its
    /// weight run; `None` if the four channels are not all in the runs.
    #[inline(always)]
    pub(crate) fn sums4(&self, channel: usize, sums: [i32; 4]) -> Option<[i32; 4]> {
        if channel.checked_add(4)? > self.padding.len() {
            return None;
        }
        #[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
        {
            let offsets = self.offsets.get(..self.len)?;
            if offsets.is_empty() {
                return Some(sums);
            }
            let base = self.input.as_ptr().wrapping_add(channel);
            // SAFETY: `push` admitted each tap only with both runs, `width` long, in
            // their slices, which the list borrows; `channel + 4 <= width`, so `base +
            // x` and `base + w` start 4 bytes inside those runs.
            #[allow(unsafe_code)]
            Some(unsafe { imp::depthwise_sums4(base, offsets, sums) })
        }
        #[cfg(not(all(feature = "arm_dsp", target_arch = "arm")))]
        {
            let mut sums = sums;
            for &(input_at, weights_at) in self.runs.get(..self.len)? {
                let x = match input_at {
                    Some(at) => self.input.get(at + channel..at + channel + 4)?,
                    None => self.padding.get(channel..channel + 4)?,
                };
                let w = self
                    .filter
                    .get(weights_at + channel..weights_at + channel + 4)?;
                let (x, w) = (word(x), word(w));
                let (x02, x13, w02, w13) = (sxtb16(x), sxtb16_ror8(x), sxtb16(w), sxtb16_ror8(w));
                sums = [
                    smlabb(x02, w02, sums[0]),
                    smlabb(x13, w13, sums[1]),
                    smlatt(x02, w02, sums[2]),
                    smlatt(x13, w13, sums[3]),
                ];
            }
            Some(sums)
        }
    }
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
    fn tap_list_admits_only_runs_inside_its_slices() {
        let input = [1i8, 2, 3, 4, 5, 6];
        let filter = [1i8, -1, 2, -2, 3];
        let padding = [7i8; 4];
        let mut taps = TapList::new(&input, &filter, &padding);
        assert!(!taps.push(2), "weights 2..6 pass the filter's end");
        assert!(taps.push(1));
        assert!(!taps.set_input(1, Some(0)), "no tap 1");
        assert!(
            !taps.set_input(0, Some(3)),
            "inputs 3..7 pass the input's end"
        );
        assert!(taps.set_input(0, Some(2)));
        // Inputs 3 4 5 6 times weights -1 2 -2 3, from sums 10 20 30 40.
        assert_eq!(taps.sums4(0, [10, 20, 30, 40]), Some([7, 28, 20, 58]));
        assert_eq!(taps.sums4(1, [0; 4]), None);
        assert!(taps.set_input(0, None));
        assert_eq!(taps.sums4(0, [0; 4]), Some([-7, 14, -14, 21]));
        for _ in 1..MAX_TAPS {
            assert!(taps.push(0));
        }
        assert!(!taps.push(0), "full");
    }
}
