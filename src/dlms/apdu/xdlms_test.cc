#include "dlms/apdu/xdlms.h"

#include <gtest/gtest.h>

#include "dlms/apdu/acse.h"
#include "dlms/apdu/apdu.h"
#include "dlms/apdu/ciphered.h"

namespace vidyut::dlms {
namespace {

Bytes hex(std::string_view s) { return from_hex(s).value(); }

TEST(RangeDescriptor, RoundTripsWithSelectedColumns) {
  RangeDescriptor r;
  CosemDateTime from;
  from.year = 2026;
  from.month = 1;
  from.day = 1;
  from.hour = 0;
  from.minute = 0;
  from.second = 0;
  r.from_value = Data::date_time_octets(from);
  r.to_value = Data::date_time_octets(from);
  r.selected_values = {kClockTimeColumn, {3, Obis{1, 0, 12, 27, 0, 255}, 2, 0}};
  const SelectiveAccess a = r.to_access();
  EXPECT_EQ(a.selector, kSelectorRange);
  auto back = RangeDescriptor::from_access(a);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(*back, r);
  // Through the wire too.
  const Apdu apdu = GetRequest(GetRequestNormal{{}, {7, Obis{1, 0, 99, 1, 0, 255}, 2}, a});
  auto decoded = decode_apdu(encode(apdu));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(*decoded == apdu);
}

TEST(RangeDescriptor, RejectsWrongShapes) {
  EXPECT_FALSE(RangeDescriptor::from_access({2, Data::structure({})}).ok());
  EXPECT_FALSE(RangeDescriptor::from_access({1, Data::array({})}).ok());
  EXPECT_FALSE(RangeDescriptor::from_access(
                   {1, Data::structure({Data::null(), Data::null(), Data::null(), Data::null()})})
                   .ok());
  SelectiveAccess bad_obis = make_range_access({}, {});
  // Replace the restricting object's logical name with 5 bytes.
  auto r = RangeDescriptor::from_access(bad_obis);
  ASSERT_TRUE(r.ok());
  SelectiveAccess broken{
      1, Data::structure(
             {Data::structure({Data::long_unsigned(8), Data::octet_string(hex("0000010000")),
                               Data::integer(2), Data::long_unsigned(0)}),
              Data::null(), Data::null(), Data::array({})})};
  EXPECT_FALSE(RangeDescriptor::from_access(broken).ok());
}

TEST(EntryDescriptor, RoundTrips) {
  EntryDescriptor e{10, 20, 1, 0};
  auto back = EntryDescriptor::from_access(e.to_access());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, e);
  EXPECT_FALSE(EntryDescriptor::from_access(make_range_access({}, {})).ok());
}

TEST(ResultNames, NameStandardAndUnknownValues) {
  EXPECT_EQ(to_string(DataAccessResult::kReadWriteDenied), "read-write-denied");
  EXPECT_EQ(to_string(DataAccessResult::kObjectUndefined), "object-undefined");
  EXPECT_EQ(to_string(DataAccessResult::kDataBlockNumberInvalid), "data-block-number-invalid");
  EXPECT_EQ(to_string(static_cast<DataAccessResult>(77)), "data-access-result 77");
  EXPECT_EQ(to_string(ActionResult::kLongActionAborted), "long-action-aborted");
  EXPECT_EQ(to_string(ActionResult::kOtherReason), "other-reason");
  EXPECT_EQ(to_string(ConfirmedServiceError{1, 6, 1}),
            "initiateError: initiate dlms-version-too-low");
  EXPECT_EQ(to_string(ServiceError::kInvocationCounterError), "invocation-counter-error");
}

TEST(Conformance, BitsAreNumberedFromTheMostSignificantBit) {
  // 0x007E1F per the Green Book AARQ example.
  const Conformance c = kDefaultClientConformance;
  EXPECT_TRUE(c.has(ConformanceBit::kGet));
  EXPECT_TRUE(c.has(ConformanceBit::kAction));
  EXPECT_TRUE(c.has(ConformanceBit::kBlockTransferWithGetOrRead));
  EXPECT_TRUE(c.has(ConformanceBit::kPriorityMgmtSupported));
  EXPECT_FALSE(c.has(ConformanceBit::kGeneralProtection));
  EXPECT_FALSE(c.has(ConformanceBit::kDataNotification));
  Conformance x;
  x.set(ConformanceBit::kReservedZero);
  EXPECT_EQ(x.bits, 0x800000u);
  x.set(ConformanceBit::kAction).set(ConformanceBit::kReservedZero, false);
  EXPECT_EQ(x.bits, 0x000001u);
  EXPECT_EQ(x.to_string(), "action");
}

TEST(Initiate, RequestWithAllOptionalsRoundTrips) {
  InitiateRequest r;
  r.dedicated_key = hex("000102030405060708090A0B0C0D0E0F");
  r.response_allowed = false;
  r.proposed_quality_of_service = 3;
  r.proposed_conformance = Conformance{0x60FE1F};
  r.client_max_receive_pdu_size = 0x0400;
  const Bytes b = encode_initiate_request(r);
  // Derived by hand from the Green Book A-XDR rules for InitiateRequest.
  EXPECT_EQ(to_hex(b),
            "010110000102030405060708090A0B0C0D0E0F0100010306"
            "5F1F040060FE1F0400");
  auto back = decode_initiate_request(b);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
  for (std::size_t n = 0; n < b.size(); ++n) {
    EXPECT_FALSE(decode_initiate_request(ByteView(b.data(), n)).ok()) << n;
  }
}

TEST(Initiate, ResponseRoundTripsAndRejectsBadConformanceHeader) {
  InitiateResponse r;
  r.negotiated_quality_of_service = 1;
  r.negotiated_conformance = Conformance{0x001E1D};
  r.server_max_receive_pdu_size = 0x04C8;
  const Bytes b = encode_initiate_response(r);
  EXPECT_EQ(to_hex(b), "080101065F1F0400001E1D04C80007");
  auto back = decode_initiate_response(b);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
  auto bad = decode_initiate_response(hex("0800065F1F0500001E1D04C80007"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::kMalformed);
}

TEST(Acse, SkipsUnusedOptionalFieldsAndRejectsUnknownContexts) {
  // Public AARQ with protocol-version 80 02 07 80 and an implementation-information field
  // inserted by hand: both are skipped.
  auto a = decode_apdu(
      hex("6024 80020780 A109060760857405080101 9D0141 BE10040E01000000065F1F0400007E1F04B0"));
  ASSERT_TRUE(a.ok()) << a.error().describe();
  ASSERT_NE(apdu_get<Aarq>(*a), nullptr);
  // Application context 2.16.756.5.8.1.9 is not defined.
  auto u = decode_apdu(hex("600BA109060760857405080109"));
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code, Errc::kUnsupported);
  // Indefinite BER length.
  auto i = decode_apdu(hex("6080A109060760857405080101 0000"));
  ASSERT_FALSE(i.ok());
  EXPECT_EQ(i.error().code, Errc::kMalformed);
  // AARE without result.
  auto n = decode_apdu(hex("610BA109060760857405080101"));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, Errc::kMalformed);
}

TEST(Acse, LongUserInformationUsesLongBerLengths) {
  Aarq a;
  CipheredApdu c;
  c.tag = tag::kGloInitiateRequest;
  c.payload.assign(200, 0xAB);
  a.context = ApplicationContext::kLogicalNameCiphered;
  a.calling_ap_title = hex("4D4D4D0000BC614E");
  a.user_information = c;
  const Bytes b = encode(a);
  EXPECT_EQ(b[1], 0x81);  // outer length 0x81 xx
  auto back = decode_apdu(b);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_TRUE(*back == Apdu(a));
}

TEST(Ciphered, TagMappingFollowsTheGreenBook) {
  EXPECT_EQ(glo_tag_for(tag::kGetRequest), tag::kGloGetRequest);
  EXPECT_EQ(glo_tag_for(tag::kSetRequest), tag::kGloSetRequest);
  EXPECT_EQ(glo_tag_for(tag::kActionRequest), tag::kGloActionRequest);
  EXPECT_EQ(glo_tag_for(tag::kGetResponse), tag::kGloGetResponse);
  EXPECT_EQ(glo_tag_for(tag::kSetResponse), tag::kGloSetResponse);
  EXPECT_EQ(glo_tag_for(tag::kActionResponse), tag::kGloActionResponse);
  EXPECT_EQ(glo_tag_for(tag::kEventNotificationRequest), tag::kGloEventNotificationRequest);
  EXPECT_EQ(glo_tag_for(tag::kInitiateRequest), tag::kGloInitiateRequest);
  EXPECT_EQ(glo_tag_for(tag::kInitiateResponse), tag::kGloInitiateResponse);
  EXPECT_EQ(glo_tag_for(tag::kConfirmedServiceError), tag::kGloConfirmedServiceError);
  EXPECT_EQ(ded_tag_for(tag::kGetRequest), tag::kDedGetRequest);
  EXPECT_EQ(ded_tag_for(tag::kActionResponse), tag::kDedActionResponse);
  EXPECT_EQ(ded_tag_for(tag::kInitiateRequest), tag::kDedInitiateRequest);
  EXPECT_FALSE(glo_tag_for(tag::kDataNotification).has_value());
  EXPECT_FALSE(glo_tag_for(0xC6).has_value());  // no service 0xC6
  EXPECT_EQ(plain_tag_for(0xCC), tag::kGetResponse);
  EXPECT_EQ(plain_tag_for(0xD7), tag::kActionResponse);
  EXPECT_EQ(plain_tag_for(0x28), tag::kInitiateResponse);
  EXPECT_FALSE(plain_tag_for(0xCE).has_value());
  EXPECT_FALSE(plain_tag_for(tag::kGeneralGloCiphering).has_value());
  for (int t = 0; t < 256; ++t) {
    const auto u = static_cast<std::uint8_t>(t);
    if (auto p = plain_tag_for(u)) {
      EXPECT_TRUE(glo_tag_for(*p) == u || ded_tag_for(*p) == u) << t;
      EXPECT_TRUE(is_ciphered_tag(u));
    }
  }
  EXPECT_TRUE(is_ciphered_tag(tag::kGeneralGloCiphering));
  EXPECT_FALSE(is_ciphered_tag(tag::kGetRequest));
}

TEST(Ciphered, SecurityHeaderIsScThenBigEndianIc) {
  EXPECT_EQ(security_header(0x30, 0x01234567), hex("3001234567"));
  EXPECT_EQ(security_header(0x10, 0), hex("1000000000"));
}

TEST(Ciphered, LongPayloadUsesLongAxdrLength) {
  CipheredApdu c;
  c.tag = tag::kGloGetResponse;
  c.security_control = 0x30;
  c.invocation_counter = 7;
  c.payload.assign(300, 0x5A);
  const Bytes b = encode(c);
  EXPECT_EQ(to_hex(ByteView(b.data(), 8)), "CC82013130000000");
  auto back = decode_apdu(b);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == Apdu(c));
}

}  // namespace
}  // namespace vidyut::dlms
