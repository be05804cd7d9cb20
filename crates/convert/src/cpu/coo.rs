//! COO → CSR: the sorted path (pointers only) and the general counting-sort path.

use rayon::prelude::*;

use super::par::{
    balanced_bounds, even_bounds, from_pointers, serial_cutoff, split_at_ends, threads,
    to_pointers, zeroed,
};
use super::radix::{Source, radix_sort};
use crate::error::{ConvertError, Result};
use crate::index::{Index, check_fits, index_error};
use crate::{Coo, CooRef, Csr, CsrRef, DuplicatePolicy, Summable, Values, ValuesRef};

/// `pointers_to_1` of the CSR with the same entries as a COO sorted by row.
///
/// Only the pointers are computed: the caller reuses `indices_1` (the COO's columns) and
/// `values` as they are. Rows must be non-decreasing and below `nrows` (else
/// [`ConvertError::NotSorted`] / [`ConvertError::IndexOutOfBounds`] at the first failing
/// position); columns are not inspected (use [`super::validate_csr`] for a full check).
///
/// Algorithm: parallel row-boundary detection. Each chunk of entries writes the pointers of
/// the rows that start inside it, a disjoint range of the output. No histogram, no atomics.
pub fn coo_sorted_to_csr_pointers<P: Index, I: Index>(nrows: usize, rows: &[I]) -> Result<Vec<P>> {
    let nnz = rows.len();
    check_fits::<P>(nnz, "pointers_to_1")?;
    let len = nrows.checked_add(1).ok_or(ConvertError::SizeOverflow {
        what: "pointers_to_1 length",
    })?;
    let mut ptr: Vec<P> = zeroed(len)?;
    if nnz == 0 {
        return Ok(ptr);
    }
    let row = |i: usize| -> Result<usize> {
        match rows[i].to_usize() {
            Some(r) if r < nrows => Ok(r),
            _ => Err(index_error(rows[i], "indices_0", i, nrows)),
        }
    };
    let nchunks = if nnz < serial_cutoff() {
        1
    } else {
        threads() * 4
    };
    let cuts = even_bounds(nnz, nchunks);
    // Pointer range owned by chunk k = [cuts[k], cuts[k+1]): rows (row(a-1), row(b-1)].
    let mut ends = Vec::with_capacity(nchunks + 1);
    let mut last = 0usize;
    for k in 0..nchunks {
        let b = cuts[k + 1];
        if b == cuts[k] {
            ends.push(last);
            continue;
        }
        let hi = match row(b - 1) {
            Ok(r) => r + 1,
            Err(_) => return Err(first_unsorted_or_oob(nrows, rows)),
        };
        if hi < last {
            return Err(first_unsorted_or_oob(nrows, rows));
        }
        ends.push(hi);
        last = hi;
    }
    ends.push(len);
    let mut pieces = split_at_ends(&mut ptr, &ends);
    let tail = pieces.pop().unwrap_or_default();
    let nnz_p = P::from_usize_unchecked(nnz);
    tail.iter_mut().for_each(|p| *p = nnz_p);
    // Each chunk owns the pointers of the rows that start inside it. Walking its entries
    // backwards, it stores `i + 1` at its row's slot (the smallest `i`, the row's start, is
    // written last), with no branch on row boundaries; a backward pass then gives each empty row
    // the start of the next one (slots still 0) and removes the offset. Order and bounds are
    // folded into a flag; any anomaly is reported by the cold path, which finds the first
    // failing position.
    let failed = pieces.into_par_iter().enumerate().any(|(k, piece)| {
        let (a, b) = (cuts[k], cuts[k + 1]);
        let lo = if k == 0 { 0 } else { ends[k - 1] };
        if a == b {
            return false;
        }
        // Entries continuing the previous chunk's last row start no row here.
        let first = if a == 0 {
            a
        } else {
            let prev = rows[a - 1];
            a + rows[a..b].iter().take_while(|&&r| r == prev).count()
        };
        // Order across the seam and within the chunk (branch-free fold).
        let from = a.saturating_sub(1);
        let sorted = rows[from..b]
            .windows(2)
            .fold(true, |ok, w| ok & (w[0] <= w[1]));
        if !sorted {
            return true;
        }
        let mut in_bounds = true;
        for i in (first..b).rev() {
            let slot = rows[i].to_usize().unwrap_or(usize::MAX).wrapping_sub(lo);
            match piece.get_mut(slot) {
                Some(p) => *p = P::from_usize_unchecked(i + 1),
                None => in_bounds = false,
            }
        }
        if !in_bounds {
            return true;
        }
        // Rows without entries take the next row's start; `b` follows the chunk's last row.
        let mut next = b;
        for p in piece.iter_mut().rev() {
            let v = p.to_usize().unwrap_or(0);
            next = if v == 0 { next } else { v - 1 };
            *p = P::from_usize_unchecked(next);
        }
        false
    });
    if failed {
        return Err(first_unsorted_or_oob(nrows, rows));
    }
    Ok(ptr)
}

/// The first position where `rows` is out of bounds or decreases (cold path for errors).
#[cold]
fn first_unsorted_or_oob<I: Index>(nrows: usize, rows: &[I]) -> ConvertError {
    let mut prev = 0usize;
    for (i, &v) in rows.iter().enumerate() {
        match v.to_usize() {
            Some(r) if r < nrows => {
                if r < prev {
                    return ConvertError::NotSorted {
                        array: "indices_0",
                        position: i,
                    };
                }
                prev = r;
            }
            _ => return index_error(v, "indices_0", i, nrows),
        }
    }
    ConvertError::NotSorted {
        array: "indices_0",
        position: 0,
    }
}

/// CSR from any COO (unsorted, duplicated), canonical: rows sorted, columns sorted and unique
/// within each row, duplicates handled by `policy`.
///
/// Algorithm: a cache-blocked stable counting sort by row (see `radix.rs`: bucket histogram →
/// partition → per-bucket counting sort), then, while each bucket is still in cache, per-row
/// canonicalization: rows already sorted are only checked; others are sorted in place
/// (insertion sort for short rows, a stable sort of a row-local permutation otherwise).
/// Duplicates are summed in input order or rejected; when any are summed, a compaction pass
/// builds the final arrays.
pub fn coo_to_csr<P: Index, I: Index, T: Summable>(
    coo: &CooRef<'_, I, T>,
    policy: DuplicatePolicy,
) -> Result<Csr<P, I, T>> {
    coo_to_csr_impl(coo, policy, true)
}

/// [`coo_to_csr`] for indices the caller has already bounds-checked (the engine checks them in
/// their own dtype before reinterpreting them as an unsigned work dtype).
pub(crate) fn coo_to_csr_prechecked<P: Index, I: Index, T: Summable>(
    coo: &CooRef<'_, I, T>,
    policy: DuplicatePolicy,
) -> Result<Csr<P, I, T>> {
    coo_to_csr_impl(coo, policy, false)
}

fn coo_to_csr_impl<P: Index, I: Index, T: Summable>(
    coo: &CooRef<'_, I, T>,
    policy: DuplicatePolicy,
    check_indices: bool,
) -> Result<Csr<P, I, T>> {
    let nnz = coo.checked_nnz()?;
    check_fits::<P>(nnz, "pointers_to_1")?;
    if check_indices {
        check_bounds(coo.rows, coo.nrows, "indices_0")?;
        check_bounds(coo.cols, coo.ncols, "indices_1")?;
    }
    let parts = if nnz < serial_cutoff() { 1 } else { threads() };
    let src = CooSource {
        rows: coo.rows,
        cols: coo.cols,
        cuts: even_bounds(nnz, parts),
    };
    let iso = matches!(coo.values, ValuesRef::Iso(_));
    let sorted = radix_sort(&src, coo.nrows, nnz, coo.values, |lo, lptr, pc, pv| {
        canon_part(lo, lptr, pc, pv, policy, iso)
    })?;
    let values = match coo.values {
        ValuesRef::Array(_) => Values::Array(sorted.values),
        ValuesRef::Iso(v) => Values::Iso(v),
    };
    finish(
        coo.nrows,
        coo.ncols,
        sorted.ptr,
        sorted.minor,
        values,
        &sorted.key_bounds,
        sorted.outcomes,
        policy,
    )
}

/// Canonical CSR from a CSR whose rows may be unsorted and hold duplicate columns: the
/// pointers are kept (rows are already grouped), each row is sorted and its duplicates
/// handled by `policy`, exactly as in [`coo_to_csr`] (duplicates summed in input order, or
/// [`ConvertError::Duplicate`] / [`ConvertError::IsoDuplicate`] at the first duplicate
/// `(row, col)` in canonical order).
///
/// The pointers must be valid (from 0, non-decreasing, ending at nnz) and the columns in
/// bounds, else the typed error of the first failing position. Rows are processed in
/// parallel parts of about equal entries; no entry moves between rows, so no sort by row.
pub fn csr_canonicalize<P: Index, I: Index, T: Summable>(
    csr: &CsrRef<'_, P, I, T>,
    policy: DuplicatePolicy,
) -> Result<Csr<P, I, T>> {
    csr_canonicalize_impl(csr, policy, true)
}

/// [`csr_canonicalize`] for pointers and indices the caller has already checked (the engine
/// checks them in their own dtypes before widening or reinterpreting them).
pub(crate) fn csr_canonicalize_prechecked<P: Index, I: Index, T: Summable>(
    csr: &CsrRef<'_, P, I, T>,
    policy: DuplicatePolicy,
) -> Result<Csr<P, I, T>> {
    csr_canonicalize_impl(csr, policy, false)
}

fn csr_canonicalize_impl<P: Index, I: Index, T: Summable>(
    csr: &CsrRef<'_, P, I, T>,
    policy: DuplicatePolicy,
    check_inputs: bool,
) -> Result<Csr<P, I, T>> {
    let nnz = csr.indices.len();
    csr.values.check_len(nnz)?;
    if check_inputs {
        super::validate_pointers(csr.pointers, csr.nrows, nnz, "pointers_to_1", false)?;
        check_bounds(csr.indices, csr.ncols, "indices_1")?;
    }
    let ptr = from_pointers(csr.pointers);
    let parts = if nnz < serial_cutoff() {
        1
    } else {
        threads() * 4
    };
    let rb = balanced_bounds(&ptr, parts);
    let ends: Vec<usize> = rb[1..].iter().map(|&r| ptr[r]).collect();
    let iso = matches!(csr.values, ValuesRef::Iso(_));
    let mut cols: Vec<I> = zeroed(nnz)?;
    let mut vals: Vec<T> = match csr.values {
        ValuesRef::Array(_) => zeroed(nnz)?,
        ValuesRef::Iso(_) => Vec::new(),
    };
    let outcomes: Vec<PartOutcome> = {
        let cp = split_at_ends(&mut cols, &ends);
        let vp: Vec<Option<&mut [T]>> = if iso {
            cp.iter().map(|_| None).collect()
        } else {
            split_at_ends(&mut vals, &ends)
                .into_iter()
                .map(Some)
                .collect()
        };
        cp.into_par_iter()
            .zip(vp)
            .enumerate()
            .map(|(t, (pc, mut pv))| {
                let (lo, hi) = (rb[t], rb[t + 1]);
                let base = ptr[lo];
                pc.copy_from_slice(&csr.indices[base..ptr[hi]]);
                if let (Some(pv), ValuesRef::Array(src)) = (pv.as_deref_mut(), csr.values) {
                    pv.copy_from_slice(&src[base..ptr[hi]]);
                }
                let lptr: Vec<usize> = ptr[lo..=hi].iter().map(|&p| p - base).collect();
                canon_part(lo, &lptr, pc, pv, policy, iso)
            })
            .collect()
    };
    let values = match csr.values {
        ValuesRef::Array(_) => Values::Array(vals),
        ValuesRef::Iso(v) => Values::Iso(v),
    };
    finish(
        csr.nrows,
        csr.ncols,
        csr.pointers.to_vec(),
        cols,
        values,
        &rb,
        outcomes,
        policy,
    )
}

/// First out-of-bounds (or negative) index of `a`, as a typed error.
pub(crate) fn check_bounds<I: Index>(a: &[I], bound: usize, array: &'static str) -> Result<()> {
    if super::par::all_below(a, bound) {
        return Ok(());
    }
    match super::par::position_first_chunked(a, |v| v.to_usize().is_none_or(|u| u >= bound)) {
        Some(k) => Err(index_error(a[k], array, k, bound)),
        None => Ok(()),
    }
}

/// COO entries in input order, split into contiguous parts.
struct CooSource<'a, I> {
    rows: &'a [I],
    cols: &'a [I],
    cuts: Vec<usize>,
}

impl<I: Index> Source<I> for CooSource<'_, I> {
    fn parts(&self) -> usize {
        self.cuts.len() - 1
    }
    fn visit_keys(&self, t: usize, mut f: impl FnMut(usize)) {
        for r in &self.rows[self.cuts[t]..self.cuts[t + 1]] {
            f(r.to_usize().unwrap_or(0));
        }
    }
    fn visit(&self, t: usize, mut f: impl FnMut(usize, I, usize)) {
        let (a, b) = (self.cuts[t], self.cuts[t + 1]);
        for (i, (r, &c)) in self.rows[a..b].iter().zip(&self.cols[a..b]).enumerate() {
            f(r.to_usize().unwrap_or(0), c, a + i);
        }
    }
}

/// Per part of rows: the first duplicate `(row, col)`, and when summing the new row lengths.
type PartOutcome = (Option<(usize, usize)>, Option<Vec<usize>>);

/// Canonicalizes the rows `lo..lo + lptr.len() - 1` held in `pc`/`pv` (local pointers
/// `lptr`, from 0): sorts each row, finds duplicates, and sums them in place when asked.
fn canon_part<I: Index, T: Summable>(
    lo: usize,
    lptr: &[usize],
    pc: &mut [I],
    mut pv: Option<&mut [T]>,
    policy: DuplicatePolicy,
    iso: bool,
) -> PartOutcome {
    let nr = lptr.len().saturating_sub(1);
    let mut first_dup = None;
    let mut new_lens: Option<Vec<usize>> = None;
    for q in 0..nr {
        let (s, e) = (lptr[q], lptr[q + 1]);
        let c = &mut pc[s..e];
        let mut v = pv.as_deref_mut().map(|v| &mut v[s..e]);
        let mut has_dup = false;
        if !c.windows(2).all(|w| w[0] < w[1]) {
            if !c.windows(2).all(|w| w[0] <= w[1]) {
                sort_run(c, v.as_deref_mut());
            }
            has_dup = c.windows(2).any(|w| w[0] == w[1]);
        }
        if !has_dup {
            if let Some(l) = new_lens.as_mut() {
                l.push(e - s);
            }
            continue;
        }
        if first_dup.is_none() {
            let k = c.windows(2).position(|w| w[0] == w[1]).unwrap_or(0);
            first_dup = Some((lo + q, c[k].to_usize().unwrap_or(0)));
        }
        if policy == DuplicatePolicy::Reject || iso {
            break;
        }
        let lens = new_lens.get_or_insert_with(|| (0..q).map(|j| lptr[j + 1] - lptr[j]).collect());
        lens.push(sum_run(c, v));
    }
    (first_dup, new_lens)
}

/// Applies the policy to the outcomes of [`canon_part`] over the parts delimited by `rb`
/// (row bounds), compacting summed rows into new arrays.
#[allow(clippy::too_many_arguments)]
fn finish<P: Index, I: Index, T: Summable>(
    nrows: usize,
    ncols: usize,
    ptr: Vec<P>,
    cols: Vec<I>,
    values: Values<T>,
    rb: &[usize],
    results: Vec<PartOutcome>,
    policy: DuplicatePolicy,
) -> Result<Csr<P, I, T>> {
    let iso = matches!(values, Values::Iso(_));
    match results.iter().find_map(|(d, _)| *d) {
        Some((r, c)) if policy == DuplicatePolicy::Reject => {
            return Err(ConvertError::Duplicate { coords: vec![r, c] });
        }
        Some((r, c)) if iso => {
            return Err(ConvertError::IsoDuplicate { coords: vec![r, c] });
        }
        Some(_) => {}
        None => {
            return Ok(Csr {
                nrows,
                ncols,
                pointers: ptr,
                indices: cols,
                values,
            });
        }
    }
    // Sum: compact rows to their new lengths. The pointers are valid (from 0, non-decreasing).
    let at = |q: usize| ptr[q].to_usize().unwrap_or(0);
    let mut new_ptr: Vec<usize> = Vec::with_capacity(nrows + 1);
    for (t, (_, lens)) in results.iter().enumerate() {
        match lens {
            Some(l) => new_ptr.extend_from_slice(l),
            None => new_ptr.extend((rb[t]..rb[t + 1]).map(|q| at(q + 1) - at(q))),
        }
    }
    new_ptr.push(0);
    let new_nnz = super::par::exclusive_scan(&mut new_ptr);
    let Values::Array(vals) = &values else {
        return Err(ConvertError::IsoDuplicate { coords: Vec::new() });
    };
    let mut out_cols: Vec<I> = zeroed(new_nnz)?;
    let mut out_vals: Vec<T> = zeroed(new_nnz)?;
    let new_ends: Vec<usize> = rb[1..].iter().map(|&r| new_ptr[r]).collect();
    let oc = split_at_ends(&mut out_cols, &new_ends);
    let ov = split_at_ends(&mut out_vals, &new_ends);
    oc.into_par_iter()
        .zip(ov)
        .enumerate()
        .for_each(|(t, (oc, ov))| {
            let (lo, hi) = (rb[t], rb[t + 1]);
            let nbase = new_ptr[lo];
            for r in lo..hi {
                let (s, n) = (at(r), new_ptr[r + 1] - new_ptr[r]);
                let d = new_ptr[r] - nbase;
                oc[d..d + n].copy_from_slice(&cols[s..s + n]);
                ov[d..d + n].copy_from_slice(&vals[s..s + n]);
            }
        });
    Ok(Csr {
        nrows,
        ncols,
        pointers: to_pointers(&new_ptr),
        indices: out_cols,
        values: Values::Array(out_vals),
    })
}

/// Stable sort of one row's columns, moving its values along.
fn sort_run<I: Index, T: Copy>(c: &mut [I], v: Option<&mut [T]>) {
    if c.len() <= 32 {
        // Insertion sort: stable, cache-local, fast on the short rows typical of sparse data.
        match v {
            Some(v) => {
                for i in 1..c.len() {
                    let (kc, kv) = (c[i], v[i]);
                    let mut j = i;
                    while j > 0 && c[j - 1] > kc {
                        c[j] = c[j - 1];
                        v[j] = v[j - 1];
                        j -= 1;
                    }
                    c[j] = kc;
                    v[j] = kv;
                }
            }
            None => c.sort(),
        }
        return;
    }
    match v {
        Some(v) => {
            let mut perm: Vec<usize> = (0..c.len()).collect();
            perm.sort_by_key(|&k| c[k]);
            let (sc, sv): (Vec<I>, Vec<T>) = perm.iter().map(|&k| (c[k], v[k])).unzip();
            c.copy_from_slice(&sc);
            v.copy_from_slice(&sv);
        }
        None => c.sort(),
    }
}

/// Merges equal adjacent columns of a sorted row in place, summing values; returns the new
/// length. Iso rows never reach here.
fn sum_run<I: Index, T: Summable>(c: &mut [I], v: Option<&mut [T]>) -> usize {
    let Some(v) = v else {
        return c.len();
    };
    if c.is_empty() {
        return 0;
    }
    let mut w = 0usize;
    for k in 1..c.len() {
        if c[k] == c[w] {
            let x = v[k];
            v[w].sum_assign(x);
        } else {
            w += 1;
            c[w] = c[k];
            v[w] = v[k];
        }
    }
    w + 1
}

/// Canonical COOR (sorted by row, then column) from any COO, duplicates by `policy`.
pub fn coo_sort_by_row<I: Index, T: Summable>(
    coo: &CooRef<'_, I, T>,
    policy: DuplicatePolicy,
) -> Result<Coo<I, T>> {
    if is_hypersparse(coo.nrows, coo.rows.len()) {
        return coo_sort_by_comparison(coo, policy, true);
    }
    let csr = coo_to_csr::<u64, I, T>(coo, policy)?;
    let rows = super::csr_to_coo_rows::<u64, I>(csr.nrows, &csr.pointers)?;
    Ok(Coo {
        nrows: coo.nrows,
        ncols: coo.ncols,
        rows,
        cols: csr.indices,
        values: csr.values,
    })
}

/// Canonical COOC (sorted by column, then row) from any COO, duplicates by `policy`. From a
/// COOR input this is COOR → COOC: a stable counting sort by column, already sorted by row
/// within each column.
pub fn coo_sort_by_col<I: Index, T: Summable>(
    coo: &CooRef<'_, I, T>,
    policy: DuplicatePolicy,
) -> Result<Coo<I, T>> {
    let swapped = CooRef {
        nrows: coo.ncols,
        ncols: coo.nrows,
        rows: coo.cols,
        cols: coo.rows,
        values: coo.values,
    };
    if is_hypersparse(coo.ncols, coo.rows.len()) {
        let t = coo_sort_by_comparison(&swapped, policy, true).map_err(swap_error)?;
        return Ok(Coo {
            nrows: coo.nrows,
            ncols: coo.ncols,
            rows: t.cols,
            cols: t.rows,
            values: t.values,
        });
    }
    let csc = coo_to_csr::<u64, I, T>(&swapped, policy).map_err(swap_error)?;
    let cols = super::csr_to_coo_rows::<u64, I>(csc.nrows, &csc.pointers)?;
    Ok(Coo {
        nrows: coo.nrows,
        ncols: coo.ncols,
        rows: csc.indices,
        cols,
        values: csc.values,
    })
}

/// Whether sorting by a dimension of `extent` is better done by comparison than by counting:
/// the counting sort needs `extent + 1` counters, which for a hypersparse array (a Matrix
/// Market header may declare 3e10 rows for a handful of entries) is most of the work, or more
/// memory than the machine has.
pub(crate) fn is_hypersparse(extent: usize, nnz: usize) -> bool {
    extent > HYPERSPARSE_MIN_EXTENT && extent / 16 > nnz
}

/// Below this extent the counters of the counting sort fit in cache anyway.
const HYPERSPARSE_MIN_EXTENT: usize = 1 << 16;

/// Canonical COOR by a stable comparison sort of the entries: O(nnz log nnz) time and O(nnz)
/// memory whatever the number of rows, with the same result and the same errors as the
/// counting-sort path (bounds first, then the first duplicate in canonical order; duplicates
/// summed in input order). `check_indices` false: the caller has bounds-checked them, as for
/// [`coo_to_csr_prechecked`].
pub(crate) fn coo_sort_by_comparison<I: Index, T: Summable>(
    coo: &CooRef<'_, I, T>,
    policy: DuplicatePolicy,
    check_indices: bool,
) -> Result<Coo<I, T>> {
    let nnz = coo.checked_nnz()?;
    if check_indices {
        check_bounds(coo.rows, coo.nrows, "indices_0")?;
        check_bounds(coo.cols, coo.ncols, "indices_1")?;
    }
    let mut perm: Vec<usize> = (0..nnz).collect();
    // Stable, so equal coordinates keep their input order for the sum.
    perm.par_sort_by_key(|&k| (coo.rows[k], coo.cols[k]));
    let mut rows: Vec<I> = Vec::with_capacity(nnz);
    let mut cols: Vec<I> = Vec::with_capacity(nnz);
    let mut vals: Vec<T> = Vec::new();
    let src = match coo.values {
        ValuesRef::Array(v) => {
            vals.reserve(nnz);
            Some(v)
        }
        ValuesRef::Iso(_) => None,
    };
    for &k in &perm {
        let (r, c) = (coo.rows[k], coo.cols[k]);
        if rows.last() == Some(&r) && cols.last() == Some(&c) {
            let coords = vec![r.to_usize().unwrap_or(0), c.to_usize().unwrap_or(0)];
            if policy == DuplicatePolicy::Reject {
                return Err(ConvertError::Duplicate { coords });
            }
            let (Some(v), Some(acc)) = (src, vals.last_mut()) else {
                return Err(ConvertError::IsoDuplicate { coords });
            };
            acc.sum_assign(v[k]);
            continue;
        }
        rows.push(r);
        cols.push(c);
        if let Some(v) = src {
            vals.push(v[k]);
        }
    }
    let values = match coo.values {
        ValuesRef::Array(_) => Values::Array(vals),
        ValuesRef::Iso(v) => Values::Iso(v),
    };
    Ok(Coo {
        nrows: coo.nrows,
        ncols: coo.ncols,
        rows,
        cols,
        values,
    })
}

/// Renames an error of the column-sorted path back to the caller's arrays and coordinates.
fn swap_error(e: ConvertError) -> ConvertError {
    let swap = |a: &'static str| match a {
        "indices_0" => "indices_1",
        "indices_1" => "indices_0",
        other => other,
    };
    match e {
        ConvertError::IndexOutOfBounds {
            array,
            position,
            value,
            bound,
        } => ConvertError::IndexOutOfBounds {
            array: swap(array),
            position,
            value,
            bound,
        },
        ConvertError::NegativeIndex {
            array,
            position,
            value,
        } => ConvertError::NegativeIndex {
            array: swap(array),
            position,
            value,
        },
        ConvertError::LengthMismatch {
            array,
            expected,
            actual,
        } => ConvertError::LengthMismatch {
            array: swap(array),
            expected,
            actual,
        },
        ConvertError::Duplicate { mut coords } => {
            coords.reverse();
            ConvertError::Duplicate { coords }
        }
        ConvertError::IsoDuplicate { mut coords } => {
            coords.reverse();
            ConvertError::IsoDuplicate { coords }
        }
        other => other,
    }
}
