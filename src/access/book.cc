#include "access/book.h"

#include <sodium.h>

#include <mutex>

#include "access/password.h"
#include "core/log.h"
#include "core/text.h"
#include "store/sqlite_db.h"

namespace vidyut::access {
namespace {

using store::sql::Database;
using store::sql::from_ms;
using store::sql::to_ms;
using store::sql::Use;

constexpr int kSchemaVersion = 1;
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS operators (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  roles INTEGER NOT NULL,
  hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  password_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY,
  csrf TEXT NOT NULL,
  audience INTEGER NOT NULL,
  subject TEXT NOT NULL,
  roles INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_subject ON sessions(audience, subject);
CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS failures_key ON failures(key, at_ms);
CREATE TABLE IF NOT EXISTS codes (
  id INTEGER PRIMARY KEY,
  consumer_id TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  address TEXT NOT NULL,
  issued_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  used INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS codes_consumer ON codes(consumer_id, issued_ms);
CREATE INDEX IF NOT EXISTS codes_address ON codes(address, issued_ms);
)sql";

Status check_username(const std::string& name) {
  VIDYUT_CHECK(check_text("operator name", name, kMaxUsernameLength));
  if (name.empty()) return Error(Errc::kInvalidArgument, "an operator needs a name");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                    c == '_' || c == '@';
    if (!ok) {
      return Error(Errc::kInvalidArgument,
                   "an operator name has lower-case letters, digits and . - _ @ only");
    }
  }
  return ok_status();
}

// The code's hash binds it to its consumer: the same digits for another consumer differ.
std::string code_hash(const std::string& consumer_id, const std::string& code) {
  return sha256_hex(consumer_id + "\n" + code);
}

}  // namespace

const char* to_string(Audience a) { return a == Audience::kOperator ? "operator" : "consumer"; }

std::string Session::actor() const {
  return (audience == Audience::kOperator ? "web:" : "consumer:") + subject;
}

class AccessBook::Impl {
 public:
  const Clock& clock;
  store::Store* audit_store;
  Database db;
  std::mutex mu;
  std::string dummy_hash;  // verified against for unknown names, so timing tells nothing

  Impl(const Clock& c, store::Store* a) : clock(c), audit_store(a) {}

  Status audit(const std::string& actor, const std::string& action, const std::string& subject,
               const std::string& detail) {
    if (audit_store == nullptr) return ok_status();
    store::WriteBatch b;
    b.audit.push_back(store::AuditRecord{0, clock.now(), actor, action, subject, detail});
    auto r = audit_store->write(b);
    if (!r.ok()) {
      logger("access")->error("audit of {} {} failed: {}", action, subject, r.error().message);
      return r.error();
    }
    return ok_status();
  }

  Result<std::int64_t> count(const char* sql, const std::string& key, UtcTime since) {
    VIDYUT_TRY(s, db.stmt(sql));
    Use u(**s);
    u.bind(key).bind(to_ms(since));
    VIDYUT_TRY(row, u.step());
    return *row ? u.i64(0) : 0;
  }

  Status add_failure(const std::string& key) {
    VIDYUT_CHECK(db.fault());
    VIDYUT_TRY(s, db.stmt("INSERT INTO failures (key, at_ms) VALUES (?, ?)"));
    Use u(**s);
    u.bind(key).bind(to_ms(clock.now()));
    VIDYUT_TRY(done, u.step());
    (void)done;
    return ok_status();
  }

  Result<Session> create_session(Audience audience, const std::string& subject, Roles roles) {
    Session s;
    s.token = random_hex(32);
    s.csrf = random_hex(32);
    s.audience = audience;
    s.subject = subject;
    s.roles = roles;
    s.created = clock.now();
    const bool op = audience == Audience::kOperator;
    s.expires = s.created + (op ? kOperatorIdle : kConsumerIdle);
    VIDYUT_CHECK(db.fault());
    VIDYUT_TRY(st, db.stmt("INSERT INTO sessions (token_hash, csrf, audience, subject, roles, "
                           "created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    Use u(**st);
    u.bind(sha256_hex(s.token))
        .bind(s.csrf)
        .bind(static_cast<std::int64_t>(audience))
        .bind(subject)
        .bind(static_cast<std::int64_t>(roles.bits()))
        .bind(to_ms(s.created))
        .bind(to_ms(s.expires));
    VIDYUT_TRY(done, u.step());
    (void)done;
    return s;
  }

  Status end_sessions_of(Audience audience, const std::string& subject) {
    VIDYUT_CHECK(db.fault());
    VIDYUT_TRY(s, db.stmt("DELETE FROM sessions WHERE audience = ? AND subject = ?"));
    Use u(**s);
    u.bind(static_cast<std::int64_t>(audience)).bind(subject);
    VIDYUT_TRY(done, u.step());
    (void)done;
    return ok_status();
  }

  Result<std::optional<std::pair<Operator, std::string>>> load_operator(const std::string& name) {
    VIDYUT_TRY(s,
               db.stmt("SELECT id, username, roles, disabled, created_ms, created_by, password_ms, "
                       "hash FROM operators WHERE username = ?"));
    Use u(**s);
    u.bind(name);
    VIDYUT_TRY(row, u.step());
    if (!*row) return std::optional<std::pair<Operator, std::string>>();
    Operator o;
    o.id = u.i64(0);
    o.username = u.text(1);
    o.roles = Roles(static_cast<std::uint8_t>(u.i64(2)));
    o.disabled = u.i64(3) != 0;
    o.created = from_ms(u.i64(4));
    o.created_by = u.text(5);
    o.password_changed = from_ms(u.i64(6));
    return std::optional<std::pair<Operator, std::string>>(std::make_pair(o, u.text(7)));
  }

  Status update_operator(const char* sql, const std::string& name,
                         std::optional<std::int64_t> value, const std::string* text) {
    VIDYUT_CHECK(db.fault());
    VIDYUT_TRY(s, db.stmt(sql));
    Use u(**s);
    if (text != nullptr) u.bind(*text);
    if (value) u.bind(*value);
    u.bind(name);
    VIDYUT_TRY(done, u.step());
    (void)done;
    if (sqlite3_changes(db.db()) == 0) {
      return Error(Errc::kNotFound, "no operator named " + name);
    }
    return ok_status();
  }
};

AccessBook::AccessBook() = default;
AccessBook::~AccessBook() = default;

Result<std::unique_ptr<AccessBook>> AccessBook::open(const std::filesystem::path& dir,
                                                     const Clock& clock, store::Store* audit) {
  std::unique_ptr<AccessBook> b(new AccessBook());
  b->impl_ = std::make_unique<Impl>(clock, audit);
  VIDYUT_CHECK(b->impl_->db.open(dir, "access.db", "access", kSchemaVersion, kSchema));
  return b;
}

void AccessBook::fail_after(std::int64_t n) {
  std::lock_guard l(impl_->mu);
  impl_->db.fail_after(n);
}

Result<Operator> AccessBook::add_operator(const std::string& username, const std::string& password,
                                          Roles roles, const std::string& actor) {
  VIDYUT_CHECK(check_username(username));
  VIDYUT_CHECK(check_password(password));
  if (roles.empty()) return Error(Errc::kInvalidArgument, "an operator needs at least one role");
  VIDYUT_TRY(hash, hash_password(password));
  Operator o;
  {
    std::lock_guard l(impl_->mu);
    auto r = impl_->db.txn([&]() -> Result<Operator> {
      VIDYUT_TRY(existing, impl_->load_operator(username));
      if (*existing) return Error(Errc::kRefused, "an operator named " + username + " exists");
      VIDYUT_CHECK(impl_->db.fault());
      VIDYUT_TRY(
          s, impl_->db.stmt("INSERT INTO operators (username, roles, hash, created_ms, created_by, "
                            "password_ms) VALUES (?, ?, ?, ?, ?, ?)"));
      Use u(**s);
      const UtcTime now = impl_->clock.now();
      u.bind(username)
          .bind(static_cast<std::int64_t>(roles.bits()))
          .bind(*hash)
          .bind(to_ms(now))
          .bind(actor)
          .bind(to_ms(now));
      VIDYUT_TRY(done, u.step());
      (void)done;
      Operator out;
      out.id = sqlite3_last_insert_rowid(impl_->db.db());
      out.username = username;
      out.roles = roles;
      out.created = now;
      out.created_by = actor;
      out.password_changed = now;
      return out;
    });
    if (!r.ok()) return r.error();
    o = *r;
  }
  VIDYUT_CHECK(impl_->audit(actor, "operator-add", username, "roles " + to_string(roles)));
  return o;
}

Status AccessBook::set_password(const std::string& username, const std::string& password,
                                const std::string& actor) {
  VIDYUT_CHECK(check_password(password));
  VIDYUT_TRY(hash, hash_password(password));
  {
    std::lock_guard l(impl_->mu);
    auto r = impl_->db.txn([&]() -> Result<bool> {
      VIDYUT_CHECK(impl_->update_operator(
          "UPDATE operators SET hash = ?, password_ms = ? WHERE username = ?", username,
          to_ms(impl_->clock.now()), &*hash));
      // A new password ends every session of the old one.
      VIDYUT_CHECK(impl_->end_sessions_of(Audience::kOperator, username));
      return true;
    });
    if (!r.ok()) return r.error();
  }
  return impl_->audit(actor, "operator-password", username, "");
}

Status AccessBook::set_roles(const std::string& username, Roles roles, const std::string& actor) {
  if (roles.empty()) return Error(Errc::kInvalidArgument, "an operator needs at least one role");
  {
    std::lock_guard l(impl_->mu);
    auto r = impl_->db.txn([&]() -> Result<bool> {
      VIDYUT_CHECK(impl_->update_operator("UPDATE operators SET roles = ? WHERE username = ?",
                                          username, roles.bits(), nullptr));
      VIDYUT_CHECK(impl_->end_sessions_of(Audience::kOperator, username));
      return true;
    });
    if (!r.ok()) return r.error();
  }
  return impl_->audit(actor, "operator-roles", username, "roles " + to_string(roles));
}

Status AccessBook::set_disabled(const std::string& username, bool disabled,
                                const std::string& actor) {
  {
    std::lock_guard l(impl_->mu);
    auto r = impl_->db.txn([&]() -> Result<bool> {
      VIDYUT_CHECK(impl_->update_operator("UPDATE operators SET disabled = ? WHERE username = ?",
                                          username, disabled ? 1 : 0, nullptr));
      if (disabled) VIDYUT_CHECK(impl_->end_sessions_of(Audience::kOperator, username));
      return true;
    });
    if (!r.ok()) return r.error();
  }
  return impl_->audit(actor, disabled ? "operator-disable" : "operator-enable", username, "");
}

Result<std::vector<Operator>> AccessBook::operators() {
  std::lock_guard l(impl_->mu);
  VIDYUT_TRY(s, impl_->db.stmt("SELECT username FROM operators ORDER BY username"));
  std::vector<std::string> names;
  {
    Use u(**s);
    while (true) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      names.push_back(u.text(0));
    }
  }
  std::vector<Operator> out;
  for (const auto& n : names) {
    VIDYUT_TRY(o, impl_->load_operator(n));
    if (*o) out.push_back((*o)->first);
  }
  return out;
}

Result<std::optional<Operator>> AccessBook::find_operator(const std::string& username) {
  std::lock_guard l(impl_->mu);
  VIDYUT_TRY(o, impl_->load_operator(username));
  if (!*o) return std::optional<Operator>();
  return std::optional<Operator>((*o)->first);
}

Result<Session> AccessBook::sign_in(const std::string& username, const std::string& password,
                                    const std::string& address) {
  const UtcTime since = impl_->clock.now() - kFailureWindow;
  // Names that are not names (bytes, control characters) are kept out of keys and the audit.
  const std::string who = check_username(username).ok() ? username : "(not a valid name)";
  const std::string name_key = "name:" + who;
  const std::string addr_key = "addr:" + address;
  std::optional<std::pair<Operator, std::string>> found;
  {
    std::lock_guard l(impl_->mu);
    const char* q = "SELECT COUNT(*) FROM failures WHERE key = ? AND at_ms > ?";
    VIDYUT_TRY(by_name, impl_->count(q, name_key, since));
    VIDYUT_TRY(by_addr, impl_->count(q, addr_key, since));
    if (*by_name >= kMaxFailuresPerName || *by_addr >= kMaxFailuresPerAddress) {
      // Refused before any hashing: a flood of guesses costs the server nothing.
      (void)impl_->audit("web:" + who, "sign-in-throttled", address, "");
      return Error(Errc::kLimitExceeded, "too many failed sign-ins; try again in 15 minutes");
    }
    if (check_username(username).ok()) {
      VIDYUT_TRY(o, impl_->load_operator(username));
      found = std::move(*o);
    }
    if (impl_->dummy_hash.empty()) {
      VIDYUT_TRY(h, hash_password("not a password of anyone"));
      impl_->dummy_hash = *h;
    }
  }
  // Outside the lock: the memory-hard check takes a while, and others may sign in meanwhile.
  const bool match = verify_password(found ? found->second : impl_->dummy_hash, password);
  std::lock_guard l(impl_->mu);
  if (!found || !match) {
    auto r = impl_->db.txn([&]() -> Result<bool> {
      VIDYUT_CHECK(impl_->add_failure(name_key));
      VIDYUT_CHECK(impl_->add_failure(addr_key));
      return true;
    });
    if (!r.ok()) return r.error();
    (void)impl_->audit("web:" + who, "sign-in-failed", address,
                       found ? "wrong password" : "unknown name");
    return Error(Errc::kAuthFailed, "wrong name or password");
  }
  if (found->first.disabled) {
    (void)impl_->audit("web:" + username, "sign-in-refused", address, "disabled");
    return Error(Errc::kRefused, "this operator is disabled");
  }
  auto s = impl_->db.txn(
      [&] { return impl_->create_session(Audience::kOperator, username, found->first.roles); });
  if (!s.ok()) return s.error();
  VIDYUT_CHECK(impl_->audit("web:" + username, "sign-in", address, to_string(found->first.roles)));
  return s;
}

Result<std::string> AccessBook::issue_code(const std::string& consumer_id,
                                           const std::string& address) {
  VIDYUT_CHECK(check_text("consumer id", consumer_id, 128));
  std::lock_guard l(impl_->mu);
  const UtcTime now = impl_->clock.now();
  const UtcTime since = now - kFailureWindow;
  VIDYUT_TRY(by_consumer,
             impl_->count("SELECT COUNT(*) FROM codes WHERE consumer_id = ? AND issued_ms > ?",
                          consumer_id, since));
  VIDYUT_TRY(by_addr, impl_->count("SELECT COUNT(*) FROM codes WHERE address = ? AND issued_ms > ?",
                                   address, since));
  if (*by_consumer >= kMaxCodesPerConsumer || *by_addr >= kMaxCodesPerAddress) {
    (void)impl_->audit("consumer:" + consumer_id, "code-throttled", address, "");
    return Error(Errc::kLimitExceeded, "too many sign-in codes asked for; try again in 15 minutes");
  }
  char digits[8];
  std::snprintf(digits, sizeof digits, "%06u", randombytes_uniform(1'000'000));
  const std::string code = digits;
  auto r = impl_->db.txn([&]() -> Result<bool> {
    VIDYUT_CHECK(impl_->db.fault());
    // A new code voids the consumer's earlier ones.
    {
      VIDYUT_TRY(s, impl_->db.stmt("UPDATE codes SET used = 1 WHERE consumer_id = ? AND used = 0"));
      Use u(**s);
      u.bind(consumer_id);
      VIDYUT_TRY(done, u.step());
      (void)done;
    }
    VIDYUT_TRY(s, impl_->db.stmt(
                      "INSERT INTO codes (consumer_id, code_hash, address, issued_ms, expires_ms) "
                      "VALUES (?, ?, ?, ?, ?)"));
    Use u(**s);
    u.bind(consumer_id)
        .bind(code_hash(consumer_id, code))
        .bind(address)
        .bind(to_ms(now))
        .bind(to_ms(now + kCodeLifetime));
    VIDYUT_TRY(done, u.step());
    (void)done;
    return true;
  });
  if (!r.ok()) return r.error();
  VIDYUT_CHECK(impl_->audit("consumer:" + consumer_id, "code-issued", address, ""));
  return code;
}

Result<Session> AccessBook::redeem_code(const std::string& consumer_id, const std::string& code,
                                        const std::string& address) {
  VIDYUT_CHECK(check_text("consumer id", consumer_id, 128));
  std::lock_guard l(impl_->mu);
  const UtcTime now = impl_->clock.now();
  // A wrong try is counted (committed) and then answered as an error: the transaction's body
  // answers nullopt for it rather than an error, which would roll the count back.
  auto r = impl_->db.txn([&]() -> Result<std::optional<Session>> {
    VIDYUT_TRY(s, impl_->db.stmt(
                      "SELECT id, code_hash, expires_ms, attempts FROM codes WHERE consumer_id = ? "
                      "AND used = 0 ORDER BY id DESC LIMIT 1"));
    std::int64_t id = 0, expires = 0, attempts = 0;
    std::string hash;
    {
      Use u(**s);
      u.bind(consumer_id);
      VIDYUT_TRY(row, u.step());
      if (!*row) return std::optional<Session>();
      id = u.i64(0);
      hash = u.text(1);
      expires = u.i64(2);
      attempts = u.i64(3);
    }
    if (attempts >= kMaxCodeAttempts) {
      return Error(Errc::kLimitExceeded, "too many wrong codes; ask for a new one");
    }
    const std::string presented = code_hash(consumer_id, code);
    const bool right = to_ms(now) < expires && code.size() == 6 &&
                       presented.size() == hash.size() &&
                       sodium_memcmp(hash.data(), presented.data(), hash.size()) == 0;
    VIDYUT_CHECK(impl_->db.fault());
    VIDYUT_TRY(upd,
               impl_->db.stmt(right ? "UPDATE codes SET used = 1 WHERE id = ?"
                                    : "UPDATE codes SET attempts = attempts + 1 WHERE id = ?"));
    {
      Use u(**upd);
      u.bind(id);
      VIDYUT_TRY(done, u.step());
      (void)done;
    }
    if (!right) return std::optional<Session>();
    VIDYUT_TRY(session, impl_->create_session(Audience::kConsumer, consumer_id, Roles()));
    return std::optional<Session>(std::move(*session));
  });
  if (!r.ok()) return r.error();
  if (!*r) {
    (void)impl_->audit("consumer:" + consumer_id, "code-wrong", address, "");
    return Error(Errc::kAuthFailed, "wrong or expired code");
  }
  VIDYUT_CHECK(impl_->audit("consumer:" + consumer_id, "sign-in", address, "code"));
  return std::move(**r);
}

Result<std::optional<Session>> AccessBook::session(const std::string& token) {
  if (token.size() != 64) return std::optional<Session>();
  std::lock_guard l(impl_->mu);
  const UtcTime now = impl_->clock.now();
  VIDYUT_TRY(s, impl_->db.stmt(
                    "SELECT csrf, audience, subject, roles, created_ms, expires_ms FROM sessions "
                    "WHERE token_hash = ?"));
  Session out;
  const std::string key = sha256_hex(token);
  {
    Use u(**s);
    u.bind(key);
    VIDYUT_TRY(row, u.step());
    if (!*row) return std::optional<Session>();
    out.csrf = u.text(0);
    out.audience = u.i64(1) == 0 ? Audience::kOperator : Audience::kConsumer;
    out.subject = u.text(2);
    out.roles = Roles(static_cast<std::uint8_t>(u.i64(3)));
    out.created = from_ms(u.i64(4));
    out.expires = from_ms(u.i64(5));
  }
  if (now >= out.expires) {
    VIDYUT_TRY(d, impl_->db.stmt("DELETE FROM sessions WHERE token_hash = ?"));
    Use u(**d);
    u.bind(key);
    VIDYUT_TRY(done, u.step());
    (void)done;
    return std::optional<Session>();
  }
  if (out.audience == Audience::kOperator) {
    VIDYUT_TRY(o, impl_->load_operator(out.subject));
    if (!*o || (*o)->first.disabled) return std::optional<Session>();
  }
  const bool op = out.audience == Audience::kOperator;
  const UtcTime max_end = out.created + (op ? kOperatorMaxAge : kConsumerMaxAge);
  const UtcTime idle_end = std::min(max_end, now + (op ? kOperatorIdle : kConsumerIdle));
  // Extended at most once a minute: a page's burst of requests is one write.
  if (idle_end - out.expires >= Millis(60'000)) {
    VIDYUT_TRY(upd, impl_->db.stmt("UPDATE sessions SET expires_ms = ? WHERE token_hash = ?"));
    Use u(**upd);
    u.bind(to_ms(idle_end)).bind(key);
    VIDYUT_TRY(done, u.step());
    (void)done;
    out.expires = idle_end;
  }
  return std::optional<Session>(out);
}

Status AccessBook::sign_out(const std::string& token) {
  std::optional<Session> s;
  {
    auto found = session(token);
    if (!found.ok()) return found.error();
    s = *found;
  }
  if (!s) return ok_status();
  {
    std::lock_guard l(impl_->mu);
    VIDYUT_TRY(d, impl_->db.stmt("DELETE FROM sessions WHERE token_hash = ?"));
    Use u(**d);
    u.bind(sha256_hex(token));
    VIDYUT_TRY(done, u.step());
    (void)done;
  }
  return impl_->audit(s->actor(), "sign-out", "", "");
}

}  // namespace vidyut::access
