// Client against server over the in-memory LoopbackTransport, with a small test meter built from
// the cosem classes. No sockets, no sleeping (except the SilentTransport test, 20 ms).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <random>

#include "dlms/apdu/apdu.h"
#include "dlms/cosem/classes.h"
#include "dlms/session/client.h"
#include "dlms/session/loopback.h"
#include "dlms/session/server.h"

namespace vidyut::dlms {
namespace {

namespace sec = security;
using cosem::AttributeAccess;
using cosem::MethodAccess;

constexpr Obis kLdn{0, 0, 42, 0, 0, 255};
constexpr Obis kVoltage{1, 0, 12, 7, 0, 255};
constexpr Obis kClock{0, 0, 1, 0, 0, 255};
constexpr Obis kBlockLoad{1, 0, 99, 1, 0, 255};
constexpr Obis kRelay{0, 0, 96, 3, 10, 255};
constexpr Obis kCapturePeriod{1, 0, 0, 8, 4, 255};
constexpr std::uint16_t kHlsPlainSap = 64;  // HLS-GMAC without ciphering (test-only policy)
constexpr std::size_t kProfileRows = 1000;

sec::SecurityKeys test_keys() {
  sec::SecurityKeys k;
  k.block_key = *sec::parse_key("000102030405060708090A0B0C0D0E0F");
  k.auth_key = *sec::parse_key("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF");
  return k;
}
sec::SecurityKeys wrong_keys() {
  sec::SecurityKeys k = test_keys();
  k.block_key[0] ^= 0x01;
  k.auth_key[5] ^= 0x80;
  return k;
}
const sec::SystemTitle kMeterTitle = *sec::parse_system_title("4D4D4D0000BC614E");
const sec::SystemTitle kHesTitle = *sec::parse_system_title("5644590000000001");

UtcTime t0() { return *parse_iso8601("2026-11-23T10:15:00Z"); }

// A small meter: logical device name, a voltage register, the clock, a block-load profile of
// kProfileRows rows, a capture-period Data object (writable at 48) and a relay.
struct TestMeter {
  ManualClock clock{t0()};
  cosem::LogicalDevice device;
  cosem::DisconnectControl* relay = nullptr;
  cosem::DataObject* capture_period = nullptr;
  InMemoryInvocationCounterStore counters;
  ServerSettings settings;

  TestMeter() {
    device.emplace<cosem::DataObject>(kLdn,
                                      Data::octet_string(Bytes{'V', 'D', 'Y', '0', '0', '1'}));
    device.emplace<cosem::Register>(kVoltage, cosem::ScalerUnit{-1, cosem::Unit::kVolt},
                                    Data::long_unsigned(2314));
    device.emplace<cosem::ClockObject>(clock);
    capture_period =
        &device.emplace<cosem::DataObject>(kCapturePeriod, Data::double_long_unsigned(900));
    auto rows = std::make_shared<cosem::StoredRowSource>(static_cast<std::uint32_t>(kProfileRows));
    for (std::size_t i = 0; i < kProfileRows; ++i) {
      const UtcTime t = t0() - Millis(static_cast<std::int64_t>(kProfileRows - i) * 900'000);
      rows->append(
          cosem::ProfileRow{Data::date_time_octets(CosemDateTime::from_utc(t)),
                            Data::long_unsigned(static_cast<std::uint16_t>(2300 + i % 50)),
                            Data::double_long_unsigned(static_cast<std::uint32_t>(i * 7))});
    }
    device.emplace<cosem::ProfileGeneric>(
        kBlockLoad,
        std::vector<CaptureObjectDefinition>{kClockTimeColumn,
                                             {3, Obis{1, 0, 12, 27, 0, 255}, 2, 0},
                                             {3, Obis{1, 0, 1, 29, 0, 255}, 2, 0}},
        rows, 900, static_cast<std::uint32_t>(kProfileRows));
    relay = &device.emplace<cosem::DisconnectControl>(1);

    device.set_client_defaults(kPublicClientSap, AttributeAccess::kNone, MethodAccess::kNone);
    device.allow_read(kPublicClientSap, 1, kLdn);
    device.allow_read(kPublicClientSap, 8, kClock);
    device.set_client_defaults(kMeterReaderSap, AttributeAccess::kRead, MethodAccess::kNone);
    device.set_client_defaults(kUtilitySettingsSap, AttributeAccess::kReadWrite,
                               MethodAccess::kAccess);
    device.set_client_defaults(kHlsPlainSap, AttributeAccess::kRead, MethodAccess::kNone);

    settings = ServerSettings::is15959_defaults(kMeterTitle, "ABCDEFGH12345678", test_keys());
    AssociationPolicy hls_plain;
    hls_plain.client_sap = kHlsPlainSap;
    hls_plain.auth = Authentication::kHlsGmac;
    hls_plain.keys = test_keys();
    settings.associations.push_back(hls_plain);
  }
};

ClientSettings public_client() {
  ClientSettings s;
  s.client_sap = kPublicClientSap;
  s.timeout = Millis(50);
  return s;
}
ClientSettings meter_reader(std::string password = "ABCDEFGH12345678") {
  ClientSettings s;
  s.client_sap = kMeterReaderSap;
  s.auth = Authentication::kLow;
  s.password = std::move(password);
  s.timeout = Millis(50);
  return s;
}
ClientSettings utility_settings(sec::SecurityKeys keys = test_keys()) {
  ClientSettings s;
  s.client_sap = kUtilitySettingsSap;
  s.auth = Authentication::kHlsGmac;
  s.security = sec::SecurityPolicy::kAuthenticatedEncrypted;
  s.client_title = kHesTitle;
  s.keys = keys;
  s.timeout = Millis(50);
  return s;
}

// One connection to the meter with one client on it.
struct Session {
  ServerConnection conn;
  LoopbackTransport transport;
  Client client;
  Session(TestMeter& m, const ClientSettings& s)
      : conn(m.settings, m.device, m.counters, m.clock),
        transport(conn, s.client_sap),
        client(transport, s) {}
};

const Data& value_of(const GetDataResult& r) {
  static const Data kNull;
  const Data* d = std::get_if<Data>(&r);
  EXPECT_NE(d, nullptr) << "expected data, got " << to_string(std::get<DataAccessResult>(r));
  return d ? *d : kNull;
}

Apdu decode_or_die(ByteView b) {
  auto a = decode_apdu(b);
  EXPECT_TRUE(a.ok()) << (a.ok() ? "" : a.error().describe());
  return a.ok() ? *a : Apdu(ExceptionResponse{});
}

// ---------------------------------------------------------------------------------------------
// Associations

TEST(Session, PublicClientAssociatesAndReadsLogicalDeviceName) {
  TestMeter m;
  Session s(m, public_client());
  ASSERT_TRUE(s.client.associate().ok());
  auto r = s.client.get({1, kLdn, 2});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(value_of(*r), Data::octet_string(Bytes{'V', 'D', 'Y', '0', '0', '1'}));
  // The public client reads plain: no ciphering on the wire.
  EXPECT_EQ(s.transport.sent().back()[0], tag::kGetRequest);
  ASSERT_TRUE(s.client.release().ok());
  EXPECT_TRUE(s.conn.wants_close());
}

TEST(Session, PublicClientGetsDataAccessResultNotErrorForForbiddenObject) {
  TestMeter m;
  Session s(m, public_client());
  ASSERT_TRUE(s.client.associate().ok());
  auto r = s.client.get({3, kVoltage, 2});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_TRUE(std::holds_alternative<DataAccessResult>(*r));
  EXPECT_EQ(std::get<DataAccessResult>(*r), DataAccessResult::kObjectUndefined);
}

TEST(Session, LlsMeterReaderReadsRegisterAndClock) {
  TestMeter m;
  Session s(m, meter_reader());
  ASSERT_TRUE(s.client.associate().ok());
  auto v = s.client.get({3, kVoltage, 2});
  ASSERT_TRUE(v.ok()) << v.error().describe();
  EXPECT_EQ(value_of(*v), Data::long_unsigned(2314));
  auto su = s.client.get({3, kVoltage, 3});
  ASSERT_TRUE(su.ok());
  EXPECT_EQ(value_of(*su), (cosem::ScalerUnit{-1, cosem::Unit::kVolt}.to_data()));
  auto c = s.client.get({8, kClock, 2});
  ASSERT_TRUE(c.ok()) << c.error().describe();
  auto dt = value_of(*c).as_date_time();
  ASSERT_TRUE(dt.has_value());
  EXPECT_EQ(dt->to_utc().value_or(UtcTime{}), t0());
}

TEST(Session, LlsWrongPasswordIsAuthFailedAndRejectedAtServer) {
  TestMeter m;
  Session s(m, meter_reader("WRONGPASSWORD123"));
  auto st = s.client.associate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kAuthFailed);
  EXPECT_THAT(st.error().message,
              ::testing::HasSubstr("association rejected: authentication-failure"));
  const auto* a = s.conn.association(kMeterReaderSap);
  ASSERT_NE(a, nullptr);
  EXPECT_FALSE(a->associated());
  const Apdu aare = decode_or_die(s.transport.received().back());
  ASSERT_TRUE(std::holds_alternative<Aare>(aare));
  EXPECT_EQ(std::get<Aare>(aare).result, AssociationResult::kRejectedPermanent);
  // The connection stays usable: a new AARQ with the right password is accepted.
  EXPECT_FALSE(s.conn.wants_close());
  Client again(s.transport, meter_reader());
  EXPECT_TRUE(again.associate().ok());
}

TEST(Session, LlsPasswordPrefixIsNotEnough) {
  TestMeter m;
  Session s(m, meter_reader("ABCDEFGH"));
  auto st = s.client.associate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kAuthFailed);
}

TEST(Session, HlsGmacWithAuthenticatedEncryptionAssociatesAndReads) {
  TestMeter m;
  Session s(m, utility_settings());
  auto st = s.client.associate();
  ASSERT_TRUE(st.ok()) << st.error().describe();
  ASSERT_TRUE(s.client.server_title().has_value());
  EXPECT_EQ(*s.client.server_title(), kMeterTitle);
  // AARQ, then the pass-3 ACTION glo-ciphered.
  EXPECT_EQ(s.transport.sent()[0][0], tag::kAarq);
  EXPECT_EQ(s.transport.sent()[1][0], tag::kGloActionRequest);
  auto v = s.client.get({3, kVoltage, 2});
  ASSERT_TRUE(v.ok()) << v.error().describe();
  EXPECT_EQ(value_of(*v), Data::long_unsigned(2314));
  EXPECT_EQ(s.transport.sent().back()[0], tag::kGloGetRequest);
  EXPECT_EQ(s.transport.received().back()[0], tag::kGloGetResponse);
  // Counter: 1 for the InitiateRequest, 2 for f(StoC), 3 for the pass-3 ACTION, 4 for the GET.
  EXPECT_EQ(s.client.next_invocation_counter(), 5u);
  EXPECT_EQ(m.counters.last_client_counter(kUtilitySettingsSap, kHesTitle), 4u);
}

TEST(Session, HlsWithoutCipheringAssociates) {
  TestMeter m;
  ClientSettings cs = utility_settings();
  cs.client_sap = kHlsPlainSap;
  cs.security = sec::SecurityPolicy::kNone;
  Session s(m, cs);
  auto st = s.client.associate();
  ASSERT_TRUE(st.ok()) << st.error().describe();
  auto v = s.client.get({3, kVoltage, 2});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(s.transport.sent().back()[0], tag::kGetRequest);
}

TEST(Session, HlsWrongKeysIsAuthFailed) {
  TestMeter m;
  Session s(m, utility_settings(wrong_keys()));
  auto st = s.client.associate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kAuthFailed) << st.error().describe();
  EXPECT_FALSE(s.conn.association(kUtilitySettingsSap)->associated());
}

TEST(Session, HlsWrongKeysWithoutCipheringFailsAtPass3) {
  TestMeter m;
  ClientSettings cs = utility_settings(wrong_keys());
  cs.client_sap = kHlsPlainSap;
  cs.security = sec::SecurityPolicy::kNone;
  Session s(m, cs);
  auto st = s.client.associate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kAuthFailed) << st.error().describe();
  const auto* a = s.conn.association(kHlsPlainSap);
  EXPECT_FALSE(a->associated());
  EXPECT_FALSE(a->hls_pending());
}

TEST(Session, RequestsBeforeHlsPass3AreRefused) {
  TestMeter m;
  ClientSettings cs = utility_settings();
  cs.client_sap = kHlsPlainSap;
  cs.security = sec::SecurityPolicy::kNone;
  Session s(m, cs);
  ClientCodec& codec = s.client.codec();
  auto aarq = codec.build_aarq();
  ASSERT_TRUE(s.transport.send(*aarq).ok());
  ASSERT_TRUE(codec.on_aare(*s.transport.receive(Millis(1))).ok());
  ASSERT_TRUE(codec.hls_pending());
  // A GET instead of the pass-3 ACTION.
  GetRequestNormal g{InvokeIdAndPriority::make(1), {3, kVoltage, 2}, std::nullopt};
  ASSERT_TRUE(s.transport.send(encode(Apdu(GetRequest(g)))).ok());
  const Apdu resp = decode_or_die(*s.transport.receive(Millis(1)));
  ASSERT_TRUE(std::holds_alternative<ExceptionResponse>(resp));
  EXPECT_EQ(std::get<ExceptionResponse>(resp).state_error, StateError::kServiceNotAllowed);
}

TEST(Session, CipheredContextAtPlainAssociationIsRefused) {
  TestMeter m;
  ClientSettings cs = meter_reader();
  cs.security = sec::SecurityPolicy::kAuthenticatedEncrypted;
  cs.client_title = kHesTitle;
  cs.keys = test_keys();
  Session s(m, cs);
  auto st = s.client.associate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kRefused);
  EXPECT_THAT(st.error().message, ::testing::HasSubstr("application-context-name-not-supported"));
}

TEST(Session, PlainContextAtCipheredAssociationIsRefused) {
  TestMeter m;
  ClientSettings cs = utility_settings();
  cs.security = sec::SecurityPolicy::kNone;
  Session s(m, cs);
  auto st = s.client.associate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kRefused);
}

TEST(Session, WrongMechanismIsAuthFailed) {
  TestMeter m;
  ClientSettings cs = meter_reader();
  cs.auth = Authentication::kNone;
  Session s(m, cs);
  auto st = s.client.associate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kAuthFailed);
  EXPECT_THAT(st.error().message, ::testing::HasSubstr("required"));
}

TEST(Session, UnknownClientSapIsRefused) {
  TestMeter m;
  ClientSettings cs = public_client();
  cs.client_sap = 99;
  Session s(m, cs);
  auto st = s.client.associate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kRefused);
}

TEST(Session, TooSmallPduIsRefusedWithInitiateError) {
  TestMeter m;
  ClientSettings cs = public_client();
  cs.max_receive_pdu = 32;
  Session s(m, cs);
  auto st = s.client.associate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kRefused);
  EXPECT_THAT(st.error().message, ::testing::HasSubstr("initiate"));
}

// ---------------------------------------------------------------------------------------------
// Services

std::size_t count_tag(const std::vector<Bytes>& apdus, std::uint8_t tag) {
  std::size_t n = 0;
  for (const auto& a : apdus) n += (!a.empty() && a[0] == tag) ? 1 : 0;
  return n;
}

void expect_full_profile(const GetDataResult& r) {
  const Data& buffer = value_of(r);
  ASSERT_NE(buffer.as_list(), nullptr);
  ASSERT_EQ(buffer.as_list()->size(), kProfileRows);
  const Data* last = buffer.at(kProfileRows - 1);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(*last->at(2),
            Data::double_long_unsigned(static_cast<std::uint32_t>((kProfileRows - 1) * 7)));
}

TEST(Session, ProfileReadUsesBlockTransfer) {
  TestMeter m;
  ClientSettings cs = meter_reader();
  cs.max_receive_pdu = 512;
  Session s(m, cs);
  ASSERT_TRUE(s.client.associate().ok());
  auto r = s.client.get({7, kBlockLoad, 2});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  expect_full_profile(*r);
  // At least 10 blocks, every one within the client's max-receive-pdu.
  EXPECT_GE(s.transport.received().size(), 11u);
  for (const auto& apdu : s.transport.received()) EXPECT_LE(apdu.size(), 512u);
}

TEST(Session, CipheredProfileReadUsesBlockTransfer) {
  TestMeter m;
  ClientSettings cs = utility_settings();
  cs.max_receive_pdu = 256;
  Session s(m, cs);
  ASSERT_TRUE(s.client.associate().ok());
  auto r = s.client.get({7, kBlockLoad, 2});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  expect_full_profile(*r);
  EXPECT_GE(count_tag(s.transport.received(), tag::kGloGetResponse), 10u);
  for (const auto& apdu : s.transport.received()) EXPECT_LE(apdu.size(), 256u);
}

TEST(Session, ProfileRangeReadBySelectiveAccess) {
  TestMeter m;
  Session s(m, meter_reader());
  ASSERT_TRUE(s.client.associate().ok());
  const auto from = CosemDateTime::from_utc(t0() - Millis(10 * 900'000));
  const auto to = CosemDateTime::from_utc(t0() - Millis(1 * 900'000));
  auto r = s.client.get({7, kBlockLoad, 2}, make_range_access(from, to));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_NE(value_of(*r).as_list(), nullptr);
  EXPECT_EQ(value_of(*r).as_list()->size(), 10u);
}

TEST(Session, GetWithList) {
  TestMeter m;
  Session s(m, meter_reader());
  ASSERT_TRUE(s.client.associate().ok());
  auto r = s.client.get_list({{1, kLdn, 2}, {3, kVoltage, 2}, {3, Obis{9, 9, 9, 9, 9, 9}, 2}});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ(value_of((*r)[1]), Data::long_unsigned(2314));
  ASSERT_TRUE(std::holds_alternative<DataAccessResult>((*r)[2]));
  EXPECT_EQ(std::get<DataAccessResult>((*r)[2]), DataAccessResult::kObjectUndefined);
}

TEST(Session, GetWithListNeedingBlocks) {
  TestMeter m;
  ClientSettings cs = meter_reader();
  cs.max_receive_pdu = 512;
  Session s(m, cs);
  ASSERT_TRUE(s.client.associate().ok());
  auto r = s.client.get_list({{3, kVoltage, 2}, {7, kBlockLoad, 2}});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ(value_of((*r)[0]), Data::long_unsigned(2314));
  expect_full_profile((*r)[1]);
  EXPECT_GE(s.transport.received().size(), 11u);
}

TEST(Session, SetAtUtilitySettingsAndDeniedAtMeterReader) {
  TestMeter m;
  {
    Session s(m, utility_settings());
    ASSERT_TRUE(s.client.associate().ok());
    auto r = s.client.set({1, kCapturePeriod, 2}, Data::double_long_unsigned(1800));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(*r, DataAccessResult::kSuccess);
    auto l = s.client.set_list({{1, kCapturePeriod, 2}, {1, kCapturePeriod, 2}},
                               {Data::double_long_unsigned(900), Data::visible_string("x")});
    ASSERT_TRUE(l.ok()) << l.error().describe();
    EXPECT_THAT(
        *l, ::testing::ElementsAre(DataAccessResult::kSuccess, DataAccessResult::kTypeUnmatched));
  }
  Session s(m, meter_reader());
  ASSERT_TRUE(s.client.associate().ok());
  auto r = s.client.set({1, kCapturePeriod, 2}, Data::double_long_unsigned(60));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, DataAccessResult::kReadWriteDenied);
  auto v = s.client.get({1, kCapturePeriod, 2});
  EXPECT_EQ(value_of(*v), Data::double_long_unsigned(900));
}

TEST(Session, DisconnectAndReconnectRelay) {
  TestMeter m;
  Session s(m, utility_settings());
  ASSERT_TRUE(s.client.associate().ok());
  auto off = s.client.action({70, kRelay, 1}, Data::integer(0));
  ASSERT_TRUE(off.ok()) << off.error().describe();
  EXPECT_EQ(off->result, ActionResult::kSuccess);
  EXPECT_EQ(m.relay->control_state(), cosem::ControlState::kDisconnected);
  auto state = s.client.get({70, kRelay, 3});
  EXPECT_EQ(value_of(*state), Data::enumerated(0));
  auto on = s.client.action({70, kRelay, 2}, Data::integer(0));
  ASSERT_TRUE(on.ok());
  EXPECT_EQ(on->result, ActionResult::kSuccess);
  EXPECT_EQ(m.relay->control_state(), cosem::ControlState::kConnected);
}

TEST(Session, RelayActionDeniedToMeterReader) {
  TestMeter m;
  Session s(m, meter_reader());
  ASSERT_TRUE(s.client.associate().ok());
  auto off = s.client.action({70, kRelay, 1}, Data::integer(0));
  ASSERT_TRUE(off.ok());
  EXPECT_NE(off->result, ActionResult::kSuccess);
  EXPECT_EQ(m.relay->control_state(), cosem::ControlState::kConnected);
}

// ---------------------------------------------------------------------------------------------
// Attacks and failures

TEST(Session, ReplayedRequestIsRejectedAndClientSeesReplay) {
  TestMeter m;
  Session s(m, utility_settings());
  ASSERT_TRUE(s.client.associate().ok());
  ASSERT_TRUE(s.client.action({70, kRelay, 1}, Data::integer(0)).ok());
  const Bytes captured = s.transport.sent().back();
  ASSERT_EQ(captured[0], tag::kGloActionRequest);
  ASSERT_TRUE(s.client.action({70, kRelay, 2}, Data::integer(0)).ok());
  ASSERT_EQ(m.relay->control_state(), cosem::ControlState::kConnected);

  // The attacker resends the captured disconnect: refused, relay untouched.
  ClientCodec& codec = s.client.codec();
  ASSERT_TRUE(codec.build_action({70, kRelay, 1}, Data::integer(0)).ok());  // arm the codec
  ASSERT_TRUE(s.transport.send(captured).ok());
  auto resp = s.transport.receive(Millis(1));
  ASSERT_TRUE(resp.ok());
  const Apdu x = decode_or_die(*resp);
  ASSERT_TRUE(std::holds_alternative<ExceptionResponse>(x));
  EXPECT_EQ(std::get<ExceptionResponse>(x).service_error, ServiceError::kInvocationCounterError);
  auto seen = codec.on_action_response(*resp);
  ASSERT_FALSE(seen.ok());
  EXPECT_EQ(seen.error().code, Errc::kReplay);
  EXPECT_EQ(m.relay->control_state(), cosem::ControlState::kConnected);
  // The association continues.
  EXPECT_TRUE(s.client.get({3, kVoltage, 2}).ok());
}

TEST(Session, ReplayOnNewConnectionIsRejected) {
  TestMeter m;
  Bytes captured;
  std::uint32_t next_ic = 0;
  {
    Session s(m, utility_settings());
    ASSERT_TRUE(s.client.associate().ok());
    ASSERT_TRUE(s.client.action({70, kRelay, 1}, Data::integer(0)).ok());
    captured = s.transport.sent().back();
    ASSERT_TRUE(s.client.action({70, kRelay, 2}, Data::integer(0)).ok());
    next_ic = s.client.next_invocation_counter();
  }
  // A client reusing old counters cannot even associate (its InitiateRequest is a replay).
  {
    Session s(m, utility_settings());
    auto st = s.client.associate();
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, Errc::kAuthFailed);
  }
  // A legitimate client continuing the counter associates; the old frame is still refused.
  ClientSettings cs = utility_settings();
  cs.invocation_counter = next_ic;
  Session s(m, cs);
  ASSERT_TRUE(s.client.associate().ok());
  ASSERT_TRUE(s.transport.send(captured).ok());
  const Apdu x = decode_or_die(*s.transport.receive(Millis(1)));
  ASSERT_TRUE(std::holds_alternative<ExceptionResponse>(x));
  EXPECT_EQ(std::get<ExceptionResponse>(x).service_error, ServiceError::kInvocationCounterError);
  EXPECT_EQ(m.relay->control_state(), cosem::ControlState::kConnected);
}

TEST(Session, ReplayedServerResponseIsDetectedByClient) {
  TestMeter m;
  Session s(m, utility_settings());
  ASSERT_TRUE(s.client.associate().ok());
  ASSERT_TRUE(s.client.get({3, kVoltage, 2}).ok());
  const Bytes old_response = s.transport.received().back();
  ClientCodec& codec = s.client.codec();
  ASSERT_TRUE(codec.build_get({3, kVoltage, 2}).ok());
  auto r = codec.on_get_response(old_response);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kReplay);
}

TEST(Session, TamperedServerResponseIsAuthFailed) {
  TestMeter m;
  Session s(m, utility_settings());
  ASSERT_TRUE(s.client.associate().ok());
  ClientCodec& codec = s.client.codec();
  auto req = codec.build_get({3, kVoltage, 2});
  ASSERT_TRUE(s.transport.send(*req).ok());
  Bytes resp = *s.transport.receive(Millis(1));
  resp[resp.size() - 3] ^= 0x01;
  auto r = codec.on_get_response(resp);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kAuthFailed);
}

TEST(Session, UncipheredRequestAtAuthEncAssociationIsRejected) {
  TestMeter m;
  Session s(m, utility_settings());
  ASSERT_TRUE(s.client.associate().ok());
  ActionRequestNormal a{InvokeIdAndPriority::make(3), {70, kRelay, 1}, Data::integer(0)};
  ASSERT_TRUE(s.transport.send(encode(Apdu(ActionRequest(a)))).ok());
  const Apdu x = decode_or_die(*s.transport.receive(Millis(1)));
  ASSERT_TRUE(std::holds_alternative<ExceptionResponse>(x));
  EXPECT_EQ(std::get<ExceptionResponse>(x).state_error, StateError::kServiceNotAllowed);
  EXPECT_EQ(m.relay->control_state(), cosem::ControlState::kConnected);
}

TEST(Session, AuthenticatedOnlyRequestAtAuthEncAssociationIsRejected) {
  TestMeter m;
  Session s(m, utility_settings());
  ASSERT_TRUE(s.client.associate().ok());
  ClientSettings weaker = utility_settings();
  weaker.security = sec::SecurityPolicy::kAuthenticated;
  weaker.invocation_counter = 1000;
  ClientCodec attacker(weaker);
  // Build a request with the weaker codec by faking its association state through the server.
  ActionRequestNormal a{InvokeIdAndPriority::make(3), {70, kRelay, 1}, Data::integer(0)};
  const Bytes plain = encode(Apdu(ActionRequest(a)));
  auto sealed = sec::seal(0x10, kHesTitle, 1000, test_keys(), plain);
  Bytes apdu{tag::kGloActionRequest};
  ByteWriter w(apdu);
  axdr::encode_length(sealed->size(), w);
  w.bytes(*sealed);
  ASSERT_TRUE(s.transport.send(apdu).ok());
  const Apdu x = decode_or_die(*s.transport.receive(Millis(1)));
  ASSERT_TRUE(std::holds_alternative<ExceptionResponse>(x));
  EXPECT_EQ(m.relay->control_state(), cosem::ControlState::kConnected);
}

TEST(Session, MalformedApduGetsExceptionResponse) {
  TestMeter m;
  Session s(m, public_client());
  ASSERT_TRUE(s.client.associate().ok());
  for (const Bytes& junk : {Bytes{0xC0, 0x01}, Bytes{0xFF, 0x00, 0x12}, Bytes{0xC0},
                            Bytes{0xC0, 0x01, 0xC1, 0x00, 0x08}, Bytes{0xC8, 0x05, 0x30}}) {
    ASSERT_TRUE(s.transport.send(junk).ok());
    auto resp = s.transport.receive(Millis(1));
    ASSERT_TRUE(resp.ok()) << to_hex(junk);
    const Apdu x = decode_or_die(*resp);
    EXPECT_TRUE(std::holds_alternative<ExceptionResponse>(x)) << to_hex(junk);
  }
  // Still serving.
  EXPECT_TRUE(s.client.get({1, kLdn, 2}).ok());
}

TEST(Session, RequestBeforeAssociationGetsExceptionResponse) {
  TestMeter m;
  Session s(m, public_client());
  GetRequestNormal g{InvokeIdAndPriority::make(1), {1, kLdn, 2}, std::nullopt};
  ASSERT_TRUE(s.transport.send(encode(Apdu(GetRequest(g)))).ok());
  const Apdu x = decode_or_die(*s.transport.receive(Millis(1)));
  ASSERT_TRUE(std::holds_alternative<ExceptionResponse>(x));
  EXPECT_EQ(std::get<ExceptionResponse>(x).state_error, StateError::kServiceNotAllowed);
  // And the client refuses to build requests before associating.
  auto r = s.client.get({1, kLdn, 2});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kProtocol);
}

TEST(Session, GetNextWithWrongBlockNumberIsDataBlockNumberInvalid) {
  TestMeter m;
  ClientSettings cs = meter_reader();
  cs.max_receive_pdu = 512;
  Session s(m, cs);
  ASSERT_TRUE(s.client.associate().ok());
  GetRequestNormal g{InvokeIdAndPriority::make(2), {7, kBlockLoad, 2}, std::nullopt};
  ASSERT_TRUE(s.transport.send(encode(Apdu(GetRequest(g)))).ok());
  const Apdu first = decode_or_die(*s.transport.receive(Millis(1)));
  const auto* b = apdu_get<GetResponseWithDataBlock>(first);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->block_number, 1u);
  EXPECT_FALSE(b->last_block);
  GetRequestNext next{InvokeIdAndPriority::make(2), 5};
  ASSERT_TRUE(s.transport.send(encode(Apdu(GetRequest(next)))).ok());
  const Apdu bad = decode_or_die(*s.transport.receive(Millis(1)));
  const auto* e = apdu_get<GetResponseWithDataBlock>(bad);
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(std::holds_alternative<DataAccessResult>(e->raw));
  EXPECT_EQ(std::get<DataAccessResult>(e->raw), DataAccessResult::kDataBlockNumberInvalid);
  // The transfer is over: a correct next now finds no long-GET in progress.
  GetRequestNext again{InvokeIdAndPriority::make(2), 1};
  ASSERT_TRUE(s.transport.send(encode(Apdu(GetRequest(again)))).ok());
  const Apdu none = decode_or_die(*s.transport.receive(Millis(1)));
  const auto* n = apdu_get<GetResponseWithDataBlock>(none);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(std::get<DataAccessResult>(n->raw), DataAccessResult::kNoLongGetInProgress);
}

TEST(Session, WrongInvokeIdIsProtocolError) {
  TestMeter m;
  Session s(m, public_client());
  ASSERT_TRUE(s.client.associate().ok());
  ClientCodec& codec = s.client.codec();
  ASSERT_TRUE(codec.build_get({1, kLdn, 2}).ok());
  GetResponseNormal r{InvokeIdAndPriority::make(9), Data::null()};
  auto p = codec.on_get_response(encode(Apdu(GetResponse(r))));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, Errc::kProtocol);
}

TEST(Session, SilentTransportTimesOutQuickly) {
  SilentTransport t;
  ClientSettings cs = public_client();
  cs.timeout = Millis(20);
  Client c(t, cs);
  const auto start = std::chrono::steady_clock::now();
  auto st = c.associate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(Session, ServerThatStopsAnsweringTimesOut) {
  TestMeter m;
  Session s(m, meter_reader());
  ASSERT_TRUE(s.client.associate().ok());
  s.transport.set_silent(true);
  auto r = s.client.get({3, kVoltage, 2});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kTimeout);
}

TEST(Session, TruncatedAareIsMalformedAtEveryLength) {
  TestMeter m;
  Session s(m, utility_settings());
  auto aarq = s.client.codec().build_aarq();
  ASSERT_TRUE(s.transport.send(*aarq).ok());
  const Bytes aare = *s.transport.receive(Millis(1));
  for (std::size_t n = 0; n < aare.size(); ++n) {
    ClientCodec codec(utility_settings());
    ASSERT_TRUE(codec.build_aarq().ok());
    auto st = codec.on_aare(ByteView(aare.data(), n));
    EXPECT_FALSE(st.ok()) << n;
  }
}

TEST(Session, BrokenWrapperClosesConnection) {
  TestMeter m;
  ServerConnection conn(m.settings, m.device, m.counters, m.clock);
  const Bytes bad{0x00, 0x02, 0x00, 0x10, 0x00, 0x01, 0x00, 0x01, 0x60};
  auto r = conn.on_bytes(bad);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(conn.wants_close());
}

TEST(Session, ServerSurvivesRandomApdus) {
  TestMeter m;
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> len(0, 64);
  std::uniform_int_distribution<int> byte(0, 255);
  const std::uint8_t first[] = {0x60, 0x62, 0xC0, 0xC1, 0xC3, 0xC8, 0xCB, 0x0F, 0xDB, 0xD8};
  for (const auto& cs : {public_client(), utility_settings()}) {
    auto s = std::make_unique<Session>(m, cs);
    for (int i = 0; i < 2000; ++i) {
      if (i % 100 == 0 || s->conn.wants_close()) {
        // A random RLRQ may end the connection (by design); start a fresh one.
        ClientSettings fresh = cs;
        fresh.invocation_counter = 1 + static_cast<std::uint32_t>(i) * 16;
        s = std::make_unique<Session>(m, fresh);
        ASSERT_TRUE(s->client.associate().ok());
      }
      Bytes apdu(static_cast<std::size_t>(len(rng)));
      for (auto& b : apdu) b = static_cast<std::uint8_t>(byte(rng));
      if (!apdu.empty()) apdu[0] = first[i % 10];
      auto st = s->transport.send_raw(wrap(cs.client_sap, 1, apdu));
      ASSERT_TRUE(st.ok() || s->conn.wants_close()) << st.error().describe();
      while (s->transport.receive(Millis(0)).ok()) {
      }
    }
  }
}

TEST(Session, SecondAarqReplacesAssociation) {
  TestMeter m;
  Session s(m, meter_reader());
  ASSERT_TRUE(s.client.associate().ok());
  ASSERT_TRUE(s.client.associate().ok());
  EXPECT_TRUE(s.client.get({3, kVoltage, 2}).ok());
}

// ---------------------------------------------------------------------------------------------
// Pushes

TEST(Session, DataNotificationPlainAndCiphered) {
  TestMeter m;
  Session s(m, utility_settings());
  ASSERT_TRUE(s.client.associate().ok());
  const Data body = Data::structure({Data::octet_string(Bytes{1, 2, 3}), Data::unsigned_(7)});
  const auto when = CosemDateTime::from_utc(t0());

  auto plain = build_data_notification(0x40000001, when, body, sec::SecurityPolicy::kNone,
                                       kMeterTitle, test_keys(), m.counters);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)[0], tag::kDataNotification);
  auto n = s.client.codec().decode_notification(*plain);
  ASSERT_TRUE(n.ok()) << n.error().describe();
  EXPECT_EQ(n->body, body);
  EXPECT_EQ(n->date_time, when);

  auto ciphered = build_data_notification(0x40000002, std::nullopt, body,
                                          sec::SecurityPolicy::kAuthenticatedEncrypted, kMeterTitle,
                                          test_keys(), m.counters);
  ASSERT_TRUE(ciphered.ok());
  EXPECT_EQ((*ciphered)[0], tag::kGeneralGloCiphering);
  auto c = s.client.codec().decode_notification(*ciphered);
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->body, body);
  EXPECT_EQ(c->long_invoke_id_and_priority, 0x40000002u);
  // The same push again is a replay.
  auto again = s.client.codec().decode_notification(*ciphered);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::kReplay);
  // With the wrong keys it does not decipher.
  ClientCodec other(utility_settings(wrong_keys()));
  auto wrong = other.decode_notification(*ciphered);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, Errc::kAuthFailed);
}

TEST(Session, PushWhileWaitingIsQueued) {
  TestMeter m;
  Session s(m, meter_reader());
  ASSERT_TRUE(s.client.associate().ok());
  auto push =
      build_data_notification(1, std::nullopt, Data::unsigned_(1), sec::SecurityPolicy::kNone,
                              kMeterTitle, test_keys(), m.counters);
  s.transport.inject(*push);
  auto r = s.client.get({3, kVoltage, 2});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(value_of(*r), Data::long_unsigned(2314));
  auto pushes = s.client.take_notifications();
  ASSERT_EQ(pushes.size(), 1u);
  EXPECT_EQ(pushes[0].body, Data::unsigned_(1));
}

// ---------------------------------------------------------------------------------------------
// Invocation counter store

TEST(InvocationCounterStore, RejectsEqualAndLowerCountersPerTitle) {
  InMemoryInvocationCounterStore store(10);
  EXPECT_TRUE(store.accept_client_counter(48, kHesTitle, 5).ok());
  EXPECT_EQ(store.accept_client_counter(48, kHesTitle, 5).error().code, Errc::kReplay);
  EXPECT_EQ(store.accept_client_counter(48, kHesTitle, 4).error().code, Errc::kReplay);
  EXPECT_TRUE(store.accept_client_counter(48, kHesTitle, 6).ok());
  EXPECT_TRUE(store.accept_client_counter(48, kMeterTitle, 1).ok());  // another title
  EXPECT_TRUE(store.accept_client_counter(32, kHesTitle, 1).ok());    // another SAP
  EXPECT_EQ(store.last_client_counter(48, kHesTitle), 6u);
  EXPECT_EQ(store.highest_client_counter(48), 6u);
  EXPECT_FALSE(store.highest_client_counter(16).has_value());
  EXPECT_EQ(store.peek_server_counter(), 10u);
  EXPECT_EQ(*store.next_server_counter(), 10u);
  EXPECT_EQ(*store.next_server_counter(), 11u);
}

TEST(InvocationCounterStore, ServerCounterRefusesToWrap) {
  InMemoryInvocationCounterStore store(0xFFFFFFFF);
  auto r = store.next_server_counter();
  EXPECT_FALSE(r.ok() && store.next_server_counter().ok());
}

TEST(Authentication, ParsesNames) {
  Authentication a{};
  EXPECT_TRUE(parse_authentication("hls-gmac", a));
  EXPECT_EQ(a, Authentication::kHlsGmac);
  EXPECT_TRUE(parse_authentication("lls", a));
  EXPECT_EQ(a, Authentication::kLow);
  EXPECT_FALSE(parse_authentication("md5", a));
  EXPECT_EQ(to_string(Authentication::kNone), "none");
}

}  // namespace
}  // namespace vidyut::dlms
