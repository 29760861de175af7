// Ingestion into the PostgreSQL store against PostgreSQL's own limit, on the same rows in the
// same run (issue 14): for each day of a fleet's 15-minute readings,
//   1. Vidyut: Store::put_intervals per batch (COPY into the session's staging table, one
//      INSERT ... ON CONFLICT DO NOTHING into the day-partitioned intervals table, conflict
//      detection; one transaction per batch);
//   2. the physical limit: the same batches by plain COPY into one keyed (PRIMARY KEY (meter_id,
//      start_ms)), unpartitioned table, one transaction per batch;
// each day wholly through the store, then the same batches by COPY; prints rows/s per day for
// both, so that the rate on a later day can be set against day 1.
// At the end, the last day's first batches are written again through Vidyut: every row is then
// a duplicate (idempotent re-ingest).
//
// Rows arrive as push waves do: for each period every meter sends one row, in a shuffled order
// (fixed seed), cut into batches. The server is a throwaway cluster (pg_test_cluster.h) with the
// durable defaults (fsync, synchronous_commit on) unless --url names another server.
//
// Run: build/release/bench/pg_ingest_bench [--meters N] [--days D] [--batch B]
//          [--shared-buffers SIZE] [--pg-setting NAME=VALUE]... [--url URL] [--no-copy]
// (--no-copy: the store alone, without the COPY comparison.)
// Results and machine: bench/RESULTS.md.
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "store/open_store.h"
#include "store/pg_test_cluster.h"
#include "store/store.h"

namespace {

using namespace vidyut;
using Steady = std::chrono::steady_clock;

struct Options {
  std::size_t meters = 100'000;
  std::size_t days = 3;
  std::size_t batch = 20'000;
  std::size_t dup_batches = 20;
  std::string shared_buffers = "1GB";
  std::vector<std::string> settings;  // more server settings, name=value
  std::string url;                    // empty: a throwaway cluster
  bool copy = true;                   // false: Vidyut alone
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "pg_ingest_bench: %s\nusage: pg_ingest_bench [--meters N] [--days D] [--batch B] "
               "[--shared-buffers SIZE] [--pg-setting NAME=VALUE]... [--url URL] [--no-copy]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage("missing value");
      return argv[++i];
    };
    if (a == "--meters") {
      o.meters = std::strtoull(value(), nullptr, 10);
    } else if (a == "--days") {
      o.days = std::strtoull(value(), nullptr, 10);
    } else if (a == "--batch") {
      o.batch = std::strtoull(value(), nullptr, 10);
    } else if (a == "--shared-buffers") {
      o.shared_buffers = value();
    } else if (a == "--pg-setting") {
      o.settings.push_back(value());
    } else if (a == "--url") {
      o.url = value();
    } else if (a == "--no-copy") {
      o.copy = false;
    } else {
      usage("unknown argument");
    }
  }
  if (o.meters == 0 || o.days == 0 || o.batch == 0 || o.batch > store::kMaxBatch) {
    usage("meters, days and batch must be positive, batch at most 100000");
  }
  return o;
}

[[noreturn]] void die(const char* what, const std::string& why) {
  std::fprintf(stderr, "pg_ingest_bench: %s: %s\n", what, why.c_str());
  std::exit(1);
}

double seconds_since(Steady::time_point t0) {
  return std::chrono::duration<double>(Steady::now() - t0).count();
}

// The plain keyed table and its COPY, through libpq directly.
class PlainCopy {
 public:
  explicit PlainCopy(const std::string& url) : c_(PQconnectdb(url.c_str())) {
    if (PQstatus(c_) != CONNECTION_OK) die("connect", PQerrorMessage(c_));
    exec(
        "CREATE TABLE copy_limit (meter_id BIGINT NOT NULL, start_ms BIGINT NOT NULL, "
        "period_s INTEGER NOT NULL, import_wh BIGINT NOT NULL, import_vah BIGINT NOT NULL, "
        "export_wh BIGINT NOT NULL, export_vah BIGINT NOT NULL, source SMALLINT NOT NULL, "
        "PRIMARY KEY (meter_id, start_ms))");
  }
  ~PlainCopy() { PQfinish(c_); }

  void write(const std::vector<store::IntervalReading>& rows) {
    std::string data;
    data.reserve(rows.size() * 64);
    for (const auto& r : rows) {
      for (const std::int64_t v :
           {r.meter_id, r.start.time_since_epoch().count(), std::int64_t{r.period_s}, r.import_wh,
            r.import_vah, r.export_wh, r.export_vah, static_cast<std::int64_t>(r.source)}) {
        data += std::to_string(v);
        data += '\t';
      }
      data.back() = '\n';
    }
    exec("BEGIN");
    PGresult* r = PQexec(c_, "COPY copy_limit FROM STDIN");
    if (PQresultStatus(r) != PGRES_COPY_IN) die("copy", PQresultErrorMessage(r));
    PQclear(r);
    if (PQputCopyData(c_, data.data(), static_cast<int>(data.size())) != 1 ||
        PQputCopyEnd(c_, nullptr) != 1) {
      die("copy", PQerrorMessage(c_));
    }
    while (PGresult* x = PQgetResult(c_)) {
      if (PQresultStatus(x) != PGRES_COMMAND_OK) die("copy", PQresultErrorMessage(x));
      PQclear(x);
    }
    exec("COMMIT");
  }

  std::string text(const char* sql) {
    PGresult* r = PQexec(c_, sql);
    std::string v =
        PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    return v;
  }

 private:
  void exec(const char* sql) {
    PGresult* r = PQexec(c_, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) die(sql, PQresultErrorMessage(r));
    PQclear(r);
  }
  PGconn* c_;
};

std::pair<store::MeterInfo, store::MeterSecrets> meter(std::size_t i) {
  store::MeterInfo m;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08zu", i + 1);
  m.serial = buf;
  m.kind = "single-phase";
  m.manufacturer = "VDY";
  for (int k = 0; k < 8; ++k)
    m.system_title[k] = static_cast<std::uint8_t>((i + 1) >> (8 * (7 - k)));
  m.category = "domestic";
  m.sanctioned_load_w = 2000;
  std::snprintf(buf, sizeof buf, "F%04zu", i / 1000);
  m.feeder = buf;
  std::snprintf(buf, sizeof buf, "F%04zu-DT%03zu", i / 1000, (i / 50) % 20);
  m.dt = buf;
  std::snprintf(buf, sizeof buf, "C%09zu", i + 1);
  m.consumer_id = buf;
  m.sim_operator = {"JIO", "AIRTEL"};
  store::MeterSecrets s;
  s.lls_password = "Pw" + std::to_string(i) + "!";
  for (int k = 0; k < 16; ++k) {
    s.ek[k] = static_cast<std::uint8_t>(i + k);
    s.ak[k] = static_cast<std::uint8_t>(i * 3 + k);
  }
  return {m, s};
}

struct DayFigures {
  double vidyut_s = 0, copy_s = 0;
  double rows = 0;
  double vidyut_min_batch = 1e18, vidyut_max_batch = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::unique_ptr<store::testing::PgTestCluster> cluster;
  std::string url = o.url;
  if (url.empty()) {
    store::testing::PgTestCluster::Options co;
    co.durable = true;
    co.shared_buffers = o.shared_buffers;
    co.settings = o.settings;
    auto c = store::testing::PgTestCluster::start(co);
    if (!c.ok()) die("cluster", c.error().describe());
    cluster = std::move(*c);
    auto db = cluster->create_database("bench");
    if (!db.ok()) die("create database", db.error().describe());
    url = *db;
  }
  std::printf(
      "pg_ingest_bench: %zu meters x %zu days x 96 periods, batches of %zu rows, "
      "%s (fsync and synchronous_commit on, shared_buffers %s)\n",
      o.meters, o.days, o.batch, o.url.empty() ? "throwaway cluster" : "given server",
      o.shared_buffers.c_str());

  const UtcTime t0 = UtcTime(std::chrono::sys_days(std::chrono::year{2026} / 11 / 23));
  ManualClock clock(t0);
  store::StoreOptions so;
  so.master_key = std::array<std::uint8_t, 32>{};
  so.master_key->fill(0x5A);
  auto opened = store::open_store(url, clock, so);
  if (!opened.ok()) die("open store", opened.error().describe());
  store::Store& st = **opened;

  {
    const auto r0 = Steady::now();
    std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> ms;
    ms.reserve(o.meters);
    for (std::size_t i = 0; i < o.meters; ++i) ms.push_back(meter(i));
    auto up = st.upsert_meters(ms);
    if (!up.ok()) die("registry", up.error().describe());
    std::printf("registry: %zu meters inserted in %.1f s (one transaction, secrets encrypted)\n",
                up->inserted, seconds_since(r0));
  }
  std::vector<std::int64_t> ids;
  for (std::size_t off = 0; off < o.meters; off += store::kMaxPage) {
    auto page = st.meters(off, store::kMaxPage);
    if (!page.ok()) die("meters", page.error().describe());
    for (const auto& m : *page) ids.push_back(m.id);
  }

  PlainCopy plain(url);  // its table is made even with --no-copy (and stays empty)
  std::vector<std::size_t> order(ids.size());
  std::iota(order.begin(), order.end(), 0);

  std::vector<DayFigures> days(o.days);
  std::vector<std::vector<store::IntervalReading>> last_day_batches;
  // The day's batches, the same each time they are made: the arrival order of a period is a
  // shuffle seeded by the day and period.
  auto for_each_batch = [&](std::size_t d, auto&& fn) {
    for (int period = 0; period < 96; ++period) {
      std::mt19937_64 rng(14 + d * 96 + static_cast<std::size_t>(period));
      std::shuffle(order.begin(), order.end(), rng);
      const UtcTime start =
          t0 + std::chrono::hours(24) * static_cast<int>(d) + std::chrono::minutes(15) * period;
      for (std::size_t at = 0; at < order.size(); at += o.batch) {
        std::vector<store::IntervalReading> rows;
        const std::size_t n = std::min(o.batch, order.size() - at);
        rows.reserve(n);
        for (std::size_t k = 0; k < n; ++k) {
          const std::size_t m = order[at + k];
          store::IntervalReading r;
          r.meter_id = ids[m];
          r.start = start;
          r.period_s = 900;
          r.import_wh = static_cast<std::int64_t>((m * 7 + static_cast<std::size_t>(period)) % 400);
          r.import_vah = r.import_wh + 12;
          rows.push_back(r);
        }
        fn(rows);
      }
    }
  };
  for (std::size_t d = 0; d < o.days; ++d) {
    DayFigures& f = days[d];
    // Vidyut's store over the whole day, then plain COPY over the same batches.
    for_each_batch(d, [&](std::vector<store::IntervalReading>& rows) {
      const auto b0 = Steady::now();
      auto put = st.put_intervals(rows);
      const double bs = seconds_since(b0);
      if (!put.ok()) die("put_intervals", put.error().describe());
      if (put->inserted != rows.size()) die("put_intervals", "not every row was new");
      const double n = static_cast<double>(rows.size());
      f.vidyut_s += bs;
      f.vidyut_min_batch = std::min(f.vidyut_min_batch, n / bs);
      f.vidyut_max_batch = std::max(f.vidyut_max_batch, n / bs);
      f.rows += n;
      if (d + 1 == o.days && last_day_batches.size() < o.dup_batches) {
        last_day_batches.push_back(rows);
      }
    });
    if (o.copy) {
      for_each_batch(d, [&](std::vector<store::IntervalReading>& rows) {
        const auto c0 = Steady::now();
        plain.write(rows);
        f.copy_s += seconds_since(c0);
      });
    }
    std::printf(
        "day %zu: %.0f rows; Vidyut put_intervals %.0f rows/s (%.1f s; per batch %.0f to %.0f)",
        d + 1, f.rows, f.rows / f.vidyut_s, f.vidyut_s, f.vidyut_min_batch, f.vidyut_max_batch);
    if (o.copy) {
      std::printf("; plain COPY into a keyed table %.0f rows/s (%.1f s); Vidyut/COPY %.2f",
                  f.rows / f.copy_s, f.copy_s, f.copy_s / f.vidyut_s);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  const DayFigures& first = days.front();
  const DayFigures& last = days.back();
  std::printf("day %zu against day 1: Vidyut %.0f -> %.0f rows/s (%.0f %%)", o.days,
              first.rows / first.vidyut_s, last.rows / last.vidyut_s,
              100.0 * (last.rows / last.vidyut_s) / (first.rows / first.vidyut_s));
  if (o.copy) {
    std::printf(", plain COPY %.0f -> %.0f rows/s (%.0f %%)", first.rows / first.copy_s,
                last.rows / last.copy_s,
                100.0 * (last.rows / last.copy_s) / (first.rows / first.copy_s));
  }
  std::printf("\n");

  std::size_t dup_rows = 0, dups = 0;
  const auto d0 = Steady::now();
  for (const auto& rows : last_day_batches) {
    auto put = st.put_intervals(rows);
    if (!put.ok()) die("put_intervals again", put.error().describe());
    dup_rows += rows.size();
    dups += put->duplicates;
  }
  const double dup_s = seconds_since(d0);
  std::printf("again (last day's first %zu batches): %zu rows, %zu duplicates, %.0f rows/s\n",
              last_day_batches.size(), dup_rows, dups, static_cast<double>(dup_rows) / dup_s);
  std::printf("sizes: intervals (partitions and indexes) %s, copy_limit %s\n",
              plain
                  .text("SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM "
                        "pg_inherits WHERE inhparent = 'intervals'::regclass")
                  .c_str(),
              plain.text("SELECT pg_size_pretty(pg_total_relation_size('copy_limit'))").c_str());
  auto total = st.count_intervals(t0, t0 + std::chrono::hours(24) * static_cast<int>(o.days));
  std::printf("stored: %llu interval rows\n",
              static_cast<unsigned long long>(total.ok() ? *total : 0));
  return 0;
}
