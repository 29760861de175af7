#include "mdm/vee_book.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "mdm/mdm_sqlite.h"

namespace vidyut::mdm {
namespace {

using detail::from_ms;
using detail::to_ms;
using store::sql::Stmt;
using store::sql::Use;

constexpr int kSchemaVersion = 1;
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS vee_intervals (
  meter_id INTEGER NOT NULL, start_ms INTEGER NOT NULL, wh INTEGER NOT NULL,
  flags INTEGER NOT NULL, method TEXT NOT NULL, raw_wh INTEGER, updated_ms INTEGER NOT NULL,
  actor TEXT NOT NULL, reason TEXT NOT NULL,
  PRIMARY KEY (meter_id, start_ms)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS vee_intervals_by_start ON vee_intervals (start_ms, method);
CREATE TABLE IF NOT EXISTS vee_changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT, meter_id INTEGER NOT NULL, start_ms INTEGER NOT NULL,
  at_ms INTEGER NOT NULL, action TEXT NOT NULL, old_wh INTEGER, new_wh INTEGER,
  flags INTEGER NOT NULL, method TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS vee_changes_by_interval ON vee_changes (meter_id, start_ms);
CREATE INDEX IF NOT EXISTS vee_changes_by_time ON vee_changes (at_ms);
CREATE TABLE IF NOT EXISTS vee_days (day_ms INTEGER PRIMARY KEY, validated_ms INTEGER NOT NULL);
)";
constexpr const char* kCols =
    "meter_id, start_ms, wh, flags, method, raw_wh, updated_ms, actor, reason";

Status check_text(const std::string& s, const char* what, bool required) {
  return detail::check_text("validated data", s, what, required, kMaxVeeText);
}

VeeRecord read_record(const Use& u) {
  VeeRecord r;
  r.meter_id = u.i64(0);
  r.start = from_ms(u.i64(1));
  r.wh = u.i64(2);
  r.flags = static_cast<std::uint32_t>(u.i64(3));
  r.method = vee_method_of(u.text(4)).value_or(VeeMethod::kNone);
  r.raw_wh = u.opt_i64(5);
  r.updated = from_ms(u.i64(6));
  r.actor = u.text(7);
  r.reason = u.text(8);
  return r;
}

bool is_estimate(VeeMethod m) { return m == VeeMethod::kLinear || m == VeeMethod::kLikeDay; }

}  // namespace

void VeeApplied::add(const VeeApplied& o) {
  estimated += o.estimated;
  re_estimated += o.re_estimated;
  replaced += o.replaced;
  flagged += o.flagged;
  cleared += o.cleared;
}

struct VeeBook::Impl {
  detail::MdmSqlite sql;
  const Clock* clock = nullptr;
  std::mutex mu;

  Result<Stmt*> stmt(const std::string& q) { return sql.stmt(q); }
  template <typename F>
  auto txn(F&& body) -> decltype(body()) {
    return sql.txn(std::forward<F>(body));
  }

  Status change(const VeeRecord& r, const char* action, std::optional<std::int64_t> old_wh,
                std::optional<std::int64_t> new_wh, const std::string& actor,
                const std::string& reason) {
    VIDYUT_CHECK(sql.fault());
    VIDYUT_TRY(s,
               stmt("INSERT INTO vee_changes (meter_id, start_ms, at_ms, action, old_wh, "
                    "new_wh, flags, method, actor, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    Use u(**s);
    u.bind(r.meter_id)
        .bind(to_ms(r.start))
        .bind(to_ms(clock->now()))
        .bind(std::string_view(action))
        .bind(old_wh)
        .bind(new_wh)
        .bind(static_cast<std::int64_t>(r.flags))
        .bind(std::string_view(to_string(r.method)))
        .bind(actor)
        .bind(reason);
    VIDYUT_TRY(row, u.step());
    (void)row;
    return ok_status();
  }

  Status put(const VeeRecord& r) {
    VIDYUT_CHECK(sql.fault());
    VIDYUT_TRY(s, stmt(std::string("INSERT OR REPLACE INTO vee_intervals (") + kCols +
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    Use u(**s);
    u.bind(r.meter_id)
        .bind(to_ms(r.start))
        .bind(r.wh)
        .bind(static_cast<std::int64_t>(r.flags))
        .bind(std::string_view(to_string(r.method)))
        .bind(r.raw_wh)
        .bind(to_ms(r.updated))
        .bind(r.actor)
        .bind(r.reason);
    VIDYUT_TRY(row, u.step());
    (void)row;
    return ok_status();
  }

  Status erase(std::int64_t meter_id, UtcTime start) {
    VIDYUT_CHECK(sql.fault());
    VIDYUT_TRY(s, stmt("DELETE FROM vee_intervals WHERE meter_id = ? AND start_ms = ?"));
    Use u(**s);
    u.bind(meter_id).bind(to_ms(start));
    VIDYUT_TRY(row, u.step());
    (void)row;
    return ok_status();
  }

  Result<std::vector<VeeRecord>> records(std::int64_t meter_id, UtcTime from, UtcTime to) {
    std::vector<VeeRecord> out;
    if (meter_id != 0) {
      VIDYUT_TRY(s, stmt(std::string("SELECT ") + kCols +
                         " FROM vee_intervals WHERE meter_id = ? AND start_ms >= ? AND "
                         "start_ms < ? ORDER BY start_ms"));
      Use u(**s);
      u.bind(meter_id).bind(to_ms(from)).bind(to_ms(to));
      for (;;) {
        VIDYUT_TRY(row, u.step());
        if (!*row) break;
        out.push_back(read_record(u));
      }
      return out;
    }
    VIDYUT_TRY(s, stmt(std::string("SELECT ") + kCols +
                       " FROM vee_intervals WHERE start_ms >= ? AND start_ms < ? "
                       "ORDER BY meter_id, start_ms"));
    Use u(**s);
    u.bind(to_ms(from)).bind(to_ms(to));
    for (;;) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      out.push_back(read_record(u));
    }
    return out;
  }

  Result<std::vector<std::int64_t>> meters(const char* where, UtcTime from, UtcTime to) {
    VIDYUT_TRY(s, stmt(std::string("SELECT DISTINCT meter_id FROM vee_intervals WHERE "
                                   "start_ms >= ? AND start_ms < ? AND ") +
                       where + " ORDER BY meter_id"));
    Use u(**s);
    u.bind(to_ms(from)).bind(to_ms(to));
    std::vector<std::int64_t> out;
    for (;;) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      out.push_back(u.i64(0));
    }
    return out;
  }
};

VeeBook::VeeBook() : impl_(std::make_unique<Impl>()) {}
VeeBook::~VeeBook() = default;

Result<std::unique_ptr<VeeBook>> VeeBook::open(const std::filesystem::path& dir,
                                               const Clock& clock) {
  std::unique_ptr<VeeBook> b(new VeeBook());
  b->impl_->clock = &clock;
  VIDYUT_CHECK(b->impl_->sql.open(dir, "vee", kSchemaVersion, kSchema));
  return b;
}

void VeeBook::fail_after_statements(std::int64_t n) {
  std::lock_guard l(impl_->mu);
  impl_->sql.fail_after(n);
}

Result<VeeApplied> VeeBook::apply(const VeeDay& day, const std::string& actor) {
  VIDYUT_CHECK(check_text(actor, "actor", true));
  if (day.intervals.empty()) return VeeApplied{};
  std::lock_guard l(impl_->mu);
  Impl& m = *impl_;
  const UtcTime from = day.intervals.front().start;
  const UtcTime to = day.intervals.back().start + Millis(1);
  return m.txn([&]() -> Result<VeeApplied> {
    VIDYUT_TRY(existing, m.records(day.meter_id, from, to));
    std::unordered_map<std::int64_t, const VeeRecord*> by_start;
    for (const auto& r : *existing) by_start[to_ms(r.start)] = &r;
    VeeApplied a;
    const UtcTime now = m.clock->now();
    for (const auto& v : day.intervals) {
      auto it = by_start.find(to_ms(v.start));
      const VeeRecord* had = it == by_start.end() ? nullptr : it->second;
      if (had != nullptr && had->method == VeeMethod::kEdited) continue;  // the operator's
      if (v.method == VeeMethod::kEdited) continue;
      VeeRecord want;
      want.meter_id = day.meter_id;
      want.start = v.start;
      want.wh = v.wh;
      want.flags = v.flags;
      want.method = v.method;
      want.raw_wh = v.raw_wh;
      want.updated = now;
      want.actor = actor;
      // A clean reading needs no record; nor does a gap left unestimated (its missing reading
      // says it, and a fleet starting up would fill the book with them).
      const bool clean =
          (v.method == VeeMethod::kActual && v.flags == 0) || v.method == VeeMethod::kNone;
      if (clean) {
        if (had == nullptr) continue;
        VIDYUT_CHECK(m.erase(day.meter_id, v.start));
        if (is_estimate(had->method) && v.method == VeeMethod::kActual) {
          VIDYUT_CHECK(m.change(want, "replace", had->wh, v.wh, actor, ""));
          ++a.replaced;
        } else {
          if (v.method == VeeMethod::kNone) {
            VIDYUT_CHECK(m.change(want, "clear", had->wh, std::nullopt, actor, ""));
          } else {
            VIDYUT_CHECK(m.change(want, "clear", had->wh, v.wh, actor, ""));
          }
          ++a.cleared;
        }
        continue;
      }
      if (had != nullptr && had->wh == want.wh && had->flags == want.flags &&
          had->method == want.method && had->raw_wh == want.raw_wh) {
        continue;  // unchanged
      }
      VIDYUT_CHECK(m.put(want));
      std::optional<std::int64_t> old_wh;
      if (had != nullptr) old_wh = had->wh;
      const std::optional<std::int64_t> new_wh = v.wh;
      if (is_estimate(v.method)) {
        const bool re = had != nullptr && is_estimate(had->method);
        VIDYUT_CHECK(m.change(want, re ? "re-estimate" : "estimate", old_wh, new_wh, actor, ""));
        ++(re ? a.re_estimated : a.estimated);
      } else if (v.method == VeeMethod::kActual && had != nullptr && is_estimate(had->method)) {
        VIDYUT_CHECK(m.change(want, "replace", old_wh, new_wh, actor, ""));
        ++a.replaced;
      } else {
        VIDYUT_CHECK(m.change(want, "flag", old_wh, new_wh, actor, ""));
        ++a.flagged;
      }
    }
    return a;
  });
}

Result<VeeRecord> VeeBook::edit(std::int64_t meter_id, UtcTime start, std::int64_t wh,
                                std::optional<std::int64_t> raw_wh, const std::string& actor,
                                const std::string& reason) {
  VIDYUT_CHECK(check_text(actor, "actor", true));
  VIDYUT_CHECK(check_text(reason, "reason", true));
  if (wh < 0) return Error(Errc::kInvalidArgument, "validated data: an edit is at least 0 Wh");
  std::lock_guard l(impl_->mu);
  Impl& m = *impl_;
  return m.txn([&]() -> Result<VeeRecord> {
    VIDYUT_TRY(existing, m.records(meter_id, start, start + Millis(1)));
    VeeRecord r;
    r.meter_id = meter_id;
    r.start = start;
    r.wh = wh;
    r.flags = ((existing->empty() ? 0u : existing->front().flags) & ~kVeeEstimated) | kVeeEdited;
    r.method = VeeMethod::kEdited;
    r.raw_wh = raw_wh;
    r.updated = m.clock->now();
    r.actor = actor;
    r.reason = reason;
    std::optional<std::int64_t> old_wh = raw_wh;
    if (!existing->empty() && existing->front().method != VeeMethod::kNone) {
      old_wh = existing->front().wh;
    }
    VIDYUT_CHECK(m.put(r));
    VIDYUT_CHECK(m.change(r, "edit", old_wh, wh, actor, reason));
    return r;
  });
}

Status VeeBook::withdraw_edit(std::int64_t meter_id, UtcTime start, const std::string& actor,
                              const std::string& reason) {
  VIDYUT_CHECK(check_text(actor, "actor", true));
  VIDYUT_CHECK(check_text(reason, "reason", true));
  std::lock_guard l(impl_->mu);
  Impl& m = *impl_;
  return m.txn([&]() -> Status {
    VIDYUT_TRY(existing, m.records(meter_id, start, start + Millis(1)));
    if (existing->empty() || existing->front().method != VeeMethod::kEdited) {
      return Error(Errc::kNotFound, "validated data: no edit of meter " + std::to_string(meter_id) +
                                        " at " + format_iso8601(start));
    }
    VeeRecord r = existing->front();
    VIDYUT_CHECK(m.erase(meter_id, start));
    VIDYUT_CHECK(m.change(r, "withdraw", r.wh, r.raw_wh, actor, reason));
    return ok_status();
  });
}

Result<std::vector<VeeRecord>> VeeBook::records(std::int64_t meter_id, UtcTime from, UtcTime to) {
  std::lock_guard l(impl_->mu);
  return impl_->records(meter_id, from, to);
}

Result<std::vector<std::int64_t>> VeeBook::meters_with_values(UtcTime from, UtcTime to) {
  std::lock_guard l(impl_->mu);
  return impl_->meters("method IN ('linear', 'like-day', 'edit')", from, to);
}

Result<std::vector<std::int64_t>> VeeBook::meters_to_revisit(UtcTime from, UtcTime to) {
  std::lock_guard l(impl_->mu);
  return impl_->meters("method <> 'actual'", from, to);
}

Result<std::vector<VeeChange>> VeeBook::history(std::int64_t meter_id, UtcTime from, UtcTime to,
                                                std::int64_t after, std::size_t limit) {
  limit = std::min(limit, kMaxVeeHistory);
  std::lock_guard l(impl_->mu);
  Impl& m = *impl_;
  const std::string cols =
      "SELECT id, meter_id, start_ms, at_ms, action, old_wh, new_wh, flags, method, actor, "
      "reason FROM vee_changes WHERE ";
  VIDYUT_TRY(s, m.stmt(cols + (meter_id != 0 ? "meter_id = ? AND " : "") +
                       "start_ms >= ? AND start_ms < ? AND id > ? ORDER BY id LIMIT ?"));
  Use u(**s);
  if (meter_id != 0) u.bind(meter_id);
  u.bind(to_ms(from)).bind(to_ms(to)).bind(after).bind(static_cast<std::int64_t>(limit));
  std::vector<VeeChange> out;
  for (;;) {
    VIDYUT_TRY(row, u.step());
    if (!*row) break;
    VeeChange c;
    c.id = u.i64(0);
    c.meter_id = u.i64(1);
    c.start = from_ms(u.i64(2));
    c.at = from_ms(u.i64(3));
    c.action = u.text(4);
    c.old_wh = u.opt_i64(5);
    c.new_wh = u.opt_i64(6);
    c.flags = static_cast<std::uint32_t>(u.i64(7));
    c.method = vee_method_of(u.text(8)).value_or(VeeMethod::kNone);
    c.actor = u.text(9);
    c.reason = u.text(10);
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::map<std::string, std::uint64_t>> VeeBook::change_counts(UtcTime from, UtcTime to) {
  std::lock_guard l(impl_->mu);
  VIDYUT_TRY(s, impl_->stmt("SELECT action, COUNT(*) FROM vee_changes WHERE at_ms >= ? AND "
                            "at_ms < ? GROUP BY action"));
  Use u(**s);
  u.bind(to_ms(from)).bind(to_ms(to));
  std::map<std::string, std::uint64_t> out;
  for (;;) {
    VIDYUT_TRY(row, u.step());
    if (!*row) break;
    out[u.text(0)] = static_cast<std::uint64_t>(u.i64(1));
  }
  return out;
}

Result<bool> VeeBook::day_validated(UtcTime day) {
  std::lock_guard l(impl_->mu);
  VIDYUT_TRY(s, impl_->stmt("SELECT 1 FROM vee_days WHERE day_ms = ?"));
  Use u(**s);
  u.bind(to_ms(day));
  VIDYUT_TRY(row, u.step());
  return *row;
}

Status VeeBook::mark_day_validated(UtcTime day) {
  std::lock_guard l(impl_->mu);
  VIDYUT_CHECK(impl_->sql.fault());
  VIDYUT_TRY(s,
             impl_->stmt("INSERT OR REPLACE INTO vee_days (day_ms, validated_ms) VALUES (?, ?)"));
  Use u(**s);
  u.bind(to_ms(day)).bind(to_ms(impl_->clock->now()));
  VIDYUT_TRY(row, u.step());
  (void)row;
  return ok_status();
}

Result<std::vector<store::MeterIntervalSummary>> validated_summary(store::Store& store,
                                                                   VeeBook& book, UtcTime from,
                                                                   UtcTime to) {
  VIDYUT_TRY(base, store.interval_summary(from, to));
  VIDYUT_TRY(changed, book.meters_with_values(from, to));
  if (changed->empty()) return std::move(*base);
  std::unordered_map<std::int64_t, std::size_t> at;
  for (std::size_t i = 0; i < base->size(); ++i) at[(*base)[i].meter_id] = i;
  for (std::int64_t m : *changed) {
    VIDYUT_TRY(rows, store.intervals(m, from, to));
    VIDYUT_TRY(recs, book.records(m, from, to));
    // Per interval start: the edit, else the reading, else the estimate.
    std::map<std::int64_t, std::pair<std::int64_t, bool>> value;  // start -> (wh, estimated)
    store::MeterIntervalSummary s;
    s.meter_id = m;
    for (const auto& r : *rows) {
      value[to_ms(r.start)] = {r.import_wh, false};
      s.export_wh += r.export_wh;
    }
    for (const auto& r : *recs) {
      if (r.method == VeeMethod::kEdited) {
        value[to_ms(r.start)] = {r.wh, false};
      } else if (is_estimate(r.method)) {
        value.try_emplace(to_ms(r.start), r.wh, true);
      }
    }
    for (const auto& [start, v] : value) {
      ++s.count;
      s.import_wh += v.first;
      s.max_interval_wh = std::max(s.max_interval_wh, v.first);
      if (v.second) ++s.estimated;
    }
    if (auto it = at.find(m); it != at.end()) {
      (*base)[it->second] = s;
    } else {
      base->push_back(s);
    }
  }
  return std::move(*base);
}

}  // namespace vidyut::mdm
