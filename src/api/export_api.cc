// The exports for the utility's other systems (docs/api.md, "Exports"): CSV of every meter's
// readings of a day and of every account's statements and bills of a month, streamed; each
// export is in the audit trail with its actor.
#include "api/exports.h"
#include "api/guard.h"
#include "api/platform_api.h"
#include "api/resources.h"
#include "api/route_support.h"
#include "tariff/calendar.h"

namespace vidyut::api {
namespace {

using access::Permission;

http::Response csv_response(std::shared_ptr<http::Stream> stream, const std::string& filename) {
  http::Response out;
  out.content_type = "text/csv; charset=utf-8";
  out.stream = std::move(stream);
  out.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  return out;
}

}  // namespace

void add_export_routes(http::Router& router, const Platform& p) {
  router.add(
      "GET", "/api/v1/exports/readings.csv",
      operator_route(
          *p.access, Permission::kView, false,
          [p](const http::Request& r, const http::Match&, const access::Session& s) {
            auto d = day_param(r, "day", yesterday(p));
            if (!d.ok()) return error_of(d.error());
            const tariff::CivilDate day = *d;
            const std::string name = tariff::to_string(day);
            if (auto a = audit(p, s.actor(), "export-readings", "readings", "IST day " + name);
                !a.ok()) {
              return error_of(a.error());
            }
            return csv_response(readings_csv(*p.store, tariff::ist_midnight(day),
                                             tariff::ist_midnight(tariff::add_days(day, 1))),
                                "readings-" + name + ".csv");
          }),
      http::RouteOptions{{"day"}});
  router.add("GET", "/api/v1/exports/bills.csv",
             operator_route(
                 *p.access, Permission::kView, false,
                 [p](const http::Request& r, const http::Match&, const access::Session& s) {
                   if (p.billing_db == nullptr) {
                     return http::error_response(503, "billing does not run on this server");
                   }
                   tariff::YearMonth month = tariff::month_of(tariff::add_days(
                       tariff::first_day(tariff::month_of(tariff::ist_date(p.clock->now()))), -1));
                   if (auto it = r.params.find("month"); it != r.params.end()) {
                     auto m = tariff::parse_month(it->second);
                     if (!m.ok()) return http::error_response(400, "month must be YYYY-MM");
                     month = *m;
                   }
                   const std::string name = tariff::to_string(month);
                   if (auto a = audit(p, s.actor(), "export-bills", "bills", "month " + name);
                       !a.ok()) {
                     return error_of(a.error());
                   }
                   return csv_response(bills_csv(*p.billing_db, name), "bills-" + name + ".csv");
                 }),
             http::RouteOptions{{"month"}});
}

}  // namespace vidyut::api
