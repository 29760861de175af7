// The PostgreSQL Store (PostgreSQL 15, libpq), for Data-Centre and Disaster-Recovery
// deployments: the same contract as the embedded SQLite store (store.h), on a server that can
// be replicated. See docs/storage.md, "PostgreSQL", for the operator's view.
//
// Location: a libpq URL, postgres://user@host:port/dbname?... or postgresql://... (a Unix socket
// directory as ?host=/run/postgresql). The database must exist; the store creates its tables
// there (schema migrations, one transaction each, recorded in schema_migrations).
//
// Interval readings live in a table partitioned by range on the interval start, one partition
// per UTC day (intervals_YYYYMMDD), created on demand before the write that needs it. A batch is
// copied (COPY) into a session-private staging table and moved with one INSERT ... ON CONFLICT
// DO NOTHING: the same PutResult (inserted, duplicates, conflicts with their alert) as SQLite.
//
// Secrets are sealed exactly as in SQLite (sealing.h): AES-256-GCM under the master key, the
// serial as associated data; the server never sees them in clear.
//
// Durability: a write call returns after COMMIT, i.e. as durable as the server's
// synchronous_commit and fsync settings make it (both on by default: survives a crash of the
// server or the machine; with a synchronous standby, also the loss of the primary).
//
// Thread-safety: one connection, calls serialised by a mutex, as the SQLite store.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "store/sealing.h"
#include "store/store.h"

namespace vidyut::store {

struct PgOptions {
  // The master key: given, else this file, else VIDYUT_MASTER_KEY, else <key_dir>/master.key
  // (created at first use) when key_dir is set; with none of them, opening fails
  // (kInvalidArgument): a server has no data directory of its own to keep a key in.
  std::optional<MasterKey> master_key;
  std::string master_key_file;
  std::string key_dir;
};

// The schema version this build creates and expects (the same numbering as SQLite's).
int pg_latest_schema_version();

// True for a location that names a PostgreSQL database: postgres:// or postgresql://.
bool is_postgres_url(std::string_view location);
// The URL without its password (user:password@ and ?password=...), for messages and logs.
std::string redact_url(std::string_view url);

// Connects, applies pending migrations (under an advisory lock: several processes may open the
// same database at once), loads and checks the master key. kIo when the server cannot be reached
// or a statement fails; kUnsupported for a server older than 15 or a schema newer than this
// build; kInvalidArgument for a malformed URL or master key. `clock` stamps registry rows and
// migrations; it must outlive the store.
Result<std::unique_ptr<Store>> open_pg_store(const std::string& url, const Clock& clock,
                                             PgOptions options = {});

}  // namespace vidyut::store
