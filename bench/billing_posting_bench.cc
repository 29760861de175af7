// The billing engine's daily posting run (src/billing/engine.h, Engine::post_through) for N
// prepaid accounts, the way `vidyut serve` does it after each IST midnight.
//
// Setup (timed, not the measurement): a fresh data directory; the store with N single-phase
// domestic consumer meters (2 kW) and one IST day (2026-12-01) of 15-minute intervals for every
// meter (96 x N rows, put_intervals in batches of 20,000, meter after meter); billing.db with N
// prepaid accounts opened at the start of that day, each given an opening balance by a recharge
// transaction (cash:bench / wallet:<consumer>, a Recharge row, key "recharge:<ref>"), written
// with BillingDb::apply_all 1,000 at a time instead of one fsync per account. The store is
// opened with synchronous=NORMAL for setup speed (the engine's billing.db is always FULL).
//
// Measured: an Engine on a ManualClock at 2026-12-02 00:31 IST (new accounts prepaid, a relay
// port that accepts every command and does nothing) - start() (loads accounts and balances,
// computes accrual: reads the day's intervals), post_through(2026-12-01) (the daily posting run),
// the same post_through again (must post nothing), refresh_accrual(). Prints each phase's wall
// and CPU time, accounts posted per second, the daily-charge transactions written, billing.db's
// size and BillingDb::verify().
//
// Run: build/release/bench/billing_posting_bench [--accounts N] [--dir DIR] [--keep]
// Results and machine: bench/RESULTS.md.
#include <sys/resource.h>
#include <sys/time.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "billing/engine.h"
#include "billing/ledger.h"
#include "core/clock.h"
#include "store/sqlite_store.h"
#include "store/store.h"
#include "tariff/calendar.h"
#include "tariff/tariff_file.h"

namespace {

using namespace vidyut;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

constexpr std::size_t kIntervalBatch = 20'000;
constexpr std::size_t kRechargeBatch = 1'000;
constexpr int kSlotsPerDay = 96;
constexpr tariff::CivilDate kDay{2026, 12, 1};  // the interval day that is posted

struct Options {
  std::size_t accounts = 100'000;
  std::string dir;  // empty: a new temporary directory, removed at the end unless --keep
  bool keep = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "billing_posting_bench: %s\nusage: billing_posting_bench [--accounts N] "
               "[--dir DIR] [--keep]\n",
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
    if (a == "--accounts") {
      const std::string v = value();
      char* end = nullptr;
      const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || n == 0 || n > 10'000'000) usage("bad number");
      o.accounts = static_cast<std::size_t>(n);
    } else if (a == "--dir") {
      o.dir = value();
    } else if (a == "--keep") {
      o.keep = true;
    } else {
      usage("unknown argument");
    }
  }
  return o;
}

void die(const char* what, const Error& e) {
  std::fprintf(stderr, "billing_posting_bench: %s: %s\n", what, e.describe().c_str());
  std::exit(1);
}

// Wall and CPU (user + system, this process) time of one phase.
class Phase {
 public:
  Phase() : wall_(Steady::now()), cpu_(cpu_now()) {}
  double wall_s() const { return std::chrono::duration<double>(Steady::now() - wall_).count(); }
  double cpu_s() const { return cpu_now() - cpu_; }

 private:
  static double cpu_now() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    auto s = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return s(u.ru_utime) + s(u.ru_stime);
  }
  Steady::time_point wall_;
  double cpu_;
};

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
  m.sanctioned_load_w = 2000;
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

// A household's 15-minute interval: 10-159 Wh, varying with meter and slot (about 8 kWh a day,
// at most 0.64 kW of demand against 2 kW sanctioned).
store::IntervalReading make_row(std::int64_t meter_id, int slot) {
  store::IntervalReading r;
  r.meter_id = meter_id;
  r.start = tariff::ist_midnight(kDay) + std::chrono::minutes(15 * slot);
  r.period_s = 900;
  const auto h = static_cast<std::int64_t>((static_cast<std::uint64_t>(meter_id) * 2654435761u +
                                            static_cast<std::uint64_t>(slot) * 40503u) %
                                           150u);
  r.import_wh = 10 + h;
  r.import_vah = r.import_wh + r.import_wh / 12;
  r.source = store::IntervalReading::Source::kPush;
  return r;
}

// Opening balance: Rs 200-1,180 for most; Rs 50 (less than a day's charge) for one in a hundred.
billing::Paise opening_balance(std::size_t i) {
  return i % 100 == 0 ? 5'000 : 20'000 + static_cast<billing::Paise>(i % 50) * 2'000;
}

// Accepts every relay command (an id, state pending) and forgets it.
class NoopRelay final : public billing::RelayPort {
 public:
  Result<store::Command> submit(store::Command c) override {
    c.id = ++next_id_;
    ++submitted;
    return c;
  }
  Result<std::optional<store::Command>> command(std::int64_t) override {
    return std::optional<store::Command>();
  }
  std::size_t submitted = 0;

 private:
  std::int64_t next_id_ = 0;
};

std::uintmax_t file_size_or_zero(const fs::path& p) {
  std::error_code ec;
  const auto s = fs::file_size(p, ec);
  return ec ? 0 : s;
}

void print_phase(const char* name, const Phase& p, double wall) {
  std::printf("%-40s wall %9.3f s   cpu %9.3f s\n", name, wall, p.cpu_s());
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const std::size_t n = o.accounts;
  fs::path dir;
  if (o.dir.empty()) {
    char tmpl[] = "/var/tmp/billing_posting_bench.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = tmpl;
  } else {
    dir = o.dir;
    if (fs::exists(dir / "data")) usage("--dir already holds data/: give a fresh directory");
  }
  const fs::path data = dir / "data";
  const tariff::CivilDate next_day = tariff::add_days(kDay, 1);
  const UtcTime opened = tariff::ist_midnight(kDay);
  const UtcTime run_at = tariff::ist_midnight(next_day) + std::chrono::minutes(31);
  ManualClock clock(opened);

  std::printf(
      "billing_posting_bench: %zu prepaid accounts (single-phase domestic, 2 kW, %s), interval "
      "day %s, engine clock %s; data in %s\n",
      n, "UP-LMV1-URBAN", tariff::to_string(kDay).c_str(), tariff::format_ist(run_at).c_str(),
      data.c_str());
  std::printf(
      "setup: store opened with synchronous=NORMAL for setup speed (billing.db: WAL, "
      "synchronous=FULL as always)\n");

  // ---- setup: store ----------------------------------------------------------------------------
  store::SqliteOptions so;
  so.master_key = std::array<std::uint8_t, 32>{};
  for (std::size_t i = 0; i < 32; ++i) (*so.master_key)[i] = static_cast<std::uint8_t>(i * 7 + 1);
  so.synchronous_full = false;
  auto st = store::open_sqlite_store(data.string(), clock, so);
  if (!st.ok()) die("open store", st.error());
  std::unique_ptr<store::Store> store = std::move(*st);

  std::vector<store::MeterInfo> meters;
  {
    Phase p;
    std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> list;
    list.reserve(n);
    for (std::size_t i = 0; i < n; ++i) list.push_back(make_meter(i));
    auto imp = store->upsert_meters(list);
    if (!imp.ok()) die("upsert_meters", imp.error());
    for (std::size_t off = 0; off < n; off += store::kMaxPage) {
      auto page = store->meters(off, store::kMaxPage);
      if (!page.ok()) die("meters", page.error());
      for (auto& m : *page) meters.push_back(std::move(m));
    }
    if (meters.size() != n) {
      std::fprintf(stderr, "billing_posting_bench: registry holds %zu meters\n", meters.size());
      return 1;
    }
    print_phase("setup: registry (upsert_meters)", p, p.wall_s());
  }
  std::size_t rows = 0;
  {
    Phase p;
    std::vector<store::IntervalReading> batch;
    batch.reserve(kIntervalBatch);
    auto flush = [&] {
      auto r = store->put_intervals(batch);
      if (!r.ok()) die("put_intervals", r.error());
      rows += r->inserted;
      batch.clear();
    };
    for (const auto& m : meters) {
      for (int slot = 0; slot < kSlotsPerDay; ++slot) {
        batch.push_back(make_row(m.id, slot));
        if (batch.size() == kIntervalBatch) flush();
      }
    }
    if (!batch.empty()) flush();
    const double w = p.wall_s();
    print_phase("setup: intervals (put_intervals)", p, w);
    std::printf("setup: %zu interval rows in batches of %zu: %.0f rows/s\n", rows, kIntervalBatch,
                static_cast<double>(rows) / w);
  }

  // ---- setup: billing.db -----------------------------------------------------------------------
  auto dbr = billing::BillingDb::open(data);
  if (!dbr.ok()) die("open billing.db", dbr.error());
  std::unique_ptr<billing::BillingDb> db = std::move(*dbr);
  std::vector<billing::Account> accounts;
  {
    Phase p;
    std::vector<billing::Account> fresh;
    fresh.reserve(n);
    for (const auto& m : meters) {
      billing::Account a;  // as the engine opens an account at 2026-12-01 00:00 IST
      a.consumer_id = m.consumer_id;
      a.meter_serial = m.serial;
      a.meter_id = m.id;
      a.tariff_code = "UP-LMV1-URBAN";
      a.sanctioned_load_w = m.sanctioned_load_w;
      a.mode = billing::PaymentMode::kPrepaid;
      a.opened = opened;
      a.billing_from = tariff::to_string(kDay);
      a.posted_through = tariff::to_string(tariff::add_days(kDay, -1));
      a.stated_through = tariff::to_string(tariff::YearMonth{2026, 11});
      fresh.push_back(std::move(a));
    }
    auto all = db->upsert_accounts(fresh);
    if (!all.ok()) die("upsert_accounts", all.error());
    accounts = std::move(*all);
    print_phase("setup: accounts (upsert_accounts)", p, p.wall_s());
  }
  billing::Paise opening_total = 0;
  {
    Phase p;
    std::vector<billing::Change> changes;
    changes.reserve(kRechargeBatch);
    std::size_t credited = 0;
    auto flush = [&] {
      auto r = db->apply_all(changes);
      if (!r.ok()) die("apply_all (recharges)", r.error());
      for (const auto& x : *r) credited += x.duplicate ? 0 : 1;
      changes.clear();
    };
    for (std::size_t i = 0; i < accounts.size(); ++i) {
      const billing::Account& a = accounts[i];
      const billing::Paise amount = opening_balance(i);
      opening_total += amount;
      const std::string ref = "BENCH-OPENING-" + a.consumer_id;
      billing::Change c;
      billing::Txn t;
      t.key = "recharge:" + ref;
      t.kind = "recharge";
      t.account_id = a.id;
      t.at = opened;
      t.effective = tariff::to_string(kDay);
      t.detail = nlohmann::json{
          {"payment_ref", ref},
          {"channel", "bench"},
          {"actor", "billing_posting_bench"},
          {"to_arrears",
           0}}.dump();
      t.postings = {billing::Posting{"cash:bench", amount},
                    billing::Posting{"wallet:" + a.consumer_id, -amount}};
      c.txn = std::move(t);
      c.recharge = billing::Recharge{ref, a.id, amount, "bench", 0, opened, 0, {}};
      billing::Account after = a;
      after.last_recharge = amount;
      after.warn_level = 0;
      c.accounts.push_back(std::move(after));
      changes.push_back(std::move(c));
      if (changes.size() == kRechargeBatch) flush();
    }
    if (!changes.empty()) flush();
    print_phase("setup: opening recharges (apply_all)", p, p.wall_s());
    std::printf("setup: %zu recharges in batches of %zu, Rs %.2f in total\n", credited,
                kRechargeBatch, static_cast<double>(opening_total) / 100);
  }

  // ---- the engine ------------------------------------------------------------------------------
  clock.set(run_at);
  NoopRelay relay;
  billing::EngineOptions eo;
  eo.new_account_mode = billing::PaymentMode::kPrepaid;
  auto engine =
      std::make_unique<billing::Engine>(*db, *store, clock, tariff::builtin_tariffs(), eo, &relay);
  auto daily_charges = [&]() -> std::size_t {
    auto m = db->postings_by_account("daily-charge", tariff::to_string(tariff::month_of(kDay)));
    if (!m.ok()) die("postings_by_account", m.error());
    return m->size();
  };
  auto last_txn = [&] {
    auto t = db->last_txn_id();
    if (!t.ok()) die("last_txn_id", t.error());
    return *t;
  };

  double start_s = 0, post_s = 0, again_s = 0, accrual_s = 0;
  {
    Phase p;
    if (auto s = engine->start(); !s.ok()) die("start", s.error());
    start_s = p.wall_s();
    print_phase("start() (load accounts, accrual)", p, start_s);
  }
  const std::int64_t txns_before = last_txn();
  {
    Phase p;
    if (auto s = engine->post_through(kDay); !s.ok()) die("post_through", s.error());
    post_s = p.wall_s();
    print_phase("post_through(2026-12-01): daily posting", p, post_s);
  }
  const std::int64_t txns_after = last_txn();
  const std::size_t charges = daily_charges();
  const auto stats_after_post = engine->stats();
  {
    Phase p;
    if (auto s = engine->post_through(kDay); !s.ok()) die("post_through (again)", s.error());
    again_s = p.wall_s();
    print_phase("post_through(2026-12-01) again", p, again_s);
  }
  const std::int64_t txns_again = last_txn();
  const auto stats_again = engine->stats();
  {
    Phase p;
    if (auto s = engine->refresh_accrual(); !s.ok()) die("refresh_accrual", s.error());
    accrual_s = p.wall_s();
    print_phase("refresh_accrual()", p, accrual_s);
  }
  {
    // For comparison: the store query that accrual and posting read a day through (one
    // interval_summary per ToD cut of the day; one for UP-LMV1-URBAN, which has no ToD).
    Phase p;
    auto sum = store->interval_summary(tariff::ist_midnight(kDay), tariff::ist_midnight(next_day));
    if (!sum.ok()) die("interval_summary", sum.error());
    print_phase("(store interval_summary of the day)", p, p.wall_s());
    std::printf("interval_summary: %zu meters summed\n", sum->size());
  }

  const bool idempotent =
      txns_again == txns_after && stats_again.daily_postings == stats_after_post.daily_postings;
  std::printf("accounts: %zu; interval rows: %zu\n", n, rows);
  std::printf(
      "daily posting: %.0f accounts posted per second; %lld transactions written "
      "(%zu accounts with daily-charge postings in %s); account-days posted %llu\n",
      static_cast<double>(n) / post_s, static_cast<long long>(txns_after - txns_before), charges,
      tariff::to_string(tariff::month_of(kDay)).c_str(),
      static_cast<unsigned long long>(stats_after_post.daily_postings));
  std::printf(
      "second post_through: %lld transactions, %llu account-days (%s)\n",
      static_cast<long long>(txns_again - txns_after),
      static_cast<unsigned long long>(stats_again.daily_postings - stats_after_post.daily_postings),
      idempotent ? "idempotent: posted nothing" : "NOT IDEMPOTENT");

  // Money: the wallets together hold the opening balances minus what the daily run charged.
  auto sums = db->ledger_sums();
  if (!sums.ok()) die("ledger_sums", sums.error());
  billing::Paise wallets = 0, revenue = 0;
  for (const auto& [ledger, amount] : *sums) {
    if (ledger.rfind("wallet:", 0) == 0) wallets -= amount;
    if (ledger.rfind("revenue:", 0) == 0 || ledger == "duty:payable" ||
        ledger == "rebate:prepaid") {
      revenue -= amount;
    }
  }
  std::printf("ledger: wallets Rs %.2f = opening Rs %.2f - charged Rs %.2f (%s)\n",
              static_cast<double>(wallets) / 100, static_cast<double>(opening_total) / 100,
              static_cast<double>(revenue) / 100,
              wallets == opening_total - revenue ? "balanced" : "MISMATCH");
  const auto es = engine->stats();
  std::printf(
      "engine: %llu notifications, %llu disconnect decisions, %zu relay commands, %llu "
      "errors\n",
      static_cast<unsigned long long>(es.notifications),
      static_cast<unsigned long long>(es.disconnects), relay.submitted,
      static_cast<unsigned long long>(es.errors));

  Status verified = ok_status();
  {
    Phase p;
    verified = db->verify();
    print_phase("verify()", p, p.wall_s());
    std::printf("verify: %s\n", verified.ok() ? "ok" : verified.error().describe().c_str());
  }
  const auto open_db = file_size_or_zero(data / "billing.db");
  const auto open_wal = file_size_or_zero(data / "billing.db-wal");
  engine.reset();
  db.reset();
  store.reset();
  const auto closed_db = file_size_or_zero(data / "billing.db");
  std::printf(
      "billing.db: %.1f MB (+ WAL %.1f MB) while open; %.1f MB after close = %.0f bytes "
      "per account; vidyut.db %.1f MB\n",
      static_cast<double>(open_db) / 1e6, static_cast<double>(open_wal) / 1e6,
      static_cast<double>(closed_db) / 1e6, static_cast<double>(closed_db) / static_cast<double>(n),
      static_cast<double>(file_size_or_zero(data / store::kDatabaseFile)) / 1e6);
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  std::printf("peak RSS %.1f MiB\n", static_cast<double>(u.ru_maxrss) / 1024);

  const bool ok = verified.ok() && idempotent && charges == n && es.errors == 0 &&
                  wallets == opening_total - revenue;
  if (!ok) std::printf("UNEXPECTED: see above\n");
  if (!o.keep && o.dir.empty()) fs::remove_all(dir);
  return ok ? 0 : 1;
}
