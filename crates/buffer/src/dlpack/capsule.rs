//! PyCapsule wrapping of raw DLPack tensors (binsparse-protocol.md §15), behind the `pyo3`
//! feature so the Python crate needs no `unsafe` of its own.
//!
//! - Export: a `"dltensor_versioned"` (or legacy `"dltensor"`) capsule whose pointer is the managed
//!   tensor. Its destructor calls the tensor's deleter only while the capsule still has its
//!   original name, i.e. was never consumed.
//! - Import: the capsule is renamed `"used_dltensor_versioned"` / `"used_dltensor"` *before*
//!   ownership is taken, so the capsule's own destructor (the producer's) no longer calls the
//!   deleter; from then on this crate calls it exactly once.

use std::ffi::{CStr, c_void};
use std::ptr::NonNull;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::dlpack::export::{ExportedTensor, RawTensor};
use crate::dlpack::import::{ImportOptions, Imported, import_legacy, import_versioned};
use crate::dlpack::{
    CAPSULE_LEGACY, CAPSULE_USED_LEGACY, CAPSULE_USED_VERSIONED, CAPSULE_VERSIONED,
    DLManagedTensor, DLManagedTensorVersioned,
};
use crate::error::BufferError;

/// Why a capsule could not be made or consumed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CapsuleError {
    /// The exporter produced a NULL tensor.
    #[error("DLPack export produced a NULL tensor")]
    NullTensor,
    /// `__dlpack__` returned something other than a capsule.
    #[error("__dlpack__ returned {type_name}, not a PyCapsule")]
    NotACapsule {
        /// The Python type's name.
        type_name: String,
    },
    /// The capsule's name is neither `dltensor_versioned` nor `dltensor` (e.g. consumed).
    #[error(
        "the capsule is not an unconsumed DLPack tensor (its name is neither \
         \"dltensor_versioned\" nor \"dltensor\"; a capsule can be consumed only once)"
    )]
    NotDlpack,
    /// A Python C-API call failed.
    #[error(transparent)]
    Python(#[from] PyErr),
    /// The tensor itself was rejected on import.
    #[error(transparent)]
    Buffer(#[from] BufferError),
}

/// Destructor of an exported versioned capsule.
unsafe extern "C" fn destroy_versioned(capsule: *mut ffi::PyObject) {
    // SAFETY: CPython calls the destructor with the live capsule; `PyCapsule_IsValid` only reads
    // its name and sets no exception. A consumed capsule was renamed, so this is false for it.
    if unsafe { ffi::PyCapsule_IsValid(capsule, CAPSULE_VERSIONED.as_ptr()) } != 1 {
        return;
    }
    // SAFETY: the capsule is valid under this name (checked above), so this cannot fail.
    let p = unsafe { ffi::PyCapsule_GetPointer(capsule, CAPSULE_VERSIONED.as_ptr()) }
        .cast::<DLManagedTensorVersioned>();
    if p.is_null() {
        return;
    }
    // SAFETY: `p` is the unconsumed managed tensor this capsule owns; its deleter is called once.
    if let Some(deleter) = unsafe { (*p).deleter } {
        // SAFETY: as above.
        unsafe { deleter(p) }
    }
}

/// Destructor of an exported legacy capsule.
unsafe extern "C" fn destroy_legacy(capsule: *mut ffi::PyObject) {
    // SAFETY: as in `destroy_versioned`.
    if unsafe { ffi::PyCapsule_IsValid(capsule, CAPSULE_LEGACY.as_ptr()) } != 1 {
        return;
    }
    // SAFETY: as in `destroy_versioned`.
    let p = unsafe { ffi::PyCapsule_GetPointer(capsule, CAPSULE_LEGACY.as_ptr()) }
        .cast::<DLManagedTensor>();
    if p.is_null() {
        return;
    }
    // SAFETY: as in `destroy_versioned`.
    if let Some(deleter) = unsafe { (*p).deleter } {
        // SAFETY: as above.
        unsafe { deleter(p) }
    }
}

/// Calls the deleter of a raw tensor that could not be wrapped.
fn release(raw: RawTensor) {
    match raw {
        RawTensor::Versioned(p) => {
            // SAFETY: `p` came from `ExportedTensor::into_raw` and was handed to nobody.
            if let Some(d) = unsafe { (*p).deleter } {
                // SAFETY: called once, with the original pointer.
                unsafe { d(p) }
            }
        }
        RawTensor::Legacy(p) => {
            // SAFETY: as above.
            if let Some(d) = unsafe { (*p).deleter } {
                // SAFETY: as above.
                unsafe { d(p) }
            }
        }
    }
}

/// Wraps an exported tensor in a capsule named after its ABI. On failure the deleter has run.
pub fn export_capsule<'py>(
    py: Python<'py>,
    tensor: ExportedTensor,
) -> Result<Bound<'py, PyCapsule>, CapsuleError> {
    let raw = tensor.into_raw();
    let (ptr, name, destructor): (*mut c_void, &'static CStr, ffi::PyCapsule_Destructor) = match raw
    {
        RawTensor::Versioned(p) => (p.cast(), CAPSULE_VERSIONED, destroy_versioned),
        RawTensor::Legacy(p) => (p.cast(), CAPSULE_LEGACY, destroy_legacy),
    };
    let Some(ptr) = NonNull::new(ptr) else {
        return Err(CapsuleError::NullTensor);
    };
    // SAFETY: `ptr` is a live managed tensor that the capsule now owns: its destructor calls the
    // deleter unless a consumer renamed (consumed) the capsule; the destructor touches no Python
    // object other than the capsule and is safe on any thread.
    let capsule =
        unsafe { PyCapsule::new_with_pointer_and_destructor(py, ptr, name, Some(destructor)) };
    Ok(capsule.inspect_err(|_| release(raw))?)
}

/// Consumes a DLPack capsule (versioned or legacy) and imports its tensor.
pub fn import_capsule(
    capsule: &Bound<'_, PyAny>,
    opts: &ImportOptions,
) -> Result<Imported, CapsuleError> {
    let Ok(cap) = capsule.cast::<PyCapsule>() else {
        return Err(CapsuleError::NotACapsule {
            type_name: capsule.get_type().name()?.to_string(),
        });
    };
    let (name, used, versioned) = if cap.is_valid_checked(Some(CAPSULE_VERSIONED)) {
        (CAPSULE_VERSIONED, CAPSULE_USED_VERSIONED, true)
    } else if cap.is_valid_checked(Some(CAPSULE_LEGACY)) {
        (CAPSULE_LEGACY, CAPSULE_USED_LEGACY, false)
    } else {
        return Err(CapsuleError::NotDlpack);
    };
    let ptr = cap.pointer_checked(Some(name))?;
    // SAFETY: `cap` is a live capsule; renaming it to the `used_` name (a static C string) hands
    // the deleter call to us, per the DLPack capsule protocol.
    if unsafe { ffi::PyCapsule_SetName(cap.as_ptr(), used.as_ptr()) } != 0 {
        return Err(PyErr::fetch(capsule.py()).into());
    }
    let result = if versioned {
        // SAFETY: the pointer comes from an unconsumed "dltensor_versioned" capsule, which we
        // just consumed: we own the managed tensor and hand it over exactly once. Its producer
        // guarantees the fields describe readable memory until the deleter runs.
        unsafe { import_versioned(ptr.as_ptr().cast(), opts) }
    } else {
        // SAFETY: as above, for a "dltensor" capsule.
        unsafe { import_legacy(ptr.as_ptr().cast(), opts) }
    };
    Ok(result?)
}
