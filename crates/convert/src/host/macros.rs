//! Dtype dispatch of the host engine: value carriers (opaque bytes), real value types (where
//! values are compared or summed) and the canonicalization work index.

/// Runs `$body` with `$v` bound to an opaque carrier type of `$size` bytes (values are moved,
/// never inspected).
macro_rules! with_carrier {
    ($size:expr, $v:ident, $body:block) => {
        match $size {
            1 => {
                type $v = u8;
                $body
            }
            2 => {
                type $v = u16;
                $body
            }
            4 => {
                type $v = u32;
                $body
            }
            8 => {
                type $v = u64;
                $body
            }
            16 => {
                type $v = Complex128;
                $body
            }
            other => {
                return Err(EngineError::Internal(format!("values of {other} bytes")));
            }
        }
    };
}

/// Runs `$body` with `$t` bound to the [`crate::Summable`] type of the binsparse value type
/// `$scalar` and `$e` to the buffer element type that stores it (same size and alignment).
macro_rules! with_value {
    ($scalar:expr, $t:ident, $e:ident, $body:block) => {
        match $scalar {
            ScalarType::UInt8 => {
                type $t = u8;
                type $e = u8;
                $body
            }
            ScalarType::UInt16 => {
                type $t = u16;
                type $e = u16;
                $body
            }
            ScalarType::UInt32 => {
                type $t = u32;
                type $e = u32;
                $body
            }
            ScalarType::UInt64 => {
                type $t = u64;
                type $e = u64;
                $body
            }
            ScalarType::Int8 => {
                type $t = i8;
                type $e = i8;
                $body
            }
            ScalarType::Int16 => {
                type $t = i16;
                type $e = i16;
                $body
            }
            ScalarType::Int32 => {
                type $t = i32;
                type $e = i32;
                $body
            }
            ScalarType::Int64 => {
                type $t = i64;
                type $e = i64;
                $body
            }
            ScalarType::Float16 => {
                type $t = half::f16;
                type $e = half::f16;
                $body
            }
            ScalarType::BFloat16 => {
                type $t = half::bf16;
                type $e = half::bf16;
                $body
            }
            ScalarType::Float32 => {
                type $t = f32;
                type $e = f32;
                $body
            }
            ScalarType::Float64 => {
                type $t = f64;
                type $e = f64;
                $body
            }
            ScalarType::Bint8 => {
                type $t = Bint8;
                type $e = u8;
                $body
            }
            ScalarType::ComplexFloat32 => {
                type $t = [f32; 2];
                type $e = Complex64;
                $body
            }
            ScalarType::ComplexFloat64 => {
                type $t = [f64; 2];
                type $e = Complex128;
                $body
            }
            #[allow(unreachable_patterns)]
            other => {
                return Err(EngineError::Unsupported(format!("value type {other}")));
            }
        }
    };
}

/// Dispatches a canonicalization kernel on its work index dtype (see `work_index`): u32 or u64.
macro_rules! with_work_index {
    ($dtype:expr, $i:ident, $body:block) => {
        match $dtype {
            DType::U32 => {
                type $i = u32;
                $body
            }
            DType::U64 => {
                type $i = u64;
                $body
            }
            other => {
                return Err(EngineError::Internal(format!(
                    "work index dtype {other:?} (expected u32 or u64)"
                )));
            }
        }
    };
}

/// [`with_value!`] for summing kernels (canonicalization): a signed integer dtype runs as the
/// unsigned type of its width (`$t`; `$e` stays the stored element type). Wrapping sums are
/// the same bits in both, and comparisons are never made on values here, so this only cuts
/// the number of kernel instances.
macro_rules! with_summable {
    ($scalar:expr, $t:ident, $e:ident, $body:block) => {
        match $scalar {
            ScalarType::UInt8 => {
                type $t = u8;
                type $e = u8;
                $body
            }
            ScalarType::Int8 => {
                type $t = u8;
                type $e = i8;
                $body
            }
            ScalarType::UInt16 => {
                type $t = u16;
                type $e = u16;
                $body
            }
            ScalarType::Int16 => {
                type $t = u16;
                type $e = i16;
                $body
            }
            ScalarType::UInt32 => {
                type $t = u32;
                type $e = u32;
                $body
            }
            ScalarType::Int32 => {
                type $t = u32;
                type $e = i32;
                $body
            }
            ScalarType::UInt64 => {
                type $t = u64;
                type $e = u64;
                $body
            }
            ScalarType::Int64 => {
                type $t = u64;
                type $e = i64;
                $body
            }
            other => with_value!(other, $t, $e, $body),
        }
    };
}
