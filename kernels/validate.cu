// Structural validation; each kernel lowers *first_bad (initialize to SB_NONE) to the first failing
// position it sees, so the minimum over the grid is the first failure.
#if !defined(__CUDACC__)
#include "shim/cuda_cpu_shim.h"
#endif
#include "common.cuh"

// Any grid. Checks ptr[0] == 0, ptr[i-1] <= ptr[i], ptr[i] <= nnz and ptr[nrows] == nnz; failing
// position = pointer index i in [0, nrows].
extern "C" __global__ void validate_ptr(const sb_u64* ptr, sb_u64 nrows, sb_u64 nnz, sb_u64* first_bad) {
  for (sb_u64 i = sb_gtid(); i <= nrows; i += sb_gstride()) {
    const sb_u64 p = ptr[i];
    bool bad = p > nnz || (i == 0 && p != 0) || (i == nrows && p != nnz) || (i > 0 && ptr[i - 1] > p);
    if (bad) atomicMin(first_bad, i);
  }
}

// Any grid; blockDim.x a multiple of 32. ptr must have passed validate_ptr. One warp per row: every
// idx[k] lies in [0, ncols) and, inside a row, idx[k-1] < idx[k] (strict != 0) or <= (strict == 0).
// Failing position = nonzero index k.
#define SB_VALIDATE_CSR(S, I)                                                                        \
  extern "C" __global__ void validate_csr_##S(const sb_u64* ptr, const I* idx, sb_u64 nrows,          \
                                              sb_u64 ncols, sb_u64 nnz, sb_u32 strict,                \
                                              sb_u64* first_bad) {                                    \
    const sb_u64 lane = threadIdx.x % 32;                                                           \
    for (sb_u64 r = sb_gtid() / 32; r < nrows; r += sb_gstride() / 32) {                            \
      const sb_u64 s = sb_min_u64(ptr[r], nnz), e = sb_min_u64(ptr[r + 1], nnz);                    \
      for (sb_u64 k = s + lane; k < e; k += 32) {                                                   \
        const I v = idx[k];                                                                         \
        bool bad = !sb_in_bounds(v, ncols);                                                         \
        if (k > s) bad = bad || (strict ? !(idx[k - 1] < v) : !(idx[k - 1] <= v));                  \
        if (bad) atomicMin(first_bad, k);                                                           \
      }                                                                                             \
    }                                                                                               \
  }
SB_FOR_INDEX(SB_VALIDATE_CSR)

// Any grid. COO (rows may be NULL for a vector, then nrows is ignored): bounds, and (rows, cols)
// lexicographically increasing, strictly when strict != 0. Failing position = entry index k.
#define SB_VALIDATE_COO(S, I)                                                                        \
  extern "C" __global__ void validate_coo_##S(const I* rows, const I* cols, sb_u64 n, sb_u64 nrows,   \
                                              sb_u64 ncols, sb_u32 strict, sb_u64* first_bad) {      \
    for (sb_u64 k = sb_gtid(); k < n; k += sb_gstride()) {                                          \
      const I c = cols[k];                                                                          \
      const I r = rows != 0 ? rows[k] : (I)0;                                                       \
      bool bad = !sb_in_bounds(c, ncols) || (rows != 0 && !sb_in_bounds(r, nrows));                 \
      if (k > 0) {                                                                                  \
        const I pc = cols[k - 1];                                                                   \
        const I pr = rows != 0 ? rows[k - 1] : (I)0;                                                \
        const bool less = pr < r || (pr == r && pc < c);                                            \
        const bool equal = pr == r && pc == c;                                                      \
        bad = bad || !(less || (!strict && equal));                                                 \
      }                                                                                             \
      if (bad) atomicMin(first_bad, k);                                                             \
    }                                                                                               \
  }
SB_FOR_INDEX(SB_VALIDATE_COO)
