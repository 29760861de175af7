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

nlohmann::json atc_json(const mdm::AtcFigures& f) {
  auto opt = [](const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  return {{"name", f.name},
          {"feeder", f.feeder},
          {"input_wh", f.input_wh},
          {"input_complete", f.input_complete},
          {"consumers", f.consumers},
          {"accounts", f.accounts},
          {"billed_for_whole_period", f.billed_whole},
          {"billed_wh", f.billed_wh},
          {"billed_paise", f.billed_paise},
          {"collected_paise", f.collected_paise},
          {"cash_paise", f.cash_paise},
          {"billing_efficiency_percent", opt(f.billing_efficiency)},
          {"collection_efficiency_percent", opt(f.collection_efficiency)},
          {"atc_loss_percent", opt(f.atc_loss)},
          {"complete", f.complete()}};
}

}  // namespace vidyut::cli
