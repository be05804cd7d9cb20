//! n-d COO (custom `sparse(rank n)`): canonicalization and dense ↔ COO.

use rayon::prelude::*;

use super::par::{exclusive_scan, serial_cutoff, zeroed};
use crate::error::{ConvertError, Result};
use crate::index::{Index, check_fits, index_error};
use crate::{DuplicatePolicy, Summable, Value, Values, ValuesRef};

/// Binsparse key of the index array of dimension `d` (`indices_0`, `indices_1`, …).
pub(crate) fn index_name(d: usize) -> &'static str {
    const NAMES: [&str; 8] = [
        "indices_0",
        "indices_1",
        "indices_2",
        "indices_3",
        "indices_4",
        "indices_5",
        "indices_6",
        "indices_7",
    ];
    NAMES.get(d).copied().unwrap_or("indices_n")
}

/// A borrowed n-d COO: one index array per dimension.
#[derive(Debug, Clone, Copy)]
pub struct CooNdRef<'a, I, T> {
    /// Shape, one extent per dimension.
    pub shape: &'a [usize],
    /// `indices_d` for each dimension `d`, all of length nnz.
    pub indices: &'a [&'a [I]],
    /// Stored values.
    pub values: ValuesRef<'a, T>,
}

/// An owned n-d COO.
#[derive(Debug, Clone, PartialEq)]
pub struct CooNd<I, T> {
    /// Shape, one extent per dimension.
    pub shape: Vec<usize>,
    /// `indices_d` for each dimension `d`.
    pub indices: Vec<Vec<I>>,
    /// Stored values.
    pub values: Values<T>,
}

/// Checks lengths and bounds; returns nnz.
fn check_nd<I: Index, T: Copy>(coo: &CooNdRef<'_, I, T>) -> Result<usize> {
    if coo.indices.len() != coo.shape.len() {
        return Err(ConvertError::LengthMismatch {
            array: "indices",
            expected: coo.shape.len(),
            actual: coo.indices.len(),
        });
    }
    let nnz = coo
        .indices
        .first()
        .map_or_else(|| coo.values.as_array().map_or(0, <[T]>::len), |a| a.len());
    for (d, a) in coo.indices.iter().enumerate() {
        if a.len() != nnz {
            return Err(ConvertError::LengthMismatch {
                array: index_name(d),
                expected: nnz,
                actual: a.len(),
            });
        }
        let bound = coo.shape[d];
        if let Some(k) =
            super::par::position_first_chunked(a, |v| v.to_usize().is_none_or(|u| u >= bound))
        {
            return Err(index_error(a[k], index_name(d), k, bound));
        }
    }
    coo.values.check_len(nnz)?;
    Ok(nnz)
}

/// Canonical n-d COO: coordinates in lexicographic order (dimension 0 slowest), duplicates by
/// `policy`.
///
/// Algorithm: LSD radix sort of a permutation, one stable counting sort per dimension from
/// the last to the first. A dimension whose extent exceeds `2 · nnz + 1024` (where a histogram
/// would cost more than the data) is sorted by a stable comparison sort instead.
pub fn coo_nd_canonicalize<I: Index, T: Summable>(
    coo: &CooNdRef<'_, I, T>,
    policy: DuplicatePolicy,
) -> Result<CooNd<I, T>> {
    let nnz = check_nd(coo)?;
    let rank = coo.shape.len();
    let key = |d: usize, k: usize| coo.indices[d][k].to_usize().unwrap_or(0);
    let mut perm: Vec<usize> = (0..nnz).collect();
    let mut tmp: Vec<usize> = zeroed(nnz)?;
    for d in (0..rank).rev() {
        let extent = coo.shape[d];
        if extent > nnz.saturating_mul(2).saturating_add(1024) {
            perm.sort_by_key(|&k| key(d, k));
            continue;
        }
        let mut counts: Vec<usize> = zeroed(extent + 1)?;
        for &k in &perm {
            counts[key(d, k)] += 1;
        }
        exclusive_scan(&mut counts);
        for &k in &perm {
            let c = &mut counts[key(d, k)];
            tmp[*c] = k;
            *c += 1;
        }
        std::mem::swap(&mut perm, &mut tmp);
    }
    // Walk in canonical order, merging or rejecting equal neighbours.
    let same = |a: usize, b: usize| (0..rank).all(|d| coo.indices[d][a] == coo.indices[d][b]);
    let coords = |k: usize| (0..rank).map(|d| key(d, k)).collect::<Vec<_>>();
    let mut keep: Vec<usize> = Vec::with_capacity(nnz);
    let mut vals: Vec<T> = Vec::new();
    for (i, &k) in perm.iter().enumerate() {
        if i > 0 && same(perm[i - 1], k) {
            match (policy, coo.values) {
                (DuplicatePolicy::Reject, _) => {
                    return Err(ConvertError::Duplicate { coords: coords(k) });
                }
                (DuplicatePolicy::Sum, ValuesRef::Iso(_)) => {
                    return Err(ConvertError::IsoDuplicate { coords: coords(k) });
                }
                (DuplicatePolicy::Sum, ValuesRef::Array(src)) => {
                    if let Some(last) = vals.last_mut() {
                        last.sum_assign(src[k]);
                    }
                }
            }
            continue;
        }
        keep.push(k);
        if let ValuesRef::Array(src) = coo.values {
            vals.push(src[k]);
        }
    }
    let indices = (0..rank)
        .map(|d| {
            keep.par_iter()
                .with_min_len(serial_cutoff())
                .map(|&k| coo.indices[d][k])
                .collect()
        })
        .collect();
    let values = match coo.values {
        ValuesRef::Array(_) => Values::Array(vals),
        ValuesRef::Iso(v) => Values::Iso(v),
    };
    Ok(CooNd {
        shape: coo.shape.to_vec(),
        indices,
        values,
    })
}

/// Row-major strides of `shape` and the total size, checked.
fn strides(shape: &[usize]) -> Result<(Vec<usize>, usize)> {
    let mut st = vec![0usize; shape.len()];
    let mut acc = 1usize;
    for d in (0..shape.len()).rev() {
        st[d] = acc;
        acc = acc
            .checked_mul(shape[d])
            .ok_or(ConvertError::SizeOverflow { what: "dense size" })?;
    }
    Ok((st, acc))
}

/// Dense row-major (C order) array from an n-d COO; implicit entries are zero. Indices are
/// bounds-checked; duplicates keep their last value (canonicalize first to sum them).
pub fn coo_nd_to_dense<I: Index, T: Value>(coo: &CooNdRef<'_, I, T>) -> Result<Vec<T>> {
    coo_nd_to_dense_fill(coo, None)
}

/// [`coo_nd_to_dense`] with a fill value: unstored positions hold `fill` (zero when `None`).
pub fn coo_nd_to_dense_fill<I: Index, T: Value>(
    coo: &CooNdRef<'_, I, T>,
    fill: Option<T>,
) -> Result<Vec<T>> {
    let nnz = check_nd(coo)?;
    let (st, size) = strides(coo.shape)?;
    let mut out: Vec<T> = match fill {
        None => zeroed(size)?,
        Some(f) => vec![f; size],
    };
    for k in 0..nnz {
        let at: usize = (0..coo.shape.len())
            .map(|d| coo.indices[d][k].to_usize().unwrap_or(0) * st[d])
            .sum();
        out[at] = coo.values.get(k);
    }
    Ok(out)
}

/// Canonical n-d COO from a dense row-major (C order) array, dropping zeros.
pub fn dense_to_coo_nd<I: Index, T: Summable>(shape: &[usize], data: &[T]) -> Result<CooNd<I, T>> {
    dense_to_coo_nd_fill(shape, data, None)
}

/// [`dense_to_coo_nd`] with a fill value: the entries equal to `fill`
/// ([`Summable::same_value`]) are dropped; `None` drops zeros.
pub fn dense_to_coo_nd_fill<I: Index, T: Summable>(
    shape: &[usize],
    data: &[T],
    fill: Option<T>,
) -> Result<CooNd<I, T>> {
    let (st, size) = strides(shape)?;
    if data.len() != size {
        return Err(ConvertError::LengthMismatch {
            array: "values",
            expected: size,
            actual: data.len(),
        });
    }
    for &e in shape {
        if e > 0 {
            check_fits::<I>(e - 1, "indices")?;
        }
    }
    let kept: Vec<usize> = data
        .par_iter()
        .with_min_len(serial_cutoff())
        .enumerate()
        .filter(|(_, v)| match &fill {
            None => !v.is_zero(),
            Some(f) => !v.same_value(f),
        })
        .map(|(i, _)| i)
        .collect();
    let indices = (0..shape.len())
        .map(|d| {
            kept.par_iter()
                .with_min_len(serial_cutoff())
                .map(|&i| I::from_usize_unchecked((i / st[d]) % shape[d]))
                .collect()
        })
        .collect();
    let vals = kept.iter().map(|&i| data[i]).collect();
    Ok(CooNd {
        shape: shape.to_vec(),
        indices,
        values: Values::Array(vals),
    })
}
