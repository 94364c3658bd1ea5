//! TFLM's signal library (`signal/micro/kernels`): the audio front end's custom
//! operators (`SignalWindow`, `SignalEnergy`, `SignalFilterBank`, ...), each
//! with the integer arithmetic of its `signal/src` routine.

pub mod delay;
pub mod energy;
pub mod fft_auto_scale;
pub mod filter_bank;
pub mod filter_bank_log;
pub mod filter_bank_square_root;
pub mod framer;
pub mod overlap_add;
pub mod pcan;
pub mod rfft;
pub mod spectral_subtraction;
pub mod stacker;
pub(crate) mod streaming;
pub mod window;
