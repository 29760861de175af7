// The SQLite store's relay holds (store.h, RelayHold): the table's statements, apart from the
// rest of the store. SqliteStore calls them under its lock and inside its transactions.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "store/sqlite_util.h"
#include "store/store.h"

namespace vidyut::store {

class SqliteRelayHolds {
 public:
  Status prepare(sqlite3* db);
  // Inserts the hold unless the holder already holds the meter (its first `since` is kept).
  Status put(const RelayHold& hold);
  Status remove(std::int64_t meter_id, std::string_view holder);
  Result<std::vector<RelayHold>> of_meter(std::int64_t meter_id);

 private:
  sql::Stmt put_, remove_, list_;
};

}  // namespace vidyut::store
