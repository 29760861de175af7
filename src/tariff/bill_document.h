// The bill document: a Bill as a printable, self-contained HTML5 page for the consumer (a
// postpaid bill or a prepaid consumer's monthly statement).
//
// The page has inline CSS and no scripts, images or external references, so it can be mailed,
// archived or printed as it is. Every text that comes from outside (names, ids, labels) is
// HTML-escaped. Every bill line is shown with its basis, so the consumer can check it by hand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tariff/calendar.h"
#include "tariff/tariff.h"

namespace vidyut::tariff {

struct BillDocument {
  std::string utility;  // "UPPCL"
  std::string consumer_id;
  std::string consumer_name;  // may be empty
  std::string meter_serial;
  std::string tariff_code;
  std::string tariff_name;
  CivilDate tariff_effective_from;  // of the version the bill used
  std::string tariff_order;
  CivilDate period_from;  // first and last IST day billed, both included
  CivilDate period_to;
  PaymentMode mode = PaymentMode::kPrepaid;  // prepaid: monthly statement; postpaid: bill
  std::optional<std::int64_t> previous_reading_wh;
  std::optional<std::int64_t> present_reading_wh;
  // The 15-minute readings behind the bill and how many of them were estimated (validated data).
  std::optional<std::int64_t> intervals;
  std::int64_t estimated_intervals = 0;
  Bill bill;
  // Rows after the bill total, in order: "Daily deductions posted", "Adjustment credited",
  // "Arrears", "Amount payable", ...
  std::vector<std::pair<std::string, Paise>> extra_rows;
  std::optional<CivilDate> issue_date;
  std::optional<CivilDate> due_date;  // postpaid bills
};

// The page. Deterministic: the same document gives the same bytes.
std::string render_bill_html(const BillDocument& doc);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string html_escape(std::string_view text);

}  // namespace vidyut::tariff
