#include "dlms/axdr/obis.h"

#include <gtest/gtest.h>

#include <unordered_set>

namespace vidyut::dlms {
namespace {

TEST(Obis, ParseDotted) {
  auto o = Obis::parse("1.0.99.1.0.255");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(*o, Obis(1, 0, 99, 1, 0, 255));
  EXPECT_EQ(o->to_string(), "1.0.99.1.0.255");
  EXPECT_EQ(to_hex(o->to_bytes()), "0100630100FF");
}

TEST(Obis, ParseIecForms) {
  EXPECT_EQ(*Obis::parse("1-0:99.1.0.255"), Obis(1, 0, 99, 1, 0, 255));
  EXPECT_EQ(*Obis::parse("0-0:96.1.0*255"), Obis(0, 0, 96, 1, 0, 255));
  EXPECT_EQ(*Obis::parse("000.000.001.000.000.255"), Obis(0, 0, 1, 0, 0, 255));
}

TEST(Obis, ParseRejects) {
  for (const char* bad : {"", "1.0.99.1.0", "1.0.99.1.0.255.1", "1.0.99.1.0.256", "1..99.1.0.255",
                          "1.0.99.1.0.255 ", " 1.0.99.1.0.255", "a.b.c.d.e.f", "1.0.99.1.0.-1",
                          "1:0-99.1.0.255", "1.0.99*1.0.255", "1.0.99.1.0.0255", "1.0.99.1.0."}) {
    auto r = Obis::parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << bad;
    }
  }
}

TEST(Obis, FromBytes) {
  const Bytes b = {0, 0, 1, 0, 0, 255};
  EXPECT_EQ(*Obis::from_bytes(b), Obis(0, 0, 1, 0, 0, 255));
  EXPECT_EQ(Obis::from_bytes(Bytes(5, 0)).error().code, Errc::kMalformed);
  EXPECT_EQ(Obis::from_bytes(Bytes(7, 0)).error().code, Errc::kMalformed);
}

TEST(Obis, OrderAndHash) {
  EXPECT_LT(Obis(0, 0, 1, 0, 0, 255), Obis(1, 0, 0, 0, 0, 0));
  std::unordered_set<Obis> s{Obis(1, 0, 99, 1, 0, 255), Obis(1, 0, 99, 1, 0, 255)};
  EXPECT_EQ(s.size(), 1u);
}

}  // namespace
}  // namespace vidyut::dlms
