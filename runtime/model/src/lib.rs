//! The model-independent half of every crate tinymlc generates.
//!
//! A generated crate holds what is particular to its model: its constants, one function
//! per layer, and the tables of a [`Model`] (where each tensor lies in the arena, which
//! core computes which part of each layer, what state it keeps). Everything else is here,
//! compiled once however many models a program links: the API types the generated crate
//! re-exports ([`DType`], [`TensorRef`], [`Error`], ...), moving inputs into the arena and
//! outputs out of it ([`Transfer`]), running the steps on one core or on every core of an
//! [`Executor`], and the state kept between inferences.
#![no_std]
// The one `unsafe` block: `run::execute_on` sharing the arena between cores.
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod io;
mod run;
mod state;
mod types;

#[cfg(test)]
mod tests;

use tinyml_arena::{Inputs, LayerRegions, Region};
use tinyml_executor::{Executor, Platform};
use tinyml_kernels::OutputTile;

pub use run::flag_is_set;
pub use state::StateTensor;
pub use types::{DType, Error, Invocation, LayerInfo, TensorInfo, TensorMut, TensorRef};

/// One layer of a generated model: computes `part` of the layer's output from `inputs`
/// into `output`, with `scratch` its kernel's scratch region (or the state it updates).
pub type Step = fn(Inputs<'_>, &mut [u8], &mut [u8], OutputTile) -> Result<(), Error>;

/// How a model input or output moves between the caller's buffer and its arena tensor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Transfer {
    /// Copied unchanged.
    Copy,
    /// The caller's `f32` values quantized into the arena's `i8` tensor: the model's
    /// QUANTIZE of this input, folded into the copy so the floats never enter the arena.
    Quantize {
        /// The arena tensor's scale.
        scale: f32,
        /// The arena tensor's zero point.
        zero_point: i32,
    },
    /// The arena's `i8` tensor dequantized into the caller's `f32` buffer: the model's
    /// DEQUANTIZE into this output, folded into the copy.
    Dequantize {
        /// The arena tensor's scale.
        scale: f32,
        /// The arena tensor's zero point.
        zero_point: i32,
    },
    /// The caller's `u8` values <-> the arena's `i8` tensor holding the same reals with the
    /// zero point moved by -128 (ONNX uint8 models): the sign bit flipped while copying.
    FlipSignBit,
}

/// A generated model as the code here runs it: a `static` of every generated crate.
/// Its tables have one entry per input, output or layer (in schedule order).
#[derive(Clone, Copy, Debug)]
pub struct Model {
    /// Bytes of arena the model needs (16-byte aligned start).
    pub arena_bytes: usize,
    /// The model's inputs, in model-file order.
    pub inputs: &'static [TensorInfo],
    /// The model's outputs, in model-file order.
    pub outputs: &'static [TensorInfo],
    /// The arena tensor of each input (after its transfer).
    pub input_regions: &'static [Region],
    /// The arena tensor of each output (before its transfer).
    pub output_regions: &'static [Region],
    /// How each input enters the arena.
    pub input_transfers: &'static [Transfer],
    /// How each output leaves it.
    pub output_transfers: &'static [Transfer],
    /// The layers, for the debug hook.
    pub layers: &'static [LayerInfo],
    /// The layers' functions.
    pub steps: &'static [Step],
    /// Each layer's output tensor (what the debug hook is shown).
    pub layer_output_regions: &'static [Region],
    /// Each layer's whole output as a part (one core computes every layer whole).
    pub full_parts: &'static [OutputTile],
    /// Where logical core `core`'s views of layer `step` lie: `layer_regions(step, core)`
    /// (`None` outside the schedule).
    pub layer_regions: fn(usize, usize) -> Option<LayerRegions>,
    /// Logical cores the schedule is made for.
    pub cores: usize,
    /// Logical core `core`'s part of layer `step`: `part(step, core)` (`None` outside the
    /// schedule).
    pub part: fn(usize, usize) -> Option<OutputTile>,
    /// Whether the cores meet at a barrier after each layer.
    pub barrier_after: &'static [bool],
    /// The layers that can end an inference early ([`Invocation::Aborted`]), in schedule
    /// order, each with its flag in the state region: an `i32`, nonzero when the layer
    /// ended the inference it last ran in.
    pub abort_flags: &'static [(usize, Region)],
    /// The state kept from one inference to the next.
    pub state: State,
}

/// The state region at the start of a model's arena: its variable tensors (SVDF's history,
/// ...) after a marker of an initialised state. Empty for a model without state.
#[derive(Clone, Copy, Debug)]
pub struct State {
    /// The first bytes of an initialised state region (this model's state layout).
    pub marker: &'static [u8],
    /// What a fresh arena's first inference writes: each variable tensor's region, the
    /// byte it is filled with (TFLite Micro's `ResetVariableTensors`: the zero point of an
    /// int8 tensor, else 0) and the initial bytes written over that (a resource variable's
    /// value from its init subgraph, a CIRCULAR_BUFFER's count; empty: none).
    pub tensors: &'static [StateTensor],
    /// What `reset` writes, as `tensors`: the state TFLite Micro's `Reset` resets, not the
    /// tensors it leaves as they were.
    pub reset: &'static [StateTensor],
}

impl State {
    /// The state of a model without any.
    pub const NONE: State = State {
        marker: &[],
        tensors: &[],
        reset: &[],
    };
}

impl Model {
    /// Runs the model on `inputs` (one per input, matching type and length), writing
    /// `outputs` (one per output), on one core; `hook` is called after every layer with
    /// the layer and the bytes of the tensor it wrote.
    pub fn predict_tensors(
        &self,
        arena: &mut [u8],
        inputs: &[TensorRef<'_>],
        outputs: &mut [TensorMut<'_>],
        hook: &mut dyn FnMut(LayerInfo, &[u8]),
    ) -> Result<Invocation, Error> {
        let arena = self.arena_with_inputs(arena, inputs, outputs)?;
        let invocation = run::execute(self, arena, hook)?;
        self.finish(arena, invocation, outputs)
    }

    /// [`Model::predict_tensors`] on every core of `executor` (call it on core 0, with the
    /// other cores in `Executor::worker`).
    pub fn predict_tensors_on<P: Platform, const N: usize>(
        &self,
        executor: &Executor<P, N>,
        arena: &mut [u8],
        inputs: &[TensorRef<'_>],
        outputs: &mut [TensorMut<'_>],
    ) -> Result<Invocation, Error> {
        let arena = self.arena_with_inputs(arena, inputs, outputs)?;
        let invocation = run::execute_on(self, executor, arena)?;
        self.finish(arena, invocation, outputs)
    }

    /// Runs a model with one real-valued input and output on real values: the input is
    /// quantized with its scale and zero point (round half away from zero, then clamp, as
    /// TFLite) and the output dequantized with its; a float32 input or output is copied as
    /// it is. One core.
    pub fn predict(
        &self,
        arena: &mut [u8],
        input: &[f32],
        output: &mut [f32],
    ) -> Result<Invocation, Error> {
        let arena = self.prepared_arena(arena)?;
        io::write_real_input(self, arena, input, output.len())?;
        let invocation = run::execute(self, arena, &mut |_, _| {})?;
        self.finish_real(arena, invocation, output)
    }

    /// [`Model::predict`] on every core of `executor`.
    pub fn predict_on<P: Platform, const N: usize>(
        &self,
        executor: &Executor<P, N>,
        arena: &mut [u8],
        input: &[f32],
        output: &mut [f32],
    ) -> Result<Invocation, Error> {
        let arena = self.prepared_arena(arena)?;
        io::write_real_input(self, arena, input, output.len())?;
        let invocation = run::execute_on(self, executor, arena)?;
        self.finish_real(arena, invocation, output)
    }

    /// Resets the model's state as TFLite Micro's `MicroInterpreter::Reset` does (the
    /// generated crate's `reset` documents what that is).
    pub fn reset(&self, arena: &mut [u8]) -> Result<(), Error> {
        state::reset(self, self.aligned_arena(arena)?)
    }

    /// The prepared arena (see below) holding `inputs`, once `outputs` are checked.
    fn arena_with_inputs<'a>(
        &self,
        arena: &'a mut [u8],
        inputs: &[TensorRef<'_>],
        outputs: &[TensorMut<'_>],
    ) -> Result<&'a mut [u8], Error> {
        let arena = self.prepared_arena(arena)?;
        io::check_outputs(self, outputs)?;
        io::write_inputs(self, arena, inputs)?;
        Ok(arena)
    }

    /// The 16-byte aligned `arena_bytes` prefix of `arena`, its state initialised unless it
    /// holds this model's already.
    fn prepared_arena<'a>(&self, arena: &'a mut [u8]) -> Result<&'a mut [u8], Error> {
        let arena = self.aligned_arena(arena)?;
        state::ensure(self, arena)?;
        Ok(arena)
    }

    /// The 16-byte aligned `arena_bytes` prefix of `arena`.
    fn aligned_arena<'a>(&self, arena: &'a mut [u8]) -> Result<&'a mut [u8], Error> {
        let skip = arena.as_ptr().align_offset(ARENA_ALIGN);
        let required = skip.saturating_add(self.arena_bytes);
        if skip == usize::MAX || arena.len() < required {
            return Err(Error::ArenaTooSmall {
                required,
                actual: arena.len(),
            });
        }
        Ok(&mut arena[skip..required])
    }

    fn finish(
        &self,
        arena: &[u8],
        invocation: Invocation,
        outputs: &mut [TensorMut<'_>],
    ) -> Result<Invocation, Error> {
        if invocation == Invocation::Complete {
            io::read_outputs(self, arena, outputs)?;
        }
        Ok(invocation)
    }

    fn finish_real(
        &self,
        arena: &[u8],
        invocation: Invocation,
        output: &mut [f32],
    ) -> Result<Invocation, Error> {
        if invocation == Invocation::Complete {
            io::read_real_output(self, arena, output)?;
        }
        Ok(invocation)
    }
}

/// Alignment every arena offset assumes.
pub const ARENA_ALIGN: usize = 16;
