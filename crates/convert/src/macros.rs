//! Macros shared by the engine's CPU and CUDA paths.

/// Runs `$body` with `$t` bound to the Rust type of integer dtype `$dt`; any other dtype returns
/// `EngineError::Unsupported` from the enclosing function.
macro_rules! with_index {
    ($dt:expr, $t:ident, $body:block) => {
        match $dt {
            DType::U8 => {
                type $t = u8;
                $body
            }
            DType::U16 => {
                type $t = u16;
                $body
            }
            DType::U32 => {
                type $t = u32;
                $body
            }
            DType::U64 => {
                type $t = u64;
                $body
            }
            DType::I8 => {
                type $t = i8;
                $body
            }
            DType::I16 => {
                type $t = i16;
                $body
            }
            DType::I32 => {
                type $t = i32;
                $body
            }
            DType::I64 => {
                type $t = i64;
                $body
            }
            other => {
                return Err(EngineError::Unsupported(format!("index dtype {other}")));
            }
        }
    };
}
