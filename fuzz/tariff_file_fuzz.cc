// Fuzz target for the tariff file reader (src/tariff/tariff_file.h): parse arbitrary text as a
// tariff file. Nothing may crash or throw; an error names itself. A tariff that parses must pass
// validate(), write back (to_json) to text that parses to an equal Tariff and writes the same
// text again, and bill a few fixed months of usage under every version and both payment modes:
// each is a valid usage, so compute_bill must succeed, with lines that add up to the totals.
// Traps otherwise.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "tariff/tariff.h"
#include "tariff/tariff_file.h"

namespace {

using namespace vidyut;
using namespace vidyut::tariff;

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_tariff_file: %s%s%s\n", what, detail.empty() ? "" : ": ",
               detail.c_str());
  __builtin_trap();
}

// Usage of calendar month `month` under `v`: `wh` in total, `share_bp` of it spread evenly over
// the season's ToD blocks.
Usage usage_of(const TariffVersion& v, int month, std::int64_t wh, std::int64_t share_bp,
               std::int64_t demand_w, std::uint32_t sanctioned_w, int days_billed, int days) {
  Usage u;
  u.wh = wh;
  u.max_demand_w = demand_w;
  u.sanctioned_load_w = sanctioned_w;
  u.days_billed = days_billed;
  u.days_in_month = days;
  u.month = month;
  const int s = tod_season(v, month);
  if (s >= 0) {
    const auto& blocks = v.tod[static_cast<std::size_t>(s)].blocks;
    if (!blocks.empty()) {
      const std::int64_t in_blocks =
          static_cast<std::int64_t>(static_cast<Int128>(wh) * share_bp / 10'000);
      const auto n = static_cast<std::int64_t>(blocks.size());
      u.wh_by_block.assign(blocks.size(), in_blocks / n);
    }
  }
  return u;
}

void check_bill(const TariffVersion& v, const Usage& u, PaymentMode mode, const char* which) {
  auto b = compute_bill(v, u, mode);
  if (!b.ok())
    fail("compute_bill refused a valid usage", std::string(which) + ": " + b.error().describe());
  Paise lines = 0, energy = 0, fixed = 0, penalty = 0, rebate = 0, duty = 0;
  for (const auto& l : b->lines) {
    lines += l.amount;
    switch (l.kind) {
      case LineKind::kEnergy:
      case LineKind::kTod:
        energy += l.amount;
        break;
      case LineKind::kFixed:
        fixed += l.amount;
        break;
      case LineKind::kPenalty:
        penalty += l.amount;
        break;
      case LineKind::kRebate:
        rebate += l.amount;
        break;
      case LineKind::kDuty:
        duty += l.amount;
        break;
    }
    if (l.label.empty()) fail("a bill line without a label", which);
  }
  if (lines != b->total || energy != b->energy || fixed != b->fixed || penalty != b->penalty ||
      rebate != b->rebate || duty != b->duty) {
    fail("bill lines do not add up to the totals", which);
  }
  if (b->rebate > 0 || (mode == PaymentMode::kPostpaid && b->rebate != 0)) {
    fail("a positive rebate, or a rebate for postpaid", which);
  }
  if (b->fixed < 0 || b->penalty < 0 || b->duty < 0) fail("a negative charge", which);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto first = parse_tariff(text);
  if (!first.ok()) {
    const Errc c = first.error().code;
    if (c != Errc::kInvalidArgument && c != Errc::kLimitExceeded) {
      fail("unexpected error code", first.error().describe());
    }
    if (first.error().message.empty()) fail("an error without a message");
    return 0;
  }
  if (auto s = validate(*first); !s.ok())
    fail("a parsed tariff fails validate", s.error().describe());

  const std::string written = to_json(*first);
  auto second = parse_tariff(written);
  if (!second.ok()) fail("the written tariff does not parse", second.error().describe());
  if (!(*second == *first)) fail("the written tariff reads back differently");
  if (to_json(*second) != written) fail("writing is not stable");

  for (const TariffVersion& v : first->versions) {
    if (first->version_at(v.effective_from) != &v) fail("version_at misses a version's own date");
    for (const PaymentMode mode : {PaymentMode::kPrepaid, PaymentMode::kPostpaid}) {
      // Nothing used, a whole month at zero days billed.
      check_bill(v, usage_of(v, 1, 0, 0, 0, 0, 0, 31), mode, "zero");
      // A household: 180 kWh in November, 40 % in ToD blocks, 2 kW sanctioned, 2.4 kW peak.
      check_bill(v, usage_of(v, 11, 180'000, 4'000, 2'400, 2'000, 30, 30), mode, "household");
      // One day of a month (the daily posting's first bill to date).
      check_bill(v, usage_of(v, 2, 7'654, 10'000, 900, 3'000, 1, 28), mode, "one day");
      // The limits: the most energy and demand compute_bill takes, all of it in ToD blocks.
      check_bill(v, usage_of(v, 6, kMaxUsageWh, 10'000, kMaxDemandW, 1, 31, 31), mode, "limits");
    }
    // ToD block lookup for every hour of a day in each month.
    for (int month = 1; month <= 12; ++month) {
      const UtcTime midnight = ist_midnight(CivilDate{2026, month, 1});
      for (int h = 0; h < 24; ++h) {
        int season = -2;
        const int b = tod_block(v, midnight + std::chrono::hours(h), &season);
        if (season != tod_season(v, month)) fail("tod_block disagrees with tod_season");
        if (b >= 0 && (season < 0 || static_cast<std::size_t>(b) >=
                                         v.tod[static_cast<std::size_t>(season)].blocks.size())) {
          fail("tod_block out of range");
        }
      }
    }
  }
  return 0;
}
