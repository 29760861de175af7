// Grid: what flows where in a simulated utility network, as pure functions of time.
//
// The simulator never stores interval energy. A consumer's meter records its load model while
// the supply is on and its relay closed; theft adds load that bypasses the meter; a DT meter
// sees its consumers' true energy plus LT losses; a feeder meter sees its DTs plus HT losses.
// Every quantity is an exact integer function of time with telescoping sums, so that for any
// interval [a, b):
//     DT(a, b)     = sum over its consumers of true(a, b) + LT loss(a, b)
//     feeder(a, b) = sum over its DTs of DT(a, b) + HT loss(a, b)
// hold to the milli-watt-hour (tests pin both down).
//
// Outages and theft are recorded as intervals; an interval that has started but not ended has
// end = kOpenEnd. Only the present or future may be changed, so the past never moves.
//
// Thread-safety: none; the fleet serialises access.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "core/clock.h"
#include "fleet/topology.h"
#include "meter/simulated_meter.h"

namespace vidyut::fleet {

inline constexpr UtcTime kOpenEnd = UtcTime(Millis(std::numeric_limits<std::int64_t>::max() / 4));
// Intervals kept per outage/theft list; older ones merge into history that no longer changes
// (bounds memory against a flood of control commands).
inline constexpr std::size_t kMaxIntervalsPerTarget = 4096;

struct Interval {
  UtcTime start;
  UtcTime end = kOpenEnd;
  bool contains(UtcTime t) const { return start <= t && t < end; }
};

// A set of disjoint intervals in ascending order.
class IntervalSet {
 public:
  bool contains(UtcTime t) const;
  // Starts an interval at t (no effect when one is open). Returns false when already inside.
  bool open(UtcTime t);
  // Ends the open interval at t. Returns false when none is open.
  bool close(UtcTime t);
  // Adds [start, end) (merged with overlaps); used for pre-scheduled episodes.
  void add(Interval iv);
  // Milliseconds of [from, to) covered.
  std::int64_t covered_ms(UtcTime from, UtcTime to) const;
  const std::vector<Interval>& intervals() const { return v_; }
  bool empty() const { return v_.empty(); }
  // Changes with every modification (for caches of results computed from the set).
  std::uint64_t version() const { return version_; }

 private:
  std::vector<Interval> v_;
  std::uint64_t version_ = 0;
};

struct LossConfig {
  // LT loss of a DT (conductors, service cables, transformer copper): parts per million of the
  // energy its consumers draw.
  std::uint32_t lt_loss_ppm = 45'000;
  // DT core (no-load) loss while energised, per kVA of rating.
  std::uint32_t dt_no_load_w_per_kva = 2;
  // HT loss of a feeder: ppm of the energy its DTs draw.
  std::uint32_t ht_loss_ppm = 30'000;
};

// The network's state over time: supply outages per feeder and DT, theft loads per consumer.
class Grid {
 public:
  Grid(const Topology& topology, LossConfig losses);
  const Topology& topology() const { return *topology_; }
  const LossConfig& losses() const { return losses_; }

  // Attaches each meter: consumers get a source that knows outages; DT and feeder meters one
  // that sums downstream. `epoch` is the fleet's start: outages and theft exist from then on,
  // and the cumulative functions below are counted from it (negative before it).
  // REQUIRES: meters.size() == topology.meters.size(); the meters outlive the grid and are
  // not moved afterwards.
  void attach(std::vector<meter::SimulatedMeter*> meters, UtcTime epoch);

  IntervalSet& feeder_outages(std::uint32_t feeder) { return feeder_out_[feeder]; }
  IntervalSet& dt_outages(std::uint32_t dt) { return dt_out_[dt]; }
  const IntervalSet& feeder_outages(std::uint32_t feeder) const { return feeder_out_[feeder]; }
  const IntervalSet& dt_outages(std::uint32_t dt) const { return dt_out_[dt]; }
  // True when meter `m` has supply at t (its feeder and DT are up).
  bool supplied(std::uint32_t m, UtcTime t) const;
  // Milliseconds of [from, to) during which meter m had supply.
  std::int64_t supplied_ms(std::uint32_t m, UtcTime from, UtcTime to) const;
  // True when meter m has power to run and communicate: supplied, or a feeder meter (powered
  // from the substation bus, it stays up when its feeder trips).
  bool powered(std::uint32_t m, UtcTime t) const;

  // Theft by consumer `m`: an unmetered load of `watts` from `start` (until stop_theft).
  void start_theft(std::uint32_t m, UtcTime start, std::uint32_t watts);
  void stop_theft(std::uint32_t m, UtcTime end);
  bool stealing(std::uint32_t m, UtcTime t) const;

  // ---- the truth (milli-watt-hours, true time) --------------------------------------------
  // Energy the consumer really drew over [from, to): what its meter recorded plus theft.
  std::int64_t consumer_true_mwh(std::uint32_t m, UtcTime from, UtcTime to) const;
  // Energy the meter recorded over [from, to) (any kind of meter).
  std::int64_t recorded_mwh(std::uint32_t m, UtcTime from, UtcTime to) const;
  // Unmetered theft energy of consumer m over [from, to).
  std::int64_t theft_mwh(std::uint32_t m, UtcTime from, UtcTime to) const;
  // Cumulative functions behind DT and feeder meters (see top of file).
  meter::Energy dt_cumulative(std::uint32_t dt, UtcTime t) const;
  meter::Energy feeder_cumulative(std::uint32_t feeder, UtcTime t) const;

  // Time from which truths are counted (the fleet's start).
  UtcTime epoch() const { return epoch_; }

 private:
  // Theft energy numerator (W x ms) over [epoch, t), gated by supply.
  std::int64_t theft_wms(std::uint32_t m, UtcTime t) const;
  // Recorded energy of consumer m over [epoch, t) in milli-units.
  meter::Energy consumer_recorded_cum(std::uint32_t m, UtcTime t) const;

  const Topology* topology_;
  LossConfig losses_;
  std::vector<IntervalSet> feeder_out_;
  std::vector<IntervalSet> dt_out_;
  struct Theft {
    Interval when;
    std::uint32_t watts = 0;
    // Once ended: its whole supplied W x ms, valid while the outage sets have these versions.
    mutable std::optional<std::int64_t> settled_wms;
    mutable std::uint64_t feeder_version = 0;
    mutable std::uint64_t dt_version = 0;
  };
  std::vector<std::vector<Theft>> theft_;  // per meter (empty for most)
  std::vector<meter::SimulatedMeter*> meters_;
  std::vector<meter::Energy> baseline_;  // each meter's cumulative at epoch_
  std::vector<std::unique_ptr<meter::EnergySource>> sources_;
  UtcTime epoch_;
};

}  // namespace vidyut::fleet
