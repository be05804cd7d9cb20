/* A memory-only fake CUDA driver for the buffer crate's CUDA-path tests (not the project's
 * emulator in kernels/emu): one device named "sparsebridge buffer fake driver", device memory
 * from malloc with a registry of live ranges, synchronous streams. Copies check that device
 * ranges are live; freeing an unknown pointer aborts (double free). Build:
 *   cc -shared -fPIC -o libcuda.so.1 fake_libcuda.c -lpthread                                  */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;
enum { OK = 0, INVALID_VALUE = 1, OUT_OF_MEMORY = 2, NO_DEVICE = 100, INVALID_DEVICE = 101 };
#define MAXA 4096
struct alloc { uintptr_t p; size_t n; int pinned; };
static struct alloc tab[MAXA];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long long waits, records;
static unsigned long long last_wait_stream;
static char the_dev_ctx;
static __thread void* current;

static int add(void* p, size_t n, int pinned) {
  pthread_mutex_lock(&mu);
  for (int i = 0; i < MAXA; i++) if (!tab[i].p) { tab[i] = (struct alloc){(uintptr_t)p, n, pinned}; pthread_mutex_unlock(&mu); return 1; }
  pthread_mutex_unlock(&mu); return 0;
}
static void del(uintptr_t p, int pinned) {
  pthread_mutex_lock(&mu);
  for (int i = 0; i < MAXA; i++) if (tab[i].p == p && tab[i].pinned == pinned) { tab[i].p = 0; pthread_mutex_unlock(&mu); free((void*)p); return; }
  pthread_mutex_unlock(&mu); abort(); /* double or foreign free */
}
static int live_range(uintptr_t p, size_t n) {
  int ok = 0; pthread_mutex_lock(&mu);
  for (int i = 0; i < MAXA; i++) if (tab[i].p && !tab[i].pinned && p >= tab[i].p && p + n <= tab[i].p + tab[i].n) ok = 1;
  pthread_mutex_unlock(&mu); return ok;
}

long long sbfake_live(void) { long long n = 0; pthread_mutex_lock(&mu); for (int i = 0; i < MAXA; i++) n += tab[i].p != 0; pthread_mutex_unlock(&mu); return n; }
long long sbfake_waits(void) { return waits; }
long long sbfake_records(void) { return records; }
long long sbfake_last_wait_stream(void) { return (long long)last_wait_stream; }

CUresult cuInit(unsigned f) { (void)f; return OK; }
CUresult cuDriverGetVersion(int* v) { *v = 13000; return OK; }
CUresult cuDeviceGetCount(int* n) { *n = 1; return OK; }
CUresult cuDeviceGet(int* d, int o) { if (o != 0) return INVALID_DEVICE; *d = 0; return OK; }
CUresult cuDeviceGetAttribute(int* v, int attr, int d) { (void)d; *v = attr == 75 ? 9 : 0; return OK; }
CUresult cuDeviceGetName(char* s, int len, int d) { (void)d; strncpy(s, "sparsebridge buffer fake driver", len); if (len) s[len - 1] = 0; return OK; }
CUresult cuDevicePrimaryCtxRetain(void** c, int d) { (void)d; *c = &the_dev_ctx; return OK; }
CUresult cuDevicePrimaryCtxRelease_v2(int d) { (void)d; return OK; }
CUresult cuCtxGetCurrent(void** c) { *c = current; return OK; }
CUresult cuCtxSetCurrent(void* c) { current = c; return OK; }
CUresult cuCtxSynchronize(void) { return OK; }
CUresult cuCtxSynchronize_v2(void) { return OK; }
CUresult cuStreamCreate(void** s, unsigned f) { (void)f; *s = malloc(1); return OK; }
CUresult cuStreamDestroy_v2(void* s) { free(s); return OK; }
CUresult cuStreamSynchronize(void* s) { (void)s; return OK; }
CUresult cuStreamWaitEvent(void* s, void* e, unsigned f) { (void)e; (void)f; __atomic_add_fetch(&waits, 1, __ATOMIC_SEQ_CST); last_wait_stream = (uintptr_t)s; return OK; }
CUresult cuEventCreate(void** e, unsigned f) { (void)f; *e = malloc(1); return OK; }
CUresult cuEventDestroy_v2(void* e) { free(e); return OK; }
CUresult cuEventRecord(void* e, void* s) { (void)e; (void)s; __atomic_add_fetch(&records, 1, __ATOMIC_SEQ_CST); return OK; }
CUresult cuEventSynchronize(void* e) { (void)e; return OK; }
CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t n) {
  if (!n) return INVALID_VALUE;
  void* m = malloc(n); if (!m) return OUT_OF_MEMORY; memset(m, 0xCD, n);
  if (!add(m, n, 0)) { free(m); return OUT_OF_MEMORY; }
  *p = (uintptr_t)m; return OK;
}
CUresult cuMemFree_v2(CUdeviceptr p) { del((uintptr_t)p, 0); return OK; }
CUresult cuMemHostAlloc(void** p, size_t n, unsigned f) {
  (void)f; void* m = malloc(n); if (!m) return OUT_OF_MEMORY; memset(m, 0xCD, n);
  if (!add(m, n, 1)) { free(m); return OUT_OF_MEMORY; }
  *p = m; return OK;
}
CUresult cuMemFreeHost(void* p) { del((uintptr_t)p, 1); return OK; }
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void* h, size_t n, void* s) {
  (void)s; if (!live_range(d, n) || live_range((uintptr_t)h, n)) return INVALID_VALUE; memcpy((void*)d, h, n); return OK;
}
CUresult cuMemcpyDtoHAsync_v2(void* h, CUdeviceptr d, size_t n, void* s) {
  (void)s; if (!live_range(d, n) || live_range((uintptr_t)h, n)) return INVALID_VALUE; memcpy(h, (void*)d, n); return OK;
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr a, CUdeviceptr b, size_t n, void* s) {
  (void)s; if (!live_range(a, n) || !live_range(b, n)) return INVALID_VALUE; memmove((void*)a, (void*)b, n); return OK;
}
CUresult cuGetErrorString(CUresult e, const char** s) { *s = e == 1 ? "invalid argument" : e == 100 ? "no CUDA-capable device is detected" : "fake error"; return OK; }
CUresult cuGetErrorName(CUresult e, const char** s) { *s = e == 1 ? "CUDA_ERROR_INVALID_VALUE" : e == 100 ? "CUDA_ERROR_NO_DEVICE" : "CUDA_ERROR_UNKNOWN"; return OK; }
