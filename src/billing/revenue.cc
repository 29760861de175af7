#include "billing/revenue.h"

#include <algorithm>
#include <string>

#include "tariff/calendar.h"

namespace vidyut::billing {
namespace {

bool starts_with(const std::string& s, std::string_view p) {
  return s.compare(0, p.size(), p) == 0;
}

// What a charge put on the utility's side: revenue and duty credited (negative), rebates debited.
Paise charged(const std::map<std::string, Paise>& by_ledger) {
  Paise sum = 0;
  for (const auto& [ledger, amount] : by_ledger) {
    if (starts_with(ledger, "revenue:") || starts_with(ledger, "duty:") ||
        starts_with(ledger, "rebate:")) {
      sum -= amount;
    }
  }
  return sum;
}

// What a consumer owes from his ledgers' sums: a negative prepaid balance (the wallet is a
// liability, so its postings sum positive when he owes), postpaid dues and arrears (assets).
Paise owed(const std::map<std::string, Paise>& by_ledger) {
  Paise wallet = 0, dues = 0;
  for (const auto& [ledger, amount] : by_ledger) {
    if (starts_with(ledger, "wallet:")) wallet += amount;
    if (starts_with(ledger, "receivable:") || starts_with(ledger, "arrears:")) dues += amount;
  }
  return std::max<Paise>(0, wallet) + dues;
}

// The last month whose last day is on or before `d`.
tariff::YearMonth last_whole_month(tariff::CivilDate d) {
  const tariff::YearMonth m = tariff::month_of(d);
  if (tariff::add_days(d, 1) == tariff::first_day(tariff::next_month(m))) return m;
  return tariff::month_of(tariff::add_days(tariff::first_day(m), -1));
}

Result<std::map<std::int64_t, Paise>> owed_through(BillingDb& db, tariff::CivilDate d) {
  VIDYUT_TRY(sums, db.postings_by_account_through(tariff::to_string(d),
                                                  tariff::to_string(last_whole_month(d))));
  std::map<std::int64_t, Paise> out;
  for (const auto& [account, by_ledger] : *sums) out[account] = owed(by_ledger);
  return out;
}

}  // namespace

Result<std::map<std::int64_t, AccountRevenue>> revenue_by_account(BillingDb& db,
                                                                  std::string_view from_day,
                                                                  std::string_view to_day) {
  VIDYUT_TRY(from, tariff::parse_date(from_day));
  VIDYUT_TRY(to, tariff::parse_date(to_day));
  if (*to < *from) {
    return Error(Errc::kInvalidArgument, "revenue: the period ends before it starts");
  }
  std::map<std::int64_t, AccountRevenue> out;
  VIDYUT_TRY(usage, db.usage_totals(from_day, to_day));
  for (const auto& [account, u] : *usage) {
    out[account].billed_wh = u.wh;
    out[account].intervals = u.intervals;
    out[account].estimated = u.estimated;
  }
  // Daily charges of the days.
  VIDYUT_TRY(daily, db.postings_by_account_between("daily-charge", from_day, to_day));
  for (const auto& [account, by_ledger] : *daily) out[account].billed += charged(by_ledger);
  // Monthly charges of the whole months inside the period.
  tariff::YearMonth first = tariff::month_of(*from);
  if (tariff::first_day(first) < *from) first = tariff::next_month(first);
  const tariff::YearMonth after = tariff::next_month(tariff::month_of(*to));
  tariff::YearMonth last = tariff::month_of(*to);
  const bool to_is_month_end = tariff::add_days(*to, 1) == tariff::first_day(after);
  if (!to_is_month_end) {
    // The month of `to` is not whole: the last whole month is the one before it.
    last = tariff::month_of(tariff::add_days(tariff::first_day(last), -1));
  }
  if (!(last < first)) {
    for (const char* kind : {"statement", "postpaid-bill", "final-bill"}) {
      VIDYUT_TRY(monthly, db.postings_by_account_between(kind, tariff::to_string(first),
                                                         tariff::to_string(last)));
      for (const auto& [account, by_ledger] : *monthly) out[account].billed += charged(by_ledger);
    }
  }
  // Cash: whatever reached a cash ledger on the days (reversals take theirs back).
  VIDYUT_TRY(all, db.postings_by_account_between("", from_day, to_day));
  for (const auto& [account, by_ledger] : *all) {
    for (const auto& [ledger, amount] : by_ledger) {
      if (starts_with(ledger, "cash:")) out[account].cash += amount;
    }
  }
  // Realised: billed less the growth of what each consumer owes.
  VIDYUT_TRY(before, owed_through(db, tariff::add_days(*from, -1)));
  VIDYUT_TRY(owed_after, owed_through(db, *to));
  for (const auto& [account, o] : *before) out[account].owed_before = o;
  for (const auto& [account, o] : *owed_after) out[account].owed_after = o;
  for (auto& [account, r] : out) r.realised = r.billed - (r.owed_after - r.owed_before);
  return out;
}

}  // namespace vidyut::billing
