//! criterion entry point: `cargo bench -p sparsebridge-convert --bench bench_main`.

mod benchmarks;

criterion::criterion_group!(benches, benchmarks::convert::benches);
criterion::criterion_main!(benches);
