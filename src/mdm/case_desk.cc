#include "mdm/case_desk.h"

#include <algorithm>

#include <fmt/format.h>

#include "mdm/network.h"
#include "mdm/theft.h"

namespace vidyut::mdm {

Result<TheftCase> case_from_finding(store::Store& store, const std::string& serial,
                                    tariff::CivilDate day) {
  VIDYUT_TRY(m, store.meter_by_serial(serial));
  if (!*m) return Error(Errc::kNotFound, "no meter " + serial);
  if ((*m)->consumer_id.empty() || (*m)->dt.empty()) {
    return Error(Errc::kInvalidArgument, serial + " is not a consumer meter on a DT");
  }
  VIDYUT_TRY(meters, all_meters(store));
  const Network network = build_network(*meters);
  VIDYUT_TRY(r, detect_theft(store, network, *meters, tariff::ist_midnight(day)));
  TheftCase c;
  c.dt = (*m)->dt;
  c.day = tariff::to_string(day);
  c.meter_id = (*m)->id;
  c.serial = serial;
  c.consumer_id = (*m)->consumer_id;
  c.evidence = "the DT-day was not assessed";
  for (const auto& f : r->dts) {
    if (f.dt != c.dt) continue;
    if (!f.flagged) {
      c.evidence = fmt::format("the DT-day is not flagged (unexplained {:.2f} %{})",
                               f.unexplained_percent, f.complete ? "" : ", incomplete data");
      break;
    }
    c.evidence =
        fmt::format("DT unexplained loss {:.2f} % of {:.1f} kWh, about {:.1f} kWh stolen, {}; ",
                    f.unexplained_percent, f.dt_wh / 1000, f.stolen_wh / 1000, f.pattern);
    auto it = std::find_if(f.suspects.begin(), f.suspects.end(),
                           [&](const Suspect& x) { return x.serial == serial; });
    if (it == f.suspects.end()) {
      c.evidence += "not among the MDM's top suspects";
    } else {
      c.evidence += fmt::format("suspect {} of {} (score {:.2f})", it - f.suspects.begin() + 1,
                                f.suspects.size(), it->score);
      for (const auto& why : it->reasons) c.evidence += "; " + why;
    }
    break;
  }
  if (c.evidence.size() > kMaxCaseText) c.evidence.resize(kMaxCaseText);
  return c;
}

Status CaseDesk::audit(const std::string& action, const std::string& subject,
                       const std::string& detail, const std::string& actor) {
  store::WriteBatch b;
  store::AuditRecord a;
  a.at = clock_.now();
  a.actor = actor;
  a.action = action;
  a.subject = subject;
  a.detail = detail.substr(0, store::kMaxDetailLength);
  b.audit.push_back(std::move(a));
  VIDYUT_TRY(w, store_.write(b));
  return ok_status();
}

Result<TheftCase> CaseDesk::reread(std::int64_t id) {
  VIDYUT_TRY(c, book_.get(id));
  if (!*c) return Error(Errc::kIo, fmt::format("theft case {} vanished", id));
  return std::move(**c);
}

Result<CaseBook::Opened> CaseDesk::open(const std::string& serial, tariff::CivilDate day,
                                        const std::string& actor, const std::string& note) {
  VIDYUT_TRY(c, case_from_finding(store_, serial, day));
  VIDYUT_TRY(r, book_.open_case(*c, actor, note));
  if (r->created) {
    VIDYUT_CHECK(
        audit("theft-case-open", serial, fmt::format("case {}: {}", r->c.id, c->evidence), actor));
  }
  return std::move(*r);
}

Result<TheftCase> CaseDesk::close(std::int64_t id, CaseState to, const std::string& actor,
                                  const std::string& note) {
  VIDYUT_TRY(c, book_.close_case(id, to, actor, note));
  VIDYUT_CHECK(audit(to == CaseState::kConfirmed ? "theft-case-confirm" : "theft-case-dismiss",
                     c->serial, fmt::format("case {}: {}", id, note), actor));
  return std::move(*c);
}

Result<TheftCase> CaseDesk::note(std::int64_t id, const std::string& actor,
                                 const std::string& note) {
  VIDYUT_CHECK(book_.add_note(id, actor, note));
  VIDYUT_TRY(c, reread(id));
  VIDYUT_CHECK(audit("theft-case-note", c->serial, fmt::format("case {}: {}", id, note), actor));
  return std::move(*c);
}

}  // namespace vidyut::mdm
