// The meter quirks file: manufacturers to named quirks; anything unknown is refused by name.
#include "cli/quirks_config.h"

#include <gtest/gtest.h>

namespace vidyut::cli {
namespace {

TEST(QuirksConfig, MapsManufacturersToNamedQuirks) {
  auto c = parse_quirks_config(
      R"({"manufacturers": {"XYZ": ["repeated-header-in-empty-last-block", "empty-array-twice"],
                            "VDY": []}})");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  ASSERT_EQ(c->size(), 2u);
  EXPECT_TRUE(c->at("XYZ").has(dlms::Quirk::kRepeatedHeaderInEmptyLastBlock));
  EXPECT_TRUE(c->at("XYZ").has(dlms::Quirk::kEmptyArrayTwice));
  EXPECT_TRUE(c->at("VDY").empty());
}

TEST(QuirksConfig, RefusesUnknownQuirksAndShapes) {
  for (const char* bad : {R"({"manufacturers": {"XYZ": ["be-lenient"]}})",
                          R"({"manufacturers": {"XYZ": "empty-array-twice"}})",
                          R"({"manufacturers": {"XYZ": [1]}})", R"({"makers": {}})", "[]", "{"}) {
    auto c = parse_quirks_config(bad);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.error().code, Errc::kInvalidArgument);
  }
  auto c = parse_quirks_config(R"({"manufacturers": {"XYZ": ["be-lenient"]}})");
  EXPECT_NE(c.error().message.find("be-lenient"), std::string::npos);
}

}  // namespace
}  // namespace vidyut::cli
