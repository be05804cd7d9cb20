//! binsparse HDF5 (`.bsp.h5`): the descriptor as a JSON string attribute `binsparse` on the root
//! group, one 1-D dataset per constituent array (the layout of the C reference, Finch.jl and
//! PyPI `binsparse` 0.1.4).
//!
//! The reader accepts variable-length and fixed-length (ASCII or UTF-8) string attributes, every
//! descriptor variant the descriptor layer reads leniently (the spec PR #39 reference files:
//! `tensor`/`level_kind` keys, `attrs`, `fill: true`), integer datasets of any width, `float32`,
//! `float64` and HDF5 booleans. Complex values are interleaved floats, as the spec stores them.
//! The writer creates the file under a temporary name and renames it into place.

use std::path::Path;
use std::str::FromStr;

use hdf5::types::{
    FixedAscii, FixedUnicode, FloatSize, IntSize, TypeDescriptor, VarLenAscii, VarLenUnicode,
};
use sparsebridge::buffer::dispatch_dtype;
use sparsebridge::{Buffer, DType, Descriptor, SparseArray};

use crate::atomic::TempTarget;
use crate::container::{VersionSpelling, assemble, header_text, parse_header, storage_buffer};
use crate::error::{AtPath, IoError, malformed, unsupported};
use crate::progress::Progress;

/// The attribute holding the descriptor.
pub const ATTRIBUTE: &str = "binsparse";

/// Reads fixed-length strings of capacity `N` (HDF5 pads or truncates to `N`).
fn read_fixed<const N: usize, T>(
    path: &Path,
    attr: &hdf5::Attribute,
    bytes: fn(&T) -> &[u8],
) -> Result<String, IoError>
where
    T: hdf5::H5Type,
{
    let v: Vec<T> = attr.read_raw::<T>().at(path)?;
    let first = v
        .first()
        .ok_or_else(|| malformed(path, "the `binsparse` attribute is empty"))?;
    String::from_utf8(bytes(first).to_vec())
        .map_err(|_| malformed(path, "the `binsparse` attribute is not UTF-8 text"))
}

fn fixed_ascii<const N: usize>(s: &FixedAscii<N>) -> &[u8] {
    s.as_bytes()
}

fn fixed_unicode<const N: usize>(s: &FixedUnicode<N>) -> &[u8] {
    s.as_bytes()
}

/// The text of the `binsparse` attribute.
fn read_attribute(path: &Path, file: &hdf5::File) -> Result<String, IoError> {
    let attr = file.attr(ATTRIBUTE).map_err(|e| {
        malformed(
            path,
            format!("no `{ATTRIBUTE}` attribute on the root group ({e})"),
        )
    })?;
    let desc = attr.dtype().and_then(|t| t.to_descriptor()).at(path)?;
    macro_rules! fixed {
        ($n:expr, $ty:ident, $get:ident) => {{
            let n: usize = $n;
            if n <= 1 << 10 {
                read_fixed::<{ 1 << 10 }, $ty<{ 1 << 10 }>>(path, &attr, $get)
            } else if n <= 1 << 14 {
                read_fixed::<{ 1 << 14 }, $ty<{ 1 << 14 }>>(path, &attr, $get)
            } else if n <= 1 << 17 {
                read_fixed::<{ 1 << 17 }, $ty<{ 1 << 17 }>>(path, &attr, $get)
            } else if n <= 1 << 20 {
                read_fixed::<{ 1 << 20 }, $ty<{ 1 << 20 }>>(path, &attr, $get)
            } else {
                Err(malformed(
                    path,
                    format!("the `binsparse` attribute holds {n} bytes, above the 1 MiB cap"),
                ))
            }
        }};
    }
    match desc {
        TypeDescriptor::VarLenUnicode => {
            let v: Vec<VarLenUnicode> = attr.read_raw().at(path)?;
            v.first()
                .map(|s| s.as_str().to_owned())
                .ok_or_else(|| malformed(path, "the `binsparse` attribute is empty"))
        }
        TypeDescriptor::VarLenAscii => {
            let v: Vec<VarLenAscii> = attr.read_raw().at(path)?;
            v.first()
                .map(|s| s.as_str().to_owned())
                .ok_or_else(|| malformed(path, "the `binsparse` attribute is empty"))
        }
        TypeDescriptor::FixedAscii(n) => fixed!(n, FixedAscii, fixed_ascii),
        TypeDescriptor::FixedUnicode(n) => fixed!(n, FixedUnicode, fixed_unicode),
        other => Err(malformed(
            path,
            format!(
                "the `binsparse` attribute must be a JSON string, but its HDF5 type is {other:?}"
            ),
        )),
    }
}

/// Reads dataset `name` as a 1-D buffer (`Ok(None)` when absent). `expected` is the length the
/// descriptor fixes for it, if any.
fn read_dataset(
    path: &Path,
    file: &hdf5::File,
    name: &str,
    expected: Option<u64>,
) -> Result<Option<Buffer>, IoError> {
    if !file.link_exists(name) {
        return Ok(None);
    }
    let ds = file
        .dataset(name)
        .map_err(|e| malformed(path, format!("`{name}` is not a dataset ({e})")))?;
    if ds.ndim() > 1 {
        return Err(unsupported(
            path,
            format!(
                "dataset `{name}` has shape {:?} (binsparse arrays are 1-D)",
                ds.shape()
            ),
        ));
    }
    let dtype = ds.dtype().at(path)?;
    // The dataspace is untrusted: check what it claims before anything is allocated for it.
    let len = ds.size();
    let bytes = len
        .checked_mul(dtype.size())
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or_else(|| {
            malformed(
                path,
                format!("dataset `{name}` claims {len} elements: its byte size overflows"),
            )
        })?;
    // A complex array is stored as twice as many floats; the exact length is checked once the
    // array is assembled, this bound only keeps a lying dataspace from sizing an allocation.
    if let Some(n) = expected
        && len as u64 > n.saturating_mul(2)
    {
        return Err(malformed(
            path,
            format!("dataset `{name}` holds {len} elements, but the descriptor gives it {n}"),
        ));
    }
    if !ds.is_chunked() && ds.storage_size() < bytes as u64 && ds.offset().is_some() {
        return Err(malformed(
            path,
            format!(
                "dataset `{name}` claims {bytes} bytes but the file stores {} (truncated?)",
                ds.storage_size()
            ),
        ));
    }
    let desc = dtype.to_descriptor().at(path)?;
    macro_rules! read {
        ($t:ty) => {
            Buffer::from_vec(ds.read_raw::<$t>().at(path)?)
        };
    }
    let buffer = match desc {
        TypeDescriptor::Integer(IntSize::U1) => read!(i8),
        TypeDescriptor::Integer(IntSize::U2) => read!(i16),
        TypeDescriptor::Integer(IntSize::U4) => read!(i32),
        TypeDescriptor::Integer(IntSize::U8) => read!(i64),
        TypeDescriptor::Unsigned(IntSize::U1) => read!(u8),
        TypeDescriptor::Unsigned(IntSize::U2) => read!(u16),
        TypeDescriptor::Unsigned(IntSize::U4) => read!(u32),
        TypeDescriptor::Unsigned(IntSize::U8) => read!(u64),
        TypeDescriptor::Float(FloatSize::U4) => read!(f32),
        TypeDescriptor::Float(FloatSize::U8) => read!(f64),
        TypeDescriptor::Boolean => {
            let v: Vec<bool> = ds.read_raw().at(path)?;
            Buffer::from_vec(v.into_iter().map(u8::from).collect::<Vec<u8>>())
        }
        other => {
            return Err(unsupported(
                path,
                format!("dataset `{name}` has the HDF5 type {other:?}"),
            ));
        }
    };
    Ok(Some(buffer))
}

/// Reads the descriptor of a `.bsp.h5` file without reading any array, plus each dataset's
/// length (`None` when missing) and the reader's warnings.
#[allow(clippy::type_complexity)]
pub fn read_h5_descriptor(
    path: &Path,
) -> Result<(Descriptor, Vec<(String, Option<u64>)>, Vec<String>), IoError> {
    let file = hdf5::File::open(path).at(path)?;
    let text = read_attribute(path, &file)?;
    let (descriptor, warnings) = parse_header(path, &text)?;
    let lens = descriptor
        .arrays()
        .iter()
        .map(|s| {
            let len = file.dataset(&s.name).ok().map(|d| d.size() as u64);
            (s.name.clone(), len)
        })
        .collect();
    Ok((descriptor, lens, warnings))
}

/// Reads a `.bsp.h5` file. Returns the array and the descriptor reader's warnings.
pub fn read_h5(path: &Path) -> Result<(SparseArray, Vec<String>), IoError> {
    read_h5_with(path, false)
}

/// [`read_h5`], with a progress bar on a terminal when `progress` is set. Each dataset is read
/// in one HDF5 call, so the bar advances one dataset at a time.
pub(crate) fn read_h5_with(
    path: &Path,
    progress: bool,
) -> Result<(SparseArray, Vec<String>), IoError> {
    let file = hdf5::File::open(path).at(path)?;
    let text = read_attribute(path, &file)?;
    let (descriptor, warnings) = parse_header(path, &text)?;
    let total: u64 = descriptor
        .arrays()
        .iter()
        .filter_map(|s| file.dataset(&s.name).ok())
        .map(|d| d.size().saturating_mul(d.dtype().map_or(0, |t| t.size())) as u64)
        .sum();
    let bar = Progress::bytes(progress, total, "reading");
    let exact: Vec<(String, u64)> = descriptor
        .arrays()
        .iter()
        .filter_map(|s| match s.length {
            sparsebridge::descriptor::LengthRule::Exact(n) => Some((s.name.clone(), n)),
            _ => None,
        })
        .collect();
    let array = assemble(path, descriptor, |name| {
        let expected = exact.iter().find(|(n, _)| n == name).map(|&(_, n)| n);
        let b = read_dataset(path, &file, name, expected)?;
        if let Some(b) = &b {
            bar.inc(b.nbytes() as u64);
        }
        Ok(b)
    })?;
    bar.finish();
    Ok((array, warnings))
}

/// Writes a `.bsp.h5` file atomically: the descriptor as a variable-length UTF-8 string
/// attribute `binsparse` on the root group, one dataset per array.
pub fn write_h5(array: &SparseArray, path: &Path, version: VersionSpelling) -> Result<(), IoError> {
    write_h5_with(array, path, version, false)
}

/// [`write_h5`], with a progress bar on a terminal when `progress` is set (advancing one
/// dataset at a time).
pub(crate) fn write_h5_with(
    array: &SparseArray,
    path: &Path,
    version: VersionSpelling,
    progress: bool,
) -> Result<(), IoError> {
    let header = header_text(path, array, version)?;
    let total: u64 = array.arrays().iter().map(|(_, b)| b.nbytes() as u64).sum();
    let bar = Progress::bytes(progress, total, "writing");
    let temp = TempTarget::new(path, false)?;
    {
        let file = hdf5::File::create(temp.path()).at(path)?;
        for (name, buffer) in array.arrays() {
            let stored = storage_buffer(path, name, buffer)?;
            macro_rules! write {
                ($t:ty, $v:ident) => {
                    file.new_dataset_builder()
                        .with_data(stored.as_slice::<$t>().at(path)?)
                        .create(name.as_str())
                        .at(path)?
                };
            }
            dispatch_dtype!(stored.dtype(), [integer] => write,
                DType::F32 => write!(f32, F32),
                DType::F64 => write!(f64, F64),
                other => {
                    return Err(unsupported(
                        path,
                        format!("array `{name}` of dtype {other} in HDF5"),
                    ));
                }
            );
            bar.inc(stored.nbytes() as u64);
        }
        bar.finish();
        let text = VarLenUnicode::from_str(&header)
            .map_err(|e| malformed(path, format!("descriptor text: {e}")))?;
        file.new_attr::<VarLenUnicode>()
            .shape(())
            .create(ATTRIBUTE)
            .and_then(|a| a.as_writer().write_scalar(&text))
            .at(path)?;
        file.close().at(path)?;
    }
    temp.commit()
}
