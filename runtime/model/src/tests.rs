//! A hand-made model of two layers over a 64-byte arena, run through every entry point.
//!
//! Arena: state marker 0..16 (with state), abort flag 16..20, counter state 20..24, input
//! 32..36 (4 x i8), output 48..52 (4 x i8). Layer 0 adds one to each input element (per
//! part, so cores split it); layer 1 counts inferences in the state and sets the abort
//! flag on every second one.

extern crate std;

use std::vec;

use tinyml_arena::{Inputs, LayerRegions, Region};
use tinyml_kernels::{KernelError, OutputTile};

use crate::{
    DType, Error, Invocation, LayerInfo, Model, State, StateTensor, Step, TensorInfo, TensorMut,
    TensorRef, Transfer,
};

const INPUT: Region = Region::new(32, 4);
const OUTPUT: Region = Region::new(48, 4);
const FLAG: Region = Region::new(16, 4);
const COUNTER: Region = Region::new(20, 4);
const NO_SCRATCH: Region = Region::new(0, 0);
const NOTHING: Region = Region::new(60, 0);
const LAYER_OUTPUTS: [Region; 2] = [OUTPUT, NOTHING];
const FULL_PARTS: [OutputTile; 2] = [OutputTile::full(4, 1), OutputTile::full(1, 1)];

fn add_one(
    inputs: Inputs<'_>,
    output: &mut [u8],
    _scratch: &mut [u8],
    part: OutputTile,
) -> Result<(), Error> {
    let kernel_error = |error| Error::Kernel {
        layer: Some(0),
        error,
    };
    let input: &[i8] = inputs.get(INPUT).map_err(|error| Error::Arena {
        layer: Some(0),
        error,
    })?;
    for index in part.rows.start..part.rows.end {
        let value = input
            .get(index)
            .ok_or(kernel_error(KernelError::RangeOutOfBounds))?;
        *output
            .get_mut(index)
            .ok_or(kernel_error(KernelError::RangeOutOfBounds))? = value.wrapping_add(1) as u8;
    }
    Ok(())
}

/// Lent the counter and flag (scratch 16..24) as a stateful layer is.
fn count(
    _inputs: Inputs<'_>,
    _output: &mut [u8],
    state: &mut [u8],
    _part: OutputTile,
) -> Result<(), Error> {
    let counter = i32::from_le_bytes([state[4], state[5], state[6], state[7]]).wrapping_add(1);
    state[4..8].copy_from_slice(&counter.to_le_bytes());
    state[0..4].copy_from_slice(&i32::from(counter % 2 == 0).to_le_bytes());
    Ok(())
}

const CORES: usize = 2;
const SCHEDULE: [[OutputTile; CORES]; 2] = [
    [OutputTile::full(2, 1), tile(2, 4)],
    [OutputTile::full(1, 1), tile(0, 0)],
];

const fn tile(start: usize, end: usize) -> OutputTile {
    OutputTile {
        rows: tinyml_kernels::SplitRange::new(start, end),
        channels: tinyml_kernels::SplitRange::new(0, 1),
    }
}

fn layer_regions(step: usize, _core: usize) -> Option<LayerRegions> {
    match step {
        0 => Some(LayerRegions {
            output: OUTPUT,
            in_place: None,
            scratch: NO_SCRATCH,
        }),
        1 => Some(LayerRegions {
            output: Region::new(60, 0),
            in_place: None,
            scratch: Region::new(16, 8),
        }),
        _ => None,
    }
}

fn part(step: usize, core: usize) -> Option<OutputTile> {
    SCHEDULE.get(step)?.get(core).copied()
}

const INFO: TensorInfo = TensorInfo {
    name: "x",
    shape: &[4],
    len: 4,
    dtype: DType::Int8,
    scale: 0.5,
    zero_point: -1,
};
const STEPS: [Step; 2] = [add_one, count];
const STATE_TENSORS: [StateTensor; 2] = [(FLAG, 0, &[]), (COUNTER, 0, &[5, 0, 0, 0])];
const RESET_TENSORS: [StateTensor; 1] = [(COUNTER, 0, &[])];

fn model(
    transfer_in: Transfer,
    info_in: TensorInfo,
    transfer_out: Transfer,
    info_out: TensorInfo,
    state: State,
) -> Model {
    Model {
        arena_bytes: 64,
        inputs: std::boxed::Box::leak(vec![info_in].into_boxed_slice()),
        outputs: std::boxed::Box::leak(vec![info_out].into_boxed_slice()),
        input_regions: &[INPUT],
        output_regions: &[OUTPUT],
        input_transfers: std::boxed::Box::leak(vec![transfer_in].into_boxed_slice()),
        output_transfers: std::boxed::Box::leak(vec![transfer_out].into_boxed_slice()),
        layers: &[
            LayerInfo {
                index: 0,
                op: "ADD",
                output: "y",
                output_tensor: 1,
            },
            LayerInfo {
                index: 1,
                op: "COUNT",
                output: "none",
                output_tensor: 2,
            },
        ],
        steps: &STEPS,
        layer_output_regions: &LAYER_OUTPUTS,
        full_parts: &FULL_PARTS,
        layer_regions,
        cores: CORES,
        part,
        barrier_after: &[true, true],
        abort_flags: &[(1, FLAG)],
        state,
    }
}

fn int8_model() -> Model {
    let state = State {
        marker: &[0xA5; 16],
        tensors: &STATE_TENSORS,
        reset: &RESET_TENSORS,
    };
    model(Transfer::Copy, INFO, Transfer::Copy, INFO, state)
}

#[repr(C, align(16))]
struct Arena([u8; 80]);

#[test]
fn one_core_and_two_cores_compute_the_same_and_end_every_second_inference() {
    let model = int8_model();
    let mut one = Arena([0; 80]);
    let mut two = Arena([0; 80]);
    tinyml_executor::host::with_threads::<2, _>(|executor| {
        for round in 0..4 {
            let mut a = [9i8; 4];
            let mut b = [9i8; 4];
            let input = [1i8, -2, 3, 127];
            let first = model.predict_tensors(
                &mut one.0,
                &[TensorRef::Int8(&input)],
                &mut [TensorMut::Int8(&mut a)],
                &mut |_, _| {},
            );
            let second = model.predict_tensors_on(
                executor,
                &mut two.0,
                &[TensorRef::Int8(&input)],
                &mut [TensorMut::Int8(&mut b)],
            );
            assert_eq!(first, second);
            // The counter starts at its initial 5: 6 (even) ends the first inference.
            if round % 2 == 0 {
                assert_eq!(first, Ok(Invocation::Aborted { layer: 1 }));
                assert_eq!(a, [9; 4], "outputs untouched");
            } else {
                assert_eq!(first, Ok(Invocation::Complete));
                assert_eq!(a, [2, -1, 4, -128]);
            }
            assert_eq!(a, b);
        }
    });
    assert_eq!(one.0, two.0);
}

#[test]
fn the_hook_sees_every_layer_output() {
    let mut seen = vec![];
    let mut arena = Arena([0; 80]);
    let mut out = [0i8; 4];
    let result = int8_model().predict_tensors(
        &mut arena.0,
        &[TensorRef::Int8(&[0, 1, 2, 3])],
        &mut [TensorMut::Int8(&mut out)],
        &mut |layer, bytes| seen.push((layer.index, bytes.to_vec())),
    );
    assert_eq!(result, Ok(Invocation::Aborted { layer: 1 }));
    assert_eq!(seen, vec![(0, vec![1, 2, 3, 4]), (1, vec![])]);
}

#[test]
fn state_is_initialised_once_and_reset_writes_only_what_reset_resets() {
    let model = int8_model();
    let mut arena = Arena([0x77; 80]);
    model.reset(&mut arena.0).unwrap();
    assert_eq!(
        arena.0, [0x77; 80],
        "reset of an arena never initialised changes nothing"
    );
    let mut out = [0i8; 4];
    let mut run = |arena: &mut Arena| {
        model.predict_tensors(
            &mut arena.0,
            &[TensorRef::Int8(&[0; 4])],
            &mut [TensorMut::Int8(&mut out)],
            &mut |_, _| {},
        )
    };
    run(&mut arena).unwrap();
    assert_eq!(arena.0[..16], [0xA5; 16]);
    assert_eq!(arena.0[20..24], 6i32.to_le_bytes());
    run(&mut arena).unwrap();
    assert_eq!(
        arena.0[20..24],
        7i32.to_le_bytes(),
        "initialised once, not every inference"
    );
    model.reset(&mut arena.0).unwrap();
    assert_eq!(arena.0[20..24], [0; 4]);
    assert_eq!(
        arena.0[16..20],
        0i32.to_le_bytes(),
        "the flag is not among the reset tensors (it was 0)"
    );
}

#[test]
fn arguments_are_checked_before_anything_runs() {
    let model = int8_model();
    let mut arena = Arena([0; 80]);
    let input = [0i8; 4];
    let mut out = [0i8; 4];
    let mut short = [0i8; 3];
    let mut floats = [0f32; 4];
    let mut check = |inputs: &[TensorRef<'_>], outputs: &mut [TensorMut<'_>], bytes: usize| {
        model.predict_tensors(&mut arena.0[..bytes], inputs, outputs, &mut |_, _| {})
    };
    assert_eq!(
        check(&[], &mut [TensorMut::Int8(&mut out)], 80),
        Err(Error::InputCount {
            expected: 1,
            actual: 0
        })
    );
    assert_eq!(
        check(&[TensorRef::Int8(&input)], &mut [], 80),
        Err(Error::OutputCount {
            expected: 1,
            actual: 0
        })
    );
    assert_eq!(
        check(
            &[TensorRef::Int16(&[0; 4])],
            &mut [TensorMut::Int8(&mut out)],
            80
        ),
        Err(Error::InputType {
            index: 0,
            expected: DType::Int8
        })
    );
    assert_eq!(
        check(
            &[TensorRef::Int8(&[0; 3])],
            &mut [TensorMut::Int8(&mut out)],
            80
        ),
        Err(Error::InputLength {
            index: 0,
            expected: 4,
            actual: 3
        })
    );
    assert_eq!(
        check(
            &[TensorRef::Int8(&input)],
            &mut [TensorMut::Int8(&mut short)],
            80
        ),
        Err(Error::OutputLength {
            index: 0,
            expected: 4,
            actual: 3
        })
    );
    assert_eq!(
        check(
            &[TensorRef::Int8(&input)],
            &mut [TensorMut::Float32(&mut floats)],
            80
        ),
        Err(Error::OutputType {
            index: 0,
            expected: DType::Int8
        })
    );
    assert_eq!(
        check(
            &[TensorRef::Int8(&input)],
            &mut [TensorMut::Int8(&mut out)],
            63
        ),
        Err(Error::ArenaTooSmall {
            required: 64,
            actual: 63
        })
    );
}

#[test]
fn transfers_quantize_dequantize_and_flip_the_sign_bit() {
    let float = TensorInfo {
        dtype: DType::Float32,
        scale: 1.0,
        zero_point: 0,
        ..INFO
    };
    let quantize = Transfer::Quantize {
        scale: 0.5,
        zero_point: -1,
    };
    let dequantize = Transfer::Dequantize {
        scale: 0.25,
        zero_point: 2,
    };
    let model = model(quantize, float, dequantize, float, State::NONE);
    let mut arena = Arena([0; 80]);
    let mut out = [0f32; 4];
    let result = model.predict_tensors(
        &mut arena.0,
        &[TensorRef::Float32(&[1.0, -0.75, 100.0, 0.0])],
        &mut [TensorMut::Float32(&mut out)],
        &mut |_, _| {},
    );
    assert_eq!(result, Ok(Invocation::Complete));
    // Quantized: round(x / 0.5) - 1 -> 1, -3 (half away from zero), 127 (clamped), -1;
    // plus one (127 wraps to -128); then (q - 2) * 0.25.
    assert_eq!(out, [0.0, -1.0, -32.5, -0.5]);

    let unsigned = TensorInfo {
        dtype: DType::UInt8,
        ..INFO
    };
    let model = self::model(
        Transfer::FlipSignBit,
        unsigned,
        Transfer::FlipSignBit,
        unsigned,
        State::NONE,
    );
    let mut arena = Arena([0; 80]);
    let mut out = [0u8; 4];
    let result = model.predict_tensors(
        &mut arena.0,
        &[TensorRef::UInt8(&[0, 128, 200, 255])],
        &mut [TensorMut::UInt8(&mut out)],
        &mut |_, _| {},
    );
    assert_eq!(result, Ok(Invocation::Complete));
    assert_eq!(
        out,
        [1, 129, 201, 0],
        "255 + 1 wraps as the int8 it is in the arena"
    );
}

#[test]
fn predict_takes_real_values_through_the_quantization_of_the_model() {
    let model = model(Transfer::Copy, INFO, Transfer::Copy, INFO, State::NONE);
    let mut arena = Arena([0; 80]);
    let mut out = [0f32; 4];
    assert_eq!(
        model.predict(&mut arena.0, &[0.0, 1.0, -1.0, 0.2], &mut out),
        Ok(Invocation::Complete)
    );
    // q = round(x / 0.5) - 1, plus one, then (q + 1) * 0.5.
    assert_eq!(out, [0.5, 1.5, -0.5, 0.5]);
    assert_eq!(
        model.predict(&mut arena.0, &[0.0; 3], &mut out),
        Err(Error::InputLength {
            index: 0,
            expected: 4,
            actual: 3
        })
    );
    assert_eq!(
        model.predict(&mut arena.0, &[0.0; 4], &mut out[..2]),
        Err(Error::OutputLength {
            index: 0,
            expected: 4,
            actual: 2
        })
    );
}

#[test]
fn predict_names_the_count_that_is_not_one() {
    let mut two_outputs = model(Transfer::Copy, INFO, Transfer::Copy, INFO, State::NONE);
    two_outputs.outputs = &[INFO, INFO];
    let mut arena = Arena([0; 80]);
    let mut out = [0f32; 4];
    assert_eq!(
        two_outputs.predict(&mut arena.0, &[0.0; 4], &mut out),
        Err(Error::OutputCount {
            expected: 1,
            actual: 2
        })
    );
    let mut no_input = model(Transfer::Copy, INFO, Transfer::Copy, INFO, State::NONE);
    no_input.inputs = &[];
    assert_eq!(
        no_input.predict(&mut arena.0, &[0.0; 4], &mut out),
        Err(Error::InputCount {
            expected: 1,
            actual: 0
        })
    );
}
