#include "api/guard.h"

#include <sodium.h>

#include <fmt/format.h>

namespace vidyut::api {
namespace {

bool same(const std::string& a, const std::string& b) {
  return a.size() == b.size() && !a.empty() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

http::Response guarded(access::AccessBook& book, const http::Request& r, const http::Match& m,
                       access::Audience audience, std::optional<access::Permission> p, bool change,
                       const SessionHandler& h) {
  auto s = session_of(book, r);
  if (!s.ok()) return error_of(s.error());
  if (!*s || (*s)->audience != audience) {
    return http::error_response(401, "sign in first");
  }
  const access::Session& session = **s;
  if (p && !access::allows(session.roles, *p)) {
    return http::error_response(
        403, fmt::format("your role does not allow this (needs the {} permission)",
                         access::to_string(*p)));
  }
  if (change && !same(r.header(kCsrfHeader), session.csrf)) {
    return http::error_response(403, "missing or wrong X-CSRF-Token");
  }
  return h(r, m, session);
}

}  // namespace

std::string session_cookie(const access::Session& s, UtcTime now, bool secure) {
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(
                       (s.audience == access::Audience::kOperator ? access::kOperatorMaxAge
                                                                  : access::kConsumerMaxAge))
                       .count();
  (void)now;
  return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}", kSessionCookie,
                     s.token, age, secure ? "; Secure" : "");
}

std::string cleared_cookie(bool secure) {
  return fmt::format("{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}", kSessionCookie,
                     secure ? "; Secure" : "");
}

Result<std::optional<access::Session>> session_of(access::AccessBook& book,
                                                  const http::Request& r) {
  const auto token = r.cookie(kSessionCookie);
  if (!token || token->empty()) return std::optional<access::Session>();
  return book.session(*token);
}

http::RouteHandler operator_route(access::AccessBook& book, access::Permission p, bool change,
                                  SessionHandler h) {
  return [&book, p, change, h = std::move(h)](const http::Request& r, const http::Match& m) {
    return guarded(book, r, m, access::Audience::kOperator, p, change, h);
  };
}

http::RouteHandler consumer_route(access::AccessBook& book, bool change, SessionHandler h) {
  return [&book, change, h = std::move(h)](const http::Request& r, const http::Match& m) {
    return guarded(book, r, m, access::Audience::kConsumer, std::nullopt, change, h);
  };
}

http::Response error_of(const Error& e) {
  int status = 500;
  switch (e.code) {
    case Errc::kNotFound:
      status = 404;
      break;
    case Errc::kRefused:
      status = 409;
      break;
    case Errc::kInvalidArgument:
    case Errc::kMalformed:
      status = 400;
      break;
    case Errc::kLimitExceeded:
      status = 429;
      break;
    case Errc::kAuthFailed:
      status = 401;
      break;
    case Errc::kUnsupported:
      status = 503;
      break;
    default:
      status = 500;
  }
  // A storage or internal failure is not described to the caller (it is logged by its layer).
  return http::error_response(status, status == 500 ? "internal error" : e.message);
}

}  // namespace vidyut::api
