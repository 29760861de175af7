// The control room's analyses of the MDM (docs/api.md, "Energy accounting, theft, reliability"):
// the energy audit from feeder to DT to consumer, transformer loading, reliability indices,
// theft findings, and theft cases from opening to their outcome. Day-scale answers come from an
// AnalysisCache (5 minutes on the platform clock).
#include <memory>

#include <nlohmann/json.hpp>

#include "api/analysis_cache.h"
#include "api/guard.h"
#include "api/json_body.h"
#include "api/mdm_forms.h"
#include "api/platform_api.h"
#include "api/resources.h"
#include "api/route_support.h"
#include "mdm/audit.h"
#include "mdm/case_desk.h"
#include "mdm/load_control.h"
#include "mdm/loading.h"
#include "mdm/network.h"
#include "mdm/outage.h"
#include "mdm/reliability.h"
#include "mdm/theft.h"
#include "tariff/calendar.h"

namespace vidyut::api {
namespace {

using access::Permission;
using json = nlohmann::json;

inline constexpr Millis kAnalysisMaxAge = std::chrono::minutes(5);

// ?from=&to= (IST days, both included), `fallback_days` up to yesterday by default, at most
// `max_days` long.
struct Days {
  tariff::CivilDate from, to;
  std::string key() const { return tariff::to_string(from) + ".." + tariff::to_string(to); }
};
Result<Days> days_param(const http::Request& r, UtcTime now, int fallback_days, int max_days) {
  const tariff::CivilDate yesterday = tariff::add_days(tariff::ist_date(now), -1);
  VIDYUT_TRY(to, day_param(r, "to", yesterday));
  VIDYUT_TRY(from, day_param(r, "from", tariff::add_days(*to, 1 - fallback_days)));
  const auto n = tariff::days_from_civil(*to) - tariff::days_from_civil(*from) + 1;
  if (n < 1 || n > max_days) {
    return Error(Errc::kInvalidArgument,
                 "from..to: 1 to " + std::to_string(max_days) + " days, from not after to");
  }
  return Days{*from, *to};
}

UtcTime start_of(tariff::CivilDate d) { return tariff::ist_midnight(d); }
UtcTime end_of(tariff::CivilDate d) { return tariff::ist_midnight(tariff::add_days(d, 1)); }

Result<mdm::Network> network_of(store::Store& store) {
  VIDYUT_TRY(meters, mdm::all_meters(store));
  return mdm::build_network(*meters);
}

http::Response cached(AnalysisCache& cache, const std::string& key,
                      const std::function<Result<json>()>& compute) {
  auto a = cache.get(key, [&]() -> Result<std::string> {
    VIDYUT_TRY(j, compute());
    return dump(*j);
  });
  if (!a.ok()) return error_of(a.error());
  http::Response out = http::json_response(200, a->body);
  out.headers.emplace_back("X-Computed-At", format_iso8601(a->computed_at));
  return out;
}

std::optional<mdm::CaseState> case_state(const std::string& s) {
  if (s == "open") return mdm::CaseState::kOpen;
  if (s == "confirmed") return mdm::CaseState::kConfirmed;
  if (s == "dismissed") return mdm::CaseState::kDismissed;
  return std::nullopt;
}

// The {id} of a path: a number, or kNotFound naming what it is the id of.
Result<std::int64_t> path_id(const http::Match& m, const char* what) {
  const std::string& v = m.var("id");
  if (v.empty() || v.size() > 15 || v.find_first_not_of("0123456789") != std::string::npos) {
    return Error(Errc::kNotFound, std::string("no such ") + what);
  }
  return static_cast<std::int64_t>(std::stoll(v));
}

std::string text_of(const json& body, const char* name) {
  auto it = body.find(name);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

void add_analysis_routes(http::Router& router, const Platform& p) {
  access::AccessBook& book = *p.access;
  auto cache = std::make_shared<AnalysisCache>(*p.clock, kAnalysisMaxAge);

  router.add("GET", "/api/v1/energy-audit",
             operator_route(
                 book, Permission::kView, false,
                 [p, cache](const http::Request& r, const http::Match&, const access::Session&) {
                   auto d = days_param(r, p.clock->now(), 1, 31);
                   if (!d.ok()) return error_of(d.error());
                   return cached(*cache, "audit:" + d->key(), [&]() -> Result<json> {
                     VIDYUT_TRY(network, network_of(*p.store));
                     VIDYUT_TRY(rep, mdm::audit_from_store(*p.store, *network, start_of(d->from),
                                                           end_of(d->to)));
                     return audit_json(*rep);
                   });
                 }),
             http::RouteOptions{{"from", "to"}});

  router.add("GET", "/api/v1/reliability",
             operator_route(
                 book, Permission::kView, false,
                 [p, cache](const http::Request& r, const http::Match&, const access::Session&) {
                   auto d = days_param(r, p.clock->now(), 30, 92);
                   if (!d.ok()) return error_of(d.error());
                   return cached(*cache, "reliability:" + d->key(), [&]() -> Result<json> {
                     VIDYUT_TRY(network, network_of(*p.store));
                     const UtcTime from = start_of(d->from);
                     const UtcTime until = std::max(p.clock->now(), from);
                     VIDYUT_TRY(events, mdm::power_events(*p.store, *network, from, until));
                     const auto outages = mdm::detect_outages(
                         *network, *events, from, std::min(end_of(d->to), until), until);
                     return reliability_json(mdm::reliability(*network, outages));
                   });
                 }),
             http::RouteOptions{{"from", "to"}});

  router.add("GET", "/api/v1/loading",
             operator_route(
                 book, Permission::kView, false,
                 [p, cache](const http::Request& r, const http::Match&, const access::Session&) {
                   auto d = days_param(r, p.clock->now(), 1, 31);
                   if (!d.ok()) return error_of(d.error());
                   return cached(*cache, "loading:" + d->key(), [&]() -> Result<json> {
                     VIDYUT_TRY(network, network_of(*p.store));
                     VIDYUT_TRY(rep, mdm::loading_from_store(*p.store, *network, start_of(d->from),
                                                             end_of(d->to)));
                     return loading_json(*rep);
                   });
                 }),
             http::RouteOptions{{"from", "to"}});

  router.add("GET", "/api/v1/theft",
             operator_route(
                 book, Permission::kView, false,
                 [p, cache](const http::Request& r, const http::Match&, const access::Session&) {
                   auto day = day_param(r, "day", yesterday(p));
                   if (!day.ok()) return error_of(day.error());
                   return cached(*cache, "theft:" + tariff::to_string(*day), [&]() -> Result<json> {
                     VIDYUT_TRY(meters, mdm::all_meters(*p.store));
                     const mdm::Network network = mdm::build_network(*meters);
                     VIDYUT_TRY(rep, mdm::detect_theft(*p.store, network, *meters, start_of(*day)));
                     json j = theft_json(*rep, false);
                     std::size_t incomplete = 0;
                     for (const auto& f : rep->dts) incomplete += f.complete ? 0 : 1;
                     j["dts_assessed"] = rep->dts.size() - incomplete;
                     j["dts_incomplete"] = incomplete;
                     return j;
                   });
                 }),
             http::RouteOptions{{"day"}});

  // ---- area load control
  router.add(
      "GET", "/api/v1/load-actions",
      operator_route(book, Permission::kView, false,
                     [p](const http::Request& r, const http::Match&, const access::Session&) {
                       if (p.load_control == nullptr) {
                         return http::error_response(503, "no load control on this server");
                       }
                       bool active = true;
                       if (auto it = r.params.find("active"); it != r.params.end()) {
                         if (it->second != "true" && it->second != "false") {
                           return http::error_response(400, "active must be true or false");
                         }
                         active = it->second == "true";
                       }
                       auto as = p.load_control->actions(active);
                       if (!as.ok()) return error_of(as.error());
                       json items = json::array();
                       for (auto it = as->rbegin(); it != as->rend(); ++it) {
                         auto prog = p.load_control->progress(*it);
                         if (!prog.ok()) return error_of(prog.error());
                         items.push_back(load_action_json(*it, *prog));
                       }
                       return http::json_response(200, dump(json{{"items", items}}));
                     }),
      http::RouteOptions{{"active"}});
  router.add(
      "POST", "/api/v1/load-actions",
      operator_route(book, Permission::kCommand, true,
                     [p](const http::Request& r, const http::Match&, const access::Session& s) {
                       if (p.load_control == nullptr) {
                         return http::error_response(503, "no load control on this server");
                       }
                       auto body = json_request(r, {"target", "limit_w", "minutes", "reason"});
                       if (!body.ok()) return body_error(body.error());
                       const auto limit = body->find("limit_w");
                       const auto minutes = body->find("minutes");
                       if (limit == body->end() || !limit->is_number_unsigned() ||
                           minutes == body->end() || !minutes->is_number_unsigned()) {
                         return http::error_response(400, "limit_w and minutes are whole numbers");
                       }
                       const std::string reason = text_of(*body, "reason");
                       if (reason.size() < 3)
                         return http::error_response(400, "reason: why the area is limited");
                       auto a =
                           p.load_control->limit(text_of(*body, "target"),
                                                 static_cast<std::uint32_t>(std::min<std::uint64_t>(
                                                     limit->get<std::uint64_t>(), UINT32_MAX)),
                                                 static_cast<std::int64_t>(std::min<std::uint64_t>(
                                                     minutes->get<std::uint64_t>(), INT32_MAX)),
                                                 s.actor(), reason);
                       if (!a.ok()) return error_of(a.error());
                       auto prog = p.load_control->progress(*a);
                       if (!prog.ok()) return error_of(prog.error());
                       return http::json_response(201, dump(load_action_json(*a, *prog)));
                     }));
  router.add(
      "POST", "/api/v1/load-actions/{id}/restore",
      operator_route(book, Permission::kCommand, true,
                     [p](const http::Request&, const http::Match& m, const access::Session& s) {
                       if (p.load_control == nullptr) {
                         return http::error_response(503, "no load control on this server");
                       }
                       auto id = path_id(m, "load action");
                       if (!id.ok()) return error_of(id.error());
                       auto a = p.load_control->restore(*id, s.actor());
                       if (!a.ok()) return error_of(a.error());
                       auto prog = p.load_control->progress(*a);
                       if (!prog.ok()) return error_of(prog.error());
                       return http::json_response(200, dump(load_action_json(*a, *prog)));
                     }));

  // ---- theft cases
  auto need_cases = [p]() -> std::optional<http::Response> {
    if (p.cases == nullptr)
      return http::error_response(503, "theft cases are not kept on this server");
    return std::nullopt;
  };
  router.add(
      "GET", "/api/v1/theft-cases",
      operator_route(
          book, Permission::kView, false,
          [p, need_cases](const http::Request& r, const http::Match&, const access::Session&) {
            if (auto e = need_cases()) return *e;
            std::optional<mdm::CaseState> state = mdm::CaseState::kOpen;
            if (auto it = r.params.find("state"); it != r.params.end()) {
              state = case_state(it->second);
              if (!state && it->second != "all") {
                return http::error_response(400, "state must be open, confirmed, dismissed or all");
              }
            }
            auto cs = p.cases->cases(state);
            if (!cs.ok()) return error_of(cs.error());
            json items = json::array();
            for (auto it = cs->rbegin(); it != cs->rend(); ++it) items.push_back(case_json(*it));
            return http::json_response(200, dump(json{{"items", items}}));
          }),
      http::RouteOptions{{"state"}});
  router.add("POST", "/api/v1/theft-cases",
             operator_route(book, Permission::kCommand, true,
                            [p, need_cases](const http::Request& r, const http::Match&,
                                            const access::Session& s) {
                              if (auto e = need_cases()) return *e;
                              auto body = json_request(r, {"serial", "day", "note"});
                              if (!body.ok()) return body_error(body.error());
                              const std::string serial = text_of(*body, "serial");
                              auto day = tariff::parse_date(text_of(*body, "day"));
                              if (serial.empty())
                                return http::error_response(400, "serial: the suspect's meter");
                              if (!day.ok())
                                return http::error_response(400, "day must be YYYY-MM-DD");
                              mdm::CaseDesk desk(*p.cases, *p.store, *p.clock);
                              auto o = desk.open(serial, *day, s.actor(), text_of(*body, "note"));
                              if (!o.ok()) return error_of(o.error());
                              return http::json_response(
                                  o->created ? 201 : 200,
                                  dump(json{{"created", o->created}, {"case", case_json(o->c)}}));
                            }));
  router.add("GET", "/api/v1/theft-cases/{id}",
             operator_route(book, Permission::kView, false,
                            [p, need_cases](const http::Request&, const http::Match& m,
                                            const access::Session&) {
                              if (auto e = need_cases()) return *e;
                              auto id = path_id(m, "theft case");
                              if (!id.ok()) return error_of(id.error());
                              auto c = p.cases->get(*id);
                              if (!c.ok()) return error_of(c.error());
                              if (!*c) return http::error_response(404, "no such theft case");
                              auto trail = p.cases->trail(*id);
                              if (!trail.ok()) return error_of(trail.error());
                              json j = case_json(**c);
                              j["trail"] = trail_json(*trail);
                              return http::json_response(200, dump(j));
                            }));
  router.add(
      "POST", "/api/v1/theft-cases/{id}/close",
      operator_route(
          book, Permission::kCommand, true,
          [p, need_cases](const http::Request& r, const http::Match& m, const access::Session& s) {
            if (auto e = need_cases()) return *e;
            auto id = path_id(m, "theft case");
            if (!id.ok()) return error_of(id.error());
            auto body = json_request(r, {"outcome", "note"});
            if (!body.ok()) return body_error(body.error());
            const auto to = case_state(text_of(*body, "outcome"));
            if (!to || *to == mdm::CaseState::kOpen) {
              return http::error_response(400, "outcome must be confirmed or dismissed");
            }
            mdm::CaseDesk desk(*p.cases, *p.store, *p.clock);
            auto c = desk.close(*id, *to, s.actor(), text_of(*body, "note"));
            if (!c.ok()) return error_of(c.error());
            return http::json_response(200, dump(case_json(*c)));
          }));
  router.add("POST", "/api/v1/theft-cases/{id}/notes",
             operator_route(book, Permission::kCommand, true,
                            [p, need_cases](const http::Request& r, const http::Match& m,
                                            const access::Session& s) {
                              if (auto e = need_cases()) return *e;
                              auto id = path_id(m, "theft case");
                              if (!id.ok()) return error_of(id.error());
                              auto body = json_request(r, {"note"});
                              if (!body.ok()) return body_error(body.error());
                              mdm::CaseDesk desk(*p.cases, *p.store, *p.clock);
                              auto c = desk.note(*id, s.actor(), text_of(*body, "note"));
                              if (!c.ok()) return error_of(c.error());
                              return http::json_response(200, dump(case_json(*c)));
                            }));
}

}  // namespace vidyut::api
