// Billing scenarios on the simulated fleet (accelerated by a manual clock): the engine decides,
// relay commands go through a real head end over loopback sockets to the simulated meters, and
// the simulator's truth says what the relays did.
//  - The balance runs out on a Saturday evening: nothing is disconnected until Monday 08:00.
//  - A recharge then reconnects the meter within seconds of wall time (no simulated time passes);
//    a duplicate payment notification credits once and makes no second command.
//  - During a network outage a hotspot token reconnects the meter locally; when the network
//    returns the head end reads the meter's token log and billing reconciles it exactly once.
//  - At the end the ledger's wanted relay states and the meters' relays agree.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>

#include "billing/engine.h"
#include "tariff/tariff_file.h"
#include "testing/fleet_rig.h"

namespace vidyut::billing {
namespace {

using namespace std::chrono_literals;
using tariff::CivilDate;

UtcTime ist(CivilDate d, int hour, int minute = 0) {
  return tariff::ist_midnight(d) + std::chrono::hours(hour) + std::chrono::minutes(minute);
}

class HeadEndPort final : public RelayPort {
 public:
  explicit HeadEndPort(testing::FleetRig& rig) : rig_(rig) {}
  Result<store::Command> submit(store::Command c) override { return rig_.he->submit(std::move(c)); }
  Result<std::optional<store::Command>> command(std::int64_t id) override {
    return rig_.db->command(id);
  }

 private:
  testing::FleetRig& rig_;
};

testing::FleetRigOptions options(UtcTime start) {
  testing::FleetRigOptions o;
  o.spec.seed = 11;
  o.spec.consumers = 12;
  o.spec.consumers_per_dt = 12;
  o.spec.dts_per_feeder = 1;
  o.spec.static_ip_share = 1.0;  // the head end can call every meter
  o.start = start;
  o.head_end.retry_base_s = 60;
  o.head_end.dial_retry = Millis(500);
  // Sessions end soon after each push: a session open when a SIM path is cut would otherwise
  // carry commands through the outage (the simulator does not drop it), and commands reach
  // meters by dial-out anyway.
  o.linger = Millis(300);
  return o;
}

struct Scenario {
  explicit Scenario(const std::string& name, UtcTime start) : rig(name, options(start)), port(rig) {
    EXPECT_TRUE(rig.ok()) << rig.error();
    auto db_or = BillingDb::open(rig.dir + "/billing");
    EXPECT_TRUE(db_or.ok());
    db = std::move(*db_or);
    EngineOptions eo;
    eo.new_account_mode = PaymentMode::kPrepaid;
    eo.rules.emergency_credit_s = 0;  // the windows alone decide when
    eo.token_check_s = 0;
    eo.relay_check_s = 0;
    engine =
        std::make_unique<Engine>(*db, *rig.db, rig.clock, tariff::builtin_tariffs(), eo, &port);
    auto s = engine->start();
    EXPECT_TRUE(s.ok()) << s.error().describe();
    const auto& ms = rig.fleet.topology().meters;
    for (std::uint32_t i = 0; i < ms.size(); ++i) {
      if (!ms[i].consumer_id.empty()) consumers.emplace_back(ms[i].consumer_id, i);
    }
  }
  // Steps simulated time in 15-minute steps, ticking the engine after each.
  void run_until(UtcTime t, const std::function<void()>& each = {}) {
    while (rig.clock.now() < t) {
      rig.step(std::min<Millis>(15min, std::chrono::duration_cast<Millis>(t - rig.clock.now())),
               std::min<Millis>(5min, std::chrono::duration_cast<Millis>(t - rig.clock.now())));
      auto s = engine->tick();
      EXPECT_TRUE(s.ok()) << s.error().describe();
      if (each) each();
    }
  }
  RechargeResult recharge(const std::string& consumer, Paise amount, const std::string& ref,
                          bool token = false) {
    RechargeRequest q;
    q.consumer_id = consumer;
    q.amount = amount;
    q.payment_ref = ref;
    q.channel = "upi";
    q.issue_token = token;
    auto r = engine->recharge(q);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r.ok() ? *r : RechargeResult{};
  }
  // Leaves `consumer` with Rs 1.
  void drain(const std::string& consumer, const std::string& key) {
    const auto v = *engine->view(consumer);
    ASSERT_TRUE(engine->adjust(consumer, -(v.balance - 100), "test: drain", key, "test").ok());
  }
  // Every account's wanted relay state is the meter's relay state.
  void expect_ledger_and_relays_agree() {
    const auto wanted = engine->relay_wanted();
    for (const auto& [c, i] : consumers) {
      EXPECT_EQ(wanted.at(c), rig.relay_connected(i)) << c;
    }
    EXPECT_TRUE(db->verify().ok());
  }
  std::size_t commands(store::CommandKind kind, std::int64_t meter_id) {
    auto all = rig.db->commands_after(0, 10'000);
    std::size_t n = 0;
    for (const auto& c : *all) n += c.kind == kind && c.meter_id == meter_id;
    return n;
  }

  testing::FleetRig rig;
  HeadEndPort port;
  std::unique_ptr<BillingDb> db;
  std::unique_ptr<Engine> engine;
  std::vector<std::pair<std::string, std::uint32_t>> consumers;
};

TEST(BillingScenario, SaturdayEveningRunOutWaitsForMondayThenARechargeReconnectsInSeconds) {
  // 2026-11-21 is the third Saturday of November: an ordinary Saturday for the UP rules.
  const CivilDate sat{2026, 11, 21};
  Scenario s("billing-saturday", ist(sat, 18));
  for (const auto& [c, i] : s.consumers) s.recharge(c, 200'000, "OPEN-" + c);
  // Plain variables: clang 14 cannot capture structured bindings in a lambda.
  const std::string target = s.consumers.front().first;
  const auto index = s.consumers.front().second;
  const std::int64_t meter_id = s.rig.id_of(index);
  s.run_until(ist(sat, 18, 30));
  s.drain(target, "drain-1");
  UtcTime went_negative{};
  s.run_until(ist({2026, 11, 23}, 7, 45), [&] {
    const auto v = *s.engine->view(target);
    if (v.balance < 0 && went_negative == UtcTime{}) went_negative = s.rig.clock.now();
    EXPECT_TRUE(s.rig.relay_connected(index)) << tariff::format_ist(s.rig.clock.now());
  });
  ASSERT_NE(went_negative, UtcTime{});
  EXPECT_LT(went_negative, ist({2026, 11, 22}, 0)) << "ran out on Saturday evening";
  EXPECT_EQ(s.commands(store::CommandKind::kDisconnect, meter_id), 0u);
  // Monday 08:00: disconnection is allowed; the meter's relay opens.
  s.run_until(ist({2026, 11, 23}, 8, 15));
  ASSERT_TRUE(testing::FleetRig::eventually([&] { return !s.rig.relay_connected(index); }));
  EXPECT_EQ(s.commands(store::CommandKind::kDisconnect, meter_id), 1u);
  s.run_until(ist({2026, 11, 23}, 9));
  // A recharge reconnects without any simulated time passing: measured in wall time.
  const auto t0 = std::chrono::steady_clock::now();
  auto r = s.recharge(target, 50'000, "UPI-REC-1");
  EXPECT_TRUE(r.reconnect_ordered);
  ASSERT_TRUE(testing::FleetRig::eventually([&] { return s.rig.relay_connected(index); }, 100));
  const auto wall_ms =
      std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(wall_ms, 10'000);
  std::cout << "recharge to relay closed: " << wall_ms << " ms wall, 0 s simulated\n";
  // The payment gateway notifies twice more: credited once, no second command.
  const Paise wallet = s.engine->view(target)->wallet;
  EXPECT_TRUE(s.recharge(target, 50'000, "UPI-REC-1").duplicate);
  EXPECT_TRUE(s.recharge(target, 50'000, "UPI-REC-1").duplicate);
  EXPECT_EQ(s.engine->view(target)->wallet, wallet);
  EXPECT_EQ(s.commands(store::CommandKind::kConnect, meter_id), 1u);
  s.run_until(ist({2026, 11, 23}, 10));
  s.expect_ledger_and_relays_agree();
}

TEST(BillingScenario, AHotspotTokenDuringANetworkOutageReconnectsAndIsReconciledOnce) {
  const CivilDate tue{2026, 11, 24};
  Scenario s("billing-token", ist(tue, 9));
  for (const auto& [c, i] : s.consumers) s.recharge(c, 200'000, "OPEN-" + c);
  const std::string target = s.consumers[1].first;
  const auto index = s.consumers[1].second;
  const std::string serial = s.rig.fleet.topology().meters[index].identity.serial;
  const std::int64_t meter_id = s.rig.id_of(index);
  s.run_until(ist(tue, 9, 30));
  s.drain(target, "drain-1");
  s.run_until(ist(tue, 11));  // runs out; disconnection is allowed on a Tuesday morning
  ASSERT_TRUE(testing::FleetRig::eventually([&] { return !s.rig.relay_connected(index); }));
  // The mobile network fails for this meter (both SIMs) for 3 hours.
  ASSERT_TRUE(s.rig.control("cut-sim " + serial + " 1 180").ok());
  ASSERT_TRUE(s.rig.control("cut-sim " + serial + " 2 180").ok());
  std::this_thread::sleep_for(1s);  // the last session before the cut has ended
  s.run_until(ist(tue, 11, 30));
  // The consumer pays at a shop; the shop's channel gets a token; the consumer types it in.
  auto r = s.recharge(target, 30'000, "SHOP-TOKEN-1", true);
  ASSERT_EQ(r.token.size(), 20u);
  s.run_until(ist(tue, 11, 45));
  EXPECT_FALSE(s.rig.relay_connected(index)) << "unreachable: the connect command waits";
  auto outcome = s.rig.sim->with_fleet(
      [&](fleet::Fleet& f) { return f.enter_token(serial, token::format_token(r.token)); });
  ASSERT_TRUE(outcome.ok()) << outcome.error().describe();
  EXPECT_TRUE(outcome->accepted) << outcome->detail;
  EXPECT_TRUE(s.rig.relay_connected(index)) << "the token closed the relay at the meter";
  // The same token again is refused by the meter (single use).
  auto again =
      s.rig.sim->with_fleet([&](fleet::Fleet& f) { return f.enter_token(serial, r.token); });
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->accepted);
  // Network back: the head end delivers the queued commands, reads the token log; billing
  // reconciles the token once, however often it looks.
  s.run_until(ist(tue, 15));
  ASSERT_TRUE(testing::FleetRig::eventually([&] {
    (void)s.engine->tick();
    auto t = s.db->tokens_of(serial);
    return t.ok() && !t->empty() && t->front().state == "applied";
  }));
  s.run_until(ist(tue, 16));
  const auto notes = *s.db->notifications_of(s.engine->view(target)->account.id);
  int applied = 0;
  for (const auto& n : notes) applied += n.kind == "token-applied";
  EXPECT_EQ(applied, 1);
  auto cash = s.db->ledger_sum("cash:upi");
  ASSERT_TRUE(cash.ok());
  EXPECT_EQ(*cash, 200'000 * static_cast<Paise>(s.consumers.size()) + 30'000)
      << "the token's payment was credited exactly once";
  EXPECT_TRUE(s.rig.relay_connected(index));
  EXPECT_GE(s.commands(store::CommandKind::kRead, meter_id), 1u);
  s.expect_ledger_and_relays_agree();
}

}  // namespace
}  // namespace vidyut::billing
