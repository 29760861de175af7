#include "mdm/cases.h"

#include <mutex>

#include "mdm/mdm_sqlite.h"

namespace vidyut::mdm {
namespace {

using store::sql::Stmt;
using store::sql::Use;

constexpr int kSchemaVersion = 1;
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS theft_cases (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  dt TEXT NOT NULL, day TEXT NOT NULL, meter_id INTEGER NOT NULL, serial TEXT NOT NULL,
  consumer_id TEXT NOT NULL, evidence TEXT NOT NULL, state INTEGER NOT NULL,
  opened_ms INTEGER NOT NULL, opened_by TEXT NOT NULL, closed_ms INTEGER NOT NULL,
  closed_by TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS theft_cases_one_open
  ON theft_cases (meter_id, dt, day) WHERE state = 0;
CREATE TABLE IF NOT EXISTS theft_case_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  case_id INTEGER NOT NULL REFERENCES theft_cases(id), at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL, action TEXT NOT NULL, note TEXT NOT NULL);
)";
constexpr const char* kCols =
    "id, dt, day, meter_id, serial, consumer_id, evidence, state, opened_ms, opened_by, "
    "closed_ms, closed_by";

using detail::from_ms;
using detail::to_ms;

Status check_text(const std::string& s, const char* what, bool required) {
  return detail::check_text("theft case", s, what, required, kMaxCaseText);
}

TheftCase read_case(const Use& u) {
  TheftCase c;
  c.id = u.i64(0);
  c.dt = u.text(1);
  c.day = u.text(2);
  c.meter_id = u.i64(3);
  c.serial = u.text(4);
  c.consumer_id = u.text(5);
  c.evidence = u.text(6);
  c.state = static_cast<CaseState>(u.i64(7));
  c.opened = from_ms(u.i64(8));
  c.opened_by = u.text(9);
  c.closed = from_ms(u.i64(10));
  c.closed_by = u.text(11);
  return c;
}

}  // namespace

const char* to_string(CaseState s) {
  switch (s) {
    case CaseState::kOpen:
      return "open";
    case CaseState::kConfirmed:
      return "confirmed";
    case CaseState::kDismissed:
      return "dismissed";
  }
  return "unknown";
}

struct CaseBook::Impl {
  detail::MdmSqlite sql;
  const Clock* clock = nullptr;
  std::mutex mu;

  Result<Stmt*> stmt(const std::string& q) { return sql.stmt(q); }
  Status fault() { return sql.fault(); }
  template <typename F>
  auto txn(F&& body) -> decltype(body()) {
    return sql.txn(std::forward<F>(body));
  }

  Status event(std::int64_t case_id, const std::string& actor, const char* action,
               const std::string& note) {
    VIDYUT_CHECK(fault());
    VIDYUT_TRY(s, stmt("INSERT INTO theft_case_events (case_id, at_ms, actor, action, note) "
                       "VALUES (?, ?, ?, ?, ?)"));
    Use u(**s);
    u.bind(case_id).bind(to_ms(clock->now())).bind(actor).bind(std::string_view(action)).bind(note);
    VIDYUT_TRY(row, u.step());
    (void)row;
    return ok_status();
  }

  Result<std::optional<TheftCase>> get(std::int64_t id) {
    VIDYUT_TRY(s, stmt(std::string("SELECT ") + kCols + " FROM theft_cases WHERE id = ?"));
    Use u(**s);
    u.bind(id);
    VIDYUT_TRY(row, u.step());
    if (!*row) return std::optional<TheftCase>();
    return std::optional<TheftCase>(read_case(u));
  }
};

CaseBook::CaseBook() : impl_(std::make_unique<Impl>()) {}
CaseBook::~CaseBook() = default;

Result<std::unique_ptr<CaseBook>> CaseBook::open(const std::filesystem::path& dir,
                                                 const Clock& clock) {
  std::unique_ptr<CaseBook> b(new CaseBook());
  b->impl_->clock = &clock;
  VIDYUT_CHECK(b->impl_->sql.open(dir, "cases", kSchemaVersion, kSchema));
  return b;
}

void CaseBook::fail_after_statements(std::int64_t n) {
  std::lock_guard l(impl_->mu);
  impl_->sql.fail_after(n);
}

Result<CaseBook::Opened> CaseBook::open_case(const TheftCase& c, const std::string& actor,
                                             const std::string& note) {
  VIDYUT_CHECK(check_text(actor, "actor", true));
  VIDYUT_CHECK(check_text(c.dt, "DT", true));
  VIDYUT_CHECK(check_text(c.day, "day", true));
  VIDYUT_CHECK(check_text(c.serial, "serial", true));
  VIDYUT_CHECK(check_text(c.consumer_id, "consumer", false));
  VIDYUT_CHECK(check_text(c.evidence, "evidence", false));
  VIDYUT_CHECK(check_text(note, "note", false));
  std::lock_guard l(impl_->mu);
  Impl& m = *impl_;
  return m.txn([&]() -> Result<Opened> {
    {
      VIDYUT_TRY(s, m.stmt(std::string("SELECT ") + kCols +
                           " FROM theft_cases WHERE meter_id = ? AND dt = ? AND day = ? AND "
                           "state = 0"));
      Use u(**s);
      u.bind(c.meter_id).bind(c.dt).bind(c.day);
      VIDYUT_TRY(row, u.step());
      if (*row) return Opened{read_case(u), false};
    }
    VIDYUT_CHECK(m.fault());
    const UtcTime now = m.clock->now();
    {
      VIDYUT_TRY(s, m.stmt("INSERT INTO theft_cases (dt, day, meter_id, serial, consumer_id, "
                           "evidence, state, opened_ms, opened_by, closed_ms, closed_by) VALUES "
                           "(?, ?, ?, ?, ?, ?, 0, ?, ?, 0, '')"));
      Use u(**s);
      u.bind(c.dt)
          .bind(c.day)
          .bind(c.meter_id)
          .bind(c.serial)
          .bind(c.consumer_id)
          .bind(c.evidence)
          .bind(to_ms(now))
          .bind(actor);
      VIDYUT_TRY(row, u.step());
      (void)row;
    }
    const std::int64_t id = sqlite3_last_insert_rowid(m.sql.db());
    VIDYUT_CHECK(m.event(id, actor, "open", note));
    VIDYUT_TRY(got, m.get(id));
    return Opened{**got, true};
  });
}

Result<TheftCase> CaseBook::close_case(std::int64_t id, CaseState to, const std::string& actor,
                                       const std::string& note) {
  VIDYUT_CHECK(check_text(actor, "actor", true));
  VIDYUT_CHECK(check_text(note, "note", true));
  if (to == CaseState::kOpen) {
    return Error(Errc::kInvalidArgument, "theft case: close as confirmed or dismissed");
  }
  std::lock_guard l(impl_->mu);
  Impl& m = *impl_;
  return m.txn([&]() -> Result<TheftCase> {
    VIDYUT_TRY(got, m.get(id));
    if (!*got) return Error(Errc::kNotFound, "no theft case " + std::to_string(id));
    if ((*got)->state != CaseState::kOpen) {
      return Error(Errc::kInvalidArgument,
                   "theft case " + std::to_string(id) + " is already " + to_string((*got)->state));
    }
    VIDYUT_CHECK(m.fault());
    {
      VIDYUT_TRY(s, m.stmt("UPDATE theft_cases SET state = ?, closed_ms = ?, closed_by = ? "
                           "WHERE id = ?"));
      Use u(**s);
      u.bind(static_cast<std::int64_t>(to)).bind(to_ms(m.clock->now())).bind(actor).bind(id);
      VIDYUT_TRY(row, u.step());
      (void)row;
    }
    VIDYUT_CHECK(m.event(id, actor, to == CaseState::kConfirmed ? "confirm" : "dismiss", note));
    VIDYUT_TRY(after, m.get(id));
    return **after;
  });
}

Status CaseBook::add_note(std::int64_t id, const std::string& actor, const std::string& note) {
  VIDYUT_CHECK(check_text(actor, "actor", true));
  VIDYUT_CHECK(check_text(note, "note", true));
  std::lock_guard l(impl_->mu);
  Impl& m = *impl_;
  auto r = m.txn([&]() -> Result<bool> {
    VIDYUT_TRY(got, m.get(id));
    if (!*got) return Error(Errc::kNotFound, "no theft case " + std::to_string(id));
    VIDYUT_CHECK(m.event(id, actor, "note", note));
    return true;
  });
  if (!r.ok()) return r.error();
  return ok_status();
}

Result<std::optional<TheftCase>> CaseBook::get(std::int64_t id) {
  std::lock_guard l(impl_->mu);
  return impl_->get(id);
}

Result<std::vector<TheftCase>> CaseBook::cases(std::optional<CaseState> state) {
  std::lock_guard l(impl_->mu);
  VIDYUT_TRY(s, impl_->stmt(std::string("SELECT ") + kCols +
                            " FROM theft_cases WHERE ? < 0 OR state = ? ORDER BY id LIMIT ?"));
  Use u(**s);
  const std::int64_t st = state ? static_cast<std::int64_t>(*state) : -1;
  u.bind(st).bind(st).bind(static_cast<std::int64_t>(kMaxCasePage));
  std::vector<TheftCase> out;
  for (;;) {
    VIDYUT_TRY(row, u.step());
    if (!*row) break;
    out.push_back(read_case(u));
  }
  return out;
}

Result<std::vector<CaseEvent>> CaseBook::trail(std::int64_t id) {
  std::lock_guard l(impl_->mu);
  VIDYUT_TRY(s, impl_->stmt("SELECT id, case_id, at_ms, actor, action, note FROM "
                            "theft_case_events WHERE case_id = ? ORDER BY id"));
  Use u(**s);
  u.bind(id);
  std::vector<CaseEvent> out;
  for (;;) {
    VIDYUT_TRY(row, u.step());
    if (!*row) break;
    out.push_back({u.i64(0), u.i64(1), from_ms(u.i64(2)), u.text(3), u.text(4), u.text(5)});
  }
  return out;
}

}  // namespace vidyut::mdm
