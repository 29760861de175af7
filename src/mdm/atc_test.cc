// Billing and collection efficiency and the AT&C loss, worked by hand.
#include "mdm/atc.h"

#include <gtest/gtest.h>

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
  m.feeder = std::move(feeder);
  m.dt = std::move(dt);
  m.consumer_id = std::move(consumer);
  return m;
}

// F1 (meter 1) feeds D1 (meter 2: consumers 10, 11) and D2 (meter 3: consumer 12, who has no
// billing account: an unbilled connection).
Network network() {
  return build_network({meter(1, "F1", ""), meter(2, "F1", "D1"), meter(3, "F1", "D2"),
                        meter(10, "F1", "D1", "C10"), meter(11, "F1", "D1", "C11"),
                        meter(12, "F1", "D2", "C12")});
}

TEST(Atc, EfficienciesAndLossPerDtFeederAndAreaWorkedByHand) {
  const Network n = network();
  const AuditReport audit = energy_audit(n,
                                         {{1, {96, 10'000, 0}},
                                          {2, {96, 6'000, 0}},
                                          {3, {96, 3'500, 0}},
                                          {10, {96, 4'000, 0}},
                                          {11, {96, 1'500, 0}},
                                          {12, {96, 3'000, 0}}},
                                         kDay, kNext);
  // C10 billed 4000 Wh for Rs 30.00 and paid Rs 24.00; C11 billed 1500 Wh for Rs 12.00 and
  // paid Rs 12.00.
  const RevenueByMeter revenue{{10, {4'000, 3'000, 2'400, 50'000, 96}},
                               {11, {1'500, 1'200, 1'200, 0, 96}}};
  const AtcReport r = atc_report(n, audit, revenue, 96);
  ASSERT_EQ(r.dts.size(), 2u);
  const AtcFigures& d1 = r.dts[0];
  EXPECT_EQ(d1.input_wh, 6'000);
  EXPECT_EQ(d1.billed_wh, 5'500);
  ASSERT_TRUE(d1.billing_efficiency && d1.collection_efficiency && d1.atc_loss);
  EXPECT_NEAR(*d1.billing_efficiency, 100.0 * 5'500 / 6'000, 1e-9);
  EXPECT_NEAR(*d1.collection_efficiency, 100.0 * 3'600 / 4'200, 1e-9);
  EXPECT_NEAR(*d1.atc_loss, 100.0 * (1 - (5'500.0 / 6'000) * (3'600.0 / 4'200)), 1e-9);
  EXPECT_TRUE(d1.complete());
  // D2's only consumer has no account: nothing billed, no collection efficiency, no AT&C.
  const AtcFigures& d2 = r.dts[1];
  EXPECT_EQ(d2.consumers, 1u);
  EXPECT_EQ(d2.accounts, 0u);
  EXPECT_NEAR(*d2.billing_efficiency, 0.0, 1e-12);
  EXPECT_FALSE(d2.collection_efficiency);
  EXPECT_FALSE(d2.atc_loss);
  EXPECT_FALSE(d2.complete());  // a consumer is not billed for the period
  // The feeder: 10 kWh in, 5.5 kWh billed, Rs 36 of Rs 42 collected.
  ASSERT_EQ(r.feeders.size(), 1u);
  const AtcFigures& f = r.feeders[0];
  EXPECT_EQ(f.input_wh, 10'000);
  EXPECT_EQ(f.consumers, 3u);
  EXPECT_EQ(f.accounts, 2u);
  EXPECT_NEAR(*f.atc_loss, 100.0 * (1 - 0.55 * (3'600.0 / 4'200)), 1e-9);
  EXPECT_FALSE(f.complete());
  EXPECT_NEAR(*r.area.atc_loss, *f.atc_loss, 1e-12);
  EXPECT_EQ(f.cash_paise, 50'000) << "cash paid ahead is shown, not counted as collected";
  EXPECT_TRUE(rank_atc(r, 5, true).empty());  // incomplete figures are never ranked
}

TEST(Atc, AnInputMeterWithMissingIntervalsOrABillingGapMarksTheFigureIncomplete) {
  const Network n = network();
  const AuditReport audit = energy_audit(n,
                                         {{1, {96, 10'000, 0}},
                                          {2, {90, 6'000, 0}},  // six intervals missing
                                          {3, {96, 3'500, 0}},
                                          {10, {96, 4'000, 0}},
                                          {11, {96, 1'500, 0}},
                                          {12, {96, 3'000, 0}}},
                                         kDay, kNext);
  RevenueByMeter revenue{{10, {4'000, 3'000, 3'000, 0, 96}},
                         {11, {1'400, 1'100, 1'100, 0, 92}},  // billed for 92 intervals only
                         {12, {3'000, 2'000, 2'000, 0, 96}}};
  AtcReport r = atc_report(n, audit, revenue, 96);
  EXPECT_FALSE(r.dts[0].input_complete);
  EXPECT_FALSE(r.dts[0].complete());
  EXPECT_EQ(r.dts[0].billed_whole, 1u);
  EXPECT_TRUE(r.dts[1].complete());
  EXPECT_TRUE(r.feeders[0].input_complete);  // the feeder meter itself is whole
  EXPECT_FALSE(r.feeders[0].complete());     // C11 is not billed for the whole period
  revenue[11].intervals = 96;
  r = atc_report(n, audit, revenue, 96);
  EXPECT_TRUE(r.feeders[0].complete());
  ASSERT_EQ(rank_atc(r, 5, true).size(), 1u);
  // Everything collected and billed as metered at the feeder: only the technical loss is left.
  EXPECT_NEAR(*r.feeders[0].atc_loss, 100.0 * (1 - 8'400.0 / 10'000), 1e-9);
}

}  // namespace
}  // namespace vidyut::mdm
