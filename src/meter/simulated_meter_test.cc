#include "meter/simulated_meter.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/clock.h"
#include "meter/load_model.h"

namespace vidyut::meter {
namespace {

using namespace std::chrono_literals;

UtcTime at(const char* iso) { return parse_iso8601(iso).value(); }

MeterIdentity test_identity(std::uint64_t seed = 42) {
  return make_identity("VDY", "00012345", seed);
}

// ---- load model ---------------------------------------------------------------------------

TEST(LoadModel, SystemTitleIsManufacturerCodeAndSerial) {
  const MeterIdentity id = make_identity("VDY", "00012345", 1);
  // "VDY" then 12345 = 0x3039 in five bytes.
  const std::array<std::uint8_t, 8> want{'V', 'D', 'Y', 0, 0, 0, 0x30, 0x39};
  EXPECT_EQ(id.system_title, want);
}

TEST(LoadModel, SamplesArePureAndPlausible) {
  const MeterIdentity id = test_identity();
  const std::int64_t first = slot_of(at("2026-05-01T00:00:00Z"));
  for (std::int64_t s = first; s < first + 288 * 7; ++s) {
    const LoadSample a = sample_load(id, s);
    const LoadSample b = sample_load(id, s);
    EXPECT_EQ(a.power_w, b.power_w);
    EXPECT_GE(a.power_w, 8.0);
    EXPECT_LE(a.power_w, 1.25 * id.sanctioned_load_w);
    EXPECT_GE(a.voltage_v, 215.0);
    EXPECT_LE(a.voltage_v, 245.0);
    EXPECT_GE(a.power_factor, 0.85);
    EXPECT_LE(a.power_factor, 0.99);
    EXPECT_GE(a.frequency_hz, 49.9);
    EXPECT_LE(a.frequency_hz, 50.1);
    EXPECT_NEAR(a.current_a, a.power_w / (a.voltage_v * a.power_factor), 1e-9);
  }
}

TEST(LoadModel, DifferentSeedsGiveDifferentLoads) {
  const std::int64_t s = slot_of(at("2026-05-01T14:00:00Z"));
  int differ = 0;
  for (std::int64_t i = 0; i < 50; ++i) {
    if (sample_load(test_identity(1), s + i).power_w !=
        sample_load(test_identity(2), s + i).power_w)
      ++differ;
  }
  EXPECT_GT(differ, 45);
}

TEST(LoadModel, EveningPeakExceedsSmallHoursOnAverage) {
  // Average over a month of winter days (no night cooling): 20:00-21:00 IST vs 03:00-04:00 IST.
  const MeterIdentity id = test_identity(7);
  double evening = 0, night = 0;
  for (int day = 0; day < 30; ++day) {
    const UtcTime midnight_ist = at("2026-01-01T00:00:00+05:30") + std::chrono::days(day);
    for (int k = 0; k < 12; ++k) {
      evening += sample_load(id, slot_of(midnight_ist + 20h + std::chrono::minutes(5 * k))).power_w;
      night += sample_load(id, slot_of(midnight_ist + 3h + std::chrono::minutes(5 * k))).power_w;
    }
  }
  EXPECT_GT(evening, 2.0 * night);
}

TEST(LoadModel, EnergyIsExactlyAdditiveAtAnySplit) {
  const MeterIdentity id = test_identity();
  const UtcTime a = at("2026-05-01T10:03:17Z");
  const UtcTime c = a + 3h + 7min + 333ms;
  const Energy whole = model_energy(id, a, c);
  for (Millis step : {Millis(1), Millis(999), Millis(60'001), Millis(299'999), Millis(4'567'891)}) {
    for (UtcTime b = a; b <= c; b += step * 3701) {
      Energy parts = model_energy(id, a, b);
      parts += model_energy(id, b, c);
      ASSERT_EQ(parts, whole) << format_iso8601(b);
    }
  }
  EXPECT_EQ(model_energy(id, c, a), Energy{});
}

TEST(LoadModel, WholeSlotEnergyMatchesPower) {
  const MeterIdentity id = test_identity();
  const std::int64_t s = slot_of(at("2026-05-01T10:00:00Z"));
  const Energy e = model_energy(id, slot_start(s), slot_start(s + 1));
  EXPECT_EQ(e.active_mwh, std::llround(sample_load(id, s).power_w * 1000.0 / 12.0));
}

// ---- SimulatedMeter ----------------------------------------------------------------------------

class MeterTest : public ::testing::Test {
 protected:
  // 2026-11-23 10:00 IST.
  ManualClock clock_{at("2026-11-23T04:30:00Z")};
  SimulatedMeter make(MeterConfig cfg = {}) { return SimulatedMeter(test_identity(), cfg, clock_); }
};

TEST_F(MeterTest, OriginIsIstMidnightHistoryDaysBack) {
  SimulatedMeter m = make();
  EXPECT_EQ(m.history_origin(), at("2026-09-24T00:00:00+05:30"));
}

TEST_F(MeterTest, RegistersEqualSumOfBlocksOverAnyRange) {
  SimulatedMeter m = make();
  const auto rows = m.block_load(at("2026-11-01T00:00:00+05:30"), at("2026-11-23T10:00:00+05:30"));
  ASSERT_EQ(rows.size(), 22u * 96 + 40);  // 22 days and 10 h, last block ends at 10:00
  for (std::size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].stamp - rows[i - 1].stamp, 15min);
  }
  const std::pair<std::size_t, std::size_t> ranges[] = {
      {0, rows.size()}, {5, 6}, {17, 300}, {1000, 2000}};
  for (auto [first, last] : ranges) {
    std::int64_t wh = 0, vah = 0;
    for (std::size_t i = first; i < last; ++i) {
      wh += rows[i].import_wh;
      vah += rows[i].import_vah;
    }
    const Registers r0 = m.registers_at_meter_time(rows[first].stamp);
    const Registers r1 = m.registers_at_meter_time(rows[last - 1].stamp + 15min);
    EXPECT_EQ(r1.import_wh - r0.import_wh, wh);
    EXPECT_EQ(r1.import_vah - r0.import_vah, vah);
  }
  // And the register now equals the last block's end plus the running interval.
  EXPECT_EQ(m.registers_now(), m.registers_at_meter_time(at("2026-11-23T10:00:00+05:30")));
}

TEST_F(MeterTest, AnchoredMeterStartsAtItsInitialRegisterAndDerivesHistoryBackwards) {
  MeterConfig cfg;
  cfg.anchor_at_start = true;
  cfg.initial_import_wh = 123'456;
  SimulatedMeter m = make(cfg);
  EXPECT_EQ(m.registers_now().import_wh, 123'456);
  // The same energy flows as in an unanchored meter: only the register's offset differs.
  SimulatedMeter plain = make();
  const UtcTime a = at("2026-10-10T00:00:00+05:30");
  const UtcTime b = at("2026-11-23T10:00:00+05:30");
  const Energy anchored = m.cumulative_at(b) - m.cumulative_at(a);
  const Energy unanchored = plain.cumulative_at(b) - plain.cumulative_at(a);
  EXPECT_EQ(anchored, unanchored);
  EXPECT_GT(anchored.active_mwh, 0);
  // Blocks read back over 45 days still sum to the register difference.
  const auto rows = m.block_load(at("2026-10-09T10:00:00+05:30"), b);
  std::int64_t wh = 0;
  for (const auto& r : rows) wh += r.import_wh;
  EXPECT_EQ(m.registers_at_meter_time(b).import_wh -
                m.registers_at_meter_time(rows.front().stamp).import_wh,
            wh);
  clock_.advance(2h);
  EXPECT_GT(m.registers_now().import_wh, 123'456);
  // Registers at the origin are derived backwards from the anchor.
  EXPECT_LT(m.registers_at(m.history_origin()).import_wh, 123'456);
}

TEST_F(MeterTest, PastRowsAreStableAcrossReadsAndUnrelatedChanges) {
  SimulatedMeter m = make();
  const UtcTime from = at("2026-11-20T00:00:00+05:30");
  const UtcTime to = at("2026-11-21T00:00:00+05:30");
  const auto first = m.block_load(from, to);
  ASSERT_EQ(first.size(), 97u);  // both ends inclusive
  (void)m.block_load(at("2026-10-10T00:00:00+05:30"), at("2026-10-12T00:00:00+05:30"));
  clock_.advance(2h);
  EXPECT_TRUE(m.disconnect());
  clock_.advance(1h);
  m.set_limiter_threshold_w(3000);
  m.set_meter_time(m.meter_now() + 30s);
  const auto again = m.block_load(from, to);
  ASSERT_EQ(again.size(), first.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(again[i].stamp, first[i].stamp);
    EXPECT_EQ(again[i].import_wh, first[i].import_wh);
    EXPECT_EQ(again[i].import_vah, first[i].import_vah);
    EXPECT_EQ(again[i].avg_voltage_v, first[i].avg_voltage_v);
  }
}

TEST_F(MeterTest, DisconnectedPeriodRecordsZeroEnergy) {
  SimulatedMeter m = make();
  clock_.set(at("2026-11-23T10:07:00+05:30"));
  const Registers before = m.registers_now();
  ASSERT_TRUE(m.disconnect());
  EXPECT_FALSE(m.disconnect());  // already open: nothing recorded
  EXPECT_FALSE(m.relay_connected());
  EXPECT_EQ(m.instantaneous().power_w, 0.0);
  clock_.set(at("2026-11-23T11:52:00+05:30"));
  EXPECT_EQ(m.registers_now(), before);
  ASSERT_TRUE(m.connect());
  clock_.set(at("2026-11-23T12:30:00+05:30"));
  const auto rows = m.block_load(at("2026-11-23T10:00:00+05:30"), at("2026-11-23T12:15:00+05:30"));
  ASSERT_EQ(rows.size(), 10u);
  EXPECT_GT(rows[0].import_wh, 0);        // 10:00-10:07 connected
  for (std::size_t i = 1; i <= 6; ++i) {  // 10:15 .. 11:30 blocks wholly disconnected
    EXPECT_EQ(rows[i].import_wh, 0) << i;
    EXPECT_EQ(rows[i].import_vah, 0) << i;
    EXPECT_EQ(rows[i].avg_current_a, 0.0) << i;
    EXPECT_GT(rows[i].avg_voltage_v, 200.0) << i;  // supply side still live
  }
  EXPECT_GT(rows[8].import_wh, 0);
  ASSERT_EQ(m.relay_history().size(), 2u);
  EXPECT_FALSE(m.relay_history()[0].connected);
  EXPECT_EQ(m.relay_history()[0].meter_time, at("2026-11-23T10:07:00+05:30"));
  const auto log = m.events(EventLog::kControl);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].code, event_code::kRelayDisconnected);
  EXPECT_EQ(log[1].code, event_code::kRelayConnected);
  EXPECT_EQ(log[1].meter_time, at("2026-11-23T11:52:00+05:30"));
  EXPECT_TRUE(m.esw().test(dlms::is15959::esw::kRelayStateChanged));
}

TEST_F(MeterTest, DailyRowsEqualRegistersAtIstMidnight) {
  SimulatedMeter m = make();
  const auto days = m.daily_load(at("2026-11-01T00:00:00Z"), at("2026-11-30T00:00:00Z"));
  ASSERT_EQ(days.size(), 22u);  // 2 Nov .. 23 Nov IST midnights within [from, now]
  EXPECT_EQ(days.front().stamp, at("2026-11-02T00:00:00+05:30"));
  for (const DailyRow& d : days) {
    EXPECT_EQ(d.registers.import_wh, m.cumulative_at(d.stamp).active_mwh / 1000);
  }
  // Consecutive days differ by exactly the day's blocks.
  const auto blocks = m.block_load(days[3].stamp, days[4].stamp - 15min);
  std::int64_t wh = 0;
  for (const auto& b : blocks) wh += b.import_wh;
  EXPECT_EQ(days[4].registers.import_wh - days[3].registers.import_wh, wh);
}

TEST_F(MeterTest, BlockLoadRetentionAndCapturePeriod) {
  MeterConfig cfg;
  cfg.capture_period_s = 1800;
  SimulatedMeter m = make(cfg);
  const auto all = m.block_load(at("2000-01-01T00:00:00Z"), at("2100-01-01T00:00:00Z"));
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().stamp, m.meter_now() - std::chrono::days(45));
  EXPECT_EQ(all.back().stamp, at("2026-11-23T09:30:00+05:30"));
  EXPECT_EQ(all.size(), 45u * 48);
  EXPECT_FALSE(SimulatedMeter::valid_capture_period(1000));
  EXPECT_TRUE(SimulatedMeter::valid_capture_period(900));
}

TEST_F(MeterTest, ClockDriftAndSet) {
  MeterConfig cfg;
  cfg.clock_offset = Millis(-95'000);  // meter 95 s slow
  SimulatedMeter m = make(cfg);
  EXPECT_EQ(m.meter_now(), clock_.now() - 95s);
  // The slow meter closes its 09:45 block 95 s late in true time.
  const auto rows = m.block_load(at("2026-11-23T09:45:00+05:30"), at("2026-11-23T09:45:00+05:30"));
  ASSERT_EQ(rows.size(), 0u);  // its 09:45-10:00 block is not complete yet (meter shows 09:58:25)
  clock_.advance(95s);
  ASSERT_EQ(m.block_load(at("2026-11-23T09:45:00+05:30"), at("2026-11-23T09:45:00+05:30")).size(),
            1u);
  const Registers r_before = m.registers_now();
  m.set_meter_time(clock_.now());
  EXPECT_EQ(m.clock_offset(), Millis(0));
  EXPECT_EQ(m.meter_now(), clock_.now());
  EXPECT_EQ(m.registers_now(), r_before);  // a clock set moves no energy
  const auto tx = m.events(EventLog::kTransaction);
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(tx[0].code, event_code::kClockSet);
  EXPECT_EQ(m.programming_count(), 1u);
  // Rows captured before the set keep their old stamps and energies.
  EXPECT_EQ(m.to_true(at("2026-11-23T09:45:00+05:30")), at("2026-11-23T09:46:35+05:30"));
}

TEST_F(MeterTest, BackwardClockStepKeepsTelescoping) {
  SimulatedMeter m = make();
  clock_.advance(1h);
  m.set_meter_time(m.meter_now() - 20min);
  clock_.advance(2h);
  const auto rows = m.block_load(at("2026-11-23T09:00:00+05:30"), at("2026-11-23T12:00:00+05:30"));
  std::int64_t wh = 0;
  for (const auto& r : rows) wh += r.import_wh;
  const Registers r0 = m.registers_at_meter_time(rows.front().stamp);
  const Registers r1 = m.registers_at_meter_time(rows.back().stamp + 15min);
  EXPECT_EQ(r1.import_wh - r0.import_wh, wh);
}

TEST_F(MeterTest, BillingRowsAtMonthStarts) {
  SimulatedMeter m = make();
  const auto bills = m.billing(at("2000-01-01T00:00:00Z"), at("2100-01-01T00:00:00Z"));
  ASSERT_EQ(bills.size(), 2u);  // 1 Oct and 1 Nov after the 24 Sep origin
  EXPECT_EQ(bills[0].stamp, at("2026-10-01T00:00:00+05:30"));
  EXPECT_EQ(bills[1].stamp, at("2026-11-01T00:00:00+05:30"));
  EXPECT_EQ(bills[1].registers, m.registers_at_meter_time(bills[1].stamp));
  EXPECT_GT(bills[1].md_w, 0);
  EXPECT_GE(bills[1].md_w_time, bills[0].stamp);
  EXPECT_LT(bills[1].md_w_time, bills[1].stamp);
  EXPECT_GT(bills[1].avg_power_factor, 0.85);
  EXPECT_LE(bills[1].avg_power_factor, 1.0);
}

// The billing profile, the maximum-demand and the ToD registers keep what they scanned of
// completed blocks; a meter read often (its caches warm) must answer exactly as one read for
// the first time, across relay operations, clock steps and month ends.
TEST_F(MeterTest, CachedDemandAndTodEqualAFreshComputation) {
  SimulatedMeter warm = make();
  // One twin per check, living through the same operations but read only at its check.
  constexpr int kChecks = 7;
  std::vector<SimulatedMeter> cold;
  for (int i = 0; i < kChecks; ++i) cold.push_back(make());
  auto all = [&](auto&& op) {
    op(warm);
    for (auto& c : cold) op(c);
  };
  int checks = 0;
  auto same = [&](SimulatedMeter& twin) {
    ++checks;
    const UtcTime now = warm.meter_now();
    const auto a = warm.billing(UtcTime::min(), now);
    const auto b = twin.billing(UtcTime::min(), now);
    ASSERT_EQ(a.size(), b.size()) << checks;
    std::vector<UtcTime> stamps;
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].md_w, b[i].md_w) << checks << " bill " << i;
      EXPECT_EQ(a[i].md_w_time, b[i].md_w_time) << checks;
      EXPECT_EQ(a[i].md_va, b[i].md_va) << checks;
      EXPECT_EQ(a[i].registers, b[i].registers) << checks;
      stamps.push_back(a[i].stamp);
    }
    EXPECT_EQ(warm.tod_import_wh({now}), twin.tod_import_wh({now})) << checks;
    stamps.push_back(now);
    EXPECT_EQ(warm.tod_import_wh(stamps), twin.tod_import_wh(stamps)) << checks;
    EXPECT_EQ(warm.max_demand(now).w, twin.max_demand(now).w) << checks;
    EXPECT_EQ(warm.max_demand(now).va_time, twin.max_demand(now).va_time) << checks;
  };
  for (int step = 0; step < 4 * 20; ++step) {  // 20 days in 6-hour steps, over a month end
    clock_.advance(6h);
    const UtcTime now = warm.meter_now();
    (void)warm.billing(UtcTime::min(), now);
    (void)warm.max_demand(now);
    (void)warm.tod_import_wh({now});
    if (step == 10 || step == 30) all([](SimulatedMeter& m) { m.disconnect(); });
    if (step == 12 || step == 33) all([](SimulatedMeter& m) { m.connect(); });
    if (step == 40) {  // a clock SET moves where blocks begin from here on
      all([](SimulatedMeter& m) { m.set_meter_time(m.meter_now() - 7min); });
    }
    if (step % 13 == 12 && checks < kChecks) same(cold[static_cast<std::size_t>(checks)]);
  }
  EXPECT_EQ(checks, 6);
  same(cold.back());
}

TEST_F(MeterTest, RelayHistoryIsBounded) {
  SimulatedMeter m = make();
  for (std::size_t i = 0; i < kMaxRelayHistory + 10; ++i) {
    clock_.advance(1min);
    const Registers before = m.registers_now();
    (void)(m.relay_connected() ? m.disconnect() : m.connect());
    EXPECT_EQ(m.registers_now(), before);
  }
  EXPECT_EQ(m.relay_history().size(), kMaxRelayHistory);
  EXPECT_LE(m.events(EventLog::kControl).size(), kMaxEventsPerLog);
}

TEST_F(MeterTest, EnergyIsMonotoneAndPlausible) {
  SimulatedMeter m = make();
  const auto days = m.daily_load(at("2026-10-01T00:00:00Z"), at("2026-11-30T00:00:00Z"));
  for (std::size_t i = 1; i < days.size(); ++i) {
    const std::int64_t wh = days[i].registers.import_wh - days[i - 1].registers.import_wh;
    EXPECT_GT(wh, 500);     // > 0.5 kWh a day
    EXPECT_LT(wh, 48'000);  // < 2 kW sanctioned x 24 h
  }
}

// ---- hotspot tokens -----------------------------------------------------------------------------

token::TokenKey meter_token_key(const MeterIdentity& id) {
  std::array<std::uint8_t, 16> ak{};
  for (std::uint8_t i = 0; i < 16; ++i) ak[i] = static_cast<std::uint8_t>(0xD0 + i);
  return token::derive_token_key(ak, id.system_title);
}

std::string make_token(const token::TokenKey& k, std::uint32_t seq, std::uint32_t rupees,
                       UtcTime issued) {
  return token::encode_token(k, {seq, rupees, token::ist_day(issued)}).value();
}

TEST_F(MeterTest, AnAcceptedTokenClosesAnOpenRelayAndIsLogged) {
  SimulatedMeter m = make();
  const token::TokenKey k = meter_token_key(m.identity());
  ASSERT_TRUE(m.disconnect());
  clock_.advance(1h);
  const Registers before = m.registers_now();
  const TokenEntry e = m.enter_token(k, token::format_token(make_token(k, 7, 500, clock_.now())));
  ASSERT_TRUE(e.decision.accepted()) << e.decision.detail;
  EXPECT_TRUE(e.relay_closed);
  EXPECT_TRUE(m.relay_connected());
  ASSERT_EQ(m.token_log().size(), 1u);
  EXPECT_EQ(m.token_log()[0].meter_time, m.meter_now());
  EXPECT_EQ(m.token_log()[0].sequence, 7u);
  EXPECT_EQ(m.token_log()[0].amount_rupees, 500u);
  // The reconnection is a relay change like any other: control log 302, ESW bit 84.
  EXPECT_EQ(m.events(EventLog::kControl).back().code, event_code::kRelayConnected);
  EXPECT_TRUE(m.esw().test(dlms::is15959::esw::kRelayStateChanged));
  EXPECT_EQ(m.registers_now(), before);
  clock_.advance(1h);
  EXPECT_GT(m.registers_now().import_wh, before.import_wh);  // energy flows again

  // The same token again: refused, nothing logged. A second token on a closed relay: logged,
  // the relay is left as it is.
  EXPECT_EQ(m.enter_token(k, make_token(k, 7, 500, clock_.now())).decision.status,
            token::TokenStatus::kAlreadyUsed);
  const TokenEntry second = m.enter_token(k, make_token(k, 8, 200, clock_.now()));
  ASSERT_TRUE(second.decision.accepted());
  EXPECT_FALSE(second.relay_closed);
  EXPECT_EQ(m.token_log().size(), 2u);
  EXPECT_EQ(m.relay_history().size(), 2u);
}

TEST_F(MeterTest, AnotherMetersTokenIsRefusedAndFiveLockTheHotspot) {
  SimulatedMeter m = make();
  const token::TokenKey mine = meter_token_key(m.identity());
  const token::TokenKey theirs = meter_token_key(make_identity("VDY", "00012346", 1));
  ASSERT_TRUE(m.disconnect());
  for (std::uint32_t i = 0; i < token::kMaxBadTokens; ++i) {
    const TokenEntry e = m.enter_token(mine, make_token(theirs, 1 + i, 100, clock_.now()));
    EXPECT_EQ(e.decision.status, token::TokenStatus::kWrongToken);
    EXPECT_FALSE(m.relay_connected());
  }
  EXPECT_TRUE(m.token_lockout_until());
  EXPECT_EQ(m.enter_token(mine, make_token(mine, 1, 100, clock_.now())).decision.status,
            token::TokenStatus::kLockedOut);
  clock_.advance(token::kLockout);
  EXPECT_TRUE(m.enter_token(mine, make_token(mine, 1, 100, clock_.now())).decision.accepted());
  EXPECT_TRUE(m.relay_connected());
  EXPECT_EQ(m.token_log().size(), 1u);
}

TEST_F(MeterTest, TokenLogIsBounded) {
  SimulatedMeter m = make();
  const token::TokenKey k = meter_token_key(m.identity());
  for (std::uint32_t s = 1; s <= kMaxTokenLog + 5; ++s) {
    clock_.advance(1min);
    ASSERT_TRUE(m.enter_token(k, make_token(k, s, 10, clock_.now())).decision.accepted());
  }
  ASSERT_EQ(m.token_log().size(), kMaxTokenLog);
  EXPECT_EQ(m.token_log().front().sequence, 6u);
  EXPECT_EQ(m.token_log().back().sequence, kMaxTokenLog + 5);
}

}  // namespace
}  // namespace vidyut::meter
