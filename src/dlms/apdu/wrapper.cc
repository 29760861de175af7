#include "dlms/apdu/wrapper.h"

#include <cassert>
#include <string>

namespace vidyut::dlms {

Bytes wrap(std::uint16_t source, std::uint16_t destination, ByteView apdu) {
  assert(apdu.size() <= 0xFFFF);
  Bytes out;
  out.reserve(kWrapperHeaderSize + apdu.size());
  ByteWriter w(out);
  w.u16(kWrapperVersion);
  w.u16(source);
  w.u16(destination);
  w.u16(static_cast<std::uint16_t>(apdu.size()));
  w.bytes(apdu);
  return out;
}

WrapperDecoder::WrapperDecoder(std::size_t max_apdu) : max_apdu_(max_apdu) {
  assert(max_apdu <= kMaxApduSize);
}

void WrapperDecoder::feed(ByteView bytes) {
  if (failed_) return;
  // Drop consumed bytes before growing, so the buffer holds only unreturned data.
  if (start_ > 0) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<WrapperFrame>> WrapperDecoder::next() {
  if (failed_) return *failed_;
  const std::size_t avail = buf_.size() - start_;
  if (avail < kWrapperHeaderSize) return std::optional<WrapperFrame>();
  const std::uint8_t* h = buf_.data() + start_;
  auto be16 = [h](std::size_t i) { return static_cast<std::uint16_t>((h[i] << 8) | h[i + 1]); };
  const std::uint16_t version = be16(0);
  const std::uint16_t length = be16(6);
  if (version != kWrapperVersion) {
    failed_ =
        Error(Errc::kMalformed, "wrapper version " + std::to_string(version) + ", expected 1");
    return *failed_;
  }
  if (length > max_apdu_) {
    failed_ = Error(Errc::kLimitExceeded, "wrapper length " + std::to_string(length) +
                                              " exceeds limit " + std::to_string(max_apdu_));
    return *failed_;
  }
  if (avail < kWrapperHeaderSize + length) return std::optional<WrapperFrame>();
  WrapperFrame f;
  f.source = be16(2);
  f.destination = be16(4);
  f.apdu.assign(h + kWrapperHeaderSize, h + kWrapperHeaderSize + length);
  start_ += kWrapperHeaderSize + length;
  if (start_ == buf_.size()) {
    buf_.clear();
    start_ = 0;
  }
  return std::optional<WrapperFrame>(std::move(f));
}

}  // namespace vidyut::dlms
