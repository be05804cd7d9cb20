// Registry of the CPU (shim) builds of the kernels, by name: parameter sizes and a launcher that
// unpacks CUDA-style `void** params` into typed arguments. Used by the emulated driver (kernels/emu/)
// and the test-only crate crates/kernels-cpu. Entries are made from kernels/kernels.def.
#pragma once
#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

#include "cuda_cpu_shim.h"

namespace cudashim {

/// One kernel's CPU build.
struct KernelEntry {
  const char* file;                 ///< kernels/<file>.cu
  const char* name;                 ///< extern "C" name, as in the PTX `.entry`
  std::vector<size_t> param_sizes;  ///< sizeof of each parameter, in order
  int (*launch)(dim3 grid, dim3 block, size_t smem, void** params);  ///< 0 ok, else LaunchStatus
};

template <auto F, class Sig>
struct Thunk;

template <auto F, class... P>
struct Thunk<F, void (*)(P...)> {
  template <size_t... I>
  static int call(dim3 g, dim3 b, size_t smem, void** params, std::index_sequence<I...>) {
    (void)params;
    // Each params[i] points at a value of the i-th parameter type, as in cuLaunchKernel.
    return ::cudashim::launch(g, b, smem, F, *static_cast<std::remove_cv_t<P>*>(params[I])...);
  }
  static int launch_params(dim3 g, dim3 b, size_t smem, void** params) {
    return call(g, b, smem, params, std::index_sequence_for<P...>{});
  }
  static std::vector<size_t> sizes() { return {sizeof(P)...}; }
};

}  // namespace cudashim

#define SB_REGISTRY_ENTRY(file, name)                                        \
  ::cudashim::KernelEntry{#file, #name, ::cudashim::Thunk<&name, decltype(&name)>::sizes(), \
                          &::cudashim::Thunk<&name, decltype(&name)>::launch_params},

/// Every kernel of kernels.def (plus the planted-bug kernels when built with SB_WITH_PLANTED).
const std::vector<cudashim::KernelEntry>& sb_kernel_registry();
/// The entry named `name`, or nullptr.
const cudashim::KernelEntry* sb_find_kernel(const char* name);
