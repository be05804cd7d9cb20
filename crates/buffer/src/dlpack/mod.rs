//! DLPack export and import of 1-D buffers (versioned DLPack 1.x and legacy ABIs).
//!
//! The raw structs are dlpark's [`ffi`](dlpark::ffi) types; the PyCapsule wrapping lives in the
//! Python crate. See `docs/ownership.md` for who frees what.

#[cfg(feature = "pyo3")]
pub mod capsule;
pub mod export;
pub mod import;
pub mod request;

pub use dlpark::ffi::{DLManagedTensor, DLManagedTensorVersioned, DLTensor};

/// The DLPack major version this crate reads and writes.
pub const DLPACK_MAJOR: u32 = 1;
/// The DLPack minor version this crate writes at most (dlpark 0.10 bundles 1.3).
pub const DLPACK_MINOR: u32 = 3;
/// Versioned flag: the consumer must not write.
pub const FLAG_READ_ONLY: u64 = 1;
/// Versioned flag: the producer made a copy; the consumer is its sole owner.
pub const FLAG_IS_COPIED: u64 = 2;
/// Capsule name of a legacy tensor.
pub const CAPSULE_LEGACY: &std::ffi::CStr = c"dltensor";
/// Capsule name of a versioned tensor.
pub const CAPSULE_VERSIONED: &std::ffi::CStr = c"dltensor_versioned";
/// Capsule name of a consumed legacy tensor.
pub const CAPSULE_USED_LEGACY: &std::ffi::CStr = c"used_dltensor";
/// Capsule name of a consumed versioned tensor.
pub const CAPSULE_USED_VERSIONED: &std::ffi::CStr = c"used_dltensor_versioned";
