// Emulated CUDA driver (`make emu` -> target/emu/libcuda.so.1): the driver API subset cudarc 0.19.10
// uses, over the CPU (shim) builds of kernels/*.cu. See docs/gpu-testing.md and kernels/README.md.
//
// - Device: one, "sparsebridge emulated device", compute capability 9.0.
// - Memory: device memory comes from a separate mmap'ed arena with a registry of live ranges; new
//   allocations are filled with 0xCD; freed ranges are made inaccessible and never reused (quarantine);
//   copies check direction (a device range must be live, a host pointer must lie outside the arena).
// - Streams execute every operation synchronously, in order.
// - Modules: cuModuleLoadData parses each PTX `.entry` parameter list into sizes; cuModuleGetFunction
//   resolves the name among the CPU builds and refuses when their sizeof list differs from the PTX.
// - cuLaunchKernel checks the geometry (1-D only), shared memory and `extra`, then runs the CPU build.
// Emulator-only extras: sbemu_last_error() (text of the last refusal), sbemu_launch_count().
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "../shim/registry.hpp"

#define SBEMU_API extern "C" __attribute__((visibility("default")))

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
struct CUctx_st {
  int device;
};
struct CUstream_st {
  int id;
};
struct CUevent_st {
  bool recorded = false;
  double t_ms = 0;
};
struct CUmod_st {
  std::map<std::string, std::vector<size_t>> entries;
};
struct CUfunc_st {
  const cudashim::KernelEntry* kernel;
  std::string name;
};
typedef CUctx_st* CUcontext;
typedef CUstream_st* CUstream;
typedef CUevent_st* CUevent;
typedef CUmod_st* CUmodule;
typedef CUfunc_st* CUfunction;

enum : CUresult {
  SUCCESS = 0,
  INVALID_VALUE = 1,
  OUT_OF_MEMORY = 2,
  NOT_INITIALIZED = 3,
  NO_DEVICE = 100,
  INVALID_DEVICE = 101,
  INVALID_IMAGE = 200,
  INVALID_CONTEXT = 201,
  INVALID_PTX = 218,
  INVALID_HANDLE = 400,
  NOT_FOUND = 500,
  NOT_READY = 600,
  ILLEGAL_ADDRESS = 700,
  LAUNCH_OUT_OF_RESOURCES = 701,
  NOT_SUPPORTED = 801,
  UNKNOWN = 999,
};

namespace {

constexpr const char* kDeviceName = "sparsebridge emulated device";
constexpr size_t kPage = 4096;
constexpr size_t kMaxSharedPerBlock = 48 * 1024;

struct State {
  std::recursive_mutex mu;
  bool initialized = false;
  CUctx_st primary{0};
  int primary_refs = 0;
  unsigned char* arena = nullptr;
  size_t arena_size = 0;
  size_t arena_used = 0;
  size_t live_bytes = 0;
  std::map<CUdeviceptr, size_t> live;  // start -> requested size
  std::set<void*> pinned;
  std::set<CUstream> streams;
  std::set<CUevent> events;
  std::set<CUmodule> modules;
  std::set<CUfunction> functions;
  std::string last_error;
  unsigned long long launches = 0;
};

State& st() {
  static State* s = new State();  // never destroyed: cudarc may call in during process exit
  return *s;
}

thread_local CUcontext t_current = nullptr;

CUresult fail(CUresult code, const std::string& msg) {
  st().last_error = msg;
  if (std::getenv("SBEMU_QUIET") == nullptr) std::fprintf(stderr, "sbemu: %s\n", msg.c_str());
  return code;
}

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

bool in_arena(const void* p) {
  auto* c = static_cast<const unsigned char*>(p);
  return st().arena != nullptr && c >= st().arena && c < st().arena + st().arena_size;
}

// True when [p, p + n) lies inside one live device allocation.
bool live_range(CUdeviceptr p, size_t n) {
  auto& live = st().live;
  auto it = live.upper_bound(p);
  if (it == live.begin()) return false;
  --it;
  return p >= it->first && p - it->first <= it->second && n <= it->second - (p - it->first);
}

bool valid_stream(CUstream s) {
  auto v = reinterpret_cast<uintptr_t>(s);
  return v == 0 || v == 1 || v == 2 || st().streams.count(s) != 0;  // NULL, LEGACY, PER_THREAD
}

CUresult ensure_arena() {
  if (st().arena != nullptr) return SUCCESS;
  size_t gib = 16;
  if (const char* e = std::getenv("SBEMU_ARENA_GIB")) gib = std::strtoull(e, nullptr, 10);
  size_t size = gib << 30;
  void* p = mmap(nullptr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return fail(OUT_OF_MEMORY, "cannot reserve the device arena");
  st().arena = static_cast<unsigned char*>(p);
  st().arena_size = size;
  return SUCCESS;
}

CUresult check_init() {
  if (!st().initialized) return fail(NOT_INITIALIZED, "cuInit has not been called");
  return SUCCESS;
}

CUresult alloc(CUdeviceptr* dptr, size_t bytes) {
  if (CUresult r = check_init()) return r;
  if (dptr == nullptr || bytes == 0) return fail(INVALID_VALUE, "cuMemAlloc: null pointer or 0 bytes");
  if (CUresult r = ensure_arena()) return r;
  size_t pages = (bytes + kPage - 1) / kPage;
  size_t span = (pages + 1) * kPage;  // one inaccessible guard page after every allocation
  if (st().arena_size - st().arena_used < span) return fail(OUT_OF_MEMORY, "emulated device memory exhausted");
  unsigned char* p = st().arena + st().arena_used;
  st().arena_used += span;
  if (mprotect(p, pages * kPage, PROT_READ | PROT_WRITE) != 0) return fail(OUT_OF_MEMORY, "mprotect failed");
  std::memset(p, 0xCD, bytes);  // device memory is not zeroed
  auto d = reinterpret_cast<CUdeviceptr>(p);
  st().live[d] = bytes;
  st().live_bytes += bytes;
  *dptr = d;
  return SUCCESS;
}

CUresult free_dev(CUdeviceptr d) {
  if (CUresult r = check_init()) return r;
  auto it = st().live.find(d);
  if (it == st().live.end()) return fail(INVALID_VALUE, "cuMemFree: not the start of a live device allocation");
  size_t pages = (it->second + kPage - 1) / kPage;
  void* p = reinterpret_cast<void*>(d);
  madvise(p, pages * kPage, MADV_DONTNEED);
  mprotect(p, pages * kPage, PROT_NONE);  // quarantined: later accesses fault, the range is never reused
  st().live_bytes -= it->second;
  st().live.erase(it);
  return SUCCESS;
}

CUresult copy(void* dst, const void* src, size_t n, bool dst_dev, bool src_dev, CUstream s, const char* what) {
  if (CUresult r = check_init()) return r;
  if (!valid_stream(s)) return fail(INVALID_HANDLE, std::string(what) + ": unknown stream");
  if (n == 0) return SUCCESS;
  if (dst == nullptr || src == nullptr) return fail(INVALID_VALUE, std::string(what) + ": null pointer");
  auto check = [&](const void* p, bool dev, const char* role) -> CUresult {
    if (dev && !live_range(reinterpret_cast<CUdeviceptr>(p), n))
      return fail(INVALID_VALUE, std::string(what) + ": " + role + " is not a live device range of that size");
    if (!dev && in_arena(p))
      return fail(INVALID_VALUE, std::string(what) + ": " + role + " is a device pointer where a host pointer belongs");
    return SUCCESS;
  };
  if (CUresult r = check(dst, dst_dev, "destination")) return r;
  if (CUresult r = check(src, src_dev, "source")) return r;
  std::memmove(dst, src, n);
  return SUCCESS;
}

template <class T>
CUresult memset_dev(CUdeviceptr d, T v, size_t count, CUstream s) {
  if (CUresult r = check_init()) return r;
  if (!valid_stream(s)) return fail(INVALID_HANDLE, "cuMemset: unknown stream");
  if (count == 0) return SUCCESS;
  if (!live_range(d, count * sizeof(T))) return fail(INVALID_VALUE, "cuMemset: not a live device range of that size");
  T* p = reinterpret_cast<T*>(d);
  for (size_t i = 0; i < count; ++i) p[i] = v;
  return SUCCESS;
}

// Parses `.entry name( .param ... )` lists: sizes from .u8/.s8/.b8 (1) ... .u64/.f64 (8), and
// `.align A .b8 name[N]` (N).
bool parse_ptx(const char* text, std::map<std::string, std::vector<size_t>>* out, std::string* err) {
  std::string s(text);
  if (s.find(".version") == std::string::npos || s.find(".target") == std::string::npos) {
    *err = "image is not PTX text (.version/.target missing); the emulator loads PTX only";
    return false;
  }
  size_t pos = 0;
  while ((pos = s.find(".entry", pos)) != std::string::npos) {
    pos += 6;
    size_t open = s.find('(', pos);
    size_t brace = s.find('{', pos);
    if (open == std::string::npos || (brace != std::string::npos && brace < open)) {
      *err = "malformed .entry";
      return false;
    }
    std::string name;
    for (size_t i = pos; i < open; ++i)
      if (!std::isspace(static_cast<unsigned char>(s[i]))) name += s[i];
    size_t close = s.find(')', open);
    if (close == std::string::npos) {
      *err = "unterminated parameter list of " + name;
      return false;
    }
    std::vector<size_t> sizes;
    std::string params = s.substr(open + 1, close - open - 1);
    size_t p = 0;
    while ((p = params.find(".param", p)) != std::string::npos) {
      size_t end = params.find(',', p);
      std::string decl = params.substr(p, end == std::string::npos ? std::string::npos : end - p);
      p = end == std::string::npos ? params.size() : end + 1;
      size_t sz = 0;
      size_t lb = decl.find('[');
      if (lb != std::string::npos) {
        sz = std::strtoull(decl.c_str() + lb + 1, nullptr, 10);
      } else {
        static const std::pair<const char*, size_t> kTypes[] = {
            {".u64", 8}, {".s64", 8}, {".b64", 8}, {".f64", 8}, {".u32", 4}, {".s32", 4}, {".b32", 4},
            {".f32", 4}, {".u16", 2}, {".s16", 2}, {".b16", 2}, {".f16", 2}, {".u8", 1},  {".s8", 1},
            {".b8", 1}};
        for (const auto& [tok, n] : kTypes) {
          size_t at = decl.find(tok);
          if (at != std::string::npos && !std::isdigit(static_cast<unsigned char>(decl[at + std::strlen(tok)]))) {
            sz = n;
            break;
          }
        }
      }
      if (sz == 0) {
        *err = "cannot size parameter '" + decl + "' of " + name;
        return false;
      }
      sizes.push_back(sz);
    }
    (*out)[name] = sizes;
    pos = close;
  }
  return true;
}

const char* error_name(CUresult e) {
  switch (e) {
    case SUCCESS: return "CUDA_SUCCESS";
    case INVALID_VALUE: return "CUDA_ERROR_INVALID_VALUE";
    case OUT_OF_MEMORY: return "CUDA_ERROR_OUT_OF_MEMORY";
    case NOT_INITIALIZED: return "CUDA_ERROR_NOT_INITIALIZED";
    case NO_DEVICE: return "CUDA_ERROR_NO_DEVICE";
    case INVALID_DEVICE: return "CUDA_ERROR_INVALID_DEVICE";
    case INVALID_IMAGE: return "CUDA_ERROR_INVALID_IMAGE";
    case INVALID_CONTEXT: return "CUDA_ERROR_INVALID_CONTEXT";
    case INVALID_PTX: return "CUDA_ERROR_INVALID_PTX";
    case INVALID_HANDLE: return "CUDA_ERROR_INVALID_HANDLE";
    case NOT_FOUND: return "CUDA_ERROR_NOT_FOUND";
    case NOT_READY: return "CUDA_ERROR_NOT_READY";
    case ILLEGAL_ADDRESS: return "CUDA_ERROR_ILLEGAL_ADDRESS";
    case LAUNCH_OUT_OF_RESOURCES: return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
    case NOT_SUPPORTED: return "CUDA_ERROR_NOT_SUPPORTED";
    case UNKNOWN: return "CUDA_ERROR_UNKNOWN";
    default: return nullptr;
  }
}

const char* error_string(CUresult e) {
  switch (e) {
    case SUCCESS: return "no error";
    case INVALID_VALUE: return "invalid argument";
    case OUT_OF_MEMORY: return "out of memory";
    case NOT_INITIALIZED: return "initialization error";
    case NO_DEVICE: return "no CUDA-capable device is detected";
    case INVALID_DEVICE: return "invalid device ordinal";
    case INVALID_IMAGE: return "device kernel image is invalid";
    case INVALID_CONTEXT: return "invalid device context";
    case INVALID_PTX: return "a PTX JIT compilation failed";
    case INVALID_HANDLE: return "invalid resource handle";
    case NOT_FOUND: return "named symbol not found";
    case NOT_READY: return "device not ready";
    case ILLEGAL_ADDRESS: return "an illegal memory access was encountered";
    case LAUNCH_OUT_OF_RESOURCES: return "too many resources requested for launch";
    case NOT_SUPPORTED: return "operation not supported";
    case UNKNOWN: return "unknown error";
    default: return nullptr;
  }
}

}  // namespace

#define LOCK std::lock_guard<std::recursive_mutex> lock_(st().mu)

// ---- init, version, errors -------------------------------------------------------------------
SBEMU_API CUresult cuInit(unsigned flags) {
  LOCK;
  if (flags != 0) return fail(INVALID_VALUE, "cuInit: flags must be 0");
  st().initialized = true;
  return SUCCESS;
}
SBEMU_API CUresult cuDriverGetVersion(int* v) {
  if (v == nullptr) return INVALID_VALUE;
  *v = 13000;
  return SUCCESS;
}
// NVRTC dlopens libcuda.so.1 and, after cuInit, asks for the driver's private export tables.
// The emulator has none: CUDA_ERROR_NOT_FOUND (500) makes NVRTC fall back to its own code.
SBEMU_API CUresult cuGetExportTable(const void** table, const void* /*export_id*/) {
  if (table != nullptr) *table = nullptr;
  return NOT_FOUND;
}
SBEMU_API CUresult cuGetErrorName(CUresult e, const char** s) {
  if (s == nullptr) return INVALID_VALUE;
  *s = error_name(e);
  return *s == nullptr ? INVALID_VALUE : SUCCESS;
}
SBEMU_API CUresult cuGetErrorString(CUresult e, const char** s) {
  if (s == nullptr) return INVALID_VALUE;
  *s = error_string(e);
  return *s == nullptr ? INVALID_VALUE : SUCCESS;
}
SBEMU_API const char* sbemu_last_error() {
  LOCK;
  return st().last_error.c_str();
}
SBEMU_API unsigned long long sbemu_launch_count() {
  LOCK;
  return st().launches;
}

// ---- device ------------------------------------------------------------------------------------
SBEMU_API CUresult cuDeviceGetCount(int* n) {
  LOCK;
  if (CUresult r = check_init()) return r;
  if (n == nullptr) return INVALID_VALUE;
  *n = 1;
  return SUCCESS;
}
SBEMU_API CUresult cuDeviceGet(CUdevice* d, int ordinal) {
  LOCK;
  if (CUresult r = check_init()) return r;
  if (d == nullptr) return INVALID_VALUE;
  if (ordinal != 0) return fail(INVALID_DEVICE, "cuDeviceGet: only ordinal 0 exists");
  *d = 0;
  return SUCCESS;
}
SBEMU_API CUresult cuDeviceGetName(char* name, int len, CUdevice d) {
  LOCK;
  if (CUresult r = check_init()) return r;
  if (d != 0) return INVALID_DEVICE;
  if (name == nullptr || len <= 0) return INVALID_VALUE;
  std::snprintf(name, static_cast<size_t>(len), "%s", kDeviceName);
  return SUCCESS;
}
SBEMU_API CUresult cuDeviceGetUuid(unsigned char* uuid, CUdevice d) {
  if (d != 0 || uuid == nullptr) return INVALID_VALUE;
  std::memset(uuid, 0, 16);
  std::memcpy(uuid, "sbemu", 5);
  return SUCCESS;
}
SBEMU_API CUresult cuDeviceGetUuid_v2(unsigned char* uuid, CUdevice d) { return cuDeviceGetUuid(uuid, d); }
SBEMU_API CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice d) {
  LOCK;
  if (d != 0 || bytes == nullptr) return INVALID_VALUE;
  if (CUresult r = ensure_arena()) return r;
  *bytes = st().arena_size;
  return SUCCESS;
}
SBEMU_API CUresult cuDeviceGetAttribute(int* v, int attr, CUdevice d) {
  LOCK;
  if (CUresult r = check_init()) return r;
  if (d != 0) return INVALID_DEVICE;
  if (v == nullptr) return INVALID_VALUE;
  switch (attr) {
    case 1: *v = 1024; break;                           // MAX_THREADS_PER_BLOCK
    case 2: *v = 1024; break;                           // MAX_BLOCK_DIM_X
    case 3: case 4: *v = 1; break;                      // MAX_BLOCK_DIM_Y/Z (the emulator is 1-D)
    case 5: *v = 2147483647; break;                     // MAX_GRID_DIM_X
    case 6: case 7: *v = 1; break;                      // MAX_GRID_DIM_Y/Z
    case 8: *v = static_cast<int>(kMaxSharedPerBlock);  // MAX_SHARED_MEMORY_PER_BLOCK
      break;
    case 10: *v = 32; break;                            // WARP_SIZE
    case 16: *v = 1; break;                             // MULTIPROCESSOR_COUNT
    case 41: *v = 1; break;                             // UNIFIED_ADDRESSING
    case 75: *v = 9; break;                             // COMPUTE_CAPABILITY_MAJOR
    case 76: *v = 0; break;                             // COMPUTE_CAPABILITY_MINOR
    case 97: *v = static_cast<int>(kMaxSharedPerBlock); break;  // MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
    case 115: {                                         // MEMORY_POOLS_SUPPORTED
      const char* e = std::getenv("SBEMU_MEMORY_POOLS");
      *v = (e != nullptr && std::strcmp(e, "0") == 0) ? 0 : 1;
      break;
    }
    default: *v = 0; break;
  }
  return SUCCESS;
}

// ---- contexts ------------------------------------------------------------------------------------
SBEMU_API CUresult cuDevicePrimaryCtxRetain(CUcontext* c, CUdevice d) {
  LOCK;
  if (CUresult r = check_init()) return r;
  if (d != 0) return INVALID_DEVICE;
  if (c == nullptr) return INVALID_VALUE;
  ++st().primary_refs;
  *c = &st().primary;
  return SUCCESS;
}
SBEMU_API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) {
  LOCK;
  if (d != 0) return INVALID_DEVICE;
  if (st().primary_refs > 0) --st().primary_refs;
  return SUCCESS;
}
SBEMU_API CUresult cuCtxGetCurrent(CUcontext* c) {
  if (c == nullptr) return INVALID_VALUE;
  *c = t_current;
  return SUCCESS;
}
SBEMU_API CUresult cuCtxSetCurrent(CUcontext c) {
  if (c != nullptr && c != &st().primary) return fail(INVALID_CONTEXT, "cuCtxSetCurrent: unknown context");
  t_current = c;
  return SUCCESS;
}
SBEMU_API CUresult cuCtxPushCurrent_v2(CUcontext c) { return cuCtxSetCurrent(c); }
SBEMU_API CUresult cuCtxPopCurrent_v2(CUcontext* c) {
  if (c != nullptr) *c = t_current;
  t_current = nullptr;
  return SUCCESS;
}
SBEMU_API CUresult cuCtxGetDevice(CUdevice* d) {
  if (d == nullptr) return INVALID_VALUE;
  if (t_current == nullptr) return INVALID_CONTEXT;
  *d = 0;
  return SUCCESS;
}
SBEMU_API CUresult cuCtxSynchronize() { return SUCCESS; }

// ---- memory ------------------------------------------------------------------------------------
SBEMU_API CUresult cuMemAlloc_v2(CUdeviceptr* d, size_t n) {
  LOCK;
  return alloc(d, n);
}
SBEMU_API CUresult cuMemFree_v2(CUdeviceptr d) {
  LOCK;
  return free_dev(d);
}
SBEMU_API CUresult cuMemAllocAsync(CUdeviceptr* d, size_t n, CUstream s) {
  LOCK;
  if (!valid_stream(s)) return fail(INVALID_HANDLE, "cuMemAllocAsync: unknown stream");
  return alloc(d, n);
}
SBEMU_API CUresult cuMemFreeAsync(CUdeviceptr d, CUstream s) {
  LOCK;
  if (!valid_stream(s)) return fail(INVALID_HANDLE, "cuMemFreeAsync: unknown stream");
  return free_dev(d);
}
SBEMU_API CUresult cuMemGetInfo_v2(size_t* free_b, size_t* total) {
  LOCK;
  if (CUresult r = ensure_arena()) return r;
  if (free_b != nullptr) *free_b = st().arena_size - st().arena_used;
  if (total != nullptr) *total = st().arena_size;
  return SUCCESS;
}
SBEMU_API CUresult cuMemHostAlloc(void** p, size_t n, unsigned flags) {
  LOCK;
  (void)flags;
  if (CUresult r = check_init()) return r;
  if (p == nullptr || n == 0) return fail(INVALID_VALUE, "cuMemHostAlloc: null pointer or 0 bytes");
  void* m = std::aligned_alloc(kPage, (n + kPage - 1) / kPage * kPage);
  if (m == nullptr) return fail(OUT_OF_MEMORY, "cuMemHostAlloc: out of host memory");
  st().pinned.insert(m);
  *p = m;
  return SUCCESS;
}
SBEMU_API CUresult cuMemAllocHost_v2(void** p, size_t n) { return cuMemHostAlloc(p, n, 0); }
SBEMU_API CUresult cuMemFreeHost(void* p) {
  LOCK;
  if (st().pinned.erase(p) == 0) return fail(INVALID_VALUE, "cuMemFreeHost: not pinned host memory");
  std::free(p);
  return SUCCESS;
}
SBEMU_API CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void* h, size_t n) {
  LOCK;
  return copy(reinterpret_cast<void*>(d), h, n, true, false, nullptr, "cuMemcpyHtoD");
}
SBEMU_API CUresult cuMemcpyDtoH_v2(void* h, CUdeviceptr d, size_t n) {
  LOCK;
  return copy(h, reinterpret_cast<const void*>(d), n, false, true, nullptr, "cuMemcpyDtoH");
}
SBEMU_API CUresult cuMemcpyDtoD_v2(CUdeviceptr a, CUdeviceptr b, size_t n) {
  LOCK;
  return copy(reinterpret_cast<void*>(a), reinterpret_cast<const void*>(b), n, true, true, nullptr, "cuMemcpyDtoD");
}
SBEMU_API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void* h, size_t n, CUstream s) {
  LOCK;
  return copy(reinterpret_cast<void*>(d), h, n, true, false, s, "cuMemcpyHtoDAsync");
}
SBEMU_API CUresult cuMemcpyDtoHAsync_v2(void* h, CUdeviceptr d, size_t n, CUstream s) {
  LOCK;
  return copy(h, reinterpret_cast<const void*>(d), n, false, true, s, "cuMemcpyDtoHAsync");
}
SBEMU_API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr a, CUdeviceptr b, size_t n, CUstream s) {
  LOCK;
  return copy(reinterpret_cast<void*>(a), reinterpret_cast<const void*>(b), n, true, true, s, "cuMemcpyDtoDAsync");
}
// Unified-address copies: the direction follows from the arena.
SBEMU_API CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) {
  LOCK;
  void* d = reinterpret_cast<void*>(dst);
  const void* sp = reinterpret_cast<const void*>(src);
  return copy(d, sp, n, in_arena(d), in_arena(sp), s, "cuMemcpyAsync");
}
SBEMU_API CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t n) { return cuMemcpyAsync(dst, src, n, nullptr); }
SBEMU_API CUresult cuMemsetD8_v2(CUdeviceptr d, unsigned char v, size_t n) {
  LOCK;
  return memset_dev(d, v, n, nullptr);
}
SBEMU_API CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n, CUstream s) {
  LOCK;
  return memset_dev(d, v, n, s);
}
SBEMU_API CUresult cuMemsetD16_v2(CUdeviceptr d, unsigned short v, size_t n) {
  LOCK;
  return memset_dev(d, v, n, nullptr);
}
SBEMU_API CUresult cuMemsetD16Async(CUdeviceptr d, unsigned short v, size_t n, CUstream s) {
  LOCK;
  return memset_dev(d, v, n, s);
}
SBEMU_API CUresult cuMemsetD32_v2(CUdeviceptr d, unsigned v, size_t n) {
  LOCK;
  return memset_dev(d, v, n, nullptr);
}
SBEMU_API CUresult cuMemsetD32Async(CUdeviceptr d, unsigned v, size_t n, CUstream s) {
  LOCK;
  return memset_dev(d, v, n, s);
}

// ---- streams and events ------------------------------------------------------------------------
SBEMU_API CUresult cuStreamCreate(CUstream* s, unsigned flags) {
  LOCK;
  (void)flags;
  if (CUresult r = check_init()) return r;
  if (s == nullptr) return INVALID_VALUE;
  *s = new CUstream_st{static_cast<int>(st().streams.size()) + 3};
  st().streams.insert(*s);
  return SUCCESS;
}
SBEMU_API CUresult cuStreamCreateWithPriority(CUstream* s, unsigned flags, int priority) {
  (void)priority;
  return cuStreamCreate(s, flags);
}
SBEMU_API CUresult cuStreamDestroy_v2(CUstream s) {
  LOCK;
  if (st().streams.erase(s) == 0) return fail(INVALID_HANDLE, "cuStreamDestroy: unknown stream");
  delete s;
  return SUCCESS;
}
SBEMU_API CUresult cuStreamSynchronize(CUstream s) {
  LOCK;
  return valid_stream(s) ? SUCCESS : fail(INVALID_HANDLE, "cuStreamSynchronize: unknown stream");
}
SBEMU_API CUresult cuStreamQuery(CUstream s) {
  LOCK;
  return valid_stream(s) ? SUCCESS : fail(INVALID_HANDLE, "cuStreamQuery: unknown stream");
}
SBEMU_API CUresult cuStreamWaitEvent(CUstream s, CUevent e, unsigned flags) {
  LOCK;
  (void)flags;
  if (!valid_stream(s)) return fail(INVALID_HANDLE, "cuStreamWaitEvent: unknown stream");
  if (st().events.count(e) == 0) return fail(INVALID_HANDLE, "cuStreamWaitEvent: unknown event");
  return SUCCESS;  // every operation already completed in order
}
SBEMU_API CUresult cuEventCreate(CUevent* e, unsigned flags) {
  LOCK;
  (void)flags;
  if (CUresult r = check_init()) return r;
  if (e == nullptr) return INVALID_VALUE;
  *e = new CUevent_st();
  st().events.insert(*e);
  return SUCCESS;
}
SBEMU_API CUresult cuEventDestroy_v2(CUevent e) {
  LOCK;
  if (st().events.erase(e) == 0) return fail(INVALID_HANDLE, "cuEventDestroy: unknown event");
  delete e;
  return SUCCESS;
}
SBEMU_API CUresult cuEventRecord(CUevent e, CUstream s) {
  LOCK;
  if (st().events.count(e) == 0) return fail(INVALID_HANDLE, "cuEventRecord: unknown event");
  if (!valid_stream(s)) return fail(INVALID_HANDLE, "cuEventRecord: unknown stream");
  e->recorded = true;
  e->t_ms = now_ms();
  return SUCCESS;
}
SBEMU_API CUresult cuEventRecordWithFlags(CUevent e, CUstream s, unsigned flags) {
  (void)flags;
  return cuEventRecord(e, s);
}
SBEMU_API CUresult cuEventSynchronize(CUevent e) {
  LOCK;
  return st().events.count(e) != 0 ? SUCCESS : fail(INVALID_HANDLE, "cuEventSynchronize: unknown event");
}
SBEMU_API CUresult cuEventQuery(CUevent e) {
  LOCK;
  return st().events.count(e) != 0 ? SUCCESS : fail(INVALID_HANDLE, "cuEventQuery: unknown event");
}
SBEMU_API CUresult cuEventElapsedTime(float* ms, CUevent a, CUevent b) {
  LOCK;
  if (ms == nullptr) return INVALID_VALUE;
  if (st().events.count(a) == 0 || st().events.count(b) == 0) return fail(INVALID_HANDLE, "cuEventElapsedTime: unknown event");
  if (!a->recorded || !b->recorded) return fail(INVALID_HANDLE, "cuEventElapsedTime: event not recorded");
  *ms = static_cast<float>(b->t_ms - a->t_ms);
  return SUCCESS;
}
SBEMU_API CUresult cuEventElapsedTime_v2(float* ms, CUevent a, CUevent b) { return cuEventElapsedTime(ms, a, b); }

// ---- modules and launches ------------------------------------------------------------------------
SBEMU_API CUresult cuModuleLoadData(CUmodule* m, const void* image) {
  LOCK;
  if (CUresult r = check_init()) return r;
  if (m == nullptr || image == nullptr) return INVALID_VALUE;
  auto mod = std::make_unique<CUmod_st>();
  std::string err;
  if (!parse_ptx(static_cast<const char*>(image), &mod->entries, &err)) return fail(INVALID_IMAGE, "cuModuleLoadData: " + err);
  *m = mod.release();
  st().modules.insert(*m);
  return SUCCESS;
}
SBEMU_API CUresult cuModuleLoadDataEx(CUmodule* m, const void* image, unsigned n, void* opts, void** vals) {
  (void)n;
  (void)opts;
  (void)vals;
  return cuModuleLoadData(m, image);
}
SBEMU_API CUresult cuModuleUnload(CUmodule m) {
  LOCK;
  if (st().modules.erase(m) == 0) return fail(INVALID_HANDLE, "cuModuleUnload: unknown module");
  delete m;
  return SUCCESS;
}
SBEMU_API CUresult cuModuleGetFunction(CUfunction* f, CUmodule m, const char* name) {
  LOCK;
  if (f == nullptr || name == nullptr) return INVALID_VALUE;
  if (st().modules.count(m) == 0) return fail(INVALID_HANDLE, "cuModuleGetFunction: unknown module");
  auto it = m->entries.find(name);
  if (it == m->entries.end()) return fail(NOT_FOUND, std::string("cuModuleGetFunction: no .entry ") + name + " in the module");
  const cudashim::KernelEntry* k = sb_find_kernel(name);
  if (k == nullptr) return fail(NOT_FOUND, std::string("cuModuleGetFunction: no CPU build of ") + name + " (kernels.def)");
  const auto& ptx = it->second;
  if (ptx.size() != k->param_sizes.size())
    return fail(NOT_FOUND, std::string("cuModuleGetFunction: ") + name + ": PTX has " + std::to_string(ptx.size()) +
                               " parameters, the CPU build " + std::to_string(k->param_sizes.size()));
  for (size_t i = 0; i < ptx.size(); ++i)
    if (ptx[i] != k->param_sizes[i])
      return fail(NOT_FOUND, std::string("cuModuleGetFunction: ") + name + ": parameter " + std::to_string(i) +
                                 " is " + std::to_string(ptx[i]) + " bytes in the PTX but " +
                                 std::to_string(k->param_sizes[i]) + " bytes in the CPU build");
  *f = new CUfunc_st{k, name};
  st().functions.insert(*f);
  return SUCCESS;
}
SBEMU_API CUresult cuFuncGetAttribute(int* v, int attr, CUfunction f) {
  LOCK;
  if (v == nullptr || st().functions.count(f) == 0) return INVALID_VALUE;
  *v = attr == 0 ? 1024 : 0;  // MAX_THREADS_PER_BLOCK
  return SUCCESS;
}
SBEMU_API CUresult cuFuncSetAttribute(CUfunction f, int attr, int v) {
  LOCK;
  (void)attr;
  (void)v;
  return st().functions.count(f) != 0 ? SUCCESS : INVALID_HANDLE;
}
SBEMU_API CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                                  unsigned bz, unsigned smem, CUstream s, void** params, void** extra) {
  LOCK;
  if (CUresult r = check_init()) return r;
  if (st().functions.count(f) == 0) return fail(INVALID_HANDLE, "cuLaunchKernel: unknown function");
  if (!valid_stream(s)) return fail(INVALID_HANDLE, "cuLaunchKernel: unknown stream");
  const std::string who = "cuLaunchKernel(" + f->name + "): ";
  if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0) return fail(INVALID_VALUE, who + "a zero grid or block extent");
  if (static_cast<unsigned long long>(bx) * by * bz > 1024) return fail(INVALID_VALUE, who + "more than 1024 threads per block");
  if (gy != 1 || gz != 1 || by != 1 || bz != 1) return fail(INVALID_VALUE, who + "the emulator runs 1-D grids and blocks only");
  if (smem > kMaxSharedPerBlock) return fail(INVALID_VALUE, who + "dynamic shared memory above 48 KiB");
  if (extra != nullptr) return fail(INVALID_VALUE, who + "`extra` must be NULL (arguments go through kernelParams)");
  if (params == nullptr && !f->kernel->param_sizes.empty()) return fail(INVALID_VALUE, who + "kernelParams is NULL");
  for (size_t i = 0; i < f->kernel->param_sizes.size(); ++i)
    if (params[i] == nullptr) return fail(INVALID_VALUE, who + "kernelParams[" + std::to_string(i) + "] is NULL");
  int rc = f->kernel->launch(dim3(gx), dim3(bx), smem, params);
  if (rc != 0) return fail(INVALID_VALUE, who + "the shim refused the launch configuration");
  ++st().launches;
  return SUCCESS;
}
