// `vidyut dlms serve-meter`: hosts one simulated IS 15959 single-phase meter until SIGINT/SIGTERM.
#include <csignal>
#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/meter_host.h"
#include "core/log.h"

namespace vidyut::cli {
namespace {

struct ServeOptions {
  MeterHostOptions host;
};

int run_serve(const ServeOptions& o) {
  // Associations and rejections are logged at info; show them unless --log-level asked for less
  // (warn is the global default, so treat it as "not chosen").
  if (spdlog::get_level() == spdlog::level::warn) set_log_level("info");
  // Block the signals before the I/O thread starts so that only sigwait() below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto host = MeterHost::create(o.host);
  if (!host.ok()) return report_error("serve-meter", host.error());
  auto st = (*host)->start();
  if (!st.ok()) return report_error("serve-meter", st.error());
  const auto& keys = (*host)->keys();
  std::cout << "simulated IS 15959 single-phase meter, serial " << o.host.serial << "\n"
            << "listening on " << o.host.bind_address << ":" << (*host)->port() << "\n"
            << "  meter system title: " << to_hex((*host)->server_title()) << "\n"
            << "  client 16: no authentication\n"
            << "  client 32: LLS, password " << (*host)->password() << "\n"
            << "  client 48: HLS-GMAC, authenticated encryption\n"
            << "    auth key  (AK): " << to_hex(keys.auth_key) << "\n"
            << "    block key (EK): " << to_hex(keys.block_key) << "\n"
            << "try: vidyut dlms read --port " << (*host)->port()
            << " --client 16 0.0.42.0.0.255:2 0.0.1.0.0.255:2\n"
            << "stop with Ctrl-C\n"
            << std::flush;
  int received = 0;
  sigwait(&signals, &received);
  std::cout << "signal " << received << ": stopping\n";
  (*host)->stop();
  return kExitOk;
}

}  // namespace

void register_dlms_serve_meter(CLI::App& dlms, Runner& run) {
  auto o = std::make_shared<ServeOptions>();
  o->host.bind_address = "0.0.0.0";
  o->host.port = 4059;
  auto* cmd = dlms.add_subcommand("serve-meter", "Host a simulated IS 15959 meter over TCP");
  cmd->add_option("--bind", o->host.bind_address, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", o->host.port, "TCP port (0: any free port)")->capture_default_str();
  cmd->add_option("--serial", o->host.serial, "Serial number (digits)")->capture_default_str();
  cmd->add_option("--seed", o->host.seed, "Seed of the simulated load")->capture_default_str();
  cmd->add_option("--password", o->host.password,
                  "LLS password of client 32 (default ABCDEFGHIJKLMNOP)");
  cmd->add_option("--system-title", o->host.system_title,
                  "Meter system title, 16 hex digits (default: VDY + serial)");
  cmd->add_option("--auth-key", o->host.auth_key, "AK of client 48, 32 hex digits");
  cmd->add_option("--block-key", o->host.block_key, "EK of client 48, 32 hex digits");
  cmd->add_option("--clock-offset", o->host.clock_offset_s,
                  "Meter clock minus true time, seconds (e.g. -90 for a slow clock)");
  cmd->callback([o, &run] { run = [o] { return run_serve(*o); }; });
}

}  // namespace vidyut::cli
