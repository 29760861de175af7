// IEC 62056-4-7 wrapper: how DLMS APDUs travel over TCP (port 4059).
//
// Each APDU is preceded by an 8-byte header of four big-endian uint16 fields: version (always 1),
// source wPort, destination wPort and the APDU length. The client's wPort is its SAP (16 public
// client, 32 meter reader, 48 utility settings ...); the meter's management logical device is 1.
// TCP keeps no message boundaries, so WrapperDecoder reassembles frames from arbitrary reads.
// Sans-I/O: nothing here touches a socket. Wire format: docs/dlms.md, "Wrapper (IEC 62056-4-7)".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/bytes.h"
#include "core/result.h"

namespace vidyut::dlms {

inline constexpr std::uint16_t kWrapperVersion = 1;
inline constexpr std::size_t kWrapperHeaderSize = 8;
// Largest APDU accepted in one wrapper frame by default. The length field allows 65535, and the
// AARQ/AARE max-receive-pdu-size fields (Unsigned16) allow a peer to announce up to that, so the
// wire limit is the only safe default; callers that negotiated a smaller size may pass it.
inline constexpr std::size_t kMaxApduSize = 0xFFFF;

// Well-known wPorts (IS 15959 client SAPs; the meter's management logical device).
inline constexpr std::uint16_t kWPortManagementLogicalDevice = 1;
inline constexpr std::uint16_t kWPortPublicClient = 16;
inline constexpr std::uint16_t kWPortMeterReader = 32;
inline constexpr std::uint16_t kWPortUtilitySettings = 48;
inline constexpr std::uint16_t kWPortPush = 64;
inline constexpr std::uint16_t kWPortFirmwareUpgrade = 80;

struct WrapperFrame {
  std::uint16_t source = 0;
  std::uint16_t destination = 0;
  Bytes apdu;
  bool operator==(const WrapperFrame&) const = default;
};

// Header + apdu. REQUIRES: apdu.size() <= 65535 (asserted; larger APDUs must be sent in blocks).
Bytes wrap(std::uint16_t source, std::uint16_t destination, ByteView apdu);

// Reassembles wrapper frames from a TCP byte stream (partial and coalesced reads).
//
//   WrapperDecoder dec;
//   dec.feed(bytes_just_read);
//   while (true) {
//     auto f = dec.next();
//     if (!f.ok()) { /* close the connection: the stream cannot be resynchronised */ }
//     if (!*f) break;  // need more bytes
//     handle(**f);
//   }
//
// Errors: kMalformed for a version other than 1, kLimitExceeded for a length over max_apdu.
// After an error every later next() returns the same error. Not thread-safe.
class WrapperDecoder {
 public:
  // REQUIRES: max_apdu <= kMaxApduSize.
  explicit WrapperDecoder(std::size_t max_apdu = kMaxApduSize);

  // Appends bytes read from the stream. Call next() until it yields nullopt after each feed;
  // the decoder then buffers at most one partial frame (header + max_apdu bytes).
  void feed(ByteView bytes);
  // The next complete frame, nullopt when more bytes are needed, or the stream's error.
  Result<std::optional<WrapperFrame>> next();

  // Bytes buffered and not yet returned in a frame.
  std::size_t buffered() const { return buf_.size() - start_; }
  bool failed() const { return failed_.has_value(); }

 private:
  std::size_t max_apdu_;
  Bytes buf_;
  std::size_t start_ = 0;  // first unconsumed byte of buf_
  std::optional<Error> failed_;
};

}  // namespace vidyut::dlms
