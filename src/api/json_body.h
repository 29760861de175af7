// Request bodies as JSON objects, strictly: no key twice at any level (the last would win in one
// reader and the first in another) and no key outside the ones a route takes.
#pragma once

#include <initializer_list>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "http/message.h"

namespace vidyut::api {

// kInvalidArgument naming the problem: not a JSON object, a key twice, an unknown field.
Result<nlohmann::json> parse_json_object(std::string_view text,
                                         std::initializer_list<std::string_view> allowed);

// A request's JSON body: kUnsupported unless its Content-Type is application/json (a cross-site
// form cannot send that without the browser asking the server first), then as above.
Result<nlohmann::json> json_request(const http::Request& r,
                                    std::initializer_list<std::string_view> allowed);
// 415 for kUnsupported, else 400, with the error's message.
http::Response body_error(const Error& e);

// Compact JSON whatever the bytes of its strings (invalid UTF-8 is replaced, never thrown on).
std::string dump(const nlohmann::json& j);

}  // namespace vidyut::api
