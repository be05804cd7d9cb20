//! `to_capsule` / `from_capsule`: sparse arrays as `"sparsebridge.sparse_tensor"` PyCapsules
//! holding the C ABI's `SBSparseTensor*` (crates/capi; docs/capi.md), so C extensions exchange
//! sparse arrays with Python without a copy.

use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::array::Array;

/// A new `SBSparseTensor` sharing the array's memory, in a `"sparsebridge.sparse_tensor"`
/// capsule (released by the capsule's destructor unless consumed).
#[pyfunction]
pub fn to_capsule<'py>(py: Python<'py>, array: &Array) -> PyResult<Bound<'py, PyCapsule>> {
    sparsebridge_capi::capsule::to_capsule(py, array.inner().clone())
}

/// Consumes a `"sparsebridge.sparse_tensor"` capsule (renamed `"used_..."`), zero-copy.
#[pyfunction]
pub fn from_capsule(capsule: &Bound<'_, PyAny>) -> PyResult<Array> {
    sparsebridge_capi::capsule::from_capsule(capsule).map(Array::wrap)
}
