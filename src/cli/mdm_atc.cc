// `vidyut mdm atc`: billing and collection efficiency and the AT&C loss per feeder (and DT) over
// a period, from the meters' energy (the store) and billing's ledger (billing.db).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/commercial.h"
#include "cli/data_options.h"
#include "mdm/atc.h"
#include "mdm/audit.h"
#include "mdm/network.h"
#include "tariff/calendar.h"
#include "tariff/tariff.h"

namespace vidyut::cli {
namespace {

using json = nlohmann::json;

struct AtcOptions {
  DataOptions data;
  std::string day;    // first IST day; default yesterday
  std::string month;  // YYYY-MM instead of --day/--days
  std::uint32_t days = 1;
  std::size_t top = 5;
  bool dts = false;
  bool json = false;
};

std::string pct(const std::optional<double>& v) {
  return v ? fmt::format("{:.1f} %", *v) : std::string("-");
}

void print_row(const mdm::AtcFigures& f, const std::string& label) {
  std::cout << fmt::format(
      "  {:<14} in {:>9.1f} kWh  billed {:>9.1f} kWh ({:>7})  billed {:>14}  collected {:>14} "
      "({:>7})  AT&C {:>7}  cash received {}{}\n",
      label, static_cast<double>(f.input_wh) / 1000.0, static_cast<double>(f.billed_wh) / 1000.0,
      pct(f.billing_efficiency), tariff::format_rupees(f.billed_paise),
      tariff::format_rupees(f.collected_paise), pct(f.collection_efficiency), pct(f.atc_loss),
      tariff::format_rupees(f.cash_paise),
      f.complete() ? ""
                   : fmt::format("  INCOMPLETE ({}{} of {} consumers billed for the whole period)",
                                 f.input_complete ? "" : "input meter data missing; ",
                                 f.billed_whole, f.consumers));
}

int run_atc(const AtcOptions& o) {
  const char* what = "mdm atc";
  tariff::CivilDate from = tariff::add_days(tariff::ist_date(RealClock::instance().now()), -1);
  tariff::CivilDate to = from;
  if (!o.month.empty()) {
    auto m = tariff::parse_month(o.month);
    if (!m.ok()) return report_error(what, m.error());
    from = tariff::first_day(*m);
    to = tariff::add_days(tariff::first_day(tariff::next_month(*m)), -1);
  } else {
    if (o.days == 0 || o.days > 31) {
      return report_error(what, Error(Errc::kInvalidArgument, "--days must be 1 to 31"));
    }
    if (!o.day.empty()) {
      auto d = tariff::parse_date(o.day);
      if (!d.ok()) return report_error(what, d.error());
      from = *d;
    }
    to = tariff::add_days(from, o.days - 1);
  }
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(o.data.data_dir) / "billing.db", ec)) {
    return report_error(
        what, Error(Errc::kNotFound, "no billing.db in " + o.data.data_dir +
                                         " (vidyut serve or vidyut billing run creates it)"));
  }
  auto store = open_store(o.data);
  if (!store.ok()) return report_error(what, store.error());
  auto bdb = billing::BillingDb::open(o.data.data_dir);
  if (!bdb.ok()) return report_error(what, bdb.error());
  auto meters = mdm::all_meters(**store);
  if (!meters.ok()) return report_error(what, meters.error());
  const mdm::Network network = mdm::build_network(*meters);
  const UtcTime a = tariff::ist_midnight(from);
  const UtcTime b = tariff::ist_midnight(tariff::add_days(to, 1));
  auto audit = mdm::audit_from_store(**store, network, a, b);
  if (!audit.ok()) return report_error(what, audit.error());
  auto revenue = revenue_by_meter(**bdb, from, to);
  if (!revenue.ok()) return report_error(what, revenue.error());
  const auto intervals = static_cast<std::int64_t>(mdm::intervals_in(a, b, 900));
  const mdm::AtcReport r = mdm::atc_report(network, *audit, *revenue, intervals);
  if (o.json) {
    json feeders = json::array(), dts = json::array();
    for (const auto& f : r.feeders) feeders.push_back(atc_json(f));
    for (const auto& d : r.dts) dts.push_back(atc_json(d));
    std::cout << json{{"from", tariff::to_string(from)},
                      {"to", tariff::to_string(to)},
                      {"area", atc_json(r.area)},
                      {"feeders", feeders},
                      {"dts", dts}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("AT&C loss {} to {} (IST): billing efficiency x collection efficiency\n",
                           tariff::to_string(from), tariff::to_string(to));
  print_row(r.area, "area");
  for (const auto& f : r.feeders) print_row(f, f.name);
  if (o.dts) {
    for (const auto& d : r.dts) print_row(d, d.name);
  }
  auto worst = mdm::rank_atc(r, o.top, true);
  if (!worst.empty()) {
    std::cout << "worst feeders:";
    for (const auto* f : worst) std::cout << fmt::format(" {} ({})", f->name, pct(f->atc_loss));
    std::cout << "\n";
  }
  return kExitOk;
}

}  // namespace

void register_mdm_atc(CLI::App& mdm, Runner& run) {
  auto o = std::make_shared<AtcOptions>();
  auto* c = mdm.add_subcommand(
      "atc", "Billing and collection efficiency and the AT&C loss per feeder (and DT)");
  add_data_options(c, o->data);
  c->add_option("--day", o->day, "First IST day, YYYY-MM-DD (default: yesterday)");
  c->add_option("--days", o->days, "Days from --day")->capture_default_str();
  c->add_option("--month", o->month, "A whole month, YYYY-MM (instead of --day/--days)");
  c->add_option("--top", o->top, "Worst N feeders")->capture_default_str();
  c->add_flag("--dts", o->dts, "Every DT too");
  c->add_flag("--json", o->json, "JSON: the area, every feeder and every DT");
  c->callback([o, &run] { run = [o] { return run_atc(*o); }; });
}

}  // namespace vidyut::cli
