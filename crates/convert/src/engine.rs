//! The array-level entry point: [`convert`] a [`SparseArray`] to another format or index dtype,
//! on the device that holds it, reporting whether anything was copied.
//!
//! Supported today (CPU, host-accessible arrays): every pair among the ten predefined formats
//! whose ranks agree (1-D: `CVEC`, `DVEC`; 2-D: `COOR`, `COOC`, `CSR`, `CSC`, `DCSR`, `DCSC`,
//! `DMATR`, `DMATC`), plus n-d COO (a root `sparse(n)` level over `element`, [`Target::coo_nd`])
//! and n-d dense (only `dense` levels, [`Target::dense_nd`]) in both directions, and any level
//! format to itself (index-width changes aside). Index and pointer dtypes may be any integer
//! type (u8..u64, i8..i64; narrowing is checked and fails with a typed error naming the array
//! and position); a dense source has no index arrays, so its sparse targets default to `int64`.
//! Values move as opaque 1/2/4/8/16-byte elements (`iso` stays iso), except where they must be
//! compared or summed (dense → sparse, canonicalization), where the real dtype is used
//! ([`crate::Summable`]: integers, f16/bf16/f32/f64, complex, bint8). Other level formats
//! return [`EngineError::Unsupported`].
//!
//! Arrays on `cuda:N` are converted on that device by [`crate::cuda`], which handles `COOR`,
//! `COOC`, `CSR` and `CSC` (kernels compiled with NVRTC, never through the host); the other
//! formats return [`EngineError::Unsupported`] there (copy the array to `"cpu"` first).
//!
//! Dense semantics (the binsparse `fill`, binsparse-protocol.md §7):
//! - sparse → dense writes the fill value (the `fill_value` array when the descriptor has one,
//!   else zero) at every unstored position, and each stored value at its position; an `iso`
//!   array writes its one value at every stored position;
//! - dense → sparse stores exactly the entries that differ from the fill value (zero when there
//!   is no fill), compared as values of the dtype ([`crate::Summable::same_value`]: `-0.0`
//!   equals `0.0`, NaN equals nothing and is always stored, bint8 compares truth values);
//! - the fill value is carried to the output; a declared `structure` (symmetric, …) is kept
//!   between sparse formats, but sparse ↔ dense with a structure is unsupported (no mirroring).
//!
//! Zero-copy where the layouts allow:
//! - same format and dtypes: the buffers are shared;
//! - `COOR` → `CSR` (and `COOC` → `CSC`): only `pointers_to_1` is computed; `indices_1` and
//!   `values` are the source's buffers;
//! - `CSR` → `COOR` (and `CSC` → `COOC`): only `indices_0` is computed;
//! - `DCSR` ↔ `CSR` (and `DCSC` ↔ `CSC`): only the pointers (and `indices_0`) are computed.
//!
//! Canonical input: every binsparse format requires sorted, duplicate-free data. [`convert`]
//! runs [`SparseArray::validate_full`] first (free when the array is already known to be
//! valid). With [`ConvertOptions::canonicalize`] `None` (the default) a non-canonical source
//! fails with that typed [`ArrayError`]. With `Some(policy)`, a non-canonical COO (any rank),
//! `CSR` or `CSC` source is first canonicalized: coordinates sorted (stored order, as the
//! format defines it), then duplicates summed ([`DuplicatePolicy::Sum`], in input order, with
//! the real value dtype; an iso array with duplicates fails with
//! [`ConvertError::IsoDuplicate`]) or rejected ([`DuplicatePolicy::Reject`]:
//! [`ConvertError::Duplicate`] naming the first duplicate's logical coordinates). Out-of-bounds
//! or negative indices and invalid pointers still fail with a typed [`ConvertError`]; other
//! formats (`DCSR`, `DCSC`) are never canonicalized and fail with the validation error.

use sparsebridge_array::{ArrayError, SparseArray, dtype_of};
use sparsebridge_buffer::{Buffer, BufferError, Complex64, Complex128, DType, Element};
use sparsebridge_descriptor::{
    ArrayRole, DataType, Descriptor, DescriptorError, Format, Level, PredefinedFormat, ScalarType,
};

use crate::{
    Bint8, ConvertError, CsrRef, DenseOrder, DuplicatePolicy, Index, Value, Values, ValuesRef, cpu,
};

/// Errors of [`convert`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The source array is invalid (e.g. not canonical).
    #[error(transparent)]
    Array(#[from] ArrayError),
    /// The target descriptor could not be built.
    #[error(transparent)]
    Descriptor(#[from] DescriptorError),
    /// A buffer operation failed.
    #[error(transparent)]
    Buffer(#[from] BufferError),
    /// A conversion kernel failed (e.g. an index does not fit the target dtype, a duplicate
    /// under [`DuplicatePolicy::Reject`]).
    #[error(transparent)]
    Convert(#[from] ConvertError),
    /// A CUDA kernel could not be compiled, checked against its PTX, or launched.
    #[error(transparent)]
    Cuda(#[from] sparsebridge_buffer::cuda::KernelError),
    /// The conversion is not implemented for this source, target or device: an honest gap,
    /// which the caller may work around (another format, another device).
    #[error("unsupported conversion: {0}")]
    Unsupported(String),
    /// A state the engine's own checks rule out was reached (a kernel or bookkeeping bug, not a
    /// property of the input). Kept apart from [`EngineError::Unsupported`] so that a caller
    /// never retries or works around a bug, and so that reports can ask for a bug report.
    #[error("internal error in the conversion engine (please report): {0}")]
    Internal(String),
    /// `copy = false` was requested, but the conversion needs new memory.
    #[error("the conversion to {target} needs a copy, but copy=false was requested")]
    CopyRequired {
        /// The requested format.
        target: String,
    },
}

/// What to convert to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The storage format: a predefined one (`PredefinedFormat::Csr.into()`, or
    /// [`Target::format`]) or a level format such as n-d COO ([`Target::coo_nd`]) or n-d dense
    /// ([`Target::dense_nd`]).
    pub format: Format,
    /// The dtype of every index array (`None`: keep the source's; `int64` from a dense source).
    pub index_type: Option<ScalarType>,
    /// The dtype of every pointer array (`None`: the index type, else the source's).
    pub pointer_type: Option<ScalarType>,
}

impl Target {
    /// `format` (a [`PredefinedFormat`] or a [`Format`]), keeping the source's index dtypes.
    pub fn format(format: impl Into<Format>) -> Self {
        Self {
            format: format.into(),
            index_type: None,
            pointer_type: None,
        }
    }

    /// n-d COO: one root `sparse` level of rank `rank` over `element` (arrays `indices_0` …
    /// `indices_{rank-1}`, `values`). Rank 1 is `CVEC`, rank 2 is `COOR`.
    pub fn coo_nd(rank: usize) -> Result<Self, EngineError> {
        Format::new(vec![Level::Sparse { rank }, Level::Element], None)
            .map(Self::format)
            .map_err(|e| EngineError::Unsupported(format!("n-d COO of rank {rank}: {e}")))
    }

    /// n-d dense, row-major: `rank` `dense(1)` levels over `element` (one `values` array).
    /// Rank 1 is `DVEC`, rank 2 is `DMATR`.
    pub fn dense_nd(rank: usize) -> Result<Self, EngineError> {
        let mut levels = vec![Level::Dense { rank: 1 }; rank];
        levels.push(Level::Element);
        Format::new(levels, None)
            .map(Self::format)
            .map_err(|e| EngineError::Unsupported(format!("n-d dense of rank {rank}: {e}")))
    }

    /// The same target with every index array of dtype `t`.
    pub fn with_index_type(mut self, t: ScalarType) -> Self {
        self.index_type = Some(t);
        self
    }

    /// The same target with every pointer array of dtype `t`.
    pub fn with_pointer_type(mut self, t: ScalarType) -> Self {
        self.pointer_type = Some(t);
        self
    }
}

impl From<PredefinedFormat> for Target {
    fn from(f: PredefinedFormat) -> Self {
        Self::format(f)
    }
}

/// Options of [`convert`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConvertOptions {
    /// `Some(false)`: fail with [`EngineError::CopyRequired`] rather than allocate.
    /// `Some(true)`: always return fresh buffers. `None`: share buffers where possible.
    pub copy: Option<bool>,
    /// `None`: the source must be canonical (else its typed validation error). `Some(policy)`:
    /// a non-canonical COO, CSR or CSC source is sorted and its duplicates summed or rejected
    /// first (see the module docs).
    pub canonicalize: Option<DuplicatePolicy>,
}

/// The result of [`convert`].
#[derive(Debug, Clone)]
pub struct Converted {
    /// The converted array (validated: canonical by construction).
    pub array: SparseArray,
    /// Whether any new buffer was allocated.
    pub copied: bool,
}

/// The name of a format for messages: its predefined alias, else its level summary.
pub(crate) fn format_name(f: &Format) -> String {
    f.alias()
        .map_or_else(|| f.summary(), |p| p.name().to_owned())
}

/// The layout families the CPU engine handles, read from a level format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A root `sparse(rank)` level: n-d COO (`CVEC`, `COOR`, `COOC` at ranks 1 and 2).
    Coo { rank: usize, col_major: bool },
    /// Only dense levels: `DVEC`, `DMATR`, `DMATC`, n-d dense (row-major).
    Dense { rank: usize, col_major: bool },
    /// `dense(1) → sparse(1)`: `CSR`, `CSC`.
    Compressed { col_major: bool },
    /// `sparse(1) → sparse(1)`: `DCSR`, `DCSC`.
    Doubly { col_major: bool },
}

impl Kind {
    fn of(f: &Format) -> Option<Self> {
        let col_major = match f.transpose() {
            None => false,
            Some([1, 0]) => true,
            Some(_) => return None,
        };
        Some(match f.levels() {
            [Level::Sparse { rank }, Level::Element] => Kind::Coo {
                rank: *rank,
                col_major,
            },
            [
                Level::Dense { rank: 1 },
                Level::Sparse { rank: 1 },
                Level::Element,
            ] => Kind::Compressed { col_major },
            [
                Level::Sparse { rank: 1 },
                Level::Sparse { rank: 1 },
                Level::Element,
            ] => Kind::Doubly { col_major },
            levels if !levels.iter().any(|l| matches!(l, Level::Sparse { .. })) => Kind::Dense {
                rank: f.rank(),
                col_major,
            },
            _ => return None,
        })
    }

    fn is_dense(self) -> bool {
        matches!(self, Kind::Dense { .. })
    }
}

/// Runs `$body` with `$v` bound to an opaque carrier type of `$size` bytes (values are moved,
/// never inspected).
macro_rules! with_carrier {
    ($size:expr, $v:ident, $body:block) => {
        match $size {
            1 => {
                type $v = u8;
                $body
            }
            2 => {
                type $v = u16;
                $body
            }
            4 => {
                type $v = u32;
                $body
            }
            8 => {
                type $v = u64;
                $body
            }
            16 => {
                type $v = Complex128;
                $body
            }
            other => {
                return Err(EngineError::Internal(format!("values of {other} bytes")));
            }
        }
    };
}

/// Runs `$body` with `$t` bound to the [`crate::Summable`] type of the binsparse value type
/// `$scalar` and `$e` to the buffer element type that stores it (same size and alignment).
macro_rules! with_value {
    ($scalar:expr, $t:ident, $e:ident, $body:block) => {
        match $scalar {
            ScalarType::UInt8 => {
                type $t = u8;
                type $e = u8;
                $body
            }
            ScalarType::UInt16 => {
                type $t = u16;
                type $e = u16;
                $body
            }
            ScalarType::UInt32 => {
                type $t = u32;
                type $e = u32;
                $body
            }
            ScalarType::UInt64 => {
                type $t = u64;
                type $e = u64;
                $body
            }
            ScalarType::Int8 => {
                type $t = i8;
                type $e = i8;
                $body
            }
            ScalarType::Int16 => {
                type $t = i16;
                type $e = i16;
                $body
            }
            ScalarType::Int32 => {
                type $t = i32;
                type $e = i32;
                $body
            }
            ScalarType::Int64 => {
                type $t = i64;
                type $e = i64;
                $body
            }
            ScalarType::Float16 => {
                type $t = half::f16;
                type $e = half::f16;
                $body
            }
            ScalarType::BFloat16 => {
                type $t = half::bf16;
                type $e = half::bf16;
                $body
            }
            ScalarType::Float32 => {
                type $t = f32;
                type $e = f32;
                $body
            }
            ScalarType::Float64 => {
                type $t = f64;
                type $e = f64;
                $body
            }
            ScalarType::Bint8 => {
                type $t = Bint8;
                type $e = u8;
                $body
            }
            ScalarType::ComplexFloat32 => {
                type $t = [f32; 2];
                type $e = Complex64;
                $body
            }
            ScalarType::ComplexFloat64 => {
                type $t = [f64; 2];
                type $e = Complex128;
                $body
            }
            #[allow(unreachable_patterns)]
            other => {
                return Err(EngineError::Unsupported(format!("value type {other}")));
            }
        }
    };
}

/// Dispatches a canonicalization kernel on its work index dtype (see `work_index`): u32 or u64.
macro_rules! with_work_index {
    ($dtype:expr, $i:ident, $body:block) => {
        match $dtype {
            DType::U32 => {
                type $i = u32;
                $body
            }
            DType::U64 => {
                type $i = u64;
                $body
            }
            other => {
                return Err(EngineError::Internal(format!(
                    "work index dtype {other:?} (expected u32 or u64)"
                )));
            }
        }
    };
}

/// [`with_value!`] for summing kernels (canonicalization): a signed integer dtype runs as the
/// unsigned type of its width (`$t`; `$e` stays the stored element type). Wrapping sums are
/// the same bits in both, and comparisons are never made on values here, so this only cuts
/// the number of kernel instances.
macro_rules! with_summable {
    ($scalar:expr, $t:ident, $e:ident, $body:block) => {
        match $scalar {
            ScalarType::UInt8 => {
                type $t = u8;
                type $e = u8;
                $body
            }
            ScalarType::Int8 => {
                type $t = u8;
                type $e = i8;
                $body
            }
            ScalarType::UInt16 => {
                type $t = u16;
                type $e = u16;
                $body
            }
            ScalarType::Int16 => {
                type $t = u16;
                type $e = i16;
                $body
            }
            ScalarType::UInt32 => {
                type $t = u32;
                type $e = u32;
                $body
            }
            ScalarType::Int32 => {
                type $t = u32;
                type $e = i32;
                $body
            }
            ScalarType::UInt64 => {
                type $t = u64;
                type $e = u64;
                $body
            }
            ScalarType::Int64 => {
                type $t = u64;
                type $e = i64;
                $body
            }
            other => with_value!(other, $t, $e, $body),
        }
    };
}

/// `buffer` cast to the integer dtype `to` (shared when it already has it).
fn cast_index_buffer(
    buffer: &Buffer,
    to: DType,
    array: &'static str,
    copied: &mut bool,
) -> Result<Buffer, EngineError> {
    if buffer.dtype() == to {
        return Ok(buffer.clone());
    }
    *copied = true;
    with_index!(buffer.dtype(), A, {
        let src = buffer.as_slice::<A>()?;
        with_index!(to, B, {
            let out: Vec<B> = cpu::cast_indices::<A, B>(src, array)?;
            Ok(Buffer::from_vec(out))
        })
    })
}

/// The canonical dtype of an index scalar type.
fn index_dtype(t: ScalarType) -> Result<DType, EngineError> {
    match dtype_of(t) {
        Some(d) if t.is_integer() => Ok(d),
        _ => Err(EngineError::Unsupported(format!(
            "index type {t} (index arrays need an integer type)"
        ))),
    }
}

/// A `'static` binsparse index-array name (`indices_0` …), for typed errors.
fn index_name(d: usize) -> &'static str {
    crate::cpu::index_name(d)
}

/// The stored parts of a 2-D source, in its major orientation.
struct Parts {
    /// Extents of the (major, minor) dimensions.
    major: usize,
    minor: usize,
    /// `pointers_to_1` (compressed) or `indices_0` (coordinate).
    outer: Buffer,
    /// `indices_1`.
    inner: Buffer,
    values: Buffer,
    iso: bool,
}

fn get(array: &SparseArray, name: &str) -> Result<Buffer, EngineError> {
    array
        .array(name)
        .cloned()
        .ok_or_else(|| EngineError::Internal(format!("missing array {name}")))
}

fn extents(d: &Descriptor) -> Result<Vec<usize>, EngineError> {
    d.shape()
        .iter()
        .map(|&v| {
            usize::try_from(v)
                .map_err(|_| EngineError::Unsupported(format!("extent {v} above usize")))
        })
        .collect()
}

/// `buffer`, or an aligned copy when a foreign buffer is misaligned for `dtype`.
fn aligned_as(buffer: &Buffer, dtype: DType) -> Result<Buffer, EngineError> {
    Ok(match buffer.reinterpret(dtype) {
        Ok(v) => v,
        Err(_) => buffer.copy_to(buffer.device())?.reinterpret(dtype)?,
    })
}

/// The first element of a one-element (iso or fill) array.
fn first<T: Copy>(s: &[T], what: &str) -> Result<T, EngineError> {
    s.first()
        .copied()
        .ok_or_else(|| EngineError::Internal(format!("empty {what} array")))
}

/// A typed view of a value buffer whose elements are stored as `E`.
fn typed<T: bytemuck::Pod, E: Element>(buffer: &Buffer) -> Result<&[T], EngineError> {
    bytemuck::try_cast_slice(buffer.as_slice::<E>()?)
        .map_err(|e| EngineError::Internal(format!("value view: {e}")))
}

/// A buffer of `E` elements from typed values (same size and alignment: no copy).
fn untyped<T: bytemuck::Pod, E: Element>(v: Vec<T>) -> Result<Buffer, EngineError> {
    bytemuck::allocation::try_cast_vec::<T, E>(v)
        .map(Buffer::from_vec)
        .map_err(|(e, _)| EngineError::Internal(format!("value buffer: {e}")))
}

fn values_vec<T>(v: Values<T>) -> Vec<T> {
    match v {
        Values::Array(a) => a,
        Values::Iso(x) => vec![x],
    }
}

/// The `fill_value` array when present (it must have the values' dtype).
fn fill_value(array: &SparseArray) -> Result<Option<Buffer>, EngineError> {
    let Some(fv) = array.array("fill_value") else {
        return Ok(None);
    };
    let values = get(array, "values")?;
    if fv.dtype() != values.dtype() {
        return Err(EngineError::Unsupported(format!(
            "fill_value of dtype {} with values of dtype {} (sparse <-> dense needs one dtype)",
            fv.dtype(),
            values.dtype()
        )));
    }
    Ok(Some(fv.clone()))
}

/// Convert `array` to `target`, on its device.
pub fn convert(
    array: &SparseArray,
    target: &Target,
    options: &ConvertOptions,
) -> Result<Converted, EngineError> {
    if let sparsebridge_buffer::Device::Cuda(ordinal) = array.device() {
        // On the device that holds the data (crate::cuda), never through the host.
        return crate::cuda::convert(array, target, options, ordinal);
    }
    if !array.device().is_host_accessible() {
        return Err(EngineError::Unsupported(format!(
            "conversions on {} (copy to \"cpu\" or \"cuda:N\" first)",
            array.device()
        )));
    }
    let d = array.descriptor();
    if d.rank() != target.format.rank() {
        return Err(EngineError::Unsupported(format!(
            "{} -> {}: the target has rank {}, the array {}",
            format_name(d.format()),
            format_name(&target.format),
            target.format.rank(),
            d.rank()
        )));
    }
    let src = Kind::of(d.format());
    // Canonical input first (cached when already checked).
    let mut copied = false;
    let canonical;
    let array = match (array.validate_full(), options.canonicalize, src) {
        (Ok(()), _, _) => array,
        (Err(_), Some(policy), Some(k @ (Kind::Coo { .. } | Kind::Compressed { .. }))) => {
            canonical = canonicalize(array, k, policy)?;
            copied = true;
            &canonical
        }
        (Err(e), _, _) => return Err(e.into()),
    };
    if is_identity(array, target)? {
        let arrays = array
            .arrays()
            .iter()
            .filter(|(n, _)| n != "fill_value")
            .cloned()
            .collect();
        return finish(array, target, options, array.nnz(), arrays, copied);
    }
    let unsupported = || {
        EngineError::Unsupported(format!(
            "{} -> {} (the CPU engine handles the predefined formats, n-d COO and n-d dense)",
            format_name(array.descriptor().format()),
            format_name(&target.format)
        ))
    };
    let (Some(src), Some(dst)) = (src, Kind::of(&target.format)) else {
        return Err(unsupported());
    };
    if array.descriptor().structure().is_some() && src.is_dense() != dst.is_dense() {
        return Err(EngineError::Unsupported(format!(
            "{} -> {} with a declared structure (sparse <-> dense would need mirroring)",
            format_name(array.descriptor().format()),
            format_name(&target.format)
        )));
    }
    if target.format.rank() == 2 {
        convert_2d(array, src, dst, target, options, copied)
    } else {
        convert_nd(array, src, dst, target, options, copied)
    }
}

/// Whether `target` is the array's own format with its own index dtypes.
pub(crate) fn is_identity(array: &SparseArray, target: &Target) -> Result<bool, EngineError> {
    let d = array.descriptor();
    if *d.format() != target.format {
        return Ok(false);
    }
    let want_index = target.index_type.map(index_dtype).transpose()?;
    let want_pointer = target
        .pointer_type
        .or(target.index_type)
        .map(index_dtype)
        .transpose()?;
    for spec in d.arrays() {
        let want = match spec.role {
            ArrayRole::Pointers { .. } => want_pointer,
            ArrayRole::Indices { .. } => want_index,
            _ => None,
        };
        if let (Some(w), Some(b)) = (want, array.array(&spec.name))
            && b.dtype() != w
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A 2-D conversion: the source as compressed or coordinate parts in its own orientation,
/// the COOR/COOC/CSR/CSC core (compress, expand, transpose, cast), then the target's own arrays
/// (DCSR/DCSC compaction, dense scatter).
fn convert_2d(
    array: &SparseArray,
    src: Kind,
    dst: Kind,
    target: &Target,
    options: &ConvertOptions,
    mut copied: bool,
) -> Result<Converted, EngineError> {
    let d = array.descriptor();
    let ext = extents(d)?;
    let (rows, cols) = (ext[0], ext[1]);
    let fill = if src.is_dense() || dst.is_dense() {
        fill_value(array)?
    } else {
        None
    };
    let values = get(array, "values")?;
    let iso = d.value_type().iso;
    let orient = |col_major: bool| {
        if col_major {
            (cols, rows)
        } else {
            (rows, cols)
        }
    };

    // 1. The source as parts in its own orientation, and its default (pointer, index) dtypes.
    let (src_compressed, src_col, defaults, parts) = match src {
        Kind::Coo { col_major, .. } | Kind::Compressed { col_major } => {
            let compressed = matches!(src, Kind::Compressed { .. });
            let outer = get(
                array,
                if compressed {
                    "pointers_to_1"
                } else {
                    "indices_0"
                },
            )?;
            let inner = get(array, "indices_1")?;
            let defaults = if compressed {
                (outer.dtype(), inner.dtype())
            } else {
                (inner.dtype(), inner.dtype())
            };
            let (major, minor) = orient(col_major);
            let p = Parts {
                major,
                minor,
                outer,
                inner,
                values,
                iso,
            };
            (compressed, col_major, defaults, p)
        }
        Kind::Doubly { col_major } => {
            let (major, minor) = orient(col_major);
            let ids = get(array, "indices_0")?;
            let dptr = get(array, "pointers_to_1")?;
            let inner = get(array, "indices_1")?;
            copied = true;
            let outer = with_index!(dptr.dtype(), P, {
                with_index!(ids.dtype(), I, {
                    Buffer::from_vec(cpu::dcsr_to_csr_pointers::<P, I>(
                        major,
                        ids.as_slice::<I>()?,
                        dptr.as_slice::<P>()?,
                        inner.len(),
                    )?)
                })
            });
            let defaults = (dptr.dtype(), inner.dtype());
            let p = Parts {
                major,
                minor,
                outer,
                inner,
                values,
                iso,
            };
            (true, col_major, defaults, p)
        }
        Kind::Dense { col_major, .. } => {
            if iso {
                return Err(EngineError::Unsupported("an iso dense source".into()));
            }
            let (major, minor) = orient(col_major);
            copied = true;
            let (outer, inner, values) =
                dense_to_parts(&values, fill.as_ref(), d.value_type().scalar, major, minor)?;
            let p = Parts {
                major,
                minor,
                outer,
                inner,
                values,
                iso: false,
            };
            (true, col_major, (DType::I64, DType::I64), p)
        }
    };

    // 2. The COOR/COOC/CSR/CSC core, in the target's orientation and dtypes. A dense target
    //    only needs compressed parts, in u64.
    let (dst_compressed, dst_col) = match dst {
        Kind::Coo { col_major, .. } => (false, col_major),
        Kind::Compressed { col_major }
        | Kind::Doubly { col_major }
        | Kind::Dense { col_major, .. } => (true, col_major),
    };
    let (pointer_t, index_t) = if dst.is_dense() {
        (DType::U64, DType::U64)
    } else {
        resolve_dtypes(target, defaults)?
    };
    let (outer, inner, values) = if src_col == dst_col {
        same_orientation(
            &parts,
            src_compressed,
            dst_compressed,
            pointer_t,
            index_t,
            &mut copied,
        )?
    } else {
        transposed(
            &parts,
            src_compressed,
            dst_compressed,
            pointer_t,
            index_t,
            &mut copied,
        )?
    };

    // 3. The target's arrays.
    let (dmajor, dminor) = orient(dst_col);
    let nnz = inner.len() as u64;
    let named = |v: Vec<(&str, Buffer)>| -> Vec<(String, Buffer)> {
        v.into_iter().map(|(n, b)| (n.to_owned(), b)).collect()
    };
    let (nnz, arrays) = match dst {
        Kind::Coo { .. } => (
            nnz,
            named(vec![
                ("indices_0", outer),
                ("indices_1", inner),
                ("values", values),
            ]),
        ),
        Kind::Compressed { .. } => (
            nnz,
            named(vec![
                ("pointers_to_1", outer),
                ("indices_1", inner),
                ("values", values),
            ]),
        ),
        Kind::Doubly { .. } => {
            copied = true;
            let (ids, dptr) = with_index!(pointer_t, P, {
                with_index!(index_t, I, {
                    let (ids, dptr) = cpu::csr_to_dcsr::<P, I>(dmajor, outer.as_slice::<P>()?)?;
                    (Buffer::from_vec(ids), Buffer::from_vec(dptr))
                })
            });
            (
                nnz,
                named(vec![
                    ("indices_0", ids),
                    ("pointers_to_1", dptr),
                    ("indices_1", inner),
                    ("values", values),
                ]),
            )
        }
        Kind::Dense { .. } => {
            copied = true;
            let dense =
                compressed_to_dense(&outer, &inner, &values, iso, fill.as_ref(), dmajor, dminor)?;
            (
                (rows as u64) * (cols as u64),
                named(vec![("values", dense)]),
            )
        }
    };
    finish(array, target, options, nnz, arrays, copied)
}

/// Compressed parts `(pointers u64, indices u64, values)` of a dense matrix stored as `major`
/// runs of `minor` values, keeping the entries that differ from the fill (zero when none).
fn dense_to_parts(
    values: &Buffer,
    fill: Option<&Buffer>,
    scalar: ScalarType,
    major: usize,
    minor: usize,
) -> Result<(Buffer, Buffer, Buffer), EngineError> {
    with_value!(scalar, T, E, {
        let view = aligned_as(values, <E as Element>::DTYPE)?;
        let data = typed::<T, E>(&view)?;
        let f = match fill {
            Some(b) => Some(first(
                typed::<T, E>(&aligned_as(b, <E as Element>::DTYPE)?)?,
                "fill_value",
            )?),
            None => None,
        };
        let csr =
            cpu::dense_to_csr_fill::<u64, u64, T>(major, minor, data, DenseOrder::RowMajor, f)?;
        Ok((
            Buffer::from_vec(csr.pointers),
            Buffer::from_vec(csr.indices),
            untyped::<T, E>(values_vec(csr.values))?,
        ))
    })
}

/// The dense `major × minor` (row-major over the parts' orientation) of compressed u64 parts:
/// the fill (zero when none) at unstored positions.
fn compressed_to_dense(
    pointers: &Buffer,
    indices: &Buffer,
    values: &Buffer,
    iso: bool,
    fill: Option<&Buffer>,
    major: usize,
    minor: usize,
) -> Result<Buffer, EngineError> {
    let dt = values.dtype();
    with_carrier!(dt.size(), V, {
        let view = aligned_as(values, <V as Element>::DTYPE)?;
        let vals = view.as_slice::<V>()?;
        let values = if iso {
            ValuesRef::Iso(first(vals, "iso values")?)
        } else {
            ValuesRef::Array(vals)
        };
        let f = match fill {
            Some(b) => Some(first(
                aligned_as(b, <V as Element>::DTYPE)?.as_slice::<V>()?,
                "fill_value",
            )?),
            None => None,
        };
        let out = cpu::csr_to_dense_fill::<u64, u64, V>(
            &CsrRef {
                nrows: major,
                ncols: minor,
                pointers: pointers.as_slice::<u64>()?,
                indices: indices.as_slice::<u64>()?,
                values,
            },
            DenseOrder::RowMajor,
            f,
        )?;
        Ok(Buffer::from_vec(out).reinterpret(dt)?)
    })
}

/// Index arrays brought to one dtype (their own when they agree, else u64).
fn common_indices(idx: &[Buffer]) -> Result<(DType, Vec<Buffer>), EngineError> {
    let same = idx.windows(2).all(|w| w[0].dtype() == w[1].dtype());
    let work = match idx.first() {
        Some(b) if same => b.dtype(),
        _ => DType::U64,
    };
    let mut scratch = false;
    let cast = idx
        .iter()
        .enumerate()
        .map(|(k, b)| cast_index_buffer(b, work, index_name(k), &mut scratch))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((work, cast))
}

/// A conversion between n-d COO and n-d dense of any rank but 2 (rank 1: CVEC and DVEC).
fn convert_nd(
    array: &SparseArray,
    src: Kind,
    dst: Kind,
    target: &Target,
    options: &ConvertOptions,
    mut copied: bool,
) -> Result<Converted, EngineError> {
    let d = array.descriptor();
    let shape = extents(d)?;
    let fill = if src.is_dense() != dst.is_dense() {
        fill_value(array)?
    } else {
        None
    };
    let values = get(array, "values")?;
    let iso = d.value_type().iso;
    let index_t = target.index_type.map(index_dtype).transpose()?;
    let (nnz, arrays) = match (src, dst) {
        (Kind::Coo { rank, .. }, Kind::Coo { .. }) => {
            let mut arrays = Vec::with_capacity(rank + 1);
            for k in 0..rank {
                let b = get(array, index_name(k))?;
                let b = match index_t {
                    Some(t) => cast_index_buffer(&b, t, index_name(k), &mut copied)?,
                    None => b,
                };
                arrays.push((index_name(k).to_owned(), b));
            }
            arrays.push(("values".to_owned(), values));
            (d.nnz(), arrays)
        }
        (Kind::Dense { .. }, Kind::Dense { .. }) => (d.nnz(), vec![("values".to_owned(), values)]),
        (Kind::Coo { rank, .. }, Kind::Dense { .. }) => {
            copied = true;
            let idx = (0..rank)
                .map(|k| get(array, index_name(k)))
                .collect::<Result<Vec<_>, _>>()?;
            let (work, idx) = common_indices(&idx)?;
            let dt = values.dtype();
            let dense = with_index!(work, I, {
                let slices = idx
                    .iter()
                    .map(|b| b.as_slice::<I>())
                    .collect::<Result<Vec<_>, _>>()?;
                with_carrier!(dt.size(), V, {
                    let view = aligned_as(&values, <V as Element>::DTYPE)?;
                    let vals = view.as_slice::<V>()?;
                    let values = if iso {
                        ValuesRef::Iso(first(vals, "iso values")?)
                    } else {
                        ValuesRef::Array(vals)
                    };
                    let f = match &fill {
                        Some(b) => Some(first(
                            aligned_as(b, <V as Element>::DTYPE)?.as_slice::<V>()?,
                            "fill_value",
                        )?),
                        None => None,
                    };
                    let out = cpu::coo_nd_to_dense_fill::<I, V>(
                        &cpu::CooNdRef {
                            shape: &shape,
                            indices: &slices,
                            values,
                        },
                        f,
                    )?;
                    Buffer::from_vec(out).reinterpret(dt)?
                })
            });
            (dense.len() as u64, vec![("values".to_owned(), dense)])
        }
        (Kind::Dense { .. }, Kind::Coo { rank, .. }) => {
            if iso {
                return Err(EngineError::Unsupported("an iso dense source".into()));
            }
            copied = true;
            let (indices, values) = with_value!(d.value_type().scalar, T, E, {
                let view = aligned_as(&values, <E as Element>::DTYPE)?;
                let data = typed::<T, E>(&view)?;
                let f = match &fill {
                    Some(b) => Some(first(
                        typed::<T, E>(&aligned_as(b, <E as Element>::DTYPE)?)?,
                        "fill_value",
                    )?),
                    None => None,
                };
                let coo = cpu::dense_to_coo_nd_fill::<u64, T>(&shape, data, f)?;
                (coo.indices, untyped::<T, E>(values_vec(coo.values))?)
            });
            let t = index_t.unwrap_or(DType::I64);
            let mut arrays = Vec::with_capacity(rank + 1);
            for (k, ix) in indices.into_iter().enumerate() {
                let b = cast_index_buffer(&Buffer::from_vec(ix), t, index_name(k), &mut copied)?;
                arrays.push((index_name(k).to_owned(), b));
            }
            let nnz = values.len() as u64;
            arrays.push(("values".to_owned(), values));
            (nnz, arrays)
        }
        _ => {
            return Err(EngineError::Internal(format!(
                "{} -> {} reached the n-d path (compressed layouts are 2-D)",
                format_name(d.format()),
                format_name(&target.format)
            )));
        }
    };
    finish(array, target, options, nnz, arrays, copied)
}

/// A canonical copy of a non-canonical COO (any rank), CSR or CSC array, in the same format:
/// coordinates sorted in stored order, duplicates by `policy`.
fn canonicalize(
    array: &SparseArray,
    kind: Kind,
    policy: DuplicatePolicy,
) -> Result<SparseArray, EngineError> {
    let d = array.descriptor();
    let shape = extents(d)?;
    let stored: Vec<usize> = (0..d.rank())
        .map(|k| shape[d.format().logical_dim(k)])
        .collect();
    let values = get(array, "values")?;
    let scalar = d.value_type().scalar;
    let iso = d.value_type().iso;
    let to_logical = |e: EngineError| match e {
        EngineError::Convert(ConvertError::Duplicate { coords }) => {
            EngineError::Convert(ConvertError::Duplicate {
                coords: logical(d.format(), coords),
            })
        }
        EngineError::Convert(ConvertError::IsoDuplicate { coords }) => {
            EngineError::Convert(ConvertError::IsoDuplicate {
                coords: logical(d.format(), coords),
            })
        }
        other => other,
    };
    let mut arrays: Vec<(String, Buffer)> = match kind {
        Kind::Coo { rank: 2, .. } => {
            // The parallel radix path (cpu::coo_to_csr) in stored order, rows expanded back.
            let idx = [get(array, "indices_0")?, get(array, "indices_1")?];
            let (idx, vals) =
                canon_coo_2d(stored[0], stored[1], &idx, &values, iso, scalar, policy)
                    .map_err(to_logical)?;
            let mut out: Vec<(String, Buffer)> = idx
                .into_iter()
                .enumerate()
                .map(|(k, b)| (index_name(k).to_owned(), b))
                .collect();
            out.push(("values".to_owned(), vals));
            out
        }
        Kind::Coo { rank, .. } => {
            let idx = (0..rank)
                .map(|k| get(array, index_name(k)))
                .collect::<Result<Vec<_>, _>>()?;
            let (idx, vals) =
                canon_coo(&stored, &idx, &values, iso, scalar, policy).map_err(to_logical)?;
            let mut out: Vec<(String, Buffer)> = idx
                .into_iter()
                .enumerate()
                .map(|(k, b)| (index_name(k).to_owned(), b))
                .collect();
            out.push(("values".to_owned(), vals));
            out
        }
        Kind::Compressed { .. } => {
            // Rows are already grouped: each is canonicalized in place of the pointers.
            let ptr = get(array, "pointers_to_1")?;
            let inner = get(array, "indices_1")?;
            let (ptr, inner, vals) = canon_compressed(
                stored[0], stored[1], &ptr, &inner, &values, iso, scalar, policy,
            )
            .map_err(to_logical)?;
            vec![
                ("pointers_to_1".to_owned(), ptr),
                ("indices_1".to_owned(), inner),
                ("values".to_owned(), vals),
            ]
        }
        _ => {
            return Err(EngineError::Internal(format!(
                "canonicalizing {} (only COO, CSR and CSC reach here)",
                format_name(d.format())
            )));
        }
    };
    // The number of stored values: the length of the last index array.
    let nnz = arrays
        .iter()
        .rev()
        .find(|(n, _)| n.starts_with("indices_"))
        .map_or(0, |(_, b)| b.len()) as u64;
    if let Some(fv) = array.array("fill_value") {
        arrays.push(("fill_value".to_owned(), fv.clone()));
    }
    let desc = d.with_nnz(nnz)?;
    arrays.sort_by_key(|(n, _)| desc.array_names().iter().position(|m| m == n));
    Ok(SparseArray::new_trusted(desc, arrays, array.device()))
}

/// Stored-order coordinates in logical order (undoing the format's `transpose`).
fn logical(format: &Format, stored: Vec<usize>) -> Vec<usize> {
    if format.transpose().is_none() {
        return stored;
    }
    let mut out = vec![0; stored.len()];
    for (k, &v) in stored.iter().enumerate() {
        if let Some(slot) = out.get_mut(format.logical_dim(k)) {
            *slot = v;
        }
    }
    out
}

/// Canonical 2-D COO parts in stored order (`major × minor`), each index array in its own
/// dtype, values in theirs: [`cpu::coo_to_csr`] (parallel, cache-blocked radix sort by the
/// major index, then per-row sort and duplicate policy), the major indices expanded back from
/// its pointers with [`cpu::csr_to_coo_rows`].
#[allow(clippy::too_many_arguments)]
fn canon_coo_2d(
    major: usize,
    minor: usize,
    idx: &[Buffer; 2],
    values: &Buffer,
    iso: bool,
    scalar: ScalarType,
    policy: DuplicatePolicy,
) -> Result<(Vec<Buffer>, Buffer), EngineError> {
    // Bounds first, in each array's own dtype (the kernels' errors, in their order); then the
    // kernels run on an unsigned work dtype (two instances, u32 and u64, instead of eight).
    for (k, (b, extent)) in idx.iter().zip([major, minor]).enumerate() {
        with_index!(b.dtype(), I, {
            cpu::check_bounds::<I>(b.as_slice::<I>()?, extent, index_name(k))?;
        });
    }
    let mut scratch = false;
    let mut cast = [
        work_index(&idx[0], index_name(0), &mut scratch)?,
        work_index(&idx[1], index_name(1), &mut scratch)?,
    ];
    if cast[0].dtype() != cast[1].dtype() {
        for (k, b) in cast.iter_mut().enumerate() {
            *b = cast_index_buffer(b, DType::U64, index_name(k), &mut scratch)?;
        }
    }
    let (out_idx, out_vals) = with_work_index!(cast[0].dtype(), I, {
        let rows = cast[0].as_slice::<I>()?;
        let cols = cast[1].as_slice::<I>()?;
        if iso {
            let (r, c, _) =
                coo_2d_kernel::<I, u8>(major, minor, rows, cols, ValuesRef::Iso(0), policy)?;
            (
                vec![Buffer::from_vec(r), Buffer::from_vec(c)],
                values.clone(),
            )
        } else {
            with_summable!(scalar, T, E, {
                let view = aligned_as(values, <E as Element>::DTYPE)?;
                let vals = typed::<T, E>(&view)?;
                let (r, c, v) = coo_2d_kernel::<I, T>(
                    major,
                    minor,
                    rows,
                    cols,
                    ValuesRef::Array(vals),
                    policy,
                )?;
                (
                    vec![Buffer::from_vec(r), Buffer::from_vec(c)],
                    untyped::<T, E>(values_vec(v))?,
                )
            })
        }
    });
    // Back to each array's own dtype (the values came from it, so they fit).
    let out_idx = out_idx
        .iter()
        .zip(idx)
        .enumerate()
        .map(|(k, (b, orig))| from_work_index(b, orig.dtype(), index_name(k), &mut scratch))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((out_idx, out_vals))
}

/// The unsigned work dtype of a canonicalization kernel for an index array already checked to
/// lie in `[0, extent)`: its unsigned twin of the same width (a zero-copy reinterpretation,
/// the values being non-negative), or u32 for 1- and 2-byte dtypes (a widening copy).
fn work_index(b: &Buffer, array: &'static str, copied: &mut bool) -> Result<Buffer, EngineError> {
    match b.dtype().size() {
        4 => Ok(b.reinterpret(DType::U32)?),
        8 => Ok(b.reinterpret(DType::U64)?),
        _ => cast_index_buffer(b, DType::U32, array, copied),
    }
}

/// A kernel output in the work dtype back in the array's own dtype `orig` (its values came
/// from an array of that dtype, so they fit): a reinterpretation when the widths agree.
fn from_work_index(
    b: &Buffer,
    orig: DType,
    array: &'static str,
    copied: &mut bool,
) -> Result<Buffer, EngineError> {
    if b.dtype().size() == orig.size() {
        Ok(b.reinterpret(orig)?)
    } else {
        cast_index_buffer(b, orig, array, copied)
    }
}

/// Stored-order COO parts: major indices, minor indices, values.
type CooParts<I, T> = (Vec<I>, Vec<I>, Values<T>);

/// Canonical COO `(major, minor, values)` through the radix CSR path (u64 work pointers).
fn coo_2d_kernel<I: Index, T: crate::Summable>(
    major: usize,
    minor: usize,
    rows: &[I],
    cols: &[I],
    values: ValuesRef<'_, T>,
    policy: DuplicatePolicy,
) -> Result<CooParts<I, T>, EngineError> {
    let csr = cpu::coo_to_csr_prechecked::<u64, I, T>(
        &crate::CooRef {
            nrows: major,
            ncols: minor,
            rows,
            cols,
            values,
        },
        policy,
    )?;
    let rows = cpu::csr_to_coo_rows::<u64, I>(major, &csr.pointers)?;
    Ok((rows, csr.indices, csr.values))
}

/// Canonical compressed parts `(pointers_to_1, indices_1, values)` of a CSR/CSC whose rows
/// (stored order, `major × minor`) may be unsorted and duplicated, each array in its own
/// dtype: the pointers are validated in their dtype, read as u64, and each row canonicalized
/// in place of them ([`cpu::csr_canonicalize`]); no expansion to COO, no re-sort by row.
#[allow(clippy::too_many_arguments)]
fn canon_compressed(
    major: usize,
    minor: usize,
    ptr: &Buffer,
    inner: &Buffer,
    values: &Buffer,
    iso: bool,
    scalar: ScalarType,
    policy: DuplicatePolicy,
) -> Result<(Buffer, Buffer, Buffer), EngineError> {
    with_index!(ptr.dtype(), P, {
        cpu::validate_pointers::<P>(
            ptr.as_slice::<P>()?,
            major,
            inner.len(),
            "pointers_to_1",
            false,
        )?;
    });
    with_index!(inner.dtype(), I, {
        cpu::check_bounds::<I>(inner.as_slice::<I>()?, minor, "indices_1")?;
    });
    let mut scratch = false;
    let p64 = cast_index_buffer(ptr, DType::U64, "pointers_to_1", &mut scratch)?;
    let pointers = p64.as_slice::<u64>()?;
    let work = work_index(inner, "indices_1", &mut scratch)?;
    let (out_ptr, out_idx, out_vals) = with_work_index!(work.dtype(), I, {
        let indices = work.as_slice::<I>()?;
        if iso {
            let c = cpu::csr_canonicalize_prechecked::<u64, I, u8>(
                &CsrRef {
                    nrows: major,
                    ncols: minor,
                    pointers,
                    indices,
                    values: ValuesRef::Iso(0),
                },
                policy,
            )?;
            (
                Buffer::from_vec(c.pointers),
                Buffer::from_vec(c.indices),
                values.clone(),
            )
        } else {
            with_summable!(scalar, T, E, {
                let view = aligned_as(values, <E as Element>::DTYPE)?;
                let vals = typed::<T, E>(&view)?;
                let c = cpu::csr_canonicalize_prechecked::<u64, I, T>(
                    &CsrRef {
                        nrows: major,
                        ncols: minor,
                        pointers,
                        indices,
                        values: ValuesRef::Array(vals),
                    },
                    policy,
                )?;
                (
                    Buffer::from_vec(c.pointers),
                    Buffer::from_vec(c.indices),
                    untyped::<T, E>(values_vec(c.values))?,
                )
            })
        }
    });
    // The pointers back to their own dtype (they only shrink, so they fit).
    let out_ptr = cast_index_buffer(&out_ptr, ptr.dtype(), "pointers_to_1", &mut scratch)?;
    let out_idx = from_work_index(&out_idx, inner.dtype(), "indices_1", &mut scratch)?;
    Ok((out_ptr, out_idx, out_vals))
}

/// Canonical n-d COO parts (each index array in its own dtype, values in theirs), any rank
/// but 2.
fn canon_coo(
    shape: &[usize],
    idx: &[Buffer],
    values: &Buffer,
    iso: bool,
    scalar: ScalarType,
    policy: DuplicatePolicy,
) -> Result<(Vec<Buffer>, Buffer), EngineError> {
    let (work, cast) = common_indices(idx)?;
    let (out_idx, out_vals) = with_index!(work, I, {
        let slices = cast
            .iter()
            .map(|b| b.as_slice::<I>())
            .collect::<Result<Vec<_>, _>>()?;
        if iso {
            let out = cpu::coo_nd_canonicalize::<I, u8>(
                &cpu::CooNdRef {
                    shape,
                    indices: &slices,
                    values: ValuesRef::Iso(0),
                },
                policy,
            )?;
            (to_buffers(out.indices), values.clone())
        } else {
            with_summable!(scalar, T, E, {
                let view = aligned_as(values, <E as Element>::DTYPE)?;
                let vals = typed::<T, E>(&view)?;
                let out = cpu::coo_nd_canonicalize::<I, T>(
                    &cpu::CooNdRef {
                        shape,
                        indices: &slices,
                        values: ValuesRef::Array(vals),
                    },
                    policy,
                )?;
                (
                    to_buffers(out.indices),
                    untyped::<T, E>(values_vec(out.values))?,
                )
            })
        }
    });
    // Back to each array's own dtype (the values came from it, so they fit).
    let mut scratch = false;
    let out_idx = out_idx
        .iter()
        .zip(idx)
        .enumerate()
        .map(|(k, (b, orig))| cast_index_buffer(b, orig.dtype(), index_name(k), &mut scratch))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((out_idx, out_vals))
}

fn to_buffers<I: Element>(v: Vec<Vec<I>>) -> Vec<Buffer> {
    v.into_iter().map(Buffer::from_vec).collect()
}

/// The target's pointer and index dtypes: the requested ones, else the source's.
pub(crate) fn target_dtypes(
    target: &Target,
    outer: &Buffer,
    inner: &Buffer,
    src_compressed: bool,
) -> Result<(DType, DType), EngineError> {
    let src_index = inner.dtype();
    let src_pointer = if src_compressed {
        outer.dtype()
    } else {
        src_index
    };
    resolve_dtypes(target, (src_pointer, src_index))
}

/// The target's pointer and index dtypes: the requested ones, else `(pointer, index)` defaults.
fn resolve_dtypes(
    target: &Target,
    (src_pointer, src_index): (DType, DType),
) -> Result<(DType, DType), EngineError> {
    let index_t = match target.index_type {
        Some(t) => index_dtype(t)?,
        None => src_index,
    };
    let pointer_t = match (target.pointer_type, target.index_type) {
        (Some(t), _) => index_dtype(t)?,
        (None, Some(_)) => index_t,
        (None, None) => src_pointer,
    };
    Ok((pointer_t, index_t))
}

/// The shared tail of the CPU and CUDA engines: applies the copy policy to the new named
/// arrays, builds the target descriptor (per-array index dtypes from the buffers; fill,
/// structure and user keys carried over; `iso` dropped for a dense target) and assembles the
/// output on the source's device.
pub(crate) fn finish(
    array: &SparseArray,
    target: &Target,
    options: &ConvertOptions,
    nnz: u64,
    arrays: Vec<(String, Buffer)>,
    mut copied: bool,
) -> Result<Converted, EngineError> {
    let d = array.descriptor();
    if options.copy == Some(false) && copied {
        return Err(EngineError::CopyRequired {
            target: format_name(&target.format),
        });
    }
    let force_copy = options.copy == Some(true);
    let fresh = |b: Buffer| -> Result<Buffer, EngineError> {
        Ok(
            if force_copy && array.arrays().iter().any(|(_, s)| s.shares_memory_with(&b)) {
                b.copy_to(b.device())?
            } else {
                b
            },
        )
    };
    let mut arrays = arrays
        .into_iter()
        .map(|(n, b)| Ok((n, fresh(b)?)))
        .collect::<Result<Vec<_>, EngineError>>()?;
    copied |= force_copy;

    let mut value_type = d.value_type();
    if !target.format.is_sparse() {
        value_type.iso = false;
    }
    let mut builder =
        Descriptor::builder(target.format.clone(), d.shape().to_vec(), nnz, value_type);
    for (name, b) in &arrays {
        if name != "values" {
            builder = builder.array_type(name.clone(), DataType::new(scalar_for(b.dtype())?));
        }
    }
    if let Some(fill) = d.fill_type() {
        builder = builder.fill(fill);
    }
    if let Some(s) = d.structure() {
        builder = builder.structure(s);
    }
    if d.value_type().scalar.is_extension() {
        builder = builder.extension_types(true);
    }
    for (k, v) in d.user_keys() {
        builder = builder.user_key(k.clone(), v.clone());
    }
    let desc = builder.build()?;
    if let Some(fv) = array.array("fill_value") {
        arrays.push(("fill_value".to_owned(), fv.clone()));
    }
    // Order as the descriptor lists its arrays.
    arrays.sort_by_key(|(n, _)| desc.array_names().iter().position(|m| m == n));
    let device = array.device();
    Ok(Converted {
        array: SparseArray::new_trusted(desc, arrays, device),
        copied,
    })
}

/// [`finish`] for the COOR/COOC/CSR/CSC parts `[outer, inner, values]` (the CUDA engine).
pub(crate) fn finish_parts(
    array: &SparseArray,
    target: &Target,
    options: &ConvertOptions,
    dst_compressed: bool,
    [outer, inner, values]: [Buffer; 3],
    copied: bool,
) -> Result<Converted, EngineError> {
    let outer_name = if dst_compressed {
        "pointers_to_1"
    } else {
        "indices_0"
    };
    let nnz = inner.len() as u64;
    let arrays = vec![
        (outer_name.to_owned(), outer),
        ("indices_1".to_owned(), inner),
        ("values".to_owned(), values),
    ];
    finish(array, target, options, nnz, arrays, copied)
}

fn scalar_for(dt: DType) -> Result<ScalarType, EngineError> {
    sparsebridge_array::scalar_of(dt)
        .ok_or_else(|| EngineError::Internal(format!("index dtype {dt} has no binsparse type")))
}

/// Same major orientation: compress (pointers from sorted major indices), expand, or keep.
fn same_orientation(
    p: &Parts,
    src_compressed: bool,
    dst_compressed: bool,
    pointer_t: DType,
    index_t: DType,
    copied: &mut bool,
) -> Result<(Buffer, Buffer, Buffer), EngineError> {
    let inner = cast_index_buffer(&p.inner, index_t, "indices_1", copied)?;
    let outer = match (src_compressed, dst_compressed) {
        (true, true) => cast_index_buffer(&p.outer, pointer_t, "pointers_to_1", copied)?,
        (false, false) => cast_index_buffer(&p.outer, index_t, "indices_0", copied)?,
        (false, true) => {
            *copied = true;
            with_index!(p.outer.dtype(), I, {
                let majors = p.outer.as_slice::<I>()?;
                with_index!(pointer_t, P, {
                    let ptr: Vec<P> = cpu::coo_sorted_to_csr_pointers::<P, I>(p.major, majors)?;
                    Buffer::from_vec(ptr)
                })
            })
        }
        (true, false) => {
            *copied = true;
            with_index!(p.outer.dtype(), P, {
                let ptr = p.outer.as_slice::<P>()?;
                with_index!(index_t, I, {
                    let majors: Vec<I> = cpu::csr_to_coo_rows::<P, I>(p.major, ptr)?;
                    Buffer::from_vec(majors)
                })
            })
        }
    };
    Ok((outer, inner, p.values.clone()))
}

/// Opposite orientation: bring the source to compressed form, transpose it with a stable
/// counting sort, then expand if the target is a coordinate format.
fn transposed(
    p: &Parts,
    src_compressed: bool,
    dst_compressed: bool,
    pointer_t: DType,
    index_t: DType,
    copied: &mut bool,
) -> Result<(Buffer, Buffer, Buffer), EngineError> {
    *copied = true;
    // Work with `u64` pointers and the target index dtype: one kernel instance per index dtype
    // and value size (instead of one per pointer × index dtype pair, which made the crate's
    // release build several times larger). The pointers are cast to the target dtype at the end
    // (a checked pass over `minor + 1` values).
    let work = DType::U64;
    let mut scratch = false;
    let inner = cast_index_buffer(&p.inner, index_t, "indices_1", &mut scratch)?;
    let pointers = if src_compressed {
        cast_index_buffer(&p.outer, work, "pointers_to_1", &mut scratch)?
    } else {
        let mut c = false;
        let major = cast_index_buffer(&p.outer, index_t, "indices_0", &mut c)?;
        same_orientation(
            &Parts {
                major: p.major,
                minor: p.minor,
                outer: major,
                inner: inner.clone(),
                values: p.values.clone(),
                iso: p.iso,
            },
            false,
            true,
            work,
            index_t,
            &mut c,
        )?
        .0
    };
    // A compressed target's pointers must hold nnz (checked before the work, as on CUDA).
    if dst_compressed {
        with_index!(pointer_t, P, {
            crate::index::check_fits::<P>(p.inner.len(), "pointers_to_1")?
        });
    }
    let (ptr_w, idx_t, values) = with_index!(index_t, I, {
        transpose_values::<u64, I>(p, &pointers, &inner)?
    });
    if dst_compressed {
        let ptr_t = cast_index_buffer(&ptr_w, pointer_t, "pointers_to_1", &mut scratch)?;
        Ok((ptr_t, idx_t, values))
    } else {
        // Expand the new pointers into major indices.
        let ptr = ptr_w.as_slice::<u64>()?;
        let majors = with_index!(index_t, I, {
            Buffer::from_vec(cpu::csr_to_coo_rows::<u64, I>(p.minor, ptr)?)
        });
        Ok((majors, idx_t, values))
    }
}

/// Dispatches the transpose on the value size (values move as opaque elements).
fn transpose_values<P: Index + Element, I: Index + Element>(
    p: &Parts,
    pointers: &Buffer,
    inner: &Buffer,
) -> Result<(Buffer, Buffer, Buffer), EngineError> {
    let ptr = pointers.as_slice::<P>()?;
    let idx = inner.as_slice::<I>()?;
    let run = |values: ValuesRefAny<'_>| -> Result<(Buffer, Buffer, Buffer), EngineError> {
        match values {
            ValuesRefAny::Iso => {
                let out = cpu::csr_transpose::<P, I, u8>(&CsrRef {
                    nrows: p.major,
                    ncols: p.minor,
                    pointers: ptr,
                    indices: idx,
                    values: ValuesRef::Iso(0),
                })?;
                Ok((
                    Buffer::from_vec(out.pointers),
                    Buffer::from_vec(out.indices),
                    p.values.clone(),
                ))
            }
            ValuesRefAny::B1(v) => t::<P, I, u8>(p, ptr, idx, v),
            ValuesRefAny::B2(v) => t::<P, I, u16>(p, ptr, idx, v),
            ValuesRefAny::B4(v) => t::<P, I, u32>(p, ptr, idx, v),
            ValuesRefAny::B8(v) => t::<P, I, u64>(p, ptr, idx, v),
            ValuesRefAny::B16(v) => t::<P, I, Complex128>(p, ptr, idx, v),
        }
    };
    if p.iso {
        return run(ValuesRefAny::Iso);
    }
    let dt = p.values.dtype();
    let carrier = match dt.size() {
        1 => DType::U8,
        2 => DType::U16,
        4 => DType::U32,
        8 => DType::U64,
        16 => DType::Complex128,
        _ => return Err(EngineError::Internal(format!("value dtype {dt}"))),
    };
    let view = match p.values.reinterpret(carrier) {
        Ok(v) => v,
        // A misaligned foreign buffer: copy it to an aligned one first.
        Err(_) => p.values.copy_to(p.values.device())?.reinterpret(carrier)?,
    };
    let (a, b, c) = match carrier {
        DType::U8 => run(ValuesRefAny::B1(view.as_slice()?)),
        DType::U16 => run(ValuesRefAny::B2(view.as_slice()?)),
        DType::U32 => run(ValuesRefAny::B4(view.as_slice()?)),
        DType::U64 => run(ValuesRefAny::B8(view.as_slice()?)),
        _ => run(ValuesRefAny::B16(view.as_slice()?)),
    }?;
    Ok((a, b, c.reinterpret(dt)?))
}

enum ValuesRefAny<'a> {
    Iso,
    B1(&'a [u8]),
    B2(&'a [u16]),
    B4(&'a [u32]),
    B8(&'a [u64]),
    B16(&'a [Complex128]),
}

fn t<P: Index + Element, I: Index + Element, V: Value + Element>(
    p: &Parts,
    ptr: &[P],
    idx: &[I],
    values: &[V],
) -> Result<(Buffer, Buffer, Buffer), EngineError> {
    let out = cpu::csr_transpose::<P, I, V>(&CsrRef {
        nrows: p.major,
        ncols: p.minor,
        pointers: ptr,
        indices: idx,
        values: ValuesRef::Array(values),
    })?;
    let values = match out.values {
        Values::Array(v) => Buffer::from_vec(v),
        Values::Iso(v) => Buffer::from_vec(vec![v]),
    };
    Ok((
        Buffer::from_vec(out.pointers),
        Buffer::from_vec(out.indices),
        values,
    ))
}
