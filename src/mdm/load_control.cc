#include "mdm/load_control.h"

#include <algorithm>
#include <functional>
#include <mutex>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "mdm/mdm_sqlite.h"

namespace vidyut::mdm {
namespace {

using store::sql::Stmt;
using store::sql::Use;

// 2: load_actions.kind (disconnect actions).
constexpr int kSchemaVersion = 2;
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS essential_consumers (
  meter_id INTEGER PRIMARY KEY, serial TEXT NOT NULL, reason TEXT NOT NULL,
  added_ms INTEGER NOT NULL, added_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS load_actions (
  id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, feeder INTEGER NOT NULL,
  limit_w INTEGER NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,
  state INTEGER NOT NULL, requested_by TEXT NOT NULL, reason TEXT NOT NULL,
  restored_ms INTEGER NOT NULL, essential_skipped INTEGER NOT NULL,
  kind INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS load_action_meters (
  action_id INTEGER NOT NULL REFERENCES load_actions(id), meter_id INTEGER NOT NULL,
  serial TEXT NOT NULL, normal_w INTEGER NOT NULL, apply_command INTEGER NOT NULL,
  restore_command INTEGER NOT NULL, PRIMARY KEY (action_id, meter_id));
)";
constexpr std::size_t kMaxText = 4096;

using detail::from_ms;
using detail::to_ms;

Status check_text(const std::string& s, const char* what, bool required) {
  return detail::check_text("load control", s, what, required, kMaxText);
}

}  // namespace

const char* to_string(LoadActionState s) {
  return s == LoadActionState::kActive ? "active" : "restored";
}

const char* to_string(LoadActionKind k) {
  return k == LoadActionKind::kLimit ? "limit" : "disconnect";
}

namespace {
std::string holder_of(std::int64_t action_id) { return fmt::format("load-control:{}", action_id); }
}  // namespace

Result<store::Command> StoreCommandPort::submit(store::Command command) {
  return store_.enqueue_command(command);
}
Result<std::optional<store::Command>> StoreCommandPort::command(std::int64_t id) {
  return store_.command(id);
}

struct LoadControl::Impl {
  detail::MdmSqlite sql;
  store::Store* store = nullptr;
  CommandPort* port = nullptr;
  const Clock* clock = nullptr;
  std::mutex mu;

  Status run(const std::string& q, const std::function<void(Use&)>& bind) {
    VIDYUT_CHECK(sql.fault());
    VIDYUT_TRY(s, sql.stmt(q));
    Use u(**s);
    bind(u);
    VIDYUT_TRY(row, u.step());
    (void)row;
    return ok_status();
  }

  Status audit(const std::string& actor, const std::string& action, const std::string& subject,
               const std::string& detail) {
    store::WriteBatch b;
    store::AuditRecord a;
    a.at = clock->now();
    a.actor = actor;
    a.action = action;
    a.subject = subject;
    a.detail = detail.substr(0, store::kMaxDetailLength);
    b.audit.push_back(std::move(a));
    VIDYUT_TRY(w, store->write(b));
    (void)w;
    return ok_status();
  }

  Result<std::set<std::int64_t>> essential_ids() {
    VIDYUT_TRY(s, sql.stmt("SELECT meter_id FROM essential_consumers"));
    Use u(**s);
    std::set<std::int64_t> out;
    for (;;) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      out.insert(u.i64(0));
    }
    return out;
  }

  Result<std::optional<LoadAction>> get(std::int64_t id) {
    LoadAction a;
    {
      VIDYUT_TRY(s, sql.stmt("SELECT id, target, feeder, limit_w, start_ms, end_ms, state, "
                             "requested_by, reason, restored_ms, essential_skipped, kind FROM "
                             "load_actions WHERE id = ?"));
      Use u(**s);
      u.bind(id);
      VIDYUT_TRY(row, u.step());
      if (!*row) return std::optional<LoadAction>();
      a.id = u.i64(0);
      a.target = u.text(1);
      a.feeder = u.i64(2) != 0;
      a.limit_w = static_cast<std::uint32_t>(u.i64(3));
      a.start = from_ms(u.i64(4));
      a.end = from_ms(u.i64(5));
      a.state = static_cast<LoadActionState>(u.i64(6));
      a.requested_by = u.text(7);
      a.reason = u.text(8);
      a.restored = from_ms(u.i64(9));
      a.essential_skipped = static_cast<std::size_t>(u.i64(10));
      a.kind = u.i64(11) == 1 ? LoadActionKind::kDisconnect : LoadActionKind::kLimit;
    }
    VIDYUT_TRY(s, sql.stmt("SELECT meter_id, serial, normal_w, apply_command, restore_command "
                           "FROM load_action_meters WHERE action_id = ? ORDER BY meter_id"));
    Use u(**s);
    u.bind(id);
    for (;;) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      a.meters.push_back(
          {u.i64(0), u.text(1), static_cast<std::uint32_t>(u.i64(2)), u.i64(3), u.i64(4)});
    }
    return std::optional<LoadAction>(std::move(a));
  }

  store::Command command_for(const LoadAction& a, const LoadActionMeter& m, bool restore,
                             const std::string& actor) {
    store::Command c;
    c.meter_id = m.meter_id;
    if (a.kind == LoadActionKind::kLimit) {
      c.kind = store::CommandKind::kLoadLimit;
      c.argument = std::to_string(restore ? m.normal_w : a.limit_w);
    } else {
      c.kind = restore ? store::CommandKind::kConnect : store::CommandKind::kDisconnect;
    }
    c.idempotency_key =
        fmt::format("load-control-{}-{}-{}", a.id, m.meter_id, restore ? "restore" : "apply");
    c.requested_by = actor;
    c.reason = fmt::format("load control {} of {}{}{}",
                           restore                            ? "restored"
                           : a.kind == LoadActionKind::kLimit ? "limit"
                                                              : "disconnection",
                           a.target, a.reason.empty() ? "" : ": ", a.reason);
    c.created = clock->now();
    c.next_attempt = c.created;
    // A limit is pointless after its window; a restore is worth a day of retries.
    c.deadline = restore ? c.created + Millis(86'400'000) : a.end;
    return c;
  }

  // Restores an active action: submits each meter's normal threshold and records it.
  Result<LoadAction> restore_locked(LoadAction a, const std::string& actor) {
    std::size_t held_open = 0;
    for (auto& m : a.meters) {
      if (m.restore_command != 0) continue;
      if (a.kind == LoadActionKind::kDisconnect) {
        // Let go of the relay; reconnect only when nobody else holds it open.
        VIDYUT_TRY(left, store->release_relay(m.meter_id, holder_of(a.id)));
        if (!left->empty()) {
          m.restore_command = kRestoreHeldOpen;
          ++held_open;
          continue;
        }
      }
      VIDYUT_TRY(c, port->submit(command_for(a, m, true, actor)));
      m.restore_command = c->id;
    }
    const UtcTime now = clock->now();
    auto r = sql.txn([&]() -> Result<bool> {
      for (const auto& m : a.meters) {
        VIDYUT_CHECK(
            run("UPDATE load_action_meters SET restore_command = ? WHERE action_id = ? AND "
                "meter_id = ?",
                [&](Use& u) { u.bind(m.restore_command).bind(a.id).bind(m.meter_id); }));
      }
      VIDYUT_CHECK(run("UPDATE load_actions SET state = 1, restored_ms = ? WHERE id = ?",
                       [&](Use& u) { u.bind(to_ms(now)).bind(a.id); }));
      return true;
    });
    if (!r.ok()) return r.error();
    a.state = LoadActionState::kRestored;
    a.restored = now;
    VIDYUT_CHECK(
        audit(actor, "load-control-restore", a.target,
              a.kind == LoadActionKind::kLimit
                  ? fmt::format("action {}: {} meters back to their normal threshold", a.id,
                                a.meters.size())
                  : fmt::format("action {}: {} meters reconnected, {} left open (held by billing)",
                                a.id, a.meters.size() - held_open, held_open)));
    return a;
  }
};

LoadControl::LoadControl() : impl_(std::make_unique<Impl>()) {}
LoadControl::~LoadControl() = default;

Result<std::unique_ptr<LoadControl>> LoadControl::open(const std::filesystem::path& dir,
                                                       store::Store& store, CommandPort& port,
                                                       const Clock& clock) {
  std::unique_ptr<LoadControl> lc(new LoadControl());
  lc->impl_->store = &store;
  lc->impl_->port = &port;
  lc->impl_->clock = &clock;
  VIDYUT_CHECK(lc->impl_->sql.open(
      dir, "load-control", kSchemaVersion, kSchema,
      {{2, "ALTER TABLE load_actions ADD COLUMN kind INTEGER NOT NULL DEFAULT 0"}}));
  return lc;
}

Status LoadControl::mark_essential(const std::string& serial, const std::string& reason,
                                   const std::string& actor) {
  VIDYUT_CHECK(check_text(actor, "actor", true));
  VIDYUT_CHECK(check_text(reason, "reason", true));
  std::lock_guard l(impl_->mu);
  Impl& m = *impl_;
  VIDYUT_TRY(info, m.store->meter_by_serial(serial));
  if (!*info) return Error(Errc::kNotFound, "no meter " + serial);
  if ((*info)->consumer_id.empty()) {
    return Error(Errc::kInvalidArgument, serial + " is not a consumer's meter");
  }
  auto r = m.sql.txn([&]() -> Result<bool> {
    VIDYUT_CHECK(m.run(
        "INSERT INTO essential_consumers (meter_id, serial, reason, added_ms, added_by) VALUES "
        "(?, ?, ?, ?, ?) ON CONFLICT (meter_id) DO UPDATE SET reason = excluded.reason",
        [&](Use& u) {
          u.bind((*info)->id).bind(serial).bind(reason).bind(to_ms(m.clock->now())).bind(actor);
        }));
    return true;
  });
  if (!r.ok()) return r.error();
  return m.audit(actor, "essential-mark", serial, reason);
}

Status LoadControl::unmark_essential(const std::string& serial, const std::string& actor) {
  VIDYUT_CHECK(check_text(actor, "actor", true));
  std::lock_guard l(impl_->mu);
  Impl& m = *impl_;
  auto r = m.sql.txn([&]() -> Result<bool> {
    VIDYUT_CHECK(
        m.run("DELETE FROM essential_consumers WHERE serial = ?", [&](Use& u) { u.bind(serial); }));
    return sqlite3_changes(m.sql.db()) > 0;
  });
  if (!r.ok()) return r.error();
  if (!*r) return Error(Errc::kNotFound, serial + " is not marked essential");
  return m.audit(actor, "essential-unmark", serial, "");
}

Result<std::vector<EssentialConsumer>> LoadControl::essential() {
  std::lock_guard l(impl_->mu);
  VIDYUT_TRY(s, impl_->sql.stmt("SELECT meter_id, serial, reason, added_ms, added_by FROM "
                                "essential_consumers ORDER BY serial"));
  Use u(**s);
  std::vector<EssentialConsumer> out;
  for (;;) {
    VIDYUT_TRY(row, u.step());
    if (!*row) break;
    out.push_back({u.i64(0), u.text(1), u.text(2), from_ms(u.i64(3)), u.text(4)});
  }
  return out;
}

Result<LoadAction> LoadControl::limit(const std::string& target, std::uint32_t limit_w,
                                      std::int64_t minutes, const std::string& actor,
                                      const std::string& reason) {
  if (limit_w < kMinLoadLimitW || limit_w > kMaxLoadLimitW) {
    return Error(Errc::kInvalidArgument, fmt::format("load control: the limit must be {} to {} W",
                                                     kMinLoadLimitW, kMaxLoadLimitW));
  }
  return start(LoadActionKind::kLimit, target, limit_w, {}, minutes, actor, reason);
}

Result<LoadAction> LoadControl::disconnect(const std::string& target,
                                           const std::vector<std::string>& serials,
                                           std::int64_t minutes, const std::string& actor,
                                           const std::string& reason) {
  if (serials.size() > kMaxChosenMeters) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("load control: at most {} meters in one action", kMaxChosenMeters));
  }
  return start(LoadActionKind::kDisconnect, target, 0, serials, minutes, actor, reason);
}

Result<LoadAction> LoadControl::start(LoadActionKind kind, const std::string& target,
                                      std::uint32_t limit_w,
                                      const std::vector<std::string>& serials, std::int64_t minutes,
                                      const std::string& actor, const std::string& reason) {
  VIDYUT_CHECK(check_text(actor, "actor", true));
  VIDYUT_CHECK(check_text(reason, "reason", false));
  if (minutes <= 0 || minutes > kMaxLoadControlMinutes) {
    return Error(Errc::kInvalidArgument, fmt::format("load control: the window must be 1 to {} "
                                                     "minutes",
                                                     kMaxLoadControlMinutes));
  }
  std::lock_guard l(impl_->mu);
  Impl& m = *impl_;
  VIDYUT_TRY(meters, all_meters(*m.store));
  const Network network = build_network(*meters);
  std::vector<std::int64_t> consumers;
  bool feeder = false, found = false;
  for (const auto& d : network.dts) {
    if (d.name == target) {
      consumers = d.consumers;
      found = true;
    }
  }
  for (const auto& f : network.feeders) {
    if (f.name != target) continue;
    found = feeder = true;
    for (std::size_t d : f.dts) {
      consumers.insert(consumers.end(), network.dts[d].consumers.begin(),
                       network.dts[d].consumers.end());
    }
  }
  if (!found) return Error(Errc::kNotFound, "no DT or feeder named " + target);
  {
    VIDYUT_TRY(s, m.sql.stmt("SELECT id FROM load_actions WHERE target = ? AND state = 0"));
    Use u(**s);
    u.bind(target);
    VIDYUT_TRY(row, u.step());
    if (*row) {
      return Error(Errc::kInvalidArgument,
                   fmt::format("load control: action {} on {} is still active", u.i64(0), target));
    }
  }
  {
    // A meter is under one action at a time (a DT's and its feeder's would restore each other).
    VIDYUT_TRY(s, m.sql.stmt("SELECT x.meter_id, a.id, a.target FROM load_action_meters x JOIN "
                             "load_actions a ON a.id = x.action_id WHERE a.state = 0"));
    Use u(**s);
    const std::set<std::int64_t> wanted(consumers.begin(), consumers.end());
    for (;;) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      if (wanted.count(u.i64(0))) {
        return Error(Errc::kInvalidArgument,
                     fmt::format("load control: action {} on {} still holds meters of {}", u.i64(1),
                                 u.text(2), target));
      }
    }
  }
  VIDYUT_TRY(essential, m.essential_ids());
  std::unordered_map<std::int64_t, const store::MeterInfo*> info;
  for (const auto& x : *meters) info[x.id] = &x;
  if (!serials.empty()) {
    // A chosen set: every one a consumer of the target, none essential.
    const std::set<std::int64_t> on_target(consumers.begin(), consumers.end());
    std::set<std::int64_t> chosen;
    for (const auto& serial : serials) {
      const store::MeterInfo* mi = nullptr;
      for (const auto& x : *meters) {
        if (x.serial == serial) mi = &x;
      }
      if (mi == nullptr) return Error(Errc::kNotFound, "no meter " + serial);
      if (!on_target.count(mi->id)) {
        return Error(Errc::kInvalidArgument,
                     fmt::format("load control: {} is not a consumer of {}", serial, target));
      }
      if (essential->count(mi->id)) {
        return Error(Errc::kInvalidArgument,
                     fmt::format("load control: {} is marked essential", serial));
      }
      chosen.insert(mi->id);
    }
    consumers.assign(chosen.begin(), chosen.end());
  }
  LoadAction a;
  a.kind = kind;
  a.target = target;
  a.feeder = feeder;
  a.limit_w = limit_w;
  a.start = m.clock->now();
  a.end = a.start + Millis(minutes * 60'000);
  a.requested_by = actor;
  a.reason = reason;
  for (std::int64_t c : consumers) {
    if (essential->count(c)) {
      ++a.essential_skipped;
      continue;
    }
    const store::MeterInfo* mi = info.at(c);
    a.meters.push_back({c, mi->serial, mi->sanctioned_load_w, 0, 0});
  }
  // Recorded first (so that a crash leaves an action to restore), then the commands.
  auto id = m.sql.txn([&]() -> Result<std::int64_t> {
    VIDYUT_CHECK(m.run(
        "INSERT INTO load_actions (target, feeder, limit_w, start_ms, end_ms, state, "
        "requested_by, reason, restored_ms, essential_skipped, kind) VALUES (?, ?, ?, ?, ?, 0, ?, "
        "?, 0, ?, ?)",
        [&](Use& u) {
          u.bind(a.target)
              .bind(std::int64_t{a.feeder ? 1 : 0})
              .bind(std::int64_t{a.limit_w})
              .bind(to_ms(a.start))
              .bind(to_ms(a.end))
              .bind(a.requested_by)
              .bind(a.reason)
              .bind(static_cast<std::int64_t>(a.essential_skipped))
              .bind(static_cast<std::int64_t>(a.kind));
        }));
    const std::int64_t new_id = sqlite3_last_insert_rowid(m.sql.db());
    for (const auto& x : a.meters) {
      VIDYUT_CHECK(m.run(
          "INSERT INTO load_action_meters (action_id, meter_id, serial, normal_w, apply_command, "
          "restore_command) VALUES (?, ?, ?, ?, 0, 0)",
          [&](Use& u) {
            u.bind(new_id).bind(x.meter_id).bind(x.serial).bind(std::int64_t{x.normal_w});
          }));
    }
    return new_id;
  });
  if (!id.ok()) return id.error();
  a.id = *id;
  VIDYUT_CHECK(m.audit(
      actor, kind == LoadActionKind::kLimit ? "load-control-limit" : "load-control-disconnect",
      target,
      fmt::format("action {}: {} on {} meters for {} min ({} essential left alone){}{}", a.id,
                  kind == LoadActionKind::kLimit ? fmt::format("{} W", limit_w)
                                                 : std::string("disconnection"),
                  a.meters.size(), minutes, a.essential_skipped, reason.empty() ? "" : ": ",
                  reason)));
  for (auto& x : a.meters) {
    if (kind == LoadActionKind::kDisconnect) {
      // The hold first: from now on neither billing nor anyone releasing a hold reconnects it.
      VIDYUT_TRY(h, m.store->hold_relay(store::RelayHold{
                        x.meter_id, holder_of(a.id),
                        fmt::format("load control of {} until {}", target, format_iso8601(a.end)),
                        a.start}));
      (void)h;
    }
    VIDYUT_TRY(c, m.port->submit(m.command_for(a, x, false, actor)));
    x.apply_command = c->id;
  }
  auto w = m.sql.txn([&]() -> Result<bool> {
    for (const auto& x : a.meters) {
      VIDYUT_CHECK(m.run(
          "UPDATE load_action_meters SET apply_command = ? WHERE action_id = ? AND meter_id = ?",
          [&](Use& u) { u.bind(x.apply_command).bind(a.id).bind(x.meter_id); }));
    }
    return true;
  });
  if (!w.ok()) return w.error();
  return a;
}

Result<LoadAction> LoadControl::restore(std::int64_t id, const std::string& actor) {
  VIDYUT_CHECK(check_text(actor, "actor", true));
  std::lock_guard l(impl_->mu);
  VIDYUT_TRY(a, impl_->get(id));
  if (!*a) return Error(Errc::kNotFound, fmt::format("no load-control action {}", id));
  if ((*a)->state != LoadActionState::kActive) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("load-control action {} is already restored", id));
  }
  return impl_->restore_locked(std::move(**a), actor);
}

Result<std::size_t> LoadControl::tick() {
  std::lock_guard l(impl_->mu);
  Impl& m = *impl_;
  std::vector<std::int64_t> due;
  {
    VIDYUT_TRY(s, m.sql.stmt("SELECT id FROM load_actions WHERE state = 0 AND end_ms <= ?"));
    Use u(**s);
    u.bind(to_ms(m.clock->now()));
    for (;;) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      due.push_back(u.i64(0));
    }
  }
  for (std::int64_t id : due) {
    VIDYUT_TRY(a, m.get(id));
    if (!*a) continue;
    VIDYUT_TRY(done, m.restore_locked(std::move(**a), "mdm (end of window)"));
    (void)done;
  }
  return due.size();
}

Result<std::optional<LoadAction>> LoadControl::action(std::int64_t id) {
  std::lock_guard l(impl_->mu);
  return impl_->get(id);
}

Result<std::vector<LoadAction>> LoadControl::actions(bool active_only) {
  std::lock_guard l(impl_->mu);
  std::vector<std::int64_t> ids;
  {
    VIDYUT_TRY(s, impl_->sql.stmt("SELECT id FROM load_actions WHERE ? = 0 OR state = 0 ORDER "
                                  "BY id"));
    Use u(**s);
    u.bind(std::int64_t{active_only ? 1 : 0});
    for (;;) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      ids.push_back(u.i64(0));
    }
  }
  std::vector<LoadAction> out;
  for (std::int64_t id : ids) {
    VIDYUT_TRY(a, impl_->get(id));
    if (*a) out.push_back(std::move(**a));
  }
  return out;
}

Result<LoadActionProgress> LoadControl::progress(const LoadAction& a) {
  LoadActionProgress p;
  p.meters = a.meters.size();
  auto count = [&](std::int64_t id, std::size_t& ok, std::size_t& pending, std::size_t& failed,
                   std::vector<std::int64_t>& latency) -> Status {
    if (id == 0) {
      ++pending;
      return ok_status();
    }
    VIDYUT_TRY(c, impl_->port->command(id));
    if (!*c || (*c)->state == store::CommandState::kPending) {
      ++pending;
    } else if ((*c)->state == store::CommandState::kSucceeded) {
      ++ok;
      latency.push_back(((*c)->finished - (*c)->created).count());
    } else {
      ++failed;
    }
    return ok_status();
  };
  for (const auto& m : a.meters) {
    VIDYUT_CHECK(
        count(m.apply_command, p.applied, p.apply_pending, p.apply_failed, p.apply_latency_ms));
    if (a.state == LoadActionState::kRestored) {
      if (m.restore_command == kRestoreHeldOpen) {
        ++p.held_open;
        continue;
      }
      VIDYUT_CHECK(count(m.restore_command, p.restored, p.restore_pending, p.restore_failed,
                         p.restore_latency_ms));
    }
  }
  return p;
}

}  // namespace vidyut::mdm
