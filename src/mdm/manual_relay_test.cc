// One consumer's relay from the control room: the operator's disconnection holds the relay, his
// reconnection closes it only when nobody else holds it, and both are audited.
#include "mdm/manual_relay.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "store/sqlite_store.h"

namespace vidyut::mdm {
namespace {

struct Rig {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("vidyut-manual-relay-" + std::to_string(::getpid()));
  ManualClock clock{parse_iso8601("2026-12-07T06:30:00Z").value()};
  std::unique_ptr<store::Store> db;
  std::unique_ptr<StoreCommandPort> port;
  std::int64_t meter = 0;
  Rig() {
    std::filesystem::remove_all(dir);
    auto s = store::open_sqlite_store(dir.string(), clock, {});
    EXPECT_TRUE(s.ok());
    db = std::move(*s);
    store::MeterInfo m;
    m.serial = "C1";
    m.kind = "single-phase";
    m.manufacturer = "VDY";
    m.system_title = {'V', 'D', 'Y', 0, 0, 0, 0, 1};
    m.feeder = "F1";
    m.dt = "F1-T1";
    m.consumer_id = "C1";
    std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> reg{{m, store::MeterSecrets{}}};
    EXPECT_TRUE(db->upsert_meters(reg).ok());
    meter = (*db->meter_by_serial("C1"))->id;
    port = std::make_unique<StoreCommandPort>(*db);
  }
  ~Rig() {
    db.reset();
    std::filesystem::remove_all(dir);
  }
};

TEST(ManualRelay, TheOperatorsHoldKeepsTheRelayOpenUntilHeLetsGo) {
  Rig rig;
  auto off = operator_disconnect(*rig.db, *rig.port, rig.clock, rig.meter, "web:asha",
                                 "meter tampering reported");
  ASSERT_TRUE(off.ok()) << off.error().message;
  ASSERT_TRUE(off->command.has_value());
  EXPECT_EQ(off->command->kind, store::CommandKind::kDisconnect);
  EXPECT_EQ(off->command->requested_by, "web:asha");
  ASSERT_EQ(off->holds.size(), 1u);
  EXPECT_EQ(off->holds[0].holder, kOperatorHolder);

  // Billing disconnects him too (no balance); the operator's reconnection leaves him open.
  ASSERT_TRUE(
      rig.db->hold_relay(store::RelayHold{rig.meter, "billing", "no balance", rig.clock.now()})
          .ok());
  rig.clock.advance(Millis(60'000));
  auto on = operator_reconnect(*rig.db, *rig.port, rig.clock, rig.meter, "web:asha", "inspected");
  ASSERT_TRUE(on.ok()) << on.error().message;
  EXPECT_FALSE(on->command.has_value()) << "billing still holds the relay";
  ASSERT_EQ(on->holds.size(), 1u);
  EXPECT_EQ(on->holds[0].holder, "billing");

  // Once billing lets go, a reconnection closes it.
  ASSERT_TRUE(rig.db->release_relay(rig.meter, "billing").ok());
  ASSERT_TRUE(
      operator_disconnect(*rig.db, *rig.port, rig.clock, rig.meter, "web:asha", "again").ok());
  rig.clock.advance(Millis(60'000));
  auto back = operator_reconnect(*rig.db, *rig.port, rig.clock, rig.meter, "web:ravi", "done");
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(back->command.has_value());
  EXPECT_EQ(back->command->kind, store::CommandKind::kConnect);
  EXPECT_TRUE(back->holds.empty());

  auto audit = rig.db->audit_after(0, 100);
  ASSERT_TRUE(audit.ok());
  int disconnects = 0, reconnects = 0;
  for (const auto& a : *audit) {
    if (a.action == "operator-disconnect") ++disconnects;
    if (a.action == "operator-reconnect") ++reconnects;
  }
  EXPECT_EQ(disconnects, 2);
  EXPECT_EQ(reconnects, 2);
}

TEST(ManualRelay, RequestsNeedAnActorAReasonAndAKnownMeter) {
  Rig rig;
  EXPECT_EQ(
      operator_disconnect(*rig.db, *rig.port, rig.clock, rig.meter, "web:asha", "").error().code,
      Errc::kInvalidArgument);
  EXPECT_EQ(operator_disconnect(*rig.db, *rig.port, rig.clock, rig.meter, "", "x").error().code,
            Errc::kInvalidArgument);
  EXPECT_EQ(operator_disconnect(*rig.db, *rig.port, rig.clock, 999, "web:asha", "x").error().code,
            Errc::kNotFound);
  EXPECT_TRUE(rig.db->relay_holds(rig.meter)->empty()) << "nothing held by a refused request";
}

}  // namespace
}  // namespace vidyut::mdm
