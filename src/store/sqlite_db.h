// A small database of a module's own records in the data directory (mdm.db, access.db, ...):
// SQLite WAL with synchronous=FULL, a schema per record kind with its version and upgrades, a
// statement cache, one transaction per call, and a write-failure seam for tests. Include only
// from .cc files.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/sqlite_util.h"

namespace vidyut::store::sql {

// Times as these tables keep them: UTC milliseconds.
inline std::int64_t to_ms(UtcTime t) { return t.time_since_epoch().count(); }
inline UtcTime from_ms(std::int64_t v) { return UtcTime(Millis(v)); }

class Database {
 public:
  Database() = default;
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Opens (creating) dir/file and applies `schema` (CREATE ... IF NOT EXISTS statements) for
  // the record kind `part` at `version`; kUnsupported when the file holds a newer version. When
  // the file holds an older version of the part, each upgrade (to_version, SQL) above it runs
  // first, in the same transaction.
  struct Upgrade {
    int to_version;
    const char* sql;
  };
  Status open(const std::filesystem::path& dir, const char* file, const char* part, int version,
              const char* schema, std::initializer_list<Upgrade> upgrades = {});

  sqlite3* db() const { return db_; }
  Result<Stmt*> stmt(const std::string& sql);
  // Counts a write; fails (kIo) once the seam's budget is spent.
  Status fault();
  void fail_after(std::int64_t n) { fail_after_ = n; }

  // Runs `body` (returning a Result) in one transaction: all of it or nothing.
  template <typename F>
  auto txn(F&& body) -> decltype(body()) {
    VIDYUT_CHECK(exec(db_, "BEGIN IMMEDIATE", "begin"));
    auto r = body();
    if (!r.ok()) {
      (void)exec(db_, "ROLLBACK", "rollback");
      return r;
    }
    if (auto c = exec(db_, "COMMIT", "commit"); !c.ok()) {
      (void)exec(db_, "ROLLBACK", "rollback");
      return c.error();
    }
    return r;
  }

 private:
  sqlite3* db_ = nullptr;
  std::string file_;
  std::vector<std::unique_ptr<Stmt>> stmts_;
  std::vector<std::string> sqls_;
  std::int64_t fail_after_ = -1;
};

}  // namespace vidyut::store::sql
