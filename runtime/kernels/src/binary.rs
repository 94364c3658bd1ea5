//! Two-input element-wise ops with NumPy-style broadcasting up to 6D: ADD, SUB, MUL,
//! SQUARED_DIFFERENCE, MAXIMUM, MINIMUM.
//!
//! Mirrors, for INT8 and INT16:
//! - ADD: `reference_integer_ops::AddFunc` / `BroadcastAdd6DSlow`
//!   (reference/integer_ops/add.h) and the INT16 `reference_ops::AddElementwise`
//!   (reference/add.h, non-POT path), via tensorflow/lite/micro/kernels/add.cc;
//! - SUB: `reference_ops::BroadcastQuantSubSlow` / `SubElementwise`
//!   (reference/sub.h), via micro/kernels/sub.cc;
//! - MUL: `reference_integer_ops::MulElementwise` / `BroadcastMul6DSlow`
//!   (reference/integer_ops/mul.h), via micro/kernels/mul_common.cc;
//! - SQUARED_DIFFERENCE: the quantized `SquaredDifference` in
//!   micro/kernels/squared_difference.cc;
//! - MAXIMUM / MINIMUM: `reference_ops::MaximumMinimumBroadcastSlow`
//!   (reference/maximum_minimum.h) — a plain comparison of the stored integers, as
//!   TFLM requires all three tensors to share quantization.
//!
//! The non-broadcast TFLM paths compute the same per-element function, so one
//! broadcasting loop serves both. Split axis: flat output elements ([`SplitRange`]).

use crate::element::QuantElement;
use crate::error::{element, expect_len, KernelError, KernelResult};
use crate::quant::{ActivationRange, QuantizedMultiplier, Requantizer, Rescale};
use crate::shape::Shape;
use crate::split::SplitRange;
use crate::walk::{map_fits, AffineMap, StridedWalk};

/// How the output of a broadcasting binary op reads its two operands.
pub(crate) enum BroadcastPlan {
    /// No operand broadcasts: every operand index is the output index.
    SameShape,
    /// Output of extended shape `dims`; operand `k` is read at `maps[k]`.
    Strided {
        dims: [usize; crate::MAX_RANK],
        maps: [AffineMap; 2],
    },
}

/// Checks that both inputs broadcast to `output_shape` and hold as many elements as
/// their shapes, and that `range` lies within the output; returns how to read them
/// (`None` for an empty range: nothing to do).
pub(crate) fn broadcast_plan(
    input1: (usize, &Shape),
    input2: (usize, &Shape),
    output_shape: &Shape,
    range: SplitRange,
) -> Result<Option<BroadcastPlan>, KernelError> {
    let (len1, input1_shape) = input1;
    let (len2, input2_shape) = input2;
    expect_len(len1, input1_shape.element_count()?)?;
    expect_len(len2, input2_shape.element_count()?)?;
    range.check_within(output_shape.element_count()?)?;
    if range.is_empty() {
        return Ok(None);
    }
    let out_dims = output_shape.extended();
    let (dims1, dims2) = (input1_shape.extended(), input2_shape.extended());
    let broadcastable = |dims: &[usize; crate::MAX_RANK]| {
        dims.iter()
            .zip(out_dims.iter())
            .all(|(&d, &o)| d == o || d == 1)
    };
    if !broadcastable(&dims1) || !broadcastable(&dims2) {
        return Err(KernelError::ShapeMismatch);
    }
    if dims1 == out_dims && dims2 == out_dims {
        return Ok(Some(BroadcastPlan::SameShape));
    }
    let map1 = AffineMap::broadcast(&dims1, &out_dims);
    let map2 = AffineMap::broadcast(&dims2, &out_dims);
    if !map_fits(&map1, &out_dims, len1) || !map_fits(&map2, &out_dims, len2) {
        return Err(KernelError::ShapeMismatch);
    }
    Ok(Some(BroadcastPlan::Strided {
        dims: out_dims,
        maps: [map1, map2],
    }))
}

/// Visits the `range` part of the broadcast output: `visit(i, i1, i2)` for every
/// output index `i` with the offsets of its two operands, after the checks of
/// [`broadcast_plan`].
fn broadcast_walk(
    input1: (usize, &Shape),
    input2: (usize, &Shape),
    output_shape: &Shape,
    range: SplitRange,
    mut visit: impl FnMut(usize, usize, usize) -> KernelResult,
) -> KernelResult {
    match broadcast_plan(input1, input2, output_shape, range)? {
        None => {}
        Some(BroadcastPlan::SameShape) => {
            // The strided walk (and its carry over six dimensions per element) is
            // not needed.
            for index in range.indices() {
                visit(index, index, index)?;
            }
        }
        Some(BroadcastPlan::Strided { dims, maps }) => {
            let mut walk = StridedWalk::starting_at(dims, maps, range.start);
            for index in range.indices() {
                visit(index, walk.offset(0), walk.offset(1))?;
                walk.advance();
            }
        }
    }
    Ok(())
}

/// Applies `op(input1[i1], input2[i2])` over the `range` part of the broadcast output.
#[allow(clippy::too_many_arguments)]
pub(crate) fn broadcast_binary<A: Copy, B: Copy, O>(
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
    broadcast_walk(
        (input1.len(), input1_shape),
        (input2.len(), input2_shape),
        output_shape,
        range,
        |i, i1, i2| {
            let value = op(element(input1, i1)?, element(input2, i2)?);
            *output.get_mut(i).ok_or(KernelError::RangeOutOfBounds)? = value;
            Ok(())
        },
    )
}

/// Which operand of a binary op an in-place kernel overwrites with the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InPlaceOperand {
    /// `data` is input1 and the output.
    First,
    /// `data` is input2 and the output.
    Second,
}

/// [`broadcast_binary`] with the output written over one operand, `data`, whose
/// shape is the output shape (it is not broadcast); `other` may broadcast to it.
/// Element `i` of `data` is read (as the operand at output index `i`) before it is
/// written, and no other element of `data` is read for it, so the results equal
/// the out-of-place ones.
pub(crate) fn broadcast_binary_in_place<T: Copy>(
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
    match which {
        InPlaceOperand::First => broadcast_walk(own, another, data_shape, range, |i, i1, i2| {
            let value = op(element(data, i1)?, element(other, i2)?);
            *data.get_mut(i).ok_or(KernelError::RangeOutOfBounds)? = value;
            Ok(())
        }),
        InPlaceOperand::Second => broadcast_walk(another, own, data_shape, range, |i, i1, i2| {
            let value = op(element(other, i1)?, element(data, i2)?);
            *data.get_mut(i).ok_or(KernelError::RangeOutOfBounds)? = value;
            Ok(())
        }),
    }
}

/// TFLM `ArithmeticParams` as filled by ADD, SUB and SQUARED_DIFFERENCE `Prepare`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArithmeticParams {
    /// `left_shift`: 20 for INT8 and 15 for INT16 ADD/SUB; 7 for INT8 and 0 for
    /// INT16 SQUARED_DIFFERENCE.
    pub left_shift: i32,
    /// `input1_offset` = `-input1_zero_point`.
    pub input1_offset: i32,
    /// `input1_multiplier` / `input1_shift` (shift <= 0).
    pub input1_multiplier: QuantizedMultiplier,
    /// `input2_offset` = `-input2_zero_point`.
    pub input2_offset: i32,
    /// `input2_multiplier` / `input2_shift` (shift <= 0).
    pub input2_multiplier: QuantizedMultiplier,
    /// `output_offset` = `output_zero_point`.
    pub output_offset: i32,
    /// `output_multiplier` / `output_shift`.
    pub output_multiplier: QuantizedMultiplier,
    /// `quantized_activation_min/max`.
    pub activation: ActivationRange,
}

impl ArithmeticParams {
    /// The parameters with the multipliers applied as the reference does.
    pub(crate) fn reference(&self) -> Arithmetic<QuantizedMultiplier> {
        self.with(|m| m)
    }

    /// The parameters with every multiplier prepared once (same results).
    pub(crate) fn prepared(&self) -> Arithmetic<Requantizer> {
        self.with(Requantizer::new)
    }

    fn with<M>(&self, rescaler: impl Fn(QuantizedMultiplier) -> M) -> Arithmetic<M> {
        Arithmetic {
            left_shift: self.left_shift.clamp(0, 31) as u32,
            input1_offset: self.input1_offset,
            input1: rescaler(self.input1_multiplier),
            input2_offset: self.input2_offset,
            input2: rescaler(self.input2_multiplier),
            output_offset: self.output_offset,
            output: rescaler(self.output_multiplier),
            activation: self.activation,
        }
    }
}

/// [`ArithmeticParams`] with its multipliers as `M` (see [`Rescale`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Arithmetic<M> {
    left_shift: u32,
    input1_offset: i32,
    input1: M,
    input2_offset: i32,
    input2: M,
    output_offset: i32,
    output: M,
    activation: ActivationRange,
}

impl<M: Rescale> Arithmetic<M> {
    /// Both inputs moved to the common fixed-point scale (offset, left shift by
    /// `left_shift`, per-input multiplier), as TFLM's add/sub functions begin.
    #[inline(always)]
    fn rescaled_inputs(&self, a: i32, b: i32) -> (i32, i32) {
        let rescale = |value: i32, offset: i32, multiplier: &M| {
            multiplier.rescale(value.wrapping_add(offset).wrapping_shl(self.left_shift))
        };
        (
            rescale(a, self.input1_offset, &self.input1),
            rescale(b, self.input2_offset, &self.input2),
        )
    }

    #[inline(always)]
    fn finish<T: QuantElement>(&self, raw: i32) -> T {
        T::saturate(
            self.activation
                .apply(self.output.rescale(raw).wrapping_add(self.output_offset)),
        )
    }
}

/// Signature shared by the quantized broadcasting kernels of this module: the
/// out-of-place kernel `$name` and its in-place variants `$first` (output over
/// input1) and `$second` (output over input2), all applying `$element` with the
/// parameters turned into `$params::$prepare()`.
///
/// `broadcast_binary` and `broadcast_binary_in_place` are whichever are in scope
/// where the macro is invoked: this module's reference loops, or the optimized
/// module's, so both kernel sets share one signature and one per-element body.
macro_rules! quantized_binary_kernel {
    ($(#[$doc:meta])* $name:ident, $first:ident, $second:ident, $params:ty, $prepare:ident,
     $element:path) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        pub fn $name<T: QuantElement>(
            params: &$params,
            input1: &[T],
            input1_shape: &Shape,
            input2: &[T],
            input2_shape: &Shape,
            output: &mut [T],
            output_shape: &Shape,
            range: SplitRange,
        ) -> KernelResult {
            let p = params.$prepare();
            broadcast_binary(
                input1,
                input1_shape,
                input2,
                input2_shape,
                output,
                output_shape,
                range,
                |x: T, y: T| $element(&p, x, y),
            )
        }

        #[doc = concat!("[`", stringify!($name), "`] in place over input1: `data` is input1 and")]
        /// the output (shape `data_shape`, the output shape: input1 is not broadcast);
        /// `input2` may broadcast. Only `range` is written.
        pub fn $first<T: QuantElement>(
            params: &$params,
            data: &mut [T],
            data_shape: &Shape,
            input2: &[T],
            input2_shape: &Shape,
            range: SplitRange,
        ) -> KernelResult {
            let p = params.$prepare();
            broadcast_binary_in_place(
                InPlaceOperand::First,
                data,
                data_shape,
                input2,
                input2_shape,
                range,
                |x: T, y: T| $element(&p, x, y),
            )
        }

        #[doc = concat!("[`", stringify!($name), "`] in place over input2: `data` is input2 and")]
        /// the output (shape `data_shape`, the output shape: input2 is not broadcast);
        /// `input1` may broadcast. Only `range` is written.
        pub fn $second<T: QuantElement>(
            params: &$params,
            input1: &[T],
            input1_shape: &Shape,
            data: &mut [T],
            data_shape: &Shape,
            range: SplitRange,
        ) -> KernelResult {
            let p = params.$prepare();
            broadcast_binary_in_place(
                InPlaceOperand::Second,
                data,
                data_shape,
                input1,
                input1_shape,
                range,
                |x: T, y: T| $element(&p, x, y),
            )
        }
    };
}
pub(crate) use quantized_binary_kernel;

/// ADD of one element pair: `requant(requant1(a) + requant2(b))`.
#[inline(always)]
pub(crate) fn add_element<T: QuantElement, M: Rescale>(p: &Arithmetic<M>, a: T, b: T) -> T {
    let (a, b) = p.rescaled_inputs(a.widen(), b.widen());
    p.finish(a.wrapping_add(b))
}

/// SUB of one element pair: `requant(requant1(a) - requant2(b))`.
#[inline(always)]
pub(crate) fn sub_element<T: QuantElement, M: Rescale>(p: &Arithmetic<M>, a: T, b: T) -> T {
    let (a, b) = p.rescaled_inputs(a.widen(), b.widen());
    p.finish(a.wrapping_sub(b))
}

/// SQUARED_DIFFERENCE of one element pair: `requant((requant1(a) - requant2(b))^2)`.
#[inline(always)]
pub(crate) fn squared_difference_element<T: QuantElement, M: Rescale>(
    p: &Arithmetic<M>,
    a: T,
    b: T,
) -> T {
    let (a, b) = p.rescaled_inputs(a.widen(), b.widen());
    let difference = a.wrapping_sub(b);
    p.finish(difference.wrapping_mul(difference))
}

quantized_binary_kernel!(
    /// ADD: `output = requant(requant1(a) + requant2(b))`.
    add, add_in_place_first, add_in_place_second, ArithmeticParams, reference, add_element
);

quantized_binary_kernel!(
    /// SUB: `output = requant(requant1(a) - requant2(b))`.
    sub, sub_in_place_first, sub_in_place_second, ArithmeticParams, reference, sub_element
);

quantized_binary_kernel!(
    /// SQUARED_DIFFERENCE: `output = requant((requant1(a) - requant2(b))^2)`; the
    /// output multiplier may have a positive shift.
    squared_difference, squared_difference_in_place_first, squared_difference_in_place_second,
    ArithmeticParams, reference, squared_difference_element
);

/// TFLM `ArithmeticParams` as filled by MUL `Prepare` (`OpDataMul`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MulParams {
    /// `input1_offset` = `-input1_zero_point` (0 for INT16).
    pub input1_offset: i32,
    /// `input2_offset` = `-input2_zero_point` (0 for INT16).
    pub input2_offset: i32,
    /// `output_offset` = `output_zero_point` (0 for INT16).
    pub output_offset: i32,
    /// `output_multiplier` / `output_shift` of `s1 * s2 / s_out`.
    pub output_multiplier: QuantizedMultiplier,
    /// `quantized_activation_min/max`.
    pub activation: ActivationRange,
}

impl MulParams {
    /// The parameters with the multiplier applied as the reference does.
    pub(crate) fn reference(&self) -> Mul<QuantizedMultiplier> {
        Mul {
            params: *self,
            output: self.output_multiplier,
        }
    }

    /// The parameters with the multiplier prepared once (same results).
    pub(crate) fn prepared(&self) -> Mul<Requantizer> {
        Mul {
            params: *self,
            output: Requantizer::new(self.output_multiplier),
        }
    }
}

/// [`MulParams`] with the output multiplier as `M` (see [`Rescale`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mul<M> {
    params: MulParams,
    output: M,
}

/// MUL of one element pair: `requant((a + offset1) * (b + offset2))`.
#[inline(always)]
pub(crate) fn mul_element<T: QuantElement, M: Rescale>(m: &Mul<M>, a: T, b: T) -> T {
    let p = &m.params;
    let product = a
        .widen()
        .wrapping_add(p.input1_offset)
        .wrapping_mul(b.widen().wrapping_add(p.input2_offset));
    T::saturate(
        p.activation
            .apply(m.output.rescale(product).wrapping_add(p.output_offset)),
    )
}

quantized_binary_kernel!(
    /// MUL: `output = requant((a + offset1) * (b + offset2))`.
    mul, mul_in_place_first, mul_in_place_second, MulParams, reference, mul_element
);

/// Signature shared by the unquantized elementwise-choice kernels (MAXIMUM,
/// MINIMUM): out of place (`$name`) and in place over input1 (`$first`) or
/// input2 (`$second`), as for the quantized kernels.
macro_rules! ordered_binary_kernel {
    ($(#[$doc:meta])* $name:ident, $first:ident, $second:ident, $choose:path) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        pub fn $name<T: Copy + Ord>(
            input1: &[T],
            input1_shape: &Shape,
            input2: &[T],
            input2_shape: &Shape,
            output: &mut [T],
            output_shape: &Shape,
            range: SplitRange,
        ) -> KernelResult {
            broadcast_binary(
                input1,
                input1_shape,
                input2,
                input2_shape,
                output,
                output_shape,
                range,
                $choose,
            )
        }

        #[doc = concat!("[`", stringify!($name), "`] in place over input1 (`data`, not broadcast).")]
        pub fn $first<T: Copy + Ord>(
            data: &mut [T],
            data_shape: &Shape,
            input2: &[T],
            input2_shape: &Shape,
            range: SplitRange,
        ) -> KernelResult {
            broadcast_binary_in_place(
                InPlaceOperand::First,
                data,
                data_shape,
                input2,
                input2_shape,
                range,
                $choose,
            )
        }

        #[doc = concat!("[`", stringify!($name), "`] in place over input2 (`data`, not broadcast).")]
        pub fn $second<T: Copy + Ord>(
            input1: &[T],
            input1_shape: &Shape,
            data: &mut [T],
            data_shape: &Shape,
            range: SplitRange,
        ) -> KernelResult {
            broadcast_binary_in_place(
                InPlaceOperand::Second,
                data,
                data_shape,
                input1,
                input1_shape,
                range,
                $choose,
            )
        }
    };
}
pub(crate) use ordered_binary_kernel;

ordered_binary_kernel!(
    /// MAXIMUM over the `range` part of the broadcast output.
    maximum,
    maximum_in_place_first,
    maximum_in_place_second,
    Ord::max
);

ordered_binary_kernel!(
    /// MINIMUM over the `range` part of the broadcast output.
    minimum,
    minimum_in_place_first,
    minimum_in_place_second,
    Ord::min
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{check_flat_split, check_in_place_split, flat_index, pseudo_random_i8};

    fn shape(dims: &[usize]) -> Shape {
        Shape::new(dims).unwrap()
    }

    /// The whole output of `kernel` (parameters bound) over two `[N]` inputs.
    fn same_shape<T: Copy + Default, const N: usize>(
        kernel: impl Fn(&[T], &Shape, &[T], &Shape, &mut [T], &Shape, SplitRange) -> KernelResult,
        a: [T; N],
        b: [T; N],
    ) -> [T; N] {
        let dims = shape(&[N]);
        let mut out = [T::default(); N];
        kernel(&a, &dims, &b, &dims, &mut out, &dims, SplitRange::full(N)).unwrap();
        out
    }

    const HALF: QuantizedMultiplier = QuantizedMultiplier {
        multiplier: 1 << 30,
        shift: 0,
    };

    /// ADD with both input scales equal to the output scale: the TFLM Prepare
    /// formulas give input multipliers 0.5 and output multiplier 2 / 2^20.
    fn unit_scale_add_params(offset1: i32, offset2: i32, output_offset: i32) -> ArithmeticParams {
        ArithmeticParams {
            left_shift: 20,
            input1_offset: offset1,
            input1_multiplier: HALF,
            input2_offset: offset2,
            input2_multiplier: HALF,
            output_offset,
            output_multiplier: QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: -18,
            },
            activation: ActivationRange::full::<i8>(),
        }
    }

    #[test]
    fn add_with_equal_scales_is_exact_integer_addition() {
        // zp1 = 1, zp2 = -2, zp_out = 3: out = (a - 1) + (b + 2) + 3.
        let p = unit_scale_add_params(-1, 2, 3);
        // 10-1+5+2+3 = 19 ; -10-1+7+3 = -1 ; 99+102+3 = 204 -> 127 ; -129-126+3 -> -128.
        assert_eq!(
            same_shape(
                |x, sx, y, sy, out, so, r| add::<i8>(&p, x, sx, y, sy, out, so, r),
                [10, -10, 100, -128],
                [5, 5, 100, -128]
            ),
            [19, -1, 127, -128]
        );
    }

    #[test]
    fn add_rounds_through_the_output_multiplier() {
        // Output multiplier 2^-20 halves the sum; the halving happens in
        // RoundingDivideByPOT, which rounds ties away from zero: 1.5 -> 2, -1.5 -> -2.
        let mut p = unit_scale_add_params(0, 0, 0);
        p.output_multiplier.shift = -19;
        assert_eq!(
            same_shape(
                |x, sx, y, sy, out, so, r| add::<i8>(&p, x, sx, y, sy, out, so, r),
                [3, -3],
                [0, 0]
            ),
            [2, -2]
        );
    }

    #[test]
    fn sub_and_broadcast_over_inner_axis() {
        let p = unit_scale_add_params(0, 0, 0);
        // [2,3] minus a [3] row broadcast over both rows.
        let mut out = [0i8; 6];
        sub(
            &p,
            &[10, 20, 30, 40, 50, 60],
            &shape(&[2, 3]),
            &[1, 2, 3],
            &shape(&[3]),
            &mut out,
            &shape(&[2, 3]),
            SplitRange::full(6),
        )
        .unwrap();
        assert_eq!(out, [9, 18, 27, 39, 48, 57]);
    }

    #[test]
    fn int16_add_uses_left_shift_15() {
        // INT16: zero points 0, equal scales: multipliers 0.5, output 2 / 2^15.
        let p = ArithmeticParams {
            left_shift: 15,
            input1_offset: 0,
            input1_multiplier: HALF,
            input2_offset: 0,
            input2_multiplier: HALF,
            output_offset: 0,
            output_multiplier: QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: -13,
            },
            activation: ActivationRange::full::<i16>(),
        };
        assert_eq!(
            same_shape(
                |x, sx, y, sy, out, so, r| add(&p, x, sx, y, sy, out, so, r),
                [1000i16, 30000, -30000],
                [-1, 30000, -30000]
            ),
            [999, 32767, -32768]
        );
    }

    #[test]
    fn mul_hand_checked_with_offsets() {
        // (a + 1) * (b - 2) * 0.25 + 4, with a = [3, -5], b = [6, 0]:
        // 4 * 4 = 16 -> 4 -> 8 ; -4 * -2 = 8 -> 2 -> 6.
        let p = MulParams {
            input1_offset: 1,
            input2_offset: -2,
            output_offset: 4,
            output_multiplier: QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: -1,
            },
            activation: ActivationRange::full::<i8>(),
        };
        assert_eq!(
            same_shape(
                |x, sx, y, sy, out, so, r| mul::<i8>(&p, x, sx, y, sy, out, so, r),
                [3, -5],
                [6, 0]
            ),
            [8, 6]
        );
    }

    #[test]
    fn squared_difference_hand_checked() {
        // left_shift 7, input multipliers 0.5: each input becomes 64 * x.
        // diff^2 = 4096 * (a-b)^2; output multiplier 2^-12 gives (a-b)^2.
        let p = ArithmeticParams {
            left_shift: 7,
            input1_offset: 0,
            input1_multiplier: HALF,
            input2_offset: 0,
            input2_multiplier: HALF,
            output_offset: -128,
            output_multiplier: QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: -11,
            },
            activation: ActivationRange::full::<i8>(),
        };
        // 9 - 128, 36 - 128, and 40000 - 128 saturated.
        assert_eq!(
            same_shape(
                |x, sx, y, sy, out, so, r| squared_difference::<i8>(&p, x, sx, y, sy, out, so, r),
                [5, -3, 100],
                [2, 3, -100]
            ),
            [-119, -92, 127]
        );
    }

    #[test]
    fn maximum_minimum_broadcast_scalar() {
        let mut out = [0i8; 3];
        maximum(
            &[-1, 5, 2],
            &shape(&[3]),
            &[2],
            &shape(&[]),
            &mut out,
            &shape(&[3]),
            SplitRange::full(3),
        )
        .unwrap();
        assert_eq!(out, [2, 5, 2]);
        minimum(
            &[-1, 5, 2],
            &shape(&[3]),
            &[2],
            &shape(&[1]),
            &mut out,
            &shape(&[3]),
            SplitRange::full(3),
        )
        .unwrap();
        assert_eq!(out, [-1, 2, 2]);
    }

    #[test]
    fn incompatible_broadcast_is_rejected() {
        let mut out = [0i8; 6];
        let result = maximum(
            &[0; 6],
            &shape(&[2, 3]),
            &[0; 2],
            &shape(&[2]),
            &mut out,
            &shape(&[2, 3]),
            SplitRange::full(6),
        );
        assert_eq!(result, Err(KernelError::ShapeMismatch));
    }

    #[test]
    fn six_d_broadcast_split_equals_whole_for_every_op() {
        let s1 = shape(&[2, 1, 3, 1, 2, 2]);
        let s2 = shape(&[1, 2, 1, 2, 1, 2]);
        let so = shape(&[2, 2, 3, 2, 2, 2]);
        let a = pseudo_random_i8(24, 11);
        let b = pseudo_random_i8(8, 12);
        let n = so.element_count().unwrap();
        let arithmetic = ArithmeticParams {
            left_shift: 20,
            input1_offset: 3,
            input1_multiplier: QuantizedMultiplier {
                multiplier: 1_600_000_000,
                shift: -1,
            },
            input2_offset: -7,
            input2_multiplier: HALF,
            output_offset: 1,
            output_multiplier: QuantizedMultiplier {
                multiplier: 1_300_000_000,
                shift: -19,
            },
            activation: ActivationRange {
                min: -100,
                max: 100,
            },
        };
        let mul_params = MulParams {
            input1_offset: 3,
            input2_offset: -7,
            output_offset: 1,
            output_multiplier: QuantizedMultiplier {
                multiplier: 1_300_000_000,
                shift: -6,
            },
            activation: ActivationRange::full::<i8>(),
        };
        let results = [
            check_flat_split(n, 0i8, |r, out| {
                add(&arithmetic, &a, &s1, &b, &s2, out, &so, r).unwrap()
            }),
            check_flat_split(n, 0i8, |r, out| {
                sub(&arithmetic, &a, &s1, &b, &s2, out, &so, r).unwrap()
            }),
            check_flat_split(n, 0i8, |r, out| {
                squared_difference(&arithmetic, &a, &s1, &b, &s2, out, &so, r).unwrap()
            }),
            check_flat_split(n, 0i8, |r, out| {
                mul(&mul_params, &a, &s1, &b, &s2, out, &so, r).unwrap()
            }),
            check_flat_split(n, 0i8, |r, out| {
                maximum(&a, &s1, &b, &s2, out, &so, r).unwrap()
            }),
            check_flat_split(n, 0i8, |r, out| {
                minimum(&a, &s1, &b, &s2, out, &so, r).unwrap()
            }),
        ];
        // Spot-check broadcasting: output element at coords (1,1,2,1,1,1).
        let flat = flat_index(&[1, 1, 2, 1, 1, 1], &[2, 2, 3, 2, 2, 2]);
        let a_index = flat_index(&[1, 0, 2, 0, 1, 1], &[2, 1, 3, 1, 2, 2]);
        let b_index = flat_index(&[0, 1, 0, 1, 0, 1], &[1, 2, 1, 2, 1, 2]);
        assert_eq!(results[4][flat], a[a_index].max(b[b_index]));
        assert_eq!(results[5][flat], a[a_index].min(b[b_index]));
    }

    #[test]
    fn in_place_equals_out_of_place_for_every_op_and_operand() {
        // `full` is the output shape; `small` broadcasts to it.
        let full = shape(&[2, 3, 1, 4]);
        let small = shape(&[1, 3, 1, 1]);
        let n = full.element_count().unwrap();
        let big = pseudo_random_i8(n, 31);
        let same = pseudo_random_i8(n, 32);
        let little = pseudo_random_i8(3, 33);
        let arithmetic = ArithmeticParams {
            left_shift: 20,
            input1_offset: -3,
            input1_multiplier: QuantizedMultiplier {
                multiplier: 1_500_000_000,
                shift: -1,
            },
            input2_offset: 5,
            input2_multiplier: HALF,
            output_offset: -2,
            output_multiplier: QuantizedMultiplier {
                multiplier: 1_400_000_000,
                shift: -19,
            },
            activation: ActivationRange {
                min: -120,
                max: 110,
            },
        };
        let mul_params = MulParams {
            input1_offset: -3,
            input2_offset: 5,
            output_offset: -2,
            output_multiplier: QuantizedMultiplier {
                multiplier: 1_300_000_000,
                shift: -7,
            },
            activation: ActivationRange::full::<i8>(),
        };
        // The other operand: same shape or broadcast.
        for (other, other_shape) in [(&same, &full), (&little, &small)] {
            let mut expected = vec![0i8; n];
            macro_rules! check {
                ($out:ident, $first:ident, $second:ident $(, $params:expr)?) => {
                    // Output over input1: big (op) other.
                    $out($($params,)? &big, &full, other, other_shape, &mut expected, &full, SplitRange::full(n))
                        .unwrap();
                    check_in_place_split(&big, &expected, |r, data| {
                        $first($($params,)? data, &full, other, other_shape, r).unwrap()
                    });
                    // Output over input2: other (op) big.
                    $out($($params,)? other, other_shape, &big, &full, &mut expected, &full, SplitRange::full(n))
                        .unwrap();
                    check_in_place_split(&big, &expected, |r, data| {
                        $second($($params,)? other, other_shape, data, &full, r).unwrap()
                    });
                };
            }
            check!(add, add_in_place_first, add_in_place_second, &arithmetic);
            check!(sub, sub_in_place_first, sub_in_place_second, &arithmetic);
            check!(
                squared_difference,
                squared_difference_in_place_first,
                squared_difference_in_place_second,
                &arithmetic
            );
            check!(mul, mul_in_place_first, mul_in_place_second, &mul_params);
            check!(maximum, maximum_in_place_first, maximum_in_place_second);
            check!(minimum, minimum_in_place_first, minimum_in_place_second);
        }
    }

    #[test]
    fn in_place_rejects_a_broadcast_data_operand() {
        // `data` must have the output shape: here it would have to broadcast.
        let mut data = [1i8, 2];
        let result = maximum_in_place_first(
            &mut data,
            &shape(&[2]),
            &[0; 6],
            &shape(&[3, 2]),
            SplitRange::full(2),
        );
        assert_eq!(result, Err(KernelError::ShapeMismatch));
        assert_eq!(data, [1, 2]);
        assert_eq!(
            maximum_in_place_second(
                &[0; 2],
                &shape(&[2]),
                &mut data,
                &shape(&[2]),
                SplitRange::new(1, 3)
            ),
            Err(KernelError::RangeOutOfBounds)
        );
    }
}
