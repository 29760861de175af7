// The embedded Store: SQLite in a data directory. See docs/storage.md for the operator's view.
//
// Layout: <data_dir>/vidyut.db (plus SQLite's -wal and -shm files while open) and, unless the
// master key comes from elsewhere, <data_dir>/master.key.
//
// Durability: WAL journal with synchronous=FULL by default, so a write call that returned
// success survives kill -9 of the process and loss of power (the WAL is fsynced at each commit).
//
// Secrets (LLS password, EK, AK) are stored only as AES-256-GCM ciphertext under a 32-byte
// master key, with a random 12-byte nonce per row and the meter's serial as associated data.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "store/master_key.h"
#include "store/store.h"

namespace vidyut::store {

// The database's file name inside the data directory (master.key: store/master_key.h).
inline constexpr const char* kDatabaseFile = "vidyut.db";

struct SqliteOptions {
  // The master key. When empty: the file `master_key_file` if set (must exist), else the
  // environment variable VIDYUT_MASTER_KEY, else <data_dir>/master.key (created, mode 0600,
  // from a cryptographic random source at first open).
  std::optional<std::array<std::uint8_t, 32>> master_key;
  // A master key file outside the data directory (64 hex digits), for production.
  std::string master_key_file;
  // synchronous=FULL: an acknowledged write survives power loss. false selects NORMAL (survives
  // a process crash, may lose the last transactions on power loss); for benchmarks only.
  bool synchronous_full = true;
  // How long a writer waits for another connection's lock before failing with kIo.
  int busy_timeout_ms = 5000;
};

// The schema version this build creates and expects.
int sqlite_latest_schema_version();

// Opens (creating if needed) the store in `data_dir`: creates the directory (mode 0700) and the
// database, applies pending schema migrations (one transaction each), prepares statements.
// kUnsupported for a database written by a newer Vidyut; kIo for a file that is not a SQLite
// database or any SQLite failure; kInvalidArgument for a malformed master key.
// `clock` stamps registry rows and migrations; it must outlive the store.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& data_dir, const Clock& clock,
                                                 SqliteOptions options = {});

}  // namespace vidyut::store
