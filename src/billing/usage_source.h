// Where the billing engine's energy comes from (docs/billing.md, "Validated data"): per-meter
// interval totals over a period. `StoreUsage` sums the head end's actual readings; a deployment
// with the MDM charges its validated data instead (estimates for what is missing, operators'
// edits), through an implementation the CLI wires (cli/billing_service.h), so that billing never
// depends on the MDM. An estimate replaced by its reading changes what this returns, and the
// engine's daily restatement corrects the ledger by the difference.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"
#include "tariff/calendar.h"
#include "tariff/tariff.h"

namespace vidyut::billing {

class UsageSource {
 public:
  virtual ~UsageSource() = default;
  // Per meter: intervals with start in [from, to), their import and export and largest interval,
  // and how many of them are estimates.
  virtual Result<std::vector<store::MeterIntervalSummary>> summary(UtcTime from, UtcTime to) = 0;
};

// The head end's actual readings, as stored.
class StoreUsage final : public UsageSource {
 public:
  explicit StoreUsage(store::Store& store) : store_(store) {}
  Result<std::vector<store::MeterIntervalSummary>> summary(UtcTime from, UtcTime to) override {
    return store_.interval_summary(from, to);
  }

 private:
  store::Store& store_;
};

// The ToD season of a tariff version for a month, or null.
const tariff::TodSeason* season_of(const tariff::TariffVersion& v, int month);

// One IST day of usage, summed per meter and per segment between the ToD block edges of every
// tariff's season that month (so that each segment lies in one block of each tariff), from
// intervals starting before `until`.
struct SegmentRead {
  UtcTime from{};
  std::vector<store::MeterIntervalSummary> rows;
};
using DayRead = std::vector<SegmentRead>;
Result<DayRead> read_day(UsageSource& source, const std::map<std::string, tariff::Tariff>& tariffs,
                         tariff::CivilDate day, UtcTime until);

}  // namespace vidyut::billing
