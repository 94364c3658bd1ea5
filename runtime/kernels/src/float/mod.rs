//! FLOAT32 kernels, computing in TensorFlow Lite Micro's float reference kernels'
//! operation order, so that a float model's results are bit-identical wherever the
//! arithmetic is IEEE-754 single precision (`+ - * /`, comparisons, `sqrt`).
//!
//! Transcendental functions (`exp`, `log`, `tanh`, `sin`, `cos`, `expm1`) have no
//! `core` implementation; [`math`] evaluates them in double precision and rounds once,
//! which matches the C library TFLM calls (glibc's correctly rounded `expf`, `logf`,
//! ...) except where the exact value lies extremely close to a rounding boundary: then
//! the results differ by one ULP. `tinymlc check` reports the largest ULP difference.
//!
//! Every kernel computes a caller-given part of its output (see [`crate::split`]).

pub mod elementwise;
pub mod l2_normalization;
pub mod linear;
pub mod lstm;
pub mod math;
pub mod pooling;
pub mod reduce;
pub mod resize_bilinear;
pub mod softmax;
pub mod svdf;
pub mod transpose_conv;

/// TFLM's float `[output_activation_min, output_activation_max]`
/// (`CalculateActivationRange<float>`: `lowest()..max()` without an activation, so
/// even an infinite result is clamped to the largest finite value).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloatActivation {
    /// Lower bound, applied first.
    pub min: f32,
    /// Upper bound, applied second.
    pub max: f32,
}

impl FloatActivation {
    /// No fused activation: `[f32::MIN, f32::MAX]`.
    pub const NONE: Self = Self {
        min: f32::MIN,
        max: f32::MAX,
    };

    /// TFLM's `ActivationFunctionWithMinMax`: `std::min(std::max(x, min), max)`, whose
    /// comparisons keep `x` when it is NaN.
    #[inline]
    pub fn apply(self, x: f32) -> f32 {
        let low = if x < self.min { self.min } else { x };
        if self.max < low {
            self.max
        } else {
            low
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activation_clamps_infinities_and_keeps_nan() {
        assert_eq!(FloatActivation::NONE.apply(f32::INFINITY), f32::MAX);
        assert_eq!(FloatActivation::NONE.apply(f32::NEG_INFINITY), f32::MIN);
        assert!(FloatActivation::NONE.apply(f32::NAN).is_nan());
        let relu6 = FloatActivation { min: 0.0, max: 6.0 };
        assert_eq!(relu6.apply(-1.0), 0.0);
        assert_eq!(relu6.apply(7.0), 6.0);
        assert_eq!(relu6.apply(2.5), 2.5);
    }
}
