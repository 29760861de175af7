// vidyut: one binary, one subcommand per job. See docs/cli.md.
#include <sys/stat.h>
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

#include "cli/commands.h"
#include "core/log.h"

int main(int argc, char** argv) {
  // Everything vidyut creates - databases and their WAL files, keys, reports - is its owner's
  // alone: readings, ledgers and secrets are nobody else's business on a shared machine.
  ::umask(077);
  CLI::App app{"Vidyut: smart prepaid electricity metering"};
  app.require_subcommand(1);
  std::string level = "warn";
  app.add_option("--log-level", level, "trace|debug|info|warn|error|off")->capture_default_str();
  vidyut::cli::Runner run;
  auto* version = app.add_subcommand("version", "Print the version");
  version->callback([] { std::cout << "vidyut 0.1.0\n"; });
  auto* dlms = app.add_subcommand("dlms", "Talk DLMS/COSEM (IS 15959) to meters");
  dlms->require_subcommand(1);
  vidyut::cli::register_dlms_read(*dlms, run);
  vidyut::cli::register_dlms_action(*dlms, run);
  vidyut::cli::register_dlms_decode(*dlms, run);
  vidyut::cli::register_dlms_serve_meter(*dlms, run);
  vidyut::cli::register_selfcheck(app, run);
  vidyut::cli::register_simulate(app, run);
  vidyut::cli::register_registry(app, run);
  vidyut::cli::register_serve(app, run);
  vidyut::cli::register_demo(app, run);
  vidyut::cli::register_tariff(app, run);
  vidyut::cli::register_billing(app, run);
  vidyut::cli::register_mdm(app, run);
  vidyut::cli::register_operators(app, run);
  vidyut::cli::register_notify(app, run);
  vidyut::cli::register_payments(app, run);
  app.parse_complete_callback([&] { vidyut::set_log_level(level); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : vidyut::cli::kExitUsage;
  }
  // Nothing on the data path throws; should a library still do, the stack unwinds (sessions
  // release their associations, stores close) and the error is reported instead of an abort.
  try {
    return run ? run() : vidyut::cli::kExitOk;
  } catch (const std::exception& e) {
    std::cerr << "vidyut: internal error: " << e.what() << "\n";
    return vidyut::cli::kExitFailure;
  } catch (...) {
    // Caught so that the stack unwinds here too (an uncaught exception need not unwind).
    std::cerr << "vidyut: internal error: unknown exception\n";
    return vidyut::cli::kExitFailure;
  }
}
