//! Typed views into the one byte arena a tinymlc-generated model runs in.
//!
//! The planner gives every activation tensor a byte [`Region`] of the arena. A
//! layer reads some regions and writes one; [`split_output`] hands out the
//! written region mutably and the rest of the arena shared, so Rust's borrow
//! rules prove the kernel's input and output slices are disjoint. A layer
//! computed in place (its output overwrites an input that dies there) uses
//! [`split_in_place`], which lends that one shared region mutably. [`cast`] and
//! [`cast_mut`] reinterpret bytes as `i8`/`i16`/`i32`/`f32` after checking
//! alignment and length.
//!
//! Several cores computing one layer together share the arena through
//! [`SharedArena`], whose `unsafe` split lends each core the output region and
//! reads only the bytes each input view covers.
//!
//! This crate holds the runtime's `unsafe` for memory: the two casts and the
//! shared views. The kernels forbid it; the generated model code uses it once,
//! to call [`SharedArena::split_output`] with the compiler's schedule.
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

/// The arena outside one layer's output region, for reading the layer's inputs.
#[derive(Debug)]
pub struct Inputs<'a> {
    source: Source<'a>,
    output: Region,
}

#[derive(Debug)]
enum Source<'a> {
    /// One core: the arena before and after the output region, borrowed shared.
    Split { before: &'a [u8], after: &'a [u8] },
    /// Several cores ([`SharedArena`]): each read borrows exactly the bytes it reads.
    Shared(&'a SharedArena<'a>),
}

/// Splits `arena` into the mutable `output` region and the rest, shared.
pub fn split_output(
    arena: &mut [u8],
    output: Region,
) -> Result<(Inputs<'_>, &mut [u8]), ArenaError> {
    let range = checked_range(output, arena.len())?;
    let (before, rest) = arena.split_at_mut(range.start);
    let (written, after) = rest.split_at_mut(output.len);
    Ok((
        Inputs {
            source: Source::Split { before, after },
            output,
        },
        written,
    ))
}

/// [`split_output`] for a layer that writes its output over one of its inputs
/// (an element-wise kernel's `*_in_place` variant): `in_place` must be exactly
/// the `output` region. The shared region is lent mutably, as the kernel's
/// input-and-output `data`; every other input comes from the returned
/// [`Inputs`], which still refuses anything overlapping it.
pub fn split_in_place(
    arena: &mut [u8],
    output: Region,
    in_place: Region,
) -> Result<(Inputs<'_>, &mut [u8]), ArenaError> {
    if in_place != output {
        return Err(ArenaError::NotInPlace);
    }
    split_output(arena, output)
}

/// One arena shared by several cores that run a layer together, each writing its
/// own part of the layer's output ([`SharedArena::split_output`]).
#[derive(Debug)]
pub struct SharedArena<'a> {
    base: *mut u8,
    len: usize,
    _arena: core::marker::PhantomData<&'a mut [u8]>,
}

// SAFETY: a `SharedArena` is a `&mut [u8]` handed to several cores; it hands out
// views only through `split_output`, whose callers promise that the cores' views
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

    /// [`split_output`] on one of several cores computing the same layer: the
    /// whole `output` region mutably (the kernel writes only its part of it), the
    /// rest of the arena for reading inputs, each read borrowing only its bytes.
    ///
    /// # Safety
    ///
    /// While the returned views live, no other core may write a byte this core
    /// reads through them, nor read or write a byte this core writes through
    /// them. tinymlc's schedules guarantee it: within a step the cores' parts of
    /// the output are disjoint and the kernels write only their part; inputs were
    /// written in earlier steps, and a barrier separates the steps.
    // Lending `&mut` from `&self` is the point: the contract above makes it sound.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn split_output(
        &self,
        output: Region,
    ) -> Result<(Inputs<'_>, &mut [u8]), ArenaError> {
        let range = checked_range(output, self.len)?;
        // SAFETY: `range` lies within the arena `self` borrows mutably for `'a`;
        // that no other core accesses the bytes this core writes meanwhile is
        // this function's contract.
        let written =
            unsafe { core::slice::from_raw_parts_mut(self.base.add(range.start), output.len) };
        Ok((
            Inputs {
                source: Source::Shared(self),
                output,
            },
            written,
        ))
    }

    /// [`split_in_place`] for one of several cores: `in_place` must be `output`.
    ///
    /// # Safety
    ///
    /// As for [`SharedArena::split_output`].
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn split_in_place(
        &self,
        output: Region,
        in_place: Region,
    ) -> Result<(Inputs<'_>, &mut [u8]), ArenaError> {
        if in_place != output {
            return Err(ArenaError::NotInPlace);
        }
        // SAFETY: the caller keeps this function's contract, which is `split_output`'s.
        unsafe { self.split_output(output) }
    }
}

impl<'a> Inputs<'a> {
    /// `region` viewed as `T`; an error if it overlaps the output region.
    pub fn get<T: Element>(&self, region: Region) -> Result<&'a [T], ArenaError> {
        let end = region.end().ok_or(ArenaError::OutOfBounds)?;
        // `output.end()` cannot overflow: `split_output` checked it.
        let output_end = self.output.offset + self.output.len;
        let outside = end <= self.output.offset || region.offset >= output_end;
        if !outside {
            if region.len == 0 && end <= output_end {
                return Ok(&[]);
            }
            return Err(ArenaError::Overlap);
        }
        match self.source {
            Source::Split { before, .. } if end <= self.output.offset => {
                cast(&before[region.offset..end])
            }
            Source::Split { after, .. } => {
                let start = region.offset - output_end;
                self::region(after, Region::new(start, region.len))
            }
            Source::Shared(shared) => {
                checked_range(region, shared.len)?;
                // SAFETY: `region` lies within the arena (checked above), which
                // `shared` borrows mutably for `'a`, and outside the output region
                // the views of this split lend mutably. That `split_output`'s caller
                // keeps other cores from writing these bytes while the view lives
                // is the contract of `SharedArena::split_output`.
                let bytes = unsafe {
                    core::slice::from_raw_parts(shared.base.add(region.offset), region.len)
                };
                cast(bytes)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(C, align(16))]
    struct Aligned([u8; 64]);

    #[test]
    fn output_and_inputs_are_disjoint() {
        let mut arena = Aligned([0; 64]);
        for (i, byte) in arena.0.iter_mut().enumerate() {
            *byte = i as u8;
        }
        let (inputs, output) = split_output(&mut arena.0, Region::new(16, 16)).unwrap();
        let below = inputs.get::<u8>(Region::new(0, 16)).unwrap();
        let above = inputs.get::<u8>(Region::new(32, 8)).unwrap();
        output.fill(0xAA);
        assert_eq!(below[15], 15);
        assert_eq!(above[0], 32);
        assert_eq!(
            inputs.get::<u8>(Region::new(8, 9)),
            Err(ArenaError::Overlap)
        );
        assert_eq!(
            inputs.get::<u8>(Region::new(31, 4)),
            Err(ArenaError::Overlap)
        );
        assert_eq!(
            inputs.get::<u8>(Region::new(20, 4)),
            Err(ArenaError::Overlap)
        );
        assert_eq!(arena.0[16], 0xAA);
        assert_eq!(arena.0[32], 32);
    }

    #[test]
    fn regions_past_the_end_are_rejected() {
        let mut arena = Aligned([0; 64]);
        assert_eq!(
            split_output(&mut arena.0, Region::new(60, 8)).unwrap_err(),
            ArenaError::OutOfBounds
        );
        assert_eq!(
            split_output(&mut arena.0, Region::new(usize::MAX, 2)).unwrap_err(),
            ArenaError::OutOfBounds
        );
        let (inputs, _) = split_output(&mut arena.0, Region::new(0, 16)).unwrap();
        assert_eq!(
            inputs.get::<u8>(Region::new(60, 8)),
            Err(ArenaError::OutOfBounds)
        );
        assert_eq!(
            inputs.get::<u8>(Region::new(usize::MAX, 1)),
            Err(ArenaError::OutOfBounds)
        );
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
        let (inputs, output) = split_output(&mut arena.0, Region::new(16, 16)).unwrap();
        assert!(output.len() == 16);
        assert_eq!(inputs.get::<i8>(Region::new(20, 0)).unwrap().len(), 0);
    }

    #[test]
    fn cores_write_their_parts_of_a_shared_output() {
        let mut arena = Aligned([0; 64]);
        for (i, byte) in arena.0.iter_mut().enumerate() {
            *byte = i as u8;
        }
        let output = Region::new(32, 32);
        let shared = SharedArena::new(&mut arena.0);
        std::thread::scope(|scope| {
            for core in 0..4 {
                let shared = &shared;
                scope.spawn(move || {
                    // SAFETY: every thread writes only its 8 bytes of the output
                    // and reads only bytes outside it, which nobody writes.
                    let (inputs, out) = unsafe { shared.split_output(output) }.unwrap();
                    let input = inputs.get::<u8>(Region::new(core * 8, 8)).unwrap();
                    for i in 0..8 {
                        out[core * 8 + i] = input[i].wrapping_mul(2);
                    }
                    assert_eq!(
                        inputs.get::<u8>(Region::new(30, 4)),
                        Err(ArenaError::Overlap)
                    );
                });
            }
        });
        let doubled: Vec<u8> = (0..32).map(|i| i * 2).collect();
        assert_eq!(&arena.0[32..], doubled.as_slice());
        let shared = SharedArena::new(&mut arena.0);
        // SAFETY: one thread.
        let refused = unsafe { shared.split_in_place(output, Region::new(0, 32)) };
        assert_eq!(refused.unwrap_err(), ArenaError::NotInPlace);
        // SAFETY: one thread.
        let past_end = unsafe { shared.split_output(Region::new(60, 8)) };
        assert_eq!(past_end.unwrap_err(), ArenaError::OutOfBounds);
        // SAFETY: one thread.
        let (inputs, _) = unsafe { shared.split_output(Region::new(0, 8)) }.unwrap();
        assert_eq!(
            inputs.get::<u8>(Region::new(60, 8)),
            Err(ArenaError::OutOfBounds)
        );
    }

    #[test]
    fn in_place_lends_the_shared_region_mutably() {
        let mut arena = Aligned([0; 64]);
        for (i, byte) in arena.0.iter_mut().enumerate() {
            *byte = i as u8;
        }
        let region = Region::new(16, 16);
        let (inputs, data) = split_in_place(&mut arena.0, region, region).unwrap();
        assert_eq!(data[0], 16);
        for byte in data.iter_mut() {
            *byte = byte.wrapping_mul(2);
        }
        assert_eq!(
            inputs.get::<u8>(Region::new(32, 4)).unwrap(),
            &[32, 33, 34, 35]
        );
        assert_eq!(inputs.get::<u8>(region), Err(ArenaError::Overlap));
        assert_eq!(arena.0[17], 34);
        assert_eq!(
            split_in_place(&mut arena.0, region, Region::new(16, 8)).unwrap_err(),
            ArenaError::NotInPlace
        );
        assert_eq!(
            split_in_place(&mut arena.0, region, Region::new(32, 16)).unwrap_err(),
            ArenaError::NotInPlace
        );
        assert_eq!(
            split_in_place(&mut arena.0, Region::new(60, 8), Region::new(60, 8)).unwrap_err(),
            ArenaError::OutOfBounds
        );
    }
}
