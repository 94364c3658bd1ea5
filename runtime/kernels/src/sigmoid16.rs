//! LOGISTIC and TANH for INT16 (symmetric, zero point 0): TFLM's lookup-table
//! algorithm, with linear interpolation between the entries of one sigmoid table.
//!
//! Mirrors the INT16 overloads of `reference_integer_ops::Logistic` and `Tanh`
//! (reference/integer_ops/logistic.h, tanh.h) with parameters from the INT16 branches
//! of `CalculateArithmeticOpDataLogistic` (micro/kernels/logistic_common.cc) and
//! tanh.cc's `CalculateArithmeticOpData`. Outputs are Q0.15 (TFLM requires an output
//! scale of 2^-15). Split axis: flat elements.

use crate::error::KernelResult;
use crate::split::SplitRange;
use crate::unary::ElementwiseIo;

/// `sigmoid(i / 24)` in unsigned Q0.16 for `i` in `0..256`, the table both kernels
/// interpolate (`tanh(x) = 2 * sigmoid(2x) - 1`; both are odd around their centre, so
/// only `|x|` is looked up). The values are TFLM's: they were read back from the
/// `tflite-micro` interpreter (an INT16 TANH at input scale 1/6144 returns
/// `table[i] - 32768` for input `128 * i`), and
/// `tests/test_op_int16_elementwise.py` checks them against it again.
const SIGMOID_TABLE: [u16; 256] = [
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794,
    41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443,
    48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169, 53581, 53983, 54374,
    54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544,
    58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279,
    61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990,
    63090, 63186, 63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030,
    64090, 64148, 64204, 64257, 64308, 64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652,
    64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019,
    65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234,
    65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360,
    65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476,
    65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498, 65500, 65501,
    65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516,
    65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
    65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529,
    65529, 65530, 65530, 65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532,
    65532, 65532, 65532, 65533, 65533, 65533, 65533, 65533, 65533, 65533, 65533, 65534, 65534,
    65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
];

/// TFLM's INT16 LOGISTIC/TANH `OpData` (`input_multiplier`, `input_left_shift`):
/// the input is rescaled to `x * input_multiplier / 2^input_left_shift`, in which
/// units 4096 * 3 represent 1.0 (LOGISTIC) or 0.5 (TANH).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Int16SigmoidParams {
    /// `input_multiplier`: 0 for a power-of-two input scale (LOGISTIC: 2^-12;
    /// TANH: 2^-12 or 2^-11), else `(int32)(input_scale * 3 * 4096 * 2^input_left_shift)`
    /// with the shift the smallest making it exceed 32767 / 2 (or 31).
    pub input_multiplier: i32,
    /// `input_left_shift` (>= 0; a right shift with rounding, despite the name).
    pub input_left_shift: i32,
}

impl Int16SigmoidParams {
    /// The rescaled input, as TFLM computes it before the lookup:
    /// `(x * multiplier + round) >> shift`, with the power-of-two case turned into
    /// multiplier `3 << shift` and shift 0.
    fn rescale(&self, x: i16) -> i32 {
        let (multiplier, shift) = if self.input_multiplier == 0 {
            (
                3i32.wrapping_shl(self.input_left_shift.clamp(0, 31) as u32),
                0,
            )
        } else {
            (self.input_multiplier, self.input_left_shift.clamp(0, 31))
        };
        let round = if shift > 0 { 1i32 << (shift - 1) } else { 0 };
        i32::from(x).wrapping_mul(multiplier).wrapping_add(round) >> shift
    }
}

/// The table interpolated at `|value|` with `fraction_bits` bits below the index,
/// scaled by `2^fraction_bits`, or `None` past the table's end (saturation).
fn interpolate(magnitude: u32, fraction_bits: u32) -> Option<u32> {
    let index = (magnitude >> fraction_bits) as usize;
    // TFLM saturates from index 255 on: exactly where `index + 1` leaves the table.
    match (SIGMOID_TABLE.get(index), SIGMOID_TABLE.get(index + 1)) {
        (Some(&low), Some(&high)) => {
            let (low, high) = (u32::from(low), u32::from(high));
            let fraction = magnitude & ((1 << fraction_bits) - 1);
            // The table increases, so `high - low` never wraps.
            Some((low << fraction_bits) + fraction * (high - low))
        }
        _ => None,
    }
}

/// LOGISTIC of one INT16 value: Q0.15 output.
pub(crate) fn logistic_element(params: &Int16SigmoidParams, x: i16) -> i16 {
    let value = params.rescale(x);
    let result = interpolate(value.unsigned_abs(), 9).unwrap_or(0x7FFF << 10);
    let result = if value >= 0 {
        result + (1 << 9)
    } else {
        (1u32 << (16 + 9)) - result + (1 << 9) - 1
    };
    // TFLM narrows the unsigned result to int16_t (modulo 2^16).
    (result >> 10) as u16 as i16
}

/// TANH of one INT16 value: Q0.15 output.
pub(crate) fn tanh_element(params: &Int16SigmoidParams, x: i16) -> i16 {
    let value = params.rescale(x);
    let result = interpolate(value.unsigned_abs(), 8).unwrap_or(0xFFFF << 8) as i32;
    let result = if value >= 0 {
        result - (1 << (14 + 9)) + (1 << (9 - 2))
    } else {
        -result + (1 << (14 + 9)) + (1 << (9 - 2)) - 1
    };
    (result >> (9 - 1)) as i16
}

/// LOGISTIC, INT16 in and out.
pub fn logistic(
    params: &Int16SigmoidParams,
    input: &[i16],
    output: &mut [i16],
    range: SplitRange,
) -> KernelResult {
    (input, output).map_range(range, |x| logistic_element(params, x))
}

/// [`logistic`] in place over `data` (input and output); only `range` is touched.
pub fn logistic_in_place(
    params: &Int16SigmoidParams,
    data: &mut [i16],
    range: SplitRange,
) -> KernelResult {
    data.map_range(range, |x| logistic_element(params, x))
}

/// TANH, INT16 in and out.
pub fn tanh(
    params: &Int16SigmoidParams,
    input: &[i16],
    output: &mut [i16],
    range: SplitRange,
) -> KernelResult {
    (input, output).map_range(range, |x| tanh_element(params, x))
}

/// [`tanh`] in place over `data` (input and output); only `range` is touched.
pub fn tanh_in_place(
    params: &Int16SigmoidParams,
    data: &mut [i16],
    range: SplitRange,
) -> KernelResult {
    data.map_range(range, |x| tanh_element(params, x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{check_flat_split, check_in_place_split};

    /// Input scale 1/6144 (not a power of two): multiplier 16384, shift 13, so the
    /// rescaled input is exactly `2x`.
    const DOUBLING: Int16SigmoidParams = Int16SigmoidParams {
        input_multiplier: 16384,
        input_left_shift: 13,
    };
    /// Input scale 2^-12 (a power of two): `3x`.
    const POT: Int16SigmoidParams = Int16SigmoidParams {
        input_multiplier: 0,
        input_left_shift: 0,
    };

    #[test]
    fn table_is_close_to_sigmoid_of_i_over_24() {
        for (i, &entry) in SIGMOID_TABLE.iter().enumerate() {
            let exact = 65536.0 / (1.0 + (-(i as f64) / 24.0).exp());
            assert!(
                (f64::from(entry) - exact).abs() < 1.5,
                "entry {i}: {entry} vs {exact}"
            );
        }
    }

    #[test]
    fn tanh_reads_the_table_at_entry_boundaries() {
        // 2 * 128 * i = 256 * i: entry i exactly, minus the table's 1/2 offset.
        for i in [0usize, 1, 100, 254] {
            let x = (128 * i) as i16;
            let expected = i32::from(SIGMOID_TABLE[i]) - 32768;
            assert_eq!(i32::from(tanh_element(&DOUBLING, x)), expected, "entry {i}");
            assert_eq!(
                i32::from(tanh_element(&DOUBLING, -x)),
                -expected,
                "entry {i}"
            );
        }
        // Past the table: saturates to +-32767.
        assert_eq!(tanh_element(&DOUBLING, i16::MAX), 32767);
        assert_eq!(tanh_element(&DOUBLING, i16::MIN), -32767);
    }

    #[test]
    fn logistic_is_centred_and_saturates() {
        assert_eq!(logistic_element(&POT, 0), 16384);
        // |x| * 32767 / 2^13 reaches the table's end (255 * 2^9) only near the ends.
        let wide = Int16SigmoidParams {
            input_multiplier: 32767,
            input_left_shift: 13,
        };
        assert_eq!(logistic_element(&wide, i16::MAX), 32767);
        // TFLM's negative saturation is 2^25 - (0x7FFF << 10) + 2^9 - 1, i.e. 1, not 0.
        assert_eq!(logistic_element(&wide, i16::MIN), 1);
        // 3 * 512 * 3 = 512 * 9: entry 9 exactly, (entry + 1) / 2 after rounding.
        let x = 512 * 3;
        let entry = u32::from(SIGMOID_TABLE[9]);
        assert_eq!(logistic_element(&POT, x) as u32, (entry + 1) >> 1);
        // sigmoid(-x) = 1 - sigmoid(x), up to the rounding of each.
        let sum = i32::from(logistic_element(&POT, x)) + i32::from(logistic_element(&POT, -x));
        assert!((32767..=32768).contains(&sum), "{sum}");
    }

    #[test]
    fn power_of_two_tanh_shift_one_multiplies_by_six() {
        let params = Int16SigmoidParams {
            input_multiplier: 0,
            input_left_shift: 1,
        };
        assert_eq!(params.rescale(1000), 6000);
        assert_eq!(params.rescale(-7), -42);
    }

    #[test]
    fn rescale_rounds_half_up() {
        let params = Int16SigmoidParams {
            input_multiplier: 3,
            input_left_shift: 1,
        };
        assert_eq!(params.rescale(1), 2); // 1.5 -> 2
        assert_eq!(params.rescale(-1), -1); // -1.5 -> -1 (arithmetic shift)
    }

    fn inputs(len: usize) -> Vec<i16> {
        (0..len)
            .map(|i| (i as i32 * 7919 % 65536 - 32768) as i16)
            .collect()
    }

    #[test]
    fn splits_and_in_place_match_whole() {
        let input = inputs(37);
        for params in [DOUBLING, POT] {
            let logistic_out = check_flat_split(input.len(), 0i16, |range, out| {
                logistic(&params, &input, out, range).unwrap();
            });
            let tanh_out = check_flat_split(input.len(), 0i16, |range, out| {
                tanh(&params, &input, out, range).unwrap();
            });
            check_in_place_split(&input, &logistic_out, |range, data| {
                logistic_in_place(&params, data, range).unwrap();
            });
            check_in_place_split(&input, &tanh_out, |range, data| {
                tanh_in_place(&params, data, range).unwrap();
            });
        }
    }
}
