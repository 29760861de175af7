// Result<T>: the value of an operation on the data path, or the Error that stopped it.
//
// Vidyut does not throw on the data path (codecs, sessions, storage). Functions that can fail
// return Result<T>; callers test it and either use the value or pass the error up. This is a
// small stand-in for std::expected, which GCC 12 offers in C++23 mode but clang 14 (our fuzzing
// compiler) cannot compile; when both toolchains move on, this header can alias std::expected.
#pragma once

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/error.h"

namespace vidyut {

template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "Result<Error> is ambiguous");

 public:
  using value_type = T;

  Result(const T& v) : v_(std::in_place_index<0>, v) {}          // NOLINT(implicit)
  Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}    // NOLINT(implicit)
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT(implicit)
  template <typename U, typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                    !std::is_same_v<std::decay_t<U>, T> &&
                                                    !std::is_same_v<std::decay_t<U>, Error> &&
                                                    !std::is_same_v<std::decay_t<U>, Result>>>
  Result(U&& u) : v_(std::in_place_index<0>, T(std::forward<U>(u))) {}  // NOLINT(implicit)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok()
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // REQUIRES: !ok()
  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

  T value_or(T fallback) const& { return ok() ? std::get<0>(v_) : std::move(fallback); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), ok_(false) {}  // NOLINT(implicit)
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return err_;
  }

 private:
  Error err_{};
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace vidyut

// Propagates an error from an expression that yields Result<...>: VIDYUT_TRY(r, expr);
// declares `r` holding the successful Result, or returns its Error from the enclosing function.
#define VIDYUT_TRY(var, expr) \
  auto var = (expr);          \
  if (!var.ok()) return ::vidyut::Error(var.error())

// Returns the Error of a Status-returning expression, if any.
#define VIDYUT_CHECK(expr)                                   \
  do {                                                       \
    auto vidyut_status_ = (expr);                            \
    if (!vidyut_status_.ok()) return vidyut_status_.error(); \
  } while (0)
