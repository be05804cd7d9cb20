//! Typed host access to buffers of any dtype: index arrays as `u64`, values as text.

use std::io::Write;
use std::path::Path;

use sparsebridge::buffer::dispatch_dtype;
use sparsebridge::buffer::{Complex64, Complex128};
use sparsebridge::{Buffer, DType};

use crate::error::{AtPath, IoError, malformed, unsupported};

/// Any integer buffer as `u64` values (negative values are an error naming the array).
pub(crate) fn index_vec(path: &Path, name: &str, buffer: &Buffer) -> Result<Vec<u64>, IoError> {
    macro_rules! widen {
        ($t:ty, U64) => {
            buffer.as_slice::<u64>().at(path)?.to_vec()
        };
        ($t:ty, $v:ident) => {{
            let s = buffer.as_slice::<$t>().at(path)?;
            let mut out = Vec::with_capacity(s.len());
            for (k, &v) in s.iter().enumerate() {
                let v = u64::try_from(v).map_err(|_| {
                    malformed(
                        path,
                        format!("array `{name}` holds the negative index {v} at position {k}"),
                    )
                })?;
                out.push(v);
            }
            out
        }};
    }
    let out = dispatch_dtype!(buffer.dtype(), [integer] => widen, other => {
        return Err(malformed(
            path,
            format!("array `{name}` has dtype {other}, but index arrays need an integer dtype"),
        ));
    });
    Ok(out)
}

/// A host value array, typed.
pub(crate) enum ValSlice<'a> {
    /// Signed integers (widened on output).
    I8(&'a [i8]),
    /// `i16`.
    I16(&'a [i16]),
    /// `i32`.
    I32(&'a [i32]),
    /// `i64`.
    I64(&'a [i64]),
    /// `u8` (also `bint8`).
    U8(&'a [u8]),
    /// `u16`.
    U16(&'a [u16]),
    /// `u32`.
    U32(&'a [u32]),
    /// `u64`.
    U64(&'a [u64]),
    /// `f32`.
    F32(&'a [f32]),
    /// `f64`.
    F64(&'a [f64]),
    /// `complex64`.
    Complex64(&'a [Complex64]),
    /// `complex128`.
    Complex128(&'a [Complex128]),
}

/// What a value array holds, for Matrix Market's `field`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValKind {
    /// Integers.
    Integer,
    /// Real numbers.
    Real,
    /// Complex numbers.
    Complex,
}

impl<'a> ValSlice<'a> {
    /// Views a host buffer (float16/bfloat16 are refused).
    pub(crate) fn new(path: &Path, buffer: &'a Buffer) -> Result<Self, IoError> {
        macro_rules! view {
            ($t:ty, $v:ident) => {
                Self::$v(buffer.as_slice::<$t>().at(path)?)
            };
        }
        Ok(dispatch_dtype!(buffer.dtype(), [integer | complex] => view,
            // A bool buffer holds one byte per element: read the bytes (bint8 semantics).
            DType::Bool => Self::U8(buffer.as_bytes().at(path)?),
            DType::F32 => Self::F32(buffer.as_slice().at(path)?),
            DType::F64 => Self::F64(buffer.as_slice().at(path)?),
            other => {
                return Err(unsupported(path, format!("values of dtype {other}")));
            }
        ))
    }

    /// The Matrix Market field these values need.
    pub(crate) fn kind(&self) -> ValKind {
        match self {
            Self::F32(_) | Self::F64(_) => ValKind::Real,
            Self::Complex64(_) | Self::Complex128(_) => ValKind::Complex,
            _ => ValKind::Integer,
        }
    }

    /// Number of values.
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::I8(s) => s.len(),
            Self::I16(s) => s.len(),
            Self::I32(s) => s.len(),
            Self::I64(s) => s.len(),
            Self::U8(s) => s.len(),
            Self::U16(s) => s.len(),
            Self::U32(s) => s.len(),
            Self::U64(s) => s.len(),
            Self::F32(s) => s.len(),
            Self::F64(s) => s.len(),
            Self::Complex64(s) => s.len(),
            Self::Complex128(s) => s.len(),
        }
    }

    /// Whether value `k` is zero.
    pub(crate) fn is_zero(&self, k: usize) -> bool {
        match self {
            Self::I8(s) => s[k] == 0,
            Self::I16(s) => s[k] == 0,
            Self::I32(s) => s[k] == 0,
            Self::I64(s) => s[k] == 0,
            Self::U8(s) => s[k] == 0,
            Self::U16(s) => s[k] == 0,
            Self::U32(s) => s[k] == 0,
            Self::U64(s) => s[k] == 0,
            Self::F32(s) => s[k] == 0.0,
            Self::F64(s) => s[k] == 0.0,
            Self::Complex64(s) => s[k].re == 0.0 && s[k].im == 0.0,
            Self::Complex128(s) => s[k].re == 0.0 && s[k].im == 0.0,
        }
    }

    /// Writes value `k` as Matrix Market text, transformed by `op` (mirror of a symmetric
    /// entry): `Neg` negates, `Conj` conjugates. Floats use the shortest text that reads back
    /// to the same `float64` value (`float32` values are widened exactly first).
    pub(crate) fn write(&self, k: usize, op: ValueOp, out: &mut impl Write) -> std::io::Result<()> {
        let neg = op == ValueOp::Neg;
        match self {
            Self::I8(s) => write_int(out, i128::from(s[k]), neg),
            Self::I16(s) => write_int(out, i128::from(s[k]), neg),
            Self::I32(s) => write_int(out, i128::from(s[k]), neg),
            Self::I64(s) => write_int(out, i128::from(s[k]), neg),
            Self::U8(s) => write_int(out, i128::from(s[k]), neg),
            Self::U16(s) => write_int(out, i128::from(s[k]), neg),
            Self::U32(s) => write_int(out, i128::from(s[k]), neg),
            Self::U64(s) => write_int(out, i128::from(s[k]), neg),
            // float32 is written as its exact float64 value: the reader builds float64 arrays.
            Self::F32(s) => write!(out, "{:?}", f64::from(if neg { -s[k] } else { s[k] })),
            Self::F64(s) => write!(out, "{:?}", if neg { -s[k] } else { s[k] }),
            Self::Complex64(s) => {
                let (re, im) = op.apply(f64::from(s[k].re), f64::from(s[k].im));
                write!(out, "{re:?} {im:?}")
            }
            Self::Complex128(s) => {
                let (re, im) = op.apply(s[k].re, s[k].im);
                write!(out, "{re:?} {im:?}")
            }
        }
    }
}

fn write_int(out: &mut impl Write, v: i128, neg: bool) -> std::io::Result<()> {
    write!(out, "{}", if neg { -v } else { v })
}

/// How a mirrored (implied) entry's value relates to the stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueOp {
    /// The same value.
    Same,
    /// The negated value (skew-symmetric).
    Neg,
    /// The complex conjugate (Hermitian).
    Conj,
}

impl ValueOp {
    fn apply(self, re: f64, im: f64) -> (f64, f64) {
        match self {
            Self::Same => (re, im),
            Self::Neg => (-re, -im),
            Self::Conj => (re, -im),
        }
    }
}
