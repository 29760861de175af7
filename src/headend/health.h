// Communication health from the store: per-meter last contact and active SIM, and the fleet
// KPI - the share of meters with complete interval data for a day, by operator and by feeder.
// Works on any Store, so the CLI computes it beside a running head end (which keeps the
// store's communication state current within one batch).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace vidyut::headend {

// Daily completeness of interval data, for one group (all meters, an operator or a feeder).
struct Completeness {
  std::string group;
  std::size_t meters = 0;
  std::size_t complete = 0;  // meters with every interval of the day
  std::uint64_t intervals = 0;
  std::uint64_t expected = 0;
  double share() const { return meters == 0 ? 0.0 : double(complete) / double(meters); }
};
struct FleetHealth {
  UtcTime day_start{};  // the IST day [day_start, day_start + 1 day), as UTC
  Completeness all;
  std::vector<Completeness> by_operator;
  std::vector<Completeness> by_feeder;
  std::size_t meters_never_seen = 0;
  std::size_t meters_silent_24h = 0;  // last contact more than a day before now
};

// Per-meter communication health.
struct MeterHealth {
  store::MeterInfo meter;
  UtcTime last_contact{};
  std::uint8_t active_sim = 0;
  std::string active_operator;
  std::string peer_address;
  // The meter's clock minus the head end's at the last clock check (epoch: never checked).
  std::int64_t clock_drift_ms = 0;
  UtcTime clock_checked{};
  bool connected = false;
  std::uint32_t intervals_today = 0;
  std::uint32_t expected_today = 0;
};

// The IST day [start, start + 1 day) containing `t`, as UTC.
UtcTime ist_day_start(UtcTime t);

// Completeness of the IST day containing `day` (expected: 86,400 / period_s intervals per meter),
// by the operator of each meter's active SIM (as the meter reported it; else the registry's
// operator of that SIM, SIM 1's when unknown) and by feeder.
Result<FleetHealth> fleet_health(store::Store& store, UtcTime day, std::int32_t period_s,
                                 UtcTime now);
// One meter's health; `connected` is left false (only a running head end knows it).
Result<MeterHealth> meter_health(store::Store& store, std::string_view serial,
                                 std::int32_t period_s, UtcTime now);

}  // namespace vidyut::headend
