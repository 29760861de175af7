// `vidyut selfcheck`: serves a simulated meter on an ephemeral loopback port and reads it with our
// client over TCP at every IS 15959 association, then checks that bad credentials and a replayed
// frame are rejected. Prints what it read and "selfcheck: N passed, M failed".
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/meter_host.h"
#include "cli/reading.h"
#include "dlms/apdu/apdu.h"
#include "dlms/cosem/is15959.h"

namespace vidyut::cli {
namespace {

namespace c = dlms::is15959;

// Records every APDU sent through it, so a captured request can be replayed.
class RecordingTransport final : public dlms::ApduTransport {
 public:
  explicit RecordingTransport(dlms::ApduTransport& inner) : inner_(inner) {}
  Status send(ByteView apdu) override {
    sent_.emplace_back(apdu.begin(), apdu.end());
    return inner_.send(apdu);
  }
  Result<Bytes> receive(Millis timeout) override { return inner_.receive(timeout); }
  void close() override { inner_.close(); }
  const std::vector<Bytes>& sent() const { return sent_; }

 private:
  dlms::ApduTransport& inner_;
  std::vector<Bytes> sent_;
};

struct Connection {
  std::unique_ptr<net::TcpApduTransport> tcp;
  std::unique_ptr<RecordingTransport> recorder;
  std::unique_ptr<dlms::Client> client;
};

class SelfCheck {
 public:
  explicit SelfCheck(bool verbose) : verbose_(verbose) {}

  int run();

 private:
  void check(bool ok, const std::string& what, const std::string& detail = {}) {
    (ok ? passed_ : failed_)++;
    std::cout << (ok ? "[ ok ] " : "[FAIL] ") << what;
    if (!detail.empty()) std::cout << ": " << detail;
    std::cout << "\n";
  }

  dlms::ClientSettings settings_for(std::uint16_t sap) const;
  Result<Connection> connect(const dlms::ClientSettings& settings);
  // Reads and prints; a check passes when the meter returned a value.
  std::optional<Reading> read(Connection& conn, const std::string& what, const dlms::Obis& obis,
                              std::int8_t attribute,
                              const std::optional<dlms::SelectiveAccess>& access = {});
  void association(std::uint16_t sap);
  void relay();
  void wrong_password();
  void wrong_key();
  void replay();

  bool verbose_;
  std::unique_ptr<MeterHost> host_;
  int passed_ = 0;
  int failed_ = 0;
  // Client 48's next invocation counter: the meter refuses any counter it has seen, across
  // connections, so every association continues where the previous one stopped.
  std::uint32_t next_ic_ = 1;
};

dlms::ClientSettings SelfCheck::settings_for(std::uint16_t sap) const {
  dlms::ClientSettings s;
  s.client_sap = sap;
  s.server_sap = dlms::kManagementLogicalDeviceSap;
  s.timeout = Millis(5000);
  if (sap == dlms::kMeterReaderSap) {
    s.auth = dlms::Authentication::kLow;
    s.password = host_->password();
  } else if (sap == dlms::kUtilitySettingsSap) {
    s.auth = dlms::Authentication::kHlsGmac;
    s.security = dlms::security::SecurityPolicy::kAuthenticatedEncrypted;
    s.client_title = *dlms::security::parse_system_title(kDefaultClientTitle);
    s.keys.auth_key = host_->keys().auth_key;
    s.keys.block_key = host_->keys().block_key;
    s.invocation_counter = next_ic_;
  }
  return s;
}

Result<Connection> SelfCheck::connect(const dlms::ClientSettings& settings) {
  net::TcpEndpoint ep;
  ep.host = "127.0.0.1";
  ep.port = host_->port();
  ep.client_sap = settings.client_sap;
  ep.server_sap = settings.server_sap;
  ep.connect_timeout = Millis(5000);
  VIDYUT_TRY(tcp, net::TcpApduTransport::connect(ep));
  Connection conn;
  conn.tcp = std::move(*tcp);
  conn.recorder = std::make_unique<RecordingTransport>(*conn.tcp);
  conn.client = std::make_unique<dlms::Client>(*conn.recorder, settings);
  auto st = conn.client->associate();
  if (settings.client_sap == dlms::kUtilitySettingsSap && st.ok()) {
    next_ic_ = conn.client->next_invocation_counter();
  }
  VIDYUT_CHECK(st);
  return conn;
}

std::optional<Reading> SelfCheck::read(Connection& conn, const std::string& what,
                                       const dlms::Obis& obis, std::int8_t attribute,
                                       const std::optional<dlms::SelectiveAccess>& access) {
  const auto* info = c::find_object(obis);
  Target t{obis, attribute, info ? info->class_id : std::uint16_t{1}};
  auto r = read_and_format(*conn.client, t, access);
  if (!r.ok()) {
    check(false, what, r.error().describe());
    return std::nullopt;
  }
  if (!r->success) {
    check(false, what, r->text);
    return std::nullopt;
  }
  std::string text = r->text;
  if (!verbose_ && r->rows > 8) {
    // Keep the header and a few rows of long tables.
    std::size_t pos = 0;
    for (int line = 0; line < 7 && pos != std::string::npos; ++line) pos = text.find('\n', pos + 1);
    if (pos != std::string::npos) {
      text = text.substr(0, pos + 1) + "  ... (" + std::to_string(r->rows - 5) +
             " more rows; --verbose shows all)\n";
    }
  }
  check(true, what);
  std::cout << text;
  return r.value();
}

void SelfCheck::association(std::uint16_t sap) {
  const std::string name = sap == 16   ? "client 16 (public, no authentication)"
                           : sap == 32 ? "client 32 (meter reader, LLS)"
                                       : "client 48 (utility, HLS-GMAC, authenticated encryption)";
  std::cout << "\n== " << name << "\n";
  auto conn = connect(settings_for(sap));
  check(conn.ok(), "associate as " + name, conn.ok() ? "" : conn.error().describe());
  if (!conn.ok()) return;
  read(*conn, "logical device name", c::kLogicalDeviceName, 2);
  read(*conn, "clock", c::kClock, 2);
  if (sap == dlms::kPublicClientSap) {
    read(*conn, "invocation counter of client 48", c::kInvocationCounter, 2);
  } else {
    read(*conn, "name plate", c::kNamePlateProfile, 2);
    read(*conn, "instantaneous profile", c::kInstantaneousProfile, 2);
    // Two days of 15-minute block load: ~192 rows, several kilobytes, so block transfer.
    const UtcTime now = host_->meter().meter().meter_now();
    const auto access =
        dlms::make_range_access(dlms::CosemDateTime::from_utc(now - std::chrono::hours(48)),
                                dlms::CosemDateTime::from_utc(now));
    const std::size_t before = conn->recorder->sent().size();
    auto r = read(*conn, "block load profile, last 48 hours", c::kBlockLoadProfile, 2, access);
    const std::size_t requests = conn->recorder->sent().size() - before;
    if (r) {
      // The scaler profile and capture objects take 3 requests; the buffer at least 2 more.
      check(requests >= 5 && r->rows >= 150, "block load needed block transfer",
            std::to_string(r->rows) + " rows in " + std::to_string(requests) + " requests");
    }
  }
  auto st = conn->client->release();
  if (sap == dlms::kUtilitySettingsSap) next_ic_ = conn->client->next_invocation_counter();
  check(st.ok(), "release association", st.ok() ? "" : st.error().describe());
}

void SelfCheck::relay() {
  std::cout << "\n== remote disconnect / reconnect at client 48\n";
  auto conn = connect(settings_for(dlms::kUtilitySettingsSap));
  check(conn.ok(), "associate as client 48", conn.ok() ? "" : conn.error().describe());
  if (!conn.ok()) return;
  const dlms::Obis dc = c::kDisconnectControl;
  for (std::int8_t method : {std::int8_t{1}, std::int8_t{2}}) {
    const bool disconnect = method == 1;
    const std::string what = disconnect ? "remote disconnect" : "remote reconnect";
    auto reply =
        conn->client->action(dlms::MethodDescriptor{70, dc, method}, dlms::Data::integer(0));
    if (!reply.ok()) {
      check(false, what, reply.error().describe());
      return;
    }
    check(reply->result == dlms::ActionResult::kSuccess, what, dlms::to_string(reply->result));
    auto output = read(*conn, "output state after " + what, dc, 2);
    auto state = read(*conn, "control state after " + what, dc, 3);
    if (output && state) {
      const bool closed = output->value->as_bool().value_or(disconnect);
      const auto control = state->value->as_uint().value_or(99);
      check(closed == !disconnect && control == (disconnect ? 0u : 1u),
            "relay " + std::string(disconnect ? "opened" : "closed"));
    }
  }
  (void)conn->client->release();
  next_ic_ = conn->client->next_invocation_counter();
}

void SelfCheck::wrong_password() {
  std::cout << "\n== rejections\n";
  auto s = settings_for(dlms::kMeterReaderSap);
  s.password = "WRONGPASSWORD123";
  auto conn = connect(s);
  check(!conn.ok() && conn.error().code == Errc::kAuthFailed, "wrong LLS password rejected",
        conn.ok() ? "association accepted!" : conn.error().describe());
}

void SelfCheck::wrong_key() {
  auto s = settings_for(dlms::kUtilitySettingsSap);
  s.keys.auth_key[0] ^= 0x01;
  auto conn = connect(s);
  check(!conn.ok() && conn.error().code == Errc::kAuthFailed, "wrong authentication key rejected",
        conn.ok() ? "association accepted!" : conn.error().describe());
  auto s2 = settings_for(dlms::kUtilitySettingsSap);
  s2.keys.block_key[15] ^= 0x80;
  auto conn2 = connect(s2);
  check(!conn2.ok() &&
            (conn2.error().code == Errc::kAuthFailed || conn2.error().code == Errc::kRefused),
        "wrong encryption key rejected",
        conn2.ok() ? "association accepted!" : conn2.error().describe());
}

void SelfCheck::replay() {
  auto conn = connect(settings_for(dlms::kUtilitySettingsSap));
  check(conn.ok(), "associate as client 48 for the replay test",
        conn.ok() ? "" : conn.error().describe());
  if (!conn.ok()) return;
  auto first = conn->client->get(dlms::AttributeDescriptor{8, c::kClock, 2});
  if (!first.ok()) {
    check(false, "read clock before replay", first.error().describe());
    return;
  }
  // Send the ciphered GET just made once more, byte for byte: same invocation counter.
  next_ic_ = conn->client->next_invocation_counter();
  const Bytes captured = conn->recorder->sent().back();
  auto sent = conn->tcp->send(captured);
  auto answer = sent.ok() ? conn->tcp->receive(Millis(5000)) : Result<Bytes>(sent.error());
  bool rejected = false;
  std::string detail;
  if (answer.ok()) {
    auto decoded = dlms::decode_apdu(*answer);
    rejected = decoded.ok() && std::holds_alternative<dlms::ExceptionResponse>(*decoded);
    detail = decoded.ok() ? dlms::apdu_name(*decoded) : decoded.error().describe();
    if (rejected) {
      const auto& x = std::get<dlms::ExceptionResponse>(*decoded);
      detail += ": " + dlms::to_string(x.service_error);
    }
  } else {
    // Closing the connection is also a rejection.
    rejected = answer.error().code == Errc::kClosed;
    detail = answer.error().describe();
  }
  check(rejected, "replayed frame rejected by the meter", detail);
}

int SelfCheck::run() {
  // The meter's audit lines (stderr) belong next to the step that caused them.
  std::cout << std::unitbuf;
  MeterHostOptions options;
  options.bind_address = "127.0.0.1";
  options.port = 0;
  auto host = MeterHost::create(options);
  if (!host.ok()) return report_error("selfcheck", host.error());
  host_ = std::move(*host);
  auto st = host_->start();
  if (!st.ok()) return report_error("selfcheck", st.error());
  std::cout << "simulated meter on 127.0.0.1:" << host_->port() << ", system title "
            << to_hex(host_->server_title()) << "\n";
  association(dlms::kPublicClientSap);
  association(dlms::kMeterReaderSap);
  association(dlms::kUtilitySettingsSap);
  relay();
  wrong_password();
  wrong_key();
  replay();
  host_->stop();
  std::cout << "\nselfcheck: " << passed_ << " passed, " << failed_ << " failed\n";
  return failed_ == 0 ? kExitOk : kExitFailure;
}

}  // namespace

void register_selfcheck(CLI::App& app, Runner& run) {
  auto verbose = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "selfcheck", "Serve a simulated meter on loopback and read it at every association");
  cmd->add_flag("--verbose", *verbose, "Print whole tables");
  cmd->callback([verbose, &run] {
    run = [verbose] {
      SelfCheck check(*verbose);
      return check.run();
    };
  });
}

}  // namespace vidyut::cli
