//! binsparse NPY directories: `binsparse.json` (the descriptor) plus one `NAME.npy` per array.
//!
//! The `.npy` reader and writer cover NumPy format versions 1.0–3.0 for 1-D (or 0-d)
//! little-endian C-order arrays of the binsparse dtypes (`|b1`, `|u1`..`<u8`, `|i1`..`<i8`,
//! `<f2`, `<f4`, `<f8`, `<c8`, `<c16`). Complex arrays are written interleaved (`<f4`/`<f8` of
//! twice the length), as the spec stores them; both layouts are read.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use sparsebridge::buffer::BufferMut;
use sparsebridge::{Buffer, DType, SparseArray};

use crate::atomic::TempTarget;
use crate::container::{VersionSpelling, assemble, header_text, parse_header, storage_buffer};
use crate::error::{AtPath, IoError, malformed, unsupported};
use crate::progress::Progress;

/// Progress granularity of `.npy` reads and writes.
const CHUNK: usize = 8 << 20;

/// The descriptor's file name inside an NPY directory.
pub const DESCRIPTOR_FILE: &str = "binsparse.json";

/// Largest descriptor file read (the descriptor layer caps the JSON at 1 MiB as well).
const MAX_DESCRIPTOR_BYTES: u64 = 1 << 20;

const MAGIC: &[u8] = b"\x93NUMPY";

fn descr(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "|b1",
        DType::U8 => "|u1",
        DType::U16 => "<u2",
        DType::U32 => "<u4",
        DType::U64 => "<u8",
        DType::I8 => "|i1",
        DType::I16 => "<i2",
        DType::I32 => "<i4",
        DType::I64 => "<i8",
        DType::F16 => "<f2",
        DType::F32 => "<f4",
        DType::F64 => "<f8",
        DType::Complex64 => "<c8",
        DType::Complex128 => "<c16",
        // DType is non_exhaustive; new dtypes get a descr when they are added.
        _ => "|V0",
    }
}

fn dtype_of_descr(path: &Path, s: &str) -> Result<DType, IoError> {
    // The header is untrusted text: split after the first character, not the first byte.
    let first = s.chars().next().map_or(0, char::len_utf8);
    let (order, code) = s.split_at(first);
    let little = cfg!(target_endian = "little");
    let single_byte = matches!(code, "b1" | "u1" | "i1");
    let ok_order =
        order == "|" || order == "<" || (order == "=" && little) || (single_byte && order == ">");
    if !ok_order {
        return Err(unsupported(
            path,
            format!("NPY dtype {s:?} (only little-endian arrays are read)"),
        ));
    }
    Ok(match code {
        "b1" => DType::Bool,
        "u1" => DType::U8,
        "u2" => DType::U16,
        "u4" => DType::U32,
        "u8" => DType::U64,
        "i1" => DType::I8,
        "i2" => DType::I16,
        "i4" => DType::I32,
        "i8" => DType::I64,
        "f2" => DType::F16,
        "f4" => DType::F32,
        "f8" => DType::F64,
        "c8" => DType::Complex64,
        "c16" => DType::Complex128,
        _ => return Err(unsupported(path, format!("NPY dtype {s:?}"))),
    })
}

/// The value of `'key': ...` in a NPY header dict (up to the next top-level comma or brace).
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let k = header.find(&format!("'{key}'"))?;
    let rest = header[k + key.len() + 2..]
        .trim_start()
        .strip_prefix(':')?
        .trim_start();
    if let Some(inner) = rest.strip_prefix('(') {
        return Some(&inner[..inner.find(')')?]);
    }
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    Some(rest[..end].trim())
}

/// Reads one `.npy` file as a 1-D buffer.
pub fn read_npy(path: &Path) -> Result<Buffer, IoError> {
    read_npy_with(path, &Progress::none())
}

/// The whole file, read in chunks that advance `progress` by their size.
fn read_file(path: &Path, progress: &Progress) -> Result<Vec<u8>, IoError> {
    let mut file = fs::File::open(path).at(path)?;
    let size = file.metadata().at(path)?.len();
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    loop {
        let n = (&mut file)
            .take(CHUNK as u64)
            .read_to_end(&mut bytes)
            .at(path)?;
        if n == 0 {
            return Ok(bytes);
        }
        progress.inc(n as u64);
    }
}

fn read_npy_with(path: &Path, progress: &Progress) -> Result<Buffer, IoError> {
    let bytes = read_file(path, progress)?;
    let bad = |m: &str| malformed(path, format!("not a valid .npy file: {m}"));
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(bad("missing the \\x93NUMPY magic"));
    }
    let major = bytes[6];
    let (hlen, start): (usize, usize) = match major {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(bad("truncated preamble"));
            }
            let n = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
            (usize::try_from(n).map_err(|_| bad("header too large"))?, 12)
        }
        v => return Err(bad(&format!("unsupported format version {v}"))),
    };
    let data_start = start
        .checked_add(hlen)
        .ok_or_else(|| bad("header too large"))?;
    if bytes.len() < data_start {
        return Err(bad("truncated header"));
    }
    let header =
        std::str::from_utf8(&bytes[start..data_start]).map_err(|_| bad("header is not text"))?;
    let descr_s = dict_value(header, "descr").ok_or_else(|| bad("no 'descr' in the header"))?;
    let dtype = dtype_of_descr(path, descr_s.trim_matches(['\'', '"']))?;
    let fortran = dict_value(header, "fortran_order")
        .ok_or_else(|| bad("no 'fortran_order' in the header"))?;
    let shape_s = dict_value(header, "shape").ok_or_else(|| bad("no 'shape' in the header"))?;
    let dims: Vec<usize> = shape_s
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<usize>()
                .map_err(|_| bad(&format!("bad shape ({shape_s})")))
        })
        .collect::<Result<_, _>>()?;
    if dims.len() > 1 {
        return Err(unsupported(
            path,
            format!("a {}-D array (binsparse arrays are 1-D)", dims.len()),
        ));
    }
    let _ = fortran; // 0-d and 1-D arrays are the same in either order.
    let len = dims.first().copied().unwrap_or(1);
    let nbytes = len
        .checked_mul(dtype.size())
        .ok_or_else(|| bad("size overflows"))?;
    let data = &bytes[data_start..];
    if data.len() != nbytes {
        return Err(malformed(
            path,
            format!(
                "the header declares {len} elements of {dtype} ({nbytes} bytes), but the file holds {} data bytes",
                data.len()
            ),
        ));
    }
    let mut out = BufferMut::zeroed(dtype, len).at(path)?;
    out.as_bytes_mut().copy_from_slice(data);
    Ok(out.freeze())
}

/// Writes a 1-D buffer as a version 1.0 `.npy` file.
pub fn write_npy(path: &Path, buffer: &Buffer, out: &mut impl Write) -> Result<(), IoError> {
    write_npy_with(path, buffer, out, &Progress::none())
}

fn write_npy_with(
    path: &Path,
    buffer: &Buffer,
    out: &mut impl Write,
    progress: &Progress,
) -> Result<(), IoError> {
    let bytes = buffer.as_bytes().at(path)?;
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': ({},), }}",
        descr(buffer.dtype()),
        buffer.len()
    );
    // Pad so that the data starts at a multiple of 64 bytes, ending the header with '\n'.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let hlen =
        u16::try_from(header.len()).map_err(|_| unsupported(path, "NPY header above 64 KiB"))?;
    let w = |e| IoError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    out.write_all(MAGIC).map_err(w)?;
    out.write_all(&[1, 0]).map_err(w)?;
    out.write_all(&hlen.to_le_bytes()).map_err(w)?;
    out.write_all(header.as_bytes()).map_err(w)?;
    for chunk in bytes.chunks(CHUNK) {
        out.write_all(chunk).map_err(w)?;
        progress.inc(chunk.len() as u64);
    }
    Ok(())
}

/// Reads the descriptor of an NPY directory (text and parsed, with reader warnings).
pub(crate) fn read_descriptor(
    dir: &Path,
) -> Result<(sparsebridge::Descriptor, Vec<String>), IoError> {
    let file = dir.join(DESCRIPTOR_FILE);
    let size = fs::metadata(&file).at(&file)?.len();
    if size > MAX_DESCRIPTOR_BYTES {
        return Err(malformed(
            &file,
            format!("{size} bytes, above the {MAX_DESCRIPTOR_BYTES}-byte cap"),
        ));
    }
    let text = fs::read_to_string(&file).at(&file)?;
    parse_header(&file, &text)
}

/// Reads a binsparse NPY directory. Returns the array and the descriptor reader's warnings.
pub fn read_npy_dir(dir: &Path) -> Result<(SparseArray, Vec<String>), IoError> {
    read_npy_dir_with(dir, false)
}

/// [`read_npy_dir`], with a byte-count progress bar on a terminal when `progress` is set.
pub(crate) fn read_npy_dir_with(
    dir: &Path,
    progress: bool,
) -> Result<(SparseArray, Vec<String>), IoError> {
    let (descriptor, warnings) = read_descriptor(dir)?;
    let total: u64 = descriptor
        .arrays()
        .iter()
        .filter_map(|s| fs::metadata(dir.join(format!("{}.npy", s.name))).ok())
        .map(|m| m.len())
        .sum();
    let bar = Progress::bytes(progress, total, "reading");
    let array = assemble(dir, descriptor, |name| {
        let file = dir.join(format!("{name}.npy"));
        if !file.is_file() {
            return Ok(None);
        }
        read_npy_with(&file, &bar).map(Some)
    })?;
    bar.finish();
    Ok((array, warnings))
}

/// Writes a binsparse NPY directory atomically (built under a temporary name, then renamed;
/// an existing directory at `dir` is replaced).
pub fn write_npy_dir(
    array: &SparseArray,
    dir: &Path,
    version: VersionSpelling,
) -> Result<(), IoError> {
    write_npy_dir_with(array, dir, version, false)
}

/// [`write_npy_dir`], with a byte-count progress bar on a terminal when `progress` is set.
pub(crate) fn write_npy_dir_with(
    array: &SparseArray,
    dir: &Path,
    version: VersionSpelling,
    progress: bool,
) -> Result<(), IoError> {
    let header = header_text(dir, array, version)?;
    let total: u64 = array.arrays().iter().map(|(_, b)| b.nbytes() as u64).sum();
    let bar = Progress::bytes(progress, total, "writing");
    let temp = TempTarget::new(dir, true)?;
    fs::create_dir(temp.path()).at(dir)?;
    fs::write(temp.path().join(DESCRIPTOR_FILE), header.as_bytes()).at(dir)?;
    for (name, buffer) in array.arrays() {
        let stored = storage_buffer(dir, name, buffer)?;
        let file = temp.path().join(format!("{name}.npy"));
        let mut out = std::io::BufWriter::new(fs::File::create(&file).at(dir)?);
        write_npy_with(dir, &stored, &mut out, &bar)?;
        out.flush().at(dir)?;
    }
    bar.finish();
    temp.commit()
}
