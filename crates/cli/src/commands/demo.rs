//! `sparsebridge demo`: the README's main job. Generates a random sparse matrix, hands it across
//! the protocol (descriptor + DLPack export/import of every constituent), converts it between
//! COO, CSR and CSC on the default device, and prints times, throughput and the ratio to the
//! machine's memory-bandwidth floor measured in the same run.

use std::time::{Duration, Instant};

use anyhow::Result;
use sparsebridge::{ConvertOptions, PredefinedFormat as F, SparseArray, Target, convert};

use super::measure::{best_of, bytes_of, hand_off, memcpy_floor, random_coo, traffic, zero_copy};

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
    let shared = zero_copy(&coo, &received);
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
