// What a consumer reads of his own money (docs/billing.md, "What the consumer sees"): his
// transactions with what each did to his balance, and how many days the balance lasts at his
// recent daily charges.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "billing/ledger.h"
#include "core/result.h"

namespace vidyut::billing {

inline constexpr std::size_t kMaxHistory = 500;
// Daily charges the rate is averaged over.
inline constexpr std::size_t kDaysLeftBasis = 7;

struct HistoryEntry {
  std::int64_t txn_id = 0;
  std::string kind;  // "recharge", "daily-charge", "reversal", ...
  UtcTime at{};
  std::string effective;     // the IST day or month the money belongs to
  Paise balance_change = 0;  // + credit to the consumer, - charge
  Paise dues_change = 0;     // postpaid dues and arrears: + owed more, - owed less
  std::string detail;        // the transaction's detail (JSON text)
};

// The newest `limit` (<= kMaxHistory) transactions of an account, newest first.
Result<std::vector<HistoryEntry>> account_history(BillingDb& db, const Account& account,
                                                  std::size_t limit);

// Days the balance lasts at the average of the newest kDaysLeftBasis daily charges in
// `history`: nullopt when there is no daily charge yet, 0 when the balance is not positive.
std::optional<double> days_left(Paise balance, const std::vector<HistoryEntry>& history);

}  // namespace vidyut::billing
