//! Dense (`DMATR`, `DMATC`) ↔ CSR / COO. Dense → sparse drops the entries equal to the fill
//! value ([`Summable::same_value`]; zeros, [`Summable::is_zero`], when there is no fill), and
//! sparse → dense writes the fill value (zero when none) at every unstored position: entries
//! equal to the fill are not stored, so a round trip sparse → dense → sparse loses them.

use rayon::prelude::*;

use super::par::{
    balanced_bounds, exclusive_scan, serial_cutoff, split_at_ends, threads, to_pointers, zeroed,
};
use super::validate::validate_pointers;
use crate::error::{ConvertError, Result};
use crate::index::{Index, check_fits, index_error};
use crate::{Coo, CooRef, Csr, CsrRef, DenseOrder, Summable, Value, Values, ValuesRef};

fn dense_len(nrows: usize, ncols: usize) -> Result<usize> {
    nrows
        .checked_mul(ncols)
        .ok_or(ConvertError::SizeOverflow { what: "dense size" })
}

/// Compressed parts of a dense matrix stored major-by-major (`major` runs of `minor` values).
fn dense_to_compressed<P: Index, I: Index, T: Summable>(
    major: usize,
    minor: usize,
    data: &[T],
    fill: Option<T>,
) -> Result<(Vec<usize>, Vec<I>, Vec<T>)> {
    let stored = |v: &T| match &fill {
        None => !v.is_zero(),
        Some(f) => !v.same_value(f),
    };
    if minor > 0 {
        check_fits::<I>(minor - 1, "indices_1")?;
    }
    let mut ptr: Vec<usize> = zeroed(major + 1)?;
    if minor == 0 {
        return Ok((ptr, Vec::new(), Vec::new()));
    }
    ptr[..major]
        .par_iter_mut()
        .zip(data.par_chunks(minor))
        .with_min_len(64)
        .for_each(|(c, run)| *c = run.iter().filter(|v| stored(v)).count());
    let nnz = exclusive_scan(&mut ptr);
    check_fits::<P>(nnz, "pointers_to_1")?;
    let mut idx: Vec<I> = zeroed(nnz)?;
    let mut vals: Vec<T> = zeroed(nnz)?;
    let parts = if nnz.max(data.len()) < serial_cutoff() {
        1
    } else {
        threads() * 2
    };
    let rb = balanced_bounds(&ptr, parts);
    let ends: Vec<usize> = rb[1..].iter().map(|&r| ptr[r]).collect();
    let ip = split_at_ends(&mut idx, &ends);
    let vp = split_at_ends(&mut vals, &ends);
    ip.into_par_iter()
        .zip(vp)
        .enumerate()
        .for_each(|(t, (oi, ov))| {
            let mut w = 0usize;
            for r in rb[t]..rb[t + 1] {
                for (j, v) in data[r * minor..(r + 1) * minor].iter().enumerate() {
                    if stored(v) {
                        oi[w] = I::from_usize_unchecked(j);
                        ov[w] = *v;
                        w += 1;
                    }
                }
            }
        });
    Ok((ptr, idx, vals))
}

/// CSR from a dense matrix, dropping zeros. `DMATR` is read row by row directly; `DMATC`
/// yields its CSC directly and is transposed ([`super::csr_transpose`]) into CSR.
pub fn dense_to_csr<P: Index, I: Index, T: Summable>(
    nrows: usize,
    ncols: usize,
    data: &[T],
    order: DenseOrder,
) -> Result<Csr<P, I, T>> {
    dense_to_csr_fill(nrows, ncols, data, order, None)
}

/// [`dense_to_csr`] with a fill value: the entries equal to `fill`
/// ([`Summable::same_value`]) are dropped; `None` drops zeros.
pub fn dense_to_csr_fill<P: Index, I: Index, T: Summable>(
    nrows: usize,
    ncols: usize,
    data: &[T],
    order: DenseOrder,
    fill: Option<T>,
) -> Result<Csr<P, I, T>> {
    let len = dense_len(nrows, ncols)?;
    if data.len() != len {
        return Err(ConvertError::LengthMismatch {
            array: "values",
            expected: len,
            actual: data.len(),
        });
    }
    match order {
        DenseOrder::RowMajor => {
            let (ptr, indices, vals) = dense_to_compressed::<P, I, T>(nrows, ncols, data, fill)?;
            Ok(Csr {
                nrows,
                ncols,
                pointers: to_pointers(&ptr),
                indices,
                values: Values::Array(vals),
            })
        }
        DenseOrder::ColMajor => {
            if nrows > 0 {
                check_fits::<I>(nrows - 1, "indices_1")?;
            }
            let (ptr, indices, vals) = dense_to_compressed::<u64, I, T>(ncols, nrows, data, fill)?;
            let ptr: Vec<u64> = to_pointers(&ptr);
            let csc = CsrRef {
                nrows: ncols,
                ncols: nrows,
                pointers: &ptr,
                indices: &indices,
                values: ValuesRef::Array(&vals),
            };
            let csr = super::csr_transpose::<u64, I, T>(&csc)?;
            check_fits::<P>(csr.indices.len(), "pointers_to_1")?;
            Ok(Csr {
                nrows,
                ncols,
                pointers: super::cast_indices(&csr.pointers, "pointers_to_1")?,
                indices: csr.indices,
                values: csr.values,
            })
        }
    }
}

/// Canonical COOR from a dense matrix, dropping zeros.
pub fn dense_to_coo<I: Index, T: Summable>(
    nrows: usize,
    ncols: usize,
    data: &[T],
    order: DenseOrder,
) -> Result<Coo<I, T>> {
    let csr = dense_to_csr::<u64, I, T>(nrows, ncols, data, order)?;
    let rows = super::csr_to_coo_rows::<u64, I>(nrows, &csr.pointers)?;
    Ok(Coo {
        nrows,
        ncols,
        rows,
        cols: csr.indices,
        values: csr.values,
    })
}

/// Dense matrix from a CSR; implicit entries are zero, an iso value fills every stored index.
/// Pointers and column bounds are validated; a repeated column (non-canonical input) keeps
/// its last value. `DMATR` is filled row-parallel; `DMATC` by a serial scatter.
pub fn csr_to_dense<P: Index, I: Index, T: Value>(
    csr: &CsrRef<'_, P, I, T>,
    order: DenseOrder,
) -> Result<Vec<T>> {
    csr_to_dense_fill(csr, order, None)
}

/// [`csr_to_dense`] with a fill value: unstored positions hold `fill` (zero when `None`).
pub fn csr_to_dense_fill<P: Index, I: Index, T: Value>(
    csr: &CsrRef<'_, P, I, T>,
    order: DenseOrder,
    fill: Option<T>,
) -> Result<Vec<T>> {
    let nnz = csr.indices.len();
    validate_pointers(csr.pointers, csr.nrows, nnz, "pointers_to_1", false)?;
    csr.values.check_len(nnz)?;
    let len = dense_len(csr.nrows, csr.ncols)?;
    if let Some(k) = super::par::position_first_chunked(csr.indices, |c| {
        c.to_usize().is_none_or(|u| u >= csr.ncols)
    }) {
        return Err(index_error(csr.indices[k], "indices_1", k, csr.ncols));
    }
    let mut out: Vec<T> = match fill {
        None => zeroed(len)?,
        Some(f) => vec![f; len],
    };
    if len == 0 {
        return Ok(out);
    }
    let ptr = |r: usize| csr.pointers[r].to_usize().unwrap_or(0);
    let col = |k: usize| csr.indices[k].to_usize().unwrap_or(0);
    match order {
        DenseOrder::RowMajor => {
            out.par_chunks_mut(csr.ncols)
                .enumerate()
                .with_min_len(64)
                .for_each(|(r, row)| {
                    for k in ptr(r)..ptr(r + 1) {
                        row[col(k)] = csr.values.get(k);
                    }
                });
        }
        DenseOrder::ColMajor => {
            for r in 0..csr.nrows {
                for k in ptr(r)..ptr(r + 1) {
                    out[col(k) * csr.nrows + r] = csr.values.get(k);
                }
            }
        }
    }
    Ok(out)
}

/// Dense matrix from a 2-D COO (any order); implicit entries are zero. Indices are
/// bounds-checked; duplicates keep their last value (canonicalize first to sum them).
pub fn coo_to_dense<I: Index, T: Value>(
    coo: &CooRef<'_, I, T>,
    order: DenseOrder,
) -> Result<Vec<T>> {
    let nnz = coo.checked_nnz()?;
    let len = dense_len(coo.nrows, coo.ncols)?;
    let mut out: Vec<T> = zeroed(len)?;
    for k in 0..nnz {
        let r = match coo.rows[k].to_usize() {
            Some(r) if r < coo.nrows => r,
            _ => return Err(index_error(coo.rows[k], "indices_0", k, coo.nrows)),
        };
        let c = match coo.cols[k].to_usize() {
            Some(c) if c < coo.ncols => c,
            _ => return Err(index_error(coo.cols[k], "indices_1", k, coo.ncols)),
        };
        let at = match order {
            DenseOrder::RowMajor => r * coo.ncols + c,
            DenseOrder::ColMajor => c * coo.nrows + r,
        };
        out[at] = coo.values.get(k);
    }
    Ok(out)
}
