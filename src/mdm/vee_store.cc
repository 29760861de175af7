// VEE over the store (vee.h, vee_from_store and run_vee): reads each meter's day, its like days,
// its DT's outages, its relay commands and its daily register, and validates.
#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "dlms/axdr/data.h"
#include "mdm/relay_spans.h"
#include "mdm/vee.h"
#include "mdm/vee_book.h"
#include "tariff/calendar.h"

namespace vidyut::mdm {
namespace {

// Column of the cumulative kWh import register in the IS 15959 daily load profile: clock, kWh
// import, kVAh import, kWh export, kVAh export (dlms/cosem/is15959.cc).
constexpr std::size_t kDailyImportColumn = 1;

// What every meter's validation of one day shares: the DTs' spans without supply and the
// meters' relay-open spans.
struct DayContext {
  UtcTime day, horizon;
  std::size_t slots = 0;
  OutageReport outages;
  std::unordered_map<std::int64_t, std::size_t> dt_of;  // consumer meter -> DT index
  std::unordered_map<std::int64_t, std::vector<OffSpan>> relay_open;
  std::unordered_map<std::int64_t, std::vector<UtcTime>> conflicts;  // by meter
};

Result<DayContext> day_context(store::Store& store, const Network& network, UtcTime day,
                               UtcTime horizon, std::int32_t period_s, const RelaySpans& relay) {
  DayContext c;
  c.day = day;
  c.horizon = horizon;
  c.slots = static_cast<std::size_t>((horizon - day) / Millis(std::int64_t{period_s} * 1000));
  const UtcTime end = day + std::chrono::days(1);
  VIDYUT_TRY(events, power_events(store, network, day, end));
  c.outages = detect_outages(network, *events, day, end, end);
  for (std::size_t d = 0; d < network.dts.size(); ++d) {
    for (std::int64_t m : network.dts[d].consumers) c.dt_of[m] = d;
  }
  // Relay-open spans that touch the day.
  for (const auto& [m, spans] : relay) {
    for (const auto& sp : spans) {
      if (sp.start < end && sp.end_or(end) > day) c.relay_open[m].push_back(sp);
    }
  }
  // Conflicting readings the store refused (store.h kConflictAlertKind).
  for (std::int64_t after = 0;;) {
    VIDYUT_TRY(page,
               store.alerts_of_kind(store::kConflictAlertKind, day, end, after, store::kMaxPage));
    for (const auto& a : *page) {
      after = a.id;
      if (a.name == store::kConflictAlertName) c.conflicts[a.meter_id].push_back(a.at);
    }
    if (page->size() < store::kMaxPage) break;
  }
  return c;
}

// The daily register captured at `at` (the meter's midnight row), if the head end has it.
Result<std::optional<std::int64_t>> daily_register(store::Store& store, std::int64_t meter,
                                                   UtcTime at) {
  VIDYUT_TRY(rows, store.profile_rows(meter, "daily", at - std::chrono::minutes(1),
                                      at + std::chrono::minutes(1)));
  for (const auto& r : *rows) {
    auto v = dlms::axdr::decode_all(r.data);
    if (!v.ok()) continue;
    const auto* cols = v->as_list();
    if (cols == nullptr || cols->size() <= kDailyImportColumn) continue;
    const auto wh = cols->at(kDailyImportColumn).as_int();
    if (wh && *wh >= 0) return std::optional<std::int64_t>(*wh);
  }
  return std::optional<std::int64_t>();
}

// Earlier days like `day`: the same weekday one to three weeks before, then the nearest days
// of the same kind (Sunday, or not) in the week before; at most `n` with data.
std::vector<UtcTime> like_day_candidates(UtcTime day) {
  std::vector<UtcTime> out;
  for (int w = 1; w <= 3; ++w) out.push_back(day - std::chrono::days(7 * w));
  const bool sunday = tariff::weekday(tariff::ist_date(day + std::chrono::hours(12))) == 0;
  for (int k = 1; k < 7; ++k) {
    const UtcTime d = day - std::chrono::days(k);
    if ((tariff::weekday(tariff::ist_date(d + std::chrono::hours(12))) == 0) == sunday) {
      out.push_back(d);
    }
  }
  return out;
}

struct MeterDay {
  VeeDay day;
  bool register_known = false;
};

Result<MeterDay> validate_meter(store::Store& store, const DayContext& c, std::int64_t m,
                                const VeeRules& rules, std::int32_t period_s, UtcTime now,
                                VeeBook* book) {
  VeeInput in;
  in.meter_id = m;
  in.day = c.day;
  in.intervals = c.slots;
  in.period_s = period_s;
  in.until = c.day + std::chrono::days(1);
  in.now = now;
  VIDYUT_TRY(rows, store.intervals(m, c.day, c.horizon));
  in.rows = std::move(*rows);
  if (auto it = c.dt_of.find(m); it != c.dt_of.end()) in.no_supply = c.outages.dt_off[it->second];
  if (auto it = c.relay_open.find(m); it != c.relay_open.end()) in.relay_open = it->second;
  if (auto it = c.conflicts.find(m); it != c.conflicts.end()) in.conflicts = it->second;
  MeterDay out;
  if (c.horizon == c.day + std::chrono::days(1)) {
    VIDYUT_TRY(r0, daily_register(store, m, c.day));
    VIDYUT_TRY(r1, daily_register(store, m, c.horizon));
    if (*r0 && *r1 && **r1 >= **r0) in.register_wh = **r1 - **r0;
    in.register_decreased = *r0 && *r1 && **r1 < **r0;
    out.register_known = in.register_wh.has_value();
  }
  if (book != nullptr) {
    VIDYUT_TRY(recs, book->records(m, c.day, c.horizon));
    for (const auto& r : *recs) {
      if (r.method == VeeMethod::kEdited) in.edits.emplace_back(r.start, r.wh);
    }
  }
  out.day = validate_day(in, rules);
  // Like days only when something is left without a basis outside an outage.
  const bool wanting =
      std::any_of(out.day.intervals.begin(), out.day.intervals.end(), [](const VeeInterval& v) {
        return v.method == VeeMethod::kNone && !(v.flags & kVeePowerFailure);
      });
  if (wanting && rules.like_days > 0) {
    for (UtcTime ld : like_day_candidates(c.day)) {
      if (in.like_days.size() >= rules.like_days) break;
      VIDYUT_TRY(lrows, store.intervals(m, ld, ld + std::chrono::days(1)));
      if (!lrows->empty()) in.like_days.push_back({ld, std::move(*lrows)});
    }
    if (!in.like_days.empty()) out.day = validate_day(in, rules);
  }
  return out;
}

}  // namespace

std::size_t VeeReport::flagged(std::uint32_t flag) const {
  std::size_t n = 0;
  for (const auto& m : meters) n += m.flagged(flag);
  return n;
}

Result<VeeReport> vee_from_store(store::Store& store, const Network& network, UtcTime day,
                                 const VeeRules& rules, std::int64_t only, VeeBook* book) {
  VeeReport r;
  r.day = day;
  const UtcTime end = day + std::chrono::days(1);
  RelaySpans relay;
  VIDYUT_CHECK(relay_open_spans(store, relay));
  VIDYUT_TRY(c, day_context(store, network, day, end, 900, relay));
  for (std::size_t d = 0; d < network.dts.size(); ++d) {
    for (std::int64_t m : network.dts[d].consumers) {
      if (only != 0 && m != only) continue;
      VIDYUT_TRY(md, validate_meter(store, *c, m, rules, 900, UtcTime{}, book));
      VeeDay& vd = md->day;
      r.intervals += vd.intervals.size();
      r.actual += vd.actual;
      r.linear += vd.linear;
      r.like_day += vd.like_day;
      r.unestimated += vd.unestimated;
      r.edited += vd.edited;
      if (md->register_known) ++r.register_known;
      if (vd.register_mismatch) ++r.register_mismatches;
      r.meters.push_back(std::move(vd));
    }
  }
  return r;
}

Result<VeeRunStats> run_vee(store::Store& store, const Network& network, VeeBook& book, UtcTime now,
                            const VeeRunOptions& o) {
  VeeRunStats st;
  const Millis period{std::int64_t{o.period_s} * 1000};
  const UtcTime settled = UtcTime((now - o.settle).time_since_epoch() / period * period);
  const tariff::CivilDate today = tariff::ist_date(now);
  std::optional<RelaySpans> relay;  // read once, when a day has meters to validate
  for (int back = o.days_back; back >= 0; --back) {
    const UtcTime day = tariff::ist_midnight(tariff::add_days(today, -back));
    const UtcTime end = day + std::chrono::days(1);
    const UtcTime horizon = std::min(end, settled);
    if (horizon <= day) continue;
    const bool whole = horizon == end;
    VIDYUT_TRY(done, book.day_validated(day));
    // Which meters: every consumer once, when its day has closed; before and after that, those
    // with intervals missing so far and those with records to revisit.
    std::set<std::int64_t> meters;
    if (whole && !*done) {
      for (const auto& dt : network.dts) meters.insert(dt.consumers.begin(), dt.consumers.end());
    } else {
      const auto slots = static_cast<std::uint32_t>((horizon - day) / period);
      VIDYUT_TRY(sum, store.interval_summary(day, horizon));
      std::unordered_map<std::int64_t, std::uint32_t> count;
      for (const auto& s : *sum) count[s.meter_id] = s.count;
      for (const auto& dt : network.dts) {
        for (std::int64_t m : dt.consumers) {
          auto it = count.find(m);
          if (it == count.end() || it->second < slots) meters.insert(m);
        }
      }
      VIDYUT_TRY(revisit, book.meters_to_revisit(day, end));
      meters.insert(revisit->begin(), revisit->end());
    }
    ++st.days;
    if (!meters.empty()) {
      if (!relay) VIDYUT_CHECK(relay_open_spans(store, relay.emplace()));
      VIDYUT_TRY(c, day_context(store, network, day, horizon, o.period_s, *relay));
      for (std::int64_t m : meters) {
        if (c->dt_of.find(m) == c->dt_of.end()) continue;  // not a placed consumer
        VIDYUT_TRY(md, validate_meter(store, *c, m, o.rules, o.period_s, now, &book));
        VIDYUT_TRY(applied, book.apply(md->day));
        st.applied.add(*applied);
        ++st.meters;
        st.intervals += md->day.intervals.size();
        if (md->day.register_mismatch) ++st.register_mismatches;
      }
    }
    if (whole && !*done) VIDYUT_CHECK(book.mark_day_validated(day));
  }
  return st;
}

}  // namespace vidyut::mdm
