//! Matrix Market (`.mtx`) reader and writer.
//!
//! | Matrix Market | sparsebridge |
//! |---|---|
//! | `coordinate`, M N NNZ | `COOR`, sorted by row then column; duplicates summed (pattern: kept once) |
//! | `coordinate`, N NNZ (the vector form Finch and TensorMarket write) | `CVEC` |
//! | `array` | `DMATC` (Matrix Market stores columns first); symmetric kinds are expanded to the full matrix |
//! | `real` / `double`, `integer`, `complex`, `pattern` | `float64`, `int64`, `complex[float64]`, `iso[bint8]` holding 1 |
//! | `symmetric`, `skew-symmetric`, `hermitian` | `structure` `*_lower` (or `*_upper` when every entry is above the diagonal), unless [`ReadOptions::expand_symmetry`](crate::ReadOptions) mirrors the entries |
//!
//! The reader streams the file line by line (1 MiB buffer), so memory is the size of the
//! result. Every error names the file and the line. Indices are 1-based in the file, 0-based in
//! memory, and checked against the declared size.
//!
//! The writer accepts every predefined 2-D format plus `DVEC`/`CVEC`, writes `pattern` for
//! `iso[bint8]` true values, the lower triangle for a declared `structure`, and refuses a non-zero
//! `fill_value` (Matrix Market has no fill). Floats are written with the shortest text that reads
//! back to the same value, so `.mtx` → any → `.mtx` round trips are exact.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use sparsebridge::buffer::Complex128;
use sparsebridge::convert_core::{
    Bint8, CooRef, DuplicatePolicy, Index, Summable, Values, ValuesRef, cpu,
};
use sparsebridge::descriptor::{DataType, Structure};
use sparsebridge::{Buffer, Descriptor, PredefinedFormat, ScalarType, SparseArray};

use crate::ReadOptions;
use crate::atomic::TempTarget;
use crate::error::{AtPath, IoError, malformed, unsupported};
use crate::progress::Progress;
use crate::values::{ValKind, ValSlice, ValueOp, index_vec};

/// `coordinate` (sparse) or `array` (dense, column-major).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MtxLayout {
    /// One line per stored entry.
    Coordinate,
    /// Every element, columns first.
    Array,
}

/// The value field of a Matrix Market file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MtxField {
    /// `real` (or `double`).
    Real,
    /// `integer`.
    Integer,
    /// `complex`: two reals per entry.
    Complex,
    /// `pattern`: no values.
    Pattern,
}

/// The symmetry of a Matrix Market file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MtxSymmetry {
    /// Every entry stored.
    General,
    /// `A[j,i] = A[i,j]`; one triangle stored.
    Symmetric,
    /// `A[j,i] = -A[i,j]`; the strict lower triangle stored.
    SkewSymmetric,
    /// `A[j,i] = conj(A[i,j])`; one triangle stored.
    Hermitian,
}

/// The banner line of a Matrix Market file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MtxHeader {
    /// Coordinate or array.
    pub layout: MtxLayout,
    /// The value field.
    pub field: MtxField,
    /// The symmetry.
    pub symmetry: MtxSymmetry,
}

impl MtxHeader {
    /// The banner text, e.g. `%%MatrixMarket matrix coordinate real symmetric`.
    pub fn banner(&self) -> String {
        let layout = match self.layout {
            MtxLayout::Coordinate => "coordinate",
            MtxLayout::Array => "array",
        };
        let field = match self.field {
            MtxField::Real => "real",
            MtxField::Integer => "integer",
            MtxField::Complex => "complex",
            MtxField::Pattern => "pattern",
        };
        let symmetry = match self.symmetry {
            MtxSymmetry::General => "general",
            MtxSymmetry::Symmetric => "symmetric",
            MtxSymmetry::SkewSymmetric => "skew-symmetric",
            MtxSymmetry::Hermitian => "hermitian",
        };
        format!("%%MatrixMarket matrix {layout} {field} {symmetry}")
    }
}

/// Line reader that tracks the line number and the bytes consumed.
struct Lines<'p> {
    reader: BufReader<File>,
    buf: Vec<u8>,
    /// End of the current line's content in `buf` (terminator stripped).
    end: usize,
    line: u64,
    bytes: u64,
    path: &'p Path,
}

impl<'p> Lines<'p> {
    fn new(reader: BufReader<File>, path: &'p Path) -> Self {
        Self {
            reader,
            buf: Vec::new(),
            end: 0,
            line: 0,
            bytes: 0,
            path,
        }
    }

    /// Reads the next line; false at end of file.
    fn advance(&mut self) -> Result<bool, IoError> {
        self.buf.clear();
        let n = self.reader.read_until(b'\n', &mut self.buf).at(self.path)?;
        if n == 0 {
            self.end = 0;
            return Ok(false);
        }
        self.line += 1;
        self.bytes += n as u64;
        let mut end = self.buf.len();
        while end > 0 && matches!(self.buf[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        self.end = end;
        Ok(true)
    }

    /// Reads up to the next line that is neither blank nor a `%` comment; false at end of file.
    fn advance_data(&mut self) -> Result<bool, IoError> {
        loop {
            if !self.advance()? {
                return Ok(false);
            }
            match self.cur().iter().find(|b| !b.is_ascii_whitespace()) {
                None | Some(b'%') => continue,
                Some(_) => return Ok(true),
            }
        }
    }

    /// The current line, without its terminator.
    fn cur(&self) -> &[u8] {
        &self.buf[..self.end]
    }

    fn err(&self, message: impl Into<String>) -> IoError {
        IoError::Parse {
            path: self.path.to_path_buf(),
            line: self.line,
            message: message.into(),
        }
    }
}

fn tokens(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
}

fn show(tok: &[u8]) -> String {
    String::from_utf8_lossy(tok).into_owned()
}

fn parse_u64(tok: &[u8]) -> Option<u64> {
    let tok = tok.strip_prefix(b"+").unwrap_or(tok);
    if tok.is_empty() || tok.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in tok {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

fn parse_i64(tok: &[u8]) -> Option<i64> {
    match tok.strip_prefix(b"-") {
        Some(rest) => {
            let v = parse_u64(rest)?;
            if v == 1u64 << 63 {
                Some(i64::MIN)
            } else {
                i64::try_from(v).ok().map(|v| -v)
            }
        }
        None => i64::try_from(parse_u64(tok)?).ok(),
    }
}

fn parse_f64(tok: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(tok).ok()?;
    match s.parse::<f64>() {
        Ok(v) => Some(v),
        // Fortran writers use `D` exponents (1.0D+00).
        Err(_) if s.contains(['d', 'D']) => s.replace(['d', 'D'], "e").parse().ok(),
        Err(_) => None,
    }
}

/// Parses the banner (line 1).
fn parse_header(lines: &mut Lines<'_>) -> Result<MtxHeader, IoError> {
    if !lines.advance()? {
        return Err(lines.err("empty file: expected a `%%MatrixMarket matrix ...` banner"));
    }
    let line = lines.cur();
    let toks: Vec<String> = tokens(line).map(|t| show(t).to_ascii_lowercase()).collect();
    let bad = |what: &str| {
        lines.err(format!(
            "bad banner {:?}: {what} (expected `%%MatrixMarket matrix coordinate|array \
             real|integer|complex|pattern general|symmetric|skew-symmetric|hermitian`)",
            show(line)
        ))
    };
    if toks.first().map(String::as_str) != Some("%%matrixmarket") {
        return Err(bad("the file does not start with %%MatrixMarket"));
    }
    if toks.len() != 5 {
        return Err(bad("expected five words"));
    }
    if toks[1] != "matrix" {
        return Err(bad("only the `matrix` object is supported"));
    }
    let layout = match toks[2].as_str() {
        "coordinate" => MtxLayout::Coordinate,
        "array" => MtxLayout::Array,
        _ => return Err(bad("unknown format")),
    };
    let field = match toks[3].as_str() {
        "real" | "double" => MtxField::Real,
        "integer" => MtxField::Integer,
        "complex" => MtxField::Complex,
        "pattern" => MtxField::Pattern,
        _ => return Err(bad("unknown field")),
    };
    let symmetry = match toks[4].as_str() {
        "general" => MtxSymmetry::General,
        "symmetric" => MtxSymmetry::Symmetric,
        "skew-symmetric" => MtxSymmetry::SkewSymmetric,
        "hermitian" => MtxSymmetry::Hermitian,
        _ => return Err(bad("unknown symmetry")),
    };
    if layout == MtxLayout::Array && field == MtxField::Pattern {
        return Err(bad("`array` files cannot have the `pattern` field"));
    }
    if field == MtxField::Pattern && symmetry == MtxSymmetry::SkewSymmetric {
        return Err(bad("a `pattern` file cannot be skew-symmetric"));
    }
    Ok(MtxHeader {
        layout,
        field,
        symmetry,
    })
}

/// Values parsed from the file.
enum Parsed {
    Real(Vec<f64>),
    Integer(Vec<i64>),
    Complex(Vec<[f64; 2]>),
    Pattern(usize),
}

impl Parsed {
    fn with_capacity(field: MtxField, n: usize) -> Self {
        match field {
            MtxField::Real => Self::Real(Vec::with_capacity(n)),
            MtxField::Integer => Self::Integer(Vec::with_capacity(n)),
            MtxField::Complex => Self::Complex(Vec::with_capacity(n)),
            MtxField::Pattern => Self::Pattern(0),
        }
    }

    fn len(&self) -> usize {
        match self {
            Self::Real(v) => v.len(),
            Self::Integer(v) => v.len(),
            Self::Complex(v) => v.len(),
            Self::Pattern(n) => *n,
        }
    }

    /// Whether value `k` is zero.
    fn is_zero(&self, k: usize) -> bool {
        match self {
            Self::Real(v) => v[k] == 0.0,
            Self::Integer(v) => v[k] == 0,
            Self::Complex(v) => v[k] == [0.0, 0.0],
            Self::Pattern(_) => false,
        }
    }

    /// Appends the mirror of value `k`.
    fn push_mirror(&mut self, k: usize, op: ValueOp) {
        match self {
            Self::Real(v) => {
                let x = v[k];
                v.push(if op == ValueOp::Neg { -x } else { x });
            }
            Self::Integer(v) => {
                let x = v[k];
                v.push(if op == ValueOp::Neg {
                    x.wrapping_neg()
                } else {
                    x
                });
            }
            Self::Complex(v) => {
                let [re, im] = v[k];
                v.push(match op {
                    ValueOp::Same => [re, im],
                    ValueOp::Neg => [-re, -im],
                    ValueOp::Conj => [re, -im],
                });
            }
            Self::Pattern(n) => *n += 1,
        }
    }
}

/// Parses the value tokens of one entry.
fn push_value<'a>(
    lines: &Lines<'_>,
    values: &mut Parsed,
    mut toks: impl Iterator<Item = &'a [u8]>,
) -> Result<(), IoError> {
    let mut need = |what: &str| {
        toks.next()
            .ok_or_else(|| lines.err(format!("missing {what} value")))
    };
    match values {
        Parsed::Real(v) => {
            let t = need("real")?;
            v.push(parse_f64(t).ok_or_else(|| lines.err(format!("bad real value {:?}", show(t))))?);
        }
        Parsed::Integer(v) => {
            let t = need("integer")?;
            v.push(parse_i64(t).ok_or_else(|| {
                lines.err(format!(
                    "bad integer value {:?} (expected a 64-bit integer)",
                    show(t)
                ))
            })?);
        }
        Parsed::Complex(v) => {
            let re = need("complex (real part)")?;
            let re =
                parse_f64(re).ok_or_else(|| lines.err(format!("bad real part {:?}", show(re))))?;
            let im = need("complex (imaginary part)")?;
            let im = parse_f64(im)
                .ok_or_else(|| lines.err(format!("bad imaginary part {:?}", show(im))))?;
            v.push([re, im]);
        }
        Parsed::Pattern(n) => *n += 1,
    }
    if let Some(extra) = toks.next() {
        return Err(lines.err(format!(
            "unexpected extra field {:?} (does the banner declare the right field?)",
            show(extra)
        )));
    }
    Ok(())
}

fn parse_size<const N: usize>(lines: &Lines<'_>, line: &[u8]) -> Result<[u64; N], IoError> {
    let toks: Vec<&[u8]> = tokens(line).collect();
    if toks.len() != N {
        return Err(lines.err(format!(
            "bad size line {:?}: expected {N} non-negative integers",
            show(line)
        )));
    }
    let mut out = [0u64; N];
    for (o, t) in out.iter_mut().zip(&toks) {
        *o = parse_u64(t).ok_or_else(|| {
            lines.err(format!(
                "bad size line {:?}: {:?} is not a non-negative integer",
                show(line),
                show(t)
            ))
        })?;
    }
    Ok(out)
}

fn to_usize(lines: &Lines<'_>, v: u64, what: &str) -> Result<usize, IoError> {
    usize::try_from(v).map_err(|_| lines.err(format!("{what} {v} does not fit in memory")))
}

/// Reads the banner only (no data).
pub fn read_mtx_header(path: &Path) -> Result<MtxHeader, IoError> {
    let file = File::open(path).at(path)?;
    let mut lines = Lines::new(BufReader::new(file), path);
    parse_header(&mut lines)
}

/// Reads a Matrix Market file into a [`SparseArray`] (see the module docs for the mapping).
pub fn read_mtx(path: &Path, options: &ReadOptions) -> Result<SparseArray, IoError> {
    let file = File::open(path).at(path)?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut lines = Lines::new(BufReader::with_capacity(1 << 20, file), path);
    let header = parse_header(&mut lines)?;
    let progress = Progress::bytes(options.progress, total, "reading");
    let result = match header.layout {
        MtxLayout::Coordinate => read_coordinate(&mut lines, header, options, &progress),
        MtxLayout::Array => read_array(&mut lines, header, options),
    };
    progress.finish();
    result
}

fn read_coordinate(
    lines: &mut Lines<'_>,
    header: MtxHeader,
    options: &ReadOptions,
    progress: &Progress,
) -> Result<SparseArray, IoError> {
    let path = lines.path;
    if !lines.advance_data()? {
        return Err(lines.err("missing size line (expected `rows columns entries`)"));
    }
    let size = lines.cur().to_vec();
    let n_tokens = tokens(&size).count();
    let (shape, nnz) = match n_tokens {
        3 => {
            let [m, n, nnz] = parse_size::<3>(lines, &size)?;
            (vec![m, n], nnz)
        }
        2 => {
            let [n, nnz] = parse_size::<2>(lines, &size)?;
            (vec![n], nnz)
        }
        _ => {
            return Err(lines.err(format!(
                "bad size line {:?}: expected `rows columns entries` (or `length entries` for a vector)",
                show(&size)
            )));
        }
    };
    let rank = shape.len();
    if header.symmetry != MtxSymmetry::General && (rank != 2 || shape[0] != shape[1]) {
        return Err(lines.err(format!(
            "a {} file must be a square matrix, but the size is {shape:?}",
            header.banner()
        )));
    }
    // Cap the reservation: a lying size line must not allocate before entries are seen.
    let cap = to_usize(lines, nnz, "entry count")?.min(1 << 24);
    let mut rows: Vec<i64> = Vec::with_capacity(cap);
    let mut cols: Vec<i64> = Vec::with_capacity(if rank == 2 { cap } else { 0 });
    let mut values = Parsed::with_capacity(header.field, cap);
    let mut first_upper: Option<u64> = None;
    let mut first_lower: Option<u64> = None;
    let check =
        |lines: &Lines<'_>, tok: Option<&[u8]>, dim: u64, what: &str| -> Result<i64, IoError> {
            let tok = tok.ok_or_else(|| lines.err(format!("missing {what} index")))?;
            let v = parse_u64(tok)
                .ok_or_else(|| lines.err(format!("bad {what} index {:?}", show(tok))))?;
            if v == 0 || v > dim {
                return Err(lines.err(format!("{what} index {v} out of range 1..={dim}")));
            }
            // v <= dim, and dim fits i64 for any allocatable matrix; checked anyway.
            i64::try_from(v - 1).map_err(|_| lines.err(format!("{what} index {v} too large")))
        };
    for k in 0..nnz {
        if !lines.advance_data()? {
            return Err(IoError::Parse {
                path: path.to_path_buf(),
                line: lines.line + 1,
                message: format!(
                    "unexpected end of file: the size line declares {nnz} entries, found {k}"
                ),
            });
        }
        let mut toks = tokens(lines.cur());
        let r = check(
            lines,
            toks.next(),
            shape[0],
            if rank == 2 { "row" } else { "index" },
        )?;
        rows.push(r);
        if rank == 2 {
            let c = check(lines, toks.next(), shape[1], "column")?;
            cols.push(c);
            if r < c {
                first_upper.get_or_insert(lines.line);
            } else if r > c {
                first_lower.get_or_insert(lines.line);
            }
        }
        push_value(lines, &mut values, toks)?;
        if header.symmetry == MtxSymmetry::SkewSymmetric
            && rank == 2
            && rows[rows.len() - 1] == cols[cols.len() - 1]
        {
            let k = values.len() - 1;
            if !values.is_zero(k) {
                return Err(lines.err("non-zero diagonal entry in a skew-symmetric matrix"));
            }
        }
        if k % 65536 == 0 {
            progress.set(lines.bytes);
        }
    }
    if lines.advance_data()? {
        let extra = show(lines.cur());
        return Err(lines.err(format!(
            "more entries than the {nnz} the size line declares: {extra:?}"
        )));
    }
    // Structure.
    let mut structure = None;
    if header.symmetry != MtxSymmetry::General {
        let upper = match (first_lower, first_upper) {
            (Some(lo), Some(up)) => {
                return Err(IoError::Parse {
                    path: path.to_path_buf(),
                    line: lo.max(up),
                    message: format!(
                        "a {} file must store one triangle, but it has entries below the diagonal \
                         (line {lo}) and above it (line {up})",
                        header.banner()
                    ),
                });
            }
            (None, Some(_)) => true,
            _ => false,
        };
        let op = match header.symmetry {
            MtxSymmetry::SkewSymmetric => ValueOp::Neg,
            MtxSymmetry::Hermitian if header.field == MtxField::Complex => ValueOp::Conj,
            _ => ValueOp::Same,
        };
        if options.expand_symmetry {
            let stored = rows.len();
            for k in 0..stored {
                if rows[k] != cols[k] {
                    rows.push(cols[k]);
                    cols.push(rows[k]);
                    values.push_mirror(k, op);
                }
            }
        } else {
            structure = Some(match (op, upper) {
                (ValueOp::Neg, false) => Structure::SkewSymmetricLower,
                (ValueOp::Neg, true) => Structure::SkewSymmetricUpper,
                (ValueOp::Conj, false) => Structure::HermitianLower,
                (ValueOp::Conj, true) => Structure::HermitianUpper,
                (ValueOp::Same, false) => Structure::SymmetricLower,
                (ValueOp::Same, true) => Structure::SymmetricUpper,
            });
        }
    }
    if rank == 1 {
        cols = vec![0; rows.len()];
    }
    let (nrows, ncols) = (
        to_usize(lines, shape[0], "row count")?,
        if rank == 2 {
            to_usize(lines, shape[1], "column count")?
        } else {
            1
        },
    );
    build_coo(
        path, shape, nrows, ncols, rows, cols, values, structure, options,
    )
}

/// Sorted rows, columns and values.
type Sorted<T> = (Vec<i64>, Vec<i64>, Vec<T>);

/// Canonicalizes parsed coordinates and builds the `COOR` (or `CVEC`) array.
#[allow(clippy::too_many_arguments)]
fn build_coo(
    path: &Path,
    shape: Vec<u64>,
    nrows: usize,
    ncols: usize,
    rows: Vec<i64>,
    cols: Vec<i64>,
    values: Parsed,
    structure: Option<Structure>,
    options: &ReadOptions,
) -> Result<SparseArray, IoError> {
    fn sort<T: Summable>(
        path: &Path,
        nrows: usize,
        ncols: usize,
        rows: &[i64],
        cols: &[i64],
        values: &[T],
    ) -> Result<Sorted<T>, IoError> {
        let coo = cpu::coo_sort_by_row::<i64, T>(
            &CooRef {
                nrows,
                ncols,
                rows,
                cols,
                values: ValuesRef::Array(values),
            },
            DuplicatePolicy::Sum,
        )
        .map_err(|e| malformed(path, format!("cannot canonicalize the entries: {e}")))?;
        let vals = match coo.values {
            Values::Array(v) => v,
            Values::Iso(v) => vec![v],
        };
        Ok((coo.rows, coo.cols, vals))
    }
    let (rows, cols, value_type, values) = match values {
        Parsed::Real(v) => {
            let (r, c, v) = sort(path, nrows, ncols, &rows, &cols, &v)?;
            (
                r,
                c,
                DataType::new(ScalarType::Float64),
                Buffer::from_vec(v),
            )
        }
        Parsed::Integer(v) => {
            let (r, c, v) = sort(path, nrows, ncols, &rows, &cols, &v)?;
            (r, c, DataType::new(ScalarType::Int64), Buffer::from_vec(v))
        }
        Parsed::Complex(v) => {
            let (r, c, v) = sort(path, nrows, ncols, &rows, &cols, &v)?;
            let v: Vec<Complex128> = v
                .into_iter()
                .map(|[re, im]| Complex128 { re, im })
                .collect();
            (
                r,
                c,
                DataType::new(ScalarType::ComplexFloat64),
                Buffer::from_vec(v),
            )
        }
        Parsed::Pattern(n) => {
            // Duplicates of a pattern entry collapse into one (logical OR).
            let ones = vec![Bint8(1); n];
            let (r, c, _) = sort(path, nrows, ncols, &rows, &cols, &ones)?;
            (
                r,
                c,
                DataType::iso(ScalarType::Bint8),
                Buffer::from_vec(vec![1u8]),
            )
        }
    };
    let nnz = rows.len() as u64;
    let index_type = options.index_type.unwrap_or(ScalarType::Int64);
    let rank = shape.len();
    let format = if rank == 1 {
        PredefinedFormat::Cvec
    } else {
        PredefinedFormat::Coor
    };
    let mut builder = Descriptor::builder(format, shape, nnz, value_type).index_type(index_type);
    if let Some(s) = structure {
        builder = builder.structure(s);
    }
    let descriptor = builder.build().at(path)?;
    let mut arrays = vec![(
        "indices_0",
        cast_index(path, rows, index_type, "indices_0")?,
    )];
    if rank == 2 {
        arrays.push((
            "indices_1",
            cast_index(path, cols, index_type, "indices_1")?,
        ));
    }
    arrays.push(("values", values));
    SparseArray::try_new(descriptor, arrays).at(path)
}

/// `v` as a buffer of integer type `t` (every value must fit).
pub(crate) fn cast_index(
    path: &Path,
    v: Vec<i64>,
    t: ScalarType,
    array: &'static str,
) -> Result<Buffer, IoError> {
    fn cast<B: Index + sparsebridge::buffer::Element>(
        path: &Path,
        v: &[i64],
        array: &'static str,
    ) -> Result<Buffer, IoError> {
        let out = cpu::cast_indices::<i64, B>(v, array)
            .map_err(|e| unsupported(path, format!("index type too narrow: {e}")))?;
        Ok(Buffer::from_vec(out))
    }
    match t {
        ScalarType::Int64 => Ok(Buffer::from_vec(v)),
        ScalarType::Int32 => cast::<i32>(path, &v, array),
        ScalarType::Int16 => cast::<i16>(path, &v, array),
        ScalarType::Int8 => cast::<i8>(path, &v, array),
        ScalarType::UInt64 => cast::<u64>(path, &v, array),
        ScalarType::UInt32 => cast::<u32>(path, &v, array),
        ScalarType::UInt16 => cast::<u16>(path, &v, array),
        ScalarType::UInt8 => cast::<u8>(path, &v, array),
        other => Err(IoError::InvalidArgument {
            what: "index type",
            value: other.to_string(),
            reason: "index arrays need an integer type".to_owned(),
        }),
    }
}

fn read_array(
    lines: &mut Lines<'_>,
    header: MtxHeader,
    _options: &ReadOptions,
) -> Result<SparseArray, IoError> {
    let path = lines.path;
    if !lines.advance_data()? {
        return Err(lines.err("missing size line (expected `rows columns`)"));
    }
    let size = lines.cur().to_vec();
    let [m, n] = parse_size::<2>(lines, &size)?;
    if header.symmetry != MtxSymmetry::General && m != n {
        return Err(lines.err(format!(
            "a {} file must be square, but the size is {m} x {n}",
            header.banner()
        )));
    }
    let total = m
        .checked_mul(n)
        .ok_or_else(|| lines.err(format!("size {m} x {n} overflows")))?;
    let total_us = to_usize(lines, total, "element count")?;
    let (mu, nu) = (
        to_usize(lines, m, "row count")?,
        to_usize(lines, n, "column count")?,
    );
    // Positions stored in the file, columns first. They are generated lazily: a size line that
    // lies (`7 47758074` in a 40-byte file) must not allocate before its values are seen.
    let skew = header.symmetry == MtxSymmetry::SkewSymmetric;
    let general = header.symmetry == MtxSymmetry::General;
    let stored_count = if general {
        total_us
    } else if skew {
        // A square matrix: n(n-1)/2 below the diagonal.
        (total - n) as usize / 2
    } else {
        (total + n) as usize / 2
    };
    let positions = move || {
        (0..nu).flat_map(move |j| {
            let start = if general {
                0
            } else if skew {
                j + 1
            } else {
                j
            };
            (start..mu).map(move |i| (i, j))
        })
    };
    let mut values = Parsed::with_capacity(header.field, stored_count.min(1 << 24));
    for k in 0..stored_count {
        if !lines.advance_data()? {
            return Err(IoError::Parse {
                path: path.to_path_buf(),
                line: lines.line + 1,
                message: format!(
                    "unexpected end of file: expected {stored_count} values, found {k}"
                ),
            });
        }
        push_value(lines, &mut values, tokens(lines.cur()))?;
    }
    if lines.advance_data()? {
        let extra = show(lines.cur());
        return Err(lines.err(format!(
            "more values than the {stored_count} the size line implies: {extra:?}"
        )));
    }
    let op = match header.symmetry {
        MtxSymmetry::SkewSymmetric => ValueOp::Neg,
        MtxSymmetry::Hermitian => ValueOp::Conj,
        _ => ValueOp::Same,
    };
    // Dense column-major (DMATC): (i, j) at i + j*m.
    // Every stored value has been read, so the file itself has paid for this allocation.
    fn fill<T: Copy + Default, P: Iterator<Item = (usize, usize)>>(
        m: usize,
        total: usize,
        stored: P,
        v: &[T],
        mirror: impl Fn(T) -> T,
        general: bool,
    ) -> Vec<T> {
        let mut out = vec![T::default(); total];
        for ((i, j), &x) in stored.zip(v) {
            out[i + j * m] = x;
            if !general && i != j {
                out[j + i * m] = mirror(x);
            }
        }
        out
    }
    let (value_type, buffer) = match values {
        Parsed::Real(v) => (
            ScalarType::Float64,
            Buffer::from_vec(fill(
                mu,
                total_us,
                positions(),
                &v,
                |x: f64| if op == ValueOp::Neg { -x } else { x },
                general,
            )),
        ),
        Parsed::Integer(v) => (
            ScalarType::Int64,
            Buffer::from_vec(fill(
                mu,
                total_us,
                positions(),
                &v,
                |x: i64| {
                    if op == ValueOp::Neg {
                        x.wrapping_neg()
                    } else {
                        x
                    }
                },
                general,
            )),
        ),
        Parsed::Complex(v) => {
            let v: Vec<Complex128> = v
                .into_iter()
                .map(|[re, im]| Complex128 { re, im })
                .collect();
            let mirror = |x: Complex128| match op {
                ValueOp::Same => x,
                ValueOp::Neg => Complex128 {
                    re: -x.re,
                    im: -x.im,
                },
                ValueOp::Conj => Complex128 {
                    re: x.re,
                    im: -x.im,
                },
            };
            (
                ScalarType::ComplexFloat64,
                Buffer::from_vec(fill(mu, total_us, positions(), &v, mirror, general)),
            )
        }
        Parsed::Pattern(_) => {
            return Err(malformed(
                path,
                "`array` files cannot have the `pattern` field",
            ));
        }
    };
    let descriptor = Descriptor::builder(
        PredefinedFormat::Dmatc,
        vec![m, n],
        total,
        value_type.into(),
    )
    .build()
    .at(path)?;
    SparseArray::try_new(descriptor, [("values", buffer)]).at(path)
}

/// Writes `array` (on the host) as Matrix Market, atomically.
pub fn write_mtx(array: &SparseArray, path: &Path, progress: bool) -> Result<(), IoError> {
    let temp = TempTarget::new(path, false)?;
    {
        let file = File::create(temp.path()).at(path)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        write_body(array, path, &mut out, progress)?;
        out.flush().at(path)?;
    }
    temp.commit()
}

fn write_body(
    array: &SparseArray,
    path: &Path,
    out: &mut impl Write,
    progress: bool,
) -> Result<(), IoError> {
    let d = array.descriptor();
    if !array.device().is_host_accessible() {
        return Err(unsupported(
            path,
            format!(
                "writing arrays on {} (copy them to the CPU first)",
                array.device()
            ),
        ));
    }
    let get = |name: &str| {
        array
            .array(name)
            .ok_or_else(|| malformed(path, format!("missing array `{name}`")))
    };
    if let Some(fill) = array.array("fill_value") {
        let f = ValSlice::new(path, fill)?;
        if f.len() != 1 || !f.is_zero(0) {
            return Err(unsupported(
                path,
                "a non-zero fill_value (Matrix Market has no fill value)",
            ));
        }
    }
    let values_buf = get("values")?;
    let values = ValSlice::new(path, values_buf)?;
    let iso = d.value_type().iso;
    let pattern = iso
        && d.value_type().scalar == ScalarType::Bint8
        && values.len() == 1
        && !values.is_zero(0);
    let field = if pattern {
        "pattern"
    } else {
        match values.kind() {
            ValKind::Integer => "integer",
            ValKind::Real => "real",
            ValKind::Complex => "complex",
        }
    };
    let format = d.alias().ok_or_else(|| {
        unsupported(
            path,
            format!("custom format {} in Matrix Market", d.format().summary()),
        )
    })?;
    let w = |e: std::io::Error| IoError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let vidx = |k: usize| if iso { 0 } else { k };
    let shape = d.shape();
    let us = |v: u64| {
        usize::try_from(v).map_err(|_| unsupported(path, format!("extent {v} above usize")))
    };
    match format {
        PredefinedFormat::Dmatr | PredefinedFormat::Dmatc | PredefinedFormat::Dvec => {
            let (m, n) = if format == PredefinedFormat::Dvec {
                (shape[0], 1)
            } else {
                (shape[0], shape[1])
            };
            let (mu, nu) = (us(m)?, us(n)?);
            let field = if pattern { "integer" } else { field };
            writeln!(out, "%%MatrixMarket matrix array {field} general").map_err(w)?;
            writeln!(
                out,
                "% written by sparsebridge {}",
                env!("CARGO_PKG_VERSION")
            )
            .map_err(w)?;
            writeln!(out, "{m} {n}").map_err(w)?;
            let bar = Progress::count(progress, mu.saturating_mul(nu) as u64, "writing");
            for j in 0..nu {
                for i in 0..mu {
                    let k = if format == PredefinedFormat::Dmatr {
                        i * nu + j
                    } else {
                        i + j * mu
                    };
                    values.write(vidx(k), ValueOp::Same, out).map_err(w)?;
                    out.write_all(b"\n").map_err(w)?;
                }
                bar.inc(mu as u64);
            }
            bar.finish();
            return Ok(());
        }
        _ => {}
    }
    let nnz = us(d.nnz())?;
    let (rows, cols) = coordinates(array, path, format)?;
    let (symmetry, op) = match d.structure() {
        None => ("general", ValueOp::Same),
        Some(s) if s.is_skew() => ("skew-symmetric", ValueOp::Neg),
        Some(s) if s.is_hermitian() => ("hermitian", ValueOp::Conj),
        Some(_) => ("symmetric", ValueOp::Same),
    };
    let flip = d.structure().is_some_and(|s| !s.is_lower());
    writeln!(out, "%%MatrixMarket matrix coordinate {field} {symmetry}").map_err(w)?;
    writeln!(
        out,
        "% written by sparsebridge {}",
        env!("CARGO_PKG_VERSION")
    )
    .map_err(w)?;
    match &cols {
        Some(_) => writeln!(out, "{} {} {nnz}", shape[0], shape[1]).map_err(w)?,
        None => writeln!(out, "{} {nnz}", shape[0]).map_err(w)?,
    }
    let bar = Progress::count(progress, nnz as u64, "writing");
    for k in 0..nnz {
        let (mut r, mut c) = (rows[k], cols.as_ref().map_or(0, |c| c[k]));
        let mut vop = ValueOp::Same;
        if flip {
            // Matrix Market stores the lower triangle: write the mirror of an upper entry.
            std::mem::swap(&mut r, &mut c);
            if r != c {
                vop = op;
            }
        }
        match &cols {
            Some(_) => write!(out, "{} {}", r + 1, c + 1).map_err(w)?,
            None => write!(out, "{}", r + 1).map_err(w)?,
        }
        if !pattern {
            out.write_all(b" ").map_err(w)?;
            values.write(vidx(k), vop, out).map_err(w)?;
        }
        out.write_all(b"\n").map_err(w)?;
        if k % 65536 == 0 {
            bar.set(k as u64);
        }
    }
    bar.finish();
    Ok(())
}

/// Row and column of every stored entry, in storage order (entry `k` holds `values[k]`).
/// Vectors (`CVEC`) have no column array.
#[allow(clippy::type_complexity)]
fn coordinates(
    array: &SparseArray,
    path: &Path,
    format: PredefinedFormat,
) -> Result<(Vec<u64>, Option<Vec<u64>>), IoError> {
    let get = |name: &str| -> Result<Vec<u64>, IoError> {
        let b = array
            .array(name)
            .ok_or_else(|| malformed(path, format!("missing array `{name}`")))?;
        index_vec(path, name, b)
    };
    // Expands compressed pointers into one major index per entry.
    let expand = |majors: &[u64], ptr: &[u64], nnz: usize| -> Result<Vec<u64>, IoError> {
        let mut out = Vec::with_capacity(nnz);
        for (w, pair) in ptr.windows(2).enumerate() {
            let (a, b) = (pair[0], pair[1]);
            if a > b || b > nnz as u64 {
                return Err(malformed(
                    path,
                    format!("pointers_to_1 is not monotone within 0..={nnz} at position {w}"),
                ));
            }
            let major = majors.get(w).copied().unwrap_or(w as u64);
            out.extend(std::iter::repeat_n(major, (b - a) as usize));
        }
        if out.len() != nnz {
            return Err(malformed(
                path,
                format!(
                    "pointers_to_1 ends at {} but there are {nnz} entries",
                    out.len()
                ),
            ));
        }
        Ok(out)
    };
    let nnz = array.descriptor().nnz() as usize;
    Ok(match format {
        PredefinedFormat::Cvec => (get("indices_0")?, None),
        PredefinedFormat::Coor => (get("indices_0")?, Some(get("indices_1")?)),
        PredefinedFormat::Cooc => (get("indices_1")?, Some(get("indices_0")?)),
        PredefinedFormat::Csr => {
            let ptr = get("pointers_to_1")?;
            let rows: Vec<u64> = (0..ptr.len().saturating_sub(1) as u64).collect();
            (expand(&rows, &ptr, nnz)?, Some(get("indices_1")?))
        }
        PredefinedFormat::Csc => {
            let ptr = get("pointers_to_1")?;
            let cols: Vec<u64> = (0..ptr.len().saturating_sub(1) as u64).collect();
            (get("indices_1")?, Some(expand(&cols, &ptr, nnz)?))
        }
        PredefinedFormat::Dcsr => {
            let ptr = get("pointers_to_1")?;
            (
                expand(&get("indices_0")?, &ptr, nnz)?,
                Some(get("indices_1")?),
            )
        }
        PredefinedFormat::Dcsc => {
            let ptr = get("pointers_to_1")?;
            (
                get("indices_1")?,
                Some(expand(&get("indices_0")?, &ptr, nnz)?),
            )
        }
        other => {
            return Err(unsupported(
                path,
                format!("format {other} in Matrix Market"),
            ));
        }
    })
}
