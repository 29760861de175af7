// Grid: what flows where in a simulated utility network, as pure functions of time.
//
// The simulator never stores interval energy. A consumer's meter records its load model while
// the supply is on and its relay closed; theft adds load that bypasses the meter; a DT meter
// sees its consumers' true energy, any hook on its LT network, and LT losses; a feeder meter
// sees its DTs plus HT losses. Every quantity is an exact integer function of time with
// telescoping sums, so that for any interval [a, b):
//     DT(a, b)     = sum over its consumers of true(a, b) + hook(a, b) + LT loss(a, b)
//     feeder(a, b) = sum over its DTs of DT(a, b) + HT loss(a, b)
// hold to the milli-watt-hour (tests pin both down).
//
// Three kinds of theft, none of which the grid reports as an event (the fleet adds tamper events
// for the first only):
//   - a consumer's unmetered load (start_theft): watts hooked ahead of his meter;
//   - a silent partial bypass (start_silent_bypass): a share of the consumer's own load model
//     routed around his meter; the meter records the rest;
//   - a hook on a DT's LT network (start_hook): watts no consumer meter sees, only the DT meter.
// All three draw only while their DT has supply, and go on while the consumer's relay is open
// (the stolen load is wired ahead of the meter). LT loss (lt_loss_ppm) applies to all of it: a
// hook's current flows through the same LT conductors as the consumers'.
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
  // REQUIRES (all start_/stop_ calls): `start` / `end` is the present or the future.
  void start_theft(std::uint32_t m, UtcTime start, std::uint32_t watts);
  void stop_theft(std::uint32_t m, UtcTime end);
  bool stealing(std::uint32_t m, UtcTime t) const;

  // Hook on DT `dt`'s LT network: an unmetered load of `watts` from `start` (until stop_hook),
  // drawn while the DT has supply. Only the DT meter (and the feeder's) sees it.
  void start_hook(std::uint32_t dt, UtcTime start, std::uint32_t watts);
  void stop_hook(std::uint32_t dt, UtcTime end);
  bool hooked(std::uint32_t dt, UtcTime t) const;

  // Silent partial bypass by consumer `m` from `start` (until stop_silent_bypass): share_ppm
  // (1 .. 1,000,000) of his load model's energy flows around the meter. Per 5-minute load slot
  // the bypassed part is floor(slot energy x share_ppm / 10^6), partial slots as floored prefixes
  // (meter::sliced_energy), so it telescopes; the meter records the load model minus that.
  void start_silent_bypass(std::uint32_t m, UtcTime start, std::uint32_t share_ppm);
  void stop_silent_bypass(std::uint32_t m, UtcTime end);
  // The share in force at t (0: none).
  std::uint32_t bypass_share_ppm(std::uint32_t m, UtcTime t) const;
  bool bypassing(std::uint32_t m, UtcTime t) const { return bypass_share_ppm(m, t) > 0; }

  // What flows through consumer m's measuring point over [from, to) with the relay closed: its
  // load model while supplied, less a silently bypassed share. Exactly additive.
  meter::Energy metered_supply(std::uint32_t m, UtcTime from, UtcTime to) const;
  // The electrical state the consumer's meter sees during `slot` (dead while unsupplied; power
  // and current reduced by a bypass in force at the slot's start).
  meter::LoadSample metered_sample(std::uint32_t m, std::int64_t slot) const;

  // ---- the truth (milli-watt-hours, true time) --------------------------------------------
  // Energy the consumer really drew over [from, to): what its meter recorded plus theft.
  std::int64_t consumer_true_mwh(std::uint32_t m, UtcTime from, UtcTime to) const;
  // Energy the meter recorded over [from, to) (any kind of meter).
  std::int64_t recorded_mwh(std::uint32_t m, UtcTime from, UtcTime to) const;
  // Theft energy of consumer m over [from, to): unmetered load plus silently bypassed energy.
  std::int64_t theft_mwh(std::uint32_t m, UtcTime from, UtcTime to) const;
  // The silently bypassed part of theft_mwh alone.
  std::int64_t bypass_mwh(std::uint32_t m, UtcTime from, UtcTime to) const;
  // Energy drawn by hooks on DT dt's LT network over [from, to) (before LT loss).
  std::int64_t hook_mwh(std::uint32_t dt, UtcTime from, UtcTime to) const;
  // Cumulative functions behind DT and feeder meters (see top of file).
  meter::Energy dt_cumulative(std::uint32_t dt, UtcTime t) const;
  meter::Energy feeder_cumulative(std::uint32_t feeder, UtcTime t) const;

  // Time from which truths are counted (the fleet's start).
  UtcTime epoch() const { return epoch_; }

 private:
  // An unmetered load of constant watts (a consumer's theft, a hook on a DT).
  struct Theft {
    Interval when;
    std::uint32_t watts = 0;
    // Once ended: its whole supplied W x ms, valid while the outage sets have these versions.
    mutable std::optional<std::int64_t> settled_wms;
    mutable std::uint64_t feeder_version = 0;
    mutable std::uint64_t dt_version = 0;
  };
  struct Bypass {
    Interval when;
    std::uint32_t share_ppm = 0;
    // Bypassed energy over [max(start, epoch), cache_at) at share_ppm: a point to walk from, so
    // that an ascending sweep costs the slots it advances, not the whole episode. It may lie in
    // the future (someone asked ahead); valid while the outage sets have these versions.
    mutable std::optional<std::pair<UtcTime, meter::Energy>> cache;
    mutable std::uint64_t feeder_version = 0;
    mutable std::uint64_t dt_version = 0;
  };

  // The outage sets that gate meter m's supply (its feeder's, its DT's or an empty one).
  const IntervalSet& feeder_set_of(std::uint32_t m) const;
  const IntervalSet& dt_set_of(std::uint32_t m) const;
  // Supplied W x ms of the loads in v over [epoch, t), supply gated by fo and dto.
  std::int64_t loads_wms(const std::vector<Theft>& v, const IntervalSet& fo, const IntervalSet& dto,
                         UtcTime t) const;
  // Theft energy numerator (W x ms) over [epoch, t), gated by supply.
  std::int64_t theft_wms(std::uint32_t m, UtcTime t) const;
  std::int64_t hook_wms(std::uint32_t dt, UtcTime t) const;
  // Bypassed energy of consumer m over [epoch, t) in milli-units.
  meter::Energy bypass_cum(std::uint32_t m, UtcTime t) const;
  // Bypassed energy at `share_ppm` over the supplied parts of [from, to).
  meter::Energy bypassed(std::uint32_t m, std::uint32_t share_ppm, UtcTime from, UtcTime to) const;
  // Calls fn(x, y) for each piece [x, y) of [from, to) during which meter m has supply, cut at
  // every outage boundary of its feeder and DT (and at `extra` boundaries).
  template <class Fn>
  void for_each_supplied(std::uint32_t m, UtcTime from, UtcTime to,
                         const std::vector<UtcTime>& extra, Fn&& fn) const;
  // Recorded energy of consumer m over [epoch, t) in milli-units.
  meter::Energy consumer_recorded_cum(std::uint32_t m, UtcTime t) const;

  const Topology* topology_;
  LossConfig losses_;
  std::vector<IntervalSet> feeder_out_;
  std::vector<IntervalSet> dt_out_;
  std::vector<std::vector<Theft>> theft_;    // per meter (empty for most)
  std::vector<std::vector<Theft>> hooks_;    // per DT (empty for most)
  std::vector<std::vector<Bypass>> bypass_;  // per meter (empty for most)
  std::vector<meter::SimulatedMeter*> meters_;
  std::vector<meter::Energy> baseline_;  // each meter's cumulative at epoch_
  std::vector<std::unique_ptr<meter::EnergySource>> sources_;
  UtcTime epoch_;
};

}  // namespace vidyut::fleet
