#include "dlms/axdr/obis.h"

#include <string>

namespace vidyut::dlms {

Result<Obis> Obis::parse(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Error(Errc::kInvalidArgument, "OBIS code '" + std::string(text) + "' " + why +
                                             " (expected e.g. 1.0.99.1.0.255 or 1-0:99.1.0.255)");
  };
  // Separators allowed after each of groups A..E: "." everywhere; "-" after A, ":" after B and
  // "*" after E as in the IEC 62056-6-1 reduced-ID notation.
  Obis o;
  std::size_t pos = 0;
  for (std::size_t g = 0; g < 6; ++g) {
    unsigned v = 0;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++digits > 3) return bad("has a group longer than 3 digits");
      v = v * 10 + static_cast<unsigned>(text[pos] - '0');
      ++pos;
    }
    if (digits == 0) return bad("has an empty or non-numeric group");
    if (v > 255) return bad("has a group over 255");
    o.v[g] = static_cast<std::uint8_t>(v);
    if (g == 5) break;
    if (pos >= text.size()) return bad("has fewer than 6 groups");
    const char sep = text[pos];
    const bool ok =
        sep == '.' || (g == 0 && sep == '-') || (g == 1 && sep == ':') || (g == 4 && sep == '*');
    if (!ok) return bad("has an unexpected '" + std::string(1, sep) + "'");
    ++pos;
  }
  if (pos != text.size()) return bad("has trailing characters");
  return o;
}

Result<Obis> Obis::from_bytes(ByteView six) {
  if (six.size() != 6) {
    return Error(Errc::kMalformed, "logical name needs 6 bytes, got " + std::to_string(six.size()));
  }
  Obis o;
  for (std::size_t i = 0; i < 6; ++i) o.v[i] = six[i];
  return o;
}

std::string Obis::to_string() const {
  std::string s;
  for (std::size_t i = 0; i < 6; ++i) {
    if (i) s += '.';
    s += std::to_string(v[i]);
  }
  return s;
}

}  // namespace vidyut::dlms
