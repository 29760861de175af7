// Test rig for billing tests: a real SQLite store with N consumer meters, billing.db, a
// ManualClock and a relay port that records commands. Included by *_test.cc only.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "billing/engine.h"
#include "store/sqlite_store.h"
#include "tariff/tariff_file.h"

namespace vidyut::billing {

// Accepts every command and reports it succeeded (or pending, when told).
class FakeRelay final : public RelayPort {
 public:
  Result<store::Command> submit(store::Command c) override {
    for (const auto& x : commands) {
      if (x.idempotency_key == c.idempotency_key) return x;
    }
    c.id = static_cast<std::int64_t>(commands.size()) + 1;
    c.state = succeed ? store::CommandState::kSucceeded : store::CommandState::kPending;
    commands.push_back(c);
    return c;
  }
  Result<std::optional<store::Command>> command(std::int64_t id) override {
    if (id < 1 || id > static_cast<std::int64_t>(commands.size())) {
      return std::optional<store::Command>();
    }
    return std::optional<store::Command>(commands[static_cast<std::size_t>(id - 1)]);
  }
  std::vector<store::Command> of_kind(store::CommandKind k) const {
    std::vector<store::Command> out;
    for (const auto& c : commands) {
      if (c.kind == k) out.push_back(c);
    }
    return out;
  }
  std::vector<store::Command> commands;
  bool succeed = true;
};

inline UtcTime ist(tariff::CivilDate d, int hour, int minute = 0) {
  return tariff::ist_midnight(d) + std::chrono::hours(hour) + std::chrono::minutes(minute);
}

struct Rig {
  using path = std::filesystem::path;
  explicit Rig(const std::string& name, int consumers = 1,
               UtcTime start = ist(tariff::CivilDate{2026, 11, 1}, 0),
               PaymentMode mode = PaymentMode::kPrepaid)
      : clock(start),
        dir(std::filesystem::path(::testing::TempDir()) /
            ("vidyut-billing-" + name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir);
    store::SqliteOptions so;
    so.master_key = std::array<std::uint8_t, 32>{1, 2, 3};
    store = std::move(*store::open_sqlite_store(dir.string(), clock, so));
    std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> meters;
    for (int i = 0; i < consumers; ++i) {
      store::MeterInfo m;
      m.serial = "S" + std::to_string(1000 + i);
      m.kind = "single-phase";
      m.manufacturer = "VDY";
      m.system_title = {
          'V', 'D', 'Y', 0, 0, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
      m.category = "domestic";
      m.sanctioned_load_w = 2000;
      m.feeder = "F1";
      m.dt = "D1";
      m.consumer_id = "C" + std::to_string(1000 + i);
      store::MeterSecrets s;
      s.lls_password = "pw";
      s.ak = {static_cast<std::uint8_t>(i), 7, 7};
      s.ek = {9};
      meters.emplace_back(m, s);
    }
    EXPECT_TRUE(store->upsert_meters(meters).ok());
    for (int i = 0; i < consumers; ++i) {
      meter_ids.push_back((*store->meter_by_serial("S" + std::to_string(1000 + i)))->id);
    }
    options.rules.emergency_credit_s = 0;
    options.new_account_mode = mode;
    restart();
  }
  ~Rig() {
    engine.reset();
    db.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  // Drops the engine and its db handle (as a crash would) and opens them again.
  void restart() {
    engine.reset();
    db.reset();
    db = std::move(*BillingDb::open(dir));
    engine = std::make_unique<Engine>(*db, *store, clock, tariff::builtin_tariffs(), options,
                                      &relay, usage);
    auto s = engine->start();
    ASSERT_TRUE(s.ok()) << s.error().describe();
  }
  // `wh` in every 15-minute interval of IST day d (before `until` when given), for consumer i.
  void consume(int i, tariff::CivilDate d, std::int64_t wh, int from_slot = 0, int to_slot = 96) {
    std::vector<store::IntervalReading> rows;
    for (int slot = from_slot; slot < to_slot; ++slot) {
      store::IntervalReading r;
      r.meter_id = meter_ids[static_cast<std::size_t>(i)];
      r.start = tariff::ist_midnight(d) + std::chrono::minutes(15 * slot);
      r.import_wh = wh;
      rows.push_back(r);
    }
    ASSERT_TRUE(store->put_intervals(rows).ok());
  }
  void at(UtcTime t) {
    clock.set(t);
    auto s = engine->tick();
    ASSERT_TRUE(s.ok()) << s.error().describe();
  }
  Paise balance(int i = 0) { return engine->view("C" + std::to_string(1000 + i))->balance; }
  Paise wallet(int i = 0) { return engine->view("C" + std::to_string(1000 + i))->wallet; }
  RechargeResult recharge(int i, Paise amount, const std::string& ref, bool token = false) {
    RechargeRequest q;
    q.consumer_id = "C" + std::to_string(1000 + i);
    q.amount = amount;
    q.payment_ref = ref;
    q.channel = "upi";
    q.issue_token = token;
    auto r = engine->recharge(q);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r.ok() ? *r : RechargeResult{};
  }

  ManualClock clock;
  std::filesystem::path dir;
  std::unique_ptr<store::Store> store;
  std::vector<std::int64_t> meter_ids;
  EngineOptions options;
  UsageSource* usage = nullptr;  // null: the store's readings
  FakeRelay relay;
  std::unique_ptr<BillingDb> db;
  std::unique_ptr<Engine> engine;
};

}  // namespace vidyut::billing
