//! `_Array`: the Rust [`SparseArray`] behind `sparsebridge.SparseArray`.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use sparsebridge::array::SparseArray as RustArray;
use sparsebridge::array::scalar_of;
use sparsebridge::buffer::dlpack::import::ImportOptions;
use sparsebridge::convert_core::DuplicatePolicy;
use sparsebridge::descriptor::{ArrayRole, ParseOptions, ScalarType};
use sparsebridge::{
    Buffer, ConvertOptions, DType, Descriptor, Device, PredefinedFormat, Target, convert,
    fulfil_request,
};

use crate::capsule;
use crate::constituent::Constituent;
use crate::errors::{self, Kind, guard};

/// A binsparse array held by Rust: a validated descriptor plus constituent buffers on one device.
/// Python code uses it through `sparsebridge.SparseArray`.
#[pyclass(frozen, module = "sparsebridge._sparsebridge", name = "_Array")]
#[derive(Debug)]
pub struct Array {
    inner: RustArray,
}

fn parse_descriptor(text: &str, lenient: bool) -> PyResult<(Descriptor, Vec<String>)> {
    let opts = if lenient {
        ParseOptions::lenient()
    } else {
        ParseOptions::default()
    };
    let parsed = Descriptor::parse(text, &opts).map_err(errors::descriptor)?;
    let warnings = parsed.warnings.iter().map(ToString::to_string).collect();
    Ok((parsed.descriptor, warnings))
}

fn parse_scalar(name: &str, what: &str) -> PyResult<ScalarType> {
    name.parse::<ScalarType>().map_err(|_| {
        errors::new_err(
            Kind::Unsupported,
            format!("{what} {name:?} is not a binsparse integer type"),
        )
    })
}

/// The number of stored values implied by the arrays of a descriptor whose `nnz` is unknown
/// (legacy writers): the length of the innermost index array, else of a non-iso `values`.
fn derive_nnz(d: &Descriptor, arrays: &[(String, Buffer)]) -> Option<u64> {
    let len_of = |name: &str| {
        arrays
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.len() as u64)
    };
    let innermost = d
        .arrays()
        .iter()
        .filter_map(|s| match s.role {
            ArrayRole::Indices { dim } => Some((dim, s.name.clone())),
            _ => None,
        })
        .max_by_key(|(dim, _)| *dim);
    if let Some((_, name)) = innermost {
        return len_of(&name);
    }
    let values = d.data_type("values")?;
    if values.iso {
        return None;
    }
    let len = len_of("values")?;
    // Interleaved complex arrays hold two floats per value.
    let interleaved = matches!(
        (
            values.scalar,
            arrays
                .iter()
                .find(|(n, _)| n == "values")
                .map(|(_, b)| b.dtype())
        ),
        (ScalarType::ComplexFloat32, Some(DType::F32))
            | (ScalarType::ComplexFloat64, Some(DType::F64))
    );
    Some(if interleaved { len / 2 } else { len })
}

/// Imports one 1-D constituent from a DLPack producer: the versioned ABI first
/// (`max_version=(1, 3)`, with `copy=False` passed on when the caller refuses copies), the legacy
/// one when the producer predates it (`TypeError`).
fn import_producer(
    py: Python<'_>,
    name: &str,
    obj: &Bound<'_, PyAny>,
    copy: Option<bool>,
    opts: &ImportOptions,
) -> PyResult<Buffer> {
    if let Ok(c) = obj.cast::<Constituent>()
        && copy != Some(true)
    {
        return Ok(c.get().buffer.clone());
    }
    let dlpack = obj.getattr(intern!(py, "__dlpack__")).map_err(|_| {
        errors::new_err(
            Kind::Descriptor,
            format!("constituent array `{name}` does not implement __dlpack__"),
        )
    })?;
    let kwargs = PyDict::new(py);
    kwargs.set_item(intern!(py, "max_version"), (1, 3))?;
    if copy == Some(false) {
        kwargs.set_item(intern!(py, "copy"), false)?;
    }
    let cap = match dlpack.call((), Some(&kwargs)) {
        Ok(cap) => cap,
        Err(e) if e.is_instance_of::<PyTypeError>(py) => dlpack.call0()?,
        Err(e) => return Err(e),
    };
    // `allow_2d: false`: the import refuses any tensor that is not 1-D.
    Ok(capsule::import(&cap, opts)?.buffer)
}

impl Array {
    pub(crate) fn wrap(inner: RustArray) -> Self {
        Self { inner }
    }

    /// The Rust array.
    pub(crate) fn inner(&self) -> &RustArray {
        &self.inner
    }

    fn index_buffer(&self, pointers: bool) -> Option<&Buffer> {
        self.inner.descriptor().arrays().iter().find_map(|s| {
            let hit = match s.role {
                ArrayRole::Pointers { .. } => pointers,
                ArrayRole::Indices { .. } => !pointers,
                _ => false,
            };
            if hit { self.inner.array(&s.name) } else { None }
        })
    }

    /// `convert` on this array with the GIL released: the result and whether it copied.
    fn convert_to(
        &self,
        py: Python<'_>,
        target: &Target,
        options: &ConvertOptions,
    ) -> PyResult<(Array, bool)> {
        let out = py
            .detach(|| convert(&self.inner, target, options))
            .map_err(errors::engine)?;
        Ok((Array::wrap(out.array), out.copied))
    }
}

#[pymethods]
impl Array {
    /// Builds an array from a descriptor (JSON text, read leniently unless `lenient=False`) and
    /// its constituents, with the O(1) checks. Returns the array and the reader's warnings.
    #[staticmethod]
    #[pyo3(signature = (descriptor, arrays, *, lenient = true))]
    fn assemble(
        descriptor: &str,
        arrays: Vec<(String, PyRef<'_, Constituent>)>,
        lenient: bool,
    ) -> PyResult<(Array, Vec<String>)> {
        guard(|| {
            let (mut d, warnings) = parse_descriptor(descriptor, lenient)?;
            let arrays: Vec<(String, Buffer)> = arrays
                .iter()
                .map(|(n, c)| (n.clone(), c.buffer.clone()))
                .collect();
            if !d.nnz_known() {
                let nnz = derive_nnz(&d, &arrays).ok_or_else(|| {
                    errors::new_err(
                        Kind::Descriptor,
                        "`binsparse.number_of_stored_values`: missing and not derivable from the arrays",
                    )
                })?;
                d = d.with_nnz(nnz).map_err(errors::descriptor)?;
            }
            let inner = RustArray::try_new(d, arrays).map_err(errors::array)?;
            Ok((Array::wrap(inner), warnings))
        })
    }

    /// The hand-off fast path: builds an array of a predefined `format` from its constituents
    /// without a descriptor round trip through JSON. `arrays` pairs each binsparse name with a
    /// DLPack producer (anything with `__dlpack__`); every data type is read from the imported
    /// tensor's dtype, so the caller (an adapter that knows its layout, e.g. `scipy.parts`)
    /// states only format, shape and nnz. `copy` as in `from_binsparse`; `source` becomes the
    /// descriptor's `original_source` key. The O(1) checks run as in `assemble`.
    #[staticmethod]
    #[pyo3(signature = (format, shape, nnz, arrays, *, copy = None, source = None))]
    fn from_parts(
        py: Python<'_>,
        format: &str,
        shape: Vec<u64>,
        nnz: u64,
        arrays: Vec<(String, Bound<'_, PyAny>)>,
        copy: Option<bool>,
        source: Option<&str>,
    ) -> PyResult<Array> {
        guard(|| {
            let format: PredefinedFormat = format.parse().map_err(|_| {
                errors::new_err(Kind::Unsupported, format!("unknown format {format:?}"))
            })?;
            let opts = ImportOptions {
                copy,
                allow_2d: false,
            };
            let mut buffers = Vec::with_capacity(arrays.len());
            for (name, obj) in &arrays {
                buffers.push((name.clone(), import_producer(py, name, obj, copy, &opts)?));
            }
            let values = buffers
                .iter()
                .find(|(n, _)| n == "values")
                .ok_or_else(|| errors::new_err(Kind::Descriptor, "no `values` array"))?;
            let scalar = |name: &str, b: &Buffer| {
                scalar_of(b.dtype()).ok_or_else(|| {
                    errors::new_err(
                        Kind::Unsupported,
                        format!(
                            "array `{name}` has dtype {}, which has no binsparse type",
                            b.dtype()
                        ),
                    )
                })
            };
            let mut builder =
                Descriptor::builder(format, shape, nnz, scalar("values", &values.1)?.into())
                    .extension_types(true);
            for (name, b) in &buffers {
                builder = builder.array_type(name.clone(), scalar(name, b)?.into());
            }
            if let Some(source) = source {
                builder = builder.user_key("original_source", source.into());
            }
            let d = builder.build().map_err(errors::descriptor)?;
            let inner = RustArray::try_new(d, buffers).map_err(errors::array)?;
            Ok(Array::wrap(inner))
        })
    }

    /// The transpose as a pure relabelling (CSR ↔ CSC, DCSR ↔ DCSC, COOR ↔ COOC,
    /// DMATR ↔ DMATC): shape reversed, every buffer shared, nothing moved.
    fn transposed(&self) -> PyResult<Array> {
        guard(|| {
            self.inner
                .transposed()
                .map(Array::wrap)
                .map_err(errors::array)
        })
    }

    /// The strict descriptor (binsparse-protocol.md §12) as JSON text.
    fn descriptor_json(&self) -> PyResult<String> {
        guard(|| {
            self.inner
                .descriptor()
                .to_json_string()
                .map_err(errors::descriptor)
        })
    }

    /// The constituents in the descriptor's order. Complex arrays are exported in the spec's
    /// interleaved float layout unless `native_complex` (then complex-dtype arrays).
    #[pyo3(signature = (*, native_complex = false))]
    fn constituents(&self, native_complex: bool) -> PyResult<Vec<(String, Constituent)>> {
        guard(|| {
            self.inner
                .arrays()
                .iter()
                .map(|(name, b)| {
                    let b = match (native_complex, b.dtype()) {
                        (false, DType::Complex64) => b.reinterpret(DType::F32),
                        (false, DType::Complex128) => b.reinterpret(DType::F64),
                        _ => Ok(b.clone()),
                    }
                    .map_err(errors::buffer)?;
                    Ok((name.clone(), Constituent::new(b)))
                })
                .collect()
        })
    }

    /// The predefined format name (`"CSR"`, ...) or `"custom"`.
    #[getter]
    fn format(&self) -> &'static str {
        self.inner
            .descriptor()
            .alias()
            .map_or("custom", PredefinedFormat::name)
    }

    /// The level summary of the format (`"dense(1)→sparse(1)→element"`).
    #[getter]
    fn format_summary(&self) -> String {
        self.inner.descriptor().format().summary()
    }

    /// The logical shape.
    #[getter]
    fn shape(&self) -> Vec<u64> {
        self.inner.shape().to_vec()
    }

    /// The number of stored values.
    #[getter]
    fn nnz(&self) -> u64 {
        self.inner.nnz()
    }

    /// The binsparse type string of `values` (`"float64"`, `"iso[bint8]"`, ...).
    #[getter]
    fn value_type(&self) -> String {
        self.inner.descriptor().value_type().to_string()
    }

    /// The in-memory dtype of `values` (NumPy name; `bint8` is stored as `"uint8"`).
    #[getter]
    fn value_dtype(&self) -> Option<&'static str> {
        self.inner.array("values").map(|b| b.dtype().name())
    }

    /// Whether `values` is iso (one value shared by every stored index).
    #[getter]
    fn is_iso(&self) -> bool {
        self.inner.descriptor().value_type().iso
    }

    /// Whether a `fill_value` array is present.
    #[getter]
    fn fill(&self) -> bool {
        self.inner.descriptor().fill()
    }

    /// The `structure` value, if any.
    #[getter]
    fn structure(&self) -> Option<String> {
        self.inner.descriptor().structure().map(|s| s.to_string())
    }

    /// The dtype of the index arrays (`None` for dense formats).
    #[getter]
    fn index_dtype(&self) -> Option<&'static str> {
        self.index_buffer(false).map(|b| b.dtype().name())
    }

    /// The dtype of the pointer arrays (`None` without pointers).
    #[getter]
    fn pointer_dtype(&self) -> Option<&'static str> {
        self.index_buffer(true).map(|b| b.dtype().name())
    }

    /// The device (`"cpu"`, `"cuda:0"`, ...).
    #[getter]
    fn device(&self) -> String {
        self.inner.device().to_string()
    }

    /// Whether the O(nnz) check has passed (or the data is canonical by construction).
    #[getter]
    fn is_validated(&self) -> bool {
        self.inner.is_validated()
    }

    /// The full O(nnz) structural check; raises `StructureError` naming the first violation.
    fn validate(&self, py: Python<'_>) -> PyResult<()> {
        guard(|| {
            py.detach(|| self.inner.validate_full())
                .map_err(errors::array)
        })
    }

    /// Converts on the array's device. Returns the result and whether new memory was allocated.
    #[pyo3(signature = (format, *, index_dtype = None, pointer_dtype = None, copy = None))]
    fn convert(
        &self,
        py: Python<'_>,
        format: &str,
        index_dtype: Option<&str>,
        pointer_dtype: Option<&str>,
        copy: Option<bool>,
    ) -> PyResult<(Array, bool)> {
        guard(|| {
            let format: PredefinedFormat = format.parse().map_err(|_| {
                errors::new_err(Kind::Unsupported, format!("unknown format {format:?}"))
            })?;
            let target = Target {
                format: format.into(),
                index_type: index_dtype
                    .map(|t| parse_scalar(t, "index_dtype"))
                    .transpose()?,
                pointer_type: pointer_dtype
                    .map(|t| parse_scalar(t, "pointer_dtype"))
                    .transpose()?,
            };
            self.convert_to(
                py,
                &target,
                &ConvertOptions {
                    copy,
                    ..ConvertOptions::default()
                },
            )
        })
    }

    /// A canonical copy of a non-canonical COO (any rank), CSR or CSC array, in the same
    /// format and index dtypes: coordinates sorted, duplicates summed (`policy="sum"`, in input
    /// order) or refused (`policy="reject"`: `StructureError` naming the first duplicate's
    /// coordinates). An array that is already canonical is returned as is (shared buffers).
    /// Returns the result and whether new memory was allocated.
    #[pyo3(signature = (policy = "sum"))]
    fn canonicalize(&self, py: Python<'_>, policy: &str) -> PyResult<(Array, bool)> {
        guard(|| {
            let policy = match policy {
                "sum" => DuplicatePolicy::Sum,
                "reject" => DuplicatePolicy::Reject,
                other => {
                    return Err(PyValueError::new_err(format!(
                        "duplicates must be \"sum\" or \"reject\", not {other:?}"
                    )));
                }
            };
            let target = Target::format(self.inner.descriptor().format().clone());
            self.convert_to(
                py,
                &target,
                &ConvertOptions {
                    canonicalize: Some(policy),
                    ..ConvertOptions::default()
                },
            )
        })
    }

    /// Answers `__binsparse__(descriptor=...)`: the array in the requested format and index
    /// dtypes. Returns the result and whether new memory was allocated.
    #[pyo3(signature = (descriptor, *, copy = None))]
    fn fulfil(
        &self,
        py: Python<'_>,
        descriptor: &str,
        copy: Option<bool>,
    ) -> PyResult<(Array, bool)> {
        guard(|| {
            let (requested, _) = parse_descriptor(descriptor, true)?;
            let out = py
                .detach(|| fulfil_request(&self.inner, &requested, copy))
                .map_err(errors::facade)?;
            Ok((Array::wrap(out.array), out.copied))
        })
    }

    /// The array on `device` (`"cpu"`, `"cuda:0"`, ...). `copy=False` refuses a move;
    /// `copy=True` always copies. Returns the result and whether it was copied.
    #[pyo3(signature = (device, *, copy = None))]
    fn to_device(
        &self,
        py: Python<'_>,
        device: &str,
        copy: Option<bool>,
    ) -> PyResult<(Array, bool)> {
        guard(|| {
            let target: Device = device.parse().map_err(errors::buffer)?;
            let same = target == self.inner.device();
            if same && copy != Some(true) {
                return Ok((Array::wrap(self.inner.clone()), false));
            }
            if !same && copy == Some(false) {
                return Err(errors::new_err(
                    Kind::CopyRequired,
                    format!(
                        "moving the array from {} to {target} needs a copy, but copy=False was requested",
                        self.inner.device()
                    ),
                ));
            }
            // A validated array stays validated: same structure, copied bytes.
            let out = py
                .detach(|| self.inner.copy_to(target))
                .map_err(errors::array)?;
            Ok((Array::wrap(out), true))
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "_Array(format={}, shape={:?}, nnz={}, values={}, device={})",
            self.format(),
            self.inner.shape(),
            self.inner.nnz(),
            self.value_type(),
            self.inner.device()
        )
    }
}

/// Checks that a device string parses (`"cpu"`, `"cuda"`, `"cuda:N"`, ...) and returns its
/// canonical spelling.
#[pyfunction]
pub fn canonical_device(device: &str) -> PyResult<String> {
    device
        .parse::<Device>()
        .map(|d| d.to_string())
        .map_err(|e| PyValueError::new_err(e.to_string()))
}
