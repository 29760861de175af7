#include <gtest/gtest.h>

#include "dlms/axdr/data.h"

namespace vidyut::dlms {
namespace {

TEST(AxdrText, Scalars) {
  EXPECT_EQ(axdr::to_text(Data::long_unsigned(230)), "long-unsigned 230");
  EXPECT_EQ(axdr::to_text(Data::integer(-3)), "integer -3");
  EXPECT_EQ(axdr::to_text(Data::null()), "null-data");
  EXPECT_EQ(axdr::to_text(Data::boolean(true)), "boolean true");
  EXPECT_EQ(axdr::to_text(Data::enumerated(1)), "enum 1");
  EXPECT_EQ(axdr::to_text(Data::bcd(0x12)), "bcd 0x12");
  EXPECT_EQ(axdr::to_text(Data::float32(1.5f)), "float32 1.5");
  EXPECT_EQ(axdr::to_text(Data::visible_string("AB\"C\n")), "visible-string \"AB\\\"C\\x0A\"");
}

TEST(AxdrText, OctetStrings) {
  EXPECT_EQ(axdr::to_text(Data::octet_string({0xDE, 0xAD})), "octet-string(2) DEAD");
  EXPECT_EQ(axdr::to_text(Data::octet_string({1, 0, 99, 1, 0, 255})),
            "octet-string(6) 0100630100FF (1.0.99.1.0.255)");
  const CosemDateTime t{2026, 11, 23, 1, 15, 45, 0, 0, -330, 0};
  EXPECT_EQ(axdr::to_text(Data::date_time_octets(t)),
            "octet-string(12) 07EA0B17010F2D0000FEB600 (date-time 2026-11-23 15:45:00.00 dev "
            "-330 st 00)");
  // Twelve bytes that are not a date-time stay plain hex.
  EXPECT_EQ(axdr::to_text(Data::octet_string(Bytes(12, 0x41))),
            "octet-string(12) 414141414141414141414141");
  EXPECT_EQ(axdr::to_text(Data::date_time(t)), "date-time 2026-11-23 15:45:00.00 dev -330 st 00");
}

TEST(AxdrText, Nested) {
  const Data d = Data::array(
      {Data::structure({Data::long_unsigned(230), Data::visible_string("x")}), Data::array({})});
  EXPECT_EQ(axdr::to_text(d),
            "array(2) {\n"
            "  structure(2) {\n"
            "    long-unsigned 230\n"
            "    visible-string \"x\"\n"
            "  }\n"
            "  array(0) {}\n"
            "}");
}

TEST(AxdrText, BitStringDateTimeCompact) {
  BitString b = BitString::of_size(10);
  b.set(0);
  b.set(9);
  EXPECT_EQ(axdr::to_text(Data::bit_string(b)), "bit-string(10) 10000000 01");
  EXPECT_EQ(axdr::to_text(Data::date(CosemDate{2026, 11, 23, 0xFF})), "date 2026-11-23 wd **");
  EXPECT_EQ(axdr::to_text(Data::time(CosemTime{15, 45, 0, 0xFF})), "time 15:45:00.**");
  CompactArray c{
      TypeDescription{
          DataTag::kStructure,
          0,
          {TypeDescription{DataTag::kUnsigned, 0, {}},
           TypeDescription{DataTag::kArray, 2, {TypeDescription{DataTag::kLong, 0, {}}}}}},
      {Data::structure({Data::unsigned_(1), Data::array({Data::long_(-1), Data::long_(2)})})}};
  EXPECT_EQ(axdr::to_text(Data::compact_array(c)),
            "compact-array(1) of structure{unsigned, array[2] of long} {\n"
            "  structure(2) {\n"
            "    unsigned 1\n"
            "    array(2) {\n"
            "      long -1\n"
            "      long 2\n"
            "    }\n"
            "  }\n"
            "}");
}

}  // namespace
}  // namespace vidyut::dlms
