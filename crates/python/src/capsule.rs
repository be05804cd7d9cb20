//! DLPack capsules, through the buffer crate's `dlpack::capsule` (which holds the `unsafe`
//! CPython capsule calls): errors mapped to the Python exception hierarchy.

use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use sparsebridge::buffer::dlpack::capsule::{CapsuleError, export_capsule, import_capsule};
use sparsebridge::buffer::dlpack::export::ExportedTensor;
use sparsebridge::buffer::dlpack::import::{ImportOptions, Imported};

use crate::errors::{self, Kind};

fn map(e: CapsuleError) -> PyErr {
    match e {
        CapsuleError::Python(e) => e,
        CapsuleError::Buffer(e) => errors::buffer(e),
        other => errors::new_err(Kind::Device, other.to_string()),
    }
}

/// Wraps an exported tensor in a capsule named after its ABI. On failure the deleter has run.
pub(crate) fn export<'py>(
    py: Python<'py>,
    tensor: ExportedTensor,
) -> PyResult<Bound<'py, PyCapsule>> {
    export_capsule(py, tensor).map_err(map)
}

/// Consumes a DLPack capsule (versioned or legacy) and imports its tensor.
pub(crate) fn import(capsule: &Bound<'_, PyAny>, opts: &ImportOptions) -> PyResult<Imported> {
    import_capsule(capsule, opts).map_err(map)
}
