// Engine: managed prepayment and postpaid billing over the head end's interval data.
//
// The balance lives here; the meter only switches its relay. The engine
//  - keeps one account per consumer meter of the registry, with a tariff chosen by category;
//  - accrues charges as interval data arrives: the balance a consumer sees is the ledger balance
//    minus the charges of the month so far not yet posted, recomputed from the store's intervals
//    at least every accrual period;
//  - posts the charges daily (after each IST midnight) as ledger transactions: the day's charge is
//    the month's bill-to-date under the tariff minus what the month's earlier postings took, line
//    by line, so the daily deductions of a month add up exactly to the bill of the data seen;
//  - issues a monthly statement (prepaid) or bill (postpaid) some days after each month, from the
//    month's data as it stands then, and posts the difference to the daily deductions (excess
//    credited, shortfall recovered);
//  - applies the utility's rules (rules.h): low-balance warnings, emergency credit, disconnection
//    only when allowed, reconnection as soon as a recharge restores the balance - through the head
//    end's command queue (RelayPort), idempotent per decision;
//  - takes recharges idempotently on the payment reference, reversals, adjustments, hotspot
//    tokens (issued with a recharge, reconciled once from the meter's token log), and the
//    conversion of a postpaid consumer to prepaid with arrears.
// Time comes from the injected Clock; tick() does whatever is due. docs/billing.md.
//
// Thread-safety: every public method may be called from any thread (one mutex).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "billing/ledger.h"
#include "billing/rules.h"
#include "billing/usage_source.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"
#include "tariff/tariff.h"

namespace vidyut::billing {

// Where relay commands go: the head end's queue (in the same process, HeadEnd::submit; in
// another, the store's queue, which the head end polls).
class RelayPort {
 public:
  virtual ~RelayPort() = default;
  // Queues a command; idempotent on its idempotency_key.
  virtual Result<store::Command> submit(store::Command command) = 0;
  // The command's current state, or nullopt when unknown.
  virtual Result<std::optional<store::Command>> command(std::int64_t id) = 0;
  // The states of several commands (unknown ids left out). Default: command() for each.
  virtual Result<std::map<std::int64_t, store::CommandState>> states(
      const std::vector<std::int64_t>& ids);
};

// The states of commands read from a store's queue in pages (few queries for many commands).
Result<std::map<std::int64_t, store::CommandState>> states_from_store(
    store::Store& store, const std::vector<std::int64_t>& ids);

// Commands through the store's queue (for a process without a head end).
class StoreRelayPort final : public RelayPort {
 public:
  explicit StoreRelayPort(store::Store& store) : store_(store) {}
  Result<store::Command> submit(store::Command command) override;
  Result<std::optional<store::Command>> command(std::int64_t id) override;
  Result<std::map<std::int64_t, store::CommandState>> states(
      const std::vector<std::int64_t>& ids) override;

 private:
  store::Store& store_;
};

struct EngineOptions {
  PrepaidRules rules;
  // Tariff by registry category; the default for categories not listed.
  std::map<std::string, std::string> tariff_for_category{{"domestic", "UP-LMV1-URBAN"}};
  std::string default_tariff = "UP-LMV1-URBAN";
  // New accounts (consumers first seen in the registry) start postpaid, as utilities install
  // smart meters: a consumer becomes prepaid by conversion (convert_to_prepaid: final bill,
  // arrears, grace period), never by surprise with a zero balance.
  PaymentMode new_account_mode = PaymentMode::kPostpaid;
  // false: this engine only records (recharges, reversals, adjustments) and never decides relay
  // states or posts charges - for a second process (the CLI) beside the serving one, which
  // picks up what it wrote within a tick.
  bool decide = true;
  std::int32_t period_s = 900;           // interval length of the block-load data
  std::int64_t accrual_refresh_s = 900;  // today's usage is re-read at least this often
  std::int64_t restate_days = 2;         // daily posting re-reads this many days of data
  std::int64_t relay_deadline_s = 7 * 86'400;
  std::int64_t relay_check_s = 30;   // unconfirmed relay commands are looked at this often
  std::int64_t token_check_s = 300;  // token logs in the store are looked at this often
  std::int64_t token_read_deadline_s = 30 * 86'400;
  std::size_t posting_batch = 500;  // accounts per database transaction when posting
};

struct RechargeRequest {
  std::string payment_ref;  // unique per payment: a duplicate notification credits once
  std::string consumer_id;
  Paise amount = 0;
  std::string channel = "online";  // "upi", "counter", "app", "hotspot", ...
  bool issue_token = false;        // also issue a 20-digit hotspot token (whole rupees only)
  std::string actor = "payment-api";
};

struct RechargeResult {
  std::int64_t txn_id = 0;
  bool duplicate = false;  // the reference was known: nothing was credited now
  Paise to_wallet = 0;
  Paise to_arrears = 0;
  Paise balance = 0;  // after the recharge (prepaid: wallet minus accrued charges)
  std::string token;  // 20 digits when issued
  std::uint32_t token_sequence = 0;
  bool reconnect_ordered = false;
};

struct AccountView {
  Account account;
  std::string tariff;    // "<code>@<effective date>"
  Paise wallet = 0;      // ledger balance of the prepaid wallet (credit positive)
  Paise accrued = 0;     // charges since the last posting, not yet in the ledger
  Paise balance = 0;     // what the consumer sees: wallet - accrued
  Paise arrears = 0;     // outstanding arrears (positive = owed)
  Paise receivable = 0;  // outstanding postpaid dues (positive = owed)
  std::int64_t month_wh = 0;
  std::string quiet;                // why disconnection is not allowed now ("" when it is)
  UtcTime disconnect_not_before{};  // epoch when no disconnection is pending
};

struct EngineStats {
  std::uint64_t accounts = 0;
  std::uint64_t recharges = 0;
  std::uint64_t duplicate_recharges = 0;
  std::uint64_t reversals = 0;
  std::uint64_t daily_postings = 0;  // account-days posted
  std::uint64_t statements = 0;
  std::uint64_t disconnects = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t relay_retries = 0;
  // Reconnections billing left to another party holding the relay open (area load control).
  std::uint64_t reconnects_held = 0;
  std::uint64_t tokens_issued = 0;
  std::uint64_t tokens_reconciled = 0;
  std::uint64_t notifications = 0;
  std::uint64_t errors = 0;
};

class Engine {
 public:
  // db, store, clock and relay (may be null: decisions are recorded, no command is sent) must
  // outlive the engine.
  // `usage` (may be null: the store's actual readings) is where the energy charged comes from
  // (usage_source.h); it must outlive the engine.
  Engine(BillingDb& db, store::Store& store, const Clock& clock,
         std::vector<tariff::Tariff> tariffs, EngineOptions options, RelayPort* relay,
         UsageSource* usage = nullptr);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Loads accounts and balances, opens accounts for consumer meters of the registry that have
  // none, resubmits relay decisions a crash may have left unsent.
  Status start();
  // Opens accounts for consumer meters added to the registry since.
  Status sync_registry();

  // Credits a recharge (prepaid) or a payment (postpaid); see RechargeRequest.
  // kNotFound: unknown consumer. kRefused: the reference was used for a different consumer or
  // amount. kInvalidArgument: amount <= 0 or above the limit, a token for a postpaid account or
  // a fractional-rupee amount.
  Result<RechargeResult> recharge(const RechargeRequest& request);
  // Reverses a recharge (a bounced payment): the exact opposite postings. Idempotent.
  Result<RechargeResult> reverse(std::string_view payment_ref, std::string_view reason,
                                 std::string_view actor);
  // A manual credit (amount > 0) or debit (< 0) of a consumer's wallet (prepaid) or dues
  // (postpaid), idempotent on `key`.
  Result<ApplyResult> adjust(std::string_view consumer_id, Paise amount, std::string_view reason,
                             std::string_view key, std::string_view actor);
  // Converts a postpaid consumer to prepaid now: final bill to yesterday, dues carried as arrears
  // (recovered as a share of each recharge), the meter's payment mode switched by command, grace
  // period. Idempotent (a prepaid account is left as it is).
  Status convert_to_prepaid(std::string_view consumer_id, std::string_view actor);

  // Does what is due at clock.now(): reloads what other processes wrote, refreshes accrued usage,
  // posts finished days, issues statements, applies the rules, checks relay commands and tokens.
  Status tick();

  // Parts of tick, for tests and the CLI.
  Status refresh_accrual();
  Status post_through(tariff::CivilDate day);   // posts every unposted day up to `day`
  Status close_month(tariff::YearMonth month);  // statements/bills of `month`
  Status reconcile_tokens();

  Result<AccountView> view(std::string_view consumer_id);
  // Every account's wanted relay state (consumer id -> closed).
  std::map<std::string, bool> relay_wanted();
  EngineStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vidyut::billing
