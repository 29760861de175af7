#include "tariff/bill_document.h"

#include <fmt/format.h>

namespace vidyut::tariff {
namespace {

// Print-friendly and readable on a phone; no external fonts.
constexpr const char* kStyle = R"css(
body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; color: #111; margin: 2em auto;
       max-width: 48em; padding: 0 1em; font-size: 11pt; }
h1 { font-size: 1.4em; margin: 0 0 0.2em 0; }
h2 { font-size: 1.05em; margin: 1.4em 0 0.4em 0; border-bottom: 1px solid #999; }
.sub { color: #444; margin: 0 0 1em 0; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
table.lines th { border-bottom: 2px solid #333; }
table.lines td { border-bottom: 1px solid #ddd; }
td.amount, th.amount { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.basis { color: #333; font-size: 0.92em; }
tr.total td { border-top: 2px solid #333; border-bottom: none; font-weight: bold; }
table.facts th { width: 12em; color: #444; font-weight: normal; }
.foot { margin-top: 2em; color: #555; font-size: 0.85em; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
)css";

void fact(std::string& out, std::string_view name, std::string_view value) {
  out += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", html_escape(name), html_escape(value));
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_bill_html(const BillDocument& d) {
  const bool prepaid = d.mode == PaymentMode::kPrepaid;
  const std::string title = prepaid ? "Prepaid monthly statement" : "Electricity bill";
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>{} - {} - {}</title>\n", html_escape(d.utility), html_escape(title),
                     html_escape(d.consumer_id));
  out += "<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n";
  out += fmt::format("<h1>{}</h1>\n<p class=\"sub\">{} for {} to {}</p>\n", html_escape(d.utility),
                     html_escape(title), to_string(d.period_from), to_string(d.period_to));

  out += "<h2>Consumer</h2>\n<table class=\"facts\">\n";
  fact(out, "Consumer id", d.consumer_id);
  if (!d.consumer_name.empty()) fact(out, "Name", d.consumer_name);
  fact(out, "Meter serial", d.meter_serial);
  fact(out, "Tariff", d.tariff_code + " - " + d.tariff_name);
  fact(out, "Tariff version",
       "effective " + to_string(d.tariff_effective_from) +
           (d.tariff_order.empty() ? "" : ", " + d.tariff_order));
  fact(out, "Payment mode", prepaid ? "prepaid" : "postpaid");
  fact(out, "Period", to_string(d.period_from) + " to " + to_string(d.period_to));
  if (d.issue_date) fact(out, "Issued", to_string(*d.issue_date));
  if (d.due_date) fact(out, "Due date", to_string(*d.due_date));
  out += "</table>\n";

  if (d.previous_reading_wh || d.present_reading_wh) {
    out += "<h2>Meter readings (kWh)</h2>\n<table class=\"facts\">\n";
    if (d.previous_reading_wh) fact(out, "Previous reading", format_kwh(*d.previous_reading_wh));
    if (d.present_reading_wh) fact(out, "Present reading", format_kwh(*d.present_reading_wh));
    if (d.previous_reading_wh && d.present_reading_wh) {
      fact(out, "Units consumed", format_kwh(*d.present_reading_wh - *d.previous_reading_wh));
    }
    out += "</table>\n";
  }

  if (d.intervals) {
    out += "<h2>Metered data</h2>\n<table class=\"facts\">\n";
    fact(out, "15-minute readings", std::to_string(*d.intervals));
    fact(out, "of which estimated", std::to_string(d.estimated_intervals));
    out += "</table>\n";
  }

  out += "<h2>Charges</h2>\n<table class=\"lines\">\n";
  out += "<tr><th>Item</th><th>Basis</th><th class=\"amount\">Amount</th></tr>\n";
  for (const BillLine& l : d.bill.lines) {
    out += fmt::format(
        "<tr class=\"{}\"><td>{}</td><td class=\"basis\">{}</td><td "
        "class=\"amount\">{}</td></tr>\n",
        to_string(l.kind), html_escape(l.label), html_escape(l.basis),
        html_escape(format_rupees(l.amount)));
  }
  out += fmt::format("<tr class=\"total\"><td>{}</td><td></td><td class=\"amount\">{}</td></tr>\n",
                     prepaid ? "Total for the month" : "Total charges",
                     html_escape(format_rupees(d.bill.total)));
  out += "</table>\n";

  if (!d.extra_rows.empty()) {
    out += "<h2>Account</h2>\n<table class=\"lines\">\n";
    for (const auto& [name, amount] : d.extra_rows) {
      out += fmt::format("<tr><td>{}</td><td class=\"amount\">{}</td></tr>\n", html_escape(name),
                         html_escape(format_rupees(amount)));
    }
    out += "</table>\n";
  }

  out +=
      "<p class=\"foot\">Amounts in rupees. Each line is computed exactly and rounded once to "
      "the paisa, half away from zero; percentages apply to the rounded energy, time-of-day "
      "and fixed lines.";
  if (!d.tariff_order.empty()) {
    out += " Tariff per " + html_escape(d.tariff_order) + ".";
  }
  out += "</p>\n</body>\n</html>\n";
  return out;
}

}  // namespace vidyut::tariff
