//! [`crate::strided_slice`] with the gather walked run by run (`gather_runs`, tested
//! equal to the reference's per-element walk in [`crate::walk`]).

use crate::error::KernelResult;
use crate::shape::Shape;
use crate::split::SplitRange;
use crate::strided_slice::strided_slice_with;
pub use crate::strided_slice::SliceAxis;
use crate::walk::gather_runs;

/// [`crate::strided_slice::strided_slice`], same results and errors.
pub fn strided_slice<T: Copy>(
    input: &[T],
    input_shape: &Shape,
    axes: &[SliceAxis],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    strided_slice_with(gather_runs, input, input_shape, axes, output, range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strided_slice as reference;
    use crate::test_util::{check_flat_split, pseudo_random_i8};

    #[test]
    fn equals_reference() {
        let shape = Shape::new(&[3, 4, 6]).unwrap();
        let input = pseudo_random_i8(72, 4);
        let axis = |start, stride, count| SliceAxis {
            start,
            stride,
            count,
        };
        for axes in [
            [axis(0, 1, 3), axis(0, 1, 4), axis(0, 1, 6)],
            [axis(1, 1, 2), axis(3, -1, 4), axis(0, 2, 3)],
            [axis(2, -2, 2), axis(0, 1, 4), axis(5, -1, 6)],
            [axis(0, 1, 3), axis(1, 2, 2), axis(1, 1, 4)],
        ] {
            let len: usize = axes.iter().map(|a| a.count).product();
            let mut expected = vec![0i8; len];
            reference::strided_slice(&input, &shape, &axes, &mut expected, SplitRange::full(len))
                .unwrap();
            let got = check_flat_split(len, 0i8, |r, out| {
                strided_slice(&input, &shape, &axes, out, r).unwrap()
            });
            assert_eq!(got, expected, "{axes:?}");
        }
        let mut out = vec![0i8; 72];
        let bad = [axis(0, 1, 3), axis(0, 1, 4), axis(1, 1, 6)];
        assert_eq!(
            strided_slice(&input, &shape, &bad, &mut out, SplitRange::full(72)),
            reference::strided_slice(&input, &shape, &bad, &mut out, SplitRange::full(72))
        );
    }
}
