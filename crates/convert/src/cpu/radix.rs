//! Cache-blocked stable counting sort (radix partitioning), the engine of the scattering
//! conversions (shuffled COO → CSR, CSR → CSC).
//!
//! 1. Each of `T` input parts counts its entries per *bucket* (a power-of-two range of keys
//!    sized so that a bucket's entries fit in L2).
//! 2. Each part writes its entries (local key, minor index, value) into a temporary buffer laid
//!    out bucket-major then part-major: `B × T` disjoint slices, so the threads write without
//!    `unsafe`, and each thread streams into only `B` write positions.
//! 3. Each bucket is counting-sorted on its own, in cache, into its contiguous range of the
//!    output (and of the pointers), then handed to a per-bucket post-processing hook.
//!
//! Every step keeps input order among equal keys, so the sort is stable.

use rayon::prelude::*;

use super::par::{split_at_ends, zeroed};
use crate::error::{ConvertError, Result};
use crate::index::Index;
use crate::{Value, ValuesRef};

/// Entries per bucket aimed at: a bucket's temporary and output slices stay within L2.
const BUCKET_ENTRIES: usize = 1 << 14;
/// At most this many buckets (write streams per thread) unless keys need more for `u32`.
const MAX_BUCKETS: usize = 1 << 12;

/// Where the entries come from: parts visited in order, each in stable order. Keys are
/// validated (below the key bound) before the sort starts.
pub(crate) trait Source<I: Index>: Sync {
    /// Number of parts (the unit of parallelism of steps 1 and 2).
    fn parts(&self) -> usize;
    /// Visits the key of each entry of part `t`.
    fn visit_keys(&self, t: usize, f: impl FnMut(usize));
    /// Visits `(key, minor index, value position)` of each entry of part `t`.
    fn visit(&self, t: usize, f: impl FnMut(usize, I, usize));
}

/// Result of [`radix_sort`]: pointers over keys (`usize`), minor indices and values sorted by
/// key, bucket boundaries in keys, and the per-bucket outputs of the hook.
pub(crate) struct Sorted<I, T, R> {
    pub ptr: Vec<usize>,
    pub minor: Vec<I>,
    pub values: Vec<T>,
    pub key_bounds: Vec<usize>,
    pub outcomes: Vec<R>,
}

/// Stable counting sort of `nnz` entries by key (`< nkeys`), see the module docs. `post` runs
/// on each bucket right after it is sorted (while it is in cache) with the bucket's first key,
/// its local pointers (from 0) and its output slices.
pub(crate) fn radix_sort<I, T, S, R, F>(
    src: &S,
    nkeys: usize,
    nnz: usize,
    values: ValuesRef<'_, T>,
    post: F,
) -> Result<Sorted<I, T, R>>
where
    I: Index,
    T: Value,
    S: Source<I>,
    R: Send,
    F: Fn(usize, &[usize], &mut [I], Option<&mut [T]>) -> R + Sync,
{
    let has_values = matches!(values, ValuesRef::Array(_));
    let ptr_len = nkeys.checked_add(1).ok_or(ConvertError::SizeOverflow {
        what: "pointer length",
    })?;
    // Bucket width: a power of two, at most 2^32 keys so that local keys fit u32.
    let want = (nnz / BUCKET_ENTRIES).clamp(1, MAX_BUCKETS);
    let mut shift = nkeys
        .div_ceil(want)
        .max(1)
        .next_power_of_two()
        .trailing_zeros();
    shift = shift.min(32);
    let width = 1usize << shift;
    let nb = nkeys.div_ceil(width).max(1);
    let nt = src.parts().max(1);

    // 1. Per-part bucket counts.
    let counts: Vec<Vec<usize>> = (0..nt)
        .into_par_iter()
        .map(|t| {
            let mut c = vec![0usize; nb];
            src.visit_keys(t, |k| c[k >> shift] += 1);
            c
        })
        .collect();
    // Bucket-major, part-major slice ends; bucket starts.
    let mut ends = Vec::with_capacity(nb * nt);
    let mut bucket_start = Vec::with_capacity(nb + 1);
    let mut acc = 0usize;
    for b in 0..nb {
        bucket_start.push(acc);
        for c in &counts {
            acc += c[b];
            ends.push(acc);
        }
    }
    bucket_start.push(acc);

    // 2. Partition into the temporary buffers.
    let mut tk: Vec<u32> = zeroed(nnz);
    let mut tm: Vec<I> = zeroed(nnz);
    let mut tv: Vec<T> = if has_values { zeroed(nnz) } else { Vec::new() };
    {
        let mut kp: Vec<Vec<&mut [u32]>> = (0..nt).map(|_| Vec::with_capacity(nb)).collect();
        for (j, p) in split_at_ends(&mut tk, &ends).into_iter().enumerate() {
            kp[j % nt].push(p);
        }
        let mut mp: Vec<Vec<&mut [I]>> = (0..nt).map(|_| Vec::with_capacity(nb)).collect();
        for (j, p) in split_at_ends(&mut tm, &ends).into_iter().enumerate() {
            mp[j % nt].push(p);
        }
        let mut vp: Vec<Vec<&mut [T]>> = (0..nt).map(|_| Vec::with_capacity(nb)).collect();
        if has_values {
            for (j, p) in split_at_ends(&mut tv, &ends).into_iter().enumerate() {
                vp[j % nt].push(p);
            }
        }
        kp.into_par_iter().zip(mp).zip(vp).enumerate().for_each(
            |(t, ((mut kp, mut mp), mut vp))| {
                let mut cur = vec![0usize; nb];
                let src_vals = values.as_array();
                src.visit(t, |k, m, pos| {
                    let b = k >> shift;
                    let w = cur[b];
                    cur[b] = w + 1;
                    // Local keys are below the bucket width, at most 2^32.
                    kp[b][w] = (k - (b << shift)) as u32;
                    mp[b][w] = m;
                    if let Some(sv) = src_vals {
                        vp[b][w] = sv[pos];
                    }
                });
            },
        );
    }

    // 3. Counting sort inside each bucket, into its own ranges of the outputs.
    let mut ptr: Vec<usize> = zeroed(ptr_len);
    let mut minor: Vec<I> = zeroed(nnz);
    let mut vals: Vec<T> = if has_values { zeroed(nnz) } else { Vec::new() };
    let key_bounds: Vec<usize> = (0..=nb).map(|b| (b << shift).min(nkeys)).collect();
    let outcomes: Vec<R> = {
        let pp = split_at_ends(&mut ptr[..nkeys], &key_bounds[1..]);
        let op = split_at_ends(&mut minor, &bucket_start[1..]);
        let vpieces: Vec<Option<&mut [T]>> = if has_values {
            split_at_ends(&mut vals, &bucket_start[1..])
                .into_iter()
                .map(Some)
                .collect()
        } else {
            (0..nb).map(|_| None).collect()
        };
        pp.into_par_iter()
            .zip(op)
            .zip(vpieces)
            .enumerate()
            .map(|(b, ((pp, om), mut ov))| {
                let (bs, be) = (bucket_start[b], bucket_start[b + 1]);
                let nr = key_bounds[b + 1] - key_bounds[b];
                let mut local = vec![0usize; nr + 1];
                for &k in &tk[bs..be] {
                    local[k as usize] += 1;
                }
                let mut a = 0usize;
                for x in local.iter_mut() {
                    let v = *x;
                    *x = a;
                    a += v;
                }
                for (p, &l) in pp.iter_mut().zip(&local) {
                    *p = bs + l;
                }
                let mut cur = local.clone();
                for j in bs..be {
                    let k = tk[j] as usize;
                    let w = cur[k];
                    cur[k] = w + 1;
                    om[w] = tm[j];
                    if let Some(ov) = ov.as_deref_mut() {
                        ov[w] = tv[j];
                    }
                }
                post(key_bounds[b], &local, om, ov)
            })
            .collect()
    };
    ptr[nkeys] = nnz;
    Ok(Sorted {
        ptr,
        minor,
        values: vals,
        key_bounds,
        outcomes,
    })
}
