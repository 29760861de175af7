// The consumer portal's routes: a signed-in consumer's own account, consumption and payments.
// No route takes a consumer id: the id is the session's, so no request can reach another's data.
#include <nlohmann/json.hpp>

#include "api/guard.h"
#include "api/json_body.h"
#include "api/platform_api.h"
#include "api/resources.h"
#include "billing/account_history.h"
#include "billing/engine.h"
#include "mdm/manual_relay.h"
#include "mdm/usage.h"

namespace vidyut::api {
namespace {

using json = nlohmann::json;

http::Response unavailable() {
  return http::error_response(503, "billing does not run on this server");
}

}  // namespace

void add_portal_routes(http::Router& router, const Platform& p) {
  router.add(
      "GET", "/api/v1/portal/account",
      consumer_route(*p.access, false,
                     [p](const http::Request&, const http::Match&, const access::Session& s) {
                       if (p.engine == nullptr || p.billing_db == nullptr) return unavailable();
                       auto v = p.engine->view(s.subject);
                       if (!v.ok()) return error_of(v.error());
                       auto h = billing::account_history(*p.billing_db, v->account,
                                                         billing::kMaxHistory);
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
                       return http::json_response(200, dump(j));
                     }));
  router.add("GET", "/api/v1/portal/usage",
             consumer_route(
                 *p.access, false,
                 [p](const http::Request& r, const http::Match&, const access::Session& s) {
                   if (p.engine == nullptr) return unavailable();
                   auto q = usage_query(r, p.clock->now());
                   if (!q.ok()) return error_of(q.error());
                   auto v = p.engine->view(s.subject);
                   if (!v.ok()) return error_of(v.error());
                   auto series = mdm::usage_series(*p.store, p.vee, v->account.meter_id, q->from,
                                                   q->to, q->resolution, p.clock->now());
                   if (!series.ok()) return error_of(series.error());
                   return http::json_response(200, dump(usage_json(*series)));
                 }),
             http::RouteOptions{{"resolution", "from", "to"}});
  router.add(
      "GET", "/api/v1/portal/payments",
      consumer_route(*p.access, false,
                     [p](const http::Request& r, const http::Match&, const access::Session& s) {
                       if (p.engine == nullptr || p.billing_db == nullptr) return unavailable();
                       auto limit = count_param(r, "limit", 50, billing::kMaxHistory);
                       if (!limit.ok()) return error_of(limit.error());
                       auto v = p.engine->view(s.subject);
                       if (!v.ok()) return error_of(v.error());
                       auto h = billing::account_history(*p.billing_db, v->account, *limit);
                       if (!h.ok()) return error_of(h.error());
                       return http::json_response(200, dump(json{{"entries", history_json(*h)}}));
                     }),
      http::RouteOptions{{"limit"}});
}

}  // namespace vidyut::api
