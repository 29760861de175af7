// Byte buffers and big-endian readers/writers used by every wire codec.
//
// ByteReader never reads past its end: each accessor returns Result and reports kNeedMore
// (not kMalformed) when the input is short, so stream decoders can tell "wait for more"
// from "this is garbage". Callers that hold a complete message turn kNeedMore into kMalformed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace vidyut {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

class ByteWriter {
 public:
  ByteWriter() = default;
  explicit ByteWriter(Bytes& out) : out_(&out) {}

  void u8(std::uint8_t v) { buf().push_back(v); }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  void u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v >> 32));
    u32(static_cast<std::uint32_t>(v));
  }
  void bytes(ByteView v) { buf().insert(buf().end(), v.begin(), v.end()); }
  void bytes(std::string_view v) { buf().insert(buf().end(), v.begin(), v.end()); }

  std::size_t size() const { return out_ ? out_->size() : own_.size(); }
  // Overwrites a byte already written (for back-patched lengths).
  void patch_u8(std::size_t pos, std::uint8_t v) { buf()[pos] = v; }
  void patch_u16(std::size_t pos, std::uint16_t v) {
    buf()[pos] = static_cast<std::uint8_t>(v >> 8);
    buf()[pos + 1] = static_cast<std::uint8_t>(v);
  }

  // The bytes written, when the writer owns its buffer.
  Bytes take() { return std::move(own_); }
  const Bytes& view() const { return out_ ? *out_ : own_; }

 private:
  Bytes& buf() { return out_ ? *out_ : own_; }
  Bytes* out_ = nullptr;
  Bytes own_;
};

class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}

  std::size_t remaining() const { return data_.size() - pos_; }
  std::size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }
  ByteView rest() const { return data_.subspan(pos_); }

  Result<std::uint8_t> u8();
  Result<std::uint8_t> peek_u8() const;
  Result<std::uint16_t> u16();
  Result<std::uint32_t> u32();
  Result<std::uint64_t> u64();
  // A view of the next n bytes, valid while the underlying buffer lives.
  Result<ByteView> bytes(std::size_t n);
  Status skip(std::size_t n);

 private:
  Status need(std::size_t n) const;
  ByteView data_;
  std::size_t pos_ = 0;
};

// "0A1B" <-> {0x0A, 0x1B}. Parsing accepts upper/lower case and ignores spaces, ':' and '-'.
std::string to_hex(ByteView data, bool spaced = false);
Result<Bytes> from_hex(std::string_view text);

}  // namespace vidyut
