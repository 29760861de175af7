#include "cli/data_options.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "core/clock.h"
#include "core/text.h"
#include "store/open_store.h"
#include "store/pg_store.h"

namespace vidyut::cli {

void add_data_options(CLI::App* c, DataOptions& o) {
  c->add_option("--data", o.data_dir, "Data directory")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& v) {
            return store::is_postgres_url(v)
                       ? std::string(
                             "--data is a directory (billing, MDM, access and notify "
                             "databases live there); give the PostgreSQL URL as "
                             "--store-url")
                       : std::string();
          },
          "DIR"));
  c->add_option("--store-url", o.store_url,
                "The head end's store in PostgreSQL (postgres://...) instead of DATA/vidyut.db")
      ->check(CLI::Validator(
          [](std::string& v) {
            return v.empty() || store::is_postgres_url(v)
                       ? std::string()
                       : std::string("--store-url must start with postgres:// or postgresql://");
          },
          "URL"));
  c->add_option("--master-key-file", o.master_key_file,
                "Master key file (64 hex digits); default $VIDYUT_MASTER_KEY or DATA/master.key");
}

Result<std::unique_ptr<store::Store>> open_store(const DataOptions& o) {
  store::StoreOptions so;
  so.master_key_file = o.master_key_file;
  if (o.store_url.empty()) return store::open_store(o.data_dir, RealClock::instance(), so);
  // The master key defaults to DATA/master.key for PostgreSQL too: the directory is made as the
  // SQLite store makes it (owner only).
  if (::mkdir(o.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Error(Errc::kIo, "cannot create data directory " + o.data_dir);
  }
  so.key_dir = o.data_dir;
  return store::open_store(o.store_url, RealClock::instance(), so);
}

std::shared_ptr<const Clock> business_clock(store::Store& store) {
  const std::shared_ptr<const Clock> real(&RealClock::instance(), [](const Clock*) {});
  // meta_or_set with "real" leaves a recorded clock as it is and records real time otherwise.
  auto v = store.meta_or_set(kBusinessClockKey, "real");
  if (!v.ok()) return real;
  std::istringstream in(*v);
  std::string kind;
  std::int64_t start_ms = 0, epoch_ms = 0;
  double factor = 1;
  if (!(in >> kind) || kind != "scaled" || !(in >> start_ms >> factor >> epoch_ms) ||
      !(factor > 0)) {
    return real;
  }
  return std::make_shared<ScaledClock>(UtcTime(Millis(start_ms)), factor,
                                       UtcTime(Millis(epoch_ms)));
}

std::string actor_or_user(const std::string& by) {
  // The operating system's account of the process, not $USER (which anyone can set).
  std::string login;
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    login = pw->pw_name;
  }
  if (login.empty() || !check_text("login", login, 64).ok()) {
    login = "uid" + std::to_string(::geteuid());
  }
  std::string actor = "cli:" + login;
  // --by names the person the login acts for; it cannot drop the "cli:" prefix, and text that
  // could forge a line (a newline) or is not UTF-8 is replaced by a mark.
  if (!by.empty()) actor += "/" + (check_text("--by", by, 64).ok() ? by : std::string("(invalid)"));
  return actor;
}

}  // namespace vidyut::cli
