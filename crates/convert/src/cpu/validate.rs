//! Structural validation, O(nnz) and parallel, reporting the first failing position.

use super::par::{first_in_chunks, position_first_chunked};
use crate::error::{ConvertError, Result};
use crate::index::{Index, index_error};
use crate::{CooRef, CsrRef, ValuesRef};

/// Minimum items per rayon task in validation loops.
const MIN_LEN: usize = 1 << 14;

fn check_len(array: &'static str, expected: usize, actual: usize) -> Result<()> {
    if expected == actual {
        Ok(())
    } else {
        Err(ConvertError::LengthMismatch {
            array,
            expected,
            actual,
        })
    }
}

/// Checks a pointer array of a compressed level: length `major + 1`, starts at 0, monotone
/// (strictly increasing when `strict`, as DCSR/DCSC require), ends at `nnz`.
pub fn validate_pointers<P: Index>(
    pointers: &[P],
    major: usize,
    nnz: usize,
    array: &'static str,
    strict: bool,
) -> Result<()> {
    let expected = major.checked_add(1).ok_or(ConvertError::SizeOverflow {
        what: "pointer length",
    })?;
    check_len(array, expected, pointers.len())?;
    let first = pointers[0];
    if first.to_usize() != Some(0) {
        return Err(ConvertError::PointerStart {
            array,
            value: first.to_i128(),
        });
    }
    // The branch-free check first; the search for the first failure only when it fails.
    let bad = if super::par::monotone(pointers, strict) {
        None
    } else {
        first_in_chunks(pointers.len(), MIN_LEN, |a, b| {
            (a.max(1)..b).find(|&p| {
                pointers[p] < pointers[p - 1] || (strict && pointers[p] == pointers[p - 1])
            })
        })
    };
    if let Some(position) = bad {
        return Err(if pointers[position] < pointers[position - 1] {
            ConvertError::PointerDecreasing { array, position }
        } else {
            ConvertError::PointerRepeated { array, position }
        });
    }
    let last = pointers[major];
    if last.to_usize() != Some(nnz) {
        return Err(ConvertError::PointerEnd {
            array,
            expected: nnz,
            actual: last.to_i128(),
        });
    }
    Ok(())
}

/// Checks one sorted, unique, in-bounds run `idx[s..e]` (positions reported globally).
#[inline]
fn check_run<I: Index>(
    idx: &[I],
    s: usize,
    e: usize,
    bound: usize,
    array: &'static str,
) -> Result<()> {
    let mut prev: Option<usize> = None;
    for (k, &v) in idx[s..e].iter().enumerate() {
        let pos = s + k;
        let u = match v.to_usize() {
            Some(u) if u < bound => u,
            _ => return Err(index_error(v, array, pos, bound)),
        };
        if prev.is_some_and(|p| u <= p) {
            return Err(ConvertError::NotSorted {
                array,
                position: pos,
            });
        }
        prev = Some(u);
    }
    Ok(())
}

/// Every run `indices[ptr[j]..ptr[j + 1]]` (validated pointers) sorted, unique and below `bound`.
fn check_runs<P: Index, I: Index>(ptr: &[P], indices: &[I], bound: usize) -> Result<()> {
    let at = |j: usize| ptr[j].to_usize().unwrap_or(0);
    let found = first_in_chunks(ptr.len().saturating_sub(1), MIN_LEN / 8, |a, b| {
        (a..b).find_map(|j| check_run(indices, at(j), at(j + 1), bound, "indices_1").err())
    });
    found.map_or(Ok(()), Err)
}

/// Full check of a CSR (or, read transposed, CSC) matrix: pointers as in
/// [`validate_pointers`]; `indices_1` in bounds, sorted and unique within each row; `values` of
/// length nnz.
pub fn validate_csr<P: Index, I: Index, T: Copy + Send + Sync>(
    csr: &CsrRef<'_, P, I, T>,
) -> Result<()> {
    let nnz = csr.indices.len();
    validate_pointers(csr.pointers, csr.nrows, nnz, "pointers_to_1", false)?;
    csr.values.check_len(nnz)?;
    check_runs(csr.pointers, csr.indices, csr.ncols)
}

/// Full check of a canonical 2-D COO (COOR): indices in bounds, `(row, col)` strictly
/// increasing (sorted, no duplicates), `values` of length nnz.
pub fn validate_coo<I: Index, T: Copy + Send + Sync>(coo: &CooRef<'_, I, T>) -> Result<()> {
    let nnz = coo.rows.len();
    check_len("indices_1", nnz, coo.cols.len())?;
    coo.values.check_len(nnz)?;
    let key = |k: usize| -> Result<(usize, usize)> {
        let r = match coo.rows[k].to_usize() {
            Some(r) if r < coo.nrows => r,
            _ => return Err(index_error(coo.rows[k], "indices_0", k, coo.nrows)),
        };
        let c = match coo.cols[k].to_usize() {
            Some(c) if c < coo.ncols => c,
            _ => return Err(index_error(coo.cols[k], "indices_1", k, coo.ncols)),
        };
        Ok((r, c))
    };
    let found = first_in_chunks(nnz, MIN_LEN, |a, b| {
        (a..b).find_map(|k| {
            let cur = match key(k) {
                Ok(c) => c,
                Err(e) => return Some(e),
            };
            if k > 0
                && let Ok(prev) = key(k - 1)
                && cur <= prev
            {
                let array = if cur.0 < prev.0 {
                    "indices_0"
                } else {
                    "indices_1"
                };
                return Some(ConvertError::NotSorted { array, position: k });
            }
            None
        })
    });
    found.map_or(Ok(()), Err)
}

/// Full check of a DCSR (or DCSC) matrix: `indices_0` (the stored rows) strictly increasing
/// and below `nrows`; `pointers_to_1` starts at 0, strictly increasing (no empty stored row),
/// ends at nnz; `indices_1` sorted, unique and below `ncols` within each stored row.
pub fn validate_dcsr<P: Index, I: Index, T: Copy + Send + Sync>(
    nrows: usize,
    ncols: usize,
    row_ids: &[I],
    pointers: &[P],
    indices: &[I],
    values: ValuesRef<'_, T>,
) -> Result<()> {
    let nnz = indices.len();
    check_run(row_ids, 0, row_ids.len(), nrows, "indices_0")?;
    validate_pointers(pointers, row_ids.len(), nnz, "pointers_to_1", true)?;
    values.check_len(nnz)?;
    check_runs(pointers, indices, ncols)
}

/// Full check of a CVEC: `indices_0` sorted, unique and below `n`; `values` of length nnz.
pub fn validate_cvec<I: Index, T: Copy + Send + Sync>(
    n: usize,
    indices: &[I],
    values: ValuesRef<'_, T>,
) -> Result<()> {
    values.check_len(indices.len())?;
    let nnz = indices.len();
    let found = first_in_chunks(nnz, MIN_LEN, |a, b| {
        (a..b).find_map(|k| {
            let u = match indices[k].to_usize() {
                Some(u) if u < n => u,
                _ => return Some(index_error(indices[k], "indices_0", k, n)),
            };
            if k > 0 && indices[k - 1].to_usize().is_some_and(|p| p >= u) {
                return Some(ConvertError::NotSorted {
                    array: "indices_0",
                    position: k,
                });
            }
            None
        })
    });
    found.map_or(Ok(()), Err)
}

/// Full check of an n-d COO: every `indices_d` has length nnz and is below `shape[d]`;
/// coordinates strictly increasing in lexicographic order.
pub fn validate_coo_nd<I: Index, T: Copy + Send + Sync>(
    shape: &[usize],
    indices: &[&[I]],
    values: ValuesRef<'_, T>,
) -> Result<()> {
    check_len("indices", shape.len(), indices.len())?;
    // Rank 0 has no index array: nnz is the length of the value array (0 or 1 once unique).
    let nnz = indices
        .first()
        .map_or_else(|| values.as_array().map_or(0, <[T]>::len), |a| a.len());
    for (d, a) in indices.iter().enumerate() {
        check_len(crate::cpu::nd::index_name(d), nnz, a.len())?;
        let found = position_first_chunked(a, |v| v.to_usize().is_none_or(|u| u >= shape[d]));
        if let Some(k) = found {
            return Err(index_error(
                a[k],
                crate::cpu::nd::index_name(d),
                k,
                shape[d],
            ));
        }
    }
    values.check_len(nnz)?;
    let found = first_in_chunks(nnz, MIN_LEN, |a, b| {
        (a.max(1)..b).find(|&k| {
            let prev = indices.iter().map(|a| a[k - 1].to_usize());
            let cur = indices.iter().map(|a| a[k].to_usize());
            cur.le(prev)
        })
    });
    match found {
        Some(position) => Err(ConvertError::NotSorted {
            array: "indices",
            position,
        }),
        None => Ok(()),
    }
}
