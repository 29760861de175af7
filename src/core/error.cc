#include "core/error.h"

namespace vidyut {

std::string_view to_string(Errc code) {
  switch (code) {
    case Errc::kMalformed:
      return "malformed";
    case Errc::kUnsupported:
      return "unsupported";
    case Errc::kLimitExceeded:
      return "limit exceeded";
    case Errc::kNeedMore:
      return "need more";
    case Errc::kAuthFailed:
      return "authentication failed";
    case Errc::kReplay:
      return "replay";
    case Errc::kRefused:
      return "refused";
    case Errc::kTimeout:
      return "timeout";
    case Errc::kIo:
      return "i/o";
    case Errc::kClosed:
      return "closed";
    case Errc::kProtocol:
      return "protocol";
    case Errc::kInvalidArgument:
      return "invalid argument";
    case Errc::kNotFound:
      return "not found";
    case Errc::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string Error::describe() const {
  std::string s(to_string(code));
  if (!message.empty()) {
    s += ": ";
    s += message;
  }
  return s;
}

}  // namespace vidyut
