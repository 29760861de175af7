#include "core/clock.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

namespace vidyut {
namespace {

TEST(Iso8601, ParsesUtcAndOffsets) {
  auto a = parse_iso8601("2026-11-23T10:15:00Z");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(format_iso8601(*a), "2026-11-23T10:15:00Z");
  auto ist = parse_iso8601("2026-11-23T15:45:00+05:30");
  ASSERT_TRUE(ist.ok());
  EXPECT_EQ(*ist, *a);
  auto no_seconds = parse_iso8601("2026-11-23 10:15");
  ASSERT_TRUE(no_seconds.ok());
  EXPECT_EQ(*no_seconds, *a);
}

TEST(Iso8601, RejectsGarbage) {
  EXPECT_FALSE(parse_iso8601("yesterday").ok());
  EXPECT_FALSE(parse_iso8601("2026-13-01T00:00Z").ok());
  EXPECT_FALSE(parse_iso8601("2026-11-23T10:15:00Zjunk").ok());
}

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock c(UtcTime(Millis(1'000'000)));
  auto m0 = c.monotonic();
  EXPECT_EQ(c.now(), UtcTime(Millis(1'000'000)));
  c.advance(Millis(900'000));
  EXPECT_EQ(c.now(), UtcTime(Millis(1'900'000)));
  EXPECT_EQ(c.monotonic() - m0, Millis(900'000));
}

TEST(ScaledClock, RunsFasterThanRealTime) {
  ScaledClock c(UtcTime(Millis(0)), 1000.0);
  auto t0 = c.now();
  // Busy-wait a little real time; the scaled clock must move ~1000x as far.
  auto real0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - real0 < std::chrono::milliseconds(5)) {
  }
  EXPECT_GE(c.now() - t0, Millis(4000));
}

TEST(ScaledClock, TwoClocksWithTheSameWallEpochAgree) {
  const UtcTime start = UtcTime(Millis(1'790'000'000'000));
  const UtcTime epoch = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()) -
                        Millis(10'000);  // ten real seconds ago
  ScaledClock a(start, 60.0, epoch);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ScaledClock b(start, 60.0, epoch);
  const auto d = (a.now() - b.now()).count();
  EXPECT_LT(std::abs(d), 1'000);  // within a simulated second (17 real ms)
  // Ten real seconds at 60x: ten simulated minutes past the start.
  EXPECT_NEAR(static_cast<double>((b.now() - start).count()), 600'000.0, 5'000.0);
}

}  // namespace
}  // namespace vidyut
