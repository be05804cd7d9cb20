//! The one place where Rust errors become Python exceptions.
//!
//! The classes live in `sparsebridge/errors.py` (multiple inheritance, which pyo3's
//! `create_exception!` cannot express):
//!
//! | Python class | bases | Rust errors |
//! |---|---|---|
//! | `DescriptorError` | `BinsparseError`, `ValueError` | [`DescriptorError`] (except lengths), arrays that do not match `data_types` |
//! | `StructureError` | `BinsparseError`, `ValueError` | wrong array lengths or pointer ends, the O(nnz) check, conversion kernels |
//! | `UnsupportedFormatError` | `BinsparseError`, `TypeError` | unsupported conversions and requests, dtypes with no binsparse type |
//! | `DeviceError` | `BinsparseError`, `BufferError` | no driver or device, mixed devices, DLPack tensors that cannot be imported |
//! | `CopyRequiredError` | `BinsparseError`, `BufferError`, `ValueError` | `copy=False` where a copy or conversion is needed (strided or misaligned DLPack data included) |
//! | `FileFormatError` | `BinsparseError`, `ValueError` | malformed Matrix Market, binsparse HDF5 or NPY files ([`IoError`] `Parse`, `Malformed`, `Hdf5`) |
//!
//! File errors ([`io`]) keep the class of the layer that failed (a bad descriptor in a file is a
//! `DescriptorError`, bad indices a `StructureError`) with the file's path in the message; an
//! operating-system error is `FileNotFoundError`, `PermissionError` or `OSError`.
//!
//! Bad arguments (an unparsable device string, a bad `stream` or `max_version`) are plain
//! `ValueError`, and an allocation failure is `MemoryError`, as Python conventions expect.
//! [`guard`] turns a Rust panic into `BinsparseError` so that none reaches Python, and an
//! [`EngineError::Internal`] (a state the engine's own checks rule out) is `BinsparseError` too:
//! it names no fault of the caller, so no subclass that invites a workaround fits it.

use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::exceptions::{
    PyFileExistsError, PyFileNotFoundError, PyIsADirectoryError, PyMemoryError,
    PyNotADirectoryError, PyOSError, PyPermissionError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use sparsebridge::array::ArrayError;
use sparsebridge::buffer::{BufferError, DlpackError};
use sparsebridge::convert_core::ConvertError;
use sparsebridge::{DescriptorError, EngineError, Error};
use sparsebridge_io::IoError;

/// The exception classes of `sparsebridge.errors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `BinsparseError`.
    Base,
    /// `DescriptorError`.
    Descriptor,
    /// `StructureError`.
    Structure,
    /// `UnsupportedFormatError`.
    Unsupported,
    /// `DeviceError`.
    Device,
    /// `CopyRequiredError`.
    CopyRequired,
    /// `FileFormatError`.
    File,
}

impl Kind {
    const ALL: [Kind; 7] = [
        Kind::Base,
        Kind::Descriptor,
        Kind::Structure,
        Kind::Unsupported,
        Kind::Device,
        Kind::CopyRequired,
        Kind::File,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Base => "BinsparseError",
            Kind::Descriptor => "DescriptorError",
            Kind::Structure => "StructureError",
            Kind::Unsupported => "UnsupportedFormatError",
            Kind::Device => "DeviceError",
            Kind::CopyRequired => "CopyRequiredError",
            Kind::File => "FileFormatError",
        }
    }

    fn index(self) -> usize {
        Kind::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
}

static CLASSES: [PyOnceLock<Py<PyType>>; 7] = [
    PyOnceLock::new(),
    PyOnceLock::new(),
    PyOnceLock::new(),
    PyOnceLock::new(),
    PyOnceLock::new(),
    PyOnceLock::new(),
    PyOnceLock::new(),
];

fn class(py: Python<'_>, kind: Kind) -> PyResult<&Py<PyType>> {
    CLASSES[kind.index()].get_or_try_init(py, || {
        let module = py.import("sparsebridge.errors")?;
        Ok(module.getattr(kind.name())?.cast_into::<PyType>()?.unbind())
    })
}

/// A Python exception of class `kind` with `message`.
pub(crate) fn new_err(kind: Kind, message: impl Into<String>) -> PyErr {
    let message = message.into();
    Python::attach(|py| match class(py, kind) {
        Ok(t) => PyErr::from_type(t.bind(py).clone(), message),
        Err(e) => e,
    })
}

/// Runs `f`, turning a Rust panic into `BinsparseError` (so no panic reaches Python).
pub(crate) fn guard<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(new_err(
                Kind::Base,
                format!("internal error in sparsebridge (please report): {what}"),
            ))
        }
    }
}

/// Maps a descriptor error.
pub(crate) fn descriptor(e: DescriptorError) -> PyErr {
    let kind = match &e {
        DescriptorError::ArrayLength { .. } | DescriptorError::PointerEnd { .. } => Kind::Structure,
        _ => Kind::Descriptor,
    };
    new_err(kind, e.to_string())
}

/// Maps a DLPack error.
pub(crate) fn dlpack(e: DlpackError) -> PyErr {
    match &e {
        // Non-compact or misaligned data is refused only when a copy is not allowed.
        DlpackError::CopyRequired { .. }
        | DlpackError::ReadOnlyToLegacy
        | DlpackError::NonCompactStrides { .. }
        | DlpackError::Misaligned { .. }
        | DlpackError::MisalignedByteOffset { .. } => new_err(Kind::CopyRequired, e.to_string()),
        DlpackError::InvalidStream { .. } | DlpackError::InvalidMaxVersion { .. } => {
            PyValueError::new_err(e.to_string())
        }
        DlpackError::UnsupportedDType { .. } | DlpackError::Lanes { .. } => {
            new_err(Kind::Unsupported, e.to_string())
        }
        _ => new_err(Kind::Device, e.to_string()),
    }
}

/// Maps a buffer error.
pub(crate) fn buffer(e: BufferError) -> PyErr {
    match e {
        BufferError::Dlpack(d) => dlpack(d),
        BufferError::OutOfMemory { .. } => PyMemoryError::new_err(e.to_string()),
        BufferError::InvalidDevice { .. } | BufferError::InvalidDType { .. } => {
            PyValueError::new_err(e.to_string())
        }
        BufferError::Reinterpret { .. } | BufferError::DTypeMismatch { .. } => {
            new_err(Kind::Unsupported, e.to_string())
        }
        BufferError::OutOfBounds { .. } | BufferError::SizeOverflow { .. } => {
            new_err(Kind::Structure, e.to_string())
        }
        other => new_err(Kind::Device, other.to_string()),
    }
}

/// Maps an array-layer error.
pub(crate) fn array(e: ArrayError) -> PyErr {
    match e {
        ArrayError::Descriptor(d) => descriptor(d),
        ArrayError::Buffer(b) => buffer(b),
        ArrayError::Structure { .. }
        | ArrayError::NegativePointer { .. }
        | ArrayError::InterleavedOddLength { .. } => new_err(Kind::Structure, e.to_string()),
        ArrayError::MixedDevices { .. } => new_err(Kind::Device, e.to_string()),
        ArrayError::Unsupported(_) => new_err(Kind::Unsupported, e.to_string()),
        other => new_err(Kind::Descriptor, other.to_string()),
    }
}

/// Maps a conversion-kernel error.
pub(crate) fn convert_kernel(e: ConvertError) -> PyErr {
    match &e {
        ConvertError::DoesNotFit { .. } => new_err(Kind::Unsupported, e.to_string()),
        // As for a refused buffer: Python's own MemoryError, which callers already handle.
        ConvertError::OutOfMemory { .. } => PyMemoryError::new_err(e.to_string()),
        _ => new_err(Kind::Structure, e.to_string()),
    }
}

/// Maps a conversion-engine error.
pub(crate) fn engine(e: EngineError) -> PyErr {
    match e {
        EngineError::Array(a) => array(a),
        EngineError::Descriptor(d) => descriptor(d),
        EngineError::Buffer(b) => buffer(b),
        EngineError::Convert(c) => convert_kernel(c),
        EngineError::CopyRequired { .. } => new_err(Kind::CopyRequired, e.to_string()),
        // A bug of ours is no property of the request: the base class, as for a panic.
        EngineError::Internal(_) => new_err(Kind::Base, e.to_string()),
        other => new_err(Kind::Unsupported, other.to_string()),
    }
}

/// Maps the facade's error.
pub(crate) fn facade(e: Error) -> PyErr {
    match e {
        Error::Descriptor(d) => descriptor(d),
        Error::Buffer(b) => buffer(b),
        Error::Array(a) => array(a),
        Error::Convert(c) => engine(c),
        Error::InvalidRequest(_) => new_err(Kind::Descriptor, e.to_string()),
        other => new_err(Kind::Unsupported, other.to_string()),
    }
}

/// `err`'s class with `message` instead of its own (the file layer prefixes the path).
fn restate(err: PyErr, message: String) -> PyErr {
    Python::attach(|py| PyErr::from_type(err.get_type(py), message))
}

/// Maps a file-layer error: the class of the layer that failed, the message naming the file.
pub(crate) fn io(e: IoError) -> PyErr {
    let message = e.to_string();
    match e {
        IoError::Io { path, source } => {
            let args = (
                source.raw_os_error().unwrap_or(0),
                message,
                path.display().to_string(),
            );
            match source.kind() {
                std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(args),
                std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(args),
                std::io::ErrorKind::AlreadyExists => PyFileExistsError::new_err(args),
                std::io::ErrorKind::IsADirectory => PyIsADirectoryError::new_err(args),
                std::io::ErrorKind::NotADirectory => PyNotADirectoryError::new_err(args),
                _ => PyOSError::new_err(args),
            }
        }
        IoError::Descriptor { source, .. } => restate(descriptor(source), message),
        IoError::Array { source, .. } => restate(array(source), message),
        IoError::Buffer { source, .. } => restate(buffer(source), message),
        IoError::Convert { source, .. } => restate(engine(source), message),
        IoError::Unsupported { .. }
        | IoError::UnknownFormat { .. }
        | IoError::Hdf5Disabled { .. } => new_err(Kind::Unsupported, message),
        IoError::InvalidArgument { .. } => PyValueError::new_err(message),
        // Parse, Malformed, Hdf5 and any later variant: the file's content is at fault.
        _ => new_err(Kind::File, message),
    }
}
