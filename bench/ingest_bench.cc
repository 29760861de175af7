// Sustained ingestion into the embedded store, the way the head end's writer does it
// (src/headend/head_end.cc, writer_loop/commit): one Store::write per batch of 20,000 interval
// rows plus the MeterComm upsert of every meter in the batch, one transaction each, with the
// store's production durability (WAL, synchronous=FULL) unless --sync-normal.
//
// Rows come as a fleet's push waves do: for each 15-minute period every meter sends one row, in
// arrival order (a shuffled order, fixed seed; --sorted for meter-id order), cut into batches.
// A second pass re-writes the same batches: every row is then a duplicate (idempotent
// re-ingest, as when gap fill reads back rows that were pushed). Prints rows/s overall and per
// batch, and the data file's bytes per row (from SQLite's dbstat, per table and index).
//
// Run: build/release/bench/ingest_bench [--meters N] [--rows R] [--batch B] [--dir DIR] [--keep]
//                                       [--sorted] [--sync-normal]
// Results and machine: bench/RESULTS.md.
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "store/sqlite_store.h"
#include "store/store.h"

namespace {

using namespace vidyut;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

struct Options {
  std::size_t meters = 100'000;
  std::size_t rows = 2'000'000;
  std::size_t batch = 20'000;
  std::string dir;  // empty: a new temporary directory, removed at the end unless --keep
  bool keep = false;
  bool sorted = false;
  bool sync_full = true;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "ingest_bench: %s\nusage: ingest_bench [--meters N] [--rows R] [--batch B] "
               "[--dir DIR] [--keep] [--sorted] [--sync-normal]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value");
      return argv[++i];
    };
    auto count = [&]() -> std::size_t {
      const std::string v = value();
      char* end = nullptr;
      const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || n == 0) usage("bad number");
      return static_cast<std::size_t>(n);
    };
    if (a == "--meters") {
      o.meters = count();
    } else if (a == "--rows") {
      o.rows = count();
    } else if (a == "--batch") {
      o.batch = count();
    } else if (a == "--dir") {
      o.dir = value();
    } else if (a == "--keep") {
      o.keep = true;
    } else if (a == "--sorted") {
      o.sorted = true;
    } else if (a == "--sync-normal") {
      o.sync_full = false;
    } else {
      usage("unknown argument");
    }
  }
  if (o.batch > store::kMaxBatch) usage("batch exceeds store::kMaxBatch");
  return o;
}

double seconds_since(Steady::time_point t0) {
  return std::chrono::duration<double>(Steady::now() - t0).count();
}

void die(const char* what, const Error& e) {
  std::fprintf(stderr, "ingest_bench: %s: %s\n", what, e.describe().c_str());
  std::exit(1);
}

std::pair<store::MeterInfo, store::MeterSecrets> make_meter(std::size_t i) {
  store::MeterInfo m;
  char serial[32];
  std::snprintf(serial, sizeof serial, "%08zu", i + 1);
  m.serial = serial;
  m.kind = "single-phase";
  m.manufacturer = "VDY";
  m.system_title = {'V',
                    'D',
                    'Y',
                    0,
                    static_cast<std::uint8_t>(i >> 24),
                    static_cast<std::uint8_t>(i >> 16),
                    static_cast<std::uint8_t>(i >> 8),
                    static_cast<std::uint8_t>(i)};
  m.category = "domestic";
  m.sanctioned_load_w = 3000;
  char buf[48];
  std::snprintf(buf, sizeof buf, "F%04zu", i / 1000);
  m.feeder = buf;
  std::snprintf(buf, sizeof buf, "F%04zu-DT%03zu", i / 1000, (i / 50) % 20);
  m.dt = buf;
  std::snprintf(buf, sizeof buf, "C%09zu", i + 1);
  m.consumer_id = buf;
  m.sim_operator = {"Jio", "Airtel"};
  store::MeterSecrets s;
  s.lls_password = "ABCDEFGHIJKLMNOP";
  for (std::size_t k = 0; k < 16; ++k) {
    s.ek[k] = static_cast<std::uint8_t>(i * 31 + k);
    s.ak[k] = static_cast<std::uint8_t>(i * 17 + k * 3);
  }
  return {std::move(m), std::move(s)};
}

// One 15-minute interval of a household: values vary with meter and period like real load.
store::IntervalReading make_row(std::int64_t meter_id, std::size_t period, UtcTime t0) {
  store::IntervalReading r;
  r.meter_id = meter_id;
  r.start = t0 + Millis(static_cast<std::int64_t>(period) * 900'000);
  r.period_s = 900;
  const auto h = static_cast<std::int64_t>(
      (static_cast<std::uint64_t>(meter_id) * 2654435761u + period * 40503u) % 400u);
  r.import_wh = 20 + h;
  r.import_vah = r.import_wh + r.import_wh / 12;
  r.export_wh = 0;
  r.export_vah = 0;
  r.source = store::IntervalReading::Source::kPush;
  return r;
}

store::MeterComm make_comm(std::int64_t meter_id, std::size_t period, UtcTime t0) {
  store::MeterComm c;
  c.meter_id = meter_id;
  c.push_ic = static_cast<std::uint32_t>(period + 1);
  c.client_ic = 1;
  c.last_contact = t0 + Millis(static_cast<std::int64_t>(period) * 900'000 + 60'000);
  c.active_sim = 1;
  char addr[48];
  std::snprintf(addr, sizeof addr, "127.%d.%d.%d:%d", 10 + static_cast<int>(meter_id % 8),
                static_cast<int>((meter_id / 256) % 256), static_cast<int>(meter_id % 256),
                40000 + static_cast<int>(period % 20000));
  c.peer_address = addr;
  return c;
}

struct PassResult {
  double seconds = 0;
  std::vector<double> batch_rows_per_s;
  std::vector<double> batch_ms;
  std::vector<std::size_t> batch_rows;
  store::PutResult put;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(k, v.size() - 1)];
}

// Writes `rows` rows: period after period, each period's meters in `order`, cut into batches.
PassResult run_pass(store::Store& db, const Options& o, const std::vector<std::int64_t>& ids,
                    UtcTime t0, std::uint32_t seed) {
  PassResult res;
  std::mt19937 rng(seed);
  std::vector<std::size_t> order(ids.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::size_t written = 0;
  std::size_t period = 0;
  std::size_t pos = ids.size();  // position in the current period's order
  const auto start = Steady::now();
  while (written < o.rows) {
    store::WriteBatch b;
    const std::size_t n = std::min(o.batch, o.rows - written);
    b.intervals.reserve(n);
    b.comm.reserve(n);
    while (b.intervals.size() < n) {
      if (pos == ids.size()) {
        if (written + b.intervals.size() > 0) ++period;
        if (!o.sorted) std::shuffle(order.begin(), order.end(), rng);
        pos = 0;
      }
      const std::int64_t id = ids[order[pos++]];
      b.intervals.push_back(make_row(id, period, t0));
      b.comm.push_back(make_comm(id, period, t0));
    }
    const auto bt = Steady::now();
    auto r = db.write(b);
    const double s = seconds_since(bt);
    if (!r.ok()) die("write", r.error());
    res.put.inserted += r->intervals.inserted;
    res.put.duplicates += r->intervals.duplicates;
    res.put.conflicts += r->intervals.conflicts;
    res.batch_ms.push_back(s * 1000);
    res.batch_rows_per_s.push_back(static_cast<double>(n) / s);
    res.batch_rows.push_back(n);
    written += n;
  }
  res.seconds = seconds_since(start);
  return res;
}

void print_pass(const char* name, const PassResult& p, std::size_t rows) {
  std::printf(
      "%s: %zu rows in %zu batches, %.1f s: %.0f rows/s overall; per batch rows/s min %.0f "
      "median %.0f max %.0f; batch commit ms median %.1f p95 %.1f max %.1f; inserted %zu "
      "duplicates %zu conflicts %zu\n",
      name, rows, p.batch_ms.size(), p.seconds, static_cast<double>(rows) / p.seconds,
      *std::min_element(p.batch_rows_per_s.begin(), p.batch_rows_per_s.end()),
      median(p.batch_rows_per_s),
      *std::max_element(p.batch_rows_per_s.begin(), p.batch_rows_per_s.end()), median(p.batch_ms),
      percentile(p.batch_ms, 0.95), *std::max_element(p.batch_ms.begin(), p.batch_ms.end()),
      p.put.inserted, p.put.duplicates, p.put.conflicts);
  // Throughput along the run: one figure per tenth, to show whether it holds as the table grows.
  const std::size_t k = p.batch_ms.size();
  if (k >= 10) {
    std::printf("%s: rows/s by tenth of the run:", name);
    for (std::size_t t = 0; t < 10; ++t) {
      double ms = 0;
      std::size_t r = 0;
      for (std::size_t i = k * t / 10; i < k * (t + 1) / 10; ++i) {
        ms += p.batch_ms[i];
        r += p.batch_rows[i];
      }
      std::printf(" %.0f", static_cast<double>(r) / (ms / 1000));
    }
    std::printf("\n");
  }
}

std::uintmax_t files_size(const fs::path& dir) {
  std::uintmax_t total = 0;
  for (const char* f : {"vidyut.db", "vidyut.db-wal", "vidyut.db-shm"}) {
    std::error_code ec;
    const auto s = fs::file_size(dir / f, ec);
    if (!ec) total += s;
  }
  return total;
}

// Bytes of each table and index (SQLite's dbstat), read after the store is closed.
void print_table_sizes(const fs::path& db_path, std::size_t rows) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "ingest_bench: cannot open %s for dbstat\n", db_path.c_str());
    sqlite3_close(db);
    return;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT name, SUM(pgsize), COUNT(*) FROM dbstat GROUP BY name ORDER BY "
                         "SUM(pgsize) DESC",
                         -1, &st, nullptr) == SQLITE_OK) {
    std::printf("data file by table/index (dbstat):");
    double interval_bytes = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
      const auto bytes = static_cast<double>(sqlite3_column_int64(st, 1));
      const std::string name = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      if (name == "intervals" || name == "intervals_by_start") interval_bytes += bytes;
      if (bytes >= 65536) std::printf(" %s %.1f MB;", name.c_str(), bytes / 1e6);
    }
    std::printf(
        "\ninterval rows: %.1f bytes per row (table intervals + index intervals_by_start)\n",
        interval_bytes / static_cast<double>(rows));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  fs::path dir;
  if (o.dir.empty()) {
    char tmpl[] = "/var/tmp/ingest_bench.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = tmpl;
  } else {
    dir = o.dir;
  }
  const fs::path data = dir / "data";
  store::SqliteOptions so;
  so.master_key = std::array<std::uint8_t, 32>{};
  for (std::size_t i = 0; i < 32; ++i) (*so.master_key)[i] = static_cast<std::uint8_t>(i * 7 + 1);
  so.synchronous_full = o.sync_full;
  const UtcTime t0 = *parse_iso8601("2026-12-01T00:00:00Z");
  ManualClock clock(t0);

  std::printf(
      "ingest_bench: %zu meters, %zu rows, batches of %zu rows + their meters' comm "
      "rows, %s order, synchronous=%s, data in %s\n",
      o.meters, o.rows, o.batch, o.sorted ? "meter-id" : "arrival (shuffled)",
      o.sync_full ? "FULL" : "NORMAL", data.c_str());

  std::vector<std::int64_t> ids;
  std::uintmax_t registry_bytes = 0;
  {
    auto db = store::open_sqlite_store(data.string(), clock, so);
    if (!db.ok()) die("open", db.error());
    std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> meters;
    meters.reserve(o.meters);
    for (std::size_t i = 0; i < o.meters; ++i) meters.push_back(make_meter(i));
    const auto t = Steady::now();
    auto imp = (*db)->upsert_meters(meters);
    if (!imp.ok()) die("upsert_meters", imp.error());
    std::printf("registry: %zu meters inserted in %.2f s (one transaction, secrets encrypted)\n",
                imp->inserted, seconds_since(t));
    for (std::size_t off = 0; off < o.meters; off += store::kMaxPage) {
      auto page = (*db)->meters(off, store::kMaxPage);
      if (!page.ok()) die("meters", page.error());
      for (const auto& m : *page) ids.push_back(m.id);
    }
  }  // closed: the WAL is checkpointed into the database file
  registry_bytes = files_size(data);
  if (ids.size() != o.meters) {
    std::fprintf(stderr, "ingest_bench: registry holds %zu meters, expected %zu\n", ids.size(),
                 o.meters);
    return 1;
  }

  PassResult first, second;
  std::uintmax_t peak_open_bytes = 0;
  {
    auto db = store::open_sqlite_store(data.string(), clock, so);
    if (!db.ok()) die("open", db.error());
    first = run_pass(**db, o, ids, t0, 1);
    print_pass("pass 1 (new rows)", first, o.rows);
    peak_open_bytes = files_size(data);
    second = run_pass(**db, o, ids, t0, 1);  // the same seed: the same batches again
    print_pass("pass 2 (all duplicates)", second, o.rows);
  }
  const std::uintmax_t bytes = files_size(data);
  std::printf(
      "data file: %.1f MB after registry, %.1f MB with the rows (db + WAL while open after "
      "pass 1: %.1f MB): %.1f bytes per interval row (whole file growth: rows, their index and "
      "%zu comm rows)\n",
      static_cast<double>(registry_bytes) / 1e6, static_cast<double>(bytes) / 1e6,
      static_cast<double>(peak_open_bytes) / 1e6,
      static_cast<double>(bytes - registry_bytes) / static_cast<double>(o.rows), o.meters);
  print_table_sizes(data / store::kDatabaseFile, o.rows);
  const bool ok = first.put.inserted == o.rows && second.put.duplicates == o.rows &&
                  second.put.inserted == 0 && first.put.conflicts + second.put.conflicts == 0;
  if (!ok) std::printf("UNEXPECTED: counts do not match the rows written\n");
  if (!o.keep && o.dir.empty()) fs::remove_all(dir);
  return ok ? 0 : 1;
}
