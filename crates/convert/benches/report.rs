//! Prints, per conversion: time (best of N), bytes read + written, GB/s and the ratio to the
//! memcpy floor measured in the same run, at 1e7 and 5e7 stored values, int32 and int64.
//!
//! `cargo bench -p sparsebridge-convert --bench report` (`SPARSEBRIDGE_BENCH_SIZES=10000000`
//! to choose sizes, `SPARSEBRIDGE_BENCH_REPS` for repetitions).

#[path = "benchmarks/data.rs"]
mod data;

use data::{Input, best, input, memcpy_rate, narrow};
use sparsebridge_convert::{CooRef, CsrRef, DuplicatePolicy, Index, ValuesRef, cpu};

fn env_usize(key: &str) -> Option<usize> {
    std::env::var(key).ok().and_then(|s| s.parse().ok())
}

fn row(name: &str, dtype: &str, nnz: usize, secs: f64, bytes: usize, floor: f64) {
    let gbs = bytes as f64 / secs / 1e9;
    let floor_s = bytes as f64 / floor;
    println!(
        "{name:<22} {dtype:<6} {nnz:>10} {ms:>10.2} {mb:>10.1} {gbs:>7.2} {ratio:>9.2}",
        ms = secs * 1e3,
        mb = bytes as f64 / 1e6,
        ratio = secs / floor_s,
    );
}

fn run<I: Index>(
    d: &Input,
    rows: &[I],
    cols: &[I],
    srows: &[I],
    scols: &[I],
    floor: f64,
    reps: usize,
) {
    let (m, nnz, w) = (d.m, rows.len(), std::mem::size_of::<I>());
    let ptr_bytes = (m + 1) * w;
    let t = best(reps, || {
        cpu::coo_sorted_to_csr_pointers::<I, I>(m, rows).expect("sorted input")
    });
    row(
        "sorted_coo_to_csr",
        I::DTYPE,
        nnz,
        t.as_secs_f64(),
        nnz * w + ptr_bytes,
        floor,
    );
    let coo = CooRef {
        nrows: m,
        ncols: d.n,
        rows: srows,
        cols: scols,
        values: ValuesRef::Array(&d.svals),
    };
    let t = best(reps, || {
        cpu::coo_to_csr::<I, I, f64>(&coo, DuplicatePolicy::Reject).expect("valid input")
    });
    row(
        "shuffled_coo_to_csr",
        I::DTYPE,
        nnz,
        t.as_secs_f64(),
        nnz * (2 * w + 8) + nnz * (w + 8) + ptr_bytes,
        floor,
    );
    let ptr = cpu::coo_sorted_to_csr_pointers::<I, I>(m, rows).expect("sorted input");
    let csr = CsrRef {
        nrows: m,
        ncols: d.n,
        pointers: &ptr,
        indices: cols,
        values: ValuesRef::Array(&d.vals),
    };
    let t = best(reps, || cpu::csr_transpose(&csr).expect("valid input"));
    row(
        "csr_to_csc",
        I::DTYPE,
        nnz,
        t.as_secs_f64(),
        2 * (nnz * (w + 8) + ptr_bytes),
        floor,
    );
    let t = best(reps, || {
        cpu::csr_to_coo_rows::<I, I>(m, &ptr).expect("valid input")
    });
    row(
        "csr_to_coo (rows)",
        I::DTYPE,
        nnz,
        t.as_secs_f64(),
        ptr_bytes + nnz * w,
        floor,
    );
    let t = best(reps, || cpu::validate_csr(&csr).expect("valid input"));
    row(
        "validate_csr",
        I::DTYPE,
        nnz,
        t.as_secs_f64(),
        ptr_bytes + nnz * w,
        floor,
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let sizes: Vec<usize> = std::env::var("SPARSEBRIDGE_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000_000, 50_000_000]);
    let reps = env_usize("SPARSEBRIDGE_BENCH_REPS").unwrap_or(5);
    // SPARSEBRIDGE_HUGE_PAGES=0 measures the outputs without the huge-page advice.
    if std::env::var("SPARSEBRIDGE_HUGE_PAGES").is_ok_and(|v| v == "0") {
        sparsebridge_buffer::hugepage::set_huge_pages(false);
    }
    println!(
        "huge-page advice for outputs: {}",
        sparsebridge_buffer::hugepage::huge_pages()
    );
    println!("rayon threads: {}", rayon::current_num_threads());
    for nnz in sizes {
        let d = input(1_000_000, 1_000_000, nnz, 0x5EED);
        let (f1, f2) = (
            memcpy_rate(d.vals.len() * 8, 1),
            memcpy_rate(d.vals.len() * 8, 2),
        );
        let floor = f1.max(f2);
        println!(
            "\n1e6 x 1e6, nnz {}: memcpy floor 1 thread {:.2} GB/s, 2 threads {:.2} GB/s (read+write)",
            d.vals.len(),
            f1 / 1e9,
            f2 / 1e9
        );
        println!(
            "{:<22} {:<6} {:>10} {:>10} {:>10} {:>7} {:>9}",
            "conversion", "index", "nnz", "ms", "MB r+w", "GB/s", "x floor"
        );
        let (r32, c32, sr32, sc32) = (
            narrow(&d.rows),
            narrow(&d.cols),
            narrow(&d.srows),
            narrow(&d.scols),
        );
        run::<i32>(&d, &r32, &c32, &sr32, &sc32, floor, reps);
        drop((r32, c32, sr32, sc32));
        run::<i64>(&d, &d.rows, &d.cols, &d.srows, &d.scols, floor, reps);
    }
}
