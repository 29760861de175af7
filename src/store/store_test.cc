// The Store conformance suite: every test of the Store contract runs against each backend
// (SQLite in a data directory, PostgreSQL in a throwaway cluster: pg_test_cluster.h), and a few
// tests of one backend's own behaviour (files and modes; URLs and partitions) run against it
// alone.
#include <libpq-fe.h>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "store/open_store.h"
#include "store/pg_store.h"
#include "store/pg_test_cluster.h"
#include "store/sqlite_store.h"

namespace vidyut::store {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const UtcTime kT0 = UtcTime(std::chrono::sys_days(std::chrono::year{2026} / 11 / 23));

std::array<std::uint8_t, 32> key_of(std::uint8_t b) {
  std::array<std::uint8_t, 32> k{};
  k.fill(b);
  return k;
}

StoreOptions opts(std::uint8_t key_byte = 0x11) {
  StoreOptions o;
  o.master_key = key_of(key_byte);
  return o;
}

SqliteOptions sqlite_opts(std::uint8_t key_byte = 0x11) {
  SqliteOptions o;
  o.master_key = key_of(key_byte);
  return o;
}

// A fresh directory per test (the directory itself does not exist yet).
std::string fresh_dir(const std::string& name) {
  static std::atomic<int> n{0};
  const fs::path p =
      fs::path(::testing::TempDir()) /
      ("vidyut_store_" + name + "_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
  fs::remove_all(p);
  return p.string();
}

std::pair<MeterInfo, MeterSecrets> meter(int i) {
  MeterInfo m;
  m.serial = "0001" + std::to_string(1000 + i);
  m.kind = i == 0 ? "feeder" : "single-phase";
  m.manufacturer = "VDY";
  m.system_title = {
      'V', 'D', 'Y', 0, 0, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
  m.category = "domestic";
  m.sanctioned_load_w = 2000;
  m.feeder = "F0001";
  m.dt = i == 0 ? "" : "F0001-T001";
  m.consumer_id = i == 0 ? "" : "C" + std::to_string(100000 + i);
  m.sim_operator = {"JIO", "AIRTEL"};
  MeterSecrets s;
  s.lls_password = "Pw" + std::to_string(7000000 + i) + "XyZq!";
  for (int k = 0; k < 16; ++k) {
    s.ek[k] = static_cast<std::uint8_t>(0xA0 + k + i);
    s.ak[k] = static_cast<std::uint8_t>(0x30 + k + i);
  }
  return {m, s};
}

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Everything SQLite holds for the database: main file plus WAL.
std::string db_bytes(const std::string& dir) {
  return file_bytes(fs::path(dir) / kDatabaseFile) +
         file_bytes(fs::path(dir) / (std::string(kDatabaseFile) + "-wal"));
}

// Runs SQL directly on the database file, as an attacker or a future version would.
void sqlite_raw_sql(const std::string& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((fs::path(dir) / kDatabaseFile).c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

std::int64_t sqlite_raw_count(const std::string& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open((fs::path(dir) / kDatabaseFile).c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  std::int64_t v = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    v = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

IntervalReading reading(std::int64_t meter_id, int slot, std::int64_t wh) {
  IntervalReading r;
  r.meter_id = meter_id;
  r.start = kT0 + std::chrono::minutes(15) * slot;
  r.period_s = 900;
  r.import_wh = wh;
  r.import_vah = wh + 10;
  r.export_wh = 0;
  r.export_vah = 0;
  return r;
}

std::int64_t to_ms_for_test(UtcTime t) { return t.time_since_epoch().count(); }

// ---- PostgreSQL: one throwaway cluster per test process, started at the first PostgreSQL test
// and stopped at the end. Missing server binaries fail the PostgreSQL tests (never skip them).

class PgEnvironment : public ::testing::Environment {
 public:
  static PgEnvironment* instance;
  // The cluster, started on first use; nullptr with the reason in error().
  testing::PgTestCluster* cluster() {
    if (!tried_) {
      tried_ = true;
      auto c = testing::PgTestCluster::start();
      if (c.ok()) {
        cluster_ = std::move(*c);
      } else {
        error_ = c.error().describe();
      }
    }
    return cluster_.get();
  }
  const std::string& error() const { return error_; }
  void TearDown() override { cluster_.reset(); }

 private:
  bool tried_ = false;
  std::unique_ptr<testing::PgTestCluster> cluster_;
  std::string error_;
};
PgEnvironment* PgEnvironment::instance =
    static_cast<PgEnvironment*>(::testing::AddGlobalTestEnvironment(new PgEnvironment()));

// Runs SQL on a PostgreSQL database directly, as an attacker or a future version would.
void pg_raw_sql(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PGresult* r = PQexec(c, sql.c_str());
  EXPECT_TRUE(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
      << PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
}

// The first column of the first row as text ("" when none).
std::string pg_raw_text(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::string v;
  if (PQstatus(c) == CONNECTION_OK) {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0)) {
      v = PQgetvalue(r, 0, 0);
    }
    PQclear(r);
  }
  PQfinish(c);
  return v;
}

enum class Backend { kSqlite, kPostgres };

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

// The fixture of every conformance test: a "location" is a data directory (SQLite) or the URL
// of a fresh database (PostgreSQL).
class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    ::unsetenv(kMasterKeyEnv);
    if (pg()) {
      ASSERT_NE(PgEnvironment::instance->cluster(), nullptr)
          << "PostgreSQL tests need a throwaway cluster: " << PgEnvironment::instance->error();
    }
  }
  bool pg() const { return GetParam() == Backend::kPostgres; }

  // A new, empty location.
  std::string fresh(const std::string& name) {
    if (!pg()) return fresh_dir(name);
    static int n = 0;
    std::string db = "t_" + name + "_" + std::to_string(n++);
    for (char& ch : db) {
      if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    }
    auto url = PgEnvironment::instance->cluster()->create_database(db);
    EXPECT_TRUE(url.ok()) << url.error().describe();
    return url.ok() ? *url : std::string("postgresql:///missing");
  }

  std::unique_ptr<Store> open(const std::string& loc, StoreOptions o = opts()) {
    auto s = open_store(loc, clock_, o);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().describe());
    return s.ok() ? std::move(*s) : nullptr;
  }
  // Imports meters 0..n-1 and returns their ids.
  std::vector<std::int64_t> import(Store& s, int n) {
    std::vector<std::pair<MeterInfo, MeterSecrets>> ms;
    for (int i = 0; i < n; ++i) ms.push_back(meter(i));
    auto r = s.upsert_meters(ms);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().describe());
    std::vector<std::int64_t> ids;
    for (int i = 0; i < n; ++i) {
      auto m = s.meter_by_serial(ms[i].first.serial);
      EXPECT_TRUE(m.ok() && m->has_value());
      ids.push_back(m.ok() && m->has_value() ? (**m).id : -1);
    }
    return ids;
  }

  // SQL straight on the database (the statements used are valid on both backends).
  void raw_sql(const std::string& loc, const std::string& sql) {
    if (pg()) {
      pg_raw_sql(loc, sql);
    } else {
      sqlite_raw_sql(loc, sql);
    }
  }
  std::int64_t raw_count(const std::string& loc, const std::string& sql) {
    if (!pg()) return sqlite_raw_count(loc, sql);
    const std::string v = pg_raw_text(loc, sql);
    return v.empty() ? -1 : std::stoll(v);
  }
  // Whether the table or index `name` exists.
  bool relation_exists(const std::string& loc, const std::string& name) {
    if (pg()) return !pg_raw_text(loc, "SELECT to_regclass('" + name + "')::text").empty();
    return sqlite_raw_count(loc,
                            "SELECT COUNT(*) FROM sqlite_schema WHERE name = '" + name + "'") == 1;
  }
  // Everything the database holds of the registry, as bytes (SQLite: its files; PostgreSQL:
  // the meters table's rows as text, byte strings in hex).
  std::string stored_registry(const std::string& loc) {
    if (pg()) return pg_raw_text(loc, "SELECT string_agg(m::text, ' ') FROM meters m");
    return db_bytes(loc);
  }
  int latest_version() const {
    return pg() ? pg_latest_schema_version() : sqlite_latest_schema_version();
  }

  ManualClock clock_{kT0};
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backend_name);

// Tests of the SQLite backend's own files.
class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ::unsetenv(kMasterKeyEnv); }
  std::unique_ptr<Store> open(const std::string& dir, SqliteOptions o = sqlite_opts()) {
    auto s = open_sqlite_store(dir, clock_, o);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().describe());
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::vector<std::int64_t> import(Store& s, int n) {
    std::vector<std::pair<MeterInfo, MeterSecrets>> ms;
    for (int i = 0; i < n; ++i) ms.push_back(meter(i));
    EXPECT_TRUE(s.upsert_meters(ms).ok());
    std::vector<std::int64_t> ids;
    for (int i = 0; i < n; ++i) ids.push_back((**s.meter_by_serial(ms[i].first.serial)).id);
    return ids;
  }
  ManualClock clock_{kT0};
};

TEST_P(StoreTest, OpenCreatesTheSchema) {
  const std::string loc = fresh("create");
  auto s = open(loc);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_version(), latest_version());
  EXPECT_GE(latest_version(), 6);
  auto check = s->schema_check();
  EXPECT_TRUE(check.ok()) << (check.ok() ? "" : check.error().describe());
  EXPECT_EQ(raw_count(loc, "SELECT COUNT(*) FROM schema_migrations"), latest_version());
  EXPECT_EQ(pg_latest_schema_version(), sqlite_latest_schema_version());
}

TEST_F(SqliteStoreTest, OpenCreatesDirectoryDatabaseAndSchema) {
  const std::string dir = fresh_dir("create");
  auto s = open(dir);
  ASSERT_TRUE(s);
  EXPECT_TRUE(fs::exists(fs::path(dir) / kDatabaseFile));
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(s->schema_version(), sqlite_latest_schema_version());
  EXPECT_EQ(
      sqlite_raw_count(dir, "SELECT COUNT(*) FROM pragma_journal_mode WHERE journal_mode='wal'"),
      1);
  // Master key supplied in options: no key file is written.
  EXPECT_FALSE(fs::exists(fs::path(dir) / kMasterKeyFile));
}

TEST_P(StoreTest, ReopenKeepsDataAndDoesNotRerunMigrations) {
  const std::string dir = fresh("reopen");
  std::int64_t id = 0;
  {
    auto s = open(dir);
    ASSERT_TRUE(s);
    id = import(*s, 3)[1];
    std::vector<IntervalReading> rows = {reading(id, 0, 100), reading(id, 1, 110)};
    ASSERT_TRUE(s->put_intervals(rows).ok());
  }
  const std::int64_t applied = raw_count(dir, "SELECT MAX(applied_at_ms) FROM schema_migrations");
  clock_.advance(std::chrono::hours(24));
  auto s = open(dir);
  ASSERT_TRUE(s);
  EXPECT_EQ(raw_count(dir, "SELECT COUNT(*) FROM schema_migrations"), latest_version());
  EXPECT_EQ(raw_count(dir, "SELECT MAX(applied_at_ms) FROM schema_migrations"), applied);
  EXPECT_EQ(*s->meter_count(), 3u);
  auto got = s->intervals(id, kT0, kT0 + 1h);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[1].import_wh, 110);
  auto sec = s->secrets(id);
  ASSERT_TRUE(sec.ok());
  EXPECT_EQ(*sec, meter(1).second);
}

TEST_P(StoreTest, UpsertCountsInsertedUpdatedUnchanged) {
  auto s = open(fresh("upsert"));
  ASSERT_TRUE(s);
  std::vector<std::pair<MeterInfo, MeterSecrets>> ms = {meter(0), meter(1), meter(2)};
  auto r1 = s->upsert_meters(ms);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->inserted, 3u);
  EXPECT_EQ(r1->updated, 0u);
  EXPECT_EQ(r1->unchanged, 0u);

  ms[1].first.consumer_id = "C999";    // field change
  ms[2].second.lls_password = "new1";  // secret change only
  ms.push_back(meter(3));
  auto r2 = s->upsert_meters(ms);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->inserted, 1u);
  EXPECT_EQ(r2->updated, 2u);
  EXPECT_EQ(r2->unchanged, 1u);

  auto r3 = s->upsert_meters(ms);
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(r3->inserted, 0u);
  EXPECT_EQ(r3->updated, 0u);
  EXPECT_EQ(r3->unchanged, 4u);

  auto m1 = s->meter_by_serial(ms[1].first.serial);
  ASSERT_TRUE(m1.ok() && m1->has_value());
  EXPECT_EQ((**m1).consumer_id, "C999");
  auto sec2 = s->secrets((**s->meter_by_serial(ms[2].first.serial)).id);
  ASSERT_TRUE(sec2.ok());
  EXPECT_EQ(sec2->lls_password, "new1");
}

TEST_P(StoreTest, UpsertIsOneTransaction) {
  auto s = open(fresh("upsert_tx"));
  ASSERT_TRUE(s);
  std::vector<std::pair<MeterInfo, MeterSecrets>> ms = {meter(0), meter(1), meter(2)};
  ms[2].first.system_title = ms[0].first.system_title;  // duplicate title: whole import fails
  auto r = s->upsert_meters(ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(*s->meter_count(), 0u);
  ms[2].first.kind = "smart";
  auto bad = s->upsert_meters(ms);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
}

// Issue 16: a consumer id that is not valid UTF-8 was accepted by `registry import`, and a later
// API request for that account aborted `vidyut serve` from inside the JSON library.
TEST_P(StoreTest, TextThatIsNotUtf8OrHasControlCharactersIsRefusedAndNothingIsWritten) {
  auto s = open(fresh("upsert_text"));
  ASSERT_TRUE(s);
  std::vector<std::pair<MeterInfo, MeterSecrets>> ms = {meter(0), meter(1)};
  ms[1].first.consumer_id =
      "C\xFF\xFE"
      "01";
  auto r = s->upsert_meters(ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  EXPECT_NE(r.error().message.find("consumer id is not valid UTF-8"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(*s->meter_count(), 0u);
  ms[1].first.consumer_id = "C0001";
  ms[1].first.dt = "F1-T1\nF2-T9";
  EXPECT_FALSE(s->upsert_meters(ms).ok());
  ms[1].first.dt = "F1-T1";
  ms[1].first.serial = "\xC0\xAF";
  auto bad_serial = s->upsert_meters(ms);
  ASSERT_FALSE(bad_serial.ok());
  EXPECT_NE(bad_serial.error().message.find("(not UTF-8)"), std::string::npos);
  // Hindi names and the like are valid text.
  ms[1].first.serial = meter(1).first.serial;
  ms[1].first.category = "\xE0\xA4\x98\xE0\xA4\xB0\xE0\xA5\x87\xE0\xA4\xB2\xE0\xA5\x82";
  EXPECT_TRUE(s->upsert_meters(ms).ok());
}

TEST_P(StoreTest, LookupsBySerialTitleIdAndPaging) {
  auto s = open(fresh("lookup"));
  ASSERT_TRUE(s);
  auto ids = import(*s, 5);
  const auto [m3, s3] = meter(3);
  auto by_serial = s->meter_by_serial(m3.serial);
  ASSERT_TRUE(by_serial.ok() && by_serial->has_value());
  MeterInfo want = m3;
  want.id = ids[3];
  EXPECT_EQ(**by_serial, want);
  auto by_title = s->meter_by_title(m3.system_title);
  ASSERT_TRUE(by_title.ok() && by_title->has_value());
  EXPECT_EQ(**by_title, want);
  auto by_id = s->meter_by_id(ids[3]);
  ASSERT_TRUE(by_id.ok() && by_id->has_value());
  EXPECT_EQ(**by_id, want);

  auto none = s->meter_by_serial("nope");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto none_title = s->meter_by_title({1, 2, 3, 4, 5, 6, 7, 8});
  ASSERT_TRUE(none_title.ok());
  EXPECT_FALSE(none_title->has_value());
  auto none_id = s->meter_by_id(9999);
  ASSERT_TRUE(none_id.ok());
  EXPECT_FALSE(none_id->has_value());
  auto no_secret = s->secrets(9999);
  ASSERT_FALSE(no_secret.ok());
  EXPECT_EQ(no_secret.error().code, Errc::kNotFound);

  auto page1 = s->meters(0, 2);
  auto page3 = s->meters(4, 2);
  ASSERT_TRUE(page1.ok() && page3.ok());
  ASSERT_EQ(page1->size(), 2u);
  EXPECT_EQ((*page1)[0].id, ids[0]);
  EXPECT_EQ((*page1)[1].id, ids[1]);
  ASSERT_EQ(page3->size(), 1u);
  EXPECT_EQ((*page3)[0].id, ids[4]);
  auto too_big = s->meters(0, kMaxPage + 1);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, Errc::kLimitExceeded);
}

TEST_P(StoreTest, SecretsRoundTripAndAreNotStoredInPlainText) {
  const std::string dir = fresh("secrets");
  auto s = open(dir);
  ASSERT_TRUE(s);
  auto ids = import(*s, 3);
  for (int i = 0; i < 3; ++i) {
    auto sec = s->secrets(ids[i]);
    ASSERT_TRUE(sec.ok()) << sec.error().describe();
    EXPECT_EQ(*sec, meter(i).second);
  }
  const std::string bytes = stored_registry(dir);
  // Sanity: the search works on a value that is stored in plain text.
  EXPECT_NE(bytes.find(meter(1).first.consumer_id), std::string::npos);
  for (int i = 0; i < 3; ++i) {
    const auto sec = meter(i).second;
    EXPECT_EQ(bytes.find(sec.lls_password), std::string::npos) << "password of meter " << i;
    const std::string ek(sec.ek.begin(), sec.ek.end());
    const std::string ak(sec.ak.begin(), sec.ak.end());
    EXPECT_EQ(bytes.find(ek), std::string::npos) << "EK of meter " << i;
    EXPECT_EQ(bytes.find(ak), std::string::npos) << "AK of meter " << i;
    EXPECT_EQ(bytes.find(to_hex(sec.ek)), std::string::npos) << "EK of meter " << i;
    EXPECT_EQ(bytes.find(to_hex(sec.ak)), std::string::npos) << "AK of meter " << i;
  }
}

TEST_P(StoreTest, WrongMasterKeyFailsWithAuthFailed) {
  const std::string dir = fresh("wrongkey");
  std::int64_t id = 0;
  {
    auto s = open(dir, opts(0x11));
    ASSERT_TRUE(s);
    id = import(*s, 2)[1];
    ASSERT_TRUE(s->put_intervals(std::vector<IntervalReading>{reading(id, 0, 5)}).ok());
  }
  auto s = open(dir, opts(0x22));
  ASSERT_TRUE(s);
  auto sec = s->secrets(id);
  ASSERT_FALSE(sec.ok());
  EXPECT_EQ(sec.error().code, Errc::kAuthFailed);
  EXPECT_NE(sec.error().message.find("master key"), std::string::npos) << sec.error().message;
  // Importing under the wrong key is refused too (it would mix keys in one database).
  auto up = s->upsert_meters(std::vector<std::pair<MeterInfo, MeterSecrets>>{meter(5)});
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.error().code, Errc::kAuthFailed);
  // Readings stay available.
  auto got = s->intervals(id, kT0, kT0 + 1h);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->size(), 1u);
}

TEST_P(StoreTest, CiphertextMovedToAnotherMeterFailsToDecrypt) {
  const std::string dir = fresh("moved");
  std::vector<std::int64_t> ids;
  {
    auto s = open(dir);
    ASSERT_TRUE(s);
    ids = import(*s, 2);
  }
  raw_sql(dir, "UPDATE meters SET secrets = (SELECT secrets FROM meters WHERE id = " +
                   std::to_string(ids[0]) + ") WHERE id = " + std::to_string(ids[1]));
  auto s = open(dir);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->secrets(ids[0]).ok());
  auto moved = s->secrets(ids[1]);
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.error().code, Errc::kAuthFailed);
}

TEST_F(SqliteStoreTest, MasterKeyFileCreatedOnceWithMode0600) {
  const std::string dir = fresh_dir("keyfile");
  std::int64_t id = 0;
  {
    auto s = open(dir, SqliteOptions{});
    ASSERT_TRUE(s);
    id = import(*s, 1)[0];
  }
  const fs::path key_path = fs::path(dir) / kMasterKeyFile;
  ASSERT_TRUE(fs::exists(key_path));
  struct stat st {};
  ASSERT_EQ(::stat(key_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string key_text = file_bytes(key_path);
  EXPECT_EQ(key_text.size(), 65u);  // 64 hex digits and a newline

  auto s = open(dir, SqliteOptions{});
  ASSERT_TRUE(s);
  EXPECT_EQ(file_bytes(key_path), key_text);
  auto sec = s->secrets(id);
  ASSERT_TRUE(sec.ok());
  EXPECT_EQ(*sec, meter(0).second);
}

TEST_F(SqliteStoreTest, MasterKeyFromEnvironment) {
  const std::string dir = fresh_dir("envkey");
  const std::string hex(64, 'a');
  ::setenv(kMasterKeyEnv, hex.c_str(), 1);
  std::int64_t id = 0;
  {
    auto s = open(dir, SqliteOptions{});
    ASSERT_TRUE(s);
    id = import(*s, 1)[0];
  }
  EXPECT_FALSE(fs::exists(fs::path(dir) / kMasterKeyFile));
  {
    // The same key given directly opens the secrets.
    auto s = open(dir, sqlite_opts(0xAA));
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->secrets(id).ok());
  }
  ::setenv(kMasterKeyEnv, "not-hex", 1);
  auto bad = open_sqlite_store(dir, clock_, SqliteOptions{});
  ::unsetenv(kMasterKeyEnv);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
}

TEST_P(StoreTest, PutTenThousandRowsInOneCall) {
  const std::string dir = fresh("batch");
  auto s = open(dir);
  ASSERT_TRUE(s);
  auto ids = import(*s, 10);
  std::vector<IntervalReading> rows;
  for (int m = 0; m < 10; ++m) {
    for (int slot = 0; slot < 1000; ++slot) rows.push_back(reading(ids[m], slot, slot));
  }
  auto r = s->put_intervals(rows);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->inserted, 10'000u);
  EXPECT_EQ(r->duplicates, 0u);
  EXPECT_EQ(r->conflicts, 0u);
  auto n = s->count_intervals(kT0, kT0 + std::chrono::minutes(15) * 1000);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 10'000u);
  auto half = s->count_intervals(kT0, kT0 + std::chrono::minutes(15) * 500);
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(*half, 5'000u);

  std::vector<IntervalReading> too_many(kMaxBatch + 1, reading(ids[0], 0, 0));
  auto big = s->put_intervals(too_many);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, Errc::kLimitExceeded);
}

TEST_P(StoreTest, DuplicatesAreIdempotentAndConflictsKeepTheFirst) {
  auto s = open(fresh("dups"));
  ASSERT_TRUE(s);
  const auto id = import(*s, 1)[0];
  std::vector<IntervalReading> first = {reading(id, 0, 100), reading(id, 1, 110)};
  auto r1 = s->put_intervals(first);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->inserted, 2u);

  IntervalReading read_again = reading(id, 0, 100);
  read_again.source = IntervalReading::Source::kRead;  // same values by another path
  IntervalReading conflicting = reading(id, 1, 999);
  std::vector<IntervalReading> second = {read_again, conflicting, reading(id, 2, 120),
                                         reading(id, 2, 120)};
  auto r2 = s->put_intervals(second);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->inserted, 1u);
  EXPECT_EQ(r2->duplicates, 2u);
  EXPECT_EQ(r2->conflicts, 1u);

  auto got = s->intervals(id, kT0, kT0 + 1h);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[1].import_wh, 110);  // first value kept
  EXPECT_EQ((*got)[0].source, IntervalReading::Source::kPush);
}

TEST_P(StoreTest, PutWithUnknownMeterFailsWholeBatch) {
  auto s = open(fresh("unknown"));
  ASSERT_TRUE(s);
  const auto id = import(*s, 1)[0];
  std::vector<IntervalReading> rows = {reading(id, 0, 1), reading(id + 100, 0, 1)};
  auto r = s->put_intervals(rows);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kNotFound);
  EXPECT_EQ(*s->count_intervals(kT0, kT0 + 24h), 0u);  // rolled back
  IntervalReading bad_period = reading(id, 0, 1);
  bad_period.period_s = 0;
  auto r2 = s->put_intervals(std::vector<IntervalReading>{bad_period});
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, Errc::kInvalidArgument);
}

TEST_P(StoreTest, IntervalsRangeIsHalfOpenAndAscending) {
  auto s = open(fresh("range"));
  ASSERT_TRUE(s);
  auto ids = import(*s, 2);
  // Inserted out of order, and a second meter's rows that must not appear.
  std::vector<IntervalReading> rows = {reading(ids[0], 5, 5), reading(ids[0], 2, 2),
                                       reading(ids[0], 3, 3), reading(ids[0], 4, 4),
                                       reading(ids[1], 3, 33)};
  ASSERT_TRUE(s->put_intervals(rows).ok());
  auto got = s->intervals(ids[0], kT0 + 30min, kT0 + 75min);  // slots 2, 3, 4
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].start, kT0 + 30min);
  EXPECT_EQ((*got)[1].start, kT0 + 45min);
  EXPECT_EQ((*got)[2].start, kT0 + 60min);
  EXPECT_EQ((*got)[2].import_wh, 4);
  EXPECT_EQ((*got)[2].import_vah, 14);
  EXPECT_EQ((*got)[2].meter_id, ids[0]);
  auto too_long = s->intervals(ids[0], kT0, kT0 + std::chrono::days(kMaxRangeDays + 1));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, Errc::kLimitExceeded);
}

TEST_P(StoreTest, MissingIntervalsFindsGapsExactly) {
  auto s = open(fresh("gaps"));
  ASSERT_TRUE(s);
  const auto id = import(*s, 1)[0];
  std::vector<IntervalReading> rows;
  // A day of 96 slots with slots 0, 17..40 (a six-hour outage) and 95 missing.
  for (int slot = 0; slot < 96; ++slot) {
    if (slot == 0 || (slot >= 17 && slot <= 40) || slot == 95) continue;
    rows.push_back(reading(id, slot, slot));
  }
  ASSERT_TRUE(s->put_intervals(rows).ok());
  auto gaps = s->missing_intervals(id, kT0, kT0 + 24h, 900);
  ASSERT_TRUE(gaps.ok());
  std::vector<UtcTime> want;
  want.push_back(kT0);
  for (int slot = 17; slot <= 40; ++slot) want.push_back(kT0 + std::chrono::minutes(15) * slot);
  want.push_back(kT0 + std::chrono::minutes(15) * 95);
  EXPECT_EQ(*gaps, want);

  // After the fill, nothing is missing.
  std::vector<IntervalReading> fill;
  for (UtcTime t : want) {
    IntervalReading r = reading(id, 0, 7);
    r.start = t;
    r.source = IntervalReading::Source::kRead;
    fill.push_back(r);
  }
  auto put = s->put_intervals(fill);
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->inserted, want.size());
  auto none = s->missing_intervals(id, kT0, kT0 + 24h, 900);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  auto unknown = s->missing_intervals(id + 1, kT0, kT0 + 24h, 900);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::kNotFound);
}

TEST_P(StoreTest, NewerSchemaVersionIsRefused) {
  const std::string dir = fresh("future");
  { ASSERT_TRUE(open(dir)); }
  raw_sql(dir, "INSERT INTO schema_migrations (version, description, applied_at_ms) VALUES (" +
                   std::to_string(latest_version() + 1) + ", 'from the future', 0)");
  auto s = open_store(dir, clock_, opts());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kUnsupported);
  EXPECT_NE(s.error().message.find("newer"), std::string::npos) << s.error().message;
}

TEST_F(SqliteStoreTest, NonSqliteFileIsAClearIoError) {
  const std::string dir = fresh_dir("corrupt");
  fs::create_directories(dir);
  {
    std::ofstream out(fs::path(dir) / kDatabaseFile, std::ios::binary);
    out << std::string(8192, 'x');
  }
  auto s = open_sqlite_store(dir, clock_, sqlite_opts());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kIo);
  EXPECT_NE(s.error().message.find("not a database"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find(kDatabaseFile), std::string::npos) << s.error().message;
}

TEST_F(SqliteStoreTest, DataDirThatIsAFileIsAnIoError) {
  const std::string dir = fresh_dir("file");
  { std::ofstream out(dir); }
  auto s = open_sqlite_store(dir, clock_, sqlite_opts());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kIo);
}

// ---- Head-end state (schema migration 3) ------------------------------------------------------

Alert alert(std::int64_t meter_id, int minute, const std::string& name, bool active = true) {
  Alert a;
  a.meter_id = meter_id;
  a.at = kT0 + std::chrono::minutes(minute);
  a.received = a.at + 2s;
  a.kind = "tamper";
  a.name = name;
  a.active = active;
  a.detail = "seen at minute " + std::to_string(minute);
  return a;
}

MeterComm comm_state(std::int64_t meter_id, std::uint8_t seed) {
  MeterComm c;
  c.meter_id = meter_id;
  c.push_ic = 1000u + seed;
  c.client_ic = 0xFFFFFF00u + seed;  // above 2^31: survives the INTEGER column unsigned
  c.last_contact = kT0 + std::chrono::seconds(seed);
  c.active_sim = 2;
  c.peer_address = "10.0.0." + std::to_string(seed) + ":4059";
  for (std::size_t i = 0; i < c.esw.size(); ++i) {
    c.esw[i] = static_cast<std::uint8_t>(seed * 16 + i);
  }
  c.esw[15] = 0xFF;
  return c;
}

AuditRecord audit_record(const std::string& action, const std::string& subject) {
  AuditRecord r;
  r.at = kT0 + 1min;
  r.actor = "head-end";
  r.action = action;
  r.subject = subject;
  r.detail = "detail of " + action;
  return r;
}

Command new_command(std::int64_t meter_id, const std::string& key, UtcTime next_attempt,
                    CommandKind kind = CommandKind::kDisconnect) {
  Command c;
  c.meter_id = meter_id;
  c.kind = kind;
  c.argument = kind == CommandKind::kLoadLimit ? "1500" : "";
  c.idempotency_key = key;
  c.requested_by = "operator-7";
  c.reason = "non-payment";
  c.created = kT0;
  c.deadline = kT0 + 24h;
  c.next_attempt = next_attempt;
  return c;
}

std::vector<std::int64_t> ids_of(const std::vector<Command>& cs) {
  std::vector<std::int64_t> out;
  for (const auto& c : cs) out.push_back(c.id);
  return out;
}

TEST_P(StoreTest, WriteIsAllOrNothing) {
  const std::string dir = fresh("write_tx");
  auto s = open(dir);
  ASSERT_TRUE(s);
  auto ids = import(*s, 2);
  auto cmd = s->enqueue_command(new_command(ids[1], "k1", kT0));
  ASSERT_TRUE(cmd.ok()) << cmd.error().describe();
  ASSERT_EQ(s->audit_after(0, 100)->size(), 1u);  // the enqueue's own record

  auto good_batch = [&] {
    WriteBatch b;
    b.intervals = {reading(ids[0], 0, 100), reading(ids[1], 0, 200)};
    b.alerts = {alert(ids[0], 1, "magnet"), alert(0, 2, "unknown-system-title")};
    b.comm = {comm_state(ids[0], 1), comm_state(ids[1], 2)};
    b.audit = {audit_record("reject-unknown-meter", "10.1.1.1")};
    Command upd = *cmd;
    upd.state = CommandState::kSucceeded;
    upd.attempts = 1;
    upd.result = "ok";
    upd.finished = kT0 + 5min;
    b.command_updates = {upd};
    return b;
  };
  const std::int64_t unknown = ids[1] + 100;
  // Each variant names one unknown id in a different part of the batch, as its last element.
  std::vector<std::pair<std::string, WriteBatch>> bad;
  bad.emplace_back("interval", good_batch());
  bad.back().second.intervals.push_back(reading(unknown, 0, 1));
  bad.emplace_back("alert", good_batch());
  bad.back().second.alerts.push_back(alert(unknown, 3, "cover-open"));
  bad.emplace_back("comm", good_batch());
  bad.back().second.comm.push_back(comm_state(unknown, 3));
  bad.emplace_back("command update", good_batch());
  bad.back().second.command_updates.push_back(bad.back().second.command_updates[0]);
  bad.back().second.command_updates.back().id = cmd->id + 100;

  for (const auto& [what, batch] : bad) {
    SCOPED_TRACE(what);
    auto r = s->write(batch);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::kNotFound) << r.error().describe();
    EXPECT_EQ(*s->count_intervals(kT0, kT0 + 24h), 0u);
    EXPECT_TRUE(s->alerts_after(0, 100)->empty());
    EXPECT_TRUE(s->all_comm()->empty());
    EXPECT_EQ(s->audit_after(0, 100)->size(), 1u);
    auto still = s->command(cmd->id);
    ASSERT_TRUE(still.ok() && still->has_value());
    EXPECT_EQ(**still, *cmd);
  }

  // The same batch without the bad element is written whole.
  auto r = s->write(good_batch());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->intervals.inserted, 2u);
  EXPECT_EQ(r->alerts_inserted, 2u);
  EXPECT_EQ(*s->count_intervals(kT0, kT0 + 24h), 2u);
  EXPECT_EQ(s->alerts_after(0, 100)->size(), 2u);
  EXPECT_EQ(s->all_comm()->size(), 2u);
  EXPECT_EQ(s->audit_after(0, 100)->size(), 2u);
  EXPECT_EQ((**s->command(cmd->id)).state, CommandState::kSucceeded);
  // A comm row is upserted, not duplicated, by a second write.
  WriteBatch again;
  again.comm = {comm_state(ids[0], 9)};
  ASSERT_TRUE(s->write(again).ok());
  EXPECT_EQ(s->all_comm()->size(), 2u);
  EXPECT_EQ(**s->comm(ids[0]), comm_state(ids[0], 9));
}

TEST_P(StoreTest, AlertsOfOneKindOverAPeriodPageByIdAndLeaveOtherKindsOut) {
  auto s = open(fresh("alerts-of-kind"));
  ASSERT_TRUE(s);
  auto ids = import(*s, 2);
  WriteBatch b;
  for (int m = 0; m < 30; ++m) b.alerts.push_back(alert(ids[m % 2], m, "magnet"));
  Alert other = alert(ids[0], 5, "last-gasp");
  other.kind = "outage";
  b.alerts.push_back(other);
  ASSERT_TRUE(s->write(b).ok());
  // Minutes [10, 20): ten tamper alerts, read three at a time.
  std::vector<Alert> got;
  for (std::int64_t after = 0;;) {
    auto page = s->alerts_of_kind("tamper", kT0 + 10min, kT0 + 20min, after, 3);
    ASSERT_TRUE(page.ok()) << page.error().describe();
    for (const auto& a : *page) {
      after = a.id;
      got.push_back(a);
    }
    if (page->size() < 3) break;
  }
  ASSERT_EQ(got.size(), 10u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].at, kT0 + std::chrono::minutes(10 + i));
    EXPECT_EQ(got[i].kind, "tamper");
  }
  auto outage = s->alerts_of_kind("outage", kT0, kT0 + 1h, 0, 100);
  ASSERT_TRUE(outage.ok());
  ASSERT_EQ(outage->size(), 1u);
  EXPECT_EQ((*outage)[0].name, "last-gasp");
  EXPECT_EQ(s->alerts_of_kind("tamper", kT0, kT0 + 1h, 0, kMaxPage + 1).error().code,
            Errc::kLimitExceeded);
}

TEST_P(StoreTest, WriteIntervalsHavePutIntervalsSemantics) {
  auto s = open(fresh("write_intervals"));
  ASSERT_TRUE(s);
  const auto id = import(*s, 1)[0];
  ASSERT_TRUE(s->put_intervals(std::vector<IntervalReading>{reading(id, 0, 100)}).ok());
  WriteBatch b;
  b.intervals = {reading(id, 0, 100), reading(id, 0, 101), reading(id, 1, 5)};
  auto r = s->write(b);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->intervals.inserted, 1u);
  EXPECT_EQ(r->intervals.duplicates, 1u);
  EXPECT_EQ(r->intervals.conflicts, 1u);
  EXPECT_EQ((*s->intervals(id, kT0, kT0 + 1h))[0].import_wh, 100);  // first value kept

  WriteBatch bad_period;
  bad_period.intervals = {reading(id, 2, 1)};
  bad_period.intervals[0].period_s = 0;
  auto bp = s->write(bad_period);
  ASSERT_FALSE(bp.ok());
  EXPECT_EQ(bp.error().code, Errc::kInvalidArgument);
}

TEST_P(StoreTest, WriteEnforcesLimitsAndFieldLengths) {
  auto s = open(fresh("write_limits"));
  ASSERT_TRUE(s);
  const auto id = import(*s, 1)[0];
  auto expect_error = [&](const WriteBatch& b, Errc code, const char* what) {
    auto r = s->write(b);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.error().code, code) << what << ": " << r.error().describe();
  };
  {
    WriteBatch b;
    b.intervals.assign(kMaxBatch + 1, reading(id, 0, 0));
    expect_error(b, Errc::kLimitExceeded, "intervals");
  }
  {
    WriteBatch b;
    b.alerts.assign(kMaxBatch + 1, alert(id, 0, "magnet"));
    expect_error(b, Errc::kLimitExceeded, "alerts");
  }
  {
    WriteBatch b;
    b.audit.assign(kMaxBatch + 1, audit_record("x", "y"));
    expect_error(b, Errc::kLimitExceeded, "audit");
  }
  {
    WriteBatch b;
    b.comm.assign(kMaxBatch + 1, comm_state(id, 1));
    expect_error(b, Errc::kLimitExceeded, "comm");
  }
  {
    WriteBatch b;
    b.command_updates.assign(kMaxBatch + 1, Command{});
    expect_error(b, Errc::kLimitExceeded, "command updates");
  }
  {
    WriteBatch b;
    b.alerts = {alert(id, 0, "magnet")};
    b.alerts[0].detail.assign(kMaxDetailLength + 1, 'd');
    expect_error(b, Errc::kInvalidArgument, "alert detail");
    b.alerts[0].detail.assign(kMaxDetailLength, 'd');
    b.alerts[0].name.assign(kMaxFieldLength + 1, 'n');
    expect_error(b, Errc::kInvalidArgument, "alert name");
  }
  {
    WriteBatch b;
    b.audit = {audit_record("x", std::string(kMaxFieldLength + 1, 's'))};
    expect_error(b, Errc::kInvalidArgument, "audit subject");
  }
  {
    WriteBatch b;
    b.comm = {comm_state(id, 1)};
    b.comm[0].peer_address.assign(kMaxFieldLength + 1, 'p');
    expect_error(b, Errc::kInvalidArgument, "peer address");
  }
  EXPECT_TRUE(s->alerts_after(0, 10)->empty());
  EXPECT_TRUE(s->audit_after(0, 10)->empty());
  EXPECT_TRUE(s->all_comm()->empty());

  // At the limits exactly: accepted.
  WriteBatch ok;
  ok.alerts = {alert(id, 0, std::string(kMaxFieldLength, 'n'))};
  ok.alerts[0].detail.assign(kMaxDetailLength, 'd');
  auto r = s->write(ok);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ((*s->alerts_after(0, 10))[0].detail.size(), kMaxDetailLength);
}

TEST_P(StoreTest, AlertsAreIdempotent) {
  auto s = open(fresh("alerts_idem"));
  ASSERT_TRUE(s);
  const auto id = import(*s, 1)[0];
  WriteBatch b;
  b.alerts = {alert(id, 1, "magnet"), alert(id, 1, "magnet")};
  auto r1 = s->write(b);
  ASSERT_TRUE(r1.ok()) << r1.error().describe();
  EXPECT_EQ(r1->alerts_inserted, 1u);
  EXPECT_EQ(r1->alert_duplicates, 1u);

  // Delivered again later (a retried push) with another receive time and detail: a duplicate.
  WriteBatch again;
  again.alerts = {alert(id, 1, "magnet")};
  again.alerts[0].received += 1h;
  again.alerts[0].detail = "retransmitted";
  // The same event ending, and one at another time, are new alerts.
  again.alerts.push_back(alert(id, 1, "magnet", false));
  again.alerts.push_back(alert(id, 2, "magnet"));
  auto r2 = s->write(again);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->alerts_inserted, 2u);
  EXPECT_EQ(r2->alert_duplicates, 1u);
  auto all = s->alerts_after(0, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].detail, "seen at minute 1");  // the first delivery is kept
}

TEST_P(StoreTest, AlertsAfterIsASubscriptionCursor) {
  const std::string dir = fresh("alerts_cursor");
  std::int64_t id = 0;
  {
    auto s = open(dir);
    ASSERT_TRUE(s);
    id = import(*s, 1)[0];
    WriteBatch b;
    for (int i = 0; i < 5; ++i)
      b.alerts.push_back(alert(i % 2 ? id : 0, i, "a" + std::to_string(i)));
    ASSERT_TRUE(s->write(b).ok());
  }
  auto s = open(dir);  // the cursor stays valid across a restart
  ASSERT_TRUE(s);
  auto first = s->alerts_after(0, 2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].name, "a0");
  EXPECT_EQ((*first)[1].name, "a1");
  EXPECT_LT((*first)[0].id, (*first)[1].id);
  // Every field round-trips.
  const Alert want = alert(id, 1, "a1");
  const Alert& got = (*first)[1];
  EXPECT_EQ(got.meter_id, id);
  EXPECT_EQ(got.at, want.at);
  EXPECT_EQ(got.received, want.received);
  EXPECT_EQ(got.kind, want.kind);
  EXPECT_EQ(got.active, true);
  EXPECT_EQ(got.detail, want.detail);
  EXPECT_EQ((*first)[0].meter_id, 0);

  auto rest = s->alerts_after(first->back().id, 100);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 3u);
  EXPECT_EQ((*rest)[0].name, "a2");
  // And back from the latest: newest first, paged by the last id seen.
  auto latest = s->alerts_before(INT64_MAX, 2);
  ASSERT_TRUE(latest.ok());
  ASSERT_EQ(latest->size(), 2u);
  EXPECT_EQ((*latest)[0].name, "a4");
  EXPECT_EQ((*latest)[1].name, "a3");
  auto earlier = s->alerts_before(latest->back().id, 100);
  ASSERT_TRUE(earlier.ok());
  ASSERT_EQ(earlier->size(), 3u);
  EXPECT_EQ((*earlier)[0].name, "a2");
  EXPECT_EQ((*earlier)[2].name, "a0");
  EXPECT_FALSE(s->alerts_before(INT64_MAX, kMaxPage + 1).ok()) << "a page is bounded";
  EXPECT_EQ((*rest)[2].name, "a4");
  EXPECT_TRUE(s->alerts_after(rest->back().id, 100)->empty());

  // New alerts appear after the cursor, never before it.
  WriteBatch more;
  more.alerts = {alert(id, 60, "late")};
  ASSERT_TRUE(s->write(more).ok());
  auto tail = s->alerts_after(rest->back().id, 100);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ((*tail)[0].name, "late");
  EXPECT_GT((*tail)[0].id, rest->back().id);

  auto too_big = s->alerts_after(0, kMaxPage + 1);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, Errc::kLimitExceeded);
  auto audit_too_big = s->audit_after(0, kMaxPage + 1);
  ASSERT_FALSE(audit_too_big.ok());
  EXPECT_EQ(audit_too_big.error().code, Errc::kLimitExceeded);
}

TEST_P(StoreTest, CommStateRoundTripsAndSurvivesRestart) {
  const std::string dir = fresh("comm");
  std::vector<std::int64_t> ids;
  {
    auto s = open(dir);
    ASSERT_TRUE(s);
    ids = import(*s, 3);
    WriteBatch b;
    b.comm = {comm_state(ids[2], 2), comm_state(ids[0], 1)};
    ASSERT_TRUE(s->write(b).ok());
    WriteBatch update;
    update.comm = {comm_state(ids[0], 7)};
    ASSERT_TRUE(s->write(update).ok());
  }
  auto s = open(dir);
  ASSERT_TRUE(s);
  auto all = s->all_comm();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0], comm_state(ids[0], 7));  // meter id order, updated values
  EXPECT_EQ((*all)[1], comm_state(ids[2], 2));
  auto one = s->comm(ids[2]);
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ(**one, comm_state(ids[2], 2));
  EXPECT_EQ((**one).esw[15], 0xFF);
  EXPECT_EQ((**one).client_ic, 0xFFFFFF02u);
  auto none = s->comm(ids[1]);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  WriteBatch bad_sim;
  bad_sim.comm = {comm_state(ids[1], 1)};
  bad_sim.comm[0].active_sim = 3;
  auto r = s->write(bad_sim);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
}

TEST_P(StoreTest, EnqueueCommandIsIdempotentAndAudited) {
  auto s = open(fresh("enqueue"));
  ASSERT_TRUE(s);
  auto ids = import(*s, 2);
  Command c = new_command(ids[1], "op7-disconnect-1", kT0 - 1h, CommandKind::kLoadLimit);
  auto first = s->enqueue_command(c);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_GT(first->id, 0);
  EXPECT_EQ(first->meter_id, ids[1]);
  EXPECT_EQ(first->kind, CommandKind::kLoadLimit);
  EXPECT_EQ(first->argument, "1500");
  EXPECT_EQ(first->idempotency_key, c.idempotency_key);
  EXPECT_EQ(first->requested_by, "operator-7");
  EXPECT_EQ(first->reason, "non-payment");
  EXPECT_EQ(first->created, kT0);
  EXPECT_EQ(first->deadline, kT0 + 24h);
  EXPECT_EQ(first->next_attempt, kT0);  // never before it was created
  EXPECT_EQ(first->state, CommandState::kPending);
  EXPECT_EQ(first->attempts, 0u);
  EXPECT_EQ(first->result, "");
  EXPECT_EQ(first->finished, UtcTime{});
  auto stored = s->command(first->id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ(**stored, *first);

  // The same key again, even with other fields: the stored command, unchanged, and no new audit.
  Command dup = c;
  dup.reason = "retry of the request";
  dup.next_attempt = kT0 + 5h;
  auto second = s->enqueue_command(dup);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, *first);
  EXPECT_EQ(s->commands_after(0, 100)->size(), 1u);

  auto audit = s->audit_after(0, 100);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u);
  const AuditRecord& a = (*audit)[0];
  EXPECT_EQ(a.at, kT0);
  EXPECT_EQ(a.actor, "operator-7");
  EXPECT_EQ(a.action, "command-enqueue");
  EXPECT_EQ(a.subject, meter(1).first.serial);
  EXPECT_EQ(a.detail, "load-limit 1500 id=" + std::to_string(first->id) + " reason=non-payment");

  // A later next_attempt is kept as given.
  auto later = s->enqueue_command(new_command(ids[0], "k2", kT0 + 10min));
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->next_attempt, kT0 + 10min);
  EXPECT_GT(later->id, first->id);
  EXPECT_EQ(s->audit_after(0, 100)->size(), 2u);
}

TEST_P(StoreTest, EnqueueCommandValidates) {
  auto s = open(fresh("enqueue_bad"));
  ASSERT_TRUE(s);
  const auto id = import(*s, 1)[0];
  auto unknown = s->enqueue_command(new_command(id + 1, "k", kT0));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::kNotFound);
  auto empty_key = s->enqueue_command(new_command(id, "", kT0));
  ASSERT_FALSE(empty_key.ok());
  EXPECT_EQ(empty_key.error().code, Errc::kInvalidArgument);
  auto long_key = s->enqueue_command(new_command(id, std::string(kMaxFieldLength + 1, 'k'), kT0));
  ASSERT_FALSE(long_key.ok());
  EXPECT_EQ(long_key.error().code, Errc::kInvalidArgument);
  Command bad_kind = new_command(id, "k", kT0);
  bad_kind.kind = static_cast<CommandKind>(99);
  auto bk = s->enqueue_command(bad_kind);
  ASSERT_FALSE(bk.ok());
  EXPECT_EQ(bk.error().code, Errc::kInvalidArgument);
  EXPECT_TRUE(s->commands_after(0, 10)->empty());
  EXPECT_TRUE(s->audit_after(0, 10)->empty());
  auto max_key = s->enqueue_command(new_command(id, std::string(kMaxFieldLength, 'k'), kT0));
  EXPECT_TRUE(max_key.ok());
}

TEST_P(StoreTest, DueCommandsAreOrderedAndFiltered) {
  auto s = open(fresh("due"));
  ASSERT_TRUE(s);
  auto ids = import(*s, 2);
  // Enqueued in an order unlike their due order.
  auto c_late = *s->enqueue_command(new_command(ids[0], "late", kT0 + 30min));
  auto c_tie1 = *s->enqueue_command(new_command(ids[1], "tie1", kT0 + 10min));
  auto c_first = *s->enqueue_command(new_command(ids[0], "first", kT0 + 5min));
  auto c_tie2 = *s->enqueue_command(new_command(ids[0], "tie2", kT0 + 10min));
  auto c_future = *s->enqueue_command(new_command(ids[1], "future", kT0 + 2h));
  auto c_done = *s->enqueue_command(new_command(ids[1], "done", kT0 + 1min));
  WriteBatch finish;
  c_done.state = CommandState::kSucceeded;
  c_done.finished = kT0 + 2min;
  finish.command_updates = {c_done};
  ASSERT_TRUE(s->write(finish).ok());

  auto due = s->due_commands(kT0 + 30min, 100);  // next_attempt <= now is due
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(ids_of(*due), (std::vector<std::int64_t>{c_first.id, c_tie1.id, c_tie2.id, c_late.id}));
  auto two = s->due_commands(kT0 + 30min, 2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(ids_of(*two), (std::vector<std::int64_t>{c_first.id, c_tie1.id}));
  EXPECT_TRUE(s->due_commands(kT0, 100)->empty());
  auto all_due = s->due_commands(kT0 + 3h, 100);
  ASSERT_TRUE(all_due.ok());
  EXPECT_EQ(all_due->size(), 5u);
  EXPECT_EQ(all_due->back().id, c_future.id);
  auto too_big = s->due_commands(kT0, kMaxPage + 1);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code, Errc::kLimitExceeded);

  auto pending1 = s->pending_commands(ids[1]);
  ASSERT_TRUE(pending1.ok());
  EXPECT_EQ(ids_of(*pending1), (std::vector<std::int64_t>{c_tie1.id, c_future.id}));
  auto pending0 = s->pending_commands(ids[0]);
  ASSERT_TRUE(pending0.ok());
  EXPECT_EQ(ids_of(*pending0), (std::vector<std::int64_t>{c_late.id, c_first.id, c_tie2.id}));
  auto unknown = s->pending_commands(ids[1] + 100);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::kNotFound);
}

TEST_P(StoreTest, CommandUpdatesViaWrite) {
  const std::string dir = fresh("cmd_update");
  std::int64_t cmd_id = 0;
  Command want;
  {
    auto s = open(dir);
    ASSERT_TRUE(s);
    const auto id = import(*s, 1)[0];
    auto a = s->enqueue_command(new_command(id, "a", kT0));
    auto b = s->enqueue_command(new_command(id, "b", kT0));
    ASSERT_TRUE(a.ok() && b.ok());
    cmd_id = a->id;

    // A failed attempt: retried later.
    Command retry = *a;
    retry.attempts = 1;
    retry.next_attempt = kT0 + 15min;
    retry.result = "timeout waiting for the meter";
    WriteBatch w1;
    w1.command_updates = {retry};
    ASSERT_TRUE(s->write(w1).ok());
    EXPECT_EQ(**s->command(a->id), retry);
    EXPECT_EQ(ids_of(*s->due_commands(kT0 + 1min, 10)), std::vector<std::int64_t>{b->id});

    // Success: no longer pending.
    want = retry;
    want.attempts = 2;
    want.state = CommandState::kSucceeded;
    want.result = "relay disconnected";
    want.finished = kT0 + 16min;
    // Fields the update does not cover are ignored.
    Command done = want;
    done.argument = "ignored";
    done.reason = "ignored";
    done.meter_id = id + 1;
    WriteBatch w2;
    w2.command_updates = {done};
    ASSERT_TRUE(s->write(w2).ok());
    EXPECT_EQ(ids_of(*s->pending_commands(id)), std::vector<std::int64_t>{b->id});
    EXPECT_EQ(ids_of(*s->due_commands(kT0 + 1h, 10)), std::vector<std::int64_t>{b->id});

    auto after = s->commands_after(0, 10);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(ids_of(*after), (std::vector<std::int64_t>{a->id, b->id}));
    EXPECT_EQ(ids_of(*s->commands_after(a->id, 10)), std::vector<std::int64_t>{b->id});
    auto too_big = s->commands_after(0, kMaxPage + 1);
    ASSERT_FALSE(too_big.ok());
    EXPECT_EQ(too_big.error().code, Errc::kLimitExceeded);

    WriteBatch bad_state;
    bad_state.command_updates = {want};
    bad_state.command_updates[0].state = static_cast<CommandState>(42);
    auto bs = s->write(bad_state);
    ASSERT_FALSE(bs.ok());
    EXPECT_EQ(bs.error().code, Errc::kInvalidArgument);
  }
  auto s = open(dir);
  ASSERT_TRUE(s);
  auto got = s->command(cmd_id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, want);
  auto none = s->command(cmd_id + 100);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_P(StoreTest, IntervalSummaryCountsAndSums) {
  auto s = open(fresh("summary"));
  ASSERT_TRUE(s);
  auto ids = import(*s, 3);
  std::vector<IntervalReading> rows;
  for (int slot = 0; slot < 8; ++slot) rows.push_back(reading(ids[2], slot, 10 + slot));
  for (int slot = 2; slot < 5; ++slot) {
    rows.push_back(reading(ids[0], slot, 100));
    rows.back().export_wh = 4 * slot;  // a net-metered consumer's export
  }
  rows.push_back(reading(ids[1], 20, 7));  // outside the range asked below
  ASSERT_TRUE(s->put_intervals(rows).ok());

  auto sum = s->interval_summary(kT0 + 15min, kT0 + 2h);  // slots 1..7, end excluded
  ASSERT_TRUE(sum.ok());
  ASSERT_EQ(sum->size(), 2u);
  EXPECT_EQ((*sum)[0].meter_id, ids[0]);
  EXPECT_EQ((*sum)[0].count, 3u);
  EXPECT_EQ((*sum)[0].import_wh, 300);
  EXPECT_EQ((*sum)[1].meter_id, ids[2]);
  EXPECT_EQ((*sum)[1].count, 7u);
  EXPECT_EQ((*sum)[1].import_wh, 11 + 12 + 13 + 14 + 15 + 16 + 17);
  EXPECT_EQ((*sum)[0].max_interval_wh, 100);
  EXPECT_EQ((*sum)[1].max_interval_wh, 17);
  EXPECT_EQ((*sum)[0].export_wh, 4 * (2 + 3 + 4));
  EXPECT_EQ((*sum)[1].export_wh, 0);

  auto half_open = s->interval_summary(kT0, kT0 + 15min);  // slot 0 only
  ASSERT_TRUE(half_open.ok());
  ASSERT_EQ(half_open->size(), 1u);
  EXPECT_EQ((*half_open)[0].meter_id, ids[2]);
  EXPECT_EQ((*half_open)[0].count, 1u);
  EXPECT_EQ((*half_open)[0].import_wh, 10);
  EXPECT_TRUE(s->interval_summary(kT0 + 24h, kT0 + 48h)->empty());
  auto too_long = s->interval_summary(kT0, kT0 + std::chrono::days(kMaxRangeDays + 1));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, Errc::kLimitExceeded);
}

TEST_P(StoreTest, UpgradeAddsHeadEndStateAndKeepsData) {
  const std::string dir = fresh("upgrade");
  std::int64_t id = 0;
  {
    auto s = open(dir);
    ASSERT_TRUE(s);
    id = import(*s, 2)[1];
    ASSERT_TRUE(s->put_intervals(std::vector<IntervalReading>{reading(id, 0, 42)}).ok());
  }
  // Turn it into the database an older build (before migration 3) left behind.
  raw_sql(dir,
          "DROP TABLE relay_holds; DROP TABLE profile_rows; DROP TABLE commands; DROP TABLE audit; "
          "DROP TABLE alerts; DROP TABLE meter_comm; DELETE FROM schema_migrations WHERE version "
          ">= 3;");
  ASSERT_EQ(raw_count(dir, "SELECT MAX(version) FROM schema_migrations"), 2);
  ASSERT_EQ(relation_exists(dir, "alerts"), false);

  clock_.advance(24h);
  auto s = open(dir);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_version(), latest_version());
  EXPECT_GE(s->schema_version(), 3);
  auto check = s->schema_check();
  EXPECT_TRUE(check.ok()) << (check.ok() ? "" : check.error().describe());
  EXPECT_EQ(raw_count(dir, "SELECT applied_at_ms FROM schema_migrations WHERE version = 3"),
            to_ms_for_test(kT0 + 24h));
  // Old data kept.
  EXPECT_EQ(*s->meter_count(), 2u);
  auto got = s->intervals(id, kT0, kT0 + 1h);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].import_wh, 42);
  EXPECT_EQ(*s->secrets(id), meter(1).second);
  // New tables work.
  WriteBatch b;
  b.alerts = {alert(id, 1, "magnet")};
  b.comm = {comm_state(id, 1)};
  ASSERT_TRUE(s->write(b).ok());
  EXPECT_TRUE(s->enqueue_command(new_command(id, "k", kT0)).ok());
  EXPECT_EQ(s->alerts_after(0, 10)->size(), 1u);
}

TEST_P(StoreTest, SchemaCheckNoticesAMissingHeadEndTable) {
  const std::string dir = fresh("schema_check");
  auto s = open(dir);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->schema_check().ok());
  raw_sql(dir, "DROP TABLE audit");
  auto check = s->schema_check();
  ASSERT_FALSE(check.ok());
  EXPECT_NE(check.error().message.find("audit"), std::string::npos) << check.error().message;
}

// ---- Profile rows (schema migration 4) --------------------------------------------------------

// A row of `profile` captured `minute` minutes after kT0; the data encodes all three so a row
// read back can be told from any other.
ProfileRow profile_row(std::int64_t meter_id, const std::string& profile, int minute,
                       std::int32_t code = 0) {
  ProfileRow r;
  r.meter_id = meter_id;
  r.profile = profile;
  r.captured = kT0 + std::chrono::minutes(minute);
  r.code = code;
  // A-XDR structure of 3: octet-string clock (abbreviated), long-unsigned code, double-long value.
  r.data = {0x02,
            0x03,
            0x09,
            0x02,
            static_cast<std::uint8_t>(minute >> 8),
            static_cast<std::uint8_t>(minute),
            0x12,
            static_cast<std::uint8_t>(code >> 8),
            static_cast<std::uint8_t>(code),
            0x06,
            static_cast<std::uint8_t>(meter_id),
            static_cast<std::uint8_t>(profile.size()),
            0x00,
            0x01};
  return r;
}

TEST_P(StoreTest, ProfileRowsRoundTripInCapturedAndCodeOrder) {
  auto s = open(fresh("profile_rows"));
  ASSERT_TRUE(s);
  auto ids = import(*s, 2);
  WriteBatch b;
  // Given out of order, over two meters and three profiles.
  b.profile_rows = {
      profile_row(ids[0], "event-voltage", 30, 8), profile_row(ids[0], "daily", 1440),
      profile_row(ids[0], "event-voltage", 10, 7), profile_row(ids[0], "event-voltage", 30, 2),
      profile_row(ids[1], "event-voltage", 20, 7), profile_row(ids[0], "daily", 0),
      profile_row(ids[0], "event-voltage", -5, 7), profile_row(ids[0], "billing", 0),
  };
  b.profile_rows[1].data.assign(kMaxProfileRowBytes, 0xAB);  // the largest row accepted
  auto r = s->write(b);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->profile_rows_inserted, 8u);
  EXPECT_EQ(r->profile_row_duplicates, 0u);

  auto ev = s->profile_rows(ids[0], "event-voltage", kT0, kT0 + 24h);
  ASSERT_TRUE(ev.ok()) << ev.error().describe();
  const std::vector<ProfileRow> want_ev = {profile_row(ids[0], "event-voltage", 10, 7),
                                           profile_row(ids[0], "event-voltage", 30, 2),
                                           profile_row(ids[0], "event-voltage", 30, 8)};
  EXPECT_EQ(*ev, want_ev);  // other meter, profile and the row before kT0 left out

  auto daily = s->profile_rows(ids[0], "daily", kT0, kT0 + 48h);
  ASSERT_TRUE(daily.ok());
  ASSERT_EQ(daily->size(), 2u);
  EXPECT_EQ((*daily)[0], profile_row(ids[0], "daily", 0));
  EXPECT_EQ((*daily)[1], b.profile_rows[1]);  // 4096 bytes, unchanged
  // Half-open: the row at `to` is excluded, the one at `from` included.
  auto half = s->profile_rows(ids[0], "daily", kT0, kT0 + 24h);
  ASSERT_TRUE(half.ok());
  ASSERT_EQ(half->size(), 1u);
  EXPECT_EQ((*half)[0].captured, kT0);

  EXPECT_TRUE(s->profile_rows(ids[1], "daily", kT0, kT0 + 48h)->empty());
  auto unknown = s->profile_rows(ids[1] + 100, "daily", kT0, kT0 + 48h);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::kNotFound);
  auto too_long = s->profile_rows(ids[0], "daily", kT0, kT0 + std::chrono::days(kMaxRangeDays + 1));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, Errc::kLimitExceeded);
  EXPECT_TRUE(s->profile_rows(ids[0], "daily", kT0, kT0 + std::chrono::days(kMaxRangeDays)).ok());
}

TEST_P(StoreTest, ProfileRowsAreIdempotentPerMeterProfileCapturedAndCode) {
  const std::string dir = fresh("profile_idem");
  std::int64_t id = 0;
  {
    auto s = open(dir);
    ASSERT_TRUE(s);
    id = import(*s, 1)[0];
    WriteBatch b;
    b.profile_rows = {profile_row(id, "event-power", 5, 101),
                      profile_row(id, "event-power", 5, 101)};
    auto r1 = s->write(b);
    ASSERT_TRUE(r1.ok()) << r1.error().describe();
    EXPECT_EQ(r1->profile_rows_inserted, 1u);
    EXPECT_EQ(r1->profile_row_duplicates, 1u);
  }
  auto s = open(dir);  // idempotent across a restart, too
  ASSERT_TRUE(s);
  WriteBatch again;
  // The same row read again, with other bytes (e.g. re-encoded): a duplicate, the first is kept.
  again.profile_rows = {profile_row(id, "event-power", 5, 101)};
  again.profile_rows[0].data.push_back(0xFF);
  // Same time, another code; same time and code in another profile; another time: all new.
  again.profile_rows.push_back(profile_row(id, "event-power", 5, 102));
  again.profile_rows.push_back(profile_row(id, "event-other", 5, 101));
  again.profile_rows.push_back(profile_row(id, "event-power", 6, 101));
  auto r2 = s->write(again);
  ASSERT_TRUE(r2.ok()) << r2.error().describe();
  EXPECT_EQ(r2->profile_rows_inserted, 3u);
  EXPECT_EQ(r2->profile_row_duplicates, 1u);

  auto got = s->profile_rows(id, "event-power", kT0, kT0 + 1h);
  ASSERT_TRUE(got.ok());
  const std::vector<ProfileRow> want = {profile_row(id, "event-power", 5, 101),
                                        profile_row(id, "event-power", 5, 102),
                                        profile_row(id, "event-power", 6, 101)};
  EXPECT_EQ(*got, want);
  EXPECT_EQ(raw_count(dir, "SELECT COUNT(*) FROM profile_rows"), 4);
}

TEST_P(StoreTest, ProfileRowWithUnknownMeterRollsBackTheWholeBatch) {
  const std::string dir = fresh("profile_tx");
  auto s = open(dir);
  ASSERT_TRUE(s);
  auto ids = import(*s, 2);
  auto good_batch = [&] {
    WriteBatch b;
    b.intervals = {reading(ids[0], 0, 100)};
    b.alerts = {alert(ids[0], 1, "magnet")};
    b.comm = {comm_state(ids[1], 2)};
    b.audit = {audit_record("profile-read", "x")};
    b.profile_rows = {profile_row(ids[0], "billing", 0), profile_row(ids[1], "daily", 0)};
    return b;
  };
  WriteBatch bad = good_batch();
  bad.profile_rows.push_back(profile_row(ids[1] + 100, "daily", 0));  // last element
  auto r = s->write(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kNotFound) << r.error().describe();
  EXPECT_EQ(raw_count(dir, "SELECT COUNT(*) FROM profile_rows"), 0);
  EXPECT_EQ(*s->count_intervals(kT0, kT0 + 24h), 0u);
  EXPECT_TRUE(s->alerts_after(0, 10)->empty());
  EXPECT_TRUE(s->all_comm()->empty());
  EXPECT_TRUE(s->audit_after(0, 10)->empty());
  EXPECT_FALSE(s->last_profile_row(ids[0], "billing")->has_value());

  // An unknown meter in another part of the batch also takes the profile rows back.
  WriteBatch bad_alert = good_batch();
  bad_alert.alerts.push_back(alert(ids[1] + 100, 2, "cover-open"));
  ASSERT_FALSE(s->write(bad_alert).ok());
  EXPECT_EQ(raw_count(dir, "SELECT COUNT(*) FROM profile_rows"), 0);

  auto ok = s->write(good_batch());
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(ok->profile_rows_inserted, 2u);
  EXPECT_EQ(ok->intervals.inserted, 1u);
  EXPECT_EQ(raw_count(dir, "SELECT COUNT(*) FROM profile_rows"), 2);
}

TEST_P(StoreTest, LastProfileRowIsTheLatestCapturedOfThatMeterAndProfile) {
  auto s = open(fresh("profile_last"));
  ASSERT_TRUE(s);
  auto ids = import(*s, 2);
  auto none = s->last_profile_row(ids[0], "daily");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  WriteBatch b;
  b.profile_rows = {profile_row(ids[0], "daily", 2 * 1440), profile_row(ids[0], "daily", 1440),
                    profile_row(ids[0], "billing", 9 * 1440),  // another profile
                    profile_row(ids[1], "daily", 5 * 1440)};   // another meter
  ASSERT_TRUE(s->write(b).ok());
  auto last = s->last_profile_row(ids[0], "daily");
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ(**last, kT0 + 48h);
  EXPECT_EQ(**s->last_profile_row(ids[1], "daily"), kT0 + 5 * 24h);
  EXPECT_EQ(**s->last_profile_row(ids[0], "billing"), kT0 + 9 * 24h);
  EXPECT_FALSE(s->last_profile_row(ids[1], "billing")->has_value());

  // An older row arriving later does not move it back; a newer one moves it forward.
  WriteBatch more;
  more.profile_rows = {profile_row(ids[0], "daily", 0)};
  ASSERT_TRUE(s->write(more).ok());
  EXPECT_EQ(**s->last_profile_row(ids[0], "daily"), kT0 + 48h);
  more.profile_rows = {profile_row(ids[0], "daily", 3 * 1440, 1)};
  ASSERT_TRUE(s->write(more).ok());
  EXPECT_EQ(**s->last_profile_row(ids[0], "daily"), kT0 + 72h);
}

TEST_P(StoreTest, CountProfileRowsCountsOneProfileOfAllMetersInTheRange) {
  auto s = open(fresh("profile_count"));
  ASSERT_TRUE(s);
  auto ids = import(*s, 3);
  WriteBatch b;
  for (int day = 0; day < 5; ++day) {
    for (const auto id : ids) b.profile_rows.push_back(profile_row(id, "daily", day * 1440));
  }
  b.profile_rows.push_back(profile_row(ids[0], "event-current", 0, 51));
  b.profile_rows.push_back(profile_row(ids[0], "event-current", 0, 52));
  ASSERT_TRUE(s->write(b).ok());

  EXPECT_EQ(*s->count_profile_rows("daily", kT0, kT0 + 5 * 24h), 15u);
  EXPECT_EQ(*s->count_profile_rows("daily", kT0 + 24h, kT0 + 3 * 24h), 6u);  // days 1 and 2
  EXPECT_EQ(*s->count_profile_rows("daily", kT0, kT0 + 24h), 3u);            // end excluded
  EXPECT_EQ(*s->count_profile_rows("daily", kT0 + 1ms, kT0 + 24h), 0u);      // start excluded
  EXPECT_EQ(*s->count_profile_rows("daily", kT0 + 5 * 24h, kT0 + 10 * 24h), 0u);
  EXPECT_EQ(*s->count_profile_rows("event-current", kT0, kT0 + 1min), 2u);
  EXPECT_EQ(*s->count_profile_rows("billing", kT0, kT0 + 10 * 24h), 0u);
}

TEST_P(StoreTest, ProfileRowLimitsAreEnforcedAndWriteNothing) {
  const std::string dir = fresh("profile_limits");
  auto s = open(dir);
  ASSERT_TRUE(s);
  const auto id = import(*s, 1)[0];
  auto expect_error = [&](const ProfileRow& row, Errc code, const char* what) {
    WriteBatch b;
    b.intervals = {reading(id, 0, 1)};
    b.profile_rows = {profile_row(id, "daily", 0), row};
    auto r = s->write(b);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.error().code, code) << what << ": " << r.error().describe();
  };
  ProfileRow big = profile_row(id, "daily", 1);
  big.data.assign(kMaxProfileRowBytes + 1, 0x00);
  expect_error(big, Errc::kInvalidArgument, "oversized data");
  ProfileRow empty = profile_row(id, "daily", 1);
  empty.data.clear();
  expect_error(empty, Errc::kInvalidArgument, "empty data");
  ProfileRow long_name = profile_row(id, std::string(kMaxFieldLength + 1, 'p'), 1);
  expect_error(long_name, Errc::kInvalidArgument, "profile name too long");
  expect_error(profile_row(id, "", 1), Errc::kInvalidArgument, "empty profile name");
  {
    WriteBatch b;
    b.profile_rows.assign(kMaxBatch + 1, profile_row(id, "daily", 0));
    auto r = s->write(b);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::kLimitExceeded) << r.error().describe();
  }
  EXPECT_EQ(raw_count(dir, "SELECT COUNT(*) FROM profile_rows"), 0);
  EXPECT_EQ(*s->count_intervals(kT0, kT0 + 1h), 0u);

  // At the limits exactly: accepted.
  ProfileRow max = profile_row(id, std::string(kMaxFieldLength, 'p'), 1);
  max.data.assign(kMaxProfileRowBytes, 0x5A);
  WriteBatch ok;
  ok.profile_rows = {max};
  auto r = s->write(ok);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  auto got = s->profile_rows(id, max.profile, kT0, kT0 + 1h);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0], max);
}

TEST_P(StoreTest, UpgradeAddsProfileRowsAndKeepsData) {
  const std::string dir = fresh("upgrade_profile");
  std::int64_t id = 0;
  std::int64_t cmd_id = 0;
  {
    auto s = open(dir);
    ASSERT_TRUE(s);
    id = import(*s, 2)[1];
    WriteBatch b;
    b.intervals = {reading(id, 0, 42)};
    b.alerts = {alert(id, 1, "magnet")};
    b.comm = {comm_state(id, 3)};
    ASSERT_TRUE(s->write(b).ok());
    auto cmd = s->enqueue_command(new_command(id, "k", kT0));
    ASSERT_TRUE(cmd.ok());
    cmd_id = cmd->id;
  }
  // Turn it into the database a build at schema 3 left behind.
  raw_sql(dir,
          "DROP TABLE relay_holds; DROP TABLE profile_rows; DROP INDEX alerts_by_kind_at; "
          "ALTER TABLE meter_comm DROP COLUMN sim_operator; "
          "ALTER TABLE meter_comm DROP COLUMN clock_drift_ms; "
          "ALTER TABLE meter_comm DROP COLUMN clock_checked_ms; "
          "DELETE FROM schema_migrations WHERE version >= 4;");
  ASSERT_EQ(raw_count(dir, "SELECT MAX(version) FROM schema_migrations"), 3);
  ASSERT_EQ(relation_exists(dir, "profile_rows"), false);

  clock_.advance(24h);
  auto s = open(dir);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_version(), latest_version());
  EXPECT_GE(s->schema_version(), 4);
  auto check = s->schema_check();
  EXPECT_TRUE(check.ok()) << (check.ok() ? "" : check.error().describe());
  EXPECT_EQ(raw_count(dir, "SELECT applied_at_ms FROM schema_migrations WHERE version = 4"),
            to_ms_for_test(kT0 + 24h));
  EXPECT_EQ(relation_exists(dir, "profile_rows_by_captured"), true);
  // Old data kept, head-end state included.
  EXPECT_EQ(*s->meter_count(), 2u);
  auto got = s->intervals(id, kT0, kT0 + 1h);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].import_wh, 42);
  EXPECT_EQ(*s->secrets(id), meter(1).second);
  EXPECT_EQ(s->alerts_after(0, 10)->size(), 1u);
  EXPECT_EQ(**s->comm(id), comm_state(id, 3));
  EXPECT_TRUE(s->command(cmd_id)->has_value());
  // The new table works.
  WriteBatch b;
  b.profile_rows = {profile_row(id, "billing", 0)};
  auto w = s->write(b);
  ASSERT_TRUE(w.ok()) << w.error().describe();
  EXPECT_EQ(w->profile_rows_inserted, 1u);
  EXPECT_EQ(**s->last_profile_row(id, "billing"), kT0);
}

TEST_P(StoreTest, SchemaCheckNoticesAMissingProfileRowsTable) {
  const std::string dir = fresh("schema_check_profile");
  auto s = open(dir);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->schema_check().ok());
  raw_sql(dir, "DROP TABLE profile_rows");
  auto check = s->schema_check();
  ASSERT_FALSE(check.ok());
  EXPECT_NE(check.error().message.find("profile_rows"), std::string::npos) << check.error().message;
}

TEST_P(StoreTest, RelayHoldsAreKeptPerHolderAndTheLastReleaseSeesNoneRemain) {
  const std::string dir = fresh("holds");
  std::int64_t id = 0;
  {
    auto s = open(dir);
    ASSERT_TRUE(s);
    id = import(*s, 1)[0];
    auto h = s->hold_relay(RelayHold{id, "billing", "balance exhausted", kT0});
    ASSERT_TRUE(h.ok()) << h.error().message;
    ASSERT_EQ(h->size(), 1u);
    // A second hold by the same party keeps the first; another party's adds to it.
    h = s->hold_relay(RelayHold{id, "billing", "again", kT0 + 1h});
    ASSERT_EQ(h->size(), 1u);
    EXPECT_EQ((*h)[0].since, kT0);
    EXPECT_EQ((*h)[0].reason, "balance exhausted");
    h = s->hold_relay(RelayHold{id, "load-control:7", "evening peak", kT0 + 2h});
    ASSERT_EQ(h->size(), 2u);
    EXPECT_EQ((*h)[0].holder, "billing");
    EXPECT_EQ((*h)[1].holder, "load-control:7");
    EXPECT_EQ(s->hold_relay(RelayHold{id, "", "x", kT0}).error().code, Errc::kInvalidArgument);
    EXPECT_EQ(s->hold_relay(RelayHold{id + 99, "billing", "x", kT0}).error().code, Errc::kNotFound);
    EXPECT_EQ(
        s->hold_relay(RelayHold{id, "x", std::string(kMaxDetailLength + 1, 'r'), kT0}).error().code,
        Errc::kLimitExceeded);
  }
  auto s = open(dir);  // holds survive a restart
  ASSERT_TRUE(s);
  EXPECT_EQ(s->relay_holds(id)->size(), 2u);
  auto left = s->release_relay(id, "load-control:7");
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].holder, "billing");
  left = s->release_relay(id, "load-control:7");  // releasing twice is harmless
  EXPECT_EQ(left->size(), 1u);
  left = s->release_relay(id, "billing");
  EXPECT_TRUE(left->empty());
  EXPECT_EQ(s->release_relay(id + 99, "billing").error().code, Errc::kNotFound);
}

TEST_P(StoreTest, TwoStoresReleasingAtOnceLeaveExactlyOneSeeingNoHold) {
  const std::string loc = fresh("holds_race");
  auto a = open(loc);
  ASSERT_TRUE(a);
  auto b = open(loc);  // a second connection, as a second process would have
  ASSERT_TRUE(b);
  const auto id = import(*a, 1)[0];
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(a->hold_relay(RelayHold{id, "billing", "balance", kT0}).ok());
    ASSERT_TRUE(a->hold_relay(RelayHold{id, "load-control:1", "peak", kT0}).ok());
    std::atomic<int> saw_none{0};
    std::thread t1([&] {
      auto left = a->release_relay(id, "billing");
      if (left.ok() && left->empty()) ++saw_none;
    });
    std::thread t2([&] {
      auto left = b->release_relay(id, "load-control:1");
      if (left.ok() && left->empty()) ++saw_none;
    });
    t1.join();
    t2.join();
    ASSERT_EQ(saw_none.load(), 1) << "round " << round;
  }
}

// ---- PostgreSQL's own behaviour ----------------------------------------------------------------

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv(kMasterKeyEnv);
    cluster_ = PgEnvironment::instance->cluster();
    ASSERT_NE(cluster_, nullptr) << "PostgreSQL tests need a throwaway cluster: "
                                 << PgEnvironment::instance->error();
  }
  std::string fresh(const std::string& name) {
    static int n = 0;
    auto url = cluster_->create_database("pg_" + name + "_" + std::to_string(n++));
    EXPECT_TRUE(url.ok()) << url.error().describe();
    return url.ok() ? *url : std::string();
  }
  testing::PgTestCluster* cluster_ = nullptr;
  ManualClock clock_{kT0};
};

TEST_F(PgStoreTest, ReadingsGoToOneTablePartitionPerUtcDayCreatedOnDemand) {
  const std::string url = fresh("partitions");
  auto s = open_store(url, clock_, opts());
  ASSERT_TRUE(s.ok()) << s.error().describe();
  std::vector<std::pair<MeterInfo, MeterSecrets>> ms = {meter(1)};
  ASSERT_TRUE((*s)->upsert_meters(ms).ok());
  const auto id = (**(*s)->meter_by_serial(meter(1).first.serial)).id;
  // 23:45 on the 22nd, then two days from midnight on the 23rd, one of them twice.
  std::vector<IntervalReading> rows = {reading(id, -1, 1), reading(id, 0, 2), reading(id, 96, 3),
                                       reading(id, 96, 3)};
  auto put = (*s)->put_intervals(rows);
  ASSERT_TRUE(put.ok()) << put.error().describe();
  EXPECT_EQ(put->inserted, 3u);
  EXPECT_EQ(put->duplicates, 1u);
  EXPECT_EQ(pg_raw_text(url,
                        "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM "
                        "pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE "
                        "i.inhparent = 'intervals'::regclass"),
            "intervals_20261122,intervals_20261123,intervals_20261124");
  EXPECT_EQ(pg_raw_text(url, "SELECT count(*) FROM intervals_20261123"), "1");
  // A second store (another process) finds the partitions there and adds to them.
  auto other = open_store(url, clock_, opts());
  ASSERT_TRUE(other.ok());
  auto again = (*other)->put_intervals(std::vector<IntervalReading>{reading(id, 1, 4)});
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(again->inserted, 1u);
  EXPECT_EQ(pg_raw_text(url, "SELECT count(*) FROM intervals_20261123"), "2");
  // One write may not create a partition for every day of the calendar.
  std::vector<IntervalReading> spread;
  for (int day = 0; day <= static_cast<int>(kMaxRangeDays); ++day) {
    spread.push_back(reading(id, 96 * (1000 + day), 1));
  }
  auto refused = (*s)->put_intervals(spread);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::kLimitExceeded);
}

TEST_F(PgStoreTest, AMasterKeyMustComeFromSomewhere) {
  const std::string url = fresh("nokey");
  auto none = open_store(url, clock_, StoreOptions{});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, Errc::kInvalidArgument);
  EXPECT_NE(none.error().message.find("master key"), std::string::npos) << none.error().message;
  // With a key directory (the CLI's --data), master.key is created there, as for SQLite.
  StoreOptions in_dir;
  in_dir.key_dir = fresh_dir("pg_keydir");
  fs::create_directories(in_dir.key_dir);
  auto s = open_store(url, clock_, in_dir);
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_TRUE(fs::exists(fs::path(in_dir.key_dir) / kMasterKeyFile));
  // Another key on the same database opens readings but not secrets.
  std::vector<std::pair<MeterInfo, MeterSecrets>> ms = {meter(1)};
  ASSERT_TRUE((*s)->upsert_meters(ms).ok());
  auto wrong = open_store(url, clock_, opts(0x42));
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ((*wrong)->secrets(1).error().code, Errc::kAuthFailed);
}

TEST_F(PgStoreTest, PasswordsInTheUrlNeverReachAMessage) {
  EXPECT_EQ(redact_url("postgresql://vidyut:s3cret@db.example:5432/vidyut"),
            "postgresql://vidyut:***@db.example:5432/vidyut");
  EXPECT_EQ(redact_url("postgres://db/vidyut?user=v&password=s3cret&sslmode=require"),
            "postgres://db/vidyut?user=v&password=***&sslmode=require");
  EXPECT_EQ(redact_url("postgres://vidyut@db/x"), "postgres://vidyut@db/x");
  auto s =
      open_store("postgresql://vidyut:s3cret@127.0.0.1:1/vidyut?connect_timeout=2", clock_, opts());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kIo);
  EXPECT_EQ(s.error().message.find("s3cret"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("***"), std::string::npos) << s.error().message;
  EXPECT_TRUE(is_postgres_url("postgres://x"));
  EXPECT_TRUE(is_postgres_url("postgresql:///db?host=/run/postgresql"));
  EXPECT_FALSE(is_postgres_url("/var/lib/vidyut"));
  EXPECT_FALSE(is_postgres_url("postgres"));
}

TEST_F(PgStoreTest, TextThatIsNotUtf8IsRefusedAsAnArgument) {
  const std::string url = fresh("utf8");
  auto s = open_store(url, clock_, opts());
  ASSERT_TRUE(s.ok());
  std::vector<std::pair<MeterInfo, MeterSecrets>> ms = {meter(1)};
  ASSERT_TRUE((*s)->upsert_meters(ms).ok());
  WriteBatch b;
  AuditRecord a;
  a.at = kT0;
  a.actor = "head-end";
  a.action = "x";
  a.detail = "bytes \xFF\xFE";
  a.detail[6] = '\xFF';
  b.audit = {a};
  auto r = (*s)->write(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << r.error().describe();
  EXPECT_TRUE((*s)->audit_after(0, 10)->empty());
}

TEST_P(StoreTest, CommKeepsTheMetersOperatorAndClockDrift) {
  const std::string loc = fresh("comm_clock");
  auto s = open(loc);
  ASSERT_TRUE(s);
  const std::int64_t id = import(*s, 1)[0];
  MeterComm c = comm_state(id, 4);
  c.sim_operator = "AIRTEL";
  c.clock_drift_ms = -2'000'345;
  c.clock_checked = kT0 + std::chrono::minutes(7);
  WriteBatch b;
  b.comm = {c};
  ASSERT_TRUE(s->write(b).ok());
  EXPECT_EQ(**s->comm(id), c);
  c.sim_operator = std::string(kMaxFieldLength + 1, 'x');
  b.comm = {c};
  EXPECT_EQ(s->write(b).error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace vidyut::store
