//! `sparsebridge demo`: the README's main job. Generates a random sparse matrix, hands it across
//! the protocol (descriptor + DLPack export/import of every constituent), converts it between
//! COO, CSR and CSC on the default device, and prints times, throughput and the ratio to the
//! machine's memory-bandwidth floor measured in the same run.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rayon::prelude::*;
use sparsebridge::buffer::dlpack::export::export_versioned;
use sparsebridge::buffer::dlpack::import::ImportOptions;
use sparsebridge::descriptor::{Descriptor, ParseOptions};
use sparsebridge::{
    Buffer, ConvertOptions, PredefinedFormat as F, ScalarType, SparseArray, Target, convert,
};

/// Arguments of `sparsebridge demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Rows and columns of the square matrix.
    #[arg(long, default_value_t = 1_000_000)]
    pub n: u64,
    /// Stored values to generate (duplicates removed, so slightly fewer are stored).
    #[arg(long, default_value_t = 10_000_000)]
    pub nnz: u64,
    /// Timed repetitions per conversion (the best is reported).
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// SplitMix64: a small, good, dependency-free generator.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A canonical random COOR matrix with int32 indices and float64 values.
fn random_coo(n: u64, nnz: u64, seed: u64) -> Result<SparseArray> {
    let cells = n.checked_mul(n).context("n*n overflows")?;
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

/// Best memcpy bandwidth (bytes/s) over 1 and 2 threads, on `bytes`-sized buffers.
fn memcpy_floor(bytes: usize) -> (f64, f64) {
    let src = vec![1u8; bytes];
    let mut dst = vec![0u8; bytes];
    let rate = |threads: usize, dst: &mut [u8]| {
        let chunk = bytes.div_ceil(threads);
        let mut best = f64::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            dst.par_chunks_mut(chunk)
                .zip(src.par_chunks(chunk))
                .with_max_len(1)
                .for_each(|(d, s)| d.copy_from_slice(s));
            best = best.min(t.elapsed().as_secs_f64());
        }
        bytes as f64 / best
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
fn bytes_of(a: &SparseArray) -> u64 {
    a.arrays().iter().map(|(_, b)| b.nbytes() as u64).sum()
}

/// Bytes of the arrays of `out` that are not shared with `src`, plus what `src` had to read.
fn traffic(src: &SparseArray, out: &SparseArray) -> u64 {
    let new: Vec<&Buffer> = out
        .arrays()
        .iter()
        .map(|(_, b)| b)
        .filter(|b| !src.arrays().iter().any(|(_, s)| s.shares_memory_with(b)))
        .collect();
    let written: u64 = new.iter().map(|b| b.nbytes() as u64).sum();
    // Reads: every source array that an output array is not a view of.
    let read: u64 = src
        .arrays()
        .iter()
        .filter(|(_, s)| !out.arrays().iter().any(|(_, b)| b.shares_memory_with(s)))
        .map(|(_, s)| s.nbytes() as u64)
        .sum();
    written + read
}

fn best_of<T>(repeat: usize, mut f: impl FnMut() -> Result<T>) -> Result<(Duration, T)> {
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
fn hand_off(a: &SparseArray) -> Result<SparseArray> {
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

/// Runs the demo and prints the table.
pub fn run(args: &DemoArgs) -> Result<()> {
    let device = match sparsebridge::buffer::cuda::probe() {
        Ok(info) => {
            format!("cuda available ({info:?}); the CUDA engine is not wired yet, using cpu")
        }
        Err(why) => format!("cpu ({why})"),
    };
    println!(
        "sparsebridge demo: {0}x{0} random matrix, {1} generated values",
        args.n, args.nnz
    );
    println!(
        "device: {device}; threads: {}",
        rayon::current_num_threads()
    );
    let t = Instant::now();
    let coo = random_coo(args.n, args.nnz, args.seed)?;
    println!(
        "generated canonical COOR: nnz={} in {:.2?}",
        coo.nnz(),
        t.elapsed()
    );

    let (handoff, received) = best_of(args.repeat, || hand_off(&coo))?;
    let shared = coo
        .arrays()
        .iter()
        .zip(received.arrays())
        .all(|((_, a), (_, b))| a.shares_memory_with(b) || a.address() == b.address());
    println!(
        "protocol hand-off (descriptor JSON + {} DLPack export/import): {:.1} us, zero-copy: {shared}",
        received.arrays().len(),
        handoff.as_secs_f64() * 1e6
    );

    let floor_bytes = usize::try_from(bytes_of(&coo))?.clamp(64 << 20, 1 << 30);
    let (one, two) = memcpy_floor(floor_bytes);
    let floor = one.max(two);
    println!(
        "memory-bandwidth floor (memcpy of {} MB): 1 thread {:.1} GB/s, 2 threads {:.1} GB/s",
        floor_bytes >> 20,
        one / 1e9,
        two / 1e9
    );

    let opts = ConvertOptions::default();
    let step = |src: &SparseArray, to: F| -> Result<(Duration, SparseArray)> {
        let target = Target::format(to);
        best_of(args.repeat, || Ok(convert(src, &target, &opts)?.array))
    };
    println!();
    println!(
        "{:<14} {:>10} {:>12} {:>12} {:>14}",
        "conversion", "ms", "MB moved", "GB/s", "x floor"
    );
    let row = |label: &str, src: &SparseArray, dt: Duration, out: &SparseArray| {
        let bytes = traffic(src, out) as f64;
        let secs = dt.as_secs_f64();
        println!(
            "{label:<14} {:>10.1} {:>12.1} {:>12.2} {:>14.2}",
            secs * 1e3,
            bytes / 1e6,
            bytes / secs / 1e9,
            secs / (bytes / floor)
        );
    };
    let (dt, csr) = step(&received, F::Csr)?;
    row("COOR -> CSR", &received, dt, &csr);
    let (dt, csc) = step(&csr, F::Csc)?;
    row("CSR -> CSC", &csr, dt, &csc);
    let (dt, coor) = step(&csr, F::Coor)?;
    row("CSR -> COOR", &csr, dt, &coor);
    let (dt, csr2) = step(&csc, F::Csr)?;
    row("CSC -> CSR", &csc, dt, &csr2);
    let (dt, cooc) = step(&coor, F::Cooc)?;
    row("COOR -> COOC", &coor, dt, &cooc);
    // Round-trip check: CSC -> CSR gives back the same arrays.
    let same = ["pointers_to_1", "indices_1", "values"].iter().all(|n| {
        let (a, b) = (csr.array(n), csr2.array(n));
        matches!((a, b), (Some(a), Some(b)) if a.as_bytes().ok() == b.as_bytes().ok())
    });
    println!();
    println!("check: CSR -> CSC -> CSR reproduces the CSR arrays: {same}");
    anyhow::ensure!(same, "round trip mismatch");
    println!(
        "'x floor' = time / ((bytes read + written) / best memcpy rate); 1.0 is the bandwidth bound."
    );
    Ok(())
}
