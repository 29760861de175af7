// `vidyut serve` (the head end) and the operator's commands beside it, all on one data
// directory (docs/head-end.md):
//
//   serve    --data DIR [--port 4059] ...        runs the head end until SIGINT/SIGTERM
//   command  --data DIR KIND SERIAL... [--arg]   queues a command (the running head end picks it
//                                                up within a second)
//   commands --data DIR [--after ID]             lists commands and their outcome
//   alerts   --data DIR [--after ID] [--follow]  tamper, outage, relay and security alerts
//   audit    --data DIR [--after ID]             the audit trail
//   health   --data DIR [--day YYYY-MM-DD]       completeness KPIs; --meter SERIAL for one meter
//   status   --data DIR [--from ISO --to ISO]    meters, stored intervals, commands
#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "access/book.h"
#include "api/hosted_gateway.h"
#include "api/simulated_gateway.h"
#include "checkout/checkout.h"
#include "cli/billing_service.h"
#include "cli/command_ports.h"
#include "cli/commands.h"
#include "cli/data_options.h"
#include "cli/http_service.h"
#include "cli/metrics_feed.h"
#include "cli/monitor_service.h"
#include "cli/notice_service.h"
#include "cli/portal_codes.h"
#include "cli/quirks_config.h"
#include "core/log.h"
#include "core/text.h"
#include "headend/head_end.h"
#include "mdm/cases.h"
#include "mdm/load_control.h"
#include "mdm/vee_book.h"
#include "store/sqlite_store.h"

namespace vidyut::cli {
namespace {

std::string ist(UtcTime t) {
  if (t == UtcTime{}) return "never";
  const auto local = t + kIstOffset;
  std::string s = format_iso8601(local);
  if (!s.empty() && s.back() == 'Z') s.pop_back();
  return s + "+05:30";
}

// ---- serve -----------------------------------------------------------------------------------

struct ServeOptions {
  DataOptions data;
  headend::HeadEndOptions he;
  double speed = 1;
  std::string start;
  std::string epoch;
  double status_s = 10;
  std::string duration;
  double idle_timeout_s = 120;
  double gap_window_days = 7;
  std::string gap_floor;
  bool no_billing = false;
  std::string new_accounts = "postpaid";
  BillingServiceOptions billing;
  double billing_tick_s = 1;
  bool no_payment_api = false;
  HttpServiceOptions payment;
  bool no_mdm = false;
  std::string sms_gateway;          // URL; empty: no SMS (consumers cannot get sign-in codes)
  std::string sms_key_file;         // bearer key of the gateway (first line), optional
  bool simulated_payments = false;  // the portal's recharges confirmed at once (demo, tests)
  // The portal's recharges through a gateway's hosted checkout (docs/checkout.md).
  std::string checkout_url;
  std::string checkout_merchant = "VIDYUT-DEMO";
  std::string checkout_secret_file;  // empty: <data>/checkout.key
  std::string public_url;   // where consumers reach the portal (the gateway sends them back)
  std::string quirks_file;  // meter quirks per manufacturer (docs/meter-quirks.md)
};

volatile std::sig_atomic_t g_stop = 0;
void on_stop_signal(int) { g_stop = 1; }

int run_serve(ServeOptions o) {
  auto db = open_store(o.data);
  if (!db.ok()) return report_error("serve", db.error());
  std::unique_ptr<Clock> owned;
  const Clock* clock = &RealClock::instance();
  if (o.speed != 1 || !o.start.empty() || !o.epoch.empty()) {
    if (!(o.speed > 0) || o.speed > 100'000) {
      return report_error("serve", Error(Errc::kInvalidArgument, "--speed must be in (0, 100000]"));
    }
    UtcTime start = RealClock::instance().now();
    if (!o.start.empty()) {
      auto s = parse_iso8601(o.start);
      if (!s.ok()) return report_error("serve", s.error());
      start = *s;
    }
    if (!o.epoch.empty()) {
      auto e = parse_iso8601(o.epoch);
      if (!e.ok()) return report_error("serve", e.error());
      owned = std::make_unique<ScaledClock>(start, o.speed, *e);
    } else {
      owned = std::make_unique<ScaledClock>(start, o.speed);
    }
    clock = owned.get();
  }
  // Record the business time for the CLI commands on this data directory (data_options.h).
  {
    const UtcTime wall = RealClock::instance().now();
    const std::string recorded =
        clock == &RealClock::instance()
            ? std::string("real")
            : fmt::format("scaled {} {} {}", clock->now().time_since_epoch().count(), o.speed,
                          wall.time_since_epoch().count());
    if (auto st = (*db)->set_meta(kBusinessClockKey, recorded); !st.ok()) {
      return report_error("serve", st.error());
    }
  }
  std::optional<Millis> duration;
  if (!o.duration.empty()) {
    auto d = parse_duration(o.duration);
    if (!d.ok()) return report_error("serve", d.error());
    duration = *d;
  }
  o.he.idle_timeout = Millis(static_cast<std::int64_t>(o.idle_timeout_s * 1000));
  o.he.gap_window_s = static_cast<std::int64_t>(o.gap_window_days * 86'400);
  if (!o.gap_floor.empty()) {
    auto f = parse_iso8601(o.gap_floor);
    if (!f.ok()) return report_error("serve", f.error());
    o.he.gap_floor = *f;
  }
  if (!o.quirks_file.empty()) {
    auto q = load_quirks_config(o.quirks_file);
    if (!q.ok()) return report_error("serve", q.error());
    o.he.quirks_by_manufacturer = std::move(*q);
    for (const auto& [maker, set] : o.he.quirks_by_manufacturer) {
      logger("cli")->warn("meters of {}: accepting quirks {}", maker, set.to_string());
    }
  }
  headend::HeadEnd he(**db, *clock, o.he);
  if (auto st = he.start(); !st.ok()) return report_error("serve", st.error());
  std::cout << fmt::format("head end on {}:{}, data in {}\n", o.he.bind_address, he.port(),
                           o.data.data_dir)
            << std::flush;
  // The figures at /metrics (docs/metrics.md): each component's counters, read when scraped.
  metrics::Exporter exporter;
  exporter.add_source([&he] { return head_end_samples(he.stats()); });
  HeadEndRelayPort relay(he, **db);
  std::unique_ptr<store::Store> billing_store;  // outlives the service that reads it
  std::unique_ptr<BillingService> billing;
  if (!o.no_billing) {
    if (o.new_accounts != "prepaid" && o.new_accounts != "postpaid") {
      return report_error(
          "serve", Error(Errc::kInvalidArgument, "--new-accounts must be prepaid or postpaid"));
    }
    o.billing.data_dir = o.data.data_dir;
    o.billing.engine.new_account_mode = o.new_accounts == "prepaid"
                                            ? tariff::PaymentMode::kPrepaid
                                            : tariff::PaymentMode::kPostpaid;
    o.billing.tick = Millis(static_cast<std::int64_t>(o.billing_tick_s * 1000));
    // The engine reads intervals on a connection of its own: its grouped reads then never wait
    // for (or hold up) the head end's writer (SQLite WAL: readers and a writer run together).
    auto reader = open_store(o.data);
    if (!reader.ok()) {
      he.stop();
      return report_error("serve", reader.error());
    }
    billing_store = std::move(*reader);
    o.billing.on_tick = [&exporter](double seconds) {
      exporter.observe(metrics::Latency::kBillingTick, "", seconds);
    };
    auto b = BillingService::start(o.billing, *billing_store, *clock, &relay);
    if (!b.ok()) {
      he.stop();
      return report_error("serve", b.error());
    }
    billing = std::move(*b);
    exporter.add_source([b = billing.get()] { return billing_samples(b->engine().stats()); });
    std::cout << fmt::format("billing: {} accounts, rules of {}\n",
                             billing->engine().stats().accounts, o.billing.engine.rules.utility)
              << std::flush;
  }
  // The MDM's continuous work (overload and outage alerts, validated data), on a thread and a
  // store connection of its own.
  std::unique_ptr<MonitorService> monitor;
  if (!o.no_mdm) {
    auto started = MonitorService::start(o.data, *clock, Millis(200), [&exporter](double seconds) {
      exporter.observe(metrics::Latency::kMdmRun, "", seconds);
    });
    if (!started.ok()) {
      if (billing) billing->stop();
      he.stop();
      return report_error("serve", started.error());
    }
    monitor = std::move(*started);
    exporter.add_source([m = monitor.get()] { return mdm_samples(m->stats()); });
  }
  // Area load control: actions taken with `vidyut mdm load-limit` are restored here at the end
  // of their window (their commands reach the meters through the store's queue).
  HeadEndCommandPort command_port(he, **db);
  std::unique_ptr<mdm::LoadControl> load_control;
  if (!o.no_mdm) {
    auto lc = mdm::LoadControl::open(o.data.data_dir, **db, command_port, *clock);
    if (!lc.ok()) {
      if (billing) billing->stop();
      he.stop();
      return report_error("serve", lc.error());
    }
    load_control = std::move(*lc);
  }
  // The platform API (portal, control room, other systems) and the payment API on one HTTP
  // server, on a store connection of its own (docs/http.md, docs/api.md).
  std::unique_ptr<store::Store> api_store;
  std::unique_ptr<access::AccessBook> access_book;
  std::unique_ptr<mdm::VeeBook> api_vee;
  std::unique_ptr<mdm::CaseBook> api_cases;
  std::unique_ptr<HttpService> http_service;
  std::unique_ptr<notify::Notifier> notifier;
  std::unique_ptr<NoticeService> notices;  // after the notifier: stopped before it
  std::unique_ptr<NotifierCodes> codes;
  std::unique_ptr<api::SimulatedGateway> gateway;
  std::unique_ptr<checkout::Checkout> checkout;
  std::unique_ptr<api::HostedGateway> hosted;
  {
    auto fail = [&](const Error& e) {
      if (billing) billing->stop();
      he.stop();
      return report_error("serve", e);
    };
    auto st = open_store(o.data);
    if (!st.ok()) return fail(st.error());
    api_store = std::move(*st);
    auto ab = access::AccessBook::open(o.data.data_dir, *clock, api_store.get());
    if (!ab.ok()) return fail(ab.error());
    access_book = std::move(*ab);
    if (!o.no_mdm) {
      auto v = mdm::VeeBook::open(o.data.data_dir, *clock);
      if (!v.ok()) return fail(v.error());
      api_vee = std::move(*v);
      auto cb = mdm::CaseBook::open(o.data.data_dir, *clock);
      if (!cb.ok()) return fail(cb.error());
      api_cases = std::move(*cb);
    }
    api::Platform platform;
    platform.store = api_store.get();
    platform.access = access_book.get();
    platform.clock = clock;
    platform.billing_db = billing ? &billing->db() : nullptr;
    platform.engine = billing ? &billing->engine() : nullptr;
    platform.vee = api_vee.get();
    platform.cases = api_cases.get();
    platform.load_control = load_control.get();
    platform.commands = &command_port;
    if (o.simulated_payments && billing) {
      gateway = std::make_unique<api::SimulatedGateway>(billing->engine());
      platform.payments = gateway.get();
    }
    if (!o.checkout_url.empty()) {
      if (!billing) return fail(Error(Errc::kInvalidArgument, "--checkout-url needs billing"));
      if (o.simulated_payments) {
        return fail(Error(Errc::kInvalidArgument,
                          "--checkout-url and --simulated-payments exclude each other"));
      }
      std::string public_url = o.public_url;
      if (public_url.empty()) {
        if (o.payment.port == 0 || !o.payment.tls_certificate_file.empty()) {
          return fail(Error(Errc::kInvalidArgument,
                            "--checkout-url needs --public-url, the portal's address for "
                            "consumers coming back from the gateway"));
        }
        public_url = fmt::format("http://{}:{}/", o.payment.bind_address, o.payment.port);
      }
      const std::string secret_file =
          o.checkout_secret_file.empty()
              ? (std::filesystem::path(o.data.data_dir) / "checkout.key").string()
              : o.checkout_secret_file;
      auto secret = load_or_create_api_key(secret_file);
      if (!secret.ok()) return fail(secret.error());
      auto c = checkout::Checkout::open(
          o.data.data_dir,
          checkout::GatewayConfig{o.checkout_url, o.checkout_merchant, *secret, public_url},
          billing->engine(), *clock);
      if (!c.ok()) return fail(c.error());
      checkout = std::move(*c);
      hosted = std::make_unique<api::HostedGateway>(*checkout);
      platform.payments = hosted.get();
      platform.checkout = checkout.get();
      std::cout << fmt::format("portal payments through {} (merchant {}, secret in {})\n",
                               o.checkout_url, o.checkout_merchant, secret_file);
    }
    std::unique_ptr<notify::SmsChannel> sms;
    if (!o.sms_gateway.empty()) {
      std::string key;
      if (!o.sms_key_file.empty()) {
        auto k = load_or_create_api_key(o.sms_key_file);
        if (!k.ok()) return fail(k.error());
        key = *k;
      }
      sms = notify::http_sms_gateway(o.sms_gateway, key);
    }
    auto n = notify::Notifier::open(o.data.data_dir, *clock, std::move(sms));
    if (!n.ok()) return fail(n.error());
    notifier = std::move(*n);
    platform.notifier = notifier.get();
    auto ns = NoticeService::start(o.data, *clock, *notifier, billing != nullptr);
    if (!ns.ok()) return fail(ns.error());
    notices = std::move(*ns);
    exporter.add_source([ns = notices.get()] { return notice_samples(ns->stats()); });
    if (!o.sms_gateway.empty()) {
      codes = std::make_unique<NotifierCodes>(*notifier);
      platform.directory = codes.get();
      platform.codes = codes.get();
    }
    auto h = HttpService::start(o.payment, o.data.data_dir,
                                billing && !o.no_payment_api ? &billing->engine() : nullptr,
                                platform, &exporter);
    if (!h.ok()) return fail(h.error());
    http_service = std::move(*h);
    exporter.add_source([hs = http_service.get()] { return http_samples(hs->stats()); });
    std::cout << fmt::format("HTTP on {}:{}{}: API /api/v1", o.payment.bind_address,
                             http_service->port(),
                             o.payment.tls_certificate_file.empty() ? "" : " (TLS)");
    if (billing && !o.no_payment_api) {
      std::cout << fmt::format(", payment API /v1 (bearer key in {})", http_service->key_file());
    }
    std::cout << "\n" << std::flush;
    if (billing && !o.no_payment_api) {
      // The line scripts and the payment channels' integrators look for.
      std::cout << fmt::format("payment API on {}:{} (bearer key in {})\n", o.payment.bind_address,
                               http_service->port(), http_service->key_file())
                << std::flush;
    }
  }
  auto next_restore_check = std::chrono::steady_clock::now();
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  const auto wall0 = std::chrono::steady_clock::now();
  auto next = wall0;
  MetricsFeed feed(exporter, *api_store, billing ? &billing->db() : nullptr);
  while (g_stop == 0) {
    const auto wall = std::chrono::steady_clock::now();
    if (duration && wall - wall0 >= *duration) break;
    if (load_control && wall >= next_restore_check) {
      next_restore_check = wall + std::chrono::seconds(1);
      if (auto n = load_control->tick(); !n.ok()) {
        logger("mdm")->warn("load control: {}", n.error().describe());
      } else if (*n > 0) {
        std::cout << fmt::format("load control: {} action(s) restored at the end of their window\n",
                                 *n)
                  << std::flush;
      }
    }
    if (wall >= next) {
      next += Millis(static_cast<std::int64_t>(o.status_s * 1000));
      feed.tick(clock->now());
      const auto s = he.stats();
      // "committed" counts rows the store has made durable: acknowledged readings.
      std::cout << fmt::format(
                       "{} sessions {} meters {} pushes {} committed {} duplicates {} queue {} "
                       "gap-reads {} gap-rows {} alerts {} rejected {} commands ok {} failed {} "
                       "expired {}\n",
                       format_iso8601(clock->now()), s.sessions_active, s.meters_connected,
                       s.pushes, s.intervals_committed, s.intervals_duplicate, s.write_queue,
                       s.gap_reads, s.gap_rows, s.alerts_raised,
                       s.rejected_unknown + s.rejected_auth + s.rejected_replay +
                           s.rejected_malformed + s.rejected_flood,
                       s.commands_succeeded, s.commands_failed, s.commands_expired)
                << std::flush;
      if (billing) {
        const auto b = billing->engine().stats();
        std::cout << fmt::format(
                         "  billing: accounts {} recharges {} duplicates {} postings {} "
                         "statements {} disconnects {} reconnects {} tokens {}/{} errors {}\n",
                         b.accounts, b.recharges, b.duplicate_recharges, b.daily_postings,
                         b.statements, b.disconnects, b.reconnects, b.tokens_reconciled,
                         b.tokens_issued, b.errors)
                  << std::flush;
      }
      if (monitor) {
        const auto m = monitor->stats();
        std::cout << fmt::format(
                         "  mdm: runs {} overload alerts {} outage alerts {} estimates {} "
                         "replaced {} errors {}\n",
                         m.runs, m.overload_alerts, m.outage_alerts,
                         m.vee.estimated + m.vee.re_estimated, m.vee.replaced, m.errors)
                  << std::flush;
      }
    }
    std::this_thread::sleep_for(Millis(50));
  }
  std::cout << "stopping: committing what is queued\n" << std::flush;
  if (monitor) monitor->stop();
  if (http_service) http_service->stop();
  if (billing) billing->stop();
  he.stop();
  const auto s = he.stats();
  std::cout << fmt::format("stopped: {} intervals committed, {} pushes, {} sessions\n",
                           s.intervals_committed, s.pushes, s.sessions_accepted);
  return kExitOk;
}

// ---- command ---------------------------------------------------------------------------------

// Bounds on what `vidyut command` queues.
constexpr long kMinCommandLoadLimitW = 100;
constexpr long kMaxCommandLoadLimitW = 100'000;
constexpr double kMaxDeadlineHours = 720;  // 30 days

struct CommandOptions {
  DataOptions data;
  std::string kind;
  std::vector<std::string> serials;
  std::string argument;
  std::string reason = "operator";
  std::string by;
  std::string key;
  double deadline_h = 24;
};

int run_command(const CommandOptions& o) {
  const auto kind = store::command_kind_from_string(o.kind);
  if (!kind) {
    return report_error("command", Error(Errc::kInvalidArgument,
                                         "unknown command " + o.kind +
                                             " (connect, disconnect, read, clock-set, load-limit, "
                                             "payment-mode, ping)"));
  }
  if (*kind == store::CommandKind::kLoadLimit && o.argument.empty()) {
    return report_error("command", Error(Errc::kInvalidArgument, "load-limit needs --arg WATTS"));
  }
  if (*kind == store::CommandKind::kPaymentMode && o.argument != "prepaid" &&
      o.argument != "postpaid") {
    return report_error("command",
                        Error(Errc::kInvalidArgument, "payment-mode needs --arg prepaid|postpaid"));
  }
  // Everything is checked before anything is queued (all or nothing).
  if (*kind == store::CommandKind::kLoadLimit) {
    // The range area load control uses (mdm/load_control.h): 1 W made a relay trip for ever.
    const bool digits = !o.argument.empty() && o.argument.size() <= 7 &&
                        std::all_of(o.argument.begin(), o.argument.end(),
                                    [](char ch) { return ch >= '0' && ch <= '9'; });
    const long watts = digits ? std::stol(o.argument) : -1;
    if (watts < kMinCommandLoadLimitW || watts > kMaxCommandLoadLimitW) {
      return report_error("command",
                          Error(Errc::kInvalidArgument,
                                fmt::format("load-limit --arg must be whole watts, {} to {}",
                                            kMinCommandLoadLimitW, kMaxCommandLoadLimitW)));
    }
  }
  if (!std::isfinite(o.deadline_h) || o.deadline_h <= 0 || o.deadline_h > kMaxDeadlineHours) {
    return report_error("command", Error(Errc::kInvalidArgument,
                                         fmt::format("--deadline-hours must be above 0 and at "
                                                     "most {}",
                                                     kMaxDeadlineHours)));
  }
  if (o.reason.empty()) {
    return report_error("command", Error(Errc::kInvalidArgument, "--reason must not be empty"));
  }
  if (auto st = check_text("--reason", o.reason, store::kMaxFieldLength); !st.ok()) {
    return report_error("command", st.error());
  }
  if (auto st = check_text("--key", o.key, 64); !st.ok())
    return report_error("command", st.error());
  auto db = open_store(o.data);
  if (!db.ok()) return report_error("command", db.error());
  std::vector<store::MeterInfo> targets;
  int unknown = 0;
  for (const auto& serial : o.serials) {
    auto m = (*db)->meter_by_serial(serial);
    if (!m.ok() || !*m) {
      std::cerr << fmt::format("{}: not in the registry\n", serial);
      ++unknown;
      continue;
    }
    targets.push_back(**m);
  }
  if (unknown > 0) {
    std::cerr << "nothing queued: fix the serials and run the command again\n";
    return kExitFailure;
  }
  const UtcTime now = business_clock(**db)->now();
  const std::string by = actor_or_user(o.by);
  int failures = 0;
  for (const auto& meter : targets) {
    const std::string& serial = meter.serial;
    store::Command c;
    c.meter_id = meter.id;
    c.kind = *kind;
    c.argument = o.argument;
    c.requested_by = by;
    c.reason = o.reason;
    c.created = now;
    c.next_attempt = now;
    c.deadline = now + Millis(static_cast<std::int64_t>(o.deadline_h * 3'600'000));
    // The same --key for the same meter is the same command: a repeated request is not a
    // second command.
    c.idempotency_key =
        o.key.empty() ? fmt::format("cli-{}-{}-{}", serial, o.kind, now.time_since_epoch().count())
                      : fmt::format("{}-{}", o.key, serial);
    auto r = (*db)->enqueue_command(c);
    if (!r.ok()) {
      std::cerr << fmt::format("{}: {}\n", serial, r.error().describe());
      ++failures;
      continue;
    }
    std::cout << fmt::format("command {} {} {} for {}: {}\n", r->id, store::to_string(r->kind),
                             r->argument, serial, store::to_string(r->state));
  }
  return failures == 0 ? kExitOk : kExitFailure;
}

struct ListOptions {
  DataOptions data;
  std::int64_t after = 0;
  std::size_t limit = 100;
  bool follow = false;
  std::string day;
  std::string meter;
  std::int32_t period_s = 900;
  std::string from, to;
};

int run_commands(const ListOptions& o) {
  auto db = open_store(o.data);
  if (!db.ok()) return report_error("commands", db.error());
  auto cs = (*db)->commands_after(o.after, std::min(o.limit, store::kMaxPage));
  if (!cs.ok()) return report_error("commands", cs.error());
  for (const auto& c : *cs) {
    auto m = (*db)->meter_by_id(c.meter_id);
    const std::string serial = m.ok() && *m ? (*m)->serial : std::to_string(c.meter_id);
    std::cout << fmt::format("{} {} {}{} meter {} by {} ({}) created {} {} attempts {}{}{}\n", c.id,
                             store::to_string(c.kind), c.argument.empty() ? "" : c.argument + " ",
                             store::to_string(c.state), serial, c.requested_by, c.reason,
                             ist(c.created),
                             c.finished == UtcTime{} ? "" : "finished " + ist(c.finished),
                             c.attempts, c.result.empty() ? "" : ": ", c.result);
  }
  return kExitOk;
}

int run_alerts(const ListOptions& o) {
  auto db = open_store(o.data);
  if (!db.ok()) return report_error("alerts", db.error());
  std::int64_t after = o.after;
  std::unordered_map<std::int64_t, std::string> serials;
  while (true) {
    auto as = (*db)->alerts_after(after, std::min(o.limit, store::kMaxPage));
    if (!as.ok()) return report_error("alerts", as.error());
    for (const auto& a : *as) {
      after = a.id;
      auto& serial = serials[a.meter_id];
      if (serial.empty()) {
        auto m = (*db)->meter_by_id(a.meter_id);
        serial = m.ok() && *m ? (*m)->serial : std::to_string(a.meter_id);
      }
      std::cout << fmt::format("{} {} meter {} {} {} {}: {}\n", a.id, ist(a.at), serial, a.kind,
                               a.name, a.active ? "started" : "ended", a.detail)
                << std::flush;
    }
    if (!o.follow) break;
    if (as->empty()) std::this_thread::sleep_for(Millis(1000));
  }
  return kExitOk;
}

int run_audit(const ListOptions& o) {
  auto db = open_store(o.data);
  if (!db.ok()) return report_error("audit", db.error());
  auto as = (*db)->audit_after(o.after, std::min(o.limit, store::kMaxPage));
  if (!as.ok()) return report_error("audit", as.error());
  for (const auto& a : *as) {
    std::cout << fmt::format("{} {} {} {} {}: {}\n", a.id, ist(a.at), a.actor, a.action, a.subject,
                             a.detail);
  }
  return kExitOk;
}

int run_status(const ListOptions& o) {
  auto db = open_store(o.data);
  if (!db.ok()) return report_error("status", db.error());
  UtcTime from = UtcTime(Millis(0));
  UtcTime to = UtcTime(Millis(std::int64_t{253'402'300'799'000}));  // 9999-12-31
  if (!o.from.empty()) {
    auto f = parse_iso8601(o.from);
    if (!f.ok()) return report_error("status", f.error());
    from = *f;
  }
  if (!o.to.empty()) {
    auto t = parse_iso8601(o.to);
    if (!t.ok()) return report_error("status", t.error());
    to = *t;
  }
  auto meters = (*db)->meter_count();
  if (!meters.ok()) return report_error("status", meters.error());
  auto n = (*db)->count_intervals(from, to);
  if (!n.ok()) return report_error("status", n.error());
  std::size_t pending = 0;
  std::int64_t last_command = 0;
  for (std::int64_t after = 0;;) {
    auto cs = (*db)->commands_after(after, store::kMaxPage);
    if (!cs.ok()) return report_error("status", cs.error());
    if (cs->empty()) break;
    for (const auto& c : *cs) {
      after = last_command = c.id;
      pending += c.state == store::CommandState::kPending;
    }
  }
  std::cout << fmt::format("meters {}\nintervals {}\ncommands {} (pending {})\nschema {}\n",
                           *meters, *n, last_command, pending, (*db)->schema_version());
  return kExitOk;
}

int run_health(const ListOptions& o) {
  auto db = open_store(o.data);
  if (!db.ok()) return report_error("health", db.error());
  const UtcTime now = business_clock(**db)->now();
  if (!o.meter.empty()) {
    auto h = headend::meter_health(**db, o.meter, o.period_s, now);
    if (!h.ok()) return report_error("health", h.error());
    std::cout << fmt::format(
        "meter {} ({}, feeder {}, DT {})\n  last contact {}\n  active SIM {} ({}), from {}\n  "
        "clock {}\n  intervals today {} of {} so far\n",
        h->meter.serial, h->meter.kind, h->meter.feeder, h->meter.dt.empty() ? "-" : h->meter.dt,
        ist(h->last_contact), h->active_sim == 0 ? std::string("?") : std::to_string(h->active_sim),
        h->active_operator, h->peer_address.empty() ? "-" : h->peer_address,
        h->clock_checked == UtcTime{}
            ? std::string("not checked yet")
            : fmt::format("{:+.2f} s off the head end's at {}",
                          static_cast<double>(h->clock_drift_ms) / 1000.0, ist(h->clock_checked)),
        h->intervals_today, h->expected_today);
    return kExitOk;
  }
  UtcTime day = now - Millis(86'400'000);  // yesterday by default
  if (!o.day.empty()) {
    auto d = parse_iso8601(o.day + "T12:00:00+05:30");
    if (!d.ok()) return report_error("health", d.error());
    day = *d;
  }
  auto h = headend::fleet_health(**db, day, o.period_s, now);
  if (!h.ok()) return report_error("health", h.error());
  auto line = [](const headend::Completeness& c) {
    return fmt::format("  {:<12} {:>7} meters, {:>7} complete ({:5.1f} %), intervals {} of {}\n",
                       c.group, c.meters, c.complete, 100.0 * c.share(), c.intervals, c.expected);
  };
  std::cout << fmt::format("interval completeness for the IST day from {}\n", ist(h->day_start))
            << line(h->all) << "by operator:\n";
  for (const auto& c : h->by_operator) std::cout << line(c);
  std::cout << "by feeder:\n";
  for (const auto& c : h->by_feeder) std::cout << line(c);
  std::cout << fmt::format("meters never heard from: {}; silent for more than a day: {}\n",
                           h->meters_never_seen, h->meters_silent_24h);
  return kExitOk;
}

}  // namespace

void register_serve(CLI::App& app, Runner& run) {
  auto so = std::make_shared<ServeOptions>();
  auto* s = app.add_subcommand("serve", "Run the head end (meter sessions on port 4059)");
  add_data_options(s, so->data);
  s->add_option("--bind", so->he.bind_address, "Address to listen on")->capture_default_str();
  s->add_option("--port", so->he.port, "Meter-facing port")->capture_default_str();
  s->add_option("--max-sessions", so->he.max_sessions, "Concurrent meter sessions")
      ->capture_default_str();
  s->add_option("--max-new-sessions-per-second", so->he.max_new_sessions_per_second,
                "New sessions per second (0: unlimited)")
      ->capture_default_str();
  s->add_option("--new-session-burst", so->he.new_session_burst, "Burst above that rate")
      ->capture_default_str();
  s->add_option("--quirks", so->quirks_file,
                "Meter quirks file: deviations to accept per manufacturer (docs/meter-quirks.md)");
  s->add_option("--idle-timeout-s", so->idle_timeout_s, "Close a silent session after this")
      ->capture_default_str();
  s->add_option("--gap-window-days", so->gap_window_days, "How far back gaps are filled")
      ->capture_default_str();
  s->add_option("--clock-tolerance-s", so->he.clock_tolerance_s,
                "Meter clocks further off than this are set (audited as clock-drift)")
      ->capture_default_str();
  s->add_option("--clock-alert-s", so->he.clock_alert_s,
                "Meter clocks further off than this raise a clock/drift alert")
      ->capture_default_str();
  s->add_option("--clock-check-interval-s", so->he.clock_check_interval_s,
                "Associate just to read a meter's clock and SIM at most this often (0: every "
                "session)")
      ->capture_default_str();
  s->add_option("--gap-floor", so->gap_floor,
                "Never fill gaps before this instant, ISO 8601 (e.g. when the head end took over)");
  s->add_option("--speed", so->speed, "Business time runs this many times faster (simulation)")
      ->capture_default_str();
  s->add_option("--start", so->start, "Business time at start, ISO 8601 (simulation)");
  s->add_option("--epoch", so->epoch,
                "Wall-clock instant at which business time is --start (share a simulator's time)");
  s->add_option("--status-every", so->status_s, "Seconds between status lines")
      ->capture_default_str();
  s->add_option("--run-for", so->duration, "Stop after this much real time (tests)");
  s->add_flag("--no-billing", so->no_billing, "Run the head end without the billing engine");
  s->add_flag("--no-mdm", so->no_mdm,
              "Run without the MDM's continuous work (transformer overload alerts)");
  s->add_option("--new-accounts", so->new_accounts,
                "Mode of accounts opened for new consumers: postpaid (convert later) or prepaid")
      ->capture_default_str();
  s->add_option("--rules", so->billing.rules_file,
                "Prepaid rules file (JSON, docs/billing.md); default: UP rules");
  s->add_option("--tariff-file", so->billing.tariff_files,
                "Extra tariff file(s), replacing shipped ones with the same code");
  s->add_option("--billing-tick", so->billing_tick_s, "Seconds between billing engine ticks")
      ->capture_default_str();
  s->add_flag("--no-payment-api", so->no_payment_api, "Do not open the payment API port");
  s->add_option("--http-bind,--payment-bind", so->payment.bind_address,
                "Address of the HTTP server (platform API, payment API)")
      ->capture_default_str();
  s->add_option("--http-port,--payment-port", so->payment.port,
                "Port of the HTTP server (0: any free port)")
      ->capture_default_str();
  s->add_option("--payment-key-file", so->payment.key_file,
                "Bearer key file of the payment API (default DATA/payment-api.key)");
  s->add_option("--web", so->payment.web_root,
                "Folder of the built web front end (web/dist): portal at /, control room at "
                "/control/")
      ->check(CLI::ExistingDirectory);
  s->add_flag("--simulated-payments", so->simulated_payments,
              "Confirm the portal's recharges at once without a payment gateway (demo, trials; "
              "nobody pays)");
  s->add_option("--checkout-url", so->checkout_url,
                "The payment gateway's hosted checkout page: the portal's recharges are paid "
                "there (docs/checkout.md)");
  s->add_option("--checkout-merchant", so->checkout_merchant,
                "The utility's merchant id at the gateway")
      ->capture_default_str();
  s->add_option("--checkout-secret-file", so->checkout_secret_file,
                "Secret shared with the gateway (default DATA/checkout.key, created 0600)");
  s->add_option("--public-url", so->public_url,
                "The portal's address for consumers (default http://BIND:PORT/)");
  s->add_option("--sms-gateway", so->sms_gateway,
                "URL the SMS gateway takes messages at (JSON POST, docs/notify.md); without it "
                "consumers cannot get sign-in codes");
  s->add_option("--sms-key-file", so->sms_key_file, "Bearer key of the SMS gateway (0600 file)")
      ->check(CLI::ExistingFile);
  s->add_option("--tls-cert", so->payment.tls_certificate_file,
                "PEM certificate (chain) for HTTPS; plain HTTP listens only on loopback")
      ->check(CLI::ExistingFile);
  s->add_option("--tls-key", so->payment.tls_key_file, "PEM private key for HTTPS")
      ->check(CLI::ExistingFile);
  s->callback([so, &run] { run = [so] { return run_serve(*so); }; });

  auto co = std::make_shared<CommandOptions>();
  auto* c = app.add_subcommand("command", "Queue a command for meters (the head end delivers it)");
  add_data_options(c, co->data);
  c->add_option("kind", co->kind,
                "connect | disconnect | read | clock-set | load-limit | payment-mode | ping")
      ->required();
  c->add_option("serials", co->serials, "Meter serial numbers")->required();
  c->add_option("--arg", co->argument, "load-limit: watts; payment-mode: prepaid|postpaid");
  c->add_option("--reason", co->reason, "Why (kept in the audit trail)")->capture_default_str();
  c->add_option("--by", co->by, "Who asks (default: $USER)");
  c->add_option("--key", co->key,
                "Idempotency key: repeating a request with the same key makes no new command");
  c->add_option("--deadline-hours", co->deadline_h, "Give up after this long")
      ->capture_default_str();
  c->callback([co, &run] { run = [co] { return run_command(*co); }; });

  auto lo = std::make_shared<ListOptions>();
  auto list = [&app, lo](const char* name, const char* help) {
    auto* l = app.add_subcommand(name, help);
    add_data_options(l, lo->data);
    l->add_option("--after", lo->after, "Only entries with a larger id")->capture_default_str();
    l->add_option("--limit", lo->limit, "At most this many")->capture_default_str();
    return l;
  };
  auto* cl = list("commands", "List queued and finished commands");
  cl->callback([lo, &run] { run = [lo] { return run_commands(*lo); }; });
  auto* al = list("alerts", "List alerts (tamper, outage, relay, security)");
  al->add_flag("--follow", lo->follow, "Keep waiting for new alerts");
  al->callback([lo, &run] { run = [lo] { return run_alerts(*lo); }; });
  auto* au = list("audit", "List the audit trail");
  au->callback([lo, &run] { run = [lo] { return run_audit(*lo); }; });
  auto* stt = app.add_subcommand("status", "What the data directory holds");
  add_data_options(stt, lo->data);
  stt->add_option("--from", lo->from, "Count intervals starting at or after (ISO 8601)");
  stt->add_option("--to", lo->to, "... and before (ISO 8601)");
  stt->callback([lo, &run] { run = [lo] { return run_status(*lo); }; });
  auto* h = app.add_subcommand("health", "Communication health and data completeness");
  add_data_options(h, lo->data);
  h->add_option("--day", lo->day, "IST day YYYY-MM-DD (default: yesterday)");
  h->add_option("--meter", lo->meter, "One meter's health");
  h->add_option("--period", lo->period_s, "Capture period (s)")->capture_default_str();
  h->callback([lo, &run] { run = [lo] { return run_health(*lo); }; });
}

}  // namespace vidyut::cli
