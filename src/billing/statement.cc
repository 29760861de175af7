#include "billing/statement.h"

#include "tariff/bill_document.h"

namespace vidyut::billing {

std::string statement_html(const StatementContext& c) {
  tariff::BillDocument d;
  d.utility = c.utility;
  d.consumer_id = c.account.consumer_id;
  d.meter_serial = c.account.meter_serial;
  d.tariff_code = c.tariff.code;
  d.tariff_name = c.tariff.name;
  d.tariff_effective_from = c.version.effective_from;
  d.tariff_order = c.version.order;
  d.period_from = c.from;
  d.period_to = c.to;
  d.bill = c.bill;
  d.previous_reading_wh = c.previous_reading_wh;
  d.present_reading_wh = c.present_reading_wh;
  d.intervals = c.usage.intervals;
  d.estimated_intervals = c.usage.estimated;
  d.issue_date = tariff::ist_date(c.statement.issued);
  const bool prepaid = c.statement.kind == "prepaid-statement";
  d.mode = prepaid ? tariff::PaymentMode::kPrepaid : tariff::PaymentMode::kPostpaid;
  if (prepaid) {
    d.extra_rows.emplace_back("Daily deductions already taken from your balance",
                              c.statement.posted);
    if (c.statement.adjustment < 0) {
      d.extra_rows.emplace_back("Excess deducted, credited back to your balance",
                                -c.statement.adjustment);
    } else {
      d.extra_rows.emplace_back("Shortfall recovered from your balance", c.statement.adjustment);
    }
    d.extra_rows.emplace_back("Balance after this statement", c.balance_after);
  } else {
    d.extra_rows.emplace_back("Amount payable (all dues)", c.balance_after);
    d.due_date = tariff::add_days(tariff::ist_date(c.statement.issued), 15);
  }
  return tariff::render_bill_html(d);
}

}  // namespace vidyut::billing
