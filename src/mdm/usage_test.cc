// Consumption series: buckets of the IST calendar, missing intervals counted, an operator's edit
// counted as estimated and preferred, the period cut at now, too fine a series refused.
#include "mdm/usage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "mdm/vee_book.h"
#include "store/sqlite_store.h"

namespace vidyut::mdm {
namespace {

TEST(Usage, BucketsCountMissingAndEstimatedIntervals) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("vidyut-usage-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto day = tariff::parse_date("2026-12-06").value();
  // 10:00 IST the next day.
  ManualClock clock{tariff::ist_midnight(tariff::add_days(day, 1)) + Millis(10 * 3'600'000)};
  auto s = store::open_sqlite_store(dir.string(), clock, {});
  ASSERT_TRUE(s.ok());
  auto& db = **s;
  store::MeterInfo m;
  m.serial = "C1";
  m.kind = "single-phase";
  m.manufacturer = "VDY";
  m.system_title = {'V', 'D', 'Y', 0, 0, 0, 0, 1};
  m.consumer_id = "C1";
  std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> reg{{m, {}}};
  ASSERT_TRUE(db.upsert_meters(reg).ok());
  const std::int64_t id = (*db.meter_by_serial("C1"))->id;
  std::vector<store::IntervalReading> rows;
  for (int i = 0; i < 96; ++i) {
    if (i >= 40 && i < 44) continue;  // 10:00-11:00 IST missing
    store::IntervalReading r;
    r.meter_id = id;
    r.start = tariff::ist_midnight(day) + Millis(static_cast<std::int64_t>(i) * 900'000);
    r.import_wh = 100;
    rows.push_back(r);
  }
  ASSERT_TRUE(db.put_intervals(rows).ok());

  auto days =
      usage_series(db, nullptr, id, day, tariff::add_days(day, 1), Resolution::kDay, clock.now());
  ASSERT_TRUE(days.ok()) << days.error().message;
  ASSERT_EQ(days->buckets.size(), 2u);
  EXPECT_EQ(days->buckets[0].label, "2026-12-06");
  EXPECT_EQ(days->buckets[0].import_wh, 9'200);
  EXPECT_EQ(days->buckets[0].intervals, 92u);
  EXPECT_EQ(days->buckets[0].missing, 4u);
  EXPECT_EQ(days->buckets[1].missing, 40u) << "only the intervals that have ended by 10:00";
  EXPECT_EQ(days->import_wh, 9'200);

  auto hours = usage_series(db, nullptr, id, day, day, Resolution::kHour, clock.now());
  ASSERT_TRUE(hours.ok());
  ASSERT_EQ(hours->buckets.size(), 24u);
  EXPECT_EQ(hours->buckets[10].label, "2026-12-06 10:00");
  EXPECT_EQ(hours->buckets[10].missing, 4u);
  EXPECT_EQ(hours->buckets[11].import_wh, 400);
  EXPECT_EQ(hours->buckets[11].start, tariff::ist_midnight(day) + Millis(11 * 3'600'000));

  // An operator's edit fills one missing interval; it counts as estimated.
  auto vee = VeeBook::open(dir, clock);
  ASSERT_TRUE(vee.ok()) << vee.error().message;
  const UtcTime slot = tariff::ist_midnight(day) + Millis(40LL * 900'000);
  ASSERT_TRUE(
      (*vee)
          ->edit(id, slot, 500, std::nullopt, "web:asha", "meter replaced; read from the old one")
          .ok());
  auto edited = usage_series(db, vee->get(), id, day, day, Resolution::kMonth, clock.now());
  ASSERT_TRUE(edited.ok());
  ASSERT_EQ(edited->buckets.size(), 1u);
  EXPECT_EQ(edited->buckets[0].label, "2026-12");
  EXPECT_EQ(edited->import_wh, 9'700);
  EXPECT_EQ(edited->estimated, 1u);
  EXPECT_EQ(edited->missing, 3u);

  // Months across a month's end: the first bucket starts with the period, the next on the 1st.
  const auto nov20 = tariff::parse_date("2026-11-20").value();
  auto months = usage_series(db, nullptr, id, nov20, day, Resolution::kMonth, clock.now());
  ASSERT_TRUE(months.ok());
  ASSERT_EQ(months->buckets.size(), 2u);
  EXPECT_EQ(months->buckets[0].label, "2026-11");
  EXPECT_EQ(months->buckets[0].start, tariff::ist_midnight(nov20));
  EXPECT_EQ(months->buckets[0].missing, 11u * 96);
  EXPECT_EQ(months->buckets[1].label, "2026-12");
  EXPECT_EQ(months->buckets[1].start,
            tariff::ist_midnight(tariff::parse_date("2026-12-01").value()));
  EXPECT_EQ(months->buckets[1].import_wh, 9'200);
  auto quarters = usage_series(db, nullptr, id, day, day, Resolution::k15Min, clock.now());
  ASSERT_TRUE(quarters.ok());
  ASSERT_EQ(quarters->buckets.size(), 96u);
  EXPECT_EQ(quarters->buckets[41].label, "2026-12-06 10:15");
  EXPECT_EQ(quarters->buckets[40].import_wh, 0)
      << "missing (the edit is in the book, not used here)";
  EXPECT_EQ(quarters->buckets[44].import_wh, 100);

  auto fine = usage_series(db, nullptr, id, day, tariff::add_days(day, 40), Resolution::k15Min,
                           clock.now());
  ASSERT_FALSE(fine.ok());
  EXPECT_EQ(fine.error().code, Errc::kInvalidArgument);
  EXPECT_FALSE(
      usage_series(db, nullptr, id, day, tariff::add_days(day, -1), Resolution::kDay, clock.now())
          .ok());
  vee->reset();
  s->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vidyut::mdm
