#include "dlms/cosem/register.h"

#include <gtest/gtest.h>

namespace vidyut::dlms::cosem {
namespace {

const AccessContext kCtx{48, UtcTime{std::chrono::milliseconds{1'795'000'000'000}}};

Data get_ok(CosemObject& o, std::int8_t attr) {
  auto r = o.get(attr, std::nullopt, kCtx);
  EXPECT_TRUE(std::holds_alternative<Data>(r));
  return std::holds_alternative<Data>(r) ? std::get<Data>(r) : Data();
}
DataAccessResult get_err(CosemObject& o, std::int8_t attr,
                         std::optional<SelectiveAccess> access = std::nullopt) {
  auto r = o.get(attr, access, kCtx);
  return std::holds_alternative<DataAccessResult>(r) ? std::get<DataAccessResult>(r)
                                                     : DataAccessResult::kSuccess;
}

TEST(ScalerUnitTest, EncodesAsStructureOfIntegerAndEnum) {
  // Hand-derived from the Blue Book: scal_unit_type = structure { integer, enum }.
  // -1 V: 02 02 | 0F FF | 16 23.
  EXPECT_EQ(axdr::encode(ScalerUnit{-1, Unit::kVolt}.to_data()),
            (Bytes{0x02, 0x02, 0x0F, 0xFF, 0x16, 0x23}));
  EXPECT_EQ(ScalerUnit::from_data(ScalerUnit{-3, Unit::kAmpere}.to_data()),
            (ScalerUnit{-3, Unit::kAmpere}));
  EXPECT_FALSE(ScalerUnit::from_data(Data::structure({Data::integer(1)})));
  EXPECT_FALSE(ScalerUnit::from_data(Data::structure({Data::long_(1), Data::enumerated(35)})));
  EXPECT_FALSE(ScalerUnit::from_data(
      Data::structure({Data::integer(1), Data::enumerated(35), Data::enumerated(1)})));
  EXPECT_FALSE(ScalerUnit::from_data(Data::integer(1)));
}

TEST(UnitTest, CodesAndSymbols) {
  EXPECT_EQ(static_cast<int>(Unit::kVolt), 35);
  EXPECT_EQ(static_cast<int>(Unit::kAmpere), 33);
  EXPECT_EQ(static_cast<int>(Unit::kWatt), 27);
  EXPECT_EQ(static_cast<int>(Unit::kWattHour), 30);
  EXPECT_EQ(static_cast<int>(Unit::kHertz), 44);
  EXPECT_STREQ(unit_symbol(Unit::kVolt), "V");
  EXPECT_STREQ(unit_symbol(Unit::kVarHour), "varh");
  EXPECT_STREQ(unit_symbol(Unit::kNone), "");
  EXPECT_STREQ(unit_symbol(static_cast<Unit>(200)), "?");
}

TEST(DataObjectTest, LogicalNameAndValue) {
  DataObject d(Obis{0, 0, 96, 1, 0, 255}, Data::visible_string("ABC"));
  EXPECT_EQ(d.class_id(), 1);
  EXPECT_EQ(d.version(), 0);
  EXPECT_EQ(get_ok(d, 1), Data::octet_string({0, 0, 96, 1, 0, 255}));
  EXPECT_EQ(get_ok(d, 2), Data::visible_string("ABC"));
  EXPECT_EQ(get_err(d, 3), DataAccessResult::kObjectUndefined);
  EXPECT_EQ(get_err(d, 0), DataAccessResult::kObjectUndefined);
  EXPECT_EQ(get_err(d, -1), DataAccessResult::kObjectUndefined);
  EXPECT_EQ(get_err(d, 2, SelectiveAccess{1, Data()}), DataAccessResult::kOtherReason);
  EXPECT_EQ(get_err(d, 1, SelectiveAccess{1, Data()}), DataAccessResult::kOtherReason);
}

TEST(DataObjectTest, SetKeepsTypeAndLogicalNameIsReadOnly) {
  DataObject d(Obis{0, 0, 96, 1, 0, 255}, Data::long_unsigned(5));
  EXPECT_EQ(d.set(2, Data::long_unsigned(7), kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(get_ok(d, 2), Data::long_unsigned(7));
  EXPECT_EQ(d.set(2, Data::visible_string("x"), kCtx), DataAccessResult::kTypeUnmatched);
  EXPECT_EQ(d.set(1, Data::octet_string({1, 1, 1, 1, 1, 1}), kCtx),
            DataAccessResult::kReadWriteDenied);
  EXPECT_EQ(d.set(3, Data(), kCtx), DataAccessResult::kObjectUndefined);
  EXPECT_EQ(d.action(1, std::nullopt, kCtx).result, ActionResult::kObjectUndefined);
}

TEST(DataObjectTest, SourceAndSink) {
  DataObject d(Obis{0, 0, 96, 1, 0, 255});
  d.set_source([](const AccessContext& c) { return Data::long_unsigned(c.client_sap); });
  EXPECT_EQ(get_ok(d, 2), Data::long_unsigned(48));
  EXPECT_EQ(d.set(2, Data::long_unsigned(1), kCtx), DataAccessResult::kReadWriteDenied);
  Data written;
  d.set_sink([&](const Data& v, const AccessContext&) {
    written = v;
    return DataAccessResult::kSuccess;
  });
  EXPECT_EQ(d.set(2, Data::long_unsigned(9), kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(written, Data::long_unsigned(9));
}

TEST(RegisterTest, ValueScalerUnitAndReset) {
  Register r(Obis{1, 0, 1, 8, 0, 255}, {0, Unit::kWattHour}, Data::double_long_unsigned(123456));
  EXPECT_EQ(r.class_id(), 3);
  EXPECT_EQ(get_ok(r, 2), Data::double_long_unsigned(123456));
  EXPECT_EQ(get_ok(r, 3), Data::structure({Data::integer(0), Data::enumerated(30)}));
  EXPECT_EQ(r.set(3, ScalerUnit{}.to_data(), kCtx), DataAccessResult::kReadWriteDenied);
  EXPECT_EQ(get_err(r, 4), DataAccessResult::kObjectUndefined);
  EXPECT_EQ(r.action(1, Data::integer(0), kCtx).result, ActionResult::kSuccess);
  EXPECT_EQ(get_ok(r, 2), Data::double_long_unsigned(0));
  EXPECT_EQ(r.action(2, Data::integer(0), kCtx).result, ActionResult::kObjectUndefined);
}

TEST(ExtendedRegisterTest, StatusAndCaptureTime) {
  ExtendedRegister md(Obis{1, 0, 1, 6, 0, 255}, {0, Unit::kWatt}, Data::double_long_unsigned(4200));
  EXPECT_EQ(md.class_id(), 4);
  CosemDateTime t = CosemDateTime::from_utc(UtcTime{std::chrono::milliseconds{1'790'000'000'000}});
  md.set_capture_time(t);
  md.set_status(Data::unsigned_(0));
  EXPECT_EQ(get_ok(md, 4), Data::unsigned_(0));
  EXPECT_EQ(get_ok(md, 5), Data::date_time_octets(t));
  EXPECT_EQ(get_ok(md, 3), Data::structure({Data::integer(0), Data::enumerated(27)}));
  EXPECT_EQ(md.action(1, Data::integer(0), kCtx).result, ActionResult::kSuccess);
  EXPECT_EQ(get_ok(md, 2), Data::double_long_unsigned(0));
  EXPECT_EQ(md.capture_time(), CosemDateTime::from_utc(kCtx.now));
}

}  // namespace
}  // namespace vidyut::dlms::cosem
