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
//   register-sum   the day's intervals (all actual) sum to more than register_tolerance away from
//                  the meter's own daily register (its midnight readings): every interval flagged
//   conflicting    the meter sent another value for the interval than the one stored (the store
//                  keeps the first and records the other, store.h kConflictAlertKind): flagged
//   register-decrease  the daily register at the day's end is below the one at its start: every
//                  interval flagged, kept
//   clock          a reading stamped off the interval grid by more than clock_tolerance_s, or
//                  ending after `now` + clock_tolerance_s (the meter's clock runs ahead): flagged,
//                  not used (estimated instead); within the tolerance it counts for its interval
// Estimation fills what is missing or invalid (gap, negative):
//   linear         a run of at most max_linear_intervals (2 hours) between two actual readings,
//                  neither of them in a power failure: straight line between them
//   like-day       otherwise: the mean of the same interval on the similar days given (up to
//                  like_days of them), when any has it
//   none           inside a span without supply (an outage: no estimation there), or no basis
//   When the meter's daily register is known, the day's estimates are scaled so that the day
//   adds up to it (what the register counted beyond the actual readings, shared in proportion).
// Editing: an operator's value for an interval (`edits`) wins over the reading and any estimate;
// it carries kVeeEdited and the method "edit".
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
  kVeeRegisterSum = 1u << 6,
  kVeeClock = 1u << 7,
  kVeeEstimated = 1u << 8,
  kVeeEdited = 1u << 9,
  kVeeConflict = 1u << 10,
  kVeeRegisterDecrease = 1u << 11,
};
// "gap", "negative", "spike", "zero-supplied", "power-failure", "export", "register-sum",
// "clock", "estimated", "edited", "conflicting", "register-decrease".
std::string vee_flag_names(std::uint32_t flags);

struct VeeRules {
  bool gap = true;
  bool negative = true;
  bool spike = true;
  bool zero_supplied = true;
  bool power_failure = true;
  bool export_without_net_metering = true;
  bool register_sum = true;
  bool clock = true;
  bool conflicting = true;
  bool register_decrease = true;
  // Register-sum tolerance: the larger of these (a register read in whole kWh rounds).
  std::int64_t register_tolerance_wh = 10;
  double register_tolerance_fraction = 0.01;
  std::int64_t clock_tolerance_s = 300;
  double spike_ratio = 4.0;
  std::int64_t spike_floor_wh = 100;
  std::size_t max_linear_intervals = 8;  // 2 hours of 15 minutes
  std::size_t like_days = 3;
};

enum class VeeMethod : std::uint8_t { kActual, kLinear, kLikeDay, kNone, kEdited };
const char* to_string(VeeMethod m);  // "actual", "linear", "like-day", "none", "edit"
std::optional<VeeMethod> vee_method_of(std::string_view name);

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
  std::size_t actual = 0, linear = 0, like_day = 0, unestimated = 0, edited = 0;
  std::optional<std::int64_t> register_wh;  // the daily register's count for the day, if known
  bool register_mismatch = false;           // register-sum rule failed
  std::size_t flagged(std::uint32_t flag) const;
  std::size_t estimated() const { return linear + like_day; }
  // Validated energy of the day (actual, estimates and edits).
  std::int64_t wh() const;
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
  // The meter's daily register over the day (reading at the day's end minus at its start), when
  // both are known and `intervals` covers the whole day.
  std::optional<std::int64_t> register_wh;
  // Validation time, for the clock rule (epoch: no check for readings from the future).
  UtcTime now{};
  // Operators' edits: interval start -> validated Wh.
  std::vector<std::pair<UtcTime, std::int64_t>> edits;
  // Intervals for which the meter sent a conflicting value (their starts).
  std::vector<UtcTime> conflicts;
  // The daily register went down over the day.
  bool register_decreased = false;
};

VeeDay validate_day(const VeeInput& in, const VeeRules& rules = {});

class VeeBook;

// Validates every consumer meter of the network (or only `only`, a meter id) for the IST day
// starting at `day`, from the store: its rows; its daily register at the day's two midnights
// (the daily load profile's rows); like days = the same weekday one, two and three weeks before,
// then the nearest earlier days of the same kind (Sunday or not), read only when a gap needs
// them; no supply = its DT's spans without supply (outage.h); relay open = between its succeeded
// disconnect and connect commands; the operators' edits from `book` when given.
struct VeeReport {
  UtcTime day;
  std::vector<VeeDay> meters;
  std::size_t intervals = 0, actual = 0, linear = 0, like_day = 0, unestimated = 0, edited = 0;
  std::size_t register_known = 0, register_mismatches = 0;  // meters
  std::size_t flagged(std::uint32_t flag) const;
};
Result<VeeReport> vee_from_store(store::Store& store, const Network& network, UtcTime day,
                                 const VeeRules& rules = {}, std::int64_t only = 0,
                                 VeeBook* book = nullptr);

// The continuous VEE (docs/mdm.md, "Validated data"): validates and keeps in `book` the days
// from `days_back` IST days before now's to today, up to the last interval that ended `settle`
// before now. A day is validated for every consumer once it has closed; before and after that,
// only meters with intervals missing and meters with estimates or gaps on record (so that an
// estimate is replaced once its reading arrives, and a gap estimated once its other end has).
struct VeeRunOptions {
  VeeRules rules;
  int days_back = 3;
  Millis settle{30 * 60'000};
  std::int32_t period_s = 900;
};
// What one validation changed in the book (vee_book.h).
struct VeeApplied {
  std::size_t estimated = 0, re_estimated = 0, replaced = 0, flagged = 0, cleared = 0;
  std::size_t changes() const { return estimated + re_estimated + replaced + flagged + cleared; }
  void add(const VeeApplied& o);
};

struct VeeRunStats {
  std::size_t days = 0, meters = 0, intervals = 0, register_mismatches = 0;
  VeeApplied applied;
};
Result<VeeRunStats> run_vee(store::Store& store, const Network& network, VeeBook& book, UtcTime now,
                            const VeeRunOptions& options = {});

}  // namespace vidyut::mdm
