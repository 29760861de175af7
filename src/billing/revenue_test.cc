// Billed and collected per account, read back from a ledger the engine wrote: daily charges of
// the days, the statement of a whole month, recharges less reversals.
#include "billing/revenue.h"

#include <gtest/gtest.h>

#include "billing/test_rig.h"

namespace vidyut::billing {
namespace {

// Two days of 9.600 kWh (the hand-worked bill of engine_test.cc: Rs 61.94 posted on Nov 1 and
// Rs 61.93 on Nov 2), a recharge of Rs 500 on Nov 1 and one of Rs 200 on Nov 2, reversed.
TEST(Revenue, DailyChargesAndCollectionsOfTheDaysAndReversalsTakenBack) {
  Rig rig("revenue", 2);
  rig.recharge(0, 50'000, "PAY-1");
  rig.consume(0, {2026, 11, 1}, 100);
  rig.at(ist({2026, 11, 2}, 0, 31));
  rig.recharge(0, 20'000, "PAY-2");
  ASSERT_TRUE(rig.engine->reverse("PAY-2", "bounced", "ops").ok());
  rig.consume(0, {2026, 11, 2}, 100);
  rig.at(ist({2026, 11, 3}, 0, 31));

  auto one = revenue_by_account(*rig.db, "2026-11-01", "2026-11-01");
  ASSERT_TRUE(one.ok()) << one.error().describe();
  const auto account = (*rig.db->account("C1000"))->id;
  ASSERT_TRUE(one->count(account));
  EXPECT_EQ(one->at(account).billed_wh, 9'600);
  EXPECT_EQ(one->at(account).intervals, 96);
  EXPECT_EQ(one->at(account).billed, 6'194);
  EXPECT_EQ(one->at(account).cash, 50'000);
  EXPECT_EQ(one->at(account).realised, 6'194) << "the balance covered the day's charge";

  auto both = revenue_by_account(*rig.db, "2026-11-01", "2026-11-02");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->at(account).billed_wh, 19'200);
  EXPECT_EQ(both->at(account).billed, 6'194 + 6'193);
  EXPECT_EQ(both->at(account).cash, 50'000);  // PAY-2 came and went on Nov 2
  EXPECT_EQ(both->at(account).realised, 6'194 + 6'193);
  // The other consumer used nothing and paid nothing.
  const auto other = (*rig.db->account("C1001"))->id;
  EXPECT_EQ(both->count(other) ? both->at(other).cash : 0, 0);

  EXPECT_FALSE(revenue_by_account(*rig.db, "2026-11-02", "2026-11-01").ok());
  EXPECT_FALSE(revenue_by_account(*rig.db, "2026-11-31", "2026-12-01").ok());
}

// A prepaid consumer whose balance runs out: the charges beyond it are billed, not realised, until
// he recharges; the recharge then realises them.
TEST(Revenue, ChargesBeyondTheBalanceAreRealisedOnlyWhenTheConsumerPays) {
  Rig rig("revenue-debt");
  rig.recharge(0, 5'000, "PAY-1");  // Rs 50 against Rs 61.94 a day
  rig.consume(0, {2026, 11, 1}, 100);
  rig.at(ist({2026, 11, 2}, 0, 31));
  const auto account = (*rig.db->account("C1000"))->id;
  auto day1 = revenue_by_account(*rig.db, "2026-11-01", "2026-11-01");
  ASSERT_TRUE(day1.ok());
  EXPECT_EQ(day1->at(account).billed, 6'194);
  EXPECT_EQ(day1->at(account).owed_after, 1'194);
  EXPECT_EQ(day1->at(account).realised, 5'000);
  rig.recharge(0, 10'000, "PAY-2");  // on Nov 2: pays the Rs 11.94 owed and more
  rig.consume(0, {2026, 11, 2}, 100);
  rig.at(ist({2026, 11, 3}, 0, 31));
  auto day2 = revenue_by_account(*rig.db, "2026-11-02", "2026-11-02");
  ASSERT_TRUE(day2.ok());
  EXPECT_EQ(day2->at(account).owed_before, 1'194);
  EXPECT_EQ(day2->at(account).owed_after, 0);
  EXPECT_EQ(day2->at(account).realised, 6'193 + 1'194) << "the day's charge and the old debt";
  auto both = revenue_by_account(*rig.db, "2026-11-01", "2026-11-02");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->at(account).realised, 6'194 + 6'193);
}

// A whole month counts its statement's correction; a part of it does not.
TEST(Revenue, AWholeMonthCountsItsStatementAndAPartOfItOnlyTheDailyCharges) {
  Rig rig("revenue-month");
  rig.recharge(0, 500'000, "PAY-1");
  for (int day = 1; day <= 30; ++day) {
    if (day != 5) rig.consume(0, {2026, 11, day}, 50);
    if (day == 12) rig.consume(0, {2026, 11, 5}, 50);  // day 5 arrives a week late
    rig.at(ist(tariff::add_days({2026, 11, day}, 1), 0, 31));
  }
  rig.at(ist({2026, 12, 3}, 0, 31));  // the statement: 2 days after the month
  auto statement =
      rig.db->statement((*rig.db->account("C1000"))->id, "2026-11", "prepaid-statement");
  ASSERT_TRUE(statement.ok() && *statement);
  const auto account = (*rig.db->account("C1000"))->id;
  ASSERT_GT((*statement)->adjustment, 0) << "the late day is recovered by the statement";
  auto month = revenue_by_account(*rig.db, "2026-11-01", "2026-11-30");
  ASSERT_TRUE(month.ok());
  EXPECT_EQ(month->at(account).billed, (*statement)->bill_total)
      << "the daily deductions and the statement's correction make the month's bill";
  auto part = revenue_by_account(*rig.db, "2026-11-01", "2026-11-29");
  ASSERT_TRUE(part.ok());
  auto last = revenue_by_account(*rig.db, "2026-11-30", "2026-11-30");
  ASSERT_TRUE(last.ok());
  EXPECT_GT(last->at(account).billed, 0);
  EXPECT_EQ(part->at(account).billed + last->at(account).billed, (*statement)->posted)
      << "days 1-29 and day 30 make the daily deductions, without the statement";
}

}  // namespace
}  // namespace vidyut::billing
