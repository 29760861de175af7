// The MDM's daily work on one day of a large fleet, in memory (no database): validation and
// estimation (VEE) of every consumer meter's 96 intervals, then the energy audit feeder -> DT ->
// consumer. The intervals are the simulator's load model (the truth); gaps are cut into them at
// random, and the estimates are compared with what was cut out. Plain main() with arguments:
//   mdm_bench [consumers=100000] [seed=1]
// Prints: data generation time, VEE CPU time and rate, audit CPU time, peak RSS, and the
// estimation error (weighted absolute percentage error) of linear and like-day estimates against
// the truth, beside the naive estimate a utility might otherwise use (the last reading carried
// forward).
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>

#include "core/clock.h"
#include "fleet/topology.h"
#include "mdm/audit.h"
#include "mdm/network.h"
#include "mdm/vee.h"
#include "meter/load_model.h"

using namespace vidyut;

namespace {

double cpu_s() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

std::int64_t wh_of(const meter::MeterIdentity& id, UtcTime a, UtcTime b) {
  return meter::model_energy(id, a, b).active_mwh / 1000;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint32_t consumers =
      argc > 1 ? static_cast<std::uint32_t>(std::atoi(argv[1])) : 100'000;
  const std::uint64_t seed = argc > 2 ? static_cast<std::uint64_t>(std::atoll(argv[2])) : 1;
  fleet::FleetSpec spec;
  spec.seed = seed;
  spec.consumers = consumers;
  const fleet::Topology topo = fleet::generate(spec);
  // A Wednesday; like days: the three Wednesdays before.
  const UtcTime day = parse_iso8601("2026-12-08T18:30:00Z").value();  // 9 Dec 00:00 IST
  constexpr std::size_t kN = 96;
  const Millis period{900'000};

  // ---- data: every meter's day and its like days, from the load model ------------------------
  const double g0 = cpu_s();
  std::vector<std::uint32_t> meters;  // consumer meter indices
  for (std::uint32_t m = 0; m < topo.meters.size(); ++m) {
    if (!topo.meters[m].consumer_id.empty()) meters.push_back(m);
  }
  std::mt19937_64 rng(seed);
  struct Cut {
    std::size_t from, to;  // [from, to) removed
  };
  std::vector<std::vector<store::IntervalReading>> today(meters.size());
  std::vector<std::vector<std::int64_t>> truth(meters.size(), std::vector<std::int64_t>(kN));
  std::vector<Cut> cuts(meters.size());
  std::vector<std::vector<mdm::VeeInput::LikeDay>> like(meters.size());
  for (std::size_t k = 0; k < meters.size(); ++k) {
    const auto& id = topo.meters[meters[k]].identity;
    // One gap per meter: most up to 2 hours, one in ten longer (up to 10 hours).
    const bool long_gap = rng() % 10 == 0;
    const std::size_t len = long_gap ? 9 + rng() % 32 : 1 + rng() % 8;
    const std::size_t from = 1 + rng() % (kN - len - 1);
    cuts[k] = {from, from + len};
    for (std::size_t i = 0; i < kN; ++i) {
      const UtcTime a = day + period * static_cast<std::int64_t>(i);
      truth[k][i] = wh_of(id, a, a + period);
      if (i >= from && i < from + len) continue;
      store::IntervalReading r;
      r.meter_id = meters[k];
      r.start = a;
      r.import_wh = truth[k][i];
      today[k].push_back(r);
    }
    if (long_gap) {
      for (int w = 1; w <= 3; ++w) {
        mdm::VeeInput::LikeDay ld{day - std::chrono::days(7 * w), {}};
        for (std::size_t i = from; i < from + len; ++i) {
          const UtcTime a = ld.day + period * static_cast<std::int64_t>(i);
          store::IntervalReading r;
          r.meter_id = meters[k];
          r.start = a;
          r.import_wh = wh_of(id, a, a + period);
          ld.rows.push_back(r);
        }
        like[k].push_back(std::move(ld));
      }
    }
  }
  const double g1 = cpu_s();

  // ---- VEE ------------------------------------------------------------------------------------
  double err_linear = 0, sum_linear = 0, err_like = 0, sum_like = 0, err_naive = 0, sum_naive = 0,
         err_day = 0, sum_day = 0;
  std::size_t n_linear = 0, n_like = 0, n_none = 0;
  const double v0 = cpu_s();
  for (std::size_t k = 0; k < meters.size(); ++k) {
    mdm::VeeInput in;
    in.meter_id = meters[k];
    in.day = day;
    in.until = day + std::chrono::days(1);
    in.rows = std::move(today[k]);
    in.like_days = std::move(like[k]);
    const mdm::VeeDay d = mdm::validate_day(in);
    double day_est = 0, day_truth = 0;
    for (std::size_t i = 0; i < kN; ++i) {
      day_est += static_cast<double>(d.intervals[i].wh);
      day_truth += static_cast<double>(truth[k][i]);
    }
    err_day += std::fabs(day_est - day_truth);
    sum_day += day_truth;
    for (std::size_t i = cuts[k].from; i < cuts[k].to; ++i) {
      const auto& v = d.intervals[i];
      const double t = static_cast<double>(truth[k][i]);
      const double naive = static_cast<double>(truth[k][cuts[k].from - 1]);
      err_naive += std::fabs(naive - t);
      sum_naive += t;
      if (v.method == mdm::VeeMethod::kLinear) {
        err_linear += std::fabs(static_cast<double>(v.wh) - t);
        sum_linear += t;
        ++n_linear;
      } else if (v.method == mdm::VeeMethod::kLikeDay) {
        err_like += std::fabs(static_cast<double>(v.wh) - t);
        sum_like += t;
        ++n_like;
      } else {
        ++n_none;
      }
    }
  }
  const double v1 = cpu_s();

  // ---- the energy audit of the day (per-meter sums of the validated day stand in) ------------
  std::vector<store::MeterInfo> reg;
  mdm::EnergyByMeter energy;
  for (std::uint32_t m = 0; m < topo.meters.size(); ++m) {
    const auto& r = topo.meters[m];
    store::MeterInfo mi;
    mi.id = m + 1;
    mi.serial = r.identity.serial;
    mi.feeder = r.feeder;
    mi.dt = r.dt;
    mi.consumer_id = r.consumer_id;
    reg.push_back(std::move(mi));
    energy[m + 1] = {96, 1'000 + m % 997, 0};
  }
  const double a0 = cpu_s();
  const mdm::Network net = mdm::build_network(reg);
  const mdm::AuditReport rep = mdm::energy_audit(net, energy, day, day + std::chrono::days(1));
  const double a1 = cpu_s();

  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const std::size_t intervals = meters.size() * kN;
  std::printf("consumer meters %zu, intervals %zu (one day), DTs %zu, feeders %zu\n", meters.size(),
              intervals, rep.dts.size(), rep.feeders.size());
  std::printf("data generation (load model, not timed as MDM work): %.1f s CPU\n", g1 - g0);
  std::printf("VEE: %.2f s CPU, %.1f million intervals per CPU second\n", v1 - v0,
              static_cast<double>(intervals) / (v1 - v0) / 1e6);
  std::printf("energy audit (network build + balance): %.3f s CPU\n", a1 - a0);
  std::printf("peak RSS: %.0f MiB (the whole process, data included)\n",
              static_cast<double>(ru.ru_maxrss) / 1024.0);
  std::printf(
      "estimates: linear %zu intervals, WAPE %.1f %%; like-day %zu, WAPE %.1f %%; none %zu\n",
      n_linear, sum_linear > 0 ? 100 * err_linear / sum_linear : 0.0, n_like,
      sum_like > 0 ? 100 * err_like / sum_like : 0.0, n_none);
  std::printf("naive (last reading carried forward) over the same gaps: WAPE %.1f %%\n",
              sum_naive > 0 ? 100 * err_naive / sum_naive : 0.0);
  std::printf("each meter's day total with its estimates against the truth: WAPE %.2f %%\n",
              sum_day > 0 ? 100 * err_day / sum_day : 0.0);
  return 0;
}
