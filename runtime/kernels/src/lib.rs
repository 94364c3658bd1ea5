//! Integer kernels for microcontrollers, bit-exact with TensorFlow Lite Micro.
//!
//! Every kernel mirrors one TFLM reference kernel (see each module's docs and
//! `README.md`). Parameters that TFLM derives in `Prepare` are passed in
//! precomputed; every kernel computes only a caller-chosen part of its output
//! (see [`split`]) so that several cores can share one operator.
#![cfg_attr(not(test), no_std)]
// `unsafe` only in `optimized::dsp`, the DSP instructions' `asm!` (see its docs).
#![deny(unsafe_code)]

pub mod error;
pub mod fixed_point;
pub mod quant;
pub mod shape;
pub mod signal;
pub mod split;

mod element;
mod unary;
mod walk;

pub mod activations;
pub mod batch_matmul;
pub mod binary;
pub mod concatenation;
pub mod conv;
pub mod depthwise_conv;
pub mod fully_connected;
pub mod gelu;
pub mod hard_swish;
pub mod leaky_relu;
pub mod logistic;
pub mod mean;
pub mod pad;
pub mod pooling;
pub mod quantize;
pub mod reshape;
pub mod rsqrt;
pub mod sigmoid16;
pub mod softmax;
pub mod strided_slice;
pub mod svdf;
pub mod tanh;
pub mod transpose;

pub mod optimized;

mod spatial;

pub use element::QuantElement;
pub use error::KernelError;
pub use quant::{ActivationRange, ChannelMultipliers, FusedActivation, QuantizedMultiplier};
pub use shape::{Nhwc, Shape, MAX_RANK};
pub use split::{OutputTile, SplitRange};

#[cfg(test)]
mod test_util;
