//! The O(nnz) structural check, for every level format (predefined or custom), on the host.
//!
//! Rules (binsparse-protocol.md §4, §5, §9 step 12), level by level, outer to inner:
//! - a `dense(r)` level multiplies the number of positions by its stored extents;
//! - a `sparse(r)` level below the root has `pointers_to_d`: it starts at 0, never decreases, and
//!   ends at the length of its index arrays; when its parent is also sparse (DCSR, DCSC) no
//!   segment is empty (no repeated pointer values);
//! - within each pointer segment the `r`-tuples of indices are in bounds of the stored shape,
//!   strictly increasing in lexicographic order (sorted and duplicate-free).
//!
//! Two passes share these rules. [`fast`] checks the common layouts (every rank-1 sparse level,
//! a rank-2 sparse root: CSR, CSC, DCSR, DCSC, CVEC, COOR, COOC and dense formats) in parallel,
//! typed per index dtype, and only answers valid or not: a strictly increasing run needs bounds
//! checks at its two ends only. When it finds an anomaly, or meets any other layout, the serial
//! walker runs and reports the first violation with its array, position and reason.

use rayon::prelude::*;
use sparsebridge_buffer::{Buffer, dispatch_dtype};
use sparsebridge_descriptor::{ArrayRole, Level};

use crate::SparseArray;
use crate::error::ArrayError;

/// A host index array of any integer dtype, read as `i128`.
enum IndexSlice<'a> {
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
    U64(&'a [u64]),
    I8(&'a [i8]),
    I16(&'a [i16]),
    I32(&'a [i32]),
    I64(&'a [i64]),
}

/// Dispatches an [`IndexSlice`] to code generic over its element type.
macro_rules! typed {
    ($slice:expr, $s:ident => $body:expr) => {
        match $slice {
            IndexSlice::U8($s) => $body,
            IndexSlice::U16($s) => $body,
            IndexSlice::U32($s) => $body,
            IndexSlice::U64($s) => $body,
            IndexSlice::I8($s) => $body,
            IndexSlice::I16($s) => $body,
            IndexSlice::I32($s) => $body,
            IndexSlice::I64($s) => $body,
        }
    };
}

impl<'a> IndexSlice<'a> {
    fn new(array: &str, buffer: &'a Buffer) -> Result<Self, ArrayError> {
        macro_rules! view {
            ($t:ty, $v:ident) => {
                Self::$v(buffer.as_slice::<$t>()?)
            };
        }
        Ok(
            dispatch_dtype!(buffer.dtype(), [integer] => view, other => {
                return Err(ArrayError::DTypeMismatch {
                    array: array.to_owned(),
                    expected: "an integer type".to_owned(),
                    found: other,
                });
            }),
        )
    }

    fn len(&self) -> usize {
        typed!(self, s => s.len())
    }

    #[inline]
    fn get(&self, i: usize) -> i128 {
        typed!(self, s => i128::from(s[i]))
    }
}

fn structure(array: &str, position: usize, reason: String) -> ArrayError {
    ArrayError::Structure {
        array: array.to_owned(),
        position: position as u64,
        reason,
    }
}

/// Checks a pointer array over `positions` segments; returns the segment bounds' owner slice.
fn check_pointers(
    name: &str,
    ptr: &IndexSlice<'_>,
    positions: usize,
    nnz: usize,
    strict: bool,
) -> Result<(), ArrayError> {
    if ptr.len() != positions + 1 {
        return Err(structure(
            name,
            ptr.len(),
            format!("expected {} pointers, found {}", positions + 1, ptr.len()),
        ));
    }
    if ptr.get(0) != 0 {
        return Err(structure(
            name,
            0,
            format!("first pointer is {}, not 0", ptr.get(0)),
        ));
    }
    for k in 1..ptr.len() {
        let (a, b) = (ptr.get(k - 1), ptr.get(k));
        if b < a {
            return Err(structure(
                name,
                k,
                format!("pointers decrease from {a} to {b}"),
            ));
        }
        if strict && b == a {
            return Err(structure(
                name,
                k,
                format!("empty segment (repeated pointer {b}) where the parent level is sparse"),
            ));
        }
    }
    let last = ptr.get(positions);
    if last != nnz as i128 {
        return Err(structure(
            name,
            positions,
            format!("last pointer is {last}, but the level stores {nnz} coordinates"),
        ));
    }
    Ok(())
}

/// The precise, serial walker: finds the first violation and names it. Run when the fast
/// check ([`fast`]) finds an anomaly or meets a layout it does not cover.
/// The caller ([`validate_full`]) has checked that the array is host-accessible.
fn validate_precise(a: &SparseArray) -> Result<(), ArrayError> {
    let format = a.descriptor().format();
    let shape = a.descriptor().shape();
    let stored_shape: Vec<u64> = (0..format.rank())
        .map(|k| shape[format.logical_dim(k)])
        .collect();
    let mut positions: usize = 1;
    let mut depth = 0usize;
    let mut parent_sparse = false;
    for level in format.levels() {
        match *level {
            Level::Element => break,
            Level::Dense { rank } => {
                for &extent in &stored_shape[depth..depth + rank] {
                    let extent = usize::try_from(extent)
                        .map_err(|_| ArrayError::Unsupported("extent above usize".into()))?;
                    positions = positions
                        .checked_mul(extent)
                        .ok_or_else(|| ArrayError::Unsupported("size overflow".into()))?;
                }
                parent_sparse = false;
                depth += rank;
            }
            Level::Sparse { rank } => {
                let idx_names: Vec<String> = (depth..depth + rank)
                    .map(|d| ArrayRole::Indices { dim: d }.name())
                    .collect();
                let idx: Vec<IndexSlice<'_>> = idx_names
                    .iter()
                    .map(|n| {
                        let b = a
                            .array(n)
                            .ok_or_else(|| ArrayError::MissingArray { array: n.clone() })?;
                        IndexSlice::new(n, b)
                    })
                    .collect::<Result<_, _>>()?;
                let count = idx.first().map_or(0, IndexSlice::len);
                // Segment boundaries: one segment at the root, else from the pointers.
                let ptr_name = ArrayRole::Pointers { depth }.name();
                let ptr = if depth == 0 {
                    None
                } else {
                    let b = a.array(&ptr_name).ok_or_else(|| ArrayError::MissingArray {
                        array: ptr_name.clone(),
                    })?;
                    let p = IndexSlice::new(&ptr_name, b)?;
                    check_pointers(&ptr_name, &p, positions, count, parent_sparse)?;
                    Some(p)
                };
                let segments = if ptr.is_some() { positions } else { 1 };
                for seg in 0..segments {
                    let (start, end) = match &ptr {
                        Some(p) => (p.get(seg) as usize, p.get(seg + 1) as usize),
                        None => (0, count),
                    };
                    for k in start..end {
                        for (r, ix) in idx.iter().enumerate() {
                            let v = ix.get(k);
                            let bound = i128::from(stored_shape[depth + r]);
                            if v < 0 || v >= bound {
                                return Err(structure(
                                    &idx_names[r],
                                    k,
                                    format!("index {v} out of bounds for extent {bound}"),
                                ));
                            }
                        }
                        if k > start {
                            // Lexicographic strict increase of the r-tuple.
                            let mut order = std::cmp::Ordering::Equal;
                            for ix in &idx {
                                order = ix.get(k - 1).cmp(&ix.get(k));
                                if order != std::cmp::Ordering::Equal {
                                    break;
                                }
                            }
                            match order {
                                std::cmp::Ordering::Less => {}
                                std::cmp::Ordering::Equal => {
                                    return Err(structure(
                                        &idx_names[rank - 1],
                                        k,
                                        "duplicate coordinate".to_owned(),
                                    ));
                                }
                                std::cmp::Ordering::Greater => {
                                    return Err(structure(
                                        &idx_names[0],
                                        k,
                                        "coordinates are not sorted".to_owned(),
                                    ));
                                }
                            }
                        }
                    }
                }
                positions = count;
                parent_sparse = true;
                depth += rank;
            }
        }
    }
    Ok(())
}

/// Runs the full check. The array's constituent lengths were already checked in O(1).
pub(crate) fn validate_full(a: &SparseArray) -> Result<(), ArrayError> {
    if !a.device().is_host_accessible() {
        return Err(ArrayError::Unsupported(format!(
            "full validation of arrays on {} (copy to the host first)",
            a.device()
        )));
    }
    if fast(a) == Some(true) {
        return Ok(());
    }
    validate_precise(a)
}

/// Below this many entries the fast check runs on one thread.
const PAR_MIN: usize = 1 << 15;

/// An integer index element: ordered, widened to `i128` for bounds.
trait Ix: Copy + Ord + Send + Sync + Into<i128> {}
impl<T: Copy + Ord + Send + Sync + Into<i128>> Ix for T {}

/// `[a, b)` ranges splitting `0..n` for parallel work (one range when `n` is small).
fn chunks(n: usize) -> Vec<(usize, usize)> {
    let parts = if n < PAR_MIN {
        1
    } else {
        (rayon::current_num_threads() * 8)
            .min(n / (PAR_MIN / 4))
            .max(1)
    };
    (0..parts)
        .map(|k| (n * k / parts, n * (k + 1) / parts))
        .filter(|(a, b)| a < b)
        .collect()
}

/// One pass over `s`, in parallel chunks: its smallest and largest elements (`None` when
/// empty) and its number of descents, the adjacent pairs that do not strictly increase
/// (`k` in `1..len` with `s[k - 1] >= s[k]`). Plain reductions without branches, fused so that
/// the array is read once: the loop vectorises.
fn scan_run<I: Ix>(s: &[I]) -> (Option<(I, I)>, usize) {
    let Some(&first) = s.first() else {
        return (None, 0);
    };
    let (lo, hi, descents) = chunks(s.len())
        .into_par_iter()
        .map(|(a, b)| {
            let from = a.max(1);
            let init = (s[a], s[a], 0usize);
            s[from - 1..b - 1]
                .iter()
                .zip(&s[from..b])
                .fold(init, |(lo, hi, d), (&p, &c)| {
                    (lo.min(c), hi.max(c), d + usize::from(p >= c))
                })
        })
        .reduce(
            || (first, first, 0),
            |x, y| (x.0.min(y.0), x.1.max(y.1), x.2 + y.2),
        );
    (Some((lo, hi)), descents)
}

/// Whether `[lo, hi]` lies in `[0, bound)` (`None`: an empty array).
fn within(range: Option<(impl Ix, impl Ix)>, bound: i128) -> bool {
    range.is_none_or(|(lo, hi)| lo.into() >= 0 && hi.into() < bound)
}

/// The descents of `idx` that sit on a segment boundary of `ptr` (a pair `(k - 1, k)` with `k`
/// the start of a segment), each boundary counted once however many empty segments share it.
/// `ptr` has passed [`pointers_ok`]: it starts at 0, never decreases and ends at `idx.len()`.
fn descents_at_starts<I: Ix, P: Ix>(idx: &[I], ptr: &[P]) -> usize {
    let n = idx.len();
    let segments = ptr.len().saturating_sub(1);
    let at = |s: usize| usize::try_from(ptr[s].into()).unwrap_or(usize::MAX);
    chunks(segments)
        .into_par_iter()
        .map(|(a, b)| {
            (a.max(1)..b)
                .filter(|&s| {
                    let k = at(s);
                    k > 0 && k < n && k != at(s - 1) && idx[k - 1] >= idx[k]
                })
                .count()
        })
        .sum()
}

/// Pointers of `positions` segments over `count` coordinates: start at 0, never decrease (never
/// repeat when `strict`), end at `count`.
fn pointers_ok<P: Ix>(p: &[P], positions: usize, count: usize, strict: bool) -> bool {
    if p.len() != positions + 1 || p[0].into() != 0 || p[positions].into() != count as i128 {
        return false;
    }
    chunks(p.len().saturating_sub(1))
        .into_par_iter()
        .all(|(a, b)| {
            p[a..=b].windows(2).fold(true, |ok, w| {
                ok & if strict { w[0] < w[1] } else { w[0] <= w[1] }
            })
        })
}

/// Rank-1 level: each segment's indices strictly increase within `[0, bound)`. One fused pass
/// over the indices gives their min/max (bounds) and their descents; order holds when every
/// descent sits at a segment start, where it is allowed (counted in O(segments)).
fn rank1_ok<I: Ix>(idx: &[I], ptr: Option<&IndexSlice<'_>>, bound: i128) -> bool {
    let (range, descents) = scan_run(idx);
    if !within(range, bound) {
        return false;
    }
    let allowed = match ptr {
        None => 0,
        Some(p) => typed!(p, p => descents_at_starts(idx, p)),
    };
    descents == allowed
}

/// Rank-2 root (COO): `(i, j)` pairs strictly increase lexicographically, `i` in `[0, bi)`,
/// `j` in `[0, bj)`. One fused pass over both arrays counts the pairs that do not increase and
/// takes the min/max of `j`; when the order holds `i` never decreases, so its bounds are its
/// two ends.
fn coo2_ok<I: Ix>(i: &[I], j: &[I], bi: i128, bj: i128) -> bool {
    let n = i.len();
    if n != j.len() {
        return false;
    }
    if n == 0 {
        return true;
    }
    let (jlo, jhi, bad) = chunks(n)
        .into_par_iter()
        .map(|(a, b)| {
            let from = a.max(1);
            let init = (j[a], j[a], 0usize);
            i[from - 1..b - 1]
                .iter()
                .zip(&i[from..b])
                .zip(j[from - 1..b - 1].iter().zip(&j[from..b]))
                .fold(init, |(lo, hi, d), ((i0, i1), (j0, &j1))| {
                    let up = (i0 < i1) | ((i0 == i1) & (*j0 < j1));
                    (lo.min(j1), hi.max(j1), d + usize::from(!up))
                })
        })
        .reduce(
            || (j[0], j[0], 0),
            |x, y| (x.0.min(y.0), x.1.max(y.1), x.2 + y.2),
        );
    bad == 0 && within(Some((i[0], i[n - 1])), bi) && within(Some((jlo, jhi)), bj)
}

/// The fast check: `Some(true)` when valid, `Some(false)` on an anomaly, `None` for layouts it
/// does not cover. Never reports where: [`validate_precise`] does.
fn fast(a: &SparseArray) -> Option<bool> {
    let format = a.descriptor().format();
    let shape = a.descriptor().shape();
    let stored: Vec<u64> = (0..format.rank())
        .map(|k| shape[format.logical_dim(k)])
        .collect();
    let slice = |name: String| -> Option<IndexSlice<'_>> {
        a.array(&name).and_then(|b| IndexSlice::new(&name, b).ok())
    };
    let mut positions: usize = 1;
    let mut depth = 0usize;
    let mut parent_sparse = false;
    for level in format.levels() {
        match *level {
            Level::Element => break,
            Level::Dense { rank } => {
                for &extent in stored.get(depth..depth + rank)? {
                    positions = positions.checked_mul(usize::try_from(extent).ok()?)?;
                }
                parent_sparse = false;
                depth += rank;
            }
            Level::Sparse { rank } => {
                let bound = |d: usize| stored.get(d).map(|&e| i128::from(e));
                let idx0 = slice(ArrayRole::Indices { dim: depth }.name())?;
                let count = idx0.len();
                let ptr = if depth == 0 {
                    None
                } else {
                    let p = slice(ArrayRole::Pointers { depth }.name())?;
                    if !typed!(&p, s => pointers_ok(s, positions, count, parent_sparse)) {
                        return Some(false);
                    }
                    Some(p)
                };
                let ok = match (rank, &ptr) {
                    (1, _) => {
                        let b = bound(depth)?;
                        typed!(&idx0, s => rank1_ok(s, ptr.as_ref(), b))
                    }
                    (2, None) => {
                        let idx1 = slice(ArrayRole::Indices { dim: depth + 1 }.name())?;
                        let (b0, b1) = (bound(depth)?, bound(depth + 1)?);
                        match (&idx0, &idx1) {
                            (IndexSlice::I32(i), IndexSlice::I32(j)) => coo2_ok(i, j, b0, b1),
                            (IndexSlice::I64(i), IndexSlice::I64(j)) => coo2_ok(i, j, b0, b1),
                            (IndexSlice::U32(i), IndexSlice::U32(j)) => coo2_ok(i, j, b0, b1),
                            (IndexSlice::U64(i), IndexSlice::U64(j)) => coo2_ok(i, j, b0, b1),
                            _ => return None,
                        }
                    }
                    _ => return None,
                };
                if !ok {
                    return Some(false);
                }
                positions = count;
                parent_sparse = true;
                depth += rank;
            }
        }
    }
    Some(true)
}
