//! binsparse scalar types and type strings (`uint8`, `complex[float32]`, `iso[T]`, …).

use std::fmt;
use std::str::FromStr;

/// An element type of a constituent array.
///
/// `Float16` and `BFloat16` are a sparsebridge extension (binsparse 0.1 has no half types): a
/// descriptor may use them only when the caller opts in (`ParseOptions::with_extension_types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ScalarType {
    /// `uint8`.
    UInt8,
    /// `uint16`.
    UInt16,
    /// `uint32`.
    UInt32,
    /// `uint64`.
    UInt64,
    /// `int8`.
    Int8,
    /// `int16`.
    Int16,
    /// `int32`.
    Int32,
    /// `int64`.
    Int64,
    /// `float16` (extension).
    Float16,
    /// `bfloat16` (extension).
    BFloat16,
    /// `float32`.
    Float32,
    /// `float64`.
    Float64,
    /// `bint8`: 8-bit storage read as Boolean.
    Bint8,
    /// `complex[float32]`: one logical element is two `float32`.
    ComplexFloat32,
    /// `complex[float64]`: one logical element is two `float64`.
    ComplexFloat64,
}

impl ScalarType {
    /// Every scalar type, binsparse 0.1 types first, extensions last.
    pub const ALL: [ScalarType; 15] = [
        Self::UInt8,
        Self::UInt16,
        Self::UInt32,
        Self::UInt64,
        Self::Int8,
        Self::Int16,
        Self::Int32,
        Self::Int64,
        Self::Float32,
        Self::Float64,
        Self::Bint8,
        Self::ComplexFloat32,
        Self::ComplexFloat64,
        Self::Float16,
        Self::BFloat16,
    ];

    /// The binsparse type string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UInt8 => "uint8",
            Self::UInt16 => "uint16",
            Self::UInt32 => "uint32",
            Self::UInt64 => "uint64",
            Self::Int8 => "int8",
            Self::Int16 => "int16",
            Self::Int32 => "int32",
            Self::Int64 => "int64",
            Self::Float16 => "float16",
            Self::BFloat16 => "bfloat16",
            Self::Float32 => "float32",
            Self::Float64 => "float64",
            Self::Bint8 => "bint8",
            Self::ComplexFloat32 => "complex[float32]",
            Self::ComplexFloat64 => "complex[float64]",
        }
    }

    /// Signed or unsigned integer (the types allowed for index and pointer arrays).
    pub const fn is_integer(self) -> bool {
        self.is_signed_integer() || self.is_unsigned_integer()
    }

    /// `int8` … `int64`.
    pub const fn is_signed_integer(self) -> bool {
        matches!(self, Self::Int8 | Self::Int16 | Self::Int32 | Self::Int64)
    }

    /// `uint8` … `uint64`.
    pub const fn is_unsigned_integer(self) -> bool {
        matches!(
            self,
            Self::UInt8 | Self::UInt16 | Self::UInt32 | Self::UInt64
        )
    }

    /// Real floating point, extensions included.
    pub const fn is_float(self) -> bool {
        matches!(
            self,
            Self::Float16 | Self::BFloat16 | Self::Float32 | Self::Float64
        )
    }

    /// `complex[float32]` or `complex[float64]`.
    pub const fn is_complex(self) -> bool {
        matches!(self, Self::ComplexFloat32 | Self::ComplexFloat64)
    }

    /// `bint8`.
    pub const fn is_bool(self) -> bool {
        matches!(self, Self::Bint8)
    }

    /// `float16` or `bfloat16`: not binsparse 0.1, opt-in only.
    pub const fn is_extension(self) -> bool {
        matches!(self, Self::Float16 | Self::BFloat16)
    }

    /// Bytes per logical element (a `complex[float32]` element is 8 bytes).
    pub const fn size_bytes(self) -> u64 {
        match self {
            Self::UInt8 | Self::Int8 | Self::Bint8 => 1,
            Self::UInt16 | Self::Int16 | Self::Float16 | Self::BFloat16 => 2,
            Self::UInt32 | Self::Int32 | Self::Float32 => 4,
            Self::UInt64 | Self::Int64 | Self::Float64 | Self::ComplexFloat32 => 8,
            Self::ComplexFloat64 => 16,
        }
    }

    /// For complex types, the real component type stored interleaved (`float32`/`float64`).
    pub const fn complex_component(self) -> Option<ScalarType> {
        match self {
            Self::ComplexFloat32 => Some(Self::Float32),
            Self::ComplexFloat64 => Some(Self::Float64),
            _ => None,
        }
    }
}

impl fmt::Display for ScalarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a scalar or data type string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown binsparse type string {0:?}")]
pub struct ParseTypeError(pub String);

impl FromStr for ScalarType {
    type Err = ParseTypeError;

    /// Parse an exact binsparse scalar type string. `"bool"` is not a type string; the
    /// descriptor reader maps it to `bint8` itself, with a warning.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| ParseTypeError(s.to_owned()))
    }
}

/// The full type of a constituent array: a scalar type, optionally `iso` (one stored value
/// shared by every stored index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DataType {
    /// The element type.
    pub scalar: ScalarType,
    /// `iso[…]`: the array holds a single element.
    pub iso: bool,
}

impl DataType {
    /// A plain (non-iso) type.
    pub const fn new(scalar: ScalarType) -> Self {
        Self { scalar, iso: false }
    }

    /// `iso[scalar]`.
    pub const fn iso(scalar: ScalarType) -> Self {
        Self { scalar, iso: true }
    }
}

impl From<ScalarType> for DataType {
    fn from(scalar: ScalarType) -> Self {
        Self::new(scalar)
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.iso {
            write!(f, "iso[{}]", self.scalar)
        } else {
            write!(f, "{}", self.scalar)
        }
    }
}

impl FromStr for DataType {
    type Err = ParseTypeError;

    /// Parse `T` or `iso[T]` where `T` is a scalar type string (`iso` cannot nest).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseTypeError(s.to_owned());
        match s.strip_prefix("iso[").and_then(|r| r.strip_suffix(']')) {
            Some(inner) => Ok(Self::iso(inner.parse().map_err(|_| err())?)),
            None => Ok(Self::new(s.parse().map_err(|_| err())?)),
        }
    }
}
