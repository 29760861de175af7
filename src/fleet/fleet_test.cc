// Invariants of the simulated fleet: registers equal the sum of intervals, a DT meter sees its
// consumers' true energy plus losses (and a feeder its DTs), a disconnected meter records
// nothing, and history read back over DLMS equals what was pushed at the time.
#include "fleet/fleet.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>

#include "dlms/cosem/is15959.h"
#include "dlms/cosem/vidyut_objects.h"
#include "dlms/session/client.h"
#include "dlms/session/loopback.h"
#include "meter/single_phase.h"

namespace vidyut::fleet {
namespace {

namespace is = dlms::is15959;
using meter::MeterKind;

const UtcTime kStart = UtcTime(Millis(1'790'000'000'000));  // 2026-09-21, a Monday

FleetSpec small_spec(std::uint32_t consumers = 60) {
  FleetSpec s;
  s.seed = 7;
  s.consumers = consumers;
  s.consumers_per_dt = 15;
  s.dts_per_feeder = 2;
  return s;
}

FleetConfig quiet_config() {
  FleetConfig c;
  c.rates = EventRates::none();
  c.limiter_trips = false;
  return c;
}

struct Recorder final : TruthSink {
  std::vector<IntervalTruth> intervals;
  std::vector<std::pair<Episode, bool>> episodes;
  struct Push {
    std::uint32_t meter;
    Outgoing::Kind kind;
    UtcTime at;
    UtcTime interval;
    PushFate fate;
    std::uint8_t sim;
  };
  std::vector<Push> pushes;
  std::vector<std::tuple<std::uint32_t, UtcTime, bool, std::string>> relays;
  std::vector<std::pair<std::uint32_t, std::uint8_t>> failovers;
  void on_interval(const IntervalTruth& t) override { intervals.push_back(t); }
  void on_episode(const Episode& e, bool started, UtcTime) override {
    episodes.emplace_back(e, started);
  }
  void on_push(std::uint32_t m, Outgoing::Kind k, UtcTime at, UtcTime iv, PushFate f,
               std::uint8_t sim) override {
    pushes.push_back({m, k, at, iv, f, sim});
  }
  void on_relay(std::uint32_t m, UtcTime at, bool c, std::string_view cause) override {
    relays.emplace_back(m, at, c, std::string(cause));
  }
  void on_failover(std::uint32_t m, UtcTime, std::uint8_t sim) override {
    failovers.emplace_back(m, sim);
  }
  struct Token {
    std::uint32_t meter;
    UtcTime at;
    std::string result;
    std::optional<token::TokenFields> fields;
    bool relay_closed;
  };
  std::vector<Token> tokens;
  void on_token(const TokenTruth& t) override {
    tokens.push_back({t.meter, t.at, std::string(t.result), t.fields, t.relay_closed});
  }
};

// Runs the fleet forward in steps, collecting what meters send.
std::vector<Outgoing> run(Fleet& f, ManualClock& clock, Millis total,
                          Millis step = Millis(60'000)) {
  std::vector<Outgoing> all;
  for (Millis done{0}; done < total; done += step) {
    clock.advance(step);
    for (auto& o : f.advance(clock.now())) all.push_back(std::move(o));
  }
  return all;
}

std::uint32_t first_of_kind(const Topology& t, MeterKind k) {
  for (std::uint32_t i = 0; i < t.meters.size(); ++i)
    if (t.meters[i].identity.kind == k) return i;
  return 0;
}

// A head end's session with meter m over the in-memory transport, at `sap`. The meter lives in
// the fleet's time (Fleet::time()), as the simulator's sessions do.
struct HeadEndSession {
  HeadEndSession(Fleet& f, std::uint32_t m, std::uint16_t sap)
      : settings(f.server_settings(m)),
        device(f.meter(m), f.time()),
        conn(settings, device.device(), counters, f.time()),
        transport(conn, sap),
        client(transport, client_settings(f.topology().meters[m], sap)) {}
  dlms::ServerSettings settings;
  meter::SinglePhaseMeter device;
  dlms::InMemoryInvocationCounterStore counters;
  dlms::ServerConnection conn;
  dlms::LoopbackTransport transport;
  dlms::Client client;
};

dlms::DataNotification decode(const Fleet& f, const Outgoing& o) {
  dlms::ClientSettings cs;
  cs.keys.block_key = f.topology().meters[o.meter].secrets.ek;
  cs.keys.auth_key = f.topology().meters[o.meter].secrets.ak;
  dlms::ClientCodec codec(cs);
  dlms::WrapperDecoder dec;
  dec.feed(o.frame);
  auto frame = dec.next();
  EXPECT_TRUE(frame.ok() && frame->has_value());
  EXPECT_EQ((*frame)->source, kPushSourceWPort);
  EXPECT_EQ((*frame)->destination, kPushDestinationWPort);
  auto n = codec.decode_notification((*frame)->apdu);
  EXPECT_TRUE(n.ok()) << (n.ok() ? "" : n.error().describe());
  return n.ok() ? *n : dlms::DataNotification{};
}

// ---- topology ---------------------------------------------------------------------------------

TEST(Topology, SameSpecGivesSameFleetAndEveryConsumerHasADtOnItsFeeder) {
  const Topology a = generate(small_spec(200));
  const Topology b = generate(small_spec(200));
  ASSERT_EQ(a.meters.size(), b.meters.size());
  for (std::size_t i = 0; i < a.meters.size(); ++i) {
    EXPECT_EQ(a.meters[i].identity.serial, b.meters[i].identity.serial);
    EXPECT_EQ(a.meters[i].secrets.ek, b.meters[i].secrets.ek);
    EXPECT_EQ(a.meters[i].identity.seed, b.meters[i].identity.seed);
  }
  std::size_t consumers = 0;
  std::set<std::string> serials, titles;
  for (std::uint32_t i = 0; i < a.meters.size(); ++i) {
    const auto& m = a.meters[i];
    serials.insert(m.identity.serial);
    titles.insert(std::string(m.identity.system_title.begin(), m.identity.system_title.end()));
    if (!meter::has_relay(m.identity.kind)) continue;
    ++consumers;
    ASSERT_GE(a.dt_of[i], 0);
    const Dt& dt = a.dts[static_cast<std::size_t>(a.dt_of[i])];
    EXPECT_EQ(dt.feeder, a.feeder_of[i]);
    EXPECT_EQ(a.meters[dt.meter].identity.kind, MeterKind::kDt);
  }
  EXPECT_EQ(consumers, 200u);
  EXPECT_EQ(serials.size(), a.meters.size());
  EXPECT_EQ(titles.size(), a.meters.size());
  const Topology c = generate([] {
    auto s = small_spec(200);
    s.seed = 8;
    return s;
  }());
  EXPECT_NE(a.meters[5].secrets.ek, c.meters[5].secrets.ek);
}

// ---- energy invariants ------------------------------------------------------------------------

TEST(FleetEnergy, RegistersEqualSumOfBlockIntervalsForEveryKindOfMeter) {
  ManualClock clock(kStart);
  Fleet f(generate(small_spec()), quiet_config(), clock);
  ASSERT_TRUE(f.control("tamper " +
                        f.topology()
                            .meters[first_of_kind(f.topology(), MeterKind::kSinglePhase) + 1]
                            .identity.serial +
                        " bypass 120")
                  .ok());
  ASSERT_TRUE(f.control("fail-dt " + f.topology().dts[0].name + " 45").ok());
  run(f, clock, Millis(6 * 3'600'000));
  for (MeterKind k :
       {MeterKind::kSinglePhase, MeterKind::kThreePhase, MeterKind::kDt, MeterKind::kFeeder}) {
    const std::uint32_t m = first_of_kind(f.topology(), k);
    const auto& sm = f.meter(m);
    const UtcTime from = sm.meter_now() - Millis(36 * 3'600'000);
    const auto rows = sm.block_load(from, sm.meter_now());
    ASSERT_GT(rows.size(), 100u);
    std::int64_t sum = 0;
    for (const auto& r : rows) sum += r.import_wh;
    const auto r0 = sm.registers_at_meter_time(rows.front().stamp);
    const auto r1 = sm.registers_at_meter_time(rows.back().stamp + Millis(900'000));
    EXPECT_EQ(r1.import_wh - r0.import_wh, sum) << meter::to_string(k);
  }
}

TEST(FleetEnergy, DtMeterSeesConsumersTrueEnergyPlusLossesEvenWithTheftAndOutage) {
  ManualClock clock(kStart);
  Fleet f(generate(small_spec()), quiet_config(), clock);
  const Topology& t = f.topology();
  const Dt& dt = t.dts[0];
  const std::uint32_t thief = dt.consumers[2];
  ASSERT_TRUE(f.control("tamper " + t.meters[thief].identity.serial + " magnet 240 900").ok());
  run(f, clock, Millis(2 * 3'600'000));
  ASSERT_TRUE(f.control("fail-dt " + dt.name + " 30").ok());
  ASSERT_TRUE(f.control("fail-feeder " + t.feeders[1].name + " 20").ok());
  run(f, clock, Millis(4 * 3'600'000));

  const Grid& g = f.grid();
  const LossConfig& l = g.losses();
  std::int64_t theft_seen = 0;
  for (UtcTime a = kStart - Millis(3'600'000); a + Millis(900'000) <= clock.now();
       a += Millis(900'000)) {
    const UtcTime b = a + Millis(900'000);
    std::int64_t consumers = 0;
    for (std::uint32_t c : dt.consumers) consumers += g.consumer_true_mwh(c, a, b);
    theft_seen += g.theft_mwh(thief, a, b);
    const std::int64_t dt_mwh = g.recorded_mwh(dt.meter, a, b);
    const std::int64_t loss = dt_mwh - consumers;
    const std::int64_t no_load_max =
        std::int64_t{l.dt_no_load_w_per_kva} * dt.rating_kva * 900'000 / 3600 + 1;
    const std::int64_t lt = consumers * l.lt_loss_ppm / 1'000'000;
    EXPECT_GE(loss, lt - 1) << format_iso8601(a);
    EXPECT_LE(loss, lt + no_load_max + 1) << format_iso8601(a);
    if (g.supplied_ms(dt.meter, a, b) == 0) {
      EXPECT_EQ(dt_mwh, 0);
      EXPECT_EQ(consumers, 0);
    }
  }
  // The thief's meter under-records: 240 min at 900 W is 3.6 kWh, minus the 30 min outage.
  EXPECT_EQ(theft_seen, 900 * (240 - 30) * 60'000LL / 3600);
}

TEST(FleetEnergy, PolyphaseMetersSplitTheirLoadOverThreePhasesConsistently) {
  ManualClock clock(kStart);
  Fleet f(generate(small_spec()), quiet_config(), clock);
  run(f, clock, Millis(2 * 3'600'000));
  for (MeterKind k : {MeterKind::kThreePhase, MeterKind::kDt, MeterKind::kFeeder}) {
    const auto& sm = f.meter(first_of_kind(f.topology(), k));
    const auto rows = sm.block_load(sm.meter_now() - Millis(3'600'000), sm.meter_now());
    ASSERT_GE(rows.size(), 3u);
    for (const auto& r : rows) {
      // Per-phase apparent energy adds up to the block's kVAh (to rounding of the currents).
      double vah = 0;
      for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_GT(r.phase_voltage_v[i], 0.9 * r.avg_voltage_v);
        vah += r.phase_voltage_v[i] * r.phase_current_a[i] * 0.25;
      }
      EXPECT_NEAR(vah, static_cast<double>(r.import_vah),
                  0.5 + 1e-6 * static_cast<double>(r.import_vah));
      const double q =
          std::sqrt(static_cast<double>(r.import_vah * r.import_vah - r.import_wh * r.import_wh));
      EXPECT_NEAR(static_cast<double>(r.kvarh[0]), q, 0.5);
    }
    // On the wire: the 15 three-phase block-load columns.
    const auto wire = meter::block_row_structure(sm, rows.back());
    EXPECT_EQ(wire.as_list()->size(), is::block_load_three_phase().size()) << meter::to_string(k);
  }
  const auto& one = f.meter(first_of_kind(f.topology(), MeterKind::kSinglePhase));
  const auto row = one.block_load(one.meter_now() - Millis(3'600'000), one.meter_now()).back();
  EXPECT_EQ(meter::block_row_structure(one, row).as_list()->size(),
            is::block_load_single_phase().size());
}

TEST(FleetEnergy, FeederMeterSeesItsDtsPlusHtLosses) {
  ManualClock clock(kStart);
  Fleet f(generate(small_spec()), quiet_config(), clock);
  run(f, clock, Millis(3 * 3'600'000));
  const Grid& g = f.grid();
  const Feeder& fd = f.topology().feeders[0];
  for (UtcTime a = kStart - Millis(7'200'000); a < clock.now(); a += Millis(900'000)) {
    const UtcTime b = a + Millis(900'000);
    std::int64_t dts = 0;
    for (std::uint32_t d : fd.dts) dts += g.recorded_mwh(f.topology().dts[d].meter, a, b);
    const std::int64_t feeder = g.recorded_mwh(fd.meter, a, b);
    const std::int64_t ht = dts * g.losses().ht_loss_ppm / 1'000'000;
    EXPECT_GE(feeder - dts, ht - 1);
    EXPECT_LE(feeder - dts, ht + 1);
  }
}

TEST(FleetEnergy, DisconnectedMeterRecordsNothingAndItsTruthSaysSo) {
  ManualClock clock(kStart);
  Recorder truth;
  Fleet f(generate(small_spec()), quiet_config(), clock, &truth);
  const std::uint32_t m = first_of_kind(f.topology(), MeterKind::kSinglePhase);
  run(f, clock, Millis(3'600'000));
  ASSERT_TRUE(f.meter(m).disconnect());
  const UtcTime cut = clock.now();
  f.after_session(m);
  run(f, clock, Millis(3 * 3'600'000));
  const auto rows =
      f.meter(m).block_load(f.meter(m).meter_now() - Millis(2 * 3'600'000), f.meter(m).meter_now());
  ASSERT_GE(rows.size(), 7u);
  for (const auto& r : rows) EXPECT_EQ(r.import_wh, 0);
  std::size_t after = 0;
  for (const auto& iv : truth.intervals) {
    if (iv.meter != m || iv.start < cut) continue;
    ++after;
    EXPECT_EQ(iv.recorded_mwh, 0);
    EXPECT_EQ(iv.true_mwh, 0);
    EXPECT_FALSE(iv.relay_closed);
  }
  EXPECT_GE(after, 11u);
  ASSERT_EQ(truth.relays.size(), 1u);
  EXPECT_EQ(std::get<3>(truth.relays[0]), "command");
}

// ---- pushes -----------------------------------------------------------------------------------

TEST(FleetPush, EveryMeterPushesEachIntervalSpreadOverTheWindow) {
  ManualClock clock(kStart);
  Fleet f(generate(small_spec()), quiet_config(), clock);
  const auto out = run(f, clock, Millis(2 * 3'600'000), Millis(10'000));
  std::map<std::uint32_t, std::size_t> per_meter;
  std::set<std::int64_t> seconds;
  for (const auto& o : out) {
    ASSERT_EQ(o.kind, Outgoing::Kind::kBlockLoad);
    ++per_meter[o.meter];
    seconds.insert(o.deliver_at.time_since_epoch().count() / 1000);
  }
  EXPECT_EQ(per_meter.size(), f.size());
  for (const auto& [m, n] : per_meter) EXPECT_GE(n, 7u) << m;
  // Spread: the fleet's pushes do not land in a handful of seconds.
  EXPECT_GT(seconds.size(), f.size());
}

TEST(FleetPush, HistoryReadBackOverDlmsEqualsWhatWasPushed) {
  ManualClock clock(kStart);
  Fleet f(generate(small_spec()), quiet_config(), clock);
  const std::uint32_t m = first_of_kind(f.topology(), MeterKind::kSinglePhase);
  const std::uint32_t dtm = f.topology().dts[0].meter;
  ASSERT_TRUE(f.control("fail-dt " + f.topology().dts[1].name + " 60").ok());
  const auto out = run(f, clock, Millis(26 * 3'600'000), Millis(120'000));
  for (std::uint32_t target : {m, dtm}) {
    std::vector<dlms::Data> pushed;
    for (const auto& o : out) {
      if (o.meter != target || o.kind != Outgoing::Kind::kBlockLoad) continue;
      const auto n = decode(f, o);
      ASSERT_EQ(n.body.tag(), dlms::DataTag::kStructure);
      const auto& items = *n.body.as_list();
      ASSERT_EQ(items.size(), 3u);
      ASSERT_EQ(items[2].as_list()->size(), 1u);
      pushed.push_back(*items[2].at(0));
    }
    ASSERT_GE(pushed.size(), 100u);

    // Read the same range back through a DLMS session as the head end would (SAP 32, LLS).
    HeadEndSession hes(f, target, is::kSapMeterReader);
    dlms::Client& client = hes.client;
    ASSERT_TRUE(client.associate().ok());
    auto t0 = pushed.front().at(0)->as_date_time();
    auto t1 = pushed.back().at(0)->as_date_time();
    ASSERT_TRUE(t0 && t1);
    auto r = client.get({7, is::kBlockLoadProfile, 2}, dlms::make_range_access(*t0, *t1));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    ASSERT_TRUE(std::holds_alternative<dlms::Data>(*r));
    const auto& rows = *std::get<dlms::Data>(*r).as_list();
    ASSERT_EQ(rows.size(), pushed.size());
    for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i], pushed[i]) << i;
  }
}

// ---- time: the meters never show a moment their world has not lived ------------------------

// Issue 17's reproduction: a magnet theft at +20 min on a consumer of the first DT; the fleet is
// advanced to +10 min, then the clock jumps to +50 min. The DT meter's row for [+30, +45) must
// be the same whether the fleet got there step by step, caught up before a session, or in one
// large advance (its push), and must equal the truth (which includes the stolen energy).
class FleetTime : public ::testing::Test {
 protected:
  static constexpr std::int64_t kMin = 60'000;
  const UtcTime t0 = meter::ist_align_up(kStart, 900'000);

  struct Run {
    ManualClock clock;
    Recorder truth;
    Fleet fleet;
    std::uint32_t dt_meter;
    explicit Run(UtcTime start)
        : clock(start), fleet(generate(small_spec()), quiet_config(), clock, &truth) {
      dt_meter = fleet.topology().dts[0].meter;
      const std::uint32_t thief = fleet.topology().dts[0].consumers[0];
      EXPECT_TRUE(fleet
                      .load_scenario(fmt::format("+20 tamper {} magnet 60 2000\n",
                                                 fleet.topology().meters[thief].identity.serial))
                      .ok());
    }
    // The DT meter's block-load row starting at `stamp`, read over DLMS as the head end does.
    dlms::Data read_row(UtcTime stamp) {
      HeadEndSession hes(fleet, dt_meter, is::kSapMeterReader);
      EXPECT_TRUE(hes.client.associate().ok());
      const auto at = dlms::CosemDateTime::from_utc(stamp);
      auto r = hes.client.get({7, is::kBlockLoadProfile, 2}, dlms::make_range_access(at, at));
      EXPECT_TRUE(r.ok() && std::holds_alternative<dlms::Data>(*r));
      if (!r.ok() || !std::holds_alternative<dlms::Data>(*r)) return {};
      const auto& rows = *std::get<dlms::Data>(*r).as_list();
      EXPECT_EQ(rows.size(), 1u);
      return rows.empty() ? dlms::Data{} : rows.front();
    }
    const IntervalTruth* truth_of(std::uint32_t m, UtcTime start) const {
      for (const auto& t : truth.intervals)
        if (t.meter == m && t.start == start) return &t;
      return nullptr;
    }
  };
  UtcTime at(std::int64_t minutes) const { return t0 + Millis(minutes * kMin); }
};

TEST_F(FleetTime, RowReadAfterOneLargeJumpEqualsTheStepByStepRowAndTheTruth) {
  Run steps(t0);
  run(steps.fleet, steps.clock, Millis(50 * kMin), Millis(kMin));
  const dlms::Data expected = steps.read_row(at(30));

  Run jump(t0);
  run(jump.fleet, jump.clock, Millis(10 * kMin), Millis(10 * kMin));
  jump.clock.set(at(50));  // the live clock runs ahead; the fleet has not simulated it yet
  // The meter has not lived [+30, +45) yet: it shows no such row.
  EXPECT_TRUE(jump.fleet.meter(jump.dt_meter).block_load(at(30), at(30), 1).empty());
  EXPECT_EQ(jump.fleet.now(), at(10));
  jump.fleet.catch_up();  // what the simulator does before serving a session
  EXPECT_EQ(jump.fleet.now(), at(50));
  EXPECT_EQ(jump.read_row(at(30)), expected);

  // The truth: the DT's energy in that interval includes the theft that began at +20.
  const IntervalTruth* consumer =
      steps.truth_of(steps.fleet.topology().dts[0].consumers[0], at(30));
  ASSERT_NE(consumer, nullptr);
  EXPECT_GT(consumer->theft_mwh, 0);
  const IntervalTruth* dt = steps.truth_of(steps.dt_meter, at(30));
  ASSERT_NE(dt, nullptr);
  const auto row = steps.fleet.meter(steps.dt_meter).block_load(at(30), at(30), 1);
  ASSERT_EQ(row.size(), 1u);
  EXPECT_LT(std::llabs(row[0].import_wh * 1000 - dt->recorded_mwh), 1000);
}

TEST_F(FleetTime, PushAfterOneLargeAdvanceCarriesItsOwnIntervalWithTheStepByStepEnergy) {
  auto dt_pushes = [](const Fleet& f, const std::vector<Outgoing>& out, std::uint32_t m) {
    std::map<std::int64_t, dlms::Data> rows;  // interval start -> pushed row
    for (const auto& o : out) {
      if (o.meter != m || o.kind != Outgoing::Kind::kBlockLoad) continue;
      const auto n = decode(f, o);
      rows[o.interval.time_since_epoch().count()] = *n.body.as_list()->at(2).at(0);
    }
    return rows;
  };
  Run steps(t0);
  const auto a = dt_pushes(
      steps.fleet, run(steps.fleet, steps.clock, Millis(50 * kMin), Millis(kMin)), steps.dt_meter);
  Run jump(t0);
  auto out = run(jump.fleet, jump.clock, Millis(10 * kMin), Millis(10 * kMin));
  jump.clock.set(at(50));
  for (auto& o : jump.fleet.advance(jump.clock.now())) out.push_back(std::move(o));
  const auto b = dt_pushes(jump.fleet, out, jump.dt_meter);
  // Every interval is pushed once, with its own stamp and the same row: none is skipped or
  // computed from a later moment.
  EXPECT_EQ(a.size(), b.size());
  EXPECT_TRUE(b.contains(at(30).time_since_epoch().count()));
  EXPECT_EQ(a, b);
  EXPECT_GT(jump.fleet.stats().push_lag_max_ms, 30 * kMin);  // it was handled late ...
  EXPECT_EQ(steps.truth.intervals.size(), jump.truth.intervals.size());
  for (std::size_t i = 0; i < steps.truth.intervals.size(); ++i) {  // ... and the truth agrees
    EXPECT_EQ(steps.truth.intervals[i].recorded_mwh, jump.truth.intervals[i].recorded_mwh) << i;
    EXPECT_EQ(steps.truth.intervals[i].true_mwh, jump.truth.intervals[i].true_mwh) << i;
  }
}

TEST(FleetClock, DriftingMeterClockIsCorrectedByAClockSetFromTheHeadEnd) {
  ManualClock clock(kStart);
  FleetConfig cfg = quiet_config();
  cfg.clock_drift_ppm_max = 50;
  Fleet f(generate(small_spec()), cfg, clock);
  run(f, clock, Millis(3 * 86'400'000), Millis(600'000));
  std::uint32_t m = 0;
  for (std::uint32_t i = 0; i < f.size(); ++i) {
    if (std::abs(f.meter(i).clock_offset().count()) > std::abs(f.meter(m).clock_offset().count()))
      m = i;
  }
  ASSERT_GT(std::abs(f.meter(m).clock_offset().count()), 2 * 86);  // > 1 ppm x 2 days
  // The head end sets the clock over the utility association (HLS-GMAC, ciphered).
  HeadEndSession hes(f, m, is::kSapUtility);
  dlms::Client& client = hes.client;
  ASSERT_TRUE(client.associate().ok());
  auto r = client.set({8, is::kClock, 2},
                      dlms::Data::date_time_octets(dlms::CosemDateTime::from_utc(clock.now())));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, dlms::DataAccessResult::kSuccess);
  EXPECT_LT(std::abs(f.meter(m).clock_offset().count()), 1000);  // to the second
  const auto ev = f.meter(m).events(meter::EventLog::kTransaction);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().code, 151);
}

TEST(FleetPush, OutageSendsLastGaspThenFirstBreathAndNoBlockLoadWhileDead) {
  ManualClock clock(kStart);
  Recorder truth;
  Fleet f(generate(small_spec()), quiet_config(), clock, &truth);
  const Dt& dt = f.topology().dts[0];
  run(f, clock, Millis(600'000));
  ASSERT_TRUE(f.control("fail-dt " + dt.name + " 60").ok());
  const auto out = run(f, clock, Millis(2 * 3'600'000), Millis(30'000));
  std::map<std::uint32_t, std::vector<bool>> gasps;  // true: last gasp, false: first breath
  for (const auto& o : out) {
    if (o.kind != Outgoing::Kind::kAlert) continue;
    const auto n = decode(f, o);
    const auto& esw = *n.body.at(3)->as_bits();
    if (esw.test(is::esw::kLastGasp)) gasps[o.meter].push_back(true);
    if (esw.test(is::esw::kFirstBreath)) gasps[o.meter].push_back(false);
  }
  EXPECT_EQ(gasps.size(), dt.consumers.size() + 1);  // the DT meter too
  for (const auto& [m, seq] : gasps) EXPECT_EQ(seq, (std::vector<bool>{true, false})) << m;
  std::size_t dead = 0;
  for (const auto& p : truth.pushes) dead += p.fate == PushFate::kNoSupply;
  EXPECT_GE(dead, 3 * (dt.consumers.size() + 1));
  const auto ev = f.meter(dt.consumers[0]).events(meter::EventLog::kPower);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].code, 101);
  EXPECT_EQ(ev[1].code, 102);
}

TEST(FleetPush, MeterFailsOverToItsOtherSimWhenOneOperatorIsCut) {
  ManualClock clock(kStart);
  Recorder truth;
  Fleet f(generate(small_spec()), quiet_config(), clock, &truth);
  const std::uint32_t m = first_of_kind(f.topology(), MeterKind::kSinglePhase);
  const auto& ops = f.topology().meters[m].sim_operator;
  ASSERT_NE(ops[0], ops[1]);
  ASSERT_TRUE(f.control("cut-operator " + ops[0] + " 120").ok());
  auto out = run(f, clock, Millis(3'600'000));
  bool via_sim2 = false;
  for (const auto& o : out) via_sim2 |= (o.meter == m && o.sim == 1);
  EXPECT_TRUE(via_sim2);
  EXPECT_EQ(f.active_sim(m), 1);
  bool failed_over = false;
  for (const auto& [fm, sim] : truth.failovers) failed_over |= (fm == m && sim == 1);
  EXPECT_TRUE(failed_over);
  // Both paths down: nothing goes out, and the truth says why.
  ASSERT_TRUE(f.control("cut-sim " + f.topology().meters[m].identity.serial + " 2 60").ok());
  out = run(f, clock, Millis(3'600'000));
  for (const auto& o : out) EXPECT_NE(o.meter, m);
  std::size_t no_net = 0;
  for (const auto& p : truth.pushes) no_net += (p.meter == m && p.fate == PushFate::kNoNetwork);
  EXPECT_GE(no_net, 3u);
  EXPECT_FALSE(f.reachable(m, clock.now() - Millis(30 * 60'000)));
  EXPECT_TRUE(f.reachable(m, clock.now()));  // both cuts have ended
}

TEST(FleetTamper, MagnetTamperIsLoggedPushedAndRestored) {
  ManualClock clock(kStart);
  Fleet f(generate(small_spec()), quiet_config(), clock);
  const std::uint32_t m = first_of_kind(f.topology(), MeterKind::kSinglePhase);
  auto answer = f.control("tamper " + f.topology().meters[m].identity.serial + " magnet 30");
  ASSERT_TRUE(answer.ok());
  const auto out = run(f, clock, Millis(3'600'000));
  std::vector<bool> magnet_bits;
  for (const auto& o : out) {
    if (o.meter != m || o.kind != Outgoing::Kind::kAlert) continue;
    magnet_bits.push_back(decode(f, o).body.at(3)->as_bits()->test(is::esw::kMagnet));
  }
  EXPECT_EQ(magnet_bits, (std::vector<bool>{true, false}));
  const auto ev = f.meter(m).events(meter::EventLog::kOther);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].code, 201);
  EXPECT_EQ(ev[1].code, 202);
  EXPECT_EQ(f.meter(m).tamper_count(), 1u);
}

TEST(FleetRelay, LimiterTripsOnOverloadAndReclosesAfterLockout) {
  ManualClock clock(kStart);
  FleetConfig cfg = quiet_config();
  cfg.limiter_trips = true;
  Recorder truth;
  Fleet f(generate(small_spec()), cfg, clock, &truth);
  const std::uint32_t m = first_of_kind(f.topology(), MeterKind::kSinglePhase);
  f.meter(m).set_limiter_threshold_w(1);  // anything is an overload
  auto of_m = [&] {
    std::vector<std::tuple<std::uint32_t, UtcTime, bool, std::string>> v;
    for (const auto& r : truth.relays)
      if (std::get<0>(r) == m) v.push_back(r);
    return v;
  };
  run(f, clock, Millis(3'600'000));
  const auto relays = of_m();
  ASSERT_GE(relays.size(), 4u);
  for (std::size_t i = 0; i < relays.size(); ++i) {
    const bool trip = i % 2 == 0;
    EXPECT_EQ(std::get<2>(relays[i]), !trip) << i;
    EXPECT_EQ(std::get<3>(relays[i]), trip ? "limiter" : "limiter-reclose") << i;
    if (!trip) {
      EXPECT_EQ(std::get<1>(relays[i]) - std::get<1>(relays[i - 1]),
                Millis(cfg.limiter_lockout_s * 1000));
    }
  }
  const auto ev = f.meter(m).events(meter::EventLog::kOther);
  ASSERT_GE(ev.size(), 2u);
  EXPECT_EQ(ev[0].code, 215);
  EXPECT_EQ(ev[1].code, 216);
}

TEST(FleetRelay, LimiterDoesNotUndoAHeadEndDisconnectDuringItsLockout) {
  ManualClock clock(kStart);
  FleetConfig cfg = quiet_config();
  cfg.limiter_trips = true;
  Recorder truth;
  Fleet f(generate(small_spec()), cfg, clock, &truth);
  const std::uint32_t m = first_of_kind(f.topology(), MeterKind::kSinglePhase);
  f.meter(m).set_limiter_threshold_w(1);
  while (f.meter(m).relay_connected()) run(f, clock, Millis(60'000));  // until it trips
  // The head end disconnects the (already open) relay: a prepaid balance ran out.
  EXPECT_FALSE(f.meter(m).disconnect());
  f.after_session(m);
  run(f, clock, Millis(3 * 3'600'000));
  EXPECT_FALSE(f.meter(m).relay_connected());
}

TEST(FleetRandom, RatesProduceEpisodesDeterministically) {
  auto once = [] {
    ManualClock clock(kStart);
    Recorder truth;
    FleetConfig cfg;
    cfg.rates.magnet = 0.05;
    cfg.rates.dt_outage = 0.3;
    cfg.rates.sim_outage = 0.1;
    Fleet f(generate(small_spec()), cfg, clock, &truth);
    run(f, clock, Millis(2 * 86'400'000), Millis(300'000));
    std::vector<std::string> seen;
    for (const auto& [e, started] : truth.episodes) {
      seen.push_back(fmt::format("{} {} {} {}", to_string(e.kind), e.target, started,
                                 e.start.time_since_epoch().count()));
    }
    return seen;
  };
  const auto a = once();
  EXPECT_GT(a.size(), 10u);
  EXPECT_EQ(a, once());
}

TEST(FleetControl, BadCommandsAreRefusedWithAReason) {
  ManualClock clock(kStart);
  Fleet f(generate(small_spec()), quiet_config(), clock);
  EXPECT_EQ(f.control("explode F0001").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(f.control("fail-feeder F9999").error().code, Errc::kNotFound);
  EXPECT_EQ(f.control("tamper 99999999 magnet").error().code, Errc::kNotFound);
  EXPECT_EQ(f.control("fail-feeder F0001 soon").error().code, Errc::kInvalidArgument);
  const std::string dt_serial = f.topology().meters[f.topology().dts[0].meter].identity.serial;
  EXPECT_EQ(f.control("tamper " + dt_serial + " magnet").error().code, Errc::kInvalidArgument);
  EXPECT_TRUE(f.control("status").ok());
  EXPECT_FALSE(f.load_scenario("10 fail-feeder F0001").ok());
  EXPECT_TRUE(f.load_scenario("# comment\n+10 fail-feeder F0001 5\n").ok());
}

TEST(FleetControl, ScenarioLinesApplyAtTheirSimulatedMinute) {
  ManualClock clock(kStart);
  Recorder truth;
  Fleet f(generate(small_spec()), quiet_config(), clock, &truth);
  ASSERT_TRUE(f.load_scenario("+30 fail-feeder F0001 15\n").ok());
  run(f, clock, Millis(29 * 60'000));
  EXPECT_TRUE(truth.episodes.empty());
  run(f, clock, Millis(20 * 60'000));
  ASSERT_EQ(truth.episodes.size(), 2u);
  EXPECT_EQ(truth.episodes[0].first.start, kStart + Millis(30 * 60'000));
  EXPECT_FALSE(truth.episodes[1].second);
}

TEST(FleetControl, CommandActsOnThePresentEvenBeforeTheFleetHasAdvanced) {
  ManualClock clock(kStart);
  Fleet f(generate(small_spec()), quiet_config(), clock);
  const std::string dt = f.topology().dts[0].name;
  ASSERT_TRUE(f.control("fail-dt " + dt + " 5").ok());
  clock.advance(Millis(10 * 60'000));  // the 5-minute outage is over, but nothing advanced yet
  auto r = f.control("fail-dt " + dt + " 20");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->find("already"), std::string::npos) << *r;
  run(f, clock, Millis(5 * 60'000));
  EXPECT_TRUE(f.grid().dt_outages(0).contains(kStart + Millis(15 * 60'000)));
  EXPECT_FALSE(f.grid().dt_outages(0).contains(kStart + Millis(7 * 60'000)));
}

TEST(FleetControl, ScenarioLineStartsAtItsMinuteWhateverTheStepOfTheCaller) {
  ManualClock clock(kStart);
  Recorder truth;
  Fleet f(generate(small_spec()), quiet_config(), clock, &truth);
  ASSERT_TRUE(f.load_scenario("+5 fail-feeder F0001 10\n").ok());
  run(f, clock, Millis(30 * 60'000), Millis(30 * 60'000));  // one coarse step
  ASSERT_EQ(truth.episodes.size(), 2u);
  EXPECT_EQ(truth.episodes[0].first.start, kStart + Millis(5 * 60'000));
  EXPECT_TRUE(f.grid().feeder_outages(0).contains(kStart + Millis(10 * 60'000)));
  EXPECT_FALSE(f.grid().feeder_outages(0).contains(kStart + Millis(16 * 60'000)));
}

TEST(FleetControl, EndedEpisodesAreForgottenSoCommandsDoNotGrowTheFleet) {
  ManualClock clock(kStart);
  Fleet f(generate(small_spec()), quiet_config(), clock);
  const std::string serial =
      f.topology().meters[first_of_kind(f.topology(), MeterKind::kSinglePhase)].identity.serial;
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(f.control("tamper " + serial + " magnet 1").ok());
    clock.advance(Millis(2 * 60'000));
  }
  // Each episode ended a minute after it began: none is left once the fleet catches up.
  ASSERT_TRUE(f.control("status").ok());
  EXPECT_EQ(f.meter(first_of_kind(f.topology(), MeterKind::kSinglePhase)).tamper_count(), 2000u);
  auto r = f.control("stop-tamper " + serial + " magnet");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "nothing to end");
}

// ---- theft that leaves no event ----------------------------------------------------------------

// The DT meter's cumulative energy since the epoch as the identity says it must be:
//   D(t) = C(t) + floor(C(t) x lt_loss_ppm / 10^6) + floor(no-load W x energised ms / 3600)
// where C(t) is its consumers' true energy plus its hooks' energy since the epoch. So for any
// [a, b): DT(a, b) = consumers' true(a, b) + hook(a, b) + LT loss(a, b), with LT loss(a, b) the
// difference of the two loss terms.
std::int64_t dt_identity_cum(const Fleet& f, std::uint32_t d, UtcTime t) {
  const Grid& g = f.grid();
  const Dt& dt = f.topology().dts[d];
  const LossConfig& l = g.losses();
  std::int64_t c = g.hook_mwh(d, g.epoch(), t);
  for (std::uint32_t m : dt.consumers) c += g.consumer_true_mwh(m, g.epoch(), t);
  const std::int64_t on_ms = g.supplied_ms(dt.meter, g.epoch(), t);
  return c + c * l.lt_loss_ppm / 1'000'000 +
         std::int64_t{l.dt_no_load_w_per_kva} * dt.rating_kva * on_ms / 3600;
}

// And the feeder meter's: F(t) = S(t) + floor(S(t) x ht_loss_ppm / 10^6), S(t) its DT meters'.
std::int64_t feeder_identity_cum(const Fleet& f, std::uint32_t fd, UtcTime t) {
  const Grid& g = f.grid();
  std::int64_t s = 0;
  for (std::uint32_t d : f.topology().feeders[fd].dts) {
    s += g.recorded_mwh(f.topology().dts[d].meter, g.epoch(), t);
  }
  return s + s * g.losses().ht_loss_ppm / 1'000'000;
}

// One of two fleets of the same seed run alike, by scenario lines; one of them also steals.
struct SilentRun {
  ManualClock clock{kStart};
  Recorder truth;
  Fleet fleet;
  std::vector<Outgoing> out;
  explicit SilentRun(const std::string& scenario)
      : fleet(generate(small_spec()), quiet_config(), clock, &truth) {
    EXPECT_TRUE(fleet.load_scenario(scenario).ok());
  }
  void go(Millis total) {
    for (auto& o : run(fleet, clock, total)) out.push_back(std::move(o));
  }
  const IntervalTruth* truth_of(std::uint32_t m, UtcTime start) const {
    for (const auto& t : truth.intervals)
      if (t.meter == m && t.start == start) return &t;
    return nullptr;
  }
  // Everything a meter says about tamper and events: its event logs, ESW, tamper count and the
  // ESW of every alert it pushed (with the push's time).
  std::string signals(std::uint32_t m) const {
    const auto& sm = fleet.meter(m);
    std::string s;
    for (std::size_t log = 0; log < meter::kEventLogCount; ++log) {
      for (const auto& ev : sm.events(static_cast<meter::EventLog>(log))) {
        s += fmt::format("log {} {} {};", log, ev.code, ev.meter_time.time_since_epoch().count());
      }
    }
    s += fmt::format("esw {}; tampers {};", fmt::join(sm.esw().bytes, " "), sm.tamper_count());
    for (const auto& o : out) {
      if (o.meter != m || o.kind != Outgoing::Kind::kAlert) continue;
      s += fmt::format("alert {} {};", o.deliver_at.time_since_epoch().count(),
                       fmt::join(decode(fleet, o).body.at(3)->as_bits()->bytes, " "));
    }
    return s;
  }
};

TEST(FleetSilentTheft, HookRaisesOnlyItsDtMeterByItsEnergyPlusLtLossToTheMilliWattHour) {
  const Topology topo = generate(small_spec());
  const Dt& dt = topo.dts[0];
  // The DT is out over [+60, +90) and its feeder over [+80, +100): the hook draws nothing for
  // 40 of its 240 minutes.
  const std::string outages = fmt::format("+60 fail-dt {} 30\n+80 fail-feeder {} 20\n", dt.name,
                                          topo.feeders[dt.feeder].name);
  SilentRun plain(outages);
  SilentRun hooked(outages + fmt::format("+20 hook {} 2000 240\n", dt.name));
  plain.go(Millis(6 * 3'600'000));
  hooked.go(Millis(6 * 3'600'000));
  const Fleet& f = hooked.fleet;
  const Grid& g = f.grid();
  const UtcTime now = hooked.clock.now();
  EXPECT_EQ(g.hook_mwh(0, g.epoch(), now), 2000LL * 200 * 60'000 / 3600);
  EXPECT_FALSE(g.hooked(0, now));

  std::int64_t dt_extra = 0;  // what the hook added to the DT meter
  std::size_t intervals = 0;
  for (UtcTime a = kStart; a + Millis(900'000) <= now; a += Millis(900'000)) {
    const UtcTime b = a + Millis(900'000);
    ++intervals;
    for (std::uint32_t m = 0; m < f.size(); ++m) {
      if (!meter::has_relay(topo.meters[m].identity.kind)) continue;
      // No consumer meter sees the hook, and no consumer steals.
      EXPECT_EQ(g.recorded_mwh(m, a, b), plain.fleet.grid().recorded_mwh(m, a, b)) << m;
      EXPECT_EQ(g.theft_mwh(m, a, b), 0) << m;
    }
    for (std::uint32_t d = 0; d < topo.dts.size(); ++d) {
      const std::int64_t dt_mwh = g.recorded_mwh(topo.dts[d].meter, a, b);
      EXPECT_EQ(dt_mwh, dt_identity_cum(f, d, b) - dt_identity_cum(f, d, a))
          << topo.dts[d].name << " " << format_iso8601(a);
      const std::int64_t before = plain.fleet.grid().recorded_mwh(topo.dts[d].meter, a, b);
      if (d == 0) {
        dt_extra += dt_mwh - before;
        // LT loss applies to the hook's energy too.
        const std::int64_t hook = g.hook_mwh(0, a, b);
        EXPECT_GE(dt_mwh - before, hook + hook * g.losses().lt_loss_ppm / 1'000'000 - 2);
        EXPECT_LE(dt_mwh - before, hook + hook * g.losses().lt_loss_ppm / 1'000'000 + 2);
      } else {
        EXPECT_EQ(dt_mwh, before) << topo.dts[d].name;
      }
    }
    for (std::uint32_t fd = 0; fd < topo.feeders.size(); ++fd) {
      EXPECT_EQ(g.recorded_mwh(topo.feeders[fd].meter, a, b),
                feeder_identity_cum(f, fd, b) - feeder_identity_cum(f, fd, a));
    }
  }
  EXPECT_GE(intervals, 20u);
  const std::int64_t hook_total = 2000LL * 200 * 60'000 / 3600;
  EXPECT_NEAR(static_cast<double>(dt_extra),
              static_cast<double>(hook_total + hook_total * g.losses().lt_loss_ppm / 1'000'000),
              static_cast<double>(intervals));

  // Truth: the DT meter's rows carry the hook's energy as theft (true = what it measured);
  // nobody else's row shows theft.
  std::int64_t dt_theft = 0;
  for (const auto& t : hooked.truth.intervals) {
    if (t.meter == dt.meter) {
      dt_theft += t.theft_mwh;
      EXPECT_EQ(t.true_mwh, t.recorded_mwh);
      EXPECT_EQ(t.theft_mwh, g.hook_mwh(0, t.start, t.start + Millis(900'000)));
    } else {
      EXPECT_EQ(t.theft_mwh, 0) << t.meter;
    }
  }
  EXPECT_EQ(dt_theft, hook_total);
  // The episode is in the truth, with its DT and load.
  std::vector<std::string> hooks;
  for (const auto& [e, started] : hooked.truth.episodes) {
    if (e.kind == EpisodeKind::kHook) {
      hooks.push_back(fmt::format("{} {} {} {}", to_string(e.kind), e.target, e.watts, started));
    }
  }
  EXPECT_EQ(hooks, (std::vector<std::string>{fmt::format("hook {} 2000 true", dt.name),
                                             fmt::format("hook {} 2000 false", dt.name)}));
  // No meter logs, flags or pushes anything it would not have without the hook.
  for (std::uint32_t m = 0; m < f.size(); ++m) {
    EXPECT_EQ(hooked.signals(m), plain.signals(m)) << topo.meters[m].identity.serial;
  }
  EXPECT_EQ(hooked.fleet.stats().alerts_sent, plain.fleet.stats().alerts_sent);
}

TEST(FleetSilentTheft, SilentBypassRecordsOnlyTheRestWhileTheDtMeterSeesItAll) {
  const Topology topo = generate(small_spec());
  const Dt& dt = topo.dts[0];
  std::uint32_t c = dt.consumers[1];  // a single-phase consumer (import Wh is column 2)
  for (std::size_t i = 1; topo.meters[c].identity.kind != MeterKind::kSinglePhase; ++i) {
    c = dt.consumers[i];
  }
  const std::string serial = topo.meters[c].identity.serial;
  const std::string outages = fmt::format("+60 fail-dt {} 30\n+80 fail-feeder {} 20\n", dt.name,
                                          topo.feeders[dt.feeder].name);
  SilentRun plain(outages);
  SilentRun thief(outages + fmt::format("+20 silent-bypass {} 40 300\n", serial));
  plain.go(Millis(7 * 3'600'000));
  thief.go(Millis(7 * 3'600'000));
  const Fleet& f = thief.fleet;
  const Grid& g = f.grid();
  const Grid& g0 = plain.fleet.grid();
  const UtcTime now = thief.clock.now();
  const UtcTime from = kStart + Millis(20 * 60'000);
  const UtcTime to = kStart + Millis(320 * 60'000);
  EXPECT_FALSE(g.bypassing(c, now));

  std::int64_t full = 0, recorded = 0, stolen = 0;
  std::size_t inside = 0;
  for (UtcTime a = kStart; a + Millis(900'000) <= now; a += Millis(900'000)) {
    const UtcTime b = a + Millis(900'000);
    const std::int64_t r0 = g0.recorded_mwh(c, a, b);  // his whole load
    const std::int64_t r1 = g.recorded_mwh(c, a, b);
    const std::int64_t theft = g.theft_mwh(c, a, b);
    // What flows is unchanged; what goes around the meter is the theft.
    EXPECT_EQ(r1 + theft, r0) << format_iso8601(a);
    EXPECT_EQ(g.bypass_mwh(c, a, b), theft);
    EXPECT_EQ(g.consumer_true_mwh(c, a, b), r0);
    if (b <= from || a >= to) {
      EXPECT_EQ(theft, 0) << format_iso8601(a);
    } else if (a >= from && b <= to && g.supplied_ms(c, a, b) == 900'000) {
      // 60 % recorded, to the floors of at most five slot pieces.
      ++inside;
      EXPECT_GT(r0, 0);
      EXPECT_GE(r1 * 10, r0 * 6) << format_iso8601(a);
      EXPECT_LE(r1 * 10, r0 * 6 + 50) << format_iso8601(a);
    }
    full += r0;
    recorded += r1;
    stolen += theft;
    // The DT meter measures what flows: exactly what it measures without the bypass.
    EXPECT_EQ(g.recorded_mwh(dt.meter, a, b), g0.recorded_mwh(dt.meter, a, b));
    EXPECT_EQ(g.recorded_mwh(dt.meter, a, b), dt_identity_cum(f, 0, b) - dt_identity_cum(f, 0, a));
    for (std::uint32_t fd = 0; fd < topo.feeders.size(); ++fd) {
      EXPECT_EQ(g.recorded_mwh(topo.feeders[fd].meter, a, b),
                feeder_identity_cum(f, fd, b) - feeder_identity_cum(f, fd, a));
    }
    for (std::uint32_t m : dt.consumers) {
      if (m != c) {
        EXPECT_EQ(g.recorded_mwh(m, a, b), g0.recorded_mwh(m, a, b));
      }
    }
  }
  EXPECT_GE(inside, 12u);
  EXPECT_GT(stolen, 0);
  EXPECT_EQ(recorded + stolen, full);
  // The DT's loss as an audit sees it (DT minus the consumers' recorded energy) rose by exactly
  // the stolen energy.
  std::int64_t dt_total = 0, consumers_total = 0, consumers_total0 = 0;
  for (UtcTime a = kStart; a + Millis(900'000) <= now; a += Millis(900'000)) {
    const UtcTime b = a + Millis(900'000);
    dt_total += g.recorded_mwh(dt.meter, a, b);
    for (std::uint32_t m : dt.consumers) {
      consumers_total += g.recorded_mwh(m, a, b);
      consumers_total0 += g0.recorded_mwh(m, a, b);
    }
  }
  EXPECT_EQ((dt_total - consumers_total) - (dt_total - consumers_total0), stolen);

  // Registers equal the sum of block-load intervals across the bypass and the outage.
  const auto& sm = f.meter(c);
  const auto rows = sm.block_load(sm.meter_now() - Millis(6 * 3'600'000), sm.meter_now());
  ASSERT_GE(rows.size(), 20u);
  std::int64_t sum = 0;
  for (const auto& r : rows) sum += r.import_wh;
  EXPECT_EQ(sm.registers_at_meter_time(rows.back().stamp + Millis(900'000)).import_wh -
                sm.registers_at_meter_time(rows.front().stamp).import_wh,
            sum);

  // History read back over DLMS equals what was pushed at the time; before the bypass the
  // pushes are the honest meter's, during it they are lower.
  std::vector<dlms::Data> pushed;
  std::size_t lower = 0;
  std::map<std::int64_t, dlms::Data> honest;
  for (const auto& o : plain.out) {
    if (o.meter == c && o.kind == Outgoing::Kind::kBlockLoad) {
      honest[o.interval.time_since_epoch().count()] = *decode(plain.fleet, o).body.at(2)->at(0);
    }
  }
  for (const auto& o : thief.out) {
    if (o.meter != c || o.kind != Outgoing::Kind::kBlockLoad) continue;
    pushed.push_back(*decode(f, o).body.at(2)->at(0));
    const dlms::Data& h = honest.at(o.interval.time_since_epoch().count());
    if (o.interval + Millis(900'000) <= from) {
      EXPECT_EQ(pushed.back(), h);
    } else if (o.interval >= from + Millis(900'000) && o.interval + Millis(900'000) <= to) {
      const auto wh = [](const dlms::Data& row) { return row.at(2)->as_int().value_or(0); };
      lower += wh(pushed.back()) < wh(h);
    }
  }
  EXPECT_GE(lower, 12u);
  ASSERT_GE(pushed.size(), 20u);
  HeadEndSession hes(thief.fleet, c, is::kSapMeterReader);
  ASSERT_TRUE(hes.client.associate().ok());
  auto r = hes.client.get({7, is::kBlockLoadProfile, 2},
                          dlms::make_range_access(*pushed.front().at(0)->as_date_time(),
                                                  *pushed.back().at(0)->as_date_time()));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_TRUE(std::holds_alternative<dlms::Data>(*r));
  // (The meter pushed nothing while its DT was out; those rows are read back too.)
  std::map<std::int64_t, dlms::Data> back;
  for (const auto& row : *std::get<dlms::Data>(*r).as_list()) {
    back[row.at(0)->as_date_time()->to_utc().value().time_since_epoch().count()] = row;
  }
  EXPECT_EQ(back.size(), pushed.size() + 3);
  for (const auto& row : pushed) {
    EXPECT_EQ(back.at(row.at(0)->as_date_time()->to_utc().value().time_since_epoch().count()), row);
  }

  // Truth: his rows carry the bypassed energy as theft, true = recorded + theft = the honest
  // meter's reading; the DT meter's rows carry none.
  std::int64_t truth_theft = 0;
  for (const auto& t : thief.truth.intervals) {
    if (t.meter == dt.meter) {
      EXPECT_EQ(t.theft_mwh, 0);
    }
    if (t.meter != c) continue;
    truth_theft += t.theft_mwh;
    EXPECT_EQ(t.true_mwh, t.recorded_mwh + t.theft_mwh);
    const IntervalTruth* h = plain.truth_of(c, t.start);
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(t.true_mwh, h->true_mwh);
  }
  EXPECT_EQ(truth_theft, g.bypass_mwh(c, g.epoch(), now));
  bool recorded_episode = false;
  for (const auto& [e, started] : thief.truth.episodes) {
    recorded_episode |= started && e.kind == EpisodeKind::kSilentBypass && e.target == serial &&
                        e.share_ppm == 400'000 && e.end == to;
  }
  EXPECT_TRUE(recorded_episode);
  // Silent: no event, no ESW bit, no alert anywhere that the honest fleet did not have.
  for (std::uint32_t m = 0; m < f.size(); ++m) {
    EXPECT_EQ(thief.signals(m), plain.signals(m)) << topo.meters[m].identity.serial;
  }
}

TEST(FleetSilentTheft, SilentBypassGoesOnWhileTheRelayIsOpen) {
  ManualClock clock(kStart);
  Fleet f(generate(small_spec()), quiet_config(), clock);
  const Dt& dt = f.topology().dts[1];
  const std::uint32_t c = dt.consumers[0];
  ASSERT_TRUE(f.control("silent-bypass " + f.topology().meters[c].identity.serial + " 50").ok());
  run(f, clock, Millis(3'600'000));
  ASSERT_TRUE(f.meter(c).disconnect());
  f.after_session(c);
  const UtcTime cut = clock.now();
  run(f, clock, Millis(2 * 3'600'000));
  const Grid& g = f.grid();
  const auto& id = f.topology().meters[c].identity;
  for (UtcTime a = cut; a + Millis(900'000) <= clock.now(); a += Millis(900'000)) {
    const UtcTime b = a + Millis(900'000);
    EXPECT_EQ(g.recorded_mwh(c, a, b), 0);
    // The bypassed half of his load is wired ahead of the meter: it still flows.
    const std::int64_t load = meter::model_energy(id, a, b).active_mwh;
    EXPECT_GE(g.theft_mwh(c, a, b) * 2, load - 10);
    EXPECT_LE(g.theft_mwh(c, a, b) * 2, load + 10);
    EXPECT_EQ(g.recorded_mwh(dt.meter, a, b), dt_identity_cum(f, 1, b) - dt_identity_cum(f, 1, a));
  }
}

TEST(FleetSilentTheft, BypassEnergyAskedForAheadOfTimeIsNotKeptWhenAnOutageFollows) {
  // Two fleets alike; the grid of one is asked about the future before an outage begins.
  ManualClock clock(kStart);
  Recorder truth, truth0;
  Fleet f(generate(small_spec()), quiet_config(), clock, &truth);
  Fleet f0(generate(small_spec()), quiet_config(), clock, &truth0);
  const Dt& dt = f.topology().dts[0];
  const std::uint32_t c = dt.consumers[0];
  for (Fleet* x : {&f, &f0}) {
    ASSERT_TRUE(
        x->control("silent-bypass " + x->topology().meters[c].identity.serial + " 60").ok());
  }
  auto both = [&](Millis total) {
    for (Millis done{0}; done < total; done += Millis(60'000)) {
      clock.advance(Millis(60'000));
      f.advance(clock.now());
      f0.advance(clock.now());
    }
  };
  both(Millis(3'600'000));
  const Grid& g = f.grid();
  const UtcTime cut = clock.now();
  const UtcTime ahead = cut + Millis(30 * 60'000);
  // Asked about the next half hour before it has happened: energy as if the supply stays on ...
  EXPECT_GT(g.bypass_mwh(c, cut, ahead), 0);
  const std::int64_t until_cut = g.theft_mwh(c, g.epoch(), cut);
  EXPECT_GT(g.theft_mwh(c, g.epoch(), ahead), until_cut);  // the last question: ahead
  // ... but the DT goes out now: that half hour is dark, nothing is stolen in it.
  for (Fleet* x : {&f, &f0}) ASSERT_TRUE(x->control("fail-dt " + dt.name + " 60").ok());
  both(Millis(2 * 3'600'000));
  EXPECT_EQ(g.bypass_mwh(c, cut, ahead), 0);
  EXPECT_EQ(g.theft_mwh(c, g.epoch(), clock.now()), f0.grid().theft_mwh(c, g.epoch(), clock.now()));
  EXPECT_EQ(g.recorded_mwh(dt.meter, g.epoch(), clock.now()),
            f0.grid().recorded_mwh(dt.meter, g.epoch(), clock.now()));
  ASSERT_EQ(truth.intervals.size(), truth0.intervals.size());
  for (std::size_t i = 0; i < truth.intervals.size(); ++i) {
    EXPECT_EQ(truth.intervals[i].theft_mwh, truth0.intervals[i].theft_mwh) << i;
    EXPECT_EQ(truth.intervals[i].recorded_mwh, truth0.intervals[i].recorded_mwh) << i;
  }
  for (UtcTime a = kStart; a + Millis(900'000) <= clock.now(); a += Millis(900'000)) {
    const UtcTime b = a + Millis(900'000);
    EXPECT_EQ(g.recorded_mwh(dt.meter, a, b), dt_identity_cum(f, 0, b) - dt_identity_cum(f, 0, a));
  }
}

TEST(FleetSilentTheft, ControlCommandsStartStopCountAndRefuseBadInput) {
  ManualClock clock(kStart);
  Recorder truth;
  Fleet f(generate(small_spec()), quiet_config(), clock, &truth);
  const Topology& t = f.topology();
  const std::string dt = t.dts[0].name;
  const std::string consumer = t.meters[t.dts[0].consumers[0]].identity.serial;
  const std::string dt_serial = t.meters[t.dts[0].meter].identity.serial;
  const std::string feeder_serial = t.meters[t.feeders[0].meter].identity.serial;
  auto code = [&](const std::string& line) -> std::optional<Errc> {
    auto r = f.control(line);
    if (r.ok()) return std::nullopt;
    return r.error().code;
  };
  EXPECT_EQ(code("hook"), Errc::kInvalidArgument);
  EXPECT_EQ(code("hook " + dt), Errc::kInvalidArgument);
  EXPECT_EQ(code("hook F9999-T999 1000"), Errc::kNotFound);
  EXPECT_EQ(code("hook " + dt + " 0"), Errc::kInvalidArgument);
  EXPECT_EQ(code("hook " + dt + " many"), Errc::kInvalidArgument);
  EXPECT_EQ(code(fmt::format("hook {} {}", dt, kMaxHookWatts + 1)), Errc::kInvalidArgument);
  EXPECT_EQ(code("hook " + dt + " 1000 soon"), Errc::kInvalidArgument);
  EXPECT_EQ(code("stop-hook F9999-T999"), Errc::kNotFound);
  EXPECT_EQ(code("silent-bypass " + consumer), Errc::kInvalidArgument);
  EXPECT_EQ(code("silent-bypass 99999999 40"), Errc::kNotFound);
  EXPECT_EQ(code("silent-bypass " + dt_serial + " 40"), Errc::kInvalidArgument);
  EXPECT_EQ(code("silent-bypass " + feeder_serial + " 40"), Errc::kInvalidArgument);
  EXPECT_EQ(code("stop-silent-bypass " + dt_serial), Errc::kInvalidArgument);
  EXPECT_EQ(code("silent-bypass " + consumer + " 0"), Errc::kInvalidArgument);
  EXPECT_EQ(code("silent-bypass " + consumer + " 101"), Errc::kInvalidArgument);
  EXPECT_EQ(code("silent-bypass " + consumer + " 40%"), Errc::kInvalidArgument);
  EXPECT_TRUE(truth.episodes.empty());

  auto hook = f.control(fmt::format("hook {} {} 90", dt, kMaxHookWatts));
  ASSERT_TRUE(hook.ok()) << hook.error().describe();
  EXPECT_NE(hook->find("hook " + dt), std::string::npos) << *hook;
  auto bypass = f.control("silent-bypass " + consumer + " 100");
  ASSERT_TRUE(bypass.ok()) << bypass.error().describe();
  EXPECT_NE(f.control("hook " + dt + " 500")->find("already"), std::string::npos);
  EXPECT_NE(f.control("silent-bypass " + consumer + " 30")->find("already"), std::string::npos);
  auto status = f.control("status");
  ASSERT_TRUE(status.ok());
  EXPECT_NE(status->find("thefts 0 hooks 1 silent-bypasses 1 "), std::string::npos) << *status;
  EXPECT_TRUE(f.grid().hooked(0, clock.now()));
  EXPECT_EQ(f.grid().bypass_share_ppm(t.dts[0].consumers[0], clock.now()), 1'000'000u);

  // A 100 % bypass: the meter records nothing, his whole load is theft.
  run(f, clock, Millis(3'600'000));
  const UtcTime a = kStart + Millis(600'000);
  EXPECT_EQ(f.grid().recorded_mwh(t.dts[0].consumers[0], a, clock.now()), 0);
  EXPECT_GT(f.grid().theft_mwh(t.dts[0].consumers[0], a, clock.now()), 0);

  EXPECT_EQ(*f.control("stop-silent-bypass " + consumer), "silent-bypass ended");
  EXPECT_EQ(*f.control("stop-silent-bypass " + consumer), "nothing to end");
  EXPECT_EQ(*f.control("stop-hook " + dt), "hook ended");
  status = f.control("status");
  EXPECT_NE(status->find("hooks 0 silent-bypasses 0 "), std::string::npos) << *status;
  EXPECT_FALSE(f.grid().bypassing(t.dts[0].consumers[0], clock.now()));
  ASSERT_EQ(truth.episodes.size(), 4u);
  EXPECT_EQ(truth.episodes[0].first.watts, kMaxHookWatts);
  EXPECT_EQ(truth.episodes[1].first.share_ppm, 1'000'000u);
}

TEST(FleetSilentTheft, RandomHooksAndBypassesAreDeterministicSilentAndLeaveOtherDrawsAlone) {
  struct Outcome {
    std::vector<std::string> episodes;  // silent ones
    std::vector<std::string> magnets;
    std::vector<std::string> alerts;
    std::vector<std::tuple<std::uint32_t, std::int64_t, std::int64_t, std::int64_t>> truth;
    std::int64_t dt_theft = 0;        // DT rows' theft (hooks)
    std::int64_t hooks_mwh = 0;       // the grid's hook energy
    std::int64_t consumer_theft = 0;  // consumer rows' theft (bypasses)
    std::uint32_t tampers = 0;
  };
  auto once = [](bool silent, std::uint64_t seed) {
    ManualClock clock(kStart);
    Recorder truth;
    FleetConfig cfg = quiet_config();
    cfg.seed = seed;
    cfg.rates.magnet = 0.05;
    if (silent) {
      cfg.rates.hook = 0.5;
      cfg.rates.silent_bypass = 0.05;
    }
    Fleet f(generate(small_spec()), cfg, clock, &truth);
    Outcome o;
    for (int quarter = 1; quarter <= 12; ++quarter) {  // three days, checked every six hours
      run(f, clock, Millis(6 * 3'600'000), Millis(300'000));
      const UtcTime t = clock.now();
      for (std::uint32_t d = 0; d < f.topology().dts.size(); ++d) {
        EXPECT_EQ(f.grid().recorded_mwh(f.topology().dts[d].meter, f.grid().epoch(), t),
                  dt_identity_cum(f, d, t))
            << d;
      }
    }
    const EventRates& r = cfg.rates;
    for (const auto& [e, started] : truth.episodes) {
      const std::string line = fmt::format("{} {} {} {} {} {} {}", to_string(e.kind), e.target,
                                           started, e.start.time_since_epoch().count(),
                                           e.end.time_since_epoch().count(), e.watts, e.share_ppm);
      if (e.kind == EpisodeKind::kMagnet) o.magnets.push_back(line);
      if (e.kind != EpisodeKind::kHook && e.kind != EpisodeKind::kSilentBypass) continue;
      o.episodes.push_back(line);
      EXPECT_TRUE(e.scheduled);
      if (!started) continue;
      const auto minutes = (e.end - e.start) / Millis(60'000);
      if (e.kind == EpisodeKind::kHook) {
        EXPECT_GE(e.watts, r.hook_watts_min);
        EXPECT_LE(e.watts, r.hook_watts_max);
        EXPECT_GE(minutes, r.hook_minutes_min - 1);
        EXPECT_LE(minutes, r.hook_minutes_max);
      } else {
        EXPECT_GE(e.share_ppm, r.silent_bypass_share_min_ppm);
        EXPECT_LE(e.share_ppm, r.silent_bypass_share_max_ppm);
        EXPECT_GE(minutes, r.silent_bypass_minutes_min - 1);
        EXPECT_LE(minutes, r.silent_bypass_minutes_max);
      }
    }
    for (const auto& p : truth.pushes) {
      if (p.kind == Outgoing::Kind::kAlert) {
        o.alerts.push_back(fmt::format("{} {}", p.meter, p.at.time_since_epoch().count()));
      }
    }
    for (const auto& t : truth.intervals) {
      o.truth.emplace_back(t.meter, t.true_mwh, t.recorded_mwh, t.theft_mwh);
      const MeterKind k = f.topology().meters[t.meter].identity.kind;
      if (k == MeterKind::kDt) {
        o.dt_theft += t.theft_mwh;
        EXPECT_EQ(t.true_mwh, t.recorded_mwh);
      } else if (meter::has_relay(k)) {
        o.consumer_theft += t.theft_mwh;
        EXPECT_EQ(t.true_mwh, t.recorded_mwh + t.theft_mwh);
      }
    }
    // Truth rows cover whole periods from the first boundary after the start.
    const UtcTime first = meter::ist_align_up(kStart, 900'000);
    const UtcTime last = meter::ist_align_down(clock.now(), 900'000);
    for (std::uint32_t d = 0; d < f.topology().dts.size(); ++d) {
      o.hooks_mwh += f.grid().hook_mwh(d, first - Millis(900'000), last);
    }
    for (std::uint32_t m = 0; m < f.size(); ++m) o.tampers += f.meter(m).tamper_count();
    return o;
  };
  const Outcome a = once(true, 1);
  std::size_t hooks = 0, bypasses = 0;
  for (const auto& e : a.episodes) (e.starts_with("hook") ? hooks : bypasses) += 1;
  EXPECT_GE(hooks, 4u);
  EXPECT_GE(bypasses, 4u);
  EXPECT_GT(a.dt_theft, 0);
  EXPECT_EQ(a.dt_theft, a.hooks_mwh);
  EXPECT_GT(a.consumer_theft, 0);
  // Same seed, same truth.
  const Outcome b = once(true, 1);
  EXPECT_EQ(a.episodes, b.episodes);
  EXPECT_EQ(a.truth, b.truth);
  // Another seed, other episodes.
  EXPECT_NE(once(true, 2).episodes, a.episodes);
  // Without the silent thefts: the same magnets, the same alerts and tamper counts (the silent
  // ones add none).
  const Outcome honest = once(false, 1);
  EXPECT_FALSE(honest.magnets.empty());
  EXPECT_EQ(honest.magnets, a.magnets);
  EXPECT_EQ(honest.alerts, a.alerts);
  EXPECT_EQ(honest.tampers, a.tampers);
  EXPECT_TRUE(honest.episodes.empty());
}

// ---- hotspot tokens -----------------------------------------------------------------------------

std::string token_for(const Fleet& f, std::uint32_t m, std::uint32_t seq, std::uint32_t rupees,
                      UtcTime now) {
  const MeterRecord& rec = f.topology().meters[m];
  const auto key = token::derive_token_key(rec.secrets.ak, rec.identity.system_title);
  return token::encode_token(key, {seq, rupees, token::ist_day(now)}).value();
}

TEST(FleetToken, ATokenTypedInDuringANetworkCutClosesTheRelayAndIsReadBackLater) {
  ManualClock clock(kStart);
  Recorder truth;
  Fleet f(generate(small_spec()), quiet_config(), clock, &truth);
  const std::uint32_t m = first_of_kind(f.topology(), MeterKind::kSinglePhase);
  const std::string serial = f.topology().meters[m].identity.serial;
  run(f, clock, Millis(30 * 60'000));
  // Disconnected for want of balance, then the meter's network goes: both SIM paths down.
  ASSERT_TRUE(f.meter(m).disconnect());
  (void)f.after_session(m);
  ASSERT_TRUE(f.control("cut-sim " + serial + " 1").ok());
  ASSERT_TRUE(f.control("cut-sim " + serial + " 2").ok());
  run(f, clock, Millis(30 * 60'000));
  ASSERT_FALSE(f.reachable(m, clock.now()));

  const UtcTime typed = clock.now();
  const std::string t = token_for(f, m, 1, 500, typed);
  auto r = f.enter_token(serial, token::format_token(t));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_TRUE(r->accepted) << r->detail;
  EXPECT_EQ(r->reason, "accepted");
  EXPECT_TRUE(r->relay_closed);
  ASSERT_TRUE(r->fields);
  EXPECT_EQ(r->fields->amount_rupees, 500u);
  EXPECT_TRUE(f.meter(m).relay_connected());
  ASSERT_EQ(f.meter(m).token_log().size(), 1u);
  EXPECT_EQ(f.stats().tokens_accepted, 1u);

  // Truth: the relay change (cause "token"), the token row, and the relay alert that found no
  // network.
  ASSERT_EQ(truth.relays.size(), 2u);
  EXPECT_EQ(std::get<3>(truth.relays[1]), "token");
  EXPECT_TRUE(std::get<2>(truth.relays[1]));
  EXPECT_EQ(std::get<1>(truth.relays[1]), typed);
  ASSERT_EQ(truth.tokens.size(), 1u);
  EXPECT_EQ(truth.tokens[0].result, "accepted");
  EXPECT_EQ(truth.tokens[0].fields->sequence, 1u);
  EXPECT_EQ(truth.tokens[0].fields->issued_day, token::ist_day(typed));
  EXPECT_TRUE(truth.tokens[0].relay_closed);
  bool alert_without_network = false;
  for (const auto& p : truth.pushes) {
    alert_without_network |= p.meter == m && p.kind == Outgoing::Kind::kAlert && p.at == typed &&
                             p.fate == PushFate::kNoNetwork;
  }
  EXPECT_TRUE(alert_without_network);

  // The same token again, over the control port's command: refused, and still an answer.
  auto again = f.control("token " + serial + " " + token::format_token(t));
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_NE(again->find("refused already-used"), std::string::npos) << *again;
  // Another meter's token.
  const std::string other = token_for(f, m + 1, 2, 500, typed);
  auto wrong = f.control("token " + serial + " " + other);
  ASSERT_TRUE(wrong.ok());
  EXPECT_NE(wrong->find("refused wrong-token"), std::string::npos) << *wrong;
  EXPECT_EQ(f.stats().tokens_refused, 2u);
  ASSERT_EQ(truth.tokens.size(), 3u);
  EXPECT_FALSE(truth.tokens[2].fields);

  // Energy flows again, and once the network is back the utility reads the token log by range.
  run(f, clock, Millis(60 * 60'000));
  std::int64_t after = 0;
  for (const auto& iv : truth.intervals) {
    if (iv.meter == m && iv.start >= typed) after += iv.recorded_mwh;
  }
  EXPECT_GT(after, 0);
  ASSERT_TRUE(f.control("restore-sim " + serial + " 1").ok());
  HeadEndSession hes(f, m, is::kSapUtility);
  ASSERT_TRUE(hes.client.associate().ok());
  auto rows = hes.client.get({7, dlms::vidyut_objects::kTokenLog, 2},
                             dlms::make_range_access(dlms::CosemDateTime::from_utc(kStart),
                                                     dlms::CosemDateTime::from_utc(clock.now())));
  ASSERT_TRUE(rows.ok()) << rows.error().describe();
  ASSERT_TRUE(std::holds_alternative<dlms::Data>(*rows));
  const auto& list = *std::get<dlms::Data>(*rows).as_list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(*list[0].at(1), dlms::Data::long_unsigned(1));
  EXPECT_EQ(*list[0].at(2), dlms::Data::double_long_unsigned(500));
  EXPECT_EQ(list[0].at(0)->as_date_time()->to_utc().value(), f.meter(m).token_log()[0].meter_time);
}

TEST(FleetToken, ATokenNeedsAPoweredConsumerMeter) {
  ManualClock clock(kStart);
  Recorder truth;
  Fleet f(generate(small_spec()), quiet_config(), clock, &truth);
  const std::uint32_t m = first_of_kind(f.topology(), MeterKind::kSinglePhase);
  const std::string serial = f.topology().meters[m].identity.serial;
  const std::string t = token_for(f, m, 3, 100, clock.now());
  EXPECT_EQ(f.enter_token("99999999", t).error().code, Errc::kNotFound);
  const std::uint32_t dtm = f.topology().dts[0].meter;
  EXPECT_EQ(f.enter_token(f.topology().meters[dtm].identity.serial, t).error().code,
            Errc::kInvalidArgument);
  EXPECT_EQ(f.control("token " + serial).error().code, Errc::kInvalidArgument);

  // The meter's DT is out: the meter (and its hotspot) is dark; the token is not used up.
  ASSERT_TRUE(f.meter(m).disconnect());
  (void)f.after_session(m);
  const std::string dt = f.topology().dts[static_cast<std::size_t>(f.topology().dt_of[m])].name;
  ASSERT_TRUE(f.control("fail-dt " + dt).ok());
  auto dark = f.enter_token(serial, t);
  ASSERT_TRUE(dark.ok());
  EXPECT_FALSE(dark->accepted);
  EXPECT_EQ(dark->reason, "no-supply");
  EXPECT_FALSE(f.meter(m).relay_connected());
  ASSERT_TRUE(f.control("restore-dt " + dt).ok());
  clock.advance(Millis(60'000));
  auto lit = f.enter_token(serial, t);
  ASSERT_TRUE(lit.ok());
  EXPECT_TRUE(lit->accepted) << lit->detail;
  EXPECT_TRUE(f.meter(m).relay_connected());
  ASSERT_EQ(truth.tokens.size(), 2u);
  EXPECT_EQ(truth.tokens[0].result, "no-supply");
  EXPECT_EQ(truth.tokens[1].result, "accepted");
}

// ---- meter clocks and the active SIM (issue 15) -------------------------------------------------

struct ClockRecorder final : TruthSink {
  void on_interval(const IntervalTruth&) override {}
  void on_episode(const Episode&, bool, UtcTime) override {}
  void on_push(std::uint32_t, Outgoing::Kind, UtcTime, UtcTime, PushFate, std::uint8_t) override {}
  void on_relay(std::uint32_t, UtcTime, bool, std::string_view) override {}
  void on_failover(std::uint32_t, UtcTime, std::uint8_t) override {}
  void on_clock(const ClockTruth& t) override {
    rows.push_back({t.meter, t.at, std::string(t.cause), t.offset_before, t.offset_after});
  }
  struct Row {
    std::uint32_t meter;
    UtcTime at;
    std::string cause;
    Millis before, after;
  };
  std::vector<Row> rows;
};

TEST(FleetClock, StepsDriftAndAHeadEndSetAreInTheTruthAndInTheMetersClock) {
  ManualClock clock(kStart);
  ClockRecorder truth;
  FleetConfig config = quiet_config();
  config.clock_drift_max_s = 20;  // initial offsets, seed-derived
  Fleet f(generate(small_spec(20)), config, clock, &truth);
  // Initial offsets are in the truth, one row per meter that has one.
  std::size_t initial = 0;
  for (const auto& r : truth.rows) {
    EXPECT_EQ(r.cause, "initial");
    EXPECT_EQ(r.after, f.meter(r.meter).clock_offset());
    EXPECT_LE(std::abs(r.after.count()), 20'000);
    ++initial;
  }
  EXPECT_GT(initial, 0u);
  truth.rows.clear();

  const std::uint32_t m = first_of_kind(f.topology(), MeterKind::kSinglePhase);
  const std::string serial = f.topology().meters[m].identity.serial;
  const Millis offset0 = f.meter(m).clock_offset();
  EXPECT_FALSE(f.control("clock-step " + serial + " 864001").ok());  // over 10 days
  EXPECT_FALSE(f.control("clock-step " + serial + " 1.5").ok());
  EXPECT_FALSE(f.control("clock-drift nosuchmeter 10").ok());
  auto r = f.control("clock-step " + serial + " +90");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(f.meter(m).clock_offset(), offset0 + Millis(90'000));
  ASSERT_EQ(truth.rows.size(), 1u);
  EXPECT_EQ(truth.rows[0].cause, "step");
  EXPECT_EQ(truth.rows[0].before, offset0);
  EXPECT_EQ(truth.rows[0].after, offset0 + Millis(90'000));

  // A drift rate: the clock steps at each IST midnight by rate x 86.4 ms.
  ASSERT_TRUE(f.control("clock-drift " + serial + " -50").ok());
  run(f, clock, Millis(86'400'000), Millis(15 * 60'000));
  EXPECT_EQ(f.meter(m).clock_offset(), offset0 + Millis(90'000 - 4'320));
  ASSERT_EQ(truth.rows.size(), 2u);
  EXPECT_EQ(truth.rows[1].cause, "drift");
  EXPECT_EQ(truth.rows[1].after - truth.rows[1].before, Millis(-4'320));

  // The head end sets the clock over DLMS: after_session records it.
  {
    f.catch_up();
    HeadEndSession s(f, m, is::kSapUtility);
    ASSERT_TRUE(s.client.associate().ok());
    auto set = s.client.set({8, is::kClock, 2},
                            dlms::Data::date_time_octets(dlms::CosemDateTime::from_utc(f.now())));
    ASSERT_TRUE(set.ok()) << set.error().describe();
    EXPECT_EQ(*set, dlms::DataAccessResult::kSuccess);
  }
  (void)f.after_session(m);
  EXPECT_LT(std::abs(f.meter(m).clock_offset().count()), 1'000);
  ASSERT_EQ(truth.rows.size(), 3u);
  EXPECT_EQ(truth.rows[2].cause, "set");
  EXPECT_EQ(truth.rows[2].after, f.meter(m).clock_offset());
  EXPECT_EQ(f.stats().clock_sets, 1u);
}

TEST(FleetSim, TheMeterReportsItsActiveSimAndOperatorAfterAFailover) {
  ManualClock clock(kStart);
  Fleet f(generate(small_spec(20)), quiet_config(), clock);
  const std::uint32_t m = first_of_kind(f.topology(), MeterKind::kSinglePhase);
  const MeterRecord& rec = f.topology().meters[m];
  const auto read_sim = [&]() {
    f.catch_up();
    HeadEndSession s(f, m, is::kSapUtility);
    EXPECT_TRUE(s.client.associate().ok());
    auto v = s.client.get({1, dlms::vidyut_objects::kActiveSim, 2});
    EXPECT_TRUE(v.ok());
    const auto* d = v.ok() ? std::get_if<dlms::Data>(&*v) : nullptr;
    EXPECT_NE(d, nullptr);
    std::pair<std::uint64_t, std::string> out{0, ""};
    if (d != nullptr && d->at(1) != nullptr && d->at(1)->as_text() != nullptr) {
      out = {d->at(0)->as_uint().value_or(9), *d->at(1)->as_text()};
    }
    return out;
  };
  EXPECT_EQ(read_sim(), std::make_pair(std::uint64_t{1}, rec.sim_operator[0]));
  ASSERT_TRUE(f.control("cut-sim " + rec.identity.serial + " 1").ok());
  run(f, clock, Millis(30 * 60'000));
  ASSERT_EQ(f.active_sim(m), 1);
  EXPECT_EQ(read_sim(), std::make_pair(std::uint64_t{2}, rec.sim_operator[1]));
}

}  // namespace
}  // namespace vidyut::fleet
