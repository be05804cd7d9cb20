//! cpu_* benches: 1e6×1e6 random, f64 values, int32 and int64 indices, plus the memcpy floor.
//! `SPARSEBRIDGE_BENCH_NNZ` overrides the 1e7 stored values.

use criterion::{Criterion, Throughput};
use sparsebridge_convert::{CooRef, CsrRef, DuplicatePolicy, Index, ValuesRef, cpu};

use super::data::{Input, input, narrow};

fn nnz() -> usize {
    std::env::var("SPARSEBRIDGE_BENCH_NNZ")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000)
}

fn group<I: Index>(c: &mut Criterion, d: &Input, rows: &[I], cols: &[I], srows: &[I], scols: &[I]) {
    let name = I::DTYPE;
    let mut g = c.benchmark_group(format!("cpu_convert_{name}"));
    g.sample_size(10);
    g.throughput(Throughput::Elements(rows.len() as u64));
    g.bench_function("sorted_coo_to_csr", |b| {
        b.iter(|| cpu::coo_sorted_to_csr_pointers::<I, I>(d.m, rows).expect("sorted input"))
    });
    g.bench_function("shuffled_coo_to_csr", |b| {
        let coo = CooRef {
            nrows: d.m,
            ncols: d.n,
            rows: srows,
            cols: scols,
            values: ValuesRef::Array(&d.svals),
        };
        b.iter(|| cpu::coo_to_csr::<I, I, f64>(&coo, DuplicatePolicy::Reject).expect("valid input"))
    });
    let ptr = cpu::coo_sorted_to_csr_pointers::<I, I>(d.m, rows).expect("sorted input");
    let csr = CsrRef {
        nrows: d.m,
        ncols: d.n,
        pointers: &ptr,
        indices: cols,
        values: ValuesRef::Array(&d.vals),
    };
    g.bench_function("csr_to_csc", |b| {
        b.iter(|| cpu::csr_transpose(&csr).expect("valid input"))
    });
    g.bench_function("csr_to_coo", |b| {
        b.iter(|| cpu::csr_to_coo_rows::<I, I>(d.m, &ptr).expect("valid input"))
    });
    g.finish();
}

pub fn benches(c: &mut Criterion) {
    let d = input(1_000_000, 1_000_000, nnz(), 0x5EED);
    let bytes = d.vals.len() * 8;
    let mut g = c.benchmark_group("cpu_floor");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(2 * bytes as u64));
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("bench pool");
        let src = d.vals.clone();
        let mut dst = vec![0.0f64; src.len()];
        let chunk = src.len().div_ceil(threads);
        g.bench_function(format!("memcpy_{threads}t"), |b| {
            b.iter(|| {
                pool.install(|| {
                    use rayon::prelude::*;
                    dst.par_chunks_mut(chunk)
                        .zip(src.par_chunks(chunk))
                        .for_each(|(o, s)| o.copy_from_slice(s));
                })
            })
        });
    }
    g.finish();
    let (r32, c32, sr32, sc32) = (
        narrow(&d.rows),
        narrow(&d.cols),
        narrow(&d.srows),
        narrow(&d.scols),
    );
    group::<i32>(c, &d, &r32, &c32, &sr32, &sc32);
    group::<i64>(c, &d, &d.rows, &d.cols, &d.srows, &d.scols);
}
