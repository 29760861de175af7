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
#include "store/sqlite_db.h"
#include "store/sqlite_util.h"

namespace vidyut::mdm::detail {

// Times as the MDM's tables keep them: UTC milliseconds.
using store::sql::from_ms;
using store::sql::to_ms;

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

// mdm.db: a store::sql::Database (store/sqlite_db.h) opened on that file.
class MdmSqlite : public store::sql::Database {
 public:
  using Upgrade = store::sql::Database::Upgrade;
  // Opens (creating) dir/mdm.db and applies `schema` for the record kind `part` at `version`
  // (store::sql::Database::open).
  Status open(const std::filesystem::path& dir, const char* part, int version, const char* schema,
              std::initializer_list<Upgrade> upgrades = {}) {
    return Database::open(dir, "mdm.db", part, version, schema, upgrades);
  }
};

}  // namespace vidyut::mdm::detail
