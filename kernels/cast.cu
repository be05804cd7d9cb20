// Index width casts with an overflow report.
#if !defined(__CUDACC__)
#include "shim/cuda_cpu_shim.h"
#endif
#include "common.cuh"

// True when v (of type S) is representable in D.
template <class S, class D>
SB_DEV bool sb_fits(S v) {
  if (sb_limits<S>::is_signed && (long long)v < 0) {
    return sb_limits<D>::is_signed && (long long)v >= sb_limits<D>::min_v;
  }
  return (sb_u64)v <= sb_limits<D>::max_v;
}

// Any grid. out[i] = in[i] converted to D; a value that does not fit writes 0 and lowers *first_bad
// (initialize it to SB_NONE = all ones) to i. Named cast_<from>_<to>.
#define SB_CAST(S, ST, D, DT)                                                                       \
  extern "C" __global__ void cast_##S##_##D(const ST* in, DT* out, sb_u64 n, sb_u64* first_bad) {    \
    for (sb_u64 i = sb_gtid(); i < n; i += sb_gstride()) {                                          \
      const ST v = in[i];                                                                           \
      if (sb_fits<ST, DT>(v)) {                                                                     \
        out[i] = (DT)v;                                                                             \
      } else {                                                                                      \
        out[i] = 0;                                                                                 \
        atomicMin(first_bad, i);                                                                    \
      }                                                                                             \
    }                                                                                               \
  }
#define SB_CAST_FROM(S, ST) SB_FOR_INDEX_P(SB_CAST, S, ST)
SB_FOR_INDEX(SB_CAST_FROM)
