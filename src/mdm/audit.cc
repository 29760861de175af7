#include "mdm/audit.h"

#include <algorithm>

namespace vidyut::mdm {
namespace {

double percent_of(std::int64_t part, std::int64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

// Adds one meter (0: the node has no meter) to a completeness count and returns its energy.
MeterEnergy take(const EnergyByMeter& energy, std::int64_t meter_id, std::uint64_t expected,
                 Completeness& c) {
  c.expected += expected;
  if (meter_id == 0) {
    ++c.meters_missing;
    return {};
  }
  auto it = energy.find(meter_id);
  const MeterEnergy e = it == energy.end() ? MeterEnergy{} : it->second;
  c.present += std::min<std::uint64_t>(e.intervals, expected);
  if (e.intervals < expected) ++c.meters_missing;
  return e;
}

}  // namespace

std::uint64_t intervals_in(UtcTime from, UtcTime to, std::int32_t period_s) {
  if (to <= from || period_s <= 0) return 0;
  const std::int64_t ms = (to - from).count();
  const std::int64_t p = std::int64_t{period_s} * 1000;
  return static_cast<std::uint64_t>((ms + p - 1) / p);
}

AuditReport energy_audit(const Network& network, const EnergyByMeter& energy, UtcTime from,
                         UtcTime to, std::int32_t period_s) {
  AuditReport r;
  r.from = from;
  r.to = to;
  r.period_s = period_s;
  r.unplaced_consumers = network.unplaced.size();
  const std::uint64_t n = intervals_in(from, to, period_s);
  r.dts.reserve(network.dts.size());
  for (const DtNode& d : network.dts) {
    DtBalance b;
    b.dt = d.name;
    b.feeder = network.feeders[d.feeder].name;
    b.has_meter = d.meter_id != 0;
    b.consumers = d.consumers.size();
    Completeness own;
    b.dt_wh = take(energy, d.meter_id, n, own).import_wh;
    b.meter_complete = b.has_meter && own.complete();
    b.data += own;
    for (std::int64_t c : d.consumers) {
      const MeterEnergy e = take(energy, c, n, b.data);
      b.consumers_wh += e.import_wh - e.export_wh;
      b.consumers_export_wh += e.export_wh;
    }
    b.loss_wh = b.dt_wh - b.consumers_wh;
    b.loss_percent = percent_of(b.loss_wh, b.dt_wh);
    r.dts.push_back(std::move(b));
  }
  r.feeders.reserve(network.feeders.size());
  for (const FeederNode& f : network.feeders) {
    FeederBalance b;
    b.feeder = f.name;
    b.has_meter = f.meter_id != 0;
    b.dts = f.dts.size();
    Completeness own;
    b.feeder_wh = take(energy, f.meter_id, n, own).import_wh;
    b.meter_complete = b.has_meter && own.complete();
    b.data += own;
    for (std::size_t di : f.dts) {
      const DtBalance& d = r.dts[di];
      b.dts_wh += d.dt_wh;
      b.consumers_wh += d.consumers_wh;
      b.lt_loss_wh += d.loss_wh;
      b.consumers += d.consumers;
      b.data += d.data;
    }
    b.ht_loss_wh = b.feeder_wh - b.dts_wh;
    b.ht_loss_percent = percent_of(b.ht_loss_wh, b.feeder_wh);
    b.total_loss_wh = b.feeder_wh - b.consumers_wh;
    b.total_loss_percent = percent_of(b.total_loss_wh, b.feeder_wh);
    r.area.input_wh += b.feeder_wh;
    r.area.consumers_wh += b.consumers_wh;
    r.area.data += b.data;
    r.feeders.push_back(std::move(b));
  }
  r.area.loss_wh = r.area.input_wh - r.area.consumers_wh;
  r.area.loss_percent = percent_of(r.area.loss_wh, r.area.input_wh);
  return r;
}

Result<AuditReport> audit_from_store(store::Store& store, const Network& network, UtcTime from,
                                     UtcTime to, std::int32_t period_s) {
  VIDYUT_TRY(rows, store.interval_summary(from, to));
  EnergyByMeter energy;
  energy.reserve(rows->size());
  for (const auto& s : *rows) {
    energy[s.meter_id] = {s.count, s.import_wh, s.export_wh};
  }
  return energy_audit(network, energy, from, to, period_s);
}

std::vector<const DtBalance*> rank_dts(const AuditReport& report, std::size_t n, bool worst) {
  std::vector<const DtBalance*> v;
  for (const auto& d : report.dts) {
    if (d.complete() && d.dt_wh > 0) v.push_back(&d);
  }
  std::stable_sort(v.begin(), v.end(), [worst](const DtBalance* a, const DtBalance* b) {
    return worst ? a->loss_percent > b->loss_percent : a->loss_percent < b->loss_percent;
  });
  if (v.size() > n) v.resize(n);
  return v;
}

std::vector<const FeederBalance*> rank_feeders(const AuditReport& report, std::size_t n,
                                               bool worst) {
  std::vector<const FeederBalance*> v;
  for (const auto& f : report.feeders) {
    if (f.complete() && f.feeder_wh > 0) v.push_back(&f);
  }
  std::stable_sort(v.begin(), v.end(), [worst](const FeederBalance* a, const FeederBalance* b) {
    return worst ? a->total_loss_percent > b->total_loss_percent
                 : a->total_loss_percent < b->total_loss_percent;
  });
  if (v.size() > n) v.resize(n);
  return v;
}

}  // namespace vidyut::mdm
