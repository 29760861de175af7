#include "mdm/usage.h"

#include <fmt/format.h>

#include <map>

#include "mdm/vee_book.h"

namespace vidyut::mdm {
namespace {

constexpr std::int64_t kSlotMs = 15 * 60 * 1000;

std::int64_t ms(UtcTime t) { return t.time_since_epoch().count(); }

}  // namespace

std::optional<Resolution> resolution_from_string(const std::string& text) {
  if (text == "15m") return Resolution::k15Min;
  if (text == "hour") return Resolution::kHour;
  if (text == "day") return Resolution::kDay;
  if (text == "month") return Resolution::kMonth;
  return std::nullopt;
}

const char* to_string(Resolution r) {
  switch (r) {
    case Resolution::k15Min:
      return "15m";
    case Resolution::kHour:
      return "hour";
    case Resolution::kDay:
      return "day";
    case Resolution::kMonth:
      return "month";
  }
  return "?";
}

Result<UsageSeries> usage_series(store::Store& store, VeeBook* vee, std::int64_t meter_id,
                                 tariff::CivilDate from, tariff::CivilDate to, Resolution r,
                                 UtcTime now) {
  if (to < from) return Error(Errc::kInvalidArgument, "the period ends before it starts");
  const std::int64_t days = tariff::days_from_civil(to) - tariff::days_from_civil(from) + 1;
  const std::int64_t buckets = r == Resolution::k15Min  ? days * 96
                               : r == Resolution::kHour ? days * 24
                               : r == Resolution::kDay  ? days
                                                        : (days + 27) / 28 + 1;
  if (buckets > static_cast<std::int64_t>(kMaxUsageBuckets) || days > 3 * 366) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("the period holds more than {} {} buckets; choose a coarser "
                             "resolution or a shorter period",
                             kMaxUsageBuckets, to_string(r)));
  }
  const UtcTime begin = tariff::ist_midnight(from);
  const UtcTime end = tariff::ist_midnight(tariff::add_days(to, 1));
  VIDYUT_TRY(rows, store.intervals(meter_id, begin, end));
  std::map<std::int64_t, const store::IntervalReading*> reading;
  for (const auto& row : *rows) reading[ms(row.start)] = &row;
  std::map<std::int64_t, VeeRecord> records;
  if (vee != nullptr) {
    VIDYUT_TRY(recs, vee->records(meter_id, begin, end));
    for (auto& rec : *recs) records[ms(rec.start)] = rec;
  }

  UsageSeries out;
  out.resolution = r;
  std::map<std::string, std::size_t> index;  // label -> bucket
  for (std::int64_t t = ms(begin); t < ms(end); t += kSlotMs) {
    const UtcTime slot{Millis(t)};
    if (t + kSlotMs > ms(now)) break;  // not over yet
    const tariff::CivilDate day = tariff::ist_date(slot);
    const int minute = tariff::ist_minute_of_day(slot);
    std::string label;
    UtcTime bucket_start = slot;
    switch (r) {
      case Resolution::k15Min:
        label = fmt::format("{} {:02}:{:02}", tariff::to_string(day), minute / 60, minute % 60);
        break;
      case Resolution::kHour:
        label = fmt::format("{} {:02}:00", tariff::to_string(day), minute / 60);
        bucket_start = slot - Millis(static_cast<std::int64_t>(minute % 60) * 60'000);
        break;
      case Resolution::kDay:
        label = tariff::to_string(day);
        bucket_start = tariff::ist_midnight(day);
        break;
      case Resolution::kMonth:
        label = tariff::to_string(tariff::month_of(day));
        bucket_start =
            tariff::ist_midnight(std::max(from, tariff::first_day(tariff::month_of(day))));
        break;
    }
    auto [it, fresh] = index.emplace(label, out.buckets.size());
    if (fresh) {
      UsageBucket b;
      b.start = bucket_start;
      b.label = label;
      out.buckets.push_back(b);
    }
    UsageBucket& b = out.buckets[it->second];
    // What billing charges: an operator's edit, else the meter's reading, else the estimate.
    const auto rec = records.find(t);
    const auto got = reading.find(t);
    if (rec != records.end() && rec->second.method == VeeMethod::kEdited) {
      b.import_wh += rec->second.wh;
      ++b.intervals;
      ++b.estimated;
    } else if (got != reading.end()) {
      b.import_wh += got->second->import_wh;
      b.export_wh += got->second->export_wh;
      ++b.intervals;
    } else if (rec != records.end() && (rec->second.method == VeeMethod::kLinear ||
                                        rec->second.method == VeeMethod::kLikeDay)) {
      b.import_wh += rec->second.wh;
      ++b.intervals;
      ++b.estimated;
    } else {
      ++b.missing;
    }
  }
  for (const auto& b : out.buckets) {
    out.import_wh += b.import_wh;
    out.export_wh += b.export_wh;
    out.estimated += b.estimated;
    out.missing += b.missing;
  }
  return out;
}

}  // namespace vidyut::mdm
