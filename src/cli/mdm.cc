// `vidyut mdm ...`: meter data management reports on the head end's data (docs/mdm.md).
#include <iostream>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/mdm_forms.h"
#include "cli/commands.h"
#include "cli/data_options.h"
#include "mdm/audit.h"
#include "mdm/case_desk.h"
#include "mdm/cases.h"
#include "mdm/load_control.h"
#include "mdm/loading.h"
#include "mdm/network.h"
#include "mdm/outage.h"
#include "mdm/reliability.h"
#include "mdm/theft.h"
#include "mdm/vee.h"
#include "mdm/vee_book.h"
#include "tariff/calendar.h"

namespace vidyut::cli {
namespace {

using json = nlohmann::json;
using api::audit_json;
using api::case_json;
using api::reliability_json;

struct AuditOptions {
  DataOptions data;
  std::string day;  // IST day YYYY-MM-DD; default yesterday
  std::uint32_t days = 1;
  std::string by = "day";  // the period of each balance: day, hour or interval
  std::int32_t period_s = 900;
  std::size_t top = 5;
  bool json = false;
  bool all_dts = false;
};

std::string kwh(std::int64_t wh) { return fmt::format("{:.1f}", static_cast<double>(wh) / 1000.0); }
std::string mark(const mdm::Completeness& c) {
  return c.complete() ? "" : fmt::format("  INCOMPLETE {:.1f} %", c.percent());
}

void print(const mdm::AuditReport& r, const AuditOptions& o) {
  std::cout << fmt::format("energy audit {} to {}\n", tariff::format_ist(r.from),
                           tariff::format_ist(r.to))
            << fmt::format("  area: input {} kWh, consumers {} kWh, loss {} kWh ({:.2f} %){}\n",
                           kwh(r.area.input_wh), kwh(r.area.consumers_wh), kwh(r.area.loss_wh),
                           r.area.loss_percent, mark(r.area.data));
  std::cout << "  feeders (feeder meter; its DT meters; HT loss; consumers; total loss):\n";
  for (const auto& f : r.feeders) {
    std::cout << fmt::format(
        "    {:<8} {:>10} kWh {:>10} kWh  HT {:>6.2f} %  {:>10} kWh  total {:>6.2f} %{}\n",
        f.feeder, f.has_meter ? kwh(f.feeder_wh) : "no meter", kwh(f.dts_wh), f.ht_loss_percent,
        kwh(f.consumers_wh), f.total_loss_percent, mark(f.data));
  }
  auto dt_line = [&](const mdm::DtBalance& d) {
    return fmt::format("    {:<10} {:<8} {:>9} kWh {:>9} kWh  LT {:>6.2f} % ({} kWh){}\n", d.dt,
                       d.feeder, d.has_meter ? kwh(d.dt_wh) : "no meter", kwh(d.consumers_wh),
                       d.loss_percent, kwh(d.loss_wh), mark(d.data));
  };
  if (o.all_dts) {
    std::cout << "  DTs (DT meter; consumers; LT loss):\n";
    for (const auto& d : r.dts) std::cout << dt_line(d);
  } else {
    std::cout << fmt::format("  worst {} DTs by LT loss (complete data only):\n", o.top);
    for (const auto* d : mdm::rank_dts(r, o.top, true)) std::cout << dt_line(*d);
    std::cout << fmt::format("  best {} DTs:\n", o.top);
    for (const auto* d : mdm::rank_dts(r, o.top, false)) std::cout << dt_line(*d);
  }
  std::size_t incomplete = 0;
  for (const auto& d : r.dts) incomplete += d.complete() ? 0 : 1;
  std::cout << fmt::format("  {} of {} DT figures are over incomplete data (marked, not ranked)\n",
                           incomplete, r.dts.size());
  if (r.unplaced_consumers > 0) {
    std::cout << fmt::format(
        "  {} consumer meters have no DT (or a DT on another feeder) in the registry: left out\n",
        r.unplaced_consumers);
  }
}

int run_audit(const AuditOptions& o) {
  // Yesterday (IST) by default.
  UtcTime from =
      tariff::ist_midnight(tariff::add_days(tariff::ist_date(RealClock::instance().now()), -1));
  if (!o.day.empty()) {
    auto d = tariff::parse_date(o.day);
    if (!d.ok()) return report_error("mdm audit", d.error());
    from = tariff::ist_midnight(*d);
  }
  if (o.days == 0 || o.days > 31) {
    return report_error("mdm audit", Error(Errc::kInvalidArgument, "--days must be 1 to 31"));
  }
  Millis step{0};
  if (o.by == "day") {
    step = Millis(86'400'000);
  } else if (o.by == "hour") {
    step = Millis(3'600'000);
  } else if (o.by == "interval") {
    step = Millis(std::int64_t{o.period_s} * 1000);
  } else if (o.by == "period") {
    step = Millis(std::int64_t{o.days} * 86'400'000);
  } else {
    return report_error(
        "mdm audit", Error(Errc::kInvalidArgument, "--by must be period, day, hour or interval"));
  }
  auto db = open_store(o.data);
  if (!db.ok()) return report_error("mdm audit", db.error());
  auto meters = mdm::all_meters(**db);
  if (!meters.ok()) return report_error("mdm audit", meters.error());
  const mdm::Network network = mdm::build_network(*meters);
  const UtcTime to = from + std::chrono::days(o.days);
  json out = json::array();
  for (UtcTime a = from; a < to; a += step) {
    auto r = mdm::audit_from_store(**db, network, a, std::min(to, a + step), o.period_s);
    if (!r.ok()) return report_error("mdm audit", r.error());
    if (o.json) {
      out.push_back(audit_json(*r));
    } else {
      print(*r, o);
    }
  }
  if (o.json) std::cout << out.dump(2) << "\n";
  return kExitOk;
}

// ---- outages and reliability -----------------------------------------------------------------

struct OutageOptions {
  DataOptions data;
  std::string day;    // first IST day; default yesterday
  std::string month;  // YYYY-MM: the whole month instead of --day/--days
  std::uint32_t days = 1;
  std::string meter;  // a consumer meter's serial: its interruption log
  bool json = false;
  bool all = false;  // loading: every overloaded interval
};

// The period asked for: --month, or --day and --days (yesterday by default).
Result<std::pair<UtcTime, UtcTime>> period_of(const OutageOptions& o) {
  if (!o.month.empty()) {
    VIDYUT_TRY(m, tariff::parse_month(o.month));
    return std::pair{tariff::ist_midnight(tariff::first_day(*m)),
                     tariff::ist_midnight(tariff::first_day(tariff::next_month(*m)))};
  }
  if (o.days == 0 || o.days > 31) {
    return Error(Errc::kInvalidArgument, "--days must be 1 to 31");
  }
  tariff::CivilDate d = tariff::add_days(tariff::ist_date(RealClock::instance().now()), -1);
  if (!o.day.empty()) {
    VIDYUT_TRY(p, tariff::parse_date(o.day));
    d = *p;
  }
  const UtcTime from = tariff::ist_midnight(d);
  return std::pair{from, from + std::chrono::days(o.days)};
}

std::string minutes(Millis d) { return fmt::format("{:.1f}", double(d.count()) / 60'000.0); }
std::string span_end(const mdm::OffSpan& s) {
  return s.end ? tariff::format_ist(*s.end) : std::string("(ongoing)");
}

struct OutageData {
  mdm::Network network;
  mdm::OutageReport report;
  std::unique_ptr<store::Store> db;
};

Result<OutageData> load_outages(const OutageOptions& o) {
  VIDYUT_TRY(period, period_of(o));
  VIDYUT_TRY(db, open_store(o.data));
  VIDYUT_TRY(meters, mdm::all_meters(**db));
  OutageData d;
  d.network = mdm::build_network(*meters);
  const UtcTime until = std::max(RealClock::instance().now(), period->first);
  VIDYUT_TRY(events, mdm::power_events(**db, d.network, period->first, until));
  d.report = mdm::detect_outages(d.network, *events, period->first, period->second, until);
  d.db = std::move(*db);
  return d;
}

int run_outages(const OutageOptions& o) {
  auto d = load_outages(o);
  if (!d.ok()) return report_error("mdm outages", d.error());
  const mdm::OutageReport& r = d->report;
  if (!o.meter.empty()) {
    auto m = d->db->meter_by_serial(o.meter);
    if (!m.ok()) return report_error("mdm outages", m.error());
    if (!*m) {
      return report_error("mdm outages",
                          Error(Errc::kNotFound, fmt::format("no meter {}", o.meter)));
    }
    const auto log = mdm::consumer_interruptions(d->network, r, (*m)->id);
    if (o.json) {
      json j = json::array();
      for (const auto& i : log) {
        j.push_back({{"start", format_iso8601(i.span.start)},
                     {"end", i.span.end ? json(format_iso8601(*i.span.end)) : json(nullptr)},
                     {"minutes", double(i.duration.count()) / 60'000.0},
                     {"sustained", i.sustained},
                     {"cause", i.cause}});
      }
      std::cout
          << json{{"meter", o.meter}, {"consumer", (*m)->consumer_id}, {"interruptions", j}}.dump(2)
          << "\n";
      return kExitOk;
    }
    std::cout << fmt::format("interruptions of {} (consumer {}) from {} to {}: {}\n", o.meter,
                             (*m)->consumer_id, tariff::format_ist(r.from),
                             tariff::format_ist(r.to), log.size());
    for (const auto& i : log) {
      std::cout << fmt::format(
          "  {} to {}  {:>8} min  {:<9} {}\n", tariff::format_ist(i.span.start), span_end(i.span),
          minutes(i.duration), i.sustained ? "sustained" : "momentary", i.cause);
    }
    return kExitOk;
  }
  if (o.json) {
    json j = json::array();
    for (const auto& x : r.outages) {
      j.push_back({{"level", mdm::to_string(x.level)},
                   {"name", x.name},
                   {"feeder", x.feeder},
                   {"start", format_iso8601(x.span.start)},
                   {"end", x.span.end ? json(format_iso8601(*x.span.end)) : json(nullptr)},
                   {"minutes", double((x.span.end_or(r.until) - x.span.start).count()) / 60'000.0},
                   {"momentary", x.momentary(r.until)},
                   {"consumers", x.consumers},
                   {"meters_reporting", x.reporting},
                   {"within_feeder_outage", x.within_feeder_outage}});
    }
    json single = json::array();
    for (const auto& [m, s] : r.single_meter) {
      single.push_back({{"meter_id", m},
                        {"start", format_iso8601(s.start)},
                        {"end", s.end ? json(format_iso8601(*s.end)) : json(nullptr)}});
    }
    std::cout << json{{"from", format_iso8601(r.from)},
                      {"to", format_iso8601(r.to)},
                      {"as_of", format_iso8601(r.until)},
                      {"meters_with_power_events", r.meters_with_evidence},
                      {"outages", j},
                      {"single_meter", single}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("outages from {} to {} (as of {}; {} meters reported power events)\n",
                           tariff::format_ist(r.from), tariff::format_ist(r.to),
                           tariff::format_ist(r.until), r.meters_with_evidence);
  std::size_t ongoing = 0;
  for (const auto& x : r.outages) {
    if (x.level == mdm::Outage::Level::kDt && x.within_feeder_outage) continue;
    ongoing += x.span.end ? 0 : 1;
    std::cout << fmt::format(
        "  {:<6} {:<12} {} to {}  {:>8} min  {:<9} {:>5} consumers  {} meters "
        "reporting\n",
        mdm::to_string(x.level), x.name, tariff::format_ist(x.span.start), span_end(x.span),
        minutes(x.span.end_or(r.until) - x.span.start),
        x.momentary(r.until) ? "momentary" : "sustained", x.consumers, x.reporting);
  }
  std::size_t within = 0;
  for (const auto& x : r.outages) within += x.within_feeder_outage ? 1 : 0;
  std::cout << fmt::format(
      "  {} outages ({} ongoing); {} DT outages inside feeder outages not listed; {} consumers "
      "off on their own\n",
      r.outages.size() - within, ongoing, within, r.single_meter.size());
  return kExitOk;
}

int run_reliability(const OutageOptions& o) {
  auto d = load_outages(o);
  if (!d.ok()) return report_error("mdm reliability", d.error());
  const mdm::ReliabilityReport rel = mdm::reliability(d->network, d->report);
  if (o.json) {
    std::cout << reliability_json(rel).dump(2) << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("reliability indices (IEEE 1366) from {} to {}\n",
                           tariff::format_ist(rel.from), tariff::format_ist(rel.to))
            << fmt::format("  {:<8} {:>9} {:>8} {:>10} {:>10} {:>8}\n", "feeder", "customers",
                           "SAIFI", "SAIDI min", "CAIDI min", "MAIFI");
  auto line = [](const mdm::ReliabilityIndices& x) {
    return fmt::format("  {:<8} {:>9} {:>8.3f} {:>10.1f} {:>10.1f} {:>8.3f}\n", x.name, x.customers,
                       x.saifi, x.saidi, x.caidi, x.maifi);
  };
  for (const auto& x : rel.feeders) std::cout << line(x);
  std::cout << line(rel.area);
  return kExitOk;
}

int run_loading(const OutageOptions& o) {
  auto period = period_of(o);
  if (!period.ok()) return report_error("mdm loading", period.error());
  auto db = open_store(o.data);
  if (!db.ok()) return report_error("mdm loading", db.error());
  auto meters = mdm::all_meters(**db);
  if (!meters.ok()) return report_error("mdm loading", meters.error());
  const mdm::Network network = mdm::build_network(*meters);
  auto r = mdm::loading_from_store(**db, network, period->first, period->second);
  if (!r.ok()) return report_error("mdm loading", r.error());
  if (o.json) {
    std::cout << api::loading_json(*r).dump(2) << "\n";
    return kExitOk;
  }
  std::vector<const mdm::DtLoading*> dts;
  for (const auto& d : r->dts) dts.push_back(&d);
  std::stable_sort(dts.begin(), dts.end(), [](const auto* a, const auto* b) {
    return a->peak.loading_percent > b->peak.loading_percent;
  });
  std::size_t overloaded = 0;
  for (const auto* d : dts) overloaded += d->overloaded.empty() ? 0 : 1;
  std::cout << fmt::format("transformer loading from {} to {}: {} of {} DTs overloaded\n",
                           tariff::format_ist(r->from), tariff::format_ist(r->to), overloaded,
                           dts.size())
            << fmt::format("  {:<12} {:>7} {:>9} {:>8}  {:<20} {:>10}  {}\n", "DT", "kVA",
                           "peak kVA", "loading", "at", "overloaded", "data");
  for (const auto* d : dts) {
    std::cout << fmt::format("  {:<12} {:>7} {:>9.1f} {:>7.0f}%  {:<20} {:>8.2f} h  {}/{}\n", d->dt,
                             d->rating_va / 1000, d->peak.kva, d->peak.loading_percent,
                             d->intervals ? tariff::format_ist(d->peak.start) : "-",
                             d->overloaded_hours(r->period_s), d->intervals, d->expected);
    if (o.all) {
      for (const auto& li : d->overloaded) {
        std::cout << fmt::format("      {} {:.1f} kVA {:.0f} %\n", tariff::format_ist(li.start),
                                 li.kva, li.loading_percent);
      }
    }
  }
  if (r->dts_without_rating > 0) {
    std::cout << fmt::format("  {} DTs without a DT meter or a rating: not assessed\n",
                             r->dts_without_rating);
  }
  return kExitOk;
}

int run_theft(const OutageOptions& o) {
  auto period = period_of(o);
  if (!period.ok()) return report_error("mdm theft", period.error());
  auto db = open_store(o.data);
  if (!db.ok()) return report_error("mdm theft", db.error());
  auto meters = mdm::all_meters(**db);
  if (!meters.ok()) return report_error("mdm theft", meters.error());
  const mdm::Network network = mdm::build_network(*meters);
  json out = json::array();
  for (UtcTime day = period->first; day < period->second; day += std::chrono::days(1)) {
    auto r = mdm::detect_theft(**db, network, *meters, day);
    if (!r.ok()) return report_error("mdm theft", r.error());
    if (o.json) {
      out.push_back(api::theft_json(*r, o.all));
      continue;
    }
    std::size_t incomplete = 0;
    for (const auto& f : r->dts) incomplete += f.complete ? 0 : 1;
    std::cout << fmt::format(
        "theft {}: technical loss = {:.2f} % of consumers' energy + {:.2f} W per kVA (fitted on "
        "{} of {} DT-days); {} DTs flagged; {} DTs with incomplete data not assessed\n",
        tariff::to_string(tariff::ist_date(day)), 100 * r->model.conductor_share,
        r->model.core_w_per_kva, r->model.fitted_on, r->model.candidates, r->flagged, incomplete);
    std::vector<const mdm::TheftFinding*> flagged;
    for (const auto& f : r->dts) {
      if (f.flagged) flagged.push_back(&f);
    }
    std::sort(flagged.begin(), flagged.end(),
              [](const auto* a, const auto* b) { return a->stolen_wh > b->stolen_wh; });
    for (const auto* f : flagged) {
      std::cout << fmt::format(
          "  {:<12} unexplained {:>5.2f} % of {:.1f} kWh: about {:.1f} kWh stolen; {}\n", f->dt,
          f->unexplained_percent, f->dt_wh / 1000, f->stolen_wh / 1000, f->pattern);
      for (const auto& x : f->suspects) {
        std::cout << fmt::format("      {} ({}) score {:.2f}\n", x.serial, x.consumer_id, x.score);
        for (const auto& why : x.reasons) std::cout << "          " << why << "\n";
      }
    }
  }
  if (o.json) std::cout << out.dump(2) << "\n";
  return kExitOk;
}

// ---- theft cases -----------------------------------------------------------------------------

struct CaseOptions {
  DataOptions data;
  std::string action;  // open, confirm, dismiss, note, show
  std::string meter;   // open: the suspect's serial
  std::string day;     // open: the IST day of the DT-day
  std::int64_t id = 0;
  std::string note;
  std::string by;
  std::string state = "open";  // cases: open, confirmed, dismissed or all
  bool json = false;
};

void print_case(const mdm::TheftCase& c) {
  std::cout << fmt::format("case {}: {} ({}) on {} for {} - {}\n  opened {} by {}\n", c.id,
                           c.serial, c.consumer_id, c.dt, c.day, mdm::to_string(c.state),
                           tariff::format_ist(c.opened), c.opened_by);
  if (c.state != mdm::CaseState::kOpen) {
    std::cout << fmt::format("  closed {} by {}\n", tariff::format_ist(c.closed), c.closed_by);
  }
  std::cout << "  evidence: " << c.evidence << "\n";
}

int run_case(const CaseOptions& o) {
  const std::string what = "mdm case " + o.action;
  const std::string actor = actor_or_user(o.by);
  auto db = open_store(o.data);
  if (!db.ok()) return report_error(what, db.error());
  const auto clock = business_clock(**db);
  auto book = mdm::CaseBook::open(o.data.data_dir, *clock);
  if (!book.ok()) return report_error(what, book.error());
  mdm::CaseDesk desk(**book, **db, *clock);
  if (o.action == "open") {
    auto day = tariff::parse_date(o.day);
    if (!day.ok()) return report_error(what, day.error());
    auto r = desk.open(o.meter, *day, actor, o.note);
    if (!r.ok()) return report_error(what, r.error());
    if (o.json) {
      std::cout << json{{"created", r->created}, {"case", case_json(r->c)}}.dump(2) << "\n";
    } else {
      std::cout << (r->created ? "opened\n" : "already open\n");
      print_case(r->c);
    }
    return kExitOk;
  }
  if (o.action == "confirm" || o.action == "dismiss" || o.action == "note") {
    auto c = o.action == "note" ? desk.note(o.id, actor, o.note)
                                : desk.close(o.id,
                                             o.action == "confirm" ? mdm::CaseState::kConfirmed
                                                                   : mdm::CaseState::kDismissed,
                                             actor, o.note);
    if (!c.ok()) return report_error(what, c.error());
    if (o.json) {
      std::cout << case_json(*c).dump(2) << "\n";
    } else {
      print_case(*c);
    }
    return kExitOk;
  }
  // show
  auto c = (*book)->get(o.id);
  if (!c.ok()) return report_error(what, c.error());
  if (!*c) return report_error(what, Error(Errc::kNotFound, fmt::format("no theft case {}", o.id)));
  auto trail = (*book)->trail(o.id);
  if (!trail.ok()) return report_error(what, trail.error());
  if (o.json) {
    json j = case_json(**c);
    j["trail"] = api::trail_json(*trail);
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  print_case(**c);
  for (const auto& e : *trail) {
    std::cout << fmt::format("  {}  {:<8} {:<10} {}\n", tariff::format_ist(e.at), e.action, e.actor,
                             e.note);
  }
  return kExitOk;
}

int run_cases(const CaseOptions& o) {
  std::optional<mdm::CaseState> state;
  if (o.state == "open") {
    state = mdm::CaseState::kOpen;
  } else if (o.state == "confirmed") {
    state = mdm::CaseState::kConfirmed;
  } else if (o.state == "dismissed") {
    state = mdm::CaseState::kDismissed;
  } else if (o.state != "all") {
    return report_error("mdm cases", Error(Errc::kInvalidArgument,
                                           "--state must be open, confirmed, dismissed or all"));
  }
  auto book = mdm::CaseBook::open(o.data.data_dir, RealClock::instance());
  if (!book.ok()) return report_error("mdm cases", book.error());
  auto cs = (*book)->cases(state);
  if (!cs.ok()) return report_error("mdm cases", cs.error());
  if (o.json) {
    json j = json::array();
    for (const auto& c : *cs) j.push_back(case_json(c));
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("{} theft cases ({})\n", cs->size(), o.state);
  for (const auto& c : *cs) {
    std::cout << fmt::format("  {:>5}  {:<10} {:<12} {}  {:<9} opened {} by {}\n", c.id, c.serial,
                             c.dt, c.day, mdm::to_string(c.state), tariff::format_ist(c.opened),
                             c.opened_by);
  }
  return kExitOk;
}

// ---- validation and estimation ---------------------------------------------------------------

int run_vee(const OutageOptions& o) {
  auto period = period_of(o);
  if (!period.ok()) return report_error("mdm vee", period.error());
  auto db = open_store(o.data);
  if (!db.ok()) return report_error("mdm vee", db.error());
  auto meters = mdm::all_meters(**db);
  if (!meters.ok()) return report_error("mdm vee", meters.error());
  const mdm::Network network = mdm::build_network(*meters);
  std::int64_t only = 0;
  if (!o.meter.empty()) {
    auto m = (*db)->meter_by_serial(o.meter);
    if (!m.ok()) return report_error("mdm vee", m.error());
    if (!*m) return report_error("mdm vee", Error(Errc::kNotFound, "no meter " + o.meter));
    only = (*m)->id;
  }
  static constexpr std::pair<mdm::VeeFlag, const char*> kFlags[] = {
      {mdm::kVeeGap, "gap"},
      {mdm::kVeeNegative, "negative"},
      {mdm::kVeeSpike, "spike"},
      {mdm::kVeeZeroSupplied, "zero-supplied"},
      {mdm::kVeePowerFailure, "power-failure"},
      {mdm::kVeeExport, "export"},
      {mdm::kVeeRegisterSum, "register-sum"},
      {mdm::kVeeClock, "clock"},
      {mdm::kVeeConflict, "conflicting"},
      {mdm::kVeeRegisterDecrease, "register-decrease"},
      {mdm::kVeeEstimated, "estimated"},
      {mdm::kVeeEdited, "edited"}};
  auto book = mdm::VeeBook::open(o.data.data_dir, RealClock::instance());
  if (!book.ok()) return report_error("mdm vee", book.error());
  json out = json::array();
  for (UtcTime day = period->first; day < period->second; day += std::chrono::days(1)) {
    auto r = mdm::vee_from_store(**db, network, day, {}, only, book->get());
    if (!r.ok()) return report_error("mdm vee", r.error());
    json flags = json::object();
    for (const auto& [bit, name] : kFlags) flags[name] = r->flagged(bit);
    if (o.json) {
      json j = {{"day", tariff::to_string(tariff::ist_date(day))},
                {"meters", r->meters.size()},
                {"intervals", r->intervals},
                {"actual", r->actual},
                {"estimated_linear", r->linear},
                {"estimated_like_day", r->like_day},
                {"not_estimated", r->unestimated},
                {"edited", r->edited},
                {"register_known", r->register_known},
                {"register_mismatches", r->register_mismatches},
                {"flags", flags}};
      if (only != 0 && !r->meters.empty()) {
        json iv = json::array();
        for (const auto& v : r->meters[0].intervals) {
          iv.push_back({{"start", format_iso8601(v.start)},
                        {"raw_wh", v.raw_wh ? json(*v.raw_wh) : json(nullptr)},
                        {"wh", v.wh},
                        {"method", mdm::to_string(v.method)},
                        {"flags", mdm::vee_flag_names(v.flags)}});
        }
        j["intervals_of_meter"] = iv;
      }
      out.push_back(j);
      continue;
    }
    std::cout << fmt::format(
        "vee {}: {} meters, {} intervals: {} actual, {} estimated (linear {}, like-day {}), {} not "
        "estimated, {} edited; daily register known for {} meters, {} disagree\n",
        tariff::to_string(tariff::ist_date(day)), r->meters.size(), r->intervals, r->actual,
        r->linear + r->like_day, r->linear, r->like_day, r->unestimated, r->edited,
        r->register_known, r->register_mismatches);
    std::cout << "  flags:";
    for (const auto& [bit, name] : kFlags) {
      std::cout << fmt::format(" {} {}", name, r->flagged(bit));
    }
    std::cout << "\n";
    if (only != 0 && !r->meters.empty()) {
      for (const auto& v : r->meters[0].intervals) {
        if (v.flags == 0) continue;
        std::cout << fmt::format("  {}  {:>6} Wh  {:<8} {}\n", tariff::format_ist(v.start), v.wh,
                                 mdm::to_string(v.method), mdm::vee_flag_names(v.flags));
      }
    }
  }
  if (o.json) std::cout << out.dump(2) << "\n";
  return kExitOk;
}

// Validated data kept in mdm.db (vee_book.h): a validation run, operators' edits, the history.

struct VeeBookOptions {
  DataOptions data;
  std::string action;  // run, edit, history
  std::string meter;
  std::string at;  // edit: "YYYY-MM-DD HH:MM" IST, the interval's start
  std::int64_t wh = -1;
  bool withdraw = false;
  std::string reason;
  std::string by;
  std::string day;
  std::uint32_t days = 1;
  int days_back = 3;
  bool json = false;
};

// "YYYY-MM-DD HH:MM" (IST) as UTC.
Result<UtcTime> parse_ist_minute(const std::string& text) {
  if (text.size() != 16 || (text[10] != ' ' && text[10] != 'T') || text[13] != ':') {
    return Error(Errc::kInvalidArgument, "--at: expected YYYY-MM-DD HH:MM (IST), got " + text);
  }
  VIDYUT_TRY(d, tariff::parse_date(text.substr(0, 10)));
  const auto digits = [&](std::size_t at) -> int {
    if (!std::isdigit(static_cast<unsigned char>(text[at])) ||
        !std::isdigit(static_cast<unsigned char>(text[at + 1]))) {
      return -1;
    }
    return (text[at] - '0') * 10 + (text[at + 1] - '0');
  };
  const int h = digits(11), m = digits(14);
  if (h < 0 || h > 23 || m < 0 || m > 59) {
    return Error(Errc::kInvalidArgument, "--at: no such time of day in " + text);
  }
  return tariff::ist_midnight(*d) + std::chrono::hours(h) + std::chrono::minutes(m);
}

json to_json(const mdm::VeeChange& c, const std::string& serial) {
  return {{"id", c.id},
          {"meter", serial},
          {"interval", format_iso8601(c.start)},
          {"at", format_iso8601(c.at)},
          {"action", c.action},
          {"old_wh", c.old_wh ? json(*c.old_wh) : json(nullptr)},
          {"new_wh", c.new_wh ? json(*c.new_wh) : json(nullptr)},
          {"method", mdm::to_string(c.method)},
          {"flags", mdm::vee_flag_names(c.flags)},
          {"actor", c.actor},
          {"reason", c.reason}};
}

int run_vee_book(const VeeBookOptions& o) {
  const std::string what = "mdm vee-" + o.action;
  auto db = open_store(o.data);
  if (!db.ok()) return report_error(what, db.error());
  const auto business = business_clock(**db);
  const Clock& clock = *business;
  auto book = mdm::VeeBook::open(o.data.data_dir, clock);
  if (!book.ok()) return report_error(what, book.error());
  std::optional<store::MeterInfo> meter;
  if (!o.meter.empty()) {
    auto m = (*db)->meter_by_serial(o.meter);
    if (!m.ok()) return report_error(what, m.error());
    if (!*m) return report_error(what, Error(Errc::kNotFound, "no meter " + o.meter));
    meter = **m;
  }
  if (o.action == "run") {
    if (o.days_back < 0 || o.days_back > 31) {
      return report_error(what, Error(Errc::kInvalidArgument, "--days-back must be 0 to 31"));
    }
    auto meters = mdm::all_meters(**db);
    if (!meters.ok()) return report_error(what, meters.error());
    mdm::VeeRunOptions ro;
    ro.days_back = o.days_back;
    auto r = mdm::run_vee(**db, mdm::build_network(*meters), **book, clock.now(), ro);
    if (!r.ok()) return report_error(what, r.error());
    const auto& a = r->applied;
    if (o.json) {
      std::cout << json{{"days", r->days},
                        {"meters", r->meters},
                        {"intervals", r->intervals},
                        {"estimated", a.estimated},
                        {"re_estimated", a.re_estimated},
                        {"replaced", a.replaced},
                        {"flagged", a.flagged},
                        {"cleared", a.cleared},
                        {"register_mismatches", r->register_mismatches}}
                       .dump(2)
                << "\n";
    } else {
      std::cout << fmt::format(
          "vee run over {} days: {} meters validated ({} intervals); {} estimated, {} "
          "re-estimated, {} replaced by readings, {} flagged, {} cleared; {} meter-days disagree "
          "with their daily register\n",
          r->days, r->meters, r->intervals, a.estimated, a.re_estimated, a.replaced, a.flagged,
          a.cleared, r->register_mismatches);
    }
    return kExitOk;
  }
  if (o.action == "edit") {
    if (!meter) return report_error(what, Error(Errc::kInvalidArgument, "--meter is required"));
    auto at = parse_ist_minute(o.at);
    if (!at.ok()) return report_error(what, at.error());
    if ((at->time_since_epoch().count() % 900'000) != 0) {
      return report_error(
          what, Error(Errc::kInvalidArgument, "--at must be the start of a 15-minute interval"));
    }
    const std::string actor = actor_or_user(o.by);
    auto rows = (*db)->intervals(meter->id, *at, *at + Millis(900'000));
    if (!rows.ok()) return report_error(what, rows.error());
    std::optional<std::int64_t> raw;
    if (!rows->empty()) raw = rows->front().import_wh;
    std::string detail;
    if (o.withdraw) {
      auto w = (*book)->withdraw_edit(meter->id, *at, actor, o.reason);
      if (!w.ok()) return report_error(what, w.error());
      detail = fmt::format("edit of {} withdrawn: {}", tariff::format_ist(*at), o.reason);
    } else {
      if (o.wh < 0) {
        return report_error(what, Error(Errc::kInvalidArgument, "--wh (>= 0) or --withdraw"));
      }
      auto e = (*book)->edit(meter->id, *at, o.wh, raw, actor, o.reason);
      if (!e.ok()) return report_error(what, e.error());
      detail = fmt::format("{} set to {} Wh (reading {}): {}", tariff::format_ist(*at), o.wh,
                           raw ? std::to_string(*raw) + " Wh" : std::string("missing"), o.reason);
    }
    store::WriteBatch b;
    store::AuditRecord a;
    a.at = clock.now();
    a.actor = actor;
    a.action = o.withdraw ? "vee-edit-withdraw" : "vee-edit";
    a.subject = meter->serial;
    a.detail = detail.substr(0, store::kMaxDetailLength);
    b.audit.push_back(a);
    if (auto w = (*db)->write(b); !w.ok()) return report_error(what, w.error());
    std::cout << fmt::format("{}: {}\n", meter->serial, detail);
    return kExitOk;
  }
  // history
  OutageOptions po;
  po.day = o.day;
  po.days = o.days;
  auto period = period_of(po);
  if (!period.ok()) return report_error(what, period.error());
  std::map<std::int64_t, std::string> serials;
  json out = json::array();
  for (std::int64_t after = 0;;) {
    auto h = (*book)->history(meter ? meter->id : 0, period->first, period->second, after, 1000);
    if (!h.ok()) return report_error(what, h.error());
    for (const auto& c : *h) {
      after = c.id;
      auto& serial = serials[c.meter_id];
      if (serial.empty()) {
        auto m = (*db)->meter_by_id(c.meter_id);
        serial = m.ok() && *m ? (*m)->serial : std::to_string(c.meter_id);
      }
      if (o.json) {
        out.push_back(to_json(c, serial));
        continue;
      }
      auto wh = [](const std::optional<std::int64_t>& v) {
        return v ? std::to_string(*v) : std::string("-");
      };
      std::cout << fmt::format("{:>7}  {:<10} {}  {:<11} {:>6} -> {:<6} Wh  {:<8} {:<20} {}{}\n",
                               c.id, serial, tariff::format_ist(c.start), c.action, wh(c.old_wh),
                               wh(c.new_wh), mdm::to_string(c.method), mdm::vee_flag_names(c.flags),
                               c.actor, c.reason.empty() ? "" : ": " + c.reason);
    }
    if (h->size() < 1000) break;
  }
  if (o.json) std::cout << out.dump(2) << "\n";
  return kExitOk;
}

// ---- area load control -----------------------------------------------------------------------

struct LoadControlOptions {
  DataOptions data;
  std::string action;  // essential-add, essential-remove, essential-list, limit, restore, actions
  std::string serial;
  std::string target;
  std::uint32_t watts = 0;
  std::int64_t minutes = 60;
  std::vector<std::string> meters;  // disconnect: the chosen consumers (empty: all)
  std::int64_t id = 0;
  std::string reason;
  std::string by;
  bool all = false;
  bool json = false;
};

void print_action(const mdm::LoadAction& a, const mdm::LoadActionProgress& p) {
  const bool limit = a.kind == mdm::LoadActionKind::kLimit;
  std::cout << fmt::format(
      "action {}: {} {} {} from {} to {} ({}) by {}{}{}\n  {} meters ({} essential left alone): "
      "{} confirmed on {}, pending {}, failed {}",
      a.id, a.feeder ? "feeder" : "DT", a.target,
      limit ? fmt::format("limited to {} W", a.limit_w) : std::string("consumers disconnected"),
      tariff::format_ist(a.start), tariff::format_ist(a.end), mdm::to_string(a.state),
      a.requested_by, a.reason.empty() ? "" : ": ", a.reason, a.meters.size(), a.essential_skipped,
      limit ? "limit" : "disconnection", p.applied, p.apply_pending, p.apply_failed);
  if (a.state == mdm::LoadActionState::kRestored) {
    std::cout << fmt::format("; restored {}: confirmed on {}, pending {}, failed {}",
                             tariff::format_ist(a.restored), p.restored, p.restore_pending,
                             p.restore_failed);
    if (!limit) std::cout << fmt::format(", left open for billing {}", p.held_open);
  }
  std::cout << "\n";
}

int run_load_control(const LoadControlOptions& o) {
  const std::map<std::string, std::string> names = {
      {"essential-add", "essential add"},   {"essential-remove", "essential remove"},
      {"essential-list", "essential list"}, {"limit", "load-limit"},
      {"restore", "load-restore"},          {"actions", "load-actions"},
      {"disconnect", "load-disconnect"}};
  const std::string what = "mdm " + names.at(o.action);
  const std::string actor = actor_or_user(o.by);
  auto db = open_store(o.data);
  if (!db.ok()) return report_error(what, db.error());
  const auto clock = business_clock(**db);
  mdm::StoreCommandPort port(**db);
  auto lc = mdm::LoadControl::open(o.data.data_dir, **db, port, *clock);
  if (!lc.ok()) return report_error(what, lc.error());
  if (o.action == "essential-add" || o.action == "essential-remove") {
    auto st = o.action == "essential-add" ? (*lc)->mark_essential(o.serial, o.reason, actor)
                                          : (*lc)->unmark_essential(o.serial, actor);
    if (!st.ok()) return report_error(what, st.error());
    std::cout << o.serial
              << (o.action == "essential-add" ? " is essential\n" : " is no longer essential\n");
    return kExitOk;
  }
  if (o.action == "essential-list") {
    auto e = (*lc)->essential();
    if (!e.ok()) return report_error(what, e.error());
    if (o.json) {
      json j = json::array();
      for (const auto& x : *e) {
        j.push_back({{"serial", x.serial},
                     {"reason", x.reason},
                     {"added", format_iso8601(x.added)},
                     {"added_by", x.added_by}});
      }
      std::cout << j.dump(2) << "\n";
      return kExitOk;
    }
    std::cout << fmt::format("{} essential consumers (never limited by load control)\n", e->size());
    for (const auto& x : *e) {
      std::cout << fmt::format("  {:<10} {}  (since {}, {})\n", x.serial, x.reason,
                               tariff::format_ist(x.added), x.added_by);
    }
    return kExitOk;
  }
  std::vector<mdm::LoadAction> shown;
  if (o.action == "limit") {
    auto a = (*lc)->limit(o.target, o.watts, o.minutes, actor, o.reason);
    if (!a.ok()) return report_error(what, a.error());
    shown.push_back(std::move(*a));
  } else if (o.action == "disconnect") {
    auto a = (*lc)->disconnect(o.target, o.meters, o.minutes, actor, o.reason);
    if (!a.ok()) return report_error(what, a.error());
    shown.push_back(std::move(*a));
  } else if (o.action == "restore") {
    auto a = (*lc)->restore(o.id, actor);
    if (!a.ok()) return report_error(what, a.error());
    shown.push_back(std::move(*a));
  } else {
    auto as = (*lc)->actions(!o.all);
    if (!as.ok()) return report_error(what, as.error());
    shown = std::move(*as);
  }
  json j = json::array();
  for (const auto& a : shown) {
    auto p = (*lc)->progress(a);
    if (!p.ok()) return report_error(what, p.error());
    if (o.json) {
      j.push_back(api::load_action_json(a, *p));
    } else {
      print_action(a, *p);
    }
  }
  if (o.json) std::cout << j.dump(2) << "\n";
  return kExitOk;
}

}  // namespace

void register_mdm(CLI::App& app, Runner& run) {
  auto* m = app.add_subcommand("mdm", "Meter data management reports");
  m->require_subcommand(1);
  auto ao = std::make_shared<AuditOptions>();
  auto* a = m->add_subcommand("audit",
                              "Energy balance feeder -> DT -> consumers, with data completeness");
  add_data_options(a, ao->data);
  a->add_option("--day", ao->day, "First IST day, YYYY-MM-DD (default: yesterday)");
  a->add_option("--days", ao->days, "Days from --day")->capture_default_str();
  a->add_option("--by", ao->by, "One balance per period (the whole --days), day, hour or interval")
      ->capture_default_str();
  a->add_option("--period", ao->period_s, "Capture period (s)")->capture_default_str();
  a->add_option("--top", ao->top, "Best and worst N DTs")->capture_default_str();
  a->add_flag("--all-dts", ao->all_dts, "Every DT instead of the best and worst");
  a->add_flag("--json", ao->json, "JSON: one report per period, every DT and feeder");
  a->callback([ao, &run] { run = [ao] { return run_audit(*ao); }; });
  register_mdm_atc(*m, run);

  auto add_period = [](CLI::App* c, OutageOptions& oo) {
    add_data_options(c, oo.data);
    c->add_option("--day", oo.day, "First IST day, YYYY-MM-DD (default: yesterday)");
    c->add_option("--days", oo.days, "Days from --day")->capture_default_str();
    c->add_option("--month", oo.month, "A whole month, YYYY-MM (instead of --day/--days)");
    c->add_flag("--json", oo.json, "JSON");
  };
  auto oo = std::make_shared<OutageOptions>();
  auto* out = m->add_subcommand(
      "outages", "Feeder and DT outages from the meters' power events, or one meter's log");
  add_period(out, *oo);
  out->add_option("--meter", oo->meter, "A consumer meter's serial: its interruption log");
  out->callback([oo, &run] { run = [oo] { return run_outages(*oo); }; });
  auto ro = std::make_shared<OutageOptions>();
  auto* rel = m->add_subcommand("reliability", "SAIFI, SAIDI, CAIDI, MAIFI per feeder and area");
  add_period(rel, *ro);
  rel->callback([ro, &run] { run = [ro] { return run_reliability(*ro); }; });
  auto lo = std::make_shared<OutageOptions>();
  auto* ld = m->add_subcommand("loading", "DT loading against rating: peaks and overloads");
  add_period(ld, *lo);
  ld->add_flag("--all", lo->all, "Every overloaded interval too");
  ld->callback([lo, &run] { run = [lo] { return run_loading(*lo); }; });
  auto vo = std::make_shared<OutageOptions>();
  auto* ve = m->add_subcommand("vee", "Validation and estimation of every consumer meter's day");
  add_period(ve, *vo);
  ve->add_option("--meter", vo->meter, "One meter's serial: its flagged and estimated intervals");
  ve->callback([vo, &run] { run = [vo] { return run_vee(*vo); }; });
  auto add_vee_book = [&](const char* name, const char* action, const char* help) {
    auto vb = std::make_shared<VeeBookOptions>();
    vb->action = action;
    auto* c = m->add_subcommand(name, help);
    add_data_options(c, vb->data);
    c->add_flag("--json", vb->json, "JSON");
    const std::string kind = action;
    if (kind == "run") {
      c->add_option("--days-back", vb->days_back, "Days before today revalidated")
          ->capture_default_str();
    } else if (kind == "edit") {
      c->add_option("--meter", vb->meter, "The consumer meter's serial")->required();
      c->add_option("--at", vb->at, "The interval's start, YYYY-MM-DD HH:MM (IST)")->required();
      c->add_option("--wh", vb->wh, "The validated energy of the interval (Wh)");
      c->add_flag("--withdraw", vb->withdraw, "Withdraw the interval's edit");
      c->add_option("--reason", vb->reason, "Why (required)")->required();
      c->add_option("--by", vb->by, "Who does it (default: $USER)");
    } else {
      c->add_option("--meter", vb->meter, "One meter's serial");
      c->add_option("--day", vb->day,
                    "First IST day of the intervals, YYYY-MM-DD (default: "
                    "yesterday)");
      c->add_option("--days", vb->days, "Days from --day")->capture_default_str();
    }
    c->callback([vb, &run] { run = [vb] { return run_vee_book(*vb); }; });
  };
  add_vee_book("vee-run", "run",
               "Validate the recent days and keep the validated data (what serve does)");
  add_vee_book("vee-edit", "edit",
               "Set (or withdraw) an interval's validated value, with a reason");
  add_vee_book("vee-history", "history",
               "Every change to validated data: estimates, replacements, flags, edits");
  auto th = std::make_shared<OutageOptions>();
  auto* tf = m->add_subcommand("theft",
                               "DTs whose loss their technical loss does not explain, "
                               "with the energy at stake and suspects");
  add_period(tf, *th);
  tf->add_flag("--all", th->all, "JSON: every DT, not only the flagged ones");
  tf->callback([th, &run] { run = [th] { return run_theft(*th); }; });

  auto* cs = m->add_subcommand("case", "Theft cases: open one for a suspect, close it, show it");
  cs->require_subcommand(1);
  auto add_case = [&](const char* name, const char* help) {
    auto co = std::make_shared<CaseOptions>();
    co->action = name;
    auto* c = cs->add_subcommand(name, help);
    add_data_options(c, co->data);
    c->add_option("--by", co->by, "Who does it (default: $USER)");
    c->add_flag("--json", co->json, "JSON");
    if (co->action == "open") {
      c->add_option("--meter", co->meter, "The suspect's meter serial")->required();
      c->add_option("--day", co->day, "The IST day of the DT-day, YYYY-MM-DD")->required();
      c->add_option("--note", co->note, "Why");
    } else {
      c->add_option("id", co->id, "Case id")->required();
      if (co->action != "show") {
        c->add_option("--note", co->note, "What was found (required)")->required();
      }
    }
    c->callback([co, &run] { run = [co] { return run_case(*co); }; });
  };
  add_case("open", "Open a case for a suspect of a DT-day (the MDM's evidence is recorded)");
  add_case("confirm", "Close a case as confirmed theft");
  add_case("dismiss", "Close a case as dismissed");
  add_case("note", "Add a note to a case's trail");
  add_case("show", "A case and its trail");
  auto add_lc = [&](CLI::App* parent, const char* name, const char* action, const char* help) {
    auto lco = std::make_shared<LoadControlOptions>();
    lco->action = action;
    auto* c = parent->add_subcommand(name, help);
    add_data_options(c, lco->data);
    c->add_option("--by", lco->by, "Who does it (default: $USER)");
    c->add_flag("--json", lco->json, "JSON");
    const std::string kind = action;
    if (kind == "essential-add" || kind == "essential-remove") {
      c->add_option("serial", lco->serial, "The consumer's meter serial")->required();
    }
    if (kind == "essential-add")
      c->add_option("--reason", lco->reason, "Why (hospital, ...)")->required();
    if (kind == "limit") {
      c->add_option("target", lco->target, "A DT or feeder name")->required();
      c->add_option("--watts", lco->watts, "Limiter threshold for its consumers (W)")->required();
      c->add_option("--minutes", lco->minutes, "How long")->capture_default_str();
      c->add_option("--reason", lco->reason, "Why");
    }
    if (kind == "disconnect") {
      c->add_option("target", lco->target, "A DT or feeder name")->required();
      c->add_option("--meters", lco->meters,
                    "The consumers' meter serials (comma-separated; default: every non-essential "
                    "consumer of the target)")
          ->delimiter(',');
      c->add_option("--minutes", lco->minutes, "How long")->capture_default_str();
      c->add_option("--reason", lco->reason, "Why");
    }
    if (kind == "restore") c->add_option("id", lco->id, "Action id")->required();
    if (kind == "actions") c->add_flag("--all", lco->all, "Restored actions too");
    c->callback([lco, &run] { run = [lco] { return run_load_control(*lco); }; });
  };
  auto* es = m->add_subcommand("essential", "Consumers load control never touches");
  es->require_subcommand(1);
  add_lc(es, "add", "essential-add", "Mark a consumer essential");
  add_lc(es, "remove", "essential-remove", "Unmark a consumer");
  add_lc(es, "list", "essential-list", "The essential consumers");
  add_lc(m, "load-limit", "limit",
         "Limit the load of a DT's or feeder's consumers for a window (essential ones excepted)");
  add_lc(m, "load-disconnect", "disconnect",
         "Disconnect chosen consumers of a DT or feeder for a window (never essential ones)");
  add_lc(m, "load-restore", "restore", "Restore a load-control action now");
  add_lc(m, "load-actions", "actions", "Load-control actions and how far their commands got");
  auto lo2 = std::make_shared<CaseOptions>();
  auto* lc = m->add_subcommand("cases", "Theft cases");
  add_data_options(lc, lo2->data);
  lc->add_option("--state", lo2->state, "open, confirmed, dismissed or all")->capture_default_str();
  lc->add_flag("--json", lo2->json, "JSON");
  lc->callback([lo2, &run] { run = [lo2] { return run_cases(*lo2); }; });
}

}  // namespace vidyut::cli
