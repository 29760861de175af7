#include "billing/engine.h"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "billing/binding.h"
#include "billing/meter_readings.h"
#include "billing/statement.h"
#include "billing/usage_source.h"
#include "core/log.h"
#include "core/text.h"
#include "token/token.h"

namespace vidyut::billing {
namespace {

using tariff::Bill;
using tariff::CivilDate;
using tariff::YearMonth;

std::string wallet_of(const std::string& c) { return "wallet:" + c; }
std::string arrears_of(const std::string& c) { return "arrears:" + c; }
std::string receivable_of(const std::string& c) { return "receivable:" + c; }

// Bill components and the ledgers they are credited to.
constexpr const char* kEnergy = "revenue:energy";
constexpr const char* kFixed = "revenue:fixed";
constexpr const char* kPenalty = "revenue:penalty";
constexpr const char* kRebate = "rebate:prepaid";
constexpr const char* kDuty = "duty:payable";
constexpr const char* kComponents[] = {kEnergy, kFixed, kPenalty, kRebate, kDuty};

std::map<std::string, Paise> components(const Bill& b) {
  return {{kEnergy, b.energy},
          {kFixed, b.fixed},
          {kPenalty, b.penalty},
          {kRebate, b.rebate},
          {kDuty, b.duty}};
}

// Charges already posted per component, from the ledgers' postings (credits are negative).
std::map<std::string, Paise> posted_charges(const std::map<std::string, Paise>& ledger_sums) {
  std::map<std::string, Paise> out;
  for (const char* c : kComponents) {
    auto it = ledger_sums.find(c);
    out[c] = it == ledger_sums.end() ? 0 : -it->second;
  }
  return out;
}

Paise sum_of(const std::map<std::string, Paise>& m) {
  Paise s = 0;
  for (const auto& [k, v] : m) s += v;
  return s;
}

std::string date_str(CivilDate d) { return tariff::to_string(d); }
CivilDate date_of(const std::string& s) {
  auto d = tariff::parse_date(s);
  return d.ok() ? *d : CivilDate{1970, 1, 1};
}
CivilDate last_day(YearMonth m) {
  return CivilDate{m.year, m.month, tariff::days_in_month(m.year, m.month)};
}
YearMonth prev_month(YearMonth m) {
  return m.month == 1 ? YearMonth{m.year - 1, 12} : YearMonth{m.year, m.month - 1};
}

void add_usage(UsageDay& into, const UsageDay& d) {
  into.wh += d.wh;
  if (into.wh_by_block.size() < d.wh_by_block.size()) into.wh_by_block.resize(d.wh_by_block.size());
  for (std::size_t i = 0; i < d.wh_by_block.size(); ++i) into.wh_by_block[i] += d.wh_by_block[i];
  into.max_interval_wh = std::max(into.max_interval_wh, d.max_interval_wh);
  into.intervals += d.intervals;
  into.estimated += d.estimated;
}

std::string rupees(Paise p) { return tariff::format_rupees(p); }

constexpr const char* kRelayHolder = "billing";  // store::RelayHold::holder

// ", 12 of 2,976 readings estimated" (nothing when none was).
std::string estimated_note(const UsageDay& u) {
  if (u.estimated <= 0) return "";
  return ", " + std::to_string(u.estimated) + " of " + std::to_string(u.intervals) +
         " readings estimated";
}

}  // namespace

Result<store::Command> StoreRelayPort::submit(store::Command command) {
  return store_.enqueue_command(command);
}
Result<std::optional<store::Command>> StoreRelayPort::command(std::int64_t id) {
  return store_.command(id);
}

Result<std::map<std::int64_t, store::CommandState>> RelayPort::states(
    const std::vector<std::int64_t>& ids) {
  std::map<std::int64_t, store::CommandState> out;
  for (auto id : ids) {
    VIDYUT_TRY(c, command(id));
    if (*c) out[id] = (*c)->state;
  }
  return out;
}

Result<std::map<std::int64_t, store::CommandState>> states_from_store(
    store::Store& store, const std::vector<std::int64_t>& ids) {
  std::map<std::int64_t, store::CommandState> out;
  if (ids.empty()) return out;
  const std::set<std::int64_t> wanted(ids.begin(), ids.end());
  const std::int64_t last = *wanted.rbegin();
  for (std::int64_t after = *wanted.begin() - 1; after < last;) {
    VIDYUT_TRY(page, store.commands_after(after, store::kMaxPage));
    if (page->empty()) break;
    for (const auto& c : *page) {
      after = c.id;
      if (wanted.count(c.id)) out[c.id] = c.state;
    }
  }
  return out;
}

Result<std::map<std::int64_t, store::CommandState>> StoreRelayPort::states(
    const std::vector<std::int64_t>& ids) {
  return states_from_store(store_, ids);
}

class Engine::Impl {
 public:
  struct Acct {
    Account a;
    Paise wallet = 0;      // credit positive
    Paise arrears = 0;     // owed positive
    Paise receivable = 0;  // owed positive
    // The month whose usage and postings are held (the month of the last posted day).
    YearMonth month{};
    UsageDay month_usage;                     // days of `month` up to posted_through
    std::map<std::string, Paise> posted;      // charges posted in `month` by component
    std::map<std::string, UsageDay> pending;  // usage of days after posted_through, by day
    Paise accrued = 0;
  };

  Impl(BillingDb& db, store::Store& store, const Clock& clock, std::vector<tariff::Tariff> tariffs,
       EngineOptions options, RelayPort* relay, UsageSource* usage)
      : db_(db),
        store_(store),
        clock_(clock),
        o_(std::move(options)),
        relay_(relay),
        store_usage_(store),
        usage_(usage != nullptr ? usage : &store_usage_) {
    for (auto& t : tariffs) tariffs_.emplace(t.code, std::move(t));
  }

  // ---- loading -------------------------------------------------------------------------------

  Status start() {
    std::lock_guard lock(mu_);
    VIDYUT_CHECK(check_binding(db_, store_));
    VIDYUT_CHECK(sync_registry_locked());
    VIDYUT_TRY(last, db_.last_txn_id());
    known_txn_ = *last;
    VIDYUT_CHECK(load_balances());
    VIDYUT_CHECK(load_month_state());
    if (!o_.decide) return ok_status();
    // Relay decisions a crash may have left unsent: resubmitting is idempotent on the key.
    for (auto& x : accts_) {
      if (!x.a.relay_confirmed && x.a.relay_seq > 0) submit_relay(x);
    }
    VIDYUT_CHECK(refresh_accrual_locked());
    evaluate_all();
    return ok_status();
  }

  Status sync_registry_locked() {
    std::vector<Account> fresh;
    const UtcTime now = clock_.now();
    const CivilDate today = tariff::ist_date(now);
    for (std::size_t offset = 0;; offset += store::kMaxPage) {
      VIDYUT_TRY(page, store_.meters(offset, store::kMaxPage));
      for (const auto& m : *page) {
        if (m.consumer_id.empty()) continue;
        if (m.kind != "single-phase" && m.kind != "three-phase") continue;
        if (by_consumer_.count(m.consumer_id) != 0) continue;
        Account a;
        a.consumer_id = m.consumer_id;
        a.meter_serial = m.serial;
        a.meter_id = m.id;
        auto t = o_.tariff_for_category.find(m.category);
        a.tariff_code = t != o_.tariff_for_category.end() ? t->second : o_.default_tariff;
        if (tariffs_.count(a.tariff_code) == 0) {
          return Error(Errc::kInvalidArgument, "billing: tariff " + a.tariff_code +
                                                   " (for category " + m.category +
                                                   ") is not loaded");
        }
        a.sanctioned_load_w = m.sanctioned_load_w;
        a.mode = o_.new_account_mode;
        a.opened = now;
        a.billing_from = date_str(today);
        a.posted_through = date_str(tariff::add_days(today, -1));
        a.stated_through = tariff::to_string(prev_month(tariff::month_of(today)));
        fresh.push_back(std::move(a));
      }
      if (page->size() < store::kMaxPage) break;
    }
    if (fresh.empty() && !accts_.empty()) return ok_status();
    VIDYUT_TRY(all, db_.upsert_accounts(fresh));
    for (auto& a : *all) {
      if (by_consumer_.count(a.consumer_id) != 0) continue;
      Acct x;
      x.a = std::move(a);
      index(std::move(x));
    }
    stats_.accounts = accts_.size();
    return ok_status();
  }

  void index(Acct x) {
    const std::size_t i = accts_.size();
    by_consumer_[x.a.consumer_id] = i;
    by_id_[x.a.id] = i;
    by_meter_[x.a.meter_id] = i;
    accts_.push_back(std::move(x));
  }

  Status load_balances() {
    VIDYUT_TRY(sums, db_.ledger_sums());
    for (auto& x : accts_) {
      x.wallet = x.arrears = x.receivable = 0;
      if (auto it = sums->find(wallet_of(x.a.consumer_id)); it != sums->end())
        x.wallet = -it->second;
      if (auto it = sums->find(arrears_of(x.a.consumer_id)); it != sums->end())
        x.arrears = it->second;
      if (auto it = sums->find(receivable_of(x.a.consumer_id)); it != sums->end()) {
        x.receivable = it->second;
      }
    }
    return ok_status();
  }

  Status reload_account(Acct& x) {
    VIDYUT_TRY(a, db_.account(x.a.consumer_id));
    if (*a) x.a = **a;
    VIDYUT_TRY(w, db_.ledger_sum(wallet_of(x.a.consumer_id)));
    VIDYUT_TRY(ar, db_.ledger_sum(arrears_of(x.a.consumer_id)));
    VIDYUT_TRY(r, db_.ledger_sum(receivable_of(x.a.consumer_id)));
    x.wallet = -*w;
    x.arrears = *ar;
    x.receivable = *r;
    return ok_status();
  }

  // Month usage and postings of each account's posting month (the month of posted_through).
  Status load_month_state() {
    std::map<YearMonth, std::vector<Acct*>> by_month;
    for (auto& x : accts_) by_month[tariff::month_of(date_of(x.a.posted_through))].push_back(&x);
    for (auto& [m, list] : by_month) {
      const auto from = date_str(first_day(m));
      VIDYUT_TRY(totals, db_.usage_totals(from, date_str(last_day(m))));
      VIDYUT_TRY(posted, db_.postings_by_account("daily-charge", tariff::to_string(m)));
      for (Acct* x : list) {
        x->month = m;
        x->month_usage = UsageDay{};
        // Usage rows exist up to posted_through; only days from billing_from count, so an
        // account that started mid-month (a conversion) is read on its own.
        if (x->a.billing_from <= from) {
          if (auto t = totals->find(x->a.id); t != totals->end())
            add_usage(x->month_usage, t->second);
        } else {
          VIDYUT_TRY(days, db_.usage(x->a.id, x->a.billing_from, x->a.posted_through));
          for (const auto& d : *days) add_usage(x->month_usage, d);
        }
        auto p = posted->find(x->a.id);
        x->posted = posted_charges(p == posted->end() ? std::map<std::string, Paise>{} : p->second);
      }
    }
    return ok_status();
  }

  // Changes other processes (the CLI's recharges) made since we last looked.
  Status reload_external() {
    VIDYUT_TRY(last, db_.last_txn_id());
    if (*last <= known_txn_) return ok_status();
    std::set<std::int64_t> touched;
    std::map<std::int64_t, Paise> recharged;  // account -> the latest recharge's amount
    while (known_txn_ < *last) {
      VIDYUT_TRY(t, db_.txns_after(known_txn_, 10'000));
      if (t->empty()) break;
      for (const auto& x : *t) {
        known_txn_ = x.id;
        if (own_txns_.erase(x.id) != 0) continue;
        touched.insert(x.account_id);
        if (x.kind == "recharge") {
          auto j = nlohmann::json::parse(x.detail, nullptr, false);
          if (j.is_object() && j.contains("payment_ref") && j["payment_ref"].is_string()) {
            auto r = db_.recharge(j["payment_ref"].get<std::string>());
            if (r.ok() && *r) recharged[x.account_id] = (*r)->amount;
          }
        }
      }
    }
    for (auto id : touched) {
      auto it = by_id_.find(id);
      if (it == by_id_.end()) continue;
      Acct& x = accts_[it->second];
      const Account before = x.a;
      VIDYUT_CHECK(reload_account(x));
      // A conversion by another process: the month's usage and postings restart with the mode.
      if (x.a.mode != before.mode || x.a.billing_from != before.billing_from) {
        VIDYUT_CHECK(reload_month(x));
      }
      // A recharge by another process (which leaves the account's rule state to this engine).
      if (auto r = recharged.find(id); r != recharged.end()) {
        x.a.last_recharge = r->second;
        x.a.warn_level = 0;
      }
      x.accrued = accrued_of(x);
      evaluate(x);
    }
    return ok_status();
  }

  // One account's month usage and postings, from the db (after a change of mode).
  Status reload_month(Acct& x) {
    x.month = tariff::month_of(date_of(x.a.posted_through));
    x.month_usage = UsageDay{};
    const std::string from = std::max(date_str(first_day(x.month)), x.a.billing_from);
    VIDYUT_TRY(days, db_.usage(x.a.id, from, x.a.posted_through));
    for (const auto& d : *days) add_usage(x.month_usage, d);
    VIDYUT_TRY(sums, db_.sums_by_ledger(x.a.id, "daily-charge", tariff::to_string(x.month)));
    x.posted = posted_charges(*sums);
    return ok_status();
  }

  // ---- tariffs and bills ---------------------------------------------------------------------

  Result<const tariff::TariffVersion*> version_for(const Acct& x, YearMonth m) {
    auto t = tariffs_.find(x.a.tariff_code);
    if (t == tariffs_.end()) {
      return Error(Errc::kNotFound, "billing: tariff " + x.a.tariff_code + " is not loaded");
    }
    const auto* v = t->second.version_at(first_day(m));
    if (v == nullptr) v = t->second.version_at(last_day(m));
    if (v == nullptr) {
      return Error(Errc::kNotFound, "billing: tariff " + x.a.tariff_code + " has no version for " +
                                        tariff::to_string(m));
    }
    return v;
  }

  std::string version_label(const Acct& x, const tariff::TariffVersion* v) const {
    return x.a.tariff_code + "@" + date_str(v->effective_from);
  }

  // The bill of `usage` (the account's usage of month m from its billing start through `through`).
  Result<Bill> bill_to_date(const Acct& x, YearMonth m, CivilDate through, const UsageDay& usage,
                            PaymentMode mode) {
    VIDYUT_TRY(v, version_for(x, m));
    const CivilDate from = std::max(first_day(m), date_of(x.a.billing_from));
    tariff::Usage u;
    u.wh = usage.wh;
    const auto* season = season_of(**v, m.month);
    const std::size_t blocks = season ? season->blocks.size() : 0;
    u.wh_by_block.assign(blocks, 0);
    for (std::size_t i = 0; i < blocks && i < usage.wh_by_block.size(); ++i) {
      u.wh_by_block[i] = usage.wh_by_block[i];
    }
    u.max_demand_w = usage.max_interval_wh * 3'600 / std::max<std::int32_t>(o_.period_s, 1);
    u.sanctioned_load_w = x.a.sanctioned_load_w;
    u.days_in_month = tariff::days_in_month(m.year, m.month);
    u.days_billed = through < from ? 0
                                   : static_cast<int>(tariff::days_from_civil(through) -
                                                      tariff::days_from_civil(from) + 1);
    u.days_billed = std::min(u.days_billed, u.days_in_month);
    u.month = m.month;
    return tariff::compute_bill(**v, u, mode);
  }

  // ---- usage from the store ------------------------------------------------------------------

  // Every account's usage on IST day d, from intervals starting before `until` (from what tick
  // read before taking the lock when it has that day, else from the store now).
  Result<std::map<std::int64_t, UsageDay>> read_usage_day(CivilDate d, UtcTime until) {
    const YearMonth m = tariff::month_of(d);
    DayRead fresh;
    const DayRead* read = nullptr;
    if (auto pre = prefetched_.find(date_str(d)); pre != prefetched_.end()) {
      read = &pre->second;
    } else {
      VIDYUT_TRY(r, read_day(*usage_, tariffs_, d, until));
      fresh = std::move(*r);
      read = &fresh;
    }
    std::map<std::int64_t, UsageDay> out;
    for (const auto& seg : *read) {
      for (const auto& s : seg.rows) {
        auto it = by_meter_.find(s.meter_id);
        if (it == by_meter_.end()) continue;
        const Acct& x = accts_[it->second];
        UsageDay& u = out[x.a.id];
        u.account_id = x.a.id;
        u.day = date_str(d);
        u.wh += s.import_wh;
        u.max_interval_wh = std::max(u.max_interval_wh, s.max_interval_wh);
        u.intervals += s.count;
        u.estimated += s.estimated;
        auto v = version_for(x, m);
        if (v.ok()) {
          const int b = tariff::tod_block(**v, seg.from);
          if (b >= 0 && static_cast<std::size_t>(b) < kMaxTodBlocks) {
            if (u.wh_by_block.size() <= static_cast<std::size_t>(b)) u.wh_by_block.resize(b + 1);
            u.wh_by_block[static_cast<std::size_t>(b)] += s.import_wh;
          }
        }
      }
    }
    return out;
  }

  // ---- accrual -------------------------------------------------------------------------------

  CivilDate earliest_posted() const {
    CivilDate lo{9999, 12, 31};
    for (const auto& x : accts_) lo = std::min(lo, date_of(x.a.posted_through));
    return lo;
  }

  Status refresh_accrual_locked() {
    const UtcTime now = clock_.now();
    const CivilDate today = tariff::ist_date(now);
    CivilDate from = tariff::add_days(earliest_posted(), 1);
    // A long outage of the engine: accrue at most the last few days (posting catches up).
    from = std::max(from, tariff::add_days(today, -3));
    std::map<std::string, std::map<std::int64_t, UsageDay>> days;
    for (CivilDate d = from; d <= today; d = tariff::add_days(d, 1)) {
      VIDYUT_TRY(u, read_usage_day(d, now));
      days[date_str(d)] = std::move(*u);
    }
    for (auto& x : accts_) {
      x.pending.clear();
      for (auto& [day, m] : days) {
        if (day <= x.a.posted_through) continue;
        auto it = m.find(x.a.id);
        UsageDay u = it != m.end() ? it->second : UsageDay{x.a.id, day, 0, {}, 0, 0, 0};
        x.pending[day] = u;
      }
      x.accrued = accrued_of(x);
    }
    last_accrual_ = now;
    return ok_status();
  }

  // Charges of the days after posted_through (bill to date minus posted), per month touched.
  Paise accrued_of(Acct& x) {
    if (x.a.mode != PaymentMode::kPrepaid || x.pending.empty()) return 0;
    std::map<YearMonth, std::pair<UsageDay, CivilDate>> months;
    for (const auto& [day, u] : x.pending) {
      if (day < x.a.billing_from) continue;
      const CivilDate d = date_of(day);
      auto& [usage, through] = months[tariff::month_of(d)];
      add_usage(usage, u);
      through = std::max(through, d);
    }
    Paise total = 0;
    for (auto& [m, pair] : months) {
      UsageDay usage = pair.first;
      std::map<std::string, Paise> posted;
      if (m == x.month) {
        add_usage(usage, x.month_usage);
        posted = x.posted;
      }
      auto bill = bill_to_date(x, m, pair.second, usage, PaymentMode::kPrepaid);
      if (!bill.ok()) continue;
      total += bill->total - sum_of(posted);
    }
    return total;
  }

  // ---- rules and relay -----------------------------------------------------------------------

  void notify(Acct& x, std::vector<Notification>& out, const std::string& kind,
              const std::string& text) {
    out.push_back(Notification{0, x.a.id, clock_.now(), kind, text});
    ++stats_.notifications;
  }

  struct Pending {
    Acct* acct;
    Account before;
    Change change;
    bool relay;
  };

  // Applies the prepaid rules to one account; writes and sends what changed (or, with `batch`,
  // leaves the writing and sending to the caller).
  void evaluate(Acct& x, std::vector<Pending>* batch = nullptr) {
    if (x.a.mode != PaymentMode::kPrepaid || !o_.decide) return;
    const UtcTime now = clock_.now();
    const Account before = x.a;
    std::vector<Notification> notes;
    const Paise balance = x.wallet - x.accrued;
    // Low-balance warnings.
    int level = 0;
    for (std::size_t i = 0; i < o_.rules.warn_at_bp.size(); ++i) {
      const Paise threshold = x.a.last_recharge * o_.rules.warn_at_bp[i] / 10'000;
      if (x.a.last_recharge > 0 && balance <= threshold) level = static_cast<int>(i) + 1;
    }
    if (level > x.a.warn_level) {
      const auto pct = o_.rules.warn_at_bp[static_cast<std::size_t>(level - 1)] / 100;
      notify(x, notes, "low-balance",
             pct == 0 ? "Your balance is used up (" + rupees(balance) +
                            "). Recharge to avoid disconnection."
                      : "Balance " + rupees(balance) + " is at or below " + std::to_string(pct) +
                            "% of your last recharge of " + rupees(x.a.last_recharge) +
                            ". Recharge to avoid disconnection.");
    }
    x.a.warn_level = level;
    // Negative balance: emergency credit starts.
    if (balance < 0 && x.a.negative_since == UtcTime{}) {
      x.a.negative_since = now;
      const UtcTime earliest = std::max(
          next_disconnection_time(
              o_.rules,
              std::max(now + std::chrono::seconds(o_.rules.emergency_credit_s), x.a.grace_until)),
          now);
      notify(x, notes, "negative",
             "Balance is " + rupees(balance) +
                 ". Supply continues on emergency credit; "
                 "disconnection not before " +
                 tariff::format_ist(earliest) + " unless you recharge.");
    } else if (balance >= 0) {
      x.a.negative_since = UtcTime{};
    }
    // Relay.
    std::optional<bool> decide;
    std::string why;
    if (x.a.relay_closed) {
      if (balance < 0 && x.a.negative_since != UtcTime{} &&
          now >= x.a.negative_since + std::chrono::seconds(o_.rules.emergency_credit_s) &&
          now >= x.a.grace_until && disconnection_allowed(o_.rules, now)) {
        decide = false;
        why = "balance " + rupees(balance) + " after emergency credit";
        notify(x, notes, "disconnect",
               "Supply disconnected: balance " + rupees(balance) +
                   ". Recharge to reconnect; reconnection is automatic within seconds.");
      }
    } else if (balance >= o_.rules.reconnect_at_paise) {
      decide = true;
      why = "balance " + rupees(balance) + " restored";
      notify(x, notes, "reconnect", "Supply reconnected: balance " + rupees(balance) + ".");
    }
    if (decide) {
      x.a.relay_closed = *decide;
      ++x.a.relay_seq;
      x.a.relay_confirmed = false;
      x.a.relay_command = 0;
      relay_reason_[x.a.id] = why;
      if (*decide)
        ++stats_.reconnects;
      else
        ++stats_.disconnects;
    }
    const bool changed = before.warn_level != x.a.warn_level ||
                         before.negative_since != x.a.negative_since || decide.has_value();
    if (!changed && notes.empty()) return;
    Change c;
    c.accounts.push_back(x.a);
    c.notifications = std::move(notes);
    if (batch != nullptr) {  // written (and relays sent) by the caller, with others
      batch->push_back(Pending{&x, before, std::move(c), decide.has_value()});
      return;
    }
    auto r = db_.apply(c);
    if (!r.ok()) {
      ++stats_.errors;
      logger("billing")->warn("account {}: {}", x.a.consumer_id, r.error().describe());
      x.a = before;  // not durable: decide again next time
      return;
    }
    if (decide) submit_relay(x);
  }

  // Evaluates every account; the state changes are written in batches (one transaction per
  // posting_batch accounts) before their relay commands are sent.
  void evaluate_all() {
    std::vector<Pending> batch;
    auto flush = [&] {
      if (batch.empty()) return;
      std::vector<Change> changes;
      changes.reserve(batch.size());
      for (auto& p : batch) changes.push_back(std::move(p.change));
      auto r = db_.apply_all(changes);
      for (auto& p : batch) {
        if (!r.ok()) {
          p.acct->a = p.before;  // not durable: decide again next time
          continue;
        }
        if (p.relay) submit_relay(*p.acct);
      }
      if (!r.ok()) {
        ++stats_.errors;
        logger("billing")->warn("rules: {}", r.error().describe());
      }
      batch.clear();
    };
    for (auto& x : accts_) {
      evaluate(x, &batch);
      if (batch.size() >= o_.posting_batch) flush();
    }
    flush();
  }

  std::string relay_key(const Acct& x) const {
    return "billing:" + x.a.consumer_id + ":" + std::to_string(x.a.relay_seq) +
           (x.a.relay_closed ? ":connect" : ":disconnect");
  }

  void submit_relay(Acct& x) {
    if (relay_ == nullptr) return;
    // Relay holds (store.h): billing holds the relay open while it wants it open, and closes it
    // only when no other party (area load control) still holds it; that party closes it when
    // it lets go.
    if (!x.a.relay_closed) {
      auto held = store_.hold_relay(
          store::RelayHold{x.a.meter_id, kRelayHolder, "prepaid " + x.a.consumer_id, clock_.now()});
      if (!held.ok()) {
        ++stats_.errors;
        logger("billing")->warn("relay hold for {}: {}", x.a.consumer_id, held.error().describe());
        return;  // check_relays tries again
      }
    } else {
      auto left = store_.release_relay(x.a.meter_id, kRelayHolder);
      if (!left.ok()) {
        ++stats_.errors;
        logger("billing")->warn("relay release for {}: {}", x.a.consumer_id,
                                left.error().describe());
        return;
      }
      if (!left->empty()) {
        x.a.relay_command = 0;
        x.a.relay_confirmed = true;  // nothing for billing to do: the holder reconnects
        ++stats_.reconnects_held;
        logger("billing")->info("{}: reconnection left to {} (holds the relay open)",
                                x.a.consumer_id, left->front().holder);
        return;
      }
    }
    store::Command c;
    c.meter_id = x.a.meter_id;
    c.kind = x.a.relay_closed ? store::CommandKind::kConnect : store::CommandKind::kDisconnect;
    c.idempotency_key = relay_key(x);
    c.requested_by = "billing";
    auto why = relay_reason_.find(x.a.id);
    c.reason = "prepaid " + x.a.consumer_id + ": " +
               (why != relay_reason_.end() ? why->second : std::string("balance rules"));
    c.created = clock_.now();
    c.deadline = c.created + std::chrono::seconds(o_.relay_deadline_s);
    auto r = relay_->submit(c);
    if (!r.ok()) {
      ++stats_.errors;
      logger("billing")->warn("relay command for {}: {}", x.a.consumer_id, r.error().describe());
      return;
    }
    x.a.relay_command = r->id;
  }

  // Confirms relay commands that succeeded; decides again for ones that failed or expired.
  void check_relays() {
    if (relay_ == nullptr) return;
    std::vector<std::int64_t> ids;
    for (auto& x : accts_) {
      if (x.a.relay_confirmed || x.a.relay_seq == 0) continue;
      if (x.a.relay_command == 0) {
        submit_relay(x);
        continue;
      }
      ids.push_back(x.a.relay_command);
    }
    if (ids.empty()) return;
    auto states = relay_->states(ids);
    if (!states.ok()) {
      ++stats_.errors;
      return;
    }
    std::vector<std::pair<Acct*, Account>> changed;
    std::vector<Change> changes;
    for (auto& x : accts_) {
      if (x.a.relay_confirmed || x.a.relay_command == 0) continue;
      auto st = states->find(x.a.relay_command);
      if (st == states->end() || st->second == store::CommandState::kPending) continue;
      changed.emplace_back(&x, x.a);
      if (st->second == store::CommandState::kSucceeded) {
        x.a.relay_confirmed = true;
      } else {
        ++x.a.relay_seq;  // a new decision (and key) for the same wanted state
        x.a.relay_command = 0;
        ++stats_.relay_retries;
      }
      Change ch;
      ch.accounts.push_back(x.a);
      changes.push_back(std::move(ch));
    }
    if (changes.empty()) return;
    if (!db_.apply_all(changes).ok()) {
      for (auto& [x, before] : changed) x->a = before;
      ++stats_.errors;
      return;
    }
    for (auto& [x, before] : changed) {
      if (!x->a.relay_confirmed) submit_relay(*x);
    }
  }

  // ---- posting -------------------------------------------------------------------------------

  // Reads days [from, to] of the store, writes them as usage (in the account's changes) and
  // returns them by account and day.
  Result<std::map<std::int64_t, std::vector<UsageDay>>> restate(CivilDate from, CivilDate to) {
    std::map<std::int64_t, std::vector<UsageDay>> out;
    const UtcTime now = clock_.now();
    for (CivilDate d = from; d <= to; d = tariff::add_days(d, 1)) {
      VIDYUT_TRY(u, read_usage_day(d, now));
      for (auto& x : accts_) {
        auto it = u->find(x.a.id);
        out[x.a.id].push_back(it != u->end() ? it->second
                                             : UsageDay{x.a.id, date_str(d), 0, {}, 0, 0, 0});
      }
    }
    return out;
  }

  // The postings that bring what was charged (`posted`, by component) to `target`; `debit` is
  // the consumer's ledger. Empty when nothing changes.
  static std::vector<Posting> delta_postings(const std::map<std::string, Paise>& target,
                                             const std::map<std::string, Paise>& posted,
                                             const std::string& debit) {
    std::vector<Posting> p;
    Paise total = 0;
    for (const char* c : kComponents) {
      const Paise want = target.count(c) ? target.at(c) : 0;
      const Paise have = posted.count(c) ? posted.at(c) : 0;
      if (want == have) continue;
      p.push_back(Posting{c, -(want - have)});
      total += want - have;
    }
    if (p.empty()) return p;
    p.insert(p.begin(), Posting{debit, total});
    return p;
  }

  Status post_day(CivilDate day) {
    const YearMonth m = tariff::month_of(day);
    const CivilDate from = std::max(first_day(m), tariff::add_days(day, -(o_.restate_days - 1)));
    VIDYUT_TRY(fresh, restate(from, day));
    // Usage of the month before the restated days, from the db.
    std::map<std::int64_t, UsageDay> older;
    if (from > first_day(m)) {
      VIDYUT_TRY(t, db_.usage_totals(date_str(first_day(m)), date_str(tariff::add_days(from, -1))));
      older = std::move(*t);
    }
    VIDYUT_TRY(posted_db, db_.postings_by_account("daily-charge", tariff::to_string(m)));
    const UtcTime now = clock_.now();
    std::vector<Change> batch;
    std::vector<std::pair<Acct*, std::map<std::string, Paise>>> batch_targets;
    std::vector<std::pair<Acct*, UsageDay>> batch_usage;
    auto flush = [&]() -> Status {
      if (batch.empty()) return ok_status();
      VIDYUT_TRY(r, db_.apply_all(batch));
      for (std::size_t i = 0; i < batch.size(); ++i) {
        Acct& x = *batch_targets[i].first;
        if (batch[i].txn && !(*r)[i].duplicate) {
          own_txns_.insert((*r)[i].txn_id);
          for (const auto& p : batch[i].txn->postings) {
            if (p.ledger == wallet_of(x.a.consumer_id)) x.wallet -= p.amount;
          }
        }
        if (batch[i].txn && (*r)[i].duplicate) VIDYUT_CHECK(reload_account(x));
        x.a = batch[i].accounts.front();
        x.month = m;
        x.month_usage = batch_usage[i].second;
        x.posted = batch_targets[i].second;
        ++stats_.daily_postings;
      }
      batch.clear();
      batch_targets.clear();
      batch_usage.clear();
      return ok_status();
    };
    for (auto& x : accts_) {
      if (date_of(x.a.posted_through) >= day) continue;
      if (date_of(x.a.posted_through) < tariff::add_days(day, -1)) continue;  // earlier day first
      Change c;
      Account a = x.a;
      a.posted_through = date_str(day);
      UsageDay month_usage;
      if (auto it = older.find(x.a.id); it != older.end()) add_usage(month_usage, it->second);
      // Days before the account's billing start (a conversion mid-month) do not count.
      if (x.a.billing_from > date_str(first_day(m)) && from > first_day(m)) {
        month_usage = UsageDay{};
        VIDYUT_TRY(own, db_.usage(x.a.id, std::max(x.a.billing_from, date_str(first_day(m))),
                                  date_str(tariff::add_days(from, -1))));
        for (const auto& d : *own) add_usage(month_usage, d);
      }
      for (const auto& d : fresh->at(x.a.id)) {
        c.usage.push_back(d);
        if (d.day >= x.a.billing_from) add_usage(month_usage, d);
      }
      std::map<std::string, Paise> target = x.posted;
      if (x.a.mode == PaymentMode::kPrepaid && date_str(day) >= x.a.billing_from) {
        VIDYUT_TRY(bill, bill_to_date(x, m, day, month_usage, PaymentMode::kPrepaid));
        target = components(*bill);
        auto pd = posted_db->find(x.a.id);
        const auto posted =
            posted_charges(pd == posted_db->end() ? std::map<std::string, Paise>{} : pd->second);
        auto postings = delta_postings(target, posted, wallet_of(x.a.consumer_id));
        if (!postings.empty()) {
          Txn t;
          t.key = "daily:" + x.a.consumer_id + ":" + date_str(day);
          t.kind = "daily-charge";
          t.account_id = x.a.id;
          t.at = now;
          t.effective = date_str(day);
          VIDYUT_TRY(v, version_for(x, m));
          t.tariff = version_label(x, *v);
          nlohmann::json j;
          j["month_wh"] = month_usage.wh;
          j["intervals"] = month_usage.intervals;
          j["estimated_intervals"] = month_usage.estimated;
          j["days_billed"] = static_cast<int>(tariff::days_from_civil(day) -
                                              tariff::days_from_civil(std::max(
                                                  first_day(m), date_of(x.a.billing_from)))) +
                             1;
          j["bill_to_date"] = bill->total;
          j["posted_before"] = sum_of(posted);
          t.detail = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
          t.postings = std::move(postings);
          c.txn = std::move(t);
        }
      } else {
        target = {};
      }
      c.accounts.push_back(a);
      batch.push_back(std::move(c));
      batch_targets.emplace_back(&x, target);
      batch_usage.emplace_back(&x, month_usage);
      if (batch.size() >= o_.posting_batch) VIDYUT_CHECK(flush());
    }
    return flush();
  }

  Status post_through_locked(CivilDate day) {
    for (CivilDate d = tariff::add_days(earliest_posted(), 1); d <= day;
         d = tariff::add_days(d, 1)) {
      VIDYUT_CHECK(post_day(d));
    }
    return ok_status();
  }

  // ---- statements ----------------------------------------------------------------------------

  Status close_month_locked(YearMonth m) {
    VIDYUT_CHECK(post_through_locked(last_day(m)));
    // The month's data as it stands now (late intervals included).
    const CivilDate first = first_day(m), last = last_day(m);
    VIDYUT_TRY(fresh, restate(first, last));
    VIDYUT_TRY(posted_db, db_.postings_by_account("daily-charge", tariff::to_string(m)));
    const UtcTime now = clock_.now();
    std::vector<Change> batch;
    std::vector<Acct*> who;
    auto flush = [&]() -> Status {
      if (batch.empty()) return ok_status();
      VIDYUT_TRY(r, db_.apply_all(batch));
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (batch[i].txn && !(*r)[i].duplicate) own_txns_.insert((*r)[i].txn_id);
        VIDYUT_CHECK(reload_account(*who[i]));
        ++stats_.statements;
      }
      batch.clear();
      who.clear();
      return ok_status();
    };
    for (auto& x : accts_) {
      if (x.a.stated_through >= tariff::to_string(m)) continue;
      Change c;
      Account a = x.a;
      a.stated_through = tariff::to_string(m);
      UsageDay usage;
      for (const auto& d : fresh->at(x.a.id)) {
        c.usage.push_back(d);
        if (d.day >= x.a.billing_from) add_usage(usage, d);
      }
      if (date_str(last) >= x.a.billing_from) {
        const bool prepaid = x.a.mode == PaymentMode::kPrepaid;
        // A whole month billed: the meter's own readings at the two billing dates decide the
        // energy when the head end has read them (they count what never reached the head end);
        // the intervals give the ToD split and the demand.
        std::optional<MeterReading> previous, present;
        if (x.a.billing_from <= date_str(first)) {
          VIDYUT_TRY(p0, reading_near(store_, x.a.meter_id, tariff::ist_midnight(first)));
          VIDYUT_TRY(p1, reading_near(store_, x.a.meter_id,
                                      tariff::ist_midnight(first_day(tariff::next_month(m)))));
          previous = *p0;
          present = *p1;
        }
        bool from_meter = false;
        if (previous && present && present->import_wh >= previous->import_wh) {
          const std::int64_t wh = present->import_wh - previous->import_wh;
          std::int64_t in_blocks = 0;
          for (auto b : usage.wh_by_block) in_blocks += b;
          if (wh >= in_blocks) {
            usage.wh = wh;
            from_meter = true;
          }
        }
        VIDYUT_TRY(bill, bill_to_date(x, m, last, usage,
                                      prepaid ? PaymentMode::kPrepaid : PaymentMode::kPostpaid));
        VIDYUT_TRY(v, version_for(x, m));
        Statement s;
        s.account_id = x.a.id;
        s.month = tariff::to_string(m);
        s.issued = now;
        s.bill_total = bill->total;
        Txn t;
        t.account_id = x.a.id;
        t.at = now;
        t.effective = tariff::to_string(m);
        t.tariff = version_label(x, *v);
        nlohmann::json j;
        j["month_wh"] = usage.wh;
        j["energy_from"] = from_meter ? "meter billing profile" : "interval data";
        if (from_meter) {
          j["previous_reading_wh"] = previous->import_wh;
          j["present_reading_wh"] = present->import_wh;
        }
        j["bill_total"] = bill->total;
        j["intervals"] = usage.intervals;
        j["estimated_intervals"] = usage.estimated;
        std::vector<Posting> postings;
        if (prepaid) {
          auto pd = posted_db->find(x.a.id);
          const auto posted =
              posted_charges(pd == posted_db->end() ? std::map<std::string, Paise>{} : pd->second);
          s.kind = "prepaid-statement";
          s.posted = sum_of(posted);
          s.adjustment = s.bill_total - s.posted;
          postings = delta_postings(components(*bill), posted, wallet_of(x.a.consumer_id));
          t.key = "statement:" + x.a.consumer_id + ":" + s.month;
          t.kind = "statement";
          j["posted"] = s.posted;
        } else {
          s.kind = "postpaid-bill";
          s.adjustment = s.bill_total;
          postings = delta_postings(components(*bill), {}, receivable_of(x.a.consumer_id));
          t.key = "bill:" + x.a.consumer_id + ":" + s.month;
          t.kind = "postpaid-bill";
        }
        t.detail = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        t.postings = std::move(postings);
        if (!t.postings.empty()) c.txn = std::move(t);
        StatementContext ctx{o_.rules.utility,
                             x.a,
                             **v,
                             tariffs_.at(x.a.tariff_code),
                             std::max(first, date_of(x.a.billing_from)),
                             last,
                             usage,
                             *bill,
                             s};
        ctx.balance_after = prepaid ? x.wallet - s.adjustment : x.receivable + s.adjustment;
        if (from_meter) {
          ctx.previous_reading_wh = previous->import_wh;
          ctx.present_reading_wh = present->import_wh;
        }
        s.html = statement_html(ctx);
        c.statements.push_back(std::move(s));
        const auto& st = c.statements.back();
        if (prepaid) {
          notify(x, c.notifications, "statement",
                 "Statement for " + st.month + ": bill " + rupees(st.bill_total) +
                     ", daily deductions " + rupees(st.posted) +
                     (st.adjustment < 0   ? ", " + rupees(-st.adjustment) + " credited back"
                      : st.adjustment > 0 ? ", " + rupees(st.adjustment) + " recovered"
                                          : ", nothing to adjust") +
                     estimated_note(usage) + ".");
        } else {
          notify(
              x, c.notifications, "bill",
              "Bill for " + st.month + ": " + rupees(st.bill_total) + estimated_note(usage) + ".");
        }
      }
      c.accounts.push_back(a);
      batch.push_back(std::move(c));
      who.push_back(&x);
      if (batch.size() >= o_.posting_batch) VIDYUT_CHECK(flush());
    }
    VIDYUT_CHECK(flush());
    for (auto& x : accts_) x.accrued = accrued_of(x);
    return ok_status();
  }

  // ---- recharges -----------------------------------------------------------------------------

  Result<Acct*> find(std::string_view consumer_id) {
    auto it = by_consumer_.find(std::string(consumer_id));
    if (it == by_consumer_.end()) {
      return Error(Errc::kNotFound, "billing: no account for consumer " + std::string(consumer_id));
    }
    return &accts_[it->second];
  }

  // What billing.db keeps of an issued token: its sequence ("sequence 3"), not its digits.
  static std::string token_marker(std::uint32_t sequence) {
    return "sequence " + std::to_string(sequence);
  }
  // The digits and sequence of the token issued with recharge `p`, computed from the meter's key
  // and what the token carries (sequence, whole rupees, IST day of issue): encoding is
  // deterministic, so this is the token the consumer was given.
  Result<std::pair<std::string, std::uint32_t>> token_of(const Acct& x, const Recharge& p) {
    if (p.token.size() == token::kTokenDigits) return std::pair{p.token, 0u};  // before v0.2
    std::uint32_t seq = 0;
    if (p.token.rfind("sequence ", 0) != 0 || std::sscanf(p.token.c_str() + 9, "%u", &seq) != 1) {
      return Error(Errc::kInternal, "recharge " + p.payment_ref + ": unreadable token record");
    }
    VIDYUT_TRY(info, store_.meter_by_id(x.a.meter_id));
    if (!*info) return Error(Errc::kNotFound, "recharge: meter of " + x.a.consumer_id + " unknown");
    VIDYUT_TRY(secrets, store_.secrets(x.a.meter_id));
    const auto key = token::derive_token_key(secrets->ak, (*info)->system_title);
    token::TokenFields f;
    f.sequence = seq;
    f.amount_rupees = static_cast<std::uint32_t>(p.amount / 100);
    f.issued_day = static_cast<std::uint32_t>(tariff::days_from_civil(tariff::ist_date(p.at)));
    VIDYUT_TRY(digits, token::encode_token(key, f));
    return std::pair{*digits, seq};
  }

  Result<RechargeResult> recharge(const RechargeRequest& q) {
    std::lock_guard lock(mu_);
    VIDYUT_CHECK(check_text("recharge: the payment reference", q.payment_ref, kMaxRefLength));
    VIDYUT_CHECK(check_text("recharge: the consumer", q.consumer_id, kMaxRefLength));
    VIDYUT_CHECK(check_text("recharge: the channel", q.channel, 32));
    VIDYUT_CHECK(check_text("recharge: the actor", q.actor, kMaxRefLength));
    if (q.payment_ref.empty() || q.payment_ref.size() > kMaxRefLength) {
      return Error(Errc::kInvalidArgument, "recharge: the payment reference must have 1 to " +
                                               std::to_string(kMaxRefLength) + " characters");
    }
    if (q.amount <= 0 || q.amount > o_.rules.max_recharge_paise) {
      return Error(Errc::kInvalidArgument, "recharge: amount must be above Rs 0 and at most " +
                                               rupees(o_.rules.max_recharge_paise) + ", got " +
                                               rupees(q.amount));
    }
    if (q.channel.empty() || q.channel.size() > 32) {
      return Error(Errc::kInvalidArgument, "recharge: channel must have 1 to 32 characters");
    }
    VIDYUT_TRY(xp, find(q.consumer_id));
    Acct& x = **xp;
    VIDYUT_TRY(prior, db_.recharge(q.payment_ref));
    if (*prior) {
      const Recharge& p = **prior;
      if (p.account_id != x.a.id || p.amount != q.amount) {
        return Error(Errc::kRefused,
                     "recharge: payment reference " + q.payment_ref +
                         " was already used for another consumer or amount; refused");
      }
      ++stats_.duplicate_recharges;
      RechargeResult r;
      r.txn_id = p.txn_id;
      r.duplicate = true;
      r.balance = x.wallet - x.accrued;
      if (!p.token.empty()) {
        // The same token again, computed afresh: its digits are not kept at rest.
        VIDYUT_TRY(again, token_of(x, p));
        r.token = again->first;
        r.token_sequence = again->second;
      }
      return r;
    }
    const bool prepaid = x.a.mode == PaymentMode::kPrepaid;
    if (q.issue_token && (!prepaid || q.amount % 100 != 0)) {
      return Error(Errc::kInvalidArgument,
                   "recharge: a hotspot token needs a prepaid account and whole rupees");
    }
    const UtcTime now = clock_.now();
    RechargeResult r;
    Txn t;
    t.key = "recharge:" + q.payment_ref;
    t.kind = prepaid ? "recharge" : "payment";
    t.account_id = x.a.id;
    t.at = now;
    t.effective = date_str(tariff::ist_date(now));
    nlohmann::json j;
    j["payment_ref"] = q.payment_ref;
    j["channel"] = q.channel;
    j["actor"] = q.actor;
    t.postings.push_back(Posting{"cash:" + q.channel, q.amount});
    if (prepaid) {
      if (x.arrears > 0) {
        r.to_arrears = std::min<Paise>(
            x.arrears,
            tariff::round_div(static_cast<tariff::Int128>(q.amount) * o_.rules.arrears_share_bp,
                              10'000));
      }
      r.to_wallet = q.amount - r.to_arrears;
      t.postings.push_back(Posting{wallet_of(x.a.consumer_id), -r.to_wallet});
      if (r.to_arrears > 0)
        t.postings.push_back(Posting{arrears_of(x.a.consumer_id), -r.to_arrears});
      j["to_arrears"] = r.to_arrears;
    } else {
      t.postings.push_back(Posting{receivable_of(x.a.consumer_id), -q.amount});
    }
    t.detail = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    Change c;
    Recharge rec{q.payment_ref, x.a.id, q.amount, q.channel, 0, now, 0, {}};
    Account a = x.a;
    if (prepaid) {
      a.last_recharge = q.amount;
      a.warn_level = 0;
    }
    if (q.issue_token) {
      VIDYUT_TRY(seq, db_.next_token_sequence(x.a.meter_serial));
      VIDYUT_TRY(info, store_.meter_by_id(x.a.meter_id));
      if (!*info)
        return Error(Errc::kNotFound, "recharge: meter of " + x.a.consumer_id + " unknown");
      VIDYUT_TRY(secrets, store_.secrets(x.a.meter_id));
      const auto key = token::derive_token_key(secrets->ak, (*info)->system_title);
      token::TokenFields f;
      f.sequence = *seq;
      f.amount_rupees = static_cast<std::uint32_t>(q.amount / 100);
      f.issued_day = static_cast<std::uint32_t>(tariff::days_from_civil(tariff::ist_date(now)));
      VIDYUT_TRY(digits, token::encode_token(key, f));
      // billing.db keeps which token, never its digits (they are computed again when needed).
      rec.token = token_marker(*seq);
      r.token = *digits;
      r.token_sequence = *seq;
      c.tokens.push_back(TokenRow{
          x.a.meter_serial, *seq, x.a.id, f.amount_rupees, q.payment_ref, now, "issued", {}, {}});
    }
    c.txn = std::move(t);
    c.recharge = rec;
    // A passive engine (another process beside `serve`) leaves the account's rule state to the
    // serving engine, which takes the new last recharge from this transaction.
    if (o_.decide) c.accounts.push_back(a);
    notify(x, c.notifications, prepaid ? "recharge" : "payment",
           (prepaid ? "Recharge of " : "Payment of ") + rupees(q.amount) + " received (ref " +
               q.payment_ref + ")" +
               (r.to_arrears > 0 ? "; " + rupees(r.to_arrears) + " of it recovers arrears" : "") +
               (q.issue_token ? "; hotspot token " + std::to_string(r.token_sequence) +
                                    " issued with the receipt (ending " +
                                    r.token.substr(r.token.size() - 4) + ")"
                              : "") +
               ".");
    VIDYUT_TRY(applied, db_.apply(c));
    r.txn_id = applied->txn_id;
    if (applied->duplicate) {  // another process took the same reference a moment ago
      ++stats_.duplicate_recharges;
      VIDYUT_CHECK(reload_account(x));
      r.duplicate = true;
      r.to_wallet = r.to_arrears = 0;
      r.balance = x.wallet - x.accrued;
      return r;
    }
    own_txns_.insert(applied->txn_id);
    ++stats_.recharges;
    x.a = a;
    if (prepaid) {
      x.wallet += r.to_wallet;
      x.arrears -= r.to_arrears;
    } else {
      x.receivable -= q.amount;
    }
    const bool was_open = !x.a.relay_closed;
    evaluate(x);
    r.reconnect_ordered = was_open && x.a.relay_closed;
    r.balance = x.wallet - x.accrued;
    if (q.issue_token) {
      ++stats_.tokens_issued;
      if (relay_ != nullptr) {
        store::Command cmd;
        cmd.meter_id = x.a.meter_id;
        cmd.kind = store::CommandKind::kRead;
        cmd.argument = "tokens";
        cmd.idempotency_key = "tokens:" + x.a.meter_serial + ":" + std::to_string(r.token_sequence);
        cmd.requested_by = "billing";
        cmd.reason = "reconcile hotspot token " + std::to_string(r.token_sequence);
        cmd.created = now;
        cmd.deadline = now + std::chrono::seconds(o_.token_read_deadline_s);
        if (auto s = relay_->submit(cmd); !s.ok()) ++stats_.errors;
      }
    }
    return r;
  }

  Result<RechargeResult> reverse(std::string_view ref, std::string_view reason,
                                 std::string_view actor) {
    std::lock_guard lock(mu_);
    VIDYUT_CHECK(check_text("reverse: the payment reference", ref, kMaxRefLength));
    VIDYUT_CHECK(check_text("reverse: the reason", reason, kMaxTextLength));
    VIDYUT_CHECK(check_text("reverse: the actor", actor, kMaxRefLength));
    VIDYUT_TRY(prior, db_.recharge(ref));
    if (!*prior)
      return Error(Errc::kNotFound, "reverse: no recharge with reference " + std::string(ref));
    auto it = by_id_.find((*prior)->account_id);
    if (it == by_id_.end()) return Error(Errc::kNotFound, "reverse: account unknown");
    Acct& x = accts_[it->second];
    RechargeResult r;
    if ((*prior)->reversal_txn_id != 0) {
      r.txn_id = (*prior)->reversal_txn_id;
      r.duplicate = true;
      r.balance = x.wallet - x.accrued;
      return r;
    }
    VIDYUT_TRY(orig, db_.txn_by_key("recharge:" + std::string(ref)));
    if (!*orig) return Error(Errc::kInternal, "reverse: recharge transaction missing");
    const UtcTime now = clock_.now();
    Txn t;
    t.key = "reversal:" + std::string(ref);
    t.kind = "reversal";
    t.account_id = x.a.id;
    t.at = now;
    t.effective = date_str(tariff::ist_date(now));
    nlohmann::json j;
    j["payment_ref"] = std::string(ref);
    j["reason"] = std::string(reason);
    j["actor"] = std::string(actor);
    t.detail = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    for (const auto& p : (*orig)->postings) t.postings.push_back(Posting{p.ledger, -p.amount});
    Change c;
    c.txn = t;
    c.reverse_ref = std::string(ref);
    notify(x, c.notifications, "reversal",
           "Recharge " + std::string(ref) + " of " + rupees((*prior)->amount) +
               " was reversed: " + std::string(reason) + ".");
    // Its hotspot token is void: the meter cannot be told while it is offline, so the token
    // stays usable there, but the money is gone from the balance, and a use is reconciled as
    // owed (reconcile_tokens_locked), never credited again.
    if (!(*prior)->token.empty()) {
      VIDYUT_TRY(tokens, db_.tokens_of(x.a.meter_serial));
      for (auto tk : *tokens) {
        if (tk.payment_ref != ref || tk.state != "issued") continue;
        tk.state = "revoked";
        tk.reconciled = now;
        c.tokens.push_back(tk);
        notify(x, c.notifications, "token-revoked",
               "Hotspot token " + std::to_string(tk.sequence) + " of the reversed recharge " +
                   std::string(ref) + " is void. If it is typed at the meter, its " +
                   rupees(static_cast<Paise>(tk.amount_rupees) * 100) + " is owed.");
      }
    }
    VIDYUT_TRY(applied, db_.apply(c));
    r.txn_id = applied->txn_id;
    r.duplicate = applied->duplicate;
    if (!applied->duplicate) own_txns_.insert(applied->txn_id);
    ++stats_.reversals;
    VIDYUT_CHECK(reload_account(x));
    x.accrued = accrued_of(x);
    evaluate(x);
    r.balance = x.wallet - x.accrued;
    return r;
  }

  Result<ApplyResult> adjust(std::string_view consumer, Paise amount, std::string_view reason,
                             std::string_view key, std::string_view actor) {
    std::lock_guard lock(mu_);
    VIDYUT_CHECK(check_text("adjust: the consumer", consumer, kMaxRefLength));
    VIDYUT_CHECK(check_text("adjust: the reason", reason, kMaxTextLength));
    VIDYUT_CHECK(check_text("adjust: the key", key, kMaxRefLength));
    VIDYUT_CHECK(check_text("adjust: the actor", actor, kMaxRefLength));
    if (amount == 0) return Error(Errc::kInvalidArgument, "adjust: amount must not be 0");
    if (key.empty()) return Error(Errc::kInvalidArgument, "adjust: a key is needed");
    VIDYUT_TRY(xp, find(consumer));
    Acct& x = **xp;
    Txn t;
    t.key = "adjust:" + std::string(key);
    t.kind = "adjustment";
    t.account_id = x.a.id;
    t.at = clock_.now();
    t.effective = date_str(tariff::ist_date(t.at));
    nlohmann::json j;
    j["reason"] = std::string(reason);
    j["actor"] = std::string(actor);
    t.detail = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const std::string target = x.a.mode == PaymentMode::kPrepaid ? wallet_of(x.a.consumer_id)
                                                                 : receivable_of(x.a.consumer_id);
    // A credit to the consumer: the wallet is credited (negative) or the dues reduced.
    t.postings = {Posting{target, -amount}, Posting{"adjustment", amount}};
    Change c;
    c.txn = t;
    notify(x, c.notifications, "adjustment",
           (amount > 0 ? "Credit of " : "Debit of ") + rupees(amount > 0 ? amount : -amount) +
               ": " + std::string(reason) + ".");
    VIDYUT_TRY(r, db_.apply(c));
    if (!r->duplicate) own_txns_.insert(r->txn_id);
    VIDYUT_CHECK(reload_account(x));
    x.accrued = accrued_of(x);
    evaluate(x);
    return *r;
  }

  Status convert_to_prepaid(std::string_view consumer, std::string_view actor) {
    std::lock_guard lock(mu_);
    VIDYUT_TRY(xp, find(consumer));
    Acct& x = **xp;
    if (x.a.mode == PaymentMode::kPrepaid) return ok_status();
    const UtcTime now = clock_.now();
    const CivilDate today = tariff::ist_date(now);
    const CivilDate yesterday = tariff::add_days(today, -1);
    // Months before this one still unbilled are billed first.
    const YearMonth this_month = tariff::month_of(today);
    if (x.a.stated_through < tariff::to_string(prev_month(this_month))) {
      VIDYUT_CHECK(close_month_locked(prev_month(this_month)));
    }
    std::vector<Change> changes;
    // Final postpaid bill of this month up to yesterday.
    if (yesterday >= first_day(this_month) && date_str(yesterday) >= x.a.billing_from) {
      VIDYUT_TRY(days, restate(first_day(this_month), yesterday));
      UsageDay usage;
      Change c;
      for (const auto& d : days->at(x.a.id)) {
        c.usage.push_back(d);
        if (d.day >= x.a.billing_from) add_usage(usage, d);
      }
      VIDYUT_TRY(bill, bill_to_date(x, this_month, yesterday, usage, PaymentMode::kPostpaid));
      VIDYUT_TRY(v, version_for(x, this_month));
      Txn t;
      t.key = "final-bill:" + x.a.consumer_id + ":" + date_str(today);
      t.kind = "final-bill";
      t.account_id = x.a.id;
      t.at = now;
      t.effective = tariff::to_string(this_month);
      t.tariff = version_label(x, *v);
      nlohmann::json j;
      j["month_wh"] = usage.wh;
      j["to"] = date_str(yesterday);
      t.detail = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      t.postings = delta_postings(components(*bill), {}, receivable_of(x.a.consumer_id));
      Statement s;
      s.account_id = x.a.id;
      s.month = tariff::to_string(this_month);
      s.kind = "final-bill";
      s.bill_total = bill->total;
      s.adjustment = bill->total;
      s.issued = now;
      StatementContext ctx{o_.rules.utility,
                           x.a,
                           **v,
                           tariffs_.at(x.a.tariff_code),
                           std::max(first_day(this_month), date_of(x.a.billing_from)),
                           yesterday,
                           usage,
                           *bill,
                           s};
      ctx.balance_after = x.receivable + bill->total;
      s.html = statement_html(ctx);
      if (!t.postings.empty()) c.txn = std::move(t);
      c.statements.push_back(std::move(s));
      changes.push_back(std::move(c));
      x.receivable += bill->total;
    }
    // Dues become arrears; an advance becomes wallet credit. The conversion is a transaction even
    // when nothing is owed (zero postings), so the ledger records it and other processes see it.
    Change c;
    {
      Txn t;
      t.key = "conversion:" + x.a.consumer_id + ":" + date_str(today);
      t.kind = "conversion";
      t.account_id = x.a.id;
      t.at = now;
      t.effective = date_str(today);
      nlohmann::json j;
      j["actor"] = std::string(actor);
      t.detail = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      if (x.receivable >= 0) {
        t.postings = {Posting{arrears_of(x.a.consumer_id), x.receivable},
                      Posting{receivable_of(x.a.consumer_id), -x.receivable}};
      } else {
        t.postings = {Posting{receivable_of(x.a.consumer_id), -x.receivable},
                      Posting{wallet_of(x.a.consumer_id), x.receivable}};
      }
      c.txn = std::move(t);
    }
    Account a = x.a;
    a.mode = PaymentMode::kPrepaid;
    a.billing_from = date_str(today);
    a.posted_through = date_str(yesterday);
    a.stated_through = tariff::to_string(prev_month(this_month));
    a.grace_until = now + std::chrono::hours(24 * o_.rules.grace_days);
    a.warn_level = 0;
    a.negative_since = UtcTime{};
    c.accounts.push_back(a);
    notify(x, c.notifications, "converted",
           "Your connection is now prepaid. " +
               (x.receivable > 0 ? "Dues of " + rupees(x.receivable) +
                                       " are carried as arrears and recovered from recharges. "
                                 : std::string()) +
               "No disconnection for " + std::to_string(o_.rules.grace_days) + " days (until " +
               tariff::format_ist(a.grace_until) + ").");
    changes.push_back(std::move(c));
    VIDYUT_TRY(r, db_.apply_all(changes));
    for (const auto& x2 : *r) {
      if (!x2.duplicate) own_txns_.insert(x2.txn_id);
    }
    VIDYUT_CHECK(reload_account(x));
    x.month = this_month;
    x.month_usage = UsageDay{};
    x.posted.clear();
    x.pending.clear();
    x.accrued = 0;
    if (relay_ != nullptr) {
      store::Command cmd;
      cmd.meter_id = x.a.meter_id;
      cmd.kind = store::CommandKind::kPaymentMode;
      cmd.argument = "prepaid";
      cmd.idempotency_key = "mode:" + x.a.consumer_id + ":prepaid:" + date_str(today);
      cmd.requested_by = std::string(actor);
      cmd.reason = "conversion to prepaid";
      cmd.created = now;
      cmd.deadline = now + std::chrono::seconds(o_.relay_deadline_s);
      if (auto s = relay_->submit(cmd); !s.ok()) return s.error();
    }
    return ok_status();
  }

  // ---- tokens --------------------------------------------------------------------------------

  Status reconcile_tokens_locked() {
    VIDYUT_TRY(issued, db_.tokens("issued"));
    VIDYUT_TRY(revoked, db_.tokens("revoked"));  // a void token may still be typed in
    std::map<std::string, std::vector<TokenRow>> by_meter;
    for (auto& t : *issued) by_meter[t.meter_serial].push_back(t);
    for (auto& t : *revoked) by_meter[t.meter_serial].push_back(t);
    const UtcTime now = clock_.now();
    for (auto& [serial, list] : by_meter) {
      auto it = by_id_.find(list.front().account_id);
      if (it == by_id_.end()) continue;
      Acct& x = accts_[it->second];
      UtcTime from = list.front().issued;
      for (const auto& t : list) from = std::min(from, t.issued);
      VIDYUT_TRY(rows, store_.profile_rows(x.a.meter_id, "tokens", from - std::chrono::hours(48),
                                           now + std::chrono::hours(48)));
      VIDYUT_TRY(known, db_.tokens_of(serial));
      std::map<std::uint32_t, TokenRow> mine;
      for (auto& t : *known) mine[t.sequence] = t;
      Change c;
      for (const auto& row : *rows) {
        const auto seq = static_cast<std::uint32_t>(row.code);
        auto m = mine.find(seq);
        if (m == mine.end()) {
          TokenRow u{serial, seq, x.a.id, 0, "", row.captured, "unknown", row.captured, now};
          c.tokens.push_back(u);
          mine[seq] = u;
          notify(x, c.notifications, "token-unknown",
                 "Meter " + serial + " reports token " + std::to_string(seq) +
                     " that billing never issued; investigate (possible key compromise).");
          continue;
        }
        // Issued: used as paid for. Revoked (its payment was reversed): the balance already
        // lacks the money, so the consumer owes what he consumes on it. Anything else was
        // reconciled before: once only.
        const bool void_token = m->second.state == "revoked";
        if (!void_token && m->second.state != "issued") continue;
        m->second.state = void_token ? "applied-after-reversal" : "applied";
        m->second.applied = row.captured;
        m->second.reconciled = now;
        c.tokens.push_back(m->second);
        ++stats_.tokens_reconciled;
        const std::string amount = rupees(static_cast<Paise>(m->second.amount_rupees) * 100);
        const std::string used = "Hotspot token " + std::to_string(seq) + " (" + amount +
                                 ") was used at the meter on " + tariff::format_ist(row.captured);
        if (void_token) {
          notify(x, c.notifications, "token-applied-after-reversal",
                 used + " although its payment (" + m->second.payment_ref +
                     ") was reversed; it was not credited and is owed.");
        } else {
          notify(x, c.notifications, "token-applied",
                 used + "; the recharge was credited when it was issued.");
        }
      }
      if (!c.tokens.empty()) {
        auto r = db_.apply(c);
        if (!r.ok()) return r.error();
      }
    }
    last_token_check_ = now;
    return ok_status();
  }

  // ---- tick ----------------------------------------------------------------------------------

  Status tick() {
    std::unique_lock lock(mu_);
    if (!o_.decide) return reload_external();
    const UtcTime now = clock_.now();
    VIDYUT_CHECK(reload_external());
    if (now - last_registry_check_ >= std::chrono::minutes(10)) {
      VIDYUT_TRY(n, store_.meter_count());
      if (*n != registry_count_) {
        VIDYUT_CHECK(sync_registry_locked());
        VIDYUT_CHECK(load_balances());
        registry_count_ = *n;
      }
      last_registry_check_ = now;
    }
    const CivilDate shifted =
        tariff::ist_date(now - std::chrono::seconds(o_.rules.posting_delay_s));
    const CivilDate due = tariff::add_days(shifted, -1);
    const CivilDate earliest = earliest_posted();
    const bool posting = tariff::add_days(earliest, 1) <= due;
    const YearMonth due_month =
        prev_month(tariff::month_of(tariff::add_days(shifted, -o_.rules.statement_delay_days)));
    std::string earliest_stated = "9999-12";
    for (const auto& x : accts_) earliest_stated = std::min(earliest_stated, x.a.stated_through);
    std::vector<YearMonth> months;
    if (earliest_stated < tariff::to_string(due_month)) {
      auto m = tariff::parse_month(earliest_stated);
      for (YearMonth mm = m.ok() ? tariff::next_month(*m) : due_month; mm <= due_month;
           mm = tariff::next_month(mm)) {
        months.push_back(mm);
      }
    }
    const bool accrual = posting || !months.empty() ||
                         now - last_accrual_ >= std::chrono::seconds(o_.accrual_refresh_s);
    // The days the work below will read from the store, read now without the lock: a recharge
    // (the payment API) never waits for the store's grouped reads.
    std::set<CivilDate> days;
    const CivilDate today = tariff::ist_date(now);
    if (posting) {
      for (CivilDate d = tariff::add_days(earliest, 1); d <= due; d = tariff::add_days(d, 1)) {
        const CivilDate from =
            std::max(first_day(tariff::month_of(d)), tariff::add_days(d, -(o_.restate_days - 1)));
        for (CivilDate r = from; r <= d; r = tariff::add_days(r, 1)) days.insert(r);
      }
    }
    for (const auto& m : months) {
      for (CivilDate r = first_day(m); r <= last_day(m); r = tariff::add_days(r, 1)) days.insert(r);
    }
    if (accrual) {
      const CivilDate after = posting ? due : earliest;
      for (CivilDate r = std::max(tariff::add_days(after, 1), tariff::add_days(today, -3));
           r <= today; r = tariff::add_days(r, 1)) {
        days.insert(r);
      }
    }
    std::map<std::string, DayRead> reads;
    if (!days.empty()) {
      lock.unlock();
      for (const auto& d : days) {
        VIDYUT_TRY(r, read_day(*usage_, tariffs_, d, now));
        reads[date_str(d)] = std::move(*r);
      }
      lock.lock();
    }
    prefetched_ = std::move(reads);
    struct Clear {
      std::map<std::string, DayRead>& m;
      ~Clear() { m.clear(); }
    } clear{prefetched_};
    if (posting) VIDYUT_CHECK(post_through_locked(due));
    for (const auto& m : months) VIDYUT_CHECK(close_month_locked(m));
    if (accrual) VIDYUT_CHECK(refresh_accrual_locked());
    prefetched_.clear();
    evaluate_all();
    if (now - last_relay_check_ >= std::chrono::seconds(o_.relay_check_s)) {
      check_relays();
      last_relay_check_ = now;
    }
    if (now - last_token_check_ >= std::chrono::seconds(o_.token_check_s)) {
      VIDYUT_CHECK(reconcile_tokens_locked());
    }
    return ok_status();
  }

  Result<AccountView> view(std::string_view consumer) {
    std::lock_guard lock(mu_);
    VIDYUT_TRY(xp, find(consumer));
    Acct& x = **xp;
    AccountView v;
    v.account = x.a;
    auto ver = version_for(x, tariff::month_of(tariff::ist_date(clock_.now())));
    if (ver.ok()) v.tariff = version_label(x, *ver);
    v.wallet = x.wallet;
    v.accrued = x.accrued;
    v.balance = x.wallet - x.accrued;
    v.arrears = x.arrears;
    v.receivable = x.receivable;
    v.month_wh = x.month_usage.wh;
    for (const auto& [d, u] : x.pending) {
      if (tariff::month_of(date_of(d)) == x.month) v.month_wh += u.wh;
    }
    const UtcTime now = clock_.now();
    v.quiet = quiet_reason(o_.rules, now);
    if (x.a.negative_since != UtcTime{} && x.a.relay_closed) {
      v.disconnect_not_before = next_disconnection_time(
          o_.rules, std::max(x.a.negative_since + std::chrono::seconds(o_.rules.emergency_credit_s),
                             std::max(x.a.grace_until, now)));
    }
    return v;
  }

  BillingDb& db_;
  store::Store& store_;
  const Clock& clock_;
  std::map<std::string, tariff::Tariff> tariffs_;
  EngineOptions o_;
  RelayPort* relay_;
  StoreUsage store_usage_;
  UsageSource* usage_;
  mutable std::mutex mu_;
  std::vector<Acct> accts_;
  std::map<std::string, std::size_t> by_consumer_;
  std::map<std::int64_t, std::size_t> by_id_, by_meter_;
  std::map<std::int64_t, std::string> relay_reason_;
  std::map<std::string, DayRead> prefetched_;  // tick's store reads, by IST day
  std::set<std::int64_t> own_txns_;
  std::int64_t known_txn_ = 0;
  std::size_t registry_count_ = 0;
  UtcTime last_accrual_{}, last_relay_check_{}, last_token_check_{}, last_registry_check_{};
  EngineStats stats_;
};

Engine::Engine(BillingDb& db, store::Store& store, const Clock& clock,
               std::vector<tariff::Tariff> tariffs, EngineOptions options, RelayPort* relay,
               UsageSource* usage)
    : impl_(std::make_unique<Impl>(db, store, clock, std::move(tariffs), std::move(options), relay,
                                   usage)) {}
Engine::~Engine() = default;

Status Engine::start() { return impl_->start(); }
Status Engine::sync_registry() {
  std::lock_guard lock(impl_->mu_);
  VIDYUT_CHECK(impl_->sync_registry_locked());
  return impl_->load_balances();
}
Result<RechargeResult> Engine::recharge(const RechargeRequest& r) { return impl_->recharge(r); }
Result<RechargeResult> Engine::reverse(std::string_view ref, std::string_view reason,
                                       std::string_view actor) {
  return impl_->reverse(ref, reason, actor);
}
Result<ApplyResult> Engine::adjust(std::string_view c, Paise amount, std::string_view reason,
                                   std::string_view key, std::string_view actor) {
  return impl_->adjust(c, amount, reason, key, actor);
}
Status Engine::convert_to_prepaid(std::string_view c, std::string_view actor) {
  return impl_->convert_to_prepaid(c, actor);
}
Status Engine::tick() { return impl_->tick(); }
Status Engine::refresh_accrual() {
  std::lock_guard lock(impl_->mu_);
  VIDYUT_CHECK(impl_->refresh_accrual_locked());
  impl_->evaluate_all();
  return ok_status();
}
Status Engine::post_through(tariff::CivilDate day) {
  std::lock_guard lock(impl_->mu_);
  return impl_->post_through_locked(day);
}
Status Engine::close_month(tariff::YearMonth m) {
  std::lock_guard lock(impl_->mu_);
  return impl_->close_month_locked(m);
}
Status Engine::reconcile_tokens() {
  std::lock_guard lock(impl_->mu_);
  return impl_->reconcile_tokens_locked();
}
Result<AccountView> Engine::view(std::string_view c) { return impl_->view(c); }
std::map<std::string, bool> Engine::relay_wanted() {
  std::lock_guard lock(impl_->mu_);
  std::map<std::string, bool> out;
  for (const auto& x : impl_->accts_) out[x.a.consumer_id] = x.a.relay_closed;
  return out;
}
EngineStats Engine::stats() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->stats_;
}

}  // namespace vidyut::billing
