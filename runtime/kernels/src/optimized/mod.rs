//! Optimized kernels: the same names, signatures and bits as the reference kernels
//! of the crate root, written for speed (contiguous inner loops, parameters prepared
//! once per call). Generated models call the kernels through this module; the
//! kernels without a faster variant are the reference ones, re-exported.
//!
//! The kernels that gather operands first ([`conv::conv_2d`],
//! [`batch_matmul::batch_matmul`]) take one argument more, an `i16` scratch buffer,
//! as TFLM's optimized kernels request scratch in the arena: tinymlc plans one per
//! core for each such layer, so no kernel keeps more than a few hundred bytes of
//! stack.
//!
//! Every optimized kernel's tests compare it with its reference kernel on many
//! shapes and on every part of split outputs.

pub mod batch_matmul;
pub mod binary;
pub mod concatenation;
pub mod conv;
pub mod depthwise_conv;
mod dsp;
pub mod fully_connected;
pub mod leaky_relu;
mod mat_mult;
mod mve;
pub mod pad;
pub mod pooling;
pub mod strided_slice;
pub mod transpose;

pub use crate::sigmoid16;

/// The reference kernels generic over activation and accumulator types, for the
/// modes the optimized ones (int8 only) do not cover: 16x8.
pub mod reference {
    pub use crate::{batch_matmul, conv, depthwise_conv, fully_connected};
}

pub use crate::abs;
pub use crate::add_n;
pub use crate::cast;
pub use crate::circular_buffer;
pub use crate::comparisons;
pub use crate::cumsum;
pub use crate::detection_postprocess;
pub use crate::dynamic_update_slice;
pub use crate::elu;
pub use crate::embedding_lookup;
pub use crate::float;
pub use crate::integer_binary;
pub use crate::l2_normalization;
pub use crate::log_softmax;
pub use crate::lookup;
pub use crate::mlas_conv;
pub use crate::prelu;
pub use crate::qlinear_add;
pub use crate::requantize_float;
pub use crate::select;
pub use crate::signal;
pub use crate::{
    activations, gelu, hard_swish, logistic, lstm, mean, quantize, reshape, rsqrt, softmax,
    softmax16, svdf, tanh, transpose_conv,
};
pub use crate::{reduce, remap, resize_bilinear};
