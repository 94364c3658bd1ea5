//! FLOAT32 UNIDIRECTIONAL_SEQUENCE_LSTM: TFLM's float LSTM (`EvalLstm<float, float,
//! float, float>`, tensorflow/lite/micro/kernels/lstm_eval.h), the same plain LSTM as
//! the integer one in [`crate::lstm`] (no peephole, projection, layer norm or CIFG).
//!
//! Per time step and state unit, in TFLM's float order:
//! 1. each gate: `act(fc(input, input_weights) + bias + fc(hidden, recurrent_weights))`:
//!    the input product (a float FULLY_CONNECTED, `total + bias`) and the recurrent
//!    one (no bias: `total + 0`) each clamped to the finite floats, then added; the
//!    sigmoid is TFLM's float `Logistic`, the cell gate's activation `tanh`;
//! 2. `cell = forget * cell + input_gate * cell_gate` (each product clamped to the
//!    finite floats), then `max(min(clip, cell), -clip)` when `cell_clip > 0`;
//! 3. `hidden = tanh(cell) * output_gate`, clamped to the finite floats.
//!
//! The sequence walk and the state handling are the integer LSTM's
//! ([`crate::lstm::run_sequence`]): the hidden and cell states persist across calls.
//! The layer is one part: `part` is `0..1` (the whole layer) or empty.

use super::elementwise::logistic;
use super::linear::{bias_at, dot_onto};
use super::math;
use super::FloatActivation;
use crate::error::{elements, expect_len, KernelError, KernelResult};
use crate::lstm::{run_sequence, LstmDims};
use crate::split::SplitRange;

/// One gate's float weights and bias.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloatLstmGate<'a> {
    /// `units x input_size`.
    pub input_weights: &'a [f32],
    /// `units x units`.
    pub recurrent_weights: &'a [f32],
    /// `units` values, added to the input product.
    pub bias: &'a [f32],
}

/// The four gates, in TFLM's tensor order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloatLstmGates<'a> {
    /// Input gate (sigmoid).
    pub input: FloatLstmGate<'a>,
    /// Forget gate (sigmoid).
    pub forget: FloatLstmGate<'a>,
    /// Cell gate (tanh).
    pub cell: FloatLstmGate<'a>,
    /// Output gate (sigmoid).
    pub output: FloatLstmGate<'a>,
}

fn check_gate(gate: &FloatLstmGate<'_>, dims: &LstmDims) -> KernelResult {
    let units = dims.units;
    let product = |a: usize, b: usize| a.checked_mul(b).ok_or(KernelError::InvalidParameter);
    expect_len(gate.input_weights.len(), product(units, dims.input_size)?)?;
    expect_len(gate.recurrent_weights.len(), product(units, units)?)?;
    expect_len(gate.bias.len(), units)
}

/// A gate's pre-activation for `unit`: the input product plus bias and the recurrent
/// product, each through TFLM's float FULLY_CONNECTED without activation.
fn gate_sum(
    gate: &FloatLstmGate<'_>,
    dims: &LstmDims,
    unit: usize,
    input_row: &[f32],
    hidden_row: &[f32],
) -> Result<f32, KernelError> {
    let input_weights = elements(gate.input_weights, unit * dims.input_size, dims.input_size)?;
    let recurrent_weights = elements(gate.recurrent_weights, unit * dims.units, dims.units)?;
    let from_input = FloatActivation::NONE
        .apply(dot_onto(0.0, input_row, input_weights) + bias_at(Some(gate.bias), unit));
    let from_hidden =
        FloatActivation::NONE.apply(dot_onto(0.0, hidden_row, recurrent_weights) + 0.0);
    Ok(from_input + from_hidden)
}

/// TFLM's float `Clipping`: `std::max(std::min(clip, x), -clip)` (a NaN becomes `clip`).
fn clip(value: f32, clip: f32) -> f32 {
    let low = if value < clip { value } else { clip };
    if low < -clip {
        -clip
    } else {
        low
    }
}

/// Runs the whole sequence: reads `input`, updates `hidden` and `cell` (`batches x
/// units` each) in place, and writes every step's hidden state to `output`.
/// `cell_clip` is the model's `cell_clip` when it is positive (else `None`).
#[allow(clippy::too_many_arguments)]
pub fn lstm(
    dims: LstmDims,
    gates: &FloatLstmGates<'_>,
    cell_clip: Option<f32>,
    input: &[f32],
    hidden: &mut [f32],
    cell: &mut [f32],
    output: &mut [f32],
    part: SplitRange,
) -> KernelResult {
    for gate in [&gates.input, &gates.forget, &gates.cell, &gates.output] {
        check_gate(gate, &dims)?;
    }
    run_sequence(
        dims,
        input,
        hidden,
        cell,
        output,
        part,
        |input_row, hidden_row, unit, cell_value| {
            unit_step(
                &dims, gates, cell_clip, input_row, hidden_row, unit, cell_value,
            )
        },
    )
}

/// One state unit's time step: updates its cell value, returns its new hidden value.
fn unit_step(
    dims: &LstmDims,
    gates: &FloatLstmGates<'_>,
    cell_clip: Option<f32>,
    input_row: &[f32],
    hidden_row: &[f32],
    unit: usize,
    cell_value: &mut f32,
) -> Result<f32, KernelError> {
    let none = FloatActivation::NONE;
    let sum = |gate| gate_sum(gate, dims, unit, input_row, hidden_row);
    let forget = logistic(sum(&gates.forget)?);
    let input_gate = logistic(sum(&gates.input)?);
    let cell_gate = math::tanh(sum(&gates.cell)?);
    let kept = none.apply(forget * *cell_value);
    let added = none.apply(input_gate * cell_gate);
    let mut new_cell = kept + added;
    if let Some(limit) = cell_clip {
        new_cell = clip(new_cell, limit);
    }
    *cell_value = new_cell;
    let output_gate = logistic(sum(&gates.output)?);
    Ok(none.apply(math::tanh(new_cell) * output_gate))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_UNIT: LstmDims = LstmDims {
        batches: 1,
        time_steps: 2,
        input_size: 1,
        units: 1,
        time_major: false,
    };

    fn gate(weight: &'static [f32], bias: &'static [f32]) -> FloatLstmGate<'static> {
        FloatLstmGate {
            input_weights: weight,
            recurrent_weights: &[0.5],
            bias,
        }
    }

    fn gates() -> FloatLstmGates<'static> {
        FloatLstmGates {
            input: gate(&[1.0], &[0.0]),
            forget: gate(&[-1.0], &[0.25]),
            cell: gate(&[2.0], &[-0.5]),
            output: gate(&[0.5], &[1.0]),
        }
    }

    /// The same step written out with the formulas of the module documentation.
    fn expected_step(x: f32, h: f32, c: f32, clip_at: Option<f32>) -> (f32, f32) {
        let pre = |w: f32, b: f32| (x * w + b) + h * 0.5;
        let forget = logistic(pre(-1.0, 0.25));
        let input_gate = logistic(pre(1.0, 0.0));
        let cell_gate = math::tanh(pre(2.0, -0.5));
        let mut cell = forget * c + input_gate * cell_gate;
        if let Some(limit) = clip_at {
            cell = cell.clamp(-limit, limit);
        }
        (math::tanh(cell) * logistic(pre(0.5, 1.0)), cell)
    }

    #[test]
    fn state_carries_over_steps_and_calls() {
        let (mut hidden, mut cell, mut output) = ([0.0f32], [0.0f32], [0.0f32; 2]);
        let input = [1.0f32, -0.75];
        let run = |hidden: &mut [f32], cell: &mut [f32], output: &mut [f32]| {
            lstm(
                ONE_UNIT,
                &gates(),
                None,
                &input,
                hidden,
                cell,
                output,
                SplitRange::new(0, 1),
            )
        };
        run(&mut hidden, &mut cell, &mut output).unwrap();
        let (h1, c1) = expected_step(1.0, 0.0, 0.0, None);
        let (h2, c2) = expected_step(-0.75, h1, c1, None);
        assert_eq!(output, [h1, h2]);
        assert_eq!((hidden, cell), ([h2], [c2]));
        // A second inference starts from the state the first one left.
        run(&mut hidden, &mut cell, &mut output).unwrap();
        let (h3, c3) = expected_step(1.0, h2, c2, None);
        assert_eq!(output[0], h3);
        assert_eq!(cell[0], expected_step(-0.75, h3, c3, None).1);
    }

    #[test]
    fn cell_clip_bounds_the_cell_and_maps_nan_to_the_clip() {
        let (mut hidden, mut cell, mut output) = ([0.0f32], [4.0f32], [0.0f32; 2]);
        let input = [1.0f32, 1.0];
        let clip_at = Some(0.125);
        lstm(
            ONE_UNIT,
            &gates(),
            clip_at,
            &input,
            &mut hidden,
            &mut cell,
            &mut output,
            SplitRange::new(0, 1),
        )
        .unwrap();
        assert_eq!(cell, [0.125]);
        assert_eq!(output[0], expected_step(1.0, 0.0, 4.0, clip_at).0);
        assert_eq!(clip(f32::NAN, 2.0), 2.0);
        assert_eq!(clip(-3.0, 2.0), -2.0);
    }

    #[test]
    fn infinite_products_are_clamped_to_the_finite_floats() {
        let huge = FloatLstmGate {
            input_weights: &[f32::MAX],
            recurrent_weights: &[0.0],
            bias: &[f32::MAX],
        };
        let gates = FloatLstmGates {
            cell: huge,
            ..gates()
        };
        let dims = LstmDims {
            time_steps: 1,
            ..ONE_UNIT
        };
        let (mut hidden, mut cell, mut output) = ([0.0f32], [0.0f32], [0.0f32]);
        lstm(
            dims,
            &gates,
            None,
            &[4.0],
            &mut hidden,
            &mut cell,
            &mut output,
            SplitRange::new(0, 1),
        )
        .unwrap();
        // The clamped sum saturates the tanh instead of producing NaN.
        assert!(output[0].is_finite());
    }

    #[test]
    fn wrong_lengths_and_empty_parts() {
        let (mut hidden, mut cell, mut output) = ([0.0f32], [0.0f32], [0.0f32; 2]);
        let short = FloatLstmGates {
            output: FloatLstmGate {
                bias: &[],
                ..gate(&[1.0], &[0.0])
            },
            ..gates()
        };
        let result = lstm(
            ONE_UNIT,
            &short,
            None,
            &[1.0, 2.0],
            &mut hidden,
            &mut cell,
            &mut output,
            SplitRange::new(0, 1),
        );
        assert!(result.is_err());
        let result = lstm(
            ONE_UNIT,
            &gates(),
            None,
            &[1.0],
            &mut hidden,
            &mut cell,
            &mut output,
            SplitRange::new(0, 1),
        );
        assert!(result.is_err());
        lstm(
            ONE_UNIT,
            &gates(),
            None,
            &[1.0, 2.0],
            &mut hidden,
            &mut cell,
            &mut output,
            SplitRange::new(0, 0),
        )
        .unwrap();
        assert_eq!(output, [0.0; 2]);
    }

    #[test]
    fn time_major_walks_the_same_sequences() {
        let dims = LstmDims {
            batches: 2,
            ..ONE_UNIT
        };
        let run = |dims: LstmDims, input: &[f32]| {
            let (mut hidden, mut cell, mut output) = ([0.0f32; 2], [0.0f32; 2], [0.0f32; 4]);
            lstm(
                dims,
                &gates(),
                None,
                input,
                &mut hidden,
                &mut cell,
                &mut output,
                SplitRange::new(0, 1),
            )
            .unwrap();
            (hidden, output)
        };
        let (batch_hidden, batch_output) = run(dims, &[1.0, 2.0, 3.0, 4.0]);
        let (time_hidden, time_output) = run(
            LstmDims {
                time_major: true,
                ..dims
            },
            &[1.0, 3.0, 2.0, 4.0],
        );
        assert_eq!(batch_hidden, time_hidden);
        assert_eq!(
            batch_output,
            [
                time_output[0],
                time_output[2],
                time_output[1],
                time_output[3]
            ]
        );
    }
}
