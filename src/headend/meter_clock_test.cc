// What the meter says about itself (issue 15), against the simulated fleet's truth: the head end
// measures every meter's clock, sets the clocks beyond the tolerance exactly once per episode
// and audits it with the measured drift, leaves the others alone, raises an alert for a clock
// far off; and it learns the active SIM and its operator from the meter after a failover.
#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "headend/head_end.h"
#include "headend/health.h"
#include "testing/fleet_rig.h"

namespace vidyut::headend {
namespace {

// 2026-09-21 00:15 IST, on a 15-minute boundary.
const UtcTime kStart = UtcTime(Millis(1'789'929'900'000));

// Records the fleet's clock truth (the other records are not needed here).
class ClockTruthLog final : public fleet::TruthSink {
 public:
  void on_interval(const fleet::IntervalTruth&) override {}
  void on_episode(const fleet::Episode&, bool, UtcTime) override {}
  void on_push(std::uint32_t, fleet::Outgoing::Kind, UtcTime, UtcTime, fleet::PushFate,
               std::uint8_t) override {}
  void on_relay(std::uint32_t, UtcTime, bool, std::string_view) override {}
  void on_failover(std::uint32_t, UtcTime, std::uint8_t) override {}
  void on_clock(const fleet::ClockTruth& t) override {
    std::lock_guard l(mu);
    rows[t.meter].push_back({std::string(t.cause), t.offset_before, t.offset_after});
  }
  struct Row {
    std::string cause;
    Millis before, after;
  };
  std::vector<Row> of(std::uint32_t m) {
    std::lock_guard l(mu);
    return rows[m];
  }
  std::mutex mu;
  std::map<std::uint32_t, std::vector<Row>> rows;
};

testing::FleetRigOptions rig_options(fleet::TruthSink* truth, std::int64_t check_interval_s) {
  testing::FleetRigOptions o;
  o.spec.seed = 7;
  o.spec.consumers = 30;
  o.spec.consumers_per_dt = 15;
  o.spec.dts_per_feeder = 2;
  o.start = kStart;
  o.truth = truth;
  o.head_end.clock_check_interval_s = check_interval_s;
  o.head_end.clock_tolerance_s = 60;
  o.head_end.clock_alert_s = 900;
  // Short sessions: each push is a session of its own, as at real speed (the rig's steps of
  // simulated time take milliseconds of real time).
  o.linger = Millis(300);
  return o;
}

std::vector<store::Command> clock_sets_of(testing::FleetRig& rig, std::int64_t meter_id) {
  std::vector<store::Command> out;
  auto cs = rig.db->commands_after(0, store::kMaxPage);
  EXPECT_TRUE(cs.ok());
  for (const auto& c : *cs) {
    if (c.meter_id == meter_id && c.kind == store::CommandKind::kClockSet) out.push_back(c);
  }
  return out;
}

std::vector<store::AuditRecord> drift_audits_of(testing::FleetRig& rig, const std::string& serial) {
  std::vector<store::AuditRecord> out;
  auto a = rig.db->audit_after(0, store::kMaxPage);
  EXPECT_TRUE(a.ok());
  for (const auto& r : *a) {
    if (r.action == "clock-drift" && r.subject == serial) out.push_back(r);
  }
  return out;
}

Millis offset_of(testing::FleetRig& rig, std::uint32_t m) {
  return rig.sim->with_fleet([&](fleet::Fleet& f) { return f.meter(m).clock_offset(); });
}

TEST(MeterClock, DriftBeyondToleranceIsSetOnceAuditedAndTheTruthShowsTheCorrectedClock) {
  ClockTruthLog truth;
  testing::FleetRig rig("meter-clock", rig_options(&truth, 0));
  ASSERT_TRUE(rig.ok()) << rig.error();
  // Every meter reports and has its clock read once (exact clocks: nothing to correct).
  rig.step(Millis(30 * 60'000));
  rig.he->flush();
  EXPECT_GT(rig.he->stats().clock_checks, 0u);
  EXPECT_EQ(rig.he->stats().clock_corrections, 0u);

  const std::uint32_t fast = 0, within = 1, far = 2;
  const auto serial = [&](std::uint32_t m) {
    return rig.fleet.topology().meters[m].identity.serial;
  };
  ASSERT_TRUE(rig.control("clock-step " + serial(fast) + " 120").ok());
  ASSERT_TRUE(rig.control("clock-step " + serial(within) + " 30").ok());
  ASSERT_TRUE(rig.control("clock-step " + serial(far) + " -2000").ok());
  // Small steps of simulated time while the head end corrects: the rig's clock jumps by a step
  // between the head end's SET and the meter taking it, and the meter's clock ends up off by
  // that much (at real speed, by the network's latency).
  constexpr Millis kStep{10'000};
  rig.step(Millis(60 * 60'000), kStep);
  rig.he->flush();

  // Beyond the tolerance: one clock-set each, succeeded, audited with the measured drift.
  for (std::uint32_t m : {fast, far}) {
    const auto sets = clock_sets_of(rig, rig.id_of(m));
    ASSERT_EQ(sets.size(), 1u) << serial(m);
    EXPECT_EQ(sets[0].state, store::CommandState::kSucceeded) << sets[0].result;
    EXPECT_EQ(sets[0].requested_by, "head-end");
    const auto audits = drift_audits_of(rig, serial(m));
    ASSERT_EQ(audits.size(), 1u);
    EXPECT_EQ(audits[0].actor, "head-end");
    EXPECT_NE(audits[0].detail.find(m == fast ? "measured drift +120." : "measured drift -2000."),
              std::string::npos)
        << audits[0].detail;
    // The truth: the step, then the head end's set back to (nearly) true time.
    const auto rows = truth.of(m);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].cause, "step");
    EXPECT_EQ(rows[1].cause, "set");
    EXPECT_LE(std::abs(rows[1].after.count()), kStep.count() + 1'000);
    EXPECT_LE(std::abs(offset_of(rig, m).count()), kStep.count() + 1'000);
  }
  // Within the tolerance: measured, left alone.
  EXPECT_TRUE(clock_sets_of(rig, rig.id_of(within)).empty());
  EXPECT_TRUE(drift_audits_of(rig, serial(within)).empty());
  EXPECT_EQ(offset_of(rig, within), Millis(30'000));
  auto comm = rig.db->comm(rig.id_of(within));
  ASSERT_TRUE(comm.ok() && *comm);
  EXPECT_NEAR(static_cast<double>((*comm)->clock_drift_ms), 30'000.0, 1'000.0);
  EXPECT_NE((*comm)->clock_checked, UtcTime{});
  // Nobody else was touched.
  for (std::uint32_t m = 3; m < rig.fleet.size(); ++m) {
    EXPECT_TRUE(clock_sets_of(rig, rig.id_of(m)).empty()) << serial(m);
    EXPECT_TRUE(truth.of(m).empty());
  }
  // The far one raised a clock/drift alert, ended once the clock was back.
  auto alerts = rig.db->alerts_after(0, store::kMaxPage);
  ASSERT_TRUE(alerts.ok());
  int started = 0, ended = 0;
  for (const auto& a : *alerts) {
    if (a.kind != "clock") continue;
    EXPECT_EQ(a.meter_id, rig.id_of(far));
    EXPECT_EQ(a.name, "drift");
    (a.active ? started : ended)++;
  }
  EXPECT_EQ(started, 1);
  EXPECT_EQ(ended, 1);
  EXPECT_EQ(rig.he->stats().clock_corrections, 2u);
  EXPECT_EQ(rig.he->stats().clock_alerts, 1u);
  EXPECT_EQ(rig.he->stats().meters_clock_beyond_tolerance, 0u);

  // Six more hours: the episode is over, no second set (no storm).
  rig.step(Millis(6 * 60 * 60'000), Millis(5 * 60'000));
  rig.he->flush();
  EXPECT_EQ(clock_sets_of(rig, rig.id_of(fast)).size(), 1u);
  EXPECT_EQ(clock_sets_of(rig, rig.id_of(far)).size(), 1u);
  EXPECT_EQ(rig.he->stats().clock_corrections, 2u);

  // A new episode on the same meter, after the minimum interval between sets (6 h): set again.
  ASSERT_TRUE(rig.control("clock-step " + serial(fast) + " 300").ok());
  rig.step(Millis(30 * 60'000), kStep);
  rig.he->flush();
  EXPECT_EQ(clock_sets_of(rig, rig.id_of(fast)).size(), 2u);
  EXPECT_EQ(drift_audits_of(rig, serial(fast)).size(), 2u);
  EXPECT_LE(std::abs(offset_of(rig, fast).count()), kStep.count() + 1'000);
  EXPECT_EQ(truth.of(fast).size(), 4u);
}

TEST(MeterClock, TheActiveSimAndOperatorComeFromTheMeterAfterAFailover) {
  testing::FleetRig rig("meter-sim", rig_options(nullptr, 3'600));
  ASSERT_TRUE(rig.ok()) << rig.error();
  rig.step(Millis(30 * 60'000));
  rig.he->flush();
  const std::uint32_t m = 4;
  const auto& rec = rig.fleet.topology().meters[m];
  ASSERT_FALSE(rec.sim_operator[1].empty());
  auto before = rig.db->comm(rig.id_of(m));
  ASSERT_TRUE(before.ok() && *before);
  EXPECT_EQ((*before)->active_sim, 1);
  EXPECT_EQ((*before)->sim_operator, rec.sim_operator[0]);

  // SIM 1's path goes down: the meter fails over to SIM 2 at its next push, and the head end
  // reads the new SIM from the meter (the session comes from another address: read again
  // although the last check is recent).
  ASSERT_TRUE(rig.control("cut-sim " + rec.identity.serial + " 1").ok());
  rig.step(Millis(30 * 60'000));
  rig.he->flush();
  ASSERT_EQ(rig.sim->with_fleet([&](fleet::Fleet& f) { return f.active_sim(m); }), 1);
  auto after = rig.db->comm(rig.id_of(m));
  ASSERT_TRUE(after.ok() && *after);
  EXPECT_EQ((*after)->active_sim, 2);
  EXPECT_EQ((*after)->sim_operator, rec.sim_operator[1]);
  EXPECT_GE(rig.he->stats().sim_changes, 1u);
  auto h = meter_health(*rig.db, rec.identity.serial, 900, rig.clock.now());
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->active_sim, 2);
  EXPECT_EQ(h->active_operator, rec.sim_operator[1]);
  // Meters that did not fail over keep SIM 1.
  auto other = rig.db->comm(rig.id_of(m + 1));
  ASSERT_TRUE(other.ok() && *other);
  EXPECT_EQ((*other)->active_sim, 1);
  EXPECT_EQ((*other)->sim_operator, rig.fleet.topology().meters[m + 1].sim_operator[0]);
}

}  // namespace
}  // namespace vidyut::headend
