#include "cli/data_options.h"

#include <cstdlib>

#include "core/clock.h"
#include "store/sqlite_store.h"

namespace vidyut::cli {

void add_data_options(CLI::App* c, DataOptions& o) {
  c->add_option("--data", o.data_dir, "Data directory")->capture_default_str();
  c->add_option("--master-key-file", o.master_key_file,
                "Master key file (64 hex digits); default $VIDYUT_MASTER_KEY or DATA/master.key");
}

Result<std::unique_ptr<store::Store>> open_store(const DataOptions& o) {
  store::SqliteOptions so;
  so.master_key_file = o.master_key_file;
  auto db = store::open_sqlite_store(o.data_dir, RealClock::instance(), so);
  if (!db.ok()) return db.error();
  return std::unique_ptr<store::Store>(std::move(*db));
}

std::string actor_or_user(const std::string& by) {
  if (!by.empty()) return by;
  const char* user = std::getenv("USER");
  return user != nullptr && *user != '\0' ? std::string(user) : std::string("cli");
}

}  // namespace vidyut::cli
