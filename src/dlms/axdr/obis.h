// OBIS code: the six-byte logical name of a COSEM object (A.B.C.D.E.F), e.g. 1.0.99.1.0.255.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace vidyut::dlms {

struct Obis {
  std::array<std::uint8_t, 6> v{};

  constexpr Obis() = default;
  constexpr Obis(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint8_t e,
                 std::uint8_t f)
      : v{a, b, c, d, e, f} {}

  // Accepts "1.0.99.1.0.255" and the "1-0:99.1.0.255" form; every group 0..255.
  static Result<Obis> parse(std::string_view text);
  // From six bytes (a logical-name octet-string).
  static Result<Obis> from_bytes(ByteView six);
  Bytes to_bytes() const { return Bytes(v.begin(), v.end()); }
  std::string to_string() const;  // "1.0.99.1.0.255"

  auto operator<=>(const Obis&) const = default;
};

}  // namespace vidyut::dlms

template <>
struct std::hash<vidyut::dlms::Obis> {
  std::size_t operator()(const vidyut::dlms::Obis& o) const noexcept {
    std::uint64_t x = 0;
    for (auto b : o.v) x = (x << 8) | b;
    return std::hash<std::uint64_t>{}(x);
  }
};
