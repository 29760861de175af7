// `vidyut demo`: the head end and a simulated fleet in one process, an accelerated day (or
// more), and a report that compares what the platform stored with the simulator's truth
// (docs/demo.md).
//
// The scenario: at hour 4, 10 % of the meters lose both SIM paths for 6 hours (gap fill must
// recover every interval afterwards); at hour 13 the control room disconnects 1,000 consumers
// (the truth must show 1,000 open relays) and reconnects them at hour 15. Random tamper,
// outage and SIM-outage episodes run throughout at the simulator's default rates.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/billing_service.h"
#include "cli/command_ports.h"
#include "cli/commands.h"
#include "cli/commercial.h"
#include "cli/registry.h"
#include "core/log.h"
#include "demo/load_disconnect.h"
#include "demo/truth_check.h"
#include "demo/validated_check.h"
#include "fleet/fleet.h"
#include "headend/head_end.h"
#include "headend/profile.h"
#include "mdm/atc.h"
#include "mdm/audit.h"
#include "mdm/load_control.h"
#include "mdm/loading.h"
#include "mdm/monitor.h"
#include "mdm/network.h"
#include "mdm/outage.h"
#include "mdm/reliability.h"
#include "mdm/vee.h"
#include "simulator/simulator.h"
#include "store/sqlite_store.h"
#include "tariff/tariff_file.h"

namespace vidyut::cli {
namespace {

using json = nlohmann::json;
constexpr std::int64_t kHourMs = 3'600'000;

struct DemoOptions {
  std::uint32_t consumers = 3'000;
  double days = 1;
  double speed = 720;
  std::string data_dir;  // default: a fresh temporary directory
  std::string report = "demo-report.json";
  double cut_share = 0.10;
  double cut_at_h = 4;
  double cut_hours = 6;
  // Days of each consumer's readings before the first simulated day loaded into the store at the
  // start, as a go-live migration from the utility's old system would: the basis of like-day
  // estimates (docs/demo.md).
  int history_days = 1;
  std::uint32_t disconnects = 1'000;
  double disconnect_at_h = 13;
  double reconnect_at_h = 15;
  std::uint64_t seed = 1;
  // The first simulated IST day; default: the latest day up to yesterday on which the billing
  // rules allow disconnection (so that a run on a Monday does not simulate a quiet Sunday).
  std::string day;
  std::string scenario_file;  // further control lines ('+M cmd'), after the built-in scenario
  double progress_s = 5;
  double settle_s = 120;  // real seconds after the end for the last gaps to be filled
  bool random_events = true;
  // Random episode rates (per target per simulated day); negative: the simulator's defaults.
  // Higher than the simulator's defaults for outages and theft without events, so that a single
  // day shows the MDM finding outages, hooks and bypasses (docs/demo.md).
  double outage_rate = 0.3;           // per DT and per feeder
  double theft_rate = -1;             // per consumer, for each kind of theft (magnet, neutral, ...)
  double hook_rate = 0.05;            // per DT: hooks on its LT network (no event)
  double silent_bypass_rate = 0.001;  // per consumer: silent partial bypass (no event)
  // Billing (docs/demo.md): every consumer is prepaid; low_balance of them start with a small
  // balance, run out, are disconnected when the rules allow it, and recharge at recharge_at_h.
  bool billing = true;
  std::uint32_t low_balance = 200;
  double recharge_at_h = 12;
  // Area load control (docs/demo.md): the DT with the most consumers is limited at the evening
  // peak; every tenth of its consumers is marked essential first.
  double load_control_at_h = 19;
  double load_control_minutes = 60;
  std::uint32_t load_limit_w = 1'000;
  // Area disconnections (docs/demo.md, "mdm.load_disconnect"): at 09:00 and half an hour
  // before the recharges, a chosen set of a DT's consumers, some disconnected by billing.
  bool load_disconnect = true;
};

// The simulator's truth, kept in memory for the report.
class Truth final : public fleet::TruthSink {
 public:
  struct Slot {
    std::int64_t recorded_mwh = 0;
    std::int64_t supplied_ms = 0;
    std::int64_t theft_mwh = 0;
  };
  void on_interval(const fleet::IntervalTruth& t) override {
    std::lock_guard l(mu_);
    intervals_[{t.meter, t.start.time_since_epoch().count()}] = {t.recorded_mwh, t.supplied_ms,
                                                                 t.theft_mwh};
  }
  void on_episode(const fleet::Episode& e, bool started, UtcTime at) override {
    std::lock_guard l(mu_);
    if (started) ++episodes_started_[fleet::to_string(e.kind)];
    demo::note_episode(outages_, e, started, at);
    demo::note_theft_episode(thefts_, e, started, at);
  }
  void on_push(std::uint32_t, fleet::Outgoing::Kind kind, UtcTime, UtcTime, fleet::PushFate fate,
               std::uint8_t) override {
    std::lock_guard l(mu_);
    if (kind == fleet::Outgoing::Kind::kAlert && fate == fleet::PushFate::kSent) ++alerts_sent_;
    if (kind == fleet::Outgoing::Kind::kBlockLoad && fate == fleet::PushFate::kSent) ++pushes_sent_;
    if (fate == fleet::PushFate::kNoNetwork) ++pushes_no_network_;
  }
  void on_relay(std::uint32_t m, UtcTime, bool connected, std::string_view) override {
    std::lock_guard l(mu_);
    if (connected) closed_wall_[m].push_back(std::chrono::steady_clock::now());
  }
  void on_failover(std::uint32_t, UtcTime, std::uint8_t) override {}

  std::mutex mu_;
  std::map<std::pair<std::uint32_t, std::int64_t>, Slot> intervals_;
  std::map<std::string, std::uint64_t> episodes_started_;
  std::vector<demo::TruthOutage> outages_;
  std::vector<demo::ConsumerTheftTruth> thefts_;
  std::uint64_t alerts_sent_ = 0, pushes_sent_ = 0, pushes_no_network_ = 0;
  // When each meter's relay closed (wall clock): recharge-to-reconnection latency.
  std::map<std::uint32_t, std::vector<std::chrono::steady_clock::time_point>> closed_wall_;
};

double percentile(std::vector<std::int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return static_cast<double>(v[std::min(i, v.size() - 1)]);
}

volatile std::sig_atomic_t g_demo_stop = 0;
void on_demo_signal(int) { g_demo_stop = 1; }

int run_demo(const DemoOptions& o) {
  if (!(o.speed > 0) || o.speed > 5'000) {
    return report_error("demo", Error(Errc::kInvalidArgument, "--speed must be in (0, 5000]"));
  }
  if (o.days <= 0 || o.days > 31) {
    return report_error("demo", Error(Errc::kInvalidArgument, "--days must be in (0, 31]"));
  }
  // ---- the fleet and the registry -----------------------------------------------------------
  fleet::FleetSpec spec;
  spec.seed = o.seed;
  spec.consumers = o.consumers;
  // Half the consumers (and every DT and feeder meter) are on a static-IP APN: the head end can
  // dial them; the others only push.
  spec.static_ip_share = 0.5;
  auto topology = fleet::generate(spec);
  const std::size_t n = topology.meters.size();
  std::string data_dir = o.data_dir;
  if (data_dir.empty()) {
    data_dir = (std::filesystem::temp_directory_path() / fmt::format("vidyut-demo-{}", ::getpid()))
                   .string();
    std::filesystem::remove_all(data_dir);
  }
  auto db = store::open_sqlite_store(data_dir, RealClock::instance(), {});
  if (!db.ok()) return report_error("demo", db.error());
  store::Store& st = **db;
  {
    std::vector<std::pair<store::MeterInfo, store::MeterSecrets>> rows;
    for (const auto& r : topology.meters) rows.push_back(to_registry(r));
    auto s = st.upsert_meters(rows);
    if (!s.ok()) return report_error("demo", s.error());
  }
  std::vector<std::int64_t> id_of(n);  // fleet index -> registry id
  std::unordered_map<std::int64_t, std::uint32_t> index_of;
  for (std::uint32_t i = 0; i < n; ++i) {
    auto m = st.meter_by_serial(topology.meters[i].identity.serial);
    if (!m.ok() || !*m) return report_error("demo", Error(Errc::kIo, "registry lost a meter"));
    id_of[i] = (*m)->id;
    index_of[(*m)->id] = i;
  }

  // ---- scenario -----------------------------------------------------------------------------
  billing::PrepaidRules rules;   // UP's rules ...
  rules.emergency_credit_s = 0;  // ... without emergency credit, so that a day shows it all
  // Days are posted at 00:30 as in production, on the validated data of the moment: what a
  // network cut still hides then is charged as estimated and corrected by the next day's posting
  // (the last day is posted by the demo itself once every interval is in).
  // The simulated day: yesterday, or the latest day before it on which disconnection is allowed
  // (a Sunday, a second Saturday or a holiday would show no prepaid disconnection).
  tariff::CivilDate first_day = tariff::add_days(tariff::ist_date(RealClock::instance().now()), -1);
  std::string day_note;
  if (!o.day.empty()) {
    auto d = tariff::parse_date(o.day);
    if (!d.ok()) return report_error("demo", d.error());
    first_day = *d;
  } else {
    for (int back = 0; back < 14; ++back) {
      const UtcTime noon = tariff::ist_midnight(first_day) + Millis(12 * kHourMs);
      if (billing::disconnection_allowed(rules, noon)) break;
      if (back == 0) {
        day_note = fmt::format(" (yesterday, {}, allows no disconnection: {})",
                               tariff::to_string(first_day), billing::quiet_reason(rules, noon));
      }
      first_day = tariff::add_days(first_day, -1);
    }
  }
  const UtcTime start = tariff::ist_midnight(first_day);
  const UtcTime end = start + Millis(static_cast<std::int64_t>(o.days * 86'400'000));
  const auto at_h = [&](double h) {
    return start + Millis(static_cast<std::int64_t>(h * kHourMs));
  };
  std::vector<std::uint32_t> cut;  // every 1/share-th meter
  if (o.cut_share > 0) {
    const auto step = static_cast<std::uint32_t>(std::max(1.0, 1.0 / o.cut_share));
    for (std::uint32_t i = 0; i < n; i += step) cut.push_back(i);
  }
  std::string scenario;
  const auto cut_min = static_cast<std::int64_t>(o.cut_hours * 60);
  for (std::uint32_t i : cut) {
    for (int sim = 1; sim <= 2; ++sim) {
      if (sim == 2 && topology.meters[i].sim_operator[1].empty()) continue;
      scenario += fmt::format("+{} cut-sim {} {} {}\n", static_cast<std::int64_t>(o.cut_at_h * 60),
                              topology.meters[i].identity.serial, sim, cut_min);
    }
  }
  std::vector<std::uint32_t> consumers;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (!topology.meters[i].consumer_id.empty()) consumers.push_back(i);
  }
  // Defaulters: consumers outside the network cut, spread over the fleet.
  std::vector<std::uint32_t> defaulters;
  {
    std::set<std::uint32_t> cut_set(cut.begin(), cut.end());
    std::vector<std::uint32_t> eligible;
    for (auto i : consumers) {
      if (!cut_set.count(i)) eligible.push_back(i);
    }
    const std::size_t want = std::min<std::size_t>(o.disconnects, eligible.size());
    for (std::size_t k = 0; k < want; ++k) {
      defaulters.push_back(eligible[k * eligible.size() / std::max<std::size_t>(want, 1)]);
    }
  }
  // Low-balance consumers (billing): outside the cut and the control room's defaulters.
  std::vector<std::uint32_t> low;
  if (o.billing) {
    std::set<std::uint32_t> taken(cut.begin(), cut.end());
    taken.insert(defaulters.begin(), defaulters.end());
    std::vector<std::uint32_t> eligible;
    for (auto i : consumers) {
      if (!taken.count(i)) eligible.push_back(i);
    }
    const std::size_t want = std::min<std::size_t>(o.low_balance, eligible.size());
    for (std::size_t k = 0; k < want; ++k) {
      low.push_back(eligible[k * eligible.size() / std::max<std::size_t>(want, 1)]);
    }
  }

  fleet::FleetConfig fc;
  fc.seed = o.seed;
  if (!o.random_events) fc.rates = fleet::EventRates::none();
  if (o.random_events && o.outage_rate >= 0) {
    fc.rates.dt_outage = o.outage_rate;
    fc.rates.feeder_outage = o.outage_rate;
  }
  if (o.random_events && o.theft_rate >= 0) {
    fc.rates.magnet = fc.rates.neutral = fc.rates.reverse = fc.rates.bypass = o.theft_rate;
  }
  if (o.random_events && o.hook_rate >= 0) fc.rates.hook = o.hook_rate;
  if (o.random_events && o.silent_bypass_rate >= 0) fc.rates.silent_bypass = o.silent_bypass_rate;
  Truth truth;
  std::cout << fmt::format("building {} meters ({} consumers) ...\n", n, o.consumers) << std::flush;
  ScaledClock clock(start, o.speed);
  fleet::Fleet fleet(std::move(topology), fc, clock, &truth);
  if (!o.scenario_file.empty()) {
    std::ifstream in(o.scenario_file);
    if (!in) {
      return report_error(
          "demo", Error(Errc::kIo, fmt::format("cannot read scenario {}", o.scenario_file)));
    }
    scenario += std::string(std::istreambuf_iterator<char>(in), {});
    if (!scenario.empty() && scenario.back() != '\n') scenario += '\n';
  }
  if (auto s = fleet.load_scenario(scenario); !s.ok()) return report_error("demo", s.error());
  // Go-live history: the consumers' readings of the days before, read from the meters' own
  // load profile (what a migration from the old MDM would bring) and written in the background.
  std::vector<store::IntervalReading> history;
  for (std::uint32_t i = 0; i < n && o.history_days > 0; ++i) {
    if (fleet.topology().meters[i].consumer_id.empty()) continue;
    for (const auto& row :
         fleet.meter(i).block_load(start - std::chrono::days(o.history_days), start - Millis(1))) {
      store::IntervalReading r;
      r.meter_id = id_of[i];
      r.start = row.stamp;  // the demo's meters stamp rows at the interval's start, clocks exact
      r.import_wh = row.import_wh;
      r.import_vah = row.import_vah;
      r.export_wh = row.export_wh;
      r.export_vah = row.export_vah;
      r.source = store::IntervalReading::Source::kRead;
      history.push_back(r);
    }
  }
  std::thread history_writer([&st, rows = std::move(history)] {
    for (std::size_t k = 0; k < rows.size(); k += store::kMaxBatch) {
      const std::size_t e = std::min(rows.size(), k + store::kMaxBatch);
      if (auto w = st.put_intervals(std::span(rows).subspan(k, e - k)); !w.ok()) {
        logger("demo")->warn("history: {}", w.error().describe());
        return;
      }
    }
  });
  struct Joiner {
    std::thread& t;
    ~Joiner() {
      if (t.joinable()) t.join();
    }
  } join_history{history_writer};

  // ---- the head end and the network ---------------------------------------------------------
  headend::HeadEndOptions ho;
  ho.bind_address = "127.0.0.1";
  ho.port = 0;
  ho.gap_window_s = static_cast<std::int64_t>(o.days * 86'400) + 86'400;
  ho.gap_floor = start;
  ho.default_deadline_s = 6 * 3'600;
  headend::HeadEnd he(st, clock, ho);
  if (auto s = he.start(); !s.ok()) return report_error("demo", s.error());
  simulator::SimulatorOptions so;
  so.head_end_host = "127.0.0.1";
  so.head_end_port = he.port();
  so.inbound = true;  // static-IP meters accept the head end's calls
  so.inbound_port = 0;
  simulator::Simulator sim(fleet, clock, so);
  if (auto s = sim.start(); !s.ok()) return report_error("demo", s.error());
  he.set_dial_port(sim.inbound_port());
  // ---- billing: every consumer prepaid, relay decisions through this head end ----------------
  HeadEndRelayPort relay(he, st);
  std::unique_ptr<store::Store> billing_store;  // outlives the service that reads it
  std::unique_ptr<BillingService> billing;
  if (o.billing) {
    BillingServiceOptions bo;
    bo.data_dir = data_dir;
    bo.engine.new_account_mode = tariff::PaymentMode::kPrepaid;
    bo.tick = Millis(250);
    bo.engine.relay_check_s = 600;  // simulated seconds: about once a second of real time
    bo.engine.rules = rules;
    // Reads on a connection of its own (see serve.cc).
    auto reader = store::open_sqlite_store(data_dir, RealClock::instance(), {});
    if (!reader.ok()) return report_error("demo", reader.error());
    billing_store = std::move(*reader);
    auto b = BillingService::start(bo, *billing_store, clock, &relay);
    if (!b.ok()) return report_error("demo", b.error());
    billing = std::move(*b);
  }
  std::set<std::uint32_t> low_set(low.begin(), low.end());
  // Opening balances, as payment channels would send them: Rs 1,000, or Rs 15 for the
  // low-balance consumers.
  std::atomic<std::size_t> opened{0};
  std::thread opening;
  if (billing) {
    opening = std::thread([&] {
      for (auto i : consumers) {
        billing::RechargeRequest q;
        q.consumer_id = fleet.topology().meters[i].consumer_id;
        q.payment_ref = "OPEN-" + q.consumer_id;
        q.amount = low_set.count(i) ? 1'500 : 100'000;
        q.channel = "opening";
        if (billing->engine().recharge(q).ok()) ++opened;
      }
    });
  }
  std::cout << fmt::format(
                   "head end on 127.0.0.1:{}, data in {}\n{} meters push to it; simulated time "
                   "{} to {} at {}x{}\n"
                   "scenario: {} meters lose both SIMs at hour {} for {} h; {} consumers are "
                   "disconnected at hour {} and reconnected at hour {}\n",
                   he.port(), data_dir, n, format_iso8601(start), format_iso8601(end), o.speed,
                   day_note, cut.size(), o.cut_at_h, o.cut_hours, defaulters.size(),
                   o.disconnect_at_h, o.reconnect_at_h)
            << std::flush;
  if (billing) {
    std::cout << fmt::format(
                     "billing: {} prepaid accounts (tariff UP-LMV1-URBAN, UP rules without "
                     "emergency credit); {} start with Rs 15 and recharge Rs 500 at hour {} "
                     "(each payment notified twice)\n",
                     billing->engine().stats().accounts, low.size(), o.recharge_at_h)
              << std::flush;
  }
  bool recharged = false;
  std::size_t low_disconnected = 0, recharge_duplicates_credited = 0;
  std::vector<std::int64_t> reconnect_latency_ms;
  std::vector<std::pair<std::uint32_t, std::chrono::steady_clock::time_point>> reconnect_waits;
  std::mutex recharge_mu;
  std::thread recharging;

  std::signal(SIGINT, on_demo_signal);
  std::signal(SIGTERM, on_demo_signal);
  bool disconnect_sent = false, reconnect_sent = false, relays_counted = false;
  std::size_t relays_open_at_check = 0, relays_open_expected = defaulters.size();
  std::size_t relays_closed_dark = 0;  // not yet opened: without supply since the command
  std::vector<std::int64_t> disconnect_ids, reconnect_ids;
  auto submit_all = [&](store::CommandKind kind, const char* tag, std::vector<std::int64_t>& ids) {
    for (auto i : defaulters) {
      store::Command c;
      c.meter_id = id_of[i];
      c.kind = kind;
      c.requested_by = "demo-control-room";
      c.reason =
          kind == store::CommandKind::kDisconnect ? "demo: balance exhausted" : "demo: recharged";
      c.idempotency_key = fmt::format("demo-{}-{}", tag, id_of[i]);
      auto r = he.submit(c);
      if (r.ok()) ids.push_back(r->id);
    }
  };
  // The MDM's continuous work, as in `vidyut serve`: overload and outage alerts and validated
  // data every 15 simulated minutes.
  auto vee_book = mdm::VeeBook::open(data_dir, clock);
  if (!vee_book.ok()) return report_error("demo", vee_book.error());
  mdm::Monitor monitor(st, clock, mdm::MonitorOptions{}, vee_book->get());
  // Area load control on the DT with the most consumers: every tenth of them is essential.
  HeadEndCommandPort command_port(he, st);
  auto lc_open = mdm::LoadControl::open(data_dir, st, command_port, clock);
  if (!lc_open.ok()) return report_error("demo", lc_open.error());
  std::unique_ptr<mdm::LoadControl> load_control = std::move(*lc_open);
  bool load_control_on = o.load_control_minutes > 0 &&
                         o.load_control_at_h + 2 * o.load_control_minutes / 60.0 < o.days * 24;
  // Chosen when the time comes: the DT with the most consumers among those with supply then.
  std::uint32_t lc_dt = 0;
  std::set<std::uint32_t> lc_essential;
  std::map<std::uint32_t, std::uint32_t> lc_normal;  // meter -> threshold before (truth)
  std::size_t lc_without_supply = 0;  // non-essential meters dark since the limit, not reached
  std::size_t lc_restore_without_supply = 0;  // ... dark since the restore, not yet restored
  std::optional<mdm::LoadAction> lc_action;
  bool lc_checked_on = false, lc_checked_off = false;
  std::size_t lc_limited_ok = 0, lc_essential_untouched_on = 0, lc_restored_ok = 0,
              lc_essential_untouched_off = 0;
  // Load control's restores are looked at every simulated minute (a second of real time would be
  // twelve simulated minutes at 720x).
  UtcTime next_lc_tick{};
  // Area disconnections, one restored while billing still holds some of its relays and one
  // with the recharges inside its window (demo/load_disconnect.h).
  demo::DisconnectScenario disconnections(
      *load_control,
      demo::DisconnectScenario::Truth{
          [&](std::uint32_t i) {
            return sim.with_fleet([&](fleet::Fleet& f) { return f.meter(i).relay_connected(); });
          },
          [&](std::uint32_t i) {
            return sim.with_fleet([&](fleet::Fleet& f) { return f.grid().supplied(i, f.now()); });
          },
          [&](std::uint32_t i) { return fleet.topology().meters[i].identity.serial; }});
  const bool disconnections_on = o.load_disconnect && billing && !low.empty() &&
                                 o.recharge_at_h + 1 < o.days * 24 && o.recharge_at_h >= 11;
  std::vector<std::pair<double, std::string>> disconnect_times;
  if (disconnections_on) {
    disconnect_times = {{9.0, "restored while billing holds"},
                        {o.recharge_at_h - 0.5, "recharged inside the window"}};
  }
  std::set<std::uint32_t> disconnect_dts;
  // The DT with the most low-balance consumers billing has disconnected now (another than the
  // ones taken), those, and three of its other consumers with supply and balance.
  const auto plan_disconnection = [&](double hour, const std::string& name) {
    demo::DisconnectPlan p;
    p.name = name;
    p.at = at_h(hour);
    p.minutes = 60;
    p.recharge_at = at_h(o.recharge_at_h);
    const std::set<std::uint32_t> not_chosen_defaulters(defaulters.begin(), defaulters.end());
    const std::set<std::uint32_t> not_chosen_cut(cut.begin(), cut.end());
    const auto& topo = fleet.topology();
    std::optional<std::uint32_t> best;
    std::vector<std::uint32_t> best_low;
    for (std::uint32_t d = 0; d < topo.dts.size(); ++d) {
      if (disconnect_dts.count(d)) continue;
      std::vector<std::uint32_t> held;
      for (auto c : topo.dts[d].consumers) {
        if (!low_set.count(c)) continue;
        auto v = billing->engine().view(topo.meters[c].consumer_id);
        if (v.ok() && !v->account.relay_closed) held.push_back(c);
      }
      if (!held.empty() && (!best || held.size() > best_low.size())) {
        best = d;
        best_low = held;
      }
    }
    if (!best) return;
    disconnect_dts.insert(*best);
    p.dt = topo.dts[*best].name;
    p.without_balance = best_low;
    sim.with_fleet([&](fleet::Fleet& f) {
      for (auto c : topo.dts[*best].consumers) {
        if (p.with_balance.size() >= 3) break;
        if (low_set.count(c) || not_chosen_defaulters.count(c) || not_chosen_cut.count(c)) {
          continue;
        }
        if (!f.grid().supplied(c, f.now()) || !f.meter(c).relay_connected()) continue;
        p.with_balance.push_back(c);
      }
    });
    disconnections.add(std::move(p));
  };
  const auto wall0 = std::chrono::steady_clock::now();
  auto next_progress = wall0;
  // Run to the end, then a little longer so the last intervals' pushes (spread over 5 minutes)
  // arrive.
  const UtcTime stop_at = end + Millis(10 * 60'000);
  // After the end, the fleet runs on until the store holds every interval the meters recorded
  // during the period (what the head end missed is read back at the meters' next sessions), or
  // until settle_limit of real time.
  const auto expected_now = [&] {
    std::lock_guard l(truth.mu_);
    std::uint64_t count = 0;
    for (const auto& [key, slot] : truth.intervals_) {
      count += key.second >= start.time_since_epoch().count() &&
               key.second < end.time_since_epoch().count();
    }
    return count;
  };
  std::optional<std::chrono::steady_clock::time_point> settle_from;
  const auto settle_limit = std::chrono::seconds(static_cast<std::int64_t>(o.settle_s));
  auto next_settle_check = std::chrono::steady_clock::now();
  while (g_demo_stop == 0) {
    if (clock.now() >= stop_at) {
      const auto wall = std::chrono::steady_clock::now();
      if (!settle_from) settle_from = wall;
      if (wall - *settle_from >= settle_limit) break;
      if (wall >= next_settle_check) {
        next_settle_check = wall + std::chrono::seconds(1);
        he.flush();
        auto stored_n = st.count_intervals(start, end);
        if (stored_n.ok() && *stored_n >= expected_now()) break;
      }
    }
    const UtcTime now = clock.now();
    // The simulated period is over: the engine stops deciding and posting; the demo posts the
    // last day itself once every interval is in (below), as the next 00:30 posting's
    // restatement would.
    if (billing && now >= end) billing->stop();
    if (auto ms = monitor.tick(); !ms.ok()) logger("mdm")->warn("{}", ms.error().describe());
    if (load_control_on) {
      const UtcTime lc_at = at_h(o.load_control_at_h);
      const Millis window(static_cast<std::int64_t>(o.load_control_minutes * 60'000));
      if (!lc_action && now >= lc_at) {
        bool marked = true;
        sim.with_fleet([&](fleet::Fleet& f) {
          const auto& topo = f.topology();
          std::optional<std::uint32_t> best;
          for (std::uint32_t d = 0; d < topo.dts.size(); ++d) {
            if (!f.grid().supplied(topo.dts[d].meter, f.now())) continue;
            if (!best || topo.dts[d].consumers.size() > topo.dts[*best].consumers.size()) best = d;
          }
          lc_dt = best.value_or(0);
          const auto& cs = topo.dts[lc_dt].consumers;
          for (std::size_t k = 0; k < cs.size(); ++k) {
            if (k % 10 == 0) lc_essential.insert(cs[k]);
            lc_normal[cs[k]] = f.meter(cs[k]).limiter_threshold_w();
          }
          return 0;
        });
        for (auto c : lc_essential) {
          auto st2 = load_control->mark_essential(fleet.topology().meters[c].identity.serial,
                                                  "demo: essential service", "demo-control-room");
          if (!st2.ok()) {
            std::cout << "load control: " << st2.error().describe() << "\n";
            marked = false;
          }
        }
        if (!marked) {
          load_control_on = false;
          continue;
        }
        auto a = load_control->limit(fleet.topology().dts[lc_dt].name, o.load_limit_w,
                                     static_cast<std::int64_t>(o.load_control_minutes),
                                     "demo-control-room", "demo: evening peak");
        if (!a.ok()) {
          std::cout << "load control: " << a.error().describe() << "\n";
          load_control_on = false;
          continue;
        }
        lc_action = std::move(*a);
        std::cout << fmt::format(
                         "{}: load control: {} limited to {} W for {} min ({} meters, {} "
                         "essential left alone)\n",
                         format_iso8601(now), lc_action->target, o.load_limit_w,
                         o.load_control_minutes, lc_action->meters.size(),
                         lc_action->essential_skipped)
                  << std::flush;
      }
      // The truth, three quarters into the window and three quarters of a window after it.
      auto thresholds = [&] {
        return sim.with_fleet([&](fleet::Fleet& f) {
          std::map<std::uint32_t, std::uint32_t> m;
          for (const auto& [c, w] : lc_normal) m[c] = f.meter(c).limiter_threshold_w();
          return m;
        });
      };
      if (lc_action && !lc_checked_on && now >= lc_at + window * 3 / 4) {
        lc_checked_on = true;
        // A meter that lost its supply since the limit was sent cannot have heard it (the head
        // end delivers it when the meter is back): counted apart.
        const auto dark = sim.with_fleet([&](fleet::Fleet& f) {
          std::set<std::uint32_t> out;
          for (const auto& [c, w] : lc_normal) {
            if (f.grid().supplied_ms(c, lc_at, f.now()) < (f.now() - lc_at).count()) out.insert(c);
          }
          return out;
        });
        for (const auto& [c, w] : thresholds()) {
          if (lc_essential.count(c)) {
            lc_essential_untouched_on += w == lc_normal[c] ? 1 : 0;
          } else if (w == o.load_limit_w) {
            ++lc_limited_ok;
          } else if (dark.count(c)) {
            ++lc_without_supply;
          }
        }
      }
      if (lc_action && !lc_checked_off && now >= lc_at + window + window * 3 / 4) {
        lc_checked_off = true;
        const UtcTime restored_at = lc_at + window;
        const auto dark = sim.with_fleet([&](fleet::Fleet& f) {
          std::set<std::uint32_t> out;
          for (const auto& [c, w] : lc_normal) {
            if (f.grid().supplied_ms(c, restored_at, f.now()) < (f.now() - restored_at).count()) {
              out.insert(c);
            }
          }
          return out;
        });
        for (const auto& [c, w] : thresholds()) {
          if (lc_essential.count(c)) {
            lc_essential_untouched_off += w == lc_normal[c] ? 1 : 0;
          } else if (w == lc_normal[c]) {
            ++lc_restored_ok;
          } else if (dark.count(c)) {
            ++lc_restore_without_supply;
          }
        }
      }
    }
    while (!disconnect_times.empty() && now >= at_h(disconnect_times.front().first)) {
      plan_disconnection(disconnect_times.front().first, disconnect_times.front().second);
      disconnect_times.erase(disconnect_times.begin());
    }
    disconnections.tick(now);
    if (now >= next_lc_tick) {
      next_lc_tick = now + Millis(60'000);
      if (auto restored = load_control->tick(); !restored.ok()) {
        logger("mdm")->warn("load control: {}", restored.error().describe());
      }
    }
    if (!disconnect_sent && now >= at_h(o.disconnect_at_h) && o.disconnect_at_h < o.days * 24) {
      disconnect_sent = true;
      submit_all(store::CommandKind::kDisconnect, "disconnect", disconnect_ids);
      std::cout << fmt::format("{}: {} disconnect commands queued\n", format_iso8601(now),
                               disconnect_ids.size())
                << std::flush;
    }
    // Just before reconnecting: count the relays the truth has open.
    if (!relays_counted && disconnect_sent && now >= at_h(o.reconnect_at_h) - Millis(5 * 60'000)) {
      relays_counted = true;
      // A defaulter whose meter lost its supply since the disconnect was sent cannot have
      // heard it (the head end delivers it when the meter is back): counted apart.
      const UtcTime sent_at = at_h(o.disconnect_at_h);
      std::tie(relays_open_at_check, relays_closed_dark) = sim.with_fleet([&](fleet::Fleet& f) {
        std::size_t open = 0, dark = 0;
        for (auto i : defaulters) {
          if (!f.meter(i).relay_connected()) {
            ++open;
          } else if (f.grid().supplied_ms(i, sent_at, f.now()) < (f.now() - sent_at).count()) {
            ++dark;
          }
        }
        return std::pair{open, dark};
      });
    }
    if (!reconnect_sent && relays_counted && now >= at_h(o.reconnect_at_h)) {
      reconnect_sent = true;
      submit_all(store::CommandKind::kConnect, "reconnect", reconnect_ids);
      std::cout << fmt::format("{}: {} reconnect commands queued\n", format_iso8601(now),
                               reconnect_ids.size())
                << std::flush;
    }
    if (billing && !recharged && now >= at_h(o.recharge_at_h) && o.recharge_at_h < o.days * 24) {
      recharged = true;
      low_disconnected = sim.with_fleet([&](fleet::Fleet& f) {
        std::size_t open = 0;
        for (auto i : low) open += f.meter(i).relay_connected() ? 0 : 1;
        return open;
      });
      // Consumers load control holds open: their reconnection waits for its window's end.
      const auto held_v = disconnections.held_by_load_control();
      const std::set<std::uint32_t> held(held_v.begin(), held_v.end());
      // Payment channels notify on their own threads; the demo's timeline goes on meanwhile.
      recharging = std::thread([&, at = now, held] {
        const auto w0 = std::chrono::steady_clock::now();
        for (auto i : low) {
          billing::RechargeRequest q;
          q.consumer_id = fleet.topology().meters[i].consumer_id;
          q.payment_ref = "UPI-" + q.consumer_id;
          q.amount = 50'000;
          q.channel = "upi";
          const auto t0 = std::chrono::steady_clock::now();
          auto r = billing->engine().recharge(q);
          auto dup = billing->engine().recharge(q);  // the gateway notifies twice
          std::lock_guard l(recharge_mu);
          if (dup.ok() && !dup->duplicate) ++recharge_duplicates_credited;
          if (r.ok() && r->reconnect_ordered && !held.count(i)) reconnect_waits.emplace_back(i, t0);
        }
        std::lock_guard l(recharge_mu);
        std::cout << fmt::format(
                         "{}: {} low-balance consumers recharged in {} ms real ({} of them "
                         "disconnected by billing, {} reconnections ordered)\n",
                         format_iso8601(at), low.size(),
                         std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - w0)
                             .count(),
                         low_disconnected, reconnect_waits.size())
                  << std::flush;
      });
    }
    if (std::chrono::steady_clock::now() >= next_progress) {
      next_progress += Millis(static_cast<std::int64_t>(o.progress_s * 1000));
      const auto s = he.stats();
      const double done = 100.0 * static_cast<double>((now - start).count()) /
                          static_cast<double>((end - start).count());
      std::cout << fmt::format(
                       "[{:5.1f} %] {} IST  sessions {}  pushes {}  stored {}  gap-reads {} ({} "
                       "rows)  alerts {}  commands ok {} failed {}  rejected {}\n",
                       std::min(done, 100.0), format_iso8601(now + kIstOffset).substr(0, 16),
                       s.sessions_active, s.pushes, s.intervals_committed, s.gap_reads, s.gap_rows,
                       s.alerts_raised, s.commands_succeeded, s.commands_failed,
                       s.rejected_unknown + s.rejected_auth + s.rejected_replay +
                           s.rejected_malformed + s.rejected_flood)
                << std::flush;
    }
    std::this_thread::sleep_for(Millis(20));
  }
  const bool interrupted = g_demo_stop != 0;
  if (opening.joinable()) opening.join();
  if (recharging.joinable()) recharging.join();
  // Reconnection latency: from the recharge call to the meter's relay closing in the truth.
  {
    std::lock_guard l(truth.mu_);
    for (const auto& [m, t0] : reconnect_waits) {
      auto it = truth.closed_wall_.find(m);
      if (it == truth.closed_wall_.end()) continue;
      // The first close after the recharge (the limiter may open and close it again later).
      for (const auto& t : it->second) {
        if (t < t0) continue;
        reconnect_latency_ms.push_back(std::chrono::duration_cast<Millis>(t - t0).count());
        break;
      }
    }
  }
  const double settle_s =
      settle_from
          ? std::chrono::duration<double>(std::chrono::steady_clock::now() - *settle_from).count()
          : 0.0;
  sim.stop();
  he.flush();
  const auto hs = he.stats();
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  // ---- the report ---------------------------------------------------------------------------
  // Intervals: every interval the meters recorded in [start, end) - as the truth has it - must
  // be in the store with the same energy.
  const std::int64_t s_ms = start.time_since_epoch().count();
  const std::int64_t e_ms = end.time_since_epoch().count();
  std::set<std::uint32_t> cut_set(cut.begin(), cut.end());
  const std::int64_t cut_from = at_h(o.cut_at_h).time_since_epoch().count();
  const std::int64_t cut_to = cut_from + cut_min * 60'000;
  std::uint64_t expected = 0, present = 0, equal = 0, cut_expected = 0, cut_present = 0;
  // Every stored interval whose energy differs from the truth, with how it reached the store.
  struct Mismatch {
    std::uint32_t meter;
    std::int64_t start_ms;
    std::int64_t stored_wh;
    std::int64_t truth_mwh;
    bool read_back;
  };
  std::vector<Mismatch> mismatches;
  struct FeederEnergy {
    std::int64_t truth_mwh = 0;
    std::int64_t stored_wh = 0;
    std::int64_t feeder_meter_wh = 0;
    std::int64_t consumers_wh = 0;
  };
  std::map<std::string, FeederEnergy> feeders;
  std::map<std::uint32_t, std::map<std::int64_t, store::IntervalReading>> stored;
  std::uint64_t read_rows = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    auto rows = st.intervals(id_of[i], start, end);
    if (!rows.ok()) return report_error("demo", rows.error());
    for (const auto& r : *rows) {
      stored[i][r.start.time_since_epoch().count()] = r;
      if (r.source == store::IntervalReading::Source::kRead) ++read_rows;
    }
  }
  {
    std::lock_guard l(truth.mu_);
    for (const auto& [key, slot] : truth.intervals_) {
      const auto [m, t] = key;
      if (t < s_ms || t >= e_ms) continue;
      ++expected;
      const bool in_cut = cut_set.count(m) && t >= cut_from && t < cut_to;
      if (in_cut) ++cut_expected;
      const auto& rec = fleet.topology().meters[m];
      FeederEnergy& fe = feeders[rec.feeder];
      fe.truth_mwh += rec.consumer_id.empty() ? 0 : slot.recorded_mwh;
      auto mi = stored.find(m);
      if (mi == stored.end()) continue;
      auto it = mi->second.find(t);
      if (it == mi->second.end()) continue;
      ++present;
      if (in_cut) ++cut_present;
      // The meter's Wh register counts whole watt-hours; the truth is in mWh.
      if (std::llabs(it->second.import_wh * 1000 - slot.recorded_mwh) < 1000) {
        ++equal;
      } else {
        mismatches.push_back({m, t, it->second.import_wh, slot.recorded_mwh,
                              it->second.source == store::IntervalReading::Source::kRead});
      }
    }
  }
  for (const auto& [m, rows] : stored) {
    const auto& rec = fleet.topology().meters[m];
    FeederEnergy& fe = feeders[rec.feeder];
    for (const auto& [t, r] : rows) {
      if (rec.consumer_id.empty() && rec.dt.empty()) fe.feeder_meter_wh += r.import_wh;
      if (!rec.consumer_id.empty()) fe.consumers_wh += r.import_wh;
    }
  }
  std::map<std::string, std::uint64_t> alerts_by_kind;
  for (std::int64_t after = 0;;) {
    auto as = st.alerts_after(after, store::kMaxPage);
    if (!as.ok() || as->empty()) break;
    for (const auto& a : *as) {
      after = a.id;
      if (a.active) ++alerts_by_kind[a.kind + "/" + a.name];
    }
  }
  std::size_t relays_closed_at_end = sim.with_fleet([&](fleet::Fleet& f) {
    std::size_t closed = 0;
    for (auto i : defaulters) closed += f.meter(i).relay_connected() ? 1 : 0;
    return closed;
  });
  std::map<std::string, std::uint64_t> command_states;
  for (std::int64_t after = 0;;) {
    auto cs = st.commands_after(after, store::kMaxPage);
    if (!cs.ok() || cs->empty()) break;
    for (const auto& c : *cs) {
      after = c.id;
      ++command_states[store::to_string(c.state)];
    }
  }
  json scheduled = json::object();
  for (const auto& ps : headend::scheduled_profiles()) {
    auto c =
        st.count_profile_rows(ps.name, start - std::chrono::days(40), end + std::chrono::days(1));
    scheduled[ps.name] = c.ok() ? *c : 0;
  }
  const auto lat = he.command_latencies_ms();
  // Billing: post the day (every interval is in now), then check the books against the stored
  // data priced independently, and the wanted relay states against the meters.
  json bj = json::object();
  bool billing_ok = true;
  // The control room's defaulters are reconnected at the end, except those the billing engine
  // has since disconnected for their balance (a run of several days).
  std::size_t defaulters_expected_closed = defaulters.size();
  std::uint64_t billing_commands_succeeded = 0;
  if (billing) {
    billing->stop();
    const auto day = tariff::ist_date(start);
    auto posted = billing->engine().post_through(tariff::add_days(tariff::ist_date(end), -1));
    if (!posted.ok()) return report_error("demo", posted.error());
    const auto& up = tariff::builtin_tariffs();
    auto tariff_up = tariff::find_tariff("UP-LMV1-URBAN", up);
    const auto* version = tariff_up.ok() ? tariff_up->version_at(day) : nullptr;
    std::size_t checked = 0, agree = 0, relay_agree = 0, postings_with_estimates = 0;
    tariff::Paise posted_total = 0, priced_total = 0;
    const auto wanted = billing->engine().relay_wanted();
    for (auto i : defaulters) {
      auto w = wanted.find(fleet.topology().meters[i].consumer_id);
      if (w != wanted.end() && !w->second) --defaulters_expected_closed;
    }
    // The days of the first month simulated: what their daily postings took from each wallet
    // (an estimate charged one day is corrected in a later day's posting when its reading
    // arrives) must equal the month-to-date bill of the readings, priced here directly.
    std::vector<tariff::CivilDate> billed_days;
    for (auto d = day; d < tariff::ist_date(end); d = tariff::add_days(d, 1)) {
      if (d.month == day.month) billed_days.push_back(d);
    }
    for (auto i : consumers) {
      const auto& rec = fleet.topology().meters[i];
      tariff::Paise got = 0;
      for (const auto& d : billed_days) {
        auto t = billing->db().txn_by_key("daily:" + rec.consumer_id + ":" + tariff::to_string(d));
        if (!t.ok() || !*t) continue;
        got += (*t)->postings.front().amount;
        const auto detail = json::parse((*t)->detail, nullptr, false);
        if (detail.is_object() && detail.value("estimated_intervals", 0) > 0) {
          ++postings_with_estimates;
        }
      }
      tariff::Usage u;
      for (const auto& [ts, row] : stored[i]) {
        const auto d = tariff::ist_date(row.start);
        if (d < day || d.month != day.month || d >= tariff::ist_date(end)) continue;
        u.wh += row.import_wh;
        u.max_demand_w = std::max<std::int64_t>(u.max_demand_w, row.import_wh * 4);
      }
      u.sanctioned_load_w = rec.identity.sanctioned_load_w;
      u.days_billed = static_cast<int>(billed_days.size());
      u.days_in_month = tariff::days_in_month(day.year, day.month);
      u.month = day.month;
      auto bill = version ? tariff::compute_bill(*version, u, tariff::PaymentMode::kPrepaid)
                          : Result<tariff::Bill>(Error(Errc::kNotFound, "no UP tariff"));
      ++checked;
      if (bill.ok() && bill->total == got) ++agree;
      posted_total += got;
      if (bill.ok()) priced_total += bill->total;
      auto w = wanted.find(rec.consumer_id);
      const bool closed =
          sim.with_fleet([&](fleet::Fleet& f) { return f.meter(i).relay_connected(); });
      if (w != wanted.end() && w->second == closed) ++relay_agree;
    }
    auto verified = billing->db().verify();
    std::map<std::string, std::uint64_t> billing_kinds;
    for (std::int64_t after = 0;;) {
      auto cs = st.commands_after(after, store::kMaxPage);
      if (!cs.ok() || cs->empty()) break;
      for (const auto& c : *cs) {
        after = c.id;
        if (c.requested_by != "billing") continue;
        ++billing_kinds[std::string(store::to_string(c.kind)) + "/" + store::to_string(c.state)];
        if (c.state == store::CommandState::kSucceeded) ++billing_commands_succeeded;
      }
    }
    const auto es = billing->engine().stats();
    auto cash = billing->db().ledger_sum("cash:upi");
    const tariff::Paise cash_expected = static_cast<tariff::Paise>(low.size()) * 50'000;
    billing_ok = verified.ok() && agree == checked && relay_agree == checked &&
                 recharge_duplicates_credited == 0 && cash.ok() && *cash == cash_expected &&
                 opened.load() == consumers.size() &&
                 reconnect_latency_ms.size() == reconnect_waits.size();
    bj = {{"accounts", es.accounts},
          {"opening_recharges", opened.load()},
          {"low_balance_consumers", low.size()},
          {"low_balance_disconnected_before_recharge", low_disconnected},
          {"disconnects_decided", es.disconnects},
          {"reconnects_decided", es.reconnects},
          {"relay_commands", billing_kinds},
          {"duplicate_notifications_credited", recharge_duplicates_credited},
          {"cash_upi_paise", cash.ok() ? *cash : -1},
          {"cash_upi_expected_paise", cash_expected},
          {"reconnections_measured", reconnect_latency_ms.size()},
          {"reconnection_real_ms_median", percentile(reconnect_latency_ms, 0.5)},
          {"reconnection_real_ms_p99", percentile(reconnect_latency_ms, 0.99)},
          {"reconnection_real_ms_max", percentile(reconnect_latency_ms, 1.0)},
          {"day_posted", tariff::to_string(day)},
          {"accounts_checked", checked},
          {"posted_equals_independent_bill", agree},
          {"daily_postings_charging_estimates", postings_with_estimates},
          {"posted_total_paise", posted_total},
          {"independent_total_paise", priced_total},
          {"relay_states_agree", relay_agree},
          {"ledger_balanced", verified.ok()},
          {"notifications", es.notifications},
          {"errors", es.errors}};
    // AT&C loss per feeder over the posted days (mdm/atc.h from billing's ledger). Billing must
    // have billed exactly the energy the consumers' meters recorded on those days (validated
    // data, every estimate replaced by its reading), and the cash it received is what reached the
    // cash ledgers.
    const auto last_day = tariff::add_days(tariff::ist_date(end), -1);
    auto meters = mdm::all_meters(st);
    if (!meters.ok()) return report_error("demo", meters.error());
    const mdm::Network network = mdm::build_network(*meters);
    const UtcTime a = tariff::ist_midnight(day);
    const UtcTime b = tariff::ist_midnight(tariff::add_days(last_day, 1));
    auto audit = mdm::audit_from_store(st, network, a, b);
    if (!audit.ok()) return report_error("demo", audit.error());
    auto revenue = revenue_by_meter(billing->db(), day, last_day);
    if (!revenue.ok()) return report_error("demo", revenue.error());
    const mdm::AtcReport atc = mdm::atc_report(
        network, *audit, *revenue, static_cast<std::int64_t>(mdm::intervals_in(a, b, 900)));
    std::map<std::string, std::int64_t> metered_wh;  // by feeder, the stored import
    for (auto i : consumers) {
      const auto& rec = fleet.topology().meters[i];
      for (const auto& [ts, row] : stored[i]) {
        if (row.start >= a && row.start < b) metered_wh[rec.feeder] += row.import_wh;
      }
    }
    auto sums = billing->db().ledger_sums();
    tariff::Paise cash_total = 0;
    if (sums.ok()) {
      for (const auto& [ledger, amount] : *sums) {
        if (ledger.rfind("cash:", 0) == 0) cash_total += amount;
      }
    }
    json fa = json::array();
    // A complete figure must have billed exactly what was metered; an incomplete one (data that
    // came in after its day's posting and its restatement, which the month's statement trues up)
    // never more, and it says it is incomplete.
    std::size_t billed_as_metered = 0, incomplete = 0;
    auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
    for (const auto& f : atc.feeders) {
      const std::int64_t metered = metered_wh[f.name];
      if (f.complete() ? f.billed_wh == metered : f.billed_wh <= metered) ++billed_as_metered;
      if (!f.complete()) ++incomplete;
      json fj = atc_json(f);
      fj["metered_wh"] = metered;
      fa.push_back(std::move(fj));
    }
    const bool atc_ok =
        billed_as_metered == atc.feeders.size() && atc.area.cash_paise == cash_total && sums.ok();
    billing_ok = billing_ok && atc_ok;
    bj["atc"] = {{"from", tariff::to_string(day)},
                 {"to", tariff::to_string(last_day)},
                 {"feeders", fa},
                 {"area_atc_loss_percent", opt(atc.area.atc_loss)},
                 {"area_billing_efficiency_percent", opt(atc.area.billing_efficiency)},
                 {"area_collection_efficiency_percent", opt(atc.area.collection_efficiency)},
                 {"area_collected_paise", atc.area.collected_paise},
                 {"area_cash_paise", atc.area.cash_paise},
                 {"cash_ledgers_paise", cash_total},
                 {"feeders_billed_as_metered", billed_as_metered},
                 {"feeders_incomplete", incomplete},
                 {"ok", atc_ok}};
  }
  // MDM: the energy audit of every whole simulated day, against the truth. Per DT and day, the
  // LT loss (DT meter minus its consumers) from the store must equal the truth's within 0.5
  // percentage points wherever the audit says its data is complete.
  json mj_audit = json::array();
  bool mdm_ok = true;
  std::size_t dt_days = 0, dt_days_complete = 0, dt_days_within = 0;
  double worst_diff_pp = 0;
  {
    auto meters = mdm::all_meters(st);
    if (!meters.ok()) return report_error("demo", meters.error());
    const mdm::Network network = mdm::build_network(*meters);
    std::map<std::string, const fleet::Dt*> dt_by_name;
    for (const auto& d : fleet.topology().dts) dt_by_name[d.name] = &d;
    const std::int64_t day_ms = 86'400'000;
    std::lock_guard l(truth.mu_);
    auto truth_mwh = [&](std::uint32_t m, std::int64_t from_ms) {
      std::int64_t sum = 0;
      for (auto it = truth.intervals_.lower_bound({m, from_ms});
           it != truth.intervals_.end() && it->first.first == m &&
           it->first.second < from_ms + day_ms;
           ++it) {
        sum += it->second.recorded_mwh;
      }
      return sum;
    };
    for (std::int64_t d0 = s_ms; d0 + day_ms <= e_ms; d0 += day_ms) {
      auto audit =
          mdm::audit_from_store(st, network, UtcTime(Millis(d0)), UtcTime(Millis(d0 + day_ms)));
      if (!audit.ok()) return report_error("demo", audit.error());
      for (const auto& b : audit->dts) {
        auto td = dt_by_name.find(b.dt);
        if (td == dt_by_name.end()) continue;
        ++dt_days;
        const std::int64_t dt_true = truth_mwh(td->second->meter, d0);
        std::int64_t consumers_true = 0;
        for (std::uint32_t c : td->second->consumers) consumers_true += truth_mwh(c, d0);
        const double truth_pp =
            dt_true == 0 ? 0.0 : 100.0 * double(dt_true - consumers_true) / double(dt_true);
        const double diff = std::fabs(b.loss_percent - truth_pp);
        if (b.complete()) {
          ++dt_days_complete;
          worst_diff_pp = std::max(worst_diff_pp, diff);
          if (diff <= 0.5) ++dt_days_within;
        }
        mj_audit.push_back({{"day", format_iso8601(UtcTime(Millis(d0)))},
                            {"dt", b.dt},
                            {"complete", b.complete()},
                            {"completeness_percent", b.data.percent()},
                            {"lt_loss_percent", b.loss_percent},
                            {"truth_lt_loss_percent", truth_pp}});
      }
    }
    mdm_ok = dt_days_within == dt_days_complete;
  }
  // MDM: outages and reliability indices over the whole period, from the meters' power events in
  // the store, against the truth's outage episodes (demo/truth_check.h).
  json mj_outages, mj_overload, mj_theft, mj_load_control, mj_vee;
  bool load_control_ok = true;
  std::size_t load_control_commands_succeeded = 0;
  if (lc_action) {
    auto act = load_control->action(lc_action->id);
    auto prog = act.ok() && *act ? load_control->progress(**act)
                                 : Result<mdm::LoadActionProgress>(Error(Errc::kNotFound, "gone"));
    const std::size_t non_essential = lc_normal.size() - lc_essential.size();
    load_control_ok = prog.ok() && lc_limited_ok + lc_without_supply == non_essential &&
                      lc_limited_ok > 0 &&
                      lc_restored_ok + lc_restore_without_supply == non_essential &&
                      lc_essential_untouched_on == lc_essential.size() &&
                      lc_essential_untouched_off == lc_essential.size() &&
                      (*act)->state == mdm::LoadActionState::kRestored;
    if (prog.ok()) load_control_commands_succeeded = prog->applied + prog->restored;
    std::vector<std::int64_t> alat =
        prog.ok() ? prog->apply_latency_ms : std::vector<std::int64_t>{};
    std::vector<std::int64_t> rlat =
        prog.ok() ? prog->restore_latency_ms : std::vector<std::int64_t>{};
    mj_load_control = {{"dt", lc_action->target},
                       {"limit_w", o.load_limit_w},
                       {"minutes", o.load_control_minutes},
                       {"consumers", lc_normal.size()},
                       {"essential", lc_essential.size()},
                       {"limited_in_truth_during_window", lc_limited_ok},
                       {"not_reached_without_supply", lc_without_supply},
                       {"not_restored_yet_without_supply", lc_restore_without_supply},
                       {"restored_in_truth_after_window", lc_restored_ok},
                       {"non_essential", non_essential},
                       {"essential_untouched_during", lc_essential_untouched_on},
                       {"essential_untouched_after", lc_essential_untouched_off},
                       {"limit_confirmed", prog.ok() ? prog->applied : 0},
                       {"restore_confirmed", prog.ok() ? prog->restored : 0},
                       {"latency_simulated_ms_median", percentile(alat, 0.5)},
                       {"latency_simulated_ms_p99", percentile(alat, 0.99)},
                       {"latency_real_ms_median", percentile(alat, 0.5) / o.speed},
                       {"latency_real_ms_p99", percentile(alat, 0.99) / o.speed},
                       {"restore_latency_real_ms_median", percentile(rlat, 0.5) / o.speed},
                       {"restore_latency_real_ms_p99", percentile(rlat, 0.99) / o.speed}};
  }
  // Area disconnections: each checked in the truth (demo/load_disconnect.h).
  json mj_load_disconnect = json::array();
  bool load_disconnect_ok = true;
  std::size_t load_disconnect_commands_succeeded = 0;
  if (disconnections_on) {
    load_disconnect_ok = disconnections.ok();
    for (const auto& c : disconnections.checks()) {
      auto act = load_control->action(c.action_id);
      auto prog = act.ok() && *act ? load_control->progress(**act)
                                   : Result<mdm::LoadActionProgress>(Error(Errc::kNotFound, "-"));
      if (prog.ok()) load_disconnect_commands_succeeded += prog->applied + prog->restored;
      mj_load_disconnect.push_back(
          {{"name", c.name},
           {"dt", c.dt},
           {"action", c.action_id},
           {"chosen", c.chosen},
           {"open_in_truth_during_window", c.open_during},
           {"without_supply_during_window", c.dark_during},
           {"recharged_inside_window", c.recharged_inside},
           {"reconnected_after_window", c.closed_after},
           {"without_supply_after_window", c.dark_after},
           {"of_which_reconnected_when_supply_returned", c.dark_after_closed_later},
           {"of_which_still_without_supply", c.dark_after_still_dark},
           {"expected_reconnected_after_window", c.expected_closed_after},
           {"left_open_for_billing", c.held_after},
           {"expected_left_open_for_billing", c.expected_held_after},
           {"reconnected_after_recharge", c.closed_after_recharge},
           {"left_open_reported_by_load_control", prog.ok() ? prog->held_open : 0},
           {"error", c.error},
           {"ok", c.ok()}});
    }
  }
  demo::TheftCheck tc;
  demo::OutageCheck oc;
  demo::OverloadCheck ovc;
  {
    auto meters = mdm::all_meters(st);
    if (!meters.ok()) return report_error("demo", meters.error());
    const mdm::Network network = mdm::build_network(*meters);
    const UtcTime until = fleet.now();
    auto events = mdm::power_events(st, network, start, until);
    if (!events.ok()) return report_error("demo", events.error());
    const mdm::OutageReport orep = mdm::detect_outages(network, *events, start, end, until);
    const mdm::ReliabilityReport rel = mdm::reliability(network, orep);
    {
      std::lock_guard l(truth.mu_);
      oc = demo::check_outages(fleet.topology(), truth.outages_, network, orep, rel);
    }
    mdm_ok = mdm_ok && oc.ok();
    // Transformer loading over the whole period against the grid's truth.
    auto lrep = mdm::loading_from_store(st, network, start, end);
    if (!lrep.ok()) return report_error("demo", lrep.error());
    ovc = demo::check_overload(fleet.topology(), fleet.grid(), *lrep);
    mdm_ok = mdm_ok && ovc.ok();
    // Theft: every whole simulated day, against the truth's stolen energy per DT-day.
    std::vector<mdm::TheftReport> theft_days;
    const std::int64_t day_ms = 86'400'000;
    for (std::int64_t d0 = s_ms; d0 + day_ms <= e_ms; d0 += day_ms) {
      auto tr = mdm::detect_theft(st, network, *meters, UtcTime(Millis(d0)));
      if (!tr.ok()) return report_error("demo", tr.error());
      theft_days.push_back(std::move(*tr));
    }
    std::vector<demo::DtDayTruth> dt_days_truth;
    {
      std::lock_guard l(truth.mu_);
      for (const auto& dt : fleet.topology().dts) {
        for (std::int64_t d0 = s_ms; d0 + day_ms <= e_ms; d0 += day_ms) {
          demo::DtDayTruth t;
          t.dt = dt.name;
          t.day = UtcTime(Millis(d0));
          auto sum = [&](std::uint32_t m, bool theft) {
            std::int64_t x = 0;
            for (auto it = truth.intervals_.lower_bound({m, d0});
                 it != truth.intervals_.end() && it->first.first == m &&
                 it->first.second < d0 + day_ms;
                 ++it) {
              x += theft ? it->second.theft_mwh : it->second.recorded_mwh;
            }
            return x;
          };
          t.dt_mwh = sum(dt.meter, false);
          t.theft_mwh = sum(dt.meter, true);  // hooks on the DT's line
          for (std::uint32_t c : dt.consumers) t.theft_mwh += sum(c, true);
          dt_days_truth.push_back(t);
        }
      }
      tc = demo::check_theft(fleet.topology(), theft_days, dt_days_truth, truth.thefts_, until);
    }
    mdm_ok = mdm_ok && tc.ok();
    // VEE of every whole day: every interval is there (actual), and an interval is flagged
    // power-failure exactly when the truth says the meter lacked supply during it.
    {
      std::size_t v_intervals = 0, v_actual = 0, v_estimated = 0, pf_flagged = 0, pf_truth = 0,
                  pf_agree = 0, v_zero = 0, v_spike = 0, v_register_known = 0,
                  v_register_mismatches = 0;
      std::lock_guard l(truth.mu_);
      for (std::int64_t d0 = s_ms; d0 + day_ms <= e_ms; d0 += day_ms) {
        auto vr = mdm::vee_from_store(st, network, UtcTime(Millis(d0)));
        if (!vr.ok()) return report_error("demo", vr.error());
        v_intervals += vr->intervals;
        v_actual += vr->actual;
        v_estimated += vr->linear + vr->like_day;
        v_zero += vr->flagged(mdm::kVeeZeroSupplied);
        v_spike += vr->flagged(mdm::kVeeSpike);
        v_register_known += vr->register_known;
        v_register_mismatches += vr->register_mismatches;
        for (const auto& md : vr->meters) {
          auto idx = index_of.find(md.meter_id);
          if (idx == index_of.end()) continue;
          for (const auto& v : md.intervals) {
            auto t = truth.intervals_.find({idx->second, v.start.time_since_epoch().count()});
            const bool truth_off = t != truth.intervals_.end() && t->second.supplied_ms < 900'000;
            const bool flagged_off = (v.flags & mdm::kVeePowerFailure) != 0;
            pf_truth += truth_off ? 1 : 0;
            pf_flagged += flagged_off ? 1 : 0;
            pf_agree += truth_off == flagged_off ? 1 : 0;
          }
        }
      }
      // The validated data the monitor kept during the run: one last run now that every
      // reading is in, then its history against the readings.
      auto last_run = mdm::run_vee(st, network, **vee_book, clock.now());
      if (!last_run.ok()) return report_error("demo", last_run.error());
      auto vc = demo::check_validated(st, **vee_book, start, end);
      if (!vc.ok()) return report_error("demo", vc.error());
      const bool vee_ok = v_actual == v_intervals && pf_agree == v_intervals &&
                          v_register_mismatches == 0 && vc->ok();
      mdm_ok = mdm_ok && vee_ok;
      mj_vee = {{"intervals", v_intervals},
                {"daily_register_known", v_register_known},
                {"daily_register_mismatches", v_register_mismatches},
                {"validated",
                 {{"changes", vc->changes},
                  {"estimates_replaced_by_readings", vc->replaced},
                  {"replaced_estimates_wh", vc->replaced_estimate_wh},
                  {"their_readings_wh", vc->replaced_reading_wh},
                  {"replaced_estimates_wape", vc->wape()},
                  {"estimates_outliving_their_reading", vc->stale},
                  {"estimates_without_reading", vc->still_estimated},
                  {"monitor_estimates", monitor.stats().vee.estimated},
                  {"monitor_replacements", monitor.stats().vee.replaced}}},
                {"actual", v_actual},
                {"estimated", v_estimated},
                {"power_failure_flagged", pf_flagged},
                {"power_failure_in_truth", pf_truth},
                {"power_failure_flag_agrees_with_truth", pf_agree},
                {"zero_while_supplied_flagged", v_zero},
                {"spike_flagged", v_spike}};
    }
    json flagged = json::array();
    for (const auto& r : theft_days) {
      for (const auto& f : r.dts) {
        if (!f.flagged) continue;
        json sus = json::array();
        for (const auto& x : f.suspects) {
          sus.push_back({{"serial", x.serial},
                         {"consumer", x.consumer_id},
                         {"score", x.score},
                         {"explained_wh", x.explained_wh},
                         {"reasons", x.reasons}});
        }
        flagged.push_back({{"day", format_iso8601(r.day)},
                           {"dt", f.dt},
                           {"unexplained_percent", f.unexplained_percent},
                           {"stolen_wh_estimate", f.stolen_wh},
                           {"pattern", f.pattern},
                           {"suspects", sus}});
      }
    }
    mj_theft = {{"dt_days_with_theft_5_percent_or_more", tc.theft_dt_days},
                {"of_them_flagged", tc.theft_flagged},
                {"honest_dt_days", tc.honest_dt_days},
                {"honest_flagged", tc.honest_flagged},
                {"estimates_checked", tc.estimates},
                {"estimates_within_15_percent", tc.estimates_within},
                {"worst_estimate_error_percent", 100 * tc.worst_estimate_error},
                {"consumer_thefts_on_flagged_dt_days", tc.consumer_episodes},
                {"thief_in_top_3_suspects", tc.in_top3},
                {"missed", tc.missed},
                {"honest_flagged_list", tc.false_flags},
                {"bad_estimates", tc.bad_estimates},
                {"thief_not_in_top_3", tc.not_in_top3},
                {"named_by_explanation", tc.named_by_explanation},
                {"named_by_explanation_without_theft", tc.honest_named},
                {"flagged", flagged}};
    // The truth's consumer thefts, to read the suspects against.
    json thieves = json::array();
    {
      std::lock_guard l(truth.mu_);
      for (const auto& e : truth.thefts_) {
        const auto& topo = fleet.topology();
        const auto d = e.meter < topo.dt_of.size() ? topo.dt_of[e.meter] : -1;
        thieves.push_back({{"kind", e.kind},
                           {"serial", topo.meters[e.meter].identity.serial},
                           {"dt", d >= 0 ? topo.dts[static_cast<std::size_t>(d)].name : ""},
                           {"start", format_iso8601(e.start)},
                           {"end", e.end ? json(format_iso8601(*e.end)) : json(nullptr)}});
      }
    }
    mj_theft["consumer_thefts_in_truth"] = thieves;
    json peaks = json::array();
    std::vector<const mdm::DtLoading*> by_peak;
    for (const auto& d : lrep->dts) by_peak.push_back(&d);
    std::sort(by_peak.begin(), by_peak.end(), [](const auto* a, const auto* b) {
      return a->peak.loading_percent > b->peak.loading_percent;
    });
    for (const auto* d : by_peak) {
      peaks.push_back({{"dt", d->dt},
                       {"rating_kva", d->rating_va / 1000},
                       {"peak_kva", d->peak.kva},
                       {"peak_at", format_iso8601(d->peak.start)},
                       {"peak_loading_percent", d->peak.loading_percent},
                       {"overloaded_intervals", d->overloaded.size()}});
    }
    mj_overload = {{"dt_intervals_checked", ovc.dt_intervals},
                   {"overloaded_in_truth", ovc.truth_overloaded},
                   {"flagged", ovc.flagged},
                   {"missed", ovc.missed},
                   {"flagged_below_rating", ovc.false_flags},
                   {"within_one_vah_of_rating", ovc.at_resolution},
                   {"dts_overloaded", ovc.dts_overloaded},
                   {"worst_loading_percent", ovc.worst_loading_percent},
                   {"overload_alerts_written_by_the_monitor", monitor.stats().overload_alerts},
                   {"monitor_runs", monitor.stats().runs},
                   {"dts_by_peak_loading", peaks}};
    auto match_json = [](const demo::SpanMatch& m) {
      return json{{"truth", m.truth},
                  {"found_within_2_min", m.found},
                  {"false_alarms", m.false_alarms},
                  {"worst_start_error_s", m.worst_start_error_s},
                  {"worst_end_error_s", m.worst_end_error_s},
                  {"missed", m.missed},
                  {"not_in_truth", m.false_found}};
    };
    json ij = json::array();
    for (const auto& i : oc.indices) {
      ij.push_back({{"feeder", i.feeder},
                    {"saifi", i.saifi},
                    {"truth_saifi", i.truth_saifi},
                    {"saidi_minutes", i.saidi},
                    {"truth_saidi_minutes", i.truth_saidi},
                    {"within_1_percent", i.within}});
    }
    mj_outages = {{"dt_spans_without_supply", match_json(oc.dts)},
                  {"feeder_outages", match_json(oc.feeders)},
                  {"sustained_dt_spans_in_truth", oc.sustained_truth_spans},
                  {"meters_with_power_events", orep.meters_with_evidence},
                  {"consumers_off_on_their_own", orep.single_meter.size()},
                  {"outage_alerts_written_by_the_monitor", monitor.stats().outage_alerts},
                  {"area_saifi", rel.area.saifi},
                  {"area_saidi_minutes", rel.area.saidi},
                  {"area_caidi_minutes", rel.area.caidi},
                  {"area_maifi", rel.area.maifi},
                  {"indices_by_feeder", ij}};
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double completeness = expected == 0 ? 0 : 100.0 * double(present) / double(expected);
  const double cut_completeness =
      cut_expected == 0 ? 100.0 : 100.0 * double(cut_present) / double(cut_expected);

  json r;
  r["interrupted"] = interrupted;
  r["fleet"] = {{"meters", n},
                {"consumers", consumers.size()},
                {"feeders", fleet.topology().feeders.size()},
                {"dts", fleet.topology().dts.size()}};
  r["time"] = {{"simulated_from", format_iso8601(start)},
               {"simulated_to", format_iso8601(end)},
               {"speed", o.speed},
               {"wall_seconds", wall_s},
               {"settle_seconds", settle_s}};
  r["intervals"] = {{"expected", expected},
                    {"stored", present},
                    {"equal_energy", equal},
                    {"completeness_percent", completeness},
                    {"read_back_by_gap_fill", read_rows},
                    {"pushes_sent", truth.pushes_sent_},
                    {"pushes_without_network", truth.pushes_no_network_}};
  json mj = json::array();
  for (const auto& x : mismatches) {
    mj.push_back({{"meter", fleet.topology().meters[x.meter].identity.serial},
                  {"interval", format_iso8601(UtcTime(Millis(x.start_ms)))},
                  {"stored_wh", x.stored_wh},
                  {"truth_wh", double(x.truth_mwh) / 1000.0},
                  {"arrived_by", x.read_back ? "gap-fill read" : "push"}});
  }
  r["intervals"]["mismatches"] = mj;
  const fleet::FleetStats fs = sim.with_fleet([](fleet::Fleet& f) { return f.stats(); });
  const double lag_mean_s = fs.push_lag_count == 0
                                ? 0
                                : double(fs.push_lag_total_ms) / double(fs.push_lag_count) / 1000.0;
  r["simulator"] = {{"push_lag_max_simulated_s", double(fs.push_lag_max_ms) / 1000.0},
                    {"push_lag_mean_simulated_s", lag_mean_s},
                    {"push_lag_max_real_ms", double(fs.push_lag_max_ms) / o.speed},
                    {"episodes", fs.episodes},
                    {"limiter_trips", fs.limiter_trips}};
  r["network_cut"] = {{"meters", cut.size()},
                      {"hours", o.cut_hours},
                      {"intervals_expected", cut_expected},
                      {"intervals_stored", cut_present},
                      {"completeness_percent", cut_completeness}};
  json fj = json::array();
  for (const auto& [name, fe] : feeders) {
    const double loss =
        fe.feeder_meter_wh == 0
            ? 0
            : 100.0 * double(fe.feeder_meter_wh - fe.consumers_wh) / double(fe.feeder_meter_wh);
    fj.push_back({{"feeder", name},
                  {"consumers_truth_kwh", double(fe.truth_mwh) / 1e6},
                  {"consumers_stored_kwh", double(fe.consumers_wh) / 1e3},
                  {"feeder_meter_kwh", double(fe.feeder_meter_wh) / 1e3},
                  {"loss_percent", loss}});
  }
  r["energy_by_feeder"] = fj;
  json aj = json::object();
  for (const auto& [k, v] : alerts_by_kind) aj[k] = v;
  json ej = json::object();
  {
    std::lock_guard l(truth.mu_);
    for (const auto& [k, v] : truth.episodes_started_) ej[k] = v;
    r["alerts"] = {{"alert_pushes_sent_by_meters", truth.alerts_sent_},
                   {"alert_pushes_received", hs.alert_pushes},
                   {"alerts_raised", aj},
                   {"episodes_injected", ej}};
  }
  r["commands"] = {{"disconnects_sent", disconnect_ids.size()},
                   {"relays_open_before_reconnect", relays_open_at_check},
                   {"relays_not_reached_without_supply", relays_closed_dark},
                   {"relays_open_expected", relays_open_expected},
                   {"reconnects_sent", reconnect_ids.size()},
                   {"relays_closed_at_end", relays_closed_at_end},
                   {"relays_closed_expected", defaulters_expected_closed},
                   {"states", command_states},
                   {"successes_reported", hs.commands_succeeded},
                   {"latency_simulated_ms_median", percentile(lat, 0.5)},
                   {"latency_simulated_ms_p99", percentile(lat, 0.99)},
                   {"latency_real_ms_median", percentile(lat, 0.5) / o.speed},
                   {"latency_real_ms_p99", percentile(lat, 0.99) / o.speed}};
  r["scheduled_reads"] = {{"reads", hs.profile_reads}, {"rows_by_profile", scheduled}};
  r["head_end"] = {{"sessions_accepted", hs.sessions_accepted},
                   {"pushes", hs.pushes},
                   {"intervals_committed", hs.intervals_committed},
                   {"duplicates", hs.intervals_duplicate},
                   {"conflicts", hs.intervals_conflict},
                   {"batches", hs.batches},
                   {"gap_reads", hs.gap_reads},
                   {"dials", hs.dials},
                   {"dial_failures", hs.dial_failures},
                   {"rejected", hs.rejected_unknown + hs.rejected_auth + hs.rejected_replay +
                                    hs.rejected_malformed + hs.rejected_flood},
                   {"peak_rss_mib", double(ru.ru_maxrss) / 1024.0},
                   {"cpu_seconds", double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)}};
  r["billing"] = bj;
  r["mdm"] = {{"energy_audit",
               {{"dt_days", dt_days},
                {"dt_days_complete", dt_days_complete},
                {"dt_days_within_0_5_pp_of_truth", dt_days_within},
                {"largest_difference_pp", worst_diff_pp},
                {"by_dt_day", mj_audit}}},
              {"outages", mj_outages},
              {"overload", mj_overload},
              {"theft", mj_theft},
              {"load_control", mj_load_control},
              {"load_disconnect", mj_load_disconnect},
              {"billing_reconnections_left_to_load_control",
               billing ? billing->engine().stats().reconnects_held : 0},
              {"vee", mj_vee}};
  r["data_dir"] = data_dir;
  he.stop();

  std::cout << "\n==== report: the platform's view against the simulator's truth ====\n"
            << fmt::format(
                   "intervals: {} of {} stored ({:.3f} %), {} with the same energy; {} "
                   "read back by gap fill\n",
                   present, expected, completeness, equal, read_rows)
            << fmt::format(
                   "simulator: pushes handled at most {:.1f} simulated s ({:.0f} ms real) after "
                   "they were due, {:.1f} s on average\n",
                   double(fs.push_lag_max_ms) / 1000.0, double(fs.push_lag_max_ms) / o.speed,
                   lag_mean_s)
            << fmt::format(
                   "network cut: {} meters without network for {} h: {} of {} intervals "
                   "stored ({:.3f} %)\n",
                   cut.size(), o.cut_hours, cut_present, cut_expected, cut_completeness)
            << fmt::format(
                   "commands: {} disconnects -> {} of {} relays open in the truth ({} others "
                   "without supply since); {} reconnects -> {} closed at the end (of {} the "
                   "billing engine wants closed); latency median {:.0f} ms, p99 {:.0f} ms (real)\n",
                   disconnect_ids.size(), relays_open_at_check, relays_open_expected,
                   relays_closed_dark, reconnect_ids.size(), relays_closed_at_end,
                   defaulters_expected_closed, percentile(lat, 0.5) / o.speed,
                   percentile(lat, 0.99) / o.speed)
            << fmt::format(
                   "scheduled reads: {} reads; daily rows {}, billing rows {}, event rows {}\n",
                   hs.profile_reads, scheduled["daily"].get<std::uint64_t>(),
                   scheduled["billing"].get<std::uint64_t>(),
                   [&] {
                     std::uint64_t e = 0;
                     for (const auto& [k, v] : scheduled.items()) {
                       if (k.rfind("event-", 0) == 0) e += v.get<std::uint64_t>();
                     }
                     return e;
                   }())
            << fmt::format("alerts: {} alert pushes sent by meters, {} received\n",
                           truth.alerts_sent_, hs.alert_pushes);
  for (const auto& [k, v] : alerts_by_kind) std::cout << fmt::format("  {:<32} {}\n", k, v);
  if (!mismatches.empty()) {
    constexpr std::size_t kShown = 50;
    std::cout << fmt::format("intervals stored with an energy other than the truth's: {}\n",
                             mismatches.size());
    for (std::size_t i = 0; i < std::min(kShown, mismatches.size()); ++i) {
      const auto& x = mismatches[i];
      std::cout << fmt::format("  {} {} stored {} Wh, truth {:.3f} Wh, by {}\n",
                               fleet.topology().meters[x.meter].identity.serial,
                               format_iso8601(UtcTime(Millis(x.start_ms))), x.stored_wh,
                               double(x.truth_mwh) / 1000.0,
                               x.read_back ? "gap-fill read" : "push");
    }
    if (mismatches.size() > kShown) {
      std::cout << fmt::format("  ... {} more in the report\n", mismatches.size() - kShown);
    }
  }
  if (billing) {
    std::cout << fmt::format(
        "billing: {} accounts; {} of {} low-balance consumers disconnected by the rules before "
        "their recharge, {} reconnections ordered, {} confirmed by the meters: median {:.0f} ms, "
        "p99 {:.0f} ms (real, recharge to relay closed); duplicate notifications credited: {}\n"
        "  daily postings from {}: {} of {} accounts charged exactly the month-to-date bill of "
        "their stored energy (Rs {} posted; {} postings charged estimates, corrected since); "
        "ledger balanced: {}; wanted relay = meter relay for {} of {}\n",
        bj["accounts"].get<std::uint64_t>(), low_disconnected, low.size(), reconnect_waits.size(),
        reconnect_latency_ms.size(), percentile(reconnect_latency_ms, 0.5),
        percentile(reconnect_latency_ms, 0.99), recharge_duplicates_credited,
        bj["day_posted"].get<std::string>(),
        bj["posted_equals_independent_bill"].get<std::size_t>(),
        bj["accounts_checked"].get<std::size_t>(),
        tariff::format_rupees(bj["posted_total_paise"].get<tariff::Paise>()).substr(3),
        bj["daily_postings_charging_estimates"].get<std::size_t>(),
        bj["ledger_balanced"].get<bool>() ? "yes" : "NO",
        bj["relay_states_agree"].get<std::size_t>(), bj["accounts_checked"].get<std::size_t>());
    const json& at = bj["atc"];
    auto p = [](const json& v) {
      return v.is_number() ? fmt::format("{:.1f} %", v.get<double>()) : std::string("-");
    };
    std::cout << fmt::format(
        "billing AT&C {} to {}: area billing efficiency {}, collection efficiency {}, AT&C loss "
        "{}; {} of {} feeders billed what their consumers' meters recorded (exactly where "
        "complete; {} incomplete: readings that came after their day's posting, for the month's "
        "statement); cash received = cash ledgers: {}\n",
        at["from"].get<std::string>(), at["to"].get<std::string>(),
        p(at["area_billing_efficiency_percent"]), p(at["area_collection_efficiency_percent"]),
        p(at["area_atc_loss_percent"]), at["feeders_billed_as_metered"].get<std::size_t>(),
        at["feeders"].size(), at["feeders_incomplete"].get<std::size_t>(),
        at["area_cash_paise"] == at["cash_ledgers_paise"] ? "yes" : "NO");
    for (const auto& f : at["feeders"]) {
      std::cout << fmt::format(
          "  {}: in {:.1f} kWh, billed {:.1f} kWh ({}), collected {} of {} ({}), AT&C {}{}\n",
          f["feeder"].get<std::string>(), f["input_wh"].get<double>() / 1000,
          f["billed_wh"].get<double>() / 1000, p(f["billing_efficiency_percent"]),
          tariff::format_rupees(f["collected_paise"].get<tariff::Paise>()),
          tariff::format_rupees(f["billed_paise"].get<tariff::Paise>()),
          p(f["collection_efficiency_percent"]), p(f["atc_loss_percent"]),
          f["complete"].get<bool>() ? "" : "  INCOMPLETE");
    }
  }
  std::cout << fmt::format(
      "mdm energy audit: {} DT-days, {} with complete data; LT loss within 0.5 pp of the truth on "
      "{} of them (largest difference {:.3f} pp)\n",
      dt_days, dt_days_complete, dt_days_within, worst_diff_pp);
  {
    std::size_t within = 0;
    for (const auto& i : oc.indices) within += i.within ? 1 : 0;
    std::cout << fmt::format(
        "mdm outages: {} of {} DT spans without supply in the truth found within 2 min (worst "
        "start {:.0f} s, end {:.0f} s), {} not in the truth; feeder outages {} of {}, {} not in "
        "the truth; SAIFI and SAIDI within 1 % of the truth on {} of {} feeders (area SAIFI "
        "{:.3f}, SAIDI {:.1f} min); {} outage alerts from the continuous monitor\n",
        oc.dts.found, oc.dts.truth, oc.dts.worst_start_error_s, oc.dts.worst_end_error_s,
        oc.dts.false_alarms, oc.feeders.found, oc.feeders.truth, oc.feeders.false_alarms, within,
        oc.indices.size(), mj_outages["area_saifi"].get<double>(),
        mj_outages["area_saidi_minutes"].get<double>(),
        mj_outages["outage_alerts_written_by_the_monitor"].get<std::uint64_t>());
    for (const auto& x : oc.dts.missed) std::cout << "  missed: " << x << "\n";
    for (const auto& x : oc.dts.false_found) std::cout << "  not in the truth: " << x << "\n";
  }
  std::cout << fmt::format(
      "mdm transformer loading: {} of {} DT intervals above the rating in the truth flagged, {} "
      "flagged below it ({} within 1 VAh of the rating); {} DTs overloaded, worst {:.0f} %; {} "
      "overload alerts from the continuous monitor\n",
      ovc.truth_overloaded - ovc.missed, ovc.truth_overloaded, ovc.false_flags, ovc.at_resolution,
      ovc.dts_overloaded, ovc.worst_loading_percent, monitor.stats().overload_alerts);
  std::cout << fmt::format(
      "mdm theft: {} of {} DT-days with 5 % or more stolen flagged; {} of {} honest DT-days "
      "flagged; stolen energy within 15 % on {} of {} (worst {:.1f} %); the thief among the top 3 "
      "suspects in {} of {} consumer thefts on flagged DT-days\n",
      tc.theft_flagged, tc.theft_dt_days, tc.honest_flagged, tc.honest_dt_days, tc.estimates_within,
      tc.estimates, 100 * tc.worst_estimate_error, tc.in_top3, tc.consumer_episodes);
  for (const auto& x : tc.missed) std::cout << "  theft missed: " << x << "\n";
  for (const auto& x : tc.false_flags) std::cout << "  honest DT-day flagged: " << x << "\n";
  for (const auto& x : tc.bad_estimates) std::cout << "  estimate off: " << x << "\n";
  for (const auto& x : tc.not_in_top3) std::cout << "  thief not in the top 3: " << x << "\n";
  std::cout << fmt::format(
      "mdm theft suspects: {} named by the loss explanation on flagged DT-days, {} of them not "
      "stealing that day in the truth\n",
      tc.named_by_explanation, tc.named_honest);
  for (const auto& x : tc.honest_named) std::cout << "  named without a theft: " << x << "\n";
  std::cout << fmt::format(
      "mdm vee: {} of {} consumer intervals actual, {} estimated; power-failure flag agrees with "
      "the truth on {} of them ({} flagged, {} without full supply in the truth); zero while "
      "supplied {}, spikes {}\n",
      mj_vee["actual"].get<std::size_t>(), mj_vee["intervals"].get<std::size_t>(),
      mj_vee["estimated"].get<std::size_t>(),
      mj_vee["power_failure_flag_agrees_with_truth"].get<std::size_t>(),
      mj_vee["power_failure_flagged"].get<std::size_t>(),
      mj_vee["power_failure_in_truth"].get<std::size_t>(),
      mj_vee["zero_while_supplied_flagged"].get<std::size_t>(),
      mj_vee["spike_flagged"].get<std::size_t>());
  {
    const json& vj = mj_vee["validated"];
    const json& ch = vj["changes"];
    auto count_of = [&](const char* k) { return ch.contains(k) ? ch[k].get<std::uint64_t>() : 0; };
    std::cout << fmt::format(
        "mdm validated data: daily register known for {} meter-days, {} disagree with the "
        "intervals; during the run {} estimates made ({} revised), {} replaced by their readings "
        "(estimates {} Wh against readings {} Wh, WAPE {:.1f} %), {} outliving their reading, {} "
        "still without one\n",
        mj_vee["daily_register_known"].get<std::size_t>(),
        mj_vee["daily_register_mismatches"].get<std::size_t>(), count_of("estimate"),
        count_of("re-estimate"), vj["estimates_replaced_by_readings"].get<std::size_t>(),
        vj["replaced_estimates_wh"].get<std::int64_t>(),
        vj["their_readings_wh"].get<std::int64_t>(),
        100.0 * vj["replaced_estimates_wape"].get<double>(),
        vj["estimates_outliving_their_reading"].get<std::size_t>(),
        vj["estimates_without_reading"].get<std::size_t>());
  }
  if (lc_action) {
    std::cout << fmt::format(
        "mdm load control: {} limited to {} W: {} of {} non-essential meters at the limit in the "
        "truth during the window ({} others without supply since), {} restored after it ({} "
        "others without supply since); {} of {} essential meters untouched (during) and {} "
        "(after); command latency median {:.0f} ms, p99 {:.0f} ms (real)\n",
        lc_action->target, o.load_limit_w, lc_limited_ok, lc_normal.size() - lc_essential.size(),
        lc_without_supply, lc_restored_ok, lc_restore_without_supply, lc_essential_untouched_on,
        lc_essential.size(), lc_essential_untouched_off,
        mj_load_control["latency_real_ms_median"].get<double>(),
        mj_load_control["latency_real_ms_p99"].get<double>());
  }
  for (const auto& c : disconnections.checks()) {
    std::cout << fmt::format(
        "mdm load disconnect ({}): {} consumers of {} disconnected for an hour, {} of them "
        "disconnected by billing before; open in the truth during the window {} (+{} without "
        "supply){}; reconnected after it {} of {} (+{} without supply, {} of them reconnected "
        "when it returned); left open for billing {} of {}, reconnected by their recharge {}{}\n",
        c.name, c.chosen, c.dt, c.recharged_inside + c.expected_held_after, c.open_during,
        c.dark_during,
        c.recharged_inside > 0
            ? fmt::format(", {} recharged inside it and stayed open", c.recharged_inside)
            : std::string(),
        c.closed_after, c.expected_closed_after, c.dark_after, c.dark_after_closed_later,
        c.held_after, c.expected_held_after, c.closed_after_recharge,
        c.error.empty() ? "" : "; " + c.error);
  }
  if (disconnections_on && disconnections.checks().empty()) {
    std::cout << "mdm load disconnect: no DT had consumers billing had disconnected\n";
  }
  std::cout << "energy by feeder (consumers: truth vs stored; feeder meter; loss):\n";
  for (const auto& f : fj) {
    std::cout << fmt::format("  {:<6} {:>10.1f} kWh {:>10.1f} kWh {:>10.1f} kWh {:>6.2f} %\n",
                             f["feeder"].get<std::string>(), f["consumers_truth_kwh"].get<double>(),
                             f["consumers_stored_kwh"].get<double>(),
                             f["feeder_meter_kwh"].get<double>(), f["loss_percent"].get<double>());
  }
  std::ofstream out(o.report);
  out << r.dump(2) << "\n";
  std::cout << fmt::format("report written to {}\n", o.report);
  // Each command succeeds once: a second success would mean it was carried out twice.
  const bool ok = !interrupted && present == expected && mismatches.empty() &&
                  relays_open_at_check + relays_closed_dark == relays_open_expected &&
                  (relays_open_expected == 0 || relays_open_at_check > 0) &&
                  relays_closed_at_end == defaulters_expected_closed && mdm_ok && load_control_ok &&
                  load_disconnect_ok &&
                  hs.commands_succeeded ==
                      disconnect_ids.size() + reconnect_ids.size() + billing_commands_succeeded +
                          load_control_commands_succeeded + load_disconnect_commands_succeeded &&
                  billing_ok;
  if (!ok) std::cout << "RESULT: the platform's view does not match the truth (see above)\n";
  return ok ? kExitOk : kExitFailure;
}

}  // namespace

void register_demo(CLI::App& app, Runner& run) {
  auto o = std::make_shared<DemoOptions>();
  auto* d = app.add_subcommand(
      "demo", "Head end + simulated fleet for an accelerated day, with a report against truth");
  d->add_option("--consumers", o->consumers, "Consumer meters (plus their DT and feeder meters)")
      ->capture_default_str();
  d->add_option("--days", o->days, "Simulated days")->capture_default_str();
  d->add_option("--speed", o->speed, "Simulated seconds per real second")->capture_default_str();
  d->add_option("--data", o->data_dir, "Data directory (default: a new temporary one)");
  d->add_option("--report", o->report, "JSON report file")->capture_default_str();
  d->add_option("--cut-share", o->cut_share, "Share of meters whose network is cut")
      ->capture_default_str();
  d->add_option("--cut-at-hour", o->cut_at_h, "When the cut starts")->capture_default_str();
  d->add_option("--cut-hours", o->cut_hours, "How long it lasts")->capture_default_str();
  d->add_option("--history-days", o->history_days,
                "Days of readings before the first day loaded at the start (like-day basis)")
      ->capture_default_str()
      ->check(CLI::Range(0, 7));
  d->add_option("--disconnects", o->disconnects, "Consumers disconnected")->capture_default_str();
  d->add_option("--disconnect-at-hour", o->disconnect_at_h, "When")->capture_default_str();
  d->add_option("--reconnect-at-hour", o->reconnect_at_h, "When they are reconnected")
      ->capture_default_str();
  d->add_option("--seed", o->seed, "Fleet and episode seed")->capture_default_str();
  d->add_option("--day", o->day,
                "First simulated IST day, YYYY-MM-DD (default: the latest day up to yesterday on "
                "which disconnection is allowed)");
  d->add_option("--progress", o->progress_s, "Seconds between progress lines")
      ->capture_default_str();
  d->add_flag("!--no-random-events", o->random_events, "Only the scripted scenario");
  d->add_option("--scenario", o->scenario_file,
                "Further control commands at simulated minutes ('+M cmd', as `simulate run "
                "--scenario`), e.g. '+0 hook F0001-T003 2000 1440'");
  d->add_option("--outage-rate", o->outage_rate,
                "Random outages per DT and per feeder per simulated day")
      ->capture_default_str();
  d->add_option("--theft-rate", o->theft_rate,
                "Random thefts of each kind per consumer per simulated day (default: the "
                "simulator's)");
  d->add_option("--hook-rate", o->hook_rate,
                "Random hooks on a DT's LT network (no event) per DT per simulated day")
      ->capture_default_str();
  d->add_option("--silent-bypass-rate", o->silent_bypass_rate,
                "Random silent partial bypasses (no event) per consumer per simulated day")
      ->capture_default_str();
  d->add_flag("!--no-billing", o->billing, "Run without the billing engine");
  d->add_flag("!--no-load-disconnect", o->load_disconnect,
              "Without the area disconnections at 09:00 and before the recharges");
  d->add_option("--load-control-at-hour", o->load_control_at_h,
                "When the DT with the most consumers is load-limited")
      ->capture_default_str();
  d->add_option("--load-control-minutes", o->load_control_minutes, "For how long (0: not at all)")
      ->capture_default_str();
  d->add_option("--load-limit", o->load_limit_w, "The limit (W)")->capture_default_str();
  d->add_option("--low-balance", o->low_balance,
                "Consumers who start with Rs 15 and run out (billing)")
      ->capture_default_str();
  d->add_option("--recharge-at-hour", o->recharge_at_h, "When they recharge")
      ->capture_default_str();
  d->add_option("--settle", o->settle_s,
                "Real seconds the fleet runs on after the end until every interval is stored")
      ->capture_default_str();
  d->callback([o, &run] { run = [o] { return run_demo(*o); }; });
}

}  // namespace vidyut::cli
