// Fuzz target for the head end's side of a meter connection: headend::MeterSession (identify,
// authenticate and replay-check pushes, then act as the DLMS client on the same connection) and
// the push, range-read and scheduled-profile decoders of headend/profile.h, all fed with bytes
// from the meter.
//
// Input format (every field may stop short; a record cut short is fed as far as it goes):
//   header byte: bit 0 = RowOptions::stamp_at_end; bit 1 = the host hands out client invocation
//                counters just below 2^32 (the counter runs out during the session)
//   records, each:  op byte, [profile byte], chunk length (uint16 big-endian), chunk bytes
//     op bits 0-1: what the host's plan() returns when next asked: 0 nothing, 1 a range read,
//                  2 a command, 3 a command then a range read (the plan is set before the chunk
//                  and replaced by the next record)
//     op bits 2-4: the command: connect, disconnect, read, clock-set, load-limit, payment-mode,
//                  ping, or 7: profile reads instead of a command, as the profile byte says (the
//                  profile byte is there only when op bit 1 is set and bits 2-4 are 7)
//     op bit 5:    "other": a 2-day range read (block transfer) instead of a 2-hour one; a bad
//                  load-limit / payment-mode argument; profile reads reach 40 days back instead
//                  of the profile's window
//     op bit 6:    on_wake() after the chunk; bit 7: the request deadline passes, then on_wake()
//     profile byte bits 0-3: the profile, an index into scheduled_profiles() (10 of them; 10-15
//                  are "no such profile"); bit 4: the next index is read too, after it; bits
//                  5-7: 0, or command (value - 1) planned before the profile reads
//   The chunk goes to on_bytes() (an empty chunk only when no wake is asked). Feeding stops at
//   an Error or when the session wants to close; then on_closed() (twice: it must be idempotent).
//
// The host's registry holds the meters of a small fleet made by fleet::generate() once per
// process, so inputs made of real pushes (see the seed corpus) get past identification and
// authentication. Everything else is fresh per input: session, host, clocks, and the random
// bytes OpenSSL gives the session (the HLS-GMAC challenge CtoS comes from RAND_bytes, so the
// harness installs a deterministic generator, reset per input: a recorded meter answer to the
// challenge then verifies when replayed, and every input runs the same way each time).
//
// Checked for every input, besides ASan/UBSan: detached() at most once and only after
// attached(); every task plan() handed out is reported back exactly once through read_done(),
// command_done() or profile_read_done() (each for its own kind of task) by the time on_closed()
// returns, and never after detached(); push invocation counters strictly increase within the
// session; decoded rows are aligned to the period; a read of no such profile never succeeds;
// profile_rows_of() on a successful profile read either fails with kMalformed/kLimitExceeded or
// gives at most kMaxRowsPerRead rows of the meter, each named for the profile, with A-XDR data of
// 1 to store::kMaxProfileRowBytes bytes that decodes back to the same bytes and whose first
// element is the captured time, and code 0 unless the profile has an event code column; every
// output is whole wrapper frames from the utility client (wPort 48) to the meter (1);
// wake_after() never exceeds the request timeout.
//
// Seeds: VIDYUT_FUZZ_WRITE_SEEDS=<dir> ./fuzz_head_end_session -runs=0 writes the seed corpus
// (real pushes and whole conversations with the fleet simulator's meters, among them daily,
// billing and event-log profile reads, fuzz/corpus/head_end_session/) from LLVMFuzzerInitialize
// and prints how each seed runs.
#define OPENSSL_SUPPRESS_DEPRECATED  // RAND_set_rand_method: a test double for the CSPRNG
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "dlms/apdu/wrapper.h"
#include "dlms/axdr/data.h"
#include "fleet/fleet.h"
#include "headend/meter_session.h"
#include "headend/profile.h"
#include "meter/load_model.h"

namespace {

using namespace vidyut;
using headend::BlockInterval;
using headend::MeterContext;
using headend::PushContent;
using headend::Task;
using headend::TaskOutcome;

constexpr std::int64_t kPeriodMs = 900'000;
const UtcTime kFleetStart = UtcTime(Millis(1'790'000'000'000));  // 2026-09-21
// The head end's clocks when an input starts, and the end of the range reads it plans.
const UtcTime kSessionStart = kFleetStart + Millis(3 * 3'600'000);
const UtcTime kRangeEnd =
    UtcTime(Millis(kFleetStart.time_since_epoch().count() / kPeriodMs * kPeriodMs)) +
    Millis(2 * 3'600'000);
constexpr Millis kRequestTimeout{30'000};
constexpr std::uint64_t kConnectionId = 7;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_head_end_session: %s\n", what);
  std::abort();
}

// ---- deterministic RAND_bytes ------------------------------------------------------------

std::uint64_t g_rand_state = 0;

int det_rand_bytes(unsigned char* buf, int num) {
  for (int i = 0; i < num; ++i) {
    g_rand_state += 0x9E3779B97F4A7C15ull;  // splitmix64
    std::uint64_t z = g_rand_state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    buf[i] = static_cast<unsigned char>(z ^ (z >> 31));
  }
  return 1;
}
int det_rand_status() { return 1; }

const RAND_METHOD kDeterministicRand = {nullptr, det_rand_bytes, nullptr,
                                        nullptr, det_rand_bytes, det_rand_status};

// ---- the fleet and the registry (once per process) ----------------------------------------

fleet::FleetSpec fleet_spec() {
  fleet::FleetSpec s;
  s.seed = 11;
  s.consumers = 6;
  s.consumers_per_dt = 3;
  s.dts_per_feeder = 2;
  s.three_phase_share = 0.3;
  return s;
}

MeterContext context_of(const fleet::MeterRecord& r, std::int64_t id) {
  MeterContext c;
  c.meter_id = id;
  c.serial = r.identity.serial;
  c.title = r.identity.system_title;
  c.kind = meter::to_string(r.identity.kind);
  c.secrets.lls_password = r.secrets.lls_password;
  c.secrets.ek = r.secrets.ek;
  c.secrets.ak = r.secrets.ak;
  return c;
}

using Registry = std::map<dlms::security::SystemTitle, MeterContext>;

const Registry& registry() {
  static const Registry reg = [] {
    Registry r;
    const fleet::Topology t = fleet::generate(fleet_spec());
    for (std::size_t i = 0; i < t.meters.size(); ++i) {
      r[t.meters[i].identity.system_title] =
          context_of(t.meters[i], static_cast<std::int64_t>(i) + 1);
    }
    return r;
  }();
  return reg;
}

// ---- the host ------------------------------------------------------------------------------

// What happened in one input (printed for the seeds).
struct Tally {
  int pushes = 0, alerts = 0, rejections = 0, reads_ok = 0, read_rows = 0, read_errors = 0;
  int commands_ok = 0, commands_failed = 0, planned = 0;
  int profiles_ok = 0, profile_rows = 0, profile_errors = 0, profile_bad_rows = 0;
  std::string last_rejection, last_outcome;
};

class FuzzHost final : public headend::SessionHost {
 public:
  std::vector<Task> next_plan;
  std::uint32_t next_client_ic = 1;
  Tally tally;

  std::optional<MeterContext> find_meter(const dlms::security::SystemTitle& title) override {
    if (attached_) fail("find_meter after attached");
    const auto it = registry().find(title);
    if (it == registry().end()) return std::nullopt;
    return it->second;
  }
  void attached(const MeterContext& m, std::uint64_t connection_id, std::string_view) override {
    if (attached_) fail("attached twice");
    if (connection_id != kConnectionId) fail("attached with another connection id");
    attached_ = true;
    meter_id_ = m.meter_id;
  }
  void rejected(std::string_view action, std::string_view, std::string_view detail) override {
    if (action.empty()) fail("a rejection without an action");
    ++tally.rejections;
    tally.last_rejection = std::string(action) + ": " + std::string(detail);
  }
  void pushed(const MeterContext& m, std::uint32_t ic, const PushContent& p) override {
    check_meter(m, "pushed");
    if (last_ic_ && ic <= *last_ic_) fail("push invocation counters do not strictly increase");
    last_ic_ = ic;
    ++tally.pushes;
    if (p.kind == PushContent::Kind::kAlert) {
      ++tally.alerts;
      for (const auto& a : headend::esw_alerts(m.meter_id, esw_, p.esw, p.at, kSessionStart)) {
        if (a.kind.empty() || a.name.empty()) fail("an ESW alert without kind or name");
      }
      esw_ = p.esw;
    } else {
      check_rows(p.rows);
    }
  }
  std::vector<Task> plan(const MeterContext& m) override {
    check_meter(m, "plan");
    std::vector<Task> tasks = std::exchange(next_plan, {});
    for (auto& t : tasks) {
      t.command.id = next_task_id_++;  // the task's identity, for read tasks too
      outstanding_.insert(t.command.id);
      ++tally.planned;
    }
    return tasks;
  }
  std::uint32_t reserve_client_ic(const MeterContext& m, std::uint32_t reserve) override {
    check_meter(m, "reserve_client_ic");
    const std::uint32_t first = next_client_ic;
    next_client_ic = next_client_ic > UINT32_MAX - reserve ? UINT32_MAX : next_client_ic + reserve;
    return first;
  }
  void read_done(const MeterContext& m, const Task& t,
                 const Result<std::vector<BlockInterval>>& rows) override {
    check_meter(m, "read_done");
    if (t.kind != Task::Kind::kRangeRead) fail("read_done for a command or a profile read");
    report(t);
    if (rows.ok()) {
      check_rows(*rows);
      ++tally.reads_ok;
      tally.read_rows += static_cast<int>(rows->size());
    } else {
      ++tally.read_errors;
      tally.last_outcome = "read: " + rows.error().message;
    }
  }
  void command_done(const MeterContext& m, const Task& t, const TaskOutcome& o) override {
    check_meter(m, "command_done");
    if (t.kind != Task::Kind::kCommand) fail("command_done for a read");
    if (o.ok && o.retryable) fail("a successful command marked retryable");
    report(t);
    ++(o.ok ? tally.commands_ok : tally.commands_failed);
    tally.last_outcome = o.text;
  }
  void profile_read_done(const MeterContext& m, const Task& t,
                         const Result<dlms::Data>& rows) override {
    check_meter(m, "profile_read_done");
    if (t.kind != Task::Kind::kProfileRead) fail("profile_read_done for another kind of task");
    report(t);
    const auto& specs = headend::scheduled_profiles();
    if (t.profile >= specs.size() && rows.ok()) fail("a read of no such profile succeeded");
    if (!rows.ok()) {
      ++tally.profile_errors;
      tally.last_outcome = "profile read: " + rows.error().message;
      return;
    }
    const headend::ProfileSpec& spec = specs[t.profile];
    const auto decoded = headend::profile_rows_of(m.meter_id, spec, *rows);
    if (!decoded.ok()) {
      if (decoded.error().code != Errc::kMalformed &&
          decoded.error().code != Errc::kLimitExceeded) {
        fail("profile_rows_of failed with an unexpected error code");
      }
      ++tally.profile_bad_rows;
      tally.last_outcome = "profile rows: " + decoded.error().message;
      return;
    }
    check_profile_rows(m.meter_id, spec, *decoded);
    ++tally.profiles_ok;
    tally.profile_rows += static_cast<int>(decoded->size());
  }
  void detached(const MeterContext& m, std::uint64_t connection_id) override {
    check_meter(m, "detached");
    if (connection_id != kConnectionId) fail("detached with another connection id");
    detached_ = true;
  }

  // After on_closed(): detached exactly when attached, every task reported.
  void check_closed() const {
    if (detached_ != attached_) fail("on_closed: detached() not reported exactly when attached");
    if (!outstanding_.empty()) fail("on_closed returned with tasks never reported back");
  }

 private:
  void check_meter(const MeterContext& m, const char* what) const {
    if (!attached_ || detached_ || m.meter_id != meter_id_) {
      std::fprintf(stderr, "fuzz_head_end_session: %s outside the attached session\n", what);
      std::abort();
    }
  }
  void report(const Task& t) {
    if (outstanding_.erase(t.command.id) != 1) {
      fail("a task reported back twice, or one plan() never handed out");
    }
  }
  static void check_rows(const std::vector<BlockInterval>& rows) {
    if (rows.size() > headend::kMaxRowsPerRead) fail("more rows than kMaxRowsPerRead");
    for (const auto& b : rows) {
      if (b.start.time_since_epoch().count() % kPeriodMs != 0) fail("a row start off the period");
      if (b.import_wh < 0 || b.import_vah < 0 || b.export_wh < 0 || b.export_vah < 0) {
        fail("negative energy in a decoded row");
      }
    }
  }

  static void check_profile_rows(std::int64_t meter_id, const headend::ProfileSpec& spec,
                                 const std::vector<store::ProfileRow>& rows) {
    if (rows.size() > headend::kMaxRowsPerRead) fail("more profile rows than kMaxRowsPerRead");
    for (const auto& r : rows) {
      if (r.meter_id != meter_id) fail("a profile row of another meter");
      if (r.profile != spec.name) fail("a profile row not named for its profile");
      if (r.data.empty() || r.data.size() > store::kMaxProfileRowBytes) {
        fail("a profile row's data empty or larger than kMaxProfileRowBytes");
      }
      if (!spec.code_column && r.code != 0) fail("an event code in a profile without one");
      if (r.code < 0 || r.code > 0xFFFF) fail("an event code outside 0-65535");
      // The data is the row in A-XDR: it decodes, re-encodes to itself, and starts with the
      // clock it was captured at.
      auto row = dlms::axdr::decode_all(r.data);
      if (!row.ok()) fail("a profile row's data does not decode");
      if (dlms::axdr::encode(*row) != Bytes(r.data.begin(), r.data.end())) {
        fail("a profile row's data does not re-encode to itself");
      }
      const auto* cols = row->as_list();
      if (cols == nullptr || cols->empty()) fail("a profile row's data is not a structure");
      const auto dt = cols->front().as_date_time();
      if (!dt) fail("a profile row's data has no clock first");
      const auto t = dt->to_utc();
      if (!t.ok() || *t != r.captured) fail("a profile row's captured time is not its clock");
    }
  }

  bool attached_ = false, detached_ = false;
  std::int64_t meter_id_ = 0;
  std::optional<std::uint32_t> last_ic_;
  std::array<std::uint8_t, 16> esw_{};
  std::int64_t next_task_id_ = 1;
  std::set<std::int64_t> outstanding_;
};

// ---- one run -------------------------------------------------------------------------------

enum : std::uint8_t {
  kPlanRead = 0x01,
  kPlanCommand = 0x02,
  kPlanMask = 0x03,
  kCommandShift = 2,
  kProfileCommand = 7,  // op bits 2-4: profile reads instead of a command
  kProfileIndexMask = 0x0F,
  kProfileNext = 0x10,
  kProfileCommandShift = 5,
  kOther = 0x20,
  kWake = 0x40,
  kExpireAndWake = 0x80,
};

bool has_profile_byte(std::uint8_t op) {
  return (op & kPlanCommand) != 0 && ((op >> kCommandShift) & 7) == kProfileCommand;
}

Task command_task(unsigned kind, bool other) {
  Task t;
  t.kind = Task::Kind::kCommand;
  switch (kind) {
    case 0:
      t.command.kind = store::CommandKind::kConnect;
      break;
    case 1:
      t.command.kind = store::CommandKind::kDisconnect;
      break;
    case 2:
      t.command.kind = store::CommandKind::kRead;
      break;
    case 3:
      t.command.kind = store::CommandKind::kClockSet;
      break;
    case 4:
      t.command.kind = store::CommandKind::kLoadLimit;
      t.command.argument = other ? "lots" : "2500";
      break;
    case 5:
      t.command.kind = store::CommandKind::kPaymentMode;
      t.command.argument = other ? "free" : "postpaid";
      break;
    default:
      t.command.kind = store::CommandKind::kPing;
      break;
  }
  return t;
}

Task profile_task(std::size_t index, bool other) {
  const auto& specs = headend::scheduled_profiles();
  Task t;
  t.kind = Task::Kind::kProfileRead;
  t.profile = index;
  t.to = kSessionStart;
  const std::int64_t window_s =
      other ? 40 * 86'400 : (index < specs.size() ? specs[index].window_s : 86'400);
  t.from = kSessionStart - Millis(window_s * 1000);
  return t;
}

// The plan a record sets: [command], [profile reads], [range read].
std::vector<Task> plan_of(std::uint8_t op, std::uint8_t profile) {
  std::vector<Task> tasks;
  const bool other = (op & kOther) != 0;
  if (has_profile_byte(op)) {
    if (const unsigned c = profile >> kProfileCommandShift; c != 0) {
      tasks.push_back(command_task(c - 1, other));
    }
    const std::size_t index = profile & kProfileIndexMask;
    tasks.push_back(profile_task(index, other));
    if ((profile & kProfileNext) != 0) tasks.push_back(profile_task(index + 1, other));
  } else if ((op & kPlanCommand) != 0) {
    tasks.push_back(command_task((op >> kCommandShift) & 7, other));
  }
  if ((op & kPlanRead) != 0) {
    Task t;
    t.kind = Task::Kind::kRangeRead;
    t.to = kRangeEnd;
    t.from = kRangeEnd - Millis(other ? 48 * 3'600'000 : 2 * 3'600'000);
    tasks.push_back(std::move(t));
  }
  return tasks;
}

// Outputs must be whole wrapper frames from the utility client to the meter.
void check_output(const Bytes& out) {
  if (out.empty()) return;
  dlms::WrapperDecoder d;
  d.feed(out);
  while (true) {
    auto f = d.next();
    if (!f.ok()) fail("the session sent an undecodable wrapper stream");
    if (!*f) break;
    if ((*f)->source != dlms::kWPortUtilitySettings ||
        (*f)->destination != dlms::kWPortManagementLogicalDevice) {
      fail("the session sent a frame between unexpected wPorts");
    }
  }
  if (d.buffered() != 0) fail("the session sent a partial wrapper frame");
}

// One input's session: fresh host, clocks, session and random bytes.
class Run {
 public:
  explicit Run(std::uint8_t header) {
    g_rand_state = 0x5EED;
    options_.timer_clock = &timer_;
    options_.request_timeout = kRequestTimeout;
    options_.rows.stamp_at_end = (header & 1) != 0;
    if ((header & 2) != 0) host.next_client_ic = UINT32_MAX - 3;
    session_ = std::make_unique<headend::MeterSession>(host, clock_, options_, kConnectionId,
                                                       "127.10.0.4");
  }

  // One record. Returns what the session sends, or nullopt when feeding must stop.
  std::optional<Bytes> step(std::uint8_t op, std::uint8_t profile, ByteView chunk) {
    host.next_plan = plan_of(op, profile);
    Bytes sent;
    if (!chunk.empty() || (op & (kWake | kExpireAndWake)) == 0) {
      auto r = session_->on_bytes(chunk);
      if (!after(r, sent)) return std::nullopt;
    }
    if ((op & (kWake | kExpireAndWake)) != 0) {
      if ((op & kExpireAndWake) != 0) timer_.advance(kRequestTimeout);
      auto r = session_->on_wake();
      if (!after(r, sent)) return std::nullopt;
    }
    clock_.advance(Millis(1'000));
    timer_.advance(Millis(1'000));
    return sent;
  }

  void close() {
    session_->on_closed();
    host.check_closed();
    session_->on_closed();  // idempotent
    host.check_closed();
    session_.reset();  // the destructor closes again
    host.check_closed();
  }

  FuzzHost host;

 private:
  bool after(const Result<Bytes>& r, Bytes& sent) {
    if (!r.ok()) return false;
    check_output(*r);
    sent.insert(sent.end(), r->begin(), r->end());
    if (auto w = session_->wake_after(); w && (*w < Millis(0) || *w > kRequestTimeout)) {
      fail("wake_after outside [0, request timeout]");
    }
    return !session_->wants_close();
  }

  ManualClock clock_{kSessionStart};
  ManualClock timer_{kSessionStart};
  headend::SessionOptions options_;
  std::unique_ptr<headend::MeterSession> session_;
};

Tally run_input(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return {};
  Run run(data[0]);
  std::size_t pos = 1;
  while (pos < size) {
    const std::uint8_t op = data[pos++];
    std::uint8_t profile = 0;
    if (has_profile_byte(op) && pos < size) profile = data[pos++];
    std::size_t len = 0;
    for (int i = 0; i < 2 && pos < size; ++i) len = (len << 8) | data[pos++];
    len = std::min(len, size - pos);
    const ByteView chunk(data + pos, len);
    pos += len;
    if (!run.step(op, profile, chunk)) break;
  }
  run.close();
  return run.host.tally;
}

// ---- seeds ---------------------------------------------------------------------------------

struct Seed {
  Bytes bytes;
  explicit Seed(std::uint8_t header) : bytes{header} {}
  void add(std::uint8_t op, ByteView chunk) { add(op, 0, chunk); }
  void add(std::uint8_t op, std::uint8_t profile, ByteView chunk) {
    if (chunk.size() > 0xFFFF) fail("seed chunk too long");
    bytes.push_back(op);
    if (has_profile_byte(op)) bytes.push_back(profile);
    bytes.push_back(static_cast<std::uint8_t>(chunk.size() >> 8));
    bytes.push_back(static_cast<std::uint8_t>(chunk.size() & 0xFF));
    bytes.insert(bytes.end(), chunk.begin(), chunk.end());
  }
};

struct SeedWriter {
  ManualClock clock{kFleetStart};
  std::unique_ptr<fleet::Fleet> fleet;
  std::vector<fleet::Outgoing> frames;
  std::string dir;
  int written = 0;

  explicit SeedWriter(std::string d) : fleet(make_fleet(clock)), dir(std::move(d)) {}
  static std::unique_ptr<fleet::Fleet> make_fleet(const Clock& c, std::uint32_t history_days = 3) {
    fleet::FleetConfig config;
    config.rates = fleet::EventRates::none();
    config.limiter_trips = false;
    config.history_days = history_days;
    return std::make_unique<fleet::Fleet>(fleet::generate(fleet_spec()), config, c);
  }
  void run_until(UtcTime t) {
    while (clock.now() < t) {
      clock.advance(Millis(60'000));
      for (auto& o : fleet->advance(clock.now())) frames.push_back(std::move(o));
    }
  }
  std::vector<const fleet::Outgoing*> of(std::uint32_t m, fleet::Outgoing::Kind k) const {
    std::vector<const fleet::Outgoing*> v;
    for (const auto& o : frames) {
      if (o.meter == m && o.kind == k) v.push_back(&o);
    }
    return v;
  }
  std::optional<std::uint32_t> find(const std::function<bool(const fleet::MeterRecord&)>& p) {
    const auto& ms = fleet->topology().meters;
    for (std::uint32_t i = 0; i < ms.size(); ++i) {
      if (p(ms[i])) return i;
    }
    return std::nullopt;
  }
  void write(const std::string& name, const Seed& s) {
    const std::string path = dir + "/" + name;
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(s.bytes.data()),
            static_cast<std::streamsize>(s.bytes.size()));
    if (!f) fail("cannot write a seed file");
    ++written;
    const Tally t = run_input(s.bytes.data(), s.bytes.size());
    std::fprintf(stderr,
                 "seed %-22s %5zu bytes: pushes %d (alerts %d), planned %d, commands ok %d "
                 "failed %d, reads ok %d (%d rows) failed %d, profiles ok %d (%d rows) failed %d "
                 "bad rows %d, rejections %d%s%s%s%s\n",
                 name.c_str(), s.bytes.size(), t.pushes, t.alerts, t.planned, t.commands_ok,
                 t.commands_failed, t.reads_ok, t.read_rows, t.read_errors, t.profiles_ok,
                 t.profile_rows, t.profile_errors, t.profile_bad_rows, t.rejections,
                 t.last_rejection.empty() ? "" : " [", t.last_rejection.c_str(),
                 t.last_outcome.empty() ? "" : "] last: ", t.last_outcome.c_str());
  }

  // A fresh copy of the fleet at the end of the recorded pushes, to answer one conversation:
  // the head end's client invocation counters start at 1 in every input, and a meter that has
  // seen them in an earlier conversation would refuse them as replays.
  struct Responder {
    ManualClock clock{kFleetStart};
    std::unique_ptr<fleet::Fleet> fleet;
    std::unique_ptr<fleet::Fleet::Session> session;
  };
  // `control`: a fleet control line applied at the start (the fleet then runs minute by minute,
  // so what the episode makes the meter log carries the time it happened); `history_days`: the
  // meters' history before the start (billing rows need a billing date in it).
  static std::unique_ptr<Responder> responder(std::uint32_t m, const std::string& control = {},
                                              std::uint32_t history_days = 3) {
    auto r = std::make_unique<Responder>();
    r->fleet = make_fleet(r->clock, history_days);
    const UtcTime end = kFleetStart + Millis(3 * 3'600'000);
    if (control.empty()) {
      r->clock.set(end);
      (void)r->fleet->advance(r->clock.now());
    } else {
      if (!r->fleet->control(control).ok()) fail("a seed fleet control line failed");
      while (r->clock.now() < end) {
        r->clock.advance(Millis(60'000));
        (void)r->fleet->advance(r->clock.now());
      }
    }
    r->session = r->fleet->make_session(m);
    return r;
  }

  // Pushes `frame` with `op` into a recording run and plays the real meter's side until the
  // session stops asking; the meter's answers become records of the seed, and what the meter
  // pushes because of the session (a relay-change alert) is returned.
  static std::vector<Bytes> converse(Run& run, Seed& s, Responder& meter, std::uint32_t m,
                                     std::uint8_t op, const Bytes& frame,
                                     std::uint8_t profile = 0) {
    std::vector<Bytes> pushed;
    s.add(op, profile, frame);
    auto out = run.step(op, profile, frame);
    while (out && !out->empty()) {
      auto reply = meter.session->on_bytes(*out);
      for (auto& o : meter.fleet->after_session(m)) pushed.push_back(std::move(o.frame));
      if (!reply.ok() || reply->empty()) break;
      s.add(0, *reply);
      out = run.step(0, 0, *reply);
    }
    return pushed;
  }
  // One step of a conversation: the op, the pushed frame, the profile byte (profile reads).
  struct Step {
    std::uint8_t op = 0;
    Bytes frame;
    std::uint8_t profile = 0;
  };
  // A conversation: the meter's answers are recorded after each step.
  void conversation(const std::string& name, std::uint32_t m, const std::vector<Step>& steps,
                    std::uint8_t header = 0, const std::string& control = {},
                    std::uint32_t history_days = 3) {
    Seed s(header);
    Run run(header);
    auto meter = responder(m, control, history_days);
    for (const auto& st : steps) (void)converse(run, s, *meter, m, st.op, st.frame, st.profile);
    run.close();
    write(name, s);
  }

  void write_all() {
    const auto& ms = fleet->topology().meters;
    const auto consumer =
        find([](const fleet::MeterRecord& r) { return !r.consumer_id.empty(); }).value();
    const auto three = find([](const fleet::MeterRecord& r) {
      return r.identity.kind == meter::MeterKind::kThreePhase;
    });
    const auto dt =
        find([](const fleet::MeterRecord& r) { return r.consumer_id.empty() && !r.dt.empty(); });
    const auto feeder = find([](const fleet::MeterRecord& r) { return r.dt.empty(); });
    std::uint32_t other_consumer = consumer;
    for (std::uint32_t i = consumer + 1; i < ms.size(); ++i) {
      if (!ms[i].consumer_id.empty() && ms[i].identity.kind == ms[consumer].identity.kind) {
        other_consumer = i;
        break;
      }
    }
    run_until(kFleetStart + Millis(2 * 3'600'000));
    // Alerts: a magnet tamper on one consumer, a DT outage under the other.
    (void)fleet->control("tamper " + ms[consumer].identity.serial + " magnet 20");
    if (other_consumer != consumer) {
      (void)fleet->control("fail-dt " + ms[other_consumer].dt + " 10");
    }
    run_until(kFleetStart + Millis(3 * 3'600'000));

    using K = fleet::Outgoing::Kind;
    const auto blocks = of(consumer, K::kBlockLoad);
    if (blocks.size() < 4) fail("the seed fleet pushed too little");
    auto one = [&](const std::string& name, const Bytes& frame, std::uint8_t header = 0) {
      Seed s(header);
      s.add(0, frame);
      write(name, s);
    };
    one("push_consumer", blocks[0]->frame);
    one("push_stamp_at_end", blocks[1]->frame, 1);
    if (three) {
      if (const auto v = of(*three, K::kBlockLoad); !v.empty())
        one("push_three_phase", v[0]->frame);
    }
    if (dt) {
      if (const auto v = of(*dt, K::kBlockLoad); !v.empty()) one("push_dt", v[0]->frame);
    }
    if (feeder) {
      if (const auto v = of(*feeder, K::kBlockLoad); !v.empty()) one("push_feeder", v[0]->frame);
    }
    {  // three pushes, then the first again (a replay)
      Seed s(0);
      for (std::size_t i = 0; i < 3; ++i) s.add(0, blocks[i]->frame);
      s.add(0, blocks[0]->frame);
      write("pushes_then_replay", s);
    }
    {  // one push in small pieces, with wakes between them
      Seed s(0);
      const Bytes& f = blocks[2]->frame;
      for (std::size_t p = 0; p < f.size(); p += 5) {
        s.add(p == 0 ? 0 : kWake, ByteView(f).subspan(p, std::min<std::size_t>(5, f.size() - p)));
      }
      write("push_in_pieces", s);
    }
    bool alert_written = false;
    for (std::uint32_t m = 0; m < ms.size(); ++m) {
      const auto alerts = of(m, K::kAlert);
      if (alerts.empty()) continue;
      Seed s(0);
      for (const auto* a : alerts) s.add(0, a->frame);
      write(
          std::string("alerts_") + (m == consumer ? "tamper" : "outage") + "_" + std::to_string(m),
          s);
      alert_written = true;
      if (m != consumer) break;
    }
    if (!alert_written) fail("the seed fleet sent no alert");

    const auto cmd = [](unsigned kind) {
      return static_cast<std::uint8_t>(kPlanCommand | (kind << kCommandShift));
    };
    // Ping: AARQ / AARE, HLS reply, GET clock.
    conversation("conv_ping", consumer, {{cmd(6), blocks[0]->frame}});
    // Disconnect then connect: ACTION, GET relay state; the relay alert the meter pushes.
    {
      Seed s(0);
      Run run(0);
      auto meter = responder(consumer);
      for (const auto& alert : converse(run, s, *meter, consumer, cmd(1), blocks[0]->frame)) {
        s.add(0, alert);  // the relay-change alert, pushed within the session
      }
      // The next block-load push comes after the alert (its invocation counter is higher).
      meter->clock.advance(Millis(kPeriodMs + 600'000));
      for (const auto& o : meter->fleet->advance(meter->clock.now())) {
        if (o.meter == consumer && o.kind == K::kBlockLoad) {
          (void)converse(run, s, *meter, consumer, cmd(0), o.frame);
          break;
        }
      }
      run.close();
      write("conv_disconnect_connect", s);
    }
    // Settings: SET load limit, SET payment mode, a bad argument, clock set, instantaneous read.
    conversation("conv_settings", consumer,
                 {{cmd(4), blocks[0]->frame},
                  {cmd(5), blocks[1]->frame},
                  {static_cast<std::uint8_t>(cmd(4) | kOther), blocks[2]->frame},
                  {cmd(3), blocks[3]->frame}});
    // Range reads: 2 hours, then 2 days (block transfer), on a DT meter's layout too.
    conversation("conv_range_short", consumer, {{kPlanRead, blocks[0]->frame}});
    conversation("conv_range_long", consumer,
                 {{static_cast<std::uint8_t>(kPlanRead | kOther), blocks[0]->frame}});
    if (dt) {
      if (const auto v = of(*dt, K::kBlockLoad); !v.empty()) {
        conversation("conv_range_dt", *dt, {{kPlanRead, v[0]->frame}});
      }
    }
    // A command then a read, planned together.
    conversation("conv_read_then_range", consumer,
                 {{static_cast<std::uint8_t>(cmd(2) | kPlanRead), blocks[0]->frame}});
    {  // the meter stops answering: the deadline passes
      Seed s(0);
      s.add(static_cast<std::uint8_t>(cmd(6) | kPlanRead), blocks[0]->frame);
      s.add(kExpireAndWake, {});
      write("timeout", s);
    }

    // Scheduled profile reads (profile byte: index, kProfileNext, command + 1 before them).
    const auto& specs = headend::scheduled_profiles();
    const auto index_of = [&](std::string_view name) {
      for (std::size_t i = 0; i < specs.size(); ++i) {
        if (specs[i].name == name) return static_cast<std::uint8_t>(i);
      }
      fail("no such scheduled profile");
    };
    const std::uint8_t profiles = cmd(kProfileCommand);
    // The daily load profile over its 2-day window; the billing profile's whole buffer (a meter
    // with 75 days of history: two billing dates); the meter's "other" event log after a magnet
    // tamper episode (occurrence and restoration rows).
    conversation("conv_profile_daily", consumer, {{profiles, blocks[0]->frame, index_of("daily")}});
    conversation("conv_profile_billing", consumer,
                 {{profiles, blocks[0]->frame, index_of("billing")}}, 0, {}, 75);
    conversation("conv_profile_event_tamper", consumer,
                 {{profiles, blocks[0]->frame, index_of("event-other")}}, 0,
                 "tamper " + ms[consumer].identity.serial + " magnet 30");
    // Mixed plans: a ping, the daily profile and a range read; then the last event log and the
    // profile after it (no such profile); then a read of no such profile alone.
    conversation(
        "conv_profile_mixed", consumer,
        {{static_cast<std::uint8_t>(profiles | kPlanRead), blocks[0]->frame,
          static_cast<std::uint8_t>(index_of("daily") | ((6 + 1) << kProfileCommandShift))},
         {profiles, blocks[1]->frame, static_cast<std::uint8_t>((specs.size() - 1) | kProfileNext)},
         {profiles, blocks[2]->frame, static_cast<std::uint8_t>(specs.size() + 2)}});
  }
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  set_log_level("off");
  if (RAND_set_rand_method(&kDeterministicRand) != 1) fail("RAND_set_rand_method failed");
  (void)registry();
  if (const char* dir = std::getenv("VIDYUT_FUZZ_WRITE_SEEDS"); dir != nullptr && *dir != 0) {
    SeedWriter w(dir);
    w.write_all();
    std::fprintf(stderr, "fuzz_head_end_session: %d seeds written to %s\n", w.written, dir);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)run_input(data, size);
  return 0;
}
