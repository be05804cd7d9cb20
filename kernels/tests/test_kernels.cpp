// C++ driver for the kernels under the CPU shim (`make kernels-test`, and `make kernels-tsan` with
// -fsanitize=thread). Each check compares a kernel sequence with a plain serial reference written here.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "../canon.cu"
#include "../cast.cu"
#include "../coo.cu"
#include "../dense.cu"
#include "../gather.cu"
#include "../scan.cu"
#include "../sort.cu"
#include "../validate.cu"
#include "host.hpp"
#include "shim_selftest.cu"

using cudashim::launch;
static int g_failures = 0, g_checks = 0;
#define CHECK(cond, ...)                                      \
  do {                                                        \
    ++g_checks;                                               \
    if (!(cond)) {                                            \
      ++g_failures;                                           \
      std::fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      std::fprintf(stderr, __VA_ARGS__);                      \
      std::fprintf(stderr, "\n");                             \
    }                                                         \
  } while (0)

static std::mt19937_64 rng(12345);

static std::vector<sb_u64> ref_exclusive(const std::vector<sb_u64>& v) {
  std::vector<sb_u64> out(v.size());
  sb_u64 s = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    out[i] = s;
    s += v[i];
  }
  return out;
}

static void test_scan() {
  for (unsigned block : {32u, 64u, 256u}) {
    for (sb_u64 n : {1ull, 31ull, 129ull, 1000ull, 4097ull, 20000ull}) {
      std::vector<sb_u64> in(n), out(n, 0xdead);
      for (auto& x : in) x = rng() % 1000;
      CHECK(host::scan_u64(in.data(), out.data(), n, block), "scan launch");
      CHECK(out == ref_exclusive(in), "scan n=%llu block=%u", n, block);
    }
  }
}

// Planted bug (c): a grid one block short must give a wrong result.
static void test_planted_short_grid() {
  const sb_u64 n = 1000;
  std::vector<sb_u64> in(n, 1), out(n, 0);
  host::scan_u64(in.data(), out.data(), n, 64, /*short_grid=*/true);
  CHECK(out != ref_exclusive(in), "planted bug (c): a grid one block short went unnoticed");
}

static void test_scan_add_to() {
  const sb_u64 n = 300;
  std::vector<sb_u64> local(n);
  for (sb_u64 i = 0; i < n; ++i) local[i] = i * 1000;  // exceeds i16 from i = 33
  std::vector<sb_i16> out(n);
  sb_u64 first_bad = SB_NONE;
  launch(dim3(3), dim3(64), 0, scan_add_to_i16, local.data(), (const sb_u64*)nullptr, out.data(), n, n, &first_bad);
  CHECK(first_bad == 33, "scan_add_to_i16 first_bad=%llu", first_bad);
  CHECK(out[32] == 32000, "scan_add_to_i16 value");
}

static void test_coo_ptr_expand() {
  for (unsigned block : {32u, 128u}) {
    for (sb_u64 nrows : {1ull, 7ull, 500ull}) {
      const sb_u64 nnz = rng() % 3000;
      std::vector<sb_i32> rows(nnz);
      for (auto& r : rows) r = (sb_i32)(rng() % nrows);
      std::sort(rows.begin(), rows.end());
      std::vector<sb_u64> ptr(nrows + 1, 77), ref(nrows + 1, 0);
      for (auto r : rows) ref[r + 1]++;
      for (sb_u64 i = 0; i < nrows; ++i) ref[i + 1] += ref[i];
      launch(dim3(3), dim3(block), 0, coo_ptr_i32, (const sb_i32*)rows.data(), ptr.data(), nnz, nrows);
      CHECK(ptr == ref, "coo_ptr_i32 nrows=%llu nnz=%llu block=%u", nrows, nnz, block);
      std::vector<sb_i32> back(nnz, -1);
      launch(dim3(2), dim3(block), 0, csr_expand_i32, (const sb_u64*)ptr.data(), back.data(), nrows, nnz);
      CHECK(back == rows, "csr_expand_i32 nrows=%llu", nrows);
    }
  }
}

// Stable radix sort of u32 keys by `bits` bits, carrying the permutation (histogram -> scan -> scatter).
static std::vector<sb_u64> radix_perm(const std::vector<sb_u32>& keys, unsigned bits, unsigned block) {
  const sb_u64 n = keys.size();
  std::vector<sb_u32> ka = keys, kb(n);
  std::vector<sb_u64> pa(n), pb(n);
  const sb_u64 g = host::ceil_div(n, (sb_u64)block * SB_TILE_ITEMS);
  std::vector<sb_u64> hist(g * SB_RADIX);
  bool first = true;
  for (unsigned shift = 0; shift < bits; shift += SB_RADIX_BITS) {
    launch(dim3((unsigned)g), dim3(block), 0, radix_hist_u32, (const sb_u32*)ka.data(), hist.data(), n, shift);
    host::scan_u64(hist.data(), hist.data(), hist.size(), block);
    launch(dim3((unsigned)g), dim3(block), 0, radix_scatter_u32, (const sb_u32*)ka.data(),
           first ? (const sb_u64*)nullptr : (const sb_u64*)pa.data(), kb.data(), pb.data(),
           (const sb_u64*)hist.data(), n, shift);
    std::swap(ka, kb);
    std::swap(pa, pb);
    first = false;
  }
  return pa;
}

static void test_radix() {
  for (unsigned block : {32u, 96u, 256u}) {
    for (sb_u64 n : {1ull, 100ull, 1025ull, 5000ull}) {
      for (unsigned bits : {8u, 16u}) {
        std::vector<sb_u32> keys(n);
        for (auto& k : keys) k = (sb_u32)(rng() % (bits == 8 ? 50 : 3000));
        std::vector<sb_u64> ref(n);
        std::iota(ref.begin(), ref.end(), 0);
        std::stable_sort(ref.begin(), ref.end(), [&](sb_u64 a, sb_u64 b) { return keys[a] < keys[b]; });
        CHECK(radix_perm(keys, bits, block) == ref, "radix n=%llu bits=%u block=%u", n, bits, block);
      }
    }
  }
}

static void test_canonicalize() {
  const sb_u64 n = 2000, nrows = 40, ncols = 30;
  std::vector<sb_u32> r(n), c(n);
  std::vector<double> v(n);
  std::map<std::pair<sb_u32, sb_u32>, double> ref;
  for (sb_u64 k = 0; k < n; ++k) {
    r[k] = (sb_u32)(rng() % nrows);
    c[k] = (sb_u32)(rng() % ncols);
    v[k] = (double)(rng() % 100);
    ref[{r[k], c[k]}] += v[k];
  }
  // LSD over (row, col): sort by col, then stably by row (rows gathered through the permutation).
  std::vector<sb_u64> p1 = radix_perm(c, 8, 64);
  std::vector<sb_u32> r1(n);
  launch(dim3(2), dim3(64), 0, gather_b4, (const sb_u32*)r.data(), (const sb_u64*)p1.data(), r1.data(), n, n);
  std::vector<sb_u64> p2 = radix_perm(r1, 8, 64), perm(n);
  launch(dim3(2), dim3(64), 0, gather_b8, (const sb_u64*)p1.data(), (const sb_u64*)p2.data(), perm.data(), n, n);
  std::vector<sb_u32> rs(n), cs(n);
  std::vector<double> vs(n);
  launch(dim3(2), dim3(64), 0, gather_b4, (const sb_u32*)r.data(), (const sb_u64*)perm.data(), rs.data(), n, n);
  launch(dim3(2), dim3(64), 0, gather_b4, (const sb_u32*)c.data(), (const sb_u64*)perm.data(), cs.data(), n, n);
  launch(dim3(2), dim3(64), 0, gather_b8, (const sb_u64*)(const void*)v.data(), (const sb_u64*)perm.data(),
         (sb_u64*)(void*)vs.data(), n, n);
  std::vector<sb_u64> head(n + 1), hs(n + 1);
  launch(dim3(2), dim3(64), 0, mark_heads_u32, (const sb_u32*)rs.data(), (const sb_u32*)cs.data(), head.data(), n);
  host::scan_u64(head.data(), hs.data(), n + 1, 64);
  const sb_u64 m = hs[n];
  CHECK(m == ref.size(), "canonicalize segments %llu vs %zu", m, ref.size());
  std::vector<sb_u64> starts(m + 1);
  launch(dim3(2), dim3(64), 0, heads_to_starts, (const sb_u64*)head.data(), (const sb_u64*)hs.data(), starts.data(), n);
  std::vector<sb_u32> ro(m), co(m);
  std::vector<double> vo(m);
  launch(dim3(2), dim3(64), 0, gather_b4, (const sb_u32*)rs.data(), (const sb_u64*)starts.data(), ro.data(), m, n);
  launch(dim3(2), dim3(64), 0, gather_b4, (const sb_u32*)cs.data(), (const sb_u64*)starts.data(), co.data(), m, n);
  launch(dim3(2), dim3(64), 0, segsum_f64, (const double*)vs.data(), (const sb_u64*)starts.data(), vo.data(), m);
  sb_u64 k = 0;
  bool same = true;
  for (const auto& [key, val] : ref) {
    same = same && k < m && ro[k] == key.first && co[k] == key.second && vo[k] == val;
    ++k;
  }
  CHECK(same, "canonicalize result differs from the std::map reference");
}

static void test_cast_validate() {
  std::vector<sb_i64> in = {0, 5, -1, 127, 128, -128};
  std::vector<sb_i8> out(in.size());
  sb_u64 bad = SB_NONE;
  launch(dim3(1), dim3(32), 0, cast_i64_i8, (const sb_i64*)in.data(), out.data(), (sb_u64)in.size(), &bad);
  CHECK(bad == 4, "cast_i64_i8 first_bad=%llu", bad);
  std::vector<sb_u8> out2(in.size());
  bad = SB_NONE;
  launch(dim3(1), dim3(32), 0, cast_i64_u8, (const sb_i64*)in.data(), out2.data(), (sb_u64)in.size(), &bad);
  CHECK(bad == 2, "cast_i64_u8 first_bad=%llu", bad);

  std::vector<sb_u64> ptr = {0, 2, 2, 5};
  bad = SB_NONE;
  launch(dim3(1), dim3(32), 0, validate_ptr, (const sb_u64*)ptr.data(), (sb_u64)3, (sb_u64)5, &bad);
  CHECK(bad == SB_NONE, "validate_ptr valid");
  ptr[2] = 1;
  bad = SB_NONE;
  launch(dim3(1), dim3(32), 0, validate_ptr, (const sb_u64*)ptr.data(), (sb_u64)3, (sb_u64)5, &bad);
  CHECK(bad == 2, "validate_ptr first_bad=%llu", bad);
  ptr[2] = 2;
  std::vector<sb_i32> idx = {0, 3, 1, 2, 2};
  bad = SB_NONE;
  launch(dim3(1), dim3(64), 0, validate_csr_i32, (const sb_u64*)ptr.data(), (const sb_i32*)idx.data(), (sb_u64)3,
         (sb_u64)4, (sb_u64)5, (sb_u32)1, &bad);
  CHECK(bad == 4, "validate_csr strict first_bad=%llu", bad);
  bad = SB_NONE;
  launch(dim3(1), dim3(64), 0, validate_csr_i32, (const sb_u64*)ptr.data(), (const sb_i32*)idx.data(), (sb_u64)3,
         (sb_u64)4, (sb_u64)5, (sb_u32)0, &bad);
  CHECK(bad == SB_NONE, "validate_csr non-strict first_bad=%llu", bad);
  std::vector<sb_i32> rows = {0, 0, 1, 1, 1}, cols = {1, 3, 0, 2, -1};
  bad = SB_NONE;
  launch(dim3(1), dim3(32), 0, validate_coo_i32, (const sb_i32*)rows.data(), (const sb_i32*)cols.data(), (sb_u64)5,
         (sb_u64)2, (sb_u64)4, (sb_u32)1, &bad);
  CHECK(bad == 4, "validate_coo first_bad=%llu", bad);
}

static void test_dense() {
  for (unsigned block : {32u, 64u}) {
    const sb_u64 nrows = 9, ncols = 77;
    std::vector<float> d(nrows * ncols, 0.0f);
    for (auto& x : d) {
      sb_u64 u = rng() % 10;
      x = u < 3 ? (float)u + 0.5f : (u == 3 ? -0.0f : 0.0f);
    }
    std::vector<sb_u64> counts(nrows + 1, 0), ptr(nrows + 1);
    launch(dim3(4), dim3(block), 0, dense_count_b4, (const sb_u32*)(const void*)d.data(), counts.data(), nrows,
           ncols, (sb_u32)4);
    counts[nrows] = 0;
    host::scan_u64(counts.data(), ptr.data(), nrows + 1, block);
    std::vector<sb_i64> rc;
    std::vector<float> rv;
    std::vector<sb_u64> rp(1, 0);
    for (sb_u64 i = 0; i < nrows; ++i) {
      for (sb_u64 j = 0; j < ncols; ++j)
        if (d[i * ncols + j] != 0.0f) {
          rc.push_back((sb_i64)j);
          rv.push_back(d[i * ncols + j]);
        }
      rp.push_back(rc.size());
    }
    CHECK(ptr == rp, "dense_count_b4 + scan block=%u", block);
    const sb_u64 nnz = ptr[nrows];
    std::vector<sb_i64> cols(nnz);
    std::vector<float> vals(nnz);
    launch(dim3(3), dim3(block), 0, dense_scatter_i64_b4, (const sb_u32*)(const void*)d.data(),
           (const sb_u64*)ptr.data(), cols.data(), (sb_u32*)(void*)vals.data(), nrows, ncols, (sb_u32)4);
    CHECK(cols == rc && vals == rv, "dense_scatter_i64_b4 block=%u", block);
    std::vector<float> back(nrows * ncols, 0.0f);
    launch(dim3(2), dim3(block), 0, csr_to_dense_i64_b4, (const sb_u64*)ptr.data(), (const sb_i64*)cols.data(),
           (const sb_u32*)(const void*)vals.data(), (sb_u32*)(void*)back.data(), nrows, ncols, nnz);
    bool same = true;
    for (sb_u64 i = 0; i < d.size(); ++i) same = same && (back[i] == d[i]);  // -0.0 == 0.0
    CHECK(same, "csr_to_dense_i64_b4 block=%u", block);
  }
}

static void test_gather_scatter_b16() {
  const sb_u64 n = 333;
  std::vector<sb_b16> src(n), g(n), s(n);
  std::vector<sb_u64> perm(n);
  for (sb_u64 i = 0; i < n; ++i) {
    src[i] = sb_b16{i, ~i};
    perm[i] = (i * 7) % n;
  }
  launch(dim3(2), dim3(32), 0, gather_b16, (const sb_b16*)src.data(), (const sb_u64*)perm.data(), g.data(), n, n);
  launch(dim3(2), dim3(32), 0, scatter_b16, (const sb_b16*)g.data(), (const sb_u64*)perm.data(), s.data(), n, n);
  bool ok = true;
  for (sb_u64 i = 0; i < n; ++i) ok = ok && g[i].lo == perm[i] && g[i].hi == ~perm[i] && s[i].lo == i;
  CHECK(ok, "gather_b16 / scatter_b16");
}

// CSR pointers -> DCSR (mark_nonempty, scan, compact_nonempty) against a serial reference, and
// broadcast_b8 (fill and iso expansion).
static void test_nonempty_broadcast() {
  for (unsigned block : {32u, 64u}) {
    const sb_u64 n = 301;
    std::vector<sb_u64> ptr(n + 1, 0);
    for (sb_u64 r = 0; r < n; ++r) ptr[r + 1] = ptr[r] + (rng() % 3 == 0 ? rng() % 4 + 1 : 0);
    std::vector<sb_u64> mark(n + 1, 7), scan(n + 1);
    launch(dim3(3), dim3(block), 0, mark_nonempty, (const sb_u64*)ptr.data(), mark.data(), n);
    host::scan_u64(mark.data(), scan.data(), n + 1, block);
    std::vector<sb_u32> rid;
    std::vector<sb_u64> rptr;
    for (sb_u64 r = 0; r < n; ++r)
      if (ptr[r + 1] > ptr[r]) {
        rid.push_back((sb_u32)r);
        rptr.push_back(ptr[r]);
      }
    rptr.push_back(ptr[n]);
    CHECK(scan[n] == rid.size() && mark[n] == 0, "mark_nonempty count block=%u", block);
    std::vector<sb_u32> ids(rid.size(), 0xFFFFFFFFu);
    std::vector<sb_u64> dptr(rid.size() + 1, SB_NONE);
    launch(dim3(2), dim3(block), 0, compact_nonempty_u32, (const sb_u64*)ptr.data(), (const sb_u64*)scan.data(),
           ids.data(), dptr.data(), n);
    CHECK(ids == rid && dptr == rptr, "compact_nonempty_u32 block=%u", block);
  }
  const sb_u64 one = 0x4010000000000000ull, m = 1000;
  std::vector<sb_u64> out(m + 1, 0);
  launch(dim3(2), dim3(32), 0, broadcast_b8, &one, out.data(), m);
  bool ok = out[m] == 0;
  for (sb_u64 i = 0; i < m; ++i) ok = ok && out[i] == one;
  CHECK(ok, "broadcast_b8 writes n elements, no more");
}

// The shim's primitives against their CUDA definitions, with a partial last warp (block 40).
static void test_shim_primitives() {
  const unsigned block = 40, grid = 2, n = block * grid;
  std::vector<sb_u32> in(n), out(n * 8, 0);
  for (unsigned i = 0; i < n; ++i) in[i] = (i * 37u) % 11u;
  launch(dim3(grid), dim3(block), 0, selftest_warp, (const sb_u32*)in.data(), out.data());
  bool ok = true;
  for (unsigned t = 0; t < n; ++t) {
    const unsigned b = t / block, tb = t % block, w0 = b * block + (tb / 32) * 32;  // warp's first thread
    const unsigned wsize = std::min(32u, block - (tb / 32) * 32), lane = tb % 32;
    auto at = [&](unsigned l) { return in[w0 + l]; };
    unsigned ballot = 0;
    bool any7 = false;
    for (unsigned l = 0; l < wsize; ++l) {
      ballot |= (at(l) & 1u) << l;
      any7 = any7 || at(l) == 7u;
    }
    const sb_u32* o = &out[t * 8];
    ok = ok && o[0] == (3 < wsize ? at(3) : in[t]);
    ok = ok && o[1] == (lane >= 2 ? at(lane - 2) : in[t]);
    ok = ok && o[2] == (lane + 5 < wsize ? at(lane + 5) : in[t]);
    ok = ok && o[3] == ((lane ^ 1u) < wsize ? at(lane ^ 1u) : in[t]);
    ok = ok && o[4] == ballot && o[5] == (any7 ? 1u : 0u) && o[6] == 1u && o[7] == lane;
  }
  CHECK(ok, "shuffles, ballot, any, all with a partial warp");
  std::vector<sb_u32> sm(grid * (block + 1), 0);
  launch(dim3(grid), dim3(block), (block + 1) * 4, selftest_dynamic_smem, sm.data());
  ok = true;
  for (unsigned b = 0; b < grid; ++b) {
    for (unsigned t = 0; t < block; ++t) ok = ok && sm[b * (block + 1) + t] == block - 1 - t + 1000u * b;
    ok = ok && sm[b * (block + 1) + block] == 0xCDu;
  }
  CHECK(ok, "dynamic shared memory, poisoned with 0xCD per block");
  sb_u64 acc64 = 0, mn = ~0ull, mx = 0;
  sb_u32 acc32 = 0, cas = 0, exch = 0;
  float accf = 0;
  launch(dim3(grid), dim3(block), 0, selftest_atomics, &acc64, &acc32, &accf, &mn, &mx, &cas, &exch);
  unsigned survivors = 0;
  for (unsigned t = 0; t < block; ++t) survivors += t % 3 != 0;
  CHECK(acc64 == (sb_u64)n * (n - 1) / 2 && acc32 == n + 1000u * survivors * grid && accf == 0.5f * n, "atomic adds");
  CHECK(mn == 10 && mx == n + 9 && cas >= 1 && cas <= n && exch == 7, "atomic min/max/CAS/exch");
}

int main() {
  test_shim_primitives();
  test_scan();
  test_planted_short_grid();
  test_scan_add_to();
  test_coo_ptr_expand();
  test_radix();
  test_canonicalize();
  test_cast_validate();
  test_dense();
  test_gather_scatter_b16();
  test_nonempty_broadcast();
  std::printf("kernels-test: %d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
