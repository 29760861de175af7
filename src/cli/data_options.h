// The data directory options every command on the head end's data takes (`--data DIR`,
// `--store-url URL`, `--master-key-file F`), and opening the head end's store: in the data
// directory (SQLite, vidyut.db), or in PostgreSQL when --store-url names a database
// (docs/storage.md, "PostgreSQL"). The data directory keeps billing.db, mdm.db, access.db,
// notify.db and, unless the key comes from elsewhere, master.key either way.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace vidyut::cli {

struct DataOptions {
  std::string data_dir = "vidyut-data";
  // postgres://... or postgresql://...: the head end's store lives there instead of
  // DATA/vidyut.db. Empty: the embedded store in the data directory.
  std::string store_url;
  std::string master_key_file;
};

// Adds --data, --store-url and --master-key-file to `c`. --data refuses a PostgreSQL URL (with
// the fix: --store-url), since the other databases still need a directory.
void add_data_options(CLI::App* c, DataOptions& o);

// Who does what from the command line, for the audit trail and the ledger: "cli:<login>" (the
// process's operating-system account, not $USER), with "/NAME" when `--by NAME` names the person
// the login acts for. It always starts with "cli:", so it cannot pose as the system ("billing",
// "head-end", "payment-api"); a --by that is not valid text is recorded as "(invalid)".
std::string actor_or_user(const std::string& by);

// The business time of a data directory (issue 16: with `serve` running accelerated, the CLI
// stamped commands and audit lines with the wall clock): the clock `vidyut serve` recorded in the
// store when it started - an accelerated simulation's scaled clock - or real time when it
// recorded none or ran at real speed. Commands, audit lines, health and billing from the CLI use
// it, so that they agree with the head end on "now".
std::shared_ptr<const Clock> business_clock(store::Store& store);
// What `vidyut serve` records: "real", or "scaled START_MS FACTOR WALL_EPOCH_MS" (business time
// START at the wall-clock instant WALL_EPOCH, running FACTOR times faster).
inline constexpr const char* kBusinessClockKey = "business-clock";

// Opens (creating) the head end's store: o.store_url when set, else o.data_dir (vidyut.db).
Result<std::unique_ptr<store::Store>> open_store(const DataOptions& o);

}  // namespace vidyut::cli
