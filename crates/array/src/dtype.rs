//! The mapping between binsparse type strings and buffer dtypes.
//!
//! | binsparse | in-memory [`DType`] | also accepted on import |
//! |---|---|---|
//! | `uintN` / `intN` | `UN` / `IN` | — |
//! | `float32` / `float64` | `F32` / `F64` | — |
//! | `bint8` | `U8` | `Bool` (viewed as `U8`, zero-copy) |
//! | `complex[float32]` | `Complex64` (one element per complex value) | `F32` of twice the length (the spec's interleaved layout, viewed zero-copy) |
//! | `complex[float64]` | `Complex128` | `F64` of twice the length |
//! | `float16` / `bfloat16` (extension) | `F16` / `BF16` | — |
//!
//! `iso[T]` maps like `T`; the array then has one element.

use sparsebridge_buffer::{Buffer, DType};
use sparsebridge_descriptor::{DataType, ScalarType};

use crate::error::ArrayError;

/// The canonical in-memory dtype of a binsparse scalar type.
pub fn dtype_of(scalar: ScalarType) -> Option<DType> {
    Some(match scalar {
        ScalarType::UInt8 | ScalarType::Bint8 => DType::U8,
        ScalarType::UInt16 => DType::U16,
        ScalarType::UInt32 => DType::U32,
        ScalarType::UInt64 => DType::U64,
        ScalarType::Int8 => DType::I8,
        ScalarType::Int16 => DType::I16,
        ScalarType::Int32 => DType::I32,
        ScalarType::Int64 => DType::I64,
        ScalarType::Float32 => DType::F32,
        ScalarType::Float64 => DType::F64,
        ScalarType::ComplexFloat32 => DType::Complex64,
        ScalarType::ComplexFloat64 => DType::Complex128,
        ScalarType::Float16 => DType::F16,
        ScalarType::BFloat16 => DType::BF16,
        _ => return None,
    })
}

/// The binsparse scalar type that describes an in-memory dtype (`Bool` → `bint8`).
pub fn scalar_of(dtype: DType) -> Option<ScalarType> {
    Some(match dtype {
        DType::Bool => ScalarType::Bint8,
        DType::U8 => ScalarType::UInt8,
        DType::U16 => ScalarType::UInt16,
        DType::U32 => ScalarType::UInt32,
        DType::U64 => ScalarType::UInt64,
        DType::I8 => ScalarType::Int8,
        DType::I16 => ScalarType::Int16,
        DType::I32 => ScalarType::Int32,
        DType::I64 => ScalarType::Int64,
        DType::F16 => ScalarType::Float16,
        DType::BF16 => ScalarType::BFloat16,
        DType::F32 => ScalarType::Float32,
        DType::F64 => ScalarType::Float64,
        DType::Complex64 => ScalarType::ComplexFloat32,
        DType::Complex128 => ScalarType::ComplexFloat64,
        _ => return None,
    })
}

/// Bring `buffer` to the canonical dtype for `expected`, zero-copy: a `Bool` array under `bint8`
/// is viewed as `U8`, and an interleaved float array under `complex[..]` is viewed as complex.
/// Any other mismatch is [`ArrayError::DTypeMismatch`].
pub fn normalize(array: &str, expected: DataType, buffer: Buffer) -> Result<Buffer, ArrayError> {
    let mismatch = || ArrayError::DTypeMismatch {
        array: array.to_owned(),
        expected: expected.to_string(),
        found: buffer.dtype(),
    };
    let want = dtype_of(expected.scalar).ok_or_else(mismatch)?;
    let found = buffer.dtype();
    if found == want {
        return Ok(buffer);
    }
    let viewable = matches!(
        (expected.scalar, found),
        (ScalarType::Bint8, DType::Bool)
            | (ScalarType::ComplexFloat32, DType::F32)
            | (ScalarType::ComplexFloat64, DType::F64)
    );
    if !viewable {
        return Err(mismatch());
    }
    if found != DType::Bool && !buffer.len().is_multiple_of(2) {
        return Err(ArrayError::InterleavedOddLength {
            array: array.to_owned(),
            len: buffer.len() as u64,
        });
    }
    Ok(buffer.reinterpret(want)?)
}
