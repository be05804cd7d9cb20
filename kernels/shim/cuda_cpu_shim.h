// CPU shim: compiles the CUDA C kernels in kernels/*.cu with a plain C++20 compiler (g++ >= 11).
//
// Model (gpu-without-a-gpu.md §4): a launch creates one std::thread per CUDA thread of a block; the
// threads run the blocks of the grid one after another (threadIdx/blockIdx are thread_local).
// `__syncthreads` is a per-block std::barrier, warp shuffles and votes use a per-warp barrier plus a
// 32-slot exchange, atomics use std::atomic_ref. A thread that returns early drops out of its barriers,
// like an exited CUDA thread. `__shared__` maps to `static`, which is valid because blocks never run
// concurrently and a global mutex serializes launches. Dynamic shared memory is one buffer per launch,
// refilled with 0xCD before every block. Only 1-D grids and blocks are supported.
//
// Limits: no warp lock-step (warp-synchronous code without *_sync intrinsics is not modelled), x86
// memory ordering hides missing fences, static __shared__ starts zeroed, no occupancy limits.
#pragma once

#include <atomic>
#include <barrier>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __constant__ static const
#define __launch_bounds__(...)
#define __align__(n) alignas(n)

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

inline thread_local dim3 threadIdx;
inline thread_local dim3 blockIdx;
inline dim3 blockDim;
inline dim3 gridDim;
constexpr int warpSize = 32;

namespace cudashim {

struct Warp {
  std::unique_ptr<std::barrier<>> bar;
  unsigned long long slot[32] = {};
};

struct Block {
  std::unique_ptr<std::barrier<>> sync;
  std::vector<Warp> warps;
  std::vector<unsigned char> dyn_smem;
};

inline Block* g_block = nullptr;

inline std::mutex& launch_mutex() {
  static std::mutex m;
  return m;
}

inline Warp& my_warp() { return g_block->warps[threadIdx.x / 32]; }
inline unsigned my_lane() { return threadIdx.x % 32; }
inline unsigned warp_size_of(unsigned w) {
  unsigned left = blockDim.x - w * 32;
  return left < 32 ? left : 32;
}
inline void* dynamic_shared() { return g_block->dyn_smem.data(); }

// Publishes `bits` in this lane's slot and returns the slot of `src` (or the own value when `src` is
// not a lane of this warp).
inline unsigned long long exchange(unsigned long long bits, unsigned src) {
  Warp& w = my_warp();
  unsigned lane = my_lane();
  w.slot[lane] = bits;
  w.bar->arrive_and_wait();
  unsigned long long r = src < warp_size_of(threadIdx.x / 32) ? w.slot[src] : bits;
  w.bar->arrive_and_wait();
  return r;
}

template <class T>
T shfl_from(T v, unsigned src) {
  static_assert(sizeof(T) <= 8, "shim shuffles carry at most 8 bytes");
  unsigned long long bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  unsigned long long r = exchange(bits, src);
  T out;
  std::memcpy(&out, &r, sizeof(T));
  return out;
}

inline unsigned ballot(bool pred) {
  Warp& w = my_warp();
  unsigned lane = my_lane();
  unsigned n = warp_size_of(threadIdx.x / 32);
  w.slot[lane] = pred ? 1 : 0;
  w.bar->arrive_and_wait();
  unsigned mask = 0;
  for (unsigned i = 0; i < n; ++i) mask |= (w.slot[i] != 0 ? 1u : 0u) << i;
  w.bar->arrive_and_wait();
  return mask;
}

/// Status of a shim launch.
enum LaunchStatus : int { kLaunchOk = 0, kLaunchBadConfig = 1 };

/// Runs `body` for every thread of a 1-D grid; returns kLaunchBadConfig for a 0 or >1024 block, a 0
/// grid, or a y/z extent other than 1.
inline int launch_body(dim3 grid, dim3 block, size_t smem, const std::function<void()>& body) {
  if (grid.x == 0 || block.x == 0 || block.x > 1024 || grid.y != 1 || grid.z != 1 || block.y != 1 ||
      block.z != 1)
    return kLaunchBadConfig;
  std::lock_guard<std::mutex> lock(launch_mutex());
  gridDim = grid;
  blockDim = block;
  const unsigned nthreads = block.x;
  const unsigned nwarps = (nthreads + 31) / 32;
  Block st;
  st.warps.resize(nwarps);
  st.dyn_smem.resize(smem);
  auto reset = [&st, nthreads, nwarps]() noexcept {
    st.sync = std::make_unique<std::barrier<>>(nthreads);
    for (unsigned w = 0; w < nwarps; ++w)
      st.warps[w].bar = std::make_unique<std::barrier<>>(warp_size_of(w));
    std::memset(st.dyn_smem.data(), 0xCD, st.dyn_smem.size());
  };
  reset();
  g_block = &st;
  std::barrier end_of_block(nthreads, reset);
  std::vector<std::thread> threads;
  threads.reserve(nthreads);
  const unsigned nblocks = grid.x;
  for (unsigned t = 0; t < nthreads; ++t) {
    threads.emplace_back([&, t] {
      threadIdx = dim3(t, 0, 0);
      for (unsigned b = 0; b < nblocks; ++b) {
        blockIdx = dim3(b, 0, 0);
        body();
        // An exited CUDA thread no longer takes part in barriers or warp exchanges.
        st.sync->arrive_and_drop();
        st.warps[t / 32].bar->arrive_and_drop();
        end_of_block.arrive_and_wait();
      }
    });
  }
  for (auto& th : threads) th.join();
  g_block = nullptr;
  return kLaunchOk;
}

/// Launches kernel `k` with the given geometry; arguments are converted to the kernel's parameter types.
template <class... P, class... A>
int launch(dim3 grid, dim3 block, size_t smem, void (*k)(P...), A&&... args) {
  static_assert(sizeof...(P) == sizeof...(A), "argument count differs from the kernel's parameters");
  std::tuple<std::decay_t<P>...> packed(static_cast<std::decay_t<P>>(std::forward<A>(args))...);
  return launch_body(grid, block, smem, [&] { std::apply(k, packed); });
}

}  // namespace cudashim

inline void __syncthreads() { cudashim::g_block->sync->arrive_and_wait(); }
inline void __syncwarp(unsigned = 0xffffffffu) { cudashim::my_warp().bar->arrive_and_wait(); }
inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __threadfence_block() { std::atomic_thread_fence(std::memory_order_seq_cst); }

template <class T>
T __shfl_sync(unsigned, T v, int src, int width = 32) {
  unsigned lane = cudashim::my_lane();
  return cudashim::shfl_from(v, (lane & ~unsigned(width - 1)) + unsigned(src) % unsigned(width));
}
template <class T>
T __shfl_up_sync(unsigned, T v, unsigned delta, int width = 32) {
  unsigned lane = cudashim::my_lane();
  unsigned src = (lane % unsigned(width)) < delta ? lane : lane - delta;
  return cudashim::shfl_from(v, src);
}
template <class T>
T __shfl_down_sync(unsigned, T v, unsigned delta, int width = 32) {
  unsigned lane = cudashim::my_lane();
  unsigned src = (lane % unsigned(width)) + delta >= unsigned(width) ? lane : lane + delta;
  return cudashim::shfl_from(v, src);
}
template <class T>
T __shfl_xor_sync(unsigned, T v, int mask, int width = 32) {
  unsigned lane = cudashim::my_lane();
  unsigned src = lane ^ unsigned(mask);
  if ((src & ~unsigned(width - 1)) != (lane & ~unsigned(width - 1))) src = lane;
  return cudashim::shfl_from(v, src);
}
inline unsigned __ballot_sync(unsigned, int pred) { return cudashim::ballot(pred != 0); }
inline int __any_sync(unsigned m, int pred) { return __ballot_sync(m, pred) != 0; }
inline int __all_sync(unsigned, int pred) {
  unsigned n = cudashim::warp_size_of(threadIdx.x / 32);
  unsigned full = n == 32 ? 0xffffffffu : ((1u << n) - 1);
  return cudashim::ballot(pred != 0) == full;
}

inline int __popc(unsigned v) { return __builtin_popcount(v); }
inline int __popcll(unsigned long long v) { return __builtin_popcountll(v); }
inline int __clzll(long long v) { return v == 0 ? 64 : __builtin_clzll((unsigned long long)v); }
inline int __ffs(int v) { return __builtin_ffs(v); }
template <class T>
T __ldg(const T* p) { return *p; }

template <class T>
T atomicAdd(T* p, std::type_identity_t<T> v) { return std::atomic_ref<T>(*p).fetch_add(v); }
template <class T>
T atomicSub(T* p, std::type_identity_t<T> v) { return std::atomic_ref<T>(*p).fetch_sub(v); }
template <class T>
T atomicOr(T* p, std::type_identity_t<T> v) { return std::atomic_ref<T>(*p).fetch_or(v); }
template <class T>
T atomicAnd(T* p, std::type_identity_t<T> v) { return std::atomic_ref<T>(*p).fetch_and(v); }
template <class T>
T atomicExch(T* p, std::type_identity_t<T> v) { return std::atomic_ref<T>(*p).exchange(v); }
template <class T>
T atomicCAS(T* p, std::type_identity_t<T> expected, std::type_identity_t<T> desired) {
  std::atomic_ref<T>(*p).compare_exchange_strong(expected, desired);
  return expected;
}
template <class T>
T atomicMin(T* p, std::type_identity_t<T> v) {
  std::atomic_ref<T> a(*p);
  T cur = a.load();
  while (v < cur && !a.compare_exchange_weak(cur, v)) {
  }
  return cur;
}
template <class T>
T atomicMax(T* p, std::type_identity_t<T> v) {
  std::atomic_ref<T> a(*p);
  T cur = a.load();
  while (v > cur && !a.compare_exchange_weak(cur, v)) {
  }
  return cur;
}
