// Who is calling: the session cookie, the CSRF token of a change, and the permission a route
// needs (docs/api.md, "Signing in"). Routes of the two audiences are wrapped by these, so that a
// consumer's session never reaches an operator's route and the other way round.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "access/book.h"
#include "access/roles.h"
#include "http/message.h"
#include "http/router.h"

namespace vidyut::api {

inline constexpr const char* kSessionCookie = "vidyut_session";
inline constexpr const char* kCsrfHeader = "x-csrf-token";

// The Set-Cookie value that carries a session: HttpOnly, SameSite=Strict, Path=/, Secure over
// TLS, and Max-Age to its expiry.
std::string session_cookie(const access::Session& s, UtcTime now, bool secure);
// The Set-Cookie value that removes it.
std::string cleared_cookie(bool secure);

// The session of the request's cookie; nullopt without one, or when it ended.
Result<std::optional<access::Session>> session_of(access::AccessBook& book, const http::Request& r);

using SessionHandler =
    std::function<http::Response(const http::Request&, const http::Match&, const access::Session&)>;

// An operator's route: 401 without an operator session, 403 without the permission, and for a
// change (`change`), 403 unless the request carries the session's CSRF token.
http::RouteHandler operator_route(access::AccessBook& book, access::Permission p, bool change,
                                  SessionHandler h);
// A consumer's route: 401 without a consumer session; CSRF as above for a change.
http::RouteHandler consumer_route(access::AccessBook& book, bool change, SessionHandler h);

// The JSON answer for a domain error: 400, 404, 409, 413, 429, 503 or 500 by its code.
http::Response error_of(const Error& e);

}  // namespace vidyut::api
