// A small HTTP/1.1 client (Boost.Beast) for the platform's outgoing calls - the SMS gateway,
// later other systems: one request per connection, a deadline for the whole exchange, http://
// and https:// (the peer's certificate checked against the system's trust store).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace vidyut::http {

inline constexpr std::size_t kMaxClientResponse = 64 * 1024;

struct ClientResponse {
  int status = 0;
  std::string body;
};

// POSTs `body` to `url` ("http://host:port/path", "https://..."). kInvalidArgument for a URL it
// cannot use, kTimeout past the deadline, kIo for a connection or TLS failure. Any status the
// peer answers is a successful exchange carrying that status.
Result<ClientResponse> post(const std::string& url, const std::string& content_type,
                            const std::string& body,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            Millis deadline);

}  // namespace vidyut::http
