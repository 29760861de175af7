// Store: the head end's storage interface - the meter registry (identity, topology, secrets) and
// interval readings (block load and daily profiles) - independent of the database behind it.
//
// Callers see only this header. The embedded default is SQLite in a data directory
// (sqlite_store.h); a PostgreSQL backend for DC/DR can implement the same class later without
// changing callers, so nothing here names a database type.
//
// Contract shared by every backend:
// - Errors are returned, never thrown: kIo for the database or file system, kInvalidArgument for
//   a bad argument, kLimitExceeded for a named limit below, kNotFound for an unknown meter id,
//   kAuthFailed when secrets cannot be decrypted (wrong master key or tampered row).
// - A call that returns success has made its writes durable (see docs/storage.md).
// - Each write call is one transaction: it is applied completely or not at all.
// - Times are UTC (core/clock.h UtcTime, millisecond resolution). Ranges are half-open [from, to).
// - Thread-safety: implementations are safe to call from several threads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace vidyut::store {

// Rows per put_intervals call: bounds how long one transaction holds the write lock and the
// memory of one batch (a fleet's 15-minute push wave is batched in pieces of this size).
inline constexpr std::size_t kMaxBatch = 100'000;
// Meters per upsert_meters call: the largest fleet file a head end accepts
// (fleet::kMaxFleetMeters); the import is one transaction.
inline constexpr std::size_t kMaxImport = 2'000'000;
// Span of one intervals() or missing_intervals() query: a billing year plus margin; bounds the
// rows one answer holds (38,400 at 15 minutes).
inline constexpr std::int64_t kMaxRangeDays = 400;
// Meters per meters() page: bounds the memory of one answer.
inline constexpr std::size_t kMaxPage = 10'000;
// Serial numbers are short digit strings; this bounds what a fleet file can make us store.
inline constexpr std::size_t kMaxSerialLength = 64;
inline constexpr std::size_t kMaxMetaValue = 256;
// Other registry text fields (names, ids, addresses): bounds what one row can hold.
inline constexpr std::size_t kMaxFieldLength = 256;
// Free-text fields of head-end state (alert and audit detail, a command's result): longer than a
// name, still bounded so one row stays small.
inline constexpr std::size_t kMaxDetailLength = kMaxFieldLength * 16;
// LLS passwords are 16 characters in IS 15959; 64 leaves room for other profiles.
inline constexpr std::size_t kMaxPasswordLength = 64;
// Interval periods: 1 minute (bounds the slots gap detection enumerates) to 1 day (daily profile).
inline constexpr std::int32_t kMinPeriodS = 60;
inline constexpr std::int32_t kMaxPeriodS = 86'400;

// A meter in the registry. `id` is assigned by the store (0 before it is stored).
struct MeterInfo {
  std::int64_t id = 0;
  std::string serial;                          // unique, e.g. "00012345"
  std::string kind;                            // "single-phase" | "three-phase" | "dt" | "feeder"
  std::string manufacturer;                    // 3-letter code, e.g. "VDY"
  std::array<std::uint8_t, 8> system_title{};  // unique
  std::string category;                        // e.g. "domestic", "commercial"
  std::uint32_t sanctioned_load_w = 0;
  std::string feeder;                       // feeder name, e.g. "F0003"
  std::string dt;                           // DT name; empty for a feeder meter
  std::string consumer_id;                  // consumer account; empty for DT/feeder meters
  std::array<std::string, 2> sim_operator;  // SIM 1 and SIM 2 operators (SIM 2 may be empty)
  std::string static_ip;                    // empty when the meter only dials out

  bool operator==(const MeterInfo&) const = default;
};

// A meter's secrets. Kept apart from MeterInfo: they are encrypted at rest and returned only by
// Store::secrets().
struct MeterSecrets {
  std::string lls_password;
  std::array<std::uint8_t, 16> ek{};  // global unicast encryption key
  std::array<std::uint8_t, 16> ak{};  // authentication key

  bool operator==(const MeterSecrets&) const = default;
};

// One interval of a load profile: energy registered during [start, start + period_s).
struct IntervalReading {
  enum class Source : std::uint8_t { kPush = 0, kRead = 1 };

  std::int64_t meter_id = 0;
  UtcTime start{};
  std::int32_t period_s = 900;
  std::int64_t import_wh = 0;
  std::int64_t import_vah = 0;
  std::int64_t export_wh = 0;
  std::int64_t export_vah = 0;
  Source source = Source::kPush;

  // Equal values; `source` is not compared (a push and a read of one interval are one fact).
  bool same_values(const IntervalReading& o) const {
    return meter_id == o.meter_id && start == o.start && period_s == o.period_s &&
           import_wh == o.import_wh && import_vah == o.import_vah && export_wh == o.export_wh &&
           export_vah == o.export_vah;
  }
};

struct ImportSummary {
  std::size_t inserted = 0;   // new serials
  std::size_t updated = 0;    // known serials whose fields or secrets changed
  std::size_t unchanged = 0;  // known serials stored exactly as given
};

struct PutResult {
  std::size_t inserted = 0;    // new (meter, start) rows
  std::size_t duplicates = 0;  // (meter, start) already stored with the same values
  // (meter, start) already stored with other values: the first one is kept, and an alert
  // kConflictAlertKind/kConflictAlertName at the interval's start records the other (once).
  std::size_t conflicts = 0;
};
inline constexpr std::string_view kConflictAlertKind = "data";
inline constexpr std::string_view kConflictAlertName = "conflicting-reading";

// ---- Head-end state (schema 3) ----------------------------------------------------------------

// Per-meter communication state the head end keeps across restarts.
struct MeterComm {
  std::int64_t meter_id = 0;
  // Highest invocation counter accepted from the meter's pushes: a push at or below it is a
  // replay. 0 = none accepted yet.
  std::uint32_t push_ic = 0;
  // Next invocation counter the head end uses in ciphered requests to the meter (never reused).
  std::uint32_t client_ic = 1;
  UtcTime last_contact{};       // epoch = never
  std::uint8_t active_sim = 0;  // 1 or 2; 0 = unknown
  std::string peer_address;     // address the last session came from
  // The event status word last received (16 bytes, 128 bits); alerts are raised on changes.
  std::array<std::uint8_t, 16> esw{};
  // Schema 7. The operator of the active SIM, as the meter reports it ("" = not known), and the
  // meter's clock minus the head end's at the last clock check (clock_checked; epoch = never).
  std::string sim_operator;
  std::int64_t clock_drift_ms = 0;
  UtcTime clock_checked{};

  bool operator==(const MeterComm&) const = default;
};

// An event that the rest of the platform can subscribe to (tamper, outage, relay, security).
struct Alert {
  std::int64_t id = 0;        // assigned by the store, increasing: the subscription cursor
  std::int64_t meter_id = 0;  // 0 when no registered meter is involved
  UtcTime at{};               // when it happened (meter time for meter events, UTC)
  UtcTime received{};         // when the head end learned of it
  std::string kind;           // "tamper", "outage", "restore", "relay", ... (docs/head-end.md)
  std::string name;           // e.g. "magnet", "last-gasp"
  bool active = true;         // the condition started (true) or ended (false)
  std::string detail;
};

// One audit record: who did what, when, to what, and the outcome.
struct AuditRecord {
  std::int64_t id = 0;  // assigned by the store
  UtcTime at{};
  std::string actor;    // "head-end", an operator name, "cli"
  std::string action;   // "reject-unknown-meter", "command-enqueue", ...
  std::string subject;  // a serial, a peer address, a command id
  std::string detail;
};

enum class CommandKind : std::uint8_t {
  kConnect = 0,
  kDisconnect = 1,
  kRead = 2,  // argument: what to read ("block-load <from> <to>", "daily", "billing", "events")
  kClockSet = 3,
  kLoadLimit = 4,    // argument: watts
  kPaymentMode = 5,  // argument: "prepaid" | "postpaid"
  kPing = 6,
};
enum class CommandState : std::uint8_t {
  kPending = 0,  // waiting for the meter or for its next attempt
  kSucceeded = 1,
  kFailed = 2,   // the meter refused it, or a permanent error
  kExpired = 3,  // deadline passed before it could be delivered
  kCancelled = 4,
};

// "connect", "disconnect", "read", "clock-set", "load-limit", "payment-mode", "ping".
const char* to_string(CommandKind k);
// The kind named so, or nullopt.
std::optional<CommandKind> command_kind_from_string(std::string_view name);
// "pending", "succeeded", "failed", "expired", "cancelled".
const char* to_string(CommandState s);

struct Command {
  std::int64_t id = 0;  // assigned by the store
  std::int64_t meter_id = 0;
  CommandKind kind = CommandKind::kPing;
  std::string argument;
  // Unique per command: enqueueing a key that exists returns the existing command unchanged
  // (a duplicated request from a caller never makes a second command).
  std::string idempotency_key;
  std::string requested_by;
  std::string reason;
  UtcTime created{};
  UtcTime deadline{};
  UtcTime next_attempt{};
  std::uint32_t attempts = 0;
  CommandState state = CommandState::kPending;
  std::string result;  // final status text, or the last attempt's error
  UtcTime finished{};  // epoch while pending

  bool operator==(const Command&) const = default;
};

// ---- Profile rows (schema 4) ------------------------------------------------------------------

// A row of a meter profile other than block load, as the meter sent it: the daily load profile
// ("daily"), the billing profile ("billing"), an event log ("event-voltage", "event-current",
// "event-power", "event-transaction", "event-other", "event-non-rollover", "event-control").
struct ProfileRow {
  std::int64_t meter_id = 0;
  std::string profile;             // <= kMaxFieldLength
  UtcTime captured{};              // the row's clock column, UTC
  std::int32_t code = 0;           // event logs: the event code; 0 for other profiles
  std::vector<std::uint8_t> data;  // the row (a structure) in A-XDR, <= kMaxProfileRowBytes
  bool operator==(const ProfileRow&) const = default;
};
inline constexpr std::size_t kMaxProfileRowBytes = 4096;

// What the head end writes per batch, in one transaction (see Store::write).
struct WriteBatch {
  std::vector<IntervalReading> intervals;  // <= kMaxBatch, idempotent as put_intervals
  std::vector<Alert> alerts;               // idempotent per (meter_id, at, kind, name, active)
  std::vector<MeterComm> comm;             // upserts by meter_id
  std::vector<AuditRecord> audit;
  std::vector<Command> command_updates;  // by id: state, attempts, next_attempt, result, finished
  // <= kMaxBatch, idempotent per (meter_id, profile, captured, code): a duplicate is ignored (the
  // first row's data is kept) and counted. profile must be non-empty and data 1 to
  // kMaxProfileRowBytes bytes (kInvalidArgument otherwise).
  std::vector<ProfileRow> profile_rows;
};
struct WriteResult {
  PutResult intervals;
  std::size_t alerts_inserted = 0;
  std::size_t alert_duplicates = 0;
  std::size_t profile_rows_inserted = 0, profile_row_duplicates = 0;
};

// A party that needs a meter's relay open (docs/storage.md, "Relay holds"): the billing engine
// for a balance ("billing"), an area load-control action ("load-control:<id>"). The relay may be
// closed only when no hold remains, so that a reconnection for a recharge does not end a load
// shedding and the end of a load shedding does not reconnect a consumer without balance.
struct RelayHold {
  std::int64_t meter_id = 0;
  std::string holder;  // 1 to kMaxFieldLength bytes
  std::string reason;  // <= kMaxDetailLength
  UtcTime since{};
  bool operator==(const RelayHold&) const = default;
};

// Per-meter interval totals over a range: completeness and energy.
struct MeterIntervalSummary {
  std::int64_t meter_id = 0;
  std::uint32_t count = 0;
  std::int64_t import_wh = 0;
  std::int64_t max_interval_wh = 0;  // the largest single interval's import (demand x period)
  std::int64_t export_wh = 0;
  std::uint32_t estimated = 0;  // of `count`, estimates (the MDM's validated totals; 0 here)
};

class Store {
 public:
  virtual ~Store() = default;

  // Inserts or updates meters by serial, in one transaction. Fails whole (nothing written) on an
  // invalid record, a system title already used by another serial, or kAuthFailed when stored
  // secrets cannot be decrypted with the current master key.
  virtual Result<ImportSummary> upsert_meters(
      std::span<const std::pair<MeterInfo, MeterSecrets>> meters) = 0;

  virtual Result<std::optional<MeterInfo>> meter_by_serial(std::string_view serial) = 0;
  virtual Result<std::optional<MeterInfo>> meter_by_title(
      const std::array<std::uint8_t, 8>& system_title) = 0;
  virtual Result<std::optional<MeterInfo>> meter_by_id(std::int64_t meter_id) = 0;

  // The meter's decrypted secrets. kNotFound for an unknown id; kAuthFailed if they cannot be
  // decrypted (wrong master key, or a row that was tampered with or moved to another meter).
  virtual Result<MeterSecrets> secrets(std::int64_t meter_id) = 0;

  // Meters in id order, `limit` (<= kMaxPage) from `offset`.
  virtual Result<std::vector<MeterInfo>> meters(std::size_t offset, std::size_t limit) = 0;
  // Number of meters in the registry.
  virtual Result<std::size_t> meter_count() = 0;

  // The data directory's own facts (its identity, the billing database it is bound to), by key
  // (1 to 64 characters, valid text; kMaxMetaValue bytes of value). meta_or_set returns the value
  // stored under `key`, storing `value` first when there is none (atomically: of two callers,
  // both see the first value); set_meta replaces it.
  virtual Result<std::string> meta_or_set(std::string_view key, std::string_view value) = 0;
  virtual Status set_meta(std::string_view key, std::string_view value) = 0;

  // Stores a batch (<= kMaxBatch rows) in one transaction. Idempotent per (meter_id, start): see
  // PutResult. An unknown meter id fails the whole batch with kNotFound.
  virtual Result<PutResult> put_intervals(std::span<const IntervalReading> rows) = 0;

  // One meter's intervals with start in [from, to), ascending. to - from <= kMaxRangeDays;
  // kNotFound for an unknown meter id (also for missing_intervals).
  virtual Result<std::vector<IntervalReading>> intervals(std::int64_t meter_id, UtcTime from,
                                                         UtcTime to) = 0;

  // Gap detection: the expected starts from, from + period_s, ... (< to) for which the meter has
  // no stored interval, ascending. `from` should be on the profile's period boundary.
  virtual Result<std::vector<UtcTime>> missing_intervals(std::int64_t meter_id, UtcTime from,
                                                         UtcTime to, std::int32_t period_s) = 0;

  // Intervals of all meters with start in [from, to).
  virtual Result<std::uint64_t> count_intervals(UtcTime from, UtcTime to) = 0;

  // ---- Head-end state (schema 3) ----
  // Writes everything in the batch in one transaction (all or nothing). kNotFound when an
  // interval, alert (other than meter_id 0), comm row, profile row or command update names an
  // unknown id.
  virtual Result<WriteResult> write(const WriteBatch& batch) = 0;

  // Communication state of every meter that has any, in meter id order (the head end loads it at
  // start; bounded by the registry's size).
  virtual Result<std::vector<MeterComm>> all_comm() = 0;
  virtual Result<std::optional<MeterComm>> comm(std::int64_t meter_id) = 0;

  // Alerts with id > after_id, ascending, at most `limit` (<= kMaxPage): a subscriber keeps the
  // last id it saw and polls (or follows) from there.
  virtual Result<std::vector<Alert>> alerts_after(std::int64_t after_id, std::size_t limit) = 0;
  // Alerts of one kind with `at` in [from, to) and id > after_id, ascending id, at most `limit`
  // (<= kMaxPage): page on with the last id seen. Indexed on (kind, at): it does not walk every
  // alert ever raised.
  virtual Result<std::vector<Alert>> alerts_of_kind(std::string_view kind, UtcTime from, UtcTime to,
                                                    std::int64_t after_id, std::size_t limit) = 0;
  virtual Result<std::vector<AuditRecord>> audit_after(std::int64_t after_id,
                                                       std::size_t limit) = 0;
  // The latest first: records (alerts) with id < before_id, descending id, at most `limit`
  // (<= kMaxPage); page back with the last id seen. INT64_MAX reads the latest.
  virtual Result<std::vector<AuditRecord>> audit_before(std::int64_t before_id,
                                                        std::size_t limit) = 0;
  virtual Result<std::vector<Alert>> alerts_before(std::int64_t before_id, std::size_t limit) = 0;

  // Stores a new command (id, attempts, state, result and finished are set by the store) and
  // returns it; a command whose idempotency_key exists already is returned as stored, unchanged.
  // Writes an audit record of the request in the same transaction.
  virtual Result<Command> enqueue_command(const Command& command) = 0;
  virtual Result<std::optional<Command>> command(std::int64_t id) = 0;
  // Pending commands with next_attempt <= now, oldest first, at most `limit` (<= kMaxPage).
  virtual Result<std::vector<Command>> due_commands(UtcTime now, std::size_t limit) = 0;
  // A meter's pending commands, oldest first.
  virtual Result<std::vector<Command>> pending_commands(std::int64_t meter_id) = 0;
  // Commands with id > after_id, ascending, at most `limit` (<= kMaxPage).
  virtual Result<std::vector<Command>> commands_after(std::int64_t after_id, std::size_t limit) = 0;

  // ---- Relay holds (schema 6) ----
  // Records `hold` (idempotent per meter and holder: a second call keeps the first `since`) and
  // returns every hold on the meter after it, in one transaction. kNotFound for an unknown meter.
  virtual Result<std::vector<RelayHold>> hold_relay(const RelayHold& hold) = 0;
  // Removes the holder's hold (if any) and returns the holds that remain, in one transaction:
  // of two parties releasing at once, exactly one sees none remain. kNotFound: unknown meter.
  virtual Result<std::vector<RelayHold>> release_relay(std::int64_t meter_id,
                                                       std::string_view holder) = 0;
  // A meter's holds, by holder.
  virtual Result<std::vector<RelayHold>> relay_holds(std::int64_t meter_id) = 0;

  // ---- Profile rows (schema 4); written by write() ----
  // A meter's rows of one profile with captured in [from, to), ascending (captured, code);
  // to - from <= kMaxRangeDays; kNotFound for an unknown meter.
  virtual Result<std::vector<ProfileRow>> profile_rows(std::int64_t meter_id,
                                                       std::string_view profile, UtcTime from,
                                                       UtcTime to) = 0;
  // The latest captured time of a meter's rows of one profile, or nullopt when it has none.
  virtual Result<std::optional<UtcTime>> last_profile_row(std::int64_t meter_id,
                                                          std::string_view profile) = 0;
  // Number of rows of one profile (all meters) with captured in [from, to).
  virtual Result<std::uint64_t> count_profile_rows(std::string_view profile, UtcTime from,
                                                   UtcTime to) = 0;

  // Per meter: number of intervals, their import and export Wh with start in [from, to), for every
  // meter that has at least one (meter id order). to - from <= kMaxRangeDays.
  virtual Result<std::vector<MeterIntervalSummary>> interval_summary(UtcTime from, UtcTime to) = 0;

  // Verifies the database: its structure is intact and its schema is the one this build expects.
  virtual Status schema_check() = 0;
  // The schema version the database is at (the highest migration applied).
  virtual int schema_version() = 0;
};

}  // namespace vidyut::store
