//! sparsebridge-io: sparse arrays to and from files, and the logic of the `sparsebridge`
//! command-line subcommands `info`, `validate` and `convert`.
//!
//! | file | how it is recognised | read | write |
//! |---|---|---|---|
//! | Matrix Market | `.mtx` | [`mtx::read_mtx`] (streaming; `COOR`/`CVEC`/`DMATC`) | [`mtx::write_mtx`] |
//! | binsparse HDF5 | `.h5`, `.hdf5` (`.bsp.h5`) | `h5::read_h5` | `h5::write_h5` (feature `hdf5`) |
//! | binsparse NPY directory | a directory holding `binsparse.json`, or a path ending in `.bsp`/`.npy.d` or `/` | [`npy::read_npy_dir`] | [`npy::write_npy_dir`] |
//!
//! [`read`] and [`write`] dispatch on [`FileFormat::detect`]. Every error is an [`IoError`] that
//! names the file (and, for Matrix Market, the line). Every write is atomic: the output is built
//! under a temporary name in the target's directory and renamed into place, so a failed write
//! never leaves a partial file.
//!
//! ```
//! use sparsebridge_io::{ReadOptions, read, write, WriteOptions};
//! let dir = std::env::temp_dir().join(format!("sbio-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let mtx = dir.join("a.mtx");
//! std::fs::write(&mtx, "%%MatrixMarket matrix coordinate real general\n2 3 2\n2 1 1.5\n1 3 -2\n").unwrap();
//! let a = read(&mtx, &ReadOptions::default()).unwrap().array;
//! assert_eq!(a.descriptor().alias().unwrap().name(), "COOR");
//! assert_eq!(a.array("indices_0").unwrap().as_slice::<i64>().unwrap(), &[0, 1]);
//! assert_eq!(a.array("values").unwrap().as_slice::<f64>().unwrap(), &[-2.0, 1.5]);
//! write(&a, &dir.join("a.bsp"), &WriteOptions::default()).unwrap(); // an NPY directory
//! let back = read(&dir.join("a.bsp"), &ReadOptions::default()).unwrap().array;
//! assert_eq!(back.array("indices_1").unwrap().as_slice::<i64>().unwrap(), &[2, 0]);
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

mod atomic;
pub mod cli;
mod container;
mod error;
#[cfg(feature = "hdf5")]
pub mod h5;
pub mod mtx;
pub mod npy;
pub mod progress;
mod values;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sparsebridge::{ScalarType, SparseArray};

pub use atomic::remove_pending_temporaries;
pub use container::VersionSpelling;
pub use error::IoError;

/// A file format sparsebridge reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileFormat {
    /// Matrix Market text (`.mtx`).
    MatrixMarket,
    /// binsparse HDF5 (`.bsp.h5`, `.h5`, `.hdf5`).
    Hdf5,
    /// A binsparse NPY directory (`binsparse.json` plus one `.npy` per array).
    NpyDir,
}

impl FileFormat {
    /// The format of `path`: an existing directory is an NPY directory; otherwise by extension
    /// (`.mtx`; `.h5`/`.hdf5`; `.bsp`, `.npy.d` or a trailing `/` for an NPY directory).
    pub fn detect(path: &Path) -> Result<Self, IoError> {
        if path.is_dir() {
            return Ok(Self::NpyDir);
        }
        let s = path.to_string_lossy().to_ascii_lowercase();
        if s.ends_with(".mtx") {
            Ok(Self::MatrixMarket)
        } else if s.ends_with(".h5") || s.ends_with(".hdf5") {
            Ok(Self::Hdf5)
        } else if s.ends_with(".bsp") || s.ends_with(".npy.d") || s.ends_with('/') {
            Ok(Self::NpyDir)
        } else {
            Err(IoError::UnknownFormat {
                path: path.to_path_buf(),
            })
        }
    }

    /// A short name (`mtx`, `hdf5`, `npy-dir`).
    pub fn name(self) -> &'static str {
        match self {
            Self::MatrixMarket => "mtx",
            Self::Hdf5 => "hdf5",
            Self::NpyDir => "npy-dir",
        }
    }
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FileFormat {
    type Err = IoError;

    /// `mtx`, `hdf5` (or `h5`), `npy-dir` (or `npy`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mtx" | "matrix-market" => Ok(Self::MatrixMarket),
            "hdf5" | "h5" => Ok(Self::Hdf5),
            "npy-dir" | "npy" => Ok(Self::NpyDir),
            other => Err(IoError::InvalidArgument {
                what: "file format",
                value: other.to_owned(),
                reason: "expected mtx, hdf5 or npy-dir".to_owned(),
            }),
        }
    }
}

/// How to read a file.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Matrix Market: mirror the stored triangle of symmetric, skew-symmetric and Hermitian
    /// files into a general matrix instead of declaring a binsparse `structure`.
    pub expand_symmetry: bool,
    /// Matrix Market: the dtype of the index arrays built (default `int64`). binsparse files keep
    /// the dtypes they store.
    pub index_type: Option<ScalarType>,
    /// Show a progress bar on stderr (only when it is a terminal).
    pub progress: bool,
}

/// How to write a file.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// The spelling of the binsparse `version` in HDF5 and NPY output.
    pub version: VersionSpelling,
    /// Show a progress bar on stderr (only when it is a terminal).
    pub progress: bool,
}

/// A file read into memory.
#[derive(Debug)]
pub struct ReadResult {
    /// The array (on the CPU).
    pub array: SparseArray,
    /// The format the file was read as.
    pub format: FileFormat,
    /// What the lenient descriptor reader changed or ignored (legacy keys, `attrs`, ...).
    pub warnings: Vec<String>,
}

/// Reads `path` in the format [`FileFormat::detect`] finds.
pub fn read(path: &Path, options: &ReadOptions) -> Result<ReadResult, IoError> {
    let format = FileFormat::detect(path)?;
    read_as(path, format, options)
}

/// Reads `path` as `format`.
pub fn read_as(
    path: &Path,
    format: FileFormat,
    options: &ReadOptions,
) -> Result<ReadResult, IoError> {
    // A missing file is an OS error whatever the format (HDF5 would report it as its own).
    std::fs::metadata(path).map_err(|source| IoError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let (array, warnings) = match format {
        FileFormat::MatrixMarket => (mtx::read_mtx(path, options)?, Vec::new()),
        FileFormat::NpyDir => npy::read_npy_dir_with(path, options.progress)?,
        FileFormat::Hdf5 => read_hdf5(path, options.progress)?,
    };
    Ok(ReadResult {
        array,
        format,
        warnings,
    })
}

#[cfg(feature = "hdf5")]
fn read_hdf5(path: &Path, progress: bool) -> Result<(SparseArray, Vec<String>), IoError> {
    h5::read_h5_with(path, progress)
}

#[cfg(not(feature = "hdf5"))]
fn read_hdf5(path: &Path, _progress: bool) -> Result<(SparseArray, Vec<String>), IoError> {
    Err(IoError::Hdf5Disabled {
        path: path.to_path_buf(),
    })
}

/// Writes `array` (on the CPU) to `path` in the format [`FileFormat::detect`] finds.
pub fn write(
    array: &SparseArray,
    path: &Path,
    options: &WriteOptions,
) -> Result<FileFormat, IoError> {
    let format = FileFormat::detect(path)?;
    write_as(array, path, format, options)?;
    Ok(format)
}

/// Writes `array` (on the CPU) to `path` as `format`, atomically.
pub fn write_as(
    array: &SparseArray,
    path: &Path,
    format: FileFormat,
    options: &WriteOptions,
) -> Result<(), IoError> {
    let path: PathBuf = strip_trailing_slash(path);
    match format {
        FileFormat::MatrixMarket => mtx::write_mtx(array, &path, options.progress),
        FileFormat::NpyDir => {
            npy::write_npy_dir_with(array, &path, options.version, options.progress)
        }
        FileFormat::Hdf5 => write_hdf5(array, &path, options.version, options.progress),
    }
}

fn strip_trailing_slash(path: &Path) -> PathBuf {
    let s = path.to_string_lossy();
    let t = s.trim_end_matches('/');
    if t.is_empty() || t.len() == s.len() {
        path.to_path_buf()
    } else {
        PathBuf::from(t)
    }
}

#[cfg(feature = "hdf5")]
fn write_hdf5(
    array: &SparseArray,
    path: &Path,
    version: VersionSpelling,
    progress: bool,
) -> Result<(), IoError> {
    h5::write_h5_with(array, path, version, progress)
}

#[cfg(not(feature = "hdf5"))]
fn write_hdf5(
    _array: &SparseArray,
    path: &Path,
    _version: VersionSpelling,
    _progress: bool,
) -> Result<(), IoError> {
    Err(IoError::Hdf5Disabled {
        path: path.to_path_buf(),
    })
}
