// A consumer's consumption as people read it (docs/mdm.md, "Consumption series"): the validated
// 15-minute data of a meter summed into 15-minute, hourly, daily or monthly buckets of the IST
// calendar, each with how many of its intervals were estimated (or edited) and how many are still
// missing. What the portal's graphs and the control room's consumer page show.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"
#include "tariff/calendar.h"

namespace vidyut::mdm {

class VeeBook;

enum class Resolution : std::uint8_t { k15Min, kHour, kDay, kMonth };
// "15m", "hour", "day", "month"; nullopt for another text.
std::optional<Resolution> resolution_from_string(const std::string& text);
const char* to_string(Resolution r);

// Most buckets one call returns (a year of days, a day of 15-minute intervals ... ).
inline constexpr std::size_t kMaxUsageBuckets = 3'000;

struct UsageBucket {
  UtcTime start{};
  std::string label;  // IST: "2026-12-07 18:15", "2026-12-07 18:00", "2026-12-07", "2026-12"
  std::int64_t import_wh = 0;
  std::int64_t export_wh = 0;
  std::uint32_t intervals = 0;  // with a value (actual or estimated)
  std::uint32_t estimated = 0;  // of those, estimated or edited by an operator
  std::uint32_t missing = 0;    // no value yet
};

struct UsageSeries {
  Resolution resolution = Resolution::kDay;
  std::vector<UsageBucket> buckets;
  std::int64_t import_wh = 0;  // totals of the buckets
  std::int64_t export_wh = 0;
  std::uint32_t estimated = 0;
  std::uint32_t missing = 0;
};

// The meter's series over IST days [from, to] (inclusive), cut at `now` (intervals that have
// not ended yet are neither values nor missing). `vee` may be null: then the store's readings
// alone, nothing estimated. kInvalidArgument for to < from or more than kMaxUsageBuckets.
Result<UsageSeries> usage_series(store::Store& store, VeeBook* vee, std::int64_t meter_id,
                                 tariff::CivilDate from, tariff::CivilDate to, Resolution r,
                                 UtcTime now);

}  // namespace vidyut::mdm
