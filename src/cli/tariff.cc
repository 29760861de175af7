// `vidyut tariff`: the tariff catalogue and bill quotes (docs/tariffs.md, docs/cli.md).
//
//   tariff list [--json]                       the built-in tariffs (tariffs/*.json)
//   tariff show CODE [--json]                  one tariff's versions; --json prints its file
//   tariff quote CODE --kwh X [...]            the bill of a month's usage, line by line
//   tariff quote CODE --intervals CSV [...]    the same for a series of interval readings
//
// --tariff-file F (show, quote) reads a tariff file instead of the built-in catalogue.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "tariff/bill_document.h"
#include "tariff/calendar.h"
#include "tariff/tariff.h"
#include "tariff/tariff_file.h"

namespace vidyut::cli {
namespace {

using json = nlohmann::ordered_json;
using tariff::CivilDate;
using tariff::Tariff;
using tariff::TariffVersion;
using tariff::YearMonth;

// Largest interval file read by `quote --intervals`: a year of 5-minute readings is about
// 105,000 rows of ~35 bytes (4 MB); 64 MiB is far beyond any one meter's month.
constexpr std::size_t kMaxIntervalFileBytes = std::size_t{64} << 20;

struct TariffOptions {
  std::string code;
  std::string tariff_file;
  bool json = false;
  // quote
  std::string kwh;
  std::string by_block;
  std::string sanctioned_kw = "1";
  std::string max_demand_kw;
  int days_billed = -1;  // -1: the whole month
  std::string month;
  bool postpaid = false;
  bool prepaid = false;
  std::string intervals;
  int interval_minutes = 15;
  std::string html;
};

Error usage_error(std::string message) { return Error(Errc::kInvalidArgument, std::move(message)); }

// A non-negative decimal with up to three decimals, in thousandths: "2" -> 2000,
// "3.5" -> 3500, "100.001" -> 100001. For kWh -> Wh and kW -> W.
Result<std::int64_t> parse_milli(std::string_view text, std::string_view what) {
  auto bad = [&] {
    return usage_error(
        fmt::format("{} \"{}\": expected a number with at most three decimals "
                    "(e.g. 250 or 100.001)",
                    what, text));
  };
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 12 || frac.size() > 3) return bad();
  if (dot != std::string_view::npos && frac.empty()) return bad();
  std::int64_t v = 0;
  for (const char c : whole) {
    if (c < '0' || c > '9') return bad();
    v = v * 10 + (c - '0');
  }
  std::int64_t f = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    const char c = i < frac.size() ? frac[i] : '0';
    if (c < '0' || c > '9') return bad();
    f = f * 10 + (c - '0');
  }
  return v * 1000 + f;
}

// An energy for --wh-by-block: kWh like --kwh, or Wh with a "wh" suffix ("30500wh").
Result<std::int64_t> parse_energy(std::string_view text, std::string_view what) {
  if (text.size() > 2) {
    const std::string_view tail = text.substr(text.size() - 2);
    if ((tail[0] == 'w' || tail[0] == 'W') && (tail[1] == 'h' || tail[1] == 'H')) {
      const std::string_view digits = text.substr(0, text.size() - 2);
      if (digits.empty() || digits.size() > 15 ||
          !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return usage_error(
            fmt::format("{} \"{}\": expected whole watt-hours before \"wh\"", what, text));
      }
      return std::stoll(std::string(digits));
    }
  }
  return parse_milli(text, what);
}

std::string trim(std::string_view s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return std::string(s.substr(a, b - a));
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto at = s.find(sep, start);
    out.push_back(
        trim(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start)));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return out;
}

Result<Tariff> load_tariff(const TariffOptions& o) {
  if (!o.tariff_file.empty()) {
    VIDYUT_TRY(t, tariff::read_tariff_file(o.tariff_file));
    if (!o.code.empty() && tariff::find_tariff(o.code, {*t}).ok() == false) {
      return usage_error(fmt::format("{} holds tariff {}, not {}", o.tariff_file, t->code, o.code));
    }
    return std::move(*t);
  }
  if (o.code.empty())
    return usage_error("give a tariff CODE (see `vidyut tariff list`) or --tariff-file");
  return tariff::find_tariff(o.code, tariff::builtin_tariffs());
}

// ---- list / show ----

int run_list(const TariffOptions& o) {
  const auto& all = tariff::builtin_tariffs();
  if (o.json) {
    json out = json::array();
    for (const Tariff& t : all) {
      json versions = json::array();
      for (const auto& v : t.versions) versions.push_back(tariff::to_string(v.effective_from));
      out.push_back({{"code", t.code},
                     {"name", t.name},
                     {"utility", t.utility},
                     {"category", t.category},
                     {"versions", versions},
                     {"tod", std::any_of(t.versions.begin(), t.versions.end(),
                                         [](const TariffVersion& v) { return !v.tod.empty(); })}});
    }
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::size_t wcode = 4, wname = 4, wutil = 7;
  for (const Tariff& t : all) {
    wcode = std::max(wcode, t.code.size());
    wname = std::max(wname, t.name.size());
    wutil = std::max(wutil, t.utility.size());
  }
  std::cout << fmt::format("{:<{}}  {:<{}}  {:<{}}  {:<10}  {}\n", "CODE", wcode, "NAME", wname,
                           "UTILITY", wutil, "LATEST", "TOD");
  for (const Tariff& t : all) {
    const bool tod = std::any_of(t.versions.begin(), t.versions.end(),
                                 [](const TariffVersion& v) { return !v.tod.empty(); });
    std::cout << fmt::format(
        "{:<{}}  {:<{}}  {:<{}}  {:<10}  {}\n", t.code, wcode, t.name, wname, t.utility, wutil,
        t.versions.empty() ? "-" : tariff::to_string(t.versions.back().effective_from),
        tod ? "yes" : "no");
  }
  return kExitOk;
}

int run_show(const TariffOptions& o) {
  auto t = load_tariff(o);
  if (!t.ok()) return report_error("tariff show", t.error());
  if (o.json) {
    std::cout << tariff::to_json(*t);
    return kExitOk;
  }
  std::cout << fmt::format("{}: {}\n  utility {}, category {}\n", t->code, t->name, t->utility,
                           t->category);
  if (!t->notes.empty()) std::cout << "  notes: " << t->notes << "\n";
  for (const TariffVersion& v : t->versions) {
    std::cout << fmt::format("\nversion effective {} ({})\n", tariff::to_string(v.effective_from),
                             v.order.empty() ? "no order named" : v.order);
    std::int64_t lo = 0;
    for (const auto& s : v.slabs) {
      auto kwh = [](std::int64_t wh) {
        return wh % 1000 == 0 ? std::to_string(wh / 1000) : tariff::format_kwh(wh);
      };
      const std::string range = s.upto_wh == 0
                                    ? fmt::format("above {} kWh", kwh(lo))
                                    : fmt::format("{} - {} kWh", kwh(lo), kwh(s.upto_wh));
      std::cout << fmt::format("  energy  {:<28} {}/kWh\n", range,
                               tariff::format_rupees(s.rate_paise_per_kwh));
      lo = s.upto_wh;
    }
    std::cout << fmt::format(
        "  fixed charge      {}/kW of sanctioned load per month, prorated by days\n",
        tariff::format_rupees(v.fixed_paise_per_kw_month));
    std::cout << fmt::format("  electricity duty  {} of energy + ToD + fixed\n",
                             tariff::format_percent_bp(v.duty_bp));
    std::cout << fmt::format("  prepaid rebate    {} of energy + ToD + fixed (prepaid only)\n",
                             tariff::format_percent_bp(v.prepaid_rebate_bp));
    std::cout << fmt::format("  excess demand     {}\n",
                             v.excess_demand_paise_per_kw == 0
                                 ? std::string("none")
                                 : tariff::format_rupees(v.excess_demand_paise_per_kw) +
                                       "/kW above the sanctioned load");
    if (v.tod.empty()) std::cout << "  time of day       none\n";
    for (const auto& s : v.tod) {
      std::string months;
      for (const int m : s.months) months += (months.empty() ? "" : ",") + std::to_string(m);
      std::cout << fmt::format("  ToD season {} (months {})\n", s.name, months);
      for (std::size_t b = 0; b < s.blocks.size(); ++b) {
        const auto& blk = s.blocks[b];
        std::cout << fmt::format("    [{}] {:<14} {}-{} IST  {} of the energy rate\n", b, blk.name,
                                 tariff::format_hhmm(blk.start_minute),
                                 tariff::format_hhmm(blk.end_minute),
                                 tariff::format_multiplier_bp(blk.multiplier_bp));
      }
    }
  }
  return kExitOk;
}

// ---- quote ----

struct Interval {
  UtcTime start;
  std::int64_t wh = 0;
  int line = 0;
};

Result<UtcTime> parse_start(const std::string& s) {
  if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (s.size() > 15) return usage_error(fmt::format("epoch milliseconds \"{}\" too large", s));
    return UtcTime(Millis(std::stoll(s)));
  }
  return parse_iso8601(s);
}

// Reads start_utc,import_wh rows. A header line naming the columns is optional (without it the
// first two columns are start_utc and import_wh); blank lines and lines starting '#' are skipped.
Result<std::vector<Interval>> read_intervals(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Errc::kIo, fmt::format("cannot open interval file {}", path));
  std::vector<Interval> rows;
  std::string line;
  int n = 0;
  std::size_t bytes = 0;
  std::optional<std::pair<std::size_t, std::size_t>> cols;
  while (std::getline(in, line)) {
    ++n;
    bytes += line.size() + 1;
    if (bytes > kMaxIntervalFileBytes) {
      return Error(Errc::kLimitExceeded,
                   fmt::format("{}: larger than {} bytes", path, kMaxIntervalFileBytes));
    }
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const auto f = split(t, ',');
    auto at = [&](std::string_view why) {
      return usage_error(fmt::format("{} line {}: {}", path, n, why));
    };
    if (!cols) {
      const auto s = std::find(f.begin(), f.end(), "start_utc");
      const auto w = std::find(f.begin(), f.end(), "import_wh");
      if (s != f.end() || w != f.end()) {
        if (s == f.end() || w == f.end()) return at("header needs columns start_utc and import_wh");
        cols = {static_cast<std::size_t>(s - f.begin()), static_cast<std::size_t>(w - f.begin())};
        continue;
      }
      cols = {0, 1};
    }
    if (f.size() <= std::max(cols->first, cols->second)) return at("too few columns");
    Interval r;
    r.line = n;
    auto start = parse_start(f[cols->first]);
    if (!start.ok()) {
      return at(
          fmt::format("start_utc \"{}\": expected ISO 8601 (2026-01-15T00:30:00Z) or epoch "
                      "milliseconds",
                      f[cols->first]));
    }
    r.start = *start;
    const std::string& whs = f[cols->second];
    if (whs.empty() || whs.size() > 15 ||
        !std::all_of(whs.begin(), whs.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return at(fmt::format("import_wh \"{}\": expected whole, non-negative watt-hours", whs));
    }
    r.wh = std::stoll(whs);
    rows.push_back(r);
  }
  if (in.bad()) return Error(Errc::kIo, fmt::format("cannot read interval file {}", path));
  if (rows.empty()) return usage_error(fmt::format("{}: no interval rows", path));
  return rows;
}

struct Quote {
  Tariff tariff;
  const TariffVersion* version = nullptr;
  YearMonth month;
  tariff::Usage usage;
  tariff::PaymentMode mode = tariff::PaymentMode::kPrepaid;
  tariff::Bill bill;
  int season = -1;
  std::string source;  // what the usage came from
  std::size_t intervals_used = 0;
  std::size_t intervals_ignored = 0;
};

// Splits "--wh-by-block peak=30,solar=80" over the season's blocks.
Status apply_by_block(const std::string& spec, const TariffVersion& v, int season, Quote& q) {
  if (season < 0) {
    return usage_error(fmt::format("--wh-by-block: tariff {} has no ToD season in month {}",
                                   q.tariff.code, tariff::to_string(q.month)));
  }
  const auto& blocks = v.tod[static_cast<std::size_t>(season)].blocks;
  std::string names;
  for (const auto& b : blocks) names += (names.empty() ? "" : ", ") + b.name;
  q.usage.wh_by_block.assign(blocks.size(), 0);
  for (const std::string& item : split(spec, ',')) {
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string::npos) {
      return usage_error(fmt::format("--wh-by-block \"{}\": expected NAME=KWH", item));
    }
    const std::string name = trim(std::string_view(item).substr(0, eq));
    int found = -1;
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      if (blocks[b].name != name) continue;
      if (found >= 0) {
        return usage_error(
            fmt::format("--wh-by-block: block name \"{}\" is used twice in season "
                        "{}; the tariff file must name its blocks apart",
                        name, v.tod[static_cast<std::size_t>(season)].name));
      }
      found = static_cast<int>(b);
    }
    if (found < 0) {
      return usage_error(fmt::format("--wh-by-block: no block \"{}\" in season {} (blocks: {})",
                                     name, v.tod[static_cast<std::size_t>(season)].name, names));
    }
    VIDYUT_TRY(wh,
               parse_energy(trim(std::string_view(item).substr(eq + 1)), "--wh-by-block " + name));
    q.usage.wh_by_block[static_cast<std::size_t>(found)] += *wh;
  }
  return ok_status();
}

Result<Quote> make_quote(const TariffOptions& o) {
  Quote q;
  VIDYUT_TRY(t, load_tariff(o));
  q.tariff = std::move(*t);
  q.mode = o.postpaid ? tariff::PaymentMode::kPostpaid : tariff::PaymentMode::kPrepaid;
  if (o.kwh.empty() == o.intervals.empty()) {
    return usage_error("give exactly one of --kwh and --intervals");
  }
  if (!o.intervals.empty() && !o.by_block.empty()) {
    return usage_error("--wh-by-block goes with --kwh; --intervals finds the ToD blocks itself");
  }
  if (o.interval_minutes < 1 || o.interval_minutes > 1'440) {
    return usage_error("--interval-minutes must be 1-1440");
  }
  std::vector<Interval> rows;
  if (!o.intervals.empty()) {
    VIDYUT_TRY(r, read_intervals(o.intervals));
    rows = std::move(*r);
  }
  // The month: --month, else the IST month of the first interval, else this month (IST).
  if (!o.month.empty()) {
    VIDYUT_TRY(m, tariff::parse_month(o.month));
    q.month = *m;
  } else if (!rows.empty()) {
    const auto first = std::min_element(
        rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
    q.month = tariff::month_of(tariff::ist_date(first->start));
  } else {
    q.month = tariff::month_of(tariff::ist_date(RealClock::instance().now()));
  }
  const CivilDate first_day = tariff::first_day(q.month);
  q.version = q.tariff.version_at(first_day);
  if (q.version == nullptr) {
    return usage_error(
        fmt::format("tariff {} has no version in force on {} (its first version "
                    "is effective {})",
                    q.tariff.code, tariff::to_string(first_day),
                    tariff::to_string(q.tariff.versions.front().effective_from)));
  }
  q.usage.month = q.month.month;
  q.usage.days_in_month = tariff::days_in_month(q.month.year, q.month.month);
  q.usage.days_billed = o.days_billed < 0 ? q.usage.days_in_month : o.days_billed;
  VIDYUT_TRY(sanctioned, parse_milli(o.sanctioned_kw, "--sanctioned-kw"));
  if (*sanctioned > std::int64_t{UINT32_MAX}) return usage_error("--sanctioned-kw is too large");
  q.usage.sanctioned_load_w = static_cast<std::uint32_t>(*sanctioned);
  q.season = tariff::tod_season(*q.version, q.month.month);

  if (!o.kwh.empty()) {
    VIDYUT_TRY(wh, parse_milli(o.kwh, "--kwh"));
    q.usage.wh = *wh;
    if (!o.by_block.empty()) VIDYUT_CHECK(apply_by_block(o.by_block, *q.version, q.season, q));
    q.source = "--kwh";
  } else {
    // Aggregate the month's intervals: energy, energy per ToD block, highest demand.
    const UtcTime from = tariff::ist_midnight(first_day);
    const UtcTime to = tariff::ist_midnight(tariff::first_day(tariff::next_month(q.month)));
    std::set<UtcTime> seen;
    if (q.season >= 0) {
      q.usage.wh_by_block.assign(q.version->tod[static_cast<std::size_t>(q.season)].blocks.size(),
                                 0);
    }
    for (const Interval& r : rows) {
      if (r.start < from || r.start >= to) {
        ++q.intervals_ignored;
        continue;
      }
      if (!seen.insert(r.start).second) {
        return usage_error(fmt::format("{} line {}: a second interval starting {}", o.intervals,
                                       r.line, format_iso8601(r.start)));
      }
      if (r.wh > tariff::kMaxUsageWh - q.usage.wh) {
        return usage_error(fmt::format("{}: the month's energy is above the limit", o.intervals));
      }
      q.usage.wh += r.wh;
      const int b = tariff::tod_block(*q.version, r.start);
      if (b >= 0) q.usage.wh_by_block[static_cast<std::size_t>(b)] += r.wh;
      // Demand: the interval's average power, interval Wh x 60 / minutes (x 4 for 15 minutes).
      const std::int64_t w = tariff::round_div(tariff::Int128{r.wh} * 60, o.interval_minutes);
      q.usage.max_demand_w = std::max(q.usage.max_demand_w, w);
      ++q.intervals_used;
    }
    if (q.intervals_used == 0) {
      return usage_error(fmt::format("{}: no interval falls in {} (IST)", o.intervals,
                                     tariff::to_string(q.month)));
    }
    q.source = o.intervals;
  }
  if (!o.max_demand_kw.empty()) {
    VIDYUT_TRY(md, parse_milli(o.max_demand_kw, "--max-demand-kw"));
    q.usage.max_demand_w = *md;
  }
  VIDYUT_TRY(bill, tariff::compute_bill(*q.version, q.usage, q.mode));
  q.bill = std::move(*bill);
  return q;
}

json quote_json(const Quote& q) {
  json by_block = json::object();
  if (q.season >= 0) {
    const auto& blocks = q.version->tod[static_cast<std::size_t>(q.season)].blocks;
    for (std::size_t b = 0; b < blocks.size() && b < q.usage.wh_by_block.size(); ++b) {
      by_block[blocks[b].name] = q.usage.wh_by_block[b];
    }
  }
  json lines = json::array();
  for (const auto& l : q.bill.lines) {
    lines.push_back({{"kind", tariff::to_string(l.kind)},
                     {"label", l.label},
                     {"quantity", l.quantity},
                     {"basis", l.basis},
                     {"amount_paise", l.amount},
                     {"amount", tariff::format_rupees(l.amount)}});
  }
  json usage = {{"wh", q.usage.wh},
                {"wh_by_block", by_block},
                {"max_demand_w", q.usage.max_demand_w},
                {"sanctioned_load_w", q.usage.sanctioned_load_w},
                {"days_billed", q.usage.days_billed},
                {"days_in_month", q.usage.days_in_month}};
  if (q.intervals_used > 0 || q.intervals_ignored > 0) {
    usage["intervals_used"] = q.intervals_used;
    usage["intervals_ignored"] = q.intervals_ignored;
  }
  return {{"tariff", q.tariff.code},
          {"name", q.tariff.name},
          {"version_effective_from", tariff::to_string(q.version->effective_from)},
          {"order", q.version->order},
          {"month", tariff::to_string(q.month)},
          {"mode", tariff::to_string(q.mode)},
          {"season", q.season >= 0 ? json(q.version->tod[static_cast<std::size_t>(q.season)].name)
                                   : json(nullptr)},
          {"usage", usage},
          {"lines", lines},
          {"energy_paise", q.bill.energy},
          {"fixed_paise", q.bill.fixed},
          {"penalty_paise", q.bill.penalty},
          {"rebate_paise", q.bill.rebate},
          {"duty_paise", q.bill.duty},
          {"total_paise", q.bill.total},
          {"total", tariff::format_rupees(q.bill.total)}};
}

void print_quote(const Quote& q) {
  std::cout << fmt::format("{}: {} ({})\n", q.tariff.code, q.tariff.name, q.tariff.utility);
  std::cout << fmt::format("version effective {}{}\n", tariff::to_string(q.version->effective_from),
                           q.version->order.empty() ? "" : ", " + q.version->order);
  std::cout << fmt::format(
      "{} {}: {} kWh, sanctioned load {} kW, max demand {} kW, {}/{} days billed\n",
      tariff::to_string(q.mode), tariff::to_string(q.month), tariff::format_kwh(q.usage.wh),
      tariff::format_kwh(q.usage.sanctioned_load_w), tariff::format_kwh(q.usage.max_demand_w),
      q.usage.days_billed, q.usage.days_in_month);
  if (q.season >= 0) {
    const auto& s = q.version->tod[static_cast<std::size_t>(q.season)];
    std::string parts;
    for (std::size_t b = 0; b < s.blocks.size(); ++b) {
      const std::int64_t wh = b < q.usage.wh_by_block.size() ? q.usage.wh_by_block[b] : 0;
      parts += fmt::format("{}{} {} kWh", parts.empty() ? "" : ", ", s.blocks[b].name,
                           tariff::format_kwh(wh));
    }
    std::cout << fmt::format("ToD season {}: {}\n", s.name, parts);
  }
  if (q.intervals_used > 0) {
    std::cout << fmt::format(
        "from {} intervals in {}{}\n", q.intervals_used, q.source,
        q.intervals_ignored == 0
            ? std::string()
            : fmt::format(" ({} outside the month ignored)", q.intervals_ignored));
  }
  std::size_t wl = 5, wb = 5, wa = 0;
  for (const auto& l : q.bill.lines) {
    wl = std::max(wl, l.label.size());
    wb = std::max(wb, l.basis.size());
    wa = std::max(wa, tariff::format_rupees(l.amount).size());
  }
  wa = std::max(wa, tariff::format_rupees(q.bill.total).size());
  std::cout << "\n";
  for (const auto& l : q.bill.lines) {
    std::cout << fmt::format("  {:<{}}  {:<{}}  {:>{}}\n", l.label, wl, l.basis, wb,
                             tariff::format_rupees(l.amount), wa);
  }
  std::cout << fmt::format("  {:-<{}}\n", "", wl + wb + wa + 4);
  std::cout << fmt::format("  {:<{}}  {:>{}}\n", "Total", wl + wb + 2,
                           tariff::format_rupees(q.bill.total), wa);
}

Status write_html(const Quote& q, const std::string& path) {
  tariff::BillDocument d;
  d.utility = q.tariff.utility;
  d.consumer_id = "QUOTE";
  d.meter_serial = "-";
  d.tariff_code = q.tariff.code;
  d.tariff_name = q.tariff.name;
  d.tariff_effective_from = q.version->effective_from;
  d.tariff_order = q.version->order;
  d.period_from = tariff::first_day(q.month);
  d.period_to = tariff::add_days(d.period_from, std::max(q.usage.days_billed, 1) - 1);
  d.mode = q.mode;
  d.bill = q.bill;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << tariff::render_bill_html(d);
  out.close();
  if (!out) return Error(Errc::kIo, fmt::format("cannot write {}", path));
  return ok_status();
}

int run_quote(const TariffOptions& o) {
  auto q = make_quote(o);
  if (!q.ok()) return report_error("tariff quote", q.error());
  if (o.json) {
    std::cout << quote_json(*q).dump(2) << "\n";
  } else {
    print_quote(*q);
  }
  if (!o.html.empty()) {
    auto s = write_html(*q, o.html);
    if (!s.ok()) return report_error("tariff quote", s.error());
  }
  return kExitOk;
}

}  // namespace

void register_tariff(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand("tariff", "Tariffs: the catalogue and bill quotes");
  cmd->require_subcommand(1);
  auto o = std::make_shared<TariffOptions>();

  auto* list = cmd->add_subcommand("list", "List the built-in tariffs (tariffs/*.json)");
  list->add_flag("--json", o->json, "Print JSON instead of text");
  list->callback([o, &run] { run = [o] { return run_list(*o); }; });

  auto* show = cmd->add_subcommand("show", "Show one tariff's versions");
  show->add_option("code", o->code, "Tariff code (see `tariff list`)");
  show->add_option("--tariff-file", o->tariff_file, "Read this tariff file instead");
  show->add_flag("--json", o->json, "Print the tariff file (JSON)");
  show->callback([o, &run] { run = [o] { return run_show(*o); }; });

  auto* quote =
      cmd->add_subcommand("quote", "Price a month's usage, every bill line with its basis");
  quote->add_option("code", o->code, "Tariff code (see `tariff list`)");
  quote->add_option("--tariff-file", o->tariff_file, "Read this tariff file instead");
  quote->add_option("--kwh", o->kwh, "Energy in the month, kWh (up to 3 decimals)");
  quote->add_option("--wh-by-block", o->by_block,
                    "Energy per ToD block: NAME=KWH[,NAME=KWH] (suffix wh for watt-hours)");
  quote->add_option("--intervals", o->intervals,
                    "CSV of start_utc (ISO 8601 or epoch ms),import_wh rows to aggregate");
  quote
      ->add_option("--interval-minutes", o->interval_minutes,
                   "Length of each interval in --intervals (demand = Wh x 60 / minutes)")
      ->capture_default_str();
  quote->add_option("--sanctioned-kw", o->sanctioned_kw, "Sanctioned load, kW")
      ->capture_default_str();
  quote->add_option("--max-demand-kw", o->max_demand_kw,
                    "Highest 15-minute demand, kW (default: from --intervals, else 0)");
  quote->add_option("--days-billed", o->days_billed, "Days of the month billed (default: all)");
  quote->add_option("--month", o->month, "Month YYYY-MM (default: the intervals' or this month)");
  auto* post = quote->add_flag("--postpaid", o->postpaid, "Postpaid bill (no prepaid rebate)");
  auto* pre = quote->add_flag("--prepaid", o->prepaid, "Prepaid statement (the default)");
  post->excludes(pre);
  quote->add_flag("--json", o->json, "Print JSON instead of text");
  quote->add_option("--html", o->html, "Also write the bill document (HTML) to this file");
  quote->callback([o, &run] { run = [o] { return run_quote(*o); }; });
}

}  // namespace vidyut::cli
