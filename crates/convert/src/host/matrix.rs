//! The 2-D core of the host engine: the source as compressed or coordinate parts in its own
//! orientation, the COOR/COOC/CSR/CSC steps (compress, expand, transpose, cast), then the
//! target's own arrays (DCSR/DCSC compaction, dense scatter).

use sparsebridge_array::SparseArray;
use sparsebridge_buffer::{Buffer, Complex64, Complex128, DType, Element, dispatch_dtype};
use sparsebridge_descriptor::ScalarType;

use super::{
    Kind, aligned_as, cast_index_buffer, extents, fill_value, first, get, typed, untyped,
    values_vec,
};
use crate::assemble::{Parts, finish, resolve_dtypes, stored_parts};
use crate::error::{EngineError, unsupported_index};
use crate::target::{ConvertOptions, Converted, Target};
use crate::{Bint8, CsrRef, DenseOrder, Index, Value, Values, ValuesRef, cpu};

/// A 2-D conversion: the source as compressed or coordinate parts in its own orientation,
/// the COOR/COOC/CSR/CSC core (compress, expand, transpose, cast), then the target's own arrays
/// (DCSR/DCSC compaction, dense scatter).
pub(super) fn convert_2d(
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
            let (c, defaults, p) = stored_parts(array, compressed, orient(col_major))?;
            (c, col_major, defaults, p)
        }
        Kind::Doubly { col_major } => {
            let (major, minor) = orient(col_major);
            let ids = get(array, "indices_0")?;
            let dptr = get(array, "pointers_to_1")?;
            let inner = get(array, "indices_1")?;
            copied = true;
            let outer = dispatch_dtype!(dptr.dtype(), [integer] => |P| {
                dispatch_dtype!(ids.dtype(), [integer] => |I| {
                    Buffer::from_vec(cpu::dcsr_to_csr_pointers::<P, I>(
                        major,
                        ids.as_slice::<I>()?,
                        dptr.as_slice::<P>()?,
                        inner.len(),
                    )?)
                }, other => return Err(unsupported_index(other)))
            }, other => return Err(unsupported_index(other)));
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
    let (dst_compressed, dst_col) = dst.core_layout();
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
            let (ids, dptr) = dispatch_dtype!(pointer_t, [integer] => |P| {
                dispatch_dtype!(index_t, [integer] => |I| {
                    let (ids, dptr) = cpu::csr_to_dcsr::<P, I>(dmajor, outer.as_slice::<P>()?)?;
                    (Buffer::from_vec(ids), Buffer::from_vec(dptr))
                }, other => return Err(unsupported_index(other)))
            }, other => return Err(unsupported_index(other)));
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
            dispatch_dtype!(p.outer.dtype(), [integer] => |I| {
                let majors = p.outer.as_slice::<I>()?;
                dispatch_dtype!(pointer_t, [integer] => |P| {
                    let ptr: Vec<P> = cpu::coo_sorted_to_csr_pointers::<P, I>(p.major, majors)?;
                    Buffer::from_vec(ptr)
                }, other => return Err(unsupported_index(other)))
            }, other => return Err(unsupported_index(other)))
        }
        (true, false) => {
            *copied = true;
            dispatch_dtype!(p.outer.dtype(), [integer] => |P| {
                let ptr = p.outer.as_slice::<P>()?;
                dispatch_dtype!(index_t, [integer] => |I| {
                    let majors: Vec<I> = cpu::csr_to_coo_rows::<P, I>(p.major, ptr)?;
                    Buffer::from_vec(majors)
                }, other => return Err(unsupported_index(other)))
            }, other => return Err(unsupported_index(other)))
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
    // The common case of scipy and torch (CSR <-> CSC with int32 or int64 pointers and indices
    // of one dtype, kept): the source pointers are read in place and the new ones written once,
    // in their own dtype, instead of two casts through `u64` of O(major + minor) fresh memory.
    if src_compressed && dst_compressed && p.outer.dtype() == index_t && pointer_t == index_t {
        match index_t {
            DType::I32 => return transpose_values::<i32, i32>(p, &p.outer, &inner),
            DType::I64 => return transpose_values::<i64, i64>(p, &p.outer, &inner),
            _ => {}
        }
    }
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
        dispatch_dtype!(pointer_t, [integer] => |P| {
            crate::index::check_fits::<P>(p.inner.len(), "pointers_to_1")?
        }, other => return Err(unsupported_index(other)));
    }
    let (ptr_w, idx_t, values) = dispatch_dtype!(index_t, [integer] => |I| {
        transpose_values::<u64, I>(p, &pointers, &inner)?
    }, other => return Err(unsupported_index(other)));
    if dst_compressed {
        let ptr_t = cast_index_buffer(&ptr_w, pointer_t, "pointers_to_1", &mut scratch)?;
        Ok((ptr_t, idx_t, values))
    } else {
        // Expand the new pointers into major indices.
        let ptr = ptr_w.as_slice::<u64>()?;
        let majors = dispatch_dtype!(index_t, [integer] => |I| {
            Buffer::from_vec(cpu::csr_to_coo_rows::<u64, I>(p.minor, ptr)?)
        }, other => return Err(unsupported_index(other)));
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
