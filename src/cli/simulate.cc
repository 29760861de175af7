// `vidyut simulate`: the meter fleet simulator (docs/fleet-simulator.md).
//
//   simulate export   writes a generated fleet's fleet file (docs/fleet-file.md)
//   simulate run      runs a fleet: pushes to a head end, answers it, accepts inbound sessions
//                     from static-IP meters, takes control commands, writes the ground truth
//   simulate control  sends one control command to a running simulator
//   simulate sink     receives and counts pushes (a stand-in head end)
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/log.h"
#include "fleet/fleet.h"
#include "fleet/fleet_file.h"
#include "fleet/truth_csv.h"
#include "simulator/push_sink.h"
#include "simulator/simulator.h"

namespace vidyut::cli {

// "90s", "15m", "6h", "2d" (simulated time); a bare number is seconds.
Result<Millis> parse_duration(const std::string& s) {
  if (s.empty()) return Error(Errc::kInvalidArgument, "empty duration");
  std::int64_t unit = 1000;
  std::string num = s;
  switch (s.back()) {
    case 's':
      num.pop_back();
      break;
    case 'm':
      unit = 60'000;
      num.pop_back();
      break;
    case 'h':
      unit = 3'600'000;
      num.pop_back();
      break;
    case 'd':
      unit = 86'400'000;
      num.pop_back();
      break;
    default:
      break;
  }
  char* end = nullptr;
  const double v = std::strtod(num.c_str(), &end);
  if (num.empty() || end != num.c_str() + num.size() || !(v > 0) || v > 3650.0 * 86'400) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("duration '{}': use e.g. 90s, 15m, 6h, 2d", s));
  }
  return Millis(static_cast<std::int64_t>(v * static_cast<double>(unit)));
}

Result<std::pair<std::string, std::uint16_t>> parse_host_port(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Error(Errc::kInvalidArgument, fmt::format("'{}': expected host:port", s));
  }
  const std::string port = s.substr(colon + 1);
  char* end = nullptr;
  const long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p <= 0 || p > 65535) {
    return Error(Errc::kInvalidArgument, fmt::format("'{}': bad port", s));
  }
  return std::make_pair(s.substr(0, colon), static_cast<std::uint16_t>(p));
}

namespace {

struct SpecOptions {
  fleet::FleetSpec spec;
  std::string fleet_file;  // when given, the fleet comes from it
};

void add_spec_options(CLI::App* cmd, SpecOptions& o) {
  cmd->add_option("--meters", o.spec.consumers, "Consumer meters to generate")
      ->capture_default_str();
  cmd->add_option("--seed", o.spec.seed, "Seed of the generated network")->capture_default_str();
  cmd->add_option("--consumers-per-dt", o.spec.consumers_per_dt, "Average consumers per DT")
      ->capture_default_str();
  cmd->add_option("--dts-per-feeder", o.spec.dts_per_feeder, "DTs per feeder")
      ->capture_default_str();
  cmd->add_option("--three-phase-share", o.spec.three_phase_share, "Share of three-phase meters")
      ->capture_default_str();
  cmd->add_option("--static-ip-share", o.spec.static_ip_share,
                  "Share of consumer meters that accept inbound sessions (DT and feeder meters "
                  "always do)")
      ->capture_default_str();
}

Result<fleet::Topology> load_topology(const SpecOptions& o) {
  if (!o.fleet_file.empty()) return fleet::read_fleet_file(o.fleet_file);
  return fleet::generate(o.spec);
}

// ---- export -----------------------------------------------------------------------------------

struct ExportOptions {
  SpecOptions spec;
  std::string out;
};

int run_export(const ExportOptions& o) {
  const fleet::Topology t = fleet::generate(o.spec.spec);
  auto st = fleet::write_fleet_file(t, o.out);
  if (!st.ok()) return report_error("simulate export", st.error());
  std::cout << fmt::format("wrote {} meters ({} feeders, {} DTs) to {}\n", t.meters.size(),
                           t.feeders.size(), t.dts.size(), o.out);
  return kExitOk;
}

// ---- run --------------------------------------------------------------------------------------

struct RunOptions {
  SpecOptions spec;
  fleet::FleetConfig config;
  simulator::SimulatorOptions sim;
  double speed = 1.0;
  std::string start;
  std::string epoch;  // wall-clock instant at which simulated time is `start`
  std::string duration;
  std::string head_end;
  std::string truth_dir;
  std::string scenario;
  std::string export_file;
  std::string report;
  double theft_rate = -1;
  double hook_rate = -1;
  double silent_bypass_rate = -1;
  double outage_rate = -1;
  double sim_outage_rate = -1;
  std::uint32_t latency_ms = 0;
  std::uint32_t linger_ms = 10'000;
  double progress_s = 10;
  bool no_limiter = false;
  bool no_truth_intervals = false;
};

std::atomic<int> g_signal{0};
extern "C" void on_signal(int s) { g_signal = s; }

struct Usage {
  double cpu_s = 0;
  std::int64_t max_rss_kib = 0;
};
Usage usage_now() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  Usage u;
  u.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  u.max_rss_kib = ru.ru_maxrss;
  return u;
}

int run_simulation(RunOptions o) {
  auto topology = load_topology(o.spec);
  if (!topology.ok()) return report_error("simulate run", topology.error());
  if (!o.export_file.empty()) {
    auto st = fleet::write_fleet_file(*topology, o.export_file);
    if (!st.ok()) return report_error("simulate run", st.error());
  }
  std::optional<Millis> duration;
  if (!o.duration.empty()) {
    auto d = parse_duration(o.duration);
    if (!d.ok()) return report_error("simulate run", d.error());
    duration = *d;
  }
  UtcTime start = std::chrono::floor<std::chrono::minutes>(RealClock::instance().now());
  if (!o.start.empty()) {
    auto s = parse_iso8601(o.start);
    if (!s.ok()) return report_error("simulate run", s.error());
    start = *s;
  }
  if (!(o.speed > 0) || o.speed > 100'000) {
    return report_error("simulate run",
                        Error(Errc::kInvalidArgument, "--speed must be in (0, 100000]"));
  }
  if (!o.head_end.empty()) {
    auto hp = parse_host_port(o.head_end);
    if (!hp.ok()) return report_error("simulate run", hp.error());
    o.sim.head_end_host = hp->first;
    o.sim.head_end_port = hp->second;
  }
  fleet::EventRates& r = o.config.rates;
  if (o.theft_rate >= 0) r.magnet = r.neutral = r.reverse = r.bypass = o.theft_rate;
  if (o.hook_rate >= 0) r.hook = o.hook_rate;
  if (o.silent_bypass_rate >= 0) r.silent_bypass = o.silent_bypass_rate;
  if (o.outage_rate >= 0) r.dt_outage = r.feeder_outage = o.outage_rate;
  if (o.sim_outage_rate >= 0) r.sim_outage = o.sim_outage_rate;
  o.config.latency = Millis(o.latency_ms);
  o.config.limiter_trips = !o.no_limiter;
  o.config.truth_intervals = !o.no_truth_intervals;
  o.sim.linger = Millis(o.linger_ms);
  o.sim.inbound = o.sim.inbound_port != 0;

  const std::size_t n_meters = topology->meters.size();
  std::unique_ptr<fleet::CsvTruthWriter> truth;
  if (!o.truth_dir.empty()) {
    auto w = fleet::CsvTruthWriter::open(*topology, o.truth_dir);
    if (!w.ok()) return report_error("simulate run", w.error());
    truth = std::move(*w);
  }
  const Usage before_build = usage_now();
  const auto wall0 = std::chrono::steady_clock::now();
  // The clock starts after the fleet is built: building 100,000 meters takes real seconds.
  std::cout << fmt::format("building {} meters ...\n", n_meters) << std::flush;
  std::unique_ptr<ScaledClock> clock;
  if (!o.epoch.empty()) {
    auto e = parse_iso8601(o.epoch);
    if (!e.ok()) return report_error("simulate run", e.error());
    clock = std::make_unique<ScaledClock>(start, o.speed, *e);
  } else {
    clock = std::make_unique<ScaledClock>(start, o.speed);
  }
  fleet::Fleet fleet(std::move(*topology), o.config, *clock, truth.get());
  if (!o.scenario.empty()) {
    std::ifstream in(o.scenario);
    if (!in) {
      return report_error("simulate run",
                          Error(Errc::kIo, fmt::format("cannot read scenario {}", o.scenario)));
    }
    std::stringstream ss;
    ss << in.rdbuf();
    auto st = fleet.load_scenario(ss.str());
    if (!st.ok()) return report_error("simulate run", st.error());
  }
  const Usage after_build = usage_now();
  simulator::Simulator sim(fleet, *clock, o.sim);
  auto st = sim.start();
  if (!st.ok()) return report_error("simulate run", st.error());
  const fleet::Topology& t = fleet.topology();
  std::cout << fmt::format(
                   "fleet: {} meters ({} feeders, {} DTs), built in {:.1f} s; simulated time "
                   "from {} at {}x\n",
                   n_meters, t.feeders.size(), t.dts.size(), after_build.cpu_s - before_build.cpu_s,
                   format_iso8601(start), o.speed)
            << fmt::format("  pushes to: {}\n", o.sim.head_end_host.empty()
                                                    ? std::string("(none: counted only)")
                                                    : o.head_end)
            << (sim.control_port() ? fmt::format("  control: vidyut simulate control --port {} "
                                                 "status\n",
                                                 sim.control_port())
                                   : std::string())
            << (sim.inbound_port() ? fmt::format("  inbound sessions on port {} (static-IP "
                                                 "meters)\n",
                                                 sim.inbound_port())
                                   : std::string())
            << std::flush;

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const UtcTime end = duration ? start + *duration : UtcTime::max();
  auto next_progress = std::chrono::steady_clock::now();
  const Usage run0 = usage_now();
  while (g_signal == 0) {
    const UtcTime now = clock->now();
    if (std::chrono::steady_clock::now() >= next_progress || now >= end) {
      next_progress += std::chrono::milliseconds(static_cast<std::int64_t>(o.progress_s * 1000));
      const auto fs = sim.with_fleet([](fleet::Fleet& f) { return f.stats(); });
      const auto ss = sim.stats();
      const Usage u = usage_now();
      std::cout << fmt::format(
                       "[{}] pushes {} alerts {} no-network {} no-supply {} | sent {} dropped {} "
                       "sessions {} | lag max {:.1f} s | cpu {:.1f} s rss {} MiB\n",
                       format_iso8601(now), fs.pushes_sent, fs.alerts_sent, fs.pushes_no_network,
                       fs.pushes_no_supply, ss.frames_sent + ss.frames_counted, ss.frames_dropped,
                       ss.sessions_active, static_cast<double>(fs.push_lag_max_ms) / 1000.0,
                       u.cpu_s, u.max_rss_kib / 1024)
                << std::flush;
    }
    if (now >= end) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Let the last frames go out.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const Usage run1 = usage_now();
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  sim.stop();
  const auto fs = fleet.stats();
  const auto ss = sim.stats();
  if (truth) {
    auto ts = truth->close();
    if (!ts.ok()) report_error("simulate run: truth", ts.error());
  }
  const double sim_s = std::chrono::duration<double>(clock->now() - start).count();
  const double run_cpu = run1.cpu_s - run0.cpu_s;
  nlohmann::json j;
  j["meters"] = n_meters;
  j["speed"] = o.speed;
  j["simulated_seconds"] = sim_s;
  j["wall_seconds"] = wall_s;
  j["build_cpu_seconds"] = after_build.cpu_s - before_build.cpu_s;
  j["run_cpu_seconds"] = run_cpu;
  j["cpu_share_of_one_core"] =
      wall_s > 0 ? run_cpu / (wall_s - (after_build.cpu_s - before_build.cpu_s)) : 0;
  j["cpu_us_per_meter_per_simulated_hour"] =
      sim_s > 0 ? run_cpu * 1e6 / static_cast<double>(n_meters) / (sim_s / 3600.0) : 0;
  j["peak_rss_kib"] = run1.max_rss_kib;
  j["peak_rss_bytes_per_meter"] =
      static_cast<double>(run1.max_rss_kib) * 1024.0 / static_cast<double>(n_meters);
  j["pushes_sent"] = fs.pushes_sent;
  j["pushes_lost"] = fs.pushes_lost;
  j["pushes_no_network"] = fs.pushes_no_network;
  j["pushes_no_supply"] = fs.pushes_no_supply;
  j["alerts_sent"] = fs.alerts_sent;
  j["failovers"] = fs.failovers;
  j["episodes"] = fs.episodes;
  j["limiter_trips"] = fs.limiter_trips;
  j["relay_changes"] = fs.relay_changes;
  j["push_lag_max_s"] = static_cast<double>(fs.push_lag_max_ms) / 1000.0;
  j["push_lag_mean_s"] = fs.push_lag_count ? static_cast<double>(fs.push_lag_total_ms) / 1000.0 /
                                                 static_cast<double>(fs.push_lag_count)
                                           : 0.0;
  j["frames_sent"] = ss.frames_sent;
  j["frames_counted"] = ss.frames_counted;
  j["frames_dropped"] = ss.frames_dropped;
  j["sessions_opened"] = ss.sessions_opened;
  j["sessions_failed"] = ss.sessions_failed;
  j["sessions_cut"] = ss.sessions_cut;
  j["requests_served"] = ss.requests_served;
  j["bytes_sent"] = ss.bytes_sent;
  std::cout << j.dump(2) << "\n";
  if (!o.report.empty()) {
    std::ofstream out(o.report);
    out << j.dump(2) << "\n";
    if (!out) {
      return report_error("simulate run",
                          Error(Errc::kIo, fmt::format("cannot write {}", o.report)));
    }
  }
  return kExitOk;
}

// ---- control ----------------------------------------------------------------------------------

struct ControlOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7059;
  std::vector<std::string> words;
};

int run_control(const ControlOptions& o) {
  std::string line;
  for (const auto& w : o.words) line += (line.empty() ? "" : " ") + w;
  auto r = simulator::send_control(o.host, o.port, line);
  if (!r.ok()) return report_error("simulate control", r.error());
  std::cout << *r << "\n";
  return r->rfind("ok", 0) == 0 ? kExitOk : kExitFailure;
}

// ---- sink -------------------------------------------------------------------------------------

struct SinkOptions {
  std::string bind = "0.0.0.0";
  std::uint16_t port = 4059;
  std::string fleet_file;
  double seconds = 0;
  double progress_s = 10;
  std::size_t max_connections = 15'000;
};

int run_sink(const SinkOptions& o) {
  std::optional<fleet::Topology> topology;
  if (!o.fleet_file.empty()) {
    auto t = fleet::read_fleet_file(o.fleet_file);
    if (!t.ok()) return report_error("simulate sink", t.error());
    topology = std::move(*t);
  }
  net::TcpServerOptions so;
  so.bind_address = o.bind;
  so.port = o.port;
  so.limits.max_connections = o.max_connections;
  simulator::PushSink sink(topology ? &*topology : nullptr, so);
  auto st = sink.start();
  if (!st.ok()) return report_error("simulate sink", st.error());
  std::cout << fmt::format("receiving pushes on {}:{}{}\n", o.bind, sink.port(),
                           topology ? ", deciphering with the fleet file's keys" : "")
            << std::flush;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const auto t0 = std::chrono::steady_clock::now();
  auto next = t0;
  while (true) {
    const auto now = std::chrono::steady_clock::now();
    const bool done =
        g_signal != 0 || (o.seconds > 0 && now - t0 >= std::chrono::duration<double>(o.seconds));
    if (now >= next || done) {
      next += std::chrono::milliseconds(static_cast<std::int64_t>(o.progress_s * 1000));
      const auto s = sink.stats();
      const Usage u = usage_now();
      std::cout << fmt::format(
                       "connections {} active {} frames {} notifications {} rejected {} bytes {} "
                       "| cpu {:.1f} s rss {} MiB\n",
                       s.connections, s.active, s.frames, s.notifications, s.rejected, s.bytes,
                       u.cpu_s, u.max_rss_kib / 1024)
                << std::flush;
    }
    if (done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  sink.stop();
  return kExitOk;
}

}  // namespace

void register_simulate(CLI::App& app, Runner& run) {
  auto* sim = app.add_subcommand("simulate", "The meter fleet simulator");
  sim->require_subcommand(1);

  auto ex = std::make_shared<ExportOptions>();
  auto* e = sim->add_subcommand("export", "Write a generated fleet's fleet file");
  add_spec_options(e, ex->spec);
  e->add_option("--out", ex->out, "Fleet file to write")->required();
  e->callback([ex, &run] { run = [ex] { return run_export(*ex); }; });

  auto ro = std::make_shared<RunOptions>();
  ro->sim.control_port = 7059;
  ro->sim.inbound_port = 0;
  auto* r = sim->add_subcommand("run", "Run a simulated fleet");
  add_spec_options(r, ro->spec);
  r->add_option("--fleet", ro->spec.fleet_file, "Fleet file to run (instead of generating one)");
  r->add_option("--export", ro->export_file, "Also write the fleet file here");
  r->add_option("--speed", ro->speed, "Simulated seconds per real second")->capture_default_str();
  r->add_option("--start", ro->start, "Simulated start, ISO 8601 (default: now)");
  r->add_option("--epoch", ro->epoch,
                "Wall-clock instant (ISO 8601) at which simulated time is --start: share one "
                "simulated time with `vidyut serve --epoch`");
  r->add_option("--duration", ro->duration,
                "Simulated time to run (90s, 15m, 6h, 2d; default: "
                "until Ctrl-C)");
  r->add_option("--head-end", ro->head_end, "host:port to push to (default: count only)");
  r->add_option("--control-port", ro->sim.control_port, "Control port on 127.0.0.1 (0: off)")
      ->capture_default_str();
  r->add_option("--inbound-port", ro->sim.inbound_port,
                "Port where static-IP meters accept sessions (0: off)")
      ->capture_default_str();
  r->add_option("--inbound-bind", ro->sim.inbound_bind, "Address of the inbound listener")
      ->capture_default_str();
  r->add_option("--truth", ro->truth_dir, "Directory for the ground truth (CSV files)");
  r->add_flag("--no-truth-intervals", ro->no_truth_intervals,
              "Leave out the per-meter, per-interval truth rows (large fleets)");
  r->add_option("--scenario", ro->scenario, "Control commands at simulated minutes ('+M cmd')");
  r->add_option("--capture-period", ro->config.capture_period_s, "Block-load period, s (900, 1800)")
      ->capture_default_str();
  r->add_option("--push-spread", ro->config.push_spread_s,
                "Pushes spread over this many seconds after each period")
      ->capture_default_str();
  r->add_option("--history-days", ro->config.history_days, "Days of history each meter holds")
      ->capture_default_str();
  r->add_option("--theft-rate", ro->theft_rate,
                "Per consumer per day, for each kind of tamper theft");
  r->add_option("--hook-rate", ro->hook_rate,
                "Hooks on a DT's LT network (no event), per DT per day [0.002]");
  r->add_option("--silent-bypass-rate", ro->silent_bypass_rate,
                "Silent partial bypasses (no event), per consumer per day [0.0005]");
  r->add_option("--outage-rate", ro->outage_rate, "Per DT and per feeder per day");
  r->add_option("--sim-outage-rate", ro->sim_outage_rate, "Per SIM path per day");
  r->add_option("--push-loss", ro->config.push_loss, "Share of pushes lost in the network")
      ->capture_default_str();
  r->add_option("--latency-ms", ro->latency_ms, "Network latency (simulated ms)")
      ->capture_default_str();
  r->add_option("--clock-drift-s", ro->config.clock_drift_max_s,
                "Meter clocks start off by up to this many seconds")
      ->capture_default_str();
  r->add_option("--clock-drift-ppm", ro->config.clock_drift_ppm_max,
                "Meter clocks run fast or slow by up to this many ppm")
      ->capture_default_str();
  r->add_flag("--no-limiter", ro->no_limiter, "Never trip the load limiter");
  r->add_option("--linger-ms", ro->linger_ms, "A meter's session closes after this silence (real)")
      ->capture_default_str();
  r->add_option("--max-sessions", ro->sim.max_sessions, "Concurrent outbound sessions at most")
      ->capture_default_str();
  r->add_option("--progress", ro->progress_s, "Real seconds between progress lines")
      ->capture_default_str();
  r->add_option("--report", ro->report, "Write the final figures as JSON here");
  r->callback([ro, &run] { run = [ro] { return run_simulation(*ro); }; });

  auto co = std::make_shared<ControlOptions>();
  auto* c = sim->add_subcommand("control", "Send a command to a running simulator");
  c->add_option("--host", co->host, "Simulator host")->capture_default_str();
  c->add_option("--port", co->port, "Simulator control port")->capture_default_str();
  c->add_option("command", co->words,
                "e.g. fail-feeder F0003 60, token 00012345 1234 5678 9012 3456 7890")
      ->required();
  c->callback([co, &run] { run = [co] { return run_control(*co); }; });

  auto so = std::make_shared<SinkOptions>();
  auto* s = sim->add_subcommand("sink", "Receive and count pushes (a stand-in head end)");
  s->add_option("--bind", so->bind, "Address to listen on")->capture_default_str();
  s->add_option("--port", so->port, "Port")->capture_default_str();
  s->add_option("--fleet", so->fleet_file, "Fleet file: decipher and check every push");
  s->add_option("--seconds", so->seconds, "Stop after this many real seconds (0: Ctrl-C)")
      ->capture_default_str();
  s->add_option("--progress", so->progress_s, "Real seconds between progress lines")
      ->capture_default_str();
  s->add_option("--max-connections", so->max_connections, "Concurrent connections at most")
      ->capture_default_str();
  s->callback([so, &run] { run = [so] { return run_sink(*so); }; });
}

}  // namespace vidyut::cli
