#include "http/parse.h"

#include <algorithm>
#include <cctype>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include "core/text.h"
#include "http/beast_request.h"

namespace vidyut::http {
namespace bhttp = boost::beast::http;
namespace detail {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A decoded path component or query text must be valid UTF-8 without control characters.
Status check_decoded(std::string_view what, const std::string& s) {
  return check_text(what, s, kMaxHead);
}

Status parse_query(std::string_view query, std::map<std::string, std::string>& out) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!name || !value || name->empty()) {
      return Error(Errc::kMalformed, "bad query parameter");
    }
    VIDYUT_CHECK(check_decoded("query parameter name", *name));
    VIDYUT_CHECK(check_decoded("query parameter " + name->substr(0, 32), *value));
    if (out.count(*name) != 0) {
      return Error(Errc::kMalformed, "query parameter " + name->substr(0, 32) + " appears twice");
    }
    if (out.size() >= kMaxQueryParams) {
      return Error(Errc::kLimitExceeded,
                   "more than " + std::to_string(kMaxQueryParams) + " query parameters");
    }
    out.emplace(std::move(*name), std::move(*value));
  }
  return ok_status();
}

}  // namespace

Result<Request> from_beast(BeastRequest&& m, std::string remote_address, bool secure) {
  Request r;
  r.method = std::string(m.method_string());
  r.target = std::string(m.target());
  r.keep_alive = m.keep_alive();
  r.remote_address = std::move(remote_address);
  r.secure = secure;
  if (m.version() != 11 && m.version() != 10) return Error(Errc::kMalformed, "not HTTP/1.x");
  if (r.target.empty() || r.target.front() != '/') {
    return Error(Errc::kMalformed, "the target must be a path beginning with /");
  }
  std::size_t count = 0;
  for (const auto& f : m) {
    if (++count > kMaxHeaders) {
      return Error(Errc::kLimitExceeded, "more than " + std::to_string(kMaxHeaders) + " headers");
    }
    // A repeated header is ambiguous (which Content-Length, which Authorization?): refused.
    std::string name = lower(std::string_view(f.name_string().data(), f.name_string().size()));
    if (r.headers.count(name) != 0) {
      return Error(Errc::kMalformed, "header " + name + " appears twice");
    }
    r.headers.emplace(std::move(name), std::string(f.value()));
  }
  if (auto te = r.headers.find("transfer-encoding"); te != r.headers.end()) {
    if (lower(te->second) != "chunked") {
      return Error(Errc::kUnsupported, "only the chunked transfer coding is accepted");
    }
  }
  const auto q = r.target.find('?');
  r.query = q == std::string::npos ? "" : r.target.substr(q + 1);
  auto path = percent_decode(std::string_view(r.target).substr(0, q), false);
  if (!path) return Error(Errc::kMalformed, "bad percent-encoding in the path");
  VIDYUT_CHECK(check_decoded("path", *path));
  // No segment may climb: "/a/../b" and "/a/%2e%2e/b" are refused rather than normalised.
  for (std::size_t pos = 0; pos < path->size();) {
    auto next = path->find('/', pos + 1);
    if (next == std::string::npos) next = path->size();
    const std::string_view seg = std::string_view(*path).substr(pos + 1, next - pos - 1);
    if (seg == ".." || seg == ".") return Error(Errc::kMalformed, "dot segments in the path");
    pos = next;
  }
  r.path = std::move(*path);
  VIDYUT_CHECK(parse_query(r.query, r.params));
  r.body = std::move(m.body());
  return r;
}

Error from_beast_error(const boost::beast::error_code& ec) {
  if (ec == bhttp::error::body_limit) {
    return Error(Errc::kLimitExceeded, "the body is larger than this server accepts");
  }
  if (ec == bhttp::error::header_limit) {
    return Error(Errc::kLimitExceeded, "the request head is larger than this server accepts");
  }
  if (ec == bhttp::error::bad_transfer_encoding || ec == bhttp::error::bad_content_length) {
    return Error(Errc::kMalformed, "ambiguous or bad message length: " + ec.message());
  }
  return Error(Errc::kMalformed, "not a valid HTTP/1.1 request: " + ec.message());
}

}  // namespace detail

Result<Parsed> parse_requests(std::string_view bytes, const ParseLimits& limits) {
  Parsed out;
  while (out.consumed < bytes.size()) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_head));
    parser.body_limit(limits.max_body);
    parser.eager(true);
    std::size_t at = out.consumed;
    boost::beast::error_code ec;
    while (!parser.is_done()) {
      const std::string_view rest = bytes.substr(at);
      const std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
      at += used;
      if (ec == bhttp::error::need_more) {
        // Beast wants more than is here: the rest is an incomplete request.
        if (rest.size() > limits.max_head + limits.max_body + 64 && used == 0) {
          return detail::from_beast_error(bhttp::error::header_limit);
        }
        return out;
      }
      if (ec) return detail::from_beast_error(ec);
      if (used == 0 && !parser.is_done()) return out;
    }
    VIDYUT_TRY(request, detail::from_beast(parser.release(), "", false));
    out.requests.push_back(std::move(*request));
    out.consumed = at;
  }
  return out;
}

int status_for_parse_error(const Error& e) { return e.code == Errc::kLimitExceeded ? 413 : 400; }

}  // namespace vidyut::http
