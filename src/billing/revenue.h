// The commercial side of the energy audit: per account, over IST days [from, to], the energy
// billed, the amount billed, the amount realised against it and the cash received, read from the
// ledger (docs/billing.md, "Billed and collected"). The MDM puts them beside the meters' energy
// to give billing and collection efficiency and the AT&C loss per feeder (docs/mdm.md).
//
//   energy billed   = the account's usage on its posted days (usage_days)
//   amount billed   = what its charges put on revenue, duty and rebate ledgers: prepaid daily
//                     charges of the days, and the month's statement correction, postpaid bill
//                     or final bill for every whole month inside the period
//   amount realised = amount billed - the growth of what the consumer owes over the period
//                     (a negative prepaid balance, postpaid dues, arrears): a prepaid charge
//                     is realised when the balance covers it, a postpaid bill when it is paid,
//                     and paying old dues counts too
//   cash received   = what reached a cash ledger: recharges and payments, less reversals
// A prepaid consumer pays ahead, so the cash of a short period says little about collection;
// the realised amount is what collection efficiency is computed from.
#pragma once

#include <cstdint>
#include <map>
#include <string_view>

#include "billing/ledger.h"
#include "core/result.h"

namespace vidyut::billing {

struct AccountRevenue {
  std::int64_t billed_wh = 0;
  std::int64_t intervals = 0;  // behind billed_wh
  std::int64_t estimated = 0;  // of them, estimates
  Paise billed = 0;
  Paise realised = 0;
  Paise cash = 0;
  Paise owed_before = 0;  // what the consumer owed at the end of the day before `from`
  Paise owed_after = 0;   // and at the end of `to`
};

// By account id. kInvalidArgument unless from and to are YYYY-MM-DD with from <= to.
Result<std::map<std::int64_t, AccountRevenue>> revenue_by_account(BillingDb& db,
                                                                  std::string_view from_day,
                                                                  std::string_view to_day);

}  // namespace vidyut::billing
