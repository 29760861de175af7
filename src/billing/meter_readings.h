// The meter's own monthly readings: the cumulative import register that the IS 15959 billing
// profile captures at each billing date, as the head end stores the rows (store::ProfileRow,
// profile "billing"). A month's consumption from two consecutive readings is what a postpaid bill
// shows as previous and present reading; it includes energy of intervals that never reached the
// head end.
#pragma once

#include <cstdint>
#include <optional>

#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace vidyut::billing {

// Column of the cumulative kWh import register in the IS 15959 billing profile (single-phase
// and three-phase): billing date, average power factor, kWh import, ... (dlms/cosem/is15959.cc).
inline constexpr std::size_t kBillingImportColumn = 2;

struct MeterReading {
  UtcTime captured{};
  std::int64_t import_wh = 0;
};

// The reading in one billing-profile row (A-XDR structure; the register at scaler 0, Wh).
// kMalformed when the row is not a structure with an integer in that column.
Result<MeterReading> reading_of(const store::ProfileRow& row);

// The reading captured nearest to `at` within +-36 hours (a meter clock a day off still counts),
// or nullopt. kIo from the store.
Result<std::optional<MeterReading>> reading_near(store::Store& store, std::int64_t meter_id,
                                                 UtcTime at);

}  // namespace vidyut::billing
