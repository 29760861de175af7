// vidyut: one binary, one subcommand per job. See docs/cli.md.
#include <CLI/CLI.hpp>

#include <iostream>

#include "core/log.h"

int main(int argc, char** argv) {
  CLI::App app{"Vidyut: smart prepaid electricity metering"};
  app.require_subcommand(1);
  std::string level = "warn";
  app.add_option("--log-level", level, "trace|debug|info|warn|error|off")->capture_default_str();
  auto* version = app.add_subcommand("version", "Print the version");
  version->callback([] { std::cout << "vidyut 0.1.0\n"; });
  app.parse_complete_callback([&] { vidyut::set_log_level(level); });
  CLI11_PARSE(app, argc, argv);
  return 0;
}
