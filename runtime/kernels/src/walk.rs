//! Walking a row-major output shape element by element while tracking where each
//! element comes from in one or more strided inputs.
//!
//! Transpose, strided slice, broadcasting binary ops and pad all reduce to "output
//! coordinate -> affine input offset"; this is the one loop they share. It advances
//! like an odometer, so no division happens per element.

use crate::error::{element, elements, KernelError, KernelResult};
use crate::shape::MAX_RANK;
use crate::split::SplitRange;

/// Affine map from output coordinates to one input's flat offset:
/// `base + sum(coord[axis] * strides[axis])`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AffineMap {
    pub base: isize,
    pub strides: [isize; MAX_RANK],
}

impl AffineMap {
    /// The map of a dense row-major tensor broadcast to `out_dims`: axes where the
    /// input has extent 1 get stride 0.
    pub fn broadcast(in_dims: &[usize; MAX_RANK], out_dims: &[usize; MAX_RANK]) -> Self {
        let dense = crate::shape::row_major_strides(in_dims);
        let mut strides = [0; MAX_RANK];
        for axis in 0..MAX_RANK {
            if in_dims[axis] != 1 {
                debug_assert_eq!(in_dims[axis], out_dims[axis]);
                // Element counts were checked, so every stride fits in isize.
                strides[axis] = dense[axis] as isize;
            }
        }
        Self { base: 0, strides }
    }

    fn offset_at(&self, coords: &[usize; MAX_RANK]) -> isize {
        coords
            .iter()
            .zip(self.strides.iter())
            .fold(self.base, |acc, (&c, &s)| acc + c as isize * s)
    }
}

/// Odometer over `dims` that keeps `K` input offsets in step with the output index.
pub(crate) struct StridedWalk<const K: usize> {
    dims: [usize; MAX_RANK],
    coords: [usize; MAX_RANK],
    maps: [AffineMap; K],
    offsets: [isize; K],
}

impl<const K: usize> StridedWalk<K> {
    /// Starts the walk at row-major flat index `start` of `dims`.
    pub fn starting_at(dims: [usize; MAX_RANK], maps: [AffineMap; K], start: usize) -> Self {
        let mut coords = [0; MAX_RANK];
        let mut rest = start;
        for axis in (0..MAX_RANK).rev() {
            if dims[axis] != 0 {
                coords[axis] = rest % dims[axis];
                rest /= dims[axis];
            }
        }
        let offsets = maps.map(|m| m.offset_at(&coords));
        Self {
            dims,
            coords,
            maps,
            offsets,
        }
    }

    /// Output coordinates of the current element.
    pub fn coords(&self) -> &[usize; MAX_RANK] {
        &self.coords
    }

    /// Input offset of the current element under map `k`. Callers validate their maps
    /// so that every offset reached inside the output shape is non-negative.
    pub fn offset(&self, k: usize) -> usize {
        self.offsets[k] as usize
    }

    /// [`Self::offset`] before the conversion to an index: negative where the map
    /// points before its input (PAD's padding elements).
    pub fn signed_offset(&self, k: usize) -> isize {
        self.offsets[k]
    }

    /// Moves to the next element in row-major order.
    pub fn advance(&mut self) {
        for axis in (0..MAX_RANK).rev() {
            self.coords[axis] += 1;
            if self.coords[axis] < self.dims[axis] {
                for (offset, map) in self.offsets.iter_mut().zip(self.maps.iter()) {
                    *offset += map.strides[axis];
                }
                return;
            }
            let rewind = self.coords[axis] as isize - 1;
            self.coords[axis] = 0;
            for (offset, map) in self.offsets.iter_mut().zip(self.maps.iter()) {
                *offset -= map.strides[axis] * rewind;
            }
        }
    }
}

/// Copies `input[map(coords)]` to each element of the `range` part of an output of
/// shape `dims` (TRANSPOSE and STRIDED_SLICE are pure gathers). The caller has
/// checked `range` and that `map` stays inside `input`.
pub(crate) fn gather<T: Copy>(
    input: &[T],
    dims: [usize; MAX_RANK],
    map: AffineMap,
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    let mut walk = StridedWalk::starting_at(dims, [map], range.start);
    let part = output
        .get_mut(range.indices())
        .ok_or(KernelError::RangeOutOfBounds)?;
    for out in part {
        *out = element(input, walk.offset(0))?;
        walk.advance();
    }
    Ok(())
}

/// Splits `dims` into outer axes and one innermost run: the trailing axes along
/// which every map keeps one constant stride, merged into a run of `run_len`
/// elements (and set to extent 1 in the returned outer dims). Returns the outer
/// dims, `run_len` and each map's stride along the run.
pub(crate) fn split_innermost_run<const K: usize>(
    mut dims: [usize; MAX_RANK],
    maps: &[AffineMap; K],
) -> ([usize; MAX_RANK], usize, [isize; K]) {
    let mut run_len = 1usize;
    let mut strides = [0isize; K];
    for (axis, dim) in dims.iter_mut().enumerate().rev() {
        if *dim == 1 {
            continue;
        }
        // `axis < MAX_RANK`: `get` only spares the kernels a panic path.
        let axis_strides: [isize; K] =
            core::array::from_fn(|k| maps[k].strides.get(axis).copied().unwrap_or(0));
        if run_len == 1 {
            strides = axis_strides;
        } else if axis_strides != strides.map(|s| s * run_len as isize) {
            break;
        }
        run_len *= *dim;
        *dim = 1;
    }
    (dims, run_len, strides)
}

/// [`gather`] run by run: the longest innermost run of output elements read with
/// one input stride is a single loop (a slice copy for stride 1), and the odometer
/// advances once per run instead of once per element. Same results.
pub(crate) fn gather_runs<T: Copy>(
    input: &[T],
    dims: [usize; MAX_RANK],
    map: AffineMap,
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    if range.is_empty() {
        return Ok(());
    }
    let (outer_dims, run_len, [stride]) = split_innermost_run(dims, &[map]);
    // A non-empty output has runs of at least one element.
    let run_len = run_len.max(1);
    let mut walk = StridedWalk::starting_at(outer_dims, [map], range.start / run_len);
    let mut index = range.start;
    let mut column = range.start % run_len;
    while index < range.end {
        let len = (run_len - column).min(range.end - index);
        let out = output
            .get_mut(index..index + len)
            .ok_or(KernelError::RangeOutOfBounds)?;
        // Inside the validated map: every element of the run is an input index.
        let first = walk.signed_offset(0) + column as isize * stride;
        if stride == 1 {
            out.copy_from_slice(elements(input, first as usize, len)?);
        } else {
            for (step, o) in out.iter_mut().enumerate() {
                *o = element(input, (first + step as isize * stride) as usize)?;
            }
        }
        index += len;
        column = 0;
        walk.advance();
    }
    Ok(())
}

/// Largest and smallest offset `map` reaches over a non-empty `dims`, used to validate
/// a map against the length of the slice it indexes.
pub(crate) fn offset_bounds(map: &AffineMap, dims: &[usize; MAX_RANK]) -> Option<(isize, isize)> {
    let mut low = map.base;
    let mut high = map.base;
    for (&dim, &stride) in dims.iter().zip(map.strides.iter()) {
        let last = isize::try_from(dim.checked_sub(1)?).ok()?;
        let reach = stride.checked_mul(last)?;
        if reach < 0 {
            low = low.checked_add(reach)?;
        } else {
            high = high.checked_add(reach)?;
        }
    }
    Some((low, high))
}

/// Whether every offset of `map` over `dims` indexes a slice of `len` elements.
pub(crate) fn map_fits(map: &AffineMap, dims: &[usize; MAX_RANK], len: usize) -> bool {
    match offset_bounds(map, dims) {
        Some((low, high)) => low >= 0 && (high as usize) < len,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_matches_direct_offsets_from_any_start() {
        let dims = [1, 1, 1, 2, 3, 4];
        let transposed = AffineMap {
            base: 0,
            // Output [2,3,4] read from an input laid out as [4,3,2].
            strides: [0, 0, 0, 1, 2, 6],
        };
        for start in 0..24 {
            let mut walk = StridedWalk::starting_at(dims, [transposed], start);
            for flat in start..24 {
                let (a, b, c) = (flat / 12, (flat / 4) % 3, flat % 4);
                assert_eq!(walk.offset(0), a + 2 * b + 6 * c, "flat {flat}");
                walk.advance();
            }
        }
    }

    #[test]
    fn negative_strides_are_tracked() {
        let dims = [1, 1, 1, 1, 1, 4];
        let reversed = AffineMap {
            base: 3,
            strides: [0, 0, 0, 0, 0, -1],
        };
        let mut walk = StridedWalk::starting_at(dims, [reversed], 0);
        let mut seen = [0; 4];
        for slot in seen.iter_mut() {
            *slot = walk.offset(0);
            walk.advance();
        }
        assert_eq!(seen, [3, 2, 1, 0]);
        assert!(map_fits(&reversed, &dims, 4));
        assert!(!map_fits(&reversed, &dims, 3));
    }

    #[test]
    fn gather_runs_equals_gather() {
        // Transposed, reversed, sliced and partly contiguous maps over one input.
        let input: Vec<i32> = (0..400).collect();
        let cases = [
            (
                [1, 1, 1, 2, 3, 4],
                AffineMap {
                    base: 0,
                    strides: [0, 0, 0, 1, 2, 6],
                },
            ),
            (
                [1, 1, 2, 3, 4, 5],
                AffineMap {
                    base: 0,
                    strides: [0, 0, 60, 20, 5, 1],
                },
            ),
            (
                [1, 1, 2, 3, 1, 5],
                AffineMap {
                    base: 7,
                    strides: [0, 0, 60, 20, 5, 1],
                },
            ),
            (
                [1, 1, 1, 3, 4, 2],
                AffineMap {
                    base: 399,
                    strides: [0, 0, 0, -100, -10, -3],
                },
            ),
            (
                [1, 2, 1, 2, 3, 1],
                AffineMap {
                    base: 5,
                    strides: [0, 100, 0, 30, 2, 0],
                },
            ),
        ];
        for (dims, map) in cases {
            assert!(map_fits(&map, &dims, input.len()));
            let len: usize = dims.iter().product();
            let mut expected = vec![-1; len];
            gather(&input, dims, map, &mut expected, SplitRange::full(len)).unwrap();
            let got = crate::test_util::check_flat_split(len, -1, |r, out| {
                gather_runs(&input, dims, map, out, r).unwrap()
            });
            assert_eq!(got, expected, "{dims:?} {map:?}");
        }
    }

    #[test]
    fn broadcast_map_zeroes_expanded_axes() {
        let map = AffineMap::broadcast(&[1, 1, 1, 1, 3, 1], &[1, 1, 1, 2, 3, 4]);
        assert_eq!(map.strides, [0, 0, 0, 0, 1, 0]);
    }
}
