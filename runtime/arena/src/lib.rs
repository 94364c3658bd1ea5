//! Typed views into the one byte arena a tinymlc-generated model runs in.
//!
//! The planner gives every activation tensor a byte [`Region`] of the arena, and
//! every core a scratch region for each layer whose kernel needs one. A layer
//! reads some regions and writes one; [`split_layer`] hands out the written
//! region and the core's scratch mutably and the rest of the arena shared, so
//! Rust's borrow rules prove the kernel's input, output and scratch slices
//! disjoint. A layer computed in place (its output overwrites an input that dies
//! there) gets that one region as its output. [`cast`] and [`cast_mut`]
//! reinterpret bytes as `i8`/`i16`/`i32`/`f32` after checking alignment and length.
//!
//! Several cores computing one layer together share the arena through
//! [`SharedArena`], whose `unsafe` split lends each core the output region and
//! its scratch, and reads only the bytes each input view covers.
//!
//! This crate holds the runtime's `unsafe` for memory: the two casts and the
//! shared views. The kernels forbid it; the generated model code uses it once,
//! to call [`SharedArena::split_layer`] with the compiler's schedule.
#![cfg_attr(not(test), no_std)]
#![deny(clippy::undocumented_unsafe_blocks)]

use core::mem::{align_of, size_of};

/// A byte range of the arena: `offset .. offset + len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// First byte.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
}

impl Region {
    /// The region `offset .. offset + len`.
    pub const fn new(offset: usize, len: usize) -> Self {
        Self { offset, len }
    }

    /// One past the last byte, or `None` if that overflows.
    pub const fn end(self) -> Option<usize> {
        self.offset.checked_add(self.len)
    }
}

/// Why a view could not be made. A correctly generated model never sees these;
/// they exist so that a corrupted plan fails instead of reading out of bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArenaError {
    /// The region extends past the end of the arena.
    OutOfBounds,
    /// An input region overlaps the region being written.
    Overlap,
    /// The bytes do not start at a multiple of the element's alignment.
    Misaligned,
    /// The byte length is not a multiple of the element size.
    PartialElement,
    /// An in-place layer's input region is not exactly its output region.
    NotInPlace,
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for u8 {}
    impl Sealed for i8 {}
    impl Sealed for i16 {}
    impl Sealed for i32 {}
    impl Sealed for f32 {}
    impl Sealed for u32 {}
    impl Sealed for u64 {}
}

/// Element types a byte region may be viewed as.
///
/// Sealed: implemented only for primitive types for which every bit pattern is a
/// valid value and which have no padding, which is what makes [`cast`] sound.
pub trait Element: sealed::Sealed + Copy + 'static {}
impl Element for u8 {}
impl Element for i8 {}
impl Element for i16 {}
impl Element for i32 {}
impl Element for f32 {}
impl Element for u32 {}
impl Element for u64 {}

fn check_layout<T: Element>(bytes: &[u8]) -> Result<usize, ArenaError> {
    if bytes.as_ptr().align_offset(align_of::<T>()) != 0 {
        return Err(ArenaError::Misaligned);
    }
    if bytes.len() % size_of::<T>() != 0 {
        return Err(ArenaError::PartialElement);
    }
    Ok(bytes.len() / size_of::<T>())
}

/// `bytes` viewed as elements of `T`.
pub fn cast<T: Element>(bytes: &[u8]) -> Result<&[T], ArenaError> {
    let len = check_layout::<T>(bytes)?;
    // SAFETY: `bytes` is valid for reads of `len * size_of::<T>()` bytes (its
    // whole length, checked above) for the returned lifetime, which is the
    // borrow of `bytes`; the pointer is aligned for `T` (checked above); `T` is
    // a sealed primitive for which every bit pattern is valid, so the
    // initialized bytes are valid `T`s; and the shared borrow keeps the memory
    // immutable for that lifetime.
    Ok(unsafe { core::slice::from_raw_parts(bytes.as_ptr().cast::<T>(), len) })
}

/// `bytes` viewed mutably as elements of `T`.
pub fn cast_mut<T: Element>(bytes: &mut [u8]) -> Result<&mut [T], ArenaError> {
    let len = check_layout::<T>(bytes)?;
    // SAFETY: as in `cast`; in addition the exclusive borrow of `bytes` moves into
    // the result, so no other reference can observe the memory while it lives,
    // and any `T` written is a valid byte pattern for `u8` afterwards.
    Ok(unsafe { core::slice::from_raw_parts_mut(bytes.as_mut_ptr().cast::<T>(), len) })
}

fn checked_range(region: Region, len: usize) -> Result<core::ops::Range<usize>, ArenaError> {
    match region.end() {
        Some(end) if end <= len => Ok(region.offset..end),
        _ => Err(ArenaError::OutOfBounds),
    }
}

/// `region` of `arena` viewed as `T`.
pub fn region<T: Element>(arena: &[u8], region: Region) -> Result<&[T], ArenaError> {
    cast(&arena[checked_range(region, arena.len())?])
}

/// `region` of `arena` viewed mutably as `T`.
pub fn region_mut<T: Element>(arena: &mut [u8], region: Region) -> Result<&mut [T], ArenaError> {
    let range = checked_range(region, arena.len())?;
    cast_mut(&mut arena[range])
}

/// Where one core's views of one layer lie in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerRegions {
    /// The layer's whole output (a core writes only its part of it).
    pub output: Region,
    /// The input the layer overwrites (an element-wise kernel's `*_in_place`
    /// variant), which must be exactly `output`; `None` for other layers.
    pub in_place: Option<Region>,
    /// This core's scratch for the layer's kernel; empty if the kernel takes none.
    pub scratch: Region,
}

impl LayerRegions {
    /// Checks the regions against an arena of `len` bytes: in bounds, `in_place`
    /// equal to `output`, and `scratch` disjoint from `output`. An empty scratch
    /// is moved to the end of `output`, so it never overlaps anything.
    fn checked(self, len: usize) -> Result<Self, ArenaError> {
        if self
            .in_place
            .is_some_and(|in_place| in_place != self.output)
        {
            return Err(ArenaError::NotInPlace);
        }
        let output = checked_range(self.output, len)?;
        if self.scratch.len == 0 {
            return Ok(Self {
                scratch: Region::new(output.end, 0),
                ..self
            });
        }
        let scratch = checked_range(self.scratch, len)?;
        if scratch.start < output.end && output.start < scratch.end {
            return Err(ArenaError::Overlap);
        }
        Ok(self)
    }
}

/// One core's views of one layer: what it reads, writes and computes in.
#[derive(Debug)]
pub struct LayerViews<'a> {
    /// The arena outside `output` and `scratch`, for reading the layer's inputs.
    pub inputs: Inputs<'a>,
    /// The layer's output region (for an in-place layer, also its input).
    pub output: &'a mut [u8],
    /// The core's scratch region.
    pub scratch: &'a mut [u8],
}

/// The arena outside the regions a layer writes, for reading the layer's inputs.
#[derive(Debug)]
pub struct Inputs<'a> {
    source: Source<'a>,
    /// The output and scratch regions, which reads must not overlap.
    lent: [Region; 2],
}

#[derive(Debug)]
enum Source<'a> {
    /// One core: the arena before, between and after the lent regions, borrowed
    /// shared, each with the offset of its first byte.
    Split([(usize, &'a [u8]); 3]),
    /// Several cores ([`SharedArena`]): each read borrows exactly the bytes it reads.
    Shared(&'a SharedArena<'a>),
}

/// Splits `arena` into the mutable output and scratch regions of a layer and
/// the rest, shared, from which the layer's inputs are read; Rust's borrow rules
/// then prove the kernel's slices disjoint. For an in-place layer the output
/// region is lent mutably as the kernel's input-and-output `data`; every other
/// input comes from the returned [`Inputs`], which refuses anything overlapping it.
pub fn split_layer(arena: &mut [u8], regions: LayerRegions) -> Result<LayerViews<'_>, ArenaError> {
    let LayerRegions {
        output, scratch, ..
    } = regions.checked(arena.len())?;
    let scratch_first = scratch.offset < output.offset;
    let (low, high) = if scratch_first {
        (scratch, output)
    } else {
        (output, scratch)
    };
    // Both regions were checked in bounds and disjoint, so `low` ends before `high` starts;
    // the checked splits restate it where the optimizer can see it (no panic path).
    let gap = high
        .offset
        .checked_sub(low.offset + low.len)
        .ok_or(ArenaError::Overlap)?;
    let (before, rest) = arena
        .split_at_mut_checked(low.offset)
        .ok_or(ArenaError::OutOfBounds)?;
    let (low_bytes, rest) = rest
        .split_at_mut_checked(low.len)
        .ok_or(ArenaError::OutOfBounds)?;
    let (between, rest) = rest
        .split_at_mut_checked(gap)
        .ok_or(ArenaError::OutOfBounds)?;
    let (high_bytes, after) = rest
        .split_at_mut_checked(high.len)
        .ok_or(ArenaError::OutOfBounds)?;
    let (output_bytes, scratch_bytes) = if scratch_first {
        (high_bytes, low_bytes)
    } else {
        (low_bytes, high_bytes)
    };
    Ok(LayerViews {
        inputs: Inputs {
            source: Source::Split([
                (0, before),
                (low.offset + low.len, between),
                (high.offset + high.len, after),
            ]),
            lent: [output, scratch],
        },
        output: output_bytes,
        scratch: scratch_bytes,
    })
}

/// One arena shared by several cores that run a layer together, each writing its
/// own part of the layer's output ([`SharedArena::split_layer`]).
#[derive(Debug)]
pub struct SharedArena<'a> {
    base: *mut u8,
    len: usize,
    _arena: core::marker::PhantomData<&'a mut [u8]>,
}

// SAFETY: a `SharedArena` is a `&mut [u8]` handed to several cores; it hands out
// views only through `split_layer`, whose callers promise that the cores' views
// never conflict (see there), so sharing and sending it between cores is sound.
unsafe impl Send for SharedArena<'_> {}
// SAFETY: as for `Send`.
unsafe impl Sync for SharedArena<'_> {}

impl<'a> SharedArena<'a> {
    /// Shares `arena` for as long as the result lives.
    pub fn new(arena: &'a mut [u8]) -> Self {
        Self {
            base: arena.as_mut_ptr(),
            len: arena.len(),
            _arena: core::marker::PhantomData,
        }
    }

    /// [`split_layer`] on one of several cores computing the same layer: the
    /// whole output region (the kernel writes only its part of it) and this
    /// core's scratch mutably, the rest of the arena for reading inputs, each
    /// read borrowing only its bytes.
    ///
    /// # Safety
    ///
    /// While the returned views live, no other core may write a byte this core
    /// reads through them, nor read or write a byte this core writes through
    /// them. tinymlc's schedules guarantee it: within a step the cores' parts of
    /// the output are disjoint and the kernels write only their part; each core
    /// has its own scratch region; inputs were written in earlier steps, and a
    /// barrier separates the steps.
    // Lending `&mut` from `&self` is the point: the contract above makes it sound.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn split_layer(&self, regions: LayerRegions) -> Result<LayerViews<'_>, ArenaError> {
        let LayerRegions {
            output, scratch, ..
        } = regions.checked(self.len)?;
        // SAFETY: both regions lie within the arena `self` borrows mutably for
        // `'a` and are disjoint (checked above); that no other core accesses the
        // bytes this core writes meanwhile is this function's contract.
        let (output_bytes, scratch_bytes) = unsafe {
            (
                core::slice::from_raw_parts_mut(self.base.add(output.offset), output.len),
                core::slice::from_raw_parts_mut(self.base.add(scratch.offset), scratch.len),
            )
        };
        Ok(LayerViews {
            inputs: Inputs {
                source: Source::Shared(self),
                lent: [output, scratch],
            },
            output: output_bytes,
            scratch: scratch_bytes,
        })
    }
}

impl<'a> Inputs<'a> {
    /// `region` viewed as `T`; an error if it overlaps the output or scratch region.
    pub fn get<T: Element>(&self, region: Region) -> Result<&'a [T], ArenaError> {
        let end = region.end().ok_or(ArenaError::OutOfBounds)?;
        if end > self.arena_len() {
            return Err(ArenaError::OutOfBounds);
        }
        if region.len == 0 {
            return Ok(&[]);
        }
        // The lent regions' ends cannot overflow: `LayerRegions::checked` bounded them.
        if self
            .lent
            .iter()
            .any(|lent| region.offset < lent.offset + lent.len && lent.offset < end)
        {
            return Err(ArenaError::Overlap);
        }
        match self.source {
            Source::Split(pieces) => pieces
                .iter()
                .find(|(start, bytes)| *start <= region.offset && end <= start + bytes.len())
                .and_then(|(start, bytes)| bytes.get(region.offset - start..end - start))
                .map_or(Err(ArenaError::OutOfBounds), cast),
            Source::Shared(shared) => {
                // SAFETY: `region` lies within the arena (checked above), which
                // `shared` borrows mutably for `'a`, and outside the regions the
                // views of this split lend mutably. That `split_layer`'s caller
                // keeps other cores from writing these bytes while the view lives
                // is the contract of `SharedArena::split_layer`.
                let bytes = unsafe {
                    core::slice::from_raw_parts(shared.base.add(region.offset), region.len)
                };
                cast(bytes)
            }
        }
    }

    fn arena_len(&self) -> usize {
        match self.source {
            Source::Split(pieces) => {
                let (start, last) = pieces[2];
                start + last.len()
            }
            Source::Shared(shared) => shared.len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(C, align(16))]
    struct Aligned([u8; 64]);

    fn layer(output: Region, scratch: Region) -> LayerRegions {
        LayerRegions {
            output,
            in_place: None,
            scratch,
        }
    }

    fn numbered() -> Aligned {
        let mut arena = Aligned([0; 64]);
        for (i, byte) in arena.0.iter_mut().enumerate() {
            *byte = i as u8;
        }
        arena
    }

    #[test]
    fn output_and_inputs_are_disjoint() {
        let mut arena = numbered();
        let views =
            split_layer(&mut arena.0, layer(Region::new(16, 16), Region::new(0, 0))).unwrap();
        let below = views.inputs.get::<u8>(Region::new(0, 16)).unwrap();
        let above = views.inputs.get::<u8>(Region::new(32, 8)).unwrap();
        views.output.fill(0xAA);
        assert!(views.scratch.is_empty());
        assert_eq!(below[15], 15);
        assert_eq!(above[0], 32);
        for overlapping in [Region::new(8, 9), Region::new(31, 4), Region::new(20, 4)] {
            assert_eq!(
                views.inputs.get::<u8>(overlapping),
                Err(ArenaError::Overlap)
            );
        }
        assert_eq!(arena.0[16], 0xAA);
        assert_eq!(arena.0[32], 32);
    }

    #[test]
    fn scratch_is_lent_apart_from_output_and_inputs() {
        for (output, scratch) in [
            (Region::new(16, 16), Region::new(48, 8)),
            (Region::new(40, 16), Region::new(8, 16)),
            (Region::new(0, 16), Region::new(16, 16)),
        ] {
            let mut arena = numbered();
            let views = split_layer(&mut arena.0, layer(output, scratch)).unwrap();
            assert_eq!(views.output[0] as usize, output.offset);
            assert_eq!(views.scratch[0] as usize, scratch.offset);
            assert_eq!(views.scratch.len(), scratch.len);
            views.scratch.fill(0xEE);
            assert_eq!(views.inputs.get::<u8>(scratch), Err(ArenaError::Overlap));
            assert_eq!(views.inputs.get::<u8>(output), Err(ArenaError::Overlap));
            // Every byte outside both lent regions can be read, from any piece.
            for offset in 0..64 {
                let byte = Region::new(offset, 1);
                let lent = [output, scratch]
                    .iter()
                    .any(|r| (r.offset..r.offset + r.len).contains(&offset));
                match views.inputs.get::<u8>(byte) {
                    Ok(value) => assert!(!lent && value[0] as usize == offset),
                    Err(error) => assert!(lent && error == ArenaError::Overlap),
                }
            }
            assert_eq!(arena.0[scratch.offset], 0xEE);
        }
        let mut arena = numbered();
        assert_eq!(
            split_layer(
                &mut arena.0,
                layer(Region::new(16, 16), Region::new(24, 16))
            )
            .unwrap_err(),
            ArenaError::Overlap
        );
        assert_eq!(
            split_layer(&mut arena.0, layer(Region::new(16, 16), Region::new(60, 8))).unwrap_err(),
            ArenaError::OutOfBounds
        );
    }

    #[test]
    fn regions_past_the_end_are_rejected() {
        let mut arena = Aligned([0; 64]);
        let none = Region::new(0, 0);
        for output in [Region::new(60, 8), Region::new(usize::MAX, 2)] {
            assert_eq!(
                split_layer(&mut arena.0, layer(output, none)).unwrap_err(),
                ArenaError::OutOfBounds
            );
        }
        let views = split_layer(&mut arena.0, layer(Region::new(0, 16), none)).unwrap();
        for past_end in [Region::new(60, 8), Region::new(usize::MAX, 1)] {
            assert_eq!(
                views.inputs.get::<u8>(past_end),
                Err(ArenaError::OutOfBounds)
            );
        }
        assert_eq!(
            region::<i8>(&arena.0, Region::new(63, 2)),
            Err(ArenaError::OutOfBounds)
        );
    }

    #[test]
    fn typed_views_check_alignment_and_length() {
        let mut arena = Aligned([0; 64]);
        assert_eq!(
            region::<f32>(&arena.0, Region::new(2, 8)),
            Err(ArenaError::Misaligned)
        );
        assert_eq!(
            region::<i32>(&arena.0, Region::new(4, 6)),
            Err(ArenaError::PartialElement)
        );
        assert_eq!(region::<i16>(&arena.0, Region::new(2, 4)).unwrap().len(), 2);
        let floats = region_mut::<f32>(&mut arena.0, Region::new(16, 8)).unwrap();
        floats[1] = 1.5;
        assert_eq!(&arena.0[20..24], &1.5f32.to_ne_bytes());
        assert_eq!(
            region::<f32>(&arena.0, Region::new(16, 8)).unwrap(),
            &[0.0, 1.5]
        );
    }

    #[test]
    fn int8_views_reinterpret_bytes() {
        let bytes = [0x80u8, 0xFF, 0x7F];
        assert_eq!(cast::<i8>(&bytes).unwrap(), &[-128, -1, 127]);
    }

    #[test]
    fn empty_regions_are_fine_anywhere_in_bounds() {
        let mut arena = Aligned([0; 64]);
        let views =
            split_layer(&mut arena.0, layer(Region::new(16, 16), Region::new(48, 0))).unwrap();
        assert!(views.output.len() == 16);
        assert_eq!(views.inputs.get::<i8>(Region::new(20, 0)).unwrap().len(), 0);
        assert_eq!(views.inputs.get::<i8>(Region::new(64, 0)).unwrap().len(), 0);
    }

    #[test]
    fn cores_write_their_parts_of_a_shared_output() {
        let mut arena = numbered();
        let output = Region::new(32, 32);
        let shared = SharedArena::new(&mut arena.0);
        std::thread::scope(|scope| {
            for core in 0..4 {
                let shared = &shared;
                scope.spawn(move || {
                    // SAFETY: every thread writes only its 8 bytes of the output
                    // and its own 4 bytes of scratch, and reads only bytes outside
                    // both, which nobody writes.
                    let views =
                        unsafe { shared.split_layer(layer(output, Region::new(16 + core * 4, 4))) }
                            .unwrap();
                    let input = views.inputs.get::<u8>(Region::new(core * 4, 4)).unwrap();
                    views.scratch.copy_from_slice(input);
                    for i in 0..8 {
                        views.output[core * 8 + i] = views.scratch[i / 2].wrapping_mul(2);
                    }
                    assert_eq!(
                        views.inputs.get::<u8>(Region::new(30, 4)),
                        Err(ArenaError::Overlap)
                    );
                });
            }
        });
        let doubled: Vec<u8> = (0..32).map(|i| i / 2 * 2).collect();
        assert_eq!(&arena.0[32..], doubled.as_slice());
        let shared = SharedArena::new(&mut arena.0);
        let refused = LayerRegions {
            in_place: Some(Region::new(0, 32)),
            ..layer(output, Region::new(0, 0))
        };
        // SAFETY: one thread.
        let refused = unsafe { shared.split_layer(refused) };
        assert_eq!(refused.unwrap_err(), ArenaError::NotInPlace);
        for (regions, error) in [
            (
                layer(Region::new(60, 8), Region::new(0, 0)),
                ArenaError::OutOfBounds,
            ),
            (
                layer(Region::new(0, 8), Region::new(60, 8)),
                ArenaError::OutOfBounds,
            ),
            (
                layer(Region::new(0, 8), Region::new(4, 8)),
                ArenaError::Overlap,
            ),
        ] {
            // SAFETY: one thread.
            assert_eq!(unsafe { shared.split_layer(regions) }.unwrap_err(), error);
        }
        // SAFETY: one thread.
        let views =
            unsafe { shared.split_layer(layer(Region::new(0, 8), Region::new(8, 8))) }.unwrap();
        assert_eq!(
            views.inputs.get::<u8>(Region::new(60, 8)),
            Err(ArenaError::OutOfBounds)
        );
        assert_eq!(
            views.inputs.get::<u8>(Region::new(12, 8)),
            Err(ArenaError::Overlap)
        );
    }

    #[test]
    fn in_place_lends_the_shared_region_mutably() {
        let mut arena = numbered();
        let region = Region::new(16, 16);
        let in_place = |shared: Region| LayerRegions {
            in_place: Some(shared),
            ..layer(region, Region::new(48, 8))
        };
        let views = split_layer(&mut arena.0, in_place(region)).unwrap();
        assert_eq!(views.output[0], 16);
        for byte in views.output.iter_mut() {
            *byte = byte.wrapping_mul(2);
        }
        assert_eq!(
            views.inputs.get::<u8>(Region::new(32, 4)).unwrap(),
            &[32, 33, 34, 35]
        );
        assert_eq!(views.inputs.get::<u8>(region), Err(ArenaError::Overlap));
        assert_eq!(arena.0[17], 34);
        for other in [Region::new(16, 8), Region::new(32, 16)] {
            assert_eq!(
                split_layer(&mut arena.0, in_place(other)).unwrap_err(),
                ArenaError::NotInPlace
            );
        }
        let past_end = Region::new(60, 8);
        let regions = LayerRegions {
            in_place: Some(past_end),
            ..layer(past_end, Region::new(0, 0))
        };
        assert_eq!(
            split_layer(&mut arena.0, regions).unwrap_err(),
            ArenaError::OutOfBounds
        );
    }
}
