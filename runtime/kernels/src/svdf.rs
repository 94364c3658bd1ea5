//! SVDF, TFLM's full-integer variant: int8 input, weights_feature and output, int32
//! bias, and weights_time and the activation state both `i16` (or both `i8`).
//!
//! Mirrors `EvalIntegerSvdfReference` (tensorflow/lite/micro/kernels/svdf_common.cc).
//! The state is `batches x filters x memory_size`, oldest time step first. Each call:
//! 1. moves every filter's history one step back (the oldest value drops out);
//! 2. writes the newest step: per filter, the input row times the filter's features,
//!    rescaled into the state's scale and type;
//! 3. per output unit, the bias plus, over the unit's `rank` filters, the history
//!    times the filter's time weights, rescaled into int8.
//!
//! TFLM's integer kernel applies no fused activation: the output is clamped to the
//! int8 range only. Its int32 sums wrap as they do on every TFLM target. A new state
//! value is clamped to the state's type *before* the state's zero point is added, and
//! the sum narrowed, so a value near the type's limit wraps (TFLM as of the
//! `tflite-micro` wheel tinymlc is checked against; later TFLM adds the zero point
//! first). With the usual zero point 0 of an int16 state both orders agree.
//!
//! The state is updated as a whole, so the layer is one part: `part` is `0..1` (the
//! whole layer) or empty (nothing to do).

use crate::element::QuantElement;
use crate::error::{element, elements, expect_len, KernelError, KernelResult};
use crate::quant::QuantizedMultiplier;
use crate::split::SplitRange;

/// Sizes of an SVDF layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvdfDims {
    /// Input rows (TFLM `n_batch`).
    pub batches: usize,
    /// Input row length (`n_input`).
    pub input_size: usize,
    /// Feature filters (`n_filter`).
    pub filters: usize,
    /// Filters per output unit (`n_rank`); `filters / rank` units.
    pub rank: usize,
    /// Time steps each filter remembers (`n_memory`).
    pub memory_size: usize,
}

impl SvdfDims {
    /// Checks the lengths of the input, weights_feature, weights_time, state and output
    /// (in that order) and of the bias, if there is one; the units and each batch's
    /// state length (`filters * memory_size`).
    pub(crate) fn check(
        self,
        [input, weights_feature, weights_time, state, output]: [usize; 5],
        bias: Option<usize>,
    ) -> Result<(usize, usize), KernelError> {
        let product = |a: usize, b: usize| a.checked_mul(b).ok_or(KernelError::InvalidParameter);
        if self.rank == 0 || self.memory_size == 0 || self.filters % self.rank != 0 {
            return Err(KernelError::InvalidParameter);
        }
        let units = self.filters / self.rank;
        let history = product(self.filters, self.memory_size)?;
        expect_len(input, product(self.batches, self.input_size)?)?;
        expect_len(weights_feature, product(self.filters, self.input_size)?)?;
        expect_len(weights_time, history)?;
        if let Some(bias) = bias {
            expect_len(bias, units)?;
        }
        expect_len(state, product(self.batches, history)?)?;
        expect_len(output, product(self.batches, units)?)?;
        Ok((units, history))
    }
}

/// TFLM's `OpDataSvdf` quantization fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvdfQuant {
    /// Subtracted from every input value.
    pub input_zero_point: i32,
    /// The state's zero point: added to each new state value, subtracted when read.
    pub state_zero_point: i32,
    /// Added to every output value.
    pub output_zero_point: i32,
    /// input x weights_feature -> state scale (`effective_scale_1`).
    pub feature: QuantizedMultiplier,
    /// state x weights_time -> output scale (`effective_scale_2`).
    pub output: QuantizedMultiplier,
}

/// Runs one SVDF step, updating `state` in place and writing `output`
/// (`batches x filters / rank`).
#[allow(clippy::too_many_arguments)]
pub fn svdf<S: QuantElement>(
    quant: &SvdfQuant,
    dims: SvdfDims,
    input: &[i8],
    weights_feature: &[i8],
    weights_time: &[S],
    bias: &[i32],
    state: &mut [S],
    output: &mut [i8],
    part: SplitRange,
) -> KernelResult {
    step(
        dims,
        part,
        (input, weights_feature, weights_time, Some(bias.len())),
        (state, output),
        |features, row| {
            let dot = features.iter().zip(row).fold(0i32, |acc, (&w, &x)| {
                acc.wrapping_add(i32::from(w).wrapping_mul(i32::from(x) - quant.input_zero_point))
            });
            // As TFLM (at the version tinymlc follows) does: clamped to the state's
            // type first, then offset by the zero point and narrowed, which wraps.
            let clamped = S::saturate(quant.feature.apply(dot)).widen();
            Ok(S::wrap(clamped.wrapping_add(quant.state_zero_point)))
        },
        |unit, filters| {
            let mut acc = element(bias, unit)?;
            for (weights, steps) in filters {
                let dot = weights.iter().zip(steps).fold(0i32, |acc, (&w, &s)| {
                    acc.wrapping_add(w.widen().wrapping_mul(s.widen() - quant.state_zero_point))
                });
                acc = acc.wrapping_add(dot);
            }
            let value = quant
                .output
                .apply(acc)
                .wrapping_add(quant.output_zero_point);
            Ok(i8::saturate(value))
        },
    )
}

/// One SVDF step, the walk every type shares: the operands checked (`bias_len`, if
/// there is a bias) and nothing done unless `part` owns the layer; then the whole
/// state moved one step back, and per batch each filter's newest step set to
/// `newest(filter_features, input_row)`, and each output unit to
/// `unit_output(unit, filters)`, where `filters` yields the (time weights, history)
/// of the unit's `rank` filters in order.
pub(crate) fn step<I, F, W, S: Copy, O>(
    dims: SvdfDims,
    part: SplitRange,
    (input, weights_feature, weights_time, bias_len): (&[I], &[F], &[W], Option<usize>),
    (state, output): (&mut [S], &mut [O]),
    newest: impl Fn(&[F], &[I]) -> Result<S, KernelError>,
    unit_output: impl Fn(usize, UnitFilters<'_, W, S>) -> Result<O, KernelError>,
) -> KernelResult {
    let (units, history) = dims.check(
        [
            input.len(),
            weights_feature.len(),
            weights_time.len(),
            state.len(),
            output.len(),
        ],
        bias_len,
    )?;
    if !part.owns_whole_layer()? {
        return Ok(());
    }
    // `max(1)`: the check refused 0; this lets the compiler see it.
    let memory = dims.memory_size.max(1);
    // Every filter's newest slot is overwritten below, so shifting the whole buffer
    // by one element is the same as shifting each filter's history.
    if !state.is_empty() {
        state.copy_within(1.., 0);
    }
    for batch in 0..dims.batches {
        let row = elements(input, batch * dims.input_size, dims.input_size)?;
        let batch_state = state
            .get_mut(batch * history..(batch + 1) * history)
            .ok_or(KernelError::ShapeMismatch)?;
        for (filter, steps) in batch_state.chunks_exact_mut(memory).enumerate() {
            if let Some(slot) = steps.last_mut() {
                let features =
                    elements(weights_feature, filter * dims.input_size, dims.input_size)?;
                *slot = newest(features, row)?;
            }
        }
        for unit in 0..units {
            // Within `history`: a unit's filters are `rank` of the `filters`.
            let unit_history = dims.rank * memory;
            let at = unit * unit_history;
            let weights = elements(weights_time, at, unit_history)?;
            let steps = elements(batch_state, at, unit_history)?;
            let filters = UnitFilters {
                weights,
                steps,
                memory,
            };
            *output
                .get_mut(batch * units + unit)
                .ok_or(KernelError::ShapeMismatch)? = unit_output(unit, filters)?;
        }
    }
    Ok(())
}

/// The (time weights, history) pairs, `memory` values each, of one unit's filters in
/// order. (Splitting rather than `chunks_exact`, whose zipped length divides by
/// `memory`, keeps a panic path out of the kernels.)
pub(crate) struct UnitFilters<'a, W, S> {
    weights: &'a [W],
    steps: &'a [S],
    memory: usize,
}

impl<'a, W, S> Iterator for UnitFilters<'a, W, S> {
    type Item = (&'a [W], &'a [S]);

    fn next(&mut self) -> Option<Self::Item> {
        let (weights, later_weights) = self.weights.split_at_checked(self.memory)?;
        let (steps, later_steps) = self.steps.split_at_checked(self.memory)?;
        (self.weights, self.steps) = (later_weights, later_steps);
        Some((weights, steps))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIMS: SvdfDims = SvdfDims {
        batches: 1,
        input_size: 2,
        filters: 2,
        rank: 2,
        memory_size: 3,
    };
    const QUANT: SvdfQuant = SvdfQuant {
        input_zero_point: 1,
        state_zero_point: 0,
        output_zero_point: -3,
        feature: QuantizedMultiplier::ONE,
        output: QuantizedMultiplier::ONE,
    };

    fn step(state: &mut [i16], input: &[i8]) -> i8 {
        let mut output = [0i8; 1];
        svdf(
            &QUANT,
            DIMS,
            input,
            &[1, 2, -1, 3],
            &[1, 10, 100, 2, 20, 200],
            &[5],
            state,
            &mut output,
            SplitRange::full(1),
        )
        .unwrap();
        output[0]
    }

    #[test]
    fn state_shifts_and_output_sums_rank_filters() {
        let mut state = [0i16; 6];
        // Features: (x - 1) . [1, 2] = 3 + 2 * 2 = 7; . [-1, 3] = -3 + 6 = 3.
        let first = step(&mut state, &[4, 3]);
        assert_eq!(state, [0, 0, 7, 0, 0, 3]);
        // 5 + 100 * 7 + 200 * 3 - 3 = 1302, clamped to 127.
        assert_eq!(first, 127);
        // Features of [1, 1]: 0 and 0; the history moves one step back.
        let second = step(&mut state, &[1, 1]);
        assert_eq!(state, [0, 7, 0, 0, 3, 0]);
        // 5 + 10 * 7 + 20 * 3 - 3 = 132 -> 127; one more step: 5 + 7 + 6 - 3 = 15.
        assert_eq!(second, 127);
        assert_eq!(step(&mut state, &[1, 1]), 15);
        assert_eq!(state, [7, 0, 0, 3, 0, 0]);
    }

    #[test]
    fn new_state_saturates_to_its_type() {
        let mut state = [0i8; 6];
        let mut output = [0i8; 1];
        let weights_time = [0i8; 6];
        svdf(
            &QUANT,
            DIMS,
            &[127, 127],
            &[127, 127, -128, -128],
            &weights_time,
            &[0],
            &mut state,
            &mut output,
            SplitRange::full(1),
        )
        .unwrap();
        assert_eq!(state, [0, 0, 127, 0, 0, -128]);
        assert_eq!(output, [-3]);
    }

    #[test]
    fn state_zero_point_is_added_after_the_clamp_and_wraps() {
        let mut state = [0i8; 6];
        let mut output = [0i8; 1];
        let quant = SvdfQuant {
            state_zero_point: 3,
            ..QUANT
        };
        let weights_time = [0i8; 6];
        let (input, features) = (&[127i8, 127], &[127i8, 127, 1, 0]);
        svdf(
            &quant,
            DIMS,
            input,
            features,
            &weights_time,
            &[0],
            &mut state,
            &mut output,
            SplitRange::full(1),
        )
        .unwrap();
        // 32004 clamps to 127, plus 3 wraps to -126; 126 + 3 = 129 wraps likewise.
        assert_eq!(state, [0, 0, -126, 0, 0, -127]);
    }

    #[test]
    fn empty_part_touches_nothing_and_bad_lengths_fail() {
        let mut state = [1i16; 6];
        let mut output = [9i8; 1];
        let args = (&[0i8, 0][..], &[0i8; 4][..], &[0i16; 6][..]);
        assert_eq!(
            svdf(
                &QUANT,
                DIMS,
                args.0,
                args.1,
                args.2,
                &[0],
                &mut state,
                &mut output,
                SplitRange::new(0, 0)
            ),
            Ok(())
        );
        assert_eq!((state, output), ([1; 6], [9]));
        assert_eq!(
            svdf(
                &QUANT,
                DIMS,
                args.0,
                args.1,
                args.2,
                &[0],
                &mut state[..5],
                &mut output,
                SplitRange::full(1)
            ),
            Err(KernelError::ShapeMismatch)
        );
        assert_eq!(
            svdf(
                &QUANT,
                DIMS,
                args.0,
                args.1,
                args.2,
                &[0],
                &mut state,
                &mut output,
                SplitRange::new(0, 2)
            ),
            Err(KernelError::RangeOutOfBounds)
        );
        let bad_rank = SvdfDims { rank: 0, ..DIMS };
        assert_eq!(
            svdf(
                &QUANT,
                bad_rank,
                args.0,
                args.1,
                args.2,
                &[0],
                &mut state,
                &mut output,
                SplitRange::full(1)
            ),
            Err(KernelError::InvalidParameter)
        );
    }
}
