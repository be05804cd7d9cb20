// One stable LSD radix pass (8-bit digit) over index keys, carrying a u64 permutation.
// A full sort runs histogram -> scan -> scatter once per digit, least significant first
// (README.md, "Radix sort"). Stability: tiles are ranked in tile order by the digit-major scan of the
// per-tile histograms, and inside a tile elements are ranked in index order (chunk by chunk, warp by
// warp, lane by lane, with a ballot-based multi-split), so equal digits keep their input order.
#if !defined(__CUDACC__)
#include "shim/cuda_cpu_shim.h"
#endif
#include "common.cuh"

// Exact grid: G = ceil(n / tile) blocks, tile = blockDim.x * SB_TILE_ITEMS, blockDim.x a multiple of
// 32. tile_hist[d * G + b] = number of keys of tile b whose digit (key >> shift) & 255 equals d.
#define SB_RADIX_HIST(S, I)                                                                           \
  extern "C" __global__ void radix_hist_##S(const I* keys, sb_u64* tile_hist, sb_u64 n, sb_u32 shift) { \
    __shared__ sb_u32 h[SB_RADIX];                                                                    \
    for (unsigned d = threadIdx.x; d < SB_RADIX; d += blockDim.x) h[d] = 0;                          \
    __syncthreads();                                                                                  \
    const sb_u64 base = (sb_u64)blockIdx.x * blockDim.x * SB_TILE_ITEMS;                              \
    for (unsigned k = 0; k < SB_TILE_ITEMS; ++k) {                                                    \
      const sb_u64 i = base + (sb_u64)k * blockDim.x + threadIdx.x;                                   \
      if (i < n) atomicAdd(&h[sb_digit(keys[i], shift)], 1u);                                         \
    }                                                                                                 \
    __syncthreads();                                                                                  \
    for (unsigned d = threadIdx.x; d < SB_RADIX; d += blockDim.x)                                    \
      tile_hist[(sb_u64)d * gridDim.x + blockIdx.x] = h[d];                                           \
  }
SB_FOR_INDEX(SB_RADIX_HIST)

// Same exact grid and block as radix_hist_*. offsets = exclusive scan of tile_hist (length
// 256 * G): the first output slot of digit d in tile b. Writes keys_out[pos] = keys_in[i] and
// perm_out[pos] = perm_in[i] (or i when perm_in is NULL), pos being i's stable rank.
template <class I>
SB_DEV void sb_radix_scatter(const I* keys_in, const sb_u64* perm_in, I* keys_out, sb_u64* perm_out,
                             const sb_u64* offsets, sb_u64 n, sb_u32 shift) {
  __shared__ sb_u64 run[SB_RADIX];
  __shared__ sb_u32 wc[SB_MAX_BLOCK / 32][SB_RADIX];
  const unsigned t = threadIdx.x, lane = t % 32, warp = t / 32, nwarps = blockDim.x / 32;
  for (unsigned d = t; d < SB_RADIX; d += blockDim.x) run[d] = offsets[(sb_u64)d * gridDim.x + blockIdx.x];
  const sb_u64 base = (sb_u64)blockIdx.x * blockDim.x * SB_TILE_ITEMS;
  for (unsigned c = 0; c < SB_TILE_ITEMS; ++c) {
    for (unsigned j = t; j < nwarps * SB_RADIX; j += blockDim.x) wc[j / SB_RADIX][j % SB_RADIX] = 0;
    __syncthreads();
    const sb_u64 i = base + (sb_u64)c * blockDim.x + t;
    const bool valid = i < n;
    I key = 0;
    unsigned digit = 0;
    if (valid) {
      key = keys_in[i];
      digit = sb_digit(key, shift);
    }
    // Multi-split: peers = the valid lanes of this warp with the same digit.
    unsigned peers = __ballot_sync(0xffffffffu, valid);
    for (unsigned b = 0; b < SB_RADIX_BITS; ++b) {
      const bool bit = (digit >> b) & 1u;
      const unsigned bal = __ballot_sync(0xffffffffu, valid && bit);
      peers &= bit ? bal : ~bal;
    }
    const unsigned lower = peers & ((1u << lane) - 1u);
    if (valid && lower == 0) wc[warp][digit] = (sb_u32)__popc(peers);  // one leader per digit
    __syncthreads();
    if (valid) {
      sb_u64 pos = run[digit] + (sb_u64)__popc(lower);
      for (unsigned w = 0; w < warp; ++w) pos += wc[w][digit];
      keys_out[pos] = key;
      perm_out[pos] = perm_in != 0 ? perm_in[i] : i;
    }
    __syncthreads();
    for (unsigned d = t; d < SB_RADIX; d += blockDim.x) {
      sb_u64 s = 0;
      for (unsigned w = 0; w < nwarps; ++w) s += wc[w][d];
      run[d] += s;
    }
    __syncthreads();
  }
}
#define SB_RADIX_SCATTER(S, I)                                                                       \
  extern "C" __global__ void radix_scatter_##S(const I* keys_in, const sb_u64* perm_in, I* keys_out,   \
                                               sb_u64* perm_out, const sb_u64* offsets, sb_u64 n,      \
                                               sb_u32 shift) {                                        \
    sb_radix_scatter<I>(keys_in, perm_in, keys_out, perm_out, offsets, n, shift);                     \
  }
SB_FOR_INDEX(SB_RADIX_SCATTER)
