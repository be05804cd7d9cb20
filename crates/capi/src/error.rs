//! Error codes (`SB_E_*`, mirrored in `include/sparsebridge.h`), the typed [`CapiError`] and the
//! thread-local last-error message behind `sb_last_error`.

use std::cell::RefCell;
use std::ffi::{CString, c_char};

use sparsebridge::{ArrayError, BufferError, DescriptorError, EngineError};
use sparsebridge_io::IoError;

/// Success.
pub const SB_OK: i32 = 0;
/// A required pointer argument (or a pointer inside the struct) is NULL.
pub const SB_E_NULL: i32 = -1;
/// The struct's `version.major` is not [`crate::SB_ABI_VERSION_MAJOR`].
pub const SB_E_VERSION: i32 = -2;
/// The descriptor (or a conversion request) is not UTF-8, not JSON, or not a valid binsparse
/// descriptor.
pub const SB_E_DESCRIPTOR: i32 = -3;
/// The arrays disagree with the descriptor: names, count, dtypes, lengths, devices.
pub const SB_E_ARRAY: i32 = -4;
/// The full structural check failed: pointers, out-of-range, unsorted or duplicate indices.
pub const SB_E_STRUCTURE: i32 = -5;
/// A DLPack tensor was rejected (DLPack version, ndim, shape, strides, dtype, alignment, device).
pub const SB_E_DLPACK: i32 = -6;
/// Reading or writing a file failed.
pub const SB_E_IO: i32 = -7;
/// The requested conversion (or file format, or device) is not supported.
pub const SB_E_UNSUPPORTED: i32 = -8;
/// A device (CUDA) is unavailable or a device operation failed.
pub const SB_E_DEVICE: i32 = -9;
/// The tensor was released: its deleter is NULL, or it is a copy of a released sparsebridge
/// tensor, or a sparsebridge deleter was called a second time.
pub const SB_E_RELEASED: i32 = -10;
/// An argument is out of range (e.g. a negative `num_arrays`, a non-UTF-8 array name).
pub const SB_E_INVALID_ARGUMENT: i32 = -11;
/// sparsebridge panicked; the panic was caught at the ABI boundary.
pub const SB_E_PANIC: i32 = -12;

/// A failure: its `SB_E_*` code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CapiError {
    /// The `SB_E_*` code (negative).
    pub code: i32,
    /// What went wrong, for `sb_last_error`.
    pub message: String,
}

impl CapiError {
    /// A new error.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

fn buffer_code(e: &BufferError) -> i32 {
    match e {
        BufferError::Dlpack(_) => SB_E_DLPACK,
        BufferError::DeviceUnavailable(_) | BufferError::Cuda { .. } => SB_E_DEVICE,
        _ => SB_E_ARRAY,
    }
}

fn array_code(e: &ArrayError) -> i32 {
    match e {
        ArrayError::Structure { .. } | ArrayError::NegativePointer { .. } => SB_E_STRUCTURE,
        ArrayError::Buffer(b) => buffer_code(b),
        ArrayError::Unsupported(_) => SB_E_UNSUPPORTED,
        // Lengths implied by the descriptor that the arrays do not have.
        ArrayError::Descriptor(_) => SB_E_ARRAY,
        _ => SB_E_ARRAY,
    }
}

impl From<DescriptorError> for CapiError {
    fn from(e: DescriptorError) -> Self {
        Self::new(SB_E_DESCRIPTOR, format!("invalid descriptor: {e}"))
    }
}

impl From<BufferError> for CapiError {
    fn from(e: BufferError) -> Self {
        Self::new(buffer_code(&e), e.to_string())
    }
}

impl From<ArrayError> for CapiError {
    fn from(e: ArrayError) -> Self {
        Self::new(array_code(&e), e.to_string())
    }
}

impl From<EngineError> for CapiError {
    fn from(e: EngineError) -> Self {
        let code = match &e {
            EngineError::Array(a) => array_code(a),
            EngineError::Descriptor(_) => SB_E_DESCRIPTOR,
            EngineError::Buffer(b) => buffer_code(b),
            EngineError::Cuda(_) => SB_E_DEVICE,
            EngineError::Convert(_) => SB_E_STRUCTURE,
            _ => SB_E_UNSUPPORTED,
        };
        Self::new(code, e.to_string())
    }
}

impl From<sparsebridge::Error> for CapiError {
    fn from(e: sparsebridge::Error) -> Self {
        match e {
            sparsebridge::Error::Descriptor(d) => d.into(),
            sparsebridge::Error::Buffer(b) => b.into(),
            sparsebridge::Error::Array(a) => a.into(),
            sparsebridge::Error::Convert(c) => c.into(),
            other => Self::new(SB_E_UNSUPPORTED, other.to_string()),
        }
    }
}

impl From<IoError> for CapiError {
    fn from(e: IoError) -> Self {
        let code = match &e {
            IoError::Descriptor { .. } => SB_E_DESCRIPTOR,
            IoError::Array { source, .. } => match array_code(source) {
                // A file whose arrays disagree with its descriptor is a bad file.
                SB_E_ARRAY => SB_E_IO,
                c => c,
            },
            IoError::Unsupported { .. } | IoError::UnknownFormat { .. } => SB_E_UNSUPPORTED,
            IoError::InvalidArgument { .. } => SB_E_INVALID_ARGUMENT,
            _ => SB_E_IO,
        };
        Self::new(code, e.to_string())
    }
}

thread_local! {
    /// The message of the last failure on this thread (`sb_last_error`).
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `e` as this thread's last error and returns its code.
pub(crate) fn record(e: &CapiError) -> i32 {
    // Interior NULs cannot cross a C string: shown as U+FFFD.
    let text = CString::new(e.message.replace('\0', "\u{FFFD}")).unwrap_or_default();
    // `try_with`: during thread teardown the slot may be gone; the code still comes back.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = text);
    e.code
}

/// This thread's last error message: valid until the next failing call on this thread.
pub(crate) fn last_error_ptr() -> *const c_char {
    LAST_ERROR
        .try_with(|slot| slot.borrow().as_ptr())
        .unwrap_or(c"".as_ptr())
}

/// The last error message on this thread, as Rust text (for the Rust callers and tests).
pub fn last_error() -> String {
    LAST_ERROR
        .try_with(|slot| slot.borrow().to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The message of a caught panic.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_owned()
    }
}
