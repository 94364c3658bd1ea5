//! FLOAT32 SVDF: TFLM's `EvalFloatSvdfReference` (tensorflow/lite/micro/kernels/
//! svdf_common.cc), with the integer SVDF's state layout (`batches x filters x
//! memory_size`, oldest step first).
//!
//! Each call moves the whole state one step back, writes each filter's newest step
//! (the input row times the filter's features, summed from `0.0`), then per filter
//! the history times the time weights (from `0.0`), and per output unit the bias (or
//! `0.0`) plus its `rank` filters' sums in order, then TFLM's `ActivationValFloat`.
//!
//! The state is updated as a whole, so the layer is one part: `part` is `0..1` (the
//! whole layer) or empty (nothing to do).

use super::linear::dot_onto;
use super::math;
use crate::error::{element, KernelResult};
use crate::split::SplitRange;
use crate::svdf::{step, SvdfDims};

/// The fused activation as TFLM's `ActivationValFloat` applies it (a flatbuffer has no
/// sigmoid). Its clamps are `std::max(lo, std::min(x, hi))`, which turn a NaN into
/// `lo`, unlike the other float kernels' `FloatActivation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SvdfActivation {
    /// `x`.
    None,
    /// `max(0, x)`.
    Relu,
    /// `max(-1, min(x, 1))`.
    ReluN1To1,
    /// `max(0, min(x, 6))`.
    Relu6,
    /// `tanh(x)`.
    Tanh,
    /// `signbit(x)`: 1 for a negative sign, else 0.
    SignBit,
}

impl SvdfActivation {
    fn apply(self, x: f32) -> f32 {
        // `std::max(a, b)` is `a < b ? b : a`; `std::min(a, b)` is `b < a ? b : a`.
        let max = |a: f32, b: f32| if a < b { b } else { a };
        let min = |a: f32, b: f32| if b < a { b } else { a };
        match self {
            Self::None => x,
            Self::Relu => max(0.0, x),
            Self::ReluN1To1 => max(-1.0, min(x, 1.0)),
            Self::Relu6 => max(0.0, min(x, 6.0)),
            Self::Tanh => math::tanh(x),
            Self::SignBit => f32::from(u8::from(x.is_sign_negative())),
        }
    }
}

/// Runs one float SVDF step, updating `state` in place and writing `output`
/// (`batches x filters / rank`).
#[allow(clippy::too_many_arguments)]
pub fn svdf(
    dims: SvdfDims,
    activation: SvdfActivation,
    input: &[f32],
    weights_feature: &[f32],
    weights_time: &[f32],
    bias: Option<&[f32]>,
    state: &mut [f32],
    output: &mut [f32],
    part: SplitRange,
) -> KernelResult {
    step(
        dims,
        part,
        (input, weights_feature, weights_time, bias.map(<[f32]>::len)),
        (state, output),
        |features, row| Ok(dot_onto(0.0, features, row)),
        |unit, filters| {
            let mut total = bias.map_or(Ok(0.0), |bias| element(bias, unit))?;
            for (weights, steps) in filters {
                total += dot_onto(0.0, weights, steps);
            }
            Ok(activation.apply(total))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIMS: SvdfDims = SvdfDims {
        batches: 1,
        input_size: 2,
        filters: 2,
        rank: 2,
        memory_size: 2,
    };

    #[test]
    fn shifts_the_state_and_sums_in_order() {
        let weights_feature = [1.0f32, 2.0, -1.0, 0.5];
        let weights_time = [0.5f32, 1.0, 2.0, -1.0];
        let mut state = [9.0f32, 3.0, 7.0, 5.0];
        let mut output = [0.0f32];
        let run = |state: &mut [f32], output: &mut [f32], activation| {
            svdf(
                DIMS,
                activation,
                &[1.0, 2.0],
                &weights_feature,
                &weights_time,
                Some(&[0.25]),
                state,
                output,
                SplitRange::full(1),
            )
            .unwrap()
        };
        run(&mut state, &mut output, SvdfActivation::None);
        // Shifted: [3, 7, 5, _]; newest steps: 1 + 4 = 5 and -1 + 1 = 0.
        assert_eq!(state, [3.0, 5.0, 5.0, 0.0]);
        // 0.25 + (1.5 + 5) + (10 - 0).
        assert_eq!(output, [16.75]);
        run(&mut state, &mut output, SvdfActivation::Relu6);
        assert_eq!(output, [6.0]);
    }

    #[test]
    fn activations_follow_tflm() {
        assert_eq!(SvdfActivation::Relu.apply(f32::NAN), 0.0);
        assert_eq!(SvdfActivation::ReluN1To1.apply(-3.0), -1.0);
        assert_eq!(SvdfActivation::SignBit.apply(-0.0), 1.0);
        assert_eq!(SvdfActivation::Tanh.apply(0.0), 0.0);
    }

    #[test]
    fn inconsistent_operands_are_errors() {
        let mut state = [0.0f32; 4];
        let mut output = [0.0f32];
        let result = svdf(
            DIMS,
            SvdfActivation::None,
            &[1.0, 2.0],
            &[1.0; 4],
            &[1.0; 4],
            Some(&[0.0, 0.0]),
            &mut state,
            &mut output,
            SplitRange::full(1),
        );
        assert!(result.is_err());
    }
}
