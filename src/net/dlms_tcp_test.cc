// End to end over real loopback TCP: our dlms::Client reads our SinglePhaseMeter served by
// DlmsTcpServer at each IS 15959 association, and bad credentials / replays are refused.
#include "net/dlms_tcp.h"

#include <gtest/gtest.h>

#include <chrono>

#include "dlms/apdu/apdu.h"
#include "dlms/cosem/is15959.h"
#include "dlms/session/client.h"
#include "meter/single_phase.h"

namespace vidyut::net {
namespace {

namespace c = dlms::is15959;
using dlms::AttributeDescriptor;
using dlms::Data;

constexpr Millis kTimeout{3000};
constexpr const char* kClientTitle = "5644590000000001";

class ServedMeter : public ::testing::Test {
 protected:
  void SetUp() override {
    meter_ = std::make_unique<meter::SinglePhaseMeter>(meter::make_identity("VDY", "12345", 7),
                                                       meter::MeterConfig{}, RealClock::instance());
    const auto secrets = meter::default_secrets();
    keys_.auth_key = secrets.authentication_key;
    keys_.block_key = secrets.encryption_key;
    password_ = secrets.lls_password;
    settings_ = dlms::ServerSettings::is15959_defaults(meter_->meter().identity().system_title,
                                                       password_, keys_);
    TcpServerOptions o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    server_ = std::make_unique<DlmsTcpServer>(o, dlms_handler_factory([this](const PeerInfo&) {
                                                return std::make_unique<dlms::ServerConnection>(
                                                    settings_, meter_->device(), counters_);
                                              }));
    ASSERT_TRUE(server_->start().ok());
  }
  void TearDown() override { server_->stop(); }

  dlms::ClientSettings settings_for(std::uint16_t sap) {
    dlms::ClientSettings s;
    s.client_sap = sap;
    s.timeout = kTimeout;
    if (sap == dlms::kMeterReaderSap) {
      s.auth = dlms::Authentication::kLow;
      s.password = password_;
    } else if (sap == dlms::kUtilitySettingsSap) {
      s.auth = dlms::Authentication::kHlsGmac;
      s.security = dlms::security::SecurityPolicy::kAuthenticatedEncrypted;
      s.client_title = *dlms::security::parse_system_title(kClientTitle);
      s.keys.auth_key = keys_.auth_key;
      s.keys.block_key = keys_.block_key;
      s.invocation_counter = next_ic_;
    }
    return s;
  }

  std::unique_ptr<TcpApduTransport> dial(std::uint16_t sap) {
    TcpEndpoint ep;
    ep.port = server_->port();
    ep.client_sap = sap;
    ep.connect_timeout = kTimeout;
    auto t = TcpApduTransport::connect(ep);
    EXPECT_TRUE(t.ok()) << t.error().describe();
    return t.ok() ? std::move(*t) : nullptr;
  }

  Data get_ok(dlms::Client& client, std::uint16_t cls, const dlms::Obis& obis, std::int8_t attr,
              const std::optional<dlms::SelectiveAccess>& access = {}) {
    auto r = client.get(AttributeDescriptor{cls, obis, attr}, access);
    EXPECT_TRUE(r.ok()) << obis.to_string() << ": " << r.error().describe();
    if (!r.ok()) return Data();
    EXPECT_TRUE(std::holds_alternative<Data>(*r)) << obis.to_string();
    return std::holds_alternative<Data>(*r) ? std::get<Data>(*r) : Data();
  }

  std::unique_ptr<meter::SinglePhaseMeter> meter_;
  dlms::security::SecurityKeys keys_;
  std::string password_;
  dlms::ServerSettings settings_;
  dlms::InMemoryInvocationCounterStore counters_;
  std::unique_ptr<DlmsTcpServer> server_;
  std::uint32_t next_ic_ = 1;
};

class EachAssociation : public ServedMeter, public ::testing::WithParamInterface<std::uint16_t> {};

TEST_P(EachAssociation, ReadsNameClockAndProfiles) {
  const std::uint16_t sap = GetParam();
  auto transport = dial(sap);
  ASSERT_NE(transport, nullptr);
  dlms::Client client(*transport, settings_for(sap));
  auto st = client.associate();
  ASSERT_TRUE(st.ok()) << st.error().describe();
  const Data name = get_ok(client, 1, c::kLogicalDeviceName, 2);
  ASSERT_NE(name.as_octets(), nullptr);
  EXPECT_EQ(std::string(name.as_octets()->begin(), name.as_octets()->end()),
            meter_->logical_device_name());
  const Data clock = get_ok(client, 8, c::kClock, 2);
  ASSERT_TRUE(clock.as_date_time().has_value());
  if (sap != dlms::kPublicClientSap) {
    const Data plate = get_ok(client, 7, c::kNamePlateProfile, 2);
    ASSERT_NE(plate.as_list(), nullptr);
    EXPECT_EQ(plate.as_list()->size(), 1u);
    const Data inst = get_ok(client, 7, c::kInstantaneousProfile, 2);
    ASSERT_NE(inst.as_list(), nullptr);
    EXPECT_EQ(inst.as_list()->size(), 1u);
    // Two days of 15-minute rows: several kilobytes, more than one 1024-byte PDU.
    const UtcTime now = meter_->meter().meter_now();
    const auto access =
        dlms::make_range_access(dlms::CosemDateTime::from_utc(now - std::chrono::hours(48)),
                                dlms::CosemDateTime::from_utc(now));
    const Data block = get_ok(client, 7, c::kBlockLoadProfile, 2, access);
    ASSERT_NE(block.as_list(), nullptr);
    EXPECT_GE(block.as_list()->size(), 190u);
    EXPECT_GT(dlms::axdr::encode(block).size(), std::size_t{dlms::kDefaultMaxPduSize});
  }
  EXPECT_TRUE(client.release().ok());
}

INSTANTIATE_TEST_SUITE_P(Is15959, EachAssociation,
                         ::testing::Values(dlms::kPublicClientSap, dlms::kMeterReaderSap,
                                           dlms::kUtilitySettingsSap));

TEST_F(ServedMeter, DisconnectAndReconnectChangeTheRelay) {
  auto transport = dial(dlms::kUtilitySettingsSap);
  ASSERT_NE(transport, nullptr);
  dlms::Client client(*transport, settings_for(dlms::kUtilitySettingsSap));
  ASSERT_TRUE(client.associate().ok());
  const dlms::Obis dc = c::kDisconnectControl;
  auto off = client.action(dlms::MethodDescriptor{70, dc, 1}, Data::integer(0));
  ASSERT_TRUE(off.ok()) << off.error().describe();
  EXPECT_EQ(off->result, dlms::ActionResult::kSuccess);
  EXPECT_EQ(get_ok(client, 70, dc, 2).as_bool(), std::optional<bool>(false));
  EXPECT_EQ(get_ok(client, 70, dc, 3).as_uint(), std::optional<std::uint64_t>(0));
  auto on = client.action(dlms::MethodDescriptor{70, dc, 2}, Data::integer(0));
  ASSERT_TRUE(on.ok());
  EXPECT_EQ(on->result, dlms::ActionResult::kSuccess);
  EXPECT_EQ(get_ok(client, 70, dc, 2).as_bool(), std::optional<bool>(true));
  EXPECT_EQ(get_ok(client, 70, dc, 3).as_uint(), std::optional<std::uint64_t>(1));
  server_->stop();
  EXPECT_TRUE(meter_->meter().relay_connected());
  EXPECT_EQ(meter_->meter().relay_history().size(), 2u);
}

TEST_F(ServedMeter, WrongPasswordIsAuthFailed) {
  auto transport = dial(dlms::kMeterReaderSap);
  ASSERT_NE(transport, nullptr);
  auto s = settings_for(dlms::kMeterReaderSap);
  s.password = "WRONGPASSWORD123";
  dlms::Client client(*transport, s);
  auto st = client.associate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kAuthFailed);
  // The connection survives a rejected AARQ: the right password works on it.
  dlms::Client retry(*transport, settings_for(dlms::kMeterReaderSap));
  EXPECT_TRUE(retry.associate().ok());
}

TEST_F(ServedMeter, WrongKeyIsAuthFailed) {
  auto transport = dial(dlms::kUtilitySettingsSap);
  ASSERT_NE(transport, nullptr);
  auto s = settings_for(dlms::kUtilitySettingsSap);
  s.keys.auth_key[3] ^= 0x40;
  dlms::Client client(*transport, s);
  auto st = client.associate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kAuthFailed);
}

TEST_F(ServedMeter, ReplayedInvocationCounterIsRefused) {
  {
    auto transport = dial(dlms::kUtilitySettingsSap);
    dlms::Client client(*transport, settings_for(dlms::kUtilitySettingsSap));
    ASSERT_TRUE(client.associate().ok());
    get_ok(client, 8, c::kClock, 2);
    ASSERT_TRUE(client.release().ok());
  }
  // A new connection starting again at counter 1: the meter remembers across connections.
  auto transport = dial(dlms::kUtilitySettingsSap);
  dlms::Client client(*transport, settings_for(dlms::kUtilitySettingsSap));
  auto st = client.associate();
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.error().code == Errc::kAuthFailed || st.error().code == Errc::kReplay)
      << st.error().describe();
}

TEST_F(ServedMeter, ReplayedFrameGetsExceptionResponse) {
  auto tcp = dial(dlms::kUtilitySettingsSap);
  ASSERT_NE(tcp, nullptr);
  // Capture what the client sends by recording through a thin decorator.
  struct Recorder final : dlms::ApduTransport {
    explicit Recorder(dlms::ApduTransport& t) : inner(t) {}
    Status send(ByteView a) override {
      last.assign(a.begin(), a.end());
      return inner.send(a);
    }
    Result<Bytes> receive(Millis t) override { return inner.receive(t); }
    void close() override { inner.close(); }
    dlms::ApduTransport& inner;
    Bytes last;
  } recorder(*tcp);
  dlms::Client client(recorder, settings_for(dlms::kUtilitySettingsSap));
  ASSERT_TRUE(client.associate().ok());
  get_ok(client, 8, c::kClock, 2);
  ASSERT_TRUE(tcp->send(recorder.last).ok());
  auto answer = tcp->receive(kTimeout);
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  auto decoded = dlms::decode_apdu(*answer);
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(std::holds_alternative<dlms::ExceptionResponse>(*decoded))
      << dlms::apdu_name(*decoded);
  // The association continues for fresh requests.
  get_ok(client, 8, c::kClock, 2);
}

TEST_F(ServedMeter, GarbageClosesThatConnectionOnly) {
  auto good = dial(dlms::kPublicClientSap);
  dlms::Client client(*good, settings_for(dlms::kPublicClientSap));
  ASSERT_TRUE(client.associate().ok());
  TcpStream bad;
  ASSERT_TRUE(bad.connect("127.0.0.1", server_->port(), kTimeout).ok());
  const Bytes garbage{0x47, 0x45, 0x54, 0x20, 0x2F, 0x20, 0x48, 0x54, 0x54, 0x50};  // "GET / HTTP"
  ASSERT_TRUE(bad.write_all(garbage, kTimeout).ok());
  Bytes sink;
  Status st = ok_status();
  for (int i = 0; i < 8 && st.ok(); ++i) st = bad.read_some(sink, 64, kTimeout);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kClosed);
  get_ok(client, 8, c::kClock, 2);
}

TEST_F(ServedMeter, SilentPeerTimesOutAndWrongPortsAreProtocolErrors) {
  auto t = dial(dlms::kPublicClientSap);
  ASSERT_NE(t, nullptr);
  auto r = t->receive(Millis(50));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kTimeout);
  EXPECT_EQ(t->send(Bytes{0x62, 0x00}).error().code, Errc::kClosed);
}

TEST(TcpApduTransport, RefusedConnectionIsIoError) {
  std::uint16_t port = 0;
  {
    DlmsTcpServer s({"127.0.0.1", 0, {}}, [](const PeerInfo&) { return nullptr; });
    ASSERT_TRUE(s.start().ok());
    port = s.port();
  }
  TcpEndpoint ep;
  ep.port = port;
  auto t = TcpApduTransport::connect(ep);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, Errc::kIo);
}

}  // namespace
}  // namespace vidyut::net
