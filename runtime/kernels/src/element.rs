//! The quantized element types kernels are generic over.

/// An integer type used for quantized tensor data: `i8` and `i16` activations, and `i32`,
/// which TFLM's QUANTIZE converts to and from (int8/int16 <-> int32 requantization).
///
/// Sealed: only the types TFLM quantizes implement it.
pub trait QuantElement: Copy + Ord + private::Sealed {
    /// Smallest value, widened.
    const MIN: i32;
    /// Largest value, widened.
    const MAX: i32;
    /// Width in bits (TFLM's `sizeof(T) * 8`).
    const BITS: i32;
    /// The value widened to `i32`.
    fn widen(self) -> i32;
    /// `value` saturated to the type's range.
    fn saturate(value: i32) -> Self;
    /// `value`'s low bits (C++'s narrowing conversion, which wraps).
    fn wrap(value: i32) -> Self;
}

mod private {
    pub trait Sealed {}
    impl Sealed for i8 {}
    impl Sealed for i16 {}
    impl Sealed for i32 {}
}

macro_rules! impl_quant_element {
    ($t:ty) => {
        impl QuantElement for $t {
            const MIN: i32 = <$t>::MIN as i32;
            const MAX: i32 = <$t>::MAX as i32;
            const BITS: i32 = <$t>::BITS as i32;
            fn widen(self) -> i32 {
                i32::from(self)
            }
            fn saturate(value: i32) -> Self {
                // The clamp guarantees the narrowing cast is exact.
                value
                    .max(<Self as QuantElement>::MIN)
                    .min(<Self as QuantElement>::MAX) as $t
            }
            fn wrap(value: i32) -> Self {
                value as $t
            }
        }
    };
}

impl_quant_element!(i8);
impl_quant_element!(i16);
impl_quant_element!(i32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturate_clamps_to_type_range() {
        assert_eq!(i8::saturate(300), 127);
        assert_eq!(i8::saturate(-300), -128);
        assert_eq!(i8::saturate(-5), -5);
        assert_eq!(i16::saturate(40_000), 32_767);
        assert_eq!(i16::saturate(i32::MIN), -32_768);
        assert_eq!(i32::saturate(i32::MIN), i32::MIN);
    }
}
