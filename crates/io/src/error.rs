//! Typed errors of the file layer. Every variant names the file; text formats also name the line.

use std::path::{Path, PathBuf};

use sparsebridge::{ArrayError, BufferError, DescriptorError, EngineError};

/// Why a file could not be read, written or converted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IoError {
    /// An operating-system error (missing file, permissions, disk full).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A text file (Matrix Market) is malformed at `line` (1-based).
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A binary container (HDF5, NPY) is malformed: a missing or wrong dataset, attribute or header.
    #[error("{}: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong (names the dataset, array or key).
        message: String,
    },
    /// The descriptor stored in the file is invalid.
    #[error("{}: invalid binsparse descriptor: {source}", path.display())]
    Descriptor {
        /// The file.
        path: PathBuf,
        /// The descriptor error (names the key and value).
        #[source]
        source: DescriptorError,
    },
    /// The arrays do not match the descriptor, or the structure is invalid.
    #[error("{}: {source}", path.display())]
    Array {
        /// The file.
        path: PathBuf,
        /// The array error (names the array and position).
        #[source]
        source: ArrayError,
    },
    /// A buffer operation (device copy, dtype view) failed.
    #[error("{}: {source}", path.display())]
    Buffer {
        /// The file.
        path: PathBuf,
        /// The buffer error.
        #[source]
        source: BufferError,
    },
    /// The format conversion failed.
    #[error("{}: conversion failed: {source}", path.display())]
    Convert {
        /// The file being converted.
        path: PathBuf,
        /// The engine's error.
        #[source]
        source: EngineError,
    },
    /// The file's content or the request cannot be represented (e.g. a non-zero fill value in
    /// Matrix Market, a 3-D array, a big-endian NPY array).
    #[error("{}: unsupported: {message}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is not supported.
        message: String,
    },
    /// The file format could not be told from the path.
    #[error(
        "{}: unknown file format (expected .mtx, .bsp.h5/.h5/.hdf5, or a binsparse NPY directory \
         holding binsparse.json)",
        path.display()
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// An HDF5 library error.
    #[cfg(feature = "hdf5")]
    #[error("{}: HDF5: {source}", path.display())]
    Hdf5 {
        /// The file.
        path: PathBuf,
        /// The library's error.
        #[source]
        source: hdf5::Error,
    },
    /// HDF5 support was not compiled in.
    #[error(
        "{}: HDF5 support is not compiled in (build sparsebridge-io with the `hdf5` feature)",
        path.display()
    )]
    Hdf5Disabled {
        /// The file.
        path: PathBuf,
    },
    /// A bad command-line value (format, index type, device).
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidArgument {
        /// Which argument.
        what: &'static str,
        /// The value given.
        value: String,
        /// Why it is refused.
        reason: String,
    },
}

impl IoError {
    /// The file the error is about, when there is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::Io { path, .. }
            | Self::Parse { path, .. }
            | Self::Malformed { path, .. }
            | Self::Descriptor { path, .. }
            | Self::Array { path, .. }
            | Self::Buffer { path, .. }
            | Self::Convert { path, .. }
            | Self::Unsupported { path, .. }
            | Self::UnknownFormat { path }
            | Self::Hdf5Disabled { path } => Some(path),
            #[cfg(feature = "hdf5")]
            Self::Hdf5 { path, .. } => Some(path),
            Self::InvalidArgument { .. } => None,
        }
    }

    /// Whether the error comes from the operating system (file missing, permissions) rather
    /// than from the file's content.
    pub fn is_os_error(&self) -> bool {
        matches!(self, Self::Io { .. })
    }
}

/// Shorthands that attach a path to lower-layer errors.
pub(crate) trait AtPath<T> {
    /// Attach `path`.
    fn at(self, path: &Path) -> Result<T, IoError>;
}

macro_rules! at_path {
    ($err:ty, $variant:ident) => {
        impl<T> AtPath<T> for Result<T, $err> {
            fn at(self, path: &Path) -> Result<T, IoError> {
                self.map_err(|source| IoError::$variant {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
    };
}

at_path!(std::io::Error, Io);
at_path!(DescriptorError, Descriptor);
at_path!(ArrayError, Array);
at_path!(BufferError, Buffer);
at_path!(EngineError, Convert);
#[cfg(feature = "hdf5")]
at_path!(hdf5::Error, Hdf5);

/// `IoError::Malformed` for `path`.
pub(crate) fn malformed(path: &Path, message: impl Into<String>) -> IoError {
    IoError::Malformed {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// `IoError::Unsupported` for `path`.
pub(crate) fn unsupported(path: &Path, message: impl Into<String>) -> IoError {
    IoError::Unsupported {
        path: path.to_path_buf(),
        message: message.into(),
    }
}
