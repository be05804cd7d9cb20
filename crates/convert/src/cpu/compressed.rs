//! Compressed formats: CSR → CSC transpose, CSR → COO expansion, DCSR ↔ CSR, CVEC ↔ DVEC.

use rayon::prelude::*;

use super::par::{balanced_bounds_of, even_bounds, serial_cutoff, split_at_ends, threads, zeroed};
use super::radix::{Source, radix_sort};
use super::validate::{validate_cvec, validate_pointers};
use crate::error::{ConvertError, Result};
use crate::index::{Index, check_fits};
use crate::{Csr, CsrRef, Summable, Value, Values, ValuesRef};

/// The transpose of a compressed matrix: CSR (m, n) → CSC (m, n), returned as the CSR of the
/// (n, m) transpose (`pointers` over columns, `indices` = row numbers, sorted within each
/// column by construction). Also DCSR-free CSC → CSR.
///
/// Algorithm: cache-blocked stable counting sort of the entries by column (`radix.rs`), visiting
/// rows in order, so rows come out sorted within each column. Input pointers are validated;
/// columns are bounds-checked. Order and uniqueness within input rows are not required.
pub fn csr_transpose<P: Index, I: Index, T: Value>(
    csr: &CsrRef<'_, P, I, T>,
) -> Result<Csr<P, I, T>> {
    let nnz = csr.indices.len();
    validate_pointers(csr.pointers, csr.nrows, nnz, "pointers_to_1", false)?;
    csr.values.check_len(nnz)?;
    check_fits::<P>(nnz, "pointers_to_1")?;
    if nnz > 0 {
        check_fits::<I>(csr.nrows - 1, "indices_1 (row numbers)")?;
    }
    super::coo::check_bounds(csr.indices, csr.ncols, "indices_1")?;
    let parts = if nnz < serial_cutoff() { 1 } else { threads() };
    // Validated pointers are read in place: no widened copy of O(rows).
    let rb = balanced_bounds_of(csr.pointers, parts);
    let src = CsrSource {
        ptr: csr.pointers,
        indices: csr.indices,
        rb,
    };
    let sorted = radix_sort(&src, csr.ncols, nnz, csr.values, |_, _, _, _| ())?;
    let values = match csr.values {
        ValuesRef::Array(_) => Values::Array(sorted.values),
        ValuesRef::Iso(v) => Values::Iso(v),
    };
    Ok(Csr {
        nrows: csr.ncols,
        ncols: csr.nrows,
        pointers: sorted.ptr,
        indices: sorted.minor,
        values,
    })
}

/// CSR entries keyed by column, with their row as the minor index; parts are row ranges. The
/// pointers have been validated (from 0, non-decreasing, ending at the number of indices).
struct CsrSource<'a, P, I> {
    ptr: &'a [P],
    indices: &'a [I],
    rb: Vec<usize>,
}

impl<P: Index, I: Index> CsrSource<'_, P, I> {
    #[inline]
    fn at(&self, r: usize) -> usize {
        self.ptr[r].to_usize().unwrap_or(0)
    }
}

impl<P: Index, I: Index> Source<I> for CsrSource<'_, P, I> {
    fn parts(&self) -> usize {
        self.rb.len() - 1
    }
    fn visit_keys(&self, t: usize, mut f: impl FnMut(usize)) {
        let (a, b) = (self.at(self.rb[t]), self.at(self.rb[t + 1]));
        for c in &self.indices[a..b] {
            f(c.to_usize().unwrap_or(0));
        }
    }
    fn visit(&self, t: usize, mut f: impl FnMut(usize, I, usize)) {
        for r in self.rb[t]..self.rb[t + 1] {
            let rv = I::from_usize_unchecked(r);
            let (a, b) = (self.at(r), self.at(r + 1));
            for (k, c) in self.indices[a..b].iter().enumerate() {
                f(c.to_usize().unwrap_or(0), rv, a + k);
            }
        }
    }
}

/// `indices_0` (row of each stored value) of the COO with the same entries as a CSR: the
/// caller reuses `indices_1` and `values`. Pointers are validated (nnz = last pointer).
///
/// Algorithm: parallel row expansion over balanced row ranges, each writing its own slice.
pub fn csr_to_coo_rows<P: Index, I: Index>(nrows: usize, pointers: &[P]) -> Result<Vec<I>> {
    let nnz = pointers.last().and_then(|p| p.to_usize()).unwrap_or(0);
    validate_pointers(pointers, nrows, nnz, "pointers_to_1", false)?;
    if nnz > 0 {
        check_fits::<I>(nrows - 1, "indices_0")?;
    }
    let mut rows: Vec<I> = zeroed(nnz)?;
    let parts = if nnz < serial_cutoff() {
        1
    } else {
        threads() * 2
    };
    // Validated pointers are read in place (no widened copy).
    let at = |r: usize| pointers[r].to_usize().unwrap_or(0);
    let rb = balanced_bounds_of(pointers, parts);
    let ends: Vec<usize> = rb[1..].iter().map(|&r| at(r)).collect();
    split_at_ends(&mut rows, &ends)
        .into_par_iter()
        .enumerate()
        .for_each(|(t, out)| {
            // Rows average a few values: a per-row `fill` (head, body, tail) costs more than
            // the stores. Instead each row is written in whole blocks of W values from its
            // start; the block that runs past the row's end lands on later rows of this part,
            // which overwrite it (they are written afterwards, in order). Near the part's end,
            // where a block would leave the part, rows fall back to an exact `fill`.
            const W: usize = 8;
            let base = at(rb[t]);
            let n = out.len();
            let mut start = 0usize;
            for r in rb[t]..rb[t + 1] {
                let end = at(r + 1) - base;
                let v = I::from_usize_unchecked(r);
                if end + W <= n {
                    let mut k = start;
                    while k < end {
                        if let Some(block) = out.get_mut(k..k + W)
                            && let Ok(block) = <&mut [I; W]>::try_from(block)
                        {
                            *block = [v; W];
                        }
                        k += W;
                    }
                } else if let Some(dst) = out.get_mut(start..end) {
                    dst.fill(v);
                }
                start = end;
            }
        });
    Ok(rows)
}

/// `pointers_to_1` of the CSR (length `nrows + 1`) for a DCSR with stored rows `row_ids`
/// (`indices_0`) and pointers `dcsr_pointers`; `indices_1` and `values` are reused. Both input
/// arrays are validated (stored rows strictly increasing and in bounds; pointers from 0,
/// strictly increasing, ending at `nnz`).
pub fn dcsr_to_csr_pointers<P: Index, I: Index>(
    nrows: usize,
    row_ids: &[I],
    dcsr_pointers: &[P],
    nnz: usize,
) -> Result<Vec<P>> {
    validate_cvec(nrows, row_ids, ValuesRef::<u8>::Iso(0)).map_err(|e| match e {
        ConvertError::NotSorted { position, .. } => ConvertError::NotSorted {
            array: "indices_0",
            position,
        },
        other => other,
    })?;
    validate_pointers(dcsr_pointers, row_ids.len(), nnz, "pointers_to_1", true)?;
    let len = nrows.checked_add(1).ok_or(ConvertError::SizeOverflow {
        what: "pointers_to_1 length",
    })?;
    let mut out: Vec<P> = zeroed(len)?;
    let parts = if len < serial_cutoff() {
        1
    } else {
        threads() * 2
    };
    let bounds = even_bounds(len, parts);
    split_at_ends(&mut out, &bounds[1..])
        .into_par_iter()
        .enumerate()
        .for_each(|(t, piece)| {
            let a = bounds[t];
            // Stored rows below `a`: the pointer of row `a` is that row count's pointer.
            let mut j = row_ids.partition_point(|&x| x.to_usize().is_some_and(|u| u < a));
            for (k, slot) in piece.iter_mut().enumerate() {
                let r = a + k;
                while j < row_ids.len() && row_ids[j].to_usize().is_some_and(|u| u < r) {
                    j += 1;
                }
                *slot = dcsr_pointers[j];
            }
        });
    Ok(out)
}

/// DCSR parts `(indices_0, pointers_to_1)` from CSR pointers (nnz = last pointer): the
/// non-empty rows and their pointers; `indices_1` and `values` are reused.
pub fn csr_to_dcsr<P: Index, I: Index>(nrows: usize, pointers: &[P]) -> Result<(Vec<I>, Vec<P>)> {
    let nnz = pointers.last().and_then(|p| p.to_usize()).unwrap_or(0);
    validate_pointers(pointers, nrows, nnz, "pointers_to_1", false)?;
    if nrows > 0 {
        check_fits::<I>(nrows - 1, "indices_0")?;
    }
    let nonempty: Vec<usize> = (0..nrows)
        .into_par_iter()
        .with_min_len(serial_cutoff())
        .filter(|&r| pointers[r + 1] > pointers[r])
        .collect();
    let row_ids: Vec<I> = nonempty
        .iter()
        .map(|&r| I::from_usize_unchecked(r))
        .collect();
    let mut dptr: Vec<P> = nonempty.iter().map(|&r| pointers[r]).collect();
    dptr.push(pointers[nrows]);
    Ok((row_ids, dptr))
}

/// DVEC (dense, length `n`) from a CVEC; implicit entries are zero. The CVEC is validated
/// (sorted, unique, in bounds). An iso CVEC expands to its value at every stored index.
pub fn cvec_to_dvec<I: Index, T: Value>(
    n: usize,
    indices: &[I],
    values: ValuesRef<'_, T>,
) -> Result<Vec<T>> {
    validate_cvec(n, indices, values)?;
    let mut out: Vec<T> = zeroed(n)?;
    let nnz = indices.len();
    let parts = if nnz < serial_cutoff() {
        1
    } else {
        threads() * 2
    };
    let cuts = even_bounds(nnz, parts);
    // Chunk k of the (sorted) indices writes below the first index of chunk k + 1.
    let ends: Vec<usize> = (1..=parts)
        .map(|k: usize| {
            let c: usize = cuts[k];
            if c < nnz {
                indices[c].to_usize().unwrap_or(n)
            } else {
                n
            }
        })
        .collect();
    split_at_ends(&mut out, &ends)
        .into_par_iter()
        .enumerate()
        .for_each(|(k, piece)| {
            let base = if k == 0 { 0 } else { ends[k - 1] };
            for (i, ix) in indices.iter().enumerate().take(cuts[k + 1]).skip(cuts[k]) {
                let u = ix.to_usize().unwrap_or(0);
                piece[u - base] = values.get(i);
            }
        });
    Ok(out)
}

/// CVEC parts `(indices_0, values)` from a DVEC, dropping zeros ([`Summable::is_zero`]).
pub fn dvec_to_cvec<I: Index, T: Summable>(values: &[T]) -> Result<(Vec<I>, Vec<T>)> {
    if !values.is_empty() {
        check_fits::<I>(values.len() - 1, "indices_0")?;
    }
    let kept: Vec<(I, T)> = values
        .par_iter()
        .with_min_len(serial_cutoff())
        .enumerate()
        .filter(|(_, v)| !v.is_zero())
        .map(|(i, v)| (I::from_usize_unchecked(i), *v))
        .collect();
    Ok(kept.into_iter().unzip())
}
