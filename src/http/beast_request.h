// Internal to src/http: turning what Beast's parser produced into a Request under this module's
// rules (parse.h). Included only by this module's .cc files: Beast's headers are heavy.
#pragma once

#include <string>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "core/result.h"
#include "http/message.h"

namespace vidyut::http::detail {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;

// The Request, or why it is refused (kMalformed, kUnsupported, kLimitExceeded).
Result<Request> from_beast(BeastRequest&& m, std::string remote_address, bool secure);
// A parser error as this module's Error (kLimitExceeded for the head and body limits).
Error from_beast_error(const boost::beast::error_code& ec);

}  // namespace vidyut::http::detail
