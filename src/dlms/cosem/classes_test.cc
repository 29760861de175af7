// Association LN (15), Push setup (40) and Limiter (71).
#include <gtest/gtest.h>

#include "dlms/cosem/association_ln.h"
#include "dlms/cosem/limiter.h"
#include "dlms/cosem/logical_device.h"
#include "dlms/cosem/push_setup.h"

namespace vidyut::dlms::cosem {
namespace {

const AccessContext kCtx{48, UtcTime{std::chrono::milliseconds{1'795'409'100'000}}};

Data get_ok(CosemObject& o, std::int8_t attr) {
  auto r = o.get(attr, std::nullopt, kCtx);
  EXPECT_TRUE(std::holds_alternative<Data>(r)) << int(attr);
  return std::holds_alternative<Data>(r) ? std::get<Data>(r) : Data();
}
DataAccessResult get_err(CosemObject& o, std::int8_t attr) {
  auto r = o.get(attr, std::nullopt, kCtx);
  return std::holds_alternative<DataAccessResult>(r) ? std::get<DataAccessResult>(r)
                                                     : DataAccessResult::kSuccess;
}

TEST(AssociationLnTest, Attributes) {
  LogicalDevice ld;
  auto& a = ld.emplace<AssociationLn>(Obis{0, 0, 40, 0, 3, 255}, ld, std::uint16_t{48}, 1, 5, true);
  ld.set_client_defaults(48, AttributeAccess::kRead, MethodAccess::kAccess);
  EXPECT_EQ(a.class_id(), 15);
  EXPECT_EQ(a.version(), 1);
  EXPECT_EQ(a.attribute_count(), 9);
  EXPECT_EQ(get_ok(a, 2), ld.object_list(48));
  EXPECT_EQ(get_ok(a, 3), Data::structure({Data::integer(48), Data::long_unsigned(1)}));
  // Application context LN with ciphering 2.16.756.5.8.1.3; mechanism HLS-GMAC 2.16.756.5.8.2.5
  // (BER contents of the OIDs, per the Green Book AARQ encoding).
  EXPECT_EQ(get_ok(a, 4), Data::octet_string({0x60, 0x85, 0x74, 0x05, 0x08, 0x01, 0x03}));
  EXPECT_EQ(get_ok(a, 6), Data::octet_string({0x60, 0x85, 0x74, 0x05, 0x08, 0x02, 0x05}));
  EXPECT_EQ(get_err(a, 7), DataAccessResult::kReadWriteDenied);
  EXPECT_EQ(get_ok(a, 8), Data::enumerated(0));
  a.set_status(AssociationStatus::kAssociated);
  EXPECT_EQ(get_ok(a, 8), Data::enumerated(2));
  EXPECT_EQ(get_ok(a, 9), Data::octet_string({0, 0, 43, 0, 0, 255}));
  XdlmsContextInfo info;
  info.conformance = 0x00101D;
  a.set_context_info(info);
  Data ci = get_ok(a, 5);
  ASSERT_NE(ci.at(0), nullptr);
  ASSERT_NE(ci.at(0)->as_bits(), nullptr);
  EXPECT_EQ(ci.at(0)->as_bits()->bits, 24u);
  EXPECT_EQ(ci.at(0)->as_bits()->bytes, (Bytes{0x00, 0x10, 0x1D}));
  EXPECT_EQ(*ci.at(1), Data::long_unsigned(1024));
  EXPECT_EQ(*ci.at(3), Data::unsigned_(6));
}

TEST(AssociationLnTest, SecretAndHlsHooks) {
  LogicalDevice ld;
  AssociationLn a(Obis{0, 0, 40, 0, 3, 255}, ld, std::uint16_t{48});
  EXPECT_EQ(a.set(7, Data::octet_string({1, 2}), kCtx), DataAccessResult::kReadWriteDenied);
  Bytes secret;
  a.set_secret_sink([&](const Bytes& s, const AccessContext&) {
    secret = s;
    return DataAccessResult::kSuccess;
  });
  EXPECT_EQ(a.set(7, Data::octet_string({1, 2}), kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(secret, (Bytes{1, 2}));
  EXPECT_EQ(a.set(7, Data::visible_string("x"), kCtx), DataAccessResult::kTypeUnmatched);
  EXPECT_EQ(a.set(8, Data::enumerated(2), kCtx), DataAccessResult::kReadWriteDenied);

  EXPECT_EQ(a.action(1, Data::octet_string({9}), kCtx).result, ActionResult::kReadWriteDenied);
  a.set_method_hook(1, [](const std::optional<Data>& p, const AccessContext&) {
    return ActionOutcome::ok(Data::octet_string(*p->as_octets()));
  });
  auto out = a.action(1, Data::octet_string({9}), kCtx);
  EXPECT_EQ(out.result, ActionResult::kSuccess);
  EXPECT_EQ(out.return_value, Data::octet_string({9}));
  EXPECT_EQ(a.action(3, Data(), kCtx).result, ActionResult::kOtherReason);
  EXPECT_EQ(a.action(5, Data(), kCtx).result, ActionResult::kObjectUndefined);
}

TEST(AssociationLnTest, MechanismNames) {
  EXPECT_EQ(mechanism_name(1), (Bytes{0x60, 0x85, 0x74, 0x05, 0x08, 0x02, 0x01}));
  EXPECT_EQ(context_ln_no_ciphering().back(), 0x01);
}

const std::vector<CaptureObjectDefinition> kAlertObjects{
    {1, Obis{0, 0, 96, 1, 0, 255}, 2, 0},
    {40, Obis{0, 4, 25, 9, 0, 255}, 1, 0},
    {8, Obis{0, 0, 1, 0, 0, 255}, 2, 0},
    {1, Obis{0, 0, 94, 91, 18, 255}, 2, 0},
};

TEST(PushSetupTest, AttributesRoundTrip) {
  PushSetup p(Obis{0, 4, 25, 9, 0, 255}, kAlertObjects);
  EXPECT_EQ(p.class_id(), 40);
  Data list = get_ok(p, 2);
  ASSERT_EQ(list.as_list()->size(), 4u);
  EXPECT_EQ(*list.at(3), kAlertObjects[3].to_data());
  EXPECT_EQ(p.set(2, list, kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(p.push_object_list(), kAlertObjects);

  Data dest = Data::structure(
      {Data::enumerated(0), Data::octet_string({'h', ':', '1'}), Data::enumerated(0)});
  EXPECT_EQ(p.set(3, dest, kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(get_ok(p, 3), dest);
  EXPECT_EQ(p.set(3, Data::structure({Data::enumerated(0)}), kCtx),
            DataAccessResult::kTypeUnmatched);

  CosemDateTime s = CosemDateTime::from_utc(kCtx.now);
  Data windows =
      Data::array({Data::structure({Data::date_time_octets(s), Data::date_time_octets(s)})});
  EXPECT_EQ(p.set(4, windows, kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(get_ok(p, 4), windows);
  EXPECT_EQ(p.set(5, Data::long_unsigned(30), kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(p.set(6, Data::unsigned_(3), kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(p.set(7, Data::long_unsigned(60), kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(get_ok(p, 5), Data::long_unsigned(30));
  EXPECT_EQ(get_ok(p, 6), Data::unsigned_(3));
  EXPECT_EQ(get_ok(p, 7), Data::long_unsigned(60));
  EXPECT_EQ(p.set(6, Data::long_unsigned(3), kCtx), DataAccessResult::kTypeUnmatched);
}

TEST(PushSetupTest, SetLimitsAndBadElements) {
  PushSetup p(Obis{0, 0, 25, 9, 0, 255}, {});
  DataList many(kMaxPushObjects + 1, kAlertObjects[0].to_data());
  EXPECT_EQ(p.set(2, Data::array(many), kCtx), DataAccessResult::kOtherReason);
  many.pop_back();
  EXPECT_EQ(p.set(2, Data::array(many), kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(p.set(2, Data::array({Data::integer(1)}), kCtx), DataAccessResult::kTypeUnmatched);
  EXPECT_EQ(p.push_object_list().size(), kMaxPushObjects);  // unchanged by the failed SET
  DataList windows(kMaxCommunicationWindows + 1);
  EXPECT_EQ(p.set(4, Data::array(windows), kCtx), DataAccessResult::kOtherReason);
}

TEST(PushSetupTest, PushMethodCallsHandler) {
  PushSetup p(Obis{0, 4, 25, 9, 0, 255}, kAlertObjects);
  EXPECT_EQ(p.action(1, Data::integer(0), kCtx).result, ActionResult::kTemporaryFailure);
  int pushes = 0;
  p.set_handler([&](PushSetup& self, const AccessContext&) {
    ++pushes;
    EXPECT_EQ(self.push_object_list().size(), 4u);
    return ActionResult::kSuccess;
  });
  EXPECT_EQ(p.action(1, Data::integer(0), kCtx).result, ActionResult::kSuccess);
  EXPECT_EQ(pushes, 1);
}

TEST(LimiterTest, AttributesAndActiveThreshold) {
  Limiter l;
  EXPECT_EQ(l.class_id(), 71);
  EXPECT_EQ(l.logical_name(), (Obis{0, 0, 17, 0, 0, 255}));
  EXPECT_EQ(l.set(4, Data::double_long_unsigned(5000), kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(l.set(5, Data::double_long_unsigned(2000), kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(get_ok(l, 3), Data::double_long_unsigned(5000));
  l.set_emergency_profile_active(true);
  EXPECT_EQ(get_ok(l, 3), Data::double_long_unsigned(2000));
  EXPECT_EQ(get_ok(l, 10), Data::boolean(true));
  EXPECT_EQ(l.set(3, Data::double_long_unsigned(1), kCtx), DataAccessResult::kReadWriteDenied);
  EXPECT_EQ(l.set(10, Data::boolean(false), kCtx), DataAccessResult::kReadWriteDenied);
  EXPECT_EQ(l.set(4, Data::structure({}), kCtx), DataAccessResult::kTypeUnmatched);

  Data mv = Data::structure(
      {Data::long_unsigned(3), Data::octet_string({1, 0, 9, 7, 0, 255}), Data::integer(2)});
  EXPECT_EQ(l.set(2, mv, kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(get_ok(l, 2), mv);
  EXPECT_EQ(l.monitored_value().logical_name, (Obis{1, 0, 9, 7, 0, 255}));
  EXPECT_EQ(
      l.set(2, Data::structure({Data::long_unsigned(3), Data::octet_string({1}), Data::integer(2)}),
            kCtx),
      DataAccessResult::kTypeUnmatched);

  EXPECT_EQ(l.set(6, Data::double_long_unsigned(60), kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(l.set(7, Data::double_long_unsigned(30), kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(l.min_over_threshold_duration(), 60u);
  EXPECT_EQ(get_ok(l, 7), Data::double_long_unsigned(30));

  Data ep = Data::structure({Data::long_unsigned(7),
                             Data::date_time_octets(CosemDateTime::from_utc(kCtx.now)),
                             Data::double_long_unsigned(3600)});
  EXPECT_EQ(l.set(8, ep, kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(get_ok(l, 8), ep);
  Data groups = Data::array({Data::long_unsigned(1), Data::long_unsigned(2)});
  EXPECT_EQ(l.set(9, groups, kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(get_ok(l, 9), groups);
  EXPECT_EQ(l.set(9, Data::array(DataList(kMaxEmergencyGroups + 1, Data::long_unsigned(1))), kCtx),
            DataAccessResult::kOtherReason);
  Data item = Data::structure({Data::octet_string({0, 0, 10, 0, 0, 255}), Data::long_unsigned(1)});
  Data actions = Data::structure({item, item});
  EXPECT_EQ(l.set(11, actions, kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(get_ok(l, 11), actions);
  EXPECT_EQ(l.set(11, Data::structure({item}), kCtx), DataAccessResult::kTypeUnmatched);
  EXPECT_EQ(l.action(1, Data(), kCtx).result, ActionResult::kObjectUndefined);
}

}  // namespace
}  // namespace vidyut::dlms::cosem
