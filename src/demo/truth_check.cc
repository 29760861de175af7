#include "demo/truth_check.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include <fmt/format.h>

namespace vidyut::demo {
namespace {

struct Span {
  UtcTime start;
  UtcTime end;
};

std::vector<Span> merged(std::vector<Span> v) {
  std::sort(v.begin(), v.end(), [](const Span& a, const Span& b) { return a.start < b.start; });
  std::vector<Span> out;
  for (const Span& s : v) {
    if (!out.empty() && s.start <= out.back().end) {
      out.back().end = std::max(out.back().end, s.end);
    } else {
      out.push_back(s);
    }
  }
  return out;
}

double seconds(Millis d) { return std::fabs(static_cast<double>(d.count())) / 1000.0; }

// Matches truth spans with found spans (both reaching into [from, to)).
void match(const std::string& name, const std::vector<Span>& truth, const std::vector<Span>& found,
           UtcTime from, UtcTime to, SpanMatch& m, bool count_false = true) {
  auto in = [&](const Span& s) { return s.start < to && s.end > from; };
  auto close = [](const Span& a, const Span& b) {
    return seconds(a.start - b.start) <= seconds(kOutageTolerance) &&
           seconds(a.end - b.end) <= seconds(kOutageTolerance);
  };
  for (const Span& t : truth) {
    if (!in(t)) continue;
    ++m.truth;
    auto it = std::find_if(found.begin(), found.end(), [&](const Span& f) { return close(t, f); });
    if (it == found.end()) {
      m.missed.push_back(name + " " + format_iso8601(t.start));
      continue;
    }
    ++m.found;
    m.worst_start_error_s = std::max(m.worst_start_error_s, seconds(it->start - t.start));
    m.worst_end_error_s = std::max(m.worst_end_error_s, seconds(it->end - t.end));
  }
  for (const Span& f : found) {
    if (!count_false || !in(f)) continue;
    if (std::none_of(truth.begin(), truth.end(), [&](const Span& t) { return close(t, f); })) {
      ++m.false_alarms;
      m.false_found.push_back(name + " " + format_iso8601(f.start));
    }
  }
}

bool near(double mdm, double truth) {
  if (truth == 0) return std::fabs(mdm) < 1e-9;
  return std::fabs(mdm - truth) <= kIndexTolerance * std::fabs(truth);
}

}  // namespace

void note_episode(std::vector<TruthOutage>& out, const fleet::Episode& e, bool started,
                  UtcTime at) {
  if (e.kind != fleet::EpisodeKind::kFeederOutage && e.kind != fleet::EpisodeKind::kDtOutage) {
    return;
  }
  const bool feeder = e.kind == fleet::EpisodeKind::kFeederOutage;
  if (started) {
    out.push_back({feeder, e.index, at, std::nullopt});
    return;
  }
  for (auto it = out.rbegin(); it != out.rend(); ++it) {
    if (it->feeder == feeder && it->index == e.index && !it->end) {
      it->end = at;
      return;
    }
  }
}

bool OutageCheck::ok() const {
  return dts.ok() && feeders.ok() &&
         std::all_of(indices.begin(), indices.end(), [](const IndexCheck& i) { return i.within; });
}

OutageCheck check_outages(const fleet::Topology& topology, const std::vector<TruthOutage>& truth,
                          const mdm::Network& network, const mdm::OutageReport& report,
                          const mdm::ReliabilityReport& reliability) {
  OutageCheck c;
  const UtcTime until = report.until;
  std::vector<std::vector<Span>> feeder_spans(topology.feeders.size());
  std::vector<std::vector<Span>> dt_own(topology.dts.size());
  for (const auto& t : truth) {
    const Span s{t.start, t.end ? std::min(*t.end, until) : until};
    if (s.end <= s.start) continue;
    if (t.feeder && t.index < feeder_spans.size()) feeder_spans[t.index].push_back(s);
    if (!t.feeder && t.index < dt_own.size()) dt_own[t.index].push_back(s);
  }
  for (auto& v : feeder_spans) v = merged(std::move(v));
  // Each DT's spans without supply: its own outages and its feeder's.
  std::vector<std::vector<Span>> dt_spans(topology.dts.size());
  for (std::size_t d = 0; d < topology.dts.size(); ++d) {
    std::vector<Span> v = dt_own[d];
    const auto& f = feeder_spans[topology.dts[d].feeder];
    v.insert(v.end(), f.begin(), f.end());
    dt_spans[d] = merged(std::move(v));
  }
  std::map<std::string, std::size_t> mdm_dt;
  for (std::size_t d = 0; d < network.dts.size(); ++d) mdm_dt[network.dts[d].name] = d;
  for (std::size_t d = 0; d < topology.dts.size(); ++d) {
    std::vector<Span> found;
    auto it = mdm_dt.find(topology.dts[d].name);
    if (it != mdm_dt.end() && it->second < report.dt_off.size()) {
      for (const auto& s : report.dt_off[it->second]) found.push_back({s.start, s.end_or(until)});
    }
    match(topology.dts[d].name, dt_spans[d], found, report.from, report.to, c.dts);
  }
  for (std::size_t f = 0; f < topology.feeders.size(); ++f) {
    std::vector<Span> found;
    for (const auto& o : report.outages) {
      if (o.level == mdm::Outage::Level::kFeeder && o.name == topology.feeders[f].name) {
        found.push_back({o.span.start, o.span.end_or(until)});
      }
    }
    // A feeder with a single DT: the MDM cannot tell its trip from the DT's outage (mdm.md) and
    // reports it as the DT's span, which is where it is looked for.
    if (topology.feeders[f].dts.size() == 1) {
      auto it = mdm_dt.find(topology.dts[topology.feeders[f].dts[0]].name);
      if (it != mdm_dt.end() && it->second < report.dt_off.size()) {
        for (const auto& s : report.dt_off[it->second]) found.push_back({s.start, s.end_or(until)});
      }
    }
    // (Its DT's own outages are not false feeder outages: they are checked with the DTs.)
    match(topology.feeders[f].name, feeder_spans[f], found, report.from, report.to, c.feeders,
          topology.feeders[f].dts.size() != 1);
  }
  // SAIFI and SAIDI from the truth, consumer by consumer.
  for (std::size_t f = 0; f < topology.feeders.size(); ++f) {
    std::size_t customers = 0;
    std::uint64_t interruptions = 0;
    double minutes = 0;
    for (std::uint32_t d : topology.feeders[f].dts) {
      for (std::size_t k = 0; k < topology.dts[d].consumers.size(); ++k) {
        ++customers;
        for (const Span& s : dt_spans[d]) {
          if (s.start < report.from || s.start >= report.to) continue;
          if (s.end - s.start < mdm::kMomentaryLimit) continue;
          ++interruptions;
          minutes += static_cast<double>((s.end - s.start).count()) / 60'000.0;
          if (k == 0) ++c.sustained_truth_spans;
        }
      }
    }
    IndexCheck ic;
    ic.feeder = topology.feeders[f].name;
    if (customers > 0) {
      ic.truth_saifi = static_cast<double>(interruptions) / static_cast<double>(customers);
      ic.truth_saidi = minutes / static_cast<double>(customers);
    }
    for (const auto& x : reliability.feeders) {
      if (x.name == ic.feeder) {
        ic.saifi = x.saifi;
        ic.saidi = x.saidi;
      }
    }
    ic.within = near(ic.saifi, ic.truth_saifi) && near(ic.saidi, ic.truth_saidi);
    c.indices.push_back(std::move(ic));
  }
  return c;
}

OverloadCheck check_overload(const fleet::Topology& topology, const fleet::Grid& grid,
                             const mdm::LoadingReport& report) {
  OverloadCheck c;
  std::map<std::string, const mdm::DtLoading*> by_name;
  for (const auto& d : report.dts) by_name[d.dt] = &d;
  const Millis period{std::int64_t{report.period_s} * 1000};
  for (std::uint32_t d = 0; d < topology.dts.size(); ++d) {
    auto it = by_name.find(topology.dts[d].name);
    if (it == by_name.end()) continue;
    const mdm::DtLoading& x = *it->second;
    std::set<std::int64_t> flagged;
    for (const auto& li : x.overloaded) flagged.insert(li.start.time_since_epoch().count());
    c.flagged += flagged.size();
    bool any = false;
    // The rating's energy per interval, in mVAh: VA x period_s / 3600 x 1000.
    const std::int64_t limit_mvah = std::int64_t{x.rating_va} * report.period_s * 1000 / 3600;
    meter::Energy prev = grid.dt_cumulative(d, report.from);
    for (UtcTime a = report.from; a < report.to; a += period) {
      const meter::Energy next = grid.dt_cumulative(d, a + period);
      const std::int64_t mvah = next.apparent_mvah - prev.apparent_mvah;
      prev = next;
      ++c.dt_intervals;
      const bool is_flagged = flagged.count(a.time_since_epoch().count()) > 0;
      c.worst_loading_percent =
          std::max(c.worst_loading_percent, 100.0 * double(mvah) / double(limit_mvah));
      if (std::llabs(mvah - limit_mvah) <= 1'000) {
        ++c.at_resolution;
        continue;
      }
      const bool over = mvah > limit_mvah;
      if (over) {
        ++c.truth_overloaded;
        any = true;
        if (!is_flagged) ++c.missed;
      } else if (is_flagged) {
        ++c.false_flags;
      }
    }
    c.dts_overloaded += any ? 1 : 0;
  }
  return c;
}

void note_theft_episode(std::vector<ConsumerTheftTruth>& out, const fleet::Episode& e, bool started,
                        UtcTime at) {
  const std::string kind = fleet::to_string(e.kind);
  const bool consumer_theft = fleet::is_theft(e.kind) || kind == "silent-bypass";
  if (!consumer_theft) return;
  if (started) {
    out.push_back({kind, e.index, at, std::nullopt});
    return;
  }
  for (auto it = out.rbegin(); it != out.rend(); ++it) {
    if (it->meter == e.index && it->kind == kind && !it->end) {
      it->end = at;
      return;
    }
  }
}

bool TheftCheck::ok() const {
  return static_cast<double>(theft_flagged) >= 0.95 * static_cast<double>(theft_dt_days) &&
         static_cast<double>(honest_flagged) <= 0.02 * static_cast<double>(honest_dt_days) &&
         estimates_within == estimates &&
         static_cast<double>(in_top3) >= 0.9 * static_cast<double>(consumer_episodes);
}

TheftCheck check_theft(const fleet::Topology& topology, const std::vector<mdm::TheftReport>& days,
                       const std::vector<DtDayTruth>& truth,
                       const std::vector<ConsumerTheftTruth>& episodes, UtcTime run_end) {
  TheftCheck c;
  std::map<std::pair<std::string, std::int64_t>, const DtDayTruth*> by_key;
  for (const auto& t : truth) by_key[{t.dt, t.day.time_since_epoch().count()}] = &t;
  std::map<std::pair<std::string, std::int64_t>, const mdm::TheftFinding*> found;
  for (const auto& r : days) {
    for (const auto& f : r.dts) {
      const std::string key = f.dt + " " + format_iso8601(r.day);
      found[{f.dt, r.day.time_since_epoch().count()}] = &f;
      if (!f.complete) continue;
      auto it = by_key.find({f.dt, r.day.time_since_epoch().count()});
      if (it == by_key.end()) continue;
      const DtDayTruth& t = *it->second;
      const double share =
          t.dt_mwh > 0 ? static_cast<double>(t.theft_mwh) / static_cast<double>(t.dt_mwh) : 0;
      if (t.theft_mwh == 0) {
        ++c.honest_dt_days;
        if (f.flagged) {
          ++c.honest_flagged;
          c.false_flags.push_back(key);
        }
      } else if (share >= kTheftShare) {
        ++c.theft_dt_days;
        if (!f.flagged) {
          c.missed.push_back(fmt::format("{} ({:.1f} % stolen)", key, 100 * share));
          continue;
        }
        ++c.theft_flagged;
        ++c.estimates;
        const double truth_wh = static_cast<double>(t.theft_mwh) / 1000.0;
        const double err = std::fabs(f.stolen_wh - truth_wh) / truth_wh;
        c.worst_estimate_error = std::max(c.worst_estimate_error, err);
        if (err <= kEstimateTolerance) {
          ++c.estimates_within;
        } else {
          c.bad_estimates.push_back(
              fmt::format("{}: {:.0f} Wh estimated, {:.0f} Wh stolen", key, f.stolen_wh, truth_wh));
        }
      }
    }
  }
  // Each consumer theft on the day it stole most (IST days of the run). The thief must be among
  // the top 3 suspects, or among the top k when k > 3 consumers of his DT stole that day (three
  // places cannot hold four thieves).
  auto dt_of = [&](std::uint32_t meter) -> const std::string* {
    if (meter >= topology.dt_of.size() || topology.dt_of[meter] < 0) return nullptr;
    return &topology.dts[static_cast<std::size_t>(topology.dt_of[meter])].name;
  };
  auto stealing_on = [&](const ConsumerTheftTruth& e, UtcTime day) {
    const UtcTime end = e.end ? *e.end : run_end;
    return e.start < day + std::chrono::days(1) && end > day;
  };
  for (const auto& e : episodes) {
    const std::string* dt = dt_of(e.meter);
    if (dt == nullptr) continue;
    const UtcTime end = e.end ? *e.end : run_end;
    const mdm::TheftFinding* best = nullptr;
    UtcTime best_day;
    Millis best_overlap{0};
    for (const auto& r : days) {
      const UtcTime lo = std::max(e.start, r.day);
      const UtcTime hi = std::min(end, r.day + std::chrono::days(1));
      if (hi - lo <= best_overlap) continue;
      auto it = found.find({*dt, r.day.time_since_epoch().count()});
      if (it == found.end()) continue;
      best_overlap = hi - lo;
      best = it->second;
      best_day = r.day;
    }
    if (best == nullptr || !best->flagged) continue;
    ++c.consumer_episodes;
    std::size_t thieves = 0;
    for (const auto& other : episodes) {
      const std::string* odt = dt_of(other.meter);
      if (odt != nullptr && *odt == *dt && stealing_on(other, best_day)) ++thieves;
    }
    const std::size_t places = std::max<std::size_t>(3, thieves);
    const std::string& serial = topology.meters[e.meter].identity.serial;
    const std::size_t listed = std::min(places, best->suspects.size());
    const bool top = std::any_of(best->suspects.begin(),
                                 best->suspects.begin() + static_cast<std::ptrdiff_t>(listed),
                                 [&](const mdm::Suspect& s) { return s.serial == serial; });
    if (top) {
      ++c.in_top3;
    } else {
      c.not_in_top3.push_back(fmt::format("{} {} on {} from {} ({} thieves on the DT that day)",
                                          e.kind, serial, dt->c_str(), format_iso8601(e.start),
                                          thieves));
    }
  }
  // Consumers the loss explanation named on flagged DT-days who did not steal that day.
  std::set<std::pair<std::uint32_t, std::int64_t>> stole;  // (meter, day)
  std::map<std::string, std::uint32_t> meter_of_serial;
  for (std::uint32_t m = 0; m < topology.meters.size(); ++m) {
    meter_of_serial[topology.meters[m].identity.serial] = m;
  }
  for (const auto& r : days) {
    for (const auto& e : episodes) {
      if (stealing_on(e, r.day)) stole.insert({e.meter, r.day.time_since_epoch().count()});
    }
    for (const auto& f : r.dts) {
      if (!f.flagged) continue;
      for (const auto& s : f.suspects) {
        if (s.explained_wh <= 0) continue;
        ++c.named_by_explanation;
        auto it = meter_of_serial.find(s.serial);
        if (it != meter_of_serial.end() &&
            !stole.count({it->second, r.day.time_since_epoch().count()})) {
          ++c.named_honest;
          c.honest_named.push_back(
              fmt::format("{} on {} {}", s.serial, f.dt, format_iso8601(r.day)));
        }
      }
    }
  }
  return c;
}

}  // namespace vidyut::demo
