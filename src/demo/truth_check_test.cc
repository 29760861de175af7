// The demo's outage check: the MDM's view of a small generated network against a truth made by
// hand - found, missed by more than the tolerance, invented, and the indices recomputed.
#include "demo/truth_check.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace vidyut::demo {
namespace {

const UtcTime kDay = parse_iso8601("2026-11-30T18:30:00Z").value();
const UtcTime kNext = kDay + std::chrono::days(1);
UtcTime at_min(double m) { return kDay + Millis(static_cast<std::int64_t>(m * 60'000)); }

struct Rig {
  fleet::Topology topology;
  mdm::Network network;
  Rig() {
    fleet::FleetSpec spec;
    spec.consumers = 120;
    spec.consumers_per_dt = 20;
    spec.dts_per_feeder = 3;
    topology = fleet::generate(spec);
    std::vector<store::MeterInfo> meters;
    for (std::size_t i = 0; i < topology.meters.size(); ++i) {
      const auto& r = topology.meters[i];
      store::MeterInfo m;
      m.id = static_cast<std::int64_t>(i) + 1;
      m.serial = r.identity.serial;
      m.feeder = r.feeder;
      m.dt = r.dt;
      m.consumer_id = r.consumer_id;
      meters.push_back(m);
    }
    network = mdm::build_network(meters);
  }
  // Power events of every meter below DT d (its meter and consumers) for [a, b) minutes.
  void dark(std::vector<mdm::PowerEvent>& ev, std::uint32_t d, double a, double b) const {
    std::vector<std::uint32_t> ms = topology.dts[d].consumers;
    ms.push_back(topology.dts[d].meter);
    for (auto m : ms) {
      ev.push_back({std::int64_t{m} + 1, at_min(a), false, mdm::PowerEvent::Source::kAlert});
      ev.push_back({std::int64_t{m} + 1, at_min(b), true, mdm::PowerEvent::Source::kLog});
    }
  }
  OutageCheck check(const std::vector<TruthOutage>& truth,
                    const std::vector<mdm::PowerEvent>& ev) const {
    const auto r = mdm::detect_outages(network, ev, kDay, kNext, kNext);
    return check_outages(topology, truth, network, r, mdm::reliability(network, r));
  }
};

TEST(OutageTruthCheck, FoundWithinToleranceMissedBeyondItAndInventedOnesCounted) {
  Rig rig;
  ASSERT_GE(rig.topology.feeders.size(), 2u);
  const std::uint32_t d0 = rig.topology.feeders[0].dts[0];
  std::vector<TruthOutage> truth{{false, d0, at_min(60), at_min(100)},
                                 {true, 1, at_min(300), at_min(420)}};
  // The MDM sees both exactly (the feeder through every one of its DTs), a minute off at most.
  std::vector<mdm::PowerEvent> ev;
  rig.dark(ev, d0, 60.5, 100.5);  // same duration: same SAIDI
  for (auto d : rig.topology.feeders[1].dts) rig.dark(ev, d, 300, 420);
  OutageCheck c = rig.check(truth, ev);
  EXPECT_EQ(c.dts.truth, 1u + rig.topology.feeders[1].dts.size());
  EXPECT_TRUE(c.ok()) << c.dts.missed.size() << " missed, " << c.dts.false_alarms << " false";
  EXPECT_EQ(c.feeders.found, 1u);
  EXPECT_DOUBLE_EQ(c.dts.worst_start_error_s, 30.0);
  EXPECT_GT(c.indices[1].truth_saidi, 0.0);

  // Ended 3 minutes late: missed, and the span found is a false alarm.
  std::vector<mdm::PowerEvent> late;
  rig.dark(late, d0, 60, 103);
  for (auto d : rig.topology.feeders[1].dts) rig.dark(late, d, 300, 420);
  c = rig.check(truth, late);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.dts.missed.size(), 1u);
  EXPECT_EQ(c.dts.false_alarms, 1u);

  // An outage the truth does not have (say, a network cut taken for one).
  std::vector<mdm::PowerEvent> extra = ev;
  rig.dark(extra, rig.topology.feeders[0].dts[1], 700, 800);
  c = rig.check(truth, extra);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.dts.false_alarms, 1u);
  EXPECT_FALSE(c.indices[0].within);  // the invented outage also shows in feeder 0's SAIDI
}

TEST(OverloadTruthCheck, EveryIntervalAboveTheRatingFlaggedAndNoneBelow) {
  fleet::FleetSpec spec;
  spec.consumers = 60;
  spec.consumers_per_dt = 30;
  ManualClock clock(kDay);
  fleet::FleetConfig fc;
  fc.rates = fleet::EventRates::none();
  fc.block_load_push = false;
  fleet::Fleet f(fleet::generate(spec), fc, clock);
  clock.advance(Millis(6 * 3'600'000));
  f.advance(clock.now());
  const auto& topo = f.topology();
  // A rating at the DT's median interval, so that about half its intervals are above it; the
  // MDM's view made from the true energy rounded to whole VAh, as the meter registers it.
  mdm::LoadingReport r;
  r.from = kDay;
  r.to = kDay + Millis(6 * 3'600'000);
  for (std::uint32_t d = 0; d < topo.dts.size(); ++d) {
    std::vector<std::int64_t> vah;
    for (UtcTime a = r.from; a < r.to; a += Millis(900'000)) {
      vah.push_back((f.grid().dt_cumulative(d, a + Millis(900'000)).apparent_mvah -
                     f.grid().dt_cumulative(d, a).apparent_mvah) /
                    1000);
    }
    std::vector<std::int64_t> sorted = vah;
    std::sort(sorted.begin(), sorted.end());
    mdm::DtLoading x;
    x.dt = topo.dts[d].name;
    x.rating_va = static_cast<std::uint32_t>(sorted[sorted.size() / 2] * 4 + 2);
    for (std::size_t i = 0; i < vah.size(); ++i) {
      if (vah[i] * 4 > x.rating_va) {
        x.overloaded.push_back({r.from + Millis(static_cast<std::int64_t>(i) * 900'000), 0, 0});
      }
    }
    r.dts.push_back(x);
  }
  OverloadCheck c = check_overload(topo, f.grid(), r);
  EXPECT_EQ(c.dt_intervals, topo.dts.size() * 24);
  EXPECT_GT(c.truth_overloaded, 10u);
  EXPECT_TRUE(c.ok()) << c.missed << " missed, " << c.false_flags << " false";
  // One overloaded interval not flagged, one interval below flagged.
  mdm::LoadingReport bad = r;
  bad.dts[0].overloaded.erase(bad.dts[0].overloaded.begin());
  c = check_overload(topo, f.grid(), bad);
  EXPECT_EQ(c.missed, 1u);
  bad = r;
  for (UtcTime a = r.from; a < r.to; a += Millis(900'000)) {
    auto& o = bad.dts[1].overloaded;
    if (std::none_of(o.begin(), o.end(), [&](const auto& li) { return li.start == a; })) {
      o.push_back({a, 0, 0});
      break;
    }
  }
  c = check_overload(topo, f.grid(), bad);
  EXPECT_EQ(c.false_flags, 1u);
}

}  // namespace
}  // namespace vidyut::demo
