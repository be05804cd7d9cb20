// One translation unit with the CPU build of every kernel file and the registry made from kernels.def.
#include <cstring>

#include "registry.hpp"
// The kernel files, compiled as C++ with the shim (each starts with the !__CUDACC__ guard).
#include "../canon.cu"
#include "../cast.cu"
#include "../coo.cu"
#include "../dense.cu"
#include "../gather.cu"
#include "../scan.cu"
#include "../sort.cu"
#include "../validate.cu"
#if defined(SB_WITH_PLANTED)
#include "../tests/planted_bugs.cu"
#endif

const std::vector<cudashim::KernelEntry>& sb_kernel_registry() {
  static const std::vector<cudashim::KernelEntry> entries = {
#define SB_KERNEL(file, name) SB_REGISTRY_ENTRY(file, name)
#include "../kernels.def"
#if defined(SB_WITH_PLANTED)
#include "../tests/planted.def"
#endif
#undef SB_KERNEL
  };
  return entries;
}

const cudashim::KernelEntry* sb_find_kernel(const char* name) {
  for (const auto& e : sb_kernel_registry())
    if (std::strcmp(e.name, name) == 0) return &e;
  return nullptr;
}
