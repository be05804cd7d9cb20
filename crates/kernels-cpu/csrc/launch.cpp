// C launch API over the kernel registry, for the Rust tests of sparsebridge-kernels-cpu.
#include <cstddef>

#include "shim/registry.hpp"

extern "C" {

/// Number of kernels in the registry (kernels.def).
size_t sbk_kernel_count() { return sb_kernel_registry().size(); }

/// Name of kernel i (i < sbk_kernel_count()), or nullptr.
const char* sbk_kernel_name(size_t i) {
  return i < sb_kernel_registry().size() ? sb_kernel_registry()[i].name : nullptr;
}

/// Number of parameters of kernel `name`, or -1 when unknown.
long sbk_param_count(const char* name) {
  const auto* k = sb_find_kernel(name);
  return k == nullptr ? -1 : static_cast<long>(k->param_sizes.size());
}

/// sizeof of parameter i of kernel `name`, or 0.
size_t sbk_param_size(const char* name, size_t i) {
  const auto* k = sb_find_kernel(name);
  return k == nullptr || i >= k->param_sizes.size() ? 0 : k->param_sizes[i];
}

/// Launches kernel `name` with `params` (one pointer per argument, as cuLaunchKernel) after checking
/// the caller's argument sizes against the CPU signature. Returns 0, 1 (bad launch configuration),
/// -1 (unknown kernel), -2 (argument count differs) or -(100 + i) (argument i has another size).
int sbk_launch(const char* name, unsigned grid, unsigned block, size_t smem, void** params, const size_t* sizes,
               size_t nparams) {
  const auto* k = sb_find_kernel(name);
  if (k == nullptr) return -1;
  if (nparams != k->param_sizes.size()) return -2;
  for (size_t i = 0; i < nparams; ++i)
    if (sizes[i] != k->param_sizes[i]) return -(100 + static_cast<int>(i));
  return k->launch(dim3(grid), dim3(block), smem, params);
}
}
