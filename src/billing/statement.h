// The consumer's document for a statement: a prepaid monthly statement, a postpaid bill or the
// final bill before conversion, as HTML (tariff/bill_document.h) with the figures behind it.
#pragma once

#include <optional>
#include <string>

#include "billing/ledger.h"
#include "tariff/calendar.h"
#include "tariff/tariff.h"

namespace vidyut::billing {

struct StatementContext {
  std::string utility;
  const Account& account;
  const tariff::TariffVersion& version;
  const tariff::Tariff& tariff;
  tariff::CivilDate from;
  tariff::CivilDate to;
  const UsageDay& usage;
  const tariff::Bill& bill;
  const Statement& statement;  // kind, posted, adjustment
  Paise balance_after = 0;     // prepaid: wallet after the adjustment; postpaid: dues
  // The meter's register at the two billing dates, when the energy came from them.
  std::optional<std::int64_t> previous_reading_wh = std::nullopt;
  std::optional<std::int64_t> present_reading_wh = std::nullopt;
};

std::string statement_html(const StatementContext& ctx);

}  // namespace vidyut::billing
