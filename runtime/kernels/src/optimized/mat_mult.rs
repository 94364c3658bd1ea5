//! The register-blocked dot products of the DSP path: two filters times two patches
//! per pass, so each weight word loaded feeds two pixels and each patch word two
//! output channels.
//!
//! A patch is `input + input_offset` as `i16`. The two pixels' patches of a pass are
//! stored together in *pair order* (see [`interleave`]), as words of two 16-bit
//! lanes: for every full group of four elements `x0 x1 x2 x3`, the words `(a0, a2)`,
//! `(a1, a3)` of patch `a`, then `(b0, b2)`, `(b1, b3)` of patch `b`, the lane order in
//! which SXTB16 widens four `i8` weights (`w0 w2`, then `w1 w3`), so that one
//! four-weight step loads the group's four patch words at once. On Armv7E-M that is
//! the `asm!` loop `dsp::dot_2x2_groups`: one LDM of the four patch words, one word
//! load and two widenings per filter and eight SMLADs for 16 multiply-adds. Elements
//! past the last full group follow as one `(a, b)` word each, summed one by one.
//! [`dot_offset`] is the one-row dot product of FULLY_CONNECTED.

use super::dsp::{sadd16, smlad, sxtb16, sxtb16_ror8, word};

/// `low` in lane 0, `high` in lane 1.
#[inline(always)]
fn lane_word(low: i16, high: i16) -> u32 {
    u32::from(low as u16) | u32::from(high as u16) << 16
}

/// The low and high lanes of `word`.
#[inline(always)]
fn lanes_of(word: u32) -> (i32, i32) {
    (i32::from(word as u16 as i16), i32::from((word >> 16) as u16 as i16))
}

/// Writes patches `pa` and `pb` (the shorter length `len`) into `pair` in pair
/// order: two words per pixel for each full group, then one word per remaining
/// element (`len` words in all, as many as `pair` holds).
pub(crate) fn interleave(pa: &[i16], pb: &[i16], pair: &mut [u32]) {
    let len = pa.len().min(pb.len());
    let tail = len - len % 4;
    let (pa, pb) = (&pa[..len], &pb[..len]);
    let (groups, rest) = pair.split_at_mut(pair.len().min(tail));
    for ((out, a), b) in groups
        .chunks_exact_mut(4)
        .zip(pa.chunks_exact(4))
        .zip(pb.chunks_exact(4))
    {
        if let ([o0, o1, o2, o3], &[a0, a1, a2, a3], &[b0, b1, b2, b3]) = (out, a, b) {
            *o0 = lane_word(a0, a2);
            *o1 = lane_word(a1, a3);
            *o2 = lane_word(b0, b2);
            *o3 = lane_word(b1, b3);
        }
    }
    for ((out, &a), &b) in rest.iter_mut().zip(&pa[tail..]).zip(&pb[tail..]) {
        *out = lane_word(a, b);
    }
}

/// `[a.pa, a.pb, b.pa, b.pb]`: the wrapping dot products of filters `a`, `b` with
/// the patches `pa`, `pb` that `pair` holds in pair order ([`interleave`] of `len`
/// elements each, `len` the filters' length; the caller passes the same filter or
/// patch twice for an odd one out).
#[inline(always)]
pub(crate) fn dot_2x2(a: &[i8], b: &[i8], pair: &[u32]) -> [i32; 4] {
    let len = a.len().min(b.len()).min(pair.len());
    let (a, b, pair) = (&a[..len], &b[..len], &pair[..len]);
    #[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
    let mut sums = super::dsp::dot_2x2_groups(a, b, pair);
    #[cfg(not(all(feature = "arm_dsp", target_arch = "arm")))]
    let mut sums = {
        let mut sums = [0i32; 4];
        let groups = a
            .chunks_exact(4)
            .zip(b.chunks_exact(4))
            .zip(pair.chunks_exact(4));
        for ((a, b), group) in groups {
            let &[pa02, pa13, pb02, pb13] = group else {
                continue;
            };
            let (a, b) = (word(a), word(b));
            let (a02, a13, b02, b13) = (sxtb16(a), sxtb16_ror8(a), sxtb16(b), sxtb16_ror8(b));
            sums[0] = smlad(a13, pa13, smlad(a02, pa02, sums[0]));
            sums[1] = smlad(a13, pb13, smlad(a02, pb02, sums[1]));
            sums[2] = smlad(b13, pa13, smlad(b02, pa02, sums[2]));
            sums[3] = smlad(b13, pb13, smlad(b02, pb02, sums[3]));
        }
        sums
    };
    let tail = len - len % 4;
    for ((&a, &b), &pixels) in a[tail..].iter().zip(&b[tail..]).zip(&pair[tail..]) {
        let (a, b) = (i32::from(a), i32::from(b));
        let (pa, pb) = lanes_of(pixels);
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
            let mut pair = vec![0u32; len];
            interleave(&xa, &xb, &mut pair);
            assert_eq!(dot_2x2(&a, &b, &pair), expected, "len {len}");
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
