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
//! [`dot_4x1`] is FULLY_CONNECTED's: four filter rows against one widened input row.

#[cfg(not(all(feature = "arm_dsp", target_arch = "arm")))]
use super::dsp::smlad;
use super::dsp::{sadd16, sxtb16, sxtb16_ror8, word};

/// `low` in lane 0, `high` in lane 1.
#[inline(always)]
fn lane_word(low: i16, high: i16) -> u32 {
    u32::from(low as u16) | u32::from(high as u16) << 16
}

/// The low and high lanes of `word`.
#[inline(always)]
fn lanes_of(word: u32) -> (i32, i32) {
    (
        i32::from(word as u16 as i16),
        i32::from((word >> 16) as u16 as i16),
    )
}

/// Writes patches `pa` and `pb` (the shorter length `len`) into `pair` in pair
/// order: two words per pixel for each full group, then one word per remaining
/// element (`len` words in all, as many as `pair` holds).
pub(crate) fn interleave(pa: &[i16], pb: &[i16], pair: &mut [u32]) {
    fill_pair(
        pa,
        pb,
        pair,
        |&[a0, a1, a2, a3], &[b0, b1, b2, b3]| {
            [
                lane_word(a0, a2),
                lane_word(a1, a3),
                lane_word(b0, b2),
                lane_word(b1, b3),
            ]
        },
        lane_word,
    );
}

/// [`interleave`] of the patches `x + input_offset` of the input runs `a` and `b`
/// (the shorter length), widened straight from `i8` (the window of a 1x1
/// convolution is one run): per four elements one word load and two SXTB16 and two
/// SADD16 per pixel, `offsets` holding the input offset (which must fit an `i16`
/// lane with every `i8`) in both lanes.
pub(crate) fn widen_pair(a: &[i8], b: &[i8], offsets: u32, pair: &mut [u32]) {
    let widen = |x: i8| sadd16(u32::from(i16::from(x) as u16), offsets) as u16 as i16;
    fill_pair(
        a,
        b,
        pair,
        |a, b| {
            let (a, b) = (word(a), word(b));
            [
                sadd16(sxtb16(a), offsets),
                sadd16(sxtb16_ror8(a), offsets),
                sadd16(sxtb16(b), offsets),
                sadd16(sxtb16_ror8(b), offsets),
            ]
        },
        |a, b| lane_word(widen(a), widen(b)),
    );
}

/// The walk of [`interleave`] and [`widen_pair`]: the four words of each full group
/// of `a` and `b` from `group`, then one word per remaining element pair from `single`.
#[inline(always)]
fn fill_pair<T: Copy>(
    a: &[T],
    b: &[T],
    pair: &mut [u32],
    group: impl Fn(&[T; 4], &[T; 4]) -> [u32; 4],
    single: impl Fn(T, T) -> u32,
) {
    let len = a.len().min(b.len());
    let tail = len - len % 4;
    let (a, b) = (&a[..len], &b[..len]);
    let (groups, rest) = pair.split_at_mut(pair.len().min(tail));
    for ((out, a), b) in groups
        .chunks_exact_mut(4)
        .zip(a.chunks_exact(4))
        .zip(b.chunks_exact(4))
    {
        if let (Ok(out), Ok(a), Ok(b)) = (
            <&mut [u32; 4]>::try_from(out),
            <&[T; 4]>::try_from(a),
            <&[T; 4]>::try_from(b),
        ) {
            *out = group(a, b);
        }
    }
    for ((out, &a), &b) in rest.iter_mut().zip(&a[tail..]).zip(&b[tail..]) {
        *out = single(a, b);
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

/// Writes `x + input_offset` for every `x` of `inputs` into `words` in packed
/// order, `offsets` holding the input offset (which must fit an `i16` lane with
/// every `i8`) in both lanes: per full group of four, the words `(x0, x2)`, `(x1, x3)`
/// (the lanes SXTB16 widens a weight word into); then one word per remaining
/// element, its value in lane 0. Returns the words written, `None` (writing nothing)
/// if `words` is shorter than `inputs.len() / 2 + 3`, which always suffices.
pub(crate) fn widen_packed<'w>(
    inputs: &[i8],
    offsets: u32,
    words: &'w mut [u32],
) -> Option<&'w [u32]> {
    let tail = inputs.len() - inputs.len() % 4;
    let rest_inputs = inputs.get(tail..)?;
    let words = words.get_mut(..tail / 2 + rest_inputs.len())?;
    let (groups, rest) = words.split_at_mut(tail / 2);
    for (out, x) in groups.chunks_exact_mut(2).zip(inputs.chunks_exact(4)) {
        if let [x02, x13] = out {
            let x = word(x);
            (*x02, *x13) = (sadd16(sxtb16(x), offsets), sadd16(sxtb16_ror8(x), offsets));
        }
    }
    for (out, &x) in rest.iter_mut().zip(rest_inputs) {
        *out = sadd16(sxtb16(u32::from(x as u8)), offsets);
    }
    Some(words)
}

/// `sums[i] + rows[i] . x` for the four filter rows, `x` being [`widen_packed`]'s
/// words of as many inputs as the shortest row is long (the caller passes a row
/// again for fewer than four), wrapping. On Armv7E-M the full groups are the `asm!`
/// loop `dsp::dot_4x1_groups`: one LDM of the group's two input words, then per row
/// one weight word load, two widenings and two SMLADs (21 instructions for 16
/// multiply-adds).
#[inline(always)]
pub(crate) fn dot_4x1(rows: [&[i8]; 4], x: &[u32], sums: [i32; 4]) -> [i32; 4] {
    let len = rows.iter().fold(usize::MAX, |len, row| len.min(row.len()));
    let tail = len - len % 4;
    let (groups, rest) = x.split_at(x.len().min(tail / 2));
    let groups_len = tail.min(groups.len() * 2);
    let full_rows = rows;
    let rows = full_rows.map(|row| row.get(..groups_len).unwrap_or_default());
    #[cfg(all(feature = "arm_dsp", target_arch = "arm"))]
    let mut sums = super::dsp::dot_4x1_groups(rows, groups, sums);
    #[cfg(not(all(feature = "arm_dsp", target_arch = "arm")))]
    let mut sums = {
        let mut sums = sums;
        for (group, words) in groups.chunks_exact(2).enumerate() {
            let &[x02, x13] = words else { continue };
            for (sum, row) in sums.iter_mut().zip(rows) {
                let Some(w) = row.get(4 * group..4 * group + 4) else {
                    continue;
                };
                let w = word(w);
                *sum = smlad(sxtb16_ror8(w), x13, smlad(sxtb16(w), x02, *sum));
            }
        }
        sums
    };
    let rows = full_rows.map(|row| row.get(tail..len).unwrap_or_default());
    for (i, &x) in rest.iter().enumerate() {
        let x = lanes_of(x).0;
        for (sum, row) in sums.iter_mut().zip(rows) {
            if let Some(&w) = row.get(i) {
                *sum = sum.wrapping_add(x * i32::from(w));
            }
        }
    }
    sums
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
    fn widened_pairs_equal_interleaved_patches() {
        for len in [0, 1, 3, 4, 5, 8, 13] {
            let a = pseudo_random_i8(len, 7);
            let b = pseudo_random_i8(len, 8);
            for offset in [-127i16, 0, 128] {
                let patch =
                    |x: &[i8]| -> Vec<i16> { x.iter().map(|&x| i16::from(x) + offset).collect() };
                let mut expected = vec![0u32; len];
                interleave(&patch(&a), &patch(&b), &mut expected);
                let mut got = vec![0u32; len];
                widen_pair(&a, &b, lanes(&[offset, offset]), &mut got);
                assert_eq!(got, expected, "len {len} offset {offset}");
            }
        }
    }

    #[test]
    fn four_row_sums_equal_plain_dot_products() {
        for len in [0, 1, 3, 4, 5, 8, 13, 64] {
            let x = pseudo_random_i8(len, 5);
            let rows: Vec<Vec<i8>> = (0..4).map(|r| pseudo_random_i8(len, 6 + r)).collect();
            for offset in [-127i16, 0, 128] {
                let shifted: Vec<i16> = x.iter().map(|&x| i16::from(x) + offset).collect();
                let mut words = vec![0u32; len / 2 + 3];
                let widened = widen_packed(&x, lanes(&[offset, offset]), &mut words);
                let rows = [&rows[0][..], &rows[1], &rows[2], &rows[3]];
                let start = [1, -2, 3, i32::MAX];
                let got = dot_4x1(rows, widened.unwrap(), start);
                let expected: Vec<i32> = start
                    .iter()
                    .zip(rows)
                    .map(|(&s, row)| s.wrapping_add(dot(row, &shifted)))
                    .collect();
                assert_eq!(got.to_vec(), expected, "len {len} offset {offset}");
            }
        }
    }
}
