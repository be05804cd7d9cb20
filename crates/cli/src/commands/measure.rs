//! Measurement helpers shared by `sparsebridge demo` and `sparsebridge bench`: the random
//! matrix, the memory-bandwidth floor, the minimum-traffic byte model, best-of-N timing and the
//! protocol hand-off.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rayon::prelude::*;
use sparsebridge::buffer::dlpack::export::export_versioned;
use sparsebridge::buffer::dlpack::import::ImportOptions;
use sparsebridge::descriptor::{Descriptor, ParseOptions};
use sparsebridge::{Buffer, PredefinedFormat as F, ScalarType, SparseArray};

/// SplitMix64: a small, good, dependency-free generator.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A canonical random COOR matrix `n` x `n` with int32 indices and float64 values: `nnz`
/// uniform coordinates, duplicates removed (so slightly fewer may be stored).
pub fn random_coo(n: u64, nnz: u64, seed: u64) -> Result<SparseArray> {
    anyhow::ensure!(
        n <= i32::MAX as u64 + 1,
        "n = {n} does not fit int32 indices"
    );
    let cells = n.checked_mul(n).context("n*n overflows")?;
    anyhow::ensure!(cells > 0, "the matrix is empty (n = 0)");
    let chunks = 64u64;
    let per = nnz.div_ceil(chunks);
    let mut keys: Vec<u64> = (0..chunks)
        .into_par_iter()
        .flat_map_iter(|c| {
            let mut s = seed ^ c.wrapping_mul(0xA076_1D64_78BD_642F);
            (0..per).map(move |_| splitmix(&mut s) % cells)
        })
        .collect();
    keys.truncate(usize::try_from(nnz)?);
    keys.par_sort_unstable();
    keys.dedup();
    // Both fit: k / n < n and k % n < n, and n - 1 <= i32::MAX (checked above).
    let rows: Vec<i32> = keys.par_iter().map(|k| (k / n) as i32).collect();
    let cols: Vec<i32> = keys.par_iter().map(|k| (k % n) as i32).collect();
    let values: Vec<f64> = keys
        .par_iter()
        .map(|k| (k % 1000) as f64 * 0.5 + 1.0)
        .collect();
    let d = Descriptor::new(
        F::Coor.into(),
        vec![n, n],
        keys.len() as u64,
        ScalarType::Int32,
        ScalarType::Float64.into(),
    )?;
    let a = SparseArray::try_new(
        d,
        [
            ("indices_0", Buffer::from_vec(rows)),
            ("indices_1", Buffer::from_vec(cols)),
            ("values", Buffer::from_vec(values)),
        ],
    )?;
    a.validate_full()?;
    Ok(a)
}

/// Best memcpy bandwidth (bytes copied per second) with 1 and with 2 threads, on `bytes`-sized
/// buffers.
pub fn memcpy_floor(bytes: usize) -> (f64, f64) {
    let src = vec![1u8; bytes];
    let mut dst = vec![0u8; bytes];
    let rate = |threads: usize, dst: &mut [u8]| {
        let chunk = bytes.div_ceil(threads).max(1);
        let mut best = f64::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            dst.par_chunks_mut(chunk)
                .zip(src.par_chunks(chunk))
                .with_max_len(1)
                .for_each(|(d, s)| d.copy_from_slice(s));
            best = best.min(t.elapsed().as_secs_f64());
        }
        bytes as f64 / best.max(f64::MIN_POSITIVE)
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map(|p| p.install(|| rate(1, &mut dst)))
        .unwrap_or(0.0);
    let two = rate(2, &mut dst);
    (one, two)
}

/// Bytes of every constituent array.
pub fn bytes_of(a: &SparseArray) -> u64 {
    a.arrays().iter().map(|(_, b)| b.nbytes() as u64).sum()
}

/// The names of the arrays of `out` that share memory with an array of `src` (reused, not
/// written).
pub fn reused(src: &SparseArray, out: &SparseArray) -> Vec<String> {
    out.arrays()
        .iter()
        .filter(|(_, b)| src.arrays().iter().any(|(_, s)| s.shares_memory_with(b)))
        .map(|(name, _)| name.clone())
        .collect()
}

/// The minimum-traffic model of a conversion `src` -> `out`: the bytes of the arrays of `out`
/// that are not shared with `src` (written), plus the bytes of the arrays of `src` that `out`
/// does not share (read).
pub fn traffic(src: &SparseArray, out: &SparseArray) -> u64 {
    let written: u64 = out
        .arrays()
        .iter()
        .filter(|(_, b)| !src.arrays().iter().any(|(_, s)| s.shares_memory_with(b)))
        .map(|(_, b)| b.nbytes() as u64)
        .sum();
    let read: u64 = src
        .arrays()
        .iter()
        .filter(|(_, s)| !out.arrays().iter().any(|(_, b)| b.shares_memory_with(s)))
        .map(|(_, s)| s.nbytes() as u64)
        .sum();
    written + read
}

/// Runs `f` `repeat` times (at least once); returns the best time and the last result.
pub fn best_of<T>(repeat: usize, mut f: impl FnMut() -> Result<T>) -> Result<(Duration, T)> {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let v = f()?;
        best = best.min(t.elapsed());
        last = Some(v);
    }
    Ok((best, last.context("no repetition ran")?))
}

/// The protocol hand-off: descriptor JSON round trip plus a DLPack export/import per array.
pub fn hand_off(a: &SparseArray) -> Result<SparseArray> {
    let json = a.descriptor().to_json_string()?;
    let d = Descriptor::parse(&json, &ParseOptions::default())?.descriptor;
    let mut arrays = Vec::with_capacity(a.arrays().len());
    for (name, buffer) in a.arrays() {
        let t = export_versioned(buffer.clone())?;
        let imported = t.import(&ImportOptions::default())?;
        arrays.push((name.clone(), imported.buffer));
    }
    Ok(SparseArray::try_new(d, arrays)?)
}

/// Whether every array of `received` is the memory of the matching array of `sent` (two empty
/// arrays hold no memory to copy).
pub fn zero_copy(sent: &SparseArray, received: &SparseArray) -> bool {
    sent.arrays().len() == received.arrays().len()
        && sent
            .arrays()
            .iter()
            .zip(received.arrays())
            .all(|((_, a), (_, b))| {
                a.shares_memory_with(b)
                    || a.address() == b.address()
                    || (a.is_empty() && b.is_empty())
            })
}
