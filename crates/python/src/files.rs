//! `read_file` / `write_file`: binsparse HDF5, NPY directories and Matrix Market through the
//! readers and writers of `sparsebridge-io` (the same code as the CLI), behind
//! `sparsebridge.read` / `sparsebridge.write`.

use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use sparsebridge_io::{FileFormat, IoError, ReadOptions, WriteOptions};

use crate::array::Array;
use crate::errors::{self, guard};

// Boxed: `IoError` is large, and it only travels out of the GIL-free section to be mapped.
type IoResult<T> = Result<T, Box<IoError>>;

fn file_format(path: &Path, format: Option<&str>) -> IoResult<FileFormat> {
    Ok(match format {
        Some(name) => name.parse()?,
        None => FileFormat::detect(path)?,
    })
}

fn read_checked(path: &Path, format: Option<&str>) -> IoResult<sparsebridge_io::ReadResult> {
    let format = file_format(path, format)?;
    let read = sparsebridge_io::read_as(path, format, &ReadOptions::default())?;
    read.array
        .validate_full()
        .map_err(|source| IoError::Array {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(read)
}

fn write_atomic(
    array: &sparsebridge::array::SparseArray,
    path: &Path,
    format: Option<&str>,
    version: &str,
) -> IoResult<&'static str> {
    let format = file_format(path, format)?;
    let options = WriteOptions {
        version: version.parse()?,
        progress: false,
    };
    // A missing directory is the OS's error, not the container library's.
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        std::fs::metadata(parent).map_err(|source| IoError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    sparsebridge_io::write_as(array, path, format, &options)?;
    Ok(format.name())
}

/// Reads `path` (`format`: `"mtx"`, `"hdf5"`, `"npy-dir"`, or `None` to tell it from the path)
/// and runs the full O(nnz) structural check, as `sparsebridge validate` does: a file is
/// untrusted input. Returns the array, the file format's name and the reader's warnings.
#[pyfunction]
#[pyo3(signature = (path, *, format = None))]
pub fn read_file(
    py: Python<'_>,
    path: PathBuf,
    format: Option<&str>,
) -> PyResult<(Array, &'static str, Vec<String>)> {
    guard(|| {
        let read = py
            .detach(|| read_checked(&path, format))
            .map_err(|e| errors::io(*e))?;
        Ok((Array::wrap(read.array), read.format.name(), read.warnings))
    })
}

/// Writes `array` (on the CPU) to `path` atomically: the file is built under a temporary name
/// beside it and renamed into place, so a failure never leaves a partial file. `version` is
/// the spelling of the binsparse version in HDF5 / NPY output (`"0.1"` or `"0.1.0"`). Returns
/// the file format's name.
#[pyfunction]
#[pyo3(signature = (array, path, *, format = None, version = "0.1"))]
pub fn write_file(
    py: Python<'_>,
    array: PyRef<'_, Array>,
    path: PathBuf,
    format: Option<&str>,
    version: &str,
) -> PyResult<&'static str> {
    guard(|| {
        let inner = array.inner().clone();
        py.detach(|| write_atomic(&inner, &path, format, version))
            .map_err(|e| errors::io(*e))
    })
}
