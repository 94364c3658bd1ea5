//! [`crate::binary`] kernels with the broadcast walked row by row.
//!
//! The reference advances a six-dimensional odometer per element and applies the
//! multipliers as TFLM writes them, re-deriving shifts per call. Here the innermost
//! run of output elements that both operands read with a constant stride (after
//! merging the trailing axes that stay contiguous for both) is one tight loop over
//! slices, and the multipliers are prepared once per call. The per-element functions
//! are the reference's own, so the bits are the same.

use crate::binary::{
    add_element, broadcast_plan, mul_element, ordered_binary_kernel, quantized_binary_kernel,
    squared_difference_element, sub_element, BroadcastPlan, InPlaceOperand,
};
pub use crate::binary::{ArithmeticParams, MulParams};
use crate::element::QuantElement;
use crate::error::{element, elements, expect_len, KernelError, KernelResult};
use crate::shape::Shape;
use crate::split::SplitRange;
use crate::walk::{split_innermost_run, StridedWalk};

/// One run of consecutive output elements: output indices `out`, and for each
/// operand its offset at the first element and its stride along the run (0 when
/// the operand is broadcast along it, 1 otherwise).
struct Run {
    out: core::ops::Range<usize>,
    operands: [(usize, usize); 2],
}

/// Visits the `range` part of the broadcast output as [`Run`]s, after the checks of
/// [`broadcast_plan`].
fn for_each_run(
    input1: (usize, &Shape),
    input2: (usize, &Shape),
    output_shape: &Shape,
    range: SplitRange,
    mut visit: impl FnMut(Run) -> KernelResult,
) -> KernelResult {
    let (dims, maps) = match broadcast_plan(input1, input2, output_shape, range)? {
        None => return Ok(()),
        Some(BroadcastPlan::SameShape) => {
            let (start, end) = (range.start, range.end);
            return visit(Run {
                out: start..end,
                operands: [(start, 1), (start, 1)],
            });
        }
        Some(BroadcastPlan::Strided { dims, maps }) => (dims, maps),
    };
    let (outer_dims, run_len, strides) = split_innermost_run(dims, &maps);
    // A non-empty output has runs of at least one element.
    let run_len = run_len.max(1);
    // Broadcast maps are dense or zero along every axis, so the run's strides are 0
    // or 1; the walk never goes backwards.
    let strides = strides.map(|s| s as usize);
    let mut walk = StridedWalk::starting_at(outer_dims, maps, range.start / run_len);
    let mut index = range.start;
    let mut column = range.start % run_len;
    while index < range.end {
        let len = (run_len - column).min(range.end - index);
        visit(Run {
            out: index..index + len,
            operands: [0, 1].map(|k| (walk.offset(k) + column * strides[k], strides[k])),
        })?;
        index += len;
        column = 0;
        walk.advance();
    }
    Ok(())
}

/// Applies `op(input1[i1], input2[i2])` over the `range` part of the broadcast output.
#[allow(clippy::too_many_arguments)]
fn broadcast_binary<A: Copy, B: Copy, O>(
    input1: &[A],
    input1_shape: &Shape,
    input2: &[B],
    input2_shape: &Shape,
    output: &mut [O],
    output_shape: &Shape,
    range: SplitRange,
    op: impl Fn(A, B) -> O,
) -> KernelResult {
    expect_len(output.len(), output_shape.element_count()?)?;
    for_each_run(
        (input1.len(), input1_shape),
        (input2.len(), input2_shape),
        output_shape,
        range,
        |run| {
            let out = output
                .get_mut(run.out)
                .ok_or(KernelError::RangeOutOfBounds)?;
            let [(at1, step1), (at2, step2)] = run.operands;
            let n = out.len();
            match (step1, step2) {
                (1, 1) => {
                    for ((o, &x), &y) in out
                        .iter_mut()
                        .zip(elements(input1, at1, n)?)
                        .zip(elements(input2, at2, n)?)
                    {
                        *o = op(x, y);
                    }
                }
                (1, _) => {
                    let y = element(input2, at2)?;
                    for (o, &x) in out.iter_mut().zip(elements(input1, at1, n)?) {
                        *o = op(x, y);
                    }
                }
                (_, 1) => {
                    let x = element(input1, at1)?;
                    for (o, &y) in out.iter_mut().zip(elements(input2, at2, n)?) {
                        *o = op(x, y);
                    }
                }
                _ => {
                    let (x, y) = (element(input1, at1)?, element(input2, at2)?);
                    for o in out.iter_mut() {
                        *o = op(x, y);
                    }
                }
            }
            Ok(())
        },
    )
}

/// [`broadcast_binary`] with the output written over `data`, one operand, which has
/// the output shape; `other` may broadcast to it. As in the reference, element `i`
/// of `data` is read only to compute element `i`.
fn broadcast_binary_in_place<T: Copy>(
    which: InPlaceOperand,
    data: &mut [T],
    data_shape: &Shape,
    other: &[T],
    other_shape: &Shape,
    range: SplitRange,
    op: impl Fn(T, T) -> T,
) -> KernelResult {
    let own = (data.len(), data_shape);
    let another = (other.len(), other_shape);
    // One loop per operand order, so that the order is not decided per element.
    match which {
        InPlaceOperand::First => for_each_run(own, another, data_shape, range, |run| {
            let (at, step) = run.operands[1];
            let data = data.get_mut(run.out).ok_or(KernelError::RangeOutOfBounds)?;
            update_run(data, other, at, step, &op)
        }),
        InPlaceOperand::Second => for_each_run(another, own, data_shape, range, |run| {
            let (at, step) = run.operands[0];
            let data = data.get_mut(run.out).ok_or(KernelError::RangeOutOfBounds)?;
            update_run(data, other, at, step, |d, o| op(o, d))
        }),
    }
}

/// `data[i] = op(data[i], other[at + i * step])` over a run (`data` has the output
/// shape, so it is read at the output indices).
fn update_run<T: Copy>(
    data: &mut [T],
    other: &[T],
    at: usize,
    step: usize,
    op: impl Fn(T, T) -> T,
) -> KernelResult {
    if step == 1 {
        let others = elements(other, at, data.len())?;
        for (d, &o) in data.iter_mut().zip(others) {
            *d = op(*d, o);
        }
    } else {
        let o = element(other, at)?;
        for d in data.iter_mut() {
            *d = op(*d, o);
        }
    }
    Ok(())
}

quantized_binary_kernel!(
    /// [`crate::binary::add`], same results.
    add, add_in_place_first, add_in_place_second, ArithmeticParams, prepared, add_element
);

quantized_binary_kernel!(
    /// [`crate::binary::sub`], same results.
    sub, sub_in_place_first, sub_in_place_second, ArithmeticParams, prepared, sub_element
);

quantized_binary_kernel!(
    /// [`crate::binary::squared_difference`], same results.
    squared_difference, squared_difference_in_place_first, squared_difference_in_place_second,
    ArithmeticParams, prepared, squared_difference_element
);

quantized_binary_kernel!(
    /// [`crate::binary::mul`], same results.
    mul, mul_in_place_first, mul_in_place_second, MulParams, prepared, mul_element
);

ordered_binary_kernel!(
    /// [`crate::binary::maximum`], same results.
    maximum,
    maximum_in_place_first,
    maximum_in_place_second,
    Ord::max
);

ordered_binary_kernel!(
    /// [`crate::binary::minimum`], same results.
    minimum,
    minimum_in_place_first,
    minimum_in_place_second,
    Ord::min
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary as reference;
    use crate::quant::{ActivationRange, QuantizedMultiplier};
    use crate::test_util::{check_flat_split, check_in_place_split, pseudo_random_i8};

    /// Deterministic shapes: an output of rank 1..=6 and two operands that broadcast
    /// to it (each axis kept or set to 1, leading axes sometimes dropped).
    fn shapes(seed: u32) -> (Shape, Shape, Shape) {
        let r = pseudo_random_i8(20, seed);
        let pick = |i: usize, n: u8| (r[i] as u8 % n) as usize;
        let rank = 1 + pick(0, 6);
        let out: Vec<usize> = (0..rank).map(|a| 1 + pick(1 + a, 5)).collect();
        let operand = |base: usize| {
            let drop = pick(base, rank as u8 + 1).min(rank - 1);
            let dims: Vec<usize> = out[drop..]
                .iter()
                .enumerate()
                .map(|(a, &d)| if pick(base + 1 + a, 3) == 0 { 1 } else { d })
                .collect();
            Shape::new(&dims).unwrap()
        };
        (operand(7), operand(14), Shape::new(&out).unwrap())
    }

    fn arithmetic(left_shift: i32) -> ArithmeticParams {
        ArithmeticParams {
            left_shift,
            input1_offset: 3,
            input1_multiplier: QuantizedMultiplier {
                multiplier: 1_600_000_000,
                shift: -1,
            },
            input2_offset: -7,
            input2_multiplier: QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: 0,
            },
            output_offset: 1,
            output_multiplier: QuantizedMultiplier {
                multiplier: 1_300_000_000,
                shift: -19,
            },
            activation: ActivationRange {
                min: -100,
                max: 110,
            },
        }
    }

    const MUL: MulParams = MulParams {
        input1_offset: 3,
        input2_offset: -7,
        output_offset: 1,
        output_multiplier: QuantizedMultiplier {
            multiplier: 1_300_000_000,
            shift: -6,
        },
        activation: ActivationRange {
            min: -128,
            max: 127,
        },
    };

    /// Checks one kernel and its in-place variants against the reference on one
    /// pair of operand shapes: out of place over split ranges, and in place over
    /// either operand when that operand has the output shape.
    macro_rules! check_one {
        ($s1:expr, $s2:expr, $so:expr, $a:expr, $b:expr; $name:ident, $first:ident, $second:ident $(, $params:expr)?) => {{
            let (s1, s2, so, a, b) = ($s1, $s2, $so, $a, $b);
            let n = so.element_count().unwrap();
            let mut expected = vec![0; n];
            reference::$name($($params,)? a, s1, b, s2, &mut expected, so, SplitRange::full(n)).unwrap();
            let got = check_flat_split(n, 0, |r, out| {
                $name($($params,)? a, s1, b, s2, out, so, r).unwrap()
            });
            assert_eq!(got, expected, "{} {s1:?} {s2:?}", stringify!($name));
            if s1 == so {
                check_in_place_split(a, &expected, |r, data| {
                    $first($($params,)? data, so, b, s2, r).unwrap()
                });
            }
            if s2 == so {
                check_in_place_split(b, &expected, |r, data| {
                    $second($($params,)? a, s1, data, so, r).unwrap()
                });
            }
        }};
    }

    /// [`check_one`] for every kernel of the module.
    macro_rules! check_all {
        ($($operands:expr),*) => {{
            let arithmetic = arithmetic(20);
            check_one!($($operands),*; add, add_in_place_first, add_in_place_second, &arithmetic);
            check_one!($($operands),*; sub, sub_in_place_first, sub_in_place_second, &arithmetic);
            check_one!(
                $($operands),*;
                squared_difference,
                squared_difference_in_place_first,
                squared_difference_in_place_second,
                &arithmetic
            );
            check_one!($($operands),*; mul, mul_in_place_first, mul_in_place_second, &MUL);
            check_one!($($operands),*; maximum, maximum_in_place_first, maximum_in_place_second);
            check_one!($($operands),*; minimum, minimum_in_place_first, minimum_in_place_second);
        }};
    }

    #[test]
    fn equals_reference_on_random_broadcasts() {
        for seed in 1..300 {
            let (s1, s2, so) = shapes(seed);
            let a = pseudo_random_i8(s1.element_count().unwrap(), seed + 1000);
            let b = pseudo_random_i8(s2.element_count().unwrap(), seed + 2000);
            check_all!(&s1, &s2, &so, a.as_slice(), b.as_slice());
        }
    }

    #[test]
    fn equals_reference_for_int16_and_same_shapes() {
        let so = Shape::new(&[2, 3, 5]).unwrap();
        let a: Vec<i16> = pseudo_random_i8(30, 5)
            .iter()
            .map(|&v| i16::from(v) * 200)
            .collect();
        let b: Vec<i16> = pseudo_random_i8(30, 6)
            .iter()
            .map(|&v| i16::from(v) * 150)
            .collect();
        let mut expected = vec![0i16; 30];
        let p = arithmetic(15);
        reference::add(
            &p,
            &a,
            &so,
            &b,
            &so,
            &mut expected,
            &so,
            SplitRange::full(30),
        )
        .unwrap();
        let got = check_flat_split(30, 0, |r, out| {
            add(&p, &a, &so, &b, &so, out, &so, r).unwrap()
        });
        assert_eq!(got, expected);
        let scalar = Shape::new(&[]).unwrap();
        check_all!(&so, &scalar, &so, a.as_slice(), &b[..1]);
    }

    #[test]
    fn rejects_what_the_reference_rejects() {
        let mut out = [0i8; 6];
        let (s1, s2, so) = (
            Shape::new(&[2, 3]).unwrap(),
            Shape::new(&[2]).unwrap(),
            Shape::new(&[2, 3]).unwrap(),
        );
        assert_eq!(
            maximum(
                &[0; 6],
                &s1,
                &[0; 2],
                &s2,
                &mut out,
                &so,
                SplitRange::full(6)
            ),
            reference::maximum(
                &[0; 6],
                &s1,
                &[0; 2],
                &s2,
                &mut out,
                &so,
                SplitRange::full(6)
            )
        );
        assert!(maximum(
            &[0; 6],
            &s1,
            &[0; 2],
            &s2,
            &mut out,
            &so,
            SplitRange::full(6)
        )
        .is_err());
    }
}
