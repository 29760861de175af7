// Fuzz target for the prepaid rules file (src/billing/rules.h): parse arbitrary text as rules.
// Nothing may crash or throw; an error names itself. Rules that parse must write back (to_json)
// to text that parses to the same fields and writes the same text again. For a few instants t
// (fixed ones and one taken from the input), next_disconnection_time must give a time n with
// t <= n <= t + 366 days at which disconnection is allowed (unless it hit the 366-day limit),
// and for the input's t, when n is within a day and a half, no minute of [t, n) may allow it
// (n is the first such instant). Traps otherwise.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "billing/rules.h"
#include "core/clock.h"
#include "tariff/calendar.h"

namespace {

using namespace vidyut;
using billing::PrepaidRules;

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_prepaid_rules: %s%s%s\n", what, detail.empty() ? "" : ": ",
               detail.c_str());
  __builtin_trap();
}

bool same_fields(const PrepaidRules& a, const PrepaidRules& b) {
  return a.utility == b.utility && a.quiet_start_minute == b.quiet_start_minute &&
         a.quiet_end_minute == b.quiet_end_minute && a.quiet_weekdays == b.quiet_weekdays &&
         a.quiet_second_saturday == b.quiet_second_saturday && a.holidays == b.holidays &&
         a.emergency_credit_s == b.emergency_credit_s && a.warn_at_bp == b.warn_at_bp &&
         a.reconnect_at_paise == b.reconnect_at_paise && a.grace_days == b.grace_days &&
         a.arrears_share_bp == b.arrears_share_bp && a.posting_delay_s == b.posting_delay_s &&
         a.statement_delay_days == b.statement_delay_days &&
         a.max_recharge_paise == b.max_recharge_paise;
}

void check_fields(const PrepaidRules& r) {
  if (r.quiet_start_minute < 0 || r.quiet_start_minute >= 1440 || r.quiet_end_minute < 0 ||
      r.quiet_end_minute >= 1440) {
    fail("quiet hours outside the day");
  }
  for (int w : r.quiet_weekdays) {
    if (w < 0 || w > 6) fail("a weekday outside 0-6");
  }
  for (auto bp : r.warn_at_bp) {
    if (bp < 0 || bp > 10'000) fail("a warning level outside 0-100 %");
  }
  for (std::size_t i = 1; i < r.warn_at_bp.size(); ++i) {
    if (r.warn_at_bp[i - 1] < r.warn_at_bp[i]) fail("warning levels not highest first");
  }
  if (r.emergency_credit_s < 0 || r.grace_days < 0 || r.posting_delay_s < 0 ||
      r.statement_delay_days < 0 || r.arrears_share_bp < 0 || r.arrears_share_bp > 10'000 ||
      r.max_recharge_paise <= 0) {
    fail("a field out of its range");
  }
}

void check_next(const PrepaidRules& r, UtcTime t, bool first_instant) {
  const UtcTime limit = t + std::chrono::days(366);
  const UtcTime n = billing::next_disconnection_time(r, t);
  if (n < t || n > limit) fail("next_disconnection_time outside [t, t + 366 days]");
  const bool allowed = billing::disconnection_allowed(r, n);
  if (allowed != billing::quiet_reason(r, n).empty()) fail("quiet_reason disagrees");
  if (n < limit && !allowed) {
    fail("next_disconnection_time gave a time when disconnection is not allowed",
         tariff::format_ist(n) + " for " + tariff::format_ist(t) + ", reason " +
             billing::quiet_reason(r, n));
  }
  if (first_instant && n - t <= std::chrono::hours(36)) {
    // Whether disconnection is allowed changes only at IST minute boundaries.
    for (UtcTime x = t; x < n;) {
      if (billing::disconnection_allowed(r, x)) {
        fail("next_disconnection_time skipped an allowed time",
             tariff::format_ist(x) + " before " + tariff::format_ist(n));
      }
      const auto minute = std::chrono::floor<std::chrono::minutes>(x) + std::chrono::minutes(1);
      x = UtcTime(minute);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto first = billing::parse_rules(text);
  if (!first.ok()) {
    if (first.error().code != Errc::kInvalidArgument) {
      fail("unexpected error code", first.error().describe());
    }
    if (first.error().message.empty()) fail("an error without a message");
    return 0;
  }
  check_fields(*first);
  const std::string written = billing::to_json(*first);
  auto second = billing::parse_rules(written);
  if (!second.ok()) fail("the written rules do not parse", second.error().describe());
  if (!same_fields(*first, *second)) fail("the written rules read back differently", written);
  if (billing::to_json(*second) != written) fail("writing is not stable");

  // Fixed instants: a Saturday evening (second Saturday), a Sunday noon, a Monday 07:59:30 IST,
  // New Year's Eve at 23:59 IST, and 29 Feb 2028 mid-day.
  static const UtcTime fixed[] = {
      tariff::ist_midnight(tariff::CivilDate{2026, 12, 12}) + std::chrono::hours(19),
      tariff::ist_midnight(tariff::CivilDate{2026, 12, 13}) + std::chrono::hours(12),
      tariff::ist_midnight(tariff::CivilDate{2026, 12, 14}) + std::chrono::minutes(7 * 60 + 59) +
          std::chrono::seconds(30),
      tariff::ist_midnight(tariff::CivilDate{2026, 12, 31}) + std::chrono::minutes(23 * 60 + 59),
      tariff::ist_midnight(tariff::CivilDate{2028, 2, 29}) + std::chrono::hours(13),
  };
  for (const UtcTime t : fixed) check_next(*first, t, false);
  // An instant from the input: within 2026-2027, to the millisecond.
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (std::size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 1099511628211ull;
  const UtcTime t = tariff::ist_midnight(tariff::CivilDate{2026, 1, 1}) +
                    Millis(static_cast<std::int64_t>(h % (730ull * 86'400'000ull)));
  check_next(*first, t, true);
  return 0;
}
