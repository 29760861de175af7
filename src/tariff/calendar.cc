#include "tariff/calendar.h"

#include <fmt/format.h>

#include <cstdio>

namespace vidyut::tariff {
namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;
constexpr std::int64_t kMsPerMinute = 60'000;

// Floor division and the matching non-negative remainder (C++ '/' truncates toward zero).
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
constexpr std::int64_t floor_mod(std::int64_t a, std::int64_t b) { return a - floor_div(a, b) * b; }

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

// Reads exactly `n` decimal digits at text[pos...]; -1 when any is not a digit.
int digits(std::string_view text, std::size_t pos, std::size_t n) {
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Milliseconds since 1970-01-01 00:00 IST (the UTC instant shifted by the offset).
std::int64_t ist_ms(UtcTime t) { return t.time_since_epoch().count() + kIstOffsetS * 1000; }

}  // namespace

std::string to_string(CivilDate d) {
  return fmt::format("{:04d}-{:02d}-{:02d}", d.year, d.month, d.day);
}

Result<CivilDate> parse_date(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("date \"{}\": {} (expected YYYY-MM-DD)", text, why));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad("wrong shape");
  const int y = digits(text, 0, 4);
  const int m = digits(text, 5, 2);
  const int d = digits(text, 8, 2);
  if (y < 0 || m < 0 || d < 0) return bad("not digits");
  if (m < 1 || m > 12) return bad("month out of range");
  if (d < 1 || d > days_in_month(y, m)) return bad("no such day in that month");
  return CivilDate{y, m, d};
}

// The proleptic Gregorian calendar counted in 400-year eras of 146,097 days, each era starting
// on 1 March so that the leap day is the last day of its year: the day of the year is then a
// linear function of the month (153 days per five months, from March).
std::int64_t days_from_civil(CivilDate d) {
  const std::int64_t y = static_cast<std::int64_t>(d.year) - (d.month <= 2 ? 1 : 0);
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t year_of_era = y - era * 400;            // 0..399
  const std::int64_t month_from_march = (d.month + 9) % 12;  // Mar = 0 ... Feb = 11
  const std::int64_t day_of_year = (153 * month_from_march + 2) / 5 + d.day - 1;  // 0..365
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;  // 0..146096
  // 719,468 days from 0000-03-01 to 1970-01-01.
  return era * 146'097 + day_of_era - 719'468;
}

CivilDate civil_from_days(std::int64_t days) {
  const std::int64_t z = days + 719'468;
  const std::int64_t era = floor_div(z, 146'097);
  const std::int64_t day_of_era = z - era * 146'097;  // 0..146096
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1'460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);  // 0..365
  const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;           // 0..11
  const std::int64_t day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
  const std::int64_t month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
  const std::int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return CivilDate{static_cast<int>(year), static_cast<int>(month), static_cast<int>(day)};
}

CivilDate add_days(CivilDate d, std::int64_t n) { return civil_from_days(days_from_civil(d) + n); }

int days_in_month(int year, int month) {
  switch (month) {
    case 1:
    case 3:
    case 5:
    case 7:
    case 8:
    case 10:
    case 12:
      return 31;
    case 4:
    case 6:
    case 9:
    case 11:
      return 30;
    case 2:
      return is_leap(year) ? 29 : 28;
    default:
      return 0;
  }
}

int weekday(CivilDate d) {
  // 1970-01-01 was a Thursday (4).
  return static_cast<int>(floor_mod(days_from_civil(d) + 4, 7));
}

CivilDate ist_date(UtcTime t) { return civil_from_days(floor_div(ist_ms(t), kMsPerDay)); }

int ist_minute_of_day(UtcTime t) {
  return static_cast<int>(floor_mod(ist_ms(t), kMsPerDay) / kMsPerMinute);
}

UtcTime ist_midnight(CivilDate d) {
  return UtcTime(Millis(days_from_civil(d) * kMsPerDay - kIstOffsetS * 1000));
}

std::string format_ist(UtcTime t) {
  const int minute = ist_minute_of_day(t);
  return fmt::format("{} {:02d}:{:02d} IST", to_string(ist_date(t)), minute / 60, minute % 60);
}

std::string to_string(YearMonth m) { return fmt::format("{:04d}-{:02d}", m.year, m.month); }

Result<YearMonth> parse_month(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("month \"{}\": {} (expected YYYY-MM)", text, why));
  };
  if (text.size() != 7 || text[4] != '-') return bad("wrong shape");
  const int y = digits(text, 0, 4);
  const int m = digits(text, 5, 2);
  if (y < 0 || m < 0) return bad("not digits");
  if (m < 1 || m > 12) return bad("month out of range");
  return YearMonth{y, m};
}

YearMonth month_of(CivilDate d) { return YearMonth{d.year, d.month}; }

YearMonth next_month(YearMonth m) {
  return m.month == 12 ? YearMonth{m.year + 1, 1} : YearMonth{m.year, m.month + 1};
}

CivilDate first_day(YearMonth m) { return CivilDate{m.year, m.month, 1}; }

}  // namespace vidyut::tariff
