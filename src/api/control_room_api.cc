// The control room's routes: the fleet, consumers, their relays, commands, alerts, the audit
// trail and the operators themselves, each within the caller's roles (access/roles.h).
#include <nlohmann/json.hpp>

#include "api/account_answers.h"
#include "api/alert_stream.h"
#include "api/fleet_feed.h"
#include "api/guard.h"
#include "api/json_body.h"
#include "api/platform_api.h"
#include "api/resources.h"
#include "billing/account_history.h"
#include "billing/engine.h"
#include "mdm/fleet_status.h"
#include "mdm/manual_relay.h"
#include "mdm/network.h"
#include "mdm/outage.h"
#include "mdm/usage.h"
#include "tariff/calendar.h"

namespace vidyut::api {
namespace {

using access::Permission;
using json = nlohmann::json;

inline constexpr std::size_t kMaxPage = 1'000;

// A page of a trail (alerts, audit): ?after=ID reads forward (ascending id, for a follower);
// otherwise the latest first, below ?before=ID when given. ?limit= up to kMaxPage (100).
struct PageQuery {
  bool forward = false;
  std::int64_t cursor = INT64_MAX;
  std::size_t limit = 100;
};
Result<PageQuery> page_query(const http::Request& r) {
  if (r.params.contains("after") && r.params.contains("before")) {
    return Error(Errc::kInvalidArgument, "after and before: one or the other");
  }
  PageQuery q;
  VIDYUT_TRY(limit, count_param(r, "limit", 100, kMaxPage));
  q.limit = *limit;
  if (r.params.contains("after")) {
    VIDYUT_TRY(after, count_param(r, "after", 0, INT64_MAX));
    q.forward = true;
    q.cursor = static_cast<std::int64_t>(*after);
  } else if (r.params.contains("before")) {
    VIDYUT_TRY(before, count_param(r, "before", 0, INT64_MAX));
    q.cursor = static_cast<std::int64_t>(*before);
  }
  return q;
}

json counts_json(const mdm::StatusCounts& c) {
  json j{{"name", c.name},     {"meters", c.meters},         {"communicating", c.communicating},
         {"silent", c.silent}, {"never_seen", c.never_seen}, {"relay_open", c.relay_open}};
  if (!c.feeder.empty()) j["feeder"] = c.feeder;
  return j;
}

// The consumer's account (for his meter id), or the answer that says why not.
Result<billing::AccountView> account_of(const Platform& p, const std::string& consumer) {
  if (p.engine == nullptr) {
    return Error(Errc::kUnsupported, "billing does not run on this server");
  }
  return p.engine->view(consumer);
}

http::Response relay_action(const Platform& p, const http::Request& r, const std::string& consumer,
                            const access::Session& s, bool reconnect) {
  auto body = json_request(r, {"reason"});
  if (!body.ok()) return body_error(body.error());
  if (p.commands == nullptr) return http::error_response(503, "no command queue on this server");
  auto v = account_of(p, consumer);
  if (!v.ok()) return error_of(v.error());
  const std::string reason = body->contains("reason") && (*body)["reason"].is_string()
                                 ? (*body)["reason"].get<std::string>()
                                 : "";
  auto res = reconnect ? mdm::operator_reconnect(*p.store, *p.commands, *p.clock,
                                                 v->account.meter_id, s.actor(), reason)
                       : mdm::operator_disconnect(*p.store, *p.commands, *p.clock,
                                                  v->account.meter_id, s.actor(), reason);
  if (!res.ok()) return error_of(res.error());
  json holds = json::array();
  for (const auto& h : res->holds) holds.push_back(hold_json(h));
  json j{{"command", res->command ? command_json(*res->command) : json(nullptr)}, {"holds", holds}};
  return http::json_response(202, dump(j));
}

// The fleet's status as the control room shows it: JSON text, and the same without its time.
Result<FleetFeed::Computed> fleet_answer(const Platform& p) {
  std::map<std::string, bool> open;
  if (p.engine != nullptr) {
    for (const auto& [c, closed] : p.engine->relay_wanted()) open[c] = !closed;
  }
  VIDYUT_TRY(f, mdm::fleet_status(*p.store, p.clock->now(), open));
  json feeders = json::array(), dts = json::array();
  for (const auto& c : f->feeders) feeders.push_back(counts_json(c));
  for (const auto& c : f->dts) dts.push_back(counts_json(c));
  json j{{"all", counts_json(f->all)}, {"feeders", feeders}, {"dts", dts}};
  FleetFeed::Computed out;
  out.counts = dump(j);
  j["at"] = format_iso8601(f->at);
  out.text = dump(j);
  return out;
}

}  // namespace

void add_control_room_routes(http::Router& router, const Platform& p) {
  auto& book = *p.access;
  router.add("GET", "/api/v1/fleet",
             operator_route(book, Permission::kView, false,
                            [p](const http::Request&, const http::Match&, const access::Session&) {
                              auto f = fleet_answer(p);
                              if (!f.ok()) return error_of(f.error());
                              return http::json_response(200, f->text);
                            }));
  auto feed = std::make_shared<FleetFeed>([p] { return fleet_answer(p); },
                                          [] { return std::chrono::steady_clock::now(); });
  router.add(
      "GET", "/api/v1/fleet/stream",
      operator_route(book, Permission::kView, false,
                     [p, feed](const http::Request& r, const http::Match&, const access::Session&) {
                       const std::string token = r.cookie(kSessionCookie).value_or("");
                       access::AccessBook* book_ptr = p.access;
                       http::Response out;
                       out.content_type = "text/event-stream";
                       out.stream = std::make_shared<FleetStream>(
                           feed,
                           [book_ptr, token] {
                             auto s = book_ptr->session(token);
                             return s.ok() && s->has_value();
                           },
                           [] { return std::chrono::steady_clock::now(); });
                       return out.with_header("X-Accel-Buffering", "no");
                     }));
  router.add("GET", "/api/v1/consumers",
             operator_route(
                 book, Permission::kView, false,
                 [p](const http::Request& r, const http::Match&, const access::Session&) {
                   auto offset = count_param(r, "offset", 0, 100'000'000);
                   auto limit = count_param(r, "limit", 100, kMaxPage);
                   if (!offset.ok()) return error_of(offset.error());
                   if (!limit.ok()) return error_of(limit.error());
                   auto meters = p.store->meters(*offset, *limit);
                   if (!meters.ok()) return error_of(meters.error());
                   json items = json::array();
                   for (const auto& m : *meters) {
                     auto comm = p.store->comm(m.id);
                     if (!comm.ok()) return error_of(comm.error());
                     items.push_back(meter_json(m, *comm));
                   }
                   auto total = p.store->meter_count();
                   if (!total.ok()) return error_of(total.error());
                   return http::json_response(
                       200, dump(json{{"total", *total}, {"offset", *offset}, {"items", items}}));
                 }),
             http::RouteOptions{{"offset", "limit"}});
  router.add("GET", "/api/v1/consumers/{id}",
             operator_route(
                 book, Permission::kView, false,
                 [p](const http::Request&, const http::Match& m, const access::Session&) {
                   auto v = account_of(p, m.var("id"));
                   if (!v.ok()) return error_of(v.error());
                   auto meter = p.store->meter_by_id(v->account.meter_id);
                   if (!meter.ok()) return error_of(meter.error());
                   if (!*meter) return http::error_response(404, "the consumer's meter is gone");
                   auto comm = p.store->comm(v->account.meter_id);
                   auto holds = p.store->relay_holds(v->account.meter_id);
                   auto relay = mdm::relay_status(*p.store, v->account.meter_id);
                   if (!relay.ok()) return error_of(relay.error());
                   auto pending = p.store->pending_commands(v->account.meter_id);
                   if (!comm.ok()) return error_of(comm.error());
                   if (!holds.ok()) return error_of(holds.error());
                   if (!pending.ok()) return error_of(pending.error());
                   std::optional<double> left;
                   if (p.billing_db != nullptr) {
                     auto h =
                         billing::account_history(*p.billing_db, v->account, billing::kMaxHistory);
                     if (!h.ok()) return error_of(h.error());
                     left = billing::days_left(v->balance, *h);
                   }
                   json hj = json::array(), cj = json::array();
                   for (const auto& h : *holds) hj.push_back(hold_json(h));
                   for (const auto& c : *pending) cj.push_back(command_json(c));
                   return http::json_response(200, dump(json{{"account", account_json(*v, left)},
                                                             {"meter", meter_json(**meter, *comm)},
                                                             {"relay", relay_json(*relay)},
                                                             {"holds", hj},
                                                             {"pending_commands", cj}}));
                 }));
  router.add(
      "GET", "/api/v1/consumers/{id}/usage",
      operator_route(book, Permission::kView, false,
                     [p](const http::Request& r, const http::Match& m, const access::Session&) {
                       return usage_answer(p, r, m.var("id"));
                     }),
      http::RouteOptions{{"resolution", "from", "to"}});
  router.add(
      "GET", "/api/v1/consumers/{id}/payments",
      operator_route(book, Permission::kView, false,
                     [p](const http::Request& r, const http::Match& m, const access::Session&) {
                       return payments_answer(p, r, m.var("id"));
                     }),
      http::RouteOptions{{"limit"}});
  router.add(
      "GET", "/api/v1/consumers/{id}/statements",
      operator_route(book, Permission::kView, false,
                     [p](const http::Request&, const http::Match& m, const access::Session&) {
                       return statements_answer(p, m.var("id"));
                     }));
  router.add(
      "GET", "/api/v1/consumers/{id}/statements/{month}/{kind}",
      operator_route(book, Permission::kView, false,
                     [p](const http::Request&, const http::Match& m, const access::Session&) {
                       return statement_document(p, m.var("id"), m.var("month"), m.var("kind"));
                     }));
  router.add(
      "GET", "/api/v1/consumers/{id}/notifications",
      operator_route(book, Permission::kView, false,
                     [p](const http::Request& r, const http::Match& m, const access::Session&) {
                       return notifications_answer(p, r, m.var("id"));
                     }),
      http::RouteOptions{{"limit"}});
  router.add(
      "POST", "/api/v1/consumers/{id}/disconnect",
      operator_route(book, Permission::kCommand, true,
                     [p](const http::Request& r, const http::Match& m, const access::Session& s) {
                       return relay_action(p, r, m.var("id"), s, false);
                     }));
  router.add(
      "POST", "/api/v1/consumers/{id}/reconnect",
      operator_route(book, Permission::kCommand, true,
                     [p](const http::Request& r, const http::Match& m, const access::Session& s) {
                       return relay_action(p, r, m.var("id"), s, true);
                     }));
  router.add(
      "GET", "/api/v1/commands/{id}",
      operator_route(book, Permission::kView, false,
                     [p](const http::Request&, const http::Match& m, const access::Session&) {
                       const std::string& id = m.var("id");
                       if (id.empty() || id.size() > 18 ||
                           id.find_first_not_of("0123456789") != std::string::npos) {
                         return http::error_response(400, "a command id is a number");
                       }
                       auto c = p.store->command(std::stoll(id));
                       if (!c.ok()) return error_of(c.error());
                       if (!*c) return http::error_response(404, "no such command");
                       return http::json_response(200, dump(command_json(**c)));
                     }));
  router.add("GET", "/api/v1/alerts",
             operator_route(
                 book, Permission::kView, false,
                 [p](const http::Request& r, const http::Match&, const access::Session&) {
                   auto page = page_query(r);
                   if (!page.ok()) return error_of(page.error());
                   auto alerts = page->forward ? p.store->alerts_after(page->cursor, page->limit)
                                               : p.store->alerts_before(page->cursor, page->limit);
                   if (!alerts.ok()) return error_of(alerts.error());
                   json items = json::array();
                   for (const auto& a : *alerts) items.push_back(alert_json(a));
                   return http::json_response(200, dump(json{{"items", items}}));
                 }),
             http::RouteOptions{{"after", "before", "limit"}});
  router.add("GET", "/api/v1/alerts/stream",
             operator_route(
                 book, Permission::kView, false,
                 [p](const http::Request& r, const http::Match&, const access::Session&) {
                   // Resumes after the last event the browser saw, or after ?after=.
                   std::int64_t after = 0;
                   const std::string& last = r.header("last-event-id");
                   if (!last.empty() && last.size() < 19 &&
                       last.find_first_not_of("0123456789") == std::string::npos) {
                     after = std::stoll(last);
                   } else {
                     auto a = count_param(r, "after", 0, INT64_MAX);
                     if (!a.ok()) return error_of(a.error());
                     after = static_cast<std::int64_t>(*a);
                   }
                   const std::string token = r.cookie(kSessionCookie).value_or("");
                   access::AccessBook* book_ptr = p.access;
                   http::Response out;
                   out.content_type = "text/event-stream";
                   out.stream = std::make_shared<AlertStream>(*p.store, after, [book_ptr, token] {
                     auto s = book_ptr->session(token);
                     return s.ok() && s->has_value();
                   });
                   return out;
                 }),
             http::RouteOptions{{"after"}});
  router.add(
      "GET", "/api/v1/outages",
      operator_route(
          book, Permission::kView, false,
          [p](const http::Request& r, const http::Match&, const access::Session&) {
            // Days as the usage query reads them (default: the last 30 IST days).
            auto q = usage_query(r, p.clock->now());
            if (!q.ok()) return error_of(q.error());
            if (q->to < q->from ||
                tariff::days_from_civil(q->to) - tariff::days_from_civil(q->from) > 92) {
              return http::error_response(400, "from..to: at most 92 days");
            }
            auto meters = mdm::all_meters(*p.store);
            if (!meters.ok()) return error_of(meters.error());
            const mdm::Network network = mdm::build_network(*meters);
            const UtcTime from = tariff::ist_midnight(q->from);
            const UtcTime to = tariff::ist_midnight(tariff::add_days(q->to, 1));
            const UtcTime until = std::max(p.clock->now(), from);
            auto events = mdm::power_events(*p.store, network, from, until);
            if (!events.ok()) return error_of(events.error());
            const auto report =
                mdm::detect_outages(network, *events, from, std::min(to, until), until);
            json items = json::array();
            for (const auto& o : report.outages) {
              items.push_back(
                  json{{"level", mdm::to_string(o.level)},
                       {"name", o.name},
                       {"feeder", o.feeder},
                       {"start", format_iso8601(o.span.start)},
                       {"end", o.span.end ? json(format_iso8601(*o.span.end)) : json(nullptr)},
                       {"minutes", std::chrono::duration_cast<std::chrono::minutes>(
                                       o.span.end_or(until) - o.span.start)
                                       .count()},
                       {"consumers", o.consumers},
                       {"reporting", o.reporting},
                       {"momentary", o.momentary(until)},
                       {"within_feeder_outage", o.within_feeder_outage}});
            }
            return http::json_response(200, dump(json{{"from", tariff::to_string(q->from)},
                                                      {"to", tariff::to_string(q->to)},
                                                      {"ongoing_as_of", format_iso8601(until)},
                                                      {"items", items}}));
          }),
      http::RouteOptions{{"from", "to"}});
  router.add(
      "GET", "/api/v1/audit",
      operator_route(book, Permission::kView, false,
                     [p](const http::Request& r, const http::Match&, const access::Session&) {
                       auto page = page_query(r);
                       if (!page.ok()) return error_of(page.error());
                       auto rows = page->forward ? p.store->audit_after(page->cursor, page->limit)
                                                 : p.store->audit_before(page->cursor, page->limit);
                       if (!rows.ok()) return error_of(rows.error());
                       json items = json::array();
                       for (const auto& a : *rows) {
                         items.push_back(json{{"id", a.id},
                                              {"at", format_iso8601(a.at)},
                                              {"actor", a.actor},
                                              {"action", a.action},
                                              {"subject", a.subject},
                                              {"detail", a.detail}});
                       }
                       return http::json_response(200, dump(json{{"items", items}}));
                     }),
      http::RouteOptions{{"after", "before", "limit"}});
  router.add("GET", "/api/v1/operators",
             operator_route(book, Permission::kUsers, false,
                            [p](const http::Request&, const http::Match&, const access::Session&) {
                              auto ops = p.access->operators();
                              if (!ops.ok()) return error_of(ops.error());
                              json items = json::array();
                              for (const auto& o : *ops) {
                                items.push_back(json{{"username", o.username},
                                                     {"roles", access::to_string(o.roles)},
                                                     {"disabled", o.disabled},
                                                     {"created", format_iso8601(o.created)},
                                                     {"created_by", o.created_by}});
                              }
                              return http::json_response(200, dump(json{{"items", items}}));
                            }));
  router.add(
      "POST", "/api/v1/operators",
      operator_route(
          book, Permission::kUsers, true,
          [p](const http::Request& r, const http::Match&, const access::Session& s) {
            auto body = json_request(r, {"username", "password", "roles"});
            if (!body.ok()) return body_error(body.error());
            auto get = [&](const char* n) {
              auto it = body->find(n);
              return it != body->end() && it->is_string() ? it->get<std::string>() : std::string();
            };
            auto roles = access::parse_roles(get("roles"));
            if (!roles) {
              return http::error_response(400, "roles: viewer, operator, billing, administrator");
            }
            auto o = p.access->add_operator(get("username"), get("password"), *roles, s.actor());
            if (!o.ok()) return error_of(o.error());
            return http::json_response(
                201, dump(json{{"username", o->username}, {"roles", access::to_string(o->roles)}}));
          }));
}

void add_platform_routes(http::Router& router, const Platform& p) {
  add_session_routes(router, p);
  add_portal_routes(router, p);
  add_control_room_routes(router, p);
  add_analysis_routes(router, p);
  add_export_routes(router, p);
  add_cim_routes(router, p);
  add_checkout_routes(router, p);
  router.add("GET", "/api/v1/openapi.json", [](const http::Request&, const http::Match&) {
    return http::json_response(200, std::string(openapi_document()));
  });
}

}  // namespace vidyut::api
