//! `SignalRfft` and `SignalIrfft` (int16, int32, float32): the real FFT of each
//! frame and its inverse, in TFLM's KISS FFT (v130: `FIXED_POINT` 16 and 32, and
//! float).
//!
//! Mirrors signal/micro/kernels/rfft.cc, irfft.cc and signal/src/rfft_*.cc,
//! irfft_*.cc: each frame is zero-padded to `fft_length`, transformed as
//! `fft_length / 2` complex values by the mixed-radix decimation-in-time FFT, then
//! split into the `fft_length / 2 + 1` bins of the real transform. Fixed point:
//! every butterfly divides its inputs by its radix (the result is scaled by
//! `1 / fft_length`), products are Q15 / Q31 with rounding, and sums wrap as the C
//! code's stores do. Float: plain float arithmetic in KISS FFT's order, no
//! scaling. The compiler precomputes the twiddles and the radix factorization
//! (`kiss_fft_alloc`, `kiss_fftr_alloc`); radices 2, 3 and 4 are implemented.
//! The frames depend on nothing else, but the layer is one part: `part` is
//! `0..1` (or empty).

use crate::error::{KernelError, KernelResult};
use crate::rows::{rows, rows_mut};
use crate::split::SplitRange;

/// A sample type of KISS FFT (`kiss_fft_scalar`) with its arithmetic.
pub trait FftSample: Copy + Default {
    /// `SAMPPROD`: the type of a product before rounding.
    type Product: Copy;
    /// `smul`: the full product.
    fn smul(a: Self, b: Self) -> Self::Product;
    /// `smul(a, b) - smul(c, d)` (`C_MUL`'s real part).
    fn product_difference(a: Self::Product, b: Self::Product) -> Self::Product;
    /// `smul(a, b) + smul(c, d)` (`C_MUL`'s imaginary part).
    fn product_sum(a: Self::Product, b: Self::Product) -> Self::Product;
    /// `sround`: the product back in the sample type.
    fn sround(x: Self::Product) -> Self;
    /// `DIVSCALAR(x, radix)`: a multiplication by `SAMP_MAX / radix` (float: `x`).
    fn fixdiv(x: Self, radix: u8) -> Self;
    /// `a + b` stored back to the sample type.
    fn add(a: Self, b: Self) -> Self;
    /// `a - b` stored back to the sample type.
    fn sub(a: Self, b: Self) -> Self;
    /// `-a` stored back to the sample type.
    fn neg(a: Self) -> Self;
    /// `HALF_OF(a)`.
    fn half(a: Self) -> Self;
    /// `HALF_OF(a + b)`, the sum in C's arithmetic.
    fn half_sum(a: Self, b: Self) -> Self;
    /// `HALF_OF(a - b)`, the difference in C's arithmetic.
    fn half_difference(a: Self, b: Self) -> Self;
    /// A sample of the inverse transform as TFLM outputs it: the fixed-point builds
    /// as `kiss_fftri` leaves it, the float build divided by `fft_length`
    /// (irfft_float.cc undoes KISS FFT's unscaled inverse).
    fn inverse_output(x: Self, _fft_length: usize) -> Self {
        x
    }
}

/// The fixed-point builds: `$product` products rounded off `$bits` fraction bits,
/// wrapping sums, and `HALF_OF(a +- b)` as C computes it (`$half_sum`, `$half_difference`).
macro_rules! fixed_point_sample {
    ($sample:ty, $product:ty, $bits:expr, $half_sum:expr, $half_difference:expr) => {
        impl FftSample for $sample {
            type Product = $product;
            fn smul(a: Self, b: Self) -> $product {
                <$product>::from(a) * <$product>::from(b)
            }
            fn product_difference(a: $product, b: $product) -> $product {
                a.wrapping_sub(b)
            }
            fn product_sum(a: $product, b: $product) -> $product {
                a.wrapping_add(b)
            }
            fn sround(x: $product) -> Self {
                (x.wrapping_add(1 << ($bits - 1)) >> $bits) as $sample
            }
            fn fixdiv(x: Self, radix: u8) -> Self {
                Self::sround(Self::smul(x, <$sample>::MAX / <$sample>::from(radix)))
            }
            fn add(a: Self, b: Self) -> Self {
                a.wrapping_add(b)
            }
            fn sub(a: Self, b: Self) -> Self {
                a.wrapping_sub(b)
            }
            fn neg(a: Self) -> Self {
                a.wrapping_neg()
            }
            fn half(a: Self) -> Self {
                a >> 1
            }
            fn half_sum(a: Self, b: Self) -> Self {
                $half_sum(a, b)
            }
            fn half_difference(a: Self, b: Self) -> Self {
                $half_difference(a, b)
            }
        }
    };
}

// int16 operands are promoted to int: the sum cannot wrap before the halving.
fixed_point_sample!(
    i16,
    i32,
    15,
    |a: i16, b: i16| ((i32::from(a) + i32::from(b)) >> 1) as i16,
    |a: i16, b: i16| ((i32::from(a) - i32::from(b)) >> 1) as i16
);
// int32 sums stay int32 in C: they wrap before the halving.
fixed_point_sample!(
    i32,
    i64,
    31,
    |a: i32, b: i32| a.wrapping_add(b) >> 1,
    |a: i32, b: i32| a.wrapping_sub(b) >> 1
);

impl FftSample for f32 {
    type Product = f32;
    fn smul(a: Self, b: Self) -> f32 {
        a * b
    }
    fn product_difference(a: f32, b: f32) -> f32 {
        a - b
    }
    fn product_sum(a: f32, b: f32) -> f32 {
        a + b
    }
    fn sround(x: f32) -> Self {
        x
    }
    fn fixdiv(x: Self, _radix: u8) -> Self {
        x
    }
    fn add(a: Self, b: Self) -> Self {
        a + b
    }
    fn sub(a: Self, b: Self) -> Self {
        a - b
    }
    fn neg(a: Self) -> Self {
        -a
    }
    fn half(a: Self) -> Self {
        a * 0.5
    }
    fn half_sum(a: Self, b: Self) -> Self {
        (a + b) * 0.5
    }
    fn half_difference(a: Self, b: Self) -> Self {
        (a - b) * 0.5
    }
    // C's `output[i] /= fft_length`: the int converted to float (exact below 2^24).
    fn inverse_output(x: Self, fft_length: usize) -> Self {
        x / fft_length as f32
    }
}

/// A complex value (`kiss_fft_cpx`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Cpx<T> {
    r: T,
    i: T,
}

/// The transform's precomputed tables (from `kiss_fftr_alloc`); the inverse
/// transform's twiddles are the conjugates of the forward ones.
#[derive(Clone, Copy, Debug)]
pub struct RfftPlan<'a, T> {
    /// `fft_length`: even, at least 4.
    pub fft_length: usize,
    /// Whether this is the inverse transform (`SignalIrfft`).
    pub inverse: bool,
    /// `fft_length / 2` twiddles `e^(-2 pi i k / (fft_length / 2))`, interleaved (re, im).
    pub twiddles: &'a [T],
    /// `fft_length / 4` twiddles `e^(-pi i ((k + 1) / (fft_length / 2) + 1/2))`, interleaved.
    pub super_twiddles: &'a [T],
    /// `(radix, remaining length)` pairs of the complex FFT, flattened (`kf_factor`).
    pub factors: &'a [usize],
}

fn mul<T: FftSample>(a: Cpx<T>, b: Cpx<T>) -> Cpx<T> {
    Cpx {
        r: T::sround(T::product_difference(T::smul(a.r, b.r), T::smul(a.i, b.i))),
        i: T::sround(T::product_sum(T::smul(a.r, b.i), T::smul(a.i, b.r))),
    }
}

fn scale<T: FftSample>(c: Cpx<T>, s: T) -> Cpx<T> {
    Cpx {
        r: T::sround(T::smul(c.r, s)),
        i: T::sround(T::smul(c.i, s)),
    }
}

/// `C_FIXDIV`: divides by `radix` in fixed point.
fn fixdiv<T: FftSample>(c: Cpx<T>, radix: u8) -> Cpx<T> {
    Cpx {
        r: T::fixdiv(c.r, radix),
        i: T::fixdiv(c.i, radix),
    }
}

fn add<T: FftSample>(a: Cpx<T>, b: Cpx<T>) -> Cpx<T> {
    Cpx {
        r: T::add(a.r, b.r),
        i: T::add(a.i, b.i),
    }
}

fn sub<T: FftSample>(a: Cpx<T>, b: Cpx<T>) -> Cpx<T> {
    Cpx {
        r: T::sub(a.r, b.r),
        i: T::sub(a.i, b.i),
    }
}

fn conjugate<T: FftSample>(c: Cpx<T>) -> Cpx<T> {
    Cpx {
        r: c.r,
        i: T::neg(c.i),
    }
}

/// Complex values stored interleaved in a slice whose length was validated for
/// every index used; out-of-range reads give zero and writes are dropped, which
/// validation rules out.
struct Complexes<'a, T>(&'a mut [T]);

impl<T: FftSample> Complexes<'_, T> {
    fn get(&self, k: usize) -> Cpx<T> {
        let value = |j: usize| self.0.get(j).copied().unwrap_or_default();
        Cpx {
            r: value(2 * k),
            i: value(2 * k + 1),
        }
    }

    fn set(&mut self, k: usize, c: Cpx<T>) {
        if let Some(pair) = self.0.get_mut(2 * k..2 * k + 2) {
            pair.copy_from_slice(&[c.r, c.i]);
        }
    }
}

fn table<T: FftSample>(values: &[T], k: usize) -> Cpx<T> {
    Cpx {
        r: values.get(2 * k).copied().unwrap_or_default(),
        i: values.get(2 * k + 1).copied().unwrap_or_default(),
    }
}

fn butterfly2<T: FftSample>(
    out: &mut Complexes<'_, T>,
    base: usize,
    fstride: usize,
    twiddles: &[T],
    m: usize,
) {
    for k in 0..m {
        let a = fixdiv(out.get(base + k), 2);
        let b = fixdiv(out.get(base + k + m), 2);
        let t = mul(b, table(twiddles, k * fstride));
        out.set(base + k + m, sub(a, t));
        out.set(base + k, add(a, t));
    }
}

fn butterfly3<T: FftSample>(
    out: &mut Complexes<'_, T>,
    base: usize,
    fstride: usize,
    twiddles: &[T],
    m: usize,
) {
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
            r: T::sub(f0.r, T::half(s3.r)),
            i: T::sub(f0.i, T::half(s3.i)),
        };
        out.set(base + k, add(f0, s3));
        out.set(
            base + k + 2 * m,
            Cpx {
                r: T::add(mid.r, s0.i),
                i: T::sub(mid.i, s0.r),
            },
        );
        out.set(
            base + k + m,
            Cpx {
                r: T::sub(mid.r, s0.i),
                i: T::add(mid.i, s0.r),
            },
        );
    }
}

fn butterfly4<T: FftSample>(
    out: &mut Complexes<'_, T>,
    base: usize,
    fstride: usize,
    twiddles: &[T],
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
            r: T::add(s5.r, s4.i),
            i: T::sub(s5.i, s4.r),
        };
        let plus_i = Cpx {
            r: T::sub(s5.r, s4.i),
            i: T::add(s5.i, s4.r),
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
fn work<T: FftSample>(
    out: &mut Complexes<'_, T>,
    base: usize,
    input: &[T],
    first: usize,
    fstride: usize,
    factors: &[usize],
    plan: &RfftPlan<'_, T>,
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
fn check_plan<T>(plan: &RfftPlan<'_, T>, inverse: bool) -> Result<usize, KernelError> {
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
pub fn rfft<T: FftSample>(
    plan: &RfftPlan<'_, T>,
    input: &[T],
    input_length: usize,
    output: &mut [T],
    scratch: &mut [T],
    part: SplitRange,
) -> KernelResult {
    if !part.owns_whole_layer()? {
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
    for (samples, bins_out) in rows(input, input_length).zip(rows_mut(output, 2 * bins)) {
        frame.fill(T::default());
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
                r: T::add(dc.r, dc.i),
                i: T::default(),
            },
        );
        out.set(
            n,
            Cpx {
                r: T::sub(dc.r, dc.i),
                i: T::default(),
            },
        );
        for k in 1..=n / 2 {
            let fpk = fixdiv(complex.get(k), 2);
            let fpnk = fixdiv(conjugate(complex.get(n - k)), 2);
            let f1k = add(fpk, fpnk);
            let f2k = sub(fpk, fpnk);
            let tw = mul(f2k, table(plan.super_twiddles, k - 1));
            out.set(
                k,
                Cpx {
                    r: T::half_sum(f1k.r, tw.r),
                    i: T::half_sum(f1k.i, tw.i),
                },
            );
            out.set(
                n - k,
                Cpx {
                    r: T::half_difference(f1k.r, tw.r),
                    i: T::half_difference(tw.i, f1k.i),
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
pub fn irfft<T: FftSample>(
    plan: &RfftPlan<'_, T>,
    input: &[T],
    output: &mut [T],
    scratch: &mut [T],
    part: SplitRange,
) -> KernelResult {
    if !part.owns_whole_layer()? {
        return Ok(());
    }
    let n = check_plan(plan, true)?;
    let bins = n.checked_add(1).ok_or(KernelError::InvalidParameter)?;
    let row = bins.checked_mul(2).unwrap_or(0);
    if row == 0 || input.len() % row != 0 || output.len() != input.len() / row * plan.fft_length {
        return Err(KernelError::ShapeMismatch);
    }
    let spectrum = scratch.get_mut(..2 * n).ok_or(KernelError::EmptyScratch)?;
    for (frame, samples) in rows(input, row).zip(rows_mut(output, plan.fft_length)) {
        let first = table(frame, 0);
        let last = table(frame, n);
        let mut split = Complexes(spectrum);
        let dc = Cpx {
            r: T::add(first.r, last.r),
            i: T::sub(first.r, last.r),
        };
        split.set(0, fixdiv(dc, 2));
        for k in 1..=n / 2 {
            let fk = fixdiv(table(frame, k), 2);
            let fnkc = fixdiv(conjugate(table(frame, n - k)), 2);
            let even = add(fk, fnkc);
            let odd = mul(sub(fk, fnkc), table(plan.super_twiddles, k - 1));
            split.set(k, add(even, odd));
            split.set(n - k, conjugate(sub(even, odd)));
        }
        let split = &*split.0;
        work(
            &mut Complexes(&mut *samples),
            0,
            split,
            0,
            1,
            plan.factors,
            plan,
        )?;
        for sample in samples.iter_mut() {
            *sample = T::inverse_output(*sample, plan.fft_length);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan of an 8-point real FFT (4 complex points, one radix-4 stage).
    fn plan8() -> RfftPlan<'static, i16> {
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

    #[test]
    fn float_transforms_are_unscaled_and_the_inverse_divides_by_the_length() {
        let quarter = core::f32::consts::FRAC_1_SQRT_2;
        let forward = RfftPlan {
            fft_length: 8,
            inverse: false,
            twiddles: &[1.0f32, 0.0, 0.0, -1.0, -1.0, 0.0, 0.0, 1.0],
            super_twiddles: &[-quarter, -quarter, -1.0, 0.0],
            factors: &[4, 1],
        };
        let (mut spectrum, mut scratch) = ([0.0f32; 10], [0.0f32; 16]);
        let r = SplitRange::full(1);
        rfft(&forward, &[2.0; 8], 8, &mut spectrum, &mut scratch, r).unwrap();
        assert_eq!(spectrum[0], 16.0);
        assert!(spectrum[2..].iter().all(|v| v.abs() < 1e-6), "{spectrum:?}");
        let inverse = RfftPlan {
            inverse: true,
            twiddles: &[1.0f32, 0.0, 0.0, 1.0, -1.0, 0.0, 0.0, -1.0],
            super_twiddles: &[-quarter, quarter, -1.0, 0.0],
            ..forward
        };
        let mut samples = [0.0f32; 8];
        irfft(&inverse, &spectrum, &mut samples, &mut scratch, r).unwrap();
        assert!(
            samples.iter().all(|v| (v - 2.0).abs() < 1e-6),
            "{samples:?}"
        );
    }

    #[test]
    fn int32_products_are_q31() {
        assert_eq!(i32::sround(i32::smul(i32::MAX, 1 << 30)), 1 << 30);
        assert_eq!(i32::fixdiv(3 << 20, 3), 1 << 20);
        assert_eq!(i32::half_sum(i32::MAX, 1), i32::MIN >> 1);
    }
}
