// The billing engine's operator and payment-channel commands, on a data directory that `vidyut
// serve` (or `vidyut billing run`) bills (docs/cli.md "Billing"):
//
//   recharge CONSUMER AMOUNT --ref REF [--channel upi] [--token]   credits a payment
//   reverse REF --reason TEXT                                      reverses one (bounced)
//   billing accounts | show | ledger | trial-balance | verify | statement | notifications
//   billing adjust CONSUMER AMOUNT --reason TEXT --key KEY         manual credit or debit
//   billing convert CONSUMER...                                    postpaid to prepaid
//   billing run [--through YYYY-MM-DD]                             billing without `serve`
//   billing rules [--rules FILE]                                   the effective rules
//
// The money commands open a passive engine (EngineOptions::decide = false): it records in
// billing.db and the running `vidyut serve` picks the change up within its next billing tick
// (and reconnects a consumer whose recharge restored the balance). Listings read billing.db
// directly. Only `billing run` decides relay states and posts charges, for a utility that runs
// billing without `serve`.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "billing/binding.h"
#include "billing/engine.h"
#include "billing/ledger.h"
#include "billing/rules.h"
#include "cli/billing_service.h"
#include "cli/commands.h"
#include "cli/data_options.h"
#include "cli/reconnections.h"
#include "core/clock.h"
#include "tariff/calendar.h"
#include "tariff/tariff.h"
#include "token/token.h"

namespace vidyut::cli {
namespace {

using billing::Paise;
using tariff::format_rupees;

// Largest whole-rupee part an amount may have (Rs 9,99,99,99,99,999): far above any payment,
// far below int64 paise.
constexpr std::size_t kMaxRupeeDigits = 13;

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Rupees with up to two decimals ("250", "250.5", "250.50"; with allow_negative also "-12.50")
// as exact integer paise. kInvalidArgument with a message an operator can act on.
Result<Paise> parse_rupees(std::string_view text, bool allow_negative) {
  const std::string shown(text);
  auto bad = [&](const std::string& why) {
    return Error(Errc::kInvalidArgument,
                 "amount \"" + shown + "\": " + why +
                     "; give rupees with at most 2 decimals, e.g. 250 or 250.50");
  };
  if (text.empty()) return bad("empty");
  bool negative = false;
  if (text.front() == '-') {
    if (!allow_negative) return bad("must be positive");
    negative = true;
    text.remove_prefix(1);
  }
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view frac =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() || !all_digits(whole) || !all_digits(frac)) return bad("not a number");
  if (dot != std::string_view::npos && frac.empty()) return bad("no digits after the point");
  if (frac.size() > 2) return bad("more than 2 decimals (paise are the smallest unit)");
  if (whole.size() > kMaxRupeeDigits) return bad("too large");
  Paise paise = 0;
  for (char c : whole) paise = paise * 10 + (c - '0');
  paise *= 100;
  if (!frac.empty()) paise += (frac[0] - '0') * 10;
  if (frac.size() == 2) paise += frac[1] - '0';
  if (paise == 0) return bad("must not be zero");
  return negative ? -paise : paise;
}

std::string when(UtcTime t) { return t == UtcTime{} ? "never" : tariff::format_ist(t); }

// ---- opening billing.db and the engine -------------------------------------------------------

struct EngineFiles {
  DataOptions data;
  std::string rules_file;                 // empty: UP defaults
  std::vector<std::string> tariff_files;  // added to the shipped tariffs
};

void add_engine_options(CLI::App* c, EngineFiles& o) {
  add_data_options(c, o.data);
  c->add_option("--rules", o.rules_file,
                "Prepaid rules file (JSON, docs/billing.md); default: UP rules");
  c->add_option("--tariff-file", o.tariff_files,
                "Extra tariff file(s), replacing shipped ones with the same code");
}

// billing.db of a data directory that has one (listings never create it).
Result<std::unique_ptr<billing::BillingDb>> open_existing_db(const DataOptions& o) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(o.data_dir) / "billing.db", ec)) {
    return Error(Errc::kNotFound, "no billing.db in " + o.data_dir +
                                      " (vidyut serve or vidyut billing run creates it)");
  }
  return billing::BillingDb::open(o.data_dir);
}

// The store, billing.db and an engine over them, started. Members are destroyed in reverse
// order: the engine first.
struct Rig {
  std::unique_ptr<store::Store> store;
  std::shared_ptr<const Clock> clock;  // the data directory's business time
  std::unique_ptr<billing::BillingDb> db;
  std::unique_ptr<billing::StoreRelayPort> relay;
  std::unique_ptr<ValidatedUsage> usage;
  std::unique_ptr<billing::Engine> engine;
  billing::PrepaidRules rules;
};

struct RigOptions {
  bool decide = false;  // false: a passive engine beside a running `vidyut serve`
  bool relay = false;   // commands (payment mode, relay) through the store's queue
  bool accrue = true;   // refresh accrued charges so balances are what the consumer sees
  tariff::PaymentMode new_accounts = tariff::PaymentMode::kPostpaid;
};

Result<Rig> open_engine(const EngineFiles& f, const RigOptions& o) {
  Rig rig;
  VIDYUT_TRY(rules, load_rules(f.rules_file));
  rig.rules = *rules;
  VIDYUT_TRY(tariffs, load_tariffs(f.tariff_files));
  VIDYUT_TRY(st, open_store(f.data));
  rig.store = std::move(*st);
  rig.clock = business_clock(*rig.store);
  VIDYUT_TRY(db, billing::BillingDb::open(f.data.data_dir));
  rig.db = std::move(*db);
  if (o.relay) rig.relay = std::make_unique<billing::StoreRelayPort>(*rig.store);
  billing::EngineOptions eo;
  eo.rules = rig.rules;
  eo.decide = o.decide;
  eo.new_account_mode = o.new_accounts;
  VIDYUT_TRY(usage, ValidatedUsage::open(f.data.data_dir, *rig.store, *rig.clock));
  rig.usage = std::move(*usage);
  rig.engine = std::make_unique<billing::Engine>(
      *rig.db, *rig.store, *rig.clock, std::move(*tariffs), eo, rig.relay.get(), rig.usage.get());
  VIDYUT_CHECK(rig.engine->start());
  // A passive engine's start() leaves accrued charges at 0; a deciding one's tick refreshes.
  if (o.accrue && !o.decide) VIDYUT_CHECK(rig.engine->refresh_accrual());
  return rig;
}

// consumer id of every account id.
Result<std::map<std::int64_t, std::string>> consumers_by_id(billing::BillingDb& db) {
  VIDYUT_TRY(accounts, db.accounts());
  std::map<std::int64_t, std::string> out;
  for (const auto& a : *accounts) out[a.id] = a.consumer_id;
  return out;
}

Result<billing::Account> account_of(billing::BillingDb& db, const std::string& consumer) {
  VIDYUT_TRY(a, db.account(consumer));
  if (!*a) return Error(Errc::kNotFound, "no billing account for consumer " + consumer);
  return **a;
}

std::string mode_name(tariff::PaymentMode m) { return tariff::to_string(m); }

std::string relay_word(bool closed) { return closed ? "closed" : "open"; }

// "debit Rs 250.00" / "credit Rs 250.00" (debit positive, credit negative).
std::string dr_cr(Paise amount) {
  return amount >= 0 ? "Dr " + format_rupees(amount) : "Cr " + format_rupees(-amount);
}

void print_txn(const billing::Txn& t, const std::string& consumer) {
  std::cout << fmt::format("txn {} {} {} {} effective {}{}{}\n", t.id, when(t.at), t.kind,
                           consumer.empty() ? std::string("-") : consumer, t.effective,
                           t.tariff.empty() ? "" : " tariff " + t.tariff, " key " + t.key);
  if (!t.detail.empty() && t.detail != "null" && t.detail != "{}") {
    std::cout << fmt::format("    {}\n", t.detail);
  }
  for (const auto& p : t.postings) {
    std::cout << fmt::format("    {:<32} {:>18}\n", p.ledger, dr_cr(p.amount));
  }
}

void print_notification(const billing::Notification& n, const std::string& consumer) {
  std::cout << fmt::format("{} {} {} {}: {}\n", n.id, when(n.at),
                           consumer.empty() ? std::to_string(n.account_id) : consumer, n.kind,
                           n.text);
}

// ---- recharge, reverse -----------------------------------------------------------------------

struct RechargeOptions {
  EngineFiles files;
  std::string consumer;
  std::string amount;
  std::string ref;
  std::string channel = "upi";
  std::string by;
  bool token = false;
};

// Every money movement made from the command line goes to the head end's audit trail too, with
// the actor who made it (data_options.h actor_or_user).
Status audit_cli(store::Store& store, const std::string& actor, const std::string& action,
                 const std::string& subject, const std::string& detail) {
  store::WriteBatch w;
  store::AuditRecord e;
  e.at = business_clock(store)->now();
  e.actor = actor;
  e.action = action;
  e.subject = subject;
  e.detail = detail;
  w.audit.push_back(std::move(e));
  auto r = store.write(w);
  if (!r.ok()) return r.error();
  return ok_status();
}

int run_recharge(const RechargeOptions& o) {
  const char* what = "recharge";
  auto amount = parse_rupees(o.amount, false);
  if (!amount.ok()) return report_error(what, amount.error());
  auto rig = open_engine(o.files, {});
  if (!rig.ok()) return report_error(what, rig.error());
  billing::RechargeRequest q;
  q.payment_ref = o.ref;
  q.consumer_id = o.consumer;
  q.amount = *amount;
  q.channel = o.channel;
  q.issue_token = o.token;
  q.actor = actor_or_user(o.by);
  auto r = rig->engine->recharge(q);
  if (!r.ok()) return report_error(what, r.error());
  if (!r->duplicate) {
    auto a = audit_cli(*rig->store, q.actor, "billing-recharge", o.consumer,
                       fmt::format("txn {} ref {} {} via {}", r->txn_id, o.ref,
                                   format_rupees(*amount), o.channel));
    if (!a.ok()) return report_error(what, a.error());
  }
  auto v = rig->engine->view(o.consumer);
  if (!v.ok()) return report_error(what, v.error());
  if (r->duplicate) {
    std::cout << fmt::format("duplicate: already credited (txn {})\n", r->txn_id);
  } else {
    std::cout << fmt::format(
        "txn {}: {} {} for {} (ref {}, {})\n", r->txn_id,
        v->account.mode == tariff::PaymentMode::kPrepaid ? "recharge" : "payment",
        format_rupees(*amount), o.consumer, o.ref, o.channel);
    if (v->account.mode == tariff::PaymentMode::kPrepaid) {
      std::cout << fmt::format("credited: {}\nto arrears: {}\n", format_rupees(r->to_wallet),
                               format_rupees(r->to_arrears));
    } else {
      std::cout << fmt::format("credited: {} (postpaid: towards dues)\n", format_rupees(*amount));
    }
    std::cout << "duplicate: no\n";
  }
  if (v->account.mode == tariff::PaymentMode::kPrepaid) {
    std::cout << fmt::format("balance: {}\n", format_rupees(r->balance));
    if (!v->account.relay_closed && r->balance >= rig->rules.reconnect_at_paise) {
      std::cout << "relay: open; the running head end reconnects at its next billing tick\n";
    }
  } else {
    std::cout << fmt::format("dues: {}\n", format_rupees(v->receivable));
  }
  if (!r->token.empty()) {
    std::cout << fmt::format(
        "token: {}{}\n", token::format_token(r->token),
        r->token_sequence != 0 ? fmt::format(" (sequence {})", r->token_sequence) : std::string());
  }
  return kExitOk;
}

struct ReverseOptions {
  EngineFiles files;
  std::string ref;
  std::string reason;
  std::string by;
};

int run_reverse(const ReverseOptions& o) {
  const char* what = "reverse";
  auto rig = open_engine(o.files, {});
  if (!rig.ok()) return report_error(what, rig.error());
  const std::string actor = actor_or_user(o.by);
  auto r = rig->engine->reverse(o.ref, o.reason, actor);
  if (!r.ok()) return report_error(what, r.error());
  if (!r->duplicate) {
    auto a = audit_cli(*rig->store, actor, "billing-reverse", o.ref,
                       fmt::format("txn {}: {}", r->txn_id, o.reason));
    if (!a.ok()) return report_error(what, a.error());
  }
  std::string consumer;
  if (auto rec = rig->db->recharge(o.ref); rec.ok() && *rec) {
    auto ids = consumers_by_id(*rig->db);
    if (ids.ok()) consumer = (*ids)[(*rec)->account_id];
  }
  if (r->duplicate) {
    std::cout << fmt::format("duplicate: already reversed (txn {})\n", r->txn_id);
  } else {
    std::cout << fmt::format("txn {}: reversed {}{} ({})\n", r->txn_id, o.ref,
                             consumer.empty() ? "" : " of " + consumer, o.reason);
  }
  if (!consumer.empty()) {
    auto v = rig->engine->view(consumer);
    if (v.ok() && v->account.mode == tariff::PaymentMode::kPrepaid) {
      std::cout << fmt::format("balance: {}\n", format_rupees(v->balance));
    } else if (v.ok()) {
      std::cout << fmt::format("dues: {}\n", format_rupees(v->receivable));
    }
  }
  return kExitOk;
}

// ---- billing adjust, convert, run, rules -----------------------------------------------------

struct AdjustOptions {
  EngineFiles files;
  std::string consumer;
  std::string amount;
  std::string reason;
  std::string key;
  std::string by;
};

int run_adjust(const AdjustOptions& o) {
  const char* what = "billing adjust";
  auto amount = parse_rupees(o.amount, true);
  if (!amount.ok()) return report_error(what, amount.error());
  auto rig = open_engine(o.files, {});
  if (!rig.ok()) return report_error(what, rig.error());
  const std::string actor = actor_or_user(o.by);
  auto r = rig->engine->adjust(o.consumer, *amount, o.reason, o.key, actor);
  if (!r.ok()) return report_error(what, r.error());
  if (!r->duplicate) {
    auto a = audit_cli(
        *rig->store, actor, "billing-adjust", o.consumer,
        fmt::format("txn {} key {} {}: {}", r->txn_id, o.key, format_rupees(*amount), o.reason));
    if (!a.ok()) return report_error(what, a.error());
  }
  if (r->duplicate) {
    std::cout << fmt::format("duplicate: key {} already applied (txn {})\n", o.key, r->txn_id);
  } else {
    std::cout << fmt::format("txn {}: {} of {} for {} ({})\n", r->txn_id,
                             *amount > 0 ? "credit" : "debit",
                             format_rupees(*amount > 0 ? *amount : -*amount), o.consumer, o.reason);
  }
  auto v = rig->engine->view(o.consumer);
  if (!v.ok()) return report_error(what, v.error());
  if (v->account.mode == tariff::PaymentMode::kPrepaid) {
    std::cout << fmt::format("balance: {}\n", format_rupees(v->balance));
  } else {
    std::cout << fmt::format("dues: {}\n", format_rupees(v->receivable));
  }
  return kExitOk;
}

struct ConvertOptions {
  EngineFiles files;
  std::vector<std::string> consumers;
  std::string by;
};

int run_convert(const ConvertOptions& o) {
  const char* what = "billing convert";
  // Passive (it never decides relay states beside a running head end), but with the store's
  // queue: the conversion's payment-mode command goes there and the head end delivers it.
  RigOptions ro;
  ro.relay = true;
  ro.accrue = false;
  auto rig = open_engine(o.files, ro);
  if (!rig.ok()) return report_error(what, rig.error());
  const std::string actor = actor_or_user(o.by);
  int failures = 0;
  for (const auto& c : o.consumers) {
    auto before = rig->engine->view(c);
    if (!before.ok()) {
      report_error(what, before.error());
      ++failures;
      continue;
    }
    if (before->account.mode == tariff::PaymentMode::kPrepaid) {
      std::cout << fmt::format("{}: already prepaid\n", c);
      continue;
    }
    if (auto st = rig->engine->convert_to_prepaid(c, actor); !st.ok()) {
      report_error(what, Error(st.error().code, c + ": " + st.error().message));
      ++failures;
      continue;
    }
    auto v = rig->engine->view(c);
    if (!v.ok()) {
      report_error(what, v.error());
      ++failures;
      continue;
    }
    std::cout << fmt::format(
        "{}: prepaid from {}; arrears {}, balance {}, no disconnection before {}; payment-mode "
        "command queued for meter {}\n",
        c, v->account.billing_from, format_rupees(v->arrears), format_rupees(v->balance),
        when(v->account.grace_until), v->account.meter_serial);
  }
  return failures == 0 ? kExitOk : kExitFailure;
}

struct RunOptions {
  EngineFiles files;
  std::string through;
  std::string new_accounts = "postpaid";
};

int run_billing_run(const RunOptions& o) {
  const char* what = "billing run";
  if (o.new_accounts != "prepaid" && o.new_accounts != "postpaid") {
    return report_error(
        what, Error(Errc::kInvalidArgument, "--new-accounts must be prepaid or postpaid"));
  }
  std::optional<tariff::CivilDate> through;
  if (!o.through.empty()) {
    auto d = tariff::parse_date(o.through);
    if (!d.ok())
      return report_error(what, Error(Errc::kInvalidArgument, "--through: " + d.error().message));
    const auto today = tariff::ist_date(RealClock::instance().now());
    if (*d >= today) {
      return report_error(
          what, Error(Errc::kInvalidArgument, "--through " + o.through +
                                                  ": only finished IST days (before " +
                                                  tariff::to_string(today) + ") can be posted"));
    }
    through = *d;
  }
  RigOptions ro;
  ro.decide = true;
  ro.relay = true;
  ro.new_accounts =
      o.new_accounts == "prepaid" ? tariff::PaymentMode::kPrepaid : tariff::PaymentMode::kPostpaid;
  auto rig = open_engine(o.files, ro);
  if (!rig.ok()) return report_error(what, rig.error());
  auto& engine = *rig->engine;
  if (through) {
    if (auto st = engine.post_through(*through); !st.ok()) return report_error(what, st.error());
    if (auto st = engine.refresh_accrual(); !st.ok()) return report_error(what, st.error());
  } else if (auto st = engine.tick(); !st.ok()) {
    return report_error(what, st.error());
  }
  const auto b = engine.stats();
  std::cout << fmt::format(
      "billing: accounts {} postings {} statements {} disconnects {} reconnects {} relay-retries "
      "{} tokens {}/{} notifications {} errors {}\n",
      b.accounts, b.daily_postings, b.statements, b.disconnects, b.reconnects, b.relay_retries,
      b.tokens_reconciled, b.tokens_issued, b.notifications, b.errors);
  return b.errors == 0 ? kExitOk : kExitFailure;
}

int run_rules(const EngineFiles& o) {
  auto rules = load_rules(o.rules_file);
  if (!rules.ok()) return report_error("billing rules", rules.error());
  const std::string text = billing::to_json(*rules);
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::cout << (j.is_discarded() ? text : j.dump(2)) << "\n";
  return kExitOk;
}

// ---- listings --------------------------------------------------------------------------------

struct ListOptions {
  EngineFiles files;
  std::string consumer;
  std::string month;
  std::string kind;
  std::string html;
  std::int64_t after = 0;
  std::size_t limit = 100;
  bool follow = false;
};

int run_accounts(const ListOptions& o) {
  const char* what = "billing accounts";
  auto db = open_existing_db(o.files.data);
  if (!db.ok()) return report_error(what, db.error());
  auto accounts = (*db)->accounts();
  if (!accounts.ok()) return report_error(what, accounts.error());
  auto sums = (*db)->ledger_sums();
  if (!sums.ok()) return report_error(what, sums.error());
  auto sum = [&](const std::string& ledger) {
    auto it = sums->find(ledger);
    return it == sums->end() ? Paise{0} : it->second;
  };
  std::cout << fmt::format("{:<12} {:<12} {:<8} {:<16} {:>15} {:>15} {:>15} {:<6} {}\n", "consumer",
                           "meter", "mode", "tariff", "wallet", "arrears", "receivable", "relay",
                           "posted-through");
  std::size_t n = 0;
  for (const auto& a : *accounts) {
    if (n++ == o.limit) break;
    std::cout << fmt::format("{:<12} {:<12} {:<8} {:<16} {:>15} {:>15} {:>15} {:<6} {}\n",
                             a.consumer_id, a.meter_serial, mode_name(a.mode), a.tariff_code,
                             format_rupees(-sum("wallet:" + a.consumer_id)),
                             format_rupees(sum("arrears:" + a.consumer_id)),
                             format_rupees(sum("receivable:" + a.consumer_id)),
                             relay_word(a.relay_closed), a.posted_through);
  }
  if (accounts->size() > o.limit) {
    std::cout << fmt::format("... {} more accounts (--limit)\n", accounts->size() - o.limit);
  }
  return kExitOk;
}

int run_show(const ListOptions& o) {
  const char* what = "billing show";
  {
    // An unknown consumer is reported without opening an engine (which would open accounts).
    auto db = open_existing_db(o.files.data);
    if (!db.ok()) return report_error(what, db.error());
    auto a = account_of(**db, o.consumer);
    if (!a.ok()) return report_error(what, a.error());
  }
  auto rig = open_engine(o.files, {});
  if (!rig.ok()) return report_error(what, rig.error());
  auto v = rig->engine->view(o.consumer);
  if (!v.ok()) return report_error(what, v.error());
  const auto& a = v->account;
  const bool prepaid = a.mode == tariff::PaymentMode::kPrepaid;
  std::cout << fmt::format("consumer {} (account {}), meter {}\n", a.consumer_id, a.id,
                           a.meter_serial);
  std::cout << fmt::format("mode: {}\ntariff: {}\nsanctioned load: {} kW\n", mode_name(a.mode),
                           v->tariff.empty() ? a.tariff_code : v->tariff,
                           tariff::format_kwh(a.sanctioned_load_w));
  std::cout << fmt::format("opened: {}; billing from {}\n", when(a.opened), a.billing_from);
  std::cout << fmt::format("balance: {} (wallet {} - accrued {})\n", format_rupees(v->balance),
                           format_rupees(v->wallet), format_rupees(v->accrued));
  std::cout << fmt::format("wallet: {}\naccrued: {}\narrears: {}\ndues: {}\n",
                           format_rupees(v->wallet), format_rupees(v->accrued),
                           format_rupees(v->arrears), format_rupees(v->receivable));
  std::cout << fmt::format("this month: {} kWh\n", tariff::format_kwh(v->month_wh));
  if (prepaid) {
    std::cout << fmt::format("last recharge: {}; low-balance warnings sent: {}\n",
                             format_rupees(a.last_recharge), a.warn_level);
    std::cout << fmt::format("negative since: {}\n", when(a.negative_since));
    if (a.grace_until != UtcTime{}) {
      std::cout << fmt::format("grace until: {}\n", when(a.grace_until));
    }
  }
  std::cout << fmt::format("quiet now: {}\n",
                           v->quiet.empty() ? "no (disconnection allowed now)" : v->quiet);
  if (v->disconnect_not_before != UtcTime{}) {
    std::cout << fmt::format("disconnect not before: {}\n", when(v->disconnect_not_before));
  }
  std::cout << fmt::format(
      "relay wanted: {}; confirmed: {}{}\n", relay_word(a.relay_closed),
      a.relay_confirmed ? "yes" : "no",
      a.relay_command != 0 ? fmt::format(" (command {})", a.relay_command) : std::string());
  std::cout << fmt::format("posted through: {}; stated through: {}\n", a.posted_through,
                           a.stated_through);

  auto statements = rig->db->statements(a.id);
  if (!statements.ok()) return report_error(what, statements.error());
  std::cout << fmt::format("\nstatements: {}\n", statements->size());
  for (const auto& s : *statements) {
    std::cout << fmt::format("statement {} {} {} (txn {})\n", s.month, s.kind,
                             format_rupees(s.bill_total), s.txn_id);
  }

  auto txns = rig->db->txns(a.id, billing::kMaxList);
  if (!txns.ok()) return report_error(what, txns.error());
  const std::size_t first_txn = txns->size() > 20 ? txns->size() - 20 : 0;
  std::cout << fmt::format("\nlast {} of {} transactions:\n", txns->size() - first_txn,
                           txns->size());
  for (std::size_t i = first_txn; i < txns->size(); ++i) print_txn((*txns)[i], a.consumer_id);

  auto notes = rig->db->notifications_of(a.id);
  if (!notes.ok()) return report_error(what, notes.error());
  const std::size_t first_note = notes->size() > 10 ? notes->size() - 10 : 0;
  std::cout << fmt::format("\nlast {} of {} notifications:\n", notes->size() - first_note,
                           notes->size());
  for (std::size_t i = first_note; i < notes->size(); ++i) {
    print_notification((*notes)[i], a.consumer_id);
  }
  return kExitOk;
}

int run_ledger(const ListOptions& o) {
  const char* what = "billing ledger";
  auto db = open_existing_db(o.files.data);
  if (!db.ok()) return report_error(what, db.error());
  auto ids = consumers_by_id(**db);
  if (!ids.ok()) return report_error(what, ids.error());
  const std::size_t limit = std::min(o.limit, billing::kMaxList);
  std::vector<billing::Txn> txns;
  if (o.consumer.empty()) {
    auto t = (*db)->txns_after(o.after, limit);
    if (!t.ok()) return report_error(what, t.error());
    // txns_after lists transactions without their postings: read each one whole.
    for (const auto& x : *t) {
      auto whole = (*db)->txn_by_key(x.key);
      if (!whole.ok()) return report_error(what, whole.error());
      txns.push_back(*whole ? std::move(**whole) : x);
    }
  } else {
    auto a = account_of(**db, o.consumer);
    if (!a.ok()) return report_error(what, a.error());
    auto t = (*db)->txns(a->id, billing::kMaxList);
    if (!t.ok()) return report_error(what, t.error());
    for (auto& x : *t) {
      if (x.id > o.after && txns.size() < limit) txns.push_back(std::move(x));
    }
  }
  for (const auto& t : txns) print_txn(t, (*ids)[t.account_id]);
  return kExitOk;
}

int run_trial_balance(const ListOptions& o) {
  const char* what = "billing trial-balance";
  auto db = open_existing_db(o.files.data);
  if (!db.ok()) return report_error(what, db.error());
  auto sums = (*db)->ledger_sums();
  if (!sums.ok()) return report_error(what, sums.error());
  Paise debits = 0, credits = 0;
  for (const auto& [ledger, amount] : *sums) {
    std::cout << fmt::format("{:<32} {:>18}\n", ledger, dr_cr(amount));
    (amount >= 0 ? debits : credits) += amount;
  }
  std::cout << fmt::format("{:<32} {:>18}\n{:<32} {:>18}\n", "total debits", format_rupees(debits),
                           "total credits", format_rupees(-credits));
  std::cout << fmt::format("total: {}\n", format_rupees(debits + credits));
  auto st = (*db)->verify();
  if (!st.ok()) return report_error(what, st.error());
  if (debits + credits != 0) {
    return report_error(what, Error(Errc::kInternal, "the ledgers do not sum to zero"));
  }
  std::cout << "verify: ok\n";
  return kExitOk;
}

int run_verify(const ListOptions& o) {
  const char* what = "billing verify";
  auto db = open_existing_db(o.files.data);
  if (!db.ok()) return report_error(what, db.error());
  // Balanced books in the wrong (or an empty, new) billing.db prove nothing.
  auto store = open_store(o.files.data);
  if (!store.ok()) return report_error(what, store.error());
  if (auto b = billing::check_binding(**db, **store); !b.ok()) return report_error(what, b.error());
  auto st = (*db)->verify();
  if (!st.ok()) return report_error(what, st.error());
  auto last = (*db)->last_txn_id();
  if (!last.ok()) return report_error(what, last.error());
  std::cout << fmt::format("ok: the books balance ({} transactions)\n", *last);
  return kExitOk;
}

// Binds this billing.db to this registry on purpose (billing started over).
int run_bind(const ListOptions& o, bool force) {
  const char* what = "billing bind";
  if (!force) {
    return report_error(what, Error(Errc::kInvalidArgument,
                                    "binding a billing.db to a registry on purpose forgets the one "
                                    "that billed it before: pass --force"));
  }
  auto db = open_existing_db(o.files.data);
  if (!db.ok()) return report_error(what, db.error());
  auto store = open_store(o.files.data);
  if (!store.ok()) return report_error(what, store.error());
  if (auto b = billing::rebind(**db, **store); !b.ok()) return report_error(what, b.error());
  auto audited = (*store)->write([&] {
    store::WriteBatch w;
    store::AuditRecord e;
    e.at = business_clock(**store)->now();
    e.actor = actor_or_user("");
    e.action = "billing-bind";
    e.subject = "billing.db";
    e.detail = "billing.db bound to this registry on purpose (--force)";
    w.audit.push_back(e);
    return w;
  }());
  if (!audited.ok()) return report_error(what, audited.error());
  std::cout << "bound: this billing.db now bills this data directory's registry\n";
  return kExitOk;
}

// Recharge-to-reconnection times (cli/reconnections.h), with percentiles.
int run_reconnections(const ListOptions& o, const std::string& since_text) {
  const char* what = "billing reconnections";
  UtcTime since{};
  if (!since_text.empty()) {
    auto t = parse_iso8601(since_text);
    if (!t.ok()) return report_error(what, t.error());
    since = *t;
  }
  auto db = open_existing_db(o.files.data);
  if (!db.ok()) return report_error(what, db.error());
  auto st = open_store(o.files.data);
  if (!st.ok()) return report_error(what, st.error());
  auto r = reconnections(**st, **db, since);
  if (!r.ok()) return report_error(what, r.error());
  std::vector<std::int64_t> ms;
  std::size_t pending = 0;
  for (const auto& x : *r) {
    if (x.confirmed == UtcTime{}) {
      ++pending;
      if (o.limit > 0)
        std::cout << fmt::format("{:<12} recharged {} {}\n", x.consumer_id,
                                 format_iso8601(x.recharged), x.state);
      continue;
    }
    ms.push_back(x.latency_ms());
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    if (ms.empty()) return std::int64_t{0};
    return ms[std::min(ms.size() - 1,
                       static_cast<std::size_t>(p * static_cast<double>(ms.size() - 1) + 0.5))];
  };
  std::cout << fmt::format(
      "reconnections after a recharge: {} confirmed, {} not (yet); recharge recorded -> relay "
      "confirmed closed: median {} ms, p90 {} ms, p99 {} ms, max {} ms\n",
      ms.size(), pending, pct(0.5), pct(0.9), pct(0.99), ms.empty() ? 0 : ms.back());
  return kExitOk;
}

int run_statement(const ListOptions& o) {
  const char* what = "billing statement";
  auto month = tariff::parse_month(o.month);
  if (!month.ok()) {
    return report_error(what, Error(Errc::kInvalidArgument, "MONTH: " + month.error().message));
  }
  if (!o.kind.empty() && o.kind != "prepaid-statement" && o.kind != "postpaid-bill" &&
      o.kind != "final-bill") {
    return report_error(what,
                        Error(Errc::kInvalidArgument,
                              "--kind must be prepaid-statement, postpaid-bill or final-bill"));
  }
  auto db = open_existing_db(o.files.data);
  if (!db.ok()) return report_error(what, db.error());
  auto a = account_of(**db, o.consumer);
  if (!a.ok()) return report_error(what, a.error());
  auto all = (*db)->statements(a->id);
  if (!all.ok()) return report_error(what, all.error());
  const std::string m = tariff::to_string(*month);
  std::vector<billing::Statement> found;
  for (auto& s : *all) {
    if (s.month == m && (o.kind.empty() || s.kind == o.kind)) found.push_back(std::move(s));
  }
  if (found.empty()) {
    return report_error(
        what, Error(Errc::kNotFound, "no " + (o.kind.empty() ? "statement" : o.kind) + " for " +
                                         o.consumer + " in " + m));
  }
  if (!o.html.empty() && found.size() > 1) {
    return report_error(
        what, Error(Errc::kInvalidArgument, std::to_string(found.size()) + " statements for " + m +
                                                ": choose one with --kind for --html"));
  }
  if (!o.html.empty()) {
    std::ofstream out(o.html, std::ios::binary | std::ios::trunc);
    out << found.front().html;
    out.close();
    if (!out) return report_error(what, Error(Errc::kIo, "cannot write " + o.html));
  }
  for (const auto& s : found) {
    std::cout << fmt::format("{} {} for {} issued {} (txn {})\n", s.kind, s.month, o.consumer,
                             when(s.issued), s.txn_id);
    std::cout << fmt::format("  bill total: {}\n", format_rupees(s.bill_total));
    if (s.kind == "prepaid-statement") {
      std::cout << fmt::format("  daily deductions: {}\n", format_rupees(s.posted));
      std::cout << fmt::format("  adjustment: {}{}\n", format_rupees(s.adjustment),
                               s.adjustment > 0   ? " (recovered)"
                               : s.adjustment < 0 ? " (credited back)"
                                                  : "");
    } else {
      std::cout << fmt::format("  charged to dues: {}\n", format_rupees(s.adjustment));
    }
  }
  if (!o.html.empty()) std::cout << fmt::format("wrote {}\n", o.html);
  return kExitOk;
}

int run_notifications(const ListOptions& o) {
  const char* what = "billing notifications";
  auto db = open_existing_db(o.files.data);
  if (!db.ok()) return report_error(what, db.error());
  auto ids = consumers_by_id(**db);
  if (!ids.ok()) return report_error(what, ids.error());
  std::int64_t after = o.after;
  const std::size_t limit = std::min(o.limit, billing::kMaxList);
  while (true) {
    auto ns = (*db)->notifications_after(after, limit);
    if (!ns.ok()) return report_error(what, ns.error());
    for (const auto& n : *ns) {
      after = n.id;
      if (ids->count(n.account_id) == 0) {  // an account opened since
        auto fresh = consumers_by_id(**db);
        if (fresh.ok()) *ids = std::move(*fresh);
      }
      print_notification(n, (*ids)[n.account_id]);
    }
    std::cout << std::flush;
    if (!o.follow) break;
    if (ns->empty()) std::this_thread::sleep_for(Millis(1000));
  }
  return kExitOk;
}

}  // namespace

void register_billing(CLI::App& app, Runner& run) {
  auto ro = std::make_shared<RechargeOptions>();
  auto* r = app.add_subcommand("recharge", "Credit a recharge or payment (idempotent on --ref)");
  add_engine_options(r, ro->files);
  r->add_option("consumer", ro->consumer, "Consumer id")->required();
  r->add_option("amount", ro->amount, "Rupees with up to 2 decimals: 250 or 250.50")->required();
  r->add_option("--ref", ro->ref, "Payment reference: the same one again credits nothing")
      ->required();
  r->add_option("--channel", ro->channel, "upi, counter, app, online, ...")->capture_default_str();
  r->add_flag("--token", ro->token, "Also issue a 20-digit hotspot token (whole rupees, prepaid)");
  r->add_option("--by", ro->by, "Who records it (default: $USER)");
  r->callback([ro, &run] { run = [ro] { return run_recharge(*ro); }; });

  auto vo = std::make_shared<ReverseOptions>();
  auto* v = app.add_subcommand("reverse", "Reverse a recharge (a bounced payment)");
  add_engine_options(v, vo->files);
  v->add_option("ref", vo->ref, "Payment reference of the recharge")->required();
  v->add_option("--reason", vo->reason, "Why (kept with the transaction)")->required();
  v->add_option("--by", vo->by, "Who records it (default: $USER)");
  v->callback([vo, &run] { run = [vo] { return run_reverse(*vo); }; });

  auto* b = app.add_subcommand("billing", "The billing engine's accounts, ledger and statements");
  b->require_subcommand(1);

  auto lo = std::make_shared<ListOptions>();
  auto* ac = b->add_subcommand("accounts", "One line per billing account");
  add_data_options(ac, lo->files.data);
  ac->add_option("--limit", lo->limit, "At most this many")->capture_default_str();
  ac->callback([lo, &run] { run = [lo] { return run_accounts(*lo); }; });

  auto* sh = b->add_subcommand("show", "One account: balance, rules, transactions, notifications");
  add_engine_options(sh, lo->files);
  sh->add_option("consumer", lo->consumer, "Consumer id")->required();
  sh->callback([lo, &run] { run = [lo] { return run_show(*lo); }; });

  auto* le = b->add_subcommand("ledger", "Ledger transactions with their postings");
  add_data_options(le, lo->files.data);
  le->add_option("consumer", lo->consumer, "Only this consumer's transactions");
  le->add_option("--after", lo->after, "Only transactions with a larger id")->capture_default_str();
  le->add_option("--limit", lo->limit, "At most this many")->capture_default_str();
  le->callback([lo, &run] { run = [lo] { return run_ledger(*lo); }; });

  auto* tb = b->add_subcommand("trial-balance", "Every ledger's balance; the total must be 0");
  add_data_options(tb, lo->files.data);
  tb->callback([lo, &run] { run = [lo] { return run_trial_balance(*lo); }; });

  auto* ve = b->add_subcommand("verify", "Check the books (exit 0 when they balance)");
  add_data_options(ve, lo->files.data);
  ve->callback([lo, &run] { run = [lo] { return run_verify(*lo); }; });

  auto force = std::make_shared<bool>(false);
  auto* bi = b->add_subcommand(
      "bind", "Bind this billing.db to this data directory's registry on purpose (start over)");
  add_data_options(bi, lo->files.data);
  bi->add_flag("--force", *force, "Yes: forget the billing.db that billed this registry before");
  bi->callback([lo, force, &run] { run = [lo, force] { return run_bind(*lo, *force); }; });

  auto since = std::make_shared<std::string>();
  auto* rc = b->add_subcommand(
      "reconnections", "Recharge-to-reconnection times (recharge recorded -> relay closed)");
  add_data_options(rc, lo->files.data);
  rc->add_option("--since", *since, "Only reconnections ordered at or after (ISO 8601)");
  rc->callback([lo, since, &run] { run = [lo, since] { return run_reconnections(*lo, *since); }; });

  auto* st = b->add_subcommand("statement", "A month's statement or bill");
  add_data_options(st, lo->files.data);
  st->add_option("consumer", lo->consumer, "Consumer id")->required();
  st->add_option("month", lo->month, "YYYY-MM")->required();
  st->add_option("--kind", lo->kind, "prepaid-statement | postpaid-bill | final-bill");
  st->add_option("--html", lo->html, "Write the statement's HTML document here");
  st->callback([lo, &run] { run = [lo] { return run_statement(*lo); }; });

  auto* no = b->add_subcommand("notifications", "Notifications to consumers");
  add_data_options(no, lo->files.data);
  no->add_option("--after", lo->after, "Only notifications with a larger id")
      ->capture_default_str();
  no->add_option("--limit", lo->limit, "At most this many per read")->capture_default_str();
  no->add_flag("--follow", lo->follow, "Keep waiting for new notifications");
  no->callback([lo, &run] { run = [lo] { return run_notifications(*lo); }; });

  auto ao = std::make_shared<AdjustOptions>();
  auto* ad = b->add_subcommand("adjust", "Manual credit (AMOUNT > 0) or debit (< 0), idempotent");
  add_engine_options(ad, ao->files);
  ad->add_option("consumer", ao->consumer, "Consumer id")->required();
  ad->add_option("amount", ao->amount, "Rupees, up to 2 decimals; -12.50 debits")->required();
  ad->add_option("--reason", ao->reason, "Why (shown to the consumer)")->required();
  ad->add_option("--key", ao->key, "Idempotency key: the same key again changes nothing")
      ->required();
  ad->add_option("--by", ao->by, "Who records it (default: $USER)");
  ad->callback([ao, &run] { run = [ao] { return run_adjust(*ao); }; });

  auto co = std::make_shared<ConvertOptions>();
  auto* cv = b->add_subcommand("convert", "Convert postpaid consumers to prepaid");
  add_engine_options(cv, co->files);
  cv->add_option("consumers", co->consumers, "Consumer ids")->required();
  cv->add_option("--by", co->by, "Who orders it (default: $USER)");
  cv->callback([co, &run] { run = [co] { return run_convert(*co); }; });

  auto uo = std::make_shared<RunOptions>();
  auto* ru = b->add_subcommand("run", "Bill what is due now, without vidyut serve (one tick)");
  add_engine_options(ru, uo->files);
  ru->add_option("--through", uo->through,
                 "Only post daily charges through this IST day (YYYY-MM-DD)");
  ru->add_option("--new-accounts", uo->new_accounts,
                 "Mode of accounts opened for new consumers: postpaid or prepaid")
      ->capture_default_str();
  ru->callback([uo, &run] { run = [uo] { return run_billing_run(*uo); }; });

  auto fo = std::make_shared<EngineFiles>();
  auto* rl = b->add_subcommand("rules", "Print the effective prepaid rules as JSON");
  rl->add_option("--rules", fo->rules_file, "Rules file (default: UP rules)");
  rl->callback([fo, &run] { run = [fo] { return run_rules(*fo); }; });
}

}  // namespace vidyut::cli
