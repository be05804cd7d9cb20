//! Zeroed host allocation: `BufferMut::zeroed` (calloc + align up, lazily zeroed pages) against
//! `std::alloc::alloc_zeroed` with a 64-byte alignment, alone and followed by a write to every
//! page (what a conversion output sees).

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sparsebridge_buffer::dlpack::export::{RawTensor, export_versioned};
use sparsebridge_buffer::dlpack::import::{ImportOptions, import_versioned};
use sparsebridge_buffer::{Buffer, BufferMut, DType};

const PAGE: usize = 4096;

fn std_zeroed(bytes: usize, touch: bool) {
    let layout = Layout::from_size_align(bytes, 64).expect("valid layout");
    // SAFETY: non-zero size; the pointer is checked and freed with the same layout.
    unsafe {
        let p = alloc_zeroed(layout);
        assert!(!p.is_null());
        if touch {
            for off in (0..bytes).step_by(PAGE) {
                p.add(off).write(1);
            }
        }
        black_box(p);
        dealloc(p, layout);
    }
}

fn ours(bytes: usize, touch: bool) {
    let mut m = BufferMut::zeroed(DType::U8, bytes).expect("alloc");
    if touch {
        let s = m.as_bytes_mut();
        for off in (0..bytes).step_by(PAGE) {
            s[off] = 1;
        }
    }
    black_box(m.freeze());
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("cpu_zeroed_alloc");
    g.sample_size(20);
    for mib in [1usize, 64] {
        let bytes = mib << 20;
        g.throughput(Throughput::Bytes(bytes as u64));
        for touch in [false, true] {
            let tag = if touch { "touched" } else { "untouched" };
            g.bench_with_input(
                BenchmarkId::new(format!("calloc_align_up/{tag}"), mib),
                &bytes,
                |b, &n| b.iter(|| ours(n, touch)),
            );
            g.bench_with_input(
                BenchmarkId::new(format!("std_alloc_zeroed/{tag}"), mib),
                &bytes,
                |b, &n| b.iter(|| std_zeroed(n, touch)),
            );
        }
    }
    g.finish();
}

/// One DLPack hand-off: export a shared buffer (versioned) and import it back, zero-copy.
fn bench_dlpack(c: &mut Criterion) {
    let b = Buffer::from_vec(vec![0u64; 1 << 20]);
    c.bench_function("cpu_dlpack_export_import_roundtrip", |bench| {
        bench.iter(|| {
            let t = export_versioned(black_box(b.clone())).expect("export");
            let RawTensor::Versioned(raw) = t.into_raw() else {
                unreachable!("versioned export")
            };
            // SAFETY: our own export, handed over once.
            let imp = unsafe { import_versioned(raw, &ImportOptions::default()) }.expect("import");
            black_box(imp.buffer.address())
        })
    });
}

criterion_group!(benches, bench, bench_dlpack);
criterion_main!(benches);
