#include "fleet/grid.h"

#include <algorithm>

namespace vidyut::fleet {
namespace {

std::int64_t ms_of(UtcTime t) { return t.time_since_epoch().count(); }

// Milliseconds of [from, to) inside either set.
std::int64_t union_covered_ms(const IntervalSet& x, const IntervalSet& y, UtcTime from,
                              UtcTime to) {
  std::vector<Interval> all;
  for (const Interval& iv : x.intervals()) all.push_back(iv);
  for (const Interval& iv : y.intervals()) all.push_back(iv);
  std::sort(all.begin(), all.end(),
            [](const Interval& a, const Interval& b) { return a.start < b.start; });
  IntervalSet merged;
  for (const Interval& iv : all) merged.add(iv);
  return merged.covered_ms(from, to);
}

// The bypassed part of a consumer's load model over [from, to) at share_ppm: per slot
// floor(slot energy x share / 10^6), partial slots as floored prefixes (exactly additive).
meter::Energy bypass_slice(const meter::MeterIdentity& id, std::uint32_t share_ppm, UtcTime from,
                           UtcTime to) {
  return meter::sliced_energy(from, to, [&](std::int64_t slot) {
    const meter::SlotEnergy se = meter::slot_energy(id, slot);
    return meter::SlotEnergy{se.active_mwh * share_ppm / 1'000'000,
                             se.apparent_mvah * share_ppm / 1'000'000};
  });
}

template <class T>
void start_in(std::vector<T>& v, T item) {
  if (!v.empty() && v.back().when.end > item.when.start) return;  // already going
  v.push_back(std::move(item));
  if (v.size() > kMaxIntervalsPerTarget) v.erase(v.begin());
}

template <class T>
bool active_in(const std::vector<T>& v, UtcTime t) {
  for (auto it = v.rbegin(); it != v.rend(); ++it) {
    if (it->when.contains(t)) return true;
    if (it->when.end <= t) break;  // ascending and disjoint: nothing earlier contains t
  }
  return false;
}

meter::LoadSample dead_sample() {
  meter::LoadSample s;
  s.power_w = 0;
  s.voltage_v = 0;
  s.power_factor = 1;
  s.frequency_hz = 0;
  s.current_a = 0;
  return s;
}

}  // namespace

// ---- IntervalSet ------------------------------------------------------------------------------

bool IntervalSet::contains(UtcTime t) const {
  // Last interval starting at or before t.
  auto it = std::upper_bound(v_.begin(), v_.end(), t,
                             [](UtcTime x, const Interval& iv) { return x < iv.start; });
  if (it == v_.begin()) return false;
  return std::prev(it)->contains(t);
}

bool IntervalSet::open(UtcTime t) {
  if (contains(t)) return false;
  ++version_;
  if (!v_.empty() && v_.back().end == t) {
    v_.back().end = kOpenEnd;  // re-open an interval that just ended
    return true;
  }
  add({t, kOpenEnd});
  return true;
}

bool IntervalSet::close(UtcTime t) {
  for (auto it = v_.rbegin(); it != v_.rend(); ++it) {
    if (it->contains(t) || (it->start == t)) {
      if (it->end == kOpenEnd || it->end > t) {
        ++version_;
        it->end = t;
        if (it->end <= it->start) v_.erase(std::next(it).base());
        return true;
      }
    }
  }
  return false;
}

void IntervalSet::add(Interval iv) {
  if (iv.end <= iv.start) return;
  ++version_;
  if (v_.empty() || v_.back().end < iv.start) {  // the usual case: time moves forward
    v_.push_back(iv);
    if (v_.size() > kMaxIntervalsPerTarget) {
      v_[1].start = v_[0].start;
      v_.erase(v_.begin());
    }
    return;
  }
  std::vector<Interval> out;
  out.reserve(v_.size() + 1);
  bool placed = false;
  for (const Interval& x : v_) {
    if (x.end < iv.start) {
      out.push_back(x);
    } else if (iv.end < x.start) {
      if (!placed) out.push_back(iv), placed = true;
      out.push_back(x);
    } else {
      iv.start = std::min(iv.start, x.start);
      iv.end = std::max(iv.end, x.end);
    }
  }
  if (!placed) out.push_back(iv);
  v_ = std::move(out);
  if (v_.size() > kMaxIntervalsPerTarget) {
    // Merge the two oldest: their gap is history long past (bounded memory over exactness of
    // very old supply records).
    v_[1].start = v_[0].start;
    v_.erase(v_.begin());
  }
}

std::int64_t IntervalSet::covered_ms(UtcTime from, UtcTime to) const {
  std::int64_t ms = 0;
  for (const Interval& iv : v_) {
    const UtcTime a = std::max(from, iv.start);
    const UtcTime b = std::min(to, iv.end);
    if (b > a) ms += ms_of(b) - ms_of(a);
  }
  return ms;
}

// ---- sources ----------------------------------------------------------------------------------

// A consumer: its load model while the supply is on, less a silently bypassed share.
class ConsumerSource final : public meter::EnergySource {
 public:
  ConsumerSource(const Grid& g, std::uint32_t m) : g_(g), m_(m) {}
  meter::Energy energy(UtcTime from, UtcTime to) const override {
    return g_.metered_supply(m_, from, to);
  }
  meter::LoadSample sample(std::int64_t slot) const override { return g_.metered_sample(m_, slot); }

 private:
  const Grid& g_;
  std::uint32_t m_;
};

// A DT or feeder meter: the difference of a cumulative function.
class CumulativeSource : public meter::EnergySource {
 public:
  CumulativeSource(const Grid& g, std::uint32_t m, double volts) : g_(g), m_(m), volts_(volts) {}
  meter::Energy energy(UtcTime from, UtcTime to) const override {
    if (to <= from) return {};
    meter::Energy a = cumulative(from);
    meter::Energy b = cumulative(to);
    return {b.active_mwh - a.active_mwh, b.apparent_mvah - a.apparent_mvah};
  }
  meter::LoadSample sample(std::int64_t slot) const override {
    const UtcTime a = meter::slot_start(slot);
    if (!g_.supplied(m_, a)) return dead_sample();
    const meter::Energy e = energy(a, meter::slot_start(slot + 1));
    meter::LoadSample s;
    const double hours = static_cast<double>(meter::kSlotSeconds) / 3600.0;
    s.power_w = static_cast<double>(e.active_mwh) / 1000.0 / hours;
    const double va = static_cast<double>(e.apparent_mvah) / 1000.0 / hours;
    s.power_factor = va > 0 ? std::clamp(s.power_w / va, 0.0, 1.0) : 1.0;
    const auto& id = g_.topology().meters[m_].identity;
    const double u = static_cast<double>(
                         meter::counter_hash(id.seed, 7, static_cast<std::uint64_t>(slot)) >> 11) *
                     0x1.0p-53;
    s.voltage_v = volts_ * (0.98 + 0.04 * u);
    s.frequency_hz = 49.90 + 0.20 * u;
    // Three phases: current per phase.
    s.current_a = s.voltage_v > 0 ? va / (3.0 * s.voltage_v) : 0;
    return s;
  }

 protected:
  virtual meter::Energy cumulative(UtcTime t) const = 0;
  const Grid& g_;
  std::uint32_t m_;
  double volts_;
};

class DtSource final : public CumulativeSource {
 public:
  DtSource(const Grid& g, std::uint32_t m, std::uint32_t dt)
      : CumulativeSource(g, m, 240.0), dt_(dt) {}

 protected:
  meter::Energy cumulative(UtcTime t) const override { return g_.dt_cumulative(dt_, t); }

 private:
  std::uint32_t dt_;
};

class FeederSource final : public CumulativeSource {
 public:
  // Voltage as the PT secondary shows it (63.5 V phase for 110 V line).
  FeederSource(const Grid& g, std::uint32_t m, std::uint32_t f)
      : CumulativeSource(g, m, 63.5), f_(f) {}

 protected:
  meter::Energy cumulative(UtcTime t) const override { return g_.feeder_cumulative(f_, t); }

 private:
  std::uint32_t f_;
};

// ---- Grid -------------------------------------------------------------------------------------

Grid::Grid(const Topology& topology, LossConfig losses)
    : topology_(&topology),
      losses_(losses),
      feeder_out_(topology.feeders.size()),
      dt_out_(topology.dts.size()),
      theft_(topology.meters.size()),
      hooks_(topology.dts.size()),
      bypass_(topology.meters.size()) {}

void Grid::attach(std::vector<meter::SimulatedMeter*> meters, UtcTime epoch) {
  meters_ = std::move(meters);
  sources_.clear();
  sources_.reserve(meters_.size());
  epoch_ = epoch;
  for (std::uint32_t i = 0; i < meters_.size(); ++i) {
    switch (topology_->meters[i].identity.kind) {
      case meter::MeterKind::kSinglePhase:
      case meter::MeterKind::kThreePhase:
        sources_.push_back(std::make_unique<ConsumerSource>(*this, i));
        break;
      case meter::MeterKind::kDt:
        sources_.push_back(
            std::make_unique<DtSource>(*this, i, static_cast<std::uint32_t>(topology_->dt_of[i])));
        break;
      case meter::MeterKind::kFeeder:
        sources_.push_back(std::make_unique<FeederSource>(*this, i, topology_->feeder_of[i]));
        break;
    }
    meters_[i]->set_source(sources_.back().get());
  }
  baseline_.resize(meters_.size());
  for (std::uint32_t i = 0; i < meters_.size(); ++i) {
    if (meter::has_relay(topology_->meters[i].identity.kind)) {
      baseline_[i] = meters_[i]->cumulative_at(epoch_);
    }
  }
}

bool Grid::supplied(std::uint32_t m, UtcTime t) const {
  if (feeder_out_[topology_->feeder_of[m]].contains(t)) return false;
  const std::int32_t dt = topology_->dt_of[m];
  return dt < 0 || !dt_out_[static_cast<std::uint32_t>(dt)].contains(t);
}

std::int64_t Grid::supplied_ms(std::uint32_t m, UtcTime from, UtcTime to) const {
  if (to <= from) return 0;
  const std::int32_t dt = topology_->dt_of[m];
  static const IntervalSet kNone;
  const std::int64_t dead =
      union_covered_ms(feeder_out_[topology_->feeder_of[m]],
                       dt >= 0 ? dt_out_[static_cast<std::uint32_t>(dt)] : kNone, from, to);
  return ms_of(to) - ms_of(from) - dead;
}

bool Grid::powered(std::uint32_t m, UtcTime t) const {
  return topology_->meters[m].identity.kind == meter::MeterKind::kFeeder || supplied(m, t);
}

const IntervalSet& Grid::feeder_set_of(std::uint32_t m) const {
  return feeder_out_[topology_->feeder_of[m]];
}

const IntervalSet& Grid::dt_set_of(std::uint32_t m) const {
  static const IntervalSet kNone;
  const std::int32_t dt = topology_->dt_of[m];
  return dt >= 0 ? dt_out_[static_cast<std::uint32_t>(dt)] : kNone;
}

template <class Fn>
void Grid::for_each_supplied(std::uint32_t m, UtcTime from, UtcTime to,
                             const std::vector<UtcTime>& extra, Fn&& fn) const {
  if (to <= from) return;
  std::vector<UtcTime> cuts{from, to};
  auto collect = [&](const IntervalSet& s) {
    for (const Interval& iv : s.intervals()) {
      if (iv.start > from && iv.start < to) cuts.push_back(iv.start);
      if (iv.end > from && iv.end < to) cuts.push_back(iv.end);
    }
  };
  collect(feeder_set_of(m));
  collect(dt_set_of(m));
  for (UtcTime t : extra) {
    if (t > from && t < to) cuts.push_back(t);
  }
  std::sort(cuts.begin(), cuts.end());
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    if (cuts[i + 1] > cuts[i] && supplied(m, cuts[i])) fn(cuts[i], cuts[i + 1]);
  }
}

// ---- theft ------------------------------------------------------------------------------------

void Grid::start_theft(std::uint32_t m, UtcTime start, std::uint32_t watts) {
  Theft th;
  th.when = {start, kOpenEnd};
  th.watts = watts;
  start_in(theft_[m], std::move(th));
}

void Grid::stop_theft(std::uint32_t m, UtcTime end) {
  auto& v = theft_[m];
  if (!v.empty() && v.back().when.contains(end)) v.back().when.end = end;
}

bool Grid::stealing(std::uint32_t m, UtcTime t) const { return active_in(theft_[m], t); }

void Grid::start_hook(std::uint32_t dt, UtcTime start, std::uint32_t watts) {
  Theft th;
  th.when = {start, kOpenEnd};
  th.watts = watts;
  start_in(hooks_[dt], std::move(th));
}

void Grid::stop_hook(std::uint32_t dt, UtcTime end) {
  auto& v = hooks_[dt];
  if (!v.empty() && v.back().when.contains(end)) v.back().when.end = end;
}

bool Grid::hooked(std::uint32_t dt, UtcTime t) const { return active_in(hooks_[dt], t); }

void Grid::start_silent_bypass(std::uint32_t m, UtcTime start, std::uint32_t share_ppm) {
  Bypass bp;
  bp.when = {start, kOpenEnd};
  bp.share_ppm = std::clamp<std::uint32_t>(share_ppm, 1, 1'000'000);
  start_in(bypass_[m], std::move(bp));
}

void Grid::stop_silent_bypass(std::uint32_t m, UtcTime end) {
  auto& v = bypass_[m];
  if (v.empty() || !v.back().when.contains(end)) return;
  // The walking point needs no change: it holds the bypassed energy up to itself at this share
  // whatever the end, and bypass_cum never walks past the end.
  v.back().when.end = end;
}

std::uint32_t Grid::bypass_share_ppm(std::uint32_t m, UtcTime t) const {
  const auto& v = bypass_[m];
  for (auto it = v.rbegin(); it != v.rend(); ++it) {
    if (it->when.contains(t)) return it->share_ppm;
    if (it->when.end <= t) break;
  }
  return 0;
}

meter::Energy Grid::metered_supply(std::uint32_t m, UtcTime from, UtcTime to) const {
  meter::Energy e;
  const meter::MeterIdentity& id = topology_->meters[m].identity;
  const auto& bps = bypass_[m];
  std::vector<UtcTime> extra;
  for (const Bypass& bp : bps) {
    if (bp.when.end <= from || bp.when.start >= to) continue;
    extra.push_back(bp.when.start);
    extra.push_back(bp.when.end);
  }
  for_each_supplied(m, from, to, extra, [&](UtcTime x, UtcTime y) {
    e += meter::model_energy(id, x, y);
    if (extra.empty()) return;
    if (const std::uint32_t share = bypass_share_ppm(m, x); share > 0) {
      e = e - bypass_slice(id, share, x, y);
    }
  });
  return e;
}

meter::LoadSample Grid::metered_sample(std::uint32_t m, std::int64_t slot) const {
  const UtcTime a = meter::slot_start(slot);
  if (!supplied(m, a)) return dead_sample();
  meter::LoadSample s = meter::sample_load(topology_->meters[m].identity, slot);
  if (const std::uint32_t share = bypass_share_ppm(m, a); share > 0) {
    const double kept = 1.0 - static_cast<double>(share) / 1e6;
    s.power_w *= kept;
    s.current_a *= kept;
  }
  return s;
}

std::int64_t Grid::loads_wms(const std::vector<Theft>& v, const IntervalSet& fo,
                             const IntervalSet& dto, UtcTime t) const {
  std::int64_t wms = 0;
  // Supplied W x ms of theft th over [a, b): span minus the union of outages over it.
  auto supplied_wms = [&](const Theft& th, UtcTime a, UtcTime b) {
    if (b <= a) return std::int64_t{0};
    return std::int64_t{th.watts} * (ms_of(b) - ms_of(a) - union_covered_ms(fo, dto, a, b));
  };
  for (const Theft& th : v) {
    const UtcTime a = std::max(th.when.start, epoch_);
    if (th.when.end != kOpenEnd && th.when.end <= t) {
      // Ended before t: the whole episode counts; cache it until an outage record changes.
      if (!th.settled_wms || th.feeder_version != fo.version() || th.dt_version != dto.version()) {
        th.settled_wms = supplied_wms(th, a, th.when.end);
        th.feeder_version = fo.version();
        th.dt_version = dto.version();
      }
      wms += *th.settled_wms;
    } else {
      wms += supplied_wms(th, a, std::min(th.when.end, t));
    }
  }
  return wms;
}

std::int64_t Grid::theft_wms(std::uint32_t m, UtcTime t) const {
  if (theft_[m].empty()) return 0;
  return loads_wms(theft_[m], feeder_set_of(m), dt_set_of(m), t);
}

std::int64_t Grid::hook_wms(std::uint32_t dt, UtcTime t) const {
  if (hooks_[dt].empty()) return 0;
  return loads_wms(hooks_[dt], feeder_out_[topology_->dts[dt].feeder], dt_out_[dt], t);
}

meter::Energy Grid::bypassed(std::uint32_t m, std::uint32_t share_ppm, UtcTime from,
                             UtcTime to) const {
  meter::Energy e;
  const meter::MeterIdentity& id = topology_->meters[m].identity;
  for_each_supplied(m, from, to, {},
                    [&](UtcTime x, UtcTime y) { e += bypass_slice(id, share_ppm, x, y); });
  return e;
}

meter::Energy Grid::bypass_cum(std::uint32_t m, UtcTime t) const {
  meter::Energy sum;
  const IntervalSet& fo = feeder_set_of(m);
  const IntervalSet& dto = dt_set_of(m);
  for (const Bypass& bp : bypass_[m]) {
    const UtcTime a = std::max(bp.when.start, epoch_);
    const UtcTime b = std::min(bp.when.end, t);
    if (b <= a) continue;
    if (bp.cache && (bp.feeder_version != fo.version() || bp.dt_version != dto.version())) {
      bp.cache.reset();
    }
    // Walk from the cached point or from the start, whichever is nearer: energy is exactly
    // additive, so both give the same value.
    meter::Energy v;
    if (bp.cache && std::max(bp.cache->first, b) - std::min(bp.cache->first, b) < b - a) {
      v = bp.cache->second;
      if (bp.cache->first <= b) {
        v += bypassed(m, bp.share_ppm, bp.cache->first, b);
      } else {
        v = v - bypassed(m, bp.share_ppm, b, bp.cache->first);
      }
    } else {
      v = bypassed(m, bp.share_ppm, a, b);
    }
    bp.cache = std::make_pair(b, v);
    bp.feeder_version = fo.version();
    bp.dt_version = dto.version();
    sum += v;
  }
  return sum;
}

meter::Energy Grid::consumer_recorded_cum(std::uint32_t m, UtcTime t) const {
  meter::Energy e = meters_[m]->cumulative_at(t);
  e.active_mwh -= baseline_[m].active_mwh;
  e.apparent_mvah -= baseline_[m].apparent_mvah;
  return e;
}

std::int64_t Grid::theft_mwh(std::uint32_t m, UtcTime from, UtcTime to) const {
  if (to <= from) return 0;
  // W x ms / 3600 = mWh; floored cumulatives telescope.
  return theft_wms(m, to) / 3600 - theft_wms(m, from) / 3600 + bypass_mwh(m, from, to);
}

std::int64_t Grid::bypass_mwh(std::uint32_t m, UtcTime from, UtcTime to) const {
  if (to <= from || bypass_[m].empty()) return 0;
  return bypass_cum(m, to).active_mwh - bypass_cum(m, from).active_mwh;
}

std::int64_t Grid::hook_mwh(std::uint32_t dt, UtcTime from, UtcTime to) const {
  if (to <= from) return 0;
  return hook_wms(dt, to) / 3600 - hook_wms(dt, from) / 3600;
}

std::int64_t Grid::recorded_mwh(std::uint32_t m, UtcTime from, UtcTime to) const {
  if (to <= from) return 0;
  return meters_[m]->energy_between(from, to).active_mwh;
}

std::int64_t Grid::consumer_true_mwh(std::uint32_t m, UtcTime from, UtcTime to) const {
  return recorded_mwh(m, from, to) + theft_mwh(m, from, to);
}

meter::Energy Grid::dt_cumulative(std::uint32_t dt, UtcTime t) const {
  const Dt& d = topology_->dts[dt];
  std::int64_t active = 0;
  std::int64_t apparent = 0;
  for (std::uint32_t c : d.consumers) {
    const meter::Energy e = consumer_recorded_cum(c, t);
    const std::int64_t theft = theft_wms(c, t) / 3600;
    active += e.active_mwh + theft;
    // Theft loads are resistive enough to count at power factor ~0.95.
    apparent += e.apparent_mvah + theft * 100 / 95;
    if (!bypass_[c].empty()) {  // the bypassed share of his load, at its own power factor
      const meter::Energy b = bypass_cum(c, t);
      active += b.active_mwh;
      apparent += b.apparent_mvah;
    }
  }
  // A hook on the LT network: drawn through the same conductors, so LT loss applies to it too.
  const std::int64_t hook = hook_wms(dt, t) / 3600;
  active += hook;
  apparent += hook * 100 / 95;
  // Energised time since the epoch (negative before it): outages exist only after it.
  const std::int64_t span = ms_of(t) - ms_of(epoch_);
  const std::int64_t dead =
      span > 0 ? union_covered_ms(feeder_out_[d.feeder], dt_out_[dt], epoch_, t) : 0;
  const std::int64_t on_ms = span - dead;
  const std::int64_t no_load_wms =
      std::int64_t{losses_.dt_no_load_w_per_kva} * d.rating_kva * on_ms;
  meter::Energy e;
  e.active_mwh = active + active * losses_.lt_loss_ppm / 1'000'000 + no_load_wms / 3600;
  e.apparent_mvah = apparent + apparent * losses_.lt_loss_ppm / 1'000'000 + no_load_wms / 3600;
  return e;
}

meter::Energy Grid::feeder_cumulative(std::uint32_t feeder, UtcTime t) const {
  meter::Energy sum;
  for (std::uint32_t d : topology_->feeders[feeder].dts) sum += dt_cumulative(d, t);
  meter::Energy e;
  e.active_mwh = sum.active_mwh + sum.active_mwh * losses_.ht_loss_ppm / 1'000'000;
  e.apparent_mvah = sum.apparent_mvah + sum.apparent_mvah * losses_.ht_loss_ppm / 1'000'000;
  return e;
}

}  // namespace vidyut::fleet
