#include "mdm/usage.h"

#include <fmt/format.h>

#include <optional>
#include <vector>

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
  // Slots of the period by position (the period is whole IST days of 15-minute slots), so that
  // a month of 15-minute data costs a pass over its 2,880 slots, not a search per slot.
  const auto slots = static_cast<std::size_t>((ms(end) - ms(begin)) / kSlotMs);
  auto slot_of = [&](UtcTime t) -> std::optional<std::size_t> {
    const std::int64_t off = ms(t) - ms(begin);
    if (off < 0 || off % kSlotMs != 0) return std::nullopt;
    const auto k = static_cast<std::size_t>(off / kSlotMs);
    return k < slots ? std::optional<std::size_t>(k) : std::nullopt;
  };
  std::vector<const store::IntervalReading*> reading(slots, nullptr);
  for (const auto& row : *rows) {
    if (auto k = slot_of(row.start)) reading[*k] = &row;
  }
  std::vector<const VeeRecord*> records(slots, nullptr);
  std::vector<VeeRecord> recs;
  if (vee != nullptr) {
    VIDYUT_TRY(got, vee->records(meter_id, begin, end));
    recs = std::move(*got);
    for (const auto& rec : recs) {
      if (auto k = slot_of(rec.start)) records[*k] = &rec;
    }
  }

  UsageSeries out;
  out.resolution = r;
  // A new bucket starts where the slot's bucket key changes: its slot (15m), IST hour, IST day
  // or IST month.
  std::int64_t key = -1;
  for (std::size_t k = 0; k < slots; ++k) {
    const std::int64_t t = ms(begin) + static_cast<std::int64_t>(k) * kSlotMs;
    const UtcTime slot{Millis(t)};
    if (t + kSlotMs > ms(now)) break;  // not over yet
    const auto day_index = static_cast<std::int64_t>(k / 96);
    const std::int64_t slot_key = r == Resolution::k15Min  ? static_cast<std::int64_t>(k)
                                  : r == Resolution::kHour ? static_cast<std::int64_t>(k / 4)
                                  : r == Resolution::kDay  ? day_index
                                                           : -2;
    bool fresh = slot_key != key;
    tariff::CivilDate day{};
    if (r == Resolution::kMonth) {
      day = tariff::add_days(from, static_cast<int>(day_index));
      const tariff::YearMonth m = tariff::month_of(day);
      const std::int64_t month_key = std::int64_t{m.year} * 12 + m.month;
      fresh = month_key != key;
      key = month_key;
    } else {
      key = slot_key;
    }
    if (fresh) {
      if (r != Resolution::kMonth) day = tariff::add_days(from, static_cast<int>(day_index));
      const int minute = static_cast<int>(k % 96) * 15;
      UsageBucket b;
      b.start = slot;
      switch (r) {
        case Resolution::k15Min:
          b.label = fmt::format("{} {:02}:{:02}", tariff::to_string(day), minute / 60, minute % 60);
          break;
        case Resolution::kHour:
          b.label = fmt::format("{} {:02}:00", tariff::to_string(day), minute / 60);
          break;
        case Resolution::kDay:
          b.label = tariff::to_string(day);
          break;
        case Resolution::kMonth:
          b.label = tariff::to_string(tariff::month_of(day));
          b.start = tariff::ist_midnight(std::max(from, tariff::first_day(tariff::month_of(day))));
          break;
      }
      out.buckets.push_back(std::move(b));
    }
    UsageBucket& b = out.buckets.back();
    // What billing charges: an operator's edit, else the meter's reading, else the estimate.
    const VeeRecord* rec = records[k];
    const store::IntervalReading* got = reading[k];
    if (rec != nullptr && rec->method == VeeMethod::kEdited) {
      b.import_wh += rec->wh;
      ++b.intervals;
      ++b.estimated;
    } else if (got != nullptr) {
      b.import_wh += got->import_wh;
      b.export_wh += got->export_wh;
      ++b.intervals;
    } else if (rec != nullptr &&
               (rec->method == VeeMethod::kLinear || rec->method == VeeMethod::kLikeDay)) {
      b.import_wh += rec->wh;
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
