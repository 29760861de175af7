// Logging: a thin front on spdlog so modules name their logger and nothing else.
//
//   auto log = vidyut::logger("dlms.session");
//   log->info("associated with {} as client {}", title, sap);
//
// Codecs do not log; they return errors. Sessions, servers and tools log.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

namespace vidyut {

// A named logger writing to stderr; created on first use, shared afterwards. Thread-safe.
std::shared_ptr<spdlog::logger> logger(const std::string& name);

// Sets the level of every logger: "trace", "debug", "info", "warn", "error", "off".
void set_log_level(std::string_view level);

}  // namespace vidyut
