// The MDM's validated data over a real store (SQLite): what `vidyut serve`'s monitor does once a
// day has closed (validate every consumer meter's day from the store, with its daily register,
// and keep the results in mdm.db), what it does every 15 minutes after that (only meters with
// something missing or on record), and what billing's reads of validated data cost against the
// plain grouped read of the store it replaces (the peer). Plain main() with arguments:
//   vee_store_bench [consumers=10000] [gap_share=0.01] [dir=/tmp/vidyut-vee-bench]
// The store holds the day and the next day's first two hours; the first run is at 00:30 the next
// day (the day has just closed), the second 15 minutes later.
// One in gap_share of the meters loses two hours of the day (estimated linearly) and one in
// 10 x gap_share loses a whole afternoon (no like day stored: left unestimated).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>

#include "core/clock.h"
#include "dlms/axdr/data.h"
#include "fleet/topology.h"
#include "mdm/network.h"
#include "mdm/vee.h"
#include "mdm/vee_book.h"
#include "meter/load_model.h"
#include "store/sqlite_store.h"
#include "testing/registry.h"

using namespace vidyut;

namespace {

double cpu_s() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }
double wall_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
long rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

[[noreturn]] void die(const char* what, const Error& e) {
  std::fprintf(stderr, "%s: %s\n", what, e.describe().c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint32_t consumers =
      argc > 1 ? static_cast<std::uint32_t>(std::atoi(argv[1])) : 10'000;
  const double gap_share = argc > 2 ? std::atof(argv[2]) : 0.01;
  const std::filesystem::path dir = argc > 3 ? argv[3] : "/tmp/vidyut-vee-bench";
  std::filesystem::remove_all(dir);
  fleet::FleetSpec spec;
  spec.seed = 1;
  spec.consumers = consumers;
  const fleet::Topology topo = fleet::generate(spec);
  const UtcTime day = parse_iso8601("2026-12-08T18:30:00Z").value();  // 9 Dec 00:00 IST
  const UtcTime end = day + std::chrono::days(1);
  // 00:30 the next day: the day has just closed (the VEE waits 30 minutes for late readings).
  ManualClock clock(end + std::chrono::minutes(30));
  auto st = store::open_sqlite_store(dir.string(), clock, {});
  if (!st.ok()) die("store", st.error());
  {
    std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> rows;
    for (const auto& m : topo.meters) rows.push_back(testing::to_registry(m));
    for (std::size_t k = 0; k < rows.size(); k += store::kMaxImport) {
      const std::size_t e = std::min(rows.size(), k + store::kMaxImport);
      if (auto r = (*st)->upsert_meters(std::span(rows).subspan(k, e - k)); !r.ok()) {
        die("registry", r.error());
      }
    }
  }
  auto meters = mdm::all_meters(**st);
  if (!meters.ok()) die("registry", meters.error());
  const mdm::Network network = mdm::build_network(*meters);
  std::unordered_map<std::string, std::int64_t> id_of;
  for (const auto& m : *meters) id_of[m.serial] = m.id;

  // ---- the day's readings and daily registers, as the head end would have stored them -------
  const double w0 = wall_s();
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u01(0, 1);
  std::vector<store::IntervalReading> batch;
  std::size_t rows = 0, cut_linear = 0, cut_long = 0;
  auto flush = [&] {
    if (batch.empty()) return;
    if (auto r = (*st)->put_intervals(batch); !r.ok()) die("intervals", r.error());
    rows += batch.size();
    batch.clear();
  };
  store::WriteBatch registers;
  auto flush_registers = [&] {
    if (registers.profile_rows.empty()) return;
    if (auto r = (*st)->write(registers); !r.ok()) die("registers", r.error());
    registers.profile_rows.clear();
  };
  // Interval i from the day's start (96 and up: the next day) of a meter, from its load model.
  auto reading_of = [&](std::int64_t id, const meter::MeterIdentity& identity, std::size_t i) {
    const UtcTime a = day + Millis(static_cast<std::int64_t>(i) * 900'000);
    store::IntervalReading x;
    x.meter_id = id;
    x.start = a;
    x.import_wh = meter::model_energy(identity, a, a + Millis(900'000)).active_mwh / 1000;
    return x;
  };
  for (const auto& m : topo.meters) {
    if (m.consumer_id.empty()) continue;
    const std::int64_t id = id_of.at(m.identity.serial);
    const double r = u01(rng);
    std::size_t from = 96, to = 96;
    if (r < gap_share) {
      from = 40;
      to = 48;  // 10:00-12:00
      cut_linear += 8;
    } else if (r < 1.1 * gap_share) {
      from = 52;
      to = 80;  // 13:00-20:00
      cut_long += 28;
    }
    // The next day's first two hours, complete (the meters push on).
    for (std::size_t i = 96; i < 104; ++i) {
      batch.push_back(reading_of(id, m.identity, i));
      if (batch.size() >= store::kMaxBatch) flush();
    }
    std::int64_t day_wh = 0;
    for (std::size_t i = 0; i < 96; ++i) {
      const store::IntervalReading x = reading_of(id, m.identity, i);
      day_wh += x.import_wh;
      if (i >= from && i < to) continue;
      batch.push_back(x);
      if (batch.size() >= store::kMaxBatch) flush();
    }
    for (const auto& [at, wh] : {std::pair{day, std::int64_t{1'000'000}},
                                 std::pair{end, std::int64_t{1'000'000} + day_wh}}) {
      store::ProfileRow p;
      p.meter_id = id;
      p.profile = "daily";
      p.captured = at;
      p.data = dlms::axdr::encode(dlms::Data::structure(
          {dlms::Data::octet_string({}),
           dlms::Data::double_long_unsigned(static_cast<std::uint32_t>(wh)),
           dlms::Data::double_long_unsigned(0), dlms::Data::double_long_unsigned(0),
           dlms::Data::double_long_unsigned(0)}));
      registers.profile_rows.push_back(std::move(p));
      if (registers.profile_rows.size() >= store::kMaxBatch) flush_registers();
    }
  }
  flush();
  flush_registers();
  const double load_s = wall_s() - w0;

  auto book = mdm::VeeBook::open(dir, clock);
  if (!book.ok()) die("mdm.db", book.error());
  mdm::VeeRunOptions o;
  o.days_back = 1;
  // ---- 1. the day has closed: every consumer meter validated and kept --------------------------
  double c0 = cpu_s(), t0 = wall_s();
  auto first = mdm::run_vee(**st, network, **book, clock.now(), o);
  if (!first.ok()) die("run_vee", first.error());
  const double first_cpu = cpu_s() - c0, first_wall = wall_s() - t0;
  // ---- 2. fifteen minutes later: only what is missing or on record ----------------------------
  clock.advance(Millis(900'000));
  c0 = cpu_s();
  t0 = wall_s();
  auto again = mdm::run_vee(**st, network, **book, clock.now(), o);
  if (!again.ok()) die("run_vee", again.error());
  const double again_wall = wall_s() - t0, again_cpu = cpu_s() - c0;
  // ---- 3. billing's read of the day: validated totals against the plain grouped read ----------
  t0 = wall_s();
  auto plain = (*st)->interval_summary(day, end);
  if (!plain.ok()) die("summary", plain.error());
  const double plain_wall = wall_s() - t0;
  t0 = wall_s();
  auto validated = mdm::validated_summary(**st, **book, day, end);
  if (!validated.ok()) die("validated", validated.error());
  const double validated_wall = wall_s() - t0;
  std::size_t estimated = 0;
  for (const auto& s : *validated) estimated += s.estimated;

  const auto& a = first->applied;
  std::printf(
      "consumers %u, rows stored %zu (cut: %zu in 2-hour gaps, %zu in 7-hour gaps), "
      "load %.1f s\n",
      consumers, rows, cut_linear, cut_long, load_s);
  std::printf(
      "closed-day validation: %zu meters, %zu intervals in %.2f s wall, %.2f s CPU "
      "(%.0f intervals/s); estimated %zu, flagged %zu, register mismatches %zu\n",
      first->meters, first->intervals, first_wall, first_cpu,
      static_cast<double>(first->intervals) / first_wall, a.estimated, a.flagged,
      first->register_mismatches);
  std::printf("next run 15 minutes later: %zu meters revisited in %.3f s wall, %.3f s CPU\n",
              again->meters, again_wall, again_cpu);
  std::printf(
      "billing's read of the day: plain interval_summary %.3f s, validated_summary "
      "%.3f s (%zu meters, %zu estimated intervals counted)\n",
      plain_wall, validated_wall, validated->size(), estimated);
  std::printf("peak RSS %ld MiB\n", rss_mib());
  book->reset();
  st->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
