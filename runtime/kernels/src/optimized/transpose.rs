//! [`crate::transpose`] with the gather walked run by run (`gather_runs`, tested
//! equal to the reference's per-element walk in [`crate::walk`]).

use crate::error::KernelResult;
use crate::shape::Shape;
use crate::split::SplitRange;
use crate::transpose::transpose_with;
use crate::walk::gather_runs;

/// [`crate::transpose::transpose`], same results and errors.
pub fn transpose<T: Copy>(
    input: &[T],
    input_shape: &Shape,
    perm: &[usize],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    transpose_with(gather_runs, input, input_shape, perm, output, range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{check_flat_split, pseudo_random_i8};
    use crate::transpose as reference;

    #[test]
    fn equals_reference() {
        let shape = Shape::new(&[2, 3, 4, 5]).unwrap();
        let input = pseudo_random_i8(120, 3);
        for perm in [
            [0, 1, 2, 3],
            [0, 3, 1, 2],
            [3, 2, 1, 0],
            [1, 0, 2, 3],
            [0, 2, 1, 3],
        ] {
            let mut expected = vec![0i8; 120];
            reference::transpose(&input, &shape, &perm, &mut expected, SplitRange::full(120))
                .unwrap();
            let got = check_flat_split(120, 0i8, |r, out| {
                transpose(&input, &shape, &perm, out, r).unwrap()
            });
            assert_eq!(got, expected, "{perm:?}");
        }
        let mut out = vec![0i8; 120];
        assert_eq!(
            transpose(
                &input,
                &shape,
                &[0, 0, 1, 2],
                &mut out,
                SplitRange::full(120)
            ),
            reference::transpose(
                &input,
                &shape,
                &[0, 0, 1, 2],
                &mut out,
                SplitRange::full(120)
            )
        );
    }
}
