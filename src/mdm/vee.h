// Validation and estimation (VEE) of one meter's intervals over one day (docs/mdm.md, "Validation
// and estimation"). Pure: the caller gives the day's stored intervals, the same meter's intervals
// on similar days before, and the spans without supply and with the relay open.
//
// Validation rules, each leaving its own flag (configurable per utility in VeeRules):
//   gap            no reading for the interval
//   negative       a negative import or export
//   spike          the day's highest interval above spike_ratio x its third-highest (and above
//                  spike_floor_wh): flagged, kept
//   zero-supplied  zero import while the meter had supply and its relay was closed: flagged, kept
//   power-failure  the interval overlaps a span without supply (its reading may be partial)
//   export         export by a consumer without net metering: flagged, kept
// Estimation fills what is missing or invalid (gap, negative):
//   linear         a run of at most max_linear_intervals (2 hours) between two actual readings,
//                  neither of them in a power failure: straight line between them
//   like-day       otherwise: the mean of the same interval on the similar days given (up to
//                  like_days of them), when any has it
//   none           inside a span without supply (an outage: no estimation there), or no basis
// Every estimate carries the kEstimated flag and its method; an actual reading always wins (a
// reading that arrives later replaces the estimate when the day is validated again).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "mdm/network.h"
#include "mdm/outage.h"
#include "store/store.h"

namespace vidyut::mdm {

enum VeeFlag : std::uint32_t {
  kVeeGap = 1u << 0,
  kVeeNegative = 1u << 1,
  kVeeSpike = 1u << 2,
  kVeeZeroSupplied = 1u << 3,
  kVeePowerFailure = 1u << 4,
  kVeeExport = 1u << 5,
  kVeeEstimated = 1u << 8,
};
// "gap", "negative", "spike", "zero-supplied", "power-failure", "export", "estimated".
std::string vee_flag_names(std::uint32_t flags);

struct VeeRules {
  bool gap = true;
  bool negative = true;
  bool spike = true;
  bool zero_supplied = true;
  bool power_failure = true;
  bool export_without_net_metering = true;
  double spike_ratio = 4.0;
  std::int64_t spike_floor_wh = 100;
  std::size_t max_linear_intervals = 8;  // 2 hours of 15 minutes
  std::size_t like_days = 3;
};

enum class VeeMethod : std::uint8_t { kActual, kLinear, kLikeDay, kNone };
const char* to_string(VeeMethod m);  // "actual", "linear", "like-day", "none"

struct VeeInterval {
  UtcTime start;
  std::optional<std::int64_t> raw_wh;  // import as stored
  std::int64_t wh = 0;                 // validated: actual or estimate (0 with kNone)
  std::uint32_t flags = 0;
  VeeMethod method = VeeMethod::kActual;
};

struct VeeDay {
  std::int64_t meter_id = 0;
  std::vector<VeeInterval> intervals;  // every interval of the day, in order
  std::size_t actual = 0, linear = 0, like_day = 0, unestimated = 0;
  std::size_t flagged(std::uint32_t flag) const;
};

struct VeeInput {
  std::int64_t meter_id = 0;
  UtcTime day;  // the first interval's start
  std::size_t intervals = 96;
  std::int32_t period_s = 900;
  std::vector<store::IntervalReading> rows;  // the day's (any order; others ignored)
  // The same meter on similar days before, nearest first: each day's first interval start and
  // its rows.
  struct LikeDay {
    UtcTime day;
    std::vector<store::IntervalReading> rows;
  };
  std::vector<LikeDay> like_days;
  std::vector<OffSpan> no_supply;   // the meter's (or its DT's) spans without supply
  std::vector<OffSpan> relay_open;  // spans with its relay open (a disconnection)
  bool net_metered = false;
  UtcTime until;  // open spans end here
};

VeeDay validate_day(const VeeInput& in, const VeeRules& rules = {});

// Validates every consumer meter of the network (or only `only`, a meter id) for the IST day
// starting at `day`, from the store: its rows; like days = the same weekday one, two and three
// weeks before; no supply = its DT's spans without supply (outage.h); relay open = between its
// succeeded disconnect and connect commands.
struct VeeReport {
  UtcTime day;
  std::vector<VeeDay> meters;
  std::size_t intervals = 0, actual = 0, linear = 0, like_day = 0, unestimated = 0;
  std::size_t flagged(std::uint32_t flag) const;
};
Result<VeeReport> vee_from_store(store::Store& store, const Network& network, UtcTime day,
                                 const VeeRules& rules = {}, std::int64_t only = 0);

}  // namespace vidyut::mdm
