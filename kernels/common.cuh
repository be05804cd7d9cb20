// Shared definitions for every kernel file. Self-contained: NVRTC sees no system headers.
// ABI and launch rules: kernels/README.md.
#pragma once
#if !defined(__CUDACC__)
#include "shim/cuda_cpu_shim.h"
#endif

typedef signed char sb_i8;
typedef short sb_i16;
typedef int sb_i32;
typedef long long sb_i64;
typedef unsigned char sb_u8;
typedef unsigned short sb_u16;
typedef unsigned int sb_u32;
typedef unsigned long long sb_u64;

// A 16-byte element (complex128) moved as two 8-byte words; needs only 8-byte alignment.
struct __align__(8) sb_b16 {
  sb_u64 lo, hi;
};
// Complex values for segmented sums.
struct __align__(8) sb_c64 {
  float re, im;
};
struct __align__(8) sb_c128 {
  double re, im;
};

#define SB_DEV static __device__ __forceinline__
#define SB_NONE (~0ull)  // "no failure" value of every first_bad output (memset 0xFF)

// Elements per thread in a scan tile and in a radix tile: tile = blockDim.x * SB_TILE_ITEMS.
#define SB_TILE_ITEMS 4
#define SB_MAX_BLOCK 1024
#define SB_RADIX_BITS 8
#define SB_RADIX 256

#if defined(__CUDACC__)
// Dynamic shared memory: `sharedMemBytes` of the launch.
#define SB_DYNAMIC_SHARED(T, name)                              \
  extern __shared__ __align__(16) unsigned char sb_dyn_smem_[]; \
  T* name = reinterpret_cast<T*>(sb_dyn_smem_)
#else
#define SB_DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(::cudashim::dynamic_shared())
#endif

// The index types every index kernel is stamped for: X(suffix, C type).
#define SB_FOR_INDEX(X) \
  X(i8, sb_i8) X(i16, sb_i16) X(i32, sb_i32) X(i64, sb_i64) X(u8, sb_u8) X(u16, sb_u16) X(u32, sb_u32) X(u64, sb_u64)
// The same list with two leading pass-through arguments (for pairs: the preprocessor forbids nesting
// a macro inside its own expansion).
#define SB_FOR_INDEX_P(X, a, b)                                                                     \
  X(a, b, i8, sb_i8) X(a, b, i16, sb_i16) X(a, b, i32, sb_i32) X(a, b, i64, sb_i64) X(a, b, u8, sb_u8) \
      X(a, b, u16, sb_u16) X(a, b, u32, sb_u32) X(a, b, u64, sb_u64)
// Element widths for byte-size value moves: X(suffix, word type).
#define SB_FOR_WIDTH(X) X(b1, sb_u8) X(b2, sb_u16) X(b4, sb_u32) X(b8, sb_u64) X(b16, sb_b16)
#define SB_FOR_WIDTH_P(X, a, b) \
  X(a, b, b1, sb_u8) X(a, b, b2, sb_u16) X(a, b, b4, sb_u32) X(a, b, b8, sb_u64) X(a, b, b16, sb_b16)

// Range of each index type, for casts and bounds checks.
template <class T>
struct sb_limits;
#define SB_LIMITS(T, SIGNED, MIN, MAX)                 \
  template <>                                          \
  struct sb_limits<T> {                                \
    static constexpr bool is_signed = SIGNED;          \
    static constexpr long long min_v = MIN;            \
    static constexpr unsigned long long max_v = MAX;   \
  };
SB_LIMITS(sb_i8, true, -128, 127ull)
SB_LIMITS(sb_i16, true, -32768, 32767ull)
SB_LIMITS(sb_i32, true, -2147483647ll - 1, 2147483647ull)
SB_LIMITS(sb_i64, true, -9223372036854775807ll - 1, 9223372036854775807ull)
SB_LIMITS(sb_u8, false, 0, 255ull)
SB_LIMITS(sb_u16, false, 0, 65535ull)
SB_LIMITS(sb_u32, false, 0, 4294967295ull)
SB_LIMITS(sb_u64, false, 0, 18446744073709551615ull)
#undef SB_LIMITS

SB_DEV sb_u64 sb_min_u64(sb_u64 a, sb_u64 b) { return a < b ? a : b; }

// Global thread id and grid-stride step, in 64 bits.
SB_DEV sb_u64 sb_gtid() { return (sb_u64)blockIdx.x * blockDim.x + threadIdx.x; }
SB_DEV sb_u64 sb_gstride() { return (sb_u64)gridDim.x * blockDim.x; }

// True when index `v` lies in [0, n).
template <class I>
SB_DEV bool sb_in_bounds(I v, sb_u64 n) {
  if (sb_limits<I>::is_signed && (long long)v < 0) return false;
  return (sb_u64)v < n;
}
// `v` clamped to [0, n], as u64 (negative values map to 0).
template <class I>
SB_DEV sb_u64 sb_clamp(I v, sb_u64 n) {
  if (sb_limits<I>::is_signed && (long long)v < 0) return 0;
  return sb_min_u64((sb_u64)v, n);
}
// Radix digit of an index key: the key's bits as an unsigned of the same width.
template <class I>
SB_DEV unsigned sb_digit(I v, unsigned shift) {
  sb_u64 bits;
  if (sizeof(I) == 1) bits = (sb_u8)v;
  else if (sizeof(I) == 2) bits = (sb_u16)v;
  else if (sizeof(I) == 4) bits = (sb_u32)v;
  else bits = (sb_u64)v;
  return shift >= 64 ? 0u : (unsigned)((bits >> shift) & (SB_RADIX - 1));
}

// Exclusive scan of one u64 per thread across the block; `*total` receives the block sum.
// Needs blockDim.x to be a multiple of 32 (at most 1024) and every thread of the block to call it.
// Ends with a barrier, so it may be called again right away.
SB_DEV sb_u64 sb_block_exclusive_scan(sb_u64 v, sb_u64* total) {
  __shared__ sb_u64 warp_sums[32];
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, nwarps = blockDim.x / 32;
  sb_u64 x = v;
  for (unsigned d = 1; d < 32; d <<= 1) {
    sb_u64 y = __shfl_up_sync(0xffffffffu, x, d);
    if (lane >= d) x += y;
  }
  if (lane == 31) warp_sums[warp] = x;
  __syncthreads();
  if (warp == 0) {
    sb_u64 w = lane < nwarps ? warp_sums[lane] : 0;
    for (unsigned d = 1; d < 32; d <<= 1) {
      sb_u64 y = __shfl_up_sync(0xffffffffu, w, d);
      if (lane >= d) w += y;
    }
    if (lane < nwarps) warp_sums[lane] = w;  // inclusive warp prefix
  }
  __syncthreads();
  const sb_u64 before = warp == 0 ? 0 : warp_sums[warp - 1];
  *total = warp_sums[nwarps - 1];
  __syncthreads();
  return before + x - v;
}

// Nonzero test of an element's bits. `comp_bytes` (0, 2, 4 or 8) names a float component size
// whose sign bits are ignored, so that -0.0 counts as zero; 0 tests all bits.
SB_DEV sb_u64 sb_sign_mask(unsigned width, unsigned comp_bytes) {
  sb_u64 m = ~0ull;
  if (comp_bytes == 2 || comp_bytes == 4 || comp_bytes == 8) {
    unsigned w = width < 8 ? width : 8;
    for (unsigned o = comp_bytes; o <= w; o += comp_bytes) m &= ~(1ull << (8 * o - 1));
  }
  return m;
}
SB_DEV bool sb_nonzero(sb_u8 v, sb_u64 m) { return ((sb_u64)v & m) != 0; }
SB_DEV bool sb_nonzero(sb_u16 v, sb_u64 m) { return ((sb_u64)v & m) != 0; }
SB_DEV bool sb_nonzero(sb_u32 v, sb_u64 m) { return ((sb_u64)v & m) != 0; }
SB_DEV bool sb_nonzero(sb_u64 v, sb_u64 m) { return (v & m) != 0; }
SB_DEV bool sb_nonzero(sb_b16 v, sb_u64 m) { return ((v.lo & m) | (v.hi & m)) != 0; }
