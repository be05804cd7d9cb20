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
use super::scratch;
use crate::error::{ConvertError, Result};
use crate::index::Index;
use crate::{Value, ValuesRef};

/// Entries per bucket aimed at: a bucket's temporary and output slices stay within L2.
const BUCKET_ENTRIES: usize = 1 << 14;
/// At most this many buckets (write streams per thread) unless keys need more for `u32`.
const MAX_BUCKETS: usize = 1 << 12;
/// Keys per bucket aimed at: a bucket's counters (`usize` per key, twice) stay small enough to
/// be reused from the allocator's free lists and to sit in cache, even when there are few
/// entries over many keys (1e3 entries over 1e6 columns would otherwise count into a 16 MB
/// pair of fresh, page-faulting arrays).
const BUCKET_KEYS: usize = 1 << 12;

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

/// Result of [`radix_sort`]: pointers over keys (in the output pointer type `P`, written once,
/// with no widened temporary), minor indices and values sorted by key, bucket boundaries in
/// keys, and the per-bucket outputs of the hook.
pub(crate) struct Sorted<P, I, T, R> {
    pub ptr: Vec<P>,
    pub minor: Vec<I>,
    pub values: Vec<T>,
    pub key_bounds: Vec<usize>,
    pub outcomes: Vec<R>,
}

/// Stable counting sort of `nnz` entries by key (`< nkeys`), see the module docs. `post` runs
/// on each bucket right after it is sorted (while it is in cache) with the bucket's first key,
/// its local pointers (from 0) and its output slices. The caller has checked that `nnz` fits
/// the pointer type `P` (`check_fits`).
pub(crate) fn radix_sort<P, I, T, S, R, F>(
    src: &S,
    nkeys: usize,
    nnz: usize,
    values: ValuesRef<'_, T>,
    post: F,
) -> Result<Sorted<P, I, T, R>>
where
    P: Index,
    I: Index,
    T: Value,
    S: Source<I>,
    R: Send,
    F: Fn(usize, &[usize], &mut [I], Option<&mut [T]>) -> R + Sync,
{
    match values {
        ValuesRef::Array(v) => {
            let get = |pos: usize| v[pos];
            radix_core(src, nkeys, nnz, get, |k, l, m, o| post(k, l, m, Some(o)))
        }
        // Iso: entries carry no value (a zero-sized payload).
        ValuesRef::Iso(_) => {
            let s = radix_core(src, nkeys, nnz, |_| (), |k, l, m, _| post(k, l, m, None))?;
            Ok(Sorted {
                ptr: s.ptr,
                minor: s.minor,
                values: Vec::new(),
                key_bounds: s.key_bounds,
                outcomes: s.outcomes,
            })
        }
    }
}

/// One entry of the temporary buffer: local key, minor index and payload, written together so
/// that each thread streams into one write position per bucket.
#[derive(Clone, Copy, bytemuck::Zeroable)]
struct Entry<I, V> {
    key: u32,
    minor: I,
    value: V,
}

/// The sort, generic over the payload `V` carried with each entry (`T`, or `()` for iso).
fn radix_core<P, I, V, S, R, G, F>(
    src: &S,
    nkeys: usize,
    nnz: usize,
    payload: G,
    post: F,
) -> Result<Sorted<P, I, V, R>>
where
    P: Index,
    I: Index,
    V: Value,
    S: Source<I>,
    R: Send,
    G: Fn(usize) -> V + Sync,
    F: Fn(usize, &[usize], &mut [I], &mut [V]) -> R + Sync,
{
    let ptr_len = nkeys.checked_add(1).ok_or(ConvertError::SizeOverflow {
        what: "pointer length",
    })?;
    // Bucket width: a power of two, at most 2^32 keys so that local keys fit u32.
    let want = (nnz / BUCKET_ENTRIES)
        .max(nkeys / BUCKET_KEYS)
        .clamp(1, MAX_BUCKETS);
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

    // 2. Partition into the temporary buffer (one stream per bucket and part).
    // Every entry is written before it is read: a kept temporary serves as well as a fresh one.
    let mut tmp: Vec<Entry<I, V>> = scratch::take(nnz)?;
    {
        let mut parts: Vec<Vec<&mut [Entry<I, V>]>> =
            (0..nt).map(|_| Vec::with_capacity(nb)).collect();
        for (j, p) in split_at_ends(&mut tmp, &ends).into_iter().enumerate() {
            parts[j % nt].push(p);
        }
        parts
            .into_par_iter()
            .enumerate()
            .for_each(|(t, mut slots)| {
                let mut cur = vec![0usize; nb];
                src.visit(t, |k, m, pos| {
                    let b = k >> shift;
                    let w = cur[b];
                    cur[b] = w + 1;
                    // Local keys are below the bucket width, at most 2^32.
                    slots[b][w] = Entry {
                        key: (k - (b << shift)) as u32,
                        minor: m,
                        value: payload(pos),
                    };
                });
            });
    }

    // 3. Counting sort inside each bucket, into its own ranges of the outputs.
    let mut ptr: Vec<P> = zeroed(ptr_len)?;
    let mut minor: Vec<I> = zeroed(nnz)?;
    let mut vals: Vec<V> = zeroed(nnz)?;
    let key_bounds: Vec<usize> = (0..=nb).map(|b| (b << shift).min(nkeys)).collect();
    let outcomes: Vec<R> = {
        let pp = split_at_ends(&mut ptr[..nkeys], &key_bounds[1..]);
        let op = split_at_ends(&mut minor, &bucket_start[1..]);
        let vp = split_at_ends(&mut vals, &bucket_start[1..]);
        pp.into_par_iter()
            .zip(op)
            .zip(vp)
            .enumerate()
            .map(|(b, ((pp, om), ov))| {
                let (bs, be) = (bucket_start[b], bucket_start[b + 1]);
                let nr = key_bounds[b + 1] - key_bounds[b];
                let bucket = &tmp[bs..be];
                let mut local = vec![0usize; nr + 1];
                for e in bucket {
                    local[e.key as usize] += 1;
                }
                let mut a = 0usize;
                for x in local.iter_mut() {
                    let v = *x;
                    *x = a;
                    a += v;
                }
                for (p, &l) in pp.iter_mut().zip(&local) {
                    *p = P::from_usize_unchecked(bs + l);
                }
                let mut cur = local.clone();
                for e in bucket {
                    let k = e.key as usize;
                    let w = cur[k];
                    cur[k] = w + 1;
                    om[w] = e.minor;
                    ov[w] = e.value;
                }
                post(key_bounds[b], &local, om, ov)
            })
            .collect()
    };
    ptr[nkeys] = P::from_usize_unchecked(nnz);
    scratch::give(tmp);
    Ok(Sorted {
        ptr,
        minor,
        values: vals,
        key_bounds,
        outcomes,
    })
}
