// The CSV exports: fields quoted and defused, every meter's rows of the day, every account's
// statement of the month.
#include "api/exports.h"

#include <gtest/gtest.h>

#include "billing/test_rig.h"

namespace vidyut::api {
namespace {

std::string drain(http::Stream& s) {
  std::string out;
  for (int i = 0; i < 1'000 && !s.done(); ++i) out += s.poll();
  EXPECT_TRUE(s.done());
  return out;
}

TEST(Exports, FieldsAreQuotedAndFormulasDefused) {
  EXPECT_EQ(csv_field("C1000"), "C1000");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(csv_field("-2"), "'-2");
  EXPECT_EQ(csv_field("line\nbreak"), "\"line\nbreak\"");
}

TEST(Exports, ReadingsOfTheDayForEveryMeterAndBillsOfTheMonth) {
  billing::Rig rig("exports", 3);
  const tariff::CivilDate day{2026, 10, 31};
  rig.consume(0, day, 40);
  rig.consume(2, day, 10, 0, 4);
  auto readings = readings_csv(*rig.store, tariff::ist_midnight(day),
                               tariff::ist_midnight(tariff::add_days(day, 1)));
  const std::string csv = drain(*readings);
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < csv.size();) {
    const auto nl = csv.find('\n', at);
    lines.push_back(csv.substr(at, nl - at));
    at = nl + 1;
  }
  ASSERT_EQ(lines.size(), 1u + 96 + 4);
  EXPECT_EQ(lines[0],
            "serial,consumer_id,feeder,dt,start_utc,start_ist,import_wh,import_vah,export_wh,"
            "export_vah,source");
  EXPECT_EQ(lines[1], "S1000,C1000,F1,D1,2026-10-30T18:30:00Z,2026-10-31 00:00 IST,40,0,0,0,push");
  EXPECT_EQ(lines[97].rfind("S1002,C1002,", 0), 0u);

  // A month's statements: two days after the month the engine issues November's.
  rig.recharge(0, 100'000, "UPI-1");
  for (int d = 1; d <= 30; ++d) rig.at(billing::ist(tariff::add_days({2026, 11, d}, 1), 0, 31));
  rig.at(billing::ist({2026, 12, 3}, 0, 31));  // two days after the month, at posting time
  auto bills = bills_csv(*rig.db, "2026-11");
  const std::string b = drain(*bills);
  EXPECT_EQ(b.rfind("consumer_id,meter_serial,month,kind,bill_paise,posted_paise,"
                    "adjustment_paise,issued_utc\n",
                    0),
            0u);
  EXPECT_NE(b.find("\nC1000,S1000,2026-11,prepaid-statement,"), std::string::npos) << b;
  EXPECT_EQ(std::count(b.begin(), b.end(), '\n'), 4) << "a header and one line per account\n" << b;
  auto none = bills_csv(*rig.db, "2025-01");
  const std::string empty = drain(*none);
  EXPECT_EQ(std::count(empty.begin(), empty.end(), '\n'), 1);
}

}  // namespace
}  // namespace vidyut::api
