#include "cli/commercial.h"

#include <unordered_map>

#include "billing/revenue.h"

namespace vidyut::cli {

Result<mdm::RevenueByMeter> revenue_by_meter(billing::BillingDb& db, tariff::CivilDate from,
                                             tariff::CivilDate to) {
  VIDYUT_TRY(by_account,
             billing::revenue_by_account(db, tariff::to_string(from), tariff::to_string(to)));
  VIDYUT_TRY(accounts, db.accounts());
  std::unordered_map<std::int64_t, std::int64_t> meter_of;
  for (const auto& a : *accounts) meter_of[a.id] = a.meter_id;
  mdm::RevenueByMeter out;
  for (const auto& a : *accounts) out[a.meter_id];  // an account billed nothing still counts
  for (const auto& [account, r] : *by_account) {
    auto it = meter_of.find(account);
    if (it == meter_of.end()) continue;
    mdm::ConsumerRevenue& c = out[it->second];
    c.billed_wh += r.billed_wh;
    c.billed_paise += r.billed;
    c.collected_paise += r.realised;
    c.cash_paise += r.cash;
    c.intervals += r.intervals;
  }
  return out;
}

}  // namespace vidyut::cli
