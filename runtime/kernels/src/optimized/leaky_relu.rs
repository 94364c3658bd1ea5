//! [`crate::leaky_relu`] with both multipliers prepared once per call instead of
//! decoded per element; the per-element formula is the reference's.

use crate::element::QuantElement;
use crate::error::KernelResult;
use crate::leaky_relu::leaky_relu_io;
pub use crate::leaky_relu::LeakyReluParams;
use crate::quant::Requantizer;
use crate::split::SplitRange;

/// [`crate::leaky_relu::leaky_relu`], same results.
pub fn leaky_relu<T: QuantElement>(
    params: &LeakyReluParams,
    input: &[T],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    leaky_relu_io(params, Requantizer::new, (input, output), range)
}

/// [`crate::leaky_relu::leaky_relu_in_place`], same results.
pub fn leaky_relu_in_place<T: QuantElement>(
    params: &LeakyReluParams,
    data: &mut [T],
    range: SplitRange,
) -> KernelResult {
    leaky_relu_io(params, Requantizer::new, data, range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leaky_relu as reference;
    use crate::quant::QuantizedMultiplier;
    use crate::test_util::{check_flat_split, check_in_place_split, pseudo_random_i8};

    #[test]
    fn equals_reference() {
        let input = pseudo_random_i8(300, 9);
        let wide: Vec<i16> = input.iter().map(|&v| i16::from(v) * 255).collect();
        for (alpha, identity, zero_points) in [
            ((1 << 30, -1), (1 << 30, 1), (2, -1)),
            ((-1_500_000_000, -3), (1_300_000_000, 0), (-5, 7)),
            ((1_700_000_000, -9), (1_900_000_000, 2), (0, 0)),
        ] {
            let params = LeakyReluParams {
                input_zero_point: zero_points.0,
                output_zero_point: zero_points.1,
                alpha: QuantizedMultiplier {
                    multiplier: alpha.0,
                    shift: alpha.1,
                },
                identity: QuantizedMultiplier {
                    multiplier: identity.0,
                    shift: identity.1,
                },
            };
            let mut expected = vec![0i8; 300];
            reference::leaky_relu(&params, &input, &mut expected, SplitRange::full(300)).unwrap();
            let got = check_flat_split(300, 0i8, |r, out| {
                leaky_relu(&params, &input, out, r).unwrap()
            });
            assert_eq!(got, expected);
            check_in_place_split(&input, &expected, |r, data| {
                leaky_relu_in_place(&params, data, r).unwrap()
            });
            let mut expected = vec![0i16; 300];
            reference::leaky_relu(&params, &wide, &mut expected, SplitRange::full(300)).unwrap();
            let got = check_flat_split(300, 0i16, |r, out| {
                leaky_relu(&params, &wide, out, r).unwrap()
            });
            assert_eq!(got, expected);
        }
    }
}
