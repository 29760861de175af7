// The MDM's own database, mdm.db in the data directory (SQLite WAL, synchronous=FULL), shared by
// the MDM's records (cases.h, load_control.h): opening with a schema of its own per record kind,
// a statement cache, one transaction per call, and a write-failure seam for tests. Include only
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

namespace vidyut::mdm::detail {

// Times as the MDM's tables keep them: UTC milliseconds.
inline std::int64_t to_ms(UtcTime t) { return t.time_since_epoch().count(); }
inline UtcTime from_ms(std::int64_t v) { return UtcTime(Millis(v)); }

// A text field of an MDM record: required ones non-empty, none longer than `max` bytes
// (kInvalidArgument, kLimitExceeded; the message names the record kind and the field).
inline Status check_text(const char* record, const std::string& s, const char* what, bool required,
                         std::size_t max) {
  if (required && s.empty()) {
    return Error(Errc::kInvalidArgument, std::string(record) + ": " + what + " is required");
  }
  if (s.size() > max) {
    return Error(Errc::kLimitExceeded, std::string(record) + ": " + what + " is longer than " +
                                           std::to_string(max) + " bytes");
  }
  return ok_status();
}

class MdmSqlite {
 public:
  MdmSqlite() = default;
  ~MdmSqlite();
  MdmSqlite(const MdmSqlite&) = delete;
  MdmSqlite& operator=(const MdmSqlite&) = delete;

  // Opens (creating) dir/mdm.db and applies `schema` (CREATE ... IF NOT EXISTS statements) for
  // the record kind `part` at `version`; kUnsupported when the file holds a newer version. When
  // the file holds an older version of the part, each upgrade (to_version, SQL) above it runs
  // first, in the same transaction.
  struct Upgrade {
    int to_version;
    const char* sql;
  };
  Status open(const std::filesystem::path& dir, const char* part, int version, const char* schema,
              std::initializer_list<Upgrade> upgrades = {});

  sqlite3* db() const { return db_; }
  Result<store::sql::Stmt*> stmt(const std::string& sql);
  // Counts a write; fails (kIo) once the seam's budget is spent.
  Status fault();
  void fail_after(std::int64_t n) { fail_after_ = n; }

  // Runs `body` (returning a Result) in one transaction: all of it or nothing.
  template <typename F>
  auto txn(F&& body) -> decltype(body()) {
    VIDYUT_CHECK(store::sql::exec(db_, "BEGIN IMMEDIATE", "begin"));
    auto r = body();
    if (!r.ok()) {
      (void)store::sql::exec(db_, "ROLLBACK", "rollback");
      return r;
    }
    if (auto c = store::sql::exec(db_, "COMMIT", "commit"); !c.ok()) {
      (void)store::sql::exec(db_, "ROLLBACK", "rollback");
      return c.error();
    }
    return r;
  }

 private:
  sqlite3* db_ = nullptr;
  std::vector<std::unique_ptr<store::sql::Stmt>> stmts_;
  std::vector<std::string> sqls_;
  std::int64_t fail_after_ = -1;
};

}  // namespace vidyut::mdm::detail
