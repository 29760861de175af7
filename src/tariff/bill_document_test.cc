#include "tariff/bill_document.h"

#include <gtest/gtest.h>

#include "tariff/tariff_file.h"

namespace vidyut::tariff {
namespace {

BillDocument sample(PaymentMode mode) {
  auto t = find_tariff("EXAMPLE-TOD", builtin_tariffs());
  EXPECT_TRUE(t.ok());
  const TariffVersion& v = t->versions.at(0);
  Usage u;
  u.wh = 250'000;
  u.wh_by_block = {30'000, 80'000, 40'000};
  u.sanctioned_load_w = 2'000;
  u.days_billed = 31;
  u.days_in_month = 31;
  u.month = 1;
  auto bill = compute_bill(v, u, mode);
  EXPECT_TRUE(bill.ok());
  BillDocument d;
  d.utility = "Example <Power> & Light";
  d.consumer_id = "C-0001\"'";
  d.consumer_name = "<script>alert('x')</script> Sharma & Sons";
  d.meter_serial = "00001234";
  d.tariff_code = t->code;
  d.tariff_name = t->name;
  d.tariff_effective_from = v.effective_from;
  d.tariff_order = v.order;
  d.period_from = {2026, 1, 1};
  d.period_to = {2026, 1, 31};
  d.mode = mode;
  d.previous_reading_wh = 1'000'000;
  d.present_reading_wh = 1'250'000;
  d.bill = *bill;
  d.extra_rows = {{"Daily deductions posted", 168'000}, {"Adjustment credited <now>", -2'023}};
  d.issue_date = CivilDate{2026, 2, 1};
  if (mode == PaymentMode::kPostpaid) d.due_date = CivilDate{2026, 2, 15};
  return d;
}

TEST(BillDocument, EscapesEveryOutsideText) {
  const std::string html = render_bill_html(sample(PaymentMode::kPrepaid));
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Sharma &amp; Sons"),
            std::string::npos);
  EXPECT_NE(html.find("Example &lt;Power&gt; &amp; Light"), std::string::npos);
  EXPECT_NE(html.find("C-0001&quot;&#39;"), std::string::npos);
  EXPECT_NE(html.find("Adjustment credited &lt;now&gt;"), std::string::npos);
  EXPECT_EQ(html_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
}

TEST(BillDocument, ShowsEveryLineWithItsBasisAndAmount) {
  for (const auto mode : {PaymentMode::kPrepaid, PaymentMode::kPostpaid}) {
    const BillDocument d = sample(mode);
    const std::string html = render_bill_html(d);
    ASSERT_FALSE(d.bill.lines.empty());
    for (const BillLine& l : d.bill.lines) {
      EXPECT_NE(html.find(html_escape(l.label)), std::string::npos) << l.label;
      EXPECT_NE(html.find(html_escape(l.basis)), std::string::npos) << l.basis;
      EXPECT_NE(html.find(">" + format_rupees(l.amount) + "<"), std::string::npos) << l.amount;
    }
    EXPECT_NE(html.find(">" + format_rupees(d.bill.total) + "<"), std::string::npos);
    for (const auto& [name, amount] : d.extra_rows) {
      EXPECT_NE(html.find(">" + format_rupees(amount) + "<"), std::string::npos) << name;
    }
    // The totals of tariff_test.cc's TodBill.WinterSplitWorkedByHand.
    EXPECT_NE(html.find(mode == PaymentMode::kPrepaid ? "Rs 1,700.23" : "Rs 1,733.24"),
              std::string::npos);
    EXPECT_NE(html.find("250.000"), std::string::npos);  // units consumed
    EXPECT_NE(
        html.find(mode == PaymentMode::kPrepaid ? "Prepaid monthly statement" : "Electricity bill"),
        std::string::npos);
  }
  EXPECT_NE(render_bill_html(sample(PaymentMode::kPostpaid)).find("2026-02-15"), std::string::npos);
}

TEST(BillDocument, IsASelfContainedPage) {
  const std::string html = render_bill_html(sample(PaymentMode::kPrepaid));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(html.find("<style>"), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  // Deterministic.
  EXPECT_EQ(html, render_bill_html(sample(PaymentMode::kPrepaid)));
}

TEST(BillDocument, OptionalPartsMayBeAbsent) {
  BillDocument d = sample(PaymentMode::kPrepaid);
  d.consumer_name.clear();
  d.previous_reading_wh.reset();
  d.present_reading_wh.reset();
  d.extra_rows.clear();
  d.issue_date.reset();
  const std::string html = render_bill_html(d);
  EXPECT_EQ(html.find("<th>Name</th>"), std::string::npos);
  EXPECT_EQ(html.find("Meter readings"), std::string::npos);
  EXPECT_EQ(html.find("<h2>Account</h2>"), std::string::npos);
  EXPECT_NE(html.find("Rs 1,700.23"), std::string::npos);
}

}  // namespace
}  // namespace vidyut::tariff
