#include "api/route_support.h"

namespace vidyut::api {

Result<tariff::CivilDate> day_param(const http::Request& r, const char* name,
                                    tariff::CivilDate fallback) {
  auto it = r.params.find(name);
  if (it == r.params.end()) return fallback;
  auto d = tariff::parse_date(it->second);
  if (!d.ok()) return Error(Errc::kInvalidArgument, std::string(name) + " must be YYYY-MM-DD");
  return *d;
}

tariff::CivilDate yesterday(const Platform& p) {
  return tariff::add_days(tariff::ist_date(p.clock->now()), -1);
}

std::string token_in_fours(const std::string& digits) {
  std::string grouped;
  for (std::size_t i = 0; i < digits.size(); i += 4) {
    if (i > 0) grouped += ' ';
    grouped += digits.substr(i, 4);
  }
  return grouped;
}

Status audit(const Platform& p, const std::string& actor, const std::string& action,
             const std::string& subject, const std::string& detail) {
  store::WriteBatch b;
  store::AuditRecord a;
  a.at = p.clock->now();
  a.actor = actor;
  a.action = action;
  a.subject = subject;
  a.detail = detail;
  b.audit.push_back(std::move(a));
  VIDYUT_TRY(w, p.store->write(b));
  return ok_status();
}

}  // namespace vidyut::api
