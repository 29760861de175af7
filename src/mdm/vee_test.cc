// VEE, worked by hand: each rule's flag, linear estimation of short gaps between good readings,
// like-day beyond two hours, nothing estimated where there was no supply, the invalid replaced,
// and a late reading replacing its estimate.
#include "mdm/vee.h"

#include <gtest/gtest.h>

namespace vidyut::mdm {
namespace {

const UtcTime kDay = parse_iso8601("2026-12-04T18:30:00Z").value();  // 5 Dec 00:00 IST
UtcTime slot(int i) { return kDay + Millis(std::int64_t{i} * 900'000); }

store::IntervalReading r(int i, std::int64_t wh, std::int64_t exp = 0, UtcTime day = kDay) {
  store::IntervalReading x;
  x.meter_id = 7;
  x.start = day + Millis(std::int64_t{i} * 900'000);
  x.import_wh = wh;
  x.export_wh = exp;
  return x;
}

VeeInput full_day() {
  VeeInput in;
  in.meter_id = 7;
  in.day = kDay;
  in.until = kDay + std::chrono::days(1);
  for (int i = 0; i < 96; ++i) in.rows.push_back(r(i, 100 + i));
  return in;
}

TEST(Vee, AFullGoodDayIsAllActualAndUnflagged) {
  const VeeDay d = validate_day(full_day());
  EXPECT_EQ(d.actual, 96u);
  for (const auto& v : d.intervals) EXPECT_EQ(v.flags, 0u) << vee_flag_names(v.flags);
}

TEST(Vee, ShortGapsAreLinearLongOnesLikeDayAndNoneWithoutABasis) {
  VeeInput in = full_day();
  // Remove 10..13 (4 intervals, 1 hour) and 40..59 (20 intervals, 5 hours).
  std::erase_if(in.rows, [](const auto& x) {
    const auto i = (x.start - kDay) / Millis(900'000);
    return (i >= 10 && i <= 13) || (i >= 40 && i <= 59);
  });
  VeeDay d = validate_day(in);
  EXPECT_EQ(d.linear, 4u);
  EXPECT_EQ(d.unestimated, 20u);  // no like day given
  // Between 109 (slot 9) and 114 (slot 14): 110, 111, 112, 113.
  for (int i = 10; i <= 13; ++i) {
    EXPECT_EQ(d.intervals[i].wh, 100 + i);
    EXPECT_EQ(d.intervals[i].method, VeeMethod::kLinear);
    EXPECT_EQ(d.intervals[i].flags, kVeeGap | kVeeEstimated);
  }
  // With last week's same day: like-day for the long gap.
  const UtcTime before = kDay - std::chrono::days(7);
  VeeInput::LikeDay ld{before, {}};
  for (int i = 0; i < 96; ++i) ld.rows.push_back(r(i, 500, 0, before));
  in.like_days.push_back(ld);
  d = validate_day(in);
  EXPECT_EQ(d.like_day, 20u);
  EXPECT_EQ(d.intervals[50].wh, 500);
  EXPECT_EQ(d.intervals[50].method, VeeMethod::kLikeDay);
  // The late readings arrive: validated again, they are actual.
  d = validate_day(full_day());
  EXPECT_EQ(d.actual, 96u);
}

TEST(Vee, EachRuleLeavesItsFlag) {
  VeeInput in = full_day();
  in.rows[20].import_wh = -5;     // negative: estimated (linear from 119 to 121)
  in.rows[30].import_wh = 0;      // zero while supplied
  in.rows[31].import_wh = 0;      // zero, relay open: fine
  in.rows[33].export_wh = 40;     // export without net metering
  in.rows[70].import_wh = 5'000;  // spike
  in.relay_open.push_back({slot(31), slot(32)});
  in.no_supply.push_back({slot(80) + Millis(60'000), slot(82)});  // 80 and 81 touched
  std::erase_if(in.rows, [](const auto& x) { return x.start == slot(81); });
  const VeeDay d = validate_day(in);
  EXPECT_EQ(d.intervals[20].flags, kVeeNegative | kVeeEstimated);
  EXPECT_EQ(d.intervals[20].wh, 120);
  EXPECT_EQ(d.intervals[30].flags, kVeeZeroSupplied);
  EXPECT_EQ(d.intervals[31].flags, 0u);
  EXPECT_EQ(d.intervals[33].flags, kVeeExport);
  EXPECT_EQ(d.intervals[70].flags, kVeeSpike);
  EXPECT_EQ(d.intervals[70].wh, 5'000);  // flagged, kept
  EXPECT_EQ(d.intervals[80].flags, kVeePowerFailure);
  // A missing interval without supply is not estimated.
  EXPECT_EQ(d.intervals[81].flags, kVeePowerFailure | kVeeGap);
  EXPECT_EQ(d.intervals[81].method, VeeMethod::kNone);
  EXPECT_EQ(vee_flag_names(kVeeGap | kVeeEstimated), "gap,estimated");
  // A net-metered consumer's export is no finding; rules can be switched off.
  in.net_metered = true;
  VeeRules rules;
  rules.spike = false;
  const VeeDay d2 = validate_day(in, rules);
  EXPECT_EQ(d2.intervals[33].flags, 0u);
  EXPECT_EQ(d2.intervals[70].flags, 0u);
}

TEST(Vee, AGapNextToAPowerFailureIsNotInterpolatedFromIt) {
  VeeInput in = full_day();
  in.no_supply.push_back({slot(9) + Millis(60'000), slot(9) + Millis(120'000)});
  std::erase_if(in.rows, [](const auto& x) { return x.start == slot(10); });
  const VeeDay d = validate_day(in);
  EXPECT_NE(d.intervals[10].method, VeeMethod::kLinear);
}

TEST(Vee, EstimatesAreScaledToTheDailyRegisterAndAFullDayIsCheckedAgainstIt) {
  VeeInput in = full_day();  // 100 + i: 96 x 100 + 4560 = 14'160 Wh
  std::erase_if(in.rows, [](const auto& x) {
    const auto i = (x.start - kDay) / Millis(900'000);
    return i >= 10 && i <= 13;  // linear would give 110..113 = 446 Wh
  });
  in.register_wh = 14'160 + 54;  // the register counted 500 Wh where the gap is
  VeeDay d = validate_day(in);
  EXPECT_EQ(d.linear, 4u);
  EXPECT_EQ(d.wh(), 14'214);  // the day adds up to the register exactly
  std::int64_t gap = 0;
  for (int i = 10; i <= 13; ++i) gap += d.intervals[i].wh;
  EXPECT_EQ(gap, 500);
  EXPECT_GT(d.intervals[13].wh, d.intervals[10].wh);  // in proportion to the line
  EXPECT_FALSE(d.register_mismatch);
  // Whole and within tolerance (10 Wh): no finding; beyond it: every interval flagged.
  in = full_day();
  in.register_wh = 14'160 + 9;
  EXPECT_FALSE(validate_day(in).register_mismatch);
  in.register_wh = 16'000;
  d = validate_day(in);
  EXPECT_TRUE(d.register_mismatch);
  EXPECT_EQ(d.flagged(kVeeRegisterSum), 96u);
  EXPECT_EQ(d.wh(), 14'160);  // flagged, kept
}

TEST(Vee, AReadingStampedOffTheGridOrFromTheFutureIsAClockFinding) {
  VeeInput in = full_day();
  in.rows[5].start += Millis(60'000);    // 1 minute late: within 5 minutes, counts
  in.rows[20].start += Millis(420'000);  // 7 minutes: clock finding, not used
  in.now = slot(50);                     // validation time: readings of 50.. are from the future
  in.intervals = 50;
  VeeDay d = validate_day(in);
  EXPECT_EQ(d.intervals[5].flags, 0u);
  EXPECT_EQ(d.intervals[5].wh, 105);
  EXPECT_EQ(d.intervals[20].flags, kVeeClock | kVeeEstimated);
  EXPECT_EQ(d.intervals[20].wh, 120);  // linear from its neighbours
  in.intervals = 96;
  d = validate_day(in);
  EXPECT_EQ(d.intervals[60].flags & kVeeClock, kVeeClock);
  VeeRules rules;
  rules.clock = false;
  d = validate_day(in, rules);
  EXPECT_EQ(d.intervals[60].flags, 0u);
  EXPECT_EQ(d.intervals[20].flags, kVeeGap | kVeeEstimated);  // off the grid: not its reading
}

TEST(Vee, AnOperatorsEditWinsOverReadingAndEstimate) {
  VeeInput in = full_day();
  in.rows[70].import_wh = 5'000;  // a spike the operator corrects
  std::erase_if(in.rows, [](const auto& x) { return x.start == slot(3); });
  in.edits = {{slot(70), 170}, {slot(3), 90}};
  const VeeDay d = validate_day(in);
  EXPECT_EQ(d.intervals[70].wh, 170);
  EXPECT_EQ(d.intervals[70].method, VeeMethod::kEdited);
  EXPECT_EQ(d.intervals[70].flags, kVeeSpike | kVeeEdited);
  EXPECT_EQ(d.intervals[3].wh, 90);
  EXPECT_EQ(d.intervals[3].flags, kVeeGap | kVeeEdited);
  EXPECT_EQ(d.edited, 2u);
  EXPECT_EQ(d.linear, 0u);
}

TEST(Vee, AConflictingReadingAndADecreasingRegisterAreFlaggedAndKept) {
  VeeInput in = full_day();
  in.conflicts = {slot(12), slot(12) + Millis(60'000)};  // the second is off the grid: ignored
  in.register_decreased = true;
  VeeDay d = validate_day(in);
  EXPECT_EQ(d.intervals[12].flags, kVeeConflict | kVeeRegisterDecrease);
  EXPECT_EQ(d.intervals[12].wh, 112);
  EXPECT_EQ(d.flagged(kVeeRegisterDecrease), 96u);
  EXPECT_EQ(d.flagged(kVeeConflict), 1u);
  EXPECT_EQ(vee_flag_names(kVeeConflict | kVeeRegisterDecrease), "conflicting,register-decrease");
  VeeRules rules;
  rules.conflicting = false;
  rules.register_decrease = false;
  d = validate_day(in, rules);
  EXPECT_EQ(d.intervals[12].flags, 0u);
}

}  // namespace
}  // namespace vidyut::mdm
