#include "dlms/apdu/apdu.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vidyut::dlms {
namespace {

Bytes hex(std::string_view s) { return from_hex(s).value(); }
Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

const Obis kClock{0, 0, 1, 0, 0, 255};
constexpr InvokeIdAndPriority kC1{0xC1};
constexpr InvokeIdAndPriority kC0{0xC0};

InitiateRequest green_book_initiate_request() {
  InitiateRequest r;
  r.proposed_conformance = Conformance{0x007E1F};
  r.client_max_receive_pdu_size = 0x04B0;
  return r;
}

InitiateResponse initiate_response_500() {
  InitiateResponse r;
  r.negotiated_quality_of_service = std::nullopt;
  r.negotiated_conformance = Conformance{0x00501F};
  r.server_max_receive_pdu_size = 500;
  return r;
}

// The ciphered xDLMS InitiateRequest of the Green Book example (glo-initiateRequest, SC 0x30,
// IC 0x01234567), as carried in tests/test_asce/test_aarq.py and test_rlrq.py of the public
// repository u9n/dlms-cosem.
CipheredApdu green_book_glo_initiate_request() {
  CipheredApdu c;
  c.tag = tag::kGloInitiateRequest;
  c.security_control = 0x30;
  c.invocation_counter = 0x01234567;
  c.payload =
      hex("801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE6841DB204D39EE6FDB8E356855");
  return c;
}

struct Golden {
  const char* name;
  const char* hex;
  Apdu apdu;
};

std::vector<Golden> goldens() {
  std::vector<Golden> g;

  // ---- ACSE ----
  {
    // Green Book AARQ example, LN referencing, no ciphering, lowest level security; same bytes
    // in u9n/dlms-cosem tests/test_asce/test_aarq.py.
    Aarq a;
    a.user_information = green_book_initiate_request();
    g.push_back(
        {"aarq-public", "601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0", a});
  }
  {
    // Green Book AARQ example with LLS password "12345678" (u9n/dlms-cosem test_aarq.py).
    Aarq a;
    a.authentication = true;
    a.mechanism = Mechanism::kLow;
    a.calling_authentication_value = text("12345678");
    a.user_information = green_book_initiate_request();
    g.push_back({"aarq-lls",
                 "6036A1090607608574050801018A0207808B0760857405080201AC0A80083132333435363738"
                 "BE10040E01000000065F1F0400007E1F04B0",
                 a});
  }
  {
    // Ciphered context, LLS, glo-initiateRequest in user-information: u9n/dlms-cosem
    // tests/test_asce/test_aarq.py (test_parse_ciphered_low_security2).
    Aarq a;
    a.context = ApplicationContext::kLogicalNameCiphered;
    a.calling_ap_title = hex("4D4D4D0000BC614E");
    a.authentication = true;
    a.mechanism = Mechanism::kLow;
    a.calling_authentication_value = text("12345678");
    a.user_information = green_book_glo_initiate_request();
    g.push_back({"aarq-ciphered-lls",
                 "6066A109060760857405080103A60A04084D4D4D0000BC614E8A0207808B0760857405080201"
                 "AC0A80083132333435363738BE34043221303001234567801302FF8A7874133D414CED25B425"
                 "34D28DB0047720606B175BD52211BE6841DB204D39EE6FDB8E356855",
                 a});
  }
  {
    // HLS-GMAC in a ciphered context: derived by hand from the previous vector by the Green
    // Book encoding rules (mechanism-name last arc 5, CtoS challenge "K56iVagY" in place of
    // the password; lengths unchanged).
    Aarq a;
    a.context = ApplicationContext::kLogicalNameCiphered;
    a.calling_ap_title = hex("4D4D4D0000BC614E");
    a.authentication = true;
    a.mechanism = Mechanism::kHighGmac;
    a.calling_authentication_value = text("K56iVagY");
    a.user_information = green_book_glo_initiate_request();
    g.push_back({"aarq-ciphered-hls-gmac",
                 "6066A109060760857405080103A60A04084D4D4D0000BC614E8A0207808B0760857405080205"
                 "AC0A80084B35366956616759BE34043221303001234567801302FF8A7874133D414CED25B425"
                 "34D28DB0047720606B175BD52211BE6841DB204D39EE6FDB8E356855",
                 a});
  }
  {
    // AARE accepted: u9n/dlms-cosem tests/test_asce/test_aare.py.
    Aare a;
    a.user_information = initiate_response_500();
    g.push_back({"aare-accepted",
                 "6129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F040000501F"
                 "01F40007",
                 a});
  }
  {
    // AARE rejected-permanent, acse-service-user authentication-failure (13): derived by hand
    // from the accepted AARE above (result and diagnostic INTEGERs changed).
    Aare a;
    a.result = AssociationResult::kRejectedPermanent;
    a.diagnostic = {true,
                    static_cast<std::uint8_t>(AcseServiceUserDiagnostic::kAuthenticationFailure)};
    a.user_information = initiate_response_500();
    g.push_back({"aare-rejected-auth-failure",
                 "6129A109060760857405080101A203020101A305A10302010DBE10040E0800065F1F040000501F"
                 "01F40007",
                 a});
  }
  {
    // AARE rejecting the InitiateRequest with confirmed-service-error initiate
    // dlms-version-too-low: u9n/dlms-cosem tests/test_asce/test_aare.py.
    Aare a;
    a.result = AssociationResult::kRejectedPermanent;
    a.diagnostic = {true, 1};
    a.user_information = ConfirmedServiceError{1, 6, 1};
    g.push_back({"aare-confirmed-service-error",
                 "611FA109060760857405080101A203020101A305A103020101BE0604040E010601", a});
  }
  {
    // AARE for HLS-GMAC with StoC challenge: u9n/dlms-cosem tests/test_asce/test_aare.py.
    Aare a;
    a.diagnostic = {true, 14};
    a.authentication = true;
    a.mechanism = Mechanism::kHighGmac;
    a.responding_authentication_value = text("P6wRJ21F");
    a.user_information = initiate_response_500();
    g.push_back({"aare-hls",
                 "6142A109060760857405080101A203020100A305A10302010E88020780890760857405080205"
                 "AA0A8008503677524A323146BE10040E0800065F1F040000501F01F40007",
                 a});
  }
  // RLRQ reason normal: u9n/dlms-cosem tests/test_asce/test_rlrq.py.
  g.push_back({"rlrq", "6203800100", Rlrq{0, std::nullopt}});
  // RLRQ with glo-initiateRequest: u9n/dlms-cosem tests/test_asce/test_rlrq.py.
  g.push_back({"rlrq-ciphered",
               "6239800100BE34043221303001234567801302FF8A7874133D414CED25B42534D28DB00477206"
               "06B175BD52211BE6841DB204D39EE6FDB8E356855",
               Rlrq{0, RequestUserInformation(green_book_glo_initiate_request())}});
  // RLRE reason normal: derived by hand ([APPLICATION 3], reason [0] INTEGER 0).
  g.push_back({"rlre", "6303800100", Rlre{0, std::nullopt}});
  g.push_back({"rlre-empty", "6300", Rlre{}});

  // ---- GET ----
  // Clock time: derived by hand from the Green Book encoding (class 8, 0.0.1.0.0.255, attr 2).
  g.push_back({"get-request-normal-clock", "C001C1000800000100 00FF0200",
               GetRequest(GetRequestNormal{kC1, {8, kClock, 2}, std::nullopt})});
  // u9n/dlms-cosem tests/test_xdlms/test_get.py.
  g.push_back({"get-request-next", "C002C100000001", GetRequest(GetRequestNext{kC1, 1})});
  g.push_back({"get-request-with-list", "C003C10200010000 2A0000FF0200000800000100 00FF0200",
               GetRequest(GetRequestWithList{kC1,
                                             {{{1, Obis{0, 0, 42, 0, 0, 255}, 2}, std::nullopt},
                                              {{8, kClock, 2}, std::nullopt}}})});
  g.push_back({"get-response-normal", "C401C1000600001391",
               GetResponse(GetResponseNormal{kC1, Data::double_long_unsigned(5009)})});
  g.push_back({"get-response-dar", "C401C10101",
               GetResponse(GetResponseNormal{kC1, DataAccessResult::kHardwareFault})});
  // With-datablock: derived by hand (last-block TRUE, block 2, raw-data of 4 bytes).
  g.push_back({"get-response-datablock", "C402C1 01 00000002 00 04 AABBCCDD",
               GetResponse(GetResponseWithDataBlock{kC1, true, 2, hex("AABBCCDD")})});
  g.push_back({"get-response-datablock-dar", "C402C1 00 00000003 01 13",
               GetResponse(GetResponseWithDataBlock{kC1, false, 3,
                                                    DataAccessResult::kDataBlockNumberInvalid})});
  // With-list: derived by hand (two results: long-unsigned 230, read-write-denied).
  g.push_back({"get-response-with-list", "C403C1 02 00 12 00E6 01 03",
               GetResponse(GetResponseWithList{
                   kC1, {Data::long_unsigned(230), DataAccessResult::kReadWriteDenied}})});
  {
    // Block load profile by range: u9n/dlms-cosem tests/test_xdlms/test_selective_access.py
    // (test_parse_range_descriptor): 2017-10-01 00:00 .. 01:00, deviation -60, status 0x80.
    CosemDateTime from;
    from.year = 2017;
    from.month = 10;
    from.day = 1;
    from.weekday = 7;
    from.hour = 0;
    from.minute = 0;
    from.second = 0;
    from.hundredths = 0;
    from.deviation = -60;
    from.status = 0x80;
    CosemDateTime to = from;
    to.hour = 1;
    g.push_back({"get-request-range",
                 "C001C100070100630100FF020101020402041200080906000001 0000FF0F02120000090C07E1"
                 "0A0107000000 00FFC480090C07E10A010701000000FFC4800100",
                 GetRequest(GetRequestNormal{
                     kC1, {7, Obis{1, 0, 99, 1, 0, 255}, 2}, make_range_access(from, to)})});
  }

  // ---- SET ----
  // Block-load capture period 900 s: derived by hand (class 1, 1.0.0.8.4.255, attr 2,
  // long-unsigned 0x0384).
  g.push_back(
      {"set-request-normal", "C101C1 0001 0100000804FF 02 00 12 0384",
       SetRequest(SetRequestNormal{
           kC1, {1, Obis{1, 0, 0, 8, 4, 255}, 2}, std::nullopt, Data::long_unsigned(900)})});
  g.push_back({"set-response-normal", "C501C1 03",
               SetResponse(SetResponseNormal{kC1, DataAccessResult::kReadWriteDenied})});
  g.push_back({"set-request-first-datablock", "C102C1 0008 0000010000FF 02 00 00 00000001 02 0102",
               SetRequest(SetRequestWithFirstDataBlock{
                   kC1, {8, kClock, 2}, std::nullopt, DataBlockSa{false, 1, hex("0102")}})});
  g.push_back({"set-request-datablock", "C103C1 01 00000002 01 03",
               SetRequest(SetRequestWithDataBlock{kC1, DataBlockSa{true, 2, hex("03")}})});
  g.push_back(
      {"set-request-with-list", "C104C1 01 0001 0100000804FF 02 00 01 12 0708",
       SetRequest(SetRequestWithList{
           kC1, {{{1, Obis{1, 0, 0, 8, 4, 255}, 2}, std::nullopt}}, {Data::long_unsigned(1800)}})});
  g.push_back(
      {"set-response-datablock", "C502C1 00000001", SetResponse(SetResponseDataBlock{kC1, 1})});
  g.push_back({"set-response-last-datablock", "C503C1 00 00000002",
               SetResponse(SetResponseLastDataBlock{kC1, DataAccessResult::kSuccess, 2})});
  g.push_back({"set-response-with-list", "C505C1 02 00 03",
               SetResponse(SetResponseWithList{
                   kC1, {DataAccessResult::kSuccess, DataAccessResult::kReadWriteDenied}})});

  // ---- ACTION ----
  // Remote disconnect: derived by hand (class 70, 0.0.96.3.10.255, method 1, integer 0).
  g.push_back({"action-request-disconnect", "C301C1 0046 0000600 30AFF 01 01 0F00",
               ActionRequest(ActionRequestNormal{
                   kC1, {70, Obis{0, 0, 96, 3, 10, 255}, 1}, Data::integer(0)})});
  // u9n/dlms-cosem tests/test_xdlms/test_action.py (no parameters; success; DAR return).
  g.push_back(
      {"action-request-no-params", "C301C0000F0000280000FF0100",
       ActionRequest(ActionRequestNormal{kC0, {15, Obis{0, 0, 40, 0, 0, 255}, 1}, std::nullopt})});
  g.push_back({"action-response-success", "C701C00000",
               ActionResponse(ActionResponseNormal{kC0, {ActionResult::kSuccess, std::nullopt}})});
  g.push_back({"action-response-dar", "C701C000010 1FA",
               ActionResponse(ActionResponseNormal{
                   kC0, {ActionResult::kSuccess, GetDataResult(DataAccessResult::kOtherReason)}})});
  g.push_back({"action-response-with-data", "C701C1 00 01 00 0F05",
               ActionResponse(ActionResponseNormal{
                   kC1, {ActionResult::kSuccess, GetDataResult(Data::integer(5))}})});
  g.push_back({"action-request-with-list",
               "C303C1 02 0046 0000600 30AFF 01 0046 0000600 30AFF 02 02 0F00 0F00",
               ActionRequest(ActionRequestWithList{
                   kC1,
                   {{70, Obis{0, 0, 96, 3, 10, 255}, 1}, {70, Obis{0, 0, 96, 3, 10, 255}, 2}},
                   {Data::integer(0), Data::integer(0)}})});
  g.push_back(
      {"action-response-with-list", "C703C1 02 00 00 03 00",
       ActionResponse(ActionResponseWithList{kC1,
                                             {{ActionResult::kSuccess, std::nullopt},
                                              {ActionResult::kReadWriteDenied, std::nullopt}}})});

  // ---- unsolicited / errors ----
  // u9n/dlms-cosem tests/test_xdlms/test_data_notification.py: no date-time, body octet-string.
  g.push_back({"data-notification",
               "0F000001DB000922125A8591360000000049000000110000000A5A8513D014800000000D000000"
               "0A0100",
               DataNotification{0x000001DB, std::nullopt,
                                Data::octet_string(hex("125A8591360000000049000000110000000A5A"
                                                       "8513D014800000000D0000000A0100"))}});
  {
    // With a date-time: derived by hand (octet-string of 12 bytes before the body).
    CosemDateTime t;
    t.year = 2026;
    t.month = 11;
    t.day = 23;
    t.weekday = 1;
    t.hour = 10;
    t.minute = 15;
    t.second = 0;
    t.hundredths = 0;
    t.deviation = -330;
    t.status = 0;
    g.push_back({"data-notification-dated", "0F40000001 0C 07EA0B17010A0F0000FEB600 12 00E6",
                 DataNotification{0x40000001, t, Data::long_unsigned(230)}});
  }
  // Exception-Response: derived by hand from the Green Book ASN.1 (state-error,
  // service-error, and for invocation-counter-error the Unsigned32 counter).
  g.push_back({"exception-response", "D80102",
               ExceptionResponse{StateError::kServiceNotAllowed, ServiceError::kServiceNotSupported,
                                 std::nullopt}});
  g.push_back({"exception-response-ic", "D801060000002A",
               ExceptionResponse{StateError::kServiceNotAllowed,
                                 ServiceError::kInvocationCounterError, 42u}});
  g.push_back({"confirmed-service-error", "0E010601", ConfirmedServiceError{1, 6, 1}});

  // ---- ciphered ----
  {
    // Green Book "Example: glo-get-request xDLMS APDU" (Table 40 of the edition cited by
    // u9n/dlms-cosem tests/test_xdlms/test_service_specific_cipher.py).
    CipheredApdu c;
    c.tag = tag::kGloGetRequest;
    c.security_control = 0x30;
    c.invocation_counter = 0x01234567;
    c.payload = hex("411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B");
    g.push_back(
        {"glo-get-request", "C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B", c});
  }
  {
    // General-glo-ciphering with system title: u9n/dlms-cosem
    // tests/test_general_global_cipher.py.
    CipheredApdu c;
    c.tag = tag::kGeneralGloCiphering;
    c.system_title = hex("2F19229199164103");
    c.security_control = 0x30;
    c.invocation_counter = 0x000001E5;
    c.payload =
        hex("025CE9D2271FD78BE8C204211A916A9D7F587E0A7A814CADEA89E9593F01F92EA8C087B5BDFDEFEAB6BECF"
            "282DFE49C08F5BE6DC8400");
    g.push_back({"general-glo-ciphering",
                 "DB082F192291991641033B30000001E5025CE9D2271FD78BE8C204211A916A9D7F587E0A7A814C"
                 "ADEA89E9593F01F92EA8C087B5BDFDEFEAB6BECF282DFE49C08F5BE6DC8400",
                 c});
  }
  return g;
}

TEST(ApduGolden, DecodesToExpectedValue) {
  for (const auto& g : goldens()) {
    SCOPED_TRACE(g.name);
    auto r = decode_apdu(hex(g.hex));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_TRUE(*r == g.apdu) << describe(*r) << "\nexpected:\n" << describe(g.apdu);
  }
}

TEST(ApduGolden, EncodesToExpectedBytes) {
  for (const auto& g : goldens()) {
    SCOPED_TRACE(g.name);
    EXPECT_EQ(to_hex(encode(g.apdu)), to_hex(hex(g.hex)));
  }
}

TEST(ApduGolden, RejectsEveryTruncation) {
  for (const auto& g : goldens()) {
    SCOPED_TRACE(g.name);
    const Bytes full = hex(g.hex);
    for (std::size_t n = 0; n < full.size(); ++n) {
      auto r = decode_apdu(ByteView(full.data(), n));
      ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
      EXPECT_NE(r.error().code, Errc::kNeedMore) << "complete-APDU decode reported need-more";
    }
  }
}

TEST(ApduGolden, RejectsTrailingGarbage) {
  for (const auto& g : goldens()) {
    SCOPED_TRACE(g.name);
    Bytes b = hex(g.hex);
    b.push_back(0x00);
    auto r = decode_apdu(b);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::kMalformed);
  }
}

TEST(ApduGolden, DescribeNamesEveryApdu) {
  for (const auto& g : goldens()) {
    SCOPED_TRACE(g.name);
    const std::string d = describe(g.apdu);
    EXPECT_EQ(d.rfind(apdu_name(g.apdu), 0), 0u) << d;
    EXPECT_GT(d.size(), apdu_name(g.apdu).size() + 1) << d;
  }
}

TEST(Apdu, DescribeShowsFieldsAndValues) {
  auto a = decode_apdu(hex("C401C1000600001391"));
  ASSERT_TRUE(a.ok());
  const std::string d = describe(*a);
  EXPECT_NE(d.find("get-response-normal"), std::string::npos) << d;
  EXPECT_NE(d.find("5009"), std::string::npos) << d;
  auto e = decode_apdu(hex("C401C10103"));
  ASSERT_TRUE(e.ok());
  EXPECT_NE(describe(*e).find("read-write-denied"), std::string::npos);
  auto aare = decode_apdu(hex(
      "6129A109060760857405080101A203020101A305A10302010DBE10040E0800065F1F040000501F01F40007"));
  ASSERT_TRUE(aare.ok());
  EXPECT_NE(describe(*aare).find("authentication-failure"), std::string::npos) << describe(*aare);
}

TEST(Apdu, UnknownTagIsMalformed) {
  for (const char* h : {"00", "FF", "C6010100", "7F00"}) {
    auto r = decode_apdu(hex(h));
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_EQ(r.error().code, Errc::kMalformed) << h;
  }
  auto empty = decode_apdu({});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, Errc::kMalformed);
}

TEST(Apdu, KnownButUnimplementedTagIsUnsupported) {
  // Short-name read-request, event-notification-request, general-ciphering, action pblock.
  for (const char* h : {"0501020000", "C2000000", "DD00", "C302C100000001"}) {
    auto r = decode_apdu(hex(h));
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_EQ(r.error().code, Errc::kUnsupported) << h;
  }
}

TEST(Apdu, BadChoicesAndFlagsAreMalformed) {
  for (const char* h : {
           "C009C1",                       // Get-Request choice 9
           "C401C102",                     // Get-Data-Result choice 2
           "C001C1000800000100 00FF0202",  // access-selection flag 2
           "C402C1010000000202",           // DataBlock-G choice 2
           "0F00000001 05 0102030405 00",  // Data-Notification date-time of 5 bytes
           "C8 04 30 000000",              // ciphered content shorter than SC+IC
           "C9 10 30 00000001 00",         // ciphered length past the end
       }) {
    auto r = decode_apdu(hex(h));
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_EQ(r.error().code, Errc::kMalformed) << h << " " << r.error().describe();
  }
}

TEST(Apdu, WithListCountOverLimitIsRejected) {
  // 0x82 0x04 0x01 = 1025 entries > kMaxListItems.
  static_assert(kMaxListItems == 1024);
  auto r = decode_apdu(hex("C403C1 820401 0100"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kLimitExceeded);
}

TEST(Apdu, MismatchedWithListCountsAreMalformed) {
  auto r = decode_apdu(hex("C104C1 01 0001 0100000804FF 02 00 02 12 0708 12 0708"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kMalformed);
}

TEST(Apdu, GeneralGloSystemTitleOverLimitIsRejected) {
  Bytes b = {tag::kGeneralGloCiphering, 17};
  b.resize(b.size() + 17, 0x41);
  const Bytes tail = hex("05 30 00000001");
  b.insert(b.end(), tail.begin(), tail.end());
  auto r = decode_apdu(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kLimitExceeded);
}

TEST(Apdu, InvokeIdOfAndApduGet) {
  const Apdu get = GetRequest(GetRequestNext{InvokeIdAndPriority::make(5), 7});
  ASSERT_TRUE(invoke_id_of(get).has_value());
  EXPECT_EQ(invoke_id_of(get)->invoke_id(), 5);
  EXPECT_FALSE(invoke_id_of(Apdu(Rlrq{})).has_value());
  ASSERT_NE(apdu_get<GetRequestNext>(get), nullptr);
  EXPECT_EQ(apdu_get<GetRequestNext>(get)->block_number, 7u);
  EXPECT_EQ(apdu_get<GetRequestNormal>(get), nullptr);
  EXPECT_EQ(apdu_get<GetRequest>(get), &std::get<GetRequest>(get));
  EXPECT_EQ(apdu_get<Aarq>(get), nullptr);
}

TEST(InvokeIdAndPriority, PacksBits) {
  EXPECT_EQ(InvokeIdAndPriority::make(1).raw, 0xC1);
  EXPECT_EQ(InvokeIdAndPriority::make(0x0F, false, false).raw, 0x0F);
  EXPECT_EQ(InvokeIdAndPriority::make(0x12, true, false).raw, 0x42);  // id masked to 4 bits
  constexpr InvokeIdAndPriority p{0x81};
  EXPECT_TRUE(p.high_priority());
  EXPECT_FALSE(p.confirmed());
  EXPECT_EQ(p.invoke_id(), 1);
}

}  // namespace
}  // namespace vidyut::dlms
