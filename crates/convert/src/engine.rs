//! The array-level entry point: [`convert`] a [`SparseArray`] to another format or index dtype,
//! on the device that holds it, reporting whether anything was copied.
//!
//! Supported today (CPU): every pair among `COOR`, `COOC`, `CSR` and `CSC`, any integer index
//! and pointer dtypes (u8..u64, i8..i64; narrowing is checked and fails with a typed error), any
//! value dtype (values are moved as opaque 1/2/4/8/16-byte elements; `iso` stays iso). Other
//! formats return [`EngineError::Unsupported`] for now. Arrays on `cuda:N` are converted on that
//! device by [`crate::cuda`] (same formats; kernels compiled with NVRTC, never through the host).
//!
//! Zero-copy where the layouts allow:
//! - same format and dtypes: the buffers are shared;
//! - `COOR` → `CSR` (and `COOC` → `CSC`): only `pointers_to_1` is computed; `indices_1` and
//!   `values` are the source's buffers;
//! - `CSR` → `COOR` (and `CSC` → `COOC`): only `indices_0` is computed.
//!
//! The source must be canonical (sorted, no duplicates), as every binsparse format requires:
//! [`convert`] runs [`SparseArray::validate_full`] first (free when the array is already known
//! to be valid) and returns its typed error otherwise.

use sparsebridge_array::{ArrayError, SparseArray, dtype_of};
use sparsebridge_buffer::{Buffer, BufferError, Complex128, DType, Element};
use sparsebridge_descriptor::{Descriptor, DescriptorError, PredefinedFormat, ScalarType};

use crate::{ConvertError, CsrRef, Index, Value, Values, ValuesRef, cpu};

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
    /// A conversion kernel failed (e.g. an index does not fit the target dtype).
    #[error(transparent)]
    Convert(#[from] ConvertError),
    /// A CUDA kernel could not be compiled, checked against its PTX, or launched.
    #[error(transparent)]
    Cuda(#[from] sparsebridge_buffer::cuda::KernelError),
    /// The conversion is not implemented for this source, target or device.
    #[error("unsupported conversion: {0}")]
    Unsupported(String),
    /// `copy = false` was requested, but the conversion needs new memory.
    #[error("the conversion to {target} needs a copy, but copy=false was requested")]
    CopyRequired {
        /// The requested format.
        target: String,
    },
}

/// What to convert to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The format.
    pub format: PredefinedFormat,
    /// The dtype of every index array (`None`: keep the source's).
    pub index_type: Option<ScalarType>,
    /// The dtype of every pointer array (`None`: the index type, else the source's).
    pub pointer_type: Option<ScalarType>,
}

impl Target {
    /// `format`, keeping the source's index dtypes.
    pub fn format(format: PredefinedFormat) -> Self {
        Self {
            format,
            index_type: None,
            pointer_type: None,
        }
    }
}

/// Options of [`convert`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConvertOptions {
    /// `Some(false)`: fail with [`EngineError::CopyRequired`] rather than allocate.
    /// `Some(true)`: always return fresh buffers. `None`: share buffers where possible.
    pub copy: Option<bool>,
}

/// The result of [`convert`].
#[derive(Debug, Clone)]
pub struct Converted {
    /// The converted array (validated: canonical by construction).
    pub array: SparseArray,
    /// Whether any new buffer was allocated.
    pub copied: bool,
}

/// The 2-D sparse family the engine handles natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    /// Compressed (CSR/CSC) or coordinate (COOR/COOC).
    compressed: bool,
    /// Major dimension is the column (CSC, COOC).
    col_major: bool,
}

fn layout(f: PredefinedFormat) -> Option<Layout> {
    use PredefinedFormat as F;
    Some(match f {
        F::Csr => Layout {
            compressed: true,
            col_major: false,
        },
        F::Csc => Layout {
            compressed: true,
            col_major: true,
        },
        F::Coor => Layout {
            compressed: false,
            col_major: false,
        },
        F::Cooc => Layout {
            compressed: false,
            col_major: true,
        },
        _ => return None,
    })
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

/// Convert `array` to `target`, on its device.
pub fn convert(
    array: &SparseArray,
    target: &Target,
    options: &ConvertOptions,
) -> Result<Converted, EngineError> {
    let d = array.descriptor();
    let src_format = d.alias().ok_or_else(|| {
        EngineError::Unsupported(format!("source format {}", d.format().summary()))
    })?;
    let (Some(src), Some(dst)) = (layout(src_format), layout(target.format)) else {
        return Err(EngineError::Unsupported(format!(
            "{src_format} -> {} (the engine handles COOR, COOC, CSR and CSC today)",
            target.format
        )));
    };
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
    array.validate_full()?;

    let get = |name: &str| -> Result<Buffer, EngineError> {
        array
            .array(name)
            .cloned()
            .ok_or_else(|| EngineError::Unsupported(format!("missing array {name}")))
    };
    let outer_name = if src.compressed {
        "pointers_to_1"
    } else {
        "indices_0"
    };
    let shape = d.shape();
    let to_usize = |v: u64| {
        usize::try_from(v).map_err(|_| EngineError::Unsupported(format!("extent {v} above usize")))
    };
    let (rows, cols) = (to_usize(shape[0])?, to_usize(shape[1])?);
    let parts = Parts {
        major: if src.col_major { cols } else { rows },
        minor: if src.col_major { rows } else { cols },
        outer: get(outer_name)?,
        inner: get("indices_1")?,
        values: get("values")?,
        iso: d.value_type().iso,
    };

    // Target dtypes.
    let (pointer_t, index_t) = target_dtypes(target, &parts.outer, &parts.inner, src.compressed)?;

    let mut copied = false;
    let (outer, inner, values) = if src.col_major == dst.col_major {
        same_orientation(
            &parts,
            src.compressed,
            dst.compressed,
            pointer_t,
            index_t,
            &mut copied,
        )?
    } else {
        transposed(
            &parts,
            src.compressed,
            dst.compressed,
            pointer_t,
            index_t,
            &mut copied,
        )?
    };
    finish(
        array,
        target,
        options,
        dst.compressed,
        (pointer_t, index_t),
        [outer, inner, values],
        copied,
    )
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

/// The shared tail of the CPU and CUDA engines: applies the copy policy to the new
/// `[outer, inner, values]` arrays, builds the target descriptor (fill, structure and user keys
/// carried over) and assembles the output on the source's device.
pub(crate) fn finish(
    array: &SparseArray,
    target: &Target,
    options: &ConvertOptions,
    dst_compressed: bool,
    (pointer_t, index_t): (DType, DType),
    [outer, inner, values]: [Buffer; 3],
    mut copied: bool,
) -> Result<Converted, EngineError> {
    let d = array.descriptor();
    if options.copy == Some(false) && copied {
        return Err(EngineError::CopyRequired {
            target: target.format.to_string(),
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
    let (outer, inner, values) = (fresh(outer)?, fresh(inner)?, fresh(values)?);
    copied |= force_copy;

    let mut builder =
        Descriptor::builder(target.format, d.shape().to_vec(), d.nnz(), d.value_type())
            .index_type(scalar_for(index_t)?)
            .pointer_type(scalar_for(pointer_t)?);
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
    let outer_name = if dst_compressed {
        "pointers_to_1"
    } else {
        "indices_0"
    };
    let mut arrays = vec![
        (outer_name.to_owned(), outer),
        ("indices_1".to_owned(), inner),
        ("values".to_owned(), values),
    ];
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

fn scalar_for(dt: DType) -> Result<ScalarType, EngineError> {
    sparsebridge_array::scalar_of(dt).ok_or_else(|| EngineError::Unsupported(format!("dtype {dt}")))
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
    // Work in the target dtypes: cast first (no-op when equal), then run one generic kernel.
    let mut scratch = false;
    let inner = cast_index_buffer(&p.inner, index_t, "indices_1", &mut scratch)?;
    let pointers = if src_compressed {
        cast_index_buffer(&p.outer, pointer_t, "pointers_to_1", &mut scratch)?
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
            pointer_t,
            index_t,
            &mut c,
        )?
        .0
    };
    let (ptr_t, idx_t, values) = with_index!(pointer_t, P, {
        with_index!(index_t, I, {
            transpose_values::<P, I>(p, &pointers, &inner)?
        })
    });
    if dst_compressed {
        Ok((ptr_t, idx_t, values))
    } else {
        // Expand the new pointers into major indices.
        let majors = with_index!(pointer_t, P, {
            let ptr = ptr_t.as_slice::<P>()?;
            with_index!(index_t, I, {
                Buffer::from_vec(cpu::csr_to_coo_rows::<P, I>(p.minor, ptr)?)
            })
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
        _ => return Err(EngineError::Unsupported(format!("value dtype {dt}"))),
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
