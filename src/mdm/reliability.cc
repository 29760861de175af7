#include "mdm/reliability.h"

#include <algorithm>
#include <unordered_map>

namespace vidyut::mdm {
namespace {

void add(ReliabilityIndices& x, std::size_t customers, const OffSpan& s, UtcTime until) {
  const Millis d = s.end_or(until) - s.start;
  if (d < kMomentaryLimit) {
    x.momentary_customer_interruptions += customers;
    ++x.momentary_spans;
  } else {
    x.customer_interruptions += customers;
    x.customer_minutes +=
        static_cast<double>(customers) * static_cast<double>(d.count()) / 60'000.0;
    ++x.sustained_spans;
  }
}

void finish(ReliabilityIndices& x) {
  if (x.customers == 0) return;
  const double n = static_cast<double>(x.customers);
  x.saifi = static_cast<double>(x.customer_interruptions) / n;
  x.saidi = x.customer_minutes / n;
  x.caidi = x.saifi > 0 ? x.saidi / x.saifi : 0;
  x.maifi = static_cast<double>(x.momentary_customer_interruptions) / n;
}

bool starts_in(const OffSpan& s, const OutageReport& r) {
  return s.start >= r.from && s.start < r.to;
}

}  // namespace

ReliabilityReport reliability(const Network& network, const OutageReport& r) {
  ReliabilityReport out;
  out.from = r.from;
  out.to = r.to;
  out.area.name = "area";
  out.feeders.resize(network.feeders.size());
  for (std::size_t f = 0; f < network.feeders.size(); ++f) {
    out.feeders[f].name = network.feeders[f].name;
  }
  std::unordered_map<std::int64_t, std::size_t> feeder_of;
  for (std::size_t d = 0; d < network.dts.size(); ++d) {
    const DtNode& dt = network.dts[d];
    ReliabilityIndices& x = out.feeders[dt.feeder];
    x.customers += dt.consumers.size();
    for (std::int64_t c : dt.consumers) feeder_of[c] = dt.feeder;
    if (d >= r.dt_off.size()) continue;
    for (const OffSpan& s : r.dt_off[d]) {
      if (starts_in(s, r) && !dt.consumers.empty()) add(x, dt.consumers.size(), s, r.until);
    }
  }
  for (const auto& [m, s] : r.single_meter) {
    auto it = feeder_of.find(m);
    if (it != feeder_of.end() && starts_in(s, r)) add(out.feeders[it->second], 1, s, r.until);
  }
  for (auto& x : out.feeders) {
    finish(x);
    out.area.customers += x.customers;
    out.area.customer_interruptions += x.customer_interruptions;
    out.area.customer_minutes += x.customer_minutes;
    out.area.momentary_customer_interruptions += x.momentary_customer_interruptions;
    out.area.sustained_spans += x.sustained_spans;
    out.area.momentary_spans += x.momentary_spans;
  }
  finish(out.area);
  return out;
}

std::vector<Interruption> consumer_interruptions(const Network& network, const OutageReport& r,
                                                 std::int64_t meter_id) {
  std::vector<Interruption> out;
  auto make = [&](const OffSpan& s, std::string cause) {
    Interruption i;
    i.span = s;
    i.duration = s.end_or(r.until) - s.start;
    i.sustained = i.duration >= kMomentaryLimit;
    i.cause = std::move(cause);
    out.push_back(std::move(i));
  };
  for (std::size_t d = 0; d < network.dts.size() && d < r.dt_off.size(); ++d) {
    const DtNode& dt = network.dts[d];
    if (!std::binary_search(dt.consumers.begin(), dt.consumers.end(), meter_id)) continue;
    const std::string& feeder = network.feeders[dt.feeder].name;
    for (const OffSpan& s : r.dt_off[d]) {
      if (!starts_in(s, r)) continue;
      // Caused by the feeder when a feeder outage covers its start.
      std::string cause = "dt " + dt.name;
      for (const Outage& o : r.outages) {
        if (o.level == Outage::Level::kFeeder && o.name == feeder &&
            o.span.start <= s.start + kMomentaryLimit && s.start < o.span.end_or(r.until)) {
          cause = "feeder " + feeder;
        }
      }
      make(s, std::move(cause));
    }
  }
  for (const auto& [m, s] : r.single_meter) {
    if (m == meter_id && starts_in(s, r)) make(s, "meter");
  }
  std::sort(out.begin(), out.end(), [](const Interruption& a, const Interruption& b) {
    return a.span.start < b.span.start;
  });
  return out;
}

}  // namespace vidyut::mdm
