// Canonicalization after a radix sort: segment heads, segment starts, segmented sums of duplicates.
#if !defined(__CUDACC__)
#include "shim/cuda_cpu_shim.h"
#endif
#include "common.cuh"

// Any grid. For sorted (rows, cols) of length n: head[k] = 1 when k == 0 or (rows[k], cols[k]) differs
// from entry k-1, else 0; head[n] = 0 (so that a scan of n + 1 heads ends with the segment count).
// rows may be NULL (vectors).
#define SB_MARK_HEADS(S, I)                                                                          \
  extern "C" __global__ void mark_heads_##S(const I* rows, const I* cols, sb_u64* head, sb_u64 n) {   \
    for (sb_u64 k = sb_gtid(); k <= n; k += sb_gstride()) {                                         \
      sb_u64 h = 0;                                                                                 \
      if (k == 0) h = n > 0 ? 1 : 0;                                                                \
      else if (k < n)                                                                               \
        h = (cols[k] != cols[k - 1] || (rows != 0 && rows[k] != rows[k - 1])) ? 1 : 0;               \
      head[k] = h;                                                                                  \
    }                                                                                               \
  }
SB_FOR_INDEX(SB_MARK_HEADS)

// Any grid. head_scan = exclusive scan of head (n + 1 entries; head_scan[n] = segment count m).
// starts[head_scan[k]] = k for every head k, and starts[m] = n (m + 1 outputs).
extern "C" __global__ void heads_to_starts(const sb_u64* head, const sb_u64* head_scan, sb_u64* starts,
                                           sb_u64 n) {
  for (sb_u64 k = sb_gtid(); k <= n; k += sb_gstride()) {
    if (k == n) starts[head_scan[n]] = n;
    else if (head[k] != 0) starts[head_scan[k]] = k;
  }
}

SB_DEV float sb_add(float a, float b) { return a + b; }
SB_DEV double sb_add(double a, double b) { return a + b; }
SB_DEV sb_c64 sb_add(sb_c64 a, sb_c64 b) { return sb_c64{a.re + b.re, a.im + b.im}; }
SB_DEV sb_c128 sb_add(sb_c128 a, sb_c128 b) { return sb_c128{a.re + b.re, a.im + b.im}; }
template <class T>
SB_DEV T sb_add(T a, T b) { return (T)(a + b); }  // integers: wrap-around of the value type
SB_DEV sb_u8 sb_or(sb_u8 a, sb_u8 b) { return (sb_u8)((a | b) != 0 ? 1 : 0); }

// Any grid. out[s] = sum of vals[starts[s] .. starts[s+1]) for s < m (serial per segment: made for
// few, short duplicate runs). Named segsum_<value dtype>; bint8 sums are a logical OR.
#define SB_SEGSUM(S, V, OP)                                                                          \
  extern "C" __global__ void segsum_##S(const V* vals, const sb_u64* starts, V* out, sb_u64 m) {      \
    for (sb_u64 s = sb_gtid(); s < m; s += sb_gstride()) {                                          \
      const sb_u64 e = starts[s + 1];                                                               \
      V acc = vals[starts[s]];                                                                      \
      for (sb_u64 k = starts[s] + 1; k < e; ++k) acc = OP(acc, vals[k]);                            \
      out[s] = acc;                                                                                 \
    }                                                                                               \
  }
SB_SEGSUM(f32, float, sb_add)
SB_SEGSUM(f64, double, sb_add)
SB_SEGSUM(c64, sb_c64, sb_add)
SB_SEGSUM(c128, sb_c128, sb_add)
SB_SEGSUM(i8, sb_i8, sb_add)
SB_SEGSUM(i16, sb_i16, sb_add)
SB_SEGSUM(i32, sb_i32, sb_add)
SB_SEGSUM(i64, sb_i64, sb_add)
SB_SEGSUM(u8, sb_u8, sb_add)
SB_SEGSUM(u16, sb_u16, sb_add)
SB_SEGSUM(u32, sb_u32, sb_add)
SB_SEGSUM(u64, sb_u64, sb_add)
SB_SEGSUM(bint8, sb_u8, sb_or)
