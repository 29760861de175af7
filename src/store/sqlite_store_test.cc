#include "store/sqlite_store.h"

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
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"

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

SqliteOptions opts(std::uint8_t key_byte = 0x11) {
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
void raw_sql(const std::string& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((fs::path(dir) / kDatabaseFile).c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

std::int64_t raw_count(const std::string& dir, const std::string& sql) {
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

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ::unsetenv(kMasterKeyEnv); }
  std::unique_ptr<Store> open(const std::string& dir, SqliteOptions o = opts()) {
    auto s = open_sqlite_store(dir, clock_, o);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().describe());
    return s.ok() ? std::move(*s) : nullptr;
  }
  // Imports meters 0..n-1 and returns their ids.
  std::vector<std::int64_t> import(Store& s, int n) {
    std::vector<std::pair<MeterInfo, MeterSecrets>> ms;
    for (int i = 0; i < n; ++i) ms.push_back(meter(i));
    auto r = s.upsert_meters(ms);
    EXPECT_TRUE(r.ok());
    std::vector<std::int64_t> ids;
    for (int i = 0; i < n; ++i) {
      auto m = s.meter_by_serial(ms[i].first.serial);
      EXPECT_TRUE(m.ok() && m->has_value());
      ids.push_back(m.ok() && m->has_value() ? (**m).id : -1);
    }
    return ids;
  }
  ManualClock clock_{kT0};
};

TEST_F(StoreTest, OpenCreatesDirectoryDatabaseAndSchema) {
  const std::string dir = fresh_dir("create");
  auto s = open(dir);
  ASSERT_TRUE(s);
  EXPECT_TRUE(fs::exists(fs::path(dir) / kDatabaseFile));
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(s->schema_version(), sqlite_latest_schema_version());
  EXPECT_GE(sqlite_latest_schema_version(), 1);
  auto check = s->schema_check();
  EXPECT_TRUE(check.ok()) << (check.ok() ? "" : check.error().describe());
  EXPECT_EQ(raw_count(dir, "SELECT COUNT(*) FROM schema_migrations"),
            sqlite_latest_schema_version());
  EXPECT_EQ(raw_count(dir, "SELECT COUNT(*) FROM pragma_journal_mode WHERE journal_mode='wal'"), 1);
  // Master key supplied in options: no key file is written.
  EXPECT_FALSE(fs::exists(fs::path(dir) / kMasterKeyFile));
}

TEST_F(StoreTest, ReopenKeepsDataAndDoesNotRerunMigrations) {
  const std::string dir = fresh_dir("reopen");
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
  EXPECT_EQ(raw_count(dir, "SELECT COUNT(*) FROM schema_migrations"),
            sqlite_latest_schema_version());
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

TEST_F(StoreTest, UpsertCountsInsertedUpdatedUnchanged) {
  auto s = open(fresh_dir("upsert"));
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

TEST_F(StoreTest, UpsertIsOneTransaction) {
  auto s = open(fresh_dir("upsert_tx"));
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

TEST_F(StoreTest, LookupsBySerialTitleIdAndPaging) {
  auto s = open(fresh_dir("lookup"));
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

TEST_F(StoreTest, SecretsRoundTripAndAreNotStoredInPlainText) {
  const std::string dir = fresh_dir("secrets");
  auto s = open(dir);
  ASSERT_TRUE(s);
  auto ids = import(*s, 3);
  for (int i = 0; i < 3; ++i) {
    auto sec = s->secrets(ids[i]);
    ASSERT_TRUE(sec.ok()) << sec.error().describe();
    EXPECT_EQ(*sec, meter(i).second);
  }
  const std::string bytes = db_bytes(dir);
  // Sanity: the search works on a value that is stored in plain text.
  EXPECT_NE(bytes.find(meter(1).first.consumer_id), std::string::npos);
  for (int i = 0; i < 3; ++i) {
    const auto sec = meter(i).second;
    EXPECT_EQ(bytes.find(sec.lls_password), std::string::npos) << "password of meter " << i;
    const std::string ek(sec.ek.begin(), sec.ek.end());
    const std::string ak(sec.ak.begin(), sec.ak.end());
    EXPECT_EQ(bytes.find(ek), std::string::npos) << "EK of meter " << i;
    EXPECT_EQ(bytes.find(ak), std::string::npos) << "AK of meter " << i;
  }
}

TEST_F(StoreTest, WrongMasterKeyFailsWithAuthFailed) {
  const std::string dir = fresh_dir("wrongkey");
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

TEST_F(StoreTest, CiphertextMovedToAnotherMeterFailsToDecrypt) {
  const std::string dir = fresh_dir("moved");
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

TEST_F(StoreTest, MasterKeyFileCreatedOnceWithMode0600) {
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

TEST_F(StoreTest, MasterKeyFromEnvironment) {
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
    auto s = open(dir, opts(0xAA));
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->secrets(id).ok());
  }
  ::setenv(kMasterKeyEnv, "not-hex", 1);
  auto bad = open_sqlite_store(dir, clock_, SqliteOptions{});
  ::unsetenv(kMasterKeyEnv);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
}

TEST_F(StoreTest, PutTenThousandRowsInOneCall) {
  const std::string dir = fresh_dir("batch");
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

TEST_F(StoreTest, DuplicatesAreIdempotentAndConflictsKeepTheFirst) {
  auto s = open(fresh_dir("dups"));
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

TEST_F(StoreTest, PutWithUnknownMeterFailsWholeBatch) {
  auto s = open(fresh_dir("unknown"));
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

TEST_F(StoreTest, IntervalsRangeIsHalfOpenAndAscending) {
  auto s = open(fresh_dir("range"));
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

TEST_F(StoreTest, MissingIntervalsFindsGapsExactly) {
  auto s = open(fresh_dir("gaps"));
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

TEST_F(StoreTest, NewerSchemaVersionIsRefused) {
  const std::string dir = fresh_dir("future");
  { ASSERT_TRUE(open(dir)); }
  raw_sql(dir, "INSERT INTO schema_migrations (version, description, applied_at_ms) VALUES (" +
                   std::to_string(sqlite_latest_schema_version() + 1) + ", 'from the future', 0)");
  auto s = open_sqlite_store(dir, clock_, opts());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kUnsupported);
  EXPECT_NE(s.error().message.find("newer"), std::string::npos) << s.error().message;
}

TEST_F(StoreTest, NonSqliteFileIsAClearIoError) {
  const std::string dir = fresh_dir("corrupt");
  fs::create_directories(dir);
  {
    std::ofstream out(fs::path(dir) / kDatabaseFile, std::ios::binary);
    out << std::string(8192, 'x');
  }
  auto s = open_sqlite_store(dir, clock_, opts());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kIo);
  EXPECT_NE(s.error().message.find("not a database"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find(kDatabaseFile), std::string::npos) << s.error().message;
}

TEST_F(StoreTest, DataDirThatIsAFileIsAnIoError) {
  const std::string dir = fresh_dir("file");
  { std::ofstream out(dir); }
  auto s = open_sqlite_store(dir, clock_, opts());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kIo);
}

}  // namespace
}  // namespace vidyut::store
