// MeterSession: the head end's side of one meter connection, sans-I/O.
//
// A meter opens the connection and pushes (IS 15959 meters push block load and alerts as
// general-glo-ciphered Data-Notifications). The first frame identifies the meter by the system
// title in its security header; the head end looks up the meter's keys, authenticates and
// deciphers the push (suite 0 AES-GCM, so a wrong key fails authentication) and checks its
// invocation counter against the highest one accepted before (persisted per meter), so a replay
// is refused. Anything else first - an unknown title, a plain frame, undecodable bytes - is
// rejected with an audit record and the connection is closed.
//
// While the meter is connected the head end is the DLMS client on the same connection: when it
// has work for the meter (gap fill range reads, queued commands) it associates at the utility
// client (SAP 48, HLS-GMAC, authenticated encryption with the meter's own keys) and does the
// work one request at a time. The association is kept while the connection lasts, so work that
// comes up later (a command queued meanwhile) goes at once; it is not released, because IS 15959
// meters close the connection on release. Pushes that arrive in between are handled as they
// come.
//
// Thread-safety: one thread at a time (the network layer's I/O thread for this connection).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/result.h"
#include "dlms/apdu/wrapper.h"
#include "dlms/session/client.h"
#include "headend/profile.h"
#include "store/store.h"

namespace vidyut::headend {

// Frames a meter may send in one session before the head end stops listening (a meter pushes
// a few frames per 15 minutes; a flood is a fault or an attack).
inline constexpr std::uint32_t kMaxFramesPerSession = 10'000;
// Largest APDU accepted from a meter (a block-transferred profile arrives in blocks).
inline constexpr std::size_t kMaxMeterApdu = 4096;

// What the head end knows of a meter for one session.
struct MeterContext {
  std::int64_t meter_id = 0;
  std::string serial;
  dlms::security::SystemTitle title{};
  std::string kind;  // store::MeterInfo::kind
  store::MeterSecrets secrets;
  std::uint32_t push_ic = 0;        // highest invocation counter accepted from the meter
  std::uint64_t connection_id = 0;  // the session's connection (set by the session)
  dlms::QuirkSet quirks;            // deviations accepted from this meter (its manufacturer's)
};

// One unit of work on an associated session.
struct Task {
  // kMeterStatus: what the meter says about itself - its clock and its active SIM - in one
  // GET-with-list (docs/head-end.md, "Meter clocks", "SIM and operator").
  enum class Kind : std::uint8_t { kRangeRead, kCommand, kProfileRead, kMeterStatus };
  Kind kind = Kind::kRangeRead;
  // kRangeRead: block-load interval starts in [from, to); kProfileRead: rows captured in
  // [from, to] of profile `profile` (an index into scheduled_profiles()).
  UtcTime from{}, to{};
  std::size_t profile = 0;
  store::Command command;  // kCommand
};

struct TaskOutcome {
  bool ok = false;
  // The attempt failed for a reason that may pass (no answer, session lost); retry later.
  bool retryable = false;
  std::string text;
  // A command that reads a profile (kRead "tokens"): the rows read, for the host to store with
  // the command's outcome.
  std::vector<store::ProfileRow> profile_rows;
};

// What a meter status read (Task::Kind::kMeterStatus) found. Each part is empty when the meter
// did not give it (an access error, a meter without the active-SIM object); `error` is set
// when the read as a whole failed.
struct MeterStatus {
  std::optional<UtcTime> meter_time;       // the meter's clock (attribute 2 of 0.0.1.0.0.255), UTC
  UtcTime sent{};                          // session clock when the request went out
  UtcTime received{};                      // and when the answer came back
  std::optional<std::uint8_t> active_sim;  // 1 or 2 (0: none)
  std::optional<std::string> sim_operator;
  std::string error;
  // Meter clock minus the midpoint of the round trip (the instant the meter most likely read
  // its clock), in milliseconds; nullopt without a meter time.
  std::optional<std::int64_t> drift_ms() const;
};

// The head end, as a session sees it. Called on the session's thread.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  // The meter with this system title, or nullopt (unknown: the session is rejected).
  virtual std::optional<MeterContext> find_meter(const dlms::security::SystemTitle& title) = 0;
  // The session is now the meter's (a newer session of the same meter replaces an older one).
  virtual void attached(const MeterContext& m, std::uint64_t connection_id,
                        std::string_view peer) = 0;
  // A rejection to audit: action ("reject-unknown-meter", "reject-auth", "reject-replay",
  // "reject-malformed", "reject-flood", "reject-slow"), subject (serial or peer address),
  // detail.
  virtual void rejected(std::string_view action, std::string_view subject,
                        std::string_view detail) = 0;
  // An authenticated, fresh push; `ic` becomes the meter's replay floor.
  virtual void pushed(const MeterContext& m, std::uint32_t ic, const PushContent& p) = 0;
  // Work for the meter now (asked when the session is idle after a push or a wake). A meter is
  // associated on one connection at a time (its invocation counters must only grow): a host
  // returns nothing to a second connection (m.connection_id) while another one works.
  virtual std::vector<Task> plan(const MeterContext& m) = 0;
  // The first invocation counter of a new association toward the meter; the session uses at most
  // `reserve` counters from it. The host has made them durable as used, so a crash never reuses
  // one under the same key.
  virtual std::uint32_t reserve_client_ic(const MeterContext& m, std::uint32_t reserve) = 0;
  // The session's association ends with the connection; `next_client_ic` is the first counter
  // it did not use.
  virtual void released(const MeterContext& m, std::uint32_t next_client_ic) {
    (void)m, (void)next_client_ic;
  }
  virtual void read_done(const MeterContext& m, const Task& t,
                         const Result<std::vector<BlockInterval>>& rows) = 0;
  virtual void command_done(const MeterContext& m, const Task& t, const TaskOutcome& o) = 0;
  // A scheduled profile read finished: the rows (an array of structures), or why not.
  virtual void profile_read_done(const MeterContext& m, const Task& t,
                                 const Result<dlms::Data>& rows) {
    (void)m, (void)t, (void)rows;
  }
  // A meter status read finished (or failed: s.error). Returns true when the host now has more
  // work for this session (a clock correction it queued): the session plans again.
  virtual bool status_read(const MeterContext& m, const MeterStatus& s) {
    (void)m, (void)s;
    return false;
  }
  // An answer was accepted only because the meter's quirk `q` named its deviation.
  virtual void deviation_accepted(const MeterContext& m, dlms::Quirk q) { (void)m, (void)q; }
  // The connection ended; tasks not done are handed back (commands stay queued).
  virtual void detached(const MeterContext& m, std::uint64_t connection_id) = 0;
};

struct SessionOptions {
  dlms::security::SystemTitle client_title{'H', 'E', 'S', 0, 0, 0, 0, 1};
  // A request the meter has not answered in this long fails (the command is retried later).
  Millis request_timeout{30'000};
  // A frame that has begun must be complete within this (a slow sender holding a connection
  // open with a trickle of bytes is cut off).
  Millis frame_timeout{20'000};
  RowOptions rows;
  // Invocation counters reserved per association (see SessionHost::reserve_client_ic); an
  // association that would need more ends and its remaining work is planned again.
  std::uint32_t ic_reserve = 4'096;
  // Clock for request deadlines (network time: real time even when business time is
  // accelerated). nullptr: the session's clock.
  const Clock* timer_clock = nullptr;
};

class MeterSession {
 public:
  MeterSession(SessionHost& host, const Clock& clock, SessionOptions options,
               std::uint64_t connection_id, std::string peer);
  // A session the head end opened to a meter it knows (dial-out to a static-IP meter): the meter
  // does not push first; the first on_wake() attaches it and starts the work, and the session
  // asks to close once the work is done.
  MeterSession(SessionHost& host, const Clock& clock, SessionOptions options,
               std::uint64_t connection_id, std::string peer, MeterContext dialed);
  ~MeterSession();

  // Bytes from the meter. Returns bytes to send. An Error means: close the connection (the
  // reason has been audited when it is the meter's fault).
  Result<Bytes> on_bytes(ByteView data);
  // New work may be waiting, or a request deadline passed.
  Result<Bytes> on_wake();
  // When on_wake() should be called next without new bytes (a request deadline).
  std::optional<Millis> wake_after() const;
  bool wants_close() const { return close_; }
  // The connection is gone: pending work is reported back as retryable.
  void on_closed();

  const std::optional<MeterContext>& meter() const { return meter_; }
  // True once the meter has identified itself: its first push authenticated with its keys (or the
  // session was dialled to a known meter and attached).
  bool attached() const { return attached_; }

 private:
  // kIdle: no association; kReady: associated, nothing outstanding (the association is kept
  // for later work until the meter closes the connection).
  enum class State : std::uint8_t { kIdle, kAssociating, kHls, kWorking, kReady };
  Result<Bytes> on_apdu(const Bytes& apdu);
  Result<Bytes> on_push(const Bytes& apdu);
  Result<Bytes> on_response(const Bytes& apdu);
  Result<Bytes> start_work();
  Result<Bytes> next_task();
  Result<Bytes> send(Result<Bytes> apdu);
  Result<Bytes> fail_current(const Error& e, bool retryable);
  void finish_command(bool ok, bool retryable, std::string text,
                      std::vector<store::ProfileRow> rows = {});
  void report_failure(const Task& t, const Error& e, bool retryable, bool not_attempted);
  Error reject(std::string_view action, std::string_view subject, std::string detail);
  UtcTime timer_now() const {
    return options_.timer_clock != nullptr ? options_.timer_clock->now() : clock_.now();
  }

  SessionHost& host_;
  const Clock& clock_;
  SessionOptions options_;
  std::uint64_t connection_id_;
  std::string peer_;
  dlms::WrapperDecoder decoder_;
  std::optional<MeterContext> meter_;
  BlockLayout layout_;
  std::unique_ptr<dlms::ClientCodec> codec_;
  State state_ = State::kIdle;
  std::deque<Task> tasks_;
  std::optional<Task> current_;
  int step_ = 0;  // step within the current task
  std::optional<UtcTime> deadline_;
  UtcTime status_sent_{};  // when the current meter status read went out (session clock)
  std::optional<UtcTime> frame_deadline_;  // slow-sender guard: see SessionOptions
  std::uint16_t wport_source_ = 1;         // our wrapper port (client SAP) and the meter's
  std::uint16_t wport_dest_ = 1;
  std::uint32_t frames_ = 0;
  bool close_ = false;
  bool closed_ = false;
  bool attached_ = false;
  bool dialed_ = false;
  std::uint32_t ic_end_ = 0;  // first invocation counter beyond this association's reservation
};

}  // namespace vidyut::headend
