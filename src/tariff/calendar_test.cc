#include "tariff/calendar.h"

#include <gtest/gtest.h>

#include <chrono>

namespace vidyut::tariff {
namespace {

UtcTime utc(std::string_view iso) {
  auto t = parse_iso8601(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.value_or(UtcTime{});
}

TEST(Calendar, DaysFromCivilKnownDates) {
  EXPECT_EQ(days_from_civil({1970, 1, 1}), 0);
  EXPECT_EQ(days_from_civil({1969, 12, 31}), -1);
  EXPECT_EQ(days_from_civil({2000, 1, 1}), 10957);
  EXPECT_EQ(days_from_civil({2024, 2, 29}), 19782);
  EXPECT_EQ(days_from_civil({2026, 12, 2}), 20789);
  EXPECT_EQ(days_from_civil({1900, 3, 1}), -25508);
}

TEST(Calendar, DaysFromCivilAgreesWithStdChronoAndRoundTrips) {
  using namespace std::chrono;
  // Every day from 1600 to 2400 (both sides of the epoch, several 400-year eras).
  for (std::int64_t n = -135'000; n <= 157'000; ++n) {
    const CivilDate d = civil_from_days(n);
    ASSERT_EQ(days_from_civil(d), n);
    const year_month_day ymd{sys_days{days{n}}};
    ASSERT_EQ(d.year, static_cast<int>(ymd.year()));
    ASSERT_EQ(d.month, static_cast<int>(static_cast<unsigned>(ymd.month())));
    ASSERT_EQ(d.day, static_cast<int>(static_cast<unsigned>(ymd.day())));
    ASSERT_EQ(weekday(d), static_cast<int>(std::chrono::weekday{sys_days{days{n}}}.c_encoding()));
  }
}

TEST(Calendar, Weekday) {
  EXPECT_EQ(weekday({1970, 1, 1}), 4);  // Thursday
  EXPECT_EQ(weekday({1969, 12, 31}), 3);
  EXPECT_EQ(weekday({2000, 1, 1}), 6);   // Saturday
  EXPECT_EQ(weekday({2026, 12, 2}), 3);  // Wednesday
  EXPECT_EQ(weekday({2026, 12, 6}), 0);  // Sunday
}

TEST(Calendar, DaysInMonthIncludingLeapYears) {
  EXPECT_EQ(days_in_month(2026, 1), 31);
  EXPECT_EQ(days_in_month(2026, 4), 30);
  EXPECT_EQ(days_in_month(2026, 12), 31);
  EXPECT_EQ(days_in_month(2023, 2), 28);
  EXPECT_EQ(days_in_month(2024, 2), 29);  // divisible by 4
  EXPECT_EQ(days_in_month(1900, 2), 28);  // by 100, not by 400
  EXPECT_EQ(days_in_month(2000, 2), 29);  // by 400
  EXPECT_EQ(days_in_month(2026, 0), 0);
  EXPECT_EQ(days_in_month(2026, 13), 0);
}

TEST(Calendar, AddDaysCrossesMonthsYearsAndLeapDays) {
  EXPECT_EQ(add_days({2024, 2, 28}, 1), (CivilDate{2024, 2, 29}));
  EXPECT_EQ(add_days({2024, 2, 28}, 2), (CivilDate{2024, 3, 1}));
  EXPECT_EQ(add_days({2023, 2, 28}, 1), (CivilDate{2023, 3, 1}));
  EXPECT_EQ(add_days({2026, 12, 31}, 1), (CivilDate{2027, 1, 1}));
  EXPECT_EQ(add_days({2027, 1, 1}, -1), (CivilDate{2026, 12, 31}));
  EXPECT_EQ(add_days({2026, 1, 15}, 0), (CivilDate{2026, 1, 15}));
}

TEST(Calendar, DatesOrderLikeTheCalendar) {
  EXPECT_LT((CivilDate{2026, 1, 31}), (CivilDate{2026, 2, 1}));
  EXPECT_LT((CivilDate{2025, 12, 31}), (CivilDate{2026, 1, 1}));
  EXPECT_LT((YearMonth{2025, 12}), (YearMonth{2026, 1}));
}

TEST(Calendar, ParseAndFormatDates) {
  EXPECT_EQ(to_string(CivilDate{2026, 12, 2}), "2026-12-02");
  EXPECT_EQ(to_string(CivilDate{987, 1, 9}), "0987-01-09");
  auto d = parse_date("2024-02-29");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, (CivilDate{2024, 2, 29}));
  for (const char* bad : {"2023-02-29", "2026-02-30", "2026-13-01", "2026-00-10", "2026-01-00",
                          "2026-04-31", "26-01-01", "2026-1-01", "2026-01-1", "2026-01-01x",
                          "2026/01/01", "", "abcd-ef-gh", "+026-01-01"}) {
    auto r = parse_date(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << bad;
  }
}

TEST(Calendar, IstMidnightIsEighteenThirtyUtcTheDayBefore) {
  EXPECT_EQ(ist_midnight({2026, 12, 2}), utc("2026-12-01T18:30:00Z"));
  EXPECT_EQ(ist_midnight({1970, 1, 1}), UtcTime(Millis(-kIstOffsetS * 1000)));
  EXPECT_EQ(ist_midnight({2024, 3, 1}), utc("2024-02-29T18:30:00Z"));
}

TEST(Calendar, IstDateAndMinuteAroundMidnight) {
  const UtcTime midnight = utc("2026-12-01T18:30:00Z");  // 2026-12-02 00:00 IST
  EXPECT_EQ(ist_date(midnight), (CivilDate{2026, 12, 2}));
  EXPECT_EQ(ist_minute_of_day(midnight), 0);
  EXPECT_EQ(ist_date(midnight - Millis(1)), (CivilDate{2026, 12, 1}));
  EXPECT_EQ(ist_minute_of_day(midnight - Millis(1)), 1439);
  // 12:30 UTC is 18:00 IST.
  EXPECT_EQ(ist_minute_of_day(utc("2026-12-02T12:30:00Z")), 18 * 60);
  // Between 18:30 and 24:00 UTC the IST date is already the next day.
  EXPECT_EQ(ist_date(utc("2026-12-31T20:00:00Z")), (CivilDate{2027, 1, 1}));
  EXPECT_EQ(ist_minute_of_day(utc("2026-12-31T20:00:00Z")), 90);  // 01:30 IST
  // Before the epoch (negative milliseconds) too.
  EXPECT_EQ(ist_date(utc("1969-12-31T18:29:00Z")), (CivilDate{1969, 12, 31}));
  EXPECT_EQ(ist_date(utc("1969-12-31T18:30:00Z")), (CivilDate{1970, 1, 1}));
  EXPECT_EQ(ist_minute_of_day(utc("1969-12-31T18:29:00Z")), 1439);
}

TEST(Calendar, IstMidnightAndIstDateAreInverse) {
  for (std::int64_t n = -1000; n < 30'000; n += 7) {
    const CivilDate d = civil_from_days(n);
    EXPECT_EQ(ist_date(ist_midnight(d)), d);
    EXPECT_EQ(ist_minute_of_day(ist_midnight(d)), 0);
  }
}

TEST(Calendar, FormatIst) {
  EXPECT_EQ(format_ist(utc("2026-12-02T13:00:00Z")), "2026-12-02 18:30 IST");
  EXPECT_EQ(format_ist(utc("2026-12-01T18:30:00Z")), "2026-12-02 00:00 IST");
  EXPECT_EQ(format_ist(utc("2026-12-02T18:29:59Z")), "2026-12-02 23:59 IST");
}

TEST(Calendar, MonthHelpers) {
  EXPECT_EQ(to_string(YearMonth{2026, 12}), "2026-12");
  EXPECT_EQ(to_string(YearMonth{2026, 3}), "2026-03");
  auto m = parse_month("2026-12");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, (YearMonth{2026, 12}));
  for (const char* bad : {"2026-13", "2026-00", "2026-1", "2026/12", "2026-12-01", ""}) {
    auto r = parse_month(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  }
  EXPECT_EQ(next_month({2026, 12}), (YearMonth{2027, 1}));
  EXPECT_EQ(next_month({2026, 1}), (YearMonth{2026, 2}));
  EXPECT_EQ(month_of({2024, 2, 29}), (YearMonth{2024, 2}));
  EXPECT_EQ(first_day({2024, 2}), (CivilDate{2024, 2, 1}));
  // A month's IST days run from ist_midnight(first_day(m)) to ist_midnight(first_day(next)).
  const YearMonth feb{2024, 2};
  EXPECT_EQ(ist_midnight(first_day(next_month(feb))) - ist_midnight(first_day(feb)),
            Millis(std::int64_t{29} * 86'400'000));
}

}  // namespace
}  // namespace vidyut::tariff
