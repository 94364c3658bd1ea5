//! The types of a generated model's API (each generated crate re-exports them).

use tinyml_arena::ArenaError;
use tinyml_executor::NotCoreZero;
use tinyml_kernels::KernelError;

/// Element type of a model input or output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    /// `i8`
    Int8,
    /// `u8` (an ONNX uint8 tensor; int8 in the arena, zero point 128 lower)
    UInt8,
    /// `i16`
    Int16,
    /// `i32`
    Int32,
    /// `f32`
    Float32,
    /// `bool` (one byte in the arena, 0 or 1, as TFLM stores it)
    Bool,
}

/// A model input or output. Float tensors have scale 1 and zero point 0, so
/// `real = scale * (value - zero_point)` holds for every tensor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TensorInfo {
    /// Tensor name in the model file.
    pub name: &'static str,
    /// Shape (row-major, TFLite layout).
    pub shape: &'static [usize],
    /// Number of elements.
    pub len: usize,
    /// Element type.
    pub dtype: DType,
    /// Quantization scale.
    pub scale: f32,
    /// Quantization zero point.
    pub zero_point: i32,
}

/// What the debug hook is told after each layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerInfo {
    /// Position in the schedule (the `layer` of [`Error`]).
    pub index: usize,
    /// TFLite operator name, e.g. `"CONV_2D"`.
    pub op: &'static str,
    /// Name of the tensor the layer writes.
    pub output: &'static str,
    /// Index of that tensor in the `.tflite` subgraph.
    pub output_tensor: usize,
}

/// Why a prediction did not run. Nothing in a generated crate panics instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// `inputs` has the wrong number of tensors.
    InputCount {
        /// The model's inputs.
        expected: usize,
        /// The tensors given.
        actual: usize,
    },
    /// `outputs` has the wrong number of tensors.
    OutputCount {
        /// The model's outputs.
        expected: usize,
        /// The buffers given.
        actual: usize,
    },
    /// Input `index` has the wrong element type.
    InputType {
        /// Position of the input.
        index: usize,
        /// The model's type for it.
        expected: DType,
    },
    /// Output `index` has the wrong element type.
    OutputType {
        /// Position of the output.
        index: usize,
        /// The model's type for it.
        expected: DType,
    },
    /// Input `index` has the wrong number of elements.
    InputLength {
        /// Position of the input.
        index: usize,
        /// The model's element count.
        expected: usize,
        /// The elements given.
        actual: usize,
    },
    /// Output `index` has the wrong number of elements.
    OutputLength {
        /// Position of the output.
        index: usize,
        /// The model's element count.
        expected: usize,
        /// The elements of the buffer given.
        actual: usize,
    },
    /// The arena is smaller than the model's `ARENA_BYTES` (after skipping to 16-byte
    /// alignment).
    ArenaTooSmall {
        /// Bytes needed, alignment skip included.
        required: usize,
        /// Bytes given.
        actual: usize,
    },
    /// A kernel rejected its arguments in layer `layer` (`None`: while converting
    /// the model's inputs or outputs). A correctly generated model never does this.
    Kernel {
        /// The layer, if any.
        layer: Option<usize>,
        /// What the kernel said.
        error: KernelError,
    },
    /// A planned arena region was invalid in layer `layer` (`None`: the model's
    /// inputs or outputs). A correctly generated model never does this.
    Arena {
        /// The layer, if any.
        layer: Option<usize>,
        /// What the arena said.
        error: ArenaError,
    },
    /// A multi-core `*_on` function was called on core `core` instead of core 0.
    NotCoreZero {
        /// The calling core.
        core: usize,
    },
}

/// How an inference that returned `Ok` went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invocation {
    /// Every layer ran and the outputs were written.
    Complete,
    /// Layer `layer` ended the inference early, as TFLite Micro's interpreter stops at an
    /// operator returning kTfLiteAbort: a CIRCULAR_BUFFER that has not yet taken
    /// `cycles_max` new frames since it last let an inference complete, or an IF or WHILE
    /// whose subgraph holds such a buffer (which stops the subgraph). Not a failure: the
    /// layers up to `layer` ran (their state, the CIRCULAR_BUFFER's frames included,
    /// moved on), no later layer ran and the outputs were not written (the caller's
    /// buffers keep what they held). Only models with such a layer return it.
    Aborted {
        /// The layer that ended the inference.
        layer: usize,
    },
}

impl From<NotCoreZero> for Error {
    fn from(error: NotCoreZero) -> Self {
        Error::NotCoreZero { core: error.core }
    }
}

/// A borrowed model input.
#[derive(Clone, Copy, Debug)]
pub enum TensorRef<'a> {
    /// `i8` elements.
    Int8(&'a [i8]),
    /// `u8` elements (an ONNX uint8 tensor).
    UInt8(&'a [u8]),
    /// `i16` elements.
    Int16(&'a [i16]),
    /// `i32` elements.
    Int32(&'a [i32]),
    /// `f32` elements.
    Float32(&'a [f32]),
    /// `bool` elements.
    Bool(&'a [bool]),
}

/// A borrowed model output buffer.
#[derive(Debug)]
pub enum TensorMut<'a> {
    /// `i8` elements.
    Int8(&'a mut [i8]),
    /// `u8` elements (an ONNX uint8 tensor).
    UInt8(&'a mut [u8]),
    /// `i16` elements.
    Int16(&'a mut [i16]),
    /// `i32` elements.
    Int32(&'a mut [i32]),
    /// `f32` elements.
    Float32(&'a mut [f32]),
    /// `bool` elements.
    Bool(&'a mut [bool]),
}
