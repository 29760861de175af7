#include "dlms/cosem/profile_generic.h"

#include <gtest/gtest.h>

namespace vidyut::dlms::cosem {
namespace {

using std::chrono::minutes;

// 2026-11-01 00:00:00 IST = 2026-10-31T18:30:00Z.
const UtcTime kStart = UtcTime{std::chrono::milliseconds{1'793'471'400'000}};
const AccessContext kCtx{32, kStart};

const CaptureObjectDefinition kClockCol{8, Obis{0, 0, 1, 0, 0, 255}, 2, 0};
const CaptureObjectDefinition kVoltCol{3, Obis{1, 0, 12, 27, 0, 255}, 2, 0};
const CaptureObjectDefinition kKwhCol{3, Obis{1, 0, 1, 29, 0, 255}, 2, 0};

Data at(int block) {
  return Data::date_time_octets(CosemDateTime::from_utc(kStart + minutes(15 * block)));
}

// Block load with 4 rows: blocks 0..3 of 15 minutes; voltage 2300+i, kWh 10*i.
class ProfileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = std::make_shared<StoredRowSource>(10);
    for (int i = 0; i < 4; ++i) {
      store->append({at(i), Data::long_unsigned(static_cast<std::uint16_t>(2300 + i)),
                     Data::double_long_unsigned(static_cast<std::uint32_t>(10 * i))});
    }
    profile = std::make_unique<ProfileGeneric>(
        Obis{1, 0, 99, 1, 0, 255}, std::vector{kClockCol, kVoltCol, kKwhCol}, store, 900, 10);
  }
  GetDataResult buffer(std::optional<SelectiveAccess> access) {
    return profile->get(2, access, kCtx);
  }
  // Rows of a successful buffer read; fails the test otherwise.
  DataList rows(std::optional<SelectiveAccess> access) {
    auto r = buffer(std::move(access));
    EXPECT_TRUE(std::holds_alternative<Data>(r));
    if (!std::holds_alternative<Data>(r)) return {};
    const Data& d = std::get<Data>(r);
    EXPECT_EQ(d.tag(), DataTag::kArray);
    return d.as_list() ? *d.as_list() : DataList{};
  }
  static SelectiveAccess range(const Data& from, const Data& to,
                               std::vector<CaptureObjectDefinition> cols = {}) {
    RangeDescriptor r;
    r.from_value = from;
    r.to_value = to;
    r.selected_values = std::move(cols);
    return r.to_access();
  }
  static SelectiveAccess entries(std::uint32_t from, std::uint32_t to, std::uint16_t fc = 1,
                                 std::uint16_t tc = 0) {
    return EntryDescriptor{from, to, fc, tc}.to_access();
  }
  static Data row(int i) {
    return Data::structure({at(i), Data::long_unsigned(static_cast<std::uint16_t>(2300 + i)),
                            Data::double_long_unsigned(static_cast<std::uint32_t>(10 * i))});
  }
  std::shared_ptr<StoredRowSource> store;
  std::unique_ptr<ProfileGeneric> profile;
};

TEST_F(ProfileTest, StaticAttributes) {
  EXPECT_EQ(profile->class_id(), 7);
  EXPECT_EQ(profile->version(), 1);
  EXPECT_EQ(std::get<Data>(profile->get(3, std::nullopt, kCtx)),
            Data::array({kClockCol.to_data(), kVoltCol.to_data(), kKwhCol.to_data()}));
  EXPECT_EQ(std::get<Data>(profile->get(4, std::nullopt, kCtx)), Data::double_long_unsigned(900));
  EXPECT_EQ(std::get<Data>(profile->get(5, std::nullopt, kCtx)), Data::enumerated(1));
  EXPECT_EQ(std::get<Data>(profile->get(6, std::nullopt, kCtx)),
            CaptureObjectDefinition{}.to_data());
  EXPECT_EQ(std::get<Data>(profile->get(7, std::nullopt, kCtx)), Data::double_long_unsigned(4));
  EXPECT_EQ(std::get<Data>(profile->get(8, std::nullopt, kCtx)), Data::double_long_unsigned(10));
  EXPECT_EQ(profile->clock_column(), 0u);
}

TEST_F(ProfileTest, WholeBuffer) {
  EXPECT_EQ(rows(std::nullopt), (DataList{row(0), row(1), row(2), row(3)}));
}

TEST_F(ProfileTest, RangeIsInclusiveAtBothEnds) {
  EXPECT_EQ(rows(range(at(1), at(2))), (DataList{row(1), row(2)}));
  EXPECT_EQ(rows(range(at(0), at(3))), (DataList{row(0), row(1), row(2), row(3)}));
  EXPECT_EQ(rows(range(at(2), at(2))), (DataList{row(2)}));
}

TEST_F(ProfileTest, RangeEdgeCases) {
  EXPECT_TRUE(rows(range(at(-10), at(-1))).empty());  // before the first entry
  EXPECT_TRUE(rows(range(at(4), at(100))).empty());   // after the last
  EXPECT_EQ(rows(range(at(-10), at(0))), (DataList{row(0)}));
  EXPECT_TRUE(rows(range(at(3), at(1))).empty());  // reversed: nothing lies in [from, to]
}

TEST_F(ProfileTest, RangeSelectedColumns) {
  auto got = rows(range(at(1), at(1), {kKwhCol, kClockCol}));
  EXPECT_EQ(got, (DataList{Data::structure({Data::double_long_unsigned(10), at(1)})}));
  CaptureObjectDefinition unknown{3, Obis{1, 0, 99, 99, 0, 255}, 2, 0};
  EXPECT_EQ(std::get<DataAccessResult>(buffer(range(at(0), at(3), {unknown}))),
            DataAccessResult::kOtherReason);
}

TEST_F(ProfileTest, RangeErrors) {
  // Restricting object other than the clock column.
  RangeDescriptor r;
  r.restricting_object = kKwhCol;
  r.from_value = Data::double_long_unsigned(0);
  r.to_value = Data::double_long_unsigned(10);
  EXPECT_EQ(std::get<DataAccessResult>(buffer(r.to_access())), DataAccessResult::kOtherReason);
  // from/to not date-times.
  EXPECT_EQ(std::get<DataAccessResult>(buffer(range(Data::long_unsigned(1), at(1)))),
            DataAccessResult::kTypeUnmatched);
  // Parameters not a range_descriptor at all.
  EXPECT_EQ(std::get<DataAccessResult>(buffer(SelectiveAccess{1, Data::integer(1)})),
            DataAccessResult::kTypeUnmatched);
  // Unknown selector.
  EXPECT_EQ(std::get<DataAccessResult>(buffer(SelectiveAccess{3, Data()})),
            DataAccessResult::kOtherReason);
  // Date-time with unspecified fields cannot be placed in time.
  CosemDateTime unspecified;
  EXPECT_EQ(std::get<DataAccessResult>(buffer(range(Data::date_time_octets(unspecified), at(1)))),
            DataAccessResult::kOtherReason);
  // Selective access on attributes other than the buffer.
  EXPECT_EQ(std::get<DataAccessResult>(profile->get(3, range(at(0), at(1)), kCtx)),
            DataAccessResult::kOtherReason);
}

TEST_F(ProfileTest, EntryRanges) {
  EXPECT_EQ(rows(entries(1, 0)), (DataList{row(0), row(1), row(2), row(3)}));
  EXPECT_EQ(rows(entries(2, 3)), (DataList{row(1), row(2)}));
  EXPECT_EQ(rows(entries(4, 4)), (DataList{row(3)}));
  EXPECT_EQ(rows(entries(3, 99)), (DataList{row(2), row(3)}));  // clipped to entries_in_use
  EXPECT_EQ(rows(entries(0, 1)), (DataList{row(0)}));           // from 0 read as 1
  EXPECT_TRUE(rows(entries(5, 0)).empty());                     // beyond the last entry
  EXPECT_TRUE(rows(entries(3, 2)).empty());                     // reversed
}

TEST_F(ProfileTest, EntryColumns) {
  EXPECT_EQ(
      rows(entries(1, 1, 2, 3)),
      (DataList{Data::structure({Data::long_unsigned(2300), Data::double_long_unsigned(0)})}));
  EXPECT_EQ(rows(entries(2, 2, 3, 0)),
            (DataList{Data::structure({Data::double_long_unsigned(10)})}));
  EXPECT_EQ(rows(entries(1, 1, 0, 1)), (DataList{Data::structure({at(0)})}));
  EXPECT_EQ(std::get<DataAccessResult>(buffer(entries(1, 1, 1, 4))),
            DataAccessResult::kOtherReason);
  EXPECT_EQ(std::get<DataAccessResult>(buffer(entries(1, 1, 3, 2))),
            DataAccessResult::kOtherReason);
  EXPECT_EQ(std::get<DataAccessResult>(buffer(entries(1, 1, 4, 0))),
            DataAccessResult::kOtherReason);
  EXPECT_EQ(std::get<DataAccessResult>(buffer(SelectiveAccess{2, Data::structure({})})),
            DataAccessResult::kTypeUnmatched);
}

TEST_F(ProfileTest, RingDropsOldest) {
  auto small = std::make_shared<StoredRowSource>(2);
  for (int i = 0; i < 3; ++i) small->append({at(i)});
  EXPECT_EQ(small->entries_in_use(kCtx), 2u);
  EXPECT_EQ(small->rows(0, 2, kCtx), (std::vector<ProfileRow>{{at(1)}, {at(2)}}));
  EXPECT_TRUE(small->rows(5, 1, kCtx).empty());
}

TEST_F(ProfileTest, ResetCaptureAndCapturePeriod) {
  int n = 0;
  store->set_capture([&](const AccessContext&) {
    ++n;
    return ProfileRow{at(4), Data::long_unsigned(2304), Data::double_long_unsigned(40)};
  });
  EXPECT_EQ(profile->action(2, Data::integer(0), kCtx).result, ActionResult::kSuccess);
  EXPECT_EQ(n, 1);
  EXPECT_EQ(rows(entries(5, 5)), (DataList{row(4)}));
  EXPECT_EQ(profile->action(1, Data::integer(0), kCtx).result, ActionResult::kSuccess);
  EXPECT_TRUE(rows(std::nullopt).empty());
  EXPECT_EQ(profile->set(4, Data::double_long_unsigned(1800), kCtx), DataAccessResult::kSuccess);
  EXPECT_EQ(profile->capture_period(), 1800u);
  EXPECT_EQ(profile->set(4, Data::long_unsigned(1800), kCtx), DataAccessResult::kTypeUnmatched);
  EXPECT_EQ(profile->set(3, Data::array({}), kCtx), DataAccessResult::kReadWriteDenied);
}

// A generated source: rows exist for every 15 minutes from kStart, computed on demand.
class GeneratedSource : public ProfileRowSource {
 public:
  std::uint32_t entries_in_use(const AccessContext&) const override { return 4320; }
  std::vector<ProfileRow> rows(std::uint32_t first, std::uint32_t count,
                               const AccessContext&) const override {
    std::vector<ProfileRow> out;
    for (std::uint32_t i = first; i < first + count; ++i) out.push_back({at(static_cast<int>(i))});
    return out;
  }
  std::vector<ProfileRow> rows_between(UtcTime from, UtcTime to, std::uint32_t max_rows,
                                       const AccessContext&) const override {
    std::vector<ProfileRow> out;
    for (int i = 0; i < 4320 && out.size() < max_rows; ++i) {
      UtcTime t = kStart + minutes(15 * i);
      if (t >= from && t <= to) out.push_back({at(i)});
    }
    return out;
  }
};

TEST(ProfileGeneratedTest, OnDemandRowsAndLimits) {
  ProfileGeneric p(Obis{1, 0, 99, 1, 0, 255}, {kClockCol}, std::make_shared<GeneratedSource>(), 900,
                   4320);
  RangeDescriptor r;
  r.from_value = at(96);
  r.to_value = at(191);
  auto day = p.get(2, r.to_access(), kCtx);
  ASSERT_TRUE(std::holds_alternative<Data>(day));
  EXPECT_EQ(std::get<Data>(day).as_list()->size(), 96u);
  EXPECT_EQ(*std::get<Data>(day).at(0), Data::structure({at(96)}));
  // Methods the source cannot do.
  EXPECT_EQ(p.action(1, Data::integer(0), kCtx).result, ActionResult::kOtherReason);
  EXPECT_EQ(p.action(2, Data::integer(0), kCtx).result, ActionResult::kOtherReason);
}

TEST(ProfileGeneratedTest, TooManyRowsIsRefused) {
  class Huge : public GeneratedSource {
   public:
    std::uint32_t entries_in_use(const AccessContext&) const override {
      return kMaxRowsPerRead + 1;
    }
  };
  ProfileGeneric p(Obis{1, 0, 99, 1, 0, 255}, {kClockCol}, std::make_shared<Huge>());
  EXPECT_EQ(std::get<DataAccessResult>(p.get(2, std::nullopt, kCtx)),
            DataAccessResult::kOtherReason);
  auto part = p.get(2, EntryDescriptor{1, 10, 1, 0}.to_access(), kCtx);
  ASSERT_TRUE(std::holds_alternative<Data>(part));
  EXPECT_EQ(std::get<Data>(part).as_list()->size(), 10u);
}

}  // namespace
}  // namespace vidyut::dlms::cosem
