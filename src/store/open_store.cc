#include "store/open_store.h"

#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace vidyut::store {

Result<std::unique_ptr<Store>> open_store(const std::string& location, const Clock& clock,
                                          StoreOptions options) {
  if (is_postgres_url(location)) {
    PgOptions po;
    po.master_key = options.master_key;
    po.master_key_file = options.master_key_file;
    po.key_dir = options.key_dir;
    return open_pg_store(location, clock, std::move(po));
  }
  SqliteOptions so;
  so.master_key = options.master_key;
  so.master_key_file = options.master_key_file;
  so.synchronous_full = options.synchronous_full;
  return open_sqlite_store(location, clock, std::move(so));
}

}  // namespace vidyut::store
