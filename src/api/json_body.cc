#include "api/json_body.h"

#include <algorithm>
#include <string>
#include <vector>

namespace vidyut::api {

using json = nlohmann::json;

Result<json> parse_json_object(std::string_view text,
                               std::initializer_list<std::string_view> allowed) {
  std::vector<std::vector<std::string>> seen;  // keys of each open object
  bool duplicate = false;
  std::string dup_key;
  json::parser_callback_t cb = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) seen.emplace_back();
    if (event == json::parse_event_t::object_end && !seen.empty()) seen.pop_back();
    if (event == json::parse_event_t::key && !seen.empty()) {
      const std::string k = parsed.get<std::string>();
      if (std::find(seen.back().begin(), seen.back().end(), k) != seen.back().end()) {
        duplicate = true;
        dup_key = k;
      }
      seen.back().push_back(k);
    }
    return true;
  };
  json j = json::parse(text, cb, false);
  if (j.is_discarded() || !j.is_object()) {
    return Error(Errc::kInvalidArgument, "body must be a JSON object");
  }
  if (duplicate) {
    return Error(Errc::kInvalidArgument, "key \"" + dup_key.substr(0, 32) + "\" appears twice");
  }
  for (const auto& [k, v] : j.items()) {
    (void)v;
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      return Error(Errc::kInvalidArgument, "unknown field \"" + k.substr(0, 32) + "\"");
    }
  }
  return j;
}

Result<json> json_request(const http::Request& r, std::initializer_list<std::string_view> allowed) {
  const std::string& type = r.header("content-type");
  if (type.rfind("application/json", 0) != 0) {
    return Error(Errc::kUnsupported, "send the body as application/json");
  }
  return parse_json_object(r.body, allowed);
}

http::Response body_error(const Error& e) {
  return http::error_response(e.code == Errc::kUnsupported ? 415 : 400, e.message);
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace vidyut::api
