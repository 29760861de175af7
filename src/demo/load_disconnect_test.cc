// The demo's area-disconnection check: passes when the relays do what the holds require, and
// fails when a recharge reconnects a consumer load control holds, or a restore reconnects one
// billing holds.
#include "demo/load_disconnect.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

#include "store/sqlite_store.h"

namespace vidyut::demo {
namespace {

const UtcTime kT0 = parse_iso8601("2026-12-05T03:30:00Z").value();  // 09:00 IST

class Port final : public mdm::CommandPort {
 public:
  Result<store::Command> submit(store::Command c) override {
    c.id = static_cast<std::int64_t>(commands.size()) + 1;
    c.state = store::CommandState::kSucceeded;
    commands.push_back(c);
    return c;
  }
  Result<std::optional<store::Command>> command(std::int64_t id) override {
    if (id < 1 || id > static_cast<std::int64_t>(commands.size())) {
      return std::optional<store::Command>();
    }
    return std::optional<store::Command>(commands[static_cast<std::size_t>(id - 1)]);
  }
  std::vector<store::Command> commands;
};

struct Rig {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      (std::string("vidyut-demo-disconnect-") +
       std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
       std::to_string(::getpid()));
  ManualClock clock{kT0};
  std::unique_ptr<store::Store> st;
  Port port;
  std::unique_ptr<mdm::LoadControl> lc;
  std::map<std::uint32_t, bool> closed{{0, false}, {1, true}, {2, true}};  // 0: billing opened
  Rig() {
    std::filesystem::remove_all(dir);
    st = std::move(*store::open_sqlite_store(dir.string(), clock, {}));
    std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> reg;
    for (int i = 0; i < 4; ++i) {
      store::MeterInfo m;
      m.serial = i == 0 ? "DT1" : "C" + std::to_string(i);
      m.kind = i == 0 ? "dt" : "single-phase";
      m.manufacturer = "VDY";
      m.system_title = {'V', 'D', 'Y', 0, 0, 0, 0, static_cast<std::uint8_t>(i + 1)};
      m.feeder = "F1";
      m.dt = "F1-T1";
      m.consumer_id = i == 0 ? "" : "K" + std::to_string(i);
      m.sanctioned_load_w = 2'000;
      reg.emplace_back(m, store::MeterSecrets{});
    }
    EXPECT_TRUE(st->upsert_meters(reg).ok());
    lc = std::move(*mdm::LoadControl::open(dir, *st, port, clock));
  }
  ~Rig() {
    lc.reset();
    st.reset();
    std::filesystem::remove_all(dir);
  }
  DisconnectScenario::Truth truth() {
    return {[this](std::uint32_t i) { return closed.at(i); }, [](std::uint32_t) { return true; },
            [](std::uint32_t i) { return "C" + std::to_string(i + 1); }};
  }
  // What the meters do with the commands sent so far.
  std::size_t applied = 0;
  void apply_commands() {
    for (; applied < port.commands.size(); ++applied) {
      const auto& c = port.commands[applied];
      const auto serial = (*st->meter_by_id(c.meter_id))->serial;
      const std::uint32_t i = static_cast<std::uint32_t>(std::stoi(serial.substr(1)) - 1);
      if (c.kind == store::CommandKind::kDisconnect) closed[i] = false;
      if (c.kind == store::CommandKind::kConnect) closed[i] = true;
    }
  }
  void run_to(DisconnectScenario& s, UtcTime t) {
    while (clock.now() < t) {
      clock.advance(Millis(60'000));
      s.tick(clock.now());
      ASSERT_TRUE(lc->tick().ok());
      apply_commands();
    }
  }
};

DisconnectPlan plan(UtcTime recharge_at) {
  DisconnectPlan p;
  p.name = "test";
  p.dt = "F1-T1";
  p.without_balance = {0};
  p.with_balance = {1, 2};
  p.at = kT0;
  p.minutes = 60;
  p.recharge_at = recharge_at;
  return p;
}

TEST(DisconnectScenario, PassesWhenTheHoldsAreRespected) {
  Rig rig;
  // Billing holds C1 (index 0) until his recharge at 12:00.
  ASSERT_TRUE(rig.st->hold_relay({(*rig.st->meter_by_serial("C1"))->id, "billing", "x", kT0}).ok());
  DisconnectScenario s(*rig.lc, rig.truth());
  s.add(plan(kT0 + std::chrono::hours(3)));
  s.tick(kT0);
  rig.apply_commands();
  rig.run_to(s, kT0 + std::chrono::hours(3));
  // The recharge: billing lets go; nothing else holds C1, so billing reconnects him.
  ASSERT_TRUE(rig.st->release_relay((*rig.st->meter_by_serial("C1"))->id, "billing")->empty());
  rig.closed[0] = true;
  rig.run_to(s, kT0 + std::chrono::hours(5));
  ASSERT_EQ(s.checks().size(), 1u);
  const auto& c = s.checks()[0];
  EXPECT_EQ(c.open_during, 3u);
  EXPECT_EQ(c.closed_after, 2u);
  EXPECT_EQ(c.held_after, 1u);
  EXPECT_EQ(c.closed_after_recharge, 1u);
  EXPECT_TRUE(s.ok()) << c.error;
}

TEST(DisconnectScenario, FailsWhenTheRestoreReconnectsAConsumerBillingHolds) {
  Rig rig;  // no billing hold: the restore reconnects C1 although the plan says billing holds him
  DisconnectScenario s(*rig.lc, rig.truth());
  s.add(plan(kT0 + std::chrono::hours(3)));
  s.tick(kT0);
  rig.apply_commands();
  rig.run_to(s, kT0 + std::chrono::hours(5));
  EXPECT_EQ(s.checks()[0].held_after, 0u);
  EXPECT_FALSE(s.ok());
}

TEST(DisconnectScenario, FailsWhenARechargeInsideTheWindowReconnects) {
  Rig rig;
  DisconnectScenario s(*rig.lc, rig.truth());
  s.add(plan(kT0 + std::chrono::minutes(30)));
  EXPECT_EQ(s.held_by_load_control(), std::vector<std::uint32_t>{0});
  s.tick(kT0);
  rig.apply_commands();
  rig.run_to(s, kT0 + std::chrono::minutes(30));
  rig.closed[0] = true;  // a recharge that ignored load control's hold
  rig.run_to(s, kT0 + std::chrono::minutes(58));
  EXPECT_EQ(s.checks()[0].open_during, 2u);
  rig.run_to(s, kT0 + std::chrono::hours(3));
  EXPECT_FALSE(s.ok());
}

}  // namespace
}  // namespace vidyut::demo
