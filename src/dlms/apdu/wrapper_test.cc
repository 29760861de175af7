#include "dlms/apdu/wrapper.h"

#include <gtest/gtest.h>

namespace vidyut::dlms {
namespace {

Bytes hex(std::string_view s) { return from_hex(s).value(); }

// Public-client AARQ inside a wrapper (source wPort 16, destination 1). Header derived by hand
// from IEC 62056-4-7 (version 1, ports, length 0x1F); the APDU is the Green Book AARQ example.
const char* const kWrappedAarq =
    "0001 0010 0001 001F"
    "601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0";

TEST(Wrapper, WrapWritesBigEndianHeader) {
  const Bytes apdu = hex("601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0");
  EXPECT_EQ(wrap(16, 1, apdu), hex(kWrappedAarq));
  EXPECT_EQ(wrap(0x1234, 0xABCD, {}), hex("0001 1234 ABCD 0000"));
}

TEST(WrapperDecoder, DecodesOneFrame) {
  WrapperDecoder d;
  d.feed(hex(kWrappedAarq));
  auto f = d.next();
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->has_value());
  EXPECT_EQ((*f)->source, 16);
  EXPECT_EQ((*f)->destination, 1);
  EXPECT_EQ((*f)->apdu.size(), 0x1Fu);
  EXPECT_EQ(d.buffered(), 0u);
  auto none = d.next();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(WrapperDecoder, ReassemblesFromOneByteReads) {
  const Bytes wire = hex(kWrappedAarq);
  WrapperDecoder d;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    d.feed(ByteView(&wire[i], 1));
    auto f = d.next();
    ASSERT_TRUE(f.ok());
    if (i + 1 < wire.size()) {
      EXPECT_FALSE(f->has_value()) << "frame complete early at byte " << i;
    } else {
      ASSERT_TRUE(f->has_value());
      EXPECT_EQ((*f)->apdu, Bytes(wire.begin() + 8, wire.end()));
    }
  }
}

TEST(WrapperDecoder, SplitsCoalescedFrames) {
  Bytes wire = wrap(1, 16, hex("C4 01 C1 00 06 00 00 13 91"));
  const Bytes second = wrap(1, 16, hex("C4 01 C1 01 03"));
  const Bytes empty = wrap(1, 16, {});
  wire.insert(wire.end(), second.begin(), second.end());
  wire.insert(wire.end(), empty.begin(), empty.end());
  wire.push_back(0x00);  // first byte of a fourth header
  WrapperDecoder d;
  d.feed(wire);
  auto a = d.next();
  auto b = d.next();
  auto c = d.next();
  auto e = d.next();
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && e.ok());
  ASSERT_TRUE(a->has_value() && b->has_value() && c->has_value());
  EXPECT_EQ((*a)->apdu, hex("C4 01 C1 00 06 00 00 13 91"));
  EXPECT_EQ((*b)->apdu, hex("C4 01 C1 01 03"));
  EXPECT_TRUE((*c)->apdu.empty());
  EXPECT_FALSE(e->has_value());
  EXPECT_EQ(d.buffered(), 1u);
  // The rest of the fourth frame arrives later.
  d.feed(hex("01 0010 0001 0001 62"));
  auto f = d.next();
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ((*f)->apdu, hex("62"));
}

TEST(WrapperDecoder, RejectsBadVersionAndStaysFailed) {
  WrapperDecoder d;
  d.feed(hex("0002 0010 0001 0001 62"));
  auto f = d.next();
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::kMalformed);
  EXPECT_TRUE(d.failed());
  d.feed(wrap(16, 1, hex("62")));
  auto g = d.next();
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, Errc::kMalformed);
}

TEST(WrapperDecoder, RejectsLengthOverLimitBeforeBuffering) {
  WrapperDecoder d(1024);
  d.feed(hex("0001 0010 0001 0401"));  // 1025 > 1024; no payload needed to reject
  auto f = d.next();
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::kLimitExceeded);

  WrapperDecoder ok(1024);
  ok.feed(hex("0001 0010 0001 0400"));
  auto g = ok.next();
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->has_value());  // exactly the limit: waits for the payload
}

}  // namespace
}  // namespace vidyut::dlms
