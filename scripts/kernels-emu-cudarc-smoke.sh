#!/usr/bin/env bash
# `make emu-cudarc-smoke`: cudarc 0.19.10's unmodified safe API against the emulated driver, until the
# sparsebridge Rust CUDA path runs there itself. Builds a throw-away crate under target/emu/ that
# creates a context, copies host->device, loads the NVRTC PTX of scan.cu, launches the 3-kernel
# multi-block scan with launch_builder, copies back and compares; once with memory pools (attribute
# 115 = 1: cuMemAllocAsync) and once without (SBEMU_MEMORY_POOLS=0: cuMemAlloc).
# Needs target/emu/libcuda.so.1 (make emu) and target/kernels-ptx/scan.sm_90.ptx (make kernels-check).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
[ -f target/emu/libcuda.so.1 ] || { echo "emu-cudarc-smoke: run make emu first" >&2; exit 1; }
[ -f target/kernels-ptx/scan.sm_90.ptx ] || { echo "emu-cudarc-smoke: run make kernels-check first" >&2; exit 1; }
dir=target/emu/cudarc-smoke
mkdir -p "$dir/src"
cudarc_line=$(grep '^cudarc = ' Cargo.toml)
cat > "$dir/Cargo.toml" <<TOML
[package]
name = "cudarc-smoke"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
$cudarc_line
TOML
cat > "$dir/src/main.rs" <<'RS'
use cudarc::driver::{CudaContext, DevicePtrMut, LaunchConfig, PushKernelArg};
use cudarc::nvrtc::Ptx;

fn main() {
    let ptx_path = std::env::args().nth(1).expect("usage: cudarc-smoke <scan.sm_90.ptx>");
    let ctx = CudaContext::new(0).expect("context");
    let name = ctx.name().expect("name");
    assert_eq!(name, "sparsebridge emulated device", "not the emulator");
    let stream = ctx.default_stream();
    let n: u64 = 3001;
    let input: Vec<u64> = (0..n).map(|i| (i * 31) % 7).collect();
    let d_in = stream.clone_htod(&input).expect("htod");
    let mut d_out = stream.alloc_zeros::<u64>(n as usize).expect("alloc");
    let mut d_sums = stream.alloc_zeros::<u64>(16).expect("alloc");
    let m = ctx.load_module(Ptx::from_src(std::fs::read_to_string(ptx_path).expect("ptx"))).expect("module");
    let tiles = m.load_function("scan_tiles_u64").expect("scan_tiles_u64");
    let add = m.load_function("scan_add_u64").expect("scan_add_u64");
    let block = 64u32;
    let tile = u64::from(block) * 4;
    let g = n.div_ceil(tile);
    let cfg = |grid: u64| LaunchConfig { grid_dim: (grid as u32, 1, 1), block_dim: (block, 1, 1), shared_mem_bytes: 0 };
    // SAFETY: scan_tiles_u64(const u64*, u64*, u64*, u64) on n elements, g tile sums.
    unsafe { stream.launch_builder(&tiles).arg(&d_in).arg(&mut d_out).arg(&mut d_sums).arg(&n).launch(cfg(g)) }.expect("tiles");
    let (sums, guard) = d_sums.device_ptr_mut(&stream);
    drop(guard);
    let null: u64 = 0;
    // SAFETY: one block scans the g <= tile sums in place; tile_sums = NULL.
    unsafe { stream.launch_builder(&tiles).arg(&sums).arg(&sums).arg(&null).arg(&g).launch(cfg(1)) }.expect("sums");
    // SAFETY: scan_add_u64(u64*, const u64*, u64, u64) over n elements.
    unsafe { stream.launch_builder(&add).arg(&mut d_out).arg(&d_sums).arg(&n).arg(&tile).launch(cfg(5)) }.expect("add");
    let out = stream.clone_dtoh(&d_out).expect("dtoh");
    stream.synchronize().expect("sync");
    let mut s = 0;
    for (i, (&o, &x)) in out.iter().zip(&input).enumerate() {
        assert_eq!(o, s, "scan differs at {i}");
        s += x;
    }
    println!("cudarc-smoke: {name}: multi-block scan through cudarc OK");
}
RS
(cd "$dir" && CARGO_TARGET_DIR="$root/$dir/target" cargo build -q)
for pools in 1 0; do
  SBEMU_MEMORY_POOLS=$pools LD_LIBRARY_PATH="$root/target/emu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$dir/target/debug/cudarc-smoke" target/kernels-ptx/scan.sm_90.ptx
done
