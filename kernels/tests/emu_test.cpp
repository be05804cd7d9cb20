// Tests of the emulated driver (`make emu-test`): dlopen()s target/emu/libcuda.so.1 and drives it through
// the driver API, loading the PTX that NVRTC produced from kernels/*.cu (target/kernels-ptx, written by
// `make kernels-check`) and comparing launches with serial references.
//   emu_test <libcuda.so.1> <ptx dir>            the driver, every kernel's PTX <-> CPU signature chain
//   emu_test <planted libcuda.so.1> <ptx dir> --planted
//                                                planted bug (b): a CPU build whose parameter is 32-bit
//                                                where the PTX says 64-bit must be refused
// Without PTX files the tests that need them are skipped with the reason, or fail when
// SPARSEBRIDGE_REQUIRE_CUDA_TOOLS=1.
#include <dirent.h>
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <numeric>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;
typedef void* H;

static void* g_lib;
static int g_checks = 0, g_failures = 0, g_skips = 0;
#define CHECK(cond, ...)                                        \
  do {                                                          \
    ++g_checks;                                                 \
    if (!(cond)) {                                              \
      ++g_failures;                                             \
      std::fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      std::fprintf(stderr, __VA_ARGS__);                        \
      std::fprintf(stderr, "\n");                               \
    }                                                           \
  } while (0)

template <class F>
F sym(const char* name) {
  void* p = dlsym(g_lib, name);
  if (p == nullptr) {
    std::fprintf(stderr, "missing symbol %s\n", name);
    std::exit(2);
  }
  return reinterpret_cast<F>(p);
}
#define FN(name, ...) static auto name = sym<CUresult (*)(__VA_ARGS__)>(#name)

static std::string read_file(const std::string& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

static bool require_tools() {
  const char* e = std::getenv("SPARSEBRIDGE_REQUIRE_CUDA_TOOLS");
  return e != nullptr && std::strcmp(e, "1") == 0;
}

static void skip(const std::string& why) {
  if (require_tools()) {
    CHECK(false, "%s (SPARSEBRIDGE_REQUIRE_CUDA_TOOLS=1)", why.c_str());
  } else {
    ++g_skips;
    std::printf("SKIP: %s\n", why.c_str());
  }
}

static void test_identity_and_memory() {
  FN(cuInit, unsigned);
  FN(cuDriverGetVersion, int*);
  FN(cuDeviceGetCount, int*);
  FN(cuDeviceGet, int*, int);
  FN(cuDeviceGetName, char*, int, int);
  FN(cuDeviceGetAttribute, int*, int, int);
  FN(cuDevicePrimaryCtxRetain, H*, int);
  FN(cuCtxSetCurrent, H);
  FN(cuCtxGetCurrent, H*);
  FN(cuMemAlloc_v2, CUdeviceptr*, size_t);
  FN(cuMemFree_v2, CUdeviceptr);
  FN(cuMemAllocAsync, CUdeviceptr*, size_t, H);
  FN(cuMemFreeAsync, CUdeviceptr, H);
  FN(cuMemcpyHtoD_v2, CUdeviceptr, const void*, size_t);
  FN(cuMemcpyDtoH_v2, void*, CUdeviceptr, size_t);
  FN(cuMemcpyHtoDAsync_v2, CUdeviceptr, const void*, size_t, H);
  FN(cuMemcpyDtoHAsync_v2, void*, CUdeviceptr, size_t, H);
  FN(cuMemcpyDtoDAsync_v2, CUdeviceptr, CUdeviceptr, size_t, H);
  FN(cuMemsetD8Async, CUdeviceptr, unsigned char, size_t, H);
  FN(cuMemsetD32_v2, CUdeviceptr, unsigned, size_t);
  FN(cuMemHostAlloc, void**, size_t, unsigned);
  FN(cuMemFreeHost, void*);
  FN(cuMemGetInfo_v2, size_t*, size_t*);
  FN(cuGetErrorName, CUresult, const char**);
  FN(cuGetErrorString, CUresult, const char**);

  int n = -1, v = 0, dev = -1;
  CHECK(cuDeviceGetCount(&n) == 3, "calls before cuInit must fail with NOT_INITIALIZED");
  CHECK(cuInit(0) == 0, "cuInit");
  CHECK(cuDriverGetVersion(&v) == 0 && v == 13000, "driver version %d", v);
  CHECK(cuDeviceGetCount(&n) == 0 && n == 1, "device count");
  CHECK(cuDeviceGet(&dev, 0) == 0 && dev == 0, "cuDeviceGet");
  CHECK(cuDeviceGet(&dev, 1) == 101, "ordinal 1 must be INVALID_DEVICE");
  char name[64] = {};
  CHECK(cuDeviceGetName(name, sizeof name, 0) == 0 && std::strcmp(name, "sparsebridge emulated device") == 0, "name %s", name);
  int major = 0, minor = -1;
  cuDeviceGetAttribute(&major, 75, 0);
  cuDeviceGetAttribute(&minor, 76, 0);
  CHECK(major == 9 && minor == 0, "compute capability %d.%d", major, minor);
  setenv("SBEMU_MEMORY_POOLS", "0", 1);
  cuDeviceGetAttribute(&v, 115, 0);
  CHECK(v == 0, "SBEMU_MEMORY_POOLS=0 gives attribute 115 = 0");
  unsetenv("SBEMU_MEMORY_POOLS");
  cuDeviceGetAttribute(&v, 115, 0);
  CHECK(v == 1, "memory pools supported by default");
  H ctx = nullptr, cur = nullptr;
  CHECK(cuDevicePrimaryCtxRetain(&ctx, 0) == 0 && ctx != nullptr, "primary context");
  CHECK(cuCtxSetCurrent(ctx) == 0 && cuCtxGetCurrent(&cur) == 0 && cur == ctx, "current context");
  const char* s = nullptr;
  CHECK(cuGetErrorName(100, &s) == 0 && std::strcmp(s, "CUDA_ERROR_NO_DEVICE") == 0, "error name");
  CHECK(cuGetErrorString(1, &s) == 0 && std::strcmp(s, "invalid argument") == 0, "error string");

  // Allocation: 0xCD fill, round trips, direction and range checks.
  const size_t bytes = 1000;
  CUdeviceptr d = 0, d2 = 0;
  CHECK(cuMemAlloc_v2(&d, 0) == 1, "a 0-byte allocation is INVALID_VALUE, as on a GPU");
  CHECK(cuMemAlloc_v2(&d, bytes) == 0, "alloc");
  std::vector<unsigned char> h(bytes, 0), back(bytes, 0);
  CHECK(cuMemcpyDtoH_v2(back.data(), d, bytes) == 0 && back[0] == 0xCD && back[bytes - 1] == 0xCD, "new memory is 0xCD");
  for (size_t i = 0; i < bytes; ++i) h[i] = (unsigned char)(i * 7);
  CHECK(cuMemcpyHtoD_v2(d, h.data(), bytes) == 0, "HtoD");
  CHECK(cuMemcpyDtoH_v2(back.data(), d, bytes) == 0 && back == h, "DtoH round trip");
  CHECK(cuMemcpyHtoD_v2(d, h.data(), bytes + 1) == 1, "HtoD past the end of the allocation is refused");
  CHECK(cuMemcpyHtoD_v2((CUdeviceptr)h.data(), back.data(), 10) == 1, "HtoD to a host destination is refused");
  CHECK(cuMemcpyDtoH_v2(back.data(), (CUdeviceptr)h.data(), 10) == 1, "DtoH from a host source is refused");
  CHECK(cuMemcpyDtoH_v2((void*)d, d, 10) == 1, "DtoH into device memory is refused");
  CHECK(cuMemAllocAsync(&d2, bytes, nullptr) == 0, "alloc async");
  CHECK(cuMemcpyDtoDAsync_v2(d2, d, bytes, nullptr) == 0, "DtoD");
  CHECK(cuMemcpyDtoHAsync_v2(back.data(), d2, bytes, nullptr) == 0 && back == h, "DtoD content");
  CHECK(cuMemsetD8Async(d2 + 10, 0xAB, 5, nullptr) == 0, "memset D8");
  cuMemcpyDtoH_v2(back.data(), d2, bytes);
  CHECK(back[9] == h[9] && back[10] == 0xAB && back[14] == 0xAB && back[15] == h[15], "memset D8 range");
  CHECK(cuMemsetD32_v2(d2, 0x01020304u, 250) == 0, "memset D32");
  CHECK(cuMemsetD32_v2(d2, 0, 251) == 1, "memset D32 past the end is refused");
  CHECK(cuMemsetD8Async(d2, 0, 1, (H)0x1234) == 400, "an unknown stream is INVALID_HANDLE");
  void* pinned = nullptr;
  CHECK(cuMemHostAlloc(&pinned, bytes, 0) == 0, "pinned alloc");
  CHECK(cuMemcpyDtoHAsync_v2(pinned, d, bytes, nullptr) == 0 && std::memcmp(pinned, h.data(), bytes) == 0, "DtoH to pinned");
  CHECK(cuMemcpyHtoDAsync_v2(d2, pinned, bytes, nullptr) == 0, "HtoD from pinned");
  CHECK(cuMemFreeHost(pinned) == 0 && cuMemFreeHost(h.data()) == 1, "free pinned; non-pinned refused");
  size_t freeb = 0, total = 0;
  CHECK(cuMemGetInfo_v2(&freeb, &total) == 0 && freeb > 0 && freeb <= total, "mem info");
  CHECK(cuMemFreeAsync(d2, nullptr) == 0, "free async");
  CHECK(cuMemFree_v2(d) == 0, "free");
  CHECK(cuMemFree_v2(d) == 1, "double free is refused");
  CHECK(cuMemcpyHtoD_v2(d, h.data(), 10) == 1, "a copy into freed memory is refused");
}

static void test_streams_events() {
  FN(cuStreamCreate, H*, unsigned);
  FN(cuStreamDestroy_v2, H);
  FN(cuStreamSynchronize, H);
  FN(cuStreamWaitEvent, H, H, unsigned);
  FN(cuEventCreate, H*, unsigned);
  FN(cuEventDestroy_v2, H);
  FN(cuEventRecord, H, H);
  FN(cuEventSynchronize, H);
  FN(cuEventQuery, H);
  FN(cuEventElapsedTime, float*, H, H);
  H s1 = nullptr, s2 = nullptr, e1 = nullptr, e2 = nullptr;
  CHECK(cuStreamCreate(&s1, 0) == 0 && cuStreamCreate(&s2, 1) == 0, "streams");
  CHECK(cuEventCreate(&e1, 0) == 0 && cuEventCreate(&e2, 0) == 0, "events");
  float ms = -1;
  CHECK(cuEventElapsedTime(&ms, e1, e2) == 400, "elapsed time of unrecorded events is INVALID_HANDLE");
  CHECK(cuEventRecord(e1, s1) == 0 && cuStreamWaitEvent(s2, e1, 0) == 0 && cuEventRecord(e2, s2) == 0, "record, wait");
  CHECK(cuEventSynchronize(e2) == 0 && cuEventQuery(e1) == 0, "event sync/query");
  CHECK(cuEventElapsedTime(&ms, e1, e2) == 0 && ms >= 0, "elapsed %f", ms);
  CHECK(cuStreamSynchronize(s1) == 0, "stream sync");
  CHECK(cuEventDestroy_v2(e1) == 0 && cuEventDestroy_v2(e2) == 0 && cuEventDestroy_v2(e2) == 400, "event destroy");
  CHECK(cuStreamDestroy_v2(s1) == 0 && cuStreamDestroy_v2(s2) == 0 && cuStreamSynchronize(s1) == 400, "stream destroy");
}

// Resolved inside each test (after dlopen).
#define MODULE_FNS                                                                                      \
  FN(cuModuleLoadData, H*, const void*);                                                                \
  FN(cuModuleUnload, H);                                                                                \
  FN(cuModuleGetFunction, H*, H, const char*);                                                          \
  FN(cuLaunchKernel, H, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, H, void**, \
     void**);                                                                                           \
  FN(cuMemAlloc_v2, CUdeviceptr*, size_t);                                                              \
  FN(cuMemFree_v2, CUdeviceptr);                                                                        \
  FN(cuMemcpyHtoD_v2, CUdeviceptr, const void*, size_t);                                                \
  FN(cuMemcpyDtoH_v2, void*, CUdeviceptr, size_t);                                                      \
  (void)cuModuleUnload; (void)cuLaunchKernel; (void)cuMemAlloc_v2; (void)cuMemFree_v2;                  \
  (void)cuMemcpyHtoD_v2; (void)cuMemcpyDtoH_v2

static const char* kIotaPtx =
    ".version 9.0\n.target sm_90\n.address_size 64\n"
    ".visible .entry iota_u64(\n\t.param .u64 .ptr .align 1 iota_u64_param_0,\n\t.param .u64 iota_u64_param_1\n)\n{\n\tret;\n}\n";

static void test_module_and_launch_checks() {
  MODULE_FNS;
  H m = nullptr, f = nullptr;
  CHECK(cuModuleLoadData(&m, "\x7f" "ELF not ptx") == 200, "a non-PTX image is INVALID_IMAGE");
  CHECK(cuModuleLoadData(&m, kIotaPtx) == 0, "load hand-written PTX");
  CHECK(cuModuleGetFunction(&f, m, "gather_b4") == 500, "a kernel absent from the module is NOT_FOUND");
  CHECK(cuModuleGetFunction(&f, m, "iota_u64") == 0, "get iota_u64");
  const unsigned long long n = 1000;
  CUdeviceptr d = 0;
  cuMemAlloc_v2(&d, n * 8);
  unsigned long long nn = n;
  void* params[] = {&d, &nn};
  CHECK(cuLaunchKernel(f, 3, 1, 1, 64, 1, 1, 0, nullptr, params, nullptr) == 0, "launch iota");
  std::vector<unsigned long long> out(n), ref(n);
  std::iota(ref.begin(), ref.end(), 0ull);
  cuMemcpyDtoH_v2(out.data(), d, n * 8);
  CHECK(out == ref, "iota_u64 result");
  void* extra[] = {nullptr};
  CHECK(cuLaunchKernel(f, 1, 1, 1, 2048, 1, 1, 0, nullptr, params, nullptr) == 1, "a 2048-thread block is refused");
  CHECK(cuLaunchKernel(f, 0, 1, 1, 32, 1, 1, 0, nullptr, params, nullptr) == 1, "a zero grid is refused");
  CHECK(cuLaunchKernel(f, 1, 2, 1, 32, 1, 1, 0, nullptr, params, nullptr) == 1, "a 2-D grid is refused");
  CHECK(cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 1 << 20, nullptr, params, nullptr) == 1, "1 MiB of shared memory is refused");
  CHECK(cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, nullptr, params, extra) == 1, "`extra` is refused");
  CHECK(cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, nullptr, nullptr, nullptr) == 1, "NULL kernelParams is refused");
  // A PTX list that disagrees with the CPU build: 32-bit count where the CPU build has 64 bits.
  std::string bad = kIotaPtx;
  bad.replace(bad.find(".param .u64 iota_u64_param_1"), 28, ".param .u32 iota_u64_param_1");
  H m2 = nullptr;
  CHECK(cuModuleLoadData(&m2, bad.c_str()) == 0, "load mismatched PTX");
  CHECK(cuModuleGetFunction(&f, m2, "iota_u64") == 500, "a PTX/CPU parameter size mismatch is refused");
  CHECK(cuModuleUnload(m) == 0 && cuModuleUnload(m2) == 0, "unload");
  cuMemFree_v2(d);
}

static std::vector<std::string> ptx_entries(const std::string& text) {
  std::vector<std::string> out;
  std::regex re(R"(\.entry\s+(\w+)\s*\()");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1]);
  return out;
}

// Every kernel's NVRTC PTX resolves to its CPU build with equal parameter sizes.
static void test_all_ptx(const std::string& dir) {
  MODULE_FNS;
  DIR* dp = opendir(dir.c_str());
  if (dp == nullptr) return skip("no PTX in " + dir + " (run make kernels-check with the CUDA wheels)");
  std::vector<std::string> files;
  while (dirent* e = readdir(dp)) {
    std::string f = e->d_name;
    if (f.size() > 10 && f.substr(f.size() - 10) == ".sm_90.ptx" && f.rfind("planted", 0) != 0 &&
        f.rfind("shim_selftest", 0) != 0)  // test-only files, not in kernels.def
      files.push_back(f);
  }
  closedir(dp);
  if (files.empty()) return skip("no *.sm_90.ptx in " + dir);
  int resolved = 0;
  for (const auto& f : files) {
    std::string text = read_file(dir + "/" + f);
    H m = nullptr;
    CHECK(cuModuleLoadData(&m, text.c_str()) == 0, "load %s", f.c_str());
    for (const auto& e : ptx_entries(text)) {
      H fn = nullptr;
      CUresult r = cuModuleGetFunction(&fn, m, e.c_str());
      CHECK(r == 0, "%s: %s resolves with equal parameter sizes (rc %d)", f.c_str(), e.c_str(), r);
      resolved += r == 0;
    }
  }
  std::printf("emu-test: %d kernels of %zu PTX files resolved to their CPU builds\n", resolved, files.size());
}

// Multi-block scan through the driver API with the NVRTC PTX: tiles, scan of tile sums, add.
static void test_scan_via_driver(const std::string& dir) {
  MODULE_FNS;
  std::string text = read_file(dir + "/scan.sm_90.ptx");
  if (text.empty()) return skip("no scan.sm_90.ptx");
  H m = nullptr, tiles = nullptr, add = nullptr;
  cuModuleLoadData(&m, text.c_str());
  CHECK(cuModuleGetFunction(&tiles, m, "scan_tiles_u64") == 0 && cuModuleGetFunction(&add, m, "scan_add_u64") == 0, "scan functions");
  const unsigned block = 64;
  const unsigned long long n = 3001, tile = block * 4, g = (n + tile - 1) / tile;
  std::vector<unsigned long long> in(n), out(n), ref(n);
  std::mt19937_64 rng(7);
  unsigned long long s = 0;
  for (size_t i = 0; i < n; ++i) {
    in[i] = rng() % 100;
    ref[i] = s;
    s += in[i];
  }
  CUdeviceptr din = 0, dout = 0, dsums = 0, null = 0;
  cuMemAlloc_v2(&din, n * 8);
  cuMemAlloc_v2(&dout, n * 8);
  cuMemAlloc_v2(&dsums, g * 8);
  cuMemcpyHtoD_v2(din, in.data(), n * 8);
  unsigned long long nn = n, gg = g, tt = tile;
  void* p1[] = {&din, &dout, &dsums, &nn};
  CHECK(cuLaunchKernel(tiles, (unsigned)g, 1, 1, block, 1, 1, 0, nullptr, p1, nullptr) == 0, "scan tiles");
  void* p2[] = {&dsums, &dsums, &null, &gg};  // g <= tile: one block scans the tile sums in place
  CHECK(cuLaunchKernel(tiles, 1, 1, 1, block, 1, 1, 0, nullptr, p2, nullptr) == 0, "scan sums");
  void* p3[] = {&dout, &dsums, &nn, &tt};
  CHECK(cuLaunchKernel(add, 5, 1, 1, block, 1, 1, 0, nullptr, p3, nullptr) == 0, "scan add");
  cuMemcpyDtoH_v2(out.data(), dout, n * 8);
  CHECK(out == ref, "multi-block scan through the emulated driver");
  cuMemFree_v2(din);
  cuMemFree_v2(dout);
  cuMemFree_v2(dsums);
}

// One stable radix pass through the driver API (u32 `shift` parameters, NULL perm_in).
static void test_radix_via_driver(const std::string& dir) {
  MODULE_FNS;
  std::string sort = read_file(dir + "/sort.sm_90.ptx"), scan = read_file(dir + "/scan.sm_90.ptx");
  if (sort.empty() || scan.empty()) return skip("no sort.sm_90.ptx / scan.sm_90.ptx");
  H ms = nullptr, mc = nullptr, hist = nullptr, scatter = nullptr, tiles = nullptr;
  cuModuleLoadData(&ms, sort.c_str());
  cuModuleLoadData(&mc, scan.c_str());
  CHECK(cuModuleGetFunction(&hist, ms, "radix_hist_u32") == 0 && cuModuleGetFunction(&scatter, ms, "radix_scatter_u32") == 0 &&
            cuModuleGetFunction(&tiles, mc, "scan_tiles_u64") == 0,
        "radix functions");
  const unsigned block = 256;
  const unsigned long long n = 1000;  // one tile of 1024: G = 1, 256 histogram entries
  std::vector<unsigned> keys(n);
  std::mt19937_64 rng(9);
  for (auto& k : keys) k = (unsigned)(rng() % 200);
  CUdeviceptr dk = 0, dk2 = 0, dp = 0, dh = 0, null = 0;
  cuMemAlloc_v2(&dk, n * 4);
  cuMemAlloc_v2(&dk2, n * 4);
  cuMemAlloc_v2(&dp, n * 8);
  cuMemAlloc_v2(&dh, 256 * 8);
  cuMemcpyHtoD_v2(dk, keys.data(), n * 4);
  unsigned long long nn = n, nh = 256;
  unsigned shift = 0;
  void* p1[] = {&dk, &dh, &nn, &shift};
  CHECK(cuLaunchKernel(hist, 1, 1, 1, block, 1, 1, 0, nullptr, p1, nullptr) == 0, "radix_hist");
  void* p2[] = {&dh, &dh, &null, &nh};
  CHECK(cuLaunchKernel(tiles, 1, 1, 1, block, 1, 1, 0, nullptr, p2, nullptr) == 0, "scan hist");
  void* p3[] = {&dk, &null, &dk2, &dp, &dh, &nn, &shift};
  CHECK(cuLaunchKernel(scatter, 1, 1, 1, block, 1, 1, 0, nullptr, p3, nullptr) == 0, "radix_scatter");
  std::vector<unsigned long long> perm(n), ref(n);
  cuMemcpyDtoH_v2(perm.data(), dp, n * 8);
  std::iota(ref.begin(), ref.end(), 0ull);
  std::stable_sort(ref.begin(), ref.end(), [&](auto a, auto b) { return keys[a] < keys[b]; });
  CHECK(perm == ref, "stable radix pass through the emulated driver");
  for (CUdeviceptr d : {dk, dk2, dp, dh}) cuMemFree_v2(d);
}

static void test_planted(const std::string& dir) {
  MODULE_FNS;
  FN(cuInit, unsigned);
  cuInit(0);
  std::string text = read_file(dir + "/planted_bugs.sm_90.ptx");
  if (text.empty()) {
    // The same check on the declaration NVRTC emits for planted_sig (64-bit count).
    skip("no planted_bugs.sm_90.ptx: using the hand-written PTX declaration instead");
    text = ".version 9.0\n.target sm_90\n.address_size 64\n.visible .entry planted_sig(\n"
           "\t.param .u64 .ptr .align 1 planted_sig_param_0,\n\t.param .u64 .ptr .align 1 planted_sig_param_1,\n"
           "\t.param .u64 planted_sig_param_2\n)\n{\n\tret;\n}\n";
  }
  H m = nullptr, f = nullptr;
  CHECK(cuModuleLoadData(&m, text.c_str()) == 0, "load planted PTX");
  CHECK(cuModuleGetFunction(&f, m, "planted_sig") == 500, "planted bug (b): a 32-bit CPU parameter vs 64-bit PTX must be refused");
  auto last = sym<const char* (*)()>("sbemu_last_error");
  CHECK(std::strstr(last(), "parameter 2 is 8 bytes in the PTX but 4 bytes in the CPU build") != nullptr,
        "the refusal names the parameter: %s", last());
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <libcuda.so.1> <ptx dir> [--planted]\n", argv[0]);
    return 2;
  }
  setenv("SBEMU_QUIET", "1", 1);
  g_lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (g_lib == nullptr) {
    std::fprintf(stderr, "dlopen %s: %s\n", argv[1], dlerror());
    return 2;
  }
  const std::string dir = argv[2];
  if (argc > 3 && std::strcmp(argv[3], "--planted") == 0) {
    test_planted(dir);
  } else {
    test_identity_and_memory();
    test_streams_events();
    test_module_and_launch_checks();
    test_all_ptx(dir);
    test_scan_via_driver(dir);
    test_radix_via_driver(dir);
    auto count = sym<unsigned long long (*)()>("sbemu_launch_count");
    std::printf("emu-test: %llu kernel launches ran on the emulated driver\n", count());
  }
  std::printf("emu-test%s: %d checks, %d failures, %d skipped\n", argc > 3 ? " (planted)" : "", g_checks, g_failures, g_skips);
  return g_failures == 0 ? 0 : 1;
}
