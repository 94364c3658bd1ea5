//! BATCH_MATMUL for INT8 with `adj_x` / `adj_y` and broadcast batch dimensions
//! (ranks 2 to 5, as TFLM).
//!
//! Mirrors the quantized `reference_ops::BatchMatMul` (reference/batch_matmul.h) as
//! called by `EvalInt8` in tensorflow/lite/micro/kernels/batch_matmul.cc, which
//! transposes operands into scratch buffers instead of indexing them transposed; the
//! integer sums are identical. TFLM applies no fused activation: pass the full INT8
//! range.
//!
//! Split axes: output rows (`batches * M`, flattened) and output columns (`N`), via
//! [`OutputTile`].

use crate::accumulator::Accumulator;
use crate::conv::LinearQuantParams;
use crate::error::{element, expect_len, KernelError, KernelResult};
use crate::linear_output::LinearOutput;
use crate::shape::{Shape, MAX_RANK};
use crate::split::OutputTile;

/// Operand layouts of a BATCH_MATMUL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchMatMulShapes {
    /// LHS shape `[..., M, K]` (or `[..., K, M]` with `adj_x`).
    pub lhs: Shape,
    /// RHS shape `[..., K, N]` (or `[..., N, K]` with `adj_y`).
    pub rhs: Shape,
    /// `adj_x`: the LHS's last two axes are swapped.
    pub adj_x: bool,
    /// `adj_y`: the RHS's last two axes are swapped.
    pub adj_y: bool,
}

/// Resolved matrix sizes and batch broadcasting.
pub(crate) struct Plan {
    pub rows: usize,
    pub columns: usize,
    pub depth: usize,
    batch_dims: [usize; MAX_RANK - 2],
    lhs_batch_strides: [usize; MAX_RANK - 2],
    rhs_batch_strides: [usize; MAX_RANK - 2],
}

impl BatchMatMulShapes {
    fn plan(&self) -> Result<Plan, KernelError> {
        if self.lhs.rank() < 2 || self.rhs.rank() < 2 {
            return Err(KernelError::InvalidParameter);
        }
        let (l, r) = (self.lhs.extended(), self.rhs.extended());
        let (rows, lhs_depth) = if self.adj_x {
            (l[5], l[4])
        } else {
            (l[4], l[5])
        };
        let (rhs_depth, columns) = if self.adj_y {
            (r[5], r[4])
        } else {
            (r[4], r[5])
        };
        expect_len(lhs_depth, rhs_depth)?;
        let mut batch_dims = [1; MAX_RANK - 2];
        let mut lhs_batch_strides = [0; MAX_RANK - 2];
        let mut rhs_batch_strides = [0; MAX_RANK - 2];
        let (mut lhs_stride, mut rhs_stride) = (l[4] * l[5], r[4] * r[5]);
        for axis in (0..MAX_RANK - 2).rev() {
            batch_dims[axis] = match (l[axis], r[axis]) {
                (a, b) if a == b => a,
                (1, b) => b,
                (a, 1) => a,
                _ => return Err(KernelError::ShapeMismatch),
            };
            if l[axis] != 1 {
                lhs_batch_strides[axis] = lhs_stride;
            }
            if r[axis] != 1 {
                rhs_batch_strides[axis] = rhs_stride;
            }
            lhs_stride *= l[axis];
            rhs_stride *= r[axis];
        }
        Ok(Plan {
            rows,
            columns,
            depth: lhs_depth,
            batch_dims,
            lhs_batch_strides,
            rhs_batch_strides,
        })
    }

    /// Output shape `[broadcast batch..., M, N]` flattened to `(rows, columns)` of the
    /// [`OutputTile`] split: `rows = batches * M`, `columns = N`.
    pub fn output_rows_and_columns(&self) -> Result<(usize, usize), KernelError> {
        let plan = self.plan()?;
        let batches = crate::shape::checked_product(&plan.batch_dims)?;
        Ok((
            batches
                .checked_mul(plan.rows)
                .ok_or(KernelError::InvalidParameter)?,
            plan.columns,
        ))
    }
}

/// Computes the `tile` part of `output[b, i, j] = sum_k lhs[b, i, k] * rhs[b, k, j]`
/// (zero points removed through `quant.input_offset` = `-lhs_zp` and
/// `quant.weights_offset` = `-rhs_zp`), requantized with the single multiplier
/// `QuantizeMultiplier((double)s_lhs * (double)s_rhs / s_out)` (product in `f64`), or
/// the `i32` accumulators themselves ([`LinearOutput`]).
pub fn batch_matmul<O: LinearOutput<i32>>(
    quant: &LinearQuantParams,
    shapes: &BatchMatMulShapes,
    lhs: &[i8],
    rhs: &[i8],
    output: &mut [O],
    tile: OutputTile,
) -> KernelResult {
    let plan = checked_plan::<O, i32>(quant, shapes, lhs.len(), rhs.len(), output.len(), tile)?;
    let (m, k, n) = (plan.rows, plan.depth, plan.columns);
    let lhs_at = |base: usize, i: usize, d: usize| {
        element(lhs, base + if shapes.adj_x { d * m + i } else { i * k + d })
    };
    let rhs_at = |base: usize, d: usize, j: usize| {
        element(rhs, base + if shapes.adj_y { j * k + d } else { d * n + j })
    };
    for row in tile.rows.indices() {
        let (i, lhs_base, rhs_base) = plan.bases(row);
        for j in tile.channels.indices() {
            let acc = (0..k).try_fold(0i32, |acc, d| {
                Ok::<_, KernelError>(quant.accumulate(
                    acc,
                    rhs_at(rhs_base, d, j)?,
                    lhs_at(lhs_base, i, d)?,
                ))
            })?;
            *output
                .get_mut(row * n + j)
                .ok_or(KernelError::RangeOutOfBounds)? = O::finish(quant, acc, None, j);
        }
    }
    Ok(())
}

/// The 16x8 BATCH_MATMUL (TFLM's `EvalInt16`): int16 operands and output, 64-bit
/// accumulator requantized by the 64-bit `MultiplyByQuantizedMultiplier`. TFLM requires
/// every zero point to be 0; the offsets are applied all the same, as its kernel does.
pub fn batch_matmul_int16(
    quant: &LinearQuantParams,
    shapes: &BatchMatMulShapes,
    lhs: &[i16],
    rhs: &[i16],
    output: &mut [i16],
    tile: OutputTile,
) -> KernelResult {
    let plan = checked_plan::<i16, i64>(quant, shapes, lhs.len(), rhs.len(), output.len(), tile)?;
    let (m, k, n) = (plan.rows, plan.depth, plan.columns);
    let lhs_at = |base: usize, i: usize, d: usize| {
        element(lhs, base + if shapes.adj_x { d * m + i } else { i * k + d })
    };
    let rhs_at = |base: usize, d: usize, j: usize| {
        element(rhs, base + if shapes.adj_y { j * k + d } else { d * n + j })
    };
    let (lhs_offset, rhs_offset) = (
        i64::from(quant.input_offset),
        i64::from(quant.weights_offset),
    );
    for row in tile.rows.indices() {
        let (i, lhs_base, rhs_base) = plan.bases(row);
        for j in tile.channels.indices() {
            let acc = (0..k).try_fold(0i64, |acc, d| {
                let product = (i64::from(lhs_at(lhs_base, i, d)?) + lhs_offset)
                    .wrapping_mul(i64::from(rhs_at(rhs_base, d, j)?) + rhs_offset);
                Ok::<_, KernelError>(acc.wrapping_add(product))
            })?;
            *output
                .get_mut(row * n + j)
                .ok_or(KernelError::RangeOutOfBounds)? = quant.finish(acc, None, j);
        }
    }
    Ok(())
}

/// Checks a BATCH_MATMUL's operands, output and tile (of element type `T`, accumulated
/// in `A`); returns its plan.
pub(crate) fn checked_plan<O: LinearOutput<A>, A: Accumulator>(
    quant: &LinearQuantParams,
    shapes: &BatchMatMulShapes,
    lhs_len: usize,
    rhs_len: usize,
    output_len: usize,
    tile: OutputTile,
) -> Result<Plan, KernelError> {
    expect_len(lhs_len, shapes.lhs.element_count()?)?;
    expect_len(rhs_len, shapes.rhs.element_count()?)?;
    let plan = shapes.plan()?;
    let (total_rows, columns) = shapes.output_rows_and_columns()?;
    expect_len(
        output_len,
        total_rows
            .checked_mul(columns)
            .ok_or(KernelError::InvalidParameter)?,
    )?;
    quant.check_output::<O, A>(None, columns)?;
    if !A::can_rescale(quant.output_multipliers.get(0)) {
        return Err(KernelError::InvalidParameter);
    }
    tile.check_within(total_rows, columns)?;
    Ok(plan)
}

impl Plan {
    /// For flattened output row `row`: its row `i` within its batch's matrix and the
    /// offsets of that batch's LHS and RHS matrices.
    pub(crate) fn bases(&self, row: usize) -> (usize, usize, usize) {
        // `max(1)`: an extent of zero leaves no output row to locate.
        let rows = self.rows.max(1);
        let (mut batch, i) = (row / rows, row % rows);
        let (mut lhs_base, mut rhs_base) = (0, 0);
        let axes = self
            .batch_dims
            .iter()
            .zip(&self.lhs_batch_strides)
            .zip(&self.rhs_batch_strides)
            .rev();
        for ((&extent, &lhs_stride), &rhs_stride) in axes {
            // Most batch axes have extent 1: skip their divisions.
            if extent <= 1 {
                continue;
            }
            let coordinate = batch % extent;
            batch /= extent;
            lhs_base += coordinate * lhs_stride;
            rhs_base += coordinate * rhs_stride;
        }
        (i, lhs_base, rhs_base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::{ActivationRange, ChannelMultipliers, QuantizedMultiplier};
    use crate::test_util::{check_tile_split, pseudo_random_i8};

    fn quant(lhs_zp: i32, rhs_zp: i32) -> LinearQuantParams<'static> {
        LinearQuantParams {
            input_offset: -lhs_zp,
            weights_offset: -rhs_zp,
            output_offset: 0,
            output_multipliers: ChannelMultipliers {
                multipliers: &[QuantizedMultiplier::ONE.multiplier],
                shifts: &[QuantizedMultiplier::ONE.shift],
            },
            activation: ActivationRange::full::<i8>(),
        }
    }

    fn shape(dims: &[usize]) -> Shape {
        Shape::new(dims).unwrap()
    }

    #[test]
    fn plain_and_adjoint_products_agree() {
        // [[1,2],[3,4]] x [[5,6],[7,8]] = [[19,22],[43,50]], zero points 0.
        let expected = [19, 22, 43, 50];
        let shapes = BatchMatMulShapes {
            lhs: shape(&[2, 2]),
            rhs: shape(&[2, 2]),
            adj_x: false,
            adj_y: false,
        };
        let mut out = [0i8; 4];
        batch_matmul(
            &quant(0, 0),
            &shapes,
            &[1, 2, 3, 4],
            &[5, 6, 7, 8],
            &mut out,
            OutputTile::full(2, 2),
        )
        .unwrap();
        assert_eq!(out, expected);
        // The same product with both operands stored transposed.
        let adjoint = BatchMatMulShapes {
            adj_x: true,
            adj_y: true,
            ..shapes
        };
        batch_matmul(
            &quant(0, 0),
            &adjoint,
            &[1, 3, 2, 4],
            &[5, 7, 6, 8],
            &mut out,
            OutputTile::full(2, 2),
        )
        .unwrap();
        assert_eq!(out, expected);
    }

    #[test]
    fn sixteen_by_eight_accumulates_in_i64_and_saturates() {
        // Multiplier 1/2: the 64-bit requantization rounds x / 2 half up.
        let half = LinearQuantParams {
            output_multipliers: ChannelMultipliers {
                multipliers: &[1 << 30],
                shifts: &[0],
            },
            activation: ActivationRange::full::<i16>(),
            ..quant(0, 0)
        };
        let shapes = BatchMatMulShapes {
            lhs: shape(&[3, 2]),
            rhs: shape(&[2, 2]),
            adj_x: false,
            adj_y: false,
        };
        let mut out = [0i16; 6];
        batch_matmul_int16(
            &half,
            &shapes,
            &[1000, -2000, 3001, 4000, 32767, 32767],
            &[2, 3, -1, 5],
            &mut out,
            OutputTile::full(3, 2),
        )
        .unwrap();
        // Rows (4000, -7000), (2002, 29003) and (32767, 8 * 32767) halved (half up);
        // the last is past int16: saturated.
        assert_eq!(out, [2000, -3500, 1001, 14502, 16384, 32767]);
        // The int8 activation range of the int8 kernel does not fit.
        assert!(batch_matmul_int16(
            &LinearQuantParams {
                activation: ActivationRange {
                    min: -40000,
                    max: 0
                },
                ..half
            },
            &shapes,
            &[0; 6],
            &[0; 4],
            &mut out,
            OutputTile::full(3, 2),
        )
        .is_err());
    }

    #[test]
    fn zero_points_and_batch_broadcast() {
        // LHS [2, 1, 2] (two batches of a 1x2 row), RHS [2, 1] shared by both.
        // lhs zp 1, rhs zp -1: rows (3,4)->(2,3) and (0,1)->(-1,0); rhs (1,2)->(2,3).
        // Batch 0: 4 + 9 = 13 ; batch 1: -2 + 0 = -2.
        let shapes = BatchMatMulShapes {
            lhs: shape(&[2, 1, 2]),
            rhs: shape(&[2, 1]),
            adj_x: false,
            adj_y: false,
        };
        assert_eq!(shapes.output_rows_and_columns(), Ok((2, 1)));
        let mut out = [0i8; 2];
        batch_matmul(
            &quant(1, -1),
            &shapes,
            &[3, 4, 0, 1],
            &[1, 2],
            &mut out,
            OutputTile::full(2, 1),
        )
        .unwrap();
        assert_eq!(out, [13, -2]);
    }

    #[test]
    fn mismatched_depth_is_rejected() {
        let shapes = BatchMatMulShapes {
            lhs: shape(&[2, 3]),
            rhs: shape(&[2, 2]),
            adj_x: false,
            adj_y: false,
        };
        let mut out = [0i8; 4];
        assert_eq!(
            batch_matmul(
                &quant(0, 0),
                &shapes,
                &[0; 6],
                &[0; 4],
                &mut out,
                OutputTile::full(2, 2)
            ),
            Err(KernelError::ShapeMismatch)
        );
    }

    #[test]
    fn split_equals_whole_with_broadcast_batches() {
        let shapes = BatchMatMulShapes {
            lhs: shape(&[2, 1, 3, 4]),
            rhs: shape(&[3, 5, 4]),
            adj_x: false,
            adj_y: true,
        };
        let lhs = pseudo_random_i8(24, 161);
        let rhs = pseudo_random_i8(60, 162);
        let (rows, columns) = shapes.output_rows_and_columns().unwrap();
        assert_eq!((rows, columns), (2 * 3 * 3, 5));
        let q = LinearQuantParams {
            output_multipliers: ChannelMultipliers {
                multipliers: &[1_500_000_000],
                shifts: &[-7],
            },
            output_offset: 3,
            ..quant(2, 0)
        };
        check_tile_split(rows, 1, columns, 0i8, |tile, out| {
            batch_matmul(&q, &shapes, &lhs, &rhs, out, tile).unwrap()
        });
    }
}
