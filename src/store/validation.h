// The Store contract's checks and the facts every backend records the same way (store.h):
// argument validation and limits, applied before any database work so that a refused call
// changes nothing; the store's own meta keys; the conflict alert's text and the audit record of
// an enqueued command. One copy, used by the SQLite and the PostgreSQL backends.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace vidyut::store {

// Store times are integer milliseconds since the epoch, UTC, in every backend.
inline std::int64_t to_ms(UtcTime t) { return t.time_since_epoch().count(); }
inline UtcTime from_ms(std::int64_t ms) { return UtcTime(Millis(ms)); }

// A registry record: serial, kind, text fields (valid UTF-8 without control characters, within
// their lengths), password length. kInvalidArgument naming the meter and field.
Status validate_meter(const MeterInfo& m, const MeterSecrets& s);
// At most kMaxImport meters per upsert_meters call (kLimitExceeded).
Status validate_import_size(std::size_t n);

// A meta key (1 to 64 characters, valid text) and value (valid text, kMaxMetaValue bytes).
Status check_meta(std::string_view key, std::string_view value);
// The store's own entries (the master-key check) keep their names; callers' keys get a prefix.
std::string meta_key(std::string_view key);
// The store_meta key of the master-key check value.
inline constexpr const char* kKeyCheckMetaKey = "key_check";

// to - from <= kMaxRangeDays (kLimitExceeded).
Status check_range(UtcTime from, UtcTime to);
// limit <= kMaxPage (kLimitExceeded), `what` names the rows in the message.
Status check_page(std::size_t limit, std::string_view what);
// kMinPeriodS <= period_s <= kMaxPeriodS (kInvalidArgument).
Status check_period(std::int32_t period_s);

// A put_intervals batch: size, periods, sources.
Status validate_intervals(std::span<const IntervalReading> rows);
// A whole write(): sizes of every part, text lengths, SIM numbers, command states, profile rows.
Status validate_batch(const WriteBatch& b);
// A new command: idempotency key, kind, text lengths.
Status validate_new_command(const Command& c);
// A relay hold: holder 1 to kMaxFieldLength bytes (kInvalidArgument), reason at most
// kMaxDetailLength (kLimitExceeded).
Status validate_relay_hold(const RelayHold& h);

// The detail of the conflict alert (kConflictAlertKind) when `refused` differs from `kept`.
std::string conflict_detail(const IntervalReading& kept, const IntervalReading& refused);
// The conflict alert itself, received `now`.
Alert conflict_alert(const IntervalReading& kept, const IntervalReading& refused, UtcTime now);

// The audit record written with a new command (`id` as stored, `serial` its meter's).
AuditRecord enqueue_audit_record(const Command& c, std::int64_t id, const std::string& serial);

}  // namespace vidyut::store
