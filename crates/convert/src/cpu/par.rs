//! Parallel building blocks: chunked scan, destination partitions, disjoint splits.

use rayon::prelude::*;

use crate::error::{ConvertError, Result};
use crate::index::Index;

use std::sync::atomic::{AtomicUsize, Ordering};

/// Below this many elements a loop runs on one thread (default 32768).
static SERIAL_CUTOFF: AtomicUsize = AtomicUsize::new(1 << 15);

/// The size below which loops run on one thread.
#[inline]
pub(crate) fn serial_cutoff() -> usize {
    SERIAL_CUTOFF.load(Ordering::Relaxed).max(1)
}

/// Sets the size below which loops run on one thread (default 32768). Tests lower it so that
/// small inputs take the parallel, partitioned paths; results never depend on it.
#[doc(hidden)]
pub fn set_serial_cutoff(n: usize) {
    SERIAL_CUTOFF.store(n.max(1), Ordering::Relaxed);
}

/// Number of worker threads rayon uses here (at least 1).
pub(crate) fn threads() -> usize {
    rayon::current_num_threads().max(1)
}

/// The first `Some` of `scan` over `0..n`, in order. `scan(a, b)` is a plain serial loop over
/// `a..b` returning its first hit; chunks of at least `min_chunk` items run in parallel.
///
/// Per-item rayon searches (`find_first`, `position_first` over `0..n`) pay a shared-state
/// check and a closure call per item; at 1e7 items that cost 15–50× a chunked serial scan.
pub(crate) fn first_in_chunks<E: Send>(
    n: usize,
    min_chunk: usize,
    scan: impl Fn(usize, usize) -> Option<E> + Sync,
) -> Option<E> {
    if n < serial_cutoff() {
        return scan(0, n);
    }
    // Tests lower the serial cutoff to force many chunks on small inputs.
    let chunk = n
        .div_ceil(threads() * 8)
        .max(min_chunk.min(serial_cutoff()).max(1));
    (0..n.div_ceil(chunk))
        .into_par_iter()
        .find_map_first(|j| scan(j * chunk, ((j + 1) * chunk).min(n)))
}

/// The first position in `a` where `bad` holds (see [`first_in_chunks`]).
pub(crate) fn position_first_chunked<T: Sync>(
    a: &[T],
    bad: impl Fn(&T) -> bool + Sync,
) -> Option<usize> {
    first_in_chunks(a.len(), 1 << 12, |s, e| {
        a[s..e].iter().position(&bad).map(|p| s + p)
    })
}

/// Whether every element of `a` lies in `0..bound`: a min/max reduction over parallel chunks,
/// without branches, so it vectorises (a search with an early exit per element does not). The
/// callers look for the first offending position only when this says no.
pub(crate) fn all_below<I: Index>(a: &[I], bound: usize) -> bool {
    let Some(&first) = a.first() else {
        return true;
    };
    let chunk = a.len().div_ceil(threads() * 4).max(serial_cutoff());
    let (lo, hi) = a
        .par_chunks(chunk)
        .map(|c| {
            c.iter()
                .fold((c[0], c[0]), |(lo, hi), &v| (lo.min(v), hi.max(v)))
        })
        .reduce(|| (first, first), |x, y| (x.0.min(y.0), x.1.max(y.1)));
    lo.to_usize().is_some() && hi.to_usize().is_some_and(|h| h < bound)
}

/// Whether no adjacent pair of `a` decreases (nor repeats, when `strict`), counted without
/// branches over parallel chunks (see [`all_below`]).
pub(crate) fn monotone<I: Index>(a: &[I], strict: bool) -> bool {
    let pairs = a.len().saturating_sub(1);
    if pairs == 0 {
        return true;
    }
    let chunk = pairs.div_ceil(threads() * 4).max(serial_cutoff());
    let starts: Vec<usize> = (0..pairs).step_by(chunk).collect();
    starts
        .into_par_iter()
        .map(|s| {
            let e = (s + chunk).min(pairs);
            a[s..e]
                .iter()
                .zip(&a[s + 1..=e])
                .map(|(p, c)| usize::from((c < p) | (strict & (c == p))))
                .sum::<usize>()
        })
        .sum::<usize>()
        == 0
}

/// A zeroed vector of `n` elements (lazily zeroed pages; large ones advised to use huge pages,
/// see [`sparsebridge_buffer::hugepage`]).
///
/// Lengths follow from the input (shapes, nnz), so a refused allocation is the typed
/// [`ConvertError::OutOfMemory`], never an abort.
pub(crate) fn zeroed<T: bytemuck::Zeroable>(n: usize) -> Result<Vec<T>> {
    sparsebridge_buffer::hugepage::try_zeroed_vec(n).map_err(|_| ConvertError::OutOfMemory {
        bytes: n.saturating_mul(std::mem::size_of::<T>()),
    })
}

/// In-place exclusive prefix sum of `counts`; returns the total.
///
/// Two passes over chunks (rayon has no scan): chunk sums in parallel, a serial carry over the
/// chunk sums, then a parallel per-chunk scan. Sums are of element counts, so they cannot
/// overflow as long as the counts describe an in-memory array; a wrapping add keeps the
/// function total anyway.
pub fn exclusive_scan(counts: &mut [usize]) -> usize {
    let n = counts.len();
    if n < serial_cutoff() {
        let mut acc = 0usize;
        for c in counts.iter_mut() {
            let v = *c;
            *c = acc;
            acc = acc.wrapping_add(v);
        }
        return acc;
    }
    let chunk = n.div_ceil(threads() * 4).max(serial_cutoff().min(4096));
    let sums: Vec<usize> = counts
        .par_chunks(chunk)
        .map(|c| c.iter().fold(0usize, |a, &b| a.wrapping_add(b)))
        .collect();
    let mut carries = Vec::with_capacity(sums.len());
    let mut acc = 0usize;
    for s in sums {
        carries.push(acc);
        acc = acc.wrapping_add(s);
    }
    counts
        .par_chunks_mut(chunk)
        .zip(carries)
        .for_each(|(c, mut a)| {
            for x in c.iter_mut() {
                let v = *x;
                *x = a;
                a = a.wrapping_add(v);
            }
        });
    acc
}

/// Splits `s` into consecutive pieces ending at `ends` (non-decreasing, last = `s.len()`).
///
/// Callers derive `ends` from validated, monotone pointers; the clamps only keep a broken
/// invariant from panicking.
pub(crate) fn split_at_ends<'a, T>(mut s: &'a mut [T], ends: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(ends.len());
    let mut start = 0usize;
    for &e in ends {
        debug_assert!(
            e >= start && e - start <= s.len(),
            "split bounds must be monotone"
        );
        let len = e.saturating_sub(start).min(s.len());
        let (head, tail) = std::mem::take(&mut s).split_at_mut(len);
        out.push(head);
        s = tail;
        start = e;
    }
    out
}

/// Major-dimension boundaries `[0 = b0 < … < bk = major]` splitting `pointers` (length
/// `major + 1`, monotone) into `parts` ranges of about equal entries plus rows.
pub(crate) fn balanced_bounds(pointers: &[usize], parts: usize) -> Vec<usize> {
    balanced_bounds_by(pointers.len(), |r| pointers[r], parts)
}

/// [`balanced_bounds`] over validated pointers of any index type, read in place.
pub(crate) fn balanced_bounds_of<P: Index>(pointers: &[P], parts: usize) -> Vec<usize> {
    balanced_bounds_by(
        pointers.len(),
        |r| pointers[r].to_usize().unwrap_or(0),
        parts,
    )
}

/// [`balanced_bounds`] of `len` monotone pointers read through `at`.
fn balanced_bounds_by(len: usize, at: impl Fn(usize) -> usize, parts: usize) -> Vec<usize> {
    let major = len.saturating_sub(1);
    let nnz = if len == 0 { 0 } else { at(major) };
    let total = nnz.saturating_add(major);
    let parts = parts.max(1);
    let mut bounds = Vec::with_capacity(parts + 1);
    bounds.push(0);
    for k in 1..parts {
        let target = (total as u128 * k as u128 / parts as u128) as usize;
        // First `r` in `0..=major` with `at(r) + r >= target`.
        let (mut lo, mut hi) = (0usize, len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if at(mid).saturating_add(mid) < target {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let prev = *bounds.last().unwrap_or(&0);
        bounds.push(lo.clamp(prev, major));
    }
    bounds.push(major);
    bounds
}

/// Equal-width boundaries of `0..n` in `parts` ranges.
pub(crate) fn even_bounds(n: usize, parts: usize) -> Vec<usize> {
    let parts = parts.max(1);
    (0..=parts)
        .map(|k| (n as u128 * k as u128 / parts as u128) as usize)
        .collect()
}

/// Converts validated `usize` pointers to `P` (the caller checked that the last one fits).
pub(crate) fn to_pointers<P: Index>(ptr: &[usize]) -> Vec<P> {
    let mut out: Vec<P> = Vec::with_capacity(ptr.len());
    ptr.par_iter()
        .with_min_len(serial_cutoff())
        .map(|&p| P::from_usize_unchecked(p))
        .collect_into_vec(&mut out);
    out
}

/// Reads validated pointers of type `P` as `usize`.
pub(crate) fn from_pointers<P: Index>(ptr: &[P]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::with_capacity(ptr.len());
    ptr.par_iter()
        .with_min_len(serial_cutoff())
        .map(|&p| p.to_usize().unwrap_or(0))
        .collect_into_vec(&mut out);
    out
}
