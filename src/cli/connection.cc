#include "cli/connection.h"

#include <cstdlib>
#include <iostream>

#include "cli/quirks_config.h"
#include "core/log.h"
#include "dlms/cosem/is15959.h"
#include "dlms/security/suite0.h"

namespace vidyut::cli {
namespace {

std::string env_or(const std::string& given, const char* name) {
  if (!given.empty()) return given;
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

}  // namespace

void add_connection_options(CLI::App& cmd, ConnectionOptions& o) {
  cmd.add_option("--host", o.host, "Meter address or name")->capture_default_str();
  cmd.add_option("--port", o.port, "TCP port (IEC 62056-4-7 wrapper)")->capture_default_str();
  cmd.add_option("--client", o.client_sap, "Client SAP: 16 public, 32 reader, 48 utility")
      ->capture_default_str();
  cmd.add_option("--server", o.server_sap, "Server SAP (1 = management logical device)")
      ->capture_default_str();
  cmd.add_option("--auth", o.auth, "none|low|hls-gmac (default: from the client SAP)")
      ->check(CLI::IsMember({"none", "low", "lls", "hls-gmac", "hls"}));
  cmd.add_option("--password", o.password, "LLS password (or $VIDYUT_PASSWORD)");
  cmd.add_option("--security", o.security, "none|auth|enc|auth-enc (default: auth-enc for HLS)")
      ->check(CLI::IsMember({"none", "auth", "enc", "auth-enc"}));
  cmd.add_option("--system-title", o.system_title, "Client system title, 16 hex digits")
      ->capture_default_str();
  cmd.add_option("--auth-key", o.auth_key, "AK, 32 hex digits (or $VIDYUT_AUTH_KEY)");
  cmd.add_option("--block-key", o.block_key, "EK, 32 hex digits (or $VIDYUT_BLOCK_KEY)");
  cmd.add_option("--invocation-counter", o.invocation_counter,
                 "First invocation counter to send (must exceed the meter's last seen)");
  cmd.add_option("--timeout", o.timeout_ms, "Per-answer timeout in milliseconds")
      ->capture_default_str();
  cmd.add_flag("--json", o.json, "Print JSON instead of text");
  cmd.add_option("--quirk", o.quirks,
                 "Accept this known meter deviation (repeatable): " + dlms::quirk_names());
  cmd.add_option("--quirks", o.quirks_file,
                 "Meter quirks file: accept the deviations listed for --manufacturer");
  cmd.add_option("--manufacturer", o.manufacturer, "Manufacturer code for --quirks, e.g. XYZ");
}

Result<dlms::ClientSettings> make_client_settings(const ConnectionOptions& o) {
  dlms::ClientSettings s;
  s.client_sap = o.client_sap;
  s.server_sap = o.server_sap;
  if (o.auth.empty()) {
    s.auth = o.client_sap == dlms::kPublicClientSap  ? dlms::Authentication::kNone
             : o.client_sap == dlms::kMeterReaderSap ? dlms::Authentication::kLow
                                                     : dlms::Authentication::kHlsGmac;
  } else if (!dlms::parse_authentication(o.auth, s.auth)) {
    return Error(Errc::kInvalidArgument, "--auth must be none, low or hls-gmac");
  }
  s.password = env_or(o.password, kEnvPassword);
  if (s.auth == dlms::Authentication::kLow && s.password.empty()) {
    return Error(Errc::kInvalidArgument, "LLS needs --password or $VIDYUT_PASSWORD");
  }
  std::string security = o.security;
  if (security.empty()) {
    security = s.auth == dlms::Authentication::kHlsGmac ? "auth-enc" : "none";
  }
  VIDYUT_TRY(policy, dlms::security::parse_security_policy(security));
  s.security = *policy;
  const bool need_keys = s.auth == dlms::Authentication::kHlsGmac ||
                         s.security != dlms::security::SecurityPolicy::kNone;
  if (need_keys) {
    VIDYUT_TRY(title, dlms::security::parse_system_title(o.system_title));
    s.client_title = *title;
    const std::string ak = env_or(o.auth_key, kEnvAuthKey);
    const std::string ek = env_or(o.block_key, kEnvBlockKey);
    if (ak.empty() || ek.empty()) {
      return Error(Errc::kInvalidArgument,
                   "HLS and ciphering need --auth-key and --block-key (or $VIDYUT_AUTH_KEY and "
                   "$VIDYUT_BLOCK_KEY)");
    }
    VIDYUT_TRY(akey, dlms::security::parse_key(ak));
    VIDYUT_TRY(ekey, dlms::security::parse_key(ek));
    s.keys.auth_key = *akey;
    s.keys.block_key = *ekey;
  }
  if (o.invocation_counter >= 0) {
    if (o.invocation_counter > 0xFFFFFFFFll) {
      return Error(Errc::kInvalidArgument, "--invocation-counter must fit 32 bits");
    }
    s.invocation_counter = static_cast<std::uint32_t>(o.invocation_counter);
  }
  if (o.timeout_ms <= 0 || o.timeout_ms > 600'000) {
    return Error(Errc::kInvalidArgument, "--timeout must be 1..600000 ms");
  }
  s.timeout = Millis(o.timeout_ms);
  for (const auto& name : o.quirks) {
    const auto q = dlms::parse_quirk(name);
    if (!q) {
      return Error(Errc::kInvalidArgument,
                   "--quirk: unknown quirk '" + name + "' (known: " + dlms::quirk_names() + ")");
    }
    s.quirks.add(*q);
  }
  if (!o.quirks_file.empty()) {
    if (o.manufacturer.empty()) {
      return Error(Errc::kInvalidArgument, "--quirks needs --manufacturer");
    }
    VIDYUT_TRY(by_maker, load_quirks_config(o.quirks_file));
    if (auto it = by_maker->find(o.manufacturer); it != by_maker->end()) {
      s.quirks.add(it->second);
    }
  }
  return s;
}

Session::~Session() {
  if (client && client->deviations().total() > 0) {
    for (std::size_t q = 0; q < dlms::kQuirkCount; ++q) {
      const auto quirk = static_cast<dlms::Quirk>(q);
      if (const auto n = client->deviations().of(quirk)) {
        std::cerr << "vidyut: " << n << " answer(s) accepted only under quirk "
                  << dlms::to_string(quirk) << "\n";
      }
    }
  }
  if (client) (void)client->release();
  if (transport) transport->close();
}

Result<std::unique_ptr<Session>> Session::associate(std::unique_ptr<dlms::ApduTransport> transport,
                                                    const dlms::ClientSettings& settings) {
  auto session = std::make_unique<Session>();
  session->transport = std::move(transport);
  session->client = std::make_unique<dlms::Client>(*session->transport, settings);
  auto st = session->client->associate();
  if (!st.ok()) {
    // The link is gone or the meter never answered: nothing to release, and waiting another
    // timeout for an RLRE would only slow the error down. Otherwise ~Session releases.
    const Errc c = st.error().code;
    if (c == Errc::kClosed || c == Errc::kIo || c == Errc::kTimeout) session->client.reset();
    return st.error();
  }
  return session;
}

namespace {

Result<std::unique_ptr<Session>> connect_and_associate(const ConnectionOptions& o,
                                                       const dlms::ClientSettings& settings) {
  net::TcpEndpoint ep;
  ep.host = o.host;
  ep.port = o.port;
  ep.client_sap = settings.client_sap;
  ep.server_sap = settings.server_sap;
  ep.connect_timeout = Millis(o.timeout_ms);
  VIDYUT_TRY(transport, net::TcpApduTransport::connect(ep));
  return Session::associate(std::move(*transport), settings);
}

// The meter's last accepted invocation counter of the utility client, read as field tools do:
// a public association (no authentication, no ciphering) reads 0.0.43.1.3.255.
Result<std::uint32_t> read_meter_counter(const ConnectionOptions& o) {
  dlms::ClientSettings pub;
  pub.client_sap = dlms::kPublicClientSap;
  pub.server_sap = o.server_sap;
  pub.auth = dlms::Authentication::kNone;
  pub.security = dlms::security::SecurityPolicy::kNone;
  pub.timeout = Millis(o.timeout_ms);
  VIDYUT_TRY(session, connect_and_associate(o, pub));
  VIDYUT_TRY(r, (*session)->client->get(
                    dlms::AttributeDescriptor{1, dlms::is15959::kInvocationCounter, 2}));
  const auto* value = std::get_if<dlms::Data>(&*r);
  if (value == nullptr || !value->as_uint() || *value->as_uint() > 0xFFFFFFFFull) {
    return Error(Errc::kNotFound, "the meter does not report its invocation counter");
  }
  return static_cast<std::uint32_t>(*value->as_uint());
}

}  // namespace

Result<std::unique_ptr<Session>> open_session(const ConnectionOptions& o) {
  VIDYUT_TRY(settings, make_client_settings(o));
  // A ciphered association needs an invocation counter above the last one the meter accepted
  // (real meters remember it): unless given, read it from the meter and go on from there.
  const bool ciphered = settings->auth == dlms::Authentication::kHlsGmac ||
                        settings->security != dlms::security::SecurityPolicy::kNone;
  if (ciphered && !settings->invocation_counter) {
    auto last = read_meter_counter(o);
    if (last.ok() && *last < 0xFFFFFFFFu) {
      settings->invocation_counter = *last + 1;
      logger("cli")->info("invocation counter: the meter last accepted {}, starting at {}", *last,
                          *last + 1);
    } else if (!last.ok()) {
      std::cerr << "vidyut: could not read the meter's invocation counter ("
                << last.error().describe()
                << "); starting at 1 (use --invocation-counter if the meter refuses it)\n";
    }
  }
  return connect_and_associate(o, *settings);
}

int exit_code_for(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument:
      return kExitUsage;
    case Errc::kAuthFailed:
    case Errc::kRefused:
    case Errc::kReplay:
      return kExitAuth;
    case Errc::kTimeout:
    case Errc::kIo:
    case Errc::kClosed:
      return kExitUnreachable;
    default:
      return kExitFailure;
  }
}

int report_error(const std::string& what, const Error& e) {
  std::cerr << "vidyut: " << what << ": " << e.describe();
  switch (e.code) {
    case Errc::kAuthFailed:
      std::cerr << " (check the password or keys for this client SAP)";
      break;
    case Errc::kReplay:
      std::cerr << " (raise --invocation-counter above the meter's 0.0.43.1.x.255)";
      break;
    case Errc::kTimeout:
      std::cerr << " (meter silent: check address, port and SAPs)";
      break;
    default:
      break;
  }
  std::cerr << "\n";
  return exit_code_for(e.code);
}

}  // namespace vidyut::cli
