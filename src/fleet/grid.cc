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

// A consumer: its load model while the supply is on.
class ConsumerSource final : public meter::EnergySource {
 public:
  ConsumerSource(const Grid& g, std::uint32_t m) : g_(g), m_(m) {}
  meter::Energy energy(UtcTime from, UtcTime to) const override {
    meter::Energy e;
    const auto& id = g_.topology().meters[m_].identity;
    // Split at every outage boundary of the consumer's feeder and DT.
    std::vector<UtcTime> cuts{from, to};
    auto collect = [&](const IntervalSet& s) {
      for (const Interval& iv : s.intervals()) {
        if (iv.start > from && iv.start < to) cuts.push_back(iv.start);
        if (iv.end > from && iv.end < to) cuts.push_back(iv.end);
      }
    };
    collect(g_.feeder_outages(g_.topology().feeder_of[m_]));
    const std::int32_t dt = g_.topology().dt_of[m_];
    if (dt >= 0) collect(g_.dt_outages(static_cast<std::uint32_t>(dt)));
    std::sort(cuts.begin(), cuts.end());
    for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
      if (cuts[i + 1] > cuts[i] && g_.supplied(m_, cuts[i])) {
        e += meter::model_energy(id, cuts[i], cuts[i + 1]);
      }
    }
    return e;
  }
  meter::LoadSample sample(std::int64_t slot) const override {
    if (!g_.supplied(m_, meter::slot_start(slot))) return dead_sample();
    return meter::sample_load(g_.topology().meters[m_].identity, slot);
  }

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
      theft_(topology.meters.size()) {}

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

void Grid::start_theft(std::uint32_t m, UtcTime start, std::uint32_t watts) {
  auto& v = theft_[m];
  if (!v.empty() && v.back().when.end > start) return;  // already stealing
  Theft th;
  th.when = {start, kOpenEnd};
  th.watts = watts;
  v.push_back(th);
  if (v.size() > kMaxIntervalsPerTarget) v.erase(v.begin());
}

void Grid::stop_theft(std::uint32_t m, UtcTime end) {
  auto& v = theft_[m];
  if (!v.empty() && v.back().when.contains(end)) v.back().when.end = end;
}

bool Grid::stealing(std::uint32_t m, UtcTime t) const {
  for (const Theft& th : theft_[m]) {
    if (th.when.contains(t)) return true;
  }
  return false;
}

std::int64_t Grid::theft_wms(std::uint32_t m, UtcTime t) const {
  std::int64_t wms = 0;
  const std::int32_t dt = topology_->dt_of[m];
  static const IntervalSet kNone;
  const IntervalSet& fo = feeder_out_[topology_->feeder_of[m]];
  const IntervalSet& dto = dt >= 0 ? dt_out_[static_cast<std::uint32_t>(dt)] : kNone;
  // Supplied W x ms of theft th over [a, b): span minus the union of outages over it.
  auto supplied_wms = [&](const Theft& th, UtcTime a, UtcTime b) {
    if (b <= a) return std::int64_t{0};
    return std::int64_t{th.watts} * (ms_of(b) - ms_of(a) - union_covered_ms(fo, dto, a, b));
  };
  for (const Theft& th : theft_[m]) {
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

meter::Energy Grid::consumer_recorded_cum(std::uint32_t m, UtcTime t) const {
  meter::Energy e = meters_[m]->cumulative_at(t);
  e.active_mwh -= baseline_[m].active_mwh;
  e.apparent_mvah -= baseline_[m].apparent_mvah;
  return e;
}

std::int64_t Grid::theft_mwh(std::uint32_t m, UtcTime from, UtcTime to) const {
  if (to <= from) return 0;
  // W x ms / 3600 = mWh; floored cumulatives telescope.
  return theft_wms(m, to) / 3600 - theft_wms(m, from) / 3600;
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
  }
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
