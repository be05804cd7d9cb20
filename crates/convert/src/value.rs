//! Value dtypes: moved, never inspected, except when summing duplicates or dropping zeros.

use half::{bf16, f16};

/// A value type that conversions move. Every binsparse value dtype qualifies; `Zeroable` lets
/// outputs be allocated zeroed (lazily, by the OS) instead of filled.
pub trait Value: Copy + Send + Sync + bytemuck::Zeroable + 'static {}
impl<T: Copy + Send + Sync + bytemuck::Zeroable + 'static> Value for T {}

/// Values that can be summed (duplicate policy [`Sum`](crate::DuplicatePolicy::Sum)) and
/// compared (dense → sparse drops the entries equal to the fill value, zero when none).
///
/// | dtype | sum | zero | equal |
/// |---|---|---|---|
/// | integers | wrapping `+` | `== 0` | `==` |
/// | `f32`, `f64`, `f16`, `bf16` | `+` | `== 0.0` (so `-0.0` is zero; NaN is not) | IEEE `==` (NaN equals nothing) |
/// | `complex[float32/64]` as `[f32; 2]`/`[f64; 2]` | componentwise `+` | both parts zero | both parts `==` |
/// | [`Bint8`] | logical OR | `0` | same truth value |
pub trait Summable: Value {
    /// `*self += other`.
    fn sum_assign(&mut self, other: Self);
    /// Whether the value is zero (an implicit entry in sparse formats).
    fn is_zero(&self) -> bool;
    /// Whether the value equals `other` as a value of its dtype (see the table above).
    fn same_value(&self, other: &Self) -> bool;
}

/// binsparse `bint8`: a byte read as Boolean (0 false, anything else true). Summing is logical OR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, bytemuck::Zeroable, bytemuck::Pod)]
#[repr(transparent)]
pub struct Bint8(pub u8);

impl Summable for Bint8 {
    #[inline]
    fn sum_assign(&mut self, other: Self) {
        self.0 = u8::from(self.0 != 0 || other.0 != 0);
    }
    #[inline]
    fn is_zero(&self) -> bool {
        self.0 == 0
    }
    #[inline]
    fn same_value(&self, other: &Self) -> bool {
        (self.0 != 0) == (other.0 != 0)
    }
}

macro_rules! impl_int {
    ($($t:ty),*) => {$(
        impl Summable for $t {
            #[inline]
            fn sum_assign(&mut self, other: Self) {
                *self = self.wrapping_add(other);
            }
            #[inline]
            fn is_zero(&self) -> bool {
                *self == 0
            }
            #[inline]
            fn same_value(&self, other: &Self) -> bool {
                self == other
            }
        }
    )*};
}
impl_int!(u8, u16, u32, u64, i8, i16, i32, i64);

macro_rules! impl_float {
    ($($t:ty => $zero:expr),*) => {$(
        impl Summable for $t {
            #[inline]
            fn sum_assign(&mut self, other: Self) {
                *self += other;
            }
            #[inline]
            fn is_zero(&self) -> bool {
                *self == $zero
            }
            #[inline]
            fn same_value(&self, other: &Self) -> bool {
                self == other
            }
        }
        impl Summable for [$t; 2] {
            #[inline]
            fn sum_assign(&mut self, other: Self) {
                self[0] += other[0];
                self[1] += other[1];
            }
            #[inline]
            fn is_zero(&self) -> bool {
                self[0] == $zero && self[1] == $zero
            }
            #[inline]
            fn same_value(&self, other: &Self) -> bool {
                self[0] == other[0] && self[1] == other[1]
            }
        }
    )*};
}
impl_float!(f32 => 0.0, f64 => 0.0, f16 => f16::ZERO, bf16 => bf16::ZERO);
