//! Bench inputs: random 1e6×1e6 matrices (splitmix64, fixed seed) and the memcpy floor.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use rayon::prelude::*;

/// splitmix64 step.
pub fn rng(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A canonical random COO: `nnz` distinct uniform (row, col) pairs of an `m × n` matrix, sorted
/// by row then column, with f64 values; plus a shuffled copy.
pub struct Input {
    pub m: usize,
    pub n: usize,
    pub rows: Vec<i64>,
    pub cols: Vec<i64>,
    pub vals: Vec<f64>,
    pub srows: Vec<i64>,
    pub scols: Vec<i64>,
    pub svals: Vec<f64>,
}

pub fn input(m: usize, n: usize, nnz: usize, seed: u64) -> Input {
    let mut s = seed;
    let total = (m as u64) * (n as u64);
    let mut keys: Vec<u64> = (0..nnz + nnz / 100 + 16)
        .map(|_| rng(&mut s) % total)
        .collect();
    keys.par_sort_unstable();
    keys.dedup();
    keys.truncate(nnz);
    let rows: Vec<i64> = keys.par_iter().map(|&k| (k / n as u64) as i64).collect();
    let cols: Vec<i64> = keys.par_iter().map(|&k| (k % n as u64) as i64).collect();
    let vals: Vec<f64> = (0..keys.len()).map(|k| (k % 1000) as f64 + 0.5).collect();
    let mut perm: Vec<usize> = (0..keys.len()).collect();
    for i in (1..perm.len()).rev() {
        let j = (rng(&mut s) % (i as u64 + 1)) as usize;
        perm.swap(i, j);
    }
    let srows = perm.par_iter().map(|&p| rows[p]).collect();
    let scols = perm.par_iter().map(|&p| cols[p]).collect();
    let svals = perm.par_iter().map(|&p| vals[p]).collect();
    Input {
        m,
        n,
        rows,
        cols,
        vals,
        srows,
        scols,
        svals,
    }
}

pub fn narrow(v: &[i64]) -> Vec<i32> {
    v.par_iter().map(|&x| x as i32).collect()
}

/// Best of `reps` timings of `f`.
pub fn best<R>(reps: usize, mut f: impl FnMut() -> R) -> Duration {
    (0..reps.max(1))
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// memcpy floor in bytes/s (read + write) with `threads` threads over `bytes` bytes, into a
/// pre-faulted destination: the best of several copies.
pub fn memcpy_rate(bytes: usize, threads: usize) -> f64 {
    let n = bytes / 8;
    let src: Vec<u64> = (0..n as u64).collect();
    let mut dst: Vec<u64> = vec![1; n];
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("bench pool");
    let chunk = n.div_ceil(threads);
    let t = best(7, || {
        pool.install(|| {
            dst.par_chunks_mut(chunk)
                .zip(src.par_chunks(chunk))
                .for_each(|(d, s)| d.copy_from_slice(s));
        });
    });
    (2 * n * 8) as f64 / t.as_secs_f64()
}
