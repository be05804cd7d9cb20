//! `Constituent`: one constituent array of a binsparse array, a 1-D buffer that implements the
//! DLPack protocol (`__dlpack__`, `__dlpack_device__`).

use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use sparsebridge::Buffer;
use sparsebridge::buffer::dlpack::export;
use sparsebridge::buffer::dlpack::import::ImportOptions;
use sparsebridge::buffer::dlpack::request::ExportRequest;

use crate::capsule;
use crate::errors::{self, guard};

/// One constituent array: a 1-D buffer (host or device) that any DLPack consumer can import
/// (`numpy.from_dlpack`, `torch.from_dlpack`, ...). Exports are zero-copy and keep the memory
/// alive for as long as the consumer holds it.
#[pyclass(frozen, module = "sparsebridge._sparsebridge", name = "Constituent")]
#[derive(Debug, Clone)]
pub struct Constituent {
    pub(crate) buffer: Buffer,
}

impl Constituent {
    /// Wraps a buffer.
    pub(crate) fn new(buffer: Buffer) -> Self {
        Self { buffer }
    }
}

#[pymethods]
impl Constituent {
    /// The DLPack export (array-API 2023.12 signature): a `"dltensor_versioned"` capsule when
    /// `max_version >= (1, 0)`, else a legacy `"dltensor"` capsule.
    #[pyo3(signature = (*, stream = None, max_version = None, dl_device = None, copy = None))]
    fn __dlpack__<'py>(
        &self,
        py: Python<'py>,
        stream: Option<i64>,
        max_version: Option<(i64, i64)>,
        dl_device: Option<(i64, i64)>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        guard(|| {
            let req = ExportRequest::parse(stream, max_version, dl_device, copy)
                .map_err(errors::dlpack)?;
            let tensor = export::export(self.buffer.clone(), &req).map_err(errors::buffer)?;
            capsule::export(py, tensor)
        })
    }

    /// The DLPack `(device_type, device_id)` pair, e.g. `(1, 0)` for the CPU.
    fn __dlpack_device__(&self) -> (u32, i32) {
        self.buffer.device().to_dlpack()
    }

    /// The NumPy name of the element dtype (`"int32"`, `"complex128"`, ...).
    #[getter]
    fn dtype(&self) -> &'static str {
        self.buffer.dtype().name()
    }

    /// `(len,)`.
    #[getter]
    fn shape(&self) -> (usize,) {
        (self.buffer.len(),)
    }

    /// The device: `"cpu"`, `"cuda:0"`, `"cuda_host"`, `"cuda_managed"`.
    #[getter]
    fn device(&self) -> String {
        self.buffer.device().to_string()
    }

    /// Size in bytes.
    #[getter]
    fn nbytes(&self) -> usize {
        self.buffer.nbytes()
    }

    /// The address of the first element (0 when empty): for zero-copy checks.
    #[getter]
    fn data_ptr(&self) -> usize {
        if self.buffer.is_empty() {
            0
        } else {
            self.buffer.address()
        }
    }

    fn __len__(&self) -> usize {
        self.buffer.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "Constituent(len={}, dtype={}, device={})",
            self.buffer.len(),
            self.buffer.dtype(),
            self.buffer.device()
        )
    }

    /// Consumes a DLPack capsule. Returns the constituent, the tensor's shape (1-D, or 2-D with
    /// `allow_2d`, imported row-major as one buffer), whether sparsebridge copied the data and
    /// whether the producer marked it read-only.
    #[staticmethod]
    #[pyo3(signature = (capsule, *, copy = None, allow_2d = false))]
    fn from_capsule(
        capsule: &Bound<'_, PyAny>,
        copy: Option<bool>,
        allow_2d: bool,
    ) -> PyResult<(Constituent, Vec<usize>, bool, bool)> {
        guard(|| {
            let imported = capsule::import(capsule, &ImportOptions { copy, allow_2d })?;
            Ok((
                Constituent::new(imported.buffer),
                imported.shape,
                imported.copied,
                imported.read_only,
            ))
        })
    }

    /// Elements `[offset, offset + len)` as a new constituent sharing the memory (rows of a
    /// stacked 2-D import).
    fn slice(&self, offset: usize, len: usize) -> PyResult<Constituent> {
        guard(|| {
            Ok(Constituent::new(
                self.buffer.slice(offset, len).map_err(errors::buffer)?,
            ))
        })
    }

    /// The same memory viewed as another dtype of the same total size (`"bool"` → `"uint8"`,
    /// `"complex128"` → `"float64"`, ...).
    fn view(&self, dtype: &str) -> PyResult<Constituent> {
        guard(|| {
            let dt = dtype.parse().map_err(errors::buffer)?;
            Ok(Constituent::new(
                self.buffer.reinterpret(dt).map_err(errors::buffer)?,
            ))
        })
    }

    /// Whether both constituents view the same allocation.
    fn shares_memory_with(&self, other: PyRef<'_, Constituent>) -> bool {
        self.buffer.shares_memory_with(&other.buffer)
    }
}
