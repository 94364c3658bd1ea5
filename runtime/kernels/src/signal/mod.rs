//! TFLM's signal library (`signal/micro/kernels`): the audio front end's custom
//! operators (`SignalWindow`, `SignalEnergy`, `SignalFilterBankLog`, ...), each
//! with the integer arithmetic of its `signal/src` routine.

pub mod energy;
pub mod filter_bank_log;
pub mod window;
