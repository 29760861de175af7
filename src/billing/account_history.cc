#include "billing/account_history.h"

#include <algorithm>

namespace vidyut::billing {

Result<std::vector<HistoryEntry>> account_history(BillingDb& db, const Account& account,
                                                  std::size_t limit) {
  VIDYUT_TRY(txns, db.txns(account.id, std::min(limit, kMaxHistory)));
  const std::string wallet = "wallet:" + account.consumer_id;
  const std::string receivable = "receivable:" + account.consumer_id;
  const std::string arrears = "arrears:" + account.consumer_id;
  std::vector<HistoryEntry> out;
  for (const auto& t : *txns) {
    HistoryEntry e;
    e.txn_id = t.id;
    e.kind = t.kind;
    e.at = t.at;
    e.effective = t.effective;
    e.detail = t.detail;
    for (const auto& p : t.postings) {
      // The wallet is a liability: a credit (negative) raises the consumer's balance.
      if (p.ledger == wallet) e.balance_change -= p.amount;
      if (p.ledger == receivable || p.ledger == arrears) e.dues_change += p.amount;
    }
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(),
            [](const HistoryEntry& a, const HistoryEntry& b) { return a.txn_id > b.txn_id; });
  return out;
}

std::optional<double> days_left(Paise balance, const std::vector<HistoryEntry>& history) {
  Paise charged = 0;
  std::size_t days = 0;
  for (const auto& e : history) {
    if (e.kind != "daily-charge" || e.balance_change >= 0) continue;
    charged += -e.balance_change;
    if (++days == kDaysLeftBasis) break;
  }
  if (days == 0 || charged <= 0) return std::nullopt;
  if (balance <= 0) return 0.0;
  return static_cast<double>(balance) / (static_cast<double>(charged) / static_cast<double>(days));
}

}  // namespace vidyut::billing
