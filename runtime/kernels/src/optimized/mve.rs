//! The Helium (M-profile Vector Extension, MVE) inner loops of the fast paths on
//! the Cortex-M55: the convolution pair kernel's [`dot_2x2`] and FULLY_CONNECTED's
//! [`dot_offset`], each one tail-predicated low-overhead loop over 128-bit vectors.
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

/// Whether the kernels take the MVE loops: on cores with MVE, and with the portable
/// loops under `portable_mve_paths`.
pub(crate) const MVE_PATHS: bool = cfg!(any(
    feature = "portable_mve_paths",
    all(feature = "arm_mve", target_arch = "arm")
));

/// `[a.pa, a.pb, b.pa, b.pb]`: the wrapping dot products of filters `a`, `b` with
/// patches `pa`, `pb` in natural order, over the shortest length. Per eight
/// elements: two VLDRB.S16 (eight weights of each filter widened), two VLDRH (eight
/// elements of each patch), four VMLADAVA.S16 and the LETP: 32 multiply-adds in 9
/// instructions; the last `len % 8` are the loop's last pass with the lanes past
/// the end predicated off.
#[inline(always)]
pub(crate) fn dot_2x2(a: &[i8], b: &[i8], pa: &[i16], pb: &[i16]) -> [i32; 4] {
    let len = a.len().min(b.len()).min(pa.len()).min(pb.len());
    imp::dot_2x2(&a[..len], &b[..len], &pa[..len], &pb[..len])
}

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

/// The loops as `asm!`. This module's `unsafe`: every block reads only within the
/// slices it is given (below), writes only the registers it names and the flags,
/// and touches no stack.
#[cfg(all(feature = "arm_mve", target_arch = "arm"))]
#[allow(unsafe_code)]
mod imp {
    use core::arch::asm;

    /// All four slices have one length (the caller's).
    #[inline(always)]
    pub fn dot_2x2(a: &[i8], b: &[i8], pa: &[i16], pb: &[i16]) -> [i32; 4] {
        let (mut s0, mut s1, mut s2, mut s3) = (0i32, 0i32, 0i32, 0i32);
        // SAFETY: WLSTP.16 skips the loop for length 0; otherwise it runs
        // `ceil(len / 8)` passes with tail predication, each reading 8 bytes at `a`
        // and at `b` and 8 halfwords at `pa` and at `pb` (i16 slices are halfword
        // aligned, as VLDRH needs) and advancing past them; lanes past `len` are
        // predicated off (they neither read memory nor add), so it reads exactly the
        // first `len` elements of each slice. LCTP leaves tail predication off
        // again. VMLADAV takes even accumulator registers, hence r0, r2, r8, r12, and
        // the widening VLDRB low base registers, hence r1, r3; the loop counter of
        // WLSTP/LETP is LR. It writes q0-q3 (s0-s15, declared) and
        // the named registers, and neither memory nor the stack.
        unsafe {
            asm!(
                "wlstp.16 lr, {n}, 3f",
                "2:",
                "vldrb.s16 q0, [r1], #8",
                "vldrb.s16 q1, [r3], #8",
                "vldrh.u16 q2, [{pa}], #16",
                "vldrh.u16 q3, [{pb}], #16",
                "vmladava.s16 r0, q0, q2",
                "vmladava.s16 r2, q0, q3",
                "vmladava.s16 r8, q1, q2",
                "vmladava.s16 r12, q1, q3",
                "letp lr, 2b",
                "3:",
                "lctp",
                pa = inout(reg) pa.as_ptr() => _,
                pb = inout(reg) pb.as_ptr() => _,
                n = in(reg) a.len(),
                inout("r1") a.as_ptr() => _,
                inout("r3") b.as_ptr() => _,
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

    /// `(sum(x * w), sum(w))`, wrapping; both slices have one length (the caller's).
    #[inline(always)]
    pub fn dot_and_sum(inputs: &[i8], weights: &[i8]) -> (i32, i32) {
        let (mut products, mut weight_sum) = (0i32, 0i32);
        // SAFETY: as in `dot_2x2`, with WLSTP.8: `ceil(len / 16)` passes, each
        // reading 16 bytes at `inputs` and at `weights` with the lanes past `len`
        // predicated off, so it reads exactly both slices. It writes q0, q1 (s0-s7,
        // declared) and the named registers, and neither memory nor the stack.
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
}

/// The loops lane by lane: each pass takes the next vector of lanes (fewer in the
/// last), as the predicated instructions do.
#[cfg(not(all(feature = "arm_mve", target_arch = "arm")))]
mod imp {
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

    pub fn dot_2x2(a: &[i8], b: &[i8], pa: &[i16], pb: &[i16]) -> [i32; 4] {
        const LANES: usize = 8;
        let mut sums = [0i32; 4];
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

    pub fn dot_and_sum(inputs: &[i8], weights: &[i8]) -> (i32, i32) {
        const LANES: usize = 16;
        let (mut products, mut weight_sum) = (0i32, 0i32);
        for (x, w) in inputs.chunks(LANES).zip(weights.chunks(LANES)) {
            products = multiply_add_across(products, widen(x), widen(w));
            weight_sum = widen(w).fold(weight_sum, i32::wrapping_add);
        }
        (products, weight_sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::pseudo_random_i8;

    fn dot(w: &[i8], x: &[i16]) -> i32 {
        w.iter().zip(x).fold(0i32, |s, (&w, &x)| {
            s.wrapping_add(i32::from(w) * i32::from(x))
        })
    }

    #[test]
    fn pair_sums_equal_plain_dot_products() {
        for len in [0, 1, 7, 8, 9, 16, 23, 64, 300] {
            let a = pseudo_random_i8(len, 1);
            let b = pseudo_random_i8(len, 2);
            let xa: Vec<i16> = pseudo_random_i8(len, 3)
                .iter()
                .map(|&x| i16::from(x) * 2 + 1)
                .collect();
            let mut xb: Vec<i16> = pseudo_random_i8(len, 4)
                .iter()
                .map(|&x| i16::from(x) - 128)
                .collect();
            xb.iter_mut().take(1).for_each(|x| *x = i16::MIN);
            let expected = [dot(&a, &xa), dot(&a, &xb), dot(&b, &xa), dot(&b, &xb)];
            assert_eq!(dot_2x2(&a, &b, &xa, &xb), expected, "len {len}");
            // The shortest slice bounds the sums.
            let (half, short) = (&xa[..len / 2], &xb[..len / 2]);
            let expected = [dot(&a, half), dot(&a, short), dot(&b, half), dot(&b, short)];
            assert_eq!(dot_2x2(&a, &b, &xa, short), expected, "len {len}");
        }
    }

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
}
