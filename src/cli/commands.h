// Registration of the `vidyut` subcommands; each lives in its own .cc file.
//
// A register function adds its subcommand to `parent`; when the subcommand is chosen, its parse
// callback stores the work to do in `run`, which main() calls after parsing.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <utility>

#include "cli/connection.h"
#include "core/clock.h"
#include "core/result.h"

namespace vidyut::cli {

void register_dlms_read(CLI::App& dlms, Runner& run);
void register_dlms_action(CLI::App& dlms, Runner& run);
void register_dlms_decode(CLI::App& dlms, Runner& run);
void register_dlms_serve_meter(CLI::App& dlms, Runner& run);
void register_selfcheck(CLI::App& app, Runner& run);
void register_simulate(CLI::App& app, Runner& run);
void register_registry(CLI::App& app, Runner& run);
void register_serve(CLI::App& app, Runner& run);
void register_demo(CLI::App& app, Runner& run);
void register_tariff(CLI::App& app, Runner& run);
void register_billing(CLI::App& app, Runner& run);
void register_mdm(CLI::App& app, Runner& run);
void register_operators(CLI::App& app, Runner& run);
void register_notify(CLI::App& app, Runner& run);
void register_payments(CLI::App& app, Runner& run);
// `mdm atc` (mdm_atc.cc), added by register_mdm.
void register_mdm_atc(CLI::App& mdm, Runner& run);

// "90s", "15m", "6h", "2d" (simulated time); a bare number is seconds.
Result<Millis> parse_duration(const std::string& s);
// "host:port".
Result<std::pair<std::string, std::uint16_t>> parse_host_port(const std::string& s);

}  // namespace vidyut::cli
