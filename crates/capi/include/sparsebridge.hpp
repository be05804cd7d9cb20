// sparsebridge.hpp: header-only C++17 wrapper of sparsebridge.h.
//   sb::Tensor owns an SBSparseTensor* (RAII: the deleter runs once, in the destructor; move-only).
//   Failures throw sb::Error carrying the SB_E_* code and sb_last_error().
#ifndef SPARSEBRIDGE_HPP_
#define SPARSEBRIDGE_HPP_

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "sparsebridge.h"

namespace sb {

class Error : public std::runtime_error {
 public:
  Error(int code, const std::string &what) : std::runtime_error(what), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

inline void check(int rc, const char *what) {
  if (rc != SB_OK) throw Error(rc, std::string(what) + ": " + sb_last_error());
}

class Tensor {
 public:
  Tensor() noexcept = default;
  // Adopts a tensor (its single ownership).
  explicit Tensor(SBSparseTensor *raw) noexcept : raw_(raw) {}
  Tensor(const Tensor &) = delete;
  Tensor &operator=(const Tensor &) = delete;
  Tensor(Tensor &&o) noexcept : raw_(std::exchange(o.raw_, nullptr)) {}
  Tensor &operator=(Tensor &&o) noexcept {
    if (this != &o) {
      reset();
      raw_ = std::exchange(o.raw_, nullptr);
    }
    return *this;
  }
  ~Tensor() { reset(); }

  static Tensor read(const std::string &path) {
    SBSparseTensor *out = nullptr;
    check(sb_read(path.c_str(), &out), "sb_read");
    return Tensor(out);
  }
  void write(const std::string &path) const { check(sb_write(path.c_str(), get()), "sb_write"); }
  void validate() const { check(sb_validate(get()), "sb_validate"); }
  Tensor convert(const std::string &request) const {
    SBSparseTensor *out = nullptr;
    check(sb_convert(get(), request.c_str(), &out), "sb_convert");
    return Tensor(out);
  }

  std::string_view descriptor() const { return get()->descriptor; }
  std::int32_t size() const { return get()->num_arrays; }
  std::string_view name(std::int32_t i) const { return get()->names[i]; }
  const DLManagedTensorVersioned *array(std::int32_t i) const { return get()->arrays[i]; }
  // The array named `name`, or nullptr.
  const DLManagedTensorVersioned *array(std::string_view name) const {
    for (std::int32_t i = 0; i < size(); i++)
      if (this->name(i) == name) return array(i);
    return nullptr;
  }

  const SBSparseTensor *get() const {
    if (!raw_) throw Error(SB_E_NULL, "sb::Tensor is empty");
    return raw_;
  }
  // Gives up ownership (the caller must call the deleter).
  SBSparseTensor *release() noexcept { return std::exchange(raw_, nullptr); }
  void reset() noexcept {
    if (raw_ && raw_->deleter) raw_->deleter(raw_);
    raw_ = nullptr;
  }
  explicit operator bool() const noexcept { return raw_ != nullptr; }

 private:
  SBSparseTensor *raw_ = nullptr;
};

}  // namespace sb

#endif  // SPARSEBRIDGE_HPP_
