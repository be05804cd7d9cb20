//! `sparsebridge.sparse_tensor` PyCapsules (feature `pyo3`, for the Python extension), as
//! DLPack's `"dltensor"` capsules: the pointer is an `SBSparseTensor*`; consuming renames the
//! capsule `"used_sparsebridge.sparse_tensor"` before ownership is taken, and the destructor of
//! a capsule that was never consumed releases the tensor.

use std::ffi::{CStr, c_void};
use std::ptr::NonNull;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use sparsebridge::SparseArray;

use crate::error::CapiError;
use crate::tensor::{self, SBSparseTensor};

/// The name of an unconsumed capsule.
pub const CAPSULE_NAME: &CStr = c"sparsebridge.sparse_tensor";
/// The name of a consumed capsule.
pub const CAPSULE_USED_NAME: &CStr = c"used_sparsebridge.sparse_tensor";

unsafe extern "C" fn destroy(capsule: *mut ffi::PyObject) {
    // SAFETY: CPython calls the destructor with the live capsule; `PyCapsule_IsValid` only
    // reads its name. A consumed capsule was renamed, so this is false for it.
    if unsafe { ffi::PyCapsule_IsValid(capsule, CAPSULE_NAME.as_ptr()) } != 1 {
        return;
    }
    // SAFETY: valid under this name (checked), so this cannot fail.
    let p = unsafe { ffi::PyCapsule_GetPointer(capsule, CAPSULE_NAME.as_ptr()) }
        .cast::<SBSparseTensor>();
    if p.is_null() {
        return;
    }
    // SAFETY: `p` is the unconsumed tensor this capsule owns; released once, here.
    if let Some(d) = unsafe { (*p).deleter } {
        // SAFETY: as above.
        unsafe { d(p) }
    }
}

fn err(e: CapiError) -> PyErr {
    PyValueError::new_err(format!("{} (SB_E code {})", e.message, e.code))
}

/// Wraps `array` in a new `SBSparseTensor` inside a `"sparsebridge.sparse_tensor"` capsule.
pub fn to_capsule(py: Python<'_>, array: SparseArray) -> PyResult<Bound<'_, PyCapsule>> {
    let p = tensor::export(array).map_err(err)?;
    let ptr = NonNull::new(p.cast::<c_void>())
        .ok_or_else(|| PyValueError::new_err("export produced a NULL tensor"))?;
    // SAFETY: `ptr` is a live tensor the capsule now owns: its destructor releases it unless a
    // consumer renamed the capsule; it touches no Python object and is safe on any thread.
    let capsule =
        unsafe { PyCapsule::new_with_pointer_and_destructor(py, ptr, CAPSULE_NAME, Some(destroy)) };
    capsule.inspect_err(|_| {
        // SAFETY: the capsule was not made, so the tensor is still ours alone.
        if let Some(d) = unsafe { (*p).deleter } {
            // SAFETY: as above.
            unsafe { d(p) }
        }
    })
}

/// Consumes a `"sparsebridge.sparse_tensor"` capsule: its array, sharing the tensor's memory.
pub fn from_capsule(obj: &Bound<'_, PyAny>) -> PyResult<SparseArray> {
    let Ok(cap) = obj.cast::<PyCapsule>() else {
        return Err(PyTypeError::new_err(format!(
            "expected a PyCapsule, got {}",
            obj.get_type().name()?
        )));
    };
    if !cap.is_valid_checked(Some(CAPSULE_NAME)) {
        return Err(PyValueError::new_err(
            "the capsule is not an unconsumed \"sparsebridge.sparse_tensor\" (a capsule can be consumed only once)",
        ));
    }
    let ptr = cap.pointer_checked(Some(CAPSULE_NAME))?;
    // SAFETY: a live capsule; renaming it (to a static C string) hands the release to us.
    if unsafe { ffi::PyCapsule_SetName(cap.as_ptr(), CAPSULE_USED_NAME.as_ptr()) } != 0 {
        return Err(PyErr::fetch(obj.py()));
    }
    // SAFETY: the pointer came from an unconsumed capsule of this name, which we just consumed:
    // its producer guarantees an ABI-conforming tensor, now owned by this call.
    unsafe { tensor::take(ptr.as_ptr().cast()) }.map_err(err)
}
