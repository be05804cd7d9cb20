//! `sparsebridge._sparsebridge`: the Rust core of the `sparsebridge` Python package (issue 6).
//!
//! | module | contents |
//! |---|---|
//! | [`array`] | `_Array`: descriptor + constituents, conversion, device moves, validation |
//! | [`constituent`] | `Constituent`: one 1-D buffer with `__dlpack__` / `__dlpack_device__` |
//! | [`files`] | `read_file` / `write_file`: Matrix Market, binsparse HDF5 and NPY files (sparsebridge-io) |
//! | [`capi`] | `to_capsule` / `from_capsule`: `"sparsebridge.sparse_tensor"` capsules of the C ABI (sparsebridge-capi) |
//! | `capsule` | PyCapsule wrapping of DLPack tensors (`dltensor[_versioned]`, `used_*`) |
//! | `errors` | the one mapping of Rust errors to the `sparsebridge.errors` hierarchy |
//!
//! The public Python API (`SparseArray`, `asarray`, `from_binsparse`, ...) is written in Python
//! on top of these (python/sparsebridge/).

use pyo3::prelude::*;

pub mod array;
pub mod capi;
mod capsule;
pub mod constituent;
mod errors;
pub mod files;

/// The extension module.
#[pymodule]
fn _sparsebridge(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<array::Array>()?;
    m.add_class::<constituent::Constituent>()?;
    m.add_function(wrap_pyfunction!(array::canonical_device, m)?)?;
    m.add_function(wrap_pyfunction!(files::read_file, m)?)?;
    m.add_function(wrap_pyfunction!(files::write_file, m)?)?;
    m.add_function(wrap_pyfunction!(capi::to_capsule, m)?)?;
    m.add_function(wrap_pyfunction!(capi::from_capsule, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
