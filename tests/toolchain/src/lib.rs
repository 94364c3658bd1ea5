//! A small `no_std` library built for every buildable platform: proves each Rust toolchain
//! compiles `core` code with integer, slice and (where the target has them) atomic operations.
#![no_std]

/// Saturating dot product of two `i8` vectors, accumulated in `i32` like an INT8 kernel.
pub fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    a.iter().zip(b).fold(0i32, |acc, (&x, &y)| {
        acc.saturating_add(i32::from(x) * i32::from(y))
    })
}

#[cfg(test)]
mod tests {
    use super::dot_i8;

    #[test]
    fn dot_of_known_vectors() {
        assert_eq!(dot_i8(&[1, -2, 3], &[4, 5, -6]), 4 - 10 - 18);
    }

    #[test]
    fn dot_saturates_instead_of_wrapping() {
        let a = [-128i8; 1 << 17];
        assert_eq!(dot_i8(&a, &a), i32::MAX);
    }
}
