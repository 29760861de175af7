// Signing in and out, for operators (name and password) and consumers (a one-time code sent to
// the registered mobile).
#include <nlohmann/json.hpp>

#include "api/guard.h"
#include "api/json_body.h"
#include "api/platform_api.h"
#include "core/clock.h"
#include "core/log.h"

namespace vidyut::api {
namespace {

using json = nlohmann::json;

json session_json(const access::Session& s) {
  json j{{"audience", access::to_string(s.audience)},
         {"subject", s.subject},
         {"csrf", s.csrf},
         {"expires", format_iso8601(s.expires)}};
  if (s.audience == access::Audience::kOperator) j["roles"] = access::to_string(s.roles);
  return j;
}

http::Response signed_in(const access::Session& s, const Platform& p, const http::Request& r) {
  return http::json_response(200, dump(session_json(s)))
      .with_header("Set-Cookie", session_cookie(s, p.clock->now(), r.secure))
      .with_header("Cache-Control", "no-store");
}

std::string str(const json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

void add_session_routes(http::Router& router, const Platform& p) {
  router.add("POST", "/api/v1/session", [p](const http::Request& r, const http::Match&) {
    auto body = json_request(r, {"username", "password"});
    if (!body.ok()) return body_error(body.error());
    auto s = p.access->sign_in(str(*body, "username"), str(*body, "password"), r.remote_address);
    if (!s.ok()) {
      if (s.error().code == Errc::kRefused) return http::error_response(403, s.error().message);
      return error_of(s.error());
    }
    return signed_in(*s, p, r);
  });
  router.add("GET", "/api/v1/session", [p](const http::Request& r, const http::Match&) {
    auto s = session_of(*p.access, r);
    if (!s.ok()) return error_of(s.error());
    if (!*s) return http::error_response(401, "not signed in");
    return http::json_response(200, dump(session_json(**s)))
        .with_header("Cache-Control", "no-store");
  });
  router.add("DELETE", "/api/v1/session", [p](const http::Request& r, const http::Match&) {
    auto s = session_of(*p.access, r);
    if (!s.ok()) return error_of(s.error());
    if (!*s) return http::error_response(401, "not signed in");
    if (r.header(kCsrfHeader) != (*s)->csrf) {
      return http::error_response(403, "missing or wrong X-CSRF-Token");
    }
    if (auto st = p.access->sign_out(*r.cookie(kSessionCookie)); !st.ok())
      return error_of(st.error());
    http::Response out;
    out.status = 204;
    out.headers.emplace_back("Set-Cookie", cleared_cookie(r.secure));
    return out;
  });

  router.add("POST", "/api/v1/portal/code", [p](const http::Request& r, const http::Match&) {
    auto body = json_request(r, {"consumer_id"});
    if (!body.ok()) return body_error(body.error());
    const std::string consumer = str(*body, "consumer_id");
    if (consumer.empty() || consumer.size() > 64) {
      return http::error_response(400, "consumer_id is required");
    }
    // The same answer whether or not the consumer exists and has a mobile: the form does not
    // tell who is a consumer.
    const auto sent = http::json_response(
        202,
        R"({"sent":true,"message":"if this consumer number has a registered mobile, a code is on its way"})");
    if (p.directory == nullptr || p.codes == nullptr) {
      return http::error_response(503, "sign-in codes are not available on this server");
    }
    auto mobile = p.directory->mobile_of(consumer);
    if (!mobile.ok()) return error_of(mobile.error());
    if (!*mobile) return sent;
    auto code = p.access->issue_code(consumer, r.remote_address);
    if (!code.ok()) return error_of(code.error());
    if (auto st = p.codes->send_code(consumer, **mobile, *code); !st.ok()) {
      logger("api")->warn("sign-in code for {} not queued: {}", consumer, st.error().message);
      return http::error_response(503, "the code could not be sent; try again shortly");
    }
    return sent;
  });
  router.add("POST", "/api/v1/portal/session", [p](const http::Request& r, const http::Match&) {
    auto body = json_request(r, {"consumer_id", "code"});
    if (!body.ok()) return body_error(body.error());
    auto s = p.access->redeem_code(str(*body, "consumer_id"), str(*body, "code"), r.remote_address);
    if (!s.ok()) return error_of(s.error());
    return signed_in(*s, p, r);
  });
}

}  // namespace vidyut::api
