// Billing engine tests on a real SQLite store and billing.db, with a ManualClock: hand-worked
// daily postings, statements, the UP no-disconnection rules, recharges (duplicates, reversals),
// hotspot tokens, conversion to prepaid, and a property test with crashes and restarts.
#include "billing/engine.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>

#include "billing/meter_readings.h"
#include "billing/test_rig.h"
#include "dlms/axdr/data.h"
#include "tariff/tariff_file.h"
#include "token/token.h"

namespace vidyut::billing {
namespace {

using namespace std::chrono_literals;
using tariff::CivilDate;
using tariff::YearMonth;

// Hand-worked (UP LMV-1 urban, 2 kW, prepaid, November: 30 days), 9.600 kWh a day:
//  Nov 1, bill to date: energy 9.600 kWh x Rs 5.50 = Rs 52.80; fixed Rs 110 x 2 kW x 1/30 =
//  Rs 7.3333 -> Rs 7.33; rebate 2% of Rs 60.13 = Rs 1.2026 -> -Rs 1.20; duty 5% of Rs 60.13 =
//  Rs 3.0065 -> Rs 3.01; total Rs 61.94. Posted on Nov 1: Rs 61.94.
//  Nov 2, bill to date: energy 19.200 kWh -> Rs 105.60; fixed x 2/30 = Rs 14.6667 -> Rs 14.67;
//  base Rs 120.27; rebate Rs 2.4054 -> -Rs 2.41; duty Rs 6.0135 -> Rs 6.01; total Rs 123.87.
//  Posted on Nov 2: Rs 123.87 - Rs 61.94 = Rs 61.93.
TEST(Billing, DailyPostingsAgreeWithAHandWorkedBillToThePaisa) {
  Rig rig("daily");
  rig.recharge(0, 50'000, "PAY-1");
  rig.consume(0, {2026, 11, 1}, 100);
  rig.at(ist({2026, 11, 1}, 23, 59));
  EXPECT_EQ(rig.wallet(), 50'000);
  EXPECT_EQ(rig.balance(), 50'000 - 6'194) << "accrued charges show before the posting";
  rig.at(ist({2026, 11, 2}, 0, 31));
  EXPECT_EQ(rig.wallet(), 50'000 - 6'194);
  rig.consume(0, {2026, 11, 2}, 100);
  rig.at(ist({2026, 11, 3}, 0, 31));
  EXPECT_EQ(rig.wallet(), 50'000 - 6'194 - 6'193);
  auto d2 = rig.db->txn_by_key("daily:C1000:2026-11-02");
  ASSERT_TRUE(d2.ok() && *d2);
  Paise total = 0;
  for (const auto& p : (*d2)->postings) total += p.amount;
  EXPECT_EQ(total, 0);
  EXPECT_EQ((*d2)->postings.front().ledger, "wallet:C1000");
  EXPECT_EQ((*d2)->postings.front().amount, 6'193);
  EXPECT_EQ((*d2)->tariff, "UP-LMV1-URBAN@2022-04-01");
  EXPECT_TRUE(rig.db->verify().ok());
}

// A month of 5 kWh a day, one day of data arriving a week late: the daily postings miss it,
// the statement finds it and recovers the shortfall; the month's deductions plus the statement's
// adjustment equal the bill of the whole month computed directly from the tariff.
TEST(Billing, MonthlyStatementReconcilesDailyDeductionsWithTheMonthlyBill) {
  Rig rig("statement");
  rig.recharge(0, 500'000, "PAY-1");
  for (int day = 1; day <= 30; ++day) {
    if (day != 5) rig.consume(0, {2026, 11, day}, 52);  // 4.992 kWh a day
    if (day == 12) rig.consume(0, {2026, 11, 5}, 52);   // day 5 arrives a week late
    rig.at(ist(tariff::add_days({2026, 11, day}, 1), 0, 31));
  }
  rig.at(ist({2026, 12, 3}, 0, 31));  // statement: 2 days after the month, at posting time
  auto st = rig.db->statement(1, "2026-11", "prepaid-statement");
  ASSERT_TRUE(st.ok() && *st);
  // The bill of the month, directly: 30 x 4.992 = 149.760 kWh.
  tariff::Usage u;
  u.wh = 30 * 96 * 52;
  u.sanctioned_load_w = 2000;
  u.days_billed = 30;
  u.days_in_month = 30;
  u.month = 11;
  u.max_demand_w = 52 * 4;
  const auto up = *tariff::find_tariff("UP-LMV1-URBAN", tariff::builtin_tariffs());
  auto bill = tariff::compute_bill(up.versions.back(), u, tariff::PaymentMode::kPrepaid);
  ASSERT_TRUE(bill.ok());
  EXPECT_EQ((*st)->bill_total, bill->total);
  EXPECT_EQ((*st)->posted + (*st)->adjustment, (*st)->bill_total);
  EXPECT_GT((*st)->adjustment, 0) << "the late day was recovered";
  // The daily deductions in the ledger are what the statement says was posted.
  Paise daily = 0, december = 0;
  const auto txns = *rig.db->txns(1, 1000);
  for (const auto& t : txns) {
    if (t.kind != "daily-charge") continue;
    (t.effective.rfind("2026-11", 0) == 0 ? daily : december) += t.postings.front().amount;
  }
  EXPECT_EQ(daily, (*st)->posted);
  EXPECT_EQ(rig.wallet(), 500'000 - bill->total - december);
  EXPECT_NE((*st)->html.find("UP-LMV1-URBAN"), std::string::npos);
  EXPECT_TRUE(rig.db->verify().ok());
}

// UP rules: no disconnection 18:00-08:00, Sundays, second Saturdays, holidays. The balance
// runs out on a Saturday evening; nothing is disconnected until Monday 08:00; a recharge then
// reconnects at once.
TEST(Billing, BalanceRunsOutOnSaturdayEveningAndDisconnectionWaitsForMondayMorning) {
  // 2026-11-21 is the third Saturday of November 2026.
  const CivilDate sat{2026, 11, 21};
  ASSERT_EQ(tariff::weekday(sat), 6);
  Rig rig("saturday", 1, ist(sat, 0));
  rig.recharge(0, 11'800, "PAY-1");  // Rs 118
  // 250 Wh per interval: about Rs 5.67 an hour with duty, and the day's fixed charge at its
  // start (Rs 7.55): Rs 118 lasts until about 19:30 on Saturday.
  for (int h = 0; h < 48 + 9; ++h) {
    const UtcTime t = ist(sat, 0) + std::chrono::hours(h);
    const CivilDate d = tariff::ist_date(t);
    const int slot = tariff::ist_minute_of_day(t) / 15;
    rig.consume(0, d, 250, slot, slot + 4);
    rig.at(t + 1h);
    const auto v = *rig.engine->view("C1000");
    if (t + 1h < ist({2026, 11, 23}, 8)) {
      EXPECT_TRUE(v.account.relay_closed) << tariff::format_ist(t + 1h);
    }
  }
  const auto v = *rig.engine->view("C1000");
  EXPECT_LT(v.balance, 0);
  EXPECT_FALSE(v.account.relay_closed) << "disconnected after Monday 08:00";
  auto disconnects = rig.relay.of_kind(store::CommandKind::kDisconnect);
  ASSERT_EQ(disconnects.size(), 1u);
  EXPECT_EQ(disconnects[0].created, ist({2026, 11, 23}, 8))
      << tariff::format_ist(disconnects[0].created);
  // Notifications: 30 %, 10 %, 0 % warnings, negative (Saturday evening), disconnect.
  std::vector<std::string> kinds;
  const auto notes = *rig.db->notifications_of(1);
  for (const auto& n : notes) kinds.push_back(n.kind);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "low-balance"), 3);
  // A new account starts at zero, so the first day's fixed charge makes it negative at once
  // (before the first recharge); then it runs out again on Saturday at 20:00.
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "negative"), 2) << [&] {
    std::string all;
    for (const auto& n : notes)
      all += tariff::format_ist(n.at) + " " + n.kind + ": " + n.text + "\n";
    return all;
  }();
  EXPECT_EQ(notes[notes.size() - 2].kind, "negative");
  EXPECT_EQ(notes[notes.size() - 2].at, ist(sat, 20));
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "disconnect"), 1);
  // Recharge: the reconnect command is queued by the recharge call itself.
  auto r = rig.recharge(0, 50'000, "PAY-2");
  EXPECT_TRUE(r.reconnect_ordered);
  auto connects = rig.relay.of_kind(store::CommandKind::kConnect);
  ASSERT_EQ(connects.size(), 1u);
  EXPECT_EQ(connects[0].created, rig.clock.now());
  EXPECT_TRUE(rig.engine->view("C1000")->account.relay_closed);
}

TEST(Billing, EmergencyCreditAndHolidaysDelayDisconnection) {
  PrepaidRules r;
  // Wednesday 2026-11-25 10:00 IST is allowed; a holiday that day is not.
  EXPECT_TRUE(disconnection_allowed(r, ist({2026, 11, 25}, 10)));
  EXPECT_FALSE(disconnection_allowed(r, ist({2026, 11, 25}, 7, 59)));
  EXPECT_FALSE(disconnection_allowed(r, ist({2026, 11, 25}, 18)));
  EXPECT_FALSE(disconnection_allowed(r, ist({2026, 11, 14}, 12))) << "second Saturday";
  EXPECT_TRUE(disconnection_allowed(r, ist({2026, 11, 7}, 12))) << "first Saturday";
  EXPECT_FALSE(disconnection_allowed(r, ist({2026, 11, 22}, 12))) << "Sunday";
  r.holidays.insert({2026, 11, 25});
  EXPECT_FALSE(disconnection_allowed(r, ist({2026, 11, 25}, 10)));
  EXPECT_EQ(next_disconnection_time(r, ist({2026, 11, 24}, 19)), ist({2026, 11, 26}, 8));
  EXPECT_EQ(next_disconnection_time(r, ist({2026, 11, 13}, 18, 30)), ist({2026, 11, 16}, 8));
  auto parsed = parse_rules(R"({"quiet_hours": {"from": "17:30", "to": "11:00"},
      "quiet_weekdays": ["Sunday"], "quiet_second_saturday": false, "holidays": ["2026-12-25"],
      "emergency_credit_hours": 0})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(parsed->quiet_start_minute, 17 * 60 + 30);
  EXPECT_TRUE(disconnection_allowed(*parsed, ist({2026, 11, 14}, 12)));
  EXPECT_FALSE(disconnection_allowed(*parsed, ist({2026, 11, 16}, 10, 59)));
  EXPECT_FALSE(parse_rules(R"({"quiet_hours": {"from": "25:00", "to": "1:00"}})").ok());
  EXPECT_FALSE(parse_rules(R"({"quiet_weekdays": ["Funday"]})").ok());
  // Issue 16: a misspelt field left its rule at the UP value without a word.
  auto misspelt = parse_rules(R"({"emergency_credit_hour": 0})");
  ASSERT_FALSE(misspelt.ok());
  EXPECT_NE(misspelt.error().message.find("unknown field \"emergency_credit_hour\""),
            std::string::npos);
  EXPECT_FALSE(
      parse_rules(R"({"quiet_hours": {"from": "17:30", "to": "11:00", "too": "x"}})").ok());
  EXPECT_TRUE(parse_rules(R"({"comment": "Bihar, 2026", "grace_days": 10})").ok());
  EXPECT_FALSE(parse_rules(R"({"emergency_credit_hours": 1e300})").ok());
  EXPECT_FALSE(parse_rules(R"({"grace_days": 29.99})").ok());
  EXPECT_FALSE(parse_rules(R"({"warn_at_percent": [-1e300]})").ok());
  EXPECT_FALSE(parse_rules(R"({"grace_days": 18446744073709551615})").ok());
  EXPECT_FALSE(parse_rules(R"({"quiet_hours": {"from": " +8:-0", "to": "08:00"}})").ok());
  auto round_trip = parse_rules(to_json(*parsed));
  ASSERT_TRUE(round_trip.ok());
  EXPECT_EQ(round_trip->holidays, parsed->holidays);

  // With UP's 3 days of emergency credit, a balance that turns negative on Monday noon is
  // disconnected on Thursday at noon, not before.
  Rig rig("emergency", 1, ist({2026, 11, 23}, 0));
  rig.options.rules.emergency_credit_s = 3 * 86'400;
  rig.restart();
  rig.recharge(0, 1'000, "PAY-1");
  rig.consume(0, {2026, 11, 23}, 400, 0, 48);
  rig.at(ist({2026, 11, 23}, 12, 5));
  EXPECT_LT(rig.balance(), 0);
  rig.at(ist({2026, 11, 26}, 11, 0));
  EXPECT_TRUE(rig.engine->view("C1000")->account.relay_closed);
  rig.at(ist({2026, 11, 26}, 12, 10));
  EXPECT_FALSE(rig.engine->view("C1000")->account.relay_closed);
}

TEST(Billing, DuplicatePaymentNotificationsCreditOnceAndReversalsUndoExactly) {
  Rig rig("duplicates");
  auto first = rig.recharge(0, 20'000, "UPI-77");
  EXPECT_FALSE(first.duplicate);
  for (int i = 0; i < 3; ++i) {
    auto again = rig.recharge(0, 20'000, "UPI-77");
    EXPECT_TRUE(again.duplicate);
    EXPECT_EQ(again.txn_id, first.txn_id);
  }
  EXPECT_EQ(rig.wallet(), 20'000);
  RechargeRequest other;
  other.consumer_id = "C1000";
  other.payment_ref = "UPI-77";
  other.amount = 30'000;
  auto mismatch = rig.engine->recharge(other);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.error().message.find("already used"), std::string::npos);
  other.amount = -5;
  other.payment_ref = "UPI-78";
  EXPECT_FALSE(rig.engine->recharge(other).ok());
  other.consumer_id = "NOBODY";
  other.amount = 100;
  EXPECT_FALSE(rig.engine->recharge(other).ok());
  // A restart does not forget the reference.
  rig.restart();
  EXPECT_TRUE(rig.recharge(0, 20'000, "UPI-77").duplicate);
  auto rev = rig.engine->reverse("UPI-77", "bounced", "ops");
  ASSERT_TRUE(rev.ok());
  EXPECT_EQ(rig.wallet(), 0);
  EXPECT_TRUE(rig.engine->reverse("UPI-77", "bounced", "ops")->duplicate);
  EXPECT_EQ(rig.wallet(), 0);
  EXPECT_EQ(*rig.db->ledger_sum("cash:upi"), 0);
  EXPECT_FALSE(rig.engine->reverse("NOPE", "x", "ops").ok());
  EXPECT_TRUE(rig.db->verify().ok());
}

// Issue 16: bytes that are not UTF-8 in --ref, --reason or --by aborted `vidyut recharge`,
// `reverse` and `billing adjust` inside the JSON library, and a newline in --by forged audit
// lines. They are refused with a clear error, and nothing is written.
TEST(Billing, TextThatIsNotUtf8OrForgesALineIsRefusedAndNothingIsWritten) {
  Rig rig("text");
  RechargeRequest q;
  q.consumer_id = "C1000";
  q.amount = 10'000;
  q.channel = "upi";
  q.payment_ref = "UPI-\xFF";
  auto r = rig.engine->recharge(q);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  q.payment_ref = "UPI-1";
  q.actor = "ops\n2026-12-07 system recharge";
  EXPECT_FALSE(rig.engine->recharge(q).ok());
  EXPECT_EQ(rig.wallet(), 0);
  q.actor = "ops";
  ASSERT_TRUE(rig.engine->recharge(q).ok());
  EXPECT_FALSE(rig.engine->reverse("UPI-1", "bounced \xC3\x28", "ops").ok());
  EXPECT_FALSE(rig.engine->reverse("UPI-1", "bounced", "ops\r\nsystem").ok());
  EXPECT_EQ(rig.wallet(), 10'000);
  EXPECT_FALSE(rig.engine->adjust("C1000", 500, "goodwill\x01", "ADJ-1", "ops").ok());
  EXPECT_TRUE(rig.engine->adjust("C1000", 500, "goodwill", "ADJ-1", "ops").ok());
  EXPECT_TRUE(rig.db->verify().ok());
}

TEST(Billing, TheLedgerRefusesUnbalancedTransactionsAndRollsBackAFailedWrite) {
  Rig rig("ledger");
  Change c;
  c.txn = Txn{0,
              "k1",
              "adjustment",
              1,
              rig.clock.now(),
              "2026-11-01",
              "",
              "{}",
              {{"wallet:C1000", -100}, {"adjustment", 99}}};
  auto r = rig.db->apply(c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("does not balance"), std::string::npos);
  c.txn->postings = {};
  EXPECT_FALSE(rig.db->apply(c).ok());
  // A failure in the middle of a multi-statement write leaves nothing behind.
  const auto before = *rig.db->last_txn_id();
  for (int n = 1; n <= 8; ++n) {
    rig.db->fail_after_statements(n);
    RechargeRequest q;
    q.consumer_id = "C1000";
    q.payment_ref = "R-" + std::to_string(n);
    q.amount = 1'000;
    auto failed = rig.engine->recharge(q);
    rig.db->fail_after_statements(0);
    if (failed.ok()) continue;  // the fault fell after the write: it committed
    EXPECT_EQ(*rig.db->last_txn_id(), before);
    EXPECT_FALSE(*rig.db->recharge(q.payment_ref));
  }
  EXPECT_TRUE(rig.db->verify().ok());
}

TEST(Billing, AHotspotTokenIsBoundToTheMeterAndReconciledOnce) {
  Rig rig("token");
  auto r = rig.recharge(0, 30'000, "SHOP-1", true);
  ASSERT_EQ(r.token.size(), token::kTokenDigits);
  EXPECT_EQ(rig.wallet(), 30'000) << "credited when issued";
  // The meter's key opens it; another meter's does not.
  const auto secrets = *rig.store->secrets(rig.meter_ids[0]);
  const auto info = **rig.store->meter_by_id(rig.meter_ids[0]);
  auto f = token::decode_token(token::derive_token_key(secrets.ak, info.system_title), r.token);
  ASSERT_TRUE(f.ok()) << f.error().describe();
  EXPECT_EQ(f->amount_rupees, 300u);
  EXPECT_EQ(f->sequence, r.token_sequence);
  auto other = info.system_title;
  other[7] ^= 1;
  EXPECT_FALSE(token::decode_token(token::derive_token_key(secrets.ak, other), r.token).ok());
  // A read of the meter's token log is queued for when it is reachable.
  auto reads = rig.relay.of_kind(store::CommandKind::kRead);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].argument, "tokens");
  // Duplicate notification: same token, no second credit.
  auto dup = rig.recharge(0, 30'000, "SHOP-1", true);
  EXPECT_TRUE(dup.duplicate);
  EXPECT_EQ(dup.token, r.token);
  EXPECT_EQ(dup.token_sequence, r.token_sequence);
  EXPECT_EQ(rig.wallet(), 30'000);
  // Issue 16: billing.db held tokens in clear. Its files hold no token digits now (the duplicate
  // above got them computed again), in any grouping.
  for (const char* file : {"billing.db", "billing.db-wal"}) {
    std::ifstream in(rig.dir / file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(r.token), std::string::npos) << file;
    EXPECT_EQ(bytes.find(token::format_token(r.token)), std::string::npos) << file;
  }
  // The head end stores the meter's log rows; reconciliation marks the token applied once.
  store::WriteBatch b;
  b.profile_rows.push_back(store::ProfileRow{rig.meter_ids[0],
                                             "tokens",
                                             rig.clock.now() + 1h,
                                             static_cast<std::int32_t>(r.token_sequence),
                                             {1}});
  ASSERT_TRUE(rig.store->write(b).ok());
  rig.clock.advance(2h);
  ASSERT_TRUE(rig.engine->reconcile_tokens().ok());
  ASSERT_TRUE(rig.engine->reconcile_tokens().ok());
  rig.restart();
  ASSERT_TRUE(rig.engine->reconcile_tokens().ok());
  auto tokens = *rig.db->tokens_of("S1000");
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].state, "applied");
  EXPECT_EQ(rig.engine->stats().tokens_reconciled, 0u) << "the restarted engine found it done";
  int applied = 0;
  const auto notes = *rig.db->notifications_of(1);
  for (const auto& n : notes) applied += n.kind == "token-applied";
  EXPECT_EQ(applied, 1);
  EXPECT_EQ(rig.wallet(), 30'000) << "reconciliation moves no money";
  // Fractional rupees cannot be carried by a token.
  RechargeRequest q;
  q.consumer_id = "C1000";
  q.payment_ref = "SHOP-2";
  q.amount = 30'050;
  q.issue_token = true;
  EXPECT_FALSE(rig.engine->recharge(q).ok());
}

// Issue 16: a hotspot token stayed valid after its payment was reversed, and the meter accepted
// it. The meter cannot be told while offline; the books must end right: the token is void in
// billing, its use is reconciled as owed (never credited again), and both are told.
TEST(Billing, ATokenUsedAfterItsPaymentWasReversedIsOwedAndNeverCreditedAgain) {
  Rig rig("token-reversed");
  auto r = rig.recharge(0, 20'000, "SHOP-9", true);
  ASSERT_FALSE(r.token.empty());
  ASSERT_TRUE(rig.engine->reverse("SHOP-9", "chargeback", "ops").ok());
  EXPECT_EQ(rig.wallet(), 0);
  auto tokens = *rig.db->tokens_of("S1000");
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].state, "revoked");
  // The consumer types it in at the meter anyway (offline); the head end reads the log later.
  store::WriteBatch b;
  b.profile_rows.push_back(store::ProfileRow{rig.meter_ids[0],
                                             "tokens",
                                             rig.clock.now() + 1h,
                                             static_cast<std::int32_t>(r.token_sequence),
                                             {1}});
  ASSERT_TRUE(rig.store->write(b).ok());
  rig.clock.advance(2h);
  ASSERT_TRUE(rig.engine->reconcile_tokens().ok());
  ASSERT_TRUE(rig.engine->reconcile_tokens().ok());
  tokens = *rig.db->tokens_of("S1000");
  EXPECT_EQ(tokens[0].state, "applied-after-reversal");
  EXPECT_EQ(rig.wallet(), 0) << "the token's amount is not credited again";
  int revoked = 0, owed = 0;
  const auto notes = *rig.db->notifications_of(1);
  for (const auto& n : notes) {
    revoked += n.kind == "token-revoked";
    owed += n.kind == "token-applied-after-reversal";
  }
  EXPECT_EQ(revoked, 1);
  EXPECT_EQ(owed, 1);
  // What he consumes on it is charged against a balance that lacks the money: he owes it.
  rig.consume(0, {2026, 11, 1}, 100);
  rig.at(ist({2026, 11, 2}, 0, 31));
  EXPECT_LT(rig.wallet(), 0);
  EXPECT_TRUE(rig.db->verify().ok());
}

// Postpaid month, then conversion: final bill, dues carried as arrears, a share of each
// recharge recovers them, the meter's payment mode is switched, grace period.
TEST(Billing, ConversionToPrepaidCarriesDuesAsArrearsRecoveredFromRecharges) {
  Rig rig("convert", 1, ist({2026, 11, 1}, 0), PaymentMode::kPostpaid);
  for (int day = 1; day <= 30; ++day) {
    rig.consume(0, {2026, 11, day}, 100);
    rig.at(ist(tariff::add_days({2026, 11, day}, 1), 0, 31));
  }
  rig.at(ist({2026, 12, 3}, 1));
  auto bill = rig.db->statement(1, "2026-11", "postpaid-bill");
  ASSERT_TRUE(bill.ok() && *bill);
  EXPECT_GT((*bill)->bill_total, 0);
  EXPECT_EQ(rig.engine->view("C1000")->receivable, (*bill)->bill_total);
  EXPECT_NE((*bill)->html.find("C1000"), std::string::npos);
  // Conversion on Dec 10: final bill for Dec 1-9.
  for (int day = 3; day <= 9; ++day) rig.consume(0, {2026, 12, day}, 100);
  rig.consume(0, {2026, 12, 1}, 100);
  rig.consume(0, {2026, 12, 2}, 100);
  rig.at(ist({2026, 12, 10}, 10));
  ASSERT_TRUE(rig.engine->convert_to_prepaid("C1000", "ops").ok());
  ASSERT_TRUE(rig.engine->convert_to_prepaid("C1000", "ops").ok()) << "idempotent";
  const auto v = *rig.engine->view("C1000");
  EXPECT_EQ(v.account.mode, tariff::PaymentMode::kPrepaid);
  EXPECT_EQ(v.receivable, 0);
  auto final_bill = rig.db->statement(1, "2026-12", "final-bill");
  ASSERT_TRUE(final_bill.ok() && *final_bill);
  EXPECT_EQ(v.arrears, (*bill)->bill_total + (*final_bill)->bill_total);
  EXPECT_EQ(v.account.grace_until, rig.clock.now() + std::chrono::hours(24 * 30));
  auto modes = rig.relay.of_kind(store::CommandKind::kPaymentMode);
  ASSERT_EQ(modes.size(), 1u);
  EXPECT_EQ(modes[0].argument, "prepaid");
  // A Rs 1,000 recharge: 25 % recovers arrears.
  auto r = rig.recharge(0, 100'000, "PAY-9");
  EXPECT_EQ(r.to_arrears, std::min<Paise>(25'000, v.arrears));
  EXPECT_EQ(r.to_wallet, 100'000 - r.to_arrears);
  EXPECT_EQ(rig.engine->view("C1000")->arrears, v.arrears - r.to_arrears);
  // In grace: a negative balance does not disconnect.
  rig.consume(0, {2026, 12, 10}, 5'000, 40, 96);
  rig.at(ist({2026, 12, 11}, 11));
  EXPECT_LT(rig.balance(), 0);
  EXPECT_TRUE(rig.engine->view("C1000")->account.relay_closed);
  EXPECT_TRUE(rig.db->verify().ok());
}

// Property: random consumption, recharges, duplicate notifications, reversals, failed writes
// and restarts over two months. The books always balance; cash equals the recharges that stand;
// every wallet equals its credits minus its charges; every statement's bill equals its daily
// deductions plus its adjustment, and equals the bill computed directly from the consumption.
TEST(Billing, PropertyMoneyIsConservedAcrossCrashesAndDailyDeductionsReconcile) {
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const int n = 4;
    Rig rig("property-" + std::to_string(seed), n);
    std::map<std::string, Paise> standing;  // ref -> amount of recharges not reversed
    std::map<int, std::map<std::string, std::int64_t>> wh_by_month;  // consumer -> month -> Wh
    std::vector<std::string> refs;
    int crashes = 0;
    for (CivilDate d{2026, 11, 1}; d <= CivilDate{2026, 12, 31}; d = tariff::add_days(d, 1)) {
      for (int i = 0; i < n; ++i) {
        const std::int64_t wh = std::uniform_int_distribution<std::int64_t>(0, 300)(rng);
        rig.consume(i, d, wh);
        wh_by_month[i][tariff::to_string(tariff::month_of(d))] += wh * 96;
      }
      for (int hour : {9, 13, 21}) {
        rig.clock.set(ist(d, hour));
        const int op = std::uniform_int_distribution<int>(0, 9)(rng);
        const int who = std::uniform_int_distribution<int>(0, n - 1)(rng);
        if (op <= 3) {
          const std::string ref = "P" + std::to_string(refs.size());
          const Paise amount = std::uniform_int_distribution<Paise>(1, 3'000)(rng) * 100;
          // Sometimes the write fails part-way (a crash); the channel retries after a restart.
          if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
            rig.db->fail_after_statements(std::uniform_int_distribution<int>(1, 6)(rng));
            RechargeRequest q{ref, "C" + std::to_string(1000 + who), amount, "upi", false, "t"};
            auto r = rig.engine->recharge(q);
            rig.db->fail_after_statements(0);
            if (!r.ok()) {
              ++crashes;
              rig.restart();
            }
          }
          auto r = rig.recharge(who, amount, ref);
          rig.recharge(who, amount, ref);  // duplicate notification
          standing[ref] = amount;
          refs.push_back(ref);
          (void)r;
        } else if (op == 4 && !refs.empty()) {
          const auto& ref =
              refs[std::uniform_int_distribution<std::size_t>(0, refs.size() - 1)(rng)];
          ASSERT_TRUE(rig.engine->reverse(ref, "bounced", "t").ok());
          standing.erase(ref);
        } else if (op == 5) {
          // A crash during a tick (the posting run fails part-way), then a restart.
          rig.db->fail_after_statements(std::uniform_int_distribution<int>(1, 40)(rng));
          (void)rig.engine->tick();
          rig.db->fail_after_statements(0);
          ++crashes;
          rig.restart();
        }
        ASSERT_TRUE(rig.engine->tick().ok());
      }
    }
    rig.at(ist({2027, 1, 3}, 1));
    ASSERT_TRUE(rig.db->verify().ok()) << rig.db->verify().error().describe();
    Paise cash = 0;
    for (const auto& [ref, amount] : standing) cash += amount;
    EXPECT_EQ(*rig.db->ledger_sum("cash:upi"), cash);
    const auto up = *tariff::find_tariff("UP-LMV1-URBAN", tariff::builtin_tariffs());
    for (int i = 0; i < n; ++i) {
      const std::string c = "C" + std::to_string(1000 + i);
      const auto account = **rig.db->account(c);
      Paise credits = 0, charges = 0;
      const auto txns = *rig.db->txns(account.id, 10'000);
      for (const auto& t : txns) {
        for (const auto& p : t.postings) {
          if (p.ledger != "wallet:" + c) continue;
          if (t.kind == "recharge" || t.kind == "reversal")
            credits -= p.amount;
          else
            charges += p.amount;
        }
      }
      EXPECT_EQ(rig.wallet(i), credits - charges);
      for (const char* m : {"2026-11", "2026-12"}) {
        auto st = rig.db->statement(account.id, m, "prepaid-statement");
        ASSERT_TRUE(st.ok() && *st) << c << " " << m;
        EXPECT_EQ((*st)->posted + (*st)->adjustment, (*st)->bill_total);
        tariff::Usage u;
        u.wh = wh_by_month[i][m];
        u.sanctioned_load_w = 2000;
        u.days_billed = u.days_in_month = std::string(m) == "2026-11" ? 30 : 31;
        u.month = std::string(m) == "2026-11" ? 11 : 12;
        auto bill = tariff::compute_bill(up.versions.back(), u, tariff::PaymentMode::kPrepaid);
        ASSERT_TRUE(bill.ok());
        EXPECT_EQ((*st)->bill_total, bill->total) << c << " " << m;
        // Every day was posted on time here, so the statement has nothing to adjust.
        EXPECT_EQ((*st)->adjustment, 0) << c << " " << m;
      }
    }
    EXPECT_GT(crashes, 0);
  }
}

}  // namespace
}  // namespace vidyut::billing

namespace vidyut::billing {
namespace {

// A second process (the CLI) records a recharge with a passive engine on the same files; the
// serving engine picks it up at its next tick, takes over the rule state and reconnects.
TEST(Billing, ARechargeRecordedByAnotherProcessReconnectsAtTheServingEnginesNextTick) {
  Rig rig("two-process", 1, ist({2026, 11, 23}, 9));  // a Monday morning: disconnection allowed
  rig.recharge(0, 1'000, "OPEN");
  rig.consume(0, {2026, 11, 23}, 500, 0, 40);
  rig.at(ist({2026, 11, 23}, 10, 5));
  ASSERT_FALSE(rig.engine->view("C1000")->account.relay_closed) << "ran out and disconnected";
  auto other_db = BillingDb::open(rig.dir);
  ASSERT_TRUE(other_db.ok());
  EngineOptions passive = rig.options;
  passive.decide = false;
  StoreRelayPort port(*rig.store);
  Engine cli(**other_db, *rig.store, rig.clock, tariff::builtin_tariffs(), passive, &port);
  ASSERT_TRUE(cli.start().ok());
  RechargeRequest q;
  q.consumer_id = "C1000";
  q.payment_ref = "CLI-1";
  q.amount = 40'000;
  auto r = cli.recharge(q);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_FALSE(r->reconnect_ordered) << "the passive engine decides nothing";
  const auto connects_before = rig.relay.of_kind(store::CommandKind::kConnect).size();
  rig.at(rig.clock.now() + 1s);
  EXPECT_TRUE(rig.engine->view("C1000")->account.relay_closed);
  EXPECT_EQ(rig.relay.of_kind(store::CommandKind::kConnect).size(), connects_before + 1);
  EXPECT_EQ(rig.engine->view("C1000")->account.last_recharge, 40'000);
  EXPECT_EQ(rig.wallet(), 41'000) << "nothing is posted before the day ends";
  EXPECT_TRUE(rig.db->verify().ok());
}

}  // namespace
}  // namespace vidyut::billing

namespace vidyut::billing {
namespace {

store::ProfileRow billing_row(std::int64_t meter_id, UtcTime captured, std::int64_t import_wh) {
  using dlms::Data;
  store::ProfileRow r;
  r.meter_id = meter_id;
  r.profile = "billing";
  r.captured = captured;
  r.data = dlms::axdr::encode(
      Data::structure({Data::octet_string(Bytes(12, 0)), Data::long_unsigned(990),
                       Data::double_long_unsigned(static_cast<std::uint32_t>(import_wh))}));
  return r;
}

// Postpaid, November: the intervals of three days never reached the head end, but the meter's
// billing profile (read by the head end after each billing date) has the register at 1 November
// and 1 December. The bill charges the register's difference - the energy the consumer used -
// and shows both readings; the intervals still give the demand.
TEST(Billing, APostpaidBillUsesTheMetersReadingsAtTheBillingDates) {
  Rig rig("readings", 1, ist({2026, 11, 1}, 0), PaymentMode::kPostpaid);
  for (int day = 1; day <= 30; ++day) {
    if (day < 10 || day > 12) rig.consume(0, {2026, 11, day}, 100);  // 9.6 kWh a day
  }
  store::WriteBatch b;
  b.profile_rows.push_back(billing_row(rig.meter_ids[0], ist({2026, 11, 1}, 0), 1'000'000));
  b.profile_rows.push_back(
      billing_row(rig.meter_ids[0], ist({2026, 12, 1}, 0) + 40s, 1'000'000 + 30 * 9'600));
  ASSERT_TRUE(rig.store->write(b).ok());
  rig.at(ist({2026, 12, 3}, 1));
  auto bill = rig.db->statement(1, "2026-11", "postpaid-bill");
  ASSERT_TRUE(bill.ok() && *bill);
  // The bill of 288.000 kWh (the register), not of the 259.200 kWh of intervals received.
  tariff::Usage u;
  u.wh = 288'000;
  u.max_demand_w = 400;
  u.sanctioned_load_w = 2000;
  u.days_billed = u.days_in_month = 30;
  u.month = 11;
  const auto up = *tariff::find_tariff("UP-LMV1-URBAN", tariff::builtin_tariffs());
  auto expected = tariff::compute_bill(up.versions.back(), u, tariff::PaymentMode::kPostpaid);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ((*bill)->bill_total, expected->total);
  EXPECT_NE((*bill)->html.find("1000.000"), std::string::npos) << "previous reading shown";
  EXPECT_NE((*bill)->html.find("Previous reading"), std::string::npos);
  auto txn = rig.db->txn_by_key("bill:C1000:2026-11");
  ASSERT_TRUE(txn.ok() && *txn);
  EXPECT_NE((*txn)->detail.find("meter billing profile"), std::string::npos);
  // A malformed row is not a reading.
  store::ProfileRow bad = billing_row(rig.meter_ids[0], ist({2026, 11, 1}, 0), 5);
  bad.data = {0x01, 0x00};
  EXPECT_FALSE(reading_of(bad).ok());
}

// Relay holds: a consumer under an area load-control disconnection runs out of balance and is
// disconnected by billing too; his recharge releases billing's hold but does not reconnect him
// while load control holds the relay (its restore will); billing's hold would likewise keep
// load control's restore from reconnecting him without balance (mdm load_control_test).
TEST(Billing, ARechargeDoesNotReconnectAConsumerHeldOpenByLoadControl) {
  const CivilDate mon{2026, 11, 23};
  ASSERT_EQ(tariff::weekday(mon), 1);
  Rig rig("holds", 1, ist(mon, 0));
  rig.recharge(0, 1'000, "PAY-1");  // Rs 10: gone by the morning
  rig.consume(0, mon, 250, 0, 40);
  const std::int64_t meter = rig.meter_ids[0];
  ASSERT_TRUE(
      rig.store->hold_relay(store::RelayHold{meter, "load-control:1", "peak", ist(mon, 9)}).ok());
  rig.at(ist(mon, 10));
  ASSERT_FALSE(rig.engine->view("C1000")->account.relay_closed);
  ASSERT_EQ(rig.relay.of_kind(store::CommandKind::kDisconnect).size(), 1u);
  auto holds = rig.store->relay_holds(meter);
  ASSERT_EQ(holds->size(), 2u);
  EXPECT_EQ((*holds)[0].holder, "billing");
  auto r = rig.recharge(0, 50'000, "PAY-2");
  EXPECT_TRUE(r.reconnect_ordered);  // billing wants it closed ...
  EXPECT_TRUE(rig.relay.of_kind(store::CommandKind::kConnect).empty());  // ... load control holds
  EXPECT_EQ(rig.engine->stats().reconnects_held, 1u);
  holds = rig.store->relay_holds(meter);
  ASSERT_EQ(holds->size(), 1u);
  EXPECT_EQ((*holds)[0].holder, "load-control:1");
  // Ticks do not retry it: billing's decision is settled.
  rig.at(ist(mon, 11));
  EXPECT_TRUE(rig.relay.of_kind(store::CommandKind::kConnect).empty());
  // Without a load-control hold a recharge reconnects at once (the usual path).
  ASSERT_TRUE(rig.store->release_relay(meter, "load-control:1")->empty());
}

}  // namespace
}  // namespace vidyut::billing
