// Area load control: a DT's non-essential consumers get the limit, essential ones nothing; the
// window's end restores each meter's own threshold once; bad requests and overlapping actions are
// refused; progress and latency from the command port; everything audited.
#include "mdm/load_control.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

#include <sqlite3.h>

#include "store/sqlite_store.h"

namespace vidyut::mdm {
namespace {

const UtcTime kT0 = parse_iso8601("2026-12-05T12:30:00Z").value();  // 18:00 IST

// Remembers every command; a test marks them done.
class FakePort final : public CommandPort {
 public:
  Result<store::Command> submit(store::Command c) override {
    auto it = by_key.find(c.idempotency_key);
    if (it != by_key.end()) return commands.at(it->second);
    c.id = static_cast<std::int64_t>(commands.size()) + 1;
    by_key[c.idempotency_key] = c.id;
    commands[c.id] = c;
    return c;
  }
  Result<std::optional<store::Command>> command(std::int64_t id) override {
    auto it = commands.find(id);
    if (it == commands.end()) return std::optional<store::Command>();
    return std::optional<store::Command>(it->second);
  }
  void finish_all(Millis after) {
    for (auto& [id, c] : commands) {
      if (c.state != store::CommandState::kPending) continue;
      c.state = store::CommandState::kSucceeded;
      c.finished = c.created + after;
    }
  }
  std::map<std::int64_t, store::Command> commands;
  std::map<std::string, std::int64_t> by_key;
};

struct Rig {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      (std::string("vidyut-load-control-test-") +
       std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
       std::to_string(::getpid()));
  ManualClock clock{kT0};
  std::unique_ptr<store::Store> db;
  FakePort port;
  std::unique_ptr<LoadControl> lc;
  Rig() {
    std::filesystem::remove_all(dir);
    auto s = store::open_sqlite_store(dir.string(), clock, {});
    EXPECT_TRUE(s.ok());
    db = std::move(*s);
    std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> reg;
    auto add = [&](std::string serial, std::string dt, std::string consumer, std::uint32_t w) {
      store::MeterInfo m;
      m.serial = serial;
      m.kind = consumer.empty() ? (dt.empty() ? "feeder" : "dt") : "single-phase";
      m.manufacturer = "VDY";
      m.system_title = {'V', 'D', 'Y', 0, 0, 0, 0, static_cast<std::uint8_t>(reg.size() + 1)};
      m.feeder = "F1";
      m.dt = dt;
      m.consumer_id = consumer;
      m.sanctioned_load_w = w;
      reg.emplace_back(m, store::MeterSecrets{});
    };
    add("F1", "", "", 5'000'000);
    add("D1", "F1-T1", "", 63'000);
    add("D2", "F1-T2", "", 63'000);
    add("C1", "F1-T1", "C1", 2'000);
    add("C2", "F1-T1", "C2", 3'000);
    add("H1", "F1-T1", "H1", 10'000);  // a hospital
    add("C3", "F1-T2", "C3", 4'000);
    EXPECT_TRUE(db->upsert_meters(reg).ok());
    auto l = LoadControl::open(dir, *db, port, clock);
    EXPECT_TRUE(l.ok()) << l.error().message;
    lc = std::move(*l);
  }
  ~Rig() {
    lc.reset();
    db.reset();
    std::filesystem::remove_all(dir);
  }
};

TEST(LoadControl, LimitsADtsConsumersButTheEssentialAndRestoresEachOnceAtTheEnd) {
  Rig rig;
  ASSERT_TRUE(rig.lc->mark_essential("H1", "district hospital", "asha").ok());
  EXPECT_EQ(rig.lc->mark_essential("D1", "x", "asha").error().code, Errc::kInvalidArgument);
  auto a = rig.lc->limit("F1-T1", 1'500, 60, "asha", "evening peak");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->meters.size(), 2u);
  EXPECT_EQ(a->essential_skipped, 1u);
  ASSERT_EQ(rig.port.commands.size(), 2u);
  for (const auto& [id, c] : rig.port.commands) {
    EXPECT_EQ(c.kind, store::CommandKind::kLoadLimit);
    EXPECT_EQ(c.argument, "1500");
    EXPECT_EQ(c.requested_by, "asha");
    EXPECT_EQ(c.deadline, kT0 + Millis(3'600'000));
    EXPECT_NE(c.meter_id, (*rig.db->meter_by_serial("H1"))->id);
  }
  // Refused: the same DT again, its feeder (it would hold the same meters), bad limits, windows.
  EXPECT_EQ(rig.lc->limit("F1-T1", 1'500, 60, "asha", "").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(rig.lc->limit("F1", 1'500, 60, "asha", "").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(rig.lc->limit("F1-T2", 50, 60, "asha", "").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(rig.lc->limit("F1-T2", 1'500, 0, "asha", "").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(rig.lc->limit("F9", 1'500, 60, "asha", "").error().code, Errc::kNotFound);
  EXPECT_EQ(rig.lc->limit("F1-T2", 1'500, 60, "", "").error().code, Errc::kInvalidArgument);

  rig.port.finish_all(Millis(4'000));
  rig.clock.advance(Millis(59 * 60'000));
  auto n = rig.lc->tick();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  rig.clock.advance(Millis(60'000));
  n = rig.lc->tick();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
  ASSERT_EQ(rig.port.commands.size(), 4u);
  std::map<std::string, std::string> restored;  // serial -> threshold
  for (const auto& [id, c] : rig.port.commands) {
    if (c.idempotency_key.ends_with("restore")) {
      restored[(*rig.db->meter_by_id(c.meter_id))->serial] = c.argument;
    }
  }
  EXPECT_EQ(restored, (std::map<std::string, std::string>{{"C1", "2000"}, {"C2", "3000"}}));
  EXPECT_EQ(*rig.lc->tick(), 0u);  // once
  EXPECT_EQ(rig.lc->restore(a->id, "asha").error().code, Errc::kInvalidArgument);
  rig.port.finish_all(Millis(6'000));
  auto got = rig.lc->action(a->id);
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ((*got)->state, LoadActionState::kRestored);
  auto p = rig.lc->progress(**got);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->applied, 2u);
  EXPECT_EQ(p->restored, 2u);
  EXPECT_EQ(p->apply_latency_ms, (std::vector<std::int64_t>{4'000, 4'000}));
  // The feeder may be limited now that nothing holds its meters; every step was audited.
  EXPECT_TRUE(rig.lc->limit("F1", 1'500, 30, "ravi", "").ok());
  auto audit = rig.db->audit_after(0, 100);
  ASSERT_TRUE(audit.ok());
  std::vector<std::string> actions;
  for (const auto& r : *audit) actions.push_back(r.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"essential-mark", "load-control-limit",
                                               "load-control-restore", "load-control-limit"}));
}

TEST(LoadControl, ActionsSurviveARestartAndAnEarlyRestoreRestoresOnce) {
  Rig rig;
  auto a = rig.lc->limit("F1-T2", 2'000, 120, "asha", "");
  ASSERT_TRUE(a.ok());
  auto l = LoadControl::open(rig.dir, *rig.db, rig.port, rig.clock);
  ASSERT_TRUE(l.ok());
  rig.lc = std::move(*l);
  auto active = rig.lc->actions(true);
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].meters[0].serial, "C3");
  auto r = rig.lc->restore(a->id, "ravi");
  ASSERT_TRUE(r.ok());
  rig.clock.advance(Millis(3 * 3'600'000));
  EXPECT_EQ(*rig.lc->tick(), 0u);
  EXPECT_EQ(rig.port.commands.size(), 2u);
}

TEST(LoadControl, DisconnectsAChosenSetHoldingTheirRelaysAndLeavesBillingsDisconnectionInPlace) {
  Rig rig;
  ASSERT_TRUE(rig.lc->mark_essential("H1", "district hospital", "asha").ok());
  // Refused: an essential consumer, a meter of another DT, an unknown meter.
  EXPECT_EQ(rig.lc->disconnect("F1-T1", {"C1", "H1"}, 60, "asha", "").error().code,
            Errc::kInvalidArgument);
  EXPECT_EQ(rig.lc->disconnect("F1-T1", {"C3"}, 60, "asha", "").error().code,
            Errc::kInvalidArgument);
  EXPECT_EQ(rig.lc->disconnect("F1-T1", {"C9"}, 60, "asha", "").error().code, Errc::kNotFound);
  EXPECT_EQ(rig.port.commands.size(), 0u);
  auto a = rig.lc->disconnect("F1-T1", {"C1", "C2"}, 30, "asha", "transformer overheating");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->kind, LoadActionKind::kDisconnect);
  ASSERT_EQ(a->meters.size(), 2u);
  ASSERT_EQ(rig.port.commands.size(), 2u);
  const std::int64_t c1 = (*rig.db->meter_by_serial("C1"))->id;
  const std::int64_t c2 = (*rig.db->meter_by_serial("C2"))->id;
  for (const auto& [id, c] : rig.port.commands) {
    EXPECT_EQ(c.kind, store::CommandKind::kDisconnect);
    auto holds = rig.db->relay_holds(c.meter_id);
    ASSERT_TRUE(holds.ok());
    ASSERT_EQ(holds->size(), 1u);
    EXPECT_EQ((*holds)[0].holder, "load-control:" + std::to_string(a->id));
  }
  // The same meters cannot be taken by another action meanwhile.
  EXPECT_EQ(rig.lc->limit("F1-T1", 1'500, 60, "asha", "").error().code, Errc::kInvalidArgument);
  // During the window C2 runs out of balance: billing holds his relay too.
  ASSERT_TRUE(rig.db->hold_relay(store::RelayHold{c2, "billing", "prepaid C2", kT0}).ok());
  rig.port.finish_all(Millis(3'000));
  rig.clock.advance(Millis(30 * 60'000));
  ASSERT_EQ(*rig.lc->tick(), 1u);
  // C1 reconnected; C2 left open for billing.
  std::vector<std::int64_t> connected;
  for (const auto& [id, c] : rig.port.commands) {
    if (c.kind == store::CommandKind::kConnect) connected.push_back(c.meter_id);
  }
  EXPECT_EQ(connected, std::vector<std::int64_t>{c1});
  EXPECT_TRUE(rig.db->relay_holds(c1)->empty());
  ASSERT_EQ(rig.db->relay_holds(c2)->size(), 1u);
  EXPECT_EQ(rig.db->relay_holds(c2)->front().holder, "billing");
  rig.port.finish_all(Millis(2'000));
  auto got = rig.lc->action(a->id);
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ((*got)->kind, LoadActionKind::kDisconnect);
  auto p = rig.lc->progress(**got);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->applied, 2u);
  EXPECT_EQ(p->restored, 1u);
  EXPECT_EQ(p->held_open, 1u);
  auto audit = rig.db->audit_after(0, 100);
  ASSERT_TRUE(audit.ok());
  EXPECT_EQ(audit->back().action, "load-control-restore");
  EXPECT_NE(audit->back().detail.find("1 meters reconnected, 1 left open"), std::string::npos)
      << audit->back().detail;
}

TEST(LoadControl, AnEmptyChoiceDisconnectsEveryNonEssentialConsumerAndAnOldMdmDbIsUpgraded) {
  Rig rig;
  // mdm.db as the first load-control schema left it: no kind column.
  rig.lc.reset();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((rig.dir / "mdm.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "ALTER TABLE load_actions DROP COLUMN kind; UPDATE meta SET value = '1' "
                           "WHERE key = 'schema-load-control'",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto l = LoadControl::open(rig.dir, *rig.db, rig.port, rig.clock);
  ASSERT_TRUE(l.ok()) << l.error().message;
  rig.lc = std::move(*l);
  ASSERT_TRUE(rig.lc->mark_essential("H1", "district hospital", "asha").ok());
  auto a = rig.lc->disconnect("F1-T1", {}, 15, "asha", "");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->meters.size(), 2u);
  EXPECT_EQ(a->essential_skipped, 1u);
  auto got = rig.lc->action(a->id);
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ((*got)->kind, LoadActionKind::kDisconnect);
}

}  // namespace
}  // namespace vidyut::mdm
