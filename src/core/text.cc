#include "core/text.h"

#include <cstdint>
#include <string>

namespace vidyut {

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto x = static_cast<unsigned char>(s[i + k]);
    if ((x & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (x & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

Status check_text(std::string_view what, std::string_view s, std::size_t max_bytes) {
  if (s.size() > max_bytes) {
    return Error(Errc::kInvalidArgument,
                 std::string(what) + " exceeds " + std::to_string(max_bytes) + " bytes");
  }
  if (!valid_utf8(s)) {
    return Error(Errc::kInvalidArgument, std::string(what) + " is not valid UTF-8");
  }
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return Error(Errc::kInvalidArgument, std::string(what) + " contains a control character");
    }
  }
  return ok_status();
}

}  // namespace vidyut
