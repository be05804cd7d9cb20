// TEST-ONLY kernels with deliberately planted bugs (issue 5, "Deliberately broken kernels are caught").
// Never shipped: not listed in kernels.def, not part of any crate's NVRTC sources.
#if !defined(__CUDACC__)
#include "shim/cuda_cpu_shim.h"
#endif
#include "common.cuh"

// (a) scan_tiles_u64 with the barrier between the warp totals' write and read removed.
SB_DEV sb_u64 planted_block_scan_nosync(sb_u64 v, sb_u64* total) {
  __shared__ sb_u64 warp_sums[32];
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, nwarps = blockDim.x / 32;
  sb_u64 x = v;
  for (unsigned d = 1; d < 32; d <<= 1) {
    sb_u64 y = __shfl_up_sync(0xffffffffu, x, d);
    if (lane >= d) x += y;
  }
  if (lane == 31) warp_sums[warp] = x;
  // PLANTED BUG: the __syncthreads() that belongs here is missing.
  if (warp == 0) {
    sb_u64 w = lane < nwarps ? warp_sums[lane] : 0;
    for (unsigned d = 1; d < 32; d <<= 1) {
      sb_u64 y = __shfl_up_sync(0xffffffffu, w, d);
      if (lane >= d) w += y;
    }
    if (lane < nwarps) warp_sums[lane] = w;
  }
  __syncthreads();
  const sb_u64 before = warp == 0 ? 0 : warp_sums[warp - 1];
  *total = warp_sums[nwarps - 1];
  __syncthreads();
  return before + x - v;
}

extern "C" __global__ void planted_scan_nosync_u64(const sb_u64* in, sb_u64* out, sb_u64* tile_sums, sb_u64 n) {
  const sb_u64 i = sb_gtid();
  sb_u64 total;
  const sb_u64 v = i < n ? in[i] : 0;
  const sb_u64 e = planted_block_scan_nosync(v, &total);
  if (i < n) out[i] = e;
  if (threadIdx.x == 0 && tile_sums != 0) tile_sums[blockIdx.x] = total;
}

// (b) the CUDA build takes a 64-bit count, the CPU build a 32-bit one: the emulator must refuse it.
#if defined(__CUDACC__)
typedef sb_u64 planted_count_t;
#else
typedef sb_u32 planted_count_t;
#endif
extern "C" __global__ void planted_sig(const sb_u64* in, sb_u64* out, planted_count_t n) {
  for (sb_u64 i = sb_gtid(); i < n; i += sb_gstride()) out[i] = in[i];
}
