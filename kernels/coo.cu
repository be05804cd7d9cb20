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

// Any grid. ptr: n + 1 u64 pointers. mark[r] = 1 when segment r is not empty, else 0, for r < n;
// mark[n] = 0 (so that a scan of n + 1 marks ends with the count of non-empty segments).
extern "C" __global__ void mark_nonempty(const sb_u64* ptr, sb_u64* mark, sb_u64 n) {
  for (sb_u64 r = sb_gtid(); r <= n; r += sb_gstride()) mark[r] = (r < n && ptr[r + 1] > ptr[r]) ? 1 : 0;
}

// Any grid. CSR pointers -> DCSR: with mark_scan the exclusive scan of mark_nonempty (n + 1 entries,
// m = mark_scan[n]), every non-empty segment r writes ids[mark_scan[r]] = r and
// dptr[mark_scan[r]] = ptr[r]; dptr[m] = ptr[n] (m outputs in ids, m + 1 in dptr).
#define SB_COMPACT_NONEMPTY(S, I)                                                                     \
  extern "C" __global__ void compact_nonempty_##S(const sb_u64* ptr, const sb_u64* mark_scan, I* ids,  \
                                                  sb_u64* dptr, sb_u64 n) {                          \
    for (sb_u64 r = sb_gtid(); r <= n; r += sb_gstride()) {                                         \
      if (r == n) dptr[mark_scan[n]] = ptr[n];                                                      \
      else if (ptr[r + 1] > ptr[r]) {                                                               \
        ids[mark_scan[r]] = (I)r;                                                                   \
        dptr[mark_scan[r]] = ptr[r];                                                                \
      }                                                                                             \
    }                                                                                               \
  }
SB_FOR_INDEX(SB_COMPACT_NONEMPTY)
