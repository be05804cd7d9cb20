// TEST-ONLY kernels that exercise the shim's primitives the shipped kernels do not use (all shuffle
// flavours, every vote, partial warps, dynamic shared memory, atomics, early-exiting threads).
// Also compiled by NVRTC in `make kernels-check`, so they stay valid CUDA.
#if !defined(__CUDACC__)
#include "shim/cuda_cpu_shim.h"
#endif
#include "common.cuh"

// One output row of 8 values per thread: out[t*8 + j].
extern "C" __global__ void selftest_warp(const sb_u32* in, sb_u32* out) {
  const unsigned t = blockIdx.x * blockDim.x + threadIdx.x;
  const unsigned lane = threadIdx.x % 32;
  const sb_u32 v = in[t];
  sb_u32* o = out + (sb_u64)t * 8;
  o[0] = __shfl_sync(0xffffffffu, v, 3);        // lane 3's value (of this warp)
  o[1] = __shfl_up_sync(0xffffffffu, v, 2);     // lane-2's value, own for lanes 0,1
  o[2] = __shfl_down_sync(0xffffffffu, v, 5);   // lane+5's value, own past the warp end
  o[3] = __shfl_xor_sync(0xffffffffu, v, 1);    // the neighbour's value
  o[4] = __ballot_sync(0xffffffffu, v & 1u);    // odd values
  o[5] = (sb_u32)__any_sync(0xffffffffu, v == 7u);
  o[6] = (sb_u32)__all_sync(0xffffffffu, v < 1000u);
  o[7] = lane;
}

// Dynamic shared memory: block b writes its thread ids reversed through smem; slot `blockDim.x`
// (never written) reports the 0xCD poison byte.
extern "C" __global__ void selftest_dynamic_smem(sb_u32* out) {
  SB_DYNAMIC_SHARED(sb_u32, buf);
  const unsigned t = threadIdx.x, n = blockDim.x;
  buf[t] = t + 1000u * blockIdx.x;
  __syncthreads();
  out[blockIdx.x * (n + 1) + t] = buf[n - 1 - t];
  if (t == 0) out[blockIdx.x * (n + 1) + n] = reinterpret_cast<unsigned char*>(buf)[n * 4];
}

// Atomics, and threads that exit before a barrier (the rest must not deadlock).
extern "C" __global__ void selftest_atomics(sb_u64* acc64, sb_u32* acc32, float* accf, sb_u64* mn,
                                            sb_u64* mx, sb_u32* cas, sb_u32* exch) {
  const sb_u64 g = sb_gtid();
  atomicAdd(acc64, g);
  atomicAdd(acc32, 1u);
  atomicAdd(accf, 0.5f);
  atomicMin(mn, g + 10);
  atomicMax(mx, g + 10);
  atomicCAS(cas, 0u, (sb_u32)g + 1);  // exactly one thread wins
  atomicExch(exch, 7u);
  if (threadIdx.x % 3 == 0) return;   // exited threads leave the barrier
  __syncthreads();
  atomicAdd(acc32, 1000u);
}
