// Thin RAII helpers over the SQLite C API, shared by the SQLite backends (the store's, the
// billing ledger's): prepared statements (Stmt), one use of a statement (Use: bind, step, read
// columns, reset at scope exit) and errors as vidyut::Error (kIo). Include only from .cc files.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace vidyut::store::sql {

inline Error sqlite_error(sqlite3* db, const std::string& what) {
  std::string msg = "sqlite: " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
  return Error(Errc::kIo, std::move(msg));
}

inline Status exec(sqlite3* db, const char* sql, const std::string& what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = "sqlite: " + what + ": " + (err ? err : sqlite3_errmsg(db));
    sqlite3_free(err);
    return Error(Errc::kIo, std::move(msg));
  }
  return ok_status();
}

// Opens (creating) a database file of the platform's own (billing.db, mdm.db) the way every such
// file is opened: creates its directory, WAL journal, synchronous=FULL (a committed transaction is
// durable), a 10 s busy timeout for a second writer. `db` receives the handle (close it with
// sqlite3_close even on failure).
inline Status open_durable(const std::string& dir, const std::string& file, sqlite3** db) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error(Errc::kIo, "cannot create " + dir + ": " + ec.message());
  const std::string path = (std::filesystem::path(dir) / file).string();
  if (sqlite3_open_v2(path.c_str(), db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return sqlite_error(*db, "open " + path);
  }
  sqlite3_busy_timeout(*db, 10'000);
  VIDYUT_CHECK(exec(*db, "PRAGMA journal_mode=WAL", "WAL"));
  return exec(*db, "PRAGMA synchronous=FULL", "synchronous");
}

class Stmt {
 public:
  Stmt() = default;
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Status prepare(sqlite3* db, const std::string& sql) {
    db_ = db;
    if (sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) !=
        SQLITE_OK) {
      return sqlite_error(db, "prepare \"" + sql + "\"");
    }
    return ok_status();
  }
  sqlite3_stmt* get() const { return s_; }
  sqlite3* db() const { return db_; }

 private:
  sqlite3_stmt* s_ = nullptr;
  sqlite3* db_ = nullptr;
};

// One use of a prepared statement: binds, steps, reads columns, and resets it at scope exit.
class Use {
 public:
  explicit Use(Stmt& s) : s_(s.get()), db_(s.db()) {}
  ~Use() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;

  Use& bind(std::int64_t v) {
    note(sqlite3_bind_int64(s_, ++n_, v));
    return *this;
  }
  Use& bind(std::string_view v) {
    note(sqlite3_bind_text(s_, ++n_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Use& bind_null() {
    note(sqlite3_bind_null(s_, ++n_));
    return *this;
  }
  Use& bind(std::optional<std::int64_t> v) { return v ? bind(*v) : bind_null(); }
  Use& bind_blob(ByteView v) {
    note(sqlite3_bind_blob(s_, ++n_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }

  // true: a row is ready; false: done.
  Result<bool> step() {
    if (bind_rc_ != SQLITE_OK) return sqlite_error(db_, "bind");
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    last_rc_ = sqlite3_extended_errcode(db_);
    return sqlite_error(db_, sqlite3_sql(s_));
  }
  int last_rc() const { return last_rc_; }

  std::int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  std::optional<std::int64_t> opt_i64(int col) const {
    if (sqlite3_column_type(s_, col) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(s_, col);
  }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(s_, col);
    const int n = sqlite3_column_bytes(s_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
             : std::string();
  }
  Bytes blob(int col) const {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s_, col));
    const int n = sqlite3_column_bytes(s_, col);
    return p ? Bytes(p, p + n) : Bytes();
  }

 private:
  void note(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }
  sqlite3_stmt* s_;
  sqlite3* db_;
  int n_ = 0;
  int bind_rc_ = SQLITE_OK;
  int last_rc_ = SQLITE_OK;
};

}  // namespace vidyut::store::sql
