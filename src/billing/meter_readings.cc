#include "billing/meter_readings.h"

#include <cstdlib>

#include "dlms/axdr/data.h"

namespace vidyut::billing {

Result<MeterReading> reading_of(const store::ProfileRow& row) {
  VIDYUT_TRY(value, dlms::axdr::decode_all(row.data));
  const auto* cols = value->as_list();
  if (cols == nullptr || cols->size() <= kBillingImportColumn) {
    return Error(Errc::kMalformed, "billing profile row: not a structure with an import register");
  }
  const auto wh = cols->at(kBillingImportColumn).as_int();
  if (!wh || *wh < 0) {
    return Error(Errc::kMalformed, "billing profile row: the import register is not a count");
  }
  return MeterReading{row.captured, *wh};
}

Result<std::optional<MeterReading>> reading_near(store::Store& store, std::int64_t meter_id,
                                                 UtcTime at) {
  const auto window = std::chrono::hours(36);
  VIDYUT_TRY(rows, store.profile_rows(meter_id, "billing", at - window, at + window));
  std::optional<MeterReading> best;
  for (const auto& r : *rows) {
    auto reading = reading_of(r);
    if (!reading.ok()) continue;
    if (!best ||
        std::llabs((reading->captured - at).count()) < std::llabs((best->captured - at).count())) {
      best = *reading;
    }
  }
  return best;
}

}  // namespace vidyut::billing
