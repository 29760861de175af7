#include "meter/single_phase.h"

#include <gtest/gtest.h>

#include <variant>

#include "dlms/cosem/is15959.h"
#include "dlms/cosem/vidyut_objects.h"

namespace vidyut::meter {
namespace {

using namespace std::chrono_literals;
using dlms::ActionResult;
using dlms::AttributeDescriptor;
using dlms::CosemDateTime;
using dlms::Data;
using dlms::DataAccessResult;
using dlms::DataTag;
using dlms::GetDataResult;
using dlms::MethodDescriptor;
namespace is = dlms::is15959;

UtcTime at(const char* iso) { return parse_iso8601(iso).value(); }

class SinglePhaseTest : public ::testing::Test {
 protected:
  ManualClock clock_{at("2026-11-23T10:00:00+05:30")};
  SinglePhaseMeter meter_{make_identity("VDY", "00012345", 42), MeterConfig{}, clock_};

  GetDataResult get(std::uint16_t sap, std::uint16_t cls, const dlms::Obis& ln, std::int8_t attr,
                    std::optional<dlms::SelectiveAccess> access = std::nullopt) {
    return meter_.device().get({sap, clock_.now()}, AttributeDescriptor{cls, ln, attr}, access);
  }
  Data get_ok(std::uint16_t sap, std::uint16_t cls, const dlms::Obis& ln, std::int8_t attr,
              std::optional<dlms::SelectiveAccess> access = std::nullopt) {
    GetDataResult r = get(sap, cls, ln, attr, std::move(access));
    EXPECT_TRUE(std::holds_alternative<Data>(r)) << ln.to_string() << " attr " << int(attr);
    return std::holds_alternative<Data>(r) ? std::get<Data>(r) : Data();
  }
  dlms::cosem::ActionOutcome act(std::uint16_t sap, std::int8_t method) {
    return meter_.device().action({sap, clock_.now()},
                                  MethodDescriptor{70, is::kDisconnectControl, method},
                                  Data::integer(0));
  }
};

TEST_F(SinglePhaseTest, LogicalDeviceNameIsSixteenCharacters) {
  EXPECT_EQ(meter_.logical_device_name(), "VDY0000000012345");
  const Data v = get_ok(is::kSapPublic, 1, is::kLogicalDeviceName, 2);
  ASSERT_NE(v.as_octets(), nullptr);
  EXPECT_EQ(std::string(v.as_octets()->begin(), v.as_octets()->end()), "VDY0000000012345");
}

TEST_F(SinglePhaseTest, EveryObjectAnswersAttributeTwoForMeterReader) {
  std::size_t n = 0;
  for (const auto& obj : meter_.device().objects()) {
    GetDataResult r = get(is::kSapMeterReader, obj->class_id(), obj->logical_name(), 2);
    ASSERT_TRUE(std::holds_alternative<Data>(r)) << obj->logical_name().to_string();
    const Data& d = std::get<Data>(r);
    if (obj->class_id() == 7) {
      EXPECT_EQ(d.tag(), DataTag::kArray) << obj->logical_name().to_string();
    }
    ++n;
  }
  EXPECT_GT(n, 60u);
  // Types pinned for the main registers.
  EXPECT_EQ(get_ok(32, 3, is::kVoltage, 2).tag(), DataTag::kLongUnsigned);
  EXPECT_EQ(get_ok(32, 3, is::kPowerFactor, 2).tag(), DataTag::kLong);
  EXPECT_EQ(get_ok(32, 3, is::kEnergyImportKwh, 2).tag(), DataTag::kDoubleLongUnsigned);
  EXPECT_EQ(get_ok(32, 4, is::kMaxDemandKw, 5).tag(), DataTag::kOctetString);
  EXPECT_EQ(get_ok(32, 8, is::kClock, 2).tag(), DataTag::kOctetString);
  EXPECT_EQ(get_ok(32, 1, is::kEventStatusWord, 2).tag(), DataTag::kBitString);
  EXPECT_EQ(get_ok(32, 1, is::kEventStatusWord, 2).as_bits()->bits, 128u);
  EXPECT_EQ(get_ok(32, 70, is::kDisconnectControl, 2), Data::boolean(true));
  EXPECT_EQ(get_ok(32, 1, is::kSerialNumber, 2), Data::visible_string("00012345"));
  // Every profile in the catalogue's single-phase list is hosted.
  for (const auto& ln :
       {is::kInstantaneousProfile, is::kInstantaneousScaler, is::kBlockLoadProfile,
        is::kBlockLoadScaler, is::kDailyLoadProfile, is::kDailyLoadScaler, is::kBillingProfile,
        is::kBillingScaler, is::kNamePlateProfile, is::kEventScaler}) {
    EXPECT_NE(meter_.device().find(7, ln), nullptr) << ln.to_string();
  }
  for (std::uint8_t l = 0; l < 7; ++l) {
    EXPECT_NE(meter_.device().find(7, is::event_log_obis(static_cast<is::EventLog>(l))), nullptr);
  }
}

TEST_F(SinglePhaseTest, RegisterEqualsMeterAndScalerProfileMatches) {
  const Data kwh = get_ok(32, 3, is::kEnergyImportKwh, 2);
  EXPECT_EQ(static_cast<std::int64_t>(*kwh.as_uint()), meter_.meter().registers_now().import_wh);
  const Data scaler = get_ok(32, 3, is::kVoltage, 3);
  EXPECT_EQ(scaler, (dlms::cosem::ScalerUnit{-1, dlms::cosem::Unit::kVolt}.to_data()));
  const Data sp = get_ok(32, 7, is::kInstantaneousScaler, 2);
  ASSERT_EQ(sp.as_list()->size(), 1u);
}

TEST_F(SinglePhaseTest, PublicClientSeesOnlyItsAllowList) {
  EXPECT_TRUE(std::holds_alternative<Data>(get(16, 8, is::kClock, 2)));
  EXPECT_TRUE(std::holds_alternative<Data>(get(16, 1, is::kInvocationCounter, 2)));
  EXPECT_TRUE(std::holds_alternative<Data>(get(16, 15, is::kAssociationPublic, 2)));
  EXPECT_EQ(get(16, 3, is::kEnergyImportKwh, 2), GetDataResult(DataAccessResult::kObjectUndefined));
  EXPECT_EQ(get(16, 7, is::kBlockLoadProfile, 2),
            GetDataResult(DataAccessResult::kObjectUndefined));
}

TEST_F(SinglePhaseTest, RelayActionsNeedTheUtilityAssociation) {
  EXPECT_EQ(act(is::kSapPublic, 1).result, ActionResult::kObjectUndefined);
  EXPECT_EQ(act(is::kSapMeterReader, 1).result, ActionResult::kReadWriteDenied);
  EXPECT_TRUE(meter_.meter().relay_connected());
  EXPECT_TRUE(meter_.meter().relay_history().empty());

  ASSERT_EQ(act(is::kSapUtility, 1).result, ActionResult::kSuccess);
  EXPECT_FALSE(meter_.meter().relay_connected());
  EXPECT_EQ(get_ok(32, 70, is::kDisconnectControl, 3), Data::enumerated(0));
  const auto before = meter_.meter().registers_now();
  clock_.advance(2h);
  EXPECT_EQ(meter_.meter().registers_now(), before);
  EXPECT_EQ(*get_ok(32, 3, is::kActivePower, 2).as_uint(), 0u);
  ASSERT_EQ(act(is::kSapUtility, 2).result, ActionResult::kSuccess);
  EXPECT_TRUE(meter_.meter().relay_connected());

  // The control log shows 301 then 302 at meter time.
  const Data log = get_ok(32, 7, is::event_log_obis(is::EventLog::kControl), 2);
  ASSERT_EQ(log.as_list()->size(), 2u);
  EXPECT_EQ(*log.at(0)->at(1), Data::long_unsigned(301));
  EXPECT_EQ(*log.at(1)->at(1), Data::long_unsigned(302));
  EXPECT_EQ(*log.at(0)->at(0),
            Data::date_time_octets(CosemDateTime::from_utc(at("2026-11-23T10:00:00+05:30"))));
}

TEST_F(SinglePhaseTest, RelaySwitchedBehindTheObjectIsReportedAndReconnectable) {
  ASSERT_TRUE(meter_.meter().disconnect());
  EXPECT_EQ(get_ok(32, 70, is::kDisconnectControl, 2), Data::boolean(false));
  ASSERT_EQ(act(is::kSapUtility, 2).result, ActionResult::kSuccess);
  EXPECT_TRUE(meter_.meter().relay_connected());
}

// A remote disconnect that finds the relay already open (the limiter opened it) still counts
// as an operation on the relay, so that the limiter does not reclose it after its lockout.
TEST_F(SinglePhaseTest, ARemoteDisconnectOfAnOpenRelayCountsAsAnOperation) {
  ASSERT_TRUE(meter_.meter().disconnect());
  const auto ops = meter_.meter().relay_operations();
  ASSERT_EQ(act(is::kSapUtility, 1).result, ActionResult::kSuccess);
  EXPECT_FALSE(meter_.meter().relay_connected());
  EXPECT_GT(meter_.meter().relay_operations(), ops);
}

TEST_F(SinglePhaseTest, BlockLoadRangeReadMatchesTheMeter) {
  const auto access =
      dlms::make_range_access(CosemDateTime::from_utc(at("2026-11-22T00:00:00+05:30")),
                              CosemDateTime::from_utc(at("2026-11-22T23:45:00+05:30")));
  const Data rows = get_ok(32, 7, is::kBlockLoadProfile, 2, access);
  ASSERT_EQ(rows.as_list()->size(), 96u);
  const auto blocks =
      meter_.meter().block_load(at("2026-11-22T00:00:00+05:30"), at("2026-11-22T23:45:00+05:30"));
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const Data& row = rows.as_list()->at(i);
    ASSERT_EQ(row.as_list()->size(), 7u);
    EXPECT_EQ(*row.at(0), Data::date_time_octets(CosemDateTime::from_utc(blocks[i].stamp)));
    EXPECT_EQ(*row.at(2)->as_uint(), static_cast<std::uint64_t>(blocks[i].import_wh));
    sum += *row.at(2)->as_uint();
  }
  // Daily rows bracket the day: their kWh difference is the day's block sum.
  const auto daily_access =
      dlms::make_range_access(CosemDateTime::from_utc(at("2026-11-22T00:00:00+05:30")),
                              CosemDateTime::from_utc(at("2026-11-23T00:00:00+05:30")));
  const Data days = get_ok(32, 7, is::kDailyLoadProfile, 2, daily_access);
  ASSERT_EQ(days.as_list()->size(), 2u);
  EXPECT_EQ(*days.at(1)->at(1)->as_uint() - *days.at(0)->at(1)->as_uint(), sum);
  // Repeated read is identical.
  EXPECT_EQ(get_ok(32, 7, is::kBlockLoadProfile, 2, access), rows);
  EXPECT_EQ(*get_ok(32, 7, is::kBlockLoadProfile, 7).as_uint(), 45u * 96);
}

TEST_F(SinglePhaseTest, UtilityWritesClockCapturePeriodAndPaymentMode) {
  const auto ctx = dlms::cosem::AccessContext{is::kSapUtility, clock_.now()};
  const Data t = Data::date_time_octets(CosemDateTime::from_utc(clock_.now() + 42s));
  EXPECT_EQ(meter_.device().set({32, clock_.now()}, {8, is::kClock, 2}, t),
            DataAccessResult::kReadWriteDenied);
  EXPECT_EQ(meter_.device().set(ctx, {8, is::kClock, 2}, t), DataAccessResult::kSuccess);
  EXPECT_EQ(meter_.meter().clock_offset(), 42'000ms);
  EXPECT_EQ(meter_.meter().events(is::EventLog::kTransaction).back().code, event_code::kClockSet);

  EXPECT_EQ(
      meter_.device().set(ctx, {1, is::kBlockLoadCapturePeriod, 2}, Data::long_unsigned(1800)),
      DataAccessResult::kSuccess);
  EXPECT_EQ(meter_.meter().capture_period_s(), 1800u);
  EXPECT_EQ(get_ok(32, 7, is::kBlockLoadProfile, 4), Data::double_long_unsigned(1800));
  EXPECT_EQ(
      meter_.device().set(ctx, {1, is::kBlockLoadCapturePeriod, 2}, Data::long_unsigned(1000)),
      DataAccessResult::kOtherReason);

  EXPECT_EQ(meter_.device().set(ctx, {1, is::kPaymentMode, 2}, Data::enumerated(0)),
            DataAccessResult::kSuccess);
  EXPECT_EQ(meter_.meter().prepaid().payment_mode, 0);
  EXPECT_EQ(meter_.device().set(ctx, {1, is::kCurrentBalance, 2}, Data::double_long(5)),
            DataAccessResult::kObjectClassInconsistent);
}

TEST_F(SinglePhaseTest, ClockDriftShowsInClockAttribute) {
  MeterConfig cfg;
  cfg.clock_offset = -95s;
  SinglePhaseMeter slow(make_identity("VDY", "7", 7), cfg, clock_);
  const GetDataResult r =
      slow.device().get({32, clock_.now()}, AttributeDescriptor{8, is::kClock, 2}, std::nullopt);
  ASSERT_TRUE(std::holds_alternative<Data>(r));
  EXPECT_EQ(std::get<Data>(r).as_date_time()->to_utc().value(), clock_.now() - 95s);
  slow.set_meter_time(clock_.now());
  const GetDataResult r2 =
      slow.device().get({32, clock_.now()}, AttributeDescriptor{8, is::kClock, 2}, std::nullopt);
  EXPECT_EQ(std::get<Data>(r2).as_date_time()->to_utc().value(), clock_.now());
}

TEST_F(SinglePhaseTest, TheTokenLogIsReadByRangeLikeTheOtherProfiles) {
  namespace vo = dlms::vidyut_objects;
  const MeterSecrets sec = default_secrets();
  const token::TokenKey k =
      token::derive_token_key(sec.authentication_key, meter_.meter().identity().system_title);
  ASSERT_TRUE(meter_.meter().disconnect());
  EXPECT_EQ(get_ok(32, 70, is::kDisconnectControl, 2), Data::boolean(false));
  clock_.advance(10min);
  const UtcTime first = clock_.now();
  const auto t1 = token::encode_token(k, {11, 750, token::ist_day(first)}).value();
  ASSERT_TRUE(meter_.meter().enter_token(k, t1).decision.accepted());
  clock_.advance(1h);
  const auto t2 = token::encode_token(k, {12, 50'000, token::ist_day(first)}).value();
  ASSERT_TRUE(meter_.meter().enter_token(k, t2).decision.accepted());

  // The relay, as disconnect control reports it, is closed again.
  EXPECT_EQ(get_ok(32, 70, is::kDisconnectControl, 2), Data::boolean(true));
  EXPECT_EQ(get_ok(32, 70, is::kDisconnectControl, 3), Data::enumerated(1));

  // Capture objects: clock, sequence, amount.
  const Data cols = get_ok(is::kSapUtility, 7, vo::kTokenLog, 3);
  ASSERT_EQ(cols.as_list()->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(cols.as_list()->at(i), vo::token_log_columns()[i].to_data());
  }
  EXPECT_EQ(*get_ok(is::kSapUtility, 7, vo::kTokenLog, 7).as_uint(), 2u);

  // A range read by the utility: both rows, typed as documented.
  const auto all = dlms::make_range_access(CosemDateTime::from_utc(first - 1h),
                                           CosemDateTime::from_utc(clock_.now()));
  const Data rows = get_ok(is::kSapUtility, 7, vo::kTokenLog, 2, all);
  ASSERT_EQ(rows.as_list()->size(), 2u);
  EXPECT_EQ(*rows.at(0)->at(0), Data::date_time_octets(CosemDateTime::from_utc(first)));
  EXPECT_EQ(*rows.at(0)->at(1), Data::long_unsigned(11));
  EXPECT_EQ(*rows.at(0)->at(2), Data::double_long_unsigned(750));
  EXPECT_EQ(*rows.at(1)->at(1), Data::long_unsigned(12));
  EXPECT_EQ(*rows.at(1)->at(2), Data::double_long_unsigned(50'000));
  // A range that holds only the second row, and one that holds none.
  const auto later = dlms::make_range_access(CosemDateTime::from_utc(first + 1min),
                                             CosemDateTime::from_utc(clock_.now()));
  EXPECT_EQ(get_ok(is::kSapUtility, 7, vo::kTokenLog, 2, later).as_list()->size(), 1u);
  const auto before = dlms::make_range_access(CosemDateTime::from_utc(first - 2h),
                                              CosemDateTime::from_utc(first - 1h));
  EXPECT_EQ(get_ok(is::kSapUtility, 7, vo::kTokenLog, 2, before).as_list()->size(), 0u);
  // The columns' own objects show the last token.
  EXPECT_EQ(get_ok(32, 1, vo::kTokenSequence, 2), Data::long_unsigned(12));
  EXPECT_EQ(get_ok(32, 1, vo::kTokenAmount, 2), Data::double_long_unsigned(50'000));
  // Not for the public client.
  EXPECT_EQ(get(is::kSapPublic, 7, vo::kTokenLog, 2),
            GetDataResult(DataAccessResult::kObjectUndefined));
  // The control log shows the local reconnection.
  const Data control = get_ok(32, 7, is::event_log_obis(is::EventLog::kControl), 2);
  EXPECT_EQ(*control.as_list()->back().at(1), Data::long_unsigned(302));
}

}  // namespace
}  // namespace vidyut::meter
