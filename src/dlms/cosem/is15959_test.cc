#include "dlms/cosem/is15959.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace vidyut::dlms::is15959 {
namespace {

TEST(Is15959Test, FindObject) {
  const ObjectInfo* v = find_object(Obis{1, 0, 12, 7, 0, 255});
  ASSERT_NE(v, nullptr);
  EXPECT_STREQ(v->name, "Voltage");
  EXPECT_EQ(v->class_id, 3);
  EXPECT_EQ(v->unit, Unit::kVolt);
  EXPECT_EQ(find_object(kBlockLoadProfile)->class_id, 7);
  EXPECT_EQ(find_object(kDisconnectControl)->class_id, 70);
  EXPECT_EQ(find_object(kLimiter)->class_id, 71);
  EXPECT_EQ(find_object(kAlertPush)->class_id, 40);
  EXPECT_EQ(find_object(kAssociationUtility)->class_id, 15);
  EXPECT_EQ(find_object(kMaxDemandKw)->class_id, 4);
  EXPECT_NE(find_object(energy_import_kwh_tod(8)), nullptr);
  EXPECT_EQ(find_object(Obis{1, 2, 3, 4, 5, 6}), nullptr);
}

TEST(Is15959Test, CatalogueHasNoDuplicates) {
  std::set<Obis> seen;
  for (const auto& o : catalogue()) {
    EXPECT_TRUE(seen.insert(o.obis).second) << o.obis.to_string();
    EXPECT_NE(o.name, nullptr);
    EXPECT_NE(o.class_id, 0);
  }
  EXPECT_GT(seen.size(), 100u);
}

TEST(Is15959Test, SheetObjectsArePresent) {
  // Every OBIS of the domain sheet, section 4.
  const Obis sheet[] = {
      {0, 0, 40, 0, 1, 255},  {0, 0, 40, 0, 2, 255},  {0, 0, 40, 0, 3, 255},
      {0, 0, 40, 0, 4, 255},  {0, 0, 40, 0, 5, 255},  {0, 0, 43, 1, 3, 255},
      {1, 0, 94, 91, 0, 255}, {1, 0, 94, 91, 3, 255}, {1, 0, 99, 1, 0, 255},
      {1, 0, 94, 91, 4, 255}, {1, 0, 99, 2, 0, 255},  {1, 0, 94, 91, 5, 255},
      {1, 0, 98, 1, 0, 255},  {1, 0, 94, 91, 6, 255}, {0, 0, 94, 91, 10, 255},
      {1, 0, 94, 91, 7, 255}, {1, 0, 0, 8, 4, 255},   {0, 0, 1, 0, 0, 255},
      {1, 0, 12, 27, 0, 255}, {1, 0, 1, 29, 0, 255},  {1, 0, 9, 29, 0, 255},
      {1, 0, 2, 29, 0, 255},  {1, 0, 10, 29, 0, 255}, {1, 0, 11, 27, 0, 255},
      {1, 0, 31, 27, 0, 255}, {1, 0, 51, 27, 0, 255}, {1, 0, 71, 27, 0, 255},
      {1, 0, 32, 27, 0, 255}, {1, 0, 52, 27, 0, 255}, {1, 0, 72, 27, 0, 255},
      {1, 0, 5, 29, 0, 255},  {1, 0, 6, 29, 0, 255},  {1, 0, 7, 29, 0, 255},
      {1, 0, 8, 29, 0, 255},  {1, 0, 1, 8, 0, 255},   {1, 0, 9, 8, 0, 255},
      {1, 0, 2, 8, 0, 255},   {1, 0, 10, 8, 0, 255},  {0, 0, 0, 1, 2, 255},
      {1, 0, 1, 6, 0, 255},   {1, 0, 9, 6, 0, 255},   {0, 0, 94, 91, 18, 255},
      {0, 4, 25, 9, 0, 255},  {0, 0, 25, 9, 0, 255},  {0, 0, 96, 3, 10, 255},
      {0, 0, 17, 0, 0, 255},  {0, 0, 13, 0, 0, 255},  {0, 0, 42, 0, 0, 255},
      {0, 0, 96, 1, 0, 255},  {0, 0, 96, 1, 1, 255},  {1, 0, 0, 2, 0, 255},
  };
  for (const auto& o : sheet) EXPECT_NE(find_object(o), nullptr) << o.to_string();
  for (std::uint8_t i = 0; i <= 6; ++i) {
    EXPECT_NE(find_object(Obis{0, 0, 99, 98, i, 255}), nullptr);
    EXPECT_NE(find_object(Obis{0, 0, 94, 96, static_cast<std::uint8_t>(19 + i), 255}), nullptr);
  }
  for (std::uint8_t z = 1; z <= 8; ++z) EXPECT_NE(find_object(Obis{1, 0, 1, 8, z, 255}), nullptr);
}

TEST(Is15959Test, DescribeValue) {
  EXPECT_EQ(describe_value(kVoltage, 2314), "Voltage (V) 231.4");
  EXPECT_EQ(describe_value(kVoltage, 23140, -2), "Voltage (V) 231.40");
  EXPECT_EQ(describe_value(kEnergyImportKwh, 12345, 1), "Cumulative energy kWh import (Wh) 123450");
  EXPECT_EQ(describe_value(Obis{1, 2, 3, 4, 5, 6}, 7), "1.2.3.4.5.6 7");
  EXPECT_EQ(describe_value(kBillingCount, 12), "Cumulative billing count 12");
}

TEST(Is15959Test, Events) {
  EXPECT_STREQ(event_name(101), "Power failure - occurrence");
  EXPECT_STREQ(event_name(102), "Power failure - restoration");
  EXPECT_STREQ(event_name(251), "Meter cover open");
  EXPECT_STREQ(event_name(301), "Load relay disconnected");
  EXPECT_STREQ(event_name(302), "Load relay connected");
  EXPECT_STREQ(event_name(201), "Magnetic influence - occurrence");
  EXPECT_EQ(event_name(0), nullptr);
  EXPECT_EQ(event_name(999), nullptr);
  EXPECT_EQ(event_log_of(7), EventLog::kVoltage);
  EXPECT_EQ(event_log_of(50), EventLog::kVoltage);
  EXPECT_EQ(event_log_of(51), EventLog::kCurrent);
  EXPECT_EQ(event_log_of(101), EventLog::kPower);
  EXPECT_EQ(event_log_of(151), EventLog::kTransaction);
  EXPECT_EQ(event_log_of(215), EventLog::kOther);
  EXPECT_EQ(event_log_of(251), EventLog::kNonRollover);
  EXPECT_EQ(event_log_of(302), EventLog::kControl);
  EXPECT_EQ(event_log_of(0), std::nullopt);
  EXPECT_EQ(event_log_of(351), std::nullopt);
  EXPECT_EQ(event_log_obis(EventLog::kControl), (Obis{0, 0, 99, 98, 6, 255}));
  // Occurrences are odd and restorations the next even code, for the paired events.
  for (const auto& e : events()) {
    std::string name = e.name;
    if (name.find("occurrence") != std::string::npos) {
      EXPECT_EQ(e.code % 2, 1) << e.code;
      ASSERT_NE(event_name(static_cast<std::uint16_t>(e.code + 1)), nullptr) << e.code;
      EXPECT_NE(std::string(event_name(static_cast<std::uint16_t>(e.code + 1))).find("restoration"),
                std::string::npos);
    }
  }
}

TEST(Is15959Test, EswBits) {
  EXPECT_STREQ(esw_bit_name(0), "R-phase voltage missing");
  EXPECT_STREQ(esw_bit_name(esw::kCoverOpen), "Meter cover open");
  EXPECT_STREQ(esw_bit_name(esw::kLastGasp), "Last gasp (power fail)");
  EXPECT_STREQ(esw_bit_name(86), "First breath (power restored)");
  EXPECT_EQ(esw_bit_name(13), nullptr);
  EXPECT_EQ(esw_bit_name(kEswBits), nullptr);
  for (const auto& b : esw_bits()) EXPECT_LT(b.bit, kEswBits);
}

TEST(Is15959Test, Associations) {
  ASSERT_EQ(associations().size(), 5u);
  EXPECT_EQ(associations()[0].client_sap, 16);
  EXPECT_EQ(associations()[2].obis, kAssociationUtility);
  EXPECT_EQ(associations()[2].mechanism_id, 5);
  for (const auto& a : associations()) EXPECT_NE(find_object(a.obis), nullptr);
}

TEST(Is15959Test, ColumnSets) {
  auto bl = block_load_single_phase();
  ASSERT_EQ(bl.size(), 7u);
  EXPECT_EQ(bl[0], kClockTimeColumn);
  EXPECT_EQ(bl[1].logical_name, kAvgVoltage);
  EXPECT_EQ(bl[6].logical_name, kAvgCurrent);
  EXPECT_EQ(block_load_three_phase().size(), 15u);
  EXPECT_EQ(daily_load().size(), 5u);
  EXPECT_EQ(billing_single_phase()[0].logical_name, kBillingDate);
  EXPECT_EQ(event_log_columns(EventLog::kPower)[1].logical_name, (Obis{0, 0, 96, 11, 2, 255}));
  // Every column is a catalogue object of the class the column says.
  for (auto set : {block_load_single_phase(), block_load_three_phase(), block_load_dt(),
                   daily_load(), billing_single_phase(), instantaneous_single_phase(),
                   instantaneous_three_phase(), name_plate()}) {
    for (const auto& c : set) {
      const ObjectInfo* info = find_object(c.logical_name);
      ASSERT_NE(info, nullptr) << c.logical_name.to_string();
      EXPECT_EQ(info->class_id, c.class_id) << c.logical_name.to_string();
    }
  }
}

TEST(Is15959Test, DocumentListsOnlyCatalogueObjects) {
  std::ifstream f(std::string(VIDYUT_SOURCE_DIR) + "/docs/is15959-objects.md");
  ASSERT_TRUE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string doc = ss.str();
  std::regex obis_re(
      R"((?:^|[^.\d])(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?![.\d]))");
  std::size_t found = 0;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), obis_re);
       it != std::sregex_iterator(); ++it) {
    auto obis = Obis::parse((*it)[1].str());
    ASSERT_TRUE(obis.ok()) << (*it)[1].str();
    EXPECT_NE(find_object(*obis), nullptr) << (*it)[1].str() << " is in the doc, not the catalogue";
    ++found;
  }
  EXPECT_GE(found, catalogue().size());
  // And every catalogue object appears in the doc.
  for (const auto& o : catalogue()) {
    EXPECT_NE(doc.find("| " + o.obis.to_string() + " |"), std::string::npos) << o.obis.to_string();
  }
}

}  // namespace
}  // namespace vidyut::dlms::is15959
