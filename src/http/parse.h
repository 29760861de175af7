// Requests from bytes, without a socket: Boost.Beast's HTTP/1.1 parser, then this module's own
// rules for what is ambiguous or hostile (docs/http.md). The server runs exactly these rules on
// every request it reads; tests and the fuzz target call them directly.
//
// Refused, on top of what Beast refuses (bad request line, bad field names such as a space before
// the colon, bare-LF line ends, a bad Content-Length): a header name that appears twice (which
// Authorization, which Content-Length?), Transfer-Encoding together with Content-Length, a target
// that is not a path, a path or query that is not valid UTF-8 once decoded, contains "..", a NUL
// or a control character, a query parameter named twice, more than the limits below.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "http/message.h"

namespace vidyut::http {

struct ParseLimits {
  std::size_t max_head = kMaxHead;
  std::size_t max_body = kMaxBody;
};

struct Parsed {
  std::vector<Request> requests;  // complete requests, in order
  std::size_t consumed = 0;       // bytes they took; the rest is an incomplete request
};

// Parses every complete request in `bytes` (pipelined requests one after the other).
// kMalformed / kUnsupported for a request this server refuses, kLimitExceeded beyond a limit;
// the error's message says what was wrong. The requests before a bad one are not returned.
Result<Parsed> parse_requests(std::string_view bytes, const ParseLimits& limits = {});

// The status a server answers for a parse error: 413 for a body or head beyond its limit,
// 400 for the rest.
int status_for_parse_error(const Error& e);

}  // namespace vidyut::http
