#include "store/sqlite_relay_holds.h"

namespace vidyut::store {

using sql::Use;

Status SqliteRelayHolds::prepare(sqlite3* db) {
  VIDYUT_CHECK(put_.prepare(db,
                            "INSERT INTO relay_holds (meter_id, holder, reason, since_ms) "
                            "VALUES (?, ?, ?, ?) ON CONFLICT (meter_id, holder) DO NOTHING"));
  VIDYUT_CHECK(remove_.prepare(db, "DELETE FROM relay_holds WHERE meter_id = ? AND holder = ?"));
  return list_.prepare(db,
                       "SELECT meter_id, holder, reason, since_ms FROM relay_holds WHERE "
                       "meter_id = ? ORDER BY holder");
}

Status SqliteRelayHolds::put(const RelayHold& h) {
  Use u(put_);
  u.bind(h.meter_id).bind(h.holder).bind(h.reason).bind(h.since.time_since_epoch().count());
  VIDYUT_TRY(row, u.step());
  (void)row;
  return ok_status();
}

Status SqliteRelayHolds::remove(std::int64_t meter_id, std::string_view holder) {
  Use u(remove_);
  u.bind(meter_id).bind(holder);
  VIDYUT_TRY(row, u.step());
  (void)row;
  return ok_status();
}

Result<std::vector<RelayHold>> SqliteRelayHolds::of_meter(std::int64_t meter_id) {
  Use u(list_);
  u.bind(meter_id);
  std::vector<RelayHold> out;
  for (;;) {
    VIDYUT_TRY(row, u.step());
    if (!*row) break;
    out.push_back(RelayHold{u.i64(0), u.text(1), u.text(2), UtcTime(Millis(u.i64(3)))});
  }
  return out;
}

}  // namespace vidyut::store
