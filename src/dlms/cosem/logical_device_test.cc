#include "dlms/cosem/logical_device.h"

#include <gtest/gtest.h>

#include "dlms/cosem/association_ln.h"
#include "dlms/cosem/disconnect_control.h"
#include "dlms/cosem/register.h"

namespace vidyut::dlms::cosem {
namespace {

constexpr Obis kSerial{0, 0, 96, 1, 0, 255};
constexpr Obis kVolt{1, 0, 12, 7, 0, 255};
constexpr Obis kRelay{0, 0, 96, 3, 10, 255};

DataAccessResult result_of(const GetDataResult& r) {
  return std::holds_alternative<DataAccessResult>(r) ? std::get<DataAccessResult>(r)
                                                     : DataAccessResult::kSuccess;
}

// The three IS 15959 reading associations: public reads two objects, the meter reader reads
// everything and writes nothing, utility settings reads, writes and acts on everything.
class LogicalDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ld.emplace<DataObject>(kSerial, Data::visible_string("ABC0001"));
    ld.emplace<Register>(kVolt, ScalerUnit{-1, Unit::kVolt}, Data::long_unsigned(2314));
    ld.emplace<DisconnectControl>(4);
    ld.set_client_defaults(16, AttributeAccess::kNone, MethodAccess::kNone);
    ld.allow_read(16, 1, kSerial);
    ld.set_attribute_access(16, 3, kVolt, 2, AttributeAccess::kRead);
    ld.set_client_defaults(32, AttributeAccess::kRead, MethodAccess::kNone);
    ld.set_client_defaults(48, AttributeAccess::kReadWrite, MethodAccess::kAccess);
  }
  AccessContext ctx(std::uint16_t sap) { return AccessContext{sap, UtcTime{}}; }
  LogicalDevice ld;
};

TEST_F(LogicalDeviceTest, AddRejectsDuplicateClassAndName) {
  EXPECT_EQ(ld.add(std::make_unique<DataObject>(kSerial)), nullptr);
  EXPECT_NE(ld.add(std::make_unique<Register>(kSerial, ScalerUnit{})), nullptr);  // other class
  EXPECT_EQ(ld.objects().size(), 4u);
  EXPECT_EQ(ld.add(nullptr), nullptr);
}

TEST_F(LogicalDeviceTest, FindByClassAndName) {
  EXPECT_NE(ld.find(3, kVolt), nullptr);
  EXPECT_EQ(ld.find(1, kVolt), nullptr);
  EXPECT_EQ(ld.find(kVolt)->class_id(), 3);
  EXPECT_NE(ld.find_as<Register>(kVolt), nullptr);
  EXPECT_EQ(ld.find_as<DisconnectControl>(kVolt), nullptr);
}

TEST_F(LogicalDeviceTest, PublicClientReadsOnlyGrantedAttributes) {
  auto r = ld.get(ctx(16), {1, kSerial, 2}, std::nullopt);
  ASSERT_TRUE(std::holds_alternative<Data>(r));
  EXPECT_EQ(std::get<Data>(r), Data::visible_string("ABC0001"));
  EXPECT_EQ(std::get<Data>(ld.get(ctx(16), {3, kVolt, 2}, std::nullopt)),
            Data::long_unsigned(2314));
  // Visible object, attribute not granted.
  EXPECT_EQ(result_of(ld.get(ctx(16), {3, kVolt, 3}, std::nullopt)),
            DataAccessResult::kReadWriteDenied);
  // Invisible object: as if it did not exist.
  EXPECT_EQ(result_of(ld.get(ctx(16), {70, kRelay, 2}, std::nullopt)),
            DataAccessResult::kObjectUndefined);
  EXPECT_EQ(ld.set(ctx(16), {1, kSerial, 2}, Data::visible_string("X")),
            DataAccessResult::kReadWriteDenied);
  EXPECT_EQ(ld.action(ctx(16), {70, kRelay, 1}, Data::integer(0)).result,
            ActionResult::kObjectUndefined);
}

TEST_F(LogicalDeviceTest, MeterReaderReadsAllWritesNothing) {
  EXPECT_EQ(result_of(ld.get(ctx(32), {70, kRelay, 3}, std::nullopt)), DataAccessResult::kSuccess);
  EXPECT_EQ(result_of(ld.get(ctx(32), {3, kVolt, 3}, std::nullopt)), DataAccessResult::kSuccess);
  EXPECT_EQ(ld.set(ctx(32), {70, kRelay, 4}, Data::enumerated(1)),
            DataAccessResult::kReadWriteDenied);
  EXPECT_EQ(ld.action(ctx(32), {70, kRelay, 1}, Data::integer(0)).result,
            ActionResult::kReadWriteDenied);
}

TEST_F(LogicalDeviceTest, UtilityClientWritesAndActs) {
  EXPECT_EQ(ld.set(ctx(48), {70, kRelay, 4}, Data::enumerated(1)), DataAccessResult::kSuccess);
  EXPECT_EQ(ld.action(ctx(48), {70, kRelay, 1}, Data::integer(0)).result, ActionResult::kSuccess);
  EXPECT_EQ(std::get<Data>(ld.get(ctx(48), {70, kRelay, 3}, std::nullopt)), Data::enumerated(0));
  // Object-level rights still apply: attribute 1 is read-only in every class.
  EXPECT_EQ(ld.set(ctx(48), {70, kRelay, 1}, Data::octet_string({1, 2, 3, 4, 5, 6})),
            DataAccessResult::kReadWriteDenied);
}

TEST_F(LogicalDeviceTest, UnknownClientIsScopeViolation) {
  EXPECT_EQ(result_of(ld.get(ctx(99), {1, kSerial, 2}, std::nullopt)),
            DataAccessResult::kScopeOfAccessViolated);
  EXPECT_EQ(ld.set(ctx(99), {1, kSerial, 2}, Data()), DataAccessResult::kScopeOfAccessViolated);
  EXPECT_EQ(ld.action(ctx(99), {70, kRelay, 1}, std::nullopt).result,
            ActionResult::kScopeOfAccessViolated);
}

TEST_F(LogicalDeviceTest, MissingObjectAttributeMethodAndWrongClass) {
  EXPECT_EQ(result_of(ld.get(ctx(48), {1, Obis{9, 9, 9, 9, 9, 9}, 2}, std::nullopt)),
            DataAccessResult::kObjectUndefined);
  EXPECT_EQ(result_of(ld.get(ctx(48), {3, kVolt, 4}, std::nullopt)),
            DataAccessResult::kObjectUndefined);
  EXPECT_EQ(result_of(ld.get(ctx(48), {3, kVolt, 0}, std::nullopt)),
            DataAccessResult::kObjectUndefined);
  EXPECT_EQ(result_of(ld.get(ctx(48), {4, kVolt, 2}, std::nullopt)),
            DataAccessResult::kObjectClassInconsistent);
  EXPECT_EQ(ld.set(ctx(48), {4, kVolt, 2}, Data()), DataAccessResult::kObjectClassInconsistent);
  EXPECT_EQ(ld.action(ctx(48), {70, kRelay, 3}, std::nullopt).result,
            ActionResult::kObjectUndefined);
  EXPECT_EQ(ld.action(ctx(48), {1, kRelay, 1}, std::nullopt).result,
            ActionResult::kObjectClassInconsistent);
}

TEST_F(LogicalDeviceTest, MostSpecificRuleWins) {
  ld.set_attribute_access(32, 70, kRelay, 0, AttributeAccess::kNone);
  ld.set_attribute_access(32, 70, kRelay, 3, AttributeAccess::kRead);
  const CosemObject& relay = *ld.find(kRelay);
  EXPECT_EQ(ld.attribute_access(32, relay, 2), AttributeAccess::kNone);
  EXPECT_EQ(ld.attribute_access(32, relay, 3), AttributeAccess::kRead);
  EXPECT_EQ(ld.attribute_access(32, *ld.find(kVolt), 2), AttributeAccess::kRead);
  ld.set_method_access(32, 70, kRelay, 2, MethodAccess::kAccess);
  EXPECT_EQ(ld.method_access(32, relay, 1), MethodAccess::kNone);
  EXPECT_EQ(ld.method_access(32, relay, 2), MethodAccess::kAccess);
}

TEST_F(LogicalDeviceTest, ObjectListPerClient) {
  Data pub = ld.object_list(16);
  ASSERT_EQ(pub.as_list()->size(), 2u);
  // Element layout per Blue Book class 15 v1, byte-exact for the serial number entry.
  Data expected_serial = Data::structure(
      {Data::long_unsigned(1), Data::unsigned_(0), Data::octet_string(kSerial.to_bytes()),
       Data::structure({Data::array({
                            Data::structure({Data::integer(1), Data::enumerated(1), Data()}),
                            Data::structure({Data::integer(2), Data::enumerated(1), Data()}),
                        }),
                        Data::array({})})});
  EXPECT_EQ(*pub.at(0), expected_serial);
  // Register: attribute 1 and 3 not granted to public (kVolt granted only attribute 2).
  const Data& volt_rights = *pub.at(1)->at(3)->at(0);
  EXPECT_EQ(*volt_rights.at(0)->at(1), Data::enumerated(0));
  EXPECT_EQ(*volt_rights.at(1)->at(1), Data::enumerated(1));
  EXPECT_EQ(*volt_rights.at(2)->at(1), Data::enumerated(0));
  const Data& volt_methods = *pub.at(1)->at(3)->at(1);
  EXPECT_EQ(*volt_methods.at(0), Data::structure({Data::integer(1), Data::enumerated(0)}));

  Data util = ld.object_list(48);
  ASSERT_EQ(util.as_list()->size(), 3u);
  EXPECT_EQ(*util.at(2)->at(0), Data::long_unsigned(70));
  EXPECT_EQ(*util.at(2)->at(3)->at(0)->at(3)->at(1), Data::enumerated(3));
  EXPECT_EQ(*util.at(2)->at(3)->at(1)->at(1)->at(1), Data::enumerated(1));
  EXPECT_EQ(ld.object_list(99), Data::array({}));
}

TEST_F(LogicalDeviceTest, AssociationObjectListsForItsClientOrTheCaller) {
  ld.emplace<AssociationLn>(Obis{0, 0, 40, 0, 1, 255}, ld, std::uint16_t{16});
  ld.emplace<AssociationLn>(Obis{0, 0, 40, 0, 0, 255}, ld, std::nullopt);
  ld.set_attribute_access(16, 15, Obis{0, 0, 40, 0, 0, 255}, 0, AttributeAccess::kRead);
  auto for_public = ld.get(ctx(48), {15, Obis{0, 0, 40, 0, 1, 255}, 2}, std::nullopt);
  ASSERT_TRUE(std::holds_alternative<Data>(for_public));
  EXPECT_EQ(std::get<Data>(for_public).as_list()->size(), 3u);  // serial, volt, current assoc.
  auto current = ld.get(ctx(16), {15, Obis{0, 0, 40, 0, 0, 255}, 2}, std::nullopt);
  ASSERT_TRUE(std::holds_alternative<Data>(current));
  EXPECT_EQ(std::get<Data>(current), ld.object_list(16));
}

}  // namespace
}  // namespace vidyut::dlms::cosem
