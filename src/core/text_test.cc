#include "core/text.h"

#include <gtest/gtest.h>

namespace vidyut {
namespace {

TEST(Text, Utf8IsValidatedWithItsEdgeCases) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("C0001234"));
  EXPECT_TRUE(valid_utf8("\xE0\xA4\xB5\xE0\xA4\xBF\xE0\xA4\xA6\xE0\xA5\x8D"));  // Hindi
  EXPECT_TRUE(valid_utf8("\xF0\x9F\x92\xA1"));                                  // U+1F4A1
  EXPECT_FALSE(valid_utf8("\xFF"));
  EXPECT_FALSE(valid_utf8("\x80"));              // a stray continuation byte
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(valid_utf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(valid_utf8("ok\xE0\xA4"));        // cut short
}

TEST(Text, CheckTextRefusesControlCharactersBadBytesAndLength) {
  EXPECT_TRUE(check_text("--by", "ops-anita", 64).ok());
  EXPECT_TRUE(check_text("--reason", "", 64).ok());
  auto nl = check_text("--by", "ops\n2026-12-07 system: forged", 64);
  ASSERT_FALSE(nl.ok());
  EXPECT_EQ(nl.error().code, Errc::kInvalidArgument);
  EXPECT_NE(nl.error().message.find("--by"), std::string::npos);
  EXPECT_FALSE(check_text("id", "C\xFF", 64).ok());
  EXPECT_FALSE(check_text("id", "abc", 2).ok());
  EXPECT_FALSE(check_text("id", std::string_view("a\0b", 3), 8).ok());
}

}  // namespace
}  // namespace vidyut
