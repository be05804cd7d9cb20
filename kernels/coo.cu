// Sorted COO -> CSR pointers (row boundaries, no atomics) and CSR -> COO (pointer expansion).
#if !defined(__CUDACC__)
#include "shim/cuda_cpu_shim.h"
#endif
#include "common.cuh"

// Any grid. rows: nnz sorted row indices; ptr: nrows + 1 u64 outputs. Position k in [0, nnz] writes
// ptr[r] = k for every r in (rows[k-1], rows[k]] (with rows[-1] = -1 and rows[nnz] = nrows), so each
// pointer is written exactly once. Out-of-range rows are clamped: never an out-of-bounds write.
#define SB_COO_PTR(S, I)                                                                              \
  extern "C" __global__ void coo_ptr_##S(const I* rows, sb_u64* ptr, sb_u64 nnz, sb_u64 nrows) {      \
    for (sb_u64 k = sb_gtid(); k <= nnz; k += sb_gstride()) {                                        \
      const sb_u64 lo = k == 0 ? 0 : sb_clamp(rows[k - 1], nrows) + 1;                               \
      const sb_u64 hi = k == nnz ? nrows : sb_clamp(rows[k], nrows);                                 \
      for (sb_u64 r = lo; r <= hi; ++r) ptr[r] = k;                                                  \
    }                                                                                                \
  }
SB_FOR_INDEX(SB_COO_PTR)

// Any grid; blockDim.x a multiple of 32. One warp per row (grid-stride over rows): rows[k] = r for k
// in [ptr[r], ptr[r+1]), coalesced. Pointers are clamped to nnz.
#define SB_CSR_EXPAND(S, I)                                                                            \
  extern "C" __global__ void csr_expand_##S(const sb_u64* ptr, I* rows, sb_u64 nrows, sb_u64 nnz) {    \
    const sb_u64 lane = threadIdx.x % 32;                                                             \
    for (sb_u64 r = sb_gtid() / 32; r < nrows; r += sb_gstride() / 32) {                              \
      const sb_u64 e = sb_min_u64(ptr[r + 1], nnz);                                                   \
      for (sb_u64 k = sb_min_u64(ptr[r], nnz) + lane; k < e; k += 32) rows[k] = (I)r;                 \
    }                                                                                                 \
  }
SB_FOR_INDEX(SB_CSR_EXPAND)
