//! Element types: [`DType`] (runtime tag) and the sealed [`Element`] trait (Rust types).

use std::fmt;
use std::str::FromStr;

use crate::error::{BufferError, DlpackError};

/// DLPack type code: signed integer.
pub const DL_INT: u8 = 0;
/// DLPack type code: unsigned integer.
pub const DL_UINT: u8 = 1;
/// DLPack type code: IEEE float.
pub const DL_FLOAT: u8 = 2;
/// DLPack type code: bfloat16.
pub const DL_BFLOAT: u8 = 4;
/// DLPack type code: complex (bits = total size).
pub const DL_COMPLEX: u8 = 5;
/// DLPack type code: bool (8 bits of storage).
pub const DL_BOOL: u8 = 6;

/// The element type of a buffer. Covers every binsparse type plus float16/bfloat16.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DType {
    /// Boolean, one byte per element holding 0 or 1.
    Bool,
    /// `u8`.
    U8,
    /// `u16`.
    U16,
    /// `u32`.
    U32,
    /// `u64`.
    U64,
    /// `i8`.
    I8,
    /// `i16`.
    I16,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// IEEE binary16 (`half::f16`).
    F16,
    /// bfloat16 (`half::bf16`).
    BF16,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// Two `f32` (re, im): [`Complex64`].
    Complex64,
    /// Two `f64` (re, im): [`Complex128`].
    Complex128,
}

impl DType {
    /// Every dtype, in declaration order.
    pub const ALL: [DType; 15] = [
        DType::Bool,
        DType::U8,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
        DType::Complex64,
        DType::Complex128,
    ];

    /// Size of one element in bytes.
    pub const fn size(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::U16 | DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::U32 | DType::I32 | DType::F32 => 4,
            DType::U64 | DType::I64 | DType::F64 | DType::Complex64 => 8,
            DType::Complex128 => 16,
        }
    }

    /// Required alignment in bytes (a complex value aligns like its component).
    pub const fn align(self) -> usize {
        match self {
            DType::Complex64 => 4,
            DType::Complex128 => 8,
            other => other.size(),
        }
    }

    /// The DLPack `(code, bits, lanes)` triple.
    pub const fn to_dlpack(self) -> (u8, u8, u16) {
        let code = match self {
            DType::Bool => DL_BOOL,
            DType::U8 | DType::U16 | DType::U32 | DType::U64 => DL_UINT,
            DType::I8 | DType::I16 | DType::I32 | DType::I64 => DL_INT,
            DType::F16 | DType::F32 | DType::F64 => DL_FLOAT,
            DType::BF16 => DL_BFLOAT,
            DType::Complex64 | DType::Complex128 => DL_COMPLEX,
        };
        // Sizes are at most 16 bytes, so bits fit u8.
        (code, (self.size() * 8) as u8, 1)
    }

    /// Parses a DLPack `(code, bits, lanes)` triple; `lanes` must be 1.
    pub fn from_dlpack(code: u8, bits: u8, lanes: u16) -> Result<Self, DlpackError> {
        if lanes != 1 {
            return Err(DlpackError::Lanes { lanes });
        }
        let dt = match (code, bits) {
            (DL_BOOL, 8) => DType::Bool,
            (DL_UINT, 8) => DType::U8,
            (DL_UINT, 16) => DType::U16,
            (DL_UINT, 32) => DType::U32,
            (DL_UINT, 64) => DType::U64,
            (DL_INT, 8) => DType::I8,
            (DL_INT, 16) => DType::I16,
            (DL_INT, 32) => DType::I32,
            (DL_INT, 64) => DType::I64,
            (DL_FLOAT, 16) => DType::F16,
            (DL_BFLOAT, 16) => DType::BF16,
            (DL_FLOAT, 32) => DType::F32,
            (DL_FLOAT, 64) => DType::F64,
            (DL_COMPLEX, 64) => DType::Complex64,
            (DL_COMPLEX, 128) => DType::Complex128,
            _ => return Err(DlpackError::UnsupportedDType { code, bits, lanes }),
        };
        Ok(dt)
    }

    /// The NumPy-style name (`bool`, `uint8`, …, `bfloat16`, `complex64`, `complex128`).
    pub const fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "uint8",
            DType::U16 => "uint16",
            DType::U32 => "uint32",
            DType::U64 => "uint64",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::Complex64 => "complex64",
            DType::Complex128 => "complex128",
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DType {
    type Err = BufferError;

    /// Parses the names printed by [`DType::name`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DType::ALL
            .iter()
            .copied()
            .find(|d| d.name() == s)
            .ok_or_else(|| BufferError::InvalidDType {
                input: s.to_owned(),
            })
    }
}

/// A complex number laid out as DLPack and C expect: `re` then `im`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[repr(C)]
pub struct Complex<T> {
    /// Real part.
    pub re: T,
    /// Imaginary part.
    pub im: T,
}

/// `complex64`: two `f32`.
pub type Complex64 = Complex<f32>;
/// `complex128`: two `f64`.
pub type Complex128 = Complex<f64>;

// SAFETY: `Complex<T>` is `repr(C)` with two fields of the same Pod type, so it has no padding and
// every bit pattern is valid.
unsafe impl<T: bytemuck::Zeroable> bytemuck::Zeroable for Complex<T> {}
// SAFETY: as above; `T: Pod` is `Copy + 'static` with no padding, so two of them in `repr(C)` are too.
unsafe impl<T: bytemuck::Pod> bytemuck::Pod for Complex<T> {}

mod sealed {
    pub trait Sealed {}
}

/// A Rust type that may be viewed in a buffer of [`Element::DTYPE`]. Sealed: every implementor is
/// plain old data (any bit pattern valid), so typed views of foreign bytes are sound. `bool` is
/// deliberately not an element (foreign bytes may hold values other than 0/1): view a
/// [`DType::Bool`] buffer through `reinterpret(DType::U8)`.
pub trait Element: sealed::Sealed + bytemuck::Pod + Send + Sync + 'static {
    /// The matching dtype.
    const DTYPE: DType;
}

/// Dispatches a [`DType`] to code generic over its Rust element type, the way arrow-rs's
/// `downcast_primitive!` does: one match, written once, with the caller choosing both the classes
/// of dtype it handles and what every other dtype does.
///
/// `dispatch_dtype!(dtype, [class | class ...] => callback, pattern => fallback, ...)` expands to a
/// `match` whose arm for each dtype in the classes is `callback!(RustType, Variant)`, followed by
/// the caller's own arms. `dispatch_dtype!(dtype, [classes] => |T| { body }, arms...)` instead
/// runs `body` with the type alias `T` bound to each element type. The classes are `integer` (`u8`..`i64`), `float` (`f16`, `bf16`, `f32`,
/// `f64`) and `complex` ([`Complex64`], [`Complex128`]); `Bool` is never in a class (it is not an
/// [`Element`]), so a caller handles it in its own arms. The callback is a `macro_rules!` macro of
/// the calling crate, so its body sees that crate's locals, types and error types.
///
/// ```
/// use sparsebridge_buffer::{DType, dispatch_dtype};
///
/// fn describe(dt: DType) -> String {
///     macro_rules! width {
///         ($t:ty, $v:ident) => {
///             format!("{} is {} bytes", stringify!($v), std::mem::size_of::<$t>())
///         };
///     }
///     dispatch_dtype!(dt, [integer | float] => width, other => format!("{other}: not handled"))
/// }
/// assert_eq!(describe(DType::I16), "I16 is 2 bytes");
/// assert_eq!(describe(DType::BF16), "BF16 is 2 bytes");
/// assert_eq!(describe(DType::Complex64), "complex64: not handled");
///
/// fn zero_bytes(dt: DType) -> Option<Vec<u8>> {
///     Some(dispatch_dtype!(dt, [complex] => |T| {
///         bytemuck::bytes_of(&T::default()).to_vec()
///     }, _ => return None))
/// }
/// assert_eq!(zero_bytes(DType::Complex128), Some(vec![0; 16]));
/// assert_eq!(zero_bytes(DType::F64), None);
/// ```
#[macro_export]
macro_rules! dispatch_dtype {
    ($dtype:expr, [$($class:ident)|+] => |$t:ident| $body:block, $($arms:tt)+) => {
        $crate::dispatch_dtype!(@classes ($dtype) (|$t| $body) [] [$($class)+] $($arms)+)
    };
    ($dtype:expr, [$($class:ident)|+] => $callback:ident, $($arms:tt)+) => {
        $crate::dispatch_dtype!(@classes ($dtype) $callback [] [$($class)+] $($arms)+)
    };
    (@classes $d:tt $cb:tt [$($acc:tt)*] [integer $($rest:ident)*] $($arms:tt)+) => {
        $crate::dispatch_dtype!(@classes $d $cb [$($acc)*
            (u8, U8) (u16, U16) (u32, U32) (u64, U64) (i8, I8) (i16, I16) (i32, I32) (i64, I64)
        ] [$($rest)*] $($arms)+)
    };
    (@classes $d:tt $cb:tt [$($acc:tt)*] [float $($rest:ident)*] $($arms:tt)+) => {
        $crate::dispatch_dtype!(@classes $d $cb [$($acc)*
            ($crate::__half::f16, F16) ($crate::__half::bf16, BF16) (f32, F32) (f64, F64)
        ] [$($rest)*] $($arms)+)
    };
    (@classes $d:tt $cb:tt [$($acc:tt)*] [complex $($rest:ident)*] $($arms:tt)+) => {
        $crate::dispatch_dtype!(@classes $d $cb [$($acc)*
            ($crate::Complex64, Complex64) ($crate::Complex128, Complex128)
        ] [$($rest)*] $($arms)+)
    };
    (@classes ($d:expr) (|$alias:ident| $body:block) [$(($t:ty, $v:ident))*] [] $($arms:tt)+) => {
        match $d {
            $($crate::DType::$v => {
                type $alias = $t;
                $body
            })*
            $($arms)+
        }
    };
    (@classes ($d:expr) $cb:ident [$(($t:ty, $v:ident))*] [] $($arms:tt)+) => {
        match $d {
            $($crate::DType::$v => $cb!($t, $v),)*
            $($arms)+
        }
    };
}

macro_rules! element {
    ($($t:ty => $d:ident),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$d;
        }
    )*};
}

element!(
    u8 => U8, u16 => U16, u32 => U32, u64 => U64,
    i8 => I8, i16 => I16, i32 => I32, i64 => I64,
    half::f16 => F16, half::bf16 => BF16, f32 => F32, f64 => F64,
    Complex64 => Complex64, Complex128 => Complex128,
);
