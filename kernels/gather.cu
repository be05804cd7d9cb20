// Byte-size value moves by a u64 permutation, one value broadcast, and the identity permutation.
#if !defined(__CUDACC__)
#include "shim/cuda_cpu_shim.h"
#endif
#include "common.cuh"

// Any grid. dst[i] = src[perm[i]] for i < n; a perm entry >= src_len leaves dst[i] unwritten.
#define SB_GATHER(S, W)                                                                             \
  extern "C" __global__ void gather_##S(const W* src, const sb_u64* perm, W* dst, sb_u64 n,          \
                                        sb_u64 src_len) {                                           \
    for (sb_u64 i = sb_gtid(); i < n; i += sb_gstride()) {                                          \
      const sb_u64 p = perm[i];                                                                     \
      if (p < src_len) dst[i] = src[p];                                                             \
    }                                                                                               \
  }
SB_FOR_WIDTH(SB_GATHER)

// Any grid. dst[perm[i]] = src[i] for i < n; a perm entry >= dst_len is skipped.
#define SB_SCATTER(S, W)                                                                            \
  extern "C" __global__ void scatter_##S(const W* src, const sb_u64* perm, W* dst, sb_u64 n,         \
                                         sb_u64 dst_len) {                                          \
    for (sb_u64 i = sb_gtid(); i < n; i += sb_gstride()) {                                          \
      const sb_u64 p = perm[i];                                                                     \
      if (p < dst_len) dst[p] = src[i];                                                             \
    }                                                                                               \
  }
SB_FOR_WIDTH(SB_SCATTER)

// Any grid. dst[i] = src[0] for i < n (a fill value, or an iso value expanded).
#define SB_BROADCAST(S, W)                                                                          \
  extern "C" __global__ void broadcast_##S(const W* src, W* dst, sb_u64 n) {                        \
    const W v = src[0];                                                                             \
    for (sb_u64 i = sb_gtid(); i < n; i += sb_gstride()) dst[i] = v;                                \
  }
SB_FOR_WIDTH(SB_BROADCAST)

// Any grid. out[i] = i.
extern "C" __global__ void iota_u64(sb_u64* out, sb_u64 n) {
  for (sb_u64 i = sb_gtid(); i < n; i += sb_gstride()) out[i] = i;
}
