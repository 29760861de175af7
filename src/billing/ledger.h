// BillingDb: the billing engine's own database (billing.db in the data directory, SQLite):
// accounts, the double-entry ledger, recharges, tokens, daily usage, statements, notifications.
//
// The ledger is append-only (triggers refuse UPDATE and DELETE of transactions and postings) and
// double-entry: every transaction's postings sum to zero, checked before it is written. Every
// write method below is one SQLite transaction (all or nothing, durable on return: WAL with
// synchronous=FULL), so money is conserved across a crash at any instant; an idempotency key on
// every transaction makes a retried call a no-op that returns the first result.
//
// Sign convention: a posting's amount is in paise, debit positive, credit negative. A consumer's
// prepaid wallet ("wallet:<consumer>") is a liability, so the consumer's balance is minus the sum
// of its postings; "receivable:<consumer>" (postpaid dues) and "arrears:<consumer>" are assets.
// Other ledgers: "cash:<channel>", "revenue:energy", "revenue:fixed", "revenue:penalty",
// "duty:payable", "rebate:prepaid", "adjustment".
//
// Thread-safety: one connection behind a mutex; safe from several threads. Several processes may
// open one file (SQLite locking; a busy timeout waits for the other writer).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "tariff/tariff.h"

namespace vidyut::billing {

using tariff::Paise;
using tariff::PaymentMode;

// Named limits.
inline constexpr std::size_t kMaxRefLength = 128;  // payment references, idempotency keys
inline constexpr std::size_t kMaxTextLength = 4'096;
inline constexpr std::size_t kMaxPostings = 32;   // per transaction
inline constexpr std::size_t kMaxList = 100'000;  // rows per listing call
inline constexpr std::size_t kMaxTodBlocks = 6;   // ToD blocks per season that usage keeps

struct Account {
  std::int64_t id = 0;  // assigned by the db
  std::string consumer_id;
  std::string meter_serial;
  std::int64_t meter_id = 0;  // the head-end store's meter id
  std::string tariff_code;
  std::uint32_t sanctioned_load_w = 0;
  PaymentMode mode = PaymentMode::kPrepaid;
  UtcTime opened{};
  // Charges of the current mode start on this IST date (opening, or conversion to prepaid).
  std::string billing_from;  // YYYY-MM-DD
  UtcTime grace_until{};     // no disconnection before (grace after conversion)
  // Operational state of the prepaid rules (not money; the ledger holds the money).
  Paise last_recharge = 0;
  int warn_level = 0;              // low-balance warnings sent since the last recharge
  UtcTime negative_since{};        // epoch: balance not negative
  bool relay_closed = true;        // the relay state billing wants
  std::int64_t relay_seq = 0;      // increases with every relay decision
  std::int64_t relay_command = 0;  // head-end command id of the latest decision (0 none)
  bool relay_confirmed = true;     // that command succeeded
  std::string posted_through;      // last IST day whose daily charge is posted (YYYY-MM-DD)
  std::string stated_through;      // last month with a statement/bill (YYYY-MM)
};

struct Posting {
  std::string ledger;
  Paise amount = 0;  // debit > 0, credit < 0
  bool operator==(const Posting&) const = default;
};

struct Txn {
  std::int64_t id = 0;  // assigned by the db
  std::string key;      // unique idempotency key
  std::string kind;     // "recharge", "reversal", "daily-charge", "statement", "postpaid-bill",
                        // "payment", "arrears", "adjustment", "token-recharge"
  std::int64_t account_id = 0;
  UtcTime at{};
  std::string effective;  // the IST day or month the money belongs to
  std::string tariff;     // "<code>@<effective date>" for charges
  std::string detail;     // JSON: consumption, bill lines, channel, reference
  std::vector<Posting> postings;
};

struct Recharge {
  std::string payment_ref;
  std::int64_t account_id = 0;
  Paise amount = 0;
  std::string channel;
  std::int64_t txn_id = 0;
  UtcTime at{};
  std::int64_t reversal_txn_id = 0;  // 0: not reversed
  std::string token;  // "sequence N" when a hotspot token was issued (never its digits)
};

struct TokenRow {
  std::string meter_serial;
  std::uint32_t sequence = 0;
  std::int64_t account_id = 0;
  std::uint32_t amount_rupees = 0;
  std::string payment_ref;  // empty for a token the meter reported that billing never issued
  UtcTime issued{};
  // "issued", "applied", "unknown" (the meter used one billing never issued), "revoked" (its
  // payment was reversed), "applied-after-reversal" (used at the meter all the same: owed)
  std::string state;
  UtcTime applied{};  // meter time it was applied (from the meter's token log)
  UtcTime reconciled{};
};

// Energy of one account on one IST day, as read from the store.
struct UsageDay {
  std::int64_t account_id = 0;
  std::string day;  // YYYY-MM-DD
  std::int64_t wh = 0;
  std::vector<std::int64_t> wh_by_block;  // the ToD blocks of the account's tariff season
                                          // (<= kMaxTodBlocks)
  std::int64_t max_interval_wh = 0;
  std::int64_t intervals = 0;
  std::int64_t estimated = 0;  // of `intervals`, estimates (validated data, usage_source.h)
  bool operator==(const UsageDay&) const = default;
};

struct Statement {
  std::int64_t account_id = 0;
  std::string month;  // YYYY-MM
  std::string kind;   // "prepaid-statement" | "postpaid-bill" | "final-bill"
  Paise bill_total = 0;
  Paise posted = 0;      // daily deductions posted for the month (prepaid)
  Paise adjustment = 0;  // bill_total - posted: > 0 recovered, < 0 credited
  std::int64_t txn_id = 0;
  UtcTime issued{};
  std::string html;
};

struct Notification {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  UtcTime at{};
  std::string kind;  // "low-balance", "negative", "disconnect", "reconnect", "recharge", ...
  std::string text;
};

// One unit of work: a transaction of the ledger plus the state changes that go with it.
struct Change {
  std::optional<Txn> txn;
  std::optional<Recharge> recharge;         // inserted (needs txn)
  std::optional<std::string> reverse_ref;   // marks this recharge reversed by txn
  std::vector<Account> accounts;            // state upserts (by id)
  std::vector<TokenRow> tokens;             // upserts by (meter_serial, sequence)
  std::vector<UsageDay> usage;              // upserts by (account_id, day)
  std::vector<Statement> statements;        // inserted; (account, month, kind) unique
  std::vector<Notification> notifications;  // inserted
};

struct ApplyResult {
  std::int64_t txn_id = 0;  // the transaction's id (the existing one when duplicate)
  bool duplicate = false;   // the key existed: nothing was written
};

class BillingDb {
 public:
  // Opens (creating) <dir>/billing.db. kIo when it cannot, kUnsupported for a newer schema.
  static Result<std::unique_ptr<BillingDb>> open(const std::filesystem::path& dir);
  ~BillingDb();
  BillingDb(const BillingDb&) = delete;
  BillingDb& operator=(const BillingDb&) = delete;

  // Adds accounts by consumer_id (static fields of existing accounts are updated, their state
  // is kept). Returns all accounts.
  Result<std::vector<Account>> upsert_accounts(const std::vector<Account>& accounts);
  Result<std::vector<Account>> accounts();
  Result<std::optional<Account>> account(std::string_view consumer_id);

  // Writes one change in one transaction. When change.txn's key exists already nothing is
  // written and duplicate is true. kInvalidArgument when the postings do not sum to zero, are
  // empty or too many, or a field exceeds its limit.
  Result<ApplyResult> apply(const Change& change);
  // Several changes in one transaction (daily posting batches). Changes whose key exists are
  // skipped. Returns one result per change.
  Result<std::vector<ApplyResult>> apply_all(const std::vector<Change>& changes);

  Result<std::optional<Txn>> txn_by_key(std::string_view key);
  Result<std::vector<Txn>> txns(std::int64_t account_id, std::size_t limit);
  // Transactions after an id, in order, WITHOUT their postings (a cursor for other processes'
  // changes; txn_by_key gives one with its postings).
  Result<std::vector<Txn>> txns_after(std::int64_t after_id, std::size_t limit);
  Result<std::int64_t> last_txn_id();
  Result<std::optional<Recharge>> recharge(std::string_view payment_ref);

  // Balance of one ledger: the sum of its postings (debit positive).
  Result<Paise> ledger_sum(std::string_view ledger);
  // All ledgers' sums.
  Result<std::map<std::string, Paise>> ledger_sums();
  // Sums of one account's postings of transactions of `kind` whose effective starts with
  // `effective_prefix`, by ledger (the daily charges of a month, say).
  Result<std::map<std::string, Paise>> sums_by_ledger(std::int64_t account_id,
                                                      std::string_view kind,
                                                      std::string_view effective_prefix);

  Result<std::vector<UsageDay>> usage(std::int64_t account_id, std::string_view from_day,
                                      std::string_view to_day);  // inclusive
  // Every account's usage summed over [from_day, to_day] (inclusive): wh and blocks summed,
  // max_interval_wh the maximum, day = to_day.
  Result<std::map<std::int64_t, UsageDay>> usage_totals(std::string_view from_day,
                                                        std::string_view to_day);
  // Every account's postings of transactions of `kind` whose effective starts with `prefix`,
  // summed by account and ledger.
  Result<std::map<std::int64_t, std::map<std::string, Paise>>> postings_by_account(
      std::string_view kind, std::string_view prefix);
  // Every account's postings of transactions whose effective lies in [from, to] (inclusive, as
  // strings: days "YYYY-MM-DD" or months "YYYY-MM"), summed by account and ledger; of one `kind`,
  // or of every kind when it is empty.
  Result<std::map<std::int64_t, std::map<std::string, Paise>>> postings_by_account_between(
      std::string_view kind, std::string_view from, std::string_view to);
  // Every account's postings, by account and ledger, of the transactions that belong to IST day
  // `day` or before: effective days up to `day`, and effective months up to `last_month` (the
  // last whole month ending on or before `day`). A cursor-free "balances as of" for reports.
  Result<std::map<std::int64_t, std::map<std::string, Paise>>> postings_by_account_through(
      std::string_view day, std::string_view last_month);
  Result<std::vector<TokenRow>> tokens(std::string_view state);  // all rows in a state
  Result<std::vector<TokenRow>> tokens_of(std::string_view meter_serial);
  Result<std::uint32_t> next_token_sequence(std::string_view meter_serial);
  Result<std::vector<Statement>> statements(std::int64_t account_id);
  Result<std::optional<Statement>> statement(std::int64_t account_id, std::string_view month,
                                             std::string_view kind);
  Result<std::vector<Notification>> notifications_after(std::int64_t after_id, std::size_t limit);
  Result<std::vector<Notification>> notifications_of(std::int64_t account_id);

  // Facts about this database itself (which registry it bills: billing/binding.h), by key:
  // meta_or_set returns the value under `key`, storing `value` first when there is none.
  Result<std::string> meta_or_set(std::string_view key, std::string_view value);
  Status set_meta(std::string_view key, std::string_view value);

  // Checks the books: every transaction sums to zero, the cached balances equal the postings,
  // the whole ledger sums to zero. kInternal naming the first problem.
  Status verify();

  // Test seam: the n-th statement executed from now on fails (as a crash or a full disk would),
  // so the transaction around it is rolled back. 0 disables.
  void fail_after_statements(std::int64_t n);

 private:
  BillingDb();
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vidyut::billing
