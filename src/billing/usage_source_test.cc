// Billing on validated data: an estimated interval is charged as estimated; when its reading
// arrives the daily restatement corrects the ledger to the paisa of the bill computed directly
// from the readings; the daily postings and the statement say how many readings were estimated.
#include "billing/usage_source.h"

#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "billing/test_rig.h"

namespace vidyut::billing {
namespace {

// The store's readings plus estimates for one meter's missing intervals (as the MDM's validated
// data would give them): an estimate counts only while its interval has no reading.
class Estimates final : public UsageSource {
 public:
  Estimates(store::Store& s, std::int64_t meter) : store_(s), meter_(meter) {}
  Result<std::vector<store::MeterIntervalSummary>> summary(UtcTime from, UtcTime to) override {
    VIDYUT_TRY(base, store_.interval_summary(from, to));
    store::MeterIntervalSummary add;
    add.meter_id = meter_;
    for (const auto& [start, wh] : estimates) {
      if (start < from || start >= to) continue;
      VIDYUT_TRY(rows, store_.intervals(meter_, start, start + std::chrono::minutes(15)));
      if (!rows->empty()) continue;
      ++add.count;
      ++add.estimated;
      add.import_wh += wh;
      add.max_interval_wh = std::max(add.max_interval_wh, wh);
    }
    for (auto& s : *base) {
      if (s.meter_id != meter_) continue;
      s.count += add.count;
      s.estimated += add.estimated;
      s.import_wh += add.import_wh;
      s.max_interval_wh = std::max(s.max_interval_wh, add.max_interval_wh);
      return std::move(*base);
    }
    if (add.count > 0) base->push_back(add);
    return std::move(*base);
  }
  std::map<UtcTime, std::int64_t> estimates;

 private:
  store::Store& store_;
  std::int64_t meter_;
};

// The UP domestic bill of `wh` over `days` of November, priced directly.
Paise bill_of(std::int64_t wh, std::int64_t max_interval_wh, int days) {
  tariff::Usage u;
  u.wh = wh;
  u.sanctioned_load_w = 2000;
  u.days_billed = days;
  u.days_in_month = 30;
  u.month = 11;
  u.max_demand_w = max_interval_wh * 4;
  const auto up = *tariff::find_tariff("UP-LMV1-URBAN", tariff::builtin_tariffs());
  return tariff::compute_bill(*up.version_at({2026, 11, 1}), u, PaymentMode::kPrepaid)->total;
}

std::int64_t detail_int(const Txn& t, const char* key) {
  return nlohmann::json::parse(t.detail).value(key, std::int64_t{-1});
}

TEST(BillingOnValidatedData, AnEstimateIsChargedAndCorrectedToThePaisaWhenItsReadingArrives) {
  Rig rig("validated");
  Estimates est(*rig.store, rig.meter_ids[0]);
  rig.usage = &est;
  rig.restart();
  rig.recharge(0, 100'000, "PAY-1");
  // 1 Nov: 100 Wh an interval, but 10:00-12:00 (slots 40..47) never reached the head end; the
  // MDM estimated them at 300 Wh each (a poor guess).
  rig.consume(0, {2026, 11, 1}, 100, 0, 40);
  rig.consume(0, {2026, 11, 1}, 100, 48, 96);
  for (int slot = 40; slot < 48; ++slot) {
    est.estimates[ist({2026, 11, 1}, 0) + std::chrono::minutes(15 * slot)] = 300;
  }
  rig.at(ist({2026, 11, 2}, 0, 31));  // 1 Nov posted on validated data
  const Paise day1 = bill_of(88 * 100 + 8 * 300, 300, 1);
  EXPECT_EQ(100'000 - rig.wallet(), day1);
  auto t1 = rig.db->txn_by_key("daily:C1000:2026-11-01");
  ASSERT_TRUE(t1.ok() && *t1);
  EXPECT_EQ(detail_int(**t1, "estimated_intervals"), 8);
  EXPECT_EQ(detail_int(**t1, "intervals"), 96);
  // The readings arrive (gap fill): 100 Wh each. 2 Nov is posted with 1 Nov restated.
  rig.consume(0, {2026, 11, 1}, 100, 40, 48);
  rig.consume(0, {2026, 11, 2}, 100);
  rig.at(ist({2026, 11, 3}, 0, 31));
  const Paise month = bill_of(2 * 96 * 100, 100, 2);
  EXPECT_EQ(100'000 - rig.wallet(), month) << "the ledger matches the readings to the paisa";
  EXPECT_LT(month, 2 * day1) << "the estimate had overcharged 1 Nov";
  auto t2 = rig.db->txn_by_key("daily:C1000:2026-11-02");
  ASSERT_TRUE(t2.ok() && *t2);
  EXPECT_EQ(detail_int(**t2, "estimated_intervals"), 0);
  EXPECT_EQ((*t2)->postings.front().amount, month - day1) << "the correction is in the posting";
  EXPECT_TRUE(rig.db->verify().ok());
}

TEST(BillingOnValidatedData, TheStatementSaysHowManyReadingsWereEstimated) {
  Rig rig("validated-statement");
  Estimates est(*rig.store, rig.meter_ids[0]);
  rig.usage = &est;
  rig.restart();
  rig.recharge(0, 500'000, "PAY-1");
  for (int day = 1; day <= 30; ++day) rig.consume(0, {2026, 11, day}, 52, 0, day == 9 ? 90 : 96);
  for (int slot = 90; slot < 96; ++slot) {
    est.estimates[ist({2026, 11, 9}, 0) + std::chrono::minutes(15 * slot)] = 52;
  }
  rig.at(ist({2026, 12, 3}, 0, 31));
  auto st = rig.db->statement(1, "2026-11", "prepaid-statement");
  ASSERT_TRUE(st.ok() && *st);
  EXPECT_NE((*st)->html.find("15-minute readings"), std::string::npos);
  EXPECT_NE((*st)->html.find("<td>2880</td>"), std::string::npos) << (*st)->html;
  EXPECT_NE((*st)->html.find("<td>6</td>"), std::string::npos);
  EXPECT_EQ((*st)->bill_total, bill_of(30 * 96 * 52, 52, 30));
  EXPECT_EQ((*st)->adjustment, 0) << "the daily postings had charged the estimates already";
}

TEST(BillingOnValidatedData, ABillingDbOfSchema1GainsTheEstimatedCountWhenOpened) {
  const auto dir = std::filesystem::path(::testing::TempDir()) /
                   ("vidyut-billing-migrate-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(BillingDb::open(dir).ok());
  {  // Back to schema 1, as an older vidyut left it.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "billing.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(db,
                     "ALTER TABLE usage_days DROP COLUMN estimated; "
                     "INSERT INTO usage_days VALUES (1, '2026-11-01', 5, 0,0,0,0,0,0, 1, 96); "
                     "UPDATE meta SET value = '1' WHERE key = 'schema'",
                     nullptr, nullptr, nullptr),
        SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto db = BillingDb::open(dir);
  ASSERT_TRUE(db.ok()) << db.error().describe();
  auto old = (*db)->usage(1, "2026-11-01", "2026-11-30");
  ASSERT_TRUE(old.ok()) << old.error().describe();
  ASSERT_EQ(old->size(), 1u);
  EXPECT_EQ(old->front().intervals, 96);
  EXPECT_EQ(old->front().estimated, 0);
  Change c;
  c.usage.push_back(UsageDay{1, "2026-11-02", 7, {}, 1, 96, 4});
  ASSERT_TRUE((*db)->apply_all({c}).ok());
  auto both = (*db)->usage_totals("2026-11-01", "2026-11-30");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->at(1).estimated, 4);
  EXPECT_EQ(both->at(1).intervals, 192);
  db->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vidyut::billing
