#include "store/sqlite_store.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>

#include <fmt/format.h>

#include "core/bytes.h"
#include "core/text.h"
#include "store/master_key.h"
#include "store/sealing.h"
#include "store/sqlite_relay_holds.h"
#include "store/sqlite_util.h"
#include "store/validation.h"

namespace vidyut::store {
namespace {

namespace fs = std::filesystem;
using sql::exec;
using sql::sqlite_error;
using sql::Stmt;
using sql::Use;

// ---------------------------------------------------------------------------------------------
// Schema migrations: applied in order, one transaction each, never edited once released (add a
// new step instead). The highest version is the schema this build expects.

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

constexpr Migration kMigrations[] = {
    {1, "meter registry",
     "CREATE TABLE store_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;"
     "CREATE TABLE meters ("
     "  id INTEGER PRIMARY KEY,"
     "  serial TEXT NOT NULL UNIQUE,"
     "  kind TEXT NOT NULL CHECK (kind IN ('single-phase','three-phase','dt','feeder')),"
     "  manufacturer TEXT NOT NULL,"
     "  system_title BLOB NOT NULL UNIQUE CHECK (length(system_title) = 8),"
     "  category TEXT NOT NULL,"
     "  sanctioned_load_w INTEGER NOT NULL,"
     "  feeder TEXT NOT NULL,"
     "  dt TEXT NOT NULL,"
     "  consumer_id TEXT NOT NULL,"
     "  sim_operator1 TEXT NOT NULL,"
     "  sim_operator2 TEXT NOT NULL,"
     "  static_ip TEXT NOT NULL,"
     "  secrets BLOB NOT NULL,"  // format byte || nonce || AES-256-GCM ciphertext || tag
     "  created_at_ms INTEGER NOT NULL,"
     "  updated_at_ms INTEGER NOT NULL);"},
    {2, "interval readings",
     "CREATE TABLE intervals ("
     "  meter_id INTEGER NOT NULL REFERENCES meters(id),"
     "  start_ms INTEGER NOT NULL,"
     "  period_s INTEGER NOT NULL,"
     "  import_wh INTEGER NOT NULL,"
     "  import_vah INTEGER NOT NULL,"
     "  export_wh INTEGER NOT NULL,"
     "  export_vah INTEGER NOT NULL,"
     "  source INTEGER NOT NULL,"
     "  PRIMARY KEY (meter_id, start_ms)) WITHOUT ROWID;"
     "CREATE INDEX intervals_by_start ON intervals (start_ms);"},
    {3, "head-end state",
     "CREATE TABLE meter_comm ("
     "  meter_id INTEGER PRIMARY KEY REFERENCES meters(id),"
     "  push_ic INTEGER NOT NULL,"
     "  client_ic INTEGER NOT NULL,"
     "  last_contact_ms INTEGER NOT NULL,"
     "  active_sim INTEGER NOT NULL,"
     "  peer_address TEXT NOT NULL,"
     "  esw BLOB NOT NULL CHECK (length(esw) = 16));"
     // AUTOINCREMENT: ids are never reused, even after old rows are deleted, so an id is a safe
     // subscription cursor.
     "CREATE TABLE alerts ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  meter_id INTEGER NOT NULL,"  // 0 = no registered meter; others are checked on insert
     "  at_ms INTEGER NOT NULL,"
     "  received_ms INTEGER NOT NULL,"
     "  kind TEXT NOT NULL,"
     "  name TEXT NOT NULL,"
     "  active INTEGER NOT NULL,"
     "  detail TEXT NOT NULL);"
     "CREATE UNIQUE INDEX alerts_identity ON alerts (meter_id, at_ms, kind, name, active);"
     "CREATE TABLE audit ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  at_ms INTEGER NOT NULL,"
     "  actor TEXT NOT NULL,"
     "  action TEXT NOT NULL,"
     "  subject TEXT NOT NULL,"
     "  detail TEXT NOT NULL);"
     "CREATE TABLE commands ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  meter_id INTEGER NOT NULL REFERENCES meters(id),"
     "  kind INTEGER NOT NULL,"
     "  argument TEXT NOT NULL,"
     "  idempotency_key TEXT NOT NULL UNIQUE,"
     "  requested_by TEXT NOT NULL,"
     "  reason TEXT NOT NULL,"
     "  created_ms INTEGER NOT NULL,"
     "  deadline_ms INTEGER NOT NULL,"
     "  next_attempt_ms INTEGER NOT NULL,"
     "  attempts INTEGER NOT NULL,"
     "  state INTEGER NOT NULL,"
     "  result TEXT NOT NULL,"
     "  finished_ms INTEGER NOT NULL);"
     "CREATE INDEX commands_due ON commands (state, next_attempt_ms);"
     "CREATE INDEX commands_by_meter ON commands (meter_id, state);"},
    {4, "profile rows",
     // Daily, billing and event-log rows as the meter sent them (A-XDR), one per
     // (meter, profile, captured, code).
     "CREATE TABLE profile_rows ("
     "  meter_id INTEGER NOT NULL REFERENCES meters(id),"
     "  profile TEXT NOT NULL,"
     "  captured_ms INTEGER NOT NULL,"
     "  code INTEGER NOT NULL,"
     "  data BLOB NOT NULL,"
     "  PRIMARY KEY (meter_id, profile, captured_ms, code)) WITHOUT ROWID;"
     "CREATE INDEX profile_rows_by_captured ON profile_rows (profile, captured_ms);"},
    {5, "alerts by kind and time",
     // The MDM reads one kind of alert over a period (power events, tamper conditions) without
     // walking every alert ever raised.
     "CREATE INDEX alerts_by_kind_at ON alerts (kind, at_ms);"},
    {6, "relay holds",
     // Who needs a meter's relay open (billing for a balance, a load-control action): the relay
     // is closed only when none remains.
     "CREATE TABLE relay_holds ("
     "  meter_id INTEGER NOT NULL REFERENCES meters(id),"
     "  holder TEXT NOT NULL,"
     "  reason TEXT NOT NULL,"
     "  since_ms INTEGER NOT NULL,"
     "  PRIMARY KEY (meter_id, holder)) WITHOUT ROWID;"},
    {7, "what the meter says about itself",
     // The operator of the SIM the meter says it uses (its active-SIM object), and its clock
     // against the head end's at the last check (docs/head-end.md, "Meter clocks").
     "ALTER TABLE meter_comm ADD COLUMN sim_operator TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE meter_comm ADD COLUMN clock_drift_ms INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE meter_comm ADD COLUMN clock_checked_ms INTEGER NOT NULL DEFAULT 0;"},
};

constexpr int kLatestVersion = kMigrations[std::size(kMigrations) - 1].version;

constexpr const char* kMeterColumns =
    "id, serial, kind, manufacturer, system_title, category, sanctioned_load_w, feeder, dt, "
    "consumer_id, sim_operator1, sim_operator2, static_ip";
constexpr const char* kCommColumns =
    "meter_id, push_ic, client_ic, last_contact_ms, active_sim, peer_address, esw, sim_operator, "
    "clock_drift_ms, clock_checked_ms";
constexpr const char* kAlertColumns =
    "id, meter_id, at_ms, received_ms, kind, name, active, detail";
constexpr const char* kAuditColumns = "id, at_ms, actor, action, subject, detail";
constexpr const char* kCommandColumns =
    "id, meter_id, kind, argument, idempotency_key, requested_by, reason, created_ms, "
    "deadline_ms, next_attempt_ms, attempts, state, result, finished_ms";

// An alert from a row of kAlertColumns.
Alert alert_from_row(const Use& u) {
  Alert a;
  a.id = u.i64(0);
  a.meter_id = u.i64(1);
  a.at = from_ms(u.i64(2));
  a.received = from_ms(u.i64(3));
  a.kind = u.text(4);
  a.name = u.text(5);
  a.active = u.i64(6) != 0;
  a.detail = u.text(7);
  return a;
}

struct DbHandle {
  sqlite3* db = nullptr;
  ~DbHandle() { sqlite3_close_v2(db); }
};

// ---------------------------------------------------------------------------------------------

class SqliteStore final : public Store {
 public:
  SqliteStore(const Clock& clock, std::string path) : clock_(clock), path_(std::move(path)) {}
  ~SqliteStore() override {
    // Statements are finalized by their destructors before the handle closes (declared later).
    OPENSSL_cleanse(key_.data(), key_.size());
  }

  Status open(const SqliteOptions& o, const fs::path& dir) {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path_.c_str(), &h_.db, flags, nullptr) != SQLITE_OK) {
      return sqlite_error(h_.db, "open " + path_);
    }
    sqlite3* db = h_.db;
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, o.busy_timeout_ms);
    // The first statement reads the file header: a file that is not a database fails here.
    {
      Stmt wal;
      VIDYUT_CHECK(with_path(wal.prepare(db, "PRAGMA journal_mode=WAL")));
      Use u(wal);
      auto row = u.step();
      if (!row.ok()) return with_path(Status(row.error()));
      if (!*row || u.text(0) != "wal") {
        return Error(Errc::kIo, "sqlite: " + path_ + ": cannot switch to WAL journal mode");
      }
    }
    VIDYUT_CHECK(exec(db,
                      o.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                      "set synchronous"));
    VIDYUT_CHECK(exec(db, "PRAGMA foreign_keys=ON", "enable foreign keys"));
    VIDYUT_CHECK(migrate());

    VIDYUT_TRY(key,
               load_master_key(MasterKeySource{o.master_key, o.master_key_file, dir.string()}));
    key_ = *key;
    VIDYUT_CHECK(check_key());
    return prepare_all();
  }

  Result<ImportSummary> upsert_meters(
      std::span<const std::pair<MeterInfo, MeterSecrets>> meters) override {
    VIDYUT_CHECK(validate_import_size(meters.size()));
    for (const auto& [m, s] : meters) VIDYUT_CHECK(validate_meter(m, s));
    std::lock_guard lock(mu_);
    if (!key_ok_) return key_error("cannot import meters");
    VIDYUT_CHECK(begin());
    ImportSummary sum;
    for (const auto& [m, s] : meters) {
      auto r = upsert_one(m, s, sum);
      if (!r.ok()) {
        rollback();
        return r.error();
      }
    }
    VIDYUT_CHECK(commit());
    return sum;
  }

  Result<std::optional<MeterInfo>> meter_by_serial(std::string_view serial) override {
    std::lock_guard lock(mu_);
    Use u(by_serial_);
    u.bind(serial);
    return read_meter(u);
  }

  Result<std::optional<MeterInfo>> meter_by_title(
      const std::array<std::uint8_t, 8>& system_title) override {
    std::lock_guard lock(mu_);
    Use u(by_title_);
    u.bind_blob(system_title);
    return read_meter(u);
  }

  Result<std::optional<MeterInfo>> meter_by_id(std::int64_t meter_id) override {
    std::lock_guard lock(mu_);
    return meter_by_id_locked(meter_id);
  }

  Result<MeterSecrets> secrets(std::int64_t meter_id) override {
    std::lock_guard lock(mu_);
    Use u(secrets_by_id_);
    u.bind(meter_id);
    VIDYUT_TRY(row, u.step());
    if (!*row) return Error(Errc::kNotFound, "no meter with id " + std::to_string(meter_id));
    const std::string serial = u.text(0);
    return open_sealed(serial, u.blob(1));
  }

  Result<std::vector<MeterInfo>> meters(std::size_t offset, std::size_t limit) override {
    VIDYUT_CHECK(check_page(limit, "meters"));
    std::lock_guard lock(mu_);
    Use u(page_);
    u.bind(static_cast<std::int64_t>(limit)).bind(static_cast<std::int64_t>(offset));
    std::vector<MeterInfo> out;
    while (true) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      VIDYUT_TRY(m, meter_from_row(u));
      out.push_back(std::move(*m));
    }
    return out;
  }

  Result<std::string> meta_or_set(std::string_view key, std::string_view value) override {
    VIDYUT_CHECK(check_meta(key, value));
    std::lock_guard lock(mu_);
    std::string out;
    const Status st = in_transaction([&]() -> Status {
      Stmt ins;
      VIDYUT_CHECK(
          ins.prepare(h_.db, "INSERT OR IGNORE INTO store_meta (key, value) VALUES (?, ?)"));
      Use i(ins);
      i.bind(meta_key(key)).bind(value);
      VIDYUT_TRY(done, i.step());
      Stmt get;
      VIDYUT_CHECK(get.prepare(h_.db, "SELECT value FROM store_meta WHERE key = ?"));
      Use g(get);
      g.bind(meta_key(key));
      VIDYUT_TRY(row, g.step());
      if (!*row) return Error(Errc::kInternal, "store meta: the value just stored is missing");
      out = g.text(0);
      return ok_status();
    });
    if (!st.ok()) return st.error();
    return out;
  }

  Status set_meta(std::string_view key, std::string_view value) override {
    VIDYUT_CHECK(check_meta(key, value));
    std::lock_guard lock(mu_);
    return in_transaction([&]() -> Status {
      Stmt put;
      VIDYUT_CHECK(
          put.prepare(h_.db, "INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, ?)"));
      Use p(put);
      p.bind(meta_key(key)).bind(value);
      VIDYUT_TRY(done, p.step());
      return ok_status();
    });
  }

  Result<std::size_t> meter_count() override {
    std::lock_guard lock(mu_);
    Use u(meter_count_);
    VIDYUT_TRY(row, u.step());
    return static_cast<std::size_t>(*row ? u.i64(0) : 0);
  }

  // The intervals part of write(), without copying the rows into a batch.
  Result<PutResult> put_intervals(std::span<const IntervalReading> rows) override {
    VIDYUT_CHECK(validate_intervals(rows));
    std::lock_guard lock(mu_);
    PutResult res;
    VIDYUT_CHECK(in_transaction([&] { return put_rows(rows, res); }));
    return res;
  }

  Result<std::vector<IntervalReading>> intervals(std::int64_t meter_id, UtcTime from,
                                                 UtcTime to) override {
    VIDYUT_CHECK(check_range(from, to));
    std::lock_guard lock(mu_);
    VIDYUT_CHECK(require_meter(meter_id));
    Use u(range_);
    u.bind(meter_id).bind(to_ms(from)).bind(to_ms(to));
    std::vector<IntervalReading> out;
    while (true) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      IntervalReading r;
      r.meter_id = meter_id;
      r.start = from_ms(u.i64(0));
      r.period_s = static_cast<std::int32_t>(u.i64(1));
      r.import_wh = u.i64(2);
      r.import_vah = u.i64(3);
      r.export_wh = u.i64(4);
      r.export_vah = u.i64(5);
      r.source = u.i64(6) == 1 ? IntervalReading::Source::kRead : IntervalReading::Source::kPush;
      out.push_back(r);
    }
    return out;
  }

  Result<std::vector<UtcTime>> missing_intervals(std::int64_t meter_id, UtcTime from, UtcTime to,
                                                 std::int32_t period_s) override {
    VIDYUT_CHECK(check_period(period_s));
    VIDYUT_CHECK(check_range(from, to));
    std::lock_guard lock(mu_);
    VIDYUT_CHECK(require_meter(meter_id));
    std::vector<std::int64_t> have;
    {
      Use u(starts_);
      u.bind(meter_id).bind(to_ms(from)).bind(to_ms(to));
      while (true) {
        VIDYUT_TRY(row, u.step());
        if (!*row) break;
        have.push_back(u.i64(0));
      }
    }
    std::vector<UtcTime> missing;
    const std::int64_t step = std::int64_t{period_s} * 1000;
    std::size_t i = 0;
    for (std::int64_t t = to_ms(from); t < to_ms(to); t += step) {
      while (i < have.size() && have[i] < t) ++i;
      if (i == have.size() || have[i] != t) missing.push_back(from_ms(t));
    }
    return missing;
  }

  Result<std::uint64_t> count_intervals(UtcTime from, UtcTime to) override {
    std::lock_guard lock(mu_);
    Use u(count_);
    u.bind(to_ms(from)).bind(to_ms(to));
    VIDYUT_TRY(row, u.step());
    return static_cast<std::uint64_t>(*row ? u.i64(0) : 0);
  }

  // ---- Head-end state ----

  Result<WriteResult> write(const WriteBatch& batch) override {
    VIDYUT_CHECK(validate_batch(batch));
    std::lock_guard lock(mu_);
    WriteResult res;
    VIDYUT_CHECK(in_transaction([&] { return write_locked(batch, res); }));
    return res;
  }

  Result<std::vector<MeterComm>> all_comm() override {
    std::lock_guard lock(mu_);
    Use u(all_comm_);
    std::vector<MeterComm> out;
    while (true) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      VIDYUT_TRY(c, comm_from_row(u));
      out.push_back(std::move(*c));
    }
    return out;
  }

  Result<std::optional<MeterComm>> comm(std::int64_t meter_id) override {
    std::lock_guard lock(mu_);
    Use u(comm_by_id_);
    u.bind(meter_id);
    VIDYUT_TRY(row, u.step());
    if (!*row) return std::optional<MeterComm>();
    VIDYUT_TRY(c, comm_from_row(u));
    return std::optional<MeterComm>(std::move(*c));
  }

  Result<std::vector<Alert>> alerts_after(std::int64_t after_id, std::size_t limit) override {
    return alert_page(alerts_after_, after_id, limit);
  }
  Result<std::vector<Alert>> alerts_before(std::int64_t before_id, std::size_t limit) override {
    return alert_page(alerts_before_, before_id, limit);
  }
  Result<std::vector<Alert>> alert_page(Stmt& stmt, std::int64_t id, std::size_t limit) {
    VIDYUT_CHECK(check_page(limit, "alerts"));
    std::lock_guard lock(mu_);
    Use u(stmt);
    u.bind(id).bind(static_cast<std::int64_t>(limit));
    std::vector<Alert> out;
    while (true) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      out.push_back(alert_from_row(u));
    }
    return out;
  }

  Result<std::vector<Alert>> alerts_of_kind(std::string_view kind, UtcTime from, UtcTime to,
                                            std::int64_t after_id, std::size_t limit) override {
    VIDYUT_CHECK(check_page(limit, "alerts"));
    std::lock_guard lock(mu_);
    Use u(alerts_of_kind_);
    u.bind(kind)
        .bind(to_ms(from))
        .bind(to_ms(to))
        .bind(after_id)
        .bind(static_cast<std::int64_t>(limit));
    std::vector<Alert> out;
    while (true) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      out.push_back(alert_from_row(u));
    }
    return out;
  }

  Result<std::vector<AuditRecord>> audit_after(std::int64_t after_id, std::size_t limit) override {
    return audit_page(audit_after_, after_id, limit);
  }
  Result<std::vector<AuditRecord>> audit_before(std::int64_t before_id,
                                                std::size_t limit) override {
    return audit_page(audit_before_, before_id, limit);
  }
  Result<std::vector<AuditRecord>> audit_page(Stmt& stmt, std::int64_t id, std::size_t limit) {
    VIDYUT_CHECK(check_page(limit, "audit records"));
    std::lock_guard lock(mu_);
    Use u(stmt);
    u.bind(id).bind(static_cast<std::int64_t>(limit));
    std::vector<AuditRecord> out;
    while (true) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      AuditRecord r;
      r.id = u.i64(0);
      r.at = from_ms(u.i64(1));
      r.actor = u.text(2);
      r.action = u.text(3);
      r.subject = u.text(4);
      r.detail = u.text(5);
      out.push_back(std::move(r));
    }
    return out;
  }

  Result<Command> enqueue_command(const Command& cmd) override {
    VIDYUT_CHECK(validate_new_command(cmd));
    std::lock_guard lock(mu_);
    Command out;
    VIDYUT_CHECK(in_transaction([&] { return enqueue_locked(cmd, out); }));
    return out;
  }

  Result<std::optional<Command>> command(std::int64_t id) override {
    std::lock_guard lock(mu_);
    return command_by_id_locked(id);
  }

  Result<std::vector<Command>> due_commands(UtcTime now, std::size_t limit) override {
    VIDYUT_CHECK(check_page(limit, "commands"));
    std::lock_guard lock(mu_);
    Use u(due_);
    u.bind(static_cast<std::int64_t>(CommandState::kPending))
        .bind(to_ms(now))
        .bind(static_cast<std::int64_t>(limit));
    return read_commands(u);
  }

  Result<std::vector<Command>> pending_commands(std::int64_t meter_id) override {
    std::lock_guard lock(mu_);
    VIDYUT_CHECK(require_meter(meter_id));
    Use u(pending_by_meter_);
    u.bind(meter_id).bind(static_cast<std::int64_t>(CommandState::kPending));
    return read_commands(u);
  }

  Result<std::vector<RelayHold>> hold_relay(const RelayHold& hold) override {
    VIDYUT_CHECK(validate_relay_hold(hold));
    std::lock_guard lock(mu_);
    VIDYUT_CHECK(require_meter(hold.meter_id));
    std::vector<RelayHold> out;
    const Status done = in_transaction([&]() -> Status {
      VIDYUT_CHECK(holds_.put(hold));
      VIDYUT_TRY(all, holds_.of_meter(hold.meter_id));
      out = std::move(*all);
      return ok_status();
    });
    if (!done.ok()) return done.error();
    return out;
  }

  Result<std::vector<RelayHold>> release_relay(std::int64_t meter_id,
                                               std::string_view holder) override {
    std::lock_guard lock(mu_);
    VIDYUT_CHECK(require_meter(meter_id));
    std::vector<RelayHold> out;
    const Status done = in_transaction([&]() -> Status {
      VIDYUT_CHECK(holds_.remove(meter_id, holder));
      VIDYUT_TRY(all, holds_.of_meter(meter_id));
      out = std::move(*all);
      return ok_status();
    });
    if (!done.ok()) return done.error();
    return out;
  }

  Result<std::vector<RelayHold>> relay_holds(std::int64_t meter_id) override {
    std::lock_guard lock(mu_);
    VIDYUT_CHECK(require_meter(meter_id));
    return holds_.of_meter(meter_id);
  }

  Result<std::vector<Command>> commands_after(std::int64_t after_id, std::size_t limit) override {
    VIDYUT_CHECK(check_page(limit, "commands"));
    std::lock_guard lock(mu_);
    Use u(commands_after_);
    u.bind(after_id).bind(static_cast<std::int64_t>(limit));
    return read_commands(u);
  }

  // ---- Profile rows ----

  Result<std::vector<ProfileRow>> profile_rows(std::int64_t meter_id, std::string_view profile,
                                               UtcTime from, UtcTime to) override {
    VIDYUT_CHECK(check_range(from, to));
    std::lock_guard lock(mu_);
    VIDYUT_CHECK(require_meter(meter_id));
    Use u(profile_range_);
    u.bind(meter_id).bind(profile).bind(to_ms(from)).bind(to_ms(to));
    std::vector<ProfileRow> out;
    while (true) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      ProfileRow r;
      r.meter_id = meter_id;
      r.profile = std::string(profile);
      r.captured = from_ms(u.i64(0));
      r.code = static_cast<std::int32_t>(u.i64(1));
      r.data = u.blob(2);
      out.push_back(std::move(r));
    }
    return out;
  }

  Result<std::optional<UtcTime>> last_profile_row(std::int64_t meter_id,
                                                  std::string_view profile) override {
    std::lock_guard lock(mu_);
    Use u(profile_last_);
    u.bind(meter_id).bind(profile);
    VIDYUT_TRY(row, u.step());
    if (!*row) return std::optional<UtcTime>();
    return std::optional<UtcTime>(from_ms(u.i64(0)));
  }

  Result<std::uint64_t> count_profile_rows(std::string_view profile, UtcTime from,
                                           UtcTime to) override {
    std::lock_guard lock(mu_);
    Use u(profile_count_);
    u.bind(profile).bind(to_ms(from)).bind(to_ms(to));
    VIDYUT_TRY(row, u.step());
    return static_cast<std::uint64_t>(*row ? u.i64(0) : 0);
  }

  Result<std::vector<MeterIntervalSummary>> interval_summary(UtcTime from, UtcTime to) override {
    VIDYUT_CHECK(check_range(from, to));
    std::lock_guard lock(mu_);
    Use u(summary_);
    u.bind(to_ms(from)).bind(to_ms(to));
    std::vector<MeterIntervalSummary> out;
    while (true) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      MeterIntervalSummary m;
      m.meter_id = u.i64(0);
      m.count = static_cast<std::uint32_t>(u.i64(1));
      m.import_wh = u.i64(2);
      m.max_interval_wh = u.i64(3);
      m.export_wh = u.i64(4);
      out.push_back(m);
    }
    return out;
  }

  Status schema_check() override {
    std::lock_guard lock(mu_);
    {
      Stmt s;
      VIDYUT_CHECK(s.prepare(h_.db, "PRAGMA quick_check"));
      Use u(s);
      VIDYUT_TRY(row, u.step());
      if (!*row || u.text(0) != "ok") {
        return Error(Errc::kIo, "sqlite: " + path_ + ": integrity check failed: " +
                                    (*row ? u.text(0) : std::string("no answer")));
      }
    }
    VIDYUT_TRY(v, read_version());
    if (*v != kLatestVersion) {
      return Error(Errc::kUnsupported, "schema version " + std::to_string(*v) + ", expected " +
                                           std::to_string(kLatestVersion));
    }
    for (const char* table :
         {"schema_migrations", "store_meta", "meters", "intervals", "meter_comm", "alerts", "audit",
          "commands", "profile_rows", "relay_holds"}) {
      Stmt s;
      VIDYUT_CHECK(
          s.prepare(h_.db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?"));
      Use u(s);
      u.bind(std::string_view(table));
      VIDYUT_TRY(row, u.step());
      if (!*row) return Error(Errc::kIo, std::string("table ") + table + " is missing");
    }
    return ok_status();
  }

  int schema_version() override {
    std::lock_guard lock(mu_);
    return version_;
  }

 private:
  Status with_path(Status s) const {
    if (s.ok()) return s;
    return Error(s.error().code, s.error().message + " (" + path_ + ")");
  }

  Error key_error(const std::string& what) const {
    return Error(Errc::kAuthFailed,
                 what + ": the master key does not match this database; " + kCheckKeyHint);
  }

  Result<int> read_version() {
    Stmt s;
    VIDYUT_CHECK(s.prepare(h_.db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    Use u(s);
    VIDYUT_TRY(row, u.step());
    return static_cast<int>(*row ? u.i64(0) : 0);
  }

  Status migrate() {
    sqlite3* db = h_.db;
    VIDYUT_CHECK(exec(db,
                      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY "
                      "KEY, description TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)",
                      "create schema_migrations"));
    VIDYUT_TRY(current, read_version());
    if (*current > kLatestVersion) {
      return Error(Errc::kUnsupported,
                   "database " + path_ + " has schema version " + std::to_string(*current) +
                       ", newer than this build supports (" + std::to_string(kLatestVersion) +
                       "); run a newer Vidyut or restore a backup");
    }
    for (const Migration& m : kMigrations) {
      if (m.version <= *current) continue;
      VIDYUT_CHECK(exec(db, "BEGIN IMMEDIATE", "begin migration"));
      Status st = exec(db, m.sql, "migration " + std::to_string(m.version));
      if (st.ok()) {
        Stmt ins;
        st = ins.prepare(db,
                         "INSERT INTO schema_migrations (version, description, applied_at_ms) "
                         "VALUES (?, ?, ?)");
        if (st.ok()) {
          Use u(ins);
          u.bind(std::int64_t{m.version})
              .bind(std::string_view(m.description))
              .bind(to_ms(clock_.now()));
          auto r = u.step();
          if (!r.ok()) st = r.error();
        }
      }
      if (st.ok()) st = exec(db, "COMMIT", "commit migration");
      if (!st.ok()) {
        (void)exec(db, "ROLLBACK", "rollback migration");
        return st;
      }
    }
    version_ = kLatestVersion;
    return ok_status();
  }

  // Verifies the master key against a value sealed at first open; an unmatched key leaves the
  // store usable for readings but makes secrets() and upsert_meters() fail with kAuthFailed.
  Status check_key() {
    Stmt get;
    VIDYUT_CHECK(get.prepare(h_.db, "SELECT value FROM store_meta WHERE key = 'key_check'"));
    Use u(get);
    VIDYUT_TRY(row, u.step());
    if (*row) {
      key_ok_ = key_check_matches(key_, u.blob(0));
      return ok_status();
    }
    VIDYUT_TRY(sealed, seal_key_check(key_));
    Stmt put;
    VIDYUT_CHECK(put.prepare(h_.db, "INSERT INTO store_meta (key, value) VALUES ('key_check', ?)"));
    Use p(put);
    p.bind_blob(*sealed);
    VIDYUT_TRY(done, p.step());
    key_ok_ = true;
    return ok_status();
  }

  Status prepare_all() {
    sqlite3* db = h_.db;
    VIDYUT_CHECK(holds_.prepare(db));
    const std::string cols(kMeterColumns);
    VIDYUT_CHECK(begin_.prepare(db, "BEGIN IMMEDIATE"));
    VIDYUT_CHECK(commit_.prepare(db, "COMMIT"));
    VIDYUT_CHECK(rollback_.prepare(db, "ROLLBACK"));
    VIDYUT_CHECK(by_serial_.prepare(db, "SELECT " + cols + " FROM meters WHERE serial = ?"));
    VIDYUT_CHECK(by_title_.prepare(db, "SELECT " + cols + " FROM meters WHERE system_title = ?"));
    VIDYUT_CHECK(by_id_.prepare(db, "SELECT " + cols + " FROM meters WHERE id = ?"));
    VIDYUT_CHECK(
        upsert_find_.prepare(db, "SELECT " + cols + ", secrets FROM meters WHERE serial = ?"));
    VIDYUT_CHECK(secrets_by_id_.prepare(db, "SELECT serial, secrets FROM meters WHERE id = ?"));
    VIDYUT_CHECK(page_.prepare(db, "SELECT " + cols + " FROM meters ORDER BY id LIMIT ? OFFSET ?"));
    VIDYUT_CHECK(meter_count_.prepare(db, "SELECT COUNT(*) FROM meters"));
    VIDYUT_CHECK(insert_meter_.prepare(
        db,
        "INSERT INTO meters (serial, kind, manufacturer, system_title, category, "
        "sanctioned_load_w, feeder, dt, consumer_id, sim_operator1, sim_operator2, static_ip, "
        "secrets, created_at_ms, updated_at_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    VIDYUT_CHECK(update_meter_.prepare(
        db,
        "UPDATE meters SET serial = ?, kind = ?, manufacturer = ?, system_title = ?, "
        "category = ?, sanctioned_load_w = ?, feeder = ?, dt = ?, consumer_id = ?, "
        "sim_operator1 = ?, sim_operator2 = ?, static_ip = ?, secrets = ?, updated_at_ms = ? "
        "WHERE id = ?"));
    VIDYUT_CHECK(insert_interval_.prepare(
        db,
        "INSERT INTO intervals (meter_id, start_ms, period_s, import_wh, import_vah, export_wh, "
        "export_vah, source) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (meter_id, start_ms) DO "
        "NOTHING"));
    VIDYUT_CHECK(get_interval_.prepare(
        db,
        "SELECT period_s, import_wh, import_vah, export_wh, export_vah FROM intervals WHERE "
        "meter_id = ? AND start_ms = ?"));
    VIDYUT_CHECK(range_.prepare(
        db,
        "SELECT start_ms, period_s, import_wh, import_vah, export_wh, export_vah, source FROM "
        "intervals WHERE meter_id = ? AND start_ms >= ? AND start_ms < ? ORDER BY start_ms"));
    VIDYUT_CHECK(starts_.prepare(db,
                                 "SELECT start_ms FROM intervals WHERE meter_id = ? AND "
                                 "start_ms >= ? AND start_ms < ? ORDER BY start_ms"));
    VIDYUT_CHECK(
        count_.prepare(db, "SELECT COUNT(*) FROM intervals WHERE start_ms >= ? AND start_ms < ?"));
    VIDYUT_CHECK(summary_.prepare(
        db,
        "SELECT meter_id, COUNT(*), SUM(import_wh), MAX(import_wh), SUM(export_wh) "
        "FROM "
        "intervals WHERE start_ms >= ? AND "
        "start_ms < ? GROUP BY meter_id ORDER BY meter_id"));

    const std::string comm_cols(kCommColumns);
    VIDYUT_CHECK(upsert_comm_.prepare(
        db, "INSERT INTO meter_comm (" + comm_cols +
                ") VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (meter_id) DO UPDATE SET "
                "push_ic = excluded.push_ic, client_ic = excluded.client_ic, "
                "last_contact_ms = excluded.last_contact_ms, active_sim = excluded.active_sim, "
                "peer_address = excluded.peer_address, esw = excluded.esw, "
                "sim_operator = excluded.sim_operator, clock_drift_ms = excluded.clock_drift_ms, "
                "clock_checked_ms = excluded.clock_checked_ms"));
    VIDYUT_CHECK(
        all_comm_.prepare(db, "SELECT " + comm_cols + " FROM meter_comm ORDER BY meter_id"));
    VIDYUT_CHECK(
        comm_by_id_.prepare(db, "SELECT " + comm_cols + " FROM meter_comm WHERE meter_id = ?"));

    VIDYUT_CHECK(insert_alert_.prepare(
        db,
        "INSERT INTO alerts (meter_id, at_ms, received_ms, kind, name, active, detail) VALUES "
        "(?,?,?,?,?,?,?) ON CONFLICT (meter_id, at_ms, kind, name, active) DO NOTHING"));
    VIDYUT_CHECK(alerts_after_.prepare(db, std::string("SELECT ") + kAlertColumns +
                                               " FROM alerts WHERE id > ? ORDER BY id LIMIT ?"));
    VIDYUT_CHECK(
        alerts_before_.prepare(db, std::string("SELECT ") + kAlertColumns +
                                       " FROM alerts WHERE id < ? ORDER BY id DESC LIMIT ?"));
    VIDYUT_CHECK(alerts_of_kind_.prepare(
        db, std::string("SELECT ") + kAlertColumns +
                " FROM alerts INDEXED BY alerts_by_kind_at WHERE kind = ? AND at_ms >= ? AND "
                "at_ms < ? AND id > ? ORDER BY id LIMIT ?"));
    VIDYUT_CHECK(insert_audit_.prepare(
        db, "INSERT INTO audit (at_ms, actor, action, subject, detail) VALUES (?,?,?,?,?)"));
    VIDYUT_CHECK(audit_after_.prepare(db, std::string("SELECT ") + kAuditColumns +
                                              " FROM audit WHERE id > ? ORDER BY id LIMIT ?"));
    VIDYUT_CHECK(
        audit_before_.prepare(db, std::string("SELECT ") + kAuditColumns +
                                      " FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?"));

    const std::string cmd_cols(kCommandColumns);
    VIDYUT_CHECK(insert_command_.prepare(
        db,
        "INSERT INTO commands (meter_id, kind, argument, idempotency_key, requested_by, reason, "
        "created_ms, deadline_ms, next_attempt_ms, attempts, state, result, finished_ms) VALUES "
        "(?,?,?,?,?,?,?,?,?,0,?,'',0)"));
    VIDYUT_CHECK(command_by_key_.prepare(
        db, "SELECT " + cmd_cols + " FROM commands WHERE idempotency_key = ?"));
    VIDYUT_CHECK(command_by_id_.prepare(db, "SELECT " + cmd_cols + " FROM commands WHERE id = ?"));
    VIDYUT_CHECK(update_command_.prepare(
        db,
        "UPDATE commands SET state = ?, attempts = ?, next_attempt_ms = ?, result = ?, "
        "finished_ms = ? WHERE id = ?"));
    VIDYUT_CHECK(due_.prepare(db, "SELECT " + cmd_cols +
                                      " FROM commands WHERE state = ? AND next_attempt_ms <= ? "
                                      "ORDER BY next_attempt_ms, id LIMIT ?"));
    VIDYUT_CHECK(pending_by_meter_.prepare(
        db, "SELECT " + cmd_cols + " FROM commands WHERE meter_id = ? AND state = ? ORDER BY id"));
    VIDYUT_CHECK(commands_after_.prepare(
        db, "SELECT " + cmd_cols + " FROM commands WHERE id > ? ORDER BY id LIMIT ?"));

    VIDYUT_CHECK(insert_profile_row_.prepare(
        db,
        "INSERT INTO profile_rows (meter_id, profile, captured_ms, code, data) VALUES "
        "(?,?,?,?,?) ON CONFLICT (meter_id, profile, captured_ms, code) DO NOTHING"));
    VIDYUT_CHECK(profile_range_.prepare(
        db,
        "SELECT captured_ms, code, data FROM profile_rows WHERE meter_id = ? AND profile = ? AND "
        "captured_ms >= ? AND captured_ms < ? ORDER BY captured_ms, code"));
    VIDYUT_CHECK(profile_last_.prepare(
        db,
        "SELECT captured_ms FROM profile_rows WHERE meter_id = ? AND profile = ? "
        "ORDER BY captured_ms DESC LIMIT 1"));
    VIDYUT_CHECK(profile_count_.prepare(
        db,
        "SELECT COUNT(*) FROM profile_rows WHERE profile = ? AND captured_ms >= ? AND "
        "captured_ms < ?"));
    return ok_status();
  }

  Status run(Stmt& s) {
    Use u(s);
    VIDYUT_TRY(row, u.step());
    return ok_status();
  }
  Status begin() { return run(begin_); }
  Status commit() { return run(commit_); }
  void rollback() { (void)run(rollback_); }

  // Runs `body` (returning Status) in one write transaction: committed when it succeeds, rolled
  // back when it or the commit fails (a failed COMMIT can leave the transaction open).
  template <typename F>
  Status in_transaction(F&& body) {
    VIDYUT_CHECK(begin());
    Status st = body();
    if (st.ok()) st = commit();
    if (!st.ok()) rollback();
    return st;
  }

  Result<MeterInfo> meter_from_row(const Use& u) const {
    MeterInfo m;
    m.id = u.i64(0);
    m.serial = u.text(1);
    m.kind = u.text(2);
    m.manufacturer = u.text(3);
    const Bytes title = u.blob(4);
    if (title.size() != m.system_title.size()) {
      return Error(Errc::kIo, "meter row " + std::to_string(m.id) + " has a bad system title");
    }
    std::memcpy(m.system_title.data(), title.data(), title.size());
    m.category = u.text(5);
    m.sanctioned_load_w = static_cast<std::uint32_t>(u.i64(6));
    m.feeder = u.text(7);
    m.dt = u.text(8);
    m.consumer_id = u.text(9);
    m.sim_operator[0] = u.text(10);
    m.sim_operator[1] = u.text(11);
    m.static_ip = u.text(12);
    return m;
  }

  Result<std::optional<MeterInfo>> read_meter(Use& u) const {
    VIDYUT_TRY(row, u.step());
    if (!*row) return std::optional<MeterInfo>();
    VIDYUT_TRY(m, meter_from_row(u));
    return std::optional<MeterInfo>(std::move(*m));
  }

  Result<std::optional<MeterInfo>> meter_by_id_locked(std::int64_t meter_id) {
    Use u(by_id_);
    u.bind(meter_id);
    return read_meter(u);
  }

  Status require_meter(std::int64_t meter_id) {
    VIDYUT_TRY(m, meter_by_id_locked(meter_id));
    if (!m->has_value()) {
      return Error(Errc::kNotFound, "no meter with id " + std::to_string(meter_id));
    }
    return ok_status();
  }

  Result<MeterSecrets> open_sealed(const std::string& serial, const Bytes& blob) const {
    if (!key_ok_) return key_error("cannot decrypt secrets of meter " + serial);
    return open_secrets(key_, serial, blob);
  }

  void bind_meter(Use& u, const MeterInfo& m, const Bytes& sealed) {
    u.bind(m.serial)
        .bind(m.kind)
        .bind(m.manufacturer)
        .bind_blob(m.system_title)
        .bind(m.category)
        .bind(std::int64_t{m.sanctioned_load_w})
        .bind(m.feeder)
        .bind(m.dt)
        .bind(m.consumer_id)
        .bind(m.sim_operator[0])
        .bind(m.sim_operator[1])
        .bind(m.static_ip)
        .bind_blob(sealed);
  }

  Error write_error(const Use& u, const Error& e, const MeterInfo& m) const {
    if (u.last_rc() == SQLITE_CONSTRAINT_UNIQUE) {
      return Error(Errc::kInvalidArgument, "meter " + m.serial + ": system title " +
                                               to_hex(m.system_title) +
                                               " is already used by another meter");
    }
    return e;
  }

  Status upsert_one(const MeterInfo& m, const MeterSecrets& s, ImportSummary& sum) {
    std::optional<MeterInfo> old;
    Bytes old_blob;
    {
      Use f(upsert_find_);
      f.bind(m.serial);
      VIDYUT_TRY(row, f.step());
      if (*row) {
        VIDYUT_TRY(om, meter_from_row(f));
        old = std::move(*om);
        old_blob = f.blob(13);
      }
    }
    const std::int64_t now = to_ms(clock_.now());
    if (!old) {
      VIDYUT_TRY(sealed, seal_secrets(key_, m.serial, s));
      Use u(insert_meter_);
      bind_meter(u, m, *sealed);
      u.bind(now).bind(now);
      auto r = u.step();
      if (!r.ok()) return write_error(u, r.error(), m);
      ++sum.inserted;
      return ok_status();
    }
    VIDYUT_TRY(old_secrets, open_sealed(m.serial, old_blob));
    MeterInfo want = m;
    want.id = old->id;
    const bool same_secrets = *old_secrets == s;
    if (want == *old && same_secrets) {
      ++sum.unchanged;
      return ok_status();
    }
    Bytes sealed = old_blob;
    if (!same_secrets) {
      VIDYUT_TRY(fresh, seal_secrets(key_, m.serial, s));
      sealed = std::move(*fresh);
    }
    Use u(update_meter_);
    bind_meter(u, m, sealed);
    u.bind(now).bind(old->id);
    auto r = u.step();
    if (!r.ok()) return write_error(u, r.error(), m);
    ++sum.updated;
    return ok_status();
  }

  Status put_one(const IntervalReading& r, PutResult& res) {
    {
      Use u(insert_interval_);
      u.bind(r.meter_id)
          .bind(to_ms(r.start))
          .bind(std::int64_t{r.period_s})
          .bind(r.import_wh)
          .bind(r.import_vah)
          .bind(r.export_wh)
          .bind(r.export_vah)
          .bind(static_cast<std::int64_t>(r.source));
      auto st = u.step();
      if (!st.ok()) {
        if (u.last_rc() == SQLITE_CONSTRAINT_FOREIGNKEY) {
          return Error(Errc::kNotFound,
                       "interval for unknown meter id " + std::to_string(r.meter_id));
        }
        return st.error();
      }
      if (sqlite3_changes(h_.db) == 1) {
        ++res.inserted;
        return ok_status();
      }
    }
    Use g(get_interval_);
    g.bind(r.meter_id).bind(to_ms(r.start));
    VIDYUT_TRY(row, g.step());
    if (!*row) return Error(Errc::kInternal, "interval neither inserted nor present");
    IntervalReading have = r;
    have.period_s = static_cast<std::int32_t>(g.i64(0));
    have.import_wh = g.i64(1);
    have.import_vah = g.i64(2);
    have.export_wh = g.i64(3);
    have.export_vah = g.i64(4);
    if (have.same_values(r)) {
      ++res.duplicates;
      return ok_status();
    }
    ++res.conflicts;
    // The first reading stays; the other is remembered as an alert for validation (the MDM's
    // `conflicting` rule), once per interval.
    Use a(insert_alert_);
    a.bind(r.meter_id)
        .bind(to_ms(r.start))
        .bind(to_ms(clock_.now()))
        .bind(std::string_view(kConflictAlertKind))
        .bind(std::string_view(kConflictAlertName))
        .bind(std::int64_t{1})
        .bind(conflict_detail(have, r));
    VIDYUT_TRY(done, a.step());
    (void)done;
    return ok_status();
  }

  // The body of write(), inside its transaction.
  Status write_locked(const WriteBatch& batch, WriteResult& res) {
    VIDYUT_CHECK(put_rows(batch.intervals, res.intervals));
    for (const MeterComm& c : batch.comm) VIDYUT_CHECK(put_comm(c));
    for (const Alert& a : batch.alerts) VIDYUT_CHECK(put_alert(a, res));
    for (const AuditRecord& r : batch.audit) VIDYUT_CHECK(put_audit(r));
    for (const Command& c : batch.command_updates) VIDYUT_CHECK(update_command(c));
    for (const ProfileRow& r : batch.profile_rows) VIDYUT_CHECK(put_profile_row(r, res));
    return ok_status();
  }

  // The body of enqueue_command(), inside its transaction: `out` is the command as stored.
  Status enqueue_locked(const Command& cmd, Command& out) {
    VIDYUT_TRY(m, meter_by_id_locked(cmd.meter_id));
    if (!m->has_value()) {
      return Error(Errc::kNotFound, "command for unknown meter id " + std::to_string(cmd.meter_id));
    }
    {
      Use f(command_by_key_);
      f.bind(cmd.idempotency_key);
      VIDYUT_TRY(row, f.step());
      if (*row) {
        out = command_from_row(f);  // enqueued before: returned as stored
        return ok_status();
      }
    }
    const std::int64_t created = to_ms(cmd.created);
    {
      Use u(insert_command_);
      u.bind(cmd.meter_id)
          .bind(static_cast<std::int64_t>(cmd.kind))
          .bind(cmd.argument)
          .bind(cmd.idempotency_key)
          .bind(cmd.requested_by)
          .bind(cmd.reason)
          .bind(created)
          .bind(to_ms(cmd.deadline))
          .bind(std::max(to_ms(cmd.next_attempt), created))
          .bind(static_cast<std::int64_t>(CommandState::kPending));
      VIDYUT_TRY(done, u.step());
    }
    const std::int64_t id = sqlite3_last_insert_rowid(h_.db);
    VIDYUT_CHECK(put_audit(enqueue_audit_record(cmd, id, (**m).serial)));
    VIDYUT_TRY(stored, command_by_id_locked(id));
    if (!stored->has_value()) return Error(Errc::kInternal, "inserted command not found");
    out = std::move(**stored);
    return ok_status();
  }

  Status put_rows(std::span<const IntervalReading> rows, PutResult& res) {
    for (const auto& r : rows) VIDYUT_CHECK(put_one(r, res));
    return ok_status();
  }

  Status put_comm(const MeterComm& c) {
    Use u(upsert_comm_);
    u.bind(c.meter_id)
        .bind(std::int64_t{c.push_ic})
        .bind(std::int64_t{c.client_ic})
        .bind(to_ms(c.last_contact))
        .bind(std::int64_t{c.active_sim})
        .bind(c.peer_address)
        .bind_blob(c.esw)
        .bind(c.sim_operator)
        .bind(c.clock_drift_ms)
        .bind(to_ms(c.clock_checked));
    auto st = u.step();
    if (!st.ok()) {
      if (u.last_rc() == SQLITE_CONSTRAINT_FOREIGNKEY) {
        return Error(Errc::kNotFound,
                     "comm state for unknown meter id " + std::to_string(c.meter_id));
      }
      return st.error();
    }
    return ok_status();
  }

  Status put_alert(const Alert& a, WriteResult& res) {
    if (a.meter_id != 0) {
      VIDYUT_TRY(m, meter_by_id_locked(a.meter_id));
      if (!m->has_value()) {
        return Error(Errc::kNotFound, "alert for unknown meter id " + std::to_string(a.meter_id));
      }
    }
    Use u(insert_alert_);
    u.bind(a.meter_id)
        .bind(to_ms(a.at))
        .bind(to_ms(a.received))
        .bind(a.kind)
        .bind(a.name)
        .bind(std::int64_t{a.active ? 1 : 0})
        .bind(a.detail);
    VIDYUT_TRY(done, u.step());
    if (sqlite3_changes(h_.db) == 1) {
      ++res.alerts_inserted;
    } else {
      ++res.alert_duplicates;
    }
    return ok_status();
  }

  Status put_profile_row(const ProfileRow& r, WriteResult& res) {
    Use u(insert_profile_row_);
    u.bind(r.meter_id)
        .bind(r.profile)
        .bind(to_ms(r.captured))
        .bind(std::int64_t{r.code})
        .bind_blob(r.data);
    auto st = u.step();
    if (!st.ok()) {
      if (u.last_rc() == SQLITE_CONSTRAINT_FOREIGNKEY) {
        return Error(Errc::kNotFound,
                     "profile row for unknown meter id " + std::to_string(r.meter_id));
      }
      return st.error();
    }
    if (sqlite3_changes(h_.db) == 1) {
      ++res.profile_rows_inserted;
    } else {
      ++res.profile_row_duplicates;
    }
    return ok_status();
  }

  Status put_audit(const AuditRecord& r) {
    Use u(insert_audit_);
    u.bind(to_ms(r.at)).bind(r.actor).bind(r.action).bind(r.subject).bind(r.detail);
    VIDYUT_TRY(done, u.step());
    return ok_status();
  }

  Status update_command(const Command& c) {
    Use u(update_command_);
    u.bind(static_cast<std::int64_t>(c.state))
        .bind(std::int64_t{c.attempts})
        .bind(to_ms(c.next_attempt))
        .bind(c.result)
        .bind(to_ms(c.finished))
        .bind(c.id);
    VIDYUT_TRY(done, u.step());
    if (sqlite3_changes(h_.db) != 1) {
      return Error(Errc::kNotFound, "no command with id " + std::to_string(c.id));
    }
    return ok_status();
  }

  Result<MeterComm> comm_from_row(const Use& u) const {
    MeterComm c;
    c.meter_id = u.i64(0);
    c.push_ic = static_cast<std::uint32_t>(u.i64(1));
    c.client_ic = static_cast<std::uint32_t>(u.i64(2));
    c.last_contact = from_ms(u.i64(3));
    c.active_sim = static_cast<std::uint8_t>(u.i64(4));
    c.peer_address = u.text(5);
    const Bytes esw = u.blob(6);
    if (esw.size() != c.esw.size()) {
      return Error(Errc::kIo, "comm row of meter " + std::to_string(c.meter_id) +
                                  " has a bad event status word");
    }
    std::memcpy(c.esw.data(), esw.data(), esw.size());
    c.sim_operator = u.text(7);
    c.clock_drift_ms = u.i64(8);
    c.clock_checked = from_ms(u.i64(9));
    return c;
  }

  static Command command_from_row(const Use& u) {
    Command c;
    c.id = u.i64(0);
    c.meter_id = u.i64(1);
    c.kind = static_cast<CommandKind>(u.i64(2));
    c.argument = u.text(3);
    c.idempotency_key = u.text(4);
    c.requested_by = u.text(5);
    c.reason = u.text(6);
    c.created = from_ms(u.i64(7));
    c.deadline = from_ms(u.i64(8));
    c.next_attempt = from_ms(u.i64(9));
    c.attempts = static_cast<std::uint32_t>(u.i64(10));
    c.state = static_cast<CommandState>(u.i64(11));
    c.result = u.text(12);
    c.finished = from_ms(u.i64(13));
    return c;
  }

  static Result<std::vector<Command>> read_commands(Use& u) {
    std::vector<Command> out;
    while (true) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      out.push_back(command_from_row(u));
    }
    return out;
  }

  Result<std::optional<Command>> command_by_id_locked(std::int64_t id) {
    Use u(command_by_id_);
    u.bind(id);
    VIDYUT_TRY(row, u.step());
    if (!*row) return std::optional<Command>();
    return std::optional<Command>(command_from_row(u));
  }

  const Clock& clock_;
  std::string path_;
  std::mutex mu_;
  MasterKey key_{};
  bool key_ok_ = false;
  int version_ = 0;
  DbHandle h_;  // declared before the statements: destroyed after them
  Stmt begin_, commit_, rollback_;
  Stmt by_serial_, by_title_, by_id_, upsert_find_, secrets_by_id_, page_, meter_count_;
  Stmt insert_meter_, update_meter_;
  Stmt insert_interval_, get_interval_, range_, starts_, count_, summary_;
  Stmt upsert_comm_, all_comm_, comm_by_id_;
  Stmt insert_alert_, alerts_after_, alerts_before_, alerts_of_kind_, insert_audit_, audit_after_,
      audit_before_;
  Stmt insert_command_, command_by_key_, command_by_id_, update_command_, due_, pending_by_meter_,
      commands_after_;
  Stmt insert_profile_row_, profile_range_, profile_last_, profile_count_;
  SqliteRelayHolds holds_;
};

}  // namespace

int sqlite_latest_schema_version() { return kLatestVersion; }

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& data_dir, const Clock& clock,
                                                 SqliteOptions options) {
  if (data_dir.empty()) return Error(Errc::kInvalidArgument, "data directory is empty");
  fs::path dir = fs::path(data_dir).lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();  // "data/" -> "data"
  std::error_code ec;
  const bool existed = fs::exists(dir, ec);
  if (!existed) {
    if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
    if (ec || (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)) {
      return Error(Errc::kIo, "cannot create data directory " + data_dir + ": " +
                                  (ec ? ec.message() : std::string(std::strerror(errno))));
    }
  } else if (!fs::is_directory(dir, ec)) {
    return Error(Errc::kIo, "data directory " + data_dir + " is not a directory");
  }
  auto store = std::make_unique<SqliteStore>(clock, (dir / kDatabaseFile).string());
  VIDYUT_CHECK(store->open(options, dir));
  // The data directory and the database's files are the owner's alone, whatever the umask of
  // whoever created them.
  (void)::chmod(dir.c_str(), 0700);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    (void)::chmod((dir / kDatabaseFile).concat(suffix).c_str(), 0600);
  }
  if (options.master_key) OPENSSL_cleanse(options.master_key->data(), 32);
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace vidyut::store
