#include "tariff/tariff_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace vidyut::tariff {
namespace {

const std::string kTariffDir = std::string(VIDYUT_SOURCE_DIR) + "/tariffs";

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A small valid file to break in the error tests.
constexpr std::string_view kGood = R"({
  "format": "vidyut-tariff 1",
  "code": "T1", "name": "Test", "category": "domestic", "utility": "U",
  "versions": [{
    "effective_from": "2025-04-01", "order": "Order 1",
    "slabs": [{"upto_kwh": 100, "rate_paise_per_kwh": 300}, {"rate_paise_per_kwh": 500}],
    "fixed_paise_per_kw_month": 5000, "duty_bp": 500, "prepaid_rebate_bp": 200,
    "excess_demand_paise_per_kw": 0,
    "tod": [{"name": "winter", "months": [11, 12, 1, 2], "blocks": [
      {"name": "peak", "start": "18:00", "end": "22:00", "multiplier_bp": 13000},
      {"name": "night", "start": "23:00", "end": "05:00", "multiplier_bp": 9000}]}]
  }]
})";

std::string replaced(std::string_view from, std::string_view to) {
  std::string s(kGood);
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

void expect_error(const std::string& text, std::string_view fragment) {
  auto r = parse_tariff(text);
  ASSERT_FALSE(r.ok()) << "expected an error with: " << fragment;
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << r.error().describe();
  EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().message;
}

TEST(TariffFile, ParsesEveryField) {
  auto r = parse_tariff(kGood);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  const Tariff& t = *r;
  EXPECT_EQ(t.code, "T1");
  EXPECT_EQ(t.name, "Test");
  EXPECT_EQ(t.category, "domestic");
  EXPECT_EQ(t.utility, "U");
  EXPECT_EQ(t.notes, "");
  ASSERT_EQ(t.versions.size(), 1u);
  const TariffVersion& v = t.versions[0];
  EXPECT_EQ(v.effective_from, (CivilDate{2025, 4, 1}));
  EXPECT_EQ(v.order, "Order 1");
  EXPECT_EQ(v.slabs, (std::vector<Slab>{{100'000, 300}, {0, 500}}));
  EXPECT_EQ(v.fixed_paise_per_kw_month, 5'000);
  EXPECT_EQ(v.duty_bp, 500);
  EXPECT_EQ(v.prepaid_rebate_bp, 200);
  EXPECT_EQ(v.excess_demand_paise_per_kw, 0);
  ASSERT_EQ(v.tod.size(), 1u);
  EXPECT_EQ(v.tod[0].name, "winter");
  EXPECT_EQ(v.tod[0].months, (std::vector<int>{11, 12, 1, 2}));
  EXPECT_EQ(v.tod[0].blocks,
            (std::vector<TodBlock>{{"peak", 1'080, 1'320, 13'000}, {"night", 1'380, 300, 9'000}}));
}

TEST(TariffFile, RoundTripsThroughJson) {
  auto r = parse_tariff(kGood);
  ASSERT_TRUE(r.ok());
  Tariff t = *r;
  t.notes = "Notes with \"quotes\", a backslash \\ and unicode: \u20b9";
  // A bound that is not whole kWh is written as upto_wh; 24:00 as an end.
  t.versions[0].slabs = {{100'500, 300}, {200'000, 400}, {0, 500}};
  t.versions[0].tod[0].blocks[1].start_minute = 0;
  t.versions[0].tod[0].blocks.push_back(TodBlock{"late", 22 * 60, 1'440, 11'000});
  TariffVersion next = t.versions[0];
  next.effective_from = {2026, 4, 1};
  next.tod.clear();
  t.versions.push_back(next);
  ASSERT_TRUE(validate(t).ok());
  const std::string text = to_json(t);
  EXPECT_NE(text.find("\"upto_wh\": 100500"), std::string::npos) << text;
  EXPECT_NE(text.find("\"upto_kwh\": 200"), std::string::npos);
  EXPECT_NE(text.find("\"end\": \"24:00\""), std::string::npos);
  auto back = parse_tariff(text);
  ASSERT_TRUE(back.ok()) << back.error().describe() << "\n" << text;
  EXPECT_EQ(*back, t);
  EXPECT_EQ(to_json(*back), text);
}

TEST(TariffFile, EveryBuiltinRoundTrips) {
  for (const Tariff& t : builtin_tariffs()) {
    auto back = parse_tariff(to_json(t));
    ASSERT_TRUE(back.ok()) << t.code << ": " << back.error().describe();
    EXPECT_EQ(*back, t) << t.code;
  }
}

TEST(TariffFile, BuiltinCatalogueIsExactlyTheShippedFiles) {
  std::vector<std::string> on_disk;
  for (const auto& e : std::filesystem::directory_iterator(kTariffDir)) {
    if (e.path().extension() == ".json") on_disk.push_back(e.path().filename().string());
  }
  std::sort(on_disk.begin(), on_disk.end());
  std::vector<std::string> built_in;
  for (const auto& f : builtin_tariff_files()) built_in.emplace_back(f.name);
  EXPECT_EQ(built_in, on_disk);
  EXPECT_GE(built_in.size(), 3u);
  for (const auto& f : builtin_tariff_files()) {
    EXPECT_EQ(f.text, read_text(kTariffDir + "/" + std::string(f.name)))
        << f.name << " differs from the built-in copy: re-run cmake";
    auto from_disk = read_tariff_file(kTariffDir + "/" + std::string(f.name));
    ASSERT_TRUE(from_disk.ok()) << from_disk.error().describe();
    auto from_builtin = parse_tariff(f.text);
    ASSERT_TRUE(from_builtin.ok());
    EXPECT_EQ(*from_disk, *from_builtin);
  }
  ASSERT_EQ(builtin_tariffs().size(), builtin_tariff_files().size());
  for (std::size_t i = 0; i < builtin_tariffs().size(); ++i) {
    EXPECT_EQ(builtin_tariffs()[i], *parse_tariff(builtin_tariff_files()[i].text));
    EXPECT_FALSE(builtin_tariffs()[i].notes.empty()) << builtin_tariffs()[i].code;
  }
}

TEST(TariffFile, ShippedUpUrbanHasTheFactsFileFigures) {
  auto t = find_tariff("UP-LMV1-URBAN", builtin_tariffs());
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->utility, "UPPCL");
  ASSERT_EQ(t->versions.size(), 1u);
  const TariffVersion& v = t->versions[0];
  EXPECT_EQ(v.effective_from, (CivilDate{2022, 4, 1}));
  EXPECT_EQ(v.order, "UPERC tariff order FY 2022-23");
  EXPECT_EQ(v.slabs, (std::vector<Slab>{{100'000, 550}, {150'000, 550}, {300'000, 600}, {0, 650}}));
  EXPECT_EQ(v.fixed_paise_per_kw_month, 11'000);
  EXPECT_EQ(v.duty_bp, 500);
  EXPECT_EQ(v.prepaid_rebate_bp, 200);
  EXPECT_EQ(v.excess_demand_paise_per_kw, 0);
  EXPECT_TRUE(v.tod.empty());

  auto life = find_tariff("UP-LMV1-LIFELINE", builtin_tariffs());
  ASSERT_TRUE(life.ok());
  EXPECT_EQ(life->versions[0].slabs[0], (Slab{100'000, 300}));
  EXPECT_EQ(life->versions[0].fixed_paise_per_kw_month, 5'000);
  EXPECT_NE(life->notes.find("ASSUMPTION"), std::string::npos);

  auto tod = find_tariff("EXAMPLE-TOD", builtin_tariffs());
  ASSERT_TRUE(tod.ok());
  ASSERT_EQ(tod->versions[0].tod.size(), 2u);
  EXPECT_EQ(tod->versions[0].tod[0].months, (std::vector<int>{11, 12, 1, 2}));
}

TEST(TariffFile, FindTariff) {
  auto exact = find_tariff("UP-LMV1-URBAN", builtin_tariffs());
  ASSERT_TRUE(exact.ok());
  auto any_case = find_tariff("up-lmv1-urban", builtin_tariffs());
  ASSERT_TRUE(any_case.ok());
  EXPECT_EQ(any_case->code, "UP-LMV1-URBAN");
  auto none = find_tariff("UP-LMV9", builtin_tariffs());
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, Errc::kNotFound);
  EXPECT_NE(none.error().message.find("UP-LMV1-URBAN"), std::string::npos);
}

TEST(TariffFile, MissingFieldIsNamedByItsPath) {
  expect_error(replaced(R"("duty_bp": 500, )", ""), "versions[0].duty_bp: missing");
  expect_error(replaced(R"("code": "T1", )", ""), "code: missing");
  expect_error(replaced(R"("format": "vidyut-tariff 1",)", ""), "format: missing");
  expect_error(replaced(R"("name": "peak", )", ""), "versions[0].tod[0].blocks[0].name: missing");
  expect_error(replaced(R"("rate_paise_per_kwh": 500)", ""),
               "versions[0].slabs[1].rate_paise_per_kwh: missing");
}

TEST(TariffFile, SlabBoundRules) {
  expect_error(
      replaced(R"({"upto_kwh": 100, "rate_paise_per_kwh": 300})", R"({"rate_paise_per_kwh": 300})"),
      "versions[0].slabs[0].upto_kwh: missing: only the last slab may be unbounded");
  expect_error(
      replaced(R"({"rate_paise_per_kwh": 500})", R"({"upto_kwh": 200, "rate_paise_per_kwh": 500})"),
      "versions[0].slabs[1].upto_kwh: the last slab is unbounded");
  expect_error(replaced(R"("upto_kwh": 100)", R"("upto_kwh": 100, "upto_wh": 100000)"), "not both");
  expect_error(replaced(R"("upto_kwh": 100)", R"("upto_kwh": 0)"), "out of range");
  expect_error(
      replaced(
          R"("slabs": [{"upto_kwh": 100, "rate_paise_per_kwh": 300}, {"rate_paise_per_kwh": 500}])",
          R"("slabs": [])"),
      "versions[0].slabs: needs at least one slab");
  // Increasing bounds are a rule across slabs: validate() names the slab.
  expect_error(
      replaced(
          R"({"upto_kwh": 100, "rate_paise_per_kwh": 300},)",
          R"({"upto_kwh": 100, "rate_paise_per_kwh": 300}, {"upto_kwh": 50, "rate_paise_per_kwh": 400},)"),
      "slab 2 bound 50000 Wh must be above the previous bound 100000 Wh");
}

TEST(TariffFile, OverlappingTodBlocksAreRefused) {
  expect_error(replaced(R"("start": "23:00")", R"("start": "21:00")"),
               "block 2 (\"night\"): overlaps block \"peak\" at 21:00");
  expect_error(replaced(R"("months": [11, 12, 1, 2])", R"("months": [11, 12, 1, 2, 12])"),
               "month 12 is already in season \"winter\"");
}

TEST(TariffFile, TypeAndFormatErrors) {
  expect_error(replaced(R"("rate_paise_per_kwh": 300)", R"("rate_paise_per_kwh": 5.5)"),
               "versions[0].slabs[0].rate_paise_per_kwh: expected an integer, got 5.5");
  expect_error(replaced(R"("rate_paise_per_kwh": 300)", R"("rate_paise_per_kwh": "300")"),
               "expected an integer, got a string");
  expect_error(replaced(R"("rate_paise_per_kwh": 300)", R"("rate_paise_per_kwh": -1)"),
               "rate_paise_per_kwh: -1 is out of range");
  expect_error(replaced(R"("duty_bp": 500)", R"("duty_bp": 18446744073709551615)"),
               "duty_bp: 18446744073709551615 is out of range");
  expect_error(replaced(R"("duty_bp": 500)", R"("duty_bp": 10001)"),
               "duty_bp: 10001 is out of range");
  expect_error(replaced(R"("duty_bp": 500)", R"("dutybp": 500)"), "dutybp: unknown field");
  expect_error(replaced(R"("duty_bp": 500)", R"("duty_bp": 500, "duty_bp": 0)"),
               "duty_bp: field given twice");
  expect_error(replaced(R"("effective_from": "2025-04-01")", R"("effective_from": "2025-02-30")"),
               "versions[0].effective_from: date \"2025-02-30\"");
  expect_error(replaced(R"("start": "18:00")", R"("start": "25:00")"),
               "versions[0].tod[0].blocks[0].start: \"25:00\" is not an IST time");
  expect_error(replaced(R"("start": "18:00")", R"("start": "6:00")"), "is not an IST time");
  expect_error(replaced(R"("start": "18:00")", R"("start": "24:00")"), "is not an IST time");
  expect_error(replaced(R"("end": "22:00")", R"("end": "22:60")"), "is not an IST time");
  expect_error(replaced(R"("months": [11, 12, 1, 2])", R"("months": [11, 13])"),
               "versions[0].tod[0].months[1]: 13 is out of range 1..12");
  expect_error(replaced(R"("format": "vidyut-tariff 1")", R"("format": "vidyut-tariff 2")"),
               "format: \"vidyut-tariff 2\"");
  expect_error(replaced(R"("code": "T1")", R"("code": "T 1")"), "code: \"T 1\"");
  expect_error(replaced(R"("versions": [{)", R"("versions": [7, {)"),
               "versions[0]: expected an object, got an integer");
  expect_error("[1, 2]", "(top level): expected an object");
  expect_error("", "not valid JSON");
  expect_error("{\"format\": ", "not valid JSON");
  expect_error(std::string(kGood) + "x", "not valid JSON");
  // Versions out of date order are a rule across versions.
  auto two = replaced(R"(}]
})",
                      R"(}, {"effective_from": "2024-04-01", "order": "older",
    "slabs": [{"rate_paise_per_kwh": 500}], "fixed_paise_per_kw_month": 0, "duty_bp": 0,
    "prepaid_rebate_bp": 0, "excess_demand_paise_per_kw": 0}]
})");
  expect_error(two, "strictly increasing date order");
}

TEST(TariffFile, NeverThrowsOnGarbage) {
  const std::string samples[] = {"{",
                                 "}",
                                 "null",
                                 "\"x\"",
                                 "{\"versions\": null}",
                                 "{\"format\": 1}",
                                 std::string("\0\1\2", 3),
                                 "{\"format\": \"vidyut-tariff 1\", \"code\": \"\xff\"}"};
  for (const auto& s : samples) EXPECT_FALSE(parse_tariff(s).ok()) << s;
  EXPECT_EQ(parse_tariff(std::string(kMaxTariffFileBytes + 1, ' ')).error().code,
            Errc::kLimitExceeded);
}

TEST(TariffFile, ReadTariffFileErrors) {
  auto missing = read_tariff_file(kTariffDir + "/no-such-file.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kIo);
}

}  // namespace
}  // namespace vidyut::tariff
