// Transformer loading, worked by hand: a 63 kVA DT at exactly its rating is not overloaded, one
// VAh more is; runs of overload make one alert each way, a gap in the data claims no return; the
// daily peak; and the report and its alerts through a real store (alerts written twice once).
#include "mdm/loading.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "mdm/monitor.h"
#include "store/sqlite_store.h"

namespace vidyut::mdm {
namespace {

const UtcTime kDay = parse_iso8601("2026-11-30T18:30:00Z").value();  // 1 Dec 00:00 IST
const UtcTime kNext = kDay + std::chrono::days(1);
UtcTime slot(int i) { return kDay + Millis(std::int64_t{i} * 900'000); }

store::IntervalReading row(std::int64_t meter, int i, std::int64_t vah) {
  store::IntervalReading r;
  r.meter_id = meter;
  r.start = slot(i);
  r.import_vah = vah;
  r.import_wh = vah * 9 / 10;
  return r;
}

DtNode dt63() {
  DtNode d;
  d.name = "F1-T1";
  d.meter_id = 2;
  d.rating_va = 63'000;
  return d;
}

TEST(DtLoading, AboveTheRatingIsOverloadedAtTheRatingIsNot) {
  // 63 kVA for 15 minutes is 15,750 VAh.
  const std::vector<store::IntervalReading> rows{row(2, 0, 10'000), row(2, 1, 15'750),
                                                 row(2, 2, 15'751), row(2, 3, 20'000),
                                                 row(2, 4, 12'000), row(2, 6, 16'000)};
  const DtLoading x = dt_loading(dt63(), "F1", rows, kDay, kNext);
  EXPECT_EQ(x.intervals, 6u);
  EXPECT_EQ(x.expected, 96u);
  ASSERT_EQ(x.overloaded.size(), 3u);
  EXPECT_EQ(x.overloaded[0].start, slot(2));
  EXPECT_EQ(x.overloaded[1].start, slot(3));
  EXPECT_EQ(x.overloaded[2].start, slot(6));
  EXPECT_DOUBLE_EQ(x.peak.kva, 80.0);
  EXPECT_EQ(x.peak.start, slot(3));
  EXPECT_NEAR(x.peak.loading_percent, 126.98, 0.01);
  EXPECT_DOUBLE_EQ(x.overloaded_hours(900), 0.75);

  LoadingReport r;
  r.from = kDay;
  r.to = kNext;
  r.dts.push_back(x);
  const auto alerts = overload_alerts(r, kNext);
  // Slots 2-3 start and end (slot 4 is back within); slot 6 starts, and slot 7 has no data: no
  // claim that it is back.
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_TRUE(alerts[0].active);
  EXPECT_EQ(alerts[0].at, slot(2));
  EXPECT_FALSE(alerts[1].active);
  EXPECT_EQ(alerts[1].at, slot(4));
  EXPECT_TRUE(alerts[2].active);
  EXPECT_EQ(alerts[2].at, slot(6));
  EXPECT_EQ(alerts[0].kind, "overload");
  EXPECT_EQ(alerts[0].meter_id, 2);
}

TEST(DtLoading, ThroughAStoreAndAlertsWrittenTwiceAreStoredOnce) {
  const auto dir = std::filesystem::temp_directory_path() / "vidyut-mdm-loading-test";
  std::filesystem::remove_all(dir);
  ManualClock clock(kNext);
  auto db = store::open_sqlite_store(dir.string(), clock, {});
  ASSERT_TRUE(db.ok()) << db.error().message;
  auto info = [](std::string serial, std::string dt, std::uint32_t va, std::uint8_t t) {
    store::MeterInfo m;
    m.serial = std::move(serial);
    m.kind = "dt";
    m.manufacturer = "VDY";
    m.system_title = {'V', 'D', 'Y', 0, 0, 0, 0, t};
    m.feeder = "F1";
    m.dt = std::move(dt);
    m.sanctioned_load_w = va;
    return std::pair{m, store::MeterSecrets{}};
  };
  std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> reg{info("D1", "F1-T1", 63'000, 1),
                                                                    info("D2", "F1-T2", 0, 2)};
  ASSERT_TRUE((*db)->upsert_meters(reg).ok());
  auto meters = all_meters(**db);
  ASSERT_TRUE(meters.ok());
  const Network n = build_network(*meters);
  const std::int64_t d1 = (*(*db)->meter_by_serial("D1"))->id;
  ASSERT_TRUE((*db)->put_intervals(std::vector{row(d1, 10, 16'000), row(d1, 11, 1'000)}).ok());
  auto r = loading_from_store(**db, n, kDay, kNext);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->dts.size(), 1u);  // D2 has no rating
  EXPECT_EQ(r->dts_without_rating, 1u);
  EXPECT_EQ(r->dts[0].overloaded.size(), 1u);
  store::WriteBatch b;
  b.alerts = overload_alerts(*r, kNext);
  ASSERT_EQ(b.alerts.size(), 2u);
  auto w1 = (*db)->write(b);
  auto w2 = (*db)->write(b);
  ASSERT_TRUE(w1.ok() && w2.ok());
  EXPECT_EQ(w1->alerts_inserted, 2u);
  EXPECT_EQ(w2->alerts_inserted, 0u);
  std::filesystem::remove_all(dir);
}

TEST(Monitor, RunsEveryPeriodWritesEachOverloadOnceAndSeesLateData) {
  const auto dir = std::filesystem::temp_directory_path() / "vidyut-mdm-monitor-test";
  std::filesystem::remove_all(dir);
  ManualClock clock(slot(8) + Millis(60'000));
  auto db = store::open_sqlite_store(dir.string(), clock, {});
  ASSERT_TRUE(db.ok());
  store::MeterInfo m;
  m.serial = "D1";
  m.kind = "dt";
  m.manufacturer = "VDY";
  m.system_title = {'V', 'D', 'Y', 0, 0, 0, 0, 1};
  m.feeder = "F1";
  m.dt = "F1-T1";
  m.sanctioned_load_w = 63'000;
  ASSERT_TRUE((*db)->upsert_meters(std::vector{std::pair{m, store::MeterSecrets{}}}).ok());
  const std::int64_t d1 = (*(*db)->meter_by_serial("D1"))->id;
  ASSERT_TRUE((*db)
                  ->put_intervals(std::vector{row(d1, 4, 1'000), row(d1, 5, 16'000),
                                              row(d1, 6, 17'000), row(d1, 7, 2'000)})
                  .ok());
  Monitor mon(**db, clock);
  ASSERT_TRUE(mon.tick().ok());
  EXPECT_EQ(mon.stats().runs, 1u);
  EXPECT_EQ(mon.stats().overload_alerts, 2u);  // starts at slot 5, back within at slot 7
  clock.advance(Millis(60'000));
  ASSERT_TRUE(mon.tick().ok());
  EXPECT_EQ(mon.stats().runs, 1u);  // not yet 15 minutes
  // A late interval (gap fill) starts a second run at slot 9; slot 8 was already within.
  ASSERT_TRUE((*db)->put_intervals(std::vector{row(d1, 8, 100), row(d1, 9, 20'000)}).ok());
  clock.advance(Millis(30 * 60'000));  // slot 9 is over
  ASSERT_TRUE(mon.tick().ok());
  EXPECT_EQ(mon.stats().runs, 2u);
  EXPECT_EQ(mon.stats().overload_alerts, 3u);
  auto alerts = (*db)->alerts_after(0, 100);
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->size(), 3u);
  EXPECT_EQ((*alerts)[2].at, slot(9));
  std::filesystem::remove_all(dir);
}

TEST(Monitor, WritesDtOutageAlertsFromTheMetersLastGaspsOnce) {
  const auto dir = std::filesystem::temp_directory_path() / "vidyut-mdm-monitor-outage-test";
  std::filesystem::remove_all(dir);
  ManualClock clock(slot(12));
  auto db = store::open_sqlite_store(dir.string(), clock, {});
  ASSERT_TRUE(db.ok());
  std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> reg;
  for (int i = 0; i < 3; ++i) {
    store::MeterInfo m;
    m.serial = "M" + std::to_string(i);
    m.kind = i == 0 ? "dt" : "single-phase";
    m.manufacturer = "VDY";
    m.system_title = {'V', 'D', 'Y', 0, 0, 0, 0, static_cast<std::uint8_t>(i + 1)};
    m.feeder = "F1";
    m.dt = "F1-T1";
    m.consumer_id = i == 0 ? "" : "C" + std::to_string(i);
    m.sanctioned_load_w = i == 0 ? 63'000 : 2'000;
    reg.emplace_back(m, store::MeterSecrets{});
  }
  ASSERT_TRUE((*db)->upsert_meters(reg).ok());
  store::WriteBatch b;
  for (int i = 0; i < 3; ++i) {
    const std::int64_t id = (*(*db)->meter_by_serial("M" + std::to_string(i)))->id;
    for (bool on : {false, true}) {
      store::Alert a;
      a.meter_id = id;
      a.at = on ? slot(9) : slot(5);
      a.received = a.at;
      a.kind = on ? "restore" : "outage";
      a.name = on ? "first-breath" : "last-gasp";
      b.alerts.push_back(a);
    }
  }
  ASSERT_TRUE((*db)->write(b).ok());
  Monitor mon(**db, clock);
  ASSERT_TRUE(mon.run().ok());
  EXPECT_EQ(mon.stats().outage_alerts, 2u);  // the DT's outage: started, ended
  ASSERT_TRUE(mon.run().ok());
  EXPECT_EQ(mon.stats().outage_alerts, 2u);  // nothing new the second time
  auto alerts = (*db)->alerts_after(6, 10);
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->size(), 2u);
  EXPECT_EQ((*alerts)[0].name, "dt-outage");
  EXPECT_EQ((*alerts)[0].at, slot(5));
  EXPECT_TRUE((*alerts)[0].active);
  EXPECT_EQ((*alerts)[1].at, slot(9));
  EXPECT_FALSE((*alerts)[1].active);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vidyut::mdm
