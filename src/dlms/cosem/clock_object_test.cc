#include "dlms/cosem/clock_object.h"

#include <gtest/gtest.h>

namespace vidyut::dlms::cosem {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// 2026-11-23T04:45:00Z = 10:15:00 IST.
const UtcTime kT0 = UtcTime{milliseconds{1'795'409'100'000}};
const AccessContext kCtx{48, kT0};

TEST(ClockObjectTest, TimeAttributeIsLocalDateTimeOctets) {
  ManualClock src(kT0);
  ClockObject clock(src);
  EXPECT_EQ(clock.class_id(), 8);
  EXPECT_EQ(clock.logical_name(), (Obis{0, 0, 1, 0, 0, 255}));
  Data t = std::get<Data>(clock.get(2, std::nullopt, kCtx));
  ASSERT_NE(t.as_octets(), nullptr);
  ASSERT_EQ(t.as_octets()->size(), 12u);
  // Hand-derived from the Blue Book date-time layout: 2026 (07 EA), November 23, Monday (1),
  // 10:15:00.00, deviation -330 (FE B6), status 00.
  EXPECT_EQ(*t.as_octets(),
            (Bytes{0x07, 0xEA, 0x0B, 0x17, 0x01, 0x0A, 0x0F, 0x00, 0x00, 0xFE, 0xB6, 0x00}));
  EXPECT_EQ(std::get<Data>(clock.get(3, std::nullopt, kCtx)), Data::long_(-330));
  EXPECT_EQ(std::get<Data>(clock.get(4, std::nullopt, kCtx)), Data::unsigned_(0));
  EXPECT_EQ(std::get<Data>(clock.get(8, std::nullopt, kCtx)), Data::boolean(false));
  EXPECT_EQ(std::get<Data>(clock.get(9, std::nullopt, kCtx)), Data::enumerated(1));
  EXPECT_EQ(std::get<DataAccessResult>(clock.get(10, std::nullopt, kCtx)),
            DataAccessResult::kObjectUndefined);
}

TEST(ClockObjectTest, SetTimeMovesOffsetAndNotifies) {
  ManualClock src(kT0);
  ClockObject clock(src);
  UtcTime seen_before{}, seen_after{};
  clock.set_observer([&](UtcTime b, UtcTime a) {
    seen_before = b;
    seen_after = a;
  });
  UtcTime target = kT0 - minutes(7);
  EXPECT_EQ(clock.set(2, Data::date_time_octets(CosemDateTime::from_utc(target)), kCtx),
            DataAccessResult::kSuccess);
  EXPECT_EQ(clock.now(), target);
  EXPECT_EQ(clock.offset(), -minutes(7));
  EXPECT_EQ(seen_before, kT0);
  EXPECT_EQ(seen_after, target);
  src.advance(hours(1));
  EXPECT_EQ(clock.now(), target + hours(1));
  // date-time tag 25 is accepted as well.
  EXPECT_EQ(clock.set(2, Data::date_time(CosemDateTime::from_utc(kT0)), kCtx),
            DataAccessResult::kSuccess);
  EXPECT_EQ(clock.now(), kT0);
}

TEST(ClockObjectTest, SetTimeErrors) {
  ManualClock src(kT0);
  ClockObject clock(src);
  EXPECT_EQ(clock.set(2, Data::long_unsigned(1), kCtx), DataAccessResult::kTypeUnmatched);
  EXPECT_EQ(clock.set(2, Data::octet_string({1, 2, 3}), kCtx), DataAccessResult::kTypeUnmatched);
  EXPECT_EQ(clock.set(2, Data::date_time_octets(CosemDateTime{}), kCtx),
            DataAccessResult::kOtherReason);
  EXPECT_EQ(clock.set(4, Data::unsigned_(1), kCtx), DataAccessResult::kReadWriteDenied);
  EXPECT_EQ(clock.set(9, Data::enumerated(2), kCtx), DataAccessResult::kReadWriteDenied);
  EXPECT_EQ(clock.set(3, Data::long_(1000), kCtx), DataAccessResult::kOtherReason);
  EXPECT_EQ(clock.set(3, Data::integer(1), kCtx), DataAccessResult::kTypeUnmatched);
  EXPECT_EQ(clock.now(), kT0);
}

TEST(ClockObjectTest, DriftAccumulatesAndResetsOnSet) {
  ManualClock src(kT0);
  ClockObject clock(src);
  clock.set_drift_ppm(100.0);  // 100 ppm fast: 8.64 s a day
  src.advance(hours(24));
  EXPECT_EQ(clock.now(), kT0 + hours(24) + milliseconds(8640));
  clock.set_drift_ppm(0.0);  // keeps the drift so far
  src.advance(hours(1));
  EXPECT_EQ(clock.now(), kT0 + hours(25) + milliseconds(8640));
  clock.set_time(src.now());
  EXPECT_EQ(clock.now(), src.now());
}

TEST(ClockObjectTest, Methods) {
  ManualClock src(kT0 + seconds(40));
  ClockObject clock(src);
  EXPECT_EQ(clock.action(3, Data::integer(0), kCtx).result, ActionResult::kSuccess);
  EXPECT_EQ(clock.now(), kT0 + minutes(1));  // nearest minute
  EXPECT_EQ(clock.action(1, Data::integer(0), kCtx).result, ActionResult::kSuccess);
  EXPECT_EQ(clock.now(), kT0);  // 10:16 -> 10:15 IST, the nearest quarter
  EXPECT_EQ(clock.action(6, Data::long_(-900), kCtx).result, ActionResult::kSuccess);
  EXPECT_EQ(clock.now(), kT0 - minutes(15));
  EXPECT_EQ(clock.action(6, Data::long_(901), kCtx).result, ActionResult::kOtherReason);
  EXPECT_EQ(clock.action(6, Data::integer(5), kCtx).result, ActionResult::kTypeUnmatched);
  EXPECT_EQ(clock.action(6, std::nullopt, kCtx).result, ActionResult::kTypeUnmatched);
  EXPECT_EQ(clock.action(2, Data::integer(0), kCtx).result, ActionResult::kOtherReason);
  EXPECT_EQ(clock.action(7, Data::integer(0), kCtx).result, ActionResult::kObjectUndefined);
}

TEST(ClockObjectTest, DaylightSavingFieldsAreStored) {
  ManualClock src(kT0);
  ClockObject clock(src);
  CosemDateTime b = CosemDateTime::from_utc(kT0);
  EXPECT_EQ(clock.set(5, Data::date_time_octets(b), kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(std::get<Data>(clock.get(5, std::nullopt, kCtx)), Data::date_time_octets(b));
  EXPECT_EQ(clock.set(7, Data::integer(60), kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(std::get<Data>(clock.get(7, std::nullopt, kCtx)), Data::integer(60));
  EXPECT_EQ(clock.set(8, Data::boolean(true), kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(clock.now(), kT0);  // never applied
}

}  // namespace
}  // namespace vidyut::dlms::cosem
