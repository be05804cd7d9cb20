//! Index dtypes: a sealed trait over the integer types binsparse allows.

use std::fmt::{Debug, Display};

use crate::error::{ConvertError, Result};

mod sealed {
    /// Seals [`super::Index`]: only the binsparse integer types implement it.
    pub trait Sealed {}
}

/// An index or pointer dtype: `u8`..`u64` and `i8`..`i64` (binsparse `uint8`..`int64`).
///
/// Conversions to and from `usize` are checked; negative values never convert.
pub trait Index:
    sealed::Sealed + Copy + Send + Sync + Ord + Debug + Display + bytemuck::Zeroable + 'static
{
    /// The binsparse type string, e.g. `"int32"`.
    const DTYPE: &'static str;
    /// The value as `usize`, or `None` when it is negative or too large.
    fn to_usize(self) -> Option<usize>;
    /// `v` as this type, or `None` when it does not fit.
    fn from_usize(v: usize) -> Option<Self>;
    /// `v` as this type by an `as` cast. Callers check first that `v <= Self::max_usize()`.
    fn from_usize_unchecked(v: usize) -> Self;
    /// The largest value of this type, saturated to `usize`.
    fn max_usize() -> usize;
    /// The value widened for error messages.
    fn to_i128(self) -> i128;
    /// `v` as this type, or `None` when it does not fit.
    fn from_i64(v: i64) -> Option<Self>;
}

macro_rules! impl_index {
    ($($t:ty => $name:literal),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        impl Index for $t {
            const DTYPE: &'static str = $name;
            #[inline(always)]
            fn to_usize(self) -> Option<usize> {
                usize::try_from(self).ok()
            }
            #[inline(always)]
            fn from_usize(v: usize) -> Option<Self> {
                <$t>::try_from(v).ok()
            }
            #[inline(always)]
            #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
            fn from_usize_unchecked(v: usize) -> Self {
                v as $t
            }
            #[inline]
            fn max_usize() -> usize {
                usize::try_from(<$t>::MAX).unwrap_or(usize::MAX)
            }
            #[inline]
            fn to_i128(self) -> i128 {
                i128::from(self)
            }
            #[inline]
            fn from_i64(v: i64) -> Option<Self> {
                <$t>::try_from(v).ok()
            }
        }
    )*};
}

impl_index!(
    u8 => "uint8", u16 => "uint16", u32 => "uint32", u64 => "uint64",
    i8 => "int8", i16 => "int16", i32 => "int32", i64 => "int64",
);

/// The error for an index that is negative or not below `bound`.
#[cold]
pub(crate) fn index_error<I: Index>(
    v: I,
    array: &'static str,
    position: usize,
    bound: usize,
) -> ConvertError {
    let value = v.to_i128();
    if value < 0 {
        ConvertError::NegativeIndex {
            array,
            position,
            value,
        }
    } else {
        ConvertError::IndexOutOfBounds {
            array,
            position,
            value,
            bound,
        }
    }
}

/// Checks that every value in `0..=max` fits `T`; `what` names the quantity.
pub(crate) fn check_fits<T: Index>(max: usize, what: &'static str) -> Result<()> {
    if max <= T::max_usize() {
        Ok(())
    } else {
        Err(ConvertError::DoesNotFit {
            array: what,
            position: 0,
            value: i128::try_from(max).unwrap_or(i128::MAX),
            dtype: T::DTYPE,
        })
    }
}
