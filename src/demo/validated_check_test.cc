// The validated-data check: counts the VEE's history, measures replaced estimates against their
// readings, and finds an estimate that outlived its reading.
#include "demo/validated_check.h"

#include <gtest/gtest.h>

#include "store/sqlite_store.h"

namespace vidyut::demo {
namespace {

const UtcTime kDay = parse_iso8601("2026-12-04T18:30:00Z").value();
UtcTime slot(int i) { return kDay + Millis(std::int64_t{i} * 900'000); }

TEST(ValidatedCheck, MeasuresReplacedEstimatesAndFindsStaleOnes) {
  const auto dir = std::filesystem::temp_directory_path() / "vidyut-demo-validated-check";
  std::filesystem::remove_all(dir);
  ManualClock clock(kDay);
  auto st = store::open_sqlite_store((dir / "store").string(), clock, {});
  ASSERT_TRUE(st.ok());
  store::MeterInfo m;
  m.serial = "S1";
  m.kind = "single-phase";
  m.manufacturer = "VDY";
  m.system_title = {1, 2, 3, 4, 5, 6, 7, 8};
  m.consumer_id = "C1";
  m.feeder = "F1";
  m.dt = "D1";
  const std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> meters{{m, {}}};
  ASSERT_TRUE((*st)->upsert_meters(meters).ok());
  const std::int64_t id = (*(*st)->meter_by_serial("S1"))->id;
  auto book = mdm::VeeBook::open(dir, clock);
  ASSERT_TRUE(book.ok());
  auto day = [&](std::initializer_list<int> missing, std::int64_t wh) {
    mdm::VeeInput in;
    in.meter_id = id;
    in.day = kDay;
    in.until = kDay + std::chrono::days(1);
    for (int i = 0; i < 96; ++i) {
      if (std::find(missing.begin(), missing.end(), i) != missing.end()) continue;
      store::IntervalReading r;
      r.meter_id = id;
      r.start = slot(i);
      r.import_wh = i == 10 ? wh : 100;
      in.rows.push_back(r);
    }
    return mdm::validate_day(in);
  };
  // 10 estimated at 100 (its neighbours); its reading says 80: replaced, 20 Wh off.
  ASSERT_TRUE((*book)->apply(day({10}, 80)).ok());
  ASSERT_TRUE((*book)->apply(day({}, 80)).ok());
  // 20 estimated; its reading is stored but the VEE has not run since: stale.
  ASSERT_TRUE((*book)->apply(day({20}, 80)).ok());
  std::vector<store::IntervalReading> rows;
  for (int i : {20}) {
    store::IntervalReading r;
    r.meter_id = id;
    r.start = slot(i);
    r.import_wh = 100;
    rows.push_back(r);
  }
  ASSERT_TRUE((*st)->put_intervals(rows).ok());
  auto c = check_validated(**st, **book, kDay, slot(96));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->changes["estimate"], 2u);
  EXPECT_EQ(c->replaced, 1u);
  EXPECT_EQ(c->stale, 1u);
  EXPECT_FALSE(c->ok());
  EXPECT_EQ(c->replaced_estimate_wh, 100);
  EXPECT_EQ(c->replaced_reading_wh, 80);
  EXPECT_DOUBLE_EQ(c->wape(), 0.25);
  book->reset();
  st->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vidyut::demo
