//! Test helpers: the range-split equivalence property every kernel must satisfy.

use crate::split::{OutputTile, SplitRange};
use core::fmt::Debug;

const SENTINEL_PARTS: [usize; 4] = [1, 2, 3, 5];

/// Runs `run` over the whole flat range of a `len`-element output and over several
/// partitions of it (parts computed in reverse order), checking that each part writes
/// only inside its range and that the pieced output equals the whole one. Returns
/// the whole output.
pub fn check_flat_split<T: Copy + PartialEq + Debug>(
    len: usize,
    sentinel: T,
    run: impl Fn(SplitRange, &mut [T]),
) -> Vec<T> {
    let mut whole = vec![sentinel; len];
    run(SplitRange::full(len), &mut whole);
    for parts in SENTINEL_PARTS {
        let mut pieced = vec![sentinel; len];
        for index in (0..parts).rev() {
            let part = SplitRange::part(len, parts, index);
            let before = pieced.clone();
            run(part, &mut pieced);
            for i in 0..len {
                if !part.indices().contains(&i) {
                    assert_eq!(pieced[i], before[i], "part {part:?} wrote index {i}");
                }
            }
        }
        assert_eq!(pieced, whole, "{parts} parts differ from one");
    }
    whole
}

/// Like [`check_flat_split`] for kernels split by [`OutputTile`]: the output is
/// `rows x columns x channels` (columns are always owned whole, e.g. NHWC `W`), and
/// it is cut into a grid of row parts times channel parts.
pub fn check_tile_split<T: Copy + PartialEq + Debug>(
    rows: usize,
    columns: usize,
    channels: usize,
    sentinel: T,
    run: impl Fn(OutputTile, &mut [T]),
) -> Vec<T> {
    let len = rows * columns * channels;
    let mut whole = vec![sentinel; len];
    run(OutputTile::full(rows, channels), &mut whole);
    for row_parts in [1, 2, 3] {
        for channel_parts in [1, 2, 3] {
            let mut pieced = vec![sentinel; len];
            for r in (0..row_parts).rev() {
                for c in 0..channel_parts {
                    let tile = OutputTile {
                        rows: SplitRange::part(rows, row_parts, r),
                        channels: SplitRange::part(channels, channel_parts, c),
                    };
                    let before = pieced.clone();
                    run(tile, &mut pieced);
                    for i in 0..len {
                        let row = i / (columns * channels);
                        let channel = i % channels;
                        let inside = tile.rows.indices().contains(&row)
                            && tile.channels.indices().contains(&channel);
                        if !inside {
                            assert_eq!(pieced[i], before[i], "tile {tile:?} wrote index {i}");
                        }
                    }
                }
            }
            assert_eq!(pieced, whole, "{row_parts}x{channel_parts} tiles differ");
        }
    }
    whole
}

/// Deterministic pseudo-random `i8` data (xorshift), for split-property inputs.
pub fn pseudo_random_i8(len: usize, seed: u32) -> Vec<i8> {
    let mut state = seed.max(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8 as i8
        })
        .collect()
}

/// Row-major flat index of `coords` in a tensor of shape `dims`, written out
/// independently of the kernels' own index walking.
pub fn flat_index(coords: &[usize], dims: &[usize]) -> usize {
    assert_eq!(coords.len(), dims.len());
    coords.iter().zip(dims).fold(0, |acc, (&c, &d)| {
        assert!(c < d);
        acc * d + c
    })
}

/// Checks an in-place kernel (`run(part, data)`) against `expected`, the
/// out-of-place kernel's whole output for `input`: running it over the full
/// range, or over the parts of 1, 2, 3 or 5 near-equal parts (in reverse order)
/// gives `expected`, and no part changes an element outside itself.
pub fn check_in_place_split<T: Copy + PartialEq + Debug>(
    input: &[T],
    expected: &[T],
    run: impl Fn(SplitRange, &mut [T]),
) {
    let len = input.len();
    assert_eq!(expected.len(), len);
    let mut whole = input.to_vec();
    run(SplitRange::full(len), &mut whole);
    assert_eq!(whole, expected, "in place differs from out of place");
    for parts in SENTINEL_PARTS {
        let mut pieced = input.to_vec();
        for index in (0..parts).rev() {
            let part = SplitRange::part(len, parts, index);
            let before = pieced.clone();
            run(part, &mut pieced);
            for i in 0..len {
                if !part.indices().contains(&i) {
                    assert_eq!(pieced[i], before[i], "part {part:?} wrote index {i}");
                }
            }
        }
        assert_eq!(pieced, expected, "{parts} in-place parts differ");
    }
}
