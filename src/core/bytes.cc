#include "core/bytes.h"

#include <string>

namespace vidyut {

Status ByteReader::need(std::size_t n) const {
  if (remaining() < n) {
    return Error(Errc::kNeedMore, "need " + std::to_string(n) + " bytes at offset " +
                                      std::to_string(pos_) + ", have " +
                                      std::to_string(remaining()));
  }
  return {};
}

Result<std::uint8_t> ByteReader::u8() {
  VIDYUT_CHECK(need(1));
  return data_[pos_++];
}

Result<std::uint8_t> ByteReader::peek_u8() const {
  VIDYUT_CHECK(need(1));
  return data_[pos_];
}

Result<std::uint16_t> ByteReader::u16() {
  VIDYUT_CHECK(need(2));
  auto v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
  pos_ += 2;
  return v;
}

Result<std::uint32_t> ByteReader::u32() {
  VIDYUT_CHECK(need(4));
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | data_[pos_++];
  return v;
}

Result<std::uint64_t> ByteReader::u64() {
  VIDYUT_CHECK(need(8));
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | data_[pos_++];
  return v;
}

Result<ByteView> ByteReader::bytes(std::size_t n) {
  VIDYUT_CHECK(need(n));
  ByteView v = data_.subspan(pos_, n);
  pos_ += n;
  return v;
}

Status ByteReader::skip(std::size_t n) {
  VIDYUT_CHECK(need(n));
  pos_ += n;
  return {};
}

std::string to_hex(ByteView data, bool spaced) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string s;
  s.reserve(data.size() * (spaced ? 3 : 2));
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (spaced && i > 0) s.push_back(' ');
    s.push_back(kDigits[data[i] >> 4]);
    s.push_back(kDigits[data[i] & 0x0F]);
  }
  return s;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Result<Bytes> from_hex(std::string_view text) {
  Bytes out;
  out.reserve(text.size() / 2);
  int high = -1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == ':' || c == '-' || c == '\n' || c == '\t' || c == '\r') continue;
    int v = hex_value(c);
    if (v < 0) {
      return Error(Errc::kInvalidArgument,
                   "not a hex digit '" + std::string(1, c) + "' at position " + std::to_string(i));
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>((high << 4) | v));
      high = -1;
    }
  }
  if (high >= 0) return Error(Errc::kInvalidArgument, "odd number of hex digits");
  return out;
}

}  // namespace vidyut
