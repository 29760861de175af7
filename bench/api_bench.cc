// The portal's consumption API under load: a consumer's day and month of 15-minute data from the
// real HTTP server (Boost.Beast, the platform routes, a consumer session cookie each), over a
// store of N consumer meters with D days of intervals each, for U concurrent users on loopback.
//
// 1. Data (skipped with --reuse DIR): the registry through the store's API, then the intervals
//    written straight into the store's SQLite file in meter order, with the start-time index
//    built after the load (the file is then exactly what the head end would have written, minus
//    the hours it takes to push it; loading is not what is measured here). Billing accounts
//    (postpaid, recording only) for every consumer.
// 2. Sessions: one consumer session per user, through the sign-in code flow of the access book.
// 3. Load: U users, each a thread with its own keep-alive connection, in a closed loop: a day of
//    15-minute data (96 points) or, one request in four, a month of it (30 days, 2,880 points),
//    then a think time (--think-ms). Latency is from writing the request to reading the whole
//    answer. The server runs with its normal 2 threads; its connection caps are raised to U
//    (serve's defaults, 256 connections and 32 per address, would refuse 1,000 users from one
//    loopback address).
// 4. The peer, in the same run on the same file: the store's own read of the same meter's rows
//    (`intervals(meter, from, to)`), single-threaded and without HTTP, JSON or sessions.
//
// Run: build/release/bench/api_bench [--consumers N] [--days D] [--users U] [--seconds S]
//                                    [--think-ms T] [--dir DIR] [--reuse] [--keep] [--exports]
// 5. With --exports: the day's readings of every meter as IEC 61968-9 MeterReadings (XML) and,
//    the peer, as the CSV export of the same day, each streamed whole to one operator.
// Results and machine: bench/RESULTS.md.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "access/book.h"
#include "api/platform_api.h"
#include "billing/engine.h"
#include "billing/ledger.h"
#include "core/clock.h"
#include "http/router.h"
#include "http/server.h"
#include "store/sqlite_store.h"
#include "tariff/calendar.h"
#include "tariff/tariff_file.h"

namespace {

using namespace vidyut;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

struct Options {
  std::size_t consumers = 100'000;
  int days = 30;
  std::size_t users = 1'000;
  double seconds = 60;
  int think_ms = 1'000;
  std::string dir;
  bool reuse = false;
  bool keep = false;
  bool exports = false;  // also stream a day's CSV export and CIM MeterReadings of every meter
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "api_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T must(Result<T> r, const char* what) {
  if (!r.ok()) die(std::string(what) + ": " + r.error().describe());
  return std::move(*r);
}
void must(const Status& s, const char* what) {
  if (!s.ok()) die(std::string(what) + ": " + s.error().describe());
}

std::string consumer_id(std::size_t i) {
  char b[32];
  std::snprintf(b, sizeof b, "C%07zu", i);
  return b;
}

double since(Steady::time_point t0) {
  return std::chrono::duration<double>(Steady::now() - t0).count();
}

// The registry (through the store) and the intervals (straight into its file).
void build_data(const Options& o, const Clock& clock, UtcTime first_day) {
  const auto t0 = Steady::now();
  {
    store::SqliteOptions so;
    so.master_key = std::array<std::uint8_t, 32>{7};
    auto st = must(store::open_sqlite_store(o.dir, clock, so), "open store");
    std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> rows;
    for (std::size_t i = 0; i < o.consumers; ++i) {
      store::MeterInfo m;
      m.serial = "B" + std::to_string(10'000'000 + i);
      m.kind = "single-phase";
      m.manufacturer = "VDY";
      m.system_title = {'V',
                        'D',
                        'Y',
                        static_cast<std::uint8_t>(i >> 24),
                        static_cast<std::uint8_t>(i >> 16),
                        static_cast<std::uint8_t>(i >> 8),
                        static_cast<std::uint8_t>(i),
                        1};
      m.category = "domestic";
      m.sanctioned_load_w = 2'000;
      m.feeder = "F" + std::to_string(i / 1'000);
      m.dt = m.feeder + "-T" + std::to_string(i / 50);
      m.consumer_id = consumer_id(i);
      store::MeterSecrets s;
      s.lls_password = "pw";
      s.ak = {1};
      s.ek = {2};
      rows.emplace_back(std::move(m), std::move(s));
      if (rows.size() == 10'000 || i + 1 == o.consumers) {
        must(st->upsert_meters(rows), "registry");
        rows.clear();
      }
    }
  }
  std::printf("registry of %zu meters: %.1f s\n", o.consumers, since(t0));
  const auto t1 = Steady::now();
  sqlite3* db = nullptr;
  if (sqlite3_open((fs::path(o.dir) / "vidyut.db").c_str(), &db) != SQLITE_OK) die("sqlite open");
  auto exec = [&](const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      die(std::string(sql) + ": " + (err ? err : "?"));
    }
  };
  exec("PRAGMA synchronous=OFF");
  exec("PRAGMA cache_size=-1000000");
  exec("DROP INDEX IF EXISTS intervals_by_start");
  sqlite3_stmt* ids = nullptr;
  sqlite3_prepare_v2(db, "SELECT id FROM meters ORDER BY id", -1, &ids, nullptr);
  std::vector<std::int64_t> meter_ids;
  while (sqlite3_step(ids) == SQLITE_ROW) meter_ids.push_back(sqlite3_column_int64(ids, 0));
  sqlite3_finalize(ids);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO intervals (meter_id, start_ms, period_s, import_wh, import_vah, "
                     "export_wh, export_vah, source) VALUES (?, ?, 900, ?, ?, 0, 0, 0)",
                     -1, &ins, nullptr);
  const std::int64_t start_ms = first_day.time_since_epoch().count();
  const std::int64_t slots = std::int64_t{o.days} * 96;
  std::uint64_t n = 0;
  exec("BEGIN");
  for (std::size_t m = 0; m < meter_ids.size(); ++m) {
    std::uint64_t h = 0x9E3779B97F4A7C15ULL * (m + 1);
    for (std::int64_t s = 0; s < slots; ++s) {
      h ^= h << 13;
      h ^= h >> 7;
      h ^= h << 17;
      const std::int64_t wh = 20 + static_cast<std::int64_t>(h % 180);
      sqlite3_bind_int64(ins, 1, meter_ids[m]);
      sqlite3_bind_int64(ins, 2, start_ms + s * 900'000);
      sqlite3_bind_int64(ins, 3, wh);
      sqlite3_bind_int64(ins, 4, wh + wh / 10);
      if (sqlite3_step(ins) != SQLITE_DONE) die(sqlite3_errmsg(db));
      sqlite3_reset(ins);
      ++n;
    }
    if (m % 2'000 == 1'999) {
      exec("COMMIT");
      exec("BEGIN");
      std::printf("  %zu meters, %.0f rows/s\n", m + 1, static_cast<double>(n) / since(t1));
      std::fflush(stdout);
    }
  }
  exec("COMMIT");
  sqlite3_finalize(ins);
  std::printf("intervals: %llu rows in %.1f s (%.0f rows/s)\n", static_cast<unsigned long long>(n),
              since(t1), static_cast<double>(n) / since(t1));
  const auto t2 = Steady::now();
  exec("CREATE INDEX intervals_by_start ON intervals (start_ms)");
  std::printf("start-time index: %.1f s\n", since(t2));
  exec("PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_close(db);
}

struct Sample {
  double ms;
  bool month;
};

// One user: a keep-alive connection, requests in a closed loop until `stop`.
void user_loop(int port, const std::string& cookie, const std::string& day_target,
               const std::string& month_target, int think_ms, std::uint32_t seed,
               const std::atomic<bool>& stop, std::vector<Sample>& out,
               std::atomic<std::uint64_t>& errors, std::string& error) {
  std::mt19937 rng(seed);
  int fd = -1;
  auto connect_once = [&]() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  };
  // Users arrive over the first seconds, not all in the same millisecond.
  std::this_thread::sleep_for(std::chrono::milliseconds(rng() % std::max(1, think_ms)));
  if (!connect_once()) {
    ++errors;
    error = std::string("connect: ") + std::strerror(errno);
    return;
  }
  std::string buf;
  buf.reserve(1 << 20);
  char chunk[65536];
  while (!stop.load()) {
    const bool month = rng() % 4 == 0;
    const std::string req = "GET " + (month ? month_target : day_target) +
                            " HTTP/1.1\r\nHost: bench\r\nCookie: vidyut_session=" + cookie +
                            "\r\n\r\n";
    const auto t0 = Steady::now();
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
      ++errors;
      error = std::string("send: ") + std::strerror(errno);
      break;
    }
    buf.clear();
    std::size_t need = std::string::npos;
    bool ok200 = false;
    while (true) {
      const ssize_t k = ::recv(fd, chunk, sizeof chunk, 0);
      if (k <= 0) {
        error = k == 0 ? std::string("closed by the server")
                       : std::string("recv: ") + std::strerror(errno);
        break;
      }
      buf.append(chunk, static_cast<std::size_t>(k));
      if (need == std::string::npos) {
        const auto head_end = buf.find("\r\n\r\n");
        if (head_end == std::string::npos) continue;
        ok200 = buf.compare(0, 12, "HTTP/1.1 200") == 0;
        auto cl = buf.find("Content-Length: ");
        if (cl == std::string::npos || cl > head_end) cl = buf.find("content-length: ");
        if (cl == std::string::npos || cl > head_end) break;
        need = head_end + 4 + std::strtoull(buf.c_str() + cl + 16, nullptr, 10);
      }
      if (buf.size() >= need) break;
    }
    if (need == std::string::npos || buf.size() < need || !ok200) {
      ++errors;
      if (error.empty()) error = "answer: " + buf.substr(0, std::min<std::size_t>(buf.size(), 200));
      break;
    }
    out.push_back({std::chrono::duration<double, std::milli>(Steady::now() - t0).count(), month});
    if (think_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(think_ms / 2 + rng() % think_ms));
    }
  }
  ::close(fd);
}

// One whole streamed answer (the body ends when the server closes): seconds and bytes of body.
struct Fetched {
  double seconds = 0;
  std::size_t bytes = 0;
  bool ok = false;
};
Fetched fetch_all(int port, const std::string& cookie, const std::string& target) {
  Fetched f;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const auto t0 = Steady::now();
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return f;
  const std::string req =
      "GET " + target + " HTTP/1.1\r\nHost: bench\r\nCookie: vidyut_session=" + cookie + "\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return f;
  }
  std::string head;
  char chunk[65536];
  std::size_t total = 0;
  while (true) {
    const ssize_t k = ::recv(fd, chunk, sizeof chunk, 0);
    if (k <= 0) break;
    if (head.size() < 16) head.append(chunk, static_cast<std::size_t>(std::min<ssize_t>(k, 16)));
    total += static_cast<std::size_t>(k);
  }
  ::close(fd);
  f.seconds = std::chrono::duration<double>(Steady::now() - t0).count();
  f.bytes = total;
  f.ok = head.compare(0, 12, "HTTP/1.1 200") == 0;
  return f;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--consumers")
      o.consumers = std::stoull(next());
    else if (a == "--days")
      o.days = std::stoi(next());
    else if (a == "--users")
      o.users = std::stoull(next());
    else if (a == "--seconds")
      o.seconds = std::stod(next());
    else if (a == "--think-ms")
      o.think_ms = std::stoi(next());
    else if (a == "--dir")
      o.dir = next();
    else if (a == "--reuse")
      o.reuse = true;
    else if (a == "--keep")
      o.keep = true;
    else if (a == "--exports")
      o.exports = true;
    else
      die("unknown option " + a);
  }
  if (o.consumers == 0 || o.days < 1 || o.days > 60 || o.users == 0) die("bad options");
  if (o.dir.empty()) o.dir = (fs::temp_directory_path() / "vidyut-api-bench").string();
  rlimit nofile{};
  ::getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &nofile);

  // The data's days end yesterday (IST); the clock stands at 10:00 IST today.
  const tariff::CivilDate today{2026, 12, 7};
  ManualClock clock(tariff::ist_midnight(today) + std::chrono::hours(10));
  const tariff::CivilDate first = tariff::add_days(today, -o.days);
  if (!o.reuse) {
    fs::remove_all(o.dir);
    build_data(o, clock, tariff::ist_midnight(first));
  }
  const auto t_open = Steady::now();
  store::SqliteOptions so;
  so.master_key = std::array<std::uint8_t, 32>{7};
  auto st = must(store::open_sqlite_store(o.dir, clock, so), "open store");
  auto db = must(billing::BillingDb::open(o.dir), "billing db");
  billing::EngineOptions eo;
  eo.decide = false;
  auto engine = std::make_unique<billing::Engine>(*db, *st, clock, tariff::builtin_tariffs(), eo,
                                                  nullptr, nullptr);
  must(engine->start(), "billing start");
  std::printf("store and billing open (%zu accounts): %.1f s\n", o.consumers, since(t_open));
  // Sessions of earlier runs are of no use, and their codes count against the sign-in throttle
  // (the bench's clock stands at the same instant every run).
  for (const char* f : {"access.db", "access.db-wal", "access.db-shm"})
    fs::remove(fs::path(o.dir) / f);
  auto book = must(access::AccessBook::open(o.dir, clock, st.get()), "access book");

  api::Platform p;
  p.store = st.get();
  p.access = book.get();
  p.clock = &clock;
  p.billing_db = db.get();
  p.engine = engine.get();
  http::Router router;
  api::add_platform_routes(router, p);
  http::ServerOptions hs;
  hs.max_connections = o.users + 16;
  hs.max_connections_per_address = o.users + 16;
  auto server =
      must(http::Server::start(hs, [&](const http::Request& r) { return router.dispatch(r); }),
           "http server");

  // Sessions: each user a consumer, spread over the registry, signed in by code.
  std::vector<std::string> cookies(o.users);
  std::vector<std::string> users(o.users);
  for (std::size_t u = 0; u < o.users; ++u) {
    users[u] = consumer_id(u * (o.consumers / o.users));
    const std::string address = "10.0." + std::to_string(u / 250) + "." + std::to_string(u % 250);
    auto code = must(book->issue_code(users[u], address), "code");
    cookies[u] = must(book->redeem_code(users[u], code, address), "sign-in").token;
  }
  const std::string day = tariff::to_string(tariff::add_days(today, -1));
  const std::string day_target = "/api/v1/portal/usage?resolution=15m&from=" + day + "&to=" + day;
  const std::string month_target =
      "/api/v1/portal/usage?resolution=15m&from=" + tariff::to_string(first) + "&to=" + day;

  // The peer: the store's own read of the same rows, one thread, no HTTP.
  {
    std::vector<double> d, m;
    for (std::size_t k = 0; k < 2'000; ++k) {
      const std::size_t i = (k * 7919) % o.consumers;
      auto found = must(st->meter_by_serial("B" + std::to_string(10'000'000 + i)), "meter");
      if (!found) die("a meter of the registry is missing");
      const store::MeterInfo* meter = &*found;
      const UtcTime day_from = tariff::ist_midnight(tariff::add_days(today, -1));
      auto t0 = Steady::now();
      auto rows =
          must(st->intervals(meter->id, day_from, day_from + std::chrono::days(1)), "day rows");
      d.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
      t0 = Steady::now();
      auto mrows =
          must(st->intervals(meter->id, tariff::ist_midnight(first), tariff::ist_midnight(today)),
               "month rows");
      m.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
      if (rows.size() != 96 || mrows.size() != static_cast<std::size_t>(o.days) * 96) {
        die("the store does not hold the rows it should");
      }
    }
    std::printf(
        "peer, the store's read alone (2,000 meters, one thread): day median %.3f ms p99 "
        "%.3f ms; %d days median %.3f ms p99 %.3f ms\n",
        percentile(d, 0.5), percentile(d, 0.99), o.days, percentile(m, 0.5), percentile(m, 0.99));
  }

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> errors{0};
  std::vector<std::vector<Sample>> samples(o.users);
  std::vector<std::string> user_errors(o.users);
  std::vector<std::thread> threads;
  rusage before{};
  ::getrusage(RUSAGE_SELF, &before);
  const auto t_load = Steady::now();
  for (std::size_t u = 0; u < o.users; ++u) {
    threads.emplace_back(user_loop, static_cast<int>(server->port()), cookies[u], day_target,
                         month_target, o.think_ms, static_cast<std::uint32_t>(u + 1),
                         std::cref(stop), std::ref(samples[u]), std::ref(errors),
                         std::ref(user_errors[u]));
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double wall = since(t_load);
  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  auto cpu = [](const rusage& r) {
    return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
  };
  std::vector<double> d, m;
  for (const auto& v : samples) {
    for (const auto& s : v) (s.month ? m : d).push_back(s.ms);
  }
  std::printf(
      "%zu consumers x %d days (%zu intervals), %zu users, think %d ms, %.0f s: %zu requests "
      "(%.0f/s), %llu errors; CPU of the process (server and users) %.1f s\n",
      o.consumers, o.days, o.consumers * static_cast<std::size_t>(o.days) * 96, o.users, o.think_ms,
      wall, d.size() + m.size(), static_cast<double>(d.size() + m.size()) / wall,
      static_cast<unsigned long long>(errors.load()), cpu(after) - cpu(before));
  for (const auto& e : user_errors) {
    if (!e.empty()) {
      std::printf("  first error: %s\n", e.c_str());
      break;
    }
  }
  std::printf("  a day of 15-minute data (96 points): %zu requests, median %.2f ms, p99 %.2f ms\n",
              d.size(), percentile(d, 0.5), percentile(d, 0.99));
  std::printf(
      "  %d days of 15-minute data (%d points): %zu requests, median %.2f ms, p99 %.2f ms\n",
      o.days, o.days * 96, m.size(), percentile(m, 0.5), percentile(m, 0.99));

  // The day's readings of every meter for the utility's other systems: IEC 61968-9
  // MeterReadings (XML, validated data with qualities) against the CSV export of the same day
  // (the store's rows as they are), each streamed whole over HTTP to one operator.
  if (o.exports) {
    auto added =
        book->add_operator("bench", "bench-password-2026", *access::parse_roles("viewer"), "bench");
    if (!added.ok()) die("operator: " + added.error().describe());
    const std::string op =
        must(book->sign_in("bench", "bench-password-2026", "10.9.9.9"), "operator sign-in").token;
    for (const auto& [name, target] :
         {std::pair<const char*, std::string>{"CSV export (readings.csv)",
                                              "/api/v1/exports/readings.csv?day=" + day},
          {"CIM MeterReadings (XML)", "/api/v1/cim/meter-readings?day=" + day}}) {
      const Fetched f = fetch_all(static_cast<int>(server->port()), op, target);
      if (!f.ok) die(std::string(name) + ": the server did not answer 200");
      std::printf("  %s of %zu meters' day: %.1f s, %.1f MB, %.0f meters/s\n", name, o.consumers,
                  f.seconds, static_cast<double>(f.bytes) / 1e6,
                  static_cast<double>(o.consumers) / f.seconds);
    }
  }
  server->stop();
  if (!o.keep && !o.reuse) fs::remove_all(o.dir);
  return errors.load() == 0 ? 0 : 1;
}
