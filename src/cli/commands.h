// Registration of the `vidyut` subcommands; each lives in its own .cc file.
//
// A register function adds its subcommand to `parent`; when the subcommand is chosen, its parse
// callback stores the work to do in `run`, which main() calls after parsing.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/connection.h"

namespace vidyut::cli {

void register_dlms_read(CLI::App& dlms, Runner& run);
void register_dlms_action(CLI::App& dlms, Runner& run);
void register_dlms_decode(CLI::App& dlms, Runner& run);
void register_dlms_serve_meter(CLI::App& dlms, Runner& run);
void register_selfcheck(CLI::App& app, Runner& run);
void register_simulate(CLI::App& app, Runner& run);
void register_registry(CLI::App& app, Runner& run);

}  // namespace vidyut::cli
