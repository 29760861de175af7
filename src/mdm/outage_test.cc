// Outages and reliability indices, worked by hand: per-meter spans from alerts and logs, the
// DT and feeder roll-up, silence is no outage, momentary against sustained, SAIFI/SAIDI/CAIDI/
// MAIFI, a consumer's interruption log, and the evidence read through a real store.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "mdm/outage.h"
#include "mdm/reliability.h"
#include "store/sqlite_store.h"

namespace vidyut::mdm {
namespace {

const UtcTime kDay = parse_iso8601("2026-11-30T18:30:00Z").value();  // 1 Dec 00:00 IST
const UtcTime kNext = kDay + std::chrono::days(1);
UtcTime at_min(double minutes) {
  return kDay + Millis(static_cast<std::int64_t>(minutes * 60'000));
}

store::MeterInfo meter(std::int64_t id, std::string feeder, std::string dt,
                       std::string consumer = "") {
  store::MeterInfo m;
  m.id = id;
  m.serial = "S" + std::to_string(id);
  m.kind = consumer.empty() ? (dt.empty() ? "feeder" : "dt") : "single-phase";
  m.manufacturer = "VDY";
  m.system_title = {'V', 'D', 'Y', 0, 0, 0, 0, static_cast<std::uint8_t>(id)};
  m.feeder = std::move(feeder);
  m.dt = std::move(dt);
  m.consumer_id = std::move(consumer);
  return m;
}

// F1 (meter 1) feeds D1 (meter 2; consumers 10, 11, 12) and D2 (meter 3; consumers 20, 21).
// F2 (meter 4) feeds D3 (meter 5; consumers 30, 31).
std::vector<store::MeterInfo> registry() {
  return {meter(1, "F1", ""),           meter(2, "F1", "D1"),         meter(3, "F1", "D2"),
          meter(4, "F2", ""),           meter(5, "F2", "D3"),         meter(10, "F1", "D1", "C10"),
          meter(11, "F1", "D1", "C11"), meter(12, "F1", "D1", "C12"), meter(20, "F1", "D2", "C20"),
          meter(21, "F1", "D2", "C21"), meter(30, "F2", "D3", "C30"), meter(31, "F2", "D3", "C31")};
}

PowerEvent fail(std::int64_t m, double minute, PowerEvent::Source s = PowerEvent::Source::kAlert) {
  return {m, at_min(minute), false, s};
}
PowerEvent restore(std::int64_t m, double minute,
                   PowerEvent::Source s = PowerEvent::Source::kAlert) {
  return {m, at_min(minute), true, s};
}
// Every meter of `ms` fails at `a` and returns at `b` (minutes), as alert and as log row.
void both(std::vector<PowerEvent>& ev, std::initializer_list<std::int64_t> ms, double a, double b) {
  for (auto m : ms) {
    ev.push_back(fail(m, a));
    ev.push_back(fail(m, a, PowerEvent::Source::kLog));
    ev.push_back(restore(m, b));
    ev.push_back(restore(m, b, PowerEvent::Source::kLog));
  }
}

TEST(OffSpans, AlertAndLogRowsOfOneFactAreOneSpanAndALostRestoreLeavesItOpen) {
  auto s = meter_off_spans({restore(7, 20, PowerEvent::Source::kLog), fail(7, 10),
                            fail(7, 10, PowerEvent::Source::kLog), restore(7, 20), fail(7, 30)});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].start, at_min(10));
  EXPECT_EQ(s[0].end, at_min(20));
  EXPECT_EQ(s[1].start, at_min(30));
  EXPECT_FALSE(s[1].end.has_value());
  // A restore with no fail before it (the fail was before the evidence) adds nothing.
  EXPECT_TRUE(meter_off_spans({restore(7, 5)}).empty());
}

TEST(Outages, DtOffWhileMostOfItsMetersAreAndFeederOffWhenItsDtsAre) {
  const Network n = build_network(registry());
  std::vector<PowerEvent> ev;
  // D1 out 60-100: its meter and two of three consumers report (C12's network was down).
  both(ev, {2, 10, 11}, 60, 100);
  // D2 out 200-260 without a word from its DT meter: both consumers report.
  both(ev, {20, 21}, 200, 260);
  // Feeder F1 trips 300-400: every DT and consumer of F1 goes dark.
  both(ev, {2, 3, 10, 11, 12, 20, 21}, 300, 400);
  // C31 alone loses supply 500-520 (its service line): not a DT outage.
  both(ev, {31}, 500, 520);
  // D3: one consumer of two is not a majority.
  both(ev, {30}, 600, 700);
  const OutageReport r = detect_outages(n, ev, kDay, kNext, kNext);

  ASSERT_EQ(r.dt_off.size(), 3u);
  ASSERT_EQ(r.dt_off[0].size(), 2u);  // D1: own outage and the feeder's
  EXPECT_EQ(r.dt_off[0][0].start, at_min(60));
  EXPECT_EQ(r.dt_off[0][0].end, at_min(100));
  ASSERT_EQ(r.dt_off[1].size(), 2u);  // D2
  EXPECT_EQ(r.dt_off[1][0].start, at_min(200));
  EXPECT_EQ(r.dt_off[1][1].end, at_min(400));
  EXPECT_TRUE(r.dt_off[2].empty());  // D3: one consumer alone

  std::vector<const Outage*> feeders, dts;
  for (const auto& o : r.outages) {
    (o.level == Outage::Level::kFeeder ? feeders : dts).push_back(&o);
  }
  ASSERT_EQ(feeders.size(), 1u);
  EXPECT_EQ(feeders[0]->name, "F1");
  EXPECT_EQ(feeders[0]->span.start, at_min(300));
  EXPECT_EQ(feeders[0]->span.end, at_min(400));
  EXPECT_EQ(feeders[0]->consumers, 5u);
  EXPECT_EQ(feeders[0]->reporting, 2u);
  ASSERT_EQ(dts.size(), 4u);
  EXPECT_EQ(dts[0]->name, "D1");
  EXPECT_EQ(dts[0]->reporting, 3u);  // DT meter, C10, C11
  EXPECT_FALSE(dts[0]->within_feeder_outage);
  EXPECT_TRUE(dts[2]->within_feeder_outage);
  EXPECT_TRUE(dts[3]->within_feeder_outage);
  // C31 (20 min) and C30 (100 min) are off on their own.
  ASSERT_EQ(r.single_meter.size(), 2u);
}

TEST(Outages, SilenceIsNoOutageAndAnOpenOutageLastsUntilTheEvidenceEnds) {
  const Network n = build_network(registry());
  // No events at all: a network cut, however long, shows nothing.
  EXPECT_TRUE(detect_outages(n, {}, kDay, kNext, kNext).outages.empty());
  // D3 fails at 1000 min and nothing has come back yet.
  std::vector<PowerEvent> ev{fail(5, 1000), fail(30, 1000), fail(31, 1000)};
  const OutageReport r = detect_outages(n, ev, kDay, kNext, kNext);
  ASSERT_EQ(r.outages.size(), 1u);
  EXPECT_FALSE(r.outages[0].span.end.has_value());
  // The DT meter's restore was lost but its consumers came back: the DT is back with them.
  ev.push_back(restore(30, 1010));
  ev.push_back(restore(31, 1010));
  const OutageReport r2 = detect_outages(n, ev, kDay, kNext, kNext);
  ASSERT_EQ(r2.outages.size(), 1u);
  EXPECT_EQ(r2.outages[0].span.end, at_min(1010));
  // A second outage later: the DT meter's next restore does not join the two into one.
  ev.push_back(fail(30, 1200));
  ev.push_back(fail(31, 1200));
  ev.push_back(restore(5, 1230));
  ev.push_back(restore(30, 1230));
  ev.push_back(restore(31, 1230));
  const OutageReport r3 = detect_outages(n, ev, kDay, kNext, kNext);
  ASSERT_EQ(r3.outages.size(), 2u);
  EXPECT_EQ(r3.outages[0].span.end, at_min(1010));
  EXPECT_EQ(r3.outages[1].span.start, at_min(1200));
  EXPECT_EQ(r3.outages[1].span.end, at_min(1230));
}

TEST(Reliability, SaifiSaidiCaidiMaifiPerFeederAndAreaAndAConsumersLog) {
  const Network n = build_network(registry());
  std::vector<PowerEvent> ev;
  both(ev, {2, 10, 11, 12}, 60, 100);               // D1 40 min: 3 customers
  both(ev, {3, 20, 21}, 200, 203);                  // D2 3 min: momentary, 2 customers
  both(ev, {2, 3, 10, 11, 12, 20, 21}, 300, 400);   // F1 100 min: 5 customers
  both(ev, {31}, 500, 520);                         // C31 alone 20 min
  both(ev, {5, 30, 31}, 1430, 1450);                // D3 starts today, ends tomorrow
  both(ev, {5, 30, 31}, 1445 + 1440, 1450 + 1440);  // D3 tomorrow: not in the period
  const OutageReport r = detect_outages(n, ev, kDay, kNext, kNext + std::chrono::days(2));
  const ReliabilityReport rel = reliability(n, r);
  ASSERT_EQ(rel.feeders.size(), 2u);
  const ReliabilityIndices& f1 = rel.feeders[0];
  EXPECT_EQ(f1.customers, 5u);
  EXPECT_EQ(f1.customer_interruptions, 3u + 5u);
  EXPECT_DOUBLE_EQ(f1.customer_minutes, 3 * 40.0 + 5 * 100.0);
  EXPECT_EQ(f1.momentary_customer_interruptions, 2u);
  EXPECT_DOUBLE_EQ(f1.saifi, 8.0 / 5);
  EXPECT_DOUBLE_EQ(f1.saidi, 620.0 / 5);
  EXPECT_DOUBLE_EQ(f1.caidi, 620.0 / 8);
  EXPECT_DOUBLE_EQ(f1.maifi, 2.0 / 5);
  const ReliabilityIndices& f2 = rel.feeders[1];
  EXPECT_EQ(f2.customers, 2u);
  EXPECT_EQ(f2.customer_interruptions, 1u + 2u);  // C31 alone, then D3 (whole 20 min)
  EXPECT_DOUBLE_EQ(f2.customer_minutes, 20.0 + 2 * 20.0);
  EXPECT_EQ(rel.area.customers, 7u);
  EXPECT_DOUBLE_EQ(rel.area.saifi, 11.0 / 7);
  EXPECT_DOUBLE_EQ(rel.area.saidi, 680.0 / 7);

  const auto log = consumer_interruptions(n, r, 10);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].cause, "dt D1");
  EXPECT_EQ(log[0].duration, Millis(40 * 60'000));
  EXPECT_TRUE(log[0].sustained);
  EXPECT_EQ(log[1].cause, "feeder F1");
  const auto log20 = consumer_interruptions(n, r, 20);
  ASSERT_EQ(log20.size(), 2u);
  EXPECT_FALSE(log20[0].sustained);
  const auto log31 = consumer_interruptions(n, r, 31);
  ASSERT_EQ(log31.size(), 2u);
  EXPECT_EQ(log31[0].cause, "meter");
}

TEST(Outages, AlertsForFeederAndDtOutagesOnTheirMetersOnceEachWay) {
  const Network n = build_network(registry());
  std::vector<PowerEvent> ev;
  both(ev, {2, 10, 11, 12}, 60, 100);              // D1 alone
  both(ev, {2, 3, 10, 11, 12, 20, 21}, 300, 400);  // F1 trips
  ev.push_back(fail(5, 1000));                     // D3 still out
  ev.push_back(fail(30, 1000));
  ev.push_back(fail(31, 1000));
  const auto alerts = outage_alerts(n, detect_outages(n, ev, kDay, kNext, kNext), kNext);
  // F1 on and off, D1 on and off twice (alone, then with its feeder), D2 with its feeder, D3 on.
  ASSERT_EQ(alerts.size(), 9u);
  std::map<std::string, int> by;
  for (const auto& a : alerts) {
    by[a.name + (a.active ? "+" : "-") + std::to_string(a.meter_id)]++;
    EXPECT_EQ(a.kind, "supply");
  }
  EXPECT_EQ(by, (std::map<std::string, int>{{"feeder-outage+1", 1},
                                            {"feeder-outage-1", 1},
                                            {"dt-outage+2", 2},
                                            {"dt-outage-2", 2},
                                            {"dt-outage+3", 1},
                                            {"dt-outage-3", 1},
                                            {"dt-outage+5", 1}}));
}

TEST(Reliability, AnInterruptionOfExactlyFiveMinutesIsSustained) {
  const Network n = build_network(registry());
  std::vector<PowerEvent> ev;
  both(ev, {5, 30, 31}, 100, 105);
  const auto rel = reliability(n, detect_outages(n, ev, kDay, kNext, kNext));
  EXPECT_EQ(rel.feeders[1].customer_interruptions, 2u);
  EXPECT_EQ(rel.feeders[1].momentary_customer_interruptions, 0u);
}

TEST(PowerEventsFromStore, AlertsAndPowerLogRowsOfTheNetworksMeters) {
  const auto dir = std::filesystem::temp_directory_path() / "vidyut-mdm-outage-test";
  std::filesystem::remove_all(dir);
  ManualClock clock(kDay);
  auto db = store::open_sqlite_store(dir.string(), clock, {});
  ASSERT_TRUE(db.ok()) << db.error().message;
  std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> rows;
  for (auto m : registry()) {
    m.id = 0;
    rows.emplace_back(m, store::MeterSecrets{});
  }
  ASSERT_TRUE((*db)->upsert_meters(rows).ok());
  auto meters = all_meters(**db);
  ASSERT_TRUE(meters.ok());
  const Network n = build_network(*meters);
  auto id = [&](const char* serial) { return (*(*db)->meter_by_serial(serial))->id; };
  store::WriteBatch b;
  auto alert = [&](const char* serial, double minute, const char* kind, const char* name) {
    store::Alert a;
    a.meter_id = id(serial);
    a.at = at_min(minute);
    a.received = a.at;
    a.kind = kind;
    a.name = name;
    b.alerts.push_back(a);
  };
  alert("S2", 60, "outage", "last-gasp");
  alert("S2", 100, "restore", "first-breath");
  alert("S10", 60, "tamper", "magnet");  // not power
  auto row = [&](const char* serial, double minute, std::int32_t code) {
    store::ProfileRow p;
    p.meter_id = id(serial);
    p.profile = "event-power";
    p.captured = at_min(minute);
    p.code = code;
    p.data = {0x02, 0x00};
    b.profile_rows.push_back(p);
  };
  row("S10", 60, kPowerFailCode);
  row("S10", 100, kPowerRestoreCode);
  row("S11", 60, kPowerFailCode);
  row("S11", 100, kPowerRestoreCode);
  row("S11", 70, 7);  // another power-log code: not a fail or restore
  ASSERT_TRUE((*db)->write(b).ok());
  auto ev = power_events(**db, n, kDay, kNext);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->size(), 6u);
  const OutageReport r = detect_outages(n, *ev, kDay, kNext, kNext);
  ASSERT_EQ(r.outages.size(), 1u);
  EXPECT_EQ(r.outages[0].name, "D1");
  EXPECT_EQ(r.outages[0].span.start, at_min(60));
  EXPECT_EQ(r.outages[0].span.end, at_min(100));
  EXPECT_EQ(r.outages[0].reporting, 3u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vidyut::mdm
