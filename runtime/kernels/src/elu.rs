//! ELU for INT8 through a 256-entry lookup table.
//!
//! TFLM (micro/kernels/elu.cc) fills the table in Prepare from
//! `x < 0 ? expf(x) - 1 : x` with `PopulateLookupTable`, the same procedure as
//! [`crate::gelu::populate_lut_int8`]; `expf` is not in `core`, so the compiler
//! builds the table and the kernel only looks inputs up. Split axis: flat elements.

use crate::error::KernelResult;
use crate::split::SplitRange;

/// Looks every input of `range` up in `lut`, indexed by the input's bit pattern as
/// `u8` (TFLM `EvalUsingLookupTable`): the lookup of [`crate::gelu::gelu`].
pub fn elu(lut: &[i8; 256], input: &[i8], output: &mut [i8], range: SplitRange) -> KernelResult {
    crate::gelu::gelu(lut, input, output, range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gelu::populate_lut_int8;

    #[test]
    fn looks_up_by_input_byte() {
        // Scale 0.1, zero point 0 both sides: ELU(-1.0) = e^-1 - 1 = -0.632 -> -6.
        let lut = populate_lut_int8(0.1, 0, 0.1, 0, |x| if x < 0.0 { -0.632_120_56 } else { x });
        let mut out = [0i8; 3];
        elu(&lut, &[-10, 0, 25], &mut out, SplitRange::full(3)).unwrap();
        assert_eq!(out, [-6, 0, 25]);
    }
}
