#include "mdm/loading.h"

#include <algorithm>

#include <fmt/format.h>

#include "mdm/audit.h"

namespace vidyut::mdm {

DtLoading dt_loading(const DtNode& dt, const std::string& feeder,
                     const std::vector<store::IntervalReading>& rows, UtcTime from, UtcTime to,
                     std::int32_t period_s) {
  DtLoading x;
  x.dt = dt.name;
  x.feeder = feeder;
  x.meter_id = dt.meter_id;
  x.rating_va = dt.rating_va;
  x.expected = static_cast<std::uint32_t>(intervals_in(from, to, period_s));
  std::vector<const store::IntervalReading*> in;
  for (const auto& r : rows) {
    if (r.start >= from && r.start < to && r.period_s > 0) in.push_back(&r);
  }
  std::sort(in.begin(), in.end(), [](const auto* a, const auto* b) { return a->start < b->start; });
  bool was_over = false;
  UtcTime last{};
  for (const auto* r : in) {
    ++x.intervals;
    const bool follows =
        x.intervals > 1 && last + Millis(std::int64_t{r->period_s} * 1000) == r->start;
    last = r->start;
    LoadingInterval li;
    li.start = r->start;
    li.kva = static_cast<double>(r->import_vah) * 3600.0 / r->period_s / 1000.0;
    li.loading_percent = dt.rating_va == 0 ? 0 : li.kva * 1000.0 / dt.rating_va * 100.0;
    if (x.intervals == 1 || li.kva > x.peak.kva) x.peak = li;
    // Compared in integers: VAh x 3600 / period against the rating in VA.
    if (dt.rating_va > 0 &&
        r->import_vah * 3600 * 100 > std::int64_t{dt.rating_va} * r->period_s *
                                         static_cast<std::int64_t>(kOverloadPercent)) {
      x.overloaded.push_back(li);
      was_over = true;
    } else {
      if (was_over && follows) x.back_within.push_back(r->start);
      was_over = false;
    }
  }
  return x;
}

Result<LoadingReport> loading_from_store(store::Store& store, const Network& network, UtcTime from,
                                         UtcTime to, std::int32_t period_s) {
  LoadingReport r;
  r.from = from;
  r.to = to;
  r.period_s = period_s;
  for (const auto& dt : network.dts) {
    if (dt.meter_id == 0 || dt.rating_va == 0) {
      ++r.dts_without_rating;
      continue;
    }
    VIDYUT_TRY(rows, store.intervals(dt.meter_id, from, to));
    r.dts.push_back(dt_loading(dt, network.feeders[dt.feeder].name, *rows, from, to, period_s));
  }
  return r;
}

std::vector<store::Alert> overload_alerts(const LoadingReport& report, UtcTime received) {
  std::vector<store::Alert> out;
  const Millis period{std::int64_t{report.period_s} * 1000};
  for (const auto& d : report.dts) {
    for (std::size_t i = 0; i < d.overloaded.size(); ++i) {
      const auto& li = d.overloaded[i];
      // A run that begins at the report's first interval may have begun before it: no start.
      const bool starts =
          i == 0 ? li.start > report.from : d.overloaded[i - 1].start + period != li.start;
      const bool ends =
          i + 1 == d.overloaded.size() || d.overloaded[i + 1].start != li.start + period;
      if (starts) {
        store::Alert a;
        a.meter_id = d.meter_id;
        a.at = li.start;
        a.received = received;
        a.kind = "overload";
        a.name = "dt-overload";
        a.active = true;
        a.detail = fmt::format("{} {:.1f} kVA on a {} kVA rating ({:.0f} %)", d.dt, li.kva,
                               d.rating_va / 1000, li.loading_percent);
        out.push_back(std::move(a));
      }
      // Back within the rating at the next interval, when the meter's data says so.
      if (ends &&
          std::binary_search(d.back_within.begin(), d.back_within.end(), li.start + period)) {
        store::Alert a;
        a.meter_id = d.meter_id;
        a.at = li.start + period;
        a.received = received;
        a.kind = "overload";
        a.name = "dt-overload";
        a.active = false;
        a.detail = fmt::format("{} back within its {} kVA rating", d.dt, d.rating_va / 1000);
        out.push_back(std::move(a));
      }
    }
  }
  return out;
}

}  // namespace vidyut::mdm
