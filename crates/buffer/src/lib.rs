//! sparsebridge buffer layer: device-aware memory and DLPack exchange.
//!
//! | type | role |
//! |---|---|
//! | [`Device`] | where memory lives: `cpu`, `cuda:N`, `cuda_host`, `cuda_managed` |
//! | [`DType`], [`Element`] | element types (binsparse types + f16/bf16) and their Rust types |
//! | [`Buffer`] | immutable, shared, typed memory that frees itself (host, CUDA, pinned, foreign) |
//! | [`BufferMut`] | writable, zeroed, 64-byte aligned host output; `freeze()` → `Buffer` |
//! | [`dlpack`] | export ([`dlpack::export::export`]) and import ([`dlpack::import::import_versioned`]) |
//! | [`cuda`] | the cached probe, per-ordinal devices and streams |
//! | [`BufferError`] | typed errors (`DeviceUnavailable`, `Dlpack`, …) |
//!
//! This is the only crate with raw-memory `unsafe`. Ownership rules: `docs/ownership.md`.
//!
//! ```
//! use sparsebridge_buffer::{Buffer, DType, Device};
//! use sparsebridge_buffer::dlpack::{export::export_versioned, import::{import_versioned, ImportOptions}, export::RawTensor};
//!
//! let b = Buffer::from_vec(vec![1.0f64, 2.0, 3.0]);
//! let t = export_versioned(b.clone()).unwrap();
//! let RawTensor::Versioned(raw) = t.into_raw() else { unreachable!() };
//! // SAFETY: `raw` was just exported and is handed over exactly once.
//! let back = unsafe { import_versioned(raw, &ImportOptions::default()) }.unwrap();
//! assert_eq!(back.buffer.as_slice::<f64>().unwrap(), &[1.0, 2.0, 3.0]);
//! assert_eq!(back.buffer.device(), Device::Cpu);
//! assert_eq!(back.buffer.dtype(), DType::F64);
//! ```

mod buffer;
pub mod cuda;
mod device;
pub mod dlpack;
mod dtype;
mod error;
mod host;
pub mod hugepage;

pub use buffer::Buffer;
pub use device::{DL_CPU, DL_CUDA, DL_CUDA_HOST, DL_CUDA_MANAGED, Device};
pub use dtype::{
    Complex, Complex64, Complex128, DL_BFLOAT, DL_BOOL, DL_COMPLEX, DL_FLOAT, DL_INT, DL_UINT,
    DType, Element,
};
pub use error::{BufferError, DeviceUnavailable, DlpackError};
pub use host::{BufferMut, HOST_ALIGN};

// For `dispatch_dtype!`'s expansion in crates that do not depend on `half` themselves.
#[doc(hidden)]
pub use half as __half;
