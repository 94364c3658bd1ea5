//! A 256-entry table lookup over INT8: `output[i] = table[input[i] as u8]`.
//!
//! Serves every INT8 element-wise function the compiler tabulates: GELU (TFLite's
//! `LUTPopulate` table) and, with `tinymlc --onnx_exact`, the unary ONNX operators whose
//! table onnxruntime itself computes (QLinearSigmoid, QLinearLeakyRelu, QDQ Sigmoid,
//! Tanh, ...).
//!
//! Split axis: flat elements.

use crate::error::KernelResult;
use crate::split::SplitRange;
use crate::unary::ElementwiseIo;

/// Looks every input of `range` up in `table`, indexed by the input's bit pattern as
/// `u8` (TFLM `LUTLookup`: `lut[(uint8_t)value]`).
pub fn lookup_int8(
    table: &[i8; 256],
    input: &[i8],
    output: &mut [i8],
    range: SplitRange,
) -> KernelResult {
    lookup_io(table, (input, output), range)
}

/// [`lookup_int8`] in place over `data` (input and output); only `range` is touched.
pub fn lookup_int8_in_place(table: &[i8; 256], data: &mut [i8], range: SplitRange) -> KernelResult {
    lookup_io(table, data, range)
}

fn lookup_io(table: &[i8; 256], io: impl ElementwiseIo<i8, i8>, range: SplitRange) -> KernelResult {
    io.map_range(range, |x| table[usize::from(x as u8)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::KernelError;

    #[test]
    fn indexes_by_the_bit_pattern() {
        let mut table = [0i8; 256];
        for (index, entry) in table.iter_mut().enumerate() {
            *entry = (index as u8).wrapping_mul(3) as i8;
        }
        let input = [0i8, 1, -1, -128, 127];
        let mut output = [0i8; 5];
        lookup_int8(&table, &input, &mut output, SplitRange::full(5)).unwrap();
        assert_eq!(
            output,
            [
                0,
                3,
                (255u8.wrapping_mul(3)) as i8,
                (128u8.wrapping_mul(3)) as i8,
                (127u8.wrapping_mul(3)) as i8
            ]
        );
        let mut data = input;
        lookup_int8_in_place(&table, &mut data, SplitRange::new(1, 3)).unwrap();
        assert_eq!(data, [0, 3, (255u8.wrapping_mul(3)) as i8, -128, 127]);
        assert_eq!(
            lookup_int8(&table, &input, &mut output, SplitRange::new(4, 6)),
            Err(KernelError::RangeOutOfBounds)
        );
    }
}
