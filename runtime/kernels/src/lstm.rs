//! UNIDIRECTIONAL_SEQUENCE_LSTM, TFLM's integer LSTM: int8 activations with int32
//! bias (8x8->16) or int16 activations with int64 bias (16x8->16); int8 weights, an
//! int16 cell state.
//!
//! Mirrors `EvalLstm` (tensorflow/lite/micro/kernels/lstm_eval.h, lstm_eval.cc), which
//! supports no peephole, projection, layer norm or CIFG, and of the fused activations
//! a TFLite model can name only TANH for the cell gate. Per time step and state row:
//! 1. each gate: the input row times the gate's input weights plus its bias, and the
//!    previous hidden state times its recurrent weights, each requantized into Q3.12
//!    int16 and added with saturation; sigmoid (the cell gate: tanh) into Q0.15;
//! 2. `cell = forget * cell + input_gate * cell_gate` (each product requantized into
//!    the cell's scale, the sum saturated), clipped to `cell_clip` when set;
//! 3. `hidden = tanh(cell) * output_gate`, requantized into the hidden state's type.
//!
//! Each state unit depends only on its own cell value and on the previous hidden
//! state, so a unit is computed whole (no gate buffers): the new hidden row goes to
//! the output's slot for the step first, then is copied into the hidden state
//! ([`run_sequence`], which the float LSTM shares).
//! The state is updated as a whole, so the layer is one part: `part` is `0..1` (the
//! whole layer) or empty (nothing to do).

use crate::accumulator::Accumulator;
use crate::element::QuantElement;
use crate::error::{elements, elements_mut, expect_len, KernelError, KernelResult};
use crate::quant::QuantizedMultiplier;
use crate::sigmoid16::{logistic_element, tanh_element, Int16SigmoidParams};
use crate::split::SplitRange;

/// Sizes of an LSTM layer (TFLM's `LstmSizeInfo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LstmDims {
    /// Independent sequences (`batch_size`).
    pub batches: usize,
    /// Steps per sequence (`time_steps`).
    pub time_steps: usize,
    /// Values per input step (`input_dimension`).
    pub input_size: usize,
    /// Hidden and cell state values per sequence (`state_dimension`).
    pub units: usize,
    /// Input and output are `[time, batch, ...]` (else `[batch, time, ...]`).
    pub time_major: bool,
}

/// One gate's weights, bias and fully-connected quantization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LstmGate<'a, B> {
    /// `units x input_size`.
    pub input_weights: &'a [i8],
    /// `units x units`.
    pub recurrent_weights: &'a [i8],
    /// `units` values, added to the input product.
    pub bias: &'a [B],
    /// Added to every input weight (minus its zero point).
    pub input_weights_offset: i32,
    /// Added to every recurrent weight.
    pub recurrent_weights_offset: i32,
    /// input x input weights -> Q3.12.
    pub input_multiplier: QuantizedMultiplier,
    /// hidden x recurrent weights -> Q3.12.
    pub recurrent_multiplier: QuantizedMultiplier,
}

/// The four gates, in TFLM's tensor order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LstmGates<'a, B> {
    /// Input gate (sigmoid).
    pub input: LstmGate<'a, B>,
    /// Forget gate (sigmoid).
    pub forget: LstmGate<'a, B>,
    /// Cell gate (`cell_gate_activation`).
    pub cell: LstmGate<'a, B>,
    /// Output gate (sigmoid).
    pub output: LstmGate<'a, B>,
}

/// TFLM's `OpDataLSTM` quantization beyond the gates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LstmQuant {
    /// Minus the input's zero point.
    pub input_offset: i32,
    /// The hidden state's zero point: subtracted from the hidden state read by the
    /// recurrent products, added to each new hidden value.
    pub hidden_zero_point: i32,
    /// Q0.15 forget gate x cell -> cell scale.
    pub forget_cell: QuantizedMultiplier,
    /// Q0.15 input gate x Q0.15 cell gate -> cell scale.
    pub input_cell: QuantizedMultiplier,
    /// Q0.15 tanh(cell) x Q0.15 output gate -> hidden scale.
    pub output_hidden: QuantizedMultiplier,
    /// `[-clip, clip]` the cell values are clamped to (`cell_clip > 0` in the model).
    pub cell_clip: Option<i16>,
    /// The int16 TANH's rescaling of the cell state: `(0, 12 + p)` for a cell scale
    /// of `2^p` with `p >= -12`, else `(3, -12 - p)` (TFLM's `lstm_internal::Tanh`).
    pub cell_tanh: Int16SigmoidParams,
}

/// TFLM's int16 LOGISTIC and TANH of the gates' Q3.12 sums (`Tanh` at
/// `cell_state_scale_power` -12): the power-of-two case, no shift.
const Q3_12: Int16SigmoidParams = Int16SigmoidParams {
    input_multiplier: 0,
    input_left_shift: 0,
};

/// `reference_integer_ops::MulElementwise` of two symmetric int16 values.
fn multiply(a: i16, b: i16, multiplier: QuantizedMultiplier) -> i32 {
    multiplier.apply(i32::from(a) * i32::from(b))
}

fn saturating_add(a: i16, b: i16) -> i16 {
    a.saturating_add(b)
}

/// One fully-connected output (TFLM's per-tensor integer `FullyConnected` into int16:
/// output offset 0, no activation).
fn dot<A: QuantElement, B: Accumulator>(
    weights: &[i8],
    weights_offset: i32,
    row: &[A],
    row_offset: i32,
    bias: Option<B>,
    multiplier: QuantizedMultiplier,
) -> i16 {
    let acc = weights.iter().zip(row).fold(B::ZERO, |acc, (&w, &x)| {
        acc.add_product(
            (i32::from(w) + weights_offset).wrapping_mul(x.widen().wrapping_add(row_offset)),
        )
    });
    let acc = bias.map_or(acc, |b| acc.add_bias(b));
    i16::saturate(acc.rescale(multiplier))
}

/// A gate's pre-activation for `unit`: the two products in Q3.12, saturating sum.
fn gate_sum<A: QuantElement, B: Accumulator>(
    gate: &LstmGate<'_, B>,
    quant: &LstmQuant,
    dims: &LstmDims,
    unit: usize,
    input_row: &[A],
    hidden_row: &[A],
) -> Result<i16, KernelError> {
    let from_input = dot(
        elements(gate.input_weights, unit * dims.input_size, dims.input_size)?,
        gate.input_weights_offset,
        input_row,
        quant.input_offset,
        gate.bias.get(unit).copied(),
        gate.input_multiplier,
    );
    let from_hidden = dot::<A, B>(
        elements(gate.recurrent_weights, unit * dims.units, dims.units)?,
        gate.recurrent_weights_offset,
        hidden_row,
        quant.hidden_zero_point.wrapping_neg(),
        None,
        gate.recurrent_multiplier,
    );
    Ok(saturating_add(from_input, from_hidden))
}

fn check_gate<B: Accumulator>(gate: &LstmGate<'_, B>, dims: &LstmDims) -> KernelResult {
    let units = dims.units;
    expect_len(
        gate.input_weights.len(),
        units
            .checked_mul(dims.input_size)
            .ok_or(KernelError::InvalidParameter)?,
    )?;
    expect_len(
        gate.recurrent_weights.len(),
        units
            .checked_mul(units)
            .ok_or(KernelError::InvalidParameter)?,
    )?;
    expect_len(gate.bias.len(), units)?;
    if !B::can_rescale(gate.input_multiplier) || !B::can_rescale(gate.recurrent_multiplier) {
        return Err(KernelError::InvalidParameter);
    }
    Ok(())
}

/// Runs the whole sequence: reads `input`, updates `hidden` (`batches x units`, type
/// of the activations) and `cell` (`batches x units`) in place, and writes every
/// step's hidden state to `output`.
#[allow(clippy::too_many_arguments)]
pub fn lstm<A: QuantElement, B: Accumulator>(
    quant: &LstmQuant,
    dims: LstmDims,
    gates: &LstmGates<'_, B>,
    input: &[A],
    hidden: &mut [A],
    cell: &mut [i16],
    output: &mut [A],
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
            unit_step(quant, &dims, gates, input_row, hidden_row, unit, cell_value)
        },
    )
}

/// Walks the sequence as TFLM's `LstmStepManager` does, for the integer and the float
/// LSTM: validates the lengths and, every time step, calls `unit_step(input_row,
/// hidden_row, unit, cell_value)` for each state unit of each state row, which updates
/// the cell value and returns the new hidden value (written to the step's output), then
/// copies the step's output rows into the hidden state.
///
/// Each state unit depends only on its own cell value and on the previous hidden state,
/// so a unit is computed whole (no gate buffers).
pub(crate) fn run_sequence<A: Copy, C>(
    dims: LstmDims,
    input: &[A],
    hidden: &mut [A],
    cell: &mut [C],
    output: &mut [A],
    part: SplitRange,
    mut unit_step: impl FnMut(&[A], &[A], usize, &mut C) -> Result<A, KernelError>,
) -> KernelResult {
    let product = |a: usize, b: usize| a.checked_mul(b).ok_or(KernelError::InvalidParameter);
    let steps = product(dims.batches, dims.time_steps)?;
    expect_len(input.len(), product(steps, dims.input_size)?)?;
    expect_len(output.len(), product(steps, dims.units)?)?;
    expect_len(hidden.len(), product(dims.batches, dims.units)?)?;
    expect_len(cell.len(), product(dims.batches, dims.units)?)?;
    if !part.owns_whole_layer()? {
        return Ok(());
    }
    // Each time step advances `state_rows` state rows.
    let (state_rows, sequences) = if dims.time_major {
        (dims.batches, 1)
    } else {
        (1, dims.batches)
    };
    let state_len = state_rows * dims.units;
    for sequence in 0..sequences {
        let state = sequence * dims.units..sequence * dims.units + state_len;
        for time in 0..dims.time_steps {
            // Input and output rows of this step, as `LstmStepManager` walks them.
            let first_row = if dims.time_major {
                time * dims.batches
            } else {
                sequence * dims.time_steps + time
            };
            let input_rows = elements(
                input,
                first_row * dims.input_size,
                state_rows * dims.input_size,
            )?;
            let output_rows = output
                .get_mut(first_row * dims.units..)
                .and_then(|rest| rest.get_mut(..state_len))
                .ok_or(KernelError::ShapeMismatch)?;
            let hidden_rows = hidden
                .get_mut(state.clone())
                .ok_or(KernelError::ShapeMismatch)?;
            let cell_rows = cell
                .get_mut(state.clone())
                .ok_or(KernelError::ShapeMismatch)?;
            for row in 0..state_rows {
                let input_row = elements(input_rows, row * dims.input_size, dims.input_size)?;
                let hidden_row = elements(hidden_rows, row * dims.units, dims.units)?;
                let cell_row = elements_mut(cell_rows, row * dims.units, dims.units)?;
                let output_row = elements_mut(output_rows, row * dims.units, dims.units)?;
                for (unit, (cell_value, out)) in
                    cell_row.iter_mut().zip(output_row.iter_mut()).enumerate()
                {
                    *out = unit_step(input_row, hidden_row, unit, cell_value)?;
                }
            }
            for (kept, &new) in hidden_rows.iter_mut().zip(output_rows.iter()) {
                *kept = new;
            }
        }
    }
    Ok(())
}

/// One state unit's time step: updates its cell value, returns its new hidden value.
fn unit_step<A: QuantElement, B: Accumulator>(
    quant: &LstmQuant,
    dims: &LstmDims,
    gates: &LstmGates<'_, B>,
    input_row: &[A],
    hidden_row: &[A],
    unit: usize,
    cell_value: &mut i16,
) -> Result<A, KernelError> {
    let sum = |gate| gate_sum(gate, quant, dims, unit, input_row, hidden_row);
    let forget = logistic_element(&Q3_12, sum(&gates.forget)?);
    let input_gate = logistic_element(&Q3_12, sum(&gates.input)?);
    let cell_gate = tanh_element(&Q3_12, sum(&gates.cell)?);
    let kept = i16::saturate(multiply(forget, *cell_value, quant.forget_cell));
    let added = i16::saturate(multiply(input_gate, cell_gate, quant.input_cell));
    let mut new_cell = saturating_add(kept, added);
    if let Some(clip) = quant.cell_clip {
        // TFLM's `max(min(clip, cell), -clip)`, also for a clip rounded to 0.
        new_cell = new_cell.min(clip).max(clip.wrapping_neg());
    }
    *cell_value = new_cell;
    let output_gate = logistic_element(&Q3_12, sum(&gates.output)?);
    let hidden_value = multiply(
        tanh_element(&quant.cell_tanh, new_cell),
        output_gate,
        quant.output_hidden,
    );
    Ok(A::saturate(
        hidden_value.wrapping_add(quant.hidden_zero_point),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_tanh_rescales_the_cell_scale_into_q3_12() {
        let x = |params: Int16SigmoidParams, value: i16| tanh_element(&params, value);
        // Cell scale 2^-11: 2048 is 1.0, as 4096 is in Q3.12.
        let q4_11 = Int16SigmoidParams {
            input_multiplier: 0,
            input_left_shift: 1,
        };
        assert_eq!(x(q4_11, 2048), x(Q3_12, 4096));
        // 2^-13 (below Q3.12): a rounding right shift.
        let q2_13 = Int16SigmoidParams {
            input_multiplier: 3,
            input_left_shift: 1,
        };
        assert_eq!(x(q2_13, 8192), x(Q3_12, 4096));
    }

    #[test]
    fn wide_requantize_rounds_the_multiplier_to_q15() {
        // 0.5 = 2^30 * 2^0 / 2^31.
        let half = QuantizedMultiplier {
            multiplier: 1 << 30,
            shift: 0,
        };
        assert_eq!(7i64.rescale(half), 4);
        assert_eq!((-7i64).rescale(half), -3);
        assert_eq!(7i32.rescale(half), 4);
        // gemmlowp's doubling high multiply rounds the tie -3.5 up too.
        assert_eq!((-7i32).rescale(half), -3);
    }

    const ONE_UNIT_DIMS: LstmDims = LstmDims {
        batches: 1,
        time_steps: 2,
        input_size: 1,
        units: 1,
        time_major: false,
    };

    /// Q3.12 sums of `x * 1 * 2^-7 / 2^-12`: input 1 (scale 2^-7) becomes 1.0.
    fn gate(weights: &'static [i8], bias: &'static [i32]) -> LstmGate<'static, i32> {
        LstmGate {
            input_weights: weights,
            recurrent_weights: &[0],
            bias,
            input_weights_offset: 0,
            recurrent_weights_offset: 0,
            input_multiplier: QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: 6,
            },
            recurrent_multiplier: QuantizedMultiplier::ONE,
        }
    }

    fn quant() -> LstmQuant {
        LstmQuant {
            input_offset: 0,
            hidden_zero_point: 0,
            // Cell scale 2^-11: forget x cell keeps the scale (2^-15).
            forget_cell: QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: -14,
            },
            // 2^-30 / 2^-11 = 2^-19.
            input_cell: QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: -18,
            },
            // Hidden scale 2^-7: 2^-30 / 2^-7 = 2^-23.
            output_hidden: QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: -22,
            },
            cell_clip: None,
            cell_tanh: Int16SigmoidParams {
                input_multiplier: 0,
                input_left_shift: 1,
            },
        }
    }

    #[test]
    fn state_carries_over_time_steps_and_into_the_output() {
        // Forget and input gates saturated open (bias 2^20 in the input product), the
        // cell gate tanh(x): the cell accumulates tanh(1.0) per step.
        let gates = LstmGates {
            input: gate(&[0], &[1 << 20]),
            forget: gate(&[0], &[1 << 20]),
            cell: gate(&[1], &[0]),
            output: gate(&[0], &[1 << 20]),
        };
        let (mut hidden, mut cell, mut output) = ([0i8], [0i16], [0i8; 2]);
        let input = [127i8; 2]; // 127 * 2^-7 ~ 1.0
        lstm(
            &quant(),
            ONE_UNIT_DIMS,
            &gates,
            &input,
            &mut hidden,
            &mut cell,
            &mut output,
            SplitRange::new(0, 1),
        )
        .unwrap();
        // ~ 2 * tanh(0.99) = 1.51 in 2^-11 units.
        assert!((i32::from(cell[0]) - 3100).abs() < 40, "{cell:?}");
        // hidden = tanh(cell): tanh(0.76) = 0.64 then tanh(1.51) = 0.91, in 2^-7.
        assert!((i32::from(output[0]) - 82).abs() <= 2, "{output:?}");
        assert!((i32::from(output[1]) - 116).abs() <= 2, "{output:?}");
        assert_eq!(hidden[0], output[1]);
    }

    #[test]
    fn cell_clip_bounds_the_cell() {
        let gates = LstmGates {
            input: gate(&[0], &[1 << 20]),
            forget: gate(&[0], &[1 << 20]),
            cell: gate(&[1], &[0]),
            output: gate(&[0], &[1 << 20]),
        };
        let quant = LstmQuant {
            cell_clip: Some(1000),
            ..quant()
        };
        let (mut hidden, mut cell, mut output) = ([0i8], [0i16], [0i8; 2]);
        lstm(
            &quant,
            ONE_UNIT_DIMS,
            &gates,
            &[127i8; 2],
            &mut hidden,
            &mut cell,
            &mut output,
            SplitRange::new(0, 1),
        )
        .unwrap();
        assert_eq!(cell[0], 1000);
    }

    #[test]
    fn wrong_lengths_and_empty_parts() {
        let gates = LstmGates {
            input: gate(&[0], &[0]),
            forget: gate(&[0], &[0]),
            cell: gate(&[0], &[0]),
            output: gate(&[0], &[0]),
        };
        let (mut hidden, mut cell, mut output) = ([5i8], [7i16], [0i8; 2]);
        let run = |hidden: &mut [i8], cell: &mut [i16], output: &mut [i8], part| {
            lstm(
                &quant(),
                ONE_UNIT_DIMS,
                &gates,
                &[1i8; 2],
                hidden,
                cell,
                output,
                part,
            )
        };
        assert!(run(
            &mut hidden,
            &mut cell,
            &mut output[..1],
            SplitRange::new(0, 1)
        )
        .is_err());
        run(&mut hidden, &mut cell, &mut output, SplitRange::new(0, 0)).unwrap();
        assert_eq!((hidden, cell), ([5], [7]));
    }

    /// Gates with recurrent weights, so each step depends on the previous hidden state.
    fn mixing_gate<B: Accumulator>(
        weights: &'static [i8],
        recurrent: &'static [i8],
        bias: &'static [B],
        input_multiplier: QuantizedMultiplier,
    ) -> LstmGate<'static, B> {
        LstmGate {
            input_weights: weights,
            recurrent_weights: recurrent,
            bias,
            input_weights_offset: 0,
            recurrent_weights_offset: 0,
            input_multiplier,
            recurrent_multiplier: QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: 6,
            },
        }
    }

    fn run_two_sequences<A: QuantElement + Default, B: Accumulator>(
        gates: &LstmGates<'_, B>,
        sequences: [[A; 6]; 2],
        time_major: bool,
    ) -> [A; 12] {
        // Two sequences of 3 steps of 2 features, 2 units each.
        let dims = LstmDims {
            batches: 2,
            time_steps: 3,
            input_size: 2,
            units: 2,
            time_major,
        };
        let mut input = [A::default(); 12];
        for (sequence, values) in sequences.iter().enumerate() {
            for time in 0..3 {
                let row = if time_major {
                    time * 2 + sequence
                } else {
                    sequence * 3 + time
                };
                input[row * 2..row * 2 + 2].copy_from_slice(&values[time * 2..time * 2 + 2]);
            }
        }
        let (mut hidden, mut cell, mut output) = ([A::default(); 4], [0i16; 4], [A::default(); 12]);
        lstm(
            &quant(),
            dims,
            gates,
            &input,
            &mut hidden,
            &mut cell,
            &mut output,
            SplitRange::new(0, 1),
        )
        .unwrap();
        // Back to [sequence][time][unit].
        let mut by_sequence = [A::default(); 12];
        for sequence in 0..2 {
            for time in 0..3 {
                let row = if time_major {
                    time * 2 + sequence
                } else {
                    sequence * 3 + time
                };
                by_sequence[(sequence * 3 + time) * 2..][..2]
                    .copy_from_slice(&output[row * 2..][..2]);
            }
        }
        by_sequence
    }

    #[test]
    fn time_major_walks_the_same_sequences() {
        let m = QuantizedMultiplier {
            multiplier: 1 << 30,
            shift: 6,
        };
        let gates = LstmGates {
            input: mixing_gate::<i32>(&[20, -10, 5, 30], &[10, -20, 30, 5], &[0, 100], m),
            forget: mixing_gate(&[-5, 25, 15, -30], &[5, 5, -10, 20], &[300, 200], m),
            cell: mixing_gate(&[40, 10, -30, 20], &[-15, 25, 10, -5], &[0, -50], m),
            output: mixing_gate(&[10, 10, -20, 35], &[20, -5, 5, 15], &[50, 0], m),
        };
        let sequences = [[90i8, -40, 60, 10, -70, 120], [-20, 100, 30, -90, 50, 50]];
        let batch_major = run_two_sequences(&gates, sequences, false);
        assert_eq!(run_two_sequences(&gates, sequences, true), batch_major);
        // The sequences differ, so their outputs do, and the state moves over time.
        assert_ne!(batch_major[..6], batch_major[6..]);
        assert_ne!(batch_major[..2], batch_major[2..4]);
    }

    #[test]
    fn sixteen_by_eight_accumulates_in_i64() {
        // Input scale 2^-14: 2^-14 * 2^-7 / 2^-12 = 2^-9 (shift -8).
        let m = QuantizedMultiplier {
            multiplier: 1 << 30,
            shift: -8,
        };
        let gates = LstmGates {
            input: mixing_gate::<i64>(&[120, -60, 30, 127], &[10, -20, 30, 5], &[0, 1 << 20], m),
            forget: mixing_gate(
                &[-30, 127, 90, -127],
                &[5, 5, -10, 20],
                &[1 << 21, 1 << 20],
                m,
            ),
            cell: mixing_gate(
                &[127, 60, -127, 100],
                &[-15, 25, 10, -5],
                &[0, -(1 << 19)],
                m,
            ),
            output: mixing_gate(&[60, 60, -120, 127], &[20, -5, 5, 15], &[1 << 19, 0], m),
        };
        let sequences = [
            [16000i16, -8000, 12000, 2000, -14000, 16383],
            [-4000, 15000, 6000, -16000, 9000, 9000],
        ];
        let batch_major = run_two_sequences(&gates, sequences, false);
        assert_eq!(run_two_sequences(&gates, sequences, true), batch_major);
        assert_ne!(batch_major[..6], batch_major[6..]);
        // A shift the 64-bit requantization does not define is refused, not computed.
        let bad = LstmGates {
            cell: mixing_gate(
                &[0; 4],
                &[0; 4],
                &[0, 0],
                QuantizedMultiplier {
                    multiplier: 1 << 30,
                    shift: 9,
                },
            ),
            ..gates
        };
        let (mut hidden, mut cell, mut output) = ([0i16; 2], [0i16; 2], [0i16; 2]);
        let dims = LstmDims {
            batches: 1,
            time_steps: 1,
            input_size: 2,
            units: 2,
            time_major: false,
        };
        let result = lstm(
            &quant(),
            dims,
            &bad,
            &[0i16; 2],
            &mut hidden,
            &mut cell,
            &mut output,
            SplitRange::new(0, 1),
        );
        assert_eq!(result, Err(KernelError::InvalidParameter));
    }
}
