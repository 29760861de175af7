#include "headend/head_end.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "core/log.h"
#include "headend/meter_session.h"
#include "net/tcp_server.h"

namespace vidyut::headend {

namespace {

// Invocation counters made durable beyond what is reserved: one synchronous write per about this
// many counters actually used.
constexpr std::uint32_t kIcCeilingStep = 100'000;
// Range reads one gap check hands to a meter's sessions (the rest is found by the next check).
constexpr std::size_t kMaxGapTasksPerCheck = 64;

std::int64_t ms_of(UtcTime t) { return t.time_since_epoch().count(); }
UtcTime at_ms(std::int64_t ms) { return UtcTime(Millis(ms)); }
std::int64_t floor_to(std::int64_t v, std::int64_t step) {
  std::int64_t q = v / step;
  if (v % step != 0 && v < 0) --q;
  return q * step;
}

std::string signed_seconds(std::int64_t ms) {
  return fmt::format("{:+.2f} s", static_cast<double>(ms) / 1000.0);
}

}  // namespace

class HeadEnd::Impl final : public SessionHost {
 public:
  Impl(store::Store& store, const Clock& clock, HeadEndOptions options)
      : store_(store), clock_(clock), options_(std::move(options)) {
    dial_port_ = options_.dial_port;
  }

  ~Impl() override { stop(); }

  // A gap check for the gap checker thread: which intervals of [from, to) the store lacks.
  struct GapJob {
    std::int64_t meter_id;
    UtcTime from, to;
  };

  // ---- per-meter state ------------------------------------------------------------------
  struct MeterRt {
    store::MeterInfo info;
    store::MeterSecrets secrets;
    store::MeterComm comm;
    std::uint32_t next_client_ic = 1;
    std::uint64_t connection = 0;
    UtcTime checked_until{};                     // gaps before this are settled
    UtcTime last_push_start{};                   // latest pushed interval (epoch: none since start)
    bool gap_suspect = true;                     // check the store for gaps at the next chance
    bool dirty = false;                          // comm changed since the last batch
    std::vector<store::Command> queued;          // pending commands known here
    std::unordered_set<std::int64_t> in_flight;  // command ids handed to a session
    // Scheduled profile reads (scheduled_profiles()): when each last succeeded, and whether one
    // is under way.
    std::vector<UtcTime> profile_read_at = std::vector<UtcTime>(scheduled_profiles().size());
    std::vector<bool> profile_busy = std::vector<bool>(scheduled_profiles().size());
    std::uint64_t assoc_conn = 0;  // the connection associated with the meter (0: none)
    // Gap fill: range reads found by the gap checker (never on the I/O thread), taken a few at
    // a time by plan(); `gap_complete` when they cover every gap found.
    std::vector<Task> gap_tasks;
    bool gap_complete = false;
    bool gap_check_queued = false;
    bool gap_jumped = false;  // a push skipped ahead while a check was under way
    bool dialing = false;     // a dial-out to the meter's static address is under way
    UtcTime next_dial{};      // real time: no new dial before this
    // Meter status reads (clock and SIM): the connection the last one was planned on, the peer
    // address it was read over, when the head end last queued a clock-set for drift, whether
    // its clock is beyond the tolerance and whether a clock/drift alert is open.
    std::uint64_t status_conn = 0;
    std::string status_peer;
    UtcTime last_clock_set{};
    bool clock_beyond = false;
    bool clock_alert = false;
    // The meter answered a status read without the active-SIM object (another maker's meter):
    // an unknown SIM is then no reason to associate.
    bool sim_absent = false;
  };

  Status load() {
    auto n = store_.meter_count();
    if (!n.ok()) return n.error();
    std::lock_guard l(mu_);
    for (std::size_t off = 0; off < *n; off += store::kMaxPage) {
      auto page = store_.meters(off, store::kMaxPage);
      if (!page.ok()) return page.error();
      for (auto& m : *page) {
        auto sec = store_.secrets(m.id);
        if (!sec.ok())
          return Error(sec.error().code, "meter " + m.serial + ": " + sec.error().message);
        add_meter_locked(std::move(m), *sec, std::nullopt);
      }
    }
    auto comms = store_.all_comm();
    if (!comms.ok()) return comms.error();
    for (auto& c : *comms) {
      auto it = by_id_.find(c.meter_id);
      if (it == by_id_.end()) continue;
      MeterRt& rt = meters_[it->second];
      rt.comm = c;
      rt.next_client_ic = std::max<std::uint32_t>(1, c.client_ic);
      const std::int64_t drift = c.clock_drift_ms < 0 ? -c.clock_drift_ms : c.clock_drift_ms;
      rt.clock_beyond = c.clock_checked != UtcTime{} && drift > options_.clock_tolerance_s * 1000;
      if (rt.clock_beyond) ++meters_clock_beyond_;
    }
    // Reserve a block of invocation counters for every meter in one go, durable before any
    // session starts, so the first association of each meter needs no write of its own.
    store::WriteBatch b;
    for (auto& rt : meters_) {
      const std::uint64_t ceiling = std::uint64_t{rt.next_client_ic} + kIcCeilingStep;
      rt.comm.client_ic = static_cast<std::uint32_t>(std::min<std::uint64_t>(ceiling, 0xFFFFFFFFu));
      b.comm.push_back(rt.comm);
      if (b.comm.size() == store::kMaxBatch) {
        if (auto w = store_.write(b); !w.ok()) return w.error();
        b.comm.clear();
      }
    }
    if (!b.comm.empty()) {
      if (auto w = store_.write(b); !w.ok()) return w.error();
    }
    return ok_status();
  }

  MeterRt& add_meter_locked(store::MeterInfo m, const store::MeterSecrets& s,
                            std::optional<store::MeterComm> comm) {
    MeterRt rt;
    rt.comm.meter_id = m.id;
    if (comm) rt.comm = *comm;
    rt.next_client_ic = std::max<std::uint32_t>(1, rt.comm.client_ic);
    rt.secrets = s;
    const std::int64_t now = ms_of(clock_.now());
    rt.checked_until =
        at_ms(floor_to(now - options_.gap_window_s * 1000, std::int64_t{options_.period_s} * 1000));
    rt.info = std::move(m);
    by_id_[rt.info.id] = meters_.size();
    by_title_[rt.info.system_title] = meters_.size();
    meters_.push_back(std::move(rt));
    return meters_.back();
  }

  void mark_dirty_locked(MeterRt& rt) {
    if (rt.dirty) return;
    rt.dirty = true;
    dirty_.push_back(by_id_[rt.info.id]);
  }

  MeterRt* find_locked(std::int64_t id) {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &meters_[it->second];
  }

  // ---- SessionHost ------------------------------------------------------------------------
  std::optional<MeterContext> find_meter(const dlms::security::SystemTitle& title) override {
    {
      std::lock_guard l(mu_);
      auto it = by_title_.find(title);
      if (it != by_title_.end()) return context_of(meters_[it->second]);
    }
    // Registered after start (an import while serving)?
    auto m = store_.meter_by_title(title);
    if (!m.ok() || !*m) return std::nullopt;
    auto sec = store_.secrets((*m)->id);
    if (!sec.ok()) return std::nullopt;
    auto comm = store_.comm((*m)->id);
    std::lock_guard l(mu_);
    auto it = by_title_.find(title);
    if (it != by_title_.end()) return context_of(meters_[it->second]);
    std::optional<store::MeterComm> c;
    if (comm.ok() && *comm) c = **comm;
    return context_of(add_meter_locked(**m, *sec, c));
  }

  MeterContext context_of(const MeterRt& rt) const {
    MeterContext c;
    if (auto q = options_.quirks_by_manufacturer.find(rt.info.manufacturer);
        q != options_.quirks_by_manufacturer.end()) {
      c.quirks = q->second;
    }
    c.meter_id = rt.info.id;
    c.serial = rt.info.serial;
    c.title = rt.info.system_title;
    c.kind = rt.info.kind;
    c.secrets = rt.secrets;
    c.push_ic = rt.comm.push_ic;
    return c;
  }

  void attached(const MeterContext& m, std::uint64_t connection_id,
                std::string_view peer) override {
    std::lock_guard l(mu_);
    MeterRt* rt = find_locked(m.meter_id);
    if (rt == nullptr) return;
    if (rt->connection == 0) ++meters_connected_;
    rt->connection = connection_id;
    if (rt->dialing) {
      rt->dialing = false;
      --dials_in_flight_;
    }
    // The active SIM is what the meter says (status_read), never guessed from the address.
    rt->comm.peer_address = std::string(peer);
    mark_dirty_locked(*rt);
  }

  void detached(const MeterContext& m, std::uint64_t connection_id) override {
    std::uint64_t wake = 0;
    {
      std::lock_guard l(mu_);
      MeterRt* rt = find_locked(m.meter_id);
      if (rt == nullptr) return;
      if (rt->assoc_conn == connection_id) {
        rt->assoc_conn = 0;
        // A newer session of the meter may have work it could not start meanwhile.
        if (rt->connection != connection_id && rt->connection != 0) wake = rt->connection;
      }
      if (rt->connection == connection_id) {
        rt->connection = 0;
        --meters_connected_;
      }
    }
    if (wake != 0 && server_) server_->wake(wake);
  }

  void deviation_accepted(const MeterContext& m, dlms::Quirk q) override {
    ++stats_.quirk_deviations[static_cast<std::size_t>(q)];
    logger("headend")->debug("meter {}: accepted a deviation under quirk {}", m.serial,
                             dlms::to_string(q));
  }

  void rejected(std::string_view action, std::string_view subject,
                std::string_view detail) override {
    if (action == "reject-unknown-meter")
      ++stats_.rejected_unknown;
    else if (action == "reject-auth")
      ++stats_.rejected_auth;
    else if (action == "reject-replay")
      ++stats_.rejected_replay;
    else if (action == "reject-flood" || action == "reject-slow")
      ++stats_.rejected_flood;
    else if (action == "reject-malformed")
      ++stats_.rejected_malformed;
    logger("headend")->info("{} {}: {}", action, subject, detail);
    audit(std::string(action), std::string(subject), std::string(detail));
  }

  void pushed(const MeterContext& m, std::uint32_t ic, const PushContent& p) override {
    const UtcTime now = clock_.now();
    std::vector<store::IntervalReading> rows;
    std::vector<store::Alert> alerts;
    {
      std::lock_guard l(mu_);
      MeterRt* rt = find_locked(m.meter_id);
      if (rt == nullptr) return;
      rt->comm.push_ic = std::max(rt->comm.push_ic, ic);
      rt->comm.last_contact = now;
      mark_dirty_locked(*rt);
      if (p.kind == PushContent::Kind::kAlert) {
        alerts = esw_alerts(m.meter_id, rt->comm.esw, p.esw, p.at, now);
        rt->comm.esw = p.esw;
      } else {
        const std::int64_t period_ms = std::int64_t{options_.period_s} * 1000;
        for (const auto& b : p.rows) {
          if (rt->last_push_start != UtcTime{} &&
              ms_of(b.start) > ms_of(rt->last_push_start) + period_ms) {
            rt->gap_suspect = true;
            rt->gap_complete = false;  // the ranges found before do not cover this gap
            rt->gap_jumped = true;
          }
          if (b.start > rt->last_push_start) rt->last_push_start = b.start;
          rows.push_back(to_reading(m.meter_id, b, store::IntervalReading::Source::kPush));
        }
        if (rt->clock_beyond) stats_.intervals_clock_suspect += rows.size();
      }
    }
    ++stats_.pushes;
    if (p.kind == PushContent::Kind::kAlert) ++stats_.alert_pushes;
    stats_.intervals_received += rows.size();
    stats_.alerts_raised += alerts.size();
    enqueue(std::move(rows), std::move(alerts));
  }

  store::IntervalReading to_reading(std::int64_t id, const BlockInterval& b,
                                    store::IntervalReading::Source src) const {
    store::IntervalReading r;
    r.meter_id = id;
    r.start = b.start;
    r.period_s = options_.period_s;
    r.import_wh = b.import_wh;
    r.import_vah = b.import_vah;
    r.export_wh = b.export_wh;
    r.export_vah = b.export_vah;
    r.source = src;
    return r;
  }

  std::vector<Task> plan(const MeterContext& m) override {
    auto tasks = plan_tasks(m);
    if (!tasks.empty()) {
      std::lock_guard l(mu_);
      if (MeterRt* rt = find_locked(m.meter_id)) rt->assoc_conn = m.connection_id;
    }
    return tasks;
  }

  std::vector<Task> plan_tasks(const MeterContext& m) {
    const UtcTime now = clock_.now();
    std::vector<Task> tasks;
    {
      std::lock_guard l(mu_);
      MeterRt* rt = find_locked(m.meter_id);
      if (rt == nullptr) return tasks;
      // One association per meter at a time: its invocation counters must only grow.
      if (rt->assoc_conn != 0 && rt->assoc_conn != m.connection_id) return tasks;
      for (const auto& c : rt->queued) {
        if (rt->in_flight.count(c.id) != 0 || c.next_attempt > now) continue;
        rt->in_flight.insert(c.id);
        Task t;
        t.kind = Task::Kind::kCommand;
        t.command = c;
        tasks.push_back(std::move(t));
      }
      plan_profiles_locked(*rt, now, tasks);
      plan_gaps_locked(*rt, now, tasks);
      plan_status_locked(*rt, m, now, tasks);
    }
    return tasks;
  }

  // The meter status read (clock and active SIM) goes first on every association, once per
  // connection; a session with nothing else to do associates for it only when it is due.
  void plan_status_locked(MeterRt& rt, const MeterContext& m, UtcTime now,
                          std::vector<Task>& tasks) {
    const bool stale =
        rt.comm.clock_checked == UtcTime{} ||
        now - rt.comm.clock_checked >= Millis(options_.clock_check_interval_s * 1000);
    if (rt.status_conn == m.connection_id) {
      // Once per connection; a connection that lasts longer than the interval is read again.
      if (options_.clock_check_interval_s <= 0 || !stale) return;
    } else {
      const bool due = !tasks.empty() || options_.clock_check_interval_s <= 0 || stale ||
                       (rt.comm.active_sim == 0 && !rt.sim_absent) ||
                       rt.status_peer != rt.comm.peer_address;
      if (!due) return;
    }
    rt.status_conn = m.connection_id;
    Task t;
    t.kind = Task::Kind::kMeterStatus;
    tasks.insert(tasks.begin(), t);
  }

  bool status_read(const MeterContext& m, const MeterStatus& s) override {
    const UtcTime now = clock_.now();
    if (!s.error.empty() && !s.meter_time && !s.active_sim) {
      logger("headend")->info("meter {}: status read failed: {}", m.serial, s.error);
      return false;
    }
    const std::int64_t tolerance_ms = options_.clock_tolerance_s * 1000;
    std::optional<store::Command> correction;
    std::optional<store::Alert> alert;
    std::string audit_detail;
    {
      std::lock_guard l(mu_);
      MeterRt* rt = find_locked(m.meter_id);
      if (rt == nullptr) return false;
      rt->status_peer = rt->comm.peer_address;
      rt->sim_absent = !s.active_sim.has_value();
      if (s.active_sim) {
        ++stats_.sim_reads;
        if (*s.active_sim != rt->comm.active_sim || *s.sim_operator != rt->comm.sim_operator) {
          if (rt->comm.active_sim != 0) {
            ++stats_.sim_changes;
            logger("headend")->info("meter {}: active SIM {} ({}) -> {} ({})", m.serial,
                                    rt->comm.active_sim, rt->comm.sim_operator, *s.active_sim,
                                    *s.sim_operator);
          }
          rt->comm.active_sim = *s.active_sim;
          rt->comm.sim_operator = *s.sim_operator;
        }
      }
      if (const auto drift = s.drift_ms()) {
        ++stats_.clock_checks;
        rt->comm.clock_drift_ms = *drift;
        rt->comm.clock_checked = now;
        // The true drift lies within half the round trip of the measured one: the head end acts
        // only on what the measurement makes sure of (a slow answer cannot trigger a set).
        const std::int64_t half_round_trip = (s.received - s.sent).count() / 2;
        const std::int64_t measured_mag = *drift < 0 ? -*drift : *drift;
        const std::int64_t mag = std::max<std::int64_t>(0, measured_mag - half_round_trip);
        const bool beyond = mag > tolerance_ms;
        if (beyond != rt->clock_beyond) {
          rt->clock_beyond = beyond;
          if (beyond) {
            ++meters_clock_beyond_;
          } else {
            --meters_clock_beyond_;
          }
        }
        const std::string measured = "measured drift " + signed_seconds(*drift) + " (round trip " +
                                     signed_seconds((s.received - s.sent).count()).substr(1) +
                                     ", tolerance " + std::to_string(options_.clock_tolerance_s) +
                                     " s)";
        if (mag > options_.clock_alert_s * 1000 && !rt->clock_alert) {
          rt->clock_alert = true;
          ++stats_.clock_alerts;
          ++stats_.alerts_raised;
          alert = store::Alert{0,       m.meter_id, now,  now,
                               "clock", "drift",    true, "meter clock " + measured};
        } else if (!beyond && rt->clock_alert) {
          rt->clock_alert = false;
          ++stats_.alerts_raised;
          alert =
              store::Alert{0,       m.meter_id, now,   now,
                           "clock", "drift",    false, "meter clock within tolerance: " + measured};
        }
        const bool set_pending = std::any_of(
            rt->queued.begin(), rt->queued.end(),
            [](const store::Command& c) { return c.kind == store::CommandKind::kClockSet; });
        const bool recently =
            rt->last_clock_set != UtcTime{} &&
            now - rt->last_clock_set < Millis(options_.clock_set_min_interval_s * 1000);
        if (beyond && !set_pending && !recently) {
          rt->last_clock_set = now;
          store::Command c;
          c.meter_id = m.meter_id;
          c.kind = store::CommandKind::kClockSet;
          c.idempotency_key =
              "clock-drift-" + std::to_string(m.meter_id) + "-" + std::to_string(ms_of(now));
          c.requested_by = "head-end";
          c.reason = "meter clock " + measured;
          correction = std::move(c);
          audit_detail = measured;
        } else if (beyond) {
          logger("headend")->info("meter {}: clock {}; no new clock-set ({})", m.serial, measured,
                                  set_pending ? "one is pending" : "one was queued recently");
        }
      }
      mark_dirty_locked(*rt);
    }
    if (alert) enqueue({}, {*alert});
    if (!correction) return false;
    auto c = submit(std::move(*correction));
    ++stats_.clock_corrections;
    audit("clock-drift", m.serial,
          audit_detail + ": " +
              (c.ok() ? "clock-set queued, command " + std::to_string(c->id)
                      : "clock-set not queued: " + c.error().describe()));
    return c.ok();
  }

  // Gap reads for a meter's session, from what the gap checker found. Backpressure: while the
  // writer is behind, or many reads are under way fleet-wide, gap reads wait (they would only
  // add to the queue); pushes and commands go on.
  void plan_gaps_locked(MeterRt& rt, UtcTime now, std::vector<Task>& tasks) {
    if (!rt.gap_suspect || rt.last_push_start == UtcTime{}) return;
    if (!rt.gap_tasks.empty()) {
      if (queued_rows_ >= options_.max_write_backlog) return;
      std::size_t budget =
          std::min(options_.max_reads_per_session,
                   options_.max_gap_reads - std::min(options_.max_gap_reads, gap_reads_in_flight_));
      std::size_t taken = 0;
      while (taken < budget && !rt.gap_tasks.empty()) {
        tasks.push_back(std::move(rt.gap_tasks.front()));
        rt.gap_tasks.erase(rt.gap_tasks.begin());
        ++taken;
      }
      gap_reads_in_flight_ += taken;
      if (rt.gap_tasks.empty() && rt.gap_complete) rt.gap_suspect = false;
      return;
    }
    if (rt.gap_check_queued) return;
    const std::int64_t period_ms = std::int64_t{options_.period_s} * 1000;
    const std::int64_t floor =
        std::max(floor_to(ms_of(now) - options_.gap_window_s * 1000, period_ms),
                 floor_to(ms_of(options_.gap_floor) + period_ms - 1, period_ms));
    const UtcTime from = at_ms(std::max(ms_of(rt.checked_until), floor));
    const UtcTime to = rt.last_push_start;  // the latest pushed row is on its way to the store
    if (!(from < to)) {
      rt.gap_suspect = false;
      return;
    }
    rt.gap_check_queued = true;
    {
      std::lock_guard g(gap_mu_);
      gap_queue_.push_back({rt.info.id, from, to});
    }
    gap_cv_.notify_one();
  }

  // The gap checker: asks the store what is missing, off the I/O thread, and wakes the meter's
  // session when there is something to read.
  void gap_loop() {
    std::unique_lock g(gap_mu_);
    while (true) {
      gap_cv_.wait(g, [&] { return stopping_.load() || !gap_queue_.empty(); });
      if (stopping_) return;
      const GapJob job = gap_queue_.front();
      gap_queue_.pop_front();
      g.unlock();
      check_gap(job);
      g.lock();
    }
  }

  void check_gap(const GapJob& job) {
    auto missing = store_.missing_intervals(job.meter_id, job.from, job.to, options_.period_s);
    const std::int64_t period_ms = std::int64_t{options_.period_s} * 1000;
    std::vector<Task> found;
    bool complete = true;
    if (missing.ok()) {
      std::size_t i = 0;
      while (i < missing->size()) {
        if (found.size() == kMaxGapTasksPerCheck) {
          complete = false;
          break;
        }
        // A run of missing slots, at most max_rows_per_read long.
        std::size_t j = i + 1;
        while (j < missing->size() && j - i < options_.max_rows_per_read &&
               ms_of((*missing)[j]) == ms_of((*missing)[j - 1]) + period_ms) {
          ++j;
        }
        Task t;
        t.kind = Task::Kind::kRangeRead;
        t.from = (*missing)[i];
        t.to = (*missing)[j - 1] + Millis(period_ms);
        found.push_back(t);
        i = j;
      }
    } else {
      logger("headend")->warn("meter id {}: gap check failed: {}", job.meter_id,
                              missing.error().describe());
    }
    std::uint64_t wake = 0;
    {
      std::lock_guard l(mu_);
      MeterRt* rt = find_locked(job.meter_id);
      if (rt == nullptr) return;
      rt->gap_check_queued = false;
      if (!missing.ok()) return;  // gap_suspect stays: checked again at the next session
      if (missing->empty()) {
        rt->gap_suspect = false;
        rt->checked_until = std::max(rt->checked_until, job.to);
        return;
      }
      rt->gap_tasks = std::move(found);
      rt->gap_complete = complete && !rt->gap_jumped;
      rt->gap_jumped = false;
      wake = rt->connection;
    }
    if (wake != 0 && server_) server_->wake(wake);
  }

  // The latest moment a scheduled read of `spec` became due at or before `now`: 5 minutes after
  // IST midnight (daily) or after 00:00 IST on the 1st (monthly: the billing date).
  static UtcTime due_anchor(const ProfileSpec& spec, UtcTime now) {
    using namespace std::chrono;
    constexpr Millis kDelay{300'000};
    const auto local = floor<days>(sys_time<Millis>(now.time_since_epoch() + kIstOffset - kDelay));
    sys_days day = local;
    if (spec.schedule == ProfileSpec::Schedule::kMonthly) {
      const year_month_day ymd(local);
      day = sys_days(ymd.year() / ymd.month() / 1);
    }
    return UtcTime(duration_cast<Millis>(day.time_since_epoch()) - kIstOffset + kDelay);
  }

  void plan_profiles_locked(MeterRt& rt, UtcTime now, std::vector<Task>& tasks) {
    const auto& specs = scheduled_profiles();
    for (std::size_t p = 0; p < specs.size(); ++p) {
      if (rt.profile_busy[p] || rt.profile_read_at[p] >= due_anchor(specs[p], now)) continue;
      // Spread over the fleet's sessions: a whole fleet's billing reads at once would load
      // the meters' network and the store in one burst.
      if (profile_reads_in_flight_ >= options_.max_scheduled_reads) break;
      ++profile_reads_in_flight_;
      Task t;
      t.kind = Task::Kind::kProfileRead;
      t.profile = p;
      t.from = std::max(options_.gap_floor, now - Millis(specs[p].window_s * 1000));
      t.to = now;
      rt.profile_busy[p] = true;
      tasks.push_back(t);
    }
  }

  void profile_read_done(const MeterContext& m, const Task& t,
                         const Result<dlms::Data>& rows) override {
    const auto& specs = scheduled_profiles();
    if (t.profile >= specs.size()) return;
    Result<std::vector<store::ProfileRow>> decoded =
        rows.ok() ? profile_rows_of(m.meter_id, specs[t.profile], *rows)
                  : Result<std::vector<store::ProfileRow>>(rows.error());
    {
      std::lock_guard l(mu_);
      --profile_reads_in_flight_;
      if (MeterRt* rt = find_locked(m.meter_id)) {
        rt->profile_busy[t.profile] = false;
        if (decoded.ok()) rt->profile_read_at[t.profile] = t.to;
      }
    }
    if (!decoded.ok()) {
      logger("headend")->info("meter {}: {} read failed: {}", m.serial, specs[t.profile].name,
                              decoded.error().describe());
      return;
    }
    ++stats_.profile_reads;
    stats_.profile_rows += decoded->size();
    std::lock_guard l(wq_mu_);
    for (auto& r : *decoded) batch_.profile_rows.push_back(std::move(r));
    ++seq_;
  }

  std::uint32_t reserve_client_ic(const MeterContext& m, std::uint32_t reserve) override {
    std::optional<store::MeterComm> persist;
    std::uint32_t first = 1;
    {
      std::lock_guard l(mu_);
      MeterRt* rt = find_locked(m.meter_id);
      if (rt == nullptr) return 1;
      first = rt->next_client_ic;
      const std::uint64_t end = std::uint64_t{first} + reserve;
      rt->next_client_ic = static_cast<std::uint32_t>(std::min<std::uint64_t>(end, 0xFFFFFFFFu));
      if (end > rt->comm.client_ic) {
        rt->comm.client_ic =
            static_cast<std::uint32_t>(std::min<std::uint64_t>(end + kIcCeilingStep, 0xFFFFFFFFu));
        persist = rt->comm;
      }
    }
    if (persist) {
      // Durable before use: after a crash the head end starts above every counter it used.
      store::WriteBatch b;
      b.comm.push_back(*persist);
      auto r = store_.write(b);
      if (!r.ok()) {
        logger("headend")->error("meter {}: invocation counter not persisted: {}", m.serial,
                                 r.error().describe());
      }
    }
    return first;
  }

  void released(const MeterContext& m, std::uint32_t next_client_ic) override {
    std::lock_guard l(mu_);
    MeterRt* rt = find_locked(m.meter_id);
    // Only one association at a time: what it did not use can go to the next one.
    if (rt != nullptr && rt->assoc_conn == m.connection_id && next_client_ic > 0) {
      rt->next_client_ic = next_client_ic;
    }
  }

  void read_done(const MeterContext& m, const Task& t,
                 const Result<std::vector<BlockInterval>>& rows) override {
    {
      std::lock_guard l(mu_);
      if (gap_reads_in_flight_ > 0) --gap_reads_in_flight_;
    }
    if (!rows.ok()) {
      logger("headend")->info("meter {}: range read failed: {}", m.serial, rows.error().describe());
      std::lock_guard l(mu_);
      if (MeterRt* rt = find_locked(m.meter_id)) rt->gap_suspect = true;
      return;
    }
    std::vector<store::IntervalReading> out;
    for (const auto& b : *rows) {
      if (b.start < t.from || b.start >= t.to) continue;  // only what was asked for
      out.push_back(to_reading(m.meter_id, b, store::IntervalReading::Source::kRead));
    }
    ++stats_.gap_reads;
    stats_.gap_rows += out.size();
    {
      std::lock_guard l(mu_);
      if (MeterRt* rt = find_locked(m.meter_id); rt != nullptr && rt->clock_beyond) {
        stats_.intervals_clock_suspect += out.size();
      }
    }
    stats_.intervals_received += out.size();
    {
      std::lock_guard l(mu_);
      if (MeterRt* rt = find_locked(m.meter_id)) {
        rt->checked_until = std::max(rt->checked_until, t.to);
      }
    }
    enqueue(std::move(out), {});
  }

  void command_done(const MeterContext& m, const Task& t, const TaskOutcome& o) override {
    const UtcTime now = clock_.now();
    store::Command c = t.command;
    c.attempts += 1;
    ++stats_.command_attempts;
    if (o.ok) {
      c.state = store::CommandState::kSucceeded;
      c.finished = now;
      ++stats_.commands_succeeded;
      std::lock_guard l(lat_mu_);
      latencies_.push_back(ms_of(now) - ms_of(c.created));
    } else if (!o.retryable) {
      c.state = store::CommandState::kFailed;
      c.finished = now;
      ++stats_.commands_failed;
    } else {
      const std::int64_t backoff = std::min<std::int64_t>(
          options_.retry_max_s,
          options_.retry_base_s << std::min<std::uint32_t>(c.attempts - 1, 16));
      c.next_attempt = now + Millis(backoff * 1000);
      if (c.next_attempt > c.deadline) {
        c.state = store::CommandState::kExpired;
        c.finished = now;
        ++stats_.commands_expired;
      }
    }
    c.result = o.text;
    {
      std::lock_guard l(mu_);
      if (MeterRt* rt = find_locked(m.meter_id)) {
        rt->in_flight.erase(c.id);
        auto it = std::find_if(rt->queued.begin(), rt->queued.end(),
                               [&](const store::Command& q) { return q.id == c.id; });
        if (it != rt->queued.end()) {
          if (c.state == store::CommandState::kPending) {
            *it = c;
          } else {
            rt->queued.erase(it);
          }
        }
        if (c.state != store::CommandState::kPending) {
          finished_[c.id] = std::chrono::steady_clock::now();
        }
      }
    }
    store::AuditRecord a;
    a.at = now;
    a.actor = "head-end";
    a.action = c.state == store::CommandState::kPending ? "command-retry" : "command-result";
    a.subject = m.serial;
    a.detail = std::string(store::to_string(c.kind)) + " id=" + std::to_string(c.id) + " attempt " +
               std::to_string(c.attempts) + ": " + (o.ok ? "ok" : "failed") + ": " + o.text;
    std::lock_guard l(wq_mu_);
    batch_.command_updates.push_back(std::move(c));
    batch_.audit.push_back(std::move(a));
    // Rows a command read (the token log) go in the same batch as its outcome.
    if (o.ok) {
      batch_.profile_rows.insert(batch_.profile_rows.end(), o.profile_rows.begin(),
                                 o.profile_rows.end());
    }
    ++seq_;
    wq_cv_.notify_one();
  }

  // ---- writer ------------------------------------------------------------------------------
  void audit(std::string action, std::string subject, std::string detail) {
    store::AuditRecord a;
    a.at = clock_.now();
    a.actor = "head-end";
    a.action = std::move(action);
    a.subject = std::move(subject);
    a.detail = std::move(detail);
    std::lock_guard l(wq_mu_);
    if (batch_.audit.size() >= store::kMaxBatch) return;  // a storm: the counters still count
    batch_.audit.push_back(std::move(a));
    ++seq_;
  }

  void enqueue(std::vector<store::IntervalReading> rows, std::vector<store::Alert> alerts) {
    if (rows.empty() && alerts.empty()) return;
    queued_rows_ += rows.size();
    std::lock_guard l(wq_mu_);
    batch_.intervals.insert(batch_.intervals.end(), rows.begin(), rows.end());
    batch_.alerts.insert(batch_.alerts.end(), alerts.begin(), alerts.end());
    ++seq_;
    if (batch_.intervals.size() >= options_.flush_rows) wq_cv_.notify_one();
  }

  void writer_loop() {
    std::unique_lock l(wq_mu_);
    while (true) {
      wq_cv_.wait_for(l, options_.flush_interval, [&] {
        return stopping_writer_ || flush_wanted_ || batch_.intervals.size() >= options_.flush_rows;
      });
      const bool stop = stopping_writer_;
      flush_wanted_ = false;
      store::WriteBatch b = std::move(batch_);
      batch_ = store::WriteBatch{};
      const std::uint64_t seq = seq_;
      l.unlock();
      {
        std::lock_guard ml(mu_);
        for (std::size_t i : dirty_) {
          meters_[i].dirty = false;
          b.comm.push_back(meters_[i].comm);
        }
        dirty_.clear();
      }
      commit(std::move(b));
      l.lock();
      committed_seq_ = seq;
      done_cv_.notify_all();
      if (stop && batch_.intervals.empty() && batch_.audit.empty() && batch_.alerts.empty() &&
          batch_.command_updates.empty() && batch_.profile_rows.empty()) {
        return;
      }
    }
  }

  void commit(store::WriteBatch b) {
    if (b.intervals.empty() && b.alerts.empty() && b.comm.empty() && b.audit.empty() &&
        b.command_updates.empty() && b.profile_rows.empty()) {
      return;
    }
    // Pieces of at most kMaxBatch rows, each one transaction, moved out of `b` one at a time
    // (a large backlog is never copied); everything else goes with the first piece.
    std::size_t off = 0, poff = 0;
    bool first = true;
    while (first || off < b.intervals.size() || poff < b.profile_rows.size()) {
      store::WriteBatch piece;
      const std::size_t n = std::min(store::kMaxBatch, b.intervals.size() - off);
      piece.intervals.assign(std::make_move_iterator(b.intervals.begin() + off),
                             std::make_move_iterator(b.intervals.begin() + off + n));
      off += n;
      const std::size_t pn = std::min(store::kMaxBatch, b.profile_rows.size() - poff);
      piece.profile_rows.assign(std::make_move_iterator(b.profile_rows.begin() + poff),
                                std::make_move_iterator(b.profile_rows.begin() + poff + pn));
      poff += pn;
      if (first) {
        piece.alerts = std::move(b.alerts);
        piece.comm = std::move(b.comm);
        piece.audit = std::move(b.audit);
        piece.command_updates = std::move(b.command_updates);
        first = false;
      }
      commit_piece(piece);
      queued_rows_ -= std::min<std::size_t>(queued_rows_, n);
    }
  }

  void commit_piece(const store::WriteBatch& b) {
    for (int attempt = 0;; ++attempt) {
      auto r = store_.write(b);
      if (r.ok()) {
        ++stats_.batches;
        stats_.intervals_committed += r->intervals.inserted;
        stats_.intervals_duplicate += r->intervals.duplicates;
        stats_.intervals_conflict += r->intervals.conflicts;
        break;
      }
      ++stats_.write_errors;
      logger("headend")->error("batch of {} rows not written (attempt {}): {}", b.intervals.size(),
                               attempt + 1, r.error().describe());
      if (r.error().code == Errc::kNotFound || attempt >= 4) {
        // A row naming a meter removed meanwhile, or a store that keeps failing: write part by
        // part rather than lose the rest of the batch.
        (void)write_apart(b);
        break;
      }
      std::this_thread::sleep_for(Millis(200 * (attempt + 1)));
    }
    if (!b.alerts.empty()) {
      std::lock_guard l(sub_mu_);
      for (const auto& a : b.alerts) {
        for (const auto& cb : subscribers_) cb(a);
      }
    }
  }

  // Writes each part of a failed batch on its own so one bad row cannot sink the rest.
  bool write_apart(const store::WriteBatch& b) {
    for (const auto& r : b.intervals) {
      store::WriteBatch one;
      one.intervals.push_back(r);
      if (auto w = store_.write(one); w.ok()) {
        stats_.intervals_committed += w->intervals.inserted;
      }
    }
    for (const auto& a : b.alerts) {
      store::WriteBatch one;
      one.alerts.push_back(a);
      (void)store_.write(one);
    }
    for (const auto& p : b.profile_rows) {
      store::WriteBatch one;
      one.profile_rows.push_back(p);
      (void)store_.write(one);
    }
    store::WriteBatch rest;
    rest.comm = b.comm;
    rest.audit = b.audit;
    rest.command_updates = b.command_updates;
    return store_.write(rest).ok();
  }

  void flush() {
    std::unique_lock l(wq_mu_);
    const std::uint64_t want = seq_;
    flush_wanted_ = true;
    wq_cv_.notify_one();
    done_cv_.wait(l, [&] { return committed_seq_ >= want || writer_gone_; });
  }

  // ---- commands ----------------------------------------------------------------------------
  Result<store::Command> submit(store::Command c) {
    const UtcTime now = clock_.now();
    if (c.created == UtcTime{}) c.created = now;
    if (c.deadline == UtcTime{})
      c.deadline = c.created + Millis(options_.default_deadline_s * 1000);
    if (c.next_attempt == UtcTime{}) c.next_attempt = c.created;
    if (c.requested_by.empty()) c.requested_by = "api";
    auto stored = store_.enqueue_command(c);
    if (!stored.ok()) return stored.error();
    take_commands({*stored});
    {
      // Not connected: the command thread dials out to it (static address) at once.
      std::lock_guard l(cmd_mu_);
      poll_now_ = true;
    }
    cmd_cv_.notify_all();
    return stored;
  }

  // Makes commands known to their meters' state and wakes connected meters.
  void take_commands(const std::vector<store::Command>& cs) {
    std::vector<std::uint64_t> wake;
    {
      std::lock_guard l(mu_);
      for (const auto& c : cs) {
        if (c.state != store::CommandState::kPending) continue;
        // Finished here, but the store's copy is still pending until the writer commits it.
        if (finished_.count(c.id) != 0) continue;
        MeterRt* rt = find_locked(c.meter_id);
        if (rt == nullptr) continue;
        const bool known = std::any_of(rt->queued.begin(), rt->queued.end(),
                                       [&](const store::Command& q) { return q.id == c.id; });
        if (!known) {
          rt->queued.push_back(c);
          with_commands_.insert(by_id_[c.meter_id]);
        }
        if (rt->connection != 0) wake.push_back(rt->connection);
      }
    }
    if (server_) {
      for (auto id : wake) server_->wake(id);
    }
  }

  void command_loop() {
    std::unique_lock l(cmd_mu_);
    while (!stopping_) {
      cmd_cv_.wait_for(l, options_.command_poll, [&] { return stopping_.load() || poll_now_; });
      if (stopping_) break;
      poll_now_ = false;
      l.unlock();
      poll_commands();
      flush_refusals();
      l.lock();
    }
  }

  void poll_commands() {
    const UtcTime now = clock_.now();
    const auto asked = std::chrono::steady_clock::now();
    auto due = store_.due_commands(now, store::kMaxPage);
    if (due.ok()) {
      take_commands(*due);
      // Forget finished commands the store no longer lists as pending: their update landed.
      // Only those finished before the query: a later one may be missing from it only because
      // it was queued after the query, with its update still to come.
      std::unordered_set<std::int64_t> still;
      for (const auto& c : *due) still.insert(c.id);
      std::lock_guard ml(mu_);
      for (auto it = finished_.begin(); it != finished_.end();) {
        const bool landed = it->second < asked && still.count(it->first) == 0;
        it = landed ? finished_.erase(it) : std::next(it);
      }
    }
    // Expire what can no longer be delivered in time.
    std::vector<store::Command> expired;
    std::vector<std::uint64_t> wake;
    {
      std::lock_guard ml(mu_);
      for (auto idx = with_commands_.begin(); idx != with_commands_.end();) {
        MeterRt& rt = meters_[*idx];
        if (rt.queued.empty()) {  // its commands finished
          idx = with_commands_.erase(idx);
          continue;
        }
        ++idx;
        for (auto it = rt.queued.begin(); it != rt.queued.end();) {
          if (it->deadline < now && rt.in_flight.count(it->id) == 0) {
            store::Command c = *it;
            c.state = store::CommandState::kExpired;
            c.finished = now;
            c.result = "deadline passed before the meter could be reached" +
                       (c.result.empty() ? std::string() : " (last attempt: " + c.result + ")");
            finished_[c.id] = std::chrono::steady_clock::now();
            expired.push_back(std::move(c));
            it = rt.queued.erase(it);
          } else {
            ++it;
          }
        }
        if (!rt.queued.empty() && rt.connection != 0) wake.push_back(rt.connection);
      }
    }
    if (!expired.empty()) {
      stats_.commands_expired += expired.size();
      std::lock_guard wl(wq_mu_);
      for (auto& c : expired) {
        store::AuditRecord a;
        a.at = now;
        a.actor = "head-end";
        a.action = "command-result";
        a.subject = std::to_string(c.meter_id);
        a.detail =
            std::string(store::to_string(c.kind)) + " id=" + std::to_string(c.id) + ": expired";
        batch_.audit.push_back(std::move(a));
        batch_.command_updates.push_back(std::move(c));
      }
      ++seq_;
    }
    if (server_) {
      for (auto id : wake) server_->wake(id);
    }
    dial_out(now);
  }

  // Meters with due commands and no session, reachable on a static address: the head end opens
  // the session itself instead of waiting for the meter's next push.
  void dial_out(UtcTime now) {
    if (!options_.dial_out || !server_) return;
    const std::uint16_t port = dial_port_;
    if (port == 0) return;
    const UtcTime real_now = real_clock_.now();
    std::vector<std::pair<std::string, MeterContext>> dials;
    {
      std::lock_guard ml(mu_);
      for (std::size_t idx : with_commands_) {
        MeterRt& rt = meters_[idx];
        if (dials_in_flight_ >= options_.max_dials_in_flight) break;
        if (rt.queued.empty() || rt.connection != 0 || rt.dialing || rt.info.static_ip.empty() ||
            real_now < rt.next_dial) {
          continue;
        }
        const bool due = std::any_of(rt.queued.begin(), rt.queued.end(), [&](const auto& c) {
          return c.next_attempt <= now && rt.in_flight.count(c.id) == 0;
        });
        if (!due) continue;
        rt.dialing = true;
        rt.next_dial = real_now + options_.dial_retry;
        ++dials_in_flight_;
        dials.emplace_back(rt.info.static_ip, context_of(rt));
      }
    }
    for (auto& [ip, ctx] : dials) {
      ++stats_.dials;
      const std::int64_t id = ctx.meter_id;
      const std::string serial = ctx.serial;
      server_->dial(
          ip, port,
          [this,
           ctx = std::move(ctx)](const net::PeerInfo& peer) -> std::unique_ptr<net::StreamHandler> {
            return std::make_unique<Handler>(*this, peer, ctx);
          },
          [this, id, serial](const Error& e) {
            ++stats_.dial_failures;
            logger("headend")->info("meter {}: dial-out failed: {}", serial, e.describe());
            std::lock_guard l(mu_);
            if (MeterRt* rt = find_locked(id); rt != nullptr && rt->dialing) {
              rt->dialing = false;
              --dials_in_flight_;
            }
          },
          options_.dial_timeout);
    }
  }

  void set_dial_port(std::uint16_t port) { dial_port_ = port; }

  void on_refused(const net::PeerInfo& peer, std::string_view reason) {
    ++stats_.sessions_refused;
    std::lock_guard l(ref_mu_);
    ++refusals_[std::string(reason)];
    if (refusal_example_.empty()) refusal_example_ = peer.address;
  }

  // One audit record per reason and poll period: a storm of connection attempts must not
  // become a storm of writes.
  void flush_refusals() {
    std::map<std::string, std::uint64_t> r;
    std::string example;
    {
      std::lock_guard l(ref_mu_);
      r.swap(refusals_);
      example.swap(refusal_example_);
    }
    for (const auto& [reason, n] : r) {
      audit("refuse-connection", example, std::to_string(n) + " connection(s) refused: " + reason);
    }
  }

  // ---- network -----------------------------------------------------------------------------
  // The budget of connections not yet identified (HeadEndOptions::max_unidentified).
  bool take_unidentified(const std::string& address) {
    std::lock_guard l(unid_mu_);
    const std::size_t total = options_.max_unidentified != 0
                                  ? options_.max_unidentified
                                  : std::max<std::size_t>(64, options_.max_sessions / 10);
    std::size_t& mine = unid_by_address_[address];
    if (unid_total_ >= total || mine >= options_.max_unidentified_per_address) {
      if (mine == 0) unid_by_address_.erase(address);
      return false;
    }
    ++mine;
    ++unid_total_;
    return true;
  }
  void give_back_unidentified(const std::string& address) {
    std::lock_guard l(unid_mu_);
    auto it = unid_by_address_.find(address);
    if (it != unid_by_address_.end() && --it->second == 0) unid_by_address_.erase(it);
    if (unid_total_ > 0) --unid_total_;
  }

  class Handler final : public net::StreamHandler {
   public:
    // An inbound connection: it holds a place in the unidentified budget until its first
    // authenticated push, and has identify_timeout to make it.
    Handler(Impl& he, const net::PeerInfo& peer)
        : he_(he),
          peer_(peer),
          session_(he, he.clock_, he.session_options(), peer.connection_id, peer.address),
          unidentified_(true),
          opened_(std::chrono::steady_clock::now()) {}
    Handler(Impl& he, const net::PeerInfo& peer, MeterContext dialed)
        : he_(he),
          peer_(peer),
          session_(he, he.clock_, he.session_options(), peer.connection_id, peer.address,
                   std::move(dialed)) {}
    Result<Bytes> on_bytes(ByteView data) override {
      auto r = session_.on_bytes(data);
      identified_check();
      return r;
    }
    Result<Bytes> on_wake() override {
      if (unidentified_ &&
          std::chrono::steady_clock::now() - opened_ >= he_.options_.identify_timeout) {
        ++he_.stats_.sessions_unidentified_timeout;
        he_.on_refused(peer_, "identify-timeout");
        return Error(Errc::kTimeout, "the peer did not identify itself in time");
      }
      auto r = session_.on_wake();
      identified_check();
      return r;
    }
    std::optional<Millis> wake_after() const override {
      auto w = session_.wake_after();
      if (!unidentified_) return w;
      const auto spent =
          std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - opened_);
      const Millis left = spent >= he_.options_.identify_timeout
                              ? Millis(0)
                              : he_.options_.identify_timeout - spent;
      return w ? std::min(*w, left) : left;
    }
    bool wants_close() const override { return session_.wants_close(); }
    void on_closed() override {
      if (unidentified_) {
        unidentified_ = false;
        he_.give_back_unidentified(peer_.address);
      }
      session_.on_closed();
    }

   private:
    void identified_check() {
      if (unidentified_ && session_.attached()) {
        unidentified_ = false;
        he_.give_back_unidentified(peer_.address);
      }
    }
    Impl& he_;
    net::PeerInfo peer_;
    MeterSession session_;
    bool unidentified_ = false;
    std::chrono::steady_clock::time_point opened_{};
  };

  SessionOptions session_options() const {
    SessionOptions s;
    s.client_title = options_.system_title;
    s.request_timeout = options_.request_timeout;
    s.rows.period_s = options_.period_s;
    s.rows.stamp_at_end = options_.stamp_at_end;
    s.timer_clock = &real_clock_;
    return s;
  }

  Status start() {
    if (auto st = load(); !st.ok()) return st;
    net::TcpServerOptions so;
    so.bind_address = options_.bind_address;
    so.port = options_.port;
    so.limits.max_connections = options_.max_sessions;
    so.limits.idle_timeout = options_.idle_timeout;
    so.limits.max_accepts_per_second = options_.max_new_sessions_per_second;
    so.limits.accept_burst = options_.new_session_burst;
    so.on_refused = [this](const net::PeerInfo& p, std::string_view reason) {
      on_refused(p, reason);
    };
    server_ = std::make_unique<net::DlmsTcpServer>(
        so, [this](const net::PeerInfo& peer) -> std::unique_ptr<net::StreamHandler> {
          // Over the unidentified budget: closed at once (audited as "handler-refused").
          if (!take_unidentified(peer.address)) return nullptr;
          ++stats_.sessions_accepted;
          return std::make_unique<Handler>(*this, peer);
        });
    writer_ = std::thread([this] {
      writer_loop();
      std::lock_guard l(wq_mu_);
      writer_gone_ = true;
      done_cv_.notify_all();
    });
    if (auto st = server_->start(); !st.ok()) {
      stop();
      return st;
    }
    // Commands queued before this start (or while it was down).
    poll_commands();
    commands_ = std::thread([this] { command_loop(); });
    gaps_ = std::thread([this] { gap_loop(); });
    logger("headend")->info("head end listening on {}:{} with {} meters in the registry",
                            options_.bind_address, server_->port(), meters_.size());
    return ok_status();
  }

  void stop() {
    if (stopped_.exchange(true)) return;
    stopping_ = true;
    cmd_cv_.notify_all();
    if (commands_.joinable()) commands_.join();
    {
      std::lock_guard g(gap_mu_);
      gap_cv_.notify_all();
    }
    if (gaps_.joinable()) gaps_.join();
    if (server_) server_->stop();
    {
      std::lock_guard l(wq_mu_);
      stopping_writer_ = true;
      wq_cv_.notify_all();
    }
    if (writer_.joinable()) writer_.join();
  }

  HeadEndStats stats() const {
    HeadEndStats s;
    s.sessions_accepted = stats_.sessions_accepted;
    s.sessions_refused = stats_.sessions_refused;
    s.sessions_unidentified_timeout = stats_.sessions_unidentified_timeout;
    s.sessions_active = server_ ? server_->stats().active : 0;
    s.meters_connected = meters_connected_;
    s.pushes = stats_.pushes;
    s.alert_pushes = stats_.alert_pushes;
    s.rejected_unknown = stats_.rejected_unknown;
    s.rejected_auth = stats_.rejected_auth;
    s.rejected_replay = stats_.rejected_replay;
    s.rejected_malformed = stats_.rejected_malformed;
    s.rejected_flood = stats_.rejected_flood;
    s.intervals_received = stats_.intervals_received;
    s.intervals_committed = stats_.intervals_committed;
    s.intervals_duplicate = stats_.intervals_duplicate;
    s.intervals_conflict = stats_.intervals_conflict;
    s.batches = stats_.batches;
    s.write_errors = stats_.write_errors;
    {
      std::lock_guard l(wq_mu_);
      s.write_queue = queued_rows_;
    }
    s.gap_reads = stats_.gap_reads;
    s.gap_rows = stats_.gap_rows;
    s.alerts_raised = stats_.alerts_raised;
    s.commands_succeeded = stats_.commands_succeeded;
    s.commands_failed = stats_.commands_failed;
    s.commands_expired = stats_.commands_expired;
    s.command_attempts = stats_.command_attempts;
    s.profile_reads = stats_.profile_reads;
    s.profile_rows = stats_.profile_rows;
    s.dials = stats_.dials;
    s.dial_failures = stats_.dial_failures;
    s.clock_checks = stats_.clock_checks;
    s.clock_corrections = stats_.clock_corrections;
    s.clock_alerts = stats_.clock_alerts;
    s.meters_clock_beyond_tolerance = meters_clock_beyond_;
    s.intervals_clock_suspect = stats_.intervals_clock_suspect;
    s.sim_reads = stats_.sim_reads;
    s.sim_changes = stats_.sim_changes;
    for (std::size_t q = 0; q < dlms::kQuirkCount; ++q) {
      s.quirk_deviations.by_quirk[q] = stats_.quirk_deviations[q];
    }
    return s;
  }

  Result<FleetHealth> health(UtcTime day) {
    flush();
    return fleet_health(store_, day, options_.period_s, clock_.now());
  }

  std::vector<std::int64_t> latencies() const {
    std::lock_guard l(lat_mu_);
    return latencies_;
  }

  void subscribe(std::function<void(const store::Alert&)> cb) {
    std::lock_guard l(sub_mu_);
    subscribers_.push_back(std::move(cb));
  }

  std::uint16_t port() const { return server_ ? server_->port() : 0; }

 private:
  struct Counters {
    std::atomic<std::uint64_t> sessions_accepted{0}, sessions_refused{0}, pushes{0},
        alert_pushes{0}, rejected_unknown{0}, rejected_auth{0}, rejected_replay{0},
        rejected_malformed{0}, rejected_flood{0}, intervals_received{0}, intervals_committed{0},
        intervals_duplicate{0}, intervals_conflict{0}, batches{0}, write_errors{0}, gap_reads{0},
        gap_rows{0}, alerts_raised{0}, commands_succeeded{0}, commands_failed{0},
        commands_expired{0}, command_attempts{0}, profile_reads{0}, profile_rows{0}, dials{0},
        dial_failures{0}, sessions_unidentified_timeout{0}, clock_checks{0}, clock_corrections{0},
        clock_alerts{0}, intervals_clock_suspect{0}, sim_reads{0}, sim_changes{0};
    std::array<std::atomic<std::uint64_t>, dlms::kQuirkCount> quirk_deviations{};
  };

  store::Store& store_;
  const Clock& clock_;
  HeadEndOptions options_;
  RealClock real_clock_;

  std::mutex mu_;  // meters_, by_id_, by_title_
  std::vector<MeterRt> meters_;
  std::unordered_map<std::int64_t, std::size_t> by_id_;
  std::map<dlms::security::SystemTitle, std::size_t> by_title_;
  // Meters (indices into meters_) that have had queued commands since the last poll: the
  // command thread looks only at these, not at the whole fleet, every second.
  std::set<std::size_t> with_commands_;      // guarded by mu_
  std::vector<std::size_t> dirty_;           // meters whose comm changed since the last batch
  std::size_t dials_in_flight_ = 0;          // guarded by mu_
  std::size_t profile_reads_in_flight_ = 0;  // guarded by mu_
  std::size_t gap_reads_in_flight_ = 0;      // guarded by mu_
  std::atomic<std::size_t> queued_rows_{0};  // interval rows received and not yet committed
  // Commands finished here whose store update may not have landed yet, with when they finished
  // (steady clock); guarded by mu_: see take_commands and poll_commands.
  std::unordered_map<std::int64_t, std::chrono::steady_clock::time_point> finished_;
  std::mutex gap_mu_;
  std::condition_variable gap_cv_;
  std::deque<GapJob> gap_queue_;  // guarded by gap_mu_
  std::thread gaps_;
  std::atomic<std::uint16_t> dial_port_{0};
  std::atomic<std::uint64_t> meters_connected_{0};
  std::atomic<std::uint64_t> meters_clock_beyond_{0};  // MeterRt::clock_beyond set

  mutable std::mutex wq_mu_;  // batch_, seq_, committed_seq_, flags
  std::condition_variable wq_cv_, done_cv_;
  store::WriteBatch batch_;
  std::uint64_t seq_ = 0;
  std::uint64_t committed_seq_ = 0;
  bool flush_wanted_ = false;
  bool stopping_writer_ = false;
  bool writer_gone_ = false;

  std::mutex cmd_mu_;
  std::condition_variable cmd_cv_;
  bool poll_now_ = false;  // guarded by cmd_mu_
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};

  std::mutex ref_mu_;
  std::map<std::string, std::uint64_t> refusals_;
  std::mutex unid_mu_;
  std::map<std::string, std::size_t> unid_by_address_;
  std::size_t unid_total_ = 0;
  std::string refusal_example_;

  std::mutex sub_mu_;
  std::vector<std::function<void(const store::Alert&)>> subscribers_;

  mutable std::mutex lat_mu_;
  std::vector<std::int64_t> latencies_;

  Counters stats_;
  std::unique_ptr<net::DlmsTcpServer> server_;
  std::thread writer_, commands_;
};

HeadEnd::HeadEnd(store::Store& store, const Clock& clock, HeadEndOptions options)
    : impl_(std::make_unique<Impl>(store, clock, std::move(options))) {}
HeadEnd::~HeadEnd() { stop(); }
Status HeadEnd::start() { return impl_->start(); }
void HeadEnd::stop() { impl_->stop(); }
std::uint16_t HeadEnd::port() const { return impl_->port(); }
HeadEndStats HeadEnd::stats() const { return impl_->stats(); }
void HeadEnd::flush() { impl_->flush(); }
Result<store::Command> HeadEnd::submit(store::Command c) { return impl_->submit(std::move(c)); }
void HeadEnd::subscribe(std::function<void(const store::Alert&)> cb) {
  impl_->subscribe(std::move(cb));
}
Result<FleetHealth> HeadEnd::health(UtcTime day) { return impl_->health(day); }
std::vector<std::int64_t> HeadEnd::command_latencies_ms() const { return impl_->latencies(); }
void HeadEnd::set_dial_port(std::uint16_t port) { impl_->set_dial_port(port); }

}  // namespace vidyut::headend
