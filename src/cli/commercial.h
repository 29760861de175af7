// The MDM's commercial figures (mdm/atc.h) from billing's ledger (billing/revenue.h): the CLI
// joins the two, so that neither module depends on the other.
#pragma once

#include <nlohmann/json.hpp>

#include "billing/ledger.h"
#include "core/result.h"
#include "mdm/atc.h"
#include "tariff/calendar.h"

namespace vidyut::cli {

// Billed energy, billed amount and collections of IST days [from, to] by consumer meter id.
Result<mdm::RevenueByMeter> revenue_by_meter(billing::BillingDb& db, tariff::CivilDate from,
                                             tariff::CivilDate to);

// One AT&C figure for reports and other systems (`vidyut mdm atc --json`, the demo's report).
nlohmann::json atc_json(const mdm::AtcFigures& f);

}  // namespace vidyut::cli
