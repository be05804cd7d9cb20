//! Canonicalization on the host: a non-canonical COO (any rank), CSR or CSC source sorted in
//! stored order, its duplicates summed or rejected, before any conversion.

use sparsebridge_array::SparseArray;
use sparsebridge_buffer::{Buffer, Complex64, Complex128, DType, Element, dispatch_dtype};
use sparsebridge_descriptor::{Format, ScalarType};

use super::{
    Kind, aligned_as, cast_index_buffer, common_indices, extents, get, index_name, typed, untyped,
    values_vec,
};
use crate::assemble::format_name;
use crate::error::{EngineError, unsupported_index};
use crate::{Bint8, ConvertError, CsrRef, DuplicatePolicy, Index, Values, ValuesRef, cpu};

/// A canonical copy of a non-canonical COO (any rank), CSR or CSC array, in the same format:
/// coordinates sorted in stored order, duplicates by `policy`.
pub(super) fn canonicalize(
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
        dispatch_dtype!(b.dtype(), [integer] => |I| {
            cpu::check_bounds::<I>(b.as_slice::<I>()?, extent, index_name(k))?;
        }, other => return Err(unsupported_index(other)));
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

/// Canonical COO `(major, minor, values)` through the radix CSR path (u64 work pointers), or,
/// when the major extent dwarfs nnz, a comparison sort that needs no per-row memory.
fn coo_2d_kernel<I: Index, T: crate::Summable>(
    major: usize,
    minor: usize,
    rows: &[I],
    cols: &[I],
    values: ValuesRef<'_, T>,
    policy: DuplicatePolicy,
) -> Result<CooParts<I, T>, EngineError> {
    let coo = crate::CooRef {
        nrows: major,
        ncols: minor,
        rows,
        cols,
        values,
    };
    if cpu::is_hypersparse(major, rows.len()) {
        let c = cpu::coo_sort_by_comparison(&coo, policy, false)?;
        return Ok((c.rows, c.cols, c.values));
    }
    let csr = cpu::coo_to_csr_prechecked::<u64, I, T>(&coo, policy)?;
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
    dispatch_dtype!(ptr.dtype(), [integer] => |P| {
        cpu::validate_pointers::<P>(
            ptr.as_slice::<P>()?,
            major,
            inner.len(),
            "pointers_to_1",
            false,
        )?;
    }, other => return Err(unsupported_index(other)));
    dispatch_dtype!(inner.dtype(), [integer] => |I| {
        cpu::check_bounds::<I>(inner.as_slice::<I>()?, minor, "indices_1")?;
    }, other => return Err(unsupported_index(other)));
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
    let (out_idx, out_vals) = dispatch_dtype!(work, [integer] => |I| {
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
    }, other => return Err(unsupported_index(other)));
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
