// The C++17 wrapper: RAII, string_view names, exceptions carrying sb_last_error().
#include <cstdio>
#include <cstring>

#include <sparsebridge.hpp>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int failures = 0;
  sb::Tensor csc;
  {
    sb::Tensor x = sb::Tensor::read(argv[1]);
    csc = x.convert("CSC");
  }  // x released here; csc still valid
  csc.validate();
  if (csc.name(0) != "pointers_to_1" || !csc.array("values")) failures++;
  if (csc.descriptor().find("\"CSC\"") == std::string_view::npos) failures++;
  try {
    csc.convert("NOT_A_FORMAT");
    failures++;
  } catch (const sb::Error &e) {
    if (e.code() != SB_E_UNSUPPORTED || std::strstr(e.what(), "NOT_A_FORMAT") == nullptr) failures++;
  }
  sb::Tensor moved = std::move(csc);
  if (csc || !moved) failures++;
  if (failures) std::fprintf(stderr, "wrapper: %d failures\n", failures);
  return failures ? 1 : 0;
}
