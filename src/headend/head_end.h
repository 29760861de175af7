// HeadEnd: `vidyut serve`'s engine. It holds the meters' sessions (MeterSession over the net
// module's event-driven server), writes what they push into the Store in batches, fills gaps by
// range reads, carries queued commands to meters, raises alerts, and keeps per-meter
// communication health. docs/head-end.md is the operator's guide.
//
// Threads: the network I/O thread runs every session; a writer thread commits batches (a
// reading counts as acknowledged once its batch is committed: stats().intervals_committed); a
// command thread picks up commands queued by other processes (the CLI writes to the same
// store), expires overdue ones and wakes the sessions of meters that have work.
//
// Time: business time (command deadlines and backoff, timestamps, gap windows) comes from the
// injected clock; network timeouts are real time (they protect sockets, not business rules).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "dlms/security/suite0.h"
#include "dlms/session/quirks.h"
#include "headend/health.h"
#include "store/store.h"

namespace vidyut::headend {

struct HeadEndOptions {
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 4059;  // 0: ephemeral (read it back with port())
  // Protection from the field (docs/head-end.md "Limits").
  std::size_t max_sessions = 18'000;       // under the process's open-file limit
  double max_new_sessions_per_second = 0;  // 0 = unlimited
  std::size_t new_session_burst = 1'000;
  Millis idle_timeout{120'000};  // a session silent this long is closed (real time)
  // Connections that have not yet identified themselves (an authenticated push, or a dial of
  // ours) have a budget of their own, so that silent or hostile sockets cannot take the places
  // the fleet needs: at most max_unidentified at once (0: max(64, max_sessions / 10)), at most
  // max_unidentified_per_address from one address, and identify_timeout to identify (real time).
  // Over the budget a connection is closed at once; refusals are audited in aggregate.
  std::size_t max_unidentified = 0;
  std::size_t max_unidentified_per_address = 8;
  Millis identify_timeout{10'000};
  Millis request_timeout{30'000};  // a meter that does not answer a request (real time)
  // Data.
  std::int32_t period_s = 900;             // block-load capture period
  bool stamp_at_end = false;               // block-load rows stamped at interval end
  std::int64_t gap_window_s = 7 * 86'400;  // how far back gaps are filled
  UtcTime gap_floor{};  // and never before this (e.g. the day the head end took the fleet over)
  std::size_t max_rows_per_read = 192;  // rows per range read (two days at 15 minutes)
  std::size_t max_reads_per_session = 4;
  // Gap-fill range reads under way at once, fleet-wide (with max_rows_per_read, this bounds
  // the rows a backlog can put in memory: 256 x 192 = 49,152).
  std::size_t max_gap_reads = 256;
  // Scheduled profile reads (daily, billing, event logs) under way at once, fleet-wide: they are
  // spread over the meters' sessions rather than all asked at midnight.
  std::size_t max_scheduled_reads = 8;
  // Writes: a batch is committed at least this often, or when it holds this many rows.
  Millis flush_interval{250};
  std::size_t flush_rows = 20'000;
  // Gap-fill reads pause while this many rows wait to be committed (bounds memory when a large
  // backlog is being read back faster than the store takes it).
  std::size_t max_write_backlog = 200'000;
  // Commands (injected-clock time).
  std::int64_t retry_base_s = 60;
  std::int64_t retry_max_s = 3'600;
  std::int64_t default_deadline_s = 24 * 3'600;
  Millis command_poll{1'000};  // real time between looks at the store's queue
  // Dial-out: a meter with a static address (registry static_ip) and a due command, but no
  // session, is called on dial_port instead of waiting for its next push.
  bool dial_out = true;
  std::uint16_t dial_port = 4059;
  std::size_t max_dials_in_flight = 256;
  Millis dial_timeout{10'000};
  Millis dial_retry{30'000};  // real time between dials to one meter
  dlms::security::SystemTitle system_title{'H', 'E', 'S', 0, 0, 0, 0, 1};
  // What the meter says about itself (docs/head-end.md, "Meter clocks", "SIM and operator").
  // Every session in which the head end associates reads the meter's clock and active SIM first
  // (one GET-with-list); a session with no other work associates for that read when the last one
  // is older than clock_check_interval_s (0: on every session), when the SIM is not known, or
  // when the session comes from another address than the last read's.
  std::int64_t clock_check_interval_s = 3'600;
  // A meter clock more than this many seconds off the head end's (injected) clock is set
  // (a clock-set command, audited as clock-drift with the measured drift)...
  std::int64_t clock_tolerance_s = 60;
  // ...at most once per meter in this long (no storm of sets at a meter that refuses them or
  // keeps stepping away)...
  std::int64_t clock_set_min_interval_s = 6 * 3'600;
  // ...and more than this many seconds off raises an alert clock/drift (a block-load interval
  // is 900 s: its rows land in the wrong interval; a clock moved that far may be tampered with).
  std::int64_t clock_alert_s = 900;
  // Meter quirks (docs/meter-quirks.md): the known deviations from the standard the head end
  // accepts from meters of a manufacturer (registry `manufacturer`, e.g. "XYZ"). Empty: every
  // meter is decoded strictly. Each deviation accepted is counted (stats().quirk_deviations).
  std::map<std::string, dlms::QuirkSet> quirks_by_manufacturer;
};

struct HeadEndStats {
  std::uint64_t sessions_accepted = 0;
  std::uint64_t sessions_active = 0;
  std::uint64_t sessions_refused = 0;               // rate limit, max sessions, unidentified budget
  std::uint64_t sessions_unidentified_timeout = 0;  // closed for not identifying in time
  std::uint64_t meters_connected = 0;
  std::uint64_t pushes = 0;  // authenticated pushes (block load + alerts)
  std::uint64_t alert_pushes = 0;
  std::uint64_t rejected_unknown = 0;
  std::uint64_t rejected_auth = 0;
  std::uint64_t rejected_replay = 0;
  std::uint64_t rejected_malformed = 0;
  std::uint64_t rejected_flood = 0;
  std::uint64_t intervals_received = 0;   // rows pushed or read, before storage
  std::uint64_t intervals_committed = 0;  // new rows durable in the store (acknowledged)
  std::uint64_t intervals_duplicate = 0;
  std::uint64_t intervals_conflict = 0;
  std::uint64_t batches = 0;
  std::uint64_t write_errors = 0;
  std::uint64_t write_queue = 0;  // rows waiting for the writer
  std::uint64_t gap_reads = 0;
  std::uint64_t gap_rows = 0;
  std::uint64_t alerts_raised = 0;
  std::uint64_t commands_succeeded = 0;
  std::uint64_t commands_failed = 0;
  std::uint64_t commands_expired = 0;
  std::uint64_t command_attempts = 0;
  std::uint64_t profile_reads = 0;  // scheduled daily, billing and event-log reads
  std::uint64_t profile_rows = 0;
  std::uint64_t dials = 0;  // dial-outs to static-IP meters
  std::uint64_t dial_failures = 0;
  // Meter clocks and SIMs (docs/head-end.md, "Meter clocks", "SIM and operator").
  std::uint64_t clock_checks = 0;       // meter status reads that returned the meter's clock
  std::uint64_t clock_corrections = 0;  // clock-set commands the head end queued for drift
  std::uint64_t clock_alerts = 0;       // clock/drift alerts raised (beyond clock_alert_s)
  // Meters whose last clock check found them beyond clock_tolerance_s (a gauge).
  std::uint64_t meters_clock_beyond_tolerance = 0;
  // Interval rows pushed or read from a meter whose last clock check found it beyond the
  // tolerance: stored as the meter stamped them, and possibly in the wrong interval.
  std::uint64_t intervals_clock_suspect = 0;
  std::uint64_t sim_reads = 0;    // the active SIM and operator read from the meter
  std::uint64_t sim_changes = 0;  // ...and found different from what was known
  // Answers accepted only because a configured quirk named their deviation, by quirk.
  dlms::QuirkCounts quirk_deviations;
};

class HeadEnd {
 public:
  // `store` and `clock` must outlive the head end.
  HeadEnd(store::Store& store, const Clock& clock, HeadEndOptions options);
  ~HeadEnd();  // stops
  HeadEnd(const HeadEnd&) = delete;
  HeadEnd& operator=(const HeadEnd&) = delete;

  // Loads the registry and meter state, binds the port, starts the threads.
  Status start();
  // Stops accepting, closes sessions, commits what is queued, joins the threads. Idempotent.
  void stop();
  std::uint16_t port() const;
  HeadEndStats stats() const;

  // Waits until everything received before the call is committed (or failed).
  void flush();

  // Queues a command (idempotent on its key; see store::Store::enqueue_command) and, when the
  // meter is connected, starts it at once. Unset created/deadline/next_attempt are filled in.
  Result<store::Command> submit(store::Command command);

  // Alerts as they are committed, on the writer thread (keep the callback short).
  void subscribe(std::function<void(const store::Alert&)> callback);

  // Completeness of the IST day containing `day`, by operator and by feeder.
  Result<FleetHealth> health(UtcTime day);

  // The port meters on static-IP APNs listen on (HeadEndOptions::dial_port), for when it is known
  // only after start (a simulator on an ephemeral port).
  void set_dial_port(std::uint16_t port);

  // Latencies of commands finished since start (created -> succeeded, injected-clock ms).
  std::vector<std::int64_t> command_latencies_ms() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vidyut::headend
