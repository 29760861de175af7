// Transformer loading (docs/mdm.md, "Transformer loading"): each DT's apparent power per
// interval from its DT meter, against its nameplate rating; overloaded intervals, overload alerts
// and the daily peak.
//
//   apparent power of an interval (kVA) = import VAh of the interval x 3600 / period_s / 1000
//   loading %                           = apparent power / rating x 100
//   overloaded                          = loading above kOverloadPercent (the rating itself)
//
// The rating is the DT meter's sanctioned load in the registry (VA), as the fleet file carries it.
// Pure apart from loading_from_store(), which reads the DT meters' intervals.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "mdm/network.h"
#include "store/store.h"

namespace vidyut::mdm {

inline constexpr double kOverloadPercent = 100.0;

struct LoadingInterval {
  UtcTime start;
  double kva = 0;
  double loading_percent = 0;
};

struct DtLoading {
  std::string dt;
  std::string feeder;
  std::int64_t meter_id = 0;
  std::uint32_t rating_va = 0;
  std::uint32_t intervals = 0;              // with data
  std::uint32_t expected = 0;               // in the period
  LoadingInterval peak;                     // the highest interval (intervals > 0)
  std::vector<LoadingInterval> overloaded;  // above kOverloadPercent, by start
  // Intervals with data, within the rating, right after an overloaded one: where a run ends.
  std::vector<UtcTime> back_within;
  double overloaded_hours(std::int32_t period_s) const {
    return static_cast<double>(overloaded.size()) * period_s / 3600.0;
  }
};

struct LoadingReport {
  UtcTime from;
  UtcTime to;
  std::int32_t period_s = 900;
  std::vector<DtLoading> dts;  // DTs with a meter and a rating, Network::dts order
  std::size_t dts_without_rating = 0;
};

// Loading of one DT from its meter's intervals (any order; those outside [from, to) ignored).
DtLoading dt_loading(const DtNode& dt, const std::string& feeder,
                     const std::vector<store::IntervalReading>& rows, UtcTime from, UtcTime to,
                     std::int32_t period_s = 900);

Result<LoadingReport> loading_from_store(store::Store& store, const Network& network, UtcTime from,
                                         UtcTime to, std::int32_t period_s = 900);

// Overload alerts of a report: for each DT, an alert "overload/dt-overload" (active) at the start
// of each run of overloaded intervals and one (inactive) at the first interval after it, on the
// DT meter. A run already under way at the report's first interval gets no start alert (it began
// before). The store keeps alerts idempotent, so writing the same report twice adds nothing.
std::vector<store::Alert> overload_alerts(const LoadingReport& report, UtcTime received);

}  // namespace vidyut::mdm
