//! [`crate::batch_matmul`] with each LHS row gathered once.
//!
//! The reference indexes both operands through their (possibly transposed) layouts
//! for every product. Here each output row gathers its LHS row once as
//! `lhs + input_offset`; an output column is then a dot product with a contiguous
//! RHS row (`adj_y`), or, without `adj_y`, every depth step adds a contiguous run of
//! RHS columns into a block of accumulators. INT32 sums wrap, so the order of the
//! products does not change the bits. The LHS row is gathered into the caller's
//! scratch (tinymlc plans `min(depth, 512)` elements per core in the arena); a
//! deeper row is summed chunk by chunk.

use crate::batch_matmul::checked_plan;
pub use crate::batch_matmul::BatchMatMulShapes;
use crate::conv::LinearQuantParams;
use crate::error::{element, elements, KernelError, KernelResult};
use crate::linear_output::Int8KernelOutput;
use crate::optimized::conv::{dot, offset_fits_i16};
use crate::split::OutputTile;

/// Output columns accumulated together on the stack.
const BLOCK: usize = 64;

/// [`crate::batch_matmul::batch_matmul`], same results and errors, gathering LHS
/// rows into `scratch` (any non-empty length; [`KernelError::EmptyScratch`] if empty).
pub fn batch_matmul(
    quant: &LinearQuantParams,
    shapes: &BatchMatMulShapes,
    lhs: &[i8],
    rhs: &[i8],
    output: &mut [i8],
    tile: OutputTile,
    scratch: &mut [i16],
) -> KernelResult {
    batch_matmul_into(quant, shapes, lhs, rhs, output, tile, scratch)
}

/// [`batch_matmul`] writing the int32 accumulators instead of int8 outputs
/// ([`crate::linear_output`]).
pub fn batch_matmul_accumulators(
    quant: &LinearQuantParams,
    shapes: &BatchMatMulShapes,
    lhs: &[i8],
    rhs: &[i8],
    output: &mut [i32],
    tile: OutputTile,
    scratch: &mut [i16],
) -> KernelResult {
    batch_matmul_into(quant, shapes, lhs, rhs, output, tile, scratch)
}

/// Both forms: generic over the output, instantiated here for each (not in every model's
/// crate, where a size-optimized build would not inline the helpers of its loops).
fn batch_matmul_into<O: Int8KernelOutput>(
    quant: &LinearQuantParams,
    shapes: &BatchMatMulShapes,
    lhs: &[i8],
    rhs: &[i8],
    output: &mut [O],
    tile: OutputTile,
    scratch: &mut [i16],
) -> KernelResult {
    let plan = checked_plan::<O, i32>(quant, shapes, lhs.len(), rhs.len(), output.len(), tile)?;
    if scratch.is_empty() {
        return Err(KernelError::EmptyScratch);
    }
    if !offset_fits_i16(quant.input_offset) {
        return crate::batch_matmul::batch_matmul(quant, shapes, lhs, rhs, output, tile);
    }
    let (m, k, n) = (plan.rows, plan.depth, plan.columns);
    let patch = scratch;
    for row in tile.rows.indices() {
        let (i, lhs_base, rhs_base) = plan.bases(row);
        let mut j0 = tile.channels.start;
        while j0 < tile.channels.end {
            let columns = (tile.channels.end - j0).min(BLOCK);
            let mut acc = [0i32; BLOCK];
            let acc = &mut acc[..columns];
            let mut d0 = 0;
            while d0 < k {
                let chunk_len = (k - d0).min(patch.len());
                let chunk = &mut patch[..chunk_len];
                for (d, x) in (d0..).zip(chunk.iter_mut()) {
                    let at = if shapes.adj_x { d * m + i } else { i * k + d };
                    // In range: offset_fits_i16 was checked.
                    *x = (i32::from(element(lhs, lhs_base + at)?) + quant.input_offset) as i16;
                }
                let chunk = &*chunk;
                let weights_term = if quant.weights_offset == 0 {
                    0
                } else {
                    chunk
                        .iter()
                        .fold(0i32, |s, &x| s.wrapping_add(i32::from(x)))
                        .wrapping_mul(quant.weights_offset)
                };
                if shapes.adj_y {
                    // RHS row `j` holds column `j`'s depth run contiguously.
                    for (j, a) in (j0..).zip(acc.iter_mut()) {
                        let weights = elements(rhs, rhs_base + j * k + d0, chunk.len())?;
                        *a = a
                            .wrapping_add(dot(chunk, weights))
                            .wrapping_add(weights_term);
                    }
                } else {
                    for (d, &x) in (d0..).zip(chunk) {
                        let weights = elements(rhs, rhs_base + d * n + j0, columns)?;
                        for (a, &w) in acc.iter_mut().zip(weights) {
                            let w = i32::from(w) + quant.weights_offset;
                            *a = a.wrapping_add(w.wrapping_mul(i32::from(x)));
                        }
                    }
                }
                d0 += chunk.len();
            }
            for (j, &a) in (j0..).zip(acc.iter()) {
                *output
                    .get_mut(row * n + j)
                    .ok_or(KernelError::RangeOutOfBounds)? =
                    O::finish_unprepared(quant, a, None, j);
            }
            j0 += columns;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch_matmul as reference;
    use crate::quant::{ActivationRange, ChannelMultipliers};
    use crate::shape::Shape;
    use crate::test_util::{check_tile_split, pseudo_random_i8};

    #[test]
    fn equals_reference_on_many_shapes() {
        let multipliers = [1_400_000_000];
        let shifts = [-8];
        let mut seed = 1;
        for (lhs, rhs) in [
            (&[3, 5][..], &[5, 4][..]),
            (&[2, 1, 3, 7][..], &[1, 3, 7, 70][..]),
            (&[2, 4, 600][..], &[2, 600, 3][..]),
            (&[1, 1][..], &[1, 1][..]),
        ] {
            for (adj_x, adj_y) in [(false, false), (true, false), (false, true), (true, true)] {
                seed += 3;
                let swap = |dims: &[usize], adj: bool| {
                    let mut d = dims.to_vec();
                    if adj {
                        let r = d.len();
                        d.swap(r - 1, r - 2);
                    }
                    Shape::new(&d).unwrap()
                };
                let shapes = BatchMatMulShapes {
                    lhs: swap(lhs, adj_x),
                    rhs: swap(rhs, adj_y),
                    adj_x,
                    adj_y,
                };
                let quant = LinearQuantParams {
                    input_offset: 5,
                    weights_offset: if seed % 2 == 0 { 0 } else { -3 },
                    output_offset: -2,
                    output_multipliers: ChannelMultipliers {
                        multipliers: &multipliers,
                        shifts: &shifts,
                    },
                    activation: ActivationRange::full::<i8>(),
                };
                let a = pseudo_random_i8(shapes.lhs.element_count().unwrap(), seed);
                let b = pseudo_random_i8(shapes.rhs.element_count().unwrap(), seed + 1);
                let (rows, columns) = shapes.output_rows_and_columns().unwrap();
                let mut expected = vec![0i8; rows * columns];
                reference::batch_matmul(
                    &quant,
                    &shapes,
                    &a,
                    &b,
                    &mut expected,
                    OutputTile::full(rows, columns),
                )
                .unwrap();
                let depth = lhs[lhs.len() - 1];
                // A scratch holding the row, one element, and one splitting it unevenly.
                for scratch_len in [depth.min(512), 1, depth / 2 + 1] {
                    let got = check_tile_split(rows, 1, columns, 0i8, |tile, out| {
                        let mut scratch = vec![0i16; scratch_len];
                        batch_matmul(&quant, &shapes, &a, &b, out, tile, &mut scratch).unwrap()
                    });
                    assert_eq!(got, expected, "{shapes:?} scratch {scratch_len}");
                }
                let full = OutputTile::full(rows, columns);
                let empty = batch_matmul(&quant, &shapes, &a, &b, &mut expected, full, &mut []);
                assert_eq!(empty, Err(KernelError::EmptyScratch));
            }
        }
    }
}
