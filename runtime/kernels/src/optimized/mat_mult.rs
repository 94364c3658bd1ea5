//! The register-blocked dot products of the DSP path: two filters times two patches
//! per pass, so each weight word loaded feeds two pixels and each patch word two
//! output channels.
//!
//! A patch is `input + input_offset` as `i16`, in *packed order*: every full group of
//! four elements `x0 x1 x2 x3` is stored `x0 x2 x1 x3` (see [`pack`]), the order in
//! which SXTB16 widens four `i8` weights (`w0 w2`, then `w1 w3`). One four-weight
//! step is then one word load per filter, two widenings per filter, one word load per
//! patch lane pair and eight SMLADs for 16 multiply-adds (on Armv7E-M the `asm!` loop
//! `dsp::dot_2x2_groups`, which loads each weight word twice to fit 12 registers).
//! Elements past the last full group stay in order and are summed one by one.
//! [`dot_offset`] is the one-row dot product of FULLY_CONNECTED.

use super::dsp::{sadd16, smlad, sxtb16, sxtb16_ror8, word};
use super::mve::MVE_PATHS;

/// Reorders `patch` into packed order (swaps the middle two of every full group of
/// four); applying it twice restores the order.
pub(crate) fn pack(patch: &mut [i16]) {
    // The MVE loop widens weights in order.
    if MVE_PATHS {
        return;
    }
    for group in patch.chunks_exact_mut(4) {
        group.swap(1, 2);
    }
}

/// The two lane pairs of a group of four patch elements.
#[cfg(not(all(feature = "arm_dsp", target_arch = "arm")))]
#[inline(always)]
fn lane_pairs(group: &[i16]) -> (u32, u32) {
    use super::dsp::lanes;
    let (low, high) = group.split_at(2);
    match (<&[i16; 2]>::try_from(low), <&[i16; 2]>::try_from(high)) {
        (Ok(low), Ok(high)) => (lanes(low), lanes(high)),
        // Unreachable: groups are four long.
        _ => (0, 0),
    }
}

/// `[a.pa, a.pb, b.pa, b.pb]`: the wrapping dot products of filters `a`, `b` with
/// packed patches `pa`, `pb` (all four of one length; the caller passes the same
/// filter or patch twice for an odd one out).
#[inline(always)]
pub(crate) fn dot_2x2(a: &[i8], b: &[i8], pa: &[i16], pb: &[i16]) -> [i32; 4] {
    if MVE_PATHS {
        return super::mve::dot_2x2(a, b, pa, pb);
    }
    let len = a.len().min(b.len()).min(pa.len()).min(pb.len());
    let (a, b, pa, pb) = (&a[..len], &b[..len], &pa[..len], &pb[..len]);
    #[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
    let mut sums = super::dsp::dot_2x2_groups(a, b, pa, pb);
    #[cfg(not(all(feature = "arm_dsp", target_arch = "arm")))]
    let mut sums = {
        let mut sums = [0i32; 4];
        let groups = a
            .chunks_exact(4)
            .zip(b.chunks_exact(4))
            .zip(pa.chunks_exact(4).zip(pb.chunks_exact(4)));
        for ((a, b), (pa, pb)) in groups {
            let (a, b) = (word(a), word(b));
            let (a02, a13, b02, b13) = (sxtb16(a), sxtb16_ror8(a), sxtb16(b), sxtb16_ror8(b));
            let (pa02, pa13) = lane_pairs(pa);
            let (pb02, pb13) = lane_pairs(pb);
            sums[0] = smlad(a13, pa13, smlad(a02, pa02, sums[0]));
            sums[1] = smlad(a13, pb13, smlad(a02, pb02, sums[1]));
            sums[2] = smlad(b13, pa13, smlad(b02, pa02, sums[2]));
            sums[3] = smlad(b13, pb13, smlad(b02, pb02, sums[3]));
        }
        sums
    };
    let tail = len - len % 4;
    for (((&a, &b), &pa), &pb) in a[tail..]
        .iter()
        .zip(&b[tail..])
        .zip(&pa[tail..])
        .zip(&pb[tail..])
    {
        let (a, b, pa, pb) = (i32::from(a), i32::from(b), i32::from(pa), i32::from(pb));
        sums[0] = sums[0].wrapping_add(a * pa);
        sums[1] = sums[1].wrapping_add(a * pb);
        sums[2] = sums[2].wrapping_add(b * pa);
        sums[3] = sums[3].wrapping_add(b * pb);
    }
    sums
}

/// `sum((x + input_offset) * w)` over `inputs` and `weights` (the shorter length),
/// wrapping, `offsets` holding the input offset (which must fit an `i16` lane with
/// every `i8`) in both lanes. Each four elements are one input word widened by SXTB16
/// into lanes (0, 2) and (1, 3) with the offset added by SADD16, one weight word
/// widened the same way, and two SMLADs.
pub(crate) fn dot_offset(inputs: &[i8], weights: &[i8], offsets: u32, input_offset: i32) -> i32 {
    if MVE_PATHS {
        return super::mve::dot_offset(inputs, weights, input_offset);
    }
    let len = inputs.len().min(weights.len());
    let (inputs, weights) = (&inputs[..len], &weights[..len]);
    let mut sum = 0i32;
    for (x, w) in inputs.chunks_exact(4).zip(weights.chunks_exact(4)) {
        let (x, w) = (word(x), word(w));
        let (x02, x13) = (sadd16(sxtb16(x), offsets), sadd16(sxtb16_ror8(x), offsets));
        sum = smlad(x13, sxtb16_ror8(w), smlad(x02, sxtb16(w), sum));
    }
    let tail = len - len % 4;
    inputs[tail..]
        .iter()
        .zip(&weights[tail..])
        .fold(sum, |sum, (&x, &w)| {
            sum.wrapping_add((i32::from(x) + input_offset) * i32::from(w))
        })
}

#[cfg(test)]
mod tests {
    use super::super::dsp::lanes;
    use super::*;
    use crate::test_util::pseudo_random_i8;

    fn dot(w: &[i8], x: &[i16]) -> i32 {
        w.iter().zip(x).fold(0i32, |s, (&w, &x)| {
            s.wrapping_add(i32::from(w) * i32::from(x))
        })
    }

    #[test]
    fn pair_sums_equal_plain_dot_products() {
        for len in [0, 1, 3, 4, 5, 8, 13, 64] {
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
            let (mut pa, mut pb) = (xa.clone(), xb.clone());
            pack(&mut pa);
            pack(&mut pb);
            assert_eq!(dot_2x2(&a, &b, &pa, &pb), expected, "len {len}");
        }
    }

    #[test]
    fn offset_dot_equals_plain_dot_product() {
        for len in [0, 1, 3, 4, 5, 8, 13, 64] {
            let x = pseudo_random_i8(len, 5);
            let w = pseudo_random_i8(len, 6);
            for offset in [-127i16, 0, 128] {
                let shifted: Vec<i16> = x.iter().map(|&x| i16::from(x) + offset).collect();
                let offsets = lanes(&[offset, offset]);
                let got = dot_offset(&x, &w, offsets, i32::from(offset));
                assert_eq!(got, dot(&w, &shifted), "len {len} offset {offset}");
            }
        }
    }
}
