// The energy audit, worked by hand: LT and HT losses, export of a net-metered consumer,
// completeness marking, consumers the registry cannot place, ranking, and the same figures read
// through a real store.
#include "mdm/audit.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/sqlite_store.h"

namespace vidyut::mdm {
namespace {

const UtcTime kDay = parse_iso8601("2026-11-30T18:30:00Z").value();  // 1 Dec 00:00 IST
const UtcTime kNext = kDay + std::chrono::days(1);

store::MeterInfo meter(std::int64_t id, std::string feeder, std::string dt,
                       std::string consumer = "") {
  store::MeterInfo m;
  m.id = id;
  m.serial = "S" + std::to_string(id);
  m.kind = consumer.empty() ? (dt.empty() ? "feeder" : "dt") : "single-phase";
  m.manufacturer = "VDY";
  m.system_title = {'V', 'D', 'Y', 0, 0, 0, 0, static_cast<std::uint8_t>(id)};
  m.feeder = std::move(feeder);
  m.dt = std::move(dt);
  m.consumer_id = std::move(consumer);
  return m;
}

// F1 (meter 1) feeds D1 (meter 2: consumers 10, 11 net-metered) and D2 (meter 3: consumer 12).
// Consumer 13 names no DT; consumer 14 names D1 but another feeder.
std::vector<store::MeterInfo> registry() {
  return {meter(1, "F1", ""),           meter(2, "F1", "D1"),         meter(3, "F1", "D2"),
          meter(10, "F1", "D1", "C10"), meter(11, "F1", "D1", "C11"), meter(12, "F1", "D2", "C12"),
          meter(13, "F1", "", "C13"),   meter(14, "F2", "D1", "C14")};
}

EnergyByMeter day_energy() {
  return {{1, {96, 10'000, 0}}, {2, {96, 6'000, 0}},    {3, {96, 3'500, 0}},
          {10, {96, 4'000, 0}}, {11, {96, 1'800, 300}},  // exports 300 Wh into the LT network
          {12, {90, 3'000, 0}},                          // six intervals missing
          {13, {96, 999, 0}},   {14, {96, 999, 0}}};
}

TEST(Network, FeedersDtsAndConsumersFromTheRegistryAndUnplacedConsumersListed) {
  const Network n = build_network(registry());
  ASSERT_EQ(n.feeders.size(), 1u);
  EXPECT_EQ(n.feeders[0].meter_id, 1);
  ASSERT_EQ(n.dts.size(), 2u);
  EXPECT_EQ(n.dts[0].name, "D1");
  EXPECT_EQ(n.dts[0].meter_id, 2);
  EXPECT_EQ(n.dts[0].consumers, (std::vector<std::int64_t>{10, 11}));
  EXPECT_EQ(n.dts[1].consumers, (std::vector<std::int64_t>{12}));
  EXPECT_EQ(n.unplaced, (std::vector<std::int64_t>{13, 14}));
  EXPECT_EQ(n.consumers, 3u);
}

TEST(EnergyAudit, LtAndHtLossesWithExportAndCompletenessMarked) {
  const AuditReport r = energy_audit(build_network(registry()), day_energy(), kDay, kNext);
  ASSERT_EQ(r.dts.size(), 2u);
  const DtBalance& d1 = r.dts[0];
  EXPECT_EQ(d1.consumers_wh, 4'000 + 1'800 - 300);
  EXPECT_EQ(d1.consumers_export_wh, 300);
  EXPECT_EQ(d1.loss_wh, 500);
  EXPECT_NEAR(d1.loss_percent, 100.0 * 500 / 6'000, 1e-9);
  EXPECT_TRUE(d1.complete());
  EXPECT_EQ(d1.data.expected, 3u * 96);
  const DtBalance& d2 = r.dts[1];
  EXPECT_EQ(d2.loss_wh, 500);
  EXPECT_FALSE(d2.complete());  // computed from what is stored, and marked
  EXPECT_EQ(d2.data.present, 96u + 90u);
  EXPECT_EQ(d2.data.meters_missing, 1u);

  ASSERT_EQ(r.feeders.size(), 1u);
  const FeederBalance& f = r.feeders[0];
  EXPECT_EQ(f.dts_wh, 9'500);
  EXPECT_EQ(f.ht_loss_wh, 500);
  EXPECT_NEAR(f.ht_loss_percent, 5.0, 1e-9);
  EXPECT_EQ(f.lt_loss_wh, 1'000);
  EXPECT_EQ(f.consumers_wh, 5'500 + 3'000);
  EXPECT_EQ(f.total_loss_wh, 1'500);
  EXPECT_NEAR(f.total_loss_percent, 15.0, 1e-9);
  EXPECT_FALSE(f.complete());
  EXPECT_EQ(f.data.expected, 6u * 96);
  EXPECT_EQ(r.area.loss_wh, 1'500);
  EXPECT_EQ(r.unplaced_consumers, 2u);

  // Ranking takes complete figures only.
  const auto worst = rank_dts(r, 5, true);
  ASSERT_EQ(worst.size(), 1u);
  EXPECT_EQ(worst[0]->dt, "D1");
  EXPECT_TRUE(rank_feeders(r, 5, true).empty());
}

TEST(EnergyAudit, AMeterWithNoDataOrADtWithoutAMeterIsIncomplete) {
  auto reg = registry();
  reg.erase(reg.begin() + 2);  // D2 has no meter
  EnergyByMeter e = day_energy();
  e.erase(10);  // C10 sent nothing
  const AuditReport r = energy_audit(build_network(reg), e, kDay, kNext);
  EXPECT_FALSE(r.dts[0].complete());
  EXPECT_EQ(r.dts[0].data.present, 2u * 96);
  EXPECT_FALSE(r.dts[1].has_meter);
  EXPECT_FALSE(r.dts[1].complete());
  EXPECT_EQ(intervals_in(kDay, kDay + std::chrono::minutes(20), 900), 2u);
}

TEST(EnergyAudit, ReadsThroughTheStoreInOneGroupedQuery) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("vidyut-mdm-audit-" + std::to_string(::getpid())))
          .string();
  std::filesystem::remove_all(dir);
  ManualClock clock(kNext);
  store::SqliteOptions o;
  o.master_key = std::array<std::uint8_t, 32>{};
  auto st = store::open_sqlite_store(dir, clock, o);
  ASSERT_TRUE(st.ok()) << st.error().describe();
  std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> rows;
  for (auto m : registry()) rows.emplace_back(m, store::MeterSecrets{"pw", {}, {}});
  ASSERT_TRUE((*st)->upsert_meters(rows).ok());
  auto meters = all_meters(**st);
  ASSERT_TRUE(meters.ok());
  const Network n = build_network(*meters);
  // Every meter a full day at 10 Wh an interval; C11 exports 1 Wh an interval.
  std::vector<store::IntervalReading> iv;
  for (const auto& m : *meters) {
    for (int i = 0; i < 96; ++i) {
      store::IntervalReading r;
      r.meter_id = m.id;
      r.start = kDay + std::chrono::minutes(15 * i);
      r.import_wh = m.dt.empty() && m.consumer_id.empty() ? 40 : (m.consumer_id.empty() ? 25 : 10);
      r.export_wh = m.consumer_id == "C11" ? 1 : 0;
      iv.push_back(r);
    }
  }
  ASSERT_TRUE((*st)->put_intervals(iv).ok());
  auto r = audit_from_store(**st, n, kDay, kNext);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->dts.size(), 2u);
  EXPECT_TRUE(r->dts[0].complete());
  EXPECT_EQ(r->dts[0].dt_wh, 25 * 96);
  EXPECT_EQ(r->dts[0].consumers_wh, (10 + 10 - 1) * 96);
  EXPECT_TRUE(r->feeders[0].complete());
  EXPECT_EQ(r->feeders[0].ht_loss_wh, (40 - 50) * 96);  // a negative loss is shown as it is
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vidyut::mdm
