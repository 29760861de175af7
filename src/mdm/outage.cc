#include "mdm/outage.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace vidyut::mdm {
namespace {

// A DT outage whose ends lie this close to its feeder's outage is part of it (meter clocks
// differ by seconds).
constexpr Millis kWithinTolerance{60'000};

struct Span {
  UtcTime start;
  UtcTime end;
};

// Spans during which at least `need` of `sets` are off (each set's spans disjoint, ascending).
std::vector<Span> at_least(const std::vector<const std::vector<Span>*>& sets, std::size_t need) {
  std::vector<Span> out;
  if (need == 0) return out;
  std::vector<std::pair<UtcTime, int>> edges;
  for (const auto* s : sets) {
    for (const Span& sp : *s) {
      edges.emplace_back(sp.start, +1);
      edges.emplace_back(sp.end, -1);
    }
  }
  std::sort(edges.begin(), edges.end());
  std::int64_t count = 0;
  bool is_open = false;
  UtcTime open_at{};
  const auto want = static_cast<std::int64_t>(need);
  for (std::size_t i = 0; i < edges.size();) {
    const UtcTime t = edges[i].first;
    for (; i < edges.size() && edges[i].first == t; ++i) count += edges[i].second;
    if (count >= want && !is_open) {
      open_at = t;
      is_open = true;
    } else if (count < want && is_open) {
      if (t > open_at) out.push_back({open_at, t});
      is_open = false;
    }
  }
  return out;
}

// Union of spans, merged where they overlap or touch.
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

std::vector<Span> closed(const std::vector<OffSpan>& v, UtcTime until) {
  std::vector<Span> out;
  for (const auto& s : v) {
    const UtcTime e = s.end_or(until);
    if (e > s.start) out.push_back({s.start, e});
  }
  return out;
}

OffSpan opened(const Span& s, UtcTime until) {
  OffSpan o{s.start, std::nullopt};
  if (s.end < until) o.end = s.end;
  return o;
}

bool overlaps(const Span& a, const Span& b) { return a.start < b.end && b.start < a.end; }

}  // namespace

const char* to_string(Outage::Level level) {
  return level == Outage::Level::kFeeder ? "feeder" : "dt";
}

std::vector<OffSpan> meter_off_spans(std::vector<PowerEvent> events) {
  // At one instant a fail sorts before a restore: a zero-length blink still opens and closes.
  std::sort(events.begin(), events.end(), [](const PowerEvent& a, const PowerEvent& b) {
    return a.at != b.at ? a.at < b.at : a.on < b.on;
  });
  std::vector<OffSpan> out;
  bool off = false;
  for (const auto& e : events) {
    if (!e.on && !off) {
      out.push_back({e.at, std::nullopt});
      off = true;
    } else if (e.on && off) {
      out.back().end = e.at;
      off = false;
    }
  }
  return out;
}

OutageReport detect_outages(const Network& network, const std::vector<PowerEvent>& events,
                            UtcTime from, UtcTime to, UtcTime until) {
  OutageReport r;
  r.from = from;
  r.to = to;
  r.until = until;
  std::unordered_map<std::int64_t, std::vector<PowerEvent>> by_meter;
  for (const auto& e : events) by_meter[e.meter_id].push_back(e);
  r.meters_with_evidence = by_meter.size();
  std::unordered_map<std::int64_t, std::vector<OffSpan>> spans;
  for (auto& [m, ev] : by_meter) spans[m] = meter_off_spans(std::move(ev));
  const std::vector<Span> none;
  std::unordered_map<std::int64_t, std::vector<Span>> closed_spans;
  for (const auto& [m, s] : spans) closed_spans[m] = closed(s, until);
  auto of = [&](std::int64_t m) -> const std::vector<Span>& {
    auto it = closed_spans.find(m);
    return it == closed_spans.end() ? none : it->second;
  };

  // DTs: off while more than half of its meters (the DT meter and its consumers') are.
  std::vector<std::vector<Span>> dt_spans(network.dts.size());
  for (std::size_t d = 0; d < network.dts.size(); ++d) {
    const DtNode& dt = network.dts[d];
    std::vector<const std::vector<Span>*> sets;
    for (std::int64_t c : dt.consumers) sets.push_back(&of(c));
    if (dt.meter_id != 0) sets.push_back(&of(dt.meter_id));
    std::vector<Span> v = at_least(sets, sets.size() / 2 + 1);
    dt_spans[d] = merged(std::move(v));
    r.dt_off.emplace_back();
    for (const Span& s : dt_spans[d]) r.dt_off.back().push_back(opened(s, until));
  }

  auto in_period = [&](const Span& s) { return s.start < to && s.end > from; };
  // Feeders: enough of their DTs off at once.
  std::vector<std::vector<Span>> feeder_spans(network.feeders.size());
  for (std::size_t f = 0; f < network.feeders.size(); ++f) {
    const FeederNode& fd = network.feeders[f];
    // One DT alone cannot tell a feeder trip from a DT outage: it is the DT's.
    if (fd.dts.size() < 2) continue;
    std::vector<const std::vector<Span>*> sets;
    std::size_t consumers = 0;
    for (std::size_t d : fd.dts) {
      sets.push_back(&dt_spans[d]);
      consumers += network.dts[d].consumers.size();
    }
    const std::size_t n = fd.dts.size();
    const std::size_t need =
        n < 4 ? n : static_cast<std::size_t>(std::ceil(kFeederShare * static_cast<double>(n)));
    // A feeder trip darkens its DTs together: at least two of them
    // go dark within a minute of its start. DT outages that merely overlap do not.
    std::vector<Span> together;
    for (const Span& s : at_least(sets, need)) {
      std::size_t at_once = 0;
      for (std::size_t d : fd.dts) {
        for (const Span& x : dt_spans[d]) {
          if (x.start + kWithinTolerance >= s.start && x.start <= s.start + kWithinTolerance) {
            ++at_once;
            break;
          }
        }
      }
      if (at_once >= 2) together.push_back(s);
    }
    feeder_spans[f] = std::move(together);
    for (const Span& s : feeder_spans[f]) {
      if (!in_period(s)) continue;
      Outage o;
      o.level = Outage::Level::kFeeder;
      o.name = fd.name;
      o.feeder = fd.name;
      o.span = opened(s, until);
      o.consumers = consumers;
      for (std::size_t d : fd.dts) {
        for (const Span& x : dt_spans[d]) {
          if (overlaps(x, s)) {
            ++o.reporting;
            break;
          }
        }
      }
      r.outages.push_back(std::move(o));
    }
  }
  std::sort(r.outages.begin(), r.outages.end(),
            [](const Outage& a, const Outage& b) { return a.span.start < b.span.start; });

  std::vector<Outage> dt_outages;
  for (std::size_t d = 0; d < network.dts.size(); ++d) {
    const DtNode& dt = network.dts[d];
    const auto& fs = feeder_spans[dt.feeder];
    for (const Span& s : dt_spans[d]) {
      if (!in_period(s)) continue;
      Outage o;
      o.level = Outage::Level::kDt;
      o.name = dt.name;
      o.feeder = network.feeders[dt.feeder].name;
      o.span = opened(s, until);
      o.consumers = dt.consumers.size();
      auto reports = [&](std::int64_t m) {
        for (const Span& x : of(m)) {
          if (overlaps(x, s)) return true;
        }
        return false;
      };
      if (dt.meter_id != 0 && reports(dt.meter_id)) ++o.reporting;
      for (std::int64_t c : dt.consumers) o.reporting += reports(c) ? 1 : 0;
      for (const Span& f : fs) {
        if (f.start - kWithinTolerance <= s.start && s.end <= f.end + kWithinTolerance) {
          o.within_feeder_outage = true;
        }
      }
      dt_outages.push_back(std::move(o));
    }
    // A consumer off on his own: both ends known, and no outage of his DT overlaps it.
    for (std::int64_t c : dt.consumers) {
      auto it = spans.find(c);
      if (it == spans.end()) continue;
      for (const OffSpan& s : it->second) {
        if (!s.end) continue;
        const Span sp{s.start, *s.end};
        if (!in_period(sp)) continue;
        const bool explained = std::any_of(dt_spans[d].begin(), dt_spans[d].end(),
                                           [&](const Span& x) { return overlaps(x, sp); });
        if (!explained) r.single_meter.emplace_back(c, s);
      }
    }
  }
  std::sort(dt_outages.begin(), dt_outages.end(),
            [](const Outage& a, const Outage& b) { return a.span.start < b.span.start; });
  for (auto& o : dt_outages) r.outages.push_back(std::move(o));
  return r;
}

std::vector<store::Alert> outage_alerts(const Network& network, const OutageReport& report,
                                        UtcTime received) {
  std::unordered_map<std::string, std::int64_t> meter_of;
  for (const auto& f : network.feeders) meter_of["feeder " + f.name] = f.meter_id;
  for (const auto& d : network.dts) meter_of["dt " + d.name] = d.meter_id;
  std::vector<store::Alert> out;
  for (const auto& o : report.outages) {
    const bool feeder = o.level == Outage::Level::kFeeder;
    store::Alert a;
    a.meter_id = meter_of[std::string(feeder ? "feeder " : "dt ") + o.name];
    a.at = o.span.start;
    a.received = received;
    a.kind = "supply";
    a.name = feeder ? "feeder-outage" : "dt-outage";
    a.active = true;
    a.detail = fmt::format("{} {} without supply: {} consumers{}", feeder ? "feeder" : "DT", o.name,
                           o.consumers, o.within_feeder_outage ? " (its feeder is out)" : "");
    out.push_back(a);
    if (o.span.end) {
      a.at = *o.span.end;
      a.active = false;
      a.detail = fmt::format("{} {} supply restored", feeder ? "feeder" : "DT", o.name);
      out.push_back(std::move(a));
    }
  }
  return out;
}

Result<std::vector<PowerEvent>> power_events(store::Store& store, const Network& network,
                                             UtcTime from, UtcTime until) {
  const UtcTime lo = from - kOutageLookback;
  std::unordered_set<std::int64_t> meters;
  for (const auto& d : network.dts) {
    if (d.meter_id != 0) meters.insert(d.meter_id);
    meters.insert(d.consumers.begin(), d.consumers.end());
  }
  std::vector<PowerEvent> out;
  for (const char* kind : {"outage", "restore"}) {
    for (std::int64_t after = 0;;) {
      VIDYUT_TRY(page, store.alerts_of_kind(kind, lo, until, after, store::kMaxPage));
      for (const auto& a : *page) {
        after = a.id;
        if (!meters.count(a.meter_id)) continue;
        if (a.kind == "outage" && a.name == "last-gasp") {
          out.push_back({a.meter_id, a.at, false, PowerEvent::Source::kAlert});
        } else if (a.kind == "restore" && a.name == "first-breath") {
          out.push_back({a.meter_id, a.at, true, PowerEvent::Source::kAlert});
        }
      }
      if (page->size() < store::kMaxPage) break;
    }
  }
  std::vector<std::int64_t> ids(meters.begin(), meters.end());
  std::sort(ids.begin(), ids.end());
  for (std::int64_t m : ids) {
    VIDYUT_TRY(rows, store.profile_rows(m, "event-power", lo, until));
    for (const auto& row : *rows) {
      if (row.code == kPowerFailCode || row.code == kPowerRestoreCode) {
        out.push_back({m, row.captured, row.code == kPowerRestoreCode, PowerEvent::Source::kLog});
      }
    }
  }
  return out;
}

}  // namespace vidyut::mdm
