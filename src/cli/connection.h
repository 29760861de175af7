// Options shared by the `vidyut dlms` subcommands that talk to a meter, and the code that turns
// them into an associated dlms::Client over TCP.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "dlms/session/client.h"
#include "net/dlms_tcp.h"

namespace vidyut::cli {

// A subcommand sets this in its callback; main() runs it after parsing and returns its exit code.
using Runner = std::function<int()>;

// Exit codes (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // the meter answered, but not what was asked
inline constexpr int kExitUsage = 2;        // bad arguments
inline constexpr int kExitAuth = 3;         // wrong password / key, association refused
inline constexpr int kExitUnreachable = 4;  // refused, timeout, connection lost

// Environment variables that can carry secrets instead of the command line.
inline constexpr const char* kEnvAuthKey = "VIDYUT_AUTH_KEY";
inline constexpr const char* kEnvBlockKey = "VIDYUT_BLOCK_KEY";
inline constexpr const char* kEnvPassword = "VIDYUT_PASSWORD";

// The client system title used when none is given: "VDY" + 00000001 (Vidyut head-end).
inline constexpr const char* kDefaultClientTitle = "5644590000000001";

struct ConnectionOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = net::kDlmsTcpPort;
  std::uint16_t client_sap = dlms::kPublicClientSap;
  std::uint16_t server_sap = dlms::kManagementLogicalDeviceSap;
  std::string auth;      // none|low|hls-gmac; empty = derived from the client SAP
  std::string password;  // or $VIDYUT_PASSWORD
  std::string security;  // none|auth|enc|auth-enc; empty = auth-enc for HLS, else none
  std::string system_title = kDefaultClientTitle;
  std::string auth_key;                  // or $VIDYUT_AUTH_KEY
  std::string block_key;                 // or $VIDYUT_BLOCK_KEY
  std::int64_t invocation_counter = -1;  // -1: let the client choose
  std::int64_t timeout_ms = 5000;
  bool json = false;
  // Meter quirks to accept (docs/meter-quirks.md): named, or the manufacturer's from a file.
  std::vector<std::string> quirks;
  std::string quirks_file;
  std::string manufacturer;
};

void add_connection_options(CLI::App& cmd, ConnectionOptions& o);

// Builds client settings, taking secrets from the environment where the options left them empty.
Result<dlms::ClientSettings> make_client_settings(const ConnectionOptions& o);

// An associated client and the transport under it. Destroying it releases the association
// (RLRQ, best effort, within the client's timeout) and closes the transport. Every way out of a
// command after associating - an error returned, an exception unwinding the stack - goes
// through the destructor, so the CLI never leaves a meter holding an association it abandoned
// (a meter that serves one client at a time would answer nobody else).
struct Session {
  std::unique_ptr<dlms::ApduTransport> transport;
  std::unique_ptr<dlms::Client> client;
  ~Session();  // also notes on stderr the answers accepted only under a quirk

  // Associates over `transport`. When the attempt fails after the meter may have accepted the
  // AARQ (HLS refused at pass 3 or 4, an unexpected answer), the association is released before
  // the error is returned; not when the link is gone or the meter stayed silent.
  static Result<std::unique_ptr<Session>> associate(std::unique_ptr<dlms::ApduTransport> transport,
                                                    const dlms::ClientSettings& settings);
};

// Connects and associates.
Result<std::unique_ptr<Session>> open_session(const ConnectionOptions& o);

// Prints "vidyut: <what>: <error>" and a hint, and returns the matching exit code.
int report_error(const std::string& what, const Error& e);
int exit_code_for(Errc code);

}  // namespace vidyut::cli
