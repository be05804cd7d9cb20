//! The test oracle: a deliberately simple reference, written apart from the fast code.
//!
//! Everything here goes through `BTreeMap`s keyed by coordinates and plain loops over `usize`;
//! nothing is shared with `sparsebridge_convert::cpu` except the value traits.

#![allow(dead_code)]

use std::collections::BTreeMap;

use half::{bf16, f16};
use sparsebridge_convert::{Bint8, Summable};

/// Builds test values from small seeds, so that sums stay exact in every dtype.
pub trait FromSeed: Summable + PartialEq + std::fmt::Debug {
    fn from_seed(s: i8) -> Self;
}
impl FromSeed for f64 {
    fn from_seed(s: i8) -> Self {
        f64::from(s)
    }
}
impl FromSeed for f32 {
    fn from_seed(s: i8) -> Self {
        f32::from(s)
    }
}
impl FromSeed for i32 {
    fn from_seed(s: i8) -> Self {
        i32::from(s)
    }
}
impl FromSeed for u8 {
    fn from_seed(s: i8) -> Self {
        s.unsigned_abs()
    }
}
impl FromSeed for [f64; 2] {
    fn from_seed(s: i8) -> Self {
        [f64::from(s), -f64::from(s) / 2.0]
    }
}
impl FromSeed for [f32; 2] {
    fn from_seed(s: i8) -> Self {
        [f32::from(s), f32::from(s % 3)]
    }
}
impl FromSeed for f16 {
    fn from_seed(s: i8) -> Self {
        f16::from_f32(f32::from(s))
    }
}
impl FromSeed for bf16 {
    fn from_seed(s: i8) -> Self {
        bf16::from_f32(f32::from(s))
    }
}
impl FromSeed for Bint8 {
    fn from_seed(s: i8) -> Self {
        Bint8(u8::from(s % 2 != 0))
    }
}

/// Canonical entries: `((row, col), value)` in (row, col) order; `None` values for iso.
pub type Entries<T> = Vec<((usize, usize), Option<T>)>;

/// Canonical entries of a 2-D COO: `Ok(sorted ((row, col), value))`, or with `sum == false`
/// `Err(smallest duplicated (row, col))`. `vals == None` is iso (values reported as `None`).
pub fn canon<T: FromSeed>(
    entries: &[(usize, usize)],
    vals: Option<&[T]>,
    sum: bool,
) -> Result<Entries<T>, (usize, usize)> {
    let mut map: BTreeMap<(usize, usize), (usize, Option<T>)> = BTreeMap::new();
    for (k, &e) in entries.iter().enumerate() {
        let v = vals.map(|v| v[k]);
        match map.get_mut(&e) {
            Some(slot) => {
                slot.0 += 1;
                if let (Some(acc), Some(v)) = (slot.1.as_mut(), v) {
                    acc.sum_assign(v);
                }
            }
            None => {
                map.insert(e, (1, v));
            }
        }
    }
    let dup = map.iter().find(|(_, (n, _))| *n > 1).map(|(k, _)| *k);
    match dup {
        Some(d) if !sum || vals.is_none() => Err(d),
        _ => Ok(map.into_iter().map(|(k, (_, v))| (k, v)).collect()),
    }
}

/// CSR pointers (as usize) of canonical entries with `nrows` rows.
pub fn pointers_of(nrows: usize, rows: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut counts = vec![0usize; nrows + 1];
    for r in rows {
        counts[r + 1] += 1;
    }
    for i in 0..nrows {
        counts[i + 1] += counts[i];
    }
    counts
}

/// Dense row-major matrix of canonical entries (`zero` elsewhere; iso entries take `iso`).
pub fn dense_of<T: FromSeed>(
    nrows: usize,
    ncols: usize,
    entries: &[((usize, usize), Option<T>)],
    iso: T,
) -> Vec<T> {
    let mut d = vec![T::from_seed(0); nrows * ncols];
    for &((r, c), v) in entries {
        d[r * ncols + c] = v.unwrap_or(iso);
    }
    d
}

/// A simple serial check of a canonical CSR: the first failure, as a short description.
pub fn csr_first_error(nrows: usize, ncols: usize, ptr: &[i128], idx: &[i128]) -> Option<String> {
    if ptr.len() != nrows + 1 {
        return Some("len".into());
    }
    if ptr[0] != 0 {
        return Some("start".into());
    }
    for p in 1..ptr.len() {
        if ptr[p] < ptr[p - 1] {
            return Some(format!("decreasing {p}"));
        }
    }
    if ptr[nrows] != idx.len() as i128 {
        return Some("end".into());
    }
    for r in 0..nrows {
        for k in ptr[r] as usize..ptr[r + 1] as usize {
            if idx[k] < 0 || idx[k] >= ncols as i128 {
                return Some(format!("bounds {k}"));
            }
            if k > ptr[r] as usize && idx[k] <= idx[k - 1] {
                return Some(format!("sorted {k}"));
            }
        }
    }
    None
}
