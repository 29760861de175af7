#include "core/clock.h"

#include <cstdio>
#include <string>

namespace vidyut {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

UtcTime RealClock::now() const {
  return std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
}

MonoTime RealClock::monotonic() const {
  return std::chrono::time_point_cast<milliseconds>(std::chrono::steady_clock::now());
}

RealClock& RealClock::instance() {
  static RealClock clock;
  return clock;
}

ManualClock::ManualClock(UtcTime start) : wall_ms_(start.time_since_epoch().count()) {}

UtcTime ManualClock::now() const { return UtcTime(Millis(wall_ms_.load())); }

MonoTime ManualClock::monotonic() const { return MonoTime(Millis(mono_ms_.load())); }

void ManualClock::advance(Millis d) {
  wall_ms_ += d.count();
  mono_ms_ += d.count();
}

void ManualClock::set(UtcTime t) {
  std::int64_t delta = t.time_since_epoch().count() - wall_ms_.load();
  if (delta < 0) delta = 0;
  advance(Millis(delta));
}

ScaledClock::ScaledClock(UtcTime start, double factor)
    : start_(start), real_start_(std::chrono::steady_clock::now()), factor_(factor) {}

ScaledClock::ScaledClock(UtcTime start, double factor, UtcTime wall_epoch)
    : start_(start), factor_(factor) {
  const auto since_epoch = std::chrono::system_clock::now() - wall_epoch;
  real_start_ = std::chrono::steady_clock::now() -
                duration_cast<std::chrono::steady_clock::duration>(since_epoch);
}

UtcTime ScaledClock::now() const {
  auto real = std::chrono::steady_clock::now() - real_start_;
  auto scaled = duration_cast<milliseconds>(std::chrono::duration<double, std::milli>(
      duration_cast<std::chrono::duration<double, std::milli>>(real).count() * factor_));
  return start_ + scaled;
}

MonoTime ScaledClock::monotonic() const { return MonoTime(now() - start_); }

namespace {
// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's public algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
}  // namespace

Result<UtcTime> parse_iso8601(std::string_view text) {
  std::string s(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, n = 0;
  int got = std::sscanf(s.c_str(), "%4d-%2d-%2d%*1[T ]%2d:%2d%n", &y, &mo, &d, &h, &mi, &n);
  if (got < 5) {
    return Error(Errc::kInvalidArgument,
                 "time '" + s + "' is not ISO 8601 (expected e.g. 2026-11-23T10:15:00Z)");
  }
  std::size_t pos = static_cast<std::size_t>(n);
  if (pos < s.size() && s[pos] == ':') {
    int m2 = 0;
    if (std::sscanf(s.c_str() + pos, ":%2d%n", &sec, &m2) != 1) {
      return Error(Errc::kInvalidArgument, "bad seconds in time '" + s + "'");
    }
    pos += static_cast<std::size_t>(m2);
  }
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
  }
  int offset_min = 0;
  if (pos < s.size()) {
    char c = s[pos];
    if (c == 'Z' || c == 'z') {
      ++pos;
    } else if (c == '+' || c == '-') {
      int oh = 0, om = 0;
      if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d", &oh, &om) < 1) {
        return Error(Errc::kInvalidArgument, "bad UTC offset in time '" + s + "'");
      }
      offset_min = (c == '+' ? 1 : -1) * (oh * 60 + om);
      pos = s.size();
    }
  }
  if (pos != s.size()) {
    return Error(Errc::kInvalidArgument, "trailing characters in time '" + s + "'");
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
    return Error(Errc::kInvalidArgument, "field out of range in time '" + s + "'");
  }
  std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  std::int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
  return UtcTime(Millis(secs * 1000));
}

std::string format_iso8601(UtcTime t) {
  auto dp = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day ymd{dp};
  auto tod = t - dp;
  auto secs = duration_cast<std::chrono::seconds>(tod).count();
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), static_cast<long long>(secs / 3600),
                static_cast<long long>((secs / 60) % 60), static_cast<long long>(secs % 60));
  return buf;
}

}  // namespace vidyut
