#include "core/bytes.h"

#include <gtest/gtest.h>

namespace vidyut {
namespace {

TEST(ByteWriter, WritesBigEndian) {
  ByteWriter w;
  w.u8(0x01);
  w.u16(0x0203);
  w.u32(0x04050607);
  w.u64(0x08090A0B0C0D0E0FULL);
  EXPECT_EQ(to_hex(w.view()), "0102030405060708090A0B0C0D0E0F");
}

TEST(ByteReader, ShortInputIsNeedMoreNotMalformed) {
  Bytes b{0x01, 0x02, 0x03};
  ByteReader r(b);
  ASSERT_TRUE(r.u16().ok());
  auto v = r.u16();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, Errc::kNeedMore);
  EXPECT_EQ(r.remaining(), 1u);  // a failed read consumes nothing
}

TEST(Hex, RoundTripsAndIgnoresSeparators) {
  auto b = from_hex("00 01:ab-CD");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(to_hex(*b), "0001ABCD");
  EXPECT_EQ(to_hex(*b, true), "00 01 AB CD");
}

TEST(Hex, RejectsOddDigitsAndNonHex) {
  EXPECT_EQ(from_hex("ABC").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(from_hex("zz").error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace vidyut
