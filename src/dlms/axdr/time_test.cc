// CosemDateTime tests. Vectors derived by hand from the date-time layout of IEC 62056-6-2
// (year(2) month day weekday hour minute second hundredths deviation(2) status).
#include <gtest/gtest.h>

#include "core/clock.h"
#include "dlms/axdr/data.h"

namespace vidyut::dlms {
namespace {

UtcTime at(std::string_view iso) {
  auto r = parse_iso8601(iso);
  EXPECT_TRUE(r.ok()) << iso;
  return r.ok() ? *r : UtcTime{};
}

TEST(CosemDateTime, FromUtcIsIstWithDeviationMinus330) {
  const CosemDateTime t = CosemDateTime::from_utc(at("2026-11-23T10:15:00Z"));
  EXPECT_EQ(t, (CosemDateTime{2026, 11, 23, 1, 15, 45, 0, 0, -330, 0x00}));
  EXPECT_EQ(to_hex(t.to_bytes()), "07EA0B17010F2D0000FEB600");
  auto back = t.to_utc();
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(format_iso8601(*back), format_iso8601(at("2026-11-23T10:15:00Z")));
  EXPECT_EQ(*back, at("2026-11-23T10:15:00Z"));
}

TEST(CosemDateTime, CrossesMidnightAndYear) {
  // 2026-12-31T20:00:00Z is 2027-01-01 01:30 IST, a Friday.
  const CosemDateTime t = CosemDateTime::from_utc(at("2026-12-31T20:00:00Z"));
  EXPECT_EQ(t.year, 2027);
  EXPECT_EQ(t.month, 1);
  EXPECT_EQ(t.day, 1);
  EXPECT_EQ(t.weekday, 5);
  EXPECT_EQ(t.hour, 1);
  EXPECT_EQ(t.minute, 30);
  EXPECT_EQ(*t.to_utc(), at("2026-12-31T20:00:00Z"));
  // Deviation 0 is UTC itself; +60 is one hour behind UTC.
  const CosemDateTime u = CosemDateTime::from_utc(at("2024-02-29T00:00:00Z"), 0);
  EXPECT_EQ(u.day, 29);
  EXPECT_EQ(u.weekday, 4);  // Thursday
  const CosemDateTime w = CosemDateTime::from_utc(at("2024-02-29T00:00:00Z"), 60);
  EXPECT_EQ(w.day, 28);
  EXPECT_EQ(w.hour, 23);
  EXPECT_EQ(*w.to_utc(), at("2024-02-29T00:00:00Z"));
}

TEST(CosemDateTime, HundredthsRoundTrip) {
  const UtcTime t = at("2026-11-23T10:15:00Z") + Millis(1230);
  const CosemDateTime d = CosemDateTime::from_utc(t);
  EXPECT_EQ(d.second, 1);
  EXPECT_EQ(d.hundredths, 23);
  EXPECT_EQ(*d.to_utc(), t);
}

TEST(CosemDateTime, ToUtcUnspecifiedFields) {
  CosemDateTime t{2026, 11, 23, 0xFF, 15, 45, 0xFF, 0xFF, CosemDateTime::kDeviationUnspecified,
                  0xFF};
  // Seconds/hundredths unspecified count as 0; deviation unspecified uses the assumed one.
  EXPECT_EQ(*t.to_utc(), at("2026-11-23T10:15:00Z"));
  EXPECT_EQ(*t.to_utc(0), at("2026-11-23T15:45:00Z"));
  t.hour = 0xFF;
  EXPECT_EQ(t.to_utc().error().code, Errc::kInvalidArgument);
  EXPECT_EQ(CosemDateTime{}.to_utc().error().code, Errc::kInvalidArgument);
}

TEST(CosemDateTime, ToUtcOutOfRange) {
  const CosemDateTime good{2026, 2, 28, 0xFF, 0, 0, 0, 0, -330, 0};
  EXPECT_TRUE(good.to_utc().ok());
  auto with = [&](auto change) {
    CosemDateTime t = good;
    change(t);
    return t.to_utc();
  };
  EXPECT_FALSE(with([](CosemDateTime& t) { t.day = 29; }).ok());  // 2026 is not leap
  EXPECT_FALSE(with([](CosemDateTime& t) { t.month = 13; }).ok());
  EXPECT_FALSE(with([](CosemDateTime& t) { t.month = 0xFE; }).ok());  // DST marker
  EXPECT_FALSE(with([](CosemDateTime& t) { t.day = 0xFD; }).ok());    // second-last day
  EXPECT_FALSE(with([](CosemDateTime& t) { t.hour = 24; }).ok());
  EXPECT_FALSE(with([](CosemDateTime& t) { t.minute = 60; }).ok());
  EXPECT_FALSE(with([](CosemDateTime& t) { t.second = 60; }).ok());
  EXPECT_FALSE(with([](CosemDateTime& t) { t.hundredths = 100; }).ok());
  EXPECT_FALSE(with([](CosemDateTime& t) { t.deviation = 1000; }).ok());
}

TEST(CosemDateTime, Bytes) {
  auto t = CosemDateTime::from_bytes(*from_hex("07EA0B17010F2D0000FEB600"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->deviation, -330);
  EXPECT_EQ(t->status, 0);
  EXPECT_EQ(CosemDateTime::from_bytes(Bytes(11, 0)).error().code, Errc::kMalformed);
  EXPECT_EQ(CosemDateTime::from_bytes(Bytes(13, 0)).error().code, Errc::kMalformed);
  EXPECT_EQ(to_hex(CosemDateTime{}.to_bytes()), "FFFFFFFFFFFFFFFFFF8000FF");
}

TEST(CosemDateTime, ToString) {
  EXPECT_EQ(CosemDateTime::from_utc(at("2026-11-23T10:15:00Z")).to_string(),
            "2026-11-23 15:45:00.00 dev -330 st 00");
  EXPECT_EQ(CosemDateTime{}.to_string(), "****-**-** **:**:**.** dev * st FF");
}

TEST(CosemDateTime, WeekdayOf) {
  EXPECT_EQ(CosemDateTime::weekday_of(2026, 11, 23), 1);  // Monday
  EXPECT_EQ(CosemDateTime::weekday_of(2026, 11, 29), 7);  // Sunday
  EXPECT_EQ(CosemDateTime::weekday_of(1970, 1, 1), 4);    // Thursday
  EXPECT_EQ(CosemDateTime::weekday_of(2000, 2, 29), 2);   // Tuesday
  EXPECT_EQ(CosemDateTime::weekday_of(2100, 2, 29), 0xFF);
  EXPECT_EQ(CosemDateTime::weekday_of(0xFFFF, 1, 1), 0xFF);
  EXPECT_EQ(CosemDateTime::weekday_of(2026, 0, 1), 0xFF);
  EXPECT_EQ(CosemDateTime::weekday_of(2026, 4, 31), 0xFF);
}

}  // namespace
}  // namespace vidyut::dlms
