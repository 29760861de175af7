// The utility's prepaid rules (docs/billing.md "Rules"): when a prepaid consumer may be
// disconnected, emergency credit, low-balance warnings, grace and arrears recovery. They vary by
// utility and state, so they are configuration (a JSON file, rules_file below) with UP's rules as
// the default. Pure functions of the rules and a time: no clock, no storage.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "tariff/calendar.h"
#include "tariff/tariff.h"

namespace vidyut::billing {

using tariff::CivilDate;
using tariff::Paise;

struct PrepaidRules {
  std::string utility = "UPPCL";
  // No disconnection between these IST minutes of every day ([start, end), wrapping past
  // midnight when end <= start). UP: 18:00-08:00.
  int quiet_start_minute = 18 * 60;
  int quiet_end_minute = 8 * 60;
  // Whole days without disconnection: weekdays (0 = Sunday ... 6 = Saturday), the second
  // Saturday of each month, and a holiday calendar (IST dates).
  std::set<int> quiet_weekdays{0};
  bool quiet_second_saturday = true;
  std::set<CivilDate> holidays;
  // Emergency credit: after the balance turns negative, disconnection waits this long (and then
  // for the next allowed time). UP: 3 days.
  std::int64_t emergency_credit_s = 3 * 86'400;
  // Low-balance warnings when the balance falls to these shares (basis points) of the last
  // recharge, highest first. UP: 30 %, 10 %, 0 %.
  std::vector<std::int32_t> warn_at_bp{3'000, 1'000, 0};
  // A disconnected consumer is reconnected as soon as the balance is at least this.
  Paise reconnect_at_paise = 0;
  // Days after conversion to prepaid without disconnection. UP: 30.
  std::int64_t grace_days = 30;
  // Share of each recharge that recovers arrears (basis points) until they are paid.
  std::int32_t arrears_share_bp = 2'500;
  // Daily posting of the previous IST day happens this long after IST midnight (lets the last
  // intervals arrive and gap fill finish).
  std::int64_t posting_delay_s = 30 * 60;
  // The monthly statement of a month is issued this many days after the month ends, at the
  // posting time (late data of the month is included).
  std::int64_t statement_delay_days = 2;
  // Recharges at or above this are refused as a probable input error (a named limit).
  Paise max_recharge_paise = 10'000'000;  // Rs 1,00,000
};

// Whether a disconnection may happen at `t` (outside every quiet window, day and holiday).
bool disconnection_allowed(const PrepaidRules& rules, UtcTime t);
// The first instant at or after `t` when disconnection is allowed (searches up to 366 days;
// returns t + 366 days if the rules never allow it).
UtcTime next_disconnection_time(const PrepaidRules& rules, UtcTime t);
// Why disconnection is not allowed at `t` ("quiet hours 18:00-08:00", "Sunday", "holiday",
// "second Saturday"), or empty when it is.
std::string quiet_reason(const PrepaidRules& rules, UtcTime t);

// Rules from JSON (docs/billing.md lists the fields; absent fields keep the UP defaults).
Result<PrepaidRules> parse_rules(std::string_view json);
std::string to_json(const PrepaidRules& rules);

}  // namespace vidyut::billing
