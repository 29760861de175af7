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

}  // namespace
}  // namespace vidyut::fleet
