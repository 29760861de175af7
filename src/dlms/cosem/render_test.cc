// Rendering values for people: the value that crashed `vidyut dlms read` (a structure of
// {unsigned, date-time}, as class 77 attributes 5 and 9 carry), date-times with unspecified
// fields, strings that are not valid UTF-8, non-finite floats, compact arrays; the JSON always
// parses.
#include "dlms/cosem/render.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace vidyut::dlms::cosem {
namespace {

bool valid_json(const std::string& s) {
  // A small check without a JSON library: balanced brackets outside strings, and every byte of
  // a string either printable ASCII, an escape, or part of a UTF-8 sequence.
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      } else if (c < 0x20) {
        return false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    if (depth < 0) return false;
  }
  return depth == 0 && !in_string;
}

CosemDateTime ist_dt() {
  CosemDateTime dt;
  dt.year = 2026;
  dt.month = 11;
  dt.day = 23;
  dt.weekday = 1;
  dt.hour = 15;
  dt.minute = 45;
  dt.second = 0;
  dt.hundredths = 0;
  dt.deviation = -330;
  dt.status = 0;
  return dt;
}

TEST(Render, AStructureOfAnUnsignedAndADateTimeRendersAsTextAndJson) {
  const Data v = Data::structure({Data::unsigned_(5), Data::date_time(ist_dt())});
  EXPECT_EQ(render_text(v), "{5, 2026-11-23 15:45:00 IST}");
  EXPECT_EQ(render_json(v), "[5,\"2026-11-23T15:45:00+05:30\"]");
  // The same date-time as the 12-byte octet-string COSEM attributes usually carry.
  const Data o = Data::structure({Data::unsigned_(5), Data::date_time_octets(ist_dt())});
  EXPECT_EQ(render_json(o), "[5,\"2026-11-23T15:45:00+05:30\"]");
}

TEST(Render, ADateTimeWithUnspecifiedFieldsShowsItsRawForm) {
  const Data v = Data::date_time(CosemDateTime{});
  const std::string text = render_text(v);
  EXPECT_FALSE(text.empty());
  const std::string json = render_json(Data::structure({v, Data::null()}));
  EXPECT_TRUE(valid_json(json)) << json;
}

TEST(Render, StringsThatAreNotUtf8AndControlCharactersStayValidJson) {
  const Data v = Data::utf8_string(std::string("ok \xC3\x28 \xFF tab\t \"q\" \xE0\xA4\xB9", 21));
  const std::string json = render_json(v);
  EXPECT_TRUE(valid_json(json)) << json;
  EXPECT_NE(json.find("\xEF\xBF\xBD"), std::string::npos) << "U+FFFD for the bad bytes";
  EXPECT_EQ(json_string("\xFF"), "\"\\ufffd\"");
  EXPECT_NE(json.find("\xE0\xA4\xB9"), std::string::npos) << "valid UTF-8 (Devanagari) is kept";
  EXPECT_EQ(json.find('\xFF'), std::string::npos);
  const std::string text = render_text(v);
  EXPECT_EQ(text.find('\t'), std::string::npos) << "one line, no control characters";
}

TEST(Render, NonFiniteFloatsAreNullInJsonAndScaledIntegersCarryTheirUnit) {
  EXPECT_EQ(render_json(Data::float64(std::numeric_limits<double>::quiet_NaN())), "null");
  EXPECT_EQ(render_json(Data::float32(std::numeric_limits<float>::infinity())), "null");
  const ScalerUnit volts{-2, Unit::kVolt};
  EXPECT_EQ(render_text(Data::long_unsigned(23012), volts), "230.12 V");
  EXPECT_EQ(render_json(Data::long_unsigned(23012), volts), "230.12");
  // A scaler no real meter sends still renders.
  EXPECT_TRUE(valid_json(render_json(Data::long64(-1), ScalerUnit{127, Unit::kVolt})));
}

TEST(Render, EveryKindOfValueInOneStructure) {
  BitString bits = BitString::of_size(10);
  bits.set(3);
  CompactArray ca;
  ca.element_type.tag = DataTag::kUnsigned;
  ca.elements = {Data::unsigned_(1), Data::unsigned_(2)};
  const Data v = Data::structure({Data::null(),
                                  Data::boolean(true),
                                  Data::bit_string(bits),
                                  Data::double_long(-5),
                                  Data::double_long_unsigned(5),
                                  Data::octet_string({0x00, 0x01, 0xFE}),
                                  Data::visible_string("abc"),
                                  Data::bcd(12),
                                  Data::integer(-1),
                                  Data::long_(-300),
                                  Data::long_unsigned(300),
                                  Data::compact_array(ca),
                                  Data::long64(-9),
                                  Data::long64_unsigned(9),
                                  Data::enumerated(3),
                                  Data::float32(1.5F),
                                  Data::float64(2.5),
                                  Data::date(CosemDate{}),
                                  Data::time(CosemTime{}),
                                  Data::array({Data::structure({Data::unsigned_(1)})})});
  const std::string text = render_text(v);
  EXPECT_NE(text.find("0001FE"), std::string::npos);
  const std::string json = render_json(v);
  EXPECT_TRUE(valid_json(json)) << json;
  EXPECT_NE(json.find("[1,2]"), std::string::npos) << "a compact array is an array";
}

}  // namespace
}  // namespace vidyut::dlms::cosem
