//! `SignalRfft` (int16): the real FFT of each frame, in TFLM's fixed-point
//! KISS FFT (v130, `FIXED_POINT` 16).
//!
//! Mirrors signal/micro/kernels/rfft.cc and signal/src/rfft_int16.cc: each frame
//! is zero-padded to `fft_length`, transformed as `fft_length / 2` complex values
//! by the mixed-radix decimation-in-time FFT (every butterfly divides its inputs
//! by its radix, so the result is scaled by `1 / fft_length`), then split into
//! the `fft_length / 2 + 1` bins of the real transform. All products are Q15
//! with rounding; sums wrap to int16 as the C code's stores do. The compiler
//! precomputes the twiddles and the radix factorization (`kiss_fft_alloc`,
//! `kiss_fftr_alloc`); radices 2, 3 and 4 are implemented. The frames depend on
//! nothing else, but the layer is one part: `part` is `0..1` (or empty).

use crate::error::{elements, elements_mut, KernelError, KernelResult};
use crate::split::SplitRange;

/// A Q15 complex value (`kiss_fft_cpx`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Cpx {
    r: i16,
    i: i16,
}

/// The transform's precomputed tables (from `kiss_fftr_alloc`); the inverse
/// transform's twiddles are the conjugates of the forward ones.
#[derive(Clone, Copy, Debug)]
pub struct RfftPlan<'a> {
    /// `fft_length`: even, at least 4.
    pub fft_length: usize,
    /// Whether this is the inverse transform (`SignalIrfft`).
    pub inverse: bool,
    /// `fft_length / 2` twiddles `e^(-2 pi i k / (fft_length / 2))`, interleaved (re, im).
    pub twiddles: &'a [i16],
    /// `fft_length / 4` twiddles `e^(-pi i ((k + 1) / (fft_length / 2) + 1/2))`, interleaved.
    pub super_twiddles: &'a [i16],
    /// `(radix, remaining length)` pairs of the complex FFT, flattened (`kf_factor`).
    pub factors: &'a [usize],
}

fn sround(x: i32) -> i16 {
    (x.wrapping_add(1 << 14) >> 15) as i16
}

fn smul(a: i16, b: i16) -> i32 {
    i32::from(a) * i32::from(b)
}

fn mul(a: Cpx, b: Cpx) -> Cpx {
    Cpx {
        r: sround(smul(a.r, b.r).wrapping_sub(smul(a.i, b.i))),
        i: sround(smul(a.r, b.i).wrapping_add(smul(a.i, b.r))),
    }
}

fn scale(c: Cpx, s: i16) -> Cpx {
    Cpx {
        r: sround(smul(c.r, s)),
        i: sround(smul(c.i, s)),
    }
}

/// `C_FIXDIV`: divides by `radix` as a multiplication by `32767 / radix` in Q15.
fn fixdiv(c: Cpx, radix: i16) -> Cpx {
    scale(c, i16::MAX / radix)
}

fn add(a: Cpx, b: Cpx) -> Cpx {
    Cpx {
        r: a.r.wrapping_add(b.r),
        i: a.i.wrapping_add(b.i),
    }
}

fn sub(a: Cpx, b: Cpx) -> Cpx {
    Cpx {
        r: a.r.wrapping_sub(b.r),
        i: a.i.wrapping_sub(b.i),
    }
}

/// `HALF_OF(a + b)` with the sum in int, then stored to int16.
fn half_sum(a: i16, b: i16) -> i16 {
    ((i32::from(a) + i32::from(b)) >> 1) as i16
}

/// `HALF_OF(a - b)` with the difference in int, then stored to int16.
fn half_difference(a: i16, b: i16) -> i16 {
    ((i32::from(a) - i32::from(b)) >> 1) as i16
}

/// Complex values stored interleaved in an `i16` slice whose length was validated
/// for every index used; out-of-range reads give zero and writes are dropped,
/// which validation rules out.
struct Complexes<'a>(&'a mut [i16]);

impl Complexes<'_> {
    fn get(&self, k: usize) -> Cpx {
        let value = |j: usize| self.0.get(j).copied().unwrap_or(0);
        Cpx {
            r: value(2 * k),
            i: value(2 * k + 1),
        }
    }

    fn set(&mut self, k: usize, c: Cpx) {
        if let Some(pair) = self.0.get_mut(2 * k..2 * k + 2) {
            pair.copy_from_slice(&[c.r, c.i]);
        }
    }
}

fn table(values: &[i16], k: usize) -> Cpx {
    Cpx {
        r: values.get(2 * k).copied().unwrap_or(0),
        i: values.get(2 * k + 1).copied().unwrap_or(0),
    }
}

fn butterfly2(out: &mut Complexes<'_>, base: usize, fstride: usize, twiddles: &[i16], m: usize) {
    for k in 0..m {
        let a = fixdiv(out.get(base + k), 2);
        let b = fixdiv(out.get(base + k + m), 2);
        let t = mul(b, table(twiddles, k * fstride));
        out.set(base + k + m, sub(a, t));
        out.set(base + k, add(a, t));
    }
}

fn butterfly3(out: &mut Complexes<'_>, base: usize, fstride: usize, twiddles: &[i16], m: usize) {
    let epi3 = table(twiddles, fstride * m);
    for k in 0..m {
        let f0 = fixdiv(out.get(base + k), 3);
        let f1 = fixdiv(out.get(base + k + m), 3);
        let f2 = fixdiv(out.get(base + k + 2 * m), 3);
        let s1 = mul(f1, table(twiddles, k * fstride));
        let s2 = mul(f2, table(twiddles, 2 * k * fstride));
        let s3 = add(s1, s2);
        let s0 = scale(sub(s1, s2), epi3.i);
        let mid = Cpx {
            r: (i32::from(f0.r) - (i32::from(s3.r) >> 1)) as i16,
            i: (i32::from(f0.i) - (i32::from(s3.i) >> 1)) as i16,
        };
        out.set(base + k, add(f0, s3));
        out.set(
            base + k + 2 * m,
            Cpx {
                r: mid.r.wrapping_add(s0.i),
                i: mid.i.wrapping_sub(s0.r),
            },
        );
        out.set(
            base + k + m,
            Cpx {
                r: mid.r.wrapping_sub(s0.i),
                i: mid.i.wrapping_add(s0.r),
            },
        );
    }
}

fn butterfly4(
    out: &mut Complexes<'_>,
    base: usize,
    fstride: usize,
    twiddles: &[i16],
    m: usize,
    inverse: bool,
) {
    for k in 0..m {
        let f0 = fixdiv(out.get(base + k), 4);
        let f1 = fixdiv(out.get(base + k + m), 4);
        let f2 = fixdiv(out.get(base + k + 2 * m), 4);
        let f3 = fixdiv(out.get(base + k + 3 * m), 4);
        let s0 = mul(f1, table(twiddles, k * fstride));
        let s1 = mul(f2, table(twiddles, 2 * k * fstride));
        let s2 = mul(f3, table(twiddles, 3 * k * fstride));
        let s5 = sub(f0, s1);
        let f0 = add(f0, s1);
        let s3 = add(s0, s2);
        let s4 = sub(s0, s2);
        out.set(base + k + 2 * m, sub(f0, s3));
        out.set(base + k, add(f0, s3));
        // s5 - i s4 and s5 + i s4: the forward transform's quarter turns, swapped inverse.
        let minus_i = Cpx {
            r: s5.r.wrapping_add(s4.i),
            i: s5.i.wrapping_sub(s4.r),
        };
        let plus_i = Cpx {
            r: s5.r.wrapping_sub(s4.i),
            i: s5.i.wrapping_add(s4.r),
        };
        let (quarter, three_quarters) = if inverse {
            (plus_i, minus_i)
        } else {
            (minus_i, plus_i)
        };
        out.set(base + k + m, quarter);
        out.set(base + k + 3 * m, three_quarters);
    }
}

/// `kf_work`: the decimation-in-time recursion over the factors.
fn work(
    out: &mut Complexes<'_>,
    base: usize,
    input: &[i16],
    first: usize,
    fstride: usize,
    factors: &[usize],
    plan: &RfftPlan<'_>,
) -> KernelResult {
    let (twiddles, inverse) = (plan.twiddles, plan.inverse);
    let (&radix, &m) = (
        factors.first().ok_or(KernelError::InvalidParameter)?,
        factors.get(1).ok_or(KernelError::InvalidParameter)?,
    );
    if m == 1 {
        for j in 0..radix {
            out.set(base + j, table(input, first + j * fstride));
        }
    } else {
        let rest = factors.get(2..).unwrap_or(&[]);
        for j in 0..radix {
            work(
                out,
                base + j * m,
                input,
                first + j * fstride,
                fstride * radix,
                rest,
                plan,
            )?;
        }
    }
    match radix {
        2 => butterfly2(out, base, fstride, twiddles, m),
        3 => butterfly3(out, base, fstride, twiddles, m),
        4 => butterfly4(out, base, fstride, twiddles, m, inverse),
        _ => return Err(KernelError::InvalidParameter),
    }
    Ok(())
}

/// Checks that `factors` is a complete factorization of `n` into radices 2, 3, 4.
fn check_factors(factors: &[usize], n: usize) -> KernelResult {
    let mut remaining = n;
    for pair in factors.chunks(2) {
        let [radix, m] = *pair else {
            return Err(KernelError::InvalidParameter);
        };
        if !(2..=4).contains(&radix) || radix.checked_mul(m) != Some(remaining) {
            return Err(KernelError::InvalidParameter);
        }
        remaining = m;
    }
    if remaining == 1 && !factors.is_empty() {
        Ok(())
    } else {
        Err(KernelError::InvalidParameter)
    }
}

/// Checks `plan` (of the given direction); returns the complex FFT's length.
fn check_plan(plan: &RfftPlan<'_>, inverse: bool) -> Result<usize, KernelError> {
    let n = plan.fft_length / 2;
    check_factors(plan.factors, n)?;
    if plan.inverse != inverse
        || plan.fft_length % 2 != 0
        || n < 2
        || plan.twiddles.len() < 2 * n
        || plan.super_twiddles.len() < 2 * (n / 2)
    {
        return Err(KernelError::InvalidParameter);
    }
    Ok(n)
}

/// The real FFT of every `input_length`-sample frame of `input` into
/// `fft_length / 2 + 1` interleaved complex bins of `output` per frame.
///
/// `scratch` holds at least `2 * fft_length` values: the zero-padded frame and
/// the complex FFT's result.
pub fn rfft(
    plan: &RfftPlan<'_>,
    input: &[i16],
    input_length: usize,
    output: &mut [i16],
    scratch: &mut [i16],
    part: SplitRange,
) -> KernelResult {
    part.check_within(1)?;
    if part.is_empty() {
        return Ok(());
    }
    let n = plan.fft_length / 2;
    let bins = n + 1;
    check_factors(plan.factors, n)?;
    if plan.fft_length % 2 != 0
        || n < 2
        || plan.twiddles.len() < 2 * n
        || plan.super_twiddles.len() < 2 * (n / 2)
    {
        return Err(KernelError::InvalidParameter);
    }
    if input_length == 0 || input_length > plan.fft_length || input.len() % input_length != 0 {
        return Err(KernelError::ShapeMismatch);
    }
    let frames = input.len() / input_length;
    if output.len() != frames * 2 * bins {
        return Err(KernelError::ShapeMismatch);
    }
    let (frame, rest) = scratch
        .split_at_mut_checked(plan.fft_length)
        .ok_or(KernelError::EmptyScratch)?;
    let spectrum = rest.get_mut(..2 * n).ok_or(KernelError::EmptyScratch)?;
    // Indexed rather than zipped chunks: the optimizer proves these bounds, not a zip's
    // division by the chunk length.
    for index in 0..frames {
        let samples = elements(input, index * input_length, input_length)?;
        let bins_out = elements_mut(output, index * 2 * bins, 2 * bins)?;
        frame.fill(0);
        if let Some(head) = frame.get_mut(..input_length) {
            head.copy_from_slice(samples);
        }
        let mut complex = Complexes(spectrum);
        work(&mut complex, 0, frame, 0, 1, plan.factors, plan)?;
        let mut out = Complexes(bins_out);
        let dc = fixdiv(complex.get(0), 2);
        out.set(
            0,
            Cpx {
                r: dc.r.wrapping_add(dc.i),
                i: 0,
            },
        );
        out.set(
            n,
            Cpx {
                r: dc.r.wrapping_sub(dc.i),
                i: 0,
            },
        );
        for k in 1..=n / 2 {
            let fpk = fixdiv(complex.get(k), 2);
            let mirrored = complex.get(n - k);
            let fpnk = fixdiv(
                Cpx {
                    r: mirrored.r,
                    i: mirrored.i.wrapping_neg(),
                },
                2,
            );
            let f1k = add(fpk, fpnk);
            let f2k = sub(fpk, fpnk);
            let tw = mul(f2k, table(plan.super_twiddles, k - 1));
            out.set(
                k,
                Cpx {
                    r: half_sum(f1k.r, tw.r),
                    i: half_sum(f1k.i, tw.i),
                },
            );
            out.set(
                n - k,
                Cpx {
                    r: half_difference(f1k.r, tw.r),
                    i: half_difference(tw.i, f1k.i),
                },
            );
        }
    }
    Ok(())
}

/// The inverse real FFT (`kiss_fftri`) of every frame of `fft_length / 2 + 1`
/// interleaved complex bins in `input` into `fft_length` samples of `output`.
///
/// Like the forward transform it divides by each radix, so the result is scaled
/// by `1 / fft_length`. `scratch` holds at least `fft_length` values.
pub fn irfft(
    plan: &RfftPlan<'_>,
    input: &[i16],
    output: &mut [i16],
    scratch: &mut [i16],
    part: SplitRange,
) -> KernelResult {
    part.check_within(1)?;
    if part.is_empty() {
        return Ok(());
    }
    let n = check_plan(plan, true)?;
    let bins = n + 1;
    let frame_len = bins
        .checked_mul(2)
        .filter(|&frame_len| frame_len > 0)
        .ok_or(KernelError::InvalidParameter)?;
    if input.len() % frame_len != 0 || output.len() != input.len() / frame_len * plan.fft_length {
        return Err(KernelError::ShapeMismatch);
    }
    let spectrum = scratch.get_mut(..2 * n).ok_or(KernelError::EmptyScratch)?;
    for index in 0..input.len() / frame_len {
        let frame = elements(input, index * frame_len, frame_len)?;
        let samples = elements_mut(output, index * plan.fft_length, plan.fft_length)?;
        let first = table(frame, 0);
        let last = table(frame, n);
        let mut split = Complexes(spectrum);
        let dc = Cpx {
            r: first.r.wrapping_add(last.r),
            i: first.r.wrapping_sub(last.r),
        };
        split.set(0, fixdiv(dc, 2));
        for k in 1..=n / 2 {
            let fk = fixdiv(table(frame, k), 2);
            let mirrored = table(frame, n - k);
            let fnkc = fixdiv(
                Cpx {
                    r: mirrored.r,
                    i: mirrored.i.wrapping_neg(),
                },
                2,
            );
            let even = add(fk, fnkc);
            let odd = mul(sub(fk, fnkc), table(plan.super_twiddles, k - 1));
            split.set(k, add(even, odd));
            let conjugate = sub(even, odd);
            split.set(
                n - k,
                Cpx {
                    r: conjugate.r,
                    i: conjugate.i.wrapping_neg(),
                },
            );
        }
        let split = &*split.0;
        work(&mut Complexes(samples), 0, split, 0, 1, plan.factors, plan)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan of an 8-point real FFT (4 complex points, one radix-4 stage).
    fn plan8() -> RfftPlan<'static> {
        RfftPlan {
            fft_length: 8,
            inverse: false,
            // e^(-2 pi i k / 4) in Q15 for k = 0..4.
            twiddles: &[32767, 0, 0, -32767, -32767, 0, 0, 32767],
            // e^(-i pi (1/4 + 1/2)) and e^(-i pi (2/4 + 1/2)).
            super_twiddles: &[-23170, -23170, -32767, 0],
            factors: &[4, 1],
        }
    }

    #[test]
    fn a_constant_frame_is_all_dc() {
        let mut out = [0i16; 10];
        let mut scratch = [0i16; 16];
        rfft(
            &plan8(),
            &[8000; 8],
            8,
            &mut out,
            &mut scratch,
            SplitRange::full(1),
        )
        .unwrap();
        // The transform is scaled by 1/8: the DC bin holds the mean, rounded down
        // by the Q15 divisions.
        assert!((7990..=8000).contains(&out[0]), "dc {}", out[0]);
        assert!(out[2..].iter().all(|&v| v.abs() <= 2), "{out:?}");
    }

    #[test]
    fn short_frames_are_zero_padded() {
        let mut padded = [0i16; 10];
        let mut short = [0i16; 10];
        let mut scratch = [0i16; 16];
        let r = SplitRange::full(1);
        rfft(
            &plan8(),
            &[1000, -2000, 3000, 0, 0, 0, 0, 0],
            8,
            &mut padded,
            &mut scratch,
            r,
        )
        .unwrap();
        rfft(
            &plan8(),
            &[1000, -2000, 3000],
            3,
            &mut short,
            &mut scratch,
            r,
        )
        .unwrap();
        assert_eq!(padded, short);
    }

    #[test]
    fn rejects_bad_plans_and_shapes() {
        let mut out = [0i16; 10];
        let mut scratch = [0i16; 16];
        let r = SplitRange::full(1);
        let bad_factors = RfftPlan {
            factors: &[2, 1],
            ..plan8()
        };
        assert_eq!(
            rfft(&bad_factors, &[0; 8], 8, &mut out, &mut scratch, r),
            Err(KernelError::InvalidParameter)
        );
        let radix5 = RfftPlan {
            factors: &[5, 1],
            fft_length: 10,
            ..plan8()
        };
        assert_eq!(
            rfft(&radix5, &[0; 10], 10, &mut out, &mut scratch, r),
            Err(KernelError::InvalidParameter)
        );
        assert_eq!(
            rfft(&plan8(), &[0; 9], 9, &mut out, &mut scratch, r),
            Err(KernelError::ShapeMismatch)
        );
        assert_eq!(
            rfft(&plan8(), &[0; 8], 8, &mut out[..8], &mut scratch, r),
            Err(KernelError::ShapeMismatch)
        );
        assert_eq!(
            rfft(&plan8(), &[0; 8], 8, &mut out, &mut scratch[..15], r),
            Err(KernelError::EmptyScratch)
        );
        assert_eq!(
            rfft(
                &plan8(),
                &[0; 8],
                8,
                &mut out,
                &mut scratch,
                SplitRange::new(0, 0)
            ),
            Ok(())
        );
    }
}
