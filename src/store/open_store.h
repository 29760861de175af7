// Opening the head end's store by location, whatever the backend: a PostgreSQL URL
// (postgres://... or postgresql://...) selects PostgreSQL (pg_store.h), anything else is a data
// directory for the embedded SQLite store (sqlite_store.h), the default.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "store/sealing.h"
#include "store/store.h"

namespace vidyut::store {

struct StoreOptions {
  // The master key: given, else this file, else VIDYUT_MASTER_KEY, else master.key in the data
  // directory (SQLite) or in `key_dir` (PostgreSQL; without one, a key must be given).
  std::optional<MasterKey> master_key;
  std::string master_key_file;
  std::string key_dir;
  // SQLite only: synchronous=FULL (see SqliteOptions).
  bool synchronous_full = true;
};

Result<std::unique_ptr<Store>> open_store(const std::string& location, const Clock& clock,
                                          StoreOptions options = {});

}  // namespace vidyut::store
