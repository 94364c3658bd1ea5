//! Integer kernels for microcontrollers, bit-exact with TensorFlow Lite Micro.
//!
//! Every kernel mirrors one TFLM reference kernel (see each module's docs and
//! `README.md`). Parameters that TFLM derives in `Prepare` are passed in
//! precomputed; every kernel computes only a caller-chosen part of its output
//! (see [`split`]) so that several cores can share one operator.
#![cfg_attr(not(test), no_std)]
// `unsafe` only in `optimized::dsp`, the DSP instructions' `asm!` (see its docs).
#![deny(unsafe_code)]

pub mod accumulator;
pub mod error;
pub mod fixed_point;
pub mod quant;
pub mod shape;
pub mod signal;
pub mod split;

mod element;
mod rows;
mod unary;
mod walk;

pub mod abs;
pub mod activations;
pub mod add_n;
pub mod batch_matmul;
pub mod binary;
pub mod cast;
pub mod circular_buffer;
pub mod comparisons;
pub mod concatenation;
pub mod conv;
pub mod cumsum;
pub mod depthwise_conv;
pub mod detection_postprocess;
pub mod dynamic_update_slice;
pub mod elu;
pub mod embedding_lookup;
pub mod float;
pub mod fully_connected;
pub mod gelu;
pub mod hard_swish;
pub mod integer_binary;
pub mod l2_normalization;
pub mod leaky_relu;
pub mod linear_output;
pub mod log_softmax;
pub mod logistic;
pub mod lookup;
pub mod lstm;
pub mod mean;
pub mod mlas_conv;
pub mod pad;
pub mod pooling;
pub mod prelu;
pub mod qlinear_add;
pub mod quantize;
pub mod reduce;
pub mod remap;
pub mod requantize_float;
pub mod reshape;
pub mod resize_bilinear;
pub mod rsqrt;
pub mod select;
pub mod sigmoid16;
pub mod softmax;
pub mod softmax16;
pub mod strided_slice;
pub mod svdf;
pub mod tanh;
pub mod transpose;
pub mod transpose_conv;

pub mod optimized;

mod spatial;

pub use accumulator::Accumulator;
pub use element::QuantElement;
pub use error::KernelError;
pub use quant::{ActivationRange, ChannelMultipliers, FusedActivation, QuantizedMultiplier};
pub use shape::{Nhwc, Shape, MAX_RANK};
pub use split::{OutputTile, SplitRange};

#[cfg(test)]
mod test_util;
