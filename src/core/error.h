// Error: why an operation on the data path failed, and what the caller should do about it.
//
// Error codes describe local failures (a malformed frame, a timeout, a refused key). They are
// kept apart from the results a protocol peer reports: a meter answering "read-write-denied" is
// a successful exchange carrying that result, not an Error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vidyut {

enum class Errc : std::uint8_t {
  // Input is not well formed (bad tag, bad length, trailing bytes). Do not retry the same input.
  kMalformed,
  // Input is well formed but uses a feature or variant we do not implement. Do not retry.
  kUnsupported,
  // A named limit against a hostile or broken peer was exceeded. Do not retry the same input.
  kLimitExceeded,
  // More bytes are needed to finish decoding; feed more and call again.
  kNeedMore,
  // Authentication failed: wrong password, wrong key, bad tag. Do not retry until fixed.
  kAuthFailed,
  // A replayed or out-of-order security counter. Drop the message; the session may continue.
  kReplay,
  // The peer refused the operation (association rejected, service not allowed).
  kRefused,
  // No answer in time. Retry later, possibly over another path.
  kTimeout,
  // The connection or file failed. Retry at a higher level (reconnect, reopen).
  kIo,
  // The peer or the stream closed.
  kClosed,
  // The peer broke the protocol's rules (unexpected message, wrong invoke id).
  kProtocol,
  // A caller passed an argument that cannot be used (bad OBIS text, bad hex).
  kInvalidArgument,
  // Something looked up does not exist.
  kNotFound,
  // A bug in Vidyut: an invariant did not hold. Log it; the caller should survive.
  kInternal,
};

std::string_view to_string(Errc code);

struct Error {
  Errc code = Errc::kInternal;
  std::string message;

  Error() = default;
  Error(Errc c, std::string m) : code(c), message(std::move(m)) {}

  // "malformed: A-XDR length 4096 exceeds remaining 12 bytes"
  std::string describe() const;
};

}  // namespace vidyut
