// Tariffs: versioned price lists and the bill they make of a month's consumption.
//
// Pure functions over values: no clock, no files (tariff_file.h loads the JSON form), no storage.
// Money is integer paise (Paise); energy is integer watt-hours; rates are paise per kWh;
// percentages are basis points (1 bp = 0.01 %). The rounding rules are in docs/tariffs.md and
// are the only place amounts are rounded: every bill line is computed exactly (in 1/1000 paise
// or finer, with 128-bit intermediates) and rounded once to whole paise, half away from zero.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tariff/calendar.h"

namespace vidyut::tariff {

using Paise = std::int64_t;

// One telescopic slab: the month's units from the previous slab's bound up to `upto_wh`
// (0 = no upper bound; only the last slab) are priced at `rate_paise_per_kwh`.
struct Slab {
  std::int64_t upto_wh = 0;
  std::int64_t rate_paise_per_kwh = 0;
  bool operator==(const Slab&) const = default;
};

// A time-of-day block: IST minutes of the day [start_minute, end_minute), wrapping past
// midnight when end <= start. Energy in the block is priced at multiplier_bp / 10,000 of the
// slab energy rate (13,000 = +30 %, 7,500 = -25 %). Minutes in no block are "normal" (x1).
struct TodBlock {
  std::string name;  // "peak", "solar", "off-peak"
  int start_minute = 0;
  int end_minute = 0;
  std::int32_t multiplier_bp = 10'000;
  bool operator==(const TodBlock&) const = default;
};

// ToD blocks that apply in some calendar months (1-12) of the year.
struct TodSeason {
  std::string name;  // "summer", "winter"
  std::vector<int> months;
  std::vector<TodBlock> blocks;
  bool operator==(const TodSeason&) const = default;
};

// One version of a tariff, in force from `effective_from` (an IST date) until the next version.
struct TariffVersion {
  CivilDate effective_from;
  std::string order;        // the regulator's order it comes from, for the bill's footnote
  std::vector<Slab> slabs;  // >= 1; bounds strictly increasing; last one unbounded
  Paise fixed_paise_per_kw_month = 0;  // per kW of sanctioned load, prorated by days billed
  std::int32_t duty_bp = 0;            // electricity duty on energy (with ToD) + fixed charge
  std::int32_t prepaid_rebate_bp = 0;  // rebate on energy (with ToD) + fixed, prepaid only
  // Penalty for exceeding the sanctioned load: per kW of the month's highest 15-minute demand
  // above the sanctioned load (0 = none).
  Paise excess_demand_paise_per_kw = 0;
  std::vector<TodSeason> tod;  // empty: no time-of-day pricing
  bool operator==(const TariffVersion&) const = default;
};

// A tariff: one consumer category's versions, oldest first.
struct Tariff {
  std::string code;      // "UP-LMV1-URBAN"
  std::string name;      // "UP urban domestic (LMV-1)"
  std::string category;  // registry category it applies to, e.g. "domestic"
  std::string utility;   // "UPPCL"
  std::vector<TariffVersion> versions;
  // Provenance and confidence of the figures, for operators (the tariff file's "notes").
  std::string notes;

  // The version in force on `day`, or nullptr before the first one.
  const TariffVersion* version_at(CivilDate day) const;
  bool operator==(const Tariff&) const = default;
};

// Limits validate() and compute_bill() enforce. They bound every product the bill computes
// well inside 128 bits (the largest, a ToD line, stays below 10^35) and are far beyond any real
// tariff or consumer, so hitting one means a unit mix-up (paise for rupees, Wh for kWh).
inline constexpr std::int64_t kMaxRatePaisePerKwh = 1'000'000;    // Rs 10,000 per kWh
inline constexpr Paise kMaxFixedPaisePerKwMonth = 100'000'000;    // Rs 10 lakh per kW-month
inline constexpr Paise kMaxExcessDemandPaisePerKw = 100'000'000;  // Rs 10 lakh per kW
inline constexpr std::int32_t kMaxPercentBp = 10'000;             // duty and rebate: 100 %
inline constexpr std::int32_t kMaxMultiplierBp = 100'000;         // ToD: 10x
inline constexpr std::int64_t kMaxUsageWh = 1'000'000'000'000;    // 1 TWh in a month
inline constexpr std::int64_t kMaxDemandW = 1'000'000'000'000;    // 1 TW

// Checks a tariff's invariants (slab bounds increasing, last slab unbounded, rates and bp in
// range, ToD blocks inside the day and not overlapping within a season, a month in at most one
// season, versions strictly increasing by date). kInvalidArgument with the first problem.
// Also required: a non-empty code, at least one version, a real effective_from date, named
// seasons with at least one month, named blocks with start != end (end may be 1440 = 24:00),
// and the limits below.
Status validate(const Tariff& tariff);
// The same checks for one version on its own (everything but the order of versions).
Status validate_version(const TariffVersion& version);

// The index of the season of `version` covering calendar month `month` (1-12), or -1.
int tod_season(const TariffVersion& version, int month);

// Which ToD block of `version` an interval starting at `start` (UTC) falls in: an index into the
// season's blocks, or -1 for normal time or no ToD. `season` receives the season index (or -1).
int tod_block(const TariffVersion& version, UtcTime start, int* season = nullptr);

// A month's consumption as the bill needs it.
struct Usage {
  std::int64_t wh = 0;  // energy imported in the period
  // Of `wh`, the energy in each ToD block of the month's season (indexed like
  // TodSeason::blocks; empty or all zero when the tariff has no ToD). Sum <= wh.
  std::vector<std::int64_t> wh_by_block;
  std::int64_t max_demand_w = 0;  // highest 15-minute average demand (interval Wh x 4)
  std::uint32_t sanctioned_load_w = 0;
  int days_billed = 0;    // days of the month covered (prorates the fixed charge)
  int days_in_month = 0;  // 28-31
  int month = 1;          // calendar month (1-12) of the period: selects the ToD season
};

enum class LineKind : std::uint8_t {
  kEnergy = 0,  // one line per slab used
  kTod = 1,     // one line per ToD block with energy (surcharge > 0, rebate < 0)
  kFixed = 2,
  kPenalty = 3,  // excess demand
  kRebate = 4,   // prepaid rebate (negative)
  kDuty = 5,
};
const char* to_string(LineKind k);  // "energy", "tod", "fixed", "penalty", "rebate", "duty"

// One line of a bill, with the figures behind it so a reader can check it by hand.
struct BillLine {
  LineKind kind = LineKind::kEnergy;
  std::string label;          // "Energy 101-150 kWh", "ToD peak (+30%)", "Electricity duty 5%"
  std::int64_t quantity = 0;  // Wh for energy/ToD, W for fixed/penalty, paise base for %
  std::string basis;          // e.g. "50.000 kWh x Rs 5.50", "2 kW x Rs 110.00 x 30/30 days"
  Paise amount = 0;           // rounded, half away from zero
};

struct Bill {
  std::vector<BillLine> lines;
  Paise energy = 0;  // sum of kEnergy + kTod lines
  Paise fixed = 0;
  Paise penalty = 0;
  Paise rebate = 0;  // <= 0
  Paise duty = 0;
  Paise total = 0;  // sum of all lines
};

enum class PaymentMode : std::uint8_t { kPrepaid = 0, kPostpaid = 1 };
const char* to_string(PaymentMode m);  // "prepaid", "postpaid"

// The bill of `usage` under `version`. Order and rules (docs/tariffs.md):
//   energy  = telescopic slabs on usage.wh, one line per slab, each rounded;
//   ToD     = for each block b with energy: E x (wh_b / wh) x (multiplier_b - 1), where E is the
//             unrounded slab energy charge; one line per block, each rounded;
//   fixed   = fixed rate x sanctioned kW x days_billed / days_in_month, rounded;
//   penalty = excess rate x max(0, max demand - sanctioned load) in kW, rounded;
//   rebate  = -(rebate bp) x (energy + ToD + fixed) lines, prepaid only, rounded;
//   duty    = duty bp x (energy + ToD + fixed) lines, rounded;
//   total   = the sum of the rounded lines.
// kInvalidArgument for negative usage, wh_by_block larger than the season's blocks or summing
// above wh, days_billed outside 0..days_in_month, or a month outside 1-12.
// Also kInvalidArgument for a version validate() would reject, days_in_month outside 28-31,
// negative max demand, or usage beyond kMaxUsageWh / kMaxDemandW. Entries of wh_by_block past
// the season's blocks are accepted only when zero (a no-ToD month may pass a zero vector).
Result<Bill> compute_bill(const TariffVersion& version, const Usage& usage, PaymentMode mode);

// Formatting shared by bill lines, the CLI and the bill document.
// Energy (Wh) as kWh with three decimals: 100001 -> "100.001"; -1500 -> "-1.500".
std::string format_kwh(std::int64_t wh);
// Basis points as a percentage, without trailing zeros: 500 -> "5%", 250 -> "2.5%",
// 1234 -> "12.34%"; with `sign`, a '+' before positive values ("+30%").
std::string format_percent_bp(std::int64_t bp, bool sign = false);
// The ToD effect of a multiplier: 13,000 -> "+30%", 7,500 -> "-25%", 10,000 -> "+0%".
std::string format_multiplier_bp(std::int32_t multiplier_bp);
// IST minute of the day as "HH:MM" (1440 -> "24:00").
std::string format_hhmm(int minute);

// 128-bit integers for exact intermediates (a GCC/clang extension; __extension__ keeps
// -Wpedantic quiet in every file that includes this header).
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

// Rounds value / divisor to the nearest integer, half away from zero. REQUIRES divisor > 0.
std::int64_t round_div(Int128 value, Int128 divisor);  // Int128 is __int128

// "Rs 1,234.56" (Indian digit grouping: "Rs 1,23,456.78"); negative as "-Rs 12.00".
std::string format_rupees(Paise amount);

}  // namespace vidyut::tariff
