// The utility's calendar: IST civil dates and times, and the conversions to and from UTC.
//
// Vidyut stores UTC and applies rules in the utility's time zone. Indian Standard Time is
// UTC+05:30 with no daylight saving, so the offset is a constant here.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace vidyut::tariff {

inline constexpr std::int64_t kIstOffsetS = kIstOffset.count() / 1000;  // core/clock.h

// A calendar date (proleptic Gregorian), compared and ordered like the date.
struct CivilDate {
  int year = 1970;
  int month = 1;  // 1-12
  int day = 1;    // 1-31
  auto operator<=>(const CivilDate&) const = default;
};

// "2026-12-02". Parse: kInvalidArgument unless YYYY-MM-DD and a real date.
std::string to_string(CivilDate d);
Result<CivilDate> parse_date(std::string_view text);

// Days since 1970-01-01 and back.
std::int64_t days_from_civil(CivilDate d);
CivilDate civil_from_days(std::int64_t days);
CivilDate add_days(CivilDate d, std::int64_t n);

int days_in_month(int year, int month);
// 0 = Sunday ... 6 = Saturday.
int weekday(CivilDate d);

// The IST date of a UTC instant, and its IST minute of the day (0-1439).
CivilDate ist_date(UtcTime t);
int ist_minute_of_day(UtcTime t);
// The UTC instant at which the IST date `d` begins (00:00 IST).
UtcTime ist_midnight(CivilDate d);
// "2026-12-02 18:30 IST".
std::string format_ist(UtcTime t);
// A month as (year, month); "2026-12".
struct YearMonth {
  int year = 1970;
  int month = 1;
  auto operator<=>(const YearMonth&) const = default;
};
std::string to_string(YearMonth m);
Result<YearMonth> parse_month(std::string_view text);
YearMonth month_of(CivilDate d);
YearMonth next_month(YearMonth m);
CivilDate first_day(YearMonth m);

}  // namespace vidyut::tariff
