// HTTP requests and responses as plain values: what the server hands a handler and what the
// handler gives back. No library types here, so every module above can use them cheaply; the
// wire (Boost.Beast) lives in this module's .cc files only.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vidyut::http {

// Named limits against a hostile or broken client; a server may set its own lower ones.
inline constexpr std::size_t kMaxHead = 8 * 1024;   // request line + headers
inline constexpr std::size_t kMaxBody = 16 * 1024;  // a recharge is ~200 bytes
inline constexpr std::size_t kMaxHeaders = 64;
inline constexpr std::size_t kMaxQueryParams = 32;

struct Request {
  std::string method;  // "GET", "POST"
  std::string target;  // as sent: "/api/v1/consumers/C1/intervals?day=2026-12-01"
  std::string path;    // percent-decoded, without the query: "/api/v1/consumers/C1/intervals"
  std::string query;   // raw text after '?', empty when none
  std::map<std::string, std::string> params;   // the query decoded (no name twice)
  std::map<std::string, std::string> headers;  // names lower-case; no name twice
  std::string body;
  bool keep_alive = true;
  std::string remote_address;  // the peer's IP address, for limits and the audit
  bool secure = false;         // arrived over TLS

  // The header's value, or "" when absent.
  const std::string& header(const std::string& lower_name) const;
  // One cookie's value from the Cookie header, nullopt when absent.
  std::optional<std::string> cookie(std::string_view name) const;
};

// A response whose body is written as it comes (server-sent events): the server calls poll()
// about once a second and sends what it returns; done() ends the response (and the connection).
class Stream {
 public:
  virtual ~Stream() = default;
  virtual std::string poll() = 0;
  virtual bool done() const = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Further headers (Set-Cookie, Location, Cache-Control, Content-Security-Policy ...).
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<Stream> stream;  // set: body is ignored and the stream is sent instead
  // The route pattern that answered ("/api/v1/consumers/{id}"), set by the Router; for metrics
  // and logs, never sent.
  std::string route;

  Response& with_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// What a server calls for each request.
using Handler = std::function<Response(const Request&)>;

// {"error": message} with the status; message is made valid JSON whatever its bytes.
Response error_response(int status, std::string_view message);
// A JSON body (already serialised) with the status.
Response json_response(int status, std::string body);
// The standard reason phrase ("Not Found"), "Unknown" for a code without one.
const char* reason_phrase(int status);

// Percent-decoding of a path or query component; nullopt for a bad escape or a decoded NUL.
// In a query, '+' is a space.
std::optional<std::string> percent_decode(std::string_view text, bool query);

}  // namespace vidyut::http
