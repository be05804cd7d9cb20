// Dense (row-major) <-> CSR. Values move as raw elements of 1, 2, 4, 8 or 16 bytes.
// Nonzero test: any bit set, ignoring float sign bits when comp_bytes is 2, 4 or 8 (so -0.0 is zero).
#if !defined(__CUDACC__)
#include "shim/cuda_cpu_shim.h"
#endif
#include "common.cuh"

// Any grid; blockDim.x a multiple of 32. One block per row (grid-stride over rows):
// counts[r] = number of nonzero elements of dense row r (row r starts at dense + r * ncols).
#define SB_DENSE_COUNT(S, W)                                                                         \
  extern "C" __global__ void dense_count_##S(const W* dense, sb_u64* counts, sb_u64 nrows,            \
                                             sb_u64 ncols, sb_u32 comp_bytes) {                      \
    const sb_u64 m = sb_sign_mask(sizeof(W), comp_bytes);                                           \
    for (sb_u64 r = blockIdx.x; r < nrows; r += gridDim.x) {                                        \
      sb_u64 c = 0;                                                                                 \
      for (sb_u64 j = threadIdx.x; j < ncols; j += blockDim.x) c += sb_nonzero(dense[r * ncols + j], m) ? 1 : 0; \
      sb_u64 total;                                                                                 \
      sb_block_exclusive_scan(c, &total);                                                           \
      if (threadIdx.x == 0) counts[r] = total;                                                      \
    }                                                                                               \
  }
SB_FOR_WIDTH(SB_DENSE_COUNT)

// Any grid; blockDim.x a multiple of 32. One block per row: the nonzeros of row r go, in column
// order, to cols/vals[ptr[r] ..] (ptr = exclusive scan of dense_count_*). Named
// dense_scatter_<index>_<width>.
#define SB_DENSE_SCATTER(S, I, WS, W)                                                                \
  extern "C" __global__ void dense_scatter_##S##_##WS(const W* dense, const sb_u64* ptr, I* cols,     \
                                                      W* vals, sb_u64 nrows, sb_u64 ncols,            \
                                                      sb_u32 comp_bytes) {                           \
    const sb_u64 m = sb_sign_mask(sizeof(W), comp_bytes);                                           \
    for (sb_u64 r = blockIdx.x; r < nrows; r += gridDim.x) {                                        \
      sb_u64 pos = ptr[r];                                                                          \
      for (sb_u64 j0 = 0; j0 < ncols; j0 += blockDim.x) {                                           \
        const sb_u64 j = j0 + threadIdx.x;                                                          \
        W v = W();                                                                                  \
        bool nz = false;                                                                            \
        if (j < ncols) {                                                                            \
          v = dense[r * ncols + j];                                                                 \
          nz = sb_nonzero(v, m);                                                                    \
        }                                                                                           \
        sb_u64 total;                                                                               \
        const sb_u64 at = pos + sb_block_exclusive_scan(nz ? 1 : 0, &total);                        \
        if (nz) {                                                                                   \
          cols[at] = (I)j;                                                                          \
          vals[at] = v;                                                                             \
        }                                                                                           \
        pos += total;                                                                               \
      }                                                                                             \
    }                                                                                               \
  }
#define SB_DENSE_SCATTER_I(S, I) SB_FOR_WIDTH_P(SB_DENSE_SCATTER, S, I)
SB_FOR_INDEX(SB_DENSE_SCATTER_I)

// Any grid; blockDim.x a multiple of 32. dense must be zero-filled first (memset). One warp per row:
// dense[r * ncols + cols[k]] = vals[k]; out-of-range columns are skipped. Named
// csr_to_dense_<index>_<width>.
#define SB_CSR_TO_DENSE(S, I, WS, W)                                                                 \
  extern "C" __global__ void csr_to_dense_##S##_##WS(const sb_u64* ptr, const I* cols, const W* vals, \
                                                     W* dense, sb_u64 nrows, sb_u64 ncols,            \
                                                     sb_u64 nnz) {                                   \
    const sb_u64 lane = threadIdx.x % 32;                                                           \
    for (sb_u64 r = sb_gtid() / 32; r < nrows; r += sb_gstride() / 32) {                            \
      const sb_u64 e = sb_min_u64(ptr[r + 1], nnz);                                                 \
      for (sb_u64 k = sb_min_u64(ptr[r], nnz) + lane; k < e; k += 32) {                             \
        const I c = cols[k];                                                                        \
        if (sb_in_bounds(c, ncols)) dense[r * ncols + (sb_u64)c] = vals[k];                         \
      }                                                                                             \
    }                                                                                               \
  }
#define SB_CSR_TO_DENSE_I(S, I) SB_FOR_WIDTH_P(SB_CSR_TO_DENSE, S, I)
SB_FOR_INDEX(SB_CSR_TO_DENSE_I)
