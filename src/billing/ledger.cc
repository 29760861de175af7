#include "billing/ledger.h"

#include <sys/stat.h>

#include <mutex>

#include "core/text.h"
#include "store/sqlite_util.h"

namespace vidyut::billing {
namespace {

using store::sql::exec;
using store::sql::sqlite_error;
using store::sql::Stmt;
using store::sql::Use;

// 2: usage_days.estimated (validated data).
constexpr int kSchemaVersion = 2;

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS accounts ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  consumer_id TEXT NOT NULL UNIQUE,"
    "  meter_serial TEXT NOT NULL,"
    "  meter_id INTEGER NOT NULL,"
    "  tariff_code TEXT NOT NULL,"
    "  sanctioned_load_w INTEGER NOT NULL,"
    "  mode INTEGER NOT NULL,"
    "  opened_ms INTEGER NOT NULL,"
    "  billing_from TEXT NOT NULL,"
    "  grace_until_ms INTEGER NOT NULL,"
    "  last_recharge INTEGER NOT NULL,"
    "  warn_level INTEGER NOT NULL,"
    "  negative_since_ms INTEGER NOT NULL,"
    "  relay_closed INTEGER NOT NULL,"
    "  relay_seq INTEGER NOT NULL,"
    "  relay_command INTEGER NOT NULL,"
    "  relay_confirmed INTEGER NOT NULL,"
    "  posted_through TEXT NOT NULL,"
    "  stated_through TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS txns ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  key TEXT NOT NULL UNIQUE,"
    "  kind TEXT NOT NULL,"
    "  account_id INTEGER NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  effective TEXT NOT NULL,"
    "  tariff TEXT NOT NULL,"
    "  detail TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS txns_by_account ON txns (account_id, kind, effective);"
    "CREATE TABLE IF NOT EXISTS postings ("
    "  txn_id INTEGER NOT NULL REFERENCES txns(id),"
    "  ledger TEXT NOT NULL,"
    "  amount INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS postings_by_txn ON postings (txn_id);"
    "CREATE INDEX IF NOT EXISTS postings_by_ledger ON postings (ledger);"
    "CREATE TABLE IF NOT EXISTS balances (ledger TEXT PRIMARY KEY, amount INTEGER NOT NULL);"
    "CREATE TRIGGER IF NOT EXISTS txns_append_only_u BEFORE UPDATE ON txns BEGIN"
    "  SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS txns_append_only_d BEFORE DELETE ON txns BEGIN"
    "  SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS postings_append_only_u BEFORE UPDATE ON postings BEGIN"
    "  SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS postings_append_only_d BEFORE DELETE ON postings BEGIN"
    "  SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TABLE IF NOT EXISTS recharges ("
    "  payment_ref TEXT PRIMARY KEY,"
    "  account_id INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  channel TEXT NOT NULL,"
    "  txn_id INTEGER NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  reversal_txn_id INTEGER NOT NULL,"
    "  token TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS tokens ("
    "  meter_serial TEXT NOT NULL,"
    "  sequence INTEGER NOT NULL,"
    "  account_id INTEGER NOT NULL,"
    "  amount_rupees INTEGER NOT NULL,"
    "  payment_ref TEXT NOT NULL,"
    "  issued_ms INTEGER NOT NULL,"
    "  state TEXT NOT NULL,"
    "  applied_ms INTEGER NOT NULL,"
    "  reconciled_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (meter_serial, sequence));"
    "CREATE INDEX IF NOT EXISTS tokens_by_state ON tokens (state);"
    "CREATE TABLE IF NOT EXISTS usage_days ("
    "  account_id INTEGER NOT NULL,"
    "  day TEXT NOT NULL,"
    "  wh INTEGER NOT NULL,"
    "  b0 INTEGER NOT NULL, b1 INTEGER NOT NULL, b2 INTEGER NOT NULL,"
    "  b3 INTEGER NOT NULL, b4 INTEGER NOT NULL, b5 INTEGER NOT NULL,"
    "  max_interval_wh INTEGER NOT NULL,"
    "  intervals INTEGER NOT NULL,"
    "  estimated INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (account_id, day)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS statements ("
    "  account_id INTEGER NOT NULL,"
    "  month TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  bill_total INTEGER NOT NULL,"
    "  posted INTEGER NOT NULL,"
    "  adjustment INTEGER NOT NULL,"
    "  txn_id INTEGER NOT NULL,"
    "  issued_ms INTEGER NOT NULL,"
    "  html TEXT NOT NULL,"
    "  PRIMARY KEY (account_id, month, kind));"
    "CREATE TABLE IF NOT EXISTS notifications ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  account_id INTEGER NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  text TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS notifications_by_account ON notifications (account_id);";

std::int64_t ms(UtcTime t) { return t.time_since_epoch().count(); }
UtcTime at_ms(std::int64_t v) { return UtcTime(Millis(v)); }

UsageDay read_usage(Use& u) {
  UsageDay d;
  d.account_id = u.i64(0);
  d.day = u.text(1);
  d.wh = u.i64(2);
  d.wh_by_block.resize(kMaxTodBlocks);
  for (std::size_t i = 0; i < kMaxTodBlocks; ++i) d.wh_by_block[i] = u.i64(3 + static_cast<int>(i));
  d.max_interval_wh = u.i64(9);
  d.intervals = u.i64(10);
  d.estimated = u.i64(11);
  return d;
}

Status check_length(const std::string& s, std::size_t limit, const char* what) {
  if (s.size() > limit) {
    return Error(Errc::kLimitExceeded,
                 std::string(what) + " exceeds " + std::to_string(limit) + " characters");
  }
  return ok_status();
}

Status check_txn(const Txn& t) {
  if (t.key.empty()) return Error(Errc::kInvalidArgument, "ledger: a transaction needs a key");
  VIDYUT_CHECK(check_length(t.key, kMaxRefLength, "transaction key"));
  VIDYUT_CHECK(check_length(t.detail, kMaxTextLength * 4, "transaction detail"));
  if (t.postings.empty() || t.postings.size() > kMaxPostings) {
    return Error(Errc::kInvalidArgument, "ledger: transaction " + t.key + " has " +
                                             std::to_string(t.postings.size()) + " postings (1.." +
                                             std::to_string(kMaxPostings) + ")");
  }
  tariff::Int128 sum = 0;
  for (const auto& p : t.postings) {
    if (p.ledger.empty()) return Error(Errc::kInvalidArgument, "ledger: a posting needs a ledger");
    VIDYUT_CHECK(check_length(p.ledger, kMaxRefLength, "ledger name"));
    sum += p.amount;
  }
  if (sum != 0) {
    return Error(Errc::kInvalidArgument,
                 "ledger: transaction " + t.key + " does not balance (postings sum to " +
                     std::to_string(static_cast<std::int64_t>(sum)) + " paise)");
  }
  return ok_status();
}

constexpr const char* kAccountCols =
    "id, consumer_id, meter_serial, meter_id, tariff_code, sanctioned_load_w, mode, opened_ms,"
    " billing_from, grace_until_ms, last_recharge, warn_level, negative_since_ms, relay_closed,"
    " relay_seq, relay_command, relay_confirmed, posted_through, stated_through";

Account read_account(Use& u) {
  Account a;
  a.id = u.i64(0);
  a.consumer_id = u.text(1);
  a.meter_serial = u.text(2);
  a.meter_id = u.i64(3);
  a.tariff_code = u.text(4);
  a.sanctioned_load_w = static_cast<std::uint32_t>(u.i64(5));
  a.mode = u.i64(6) == 0 ? PaymentMode::kPrepaid : PaymentMode::kPostpaid;
  a.opened = at_ms(u.i64(7));
  a.billing_from = u.text(8);
  a.grace_until = at_ms(u.i64(9));
  a.last_recharge = u.i64(10);
  a.warn_level = static_cast<int>(u.i64(11));
  a.negative_since = at_ms(u.i64(12));
  a.relay_closed = u.i64(13) != 0;
  a.relay_seq = u.i64(14);
  a.relay_command = u.i64(15);
  a.relay_confirmed = u.i64(16) != 0;
  a.posted_through = u.text(17);
  a.stated_through = u.text(18);
  return a;
}

constexpr const char* kTxnCols = "id, key, kind, account_id, at_ms, effective, tariff, detail";
Txn read_txn(Use& u) {
  Txn t;
  t.id = u.i64(0);
  t.key = u.text(1);
  t.kind = u.text(2);
  t.account_id = u.i64(3);
  t.at = at_ms(u.i64(4));
  t.effective = u.text(5);
  t.tariff = u.text(6);
  t.detail = u.text(7);
  return t;
}

constexpr const char* kTokenCols =
    "meter_serial, sequence, account_id, amount_rupees, payment_ref, issued_ms, state, "
    "applied_ms, reconciled_ms";
TokenRow read_token(Use& u) {
  TokenRow t;
  t.meter_serial = u.text(0);
  t.sequence = static_cast<std::uint32_t>(u.i64(1));
  t.account_id = u.i64(2);
  t.amount_rupees = static_cast<std::uint32_t>(u.i64(3));
  t.payment_ref = u.text(4);
  t.issued = at_ms(u.i64(5));
  t.state = u.text(6);
  t.applied = at_ms(u.i64(7));
  t.reconciled = at_ms(u.i64(8));
  return t;
}

constexpr const char* kStatementCols =
    "account_id, month, kind, bill_total, posted, adjustment, txn_id, issued_ms, html";
Statement read_statement(Use& u) {
  Statement s;
  s.account_id = u.i64(0);
  s.month = u.text(1);
  s.kind = u.text(2);
  s.bill_total = u.i64(3);
  s.posted = u.i64(4);
  s.adjustment = u.i64(5);
  s.txn_id = u.i64(6);
  s.issued = at_ms(u.i64(7));
  s.html = u.text(8);
  return s;
}

Notification read_notification(Use& u) {
  Notification n;
  n.id = u.i64(0);
  n.account_id = u.i64(1);
  n.at = at_ms(u.i64(2));
  n.kind = u.text(3);
  n.text = u.text(4);
  return n;
}

}  // namespace

class BillingDb::Impl {
 public:
  ~Impl() {
    stmts_.clear();
    if (db_ != nullptr) sqlite3_close(db_);
  }

  Status open(const std::filesystem::path& dir) {
    const auto path = dir / "billing.db";
    VIDYUT_CHECK(store::sql::open_durable(dir.string(), "billing.db", &db_));
    for (const char* suffix : {"", "-wal", "-shm"}) {  // the owner's alone (money and tokens)
      (void)::chmod((path.string() + suffix).c_str(), 0600);
    }
    VIDYUT_CHECK(exec(db_, "BEGIN IMMEDIATE", "begin"));
    auto version = meta_version();
    if (!version.ok()) {
      (void)exec(db_, "ROLLBACK", "rollback");
      return version.error();
    }
    if (*version > kSchemaVersion) {
      (void)exec(db_, "ROLLBACK", "rollback");
      return Error(Errc::kUnsupported, path.string() + " has billing schema " +
                                           std::to_string(*version) + "; this build knows " +
                                           std::to_string(kSchemaVersion) + " (upgrade vidyut)");
    }
    Status s = ok_status();
    if (*version == 1) {
      s = exec(db_, "ALTER TABLE usage_days ADD COLUMN estimated INTEGER NOT NULL DEFAULT 0",
               "migrate billing schema to 2");
    }
    if (s.ok()) s = exec(db_, kSchema, "create billing schema");
    // Tokens are not kept in clear at rest: a recharge records its token's sequence only (the
    // digits are computed again from the meter's key). Older files are converted here.
    if (s.ok()) {
      s = exec(db_,
               "UPDATE recharges SET token = 'sequence ' || (SELECT t.sequence FROM tokens t "
               "WHERE t.payment_ref = recharges.payment_ref) WHERE length(token) = 20 AND "
               "EXISTS (SELECT 1 FROM tokens t WHERE t.payment_ref = recharges.payment_ref)",
               "keep no token digits at rest");
    }
    if (s.ok()) {
      s = exec(db_,
               ("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', '" +
                std::to_string(kSchemaVersion) + "')")
                   .c_str(),
               "schema version");
    }
    if (!s.ok()) {
      (void)exec(db_, "ROLLBACK", "rollback");
      return s;
    }
    return exec(db_, "COMMIT", "commit");
  }

  Result<int> meta_version() {
    VIDYUT_CHECK(exec(db_,
                      "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                      "meta"));
    VIDYUT_TRY(s, stmt("SELECT value FROM meta WHERE key = 'schema'"));
    Use u(**s);
    VIDYUT_TRY(row, u.step());
    if (!*row) return 0;
    return std::stoi(u.text(0));
  }

  // Prepared statements are cached by SQL text.
  Result<Stmt*> stmt(const std::string& sql) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) return it->second.get();
    auto s = std::make_unique<Stmt>();
    VIDYUT_CHECK(s->prepare(db_, sql));
    return stmts_.emplace(sql, std::move(s)).first->second.get();
  }

  Status fault() {
    if (fail_after_ > 0 && --fail_after_ == 0) {
      return Error(Errc::kIo, "billing db: injected failure (test seam)");
    }
    return ok_status();
  }

  // Runs a statement to completion with bound values.
  template <typename Bind>
  Status run(const std::string& sql, Bind&& bind) {
    VIDYUT_CHECK(fault());
    VIDYUT_TRY(s, stmt(sql));
    Use u(**s);
    bind(u);
    VIDYUT_TRY(row, u.step());
    (void)row;
    return ok_status();
  }

  Status begin() { return exec(db_, "BEGIN IMMEDIATE", "begin"); }
  Status commit() { return exec(db_, "COMMIT", "commit"); }
  void rollback() { (void)exec(db_, "ROLLBACK", "rollback"); }

  Result<std::optional<std::int64_t>> txn_id_by_key(const std::string& key) {
    VIDYUT_TRY(s, stmt("SELECT id FROM txns WHERE key = ?"));
    Use u(**s);
    u.bind(key);
    VIDYUT_TRY(row, u.step());
    if (!*row) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(u.i64(0));
  }

  Status write_account(const Account& a) {
    return run(
        "UPDATE accounts SET meter_serial=?, meter_id=?, tariff_code=?, sanctioned_load_w=?, "
        "mode=?, billing_from=?, grace_until_ms=?, last_recharge=?, warn_level=?, "
        "negative_since_ms=?, relay_closed=?, relay_seq=?, relay_command=?, relay_confirmed=?, "
        "posted_through=?, stated_through=? WHERE id=?",
        [&](Use& u) {
          u.bind(a.meter_serial)
              .bind(a.meter_id)
              .bind(a.tariff_code)
              .bind(static_cast<std::int64_t>(a.sanctioned_load_w))
              .bind(static_cast<std::int64_t>(a.mode == PaymentMode::kPrepaid ? 0 : 1))
              .bind(a.billing_from)
              .bind(ms(a.grace_until))
              .bind(a.last_recharge)
              .bind(static_cast<std::int64_t>(a.warn_level))
              .bind(ms(a.negative_since))
              .bind(static_cast<std::int64_t>(a.relay_closed))
              .bind(a.relay_seq)
              .bind(a.relay_command)
              .bind(static_cast<std::int64_t>(a.relay_confirmed))
              .bind(a.posted_through)
              .bind(a.stated_through)
              .bind(a.id);
        });
  }

  // One change inside an open transaction.
  Result<ApplyResult> apply_one(const Change& c) {
    ApplyResult r;
    if (c.txn) {
      VIDYUT_CHECK(check_txn(*c.txn));
      VIDYUT_TRY(existing, txn_id_by_key(c.txn->key));
      if (*existing) {
        r.txn_id = **existing;
        r.duplicate = true;
        return r;
      }
      const Txn& t = *c.txn;
      VIDYUT_CHECK(
          run("INSERT INTO txns (key, kind, account_id, at_ms, effective, tariff, detail) VALUES "
              "(?,?,?,?,?,?,?)",
              [&](Use& u) {
                u.bind(t.key)
                    .bind(t.kind)
                    .bind(t.account_id)
                    .bind(ms(t.at))
                    .bind(t.effective)
                    .bind(t.tariff)
                    .bind(t.detail);
              }));
      r.txn_id = sqlite3_last_insert_rowid(db_);
      for (const auto& p : t.postings) {
        VIDYUT_CHECK(run("INSERT INTO postings (txn_id, ledger, amount) VALUES (?,?,?)",
                         [&](Use& u) { u.bind(r.txn_id).bind(p.ledger).bind(p.amount); }));
        VIDYUT_CHECK(run(
            "INSERT INTO balances (ledger, amount) VALUES (?, ?) ON CONFLICT (ledger) DO UPDATE "
            "SET amount = amount + excluded.amount",
            [&](Use& u) { u.bind(p.ledger).bind(p.amount); }));
      }
    }
    if (c.recharge) {
      const Recharge& x = *c.recharge;
      VIDYUT_CHECK(check_length(x.payment_ref, kMaxRefLength, "payment reference"));
      VIDYUT_CHECK(
          run("INSERT INTO recharges (payment_ref, account_id, amount, channel, txn_id, at_ms, "
              "reversal_txn_id, token) VALUES (?,?,?,?,?,?,0,?)",
              [&](Use& u) {
                u.bind(x.payment_ref)
                    .bind(x.account_id)
                    .bind(x.amount)
                    .bind(x.channel)
                    .bind(r.txn_id)
                    .bind(ms(x.at))
                    .bind(x.token);
              }));
    }
    if (c.reverse_ref) {
      VIDYUT_CHECK(run("UPDATE recharges SET reversal_txn_id = ? WHERE payment_ref = ?",
                       [&](Use& u) { u.bind(r.txn_id).bind(*c.reverse_ref); }));
    }
    for (const auto& a : c.accounts) VIDYUT_CHECK(write_account(a));
    for (const auto& t : c.tokens) {
      VIDYUT_CHECK(
          run(std::string("INSERT INTO tokens (") + kTokenCols +
                  ") VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (meter_serial, sequence) DO UPDATE SET "
                  "state=excluded.state, applied_ms=excluded.applied_ms, "
                  "reconciled_ms=excluded.reconciled_ms",
              [&](Use& u) {
                u.bind(t.meter_serial)
                    .bind(static_cast<std::int64_t>(t.sequence))
                    .bind(t.account_id)
                    .bind(static_cast<std::int64_t>(t.amount_rupees))
                    .bind(t.payment_ref)
                    .bind(ms(t.issued))
                    .bind(t.state)
                    .bind(ms(t.applied))
                    .bind(ms(t.reconciled));
              }));
    }
    for (const auto& d : c.usage) {
      if (d.wh_by_block.size() > kMaxTodBlocks) {
        return Error(Errc::kLimitExceeded,
                     "usage: more than " + std::to_string(kMaxTodBlocks) + " ToD blocks");
      }
      VIDYUT_CHECK(
          run("INSERT OR REPLACE INTO usage_days (account_id, day, wh, b0, b1, b2, b3, b4, b5, "
              "max_interval_wh, intervals, estimated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
              [&](Use& u) {
                u.bind(d.account_id).bind(d.day).bind(d.wh);
                for (std::size_t i = 0; i < kMaxTodBlocks; ++i) {
                  u.bind(i < d.wh_by_block.size() ? d.wh_by_block[i] : 0);
                }
                u.bind(d.max_interval_wh).bind(d.intervals).bind(d.estimated);
              }));
    }
    for (const auto& s : c.statements) {
      VIDYUT_CHECK(run(
          std::string("INSERT INTO statements (") + kStatementCols + ") VALUES (?,?,?,?,?,?,?,?,?)",
          [&](Use& u) {
            u.bind(s.account_id)
                .bind(s.month)
                .bind(s.kind)
                .bind(s.bill_total)
                .bind(s.posted)
                .bind(s.adjustment)
                .bind(s.txn_id != 0 ? s.txn_id : r.txn_id)
                .bind(ms(s.issued))
                .bind(s.html);
          }));
    }
    for (const auto& n : c.notifications) {
      VIDYUT_CHECK(check_length(n.text, kMaxTextLength, "notification text"));
      VIDYUT_CHECK(
          run("INSERT INTO notifications (account_id, at_ms, kind, text) VALUES (?,?,?,?)",
              [&](Use& u) { u.bind(n.account_id).bind(ms(n.at)).bind(n.kind).bind(n.text); }));
    }
    return r;
  }

  Result<std::vector<ApplyResult>> apply_all(const std::vector<Change>& changes) {
    std::lock_guard lock(mu_);
    VIDYUT_CHECK(begin());
    std::vector<ApplyResult> out;
    out.reserve(changes.size());
    for (const auto& c : changes) {
      auto r = apply_one(c);
      if (!r.ok()) {
        rollback();
        return r.error();
      }
      out.push_back(*r);
    }
    if (auto s = fault(); !s.ok()) {
      rollback();
      return s.error();
    }
    if (auto s = commit(); !s.ok()) {
      rollback();
      return s.error();
    }
    return out;
  }

  template <typename T, typename Read, typename Bind>
  Result<std::vector<T>> list(const std::string& sql, Bind&& bind, Read&& read) {
    std::lock_guard lock(mu_);
    VIDYUT_TRY(s, stmt(sql));
    Use u(**s);
    bind(u);
    std::vector<T> out;
    while (true) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      out.push_back(read(u));
    }
    return out;
  }

  std::mutex mu_;
  sqlite3* db_ = nullptr;
  std::map<std::string, std::unique_ptr<Stmt>> stmts_;
  std::int64_t fail_after_ = 0;
};

BillingDb::BillingDb() : impl_(std::make_unique<Impl>()) {}

Result<std::string> BillingDb::meta_or_set(std::string_view key, std::string_view value) {
  VIDYUT_CHECK(check_text("billing meta key", key, 64));
  VIDYUT_CHECK(check_text("billing meta value", value, 256));
  if (key.empty()) return Error(Errc::kInvalidArgument, "billing meta: empty key");
  const std::string k = "bind:" + std::string(key);
  {
    std::lock_guard lock(impl_->mu_);
    VIDYUT_CHECK(impl_->run("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                            [&](Use& u) { u.bind(k).bind(value); }));
  }
  VIDYUT_TRY(v, impl_->list<std::string>(
                    "SELECT value FROM meta WHERE key = ?", [&](Use& u) { u.bind(k); },
                    [](Use& u) { return u.text(0); }));
  if (v->empty()) return Error(Errc::kInternal, "billing meta: the value just stored is missing");
  return v->front();
}

Status BillingDb::set_meta(std::string_view key, std::string_view value) {
  VIDYUT_CHECK(check_text("billing meta key", key, 64));
  VIDYUT_CHECK(check_text("billing meta value", value, 256));
  if (key.empty()) return Error(Errc::kInvalidArgument, "billing meta: empty key");
  const std::string k = "bind:" + std::string(key);
  std::lock_guard lock(impl_->mu_);
  return impl_->run("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    [&](Use& u) { u.bind(k).bind(value); });
}
BillingDb::~BillingDb() = default;

Result<std::unique_ptr<BillingDb>> BillingDb::open(const std::filesystem::path& dir) {
  std::unique_ptr<BillingDb> db(new BillingDb());
  VIDYUT_CHECK(db->impl_->open(dir));
  return db;
}

void BillingDb::fail_after_statements(std::int64_t n) {
  std::lock_guard lock(impl_->mu_);
  impl_->fail_after_ = n;
}

Result<std::vector<Account>> BillingDb::upsert_accounts(const std::vector<Account>& accounts) {
  {
    std::lock_guard lock(impl_->mu_);
    auto& m = *impl_;
    VIDYUT_CHECK(m.begin());
    for (const auto& a : accounts) {
      Status s = check_text("billing: the consumer id", a.consumer_id, kMaxRefLength);
      if (s.ok() && a.consumer_id.empty()) {
        s = Error(Errc::kInvalidArgument, "billing: an account needs a consumer id");
      }
      if (s.ok()) {
        s = m.run(
            std::string("INSERT INTO accounts (") + kAccountCols +
                ") VALUES (NULL,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (consumer_id) DO "
                "UPDATE SET meter_serial=excluded.meter_serial, meter_id=excluded.meter_id, "
                "sanctioned_load_w=excluded.sanctioned_load_w",
            [&](Use& u) {
              u.bind(a.consumer_id)
                  .bind(a.meter_serial)
                  .bind(a.meter_id)
                  .bind(a.tariff_code)
                  .bind(static_cast<std::int64_t>(a.sanctioned_load_w))
                  .bind(static_cast<std::int64_t>(a.mode == PaymentMode::kPrepaid ? 0 : 1))
                  .bind(ms(a.opened))
                  .bind(a.billing_from)
                  .bind(ms(a.grace_until))
                  .bind(a.last_recharge)
                  .bind(static_cast<std::int64_t>(a.warn_level))
                  .bind(ms(a.negative_since))
                  .bind(static_cast<std::int64_t>(a.relay_closed))
                  .bind(a.relay_seq)
                  .bind(a.relay_command)
                  .bind(static_cast<std::int64_t>(a.relay_confirmed))
                  .bind(a.posted_through)
                  .bind(a.stated_through);
            });
      }
      if (!s.ok()) {
        m.rollback();
        return s.error();
      }
    }
    if (auto s = m.commit(); !s.ok()) {
      m.rollback();
      return s.error();
    }
  }
  return this->accounts();
}

Result<std::vector<Account>> BillingDb::accounts() {
  return impl_->list<Account>(
      std::string("SELECT ") + kAccountCols + " FROM accounts ORDER BY id", [](Use&) {},
      read_account);
}

Result<std::optional<Account>> BillingDb::account(std::string_view consumer_id) {
  VIDYUT_TRY(v, impl_->list<Account>(
                    std::string("SELECT ") + kAccountCols + " FROM accounts WHERE consumer_id = ?",
                    [&](Use& u) { u.bind(consumer_id); }, read_account));
  if (v->empty()) return std::optional<Account>();
  return std::optional<Account>(v->front());
}

Result<ApplyResult> BillingDb::apply(const Change& change) {
  VIDYUT_TRY(r, impl_->apply_all({change}));
  return r->front();
}

Result<std::vector<ApplyResult>> BillingDb::apply_all(const std::vector<Change>& changes) {
  return impl_->apply_all(changes);
}

Result<std::optional<Txn>> BillingDb::txn_by_key(std::string_view key) {
  VIDYUT_TRY(v, impl_->list<Txn>(
                    std::string("SELECT ") + kTxnCols + " FROM txns WHERE key = ?",
                    [&](Use& u) { u.bind(key); }, read_txn));
  if (v->empty()) return std::optional<Txn>();
  Txn t = v->front();
  VIDYUT_TRY(p, impl_->list<Posting>(
                    "SELECT ledger, amount FROM postings WHERE txn_id = ? ORDER BY rowid",
                    [&](Use& u) { u.bind(t.id); },
                    [](Use& u) {
                      return Posting{u.text(0), u.i64(1)};
                    }));
  t.postings = std::move(*p);
  return std::optional<Txn>(std::move(t));
}

Result<std::vector<Txn>> BillingDb::txns(std::int64_t account_id, std::size_t limit) {
  VIDYUT_TRY(v, impl_->list<Txn>(
                    // The newest `limit`, oldest first.
                    std::string("SELECT * FROM (SELECT ") + kTxnCols +
                        " FROM txns WHERE account_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
                    [&](Use& u) {
                      u.bind(account_id).bind(static_cast<std::int64_t>(std::min(limit, kMaxList)));
                    },
                    read_txn));
  for (auto& t : *v) {
    VIDYUT_TRY(p, impl_->list<Posting>(
                      "SELECT ledger, amount FROM postings WHERE txn_id = ? ORDER BY rowid",
                      [&](Use& u) { u.bind(t.id); },
                      [](Use& u) {
                        return Posting{u.text(0), u.i64(1)};
                      }));
    t.postings = std::move(*p);
  }
  return std::move(*v);
}

Result<std::vector<Txn>> BillingDb::txns_after(std::int64_t after_id, std::size_t limit) {
  return impl_->list<Txn>(
      std::string("SELECT ") + kTxnCols + " FROM txns WHERE id > ? ORDER BY id LIMIT ?",
      [&](Use& u) { u.bind(after_id).bind(static_cast<std::int64_t>(std::min(limit, kMaxList))); },
      read_txn);
}

Result<std::int64_t> BillingDb::last_txn_id() {
  VIDYUT_TRY(v, impl_->list<std::int64_t>(
                    "SELECT COALESCE(MAX(id), 0) FROM txns", [](Use&) {},
                    [](Use& u) { return u.i64(0); }));
  return v->front();
}

Result<std::optional<Recharge>> BillingDb::recharge(std::string_view payment_ref) {
  VIDYUT_TRY(v, impl_->list<Recharge>(
                    "SELECT payment_ref, account_id, amount, channel, txn_id, at_ms, "
                    "reversal_txn_id, token FROM recharges WHERE payment_ref = ?",
                    [&](Use& u) { u.bind(payment_ref); },
                    [](Use& u) {
                      Recharge r;
                      r.payment_ref = u.text(0);
                      r.account_id = u.i64(1);
                      r.amount = u.i64(2);
                      r.channel = u.text(3);
                      r.txn_id = u.i64(4);
                      r.at = at_ms(u.i64(5));
                      r.reversal_txn_id = u.i64(6);
                      r.token = u.text(7);
                      return r;
                    }));
  if (v->empty()) return std::optional<Recharge>();
  return std::optional<Recharge>(v->front());
}

Result<Paise> BillingDb::ledger_sum(std::string_view ledger) {
  VIDYUT_TRY(v, impl_->list<Paise>(
                    "SELECT COALESCE(SUM(amount), 0) FROM balances WHERE ledger = ?",
                    [&](Use& u) { u.bind(ledger); }, [](Use& u) { return u.i64(0); }));
  return v->front();
}

Result<std::map<std::string, Paise>> BillingDb::ledger_sums() {
  using Pair = std::pair<std::string, Paise>;
  VIDYUT_TRY(v, impl_->list<Pair>(
                    "SELECT ledger, amount FROM balances ORDER BY ledger", [](Use&) {},
                    [](Use& u) { return std::pair<std::string, Paise>(u.text(0), u.i64(1)); }));
  return std::map<std::string, Paise>(v->begin(), v->end());
}

Result<std::map<std::string, Paise>> BillingDb::sums_by_ledger(std::int64_t account_id,
                                                               std::string_view kind,
                                                               std::string_view prefix) {
  using Pair = std::pair<std::string, Paise>;
  VIDYUT_TRY(v, impl_->list<Pair>(
                    "SELECT p.ledger, SUM(p.amount) FROM txns t JOIN postings p ON p.txn_id = t.id "
                    "WHERE t.account_id = ? AND t.kind = ? AND substr(t.effective, 1, ?) = ? "
                    "GROUP BY p.ledger",
                    [&](Use& u) {
                      u.bind(account_id)
                          .bind(kind)
                          .bind(static_cast<std::int64_t>(prefix.size()))
                          .bind(prefix);
                    },
                    [](Use& u) { return std::pair<std::string, Paise>(u.text(0), u.i64(1)); }));
  return std::map<std::string, Paise>(v->begin(), v->end());
}

Result<std::vector<UsageDay>> BillingDb::usage(std::int64_t account_id, std::string_view from_day,
                                               std::string_view to_day) {
  return impl_->list<UsageDay>(
      "SELECT account_id, day, wh, b0, b1, b2, b3, b4, b5, max_interval_wh, intervals, "
      "estimated FROM usage_days WHERE account_id = ? AND day >= ? AND day <= ? ORDER BY day",
      [&](Use& u) { u.bind(account_id).bind(from_day).bind(to_day); }, read_usage);
}

Result<std::map<std::int64_t, UsageDay>> BillingDb::usage_totals(std::string_view from_day,
                                                                 std::string_view to_day) {
  VIDYUT_TRY(v, impl_->list<UsageDay>(
                    "SELECT account_id, MAX(day), SUM(wh), SUM(b0), SUM(b1), SUM(b2), SUM(b3), "
                    "SUM(b4), SUM(b5), MAX(max_interval_wh), SUM(intervals), SUM(estimated) "
                    "FROM usage_days "
                    "WHERE day >= ? AND day <= ? GROUP BY account_id",
                    [&](Use& u) { u.bind(from_day).bind(to_day); }, read_usage));
  std::map<std::int64_t, UsageDay> out;
  for (auto& d : *v) out.emplace(d.account_id, std::move(d));
  return out;
}

namespace {

using PostingSums = std::map<std::int64_t, std::map<std::string, Paise>>;
struct PostingSum {
  std::int64_t account;
  std::string ledger;
  Paise sum;
};
// Every account's postings summed by account and ledger, over the transactions `where` selects.
std::string posting_sums_sql(const char* where) {
  return std::string(
             "SELECT t.account_id, p.ledger, SUM(p.amount) FROM txns t JOIN postings p ON "
             "p.txn_id = t.id WHERE ") +
         where + " GROUP BY t.account_id, p.ledger";
}
PostingSum read_posting_sum(Use& u) { return PostingSum{u.i64(0), u.text(1), u.i64(2)}; }
PostingSums by_account(const std::vector<PostingSum>& rows) {
  PostingSums out;
  for (const auto& r : rows) out[r.account][r.ledger] = r.sum;
  return out;
}

}  // namespace

Result<PostingSums> BillingDb::postings_by_account(std::string_view kind, std::string_view prefix) {
  VIDYUT_TRY(v, impl_->list<PostingSum>(
                    posting_sums_sql("t.kind = ? AND substr(t.effective, 1, ?) = ?"),
                    [&](Use& u) {
                      u.bind(kind).bind(static_cast<std::int64_t>(prefix.size())).bind(prefix);
                    },
                    read_posting_sum));
  return by_account(*v);
}

Result<PostingSums> BillingDb::postings_by_account_between(std::string_view kind,
                                                           std::string_view from,
                                                           std::string_view to) {
  VIDYUT_TRY(
      v, impl_->list<PostingSum>(
             posting_sums_sql("(? = '' OR t.kind = ?) AND t.effective >= ? AND t.effective <= ?"),
             [&](Use& u) { u.bind(kind).bind(kind).bind(from).bind(to); }, read_posting_sum));
  return by_account(*v);
}

Result<PostingSums> BillingDb::postings_by_account_through(std::string_view day,
                                                           std::string_view last_month) {
  VIDYUT_TRY(v, impl_->list<PostingSum>(
                    posting_sums_sql("(length(t.effective) = 10 AND t.effective <= ?) OR "
                                     "(length(t.effective) = 7 AND t.effective <= ?)"),
                    [&](Use& u) { u.bind(day).bind(last_month); }, read_posting_sum));
  return by_account(*v);
}

Result<std::vector<TokenRow>> BillingDb::tokens(std::string_view state) {
  return impl_->list<TokenRow>(
      std::string("SELECT ") + kTokenCols + " FROM tokens WHERE state = ? ORDER BY issued_ms",
      [&](Use& u) { u.bind(state); }, read_token);
}

Result<std::vector<TokenRow>> BillingDb::tokens_of(std::string_view serial) {
  return impl_->list<TokenRow>(
      std::string("SELECT ") + kTokenCols + " FROM tokens WHERE meter_serial = ? ORDER BY sequence",
      [&](Use& u) { u.bind(serial); }, read_token);
}

Result<std::uint32_t> BillingDb::next_token_sequence(std::string_view serial) {
  VIDYUT_TRY(v, impl_->list<std::int64_t>(
                    "SELECT COALESCE(MAX(sequence), 0) FROM tokens WHERE meter_serial = ? AND "
                    "payment_ref != ''",
                    [&](Use& u) { u.bind(serial); }, [](Use& u) { return u.i64(0); }));
  return static_cast<std::uint32_t>(v->front() + 1);
}

Result<std::vector<Statement>> BillingDb::statements(std::int64_t account_id) {
  return impl_->list<Statement>(
      std::string("SELECT ") + kStatementCols +
          " FROM statements WHERE account_id = ? ORDER BY month, kind",
      [&](Use& u) { u.bind(account_id); }, read_statement);
}

Result<std::optional<Statement>> BillingDb::statement(std::int64_t account_id,
                                                      std::string_view month,
                                                      std::string_view kind) {
  VIDYUT_TRY(v, impl_->list<Statement>(
                    std::string("SELECT ") + kStatementCols +
                        " FROM statements WHERE account_id = ? AND month = ? AND kind = ?",
                    [&](Use& u) { u.bind(account_id).bind(month).bind(kind); }, read_statement));
  if (v->empty()) return std::optional<Statement>();
  return std::optional<Statement>(v->front());
}

Result<std::vector<Notification>> BillingDb::notifications_after(std::int64_t after_id,
                                                                 std::size_t limit) {
  return impl_->list<Notification>(
      "SELECT id, account_id, at_ms, kind, text FROM notifications WHERE id > ? ORDER BY id "
      "LIMIT ?",
      [&](Use& u) { u.bind(after_id).bind(static_cast<std::int64_t>(std::min(limit, kMaxList))); },
      read_notification);
}

Result<std::vector<Notification>> BillingDb::notifications_of(std::int64_t account_id) {
  return impl_->list<Notification>(
      "SELECT id, account_id, at_ms, kind, text FROM notifications WHERE account_id = ? ORDER BY "
      "id",
      [&](Use& u) { u.bind(account_id); }, read_notification);
}

Status BillingDb::verify() {
  using Pair = std::pair<std::string, Paise>;
  VIDYUT_TRY(
      unbalanced,
      impl_->list<Pair>(
          "SELECT t.key, SUM(p.amount) FROM txns t JOIN postings p ON "
          "p.txn_id = t.id GROUP BY t.id HAVING SUM(p.amount) != 0 LIMIT 1",
          [](Use&) {}, [](Use& u) { return std::pair<std::string, Paise>(u.text(0), u.i64(1)); }));
  if (!unbalanced->empty()) {
    return Error(Errc::kInternal, "ledger: transaction " + unbalanced->front().first + " sums to " +
                                      std::to_string(unbalanced->front().second));
  }
  VIDYUT_TRY(drift, impl_->list<std::string>(
                        "SELECT b.ledger FROM balances b LEFT JOIN (SELECT ledger, SUM(amount) AS "
                        "s FROM postings GROUP BY ledger) p ON p.ledger = b.ledger WHERE "
                        "COALESCE(p.s, 0) != b.amount LIMIT 1",
                        [](Use&) {}, [](Use& u) { return u.text(0); }));
  if (!drift->empty()) {
    return Error(Errc::kInternal,
                 "ledger: cached balance of " + drift->front() + " differs from its postings");
  }
  VIDYUT_TRY(total, impl_->list<Paise>(
                        "SELECT COALESCE(SUM(amount), 0) FROM postings", [](Use&) {},
                        [](Use& u) { return u.i64(0); }));
  if (total->front() != 0) {
    return Error(Errc::kInternal,
                 "ledger: all postings sum to " + std::to_string(total->front()) + ", not 0");
  }
  return ok_status();
}

}  // namespace vidyut::billing
