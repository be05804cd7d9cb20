// Host-side multi-kernel sequences over the CPU shim (the same order the Rust CUDA path launches them,
// kernels/README.md), for the C++ test drivers.
#pragma once
#include <cstdint>
#include <vector>

#include "../shim/cuda_cpu_shim.h"

extern "C" {
void scan_tiles_u64(const sb_u64*, sb_u64*, sb_u64*, sb_u64);
void scan_add_u64(sb_u64*, const sb_u64*, sb_u64, sb_u64);
}

namespace host {

inline sb_u64 ceil_div(sb_u64 a, sb_u64 b) { return (a + b - 1) / b; }

/// Exclusive scan of `n` u64 values (in place allowed) with blocks of `block` threads.
/// `short_grid` plants bug (c): the first-level grid is one block short.
inline bool scan_u64(const sb_u64* in, sb_u64* out, sb_u64 n, unsigned block, bool short_grid = false) {
  if (n == 0) return true;
  const sb_u64 tile = (sb_u64)block * SB_TILE_ITEMS;
  const sb_u64 g = ceil_div(n, tile);
  if (g == 1) return cudashim::launch(dim3(1), dim3(block), 0, scan_tiles_u64, in, out, (sb_u64*)nullptr, n) == 0;
  std::vector<sb_u64> sums(g);
  unsigned launched = (unsigned)(short_grid ? g - 1 : g);
  if (cudashim::launch(dim3(launched), dim3(block), 0, scan_tiles_u64, in, out, sums.data(), n) != 0) return false;
  if (!scan_u64(sums.data(), sums.data(), g, block)) return false;
  return cudashim::launch(dim3(7), dim3(block), 0, scan_add_u64, out, (const sb_u64*)sums.data(), n, tile) == 0;
}

}  // namespace host
