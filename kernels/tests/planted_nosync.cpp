// Planted bug (a): scan with one __syncthreads removed. Under ThreadSanitizer this must report a data
// race (`make kernels-tsan` asserts it); the plain build reports whether the result came out wrong.
#include <cstdio>
#include <vector>

#include "planted_bugs.cu"

int main() {
  const unsigned block = 256;
  const sb_u64 n = block * 8;
  std::vector<sb_u64> in(n, 1), out(n, 0);
  int wrong = 0;
  for (int rep = 0; rep < 5; ++rep) {
    cudashim::launch(dim3(8), dim3(block), 0, planted_scan_nosync_u64, (const sb_u64*)in.data(), out.data(),
                     (sb_u64*)nullptr, n);
    for (sb_u64 i = 0; i < n; ++i)
      if (out[i] != i % block) {
        ++wrong;
        break;
      }
  }
  std::printf("planted_nosync: %d of 5 runs gave a wrong result\n", wrong);
  return 0;
}
