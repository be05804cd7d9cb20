// Exclusive prefix sums of u64 counts (multi-block: tiles, then a scan of the tile sums, then an add).
#if !defined(__CUDACC__)
#include "shim/cuda_cpu_shim.h"
#endif
#include "common.cuh"

// Exact grid: ceil(n / tile) blocks, tile = blockDim.x * SB_TILE_ITEMS; blockDim.x a multiple of 32.
// out[i] = sum of in[j] for j < i within i's tile; tile_sums[blockIdx.x] = the tile's total (when
// tile_sums is not NULL). `out` may equal `in`.
extern "C" __global__ void scan_tiles_u64(const sb_u64* in, sb_u64* out, sb_u64* tile_sums, sb_u64 n) {
  __shared__ sb_u64 s[SB_MAX_BLOCK * SB_TILE_ITEMS];
  const sb_u64 nb = blockDim.x, t = threadIdx.x;
  const sb_u64 base = (sb_u64)blockIdx.x * nb * SB_TILE_ITEMS;
  for (unsigned k = 0; k < SB_TILE_ITEMS; ++k) {
    const sb_u64 i = t + k * nb;
    s[i] = base + i < n ? in[base + i] : 0;  // coalesced load
  }
  __syncthreads();
  sb_u64 local[SB_TILE_ITEMS];
  sb_u64 sum = 0;
  for (unsigned k = 0; k < SB_TILE_ITEMS; ++k) {
    local[k] = s[t * SB_TILE_ITEMS + k];
    sum += local[k];
  }
  sb_u64 total;
  sb_u64 run = sb_block_exclusive_scan(sum, &total);
  for (unsigned k = 0; k < SB_TILE_ITEMS; ++k) {
    s[t * SB_TILE_ITEMS + k] = run;  // only this thread touches these slots
    run += local[k];
  }
  __syncthreads();
  for (unsigned k = 0; k < SB_TILE_ITEMS; ++k) {
    const sb_u64 i = t + k * nb;
    if (base + i < n) out[base + i] = s[i];  // coalesced store
  }
  if (t == 0 && tile_sums != 0) tile_sums[blockIdx.x] = total;
}

// Any grid (grid-stride). data[i] += tile_offsets[i / tile].
extern "C" __global__ void scan_add_u64(sb_u64* data, const sb_u64* tile_offsets, sb_u64 n, sb_u64 tile) {
  for (sb_u64 i = sb_gtid(); i < n; i += sb_gstride()) data[i] += tile_offsets[i / tile];
}

// Any grid. out[i] = local[i] + tile_offsets[i / tile] (tile_offsets may be NULL: nothing added),
// narrowed to the pointer type I; a value that does not fit writes 0 and lowers *first_bad to i.
#define SB_SCAN_ADD_TO(S, I)                                                                        \
  extern "C" __global__ void scan_add_to_##S(const sb_u64* local, const sb_u64* tile_offsets, I* out, \
                                             sb_u64 n, sb_u64 tile, sb_u64* first_bad) {             \
    for (sb_u64 i = sb_gtid(); i < n; i += sb_gstride()) {                                          \
      const sb_u64 v = local[i] + (tile_offsets != 0 ? tile_offsets[i / tile] : 0);                 \
      if (v <= sb_limits<I>::max_v) {                                                               \
        out[i] = (I)v;                                                                              \
      } else {                                                                                      \
        out[i] = 0;                                                                                 \
        atomicMin(first_bad, i);                                                                    \
      }                                                                                             \
    }                                                                                               \
  }
SB_FOR_INDEX(SB_SCAN_ADD_TO)
