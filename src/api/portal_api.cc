// The consumer portal's routes: a signed-in consumer's own account, consumption and payments.
// No route takes a consumer id: the id is the session's, so no request can reach another's data.
#include <nlohmann/json.hpp>

#include "api/account_answers.h"
#include "api/guard.h"
#include "api/json_body.h"
#include "api/payment_api.h"
#include "api/platform_api.h"
#include "api/resources.h"
#include "api/route_support.h"
#include "billing/account_history.h"
#include "billing/engine.h"
#include "mdm/fleet_status.h"
#include "mdm/manual_relay.h"
#include "mdm/usage.h"

namespace vidyut::api {
namespace {

using json = nlohmann::json;

http::Response unavailable() {
  return http::error_response(503, "billing does not run on this server");
}

// Named limits of one recharge from the portal.
inline constexpr std::int64_t kMinPortalRechargePaise = 10 * 100;
inline constexpr std::int64_t kMaxPortalRechargePaise = 50'000 * 100;

}  // namespace

void add_portal_routes(http::Router& router, const Platform& p) {
  router.add(
      "GET", "/api/v1/portal/account",
      consumer_route(
          *p.access, false,
          [p](const http::Request&, const http::Match&, const access::Session& s) {
            if (p.engine == nullptr || p.billing_db == nullptr) return unavailable();
            auto v = p.engine->view(s.subject);
            if (!v.ok()) return error_of(v.error());
            auto h = billing::account_history(*p.billing_db, v->account, billing::kMaxHistory);
            if (!h.ok()) return error_of(h.error());
            json j = account_json(*v, billing::days_left(v->balance, *h));
            auto comm = p.store->comm(v->account.meter_id);
            if (!comm.ok()) return error_of(comm.error());
            auto relay = mdm::relay_status(*p.store, v->account.meter_id);
            if (!relay.ok()) return error_of(relay.error());
            j["relay_status"] = relay_json(*relay);
            const bool seen = *comm && (*comm)->last_contact != UtcTime{};
            j["meter_last_contact"] =
                seen ? json(format_iso8601((*comm)->last_contact)) : json(nullptr);
            // Silent as the fleet status counts it: the portal then offers a hotspot
            // token with a recharge.
            j["meter_silent"] = !seen || p.clock->now() - (*comm)->last_contact > mdm::kSilentAfter;
            return http::json_response(200, dump(j));
          }));
  router.add(
      "GET", "/api/v1/portal/usage",
      consumer_route(*p.access, false,
                     [p](const http::Request& r, const http::Match&, const access::Session& s) {
                       return usage_answer(p, r, s.subject);
                     }),
      http::RouteOptions{{"resolution", "from", "to"}});
  router.add(
      "GET", "/api/v1/portal/payments",
      consumer_route(*p.access, false,
                     [p](const http::Request& r, const http::Match&, const access::Session& s) {
                       return payments_answer(p, r, s.subject);
                     }),
      http::RouteOptions{{"limit"}});
  router.add(
      "GET", "/api/v1/portal/statements",
      consumer_route(*p.access, false,
                     [p](const http::Request&, const http::Match&, const access::Session& s) {
                       return statements_answer(p, s.subject);
                     }));
  router.add(
      "GET", "/api/v1/portal/statements/{month}/{kind}",
      consumer_route(*p.access, false,
                     [p](const http::Request&, const http::Match& m, const access::Session& s) {
                       return statement_document(p, s.subject, m.var("month"), m.var("kind"));
                     }));
  router.add(
      "GET", "/api/v1/portal/notifications",
      consumer_route(*p.access, false,
                     [p](const http::Request& r, const http::Match&, const access::Session& s) {
                       return notifications_answer(p, r, s.subject);
                     }),
      http::RouteOptions{{"limit"}});
  router.add(
      "POST", "/api/v1/portal/recharges",
      consumer_route(
          *p.access, true,
          [p](const http::Request& r, const http::Match&, const access::Session& s) {
            auto body = json_request(r, {"amount", "request_id", "hotspot_token"});
            if (!body.ok()) return body_error(body.error());
            if (p.payments == nullptr) {
              return http::error_response(503, "no payment gateway on this server");
            }
            const auto amount = body->find("amount");
            const auto request = body->find("request_id");
            if (amount == body->end() || !amount->is_string()) {
              return http::error_response(400, "amount is rupees as a string: \"250.00\"");
            }
            auto paise = parse_rupees(amount->get<std::string>());
            if (!paise.ok()) return http::error_response(400, paise.error().message);
            if (*paise < kMinPortalRechargePaise || *paise > kMaxPortalRechargePaise) {
              return http::error_response(400, "a recharge is Rs 10 to Rs 50,000");
            }
            // The browser's id for this request: pressing Pay twice pays once.
            if (request == body->end() || !request->is_string() ||
                request->get<std::string>().size() < 8 || request->get<std::string>().size() > 64 ||
                request->get<std::string>().find_first_not_of("0123456789abcdefABCDEF-") !=
                    std::string::npos) {
              return http::error_response(400, "request_id: 8 to 64 hex digits or -");
            }
            const auto token = body->find("hotspot_token");
            if (token != body->end() && !token->is_boolean()) {
              return http::error_response(400, "hotspot_token is true or false");
            }
            const bool want_token = token != body->end() && token->get<bool>();
            const std::string ref = "PORTAL-" + s.subject + "-" + request->get<std::string>();
            auto started = p.payments->start(s.subject, *paise, ref, want_token);
            if (!started.ok()) return error_of(started.error());
            json j{{"payment_ref", started->payment_ref},
                   {"completed", started->completed},
                   {"amount_paise", *paise}};
            if (started->completed) {
              j["balance_paise"] = started->balance_paise;
              j["reconnect_ordered"] = started->reconnect_ordered;
              if (!started->token.empty()) {
                j["token"] = token_in_fours(started->token);
                j["token_sequence"] = started->token_sequence;
              }
            } else {
              j["pay_url"] = started->pay_url;
            }
            return http::json_response(201, dump(j));
          }));
}

}  // namespace vidyut::api
