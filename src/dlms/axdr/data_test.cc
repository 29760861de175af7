// A-XDR codec tests. Unless a comment names another source, every byte vector here is derived by
// hand from the A-XDR encoding rules of IEC 62056-6-2 ("Data" CHOICE: one tag byte, then the
// contents; lengths and element counts in the BER-style A-XDR length form) and is not copied
// from any other implementation.
#include "dlms/axdr/data.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>

namespace vidyut::dlms {
namespace {

Bytes hex(std::string_view s) {
  auto r = from_hex(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? *r : Bytes{};
}

// Encodes `d`, checks the bytes, and checks that decoding gives `d` back.
void expect_wire(const Data& d, std::string_view want_hex) {
  const Bytes want = hex(want_hex);
  EXPECT_EQ(to_hex(axdr::encode(d)), to_hex(want)) << axdr::to_text(d);
  auto back = axdr::decode_all(want);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(*back, d) << axdr::to_text(*back);
}

Errc decode_error(std::string_view h) {
  const Bytes b = hex(h);
  auto r = axdr::decode_all(b);
  EXPECT_FALSE(r.ok()) << h;
  return r.ok() ? Errc::kInternal : r.error().code;
}

TEST(AxdrEncode, Scalars) {
  expect_wire(Data::null(), "00");
  expect_wire(Data::dont_care(), "FF");
  expect_wire(Data::boolean(true), "03 01");
  expect_wire(Data::boolean(false), "03 00");
  expect_wire(Data::integer(-1), "0F FF");
  expect_wire(Data::long_(-2), "10 FF FE");
  expect_wire(Data::double_long(-100000), "05 FF FE 79 60");
  expect_wire(Data::long64(-2), "14 FF FF FF FF FF FF FF FE");
  expect_wire(Data::unsigned_(200), "11 C8");
  expect_wire(Data::long_unsigned(230), "12 00 E6");
  expect_wire(Data::double_long_unsigned(0xDEADBEEF), "06 DE AD BE EF");
  expect_wire(Data::long64_unsigned(0x0102030405060708), "15 01 02 03 04 05 06 07 08");
  expect_wire(Data::enumerated(2), "16 02");
  expect_wire(Data::bcd(0x12), "0D 12");
  // IEEE 754 big-endian: 1.5f = 0x3FC00000, -2.5 = 0xC004000000000000.
  expect_wire(Data::float32(1.5f), "17 3F C0 00 00");
  expect_wire(Data::float64(-2.5), "18 C0 04 00 00 00 00 00 00");
}

TEST(AxdrEncode, Strings) {
  expect_wire(Data::octet_string(hex("0100630100FF")), "09 06 01 00 63 01 00 FF");
  expect_wire(Data::octet_string({}), "09 00");
  expect_wire(Data::visible_string("ABC"), "0A 03 41 42 43");
  expect_wire(Data::utf8_string("\xE0\xA4\xB5"), "0C 03 E0 A4 B5");  // U+0935 DEVANAGARI VA
  // 12 bits 1010 0000 0001 padded with four zero bits.
  BitString bits = BitString::of_size(12);
  bits.set(0);
  bits.set(2);
  bits.set(11);
  expect_wire(Data::bit_string(bits), "04 0C A0 10");
  expect_wire(Data::bit_string(BitString{}), "04 00");
}

TEST(AxdrEncode, LongLengths) {
  // 127 fits the short form; 128 and 200 need 0x81 n; 300 needs 0x82 01 2C.
  EXPECT_EQ(to_hex(axdr::encode(Data::octet_string(Bytes(127, 0xAA)))).substr(0, 4), "097F");
  EXPECT_EQ(to_hex(axdr::encode(Data::octet_string(Bytes(128, 0xAA)))).substr(0, 6), "098180");
  EXPECT_EQ(to_hex(axdr::encode(Data::octet_string(Bytes(200, 0xAA)))).substr(0, 6), "0981C8");
  const Bytes enc300 = axdr::encode(Data::octet_string(Bytes(300, 0xAA)));
  EXPECT_EQ(to_hex(enc300).substr(0, 8), "0982012C");
  EXPECT_EQ(enc300.size(), 4u + 300u);
  for (std::size_t n : {127u, 128u, 200u, 255u, 256u, 300u, 65535u}) {
    const Data d = Data::octet_string(Bytes(n, 0x5A));
    auto back = axdr::decode_all(axdr::encode(d));
    ASSERT_TRUE(back.ok()) << n;
    EXPECT_EQ(*back, d);
  }
}

TEST(AxdrEncode, LengthForms) {
  auto len = [](std::string_view h) {
    const Bytes b = hex(h);
    ByteReader r(b);
    return axdr::decode_length(r);
  };
  EXPECT_EQ(*len("05"), 5u);
  EXPECT_EQ(*len("81 05"), 5u);           // non-minimal: accepted
  EXPECT_EQ(*len("84 00 00 00 05"), 5u);  // non-minimal: accepted
  EXPECT_EQ(*len("82 01 2C"), 300u);
  EXPECT_EQ(len("80").error().code, Errc::kMalformed);  // indefinite form is not A-XDR
  EXPECT_EQ(len("89 00 00 00 00 00 00 00 00 05").error().code, Errc::kLimitExceeded);
  EXPECT_EQ(len("82 01").error().code, Errc::kNeedMore);
  EXPECT_EQ(len("").error().code, Errc::kNeedMore);
  // A non-minimal length inside a value decodes; the value re-encodes minimally.
  auto d = axdr::decode_all(hex("09 82 00 02 AB CD"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, Data::octet_string(hex("ABCD")));
  ByteWriter w;
  axdr::encode_length(0x10000, w);
  EXPECT_EQ(to_hex(w.view()), "83010000");
}

TEST(AxdrEncode, Lists) {
  expect_wire(Data::structure({Data::long_unsigned(230), Data::unsigned_(1)}),
              "02 02 12 00 E6 11 01");
  expect_wire(Data::array({}), "01 00");
  expect_wire(Data::array({Data::structure({Data::enumerated(1)}), Data::structure({})}),
              "01 02 02 01 16 01 02 00");
  // 130 elements: the count needs the long form.
  DataList many(130, Data::null());
  const Bytes enc = axdr::encode(Data::array(many));
  EXPECT_EQ(to_hex(enc).substr(0, 6), "018182");
  EXPECT_EQ(enc.size(), 3u + 130u);
  EXPECT_EQ(*axdr::decode_all(enc), Data::array(many));
}

TEST(AxdrEncode, DateTimeDateTime) {
  // 2026-11-23 (a Monday) 15:45:00.00 IST, deviation -330 = 0xFEB6, status 0.
  CosemDateTime t{2026, 11, 23, 1, 15, 45, 0, 0, -330, 0};
  expect_wire(Data::date_time(t), "19 07 EA 0B 17 01 0F 2D 00 00 FE B6 00");
  expect_wire(Data::date_time_octets(t), "09 0C 07 EA 0B 17 01 0F 2D 00 00 FE B6 00");
  expect_wire(Data::date_time(CosemDateTime{}), "19 FF FF FF FF FF FF FF FF FF 80 00 FF");
  expect_wire(Data::date(CosemDate{2026, 11, 23, 1}), "1A 07 EA 0B 17 01");
  expect_wire(Data::time(CosemTime{15, 45, 0, 0xFF}), "1B 0F 2D 00 FF");
}

TEST(AxdrEncode, CompactArray) {
  // Type structure{long-unsigned, unsigned}, two elements of 3 bytes each; the contents are an
  // octet-string (length 6) of tagless values.
  TypeDescription row{
      DataTag::kStructure,
      0,
      {TypeDescription{DataTag::kLongUnsigned, 0, {}}, TypeDescription{DataTag::kUnsigned, 0, {}}}};
  CompactArray c{row,
                 {Data::structure({Data::long_unsigned(1), Data::unsigned_(2)}),
                  Data::structure({Data::long_unsigned(3), Data::unsigned_(4)})}};
  expect_wire(Data::compact_array(c), "13 02 02 12 11 06 00 01 02 00 03 04");

  // Type array[2] of unsigned: elements carry no count of their own.
  TypeDescription pair{DataTag::kArray, 2, {TypeDescription{DataTag::kUnsigned, 0, {}}}};
  CompactArray c2{pair,
                  {Data::array({Data::unsigned_(1), Data::unsigned_(2)}),
                   Data::array({Data::unsigned_(3), Data::unsigned_(4)})}};
  expect_wire(Data::compact_array(c2), "13 01 00 02 11 04 01 02 03 04");

  // Variable-length elements keep their length.
  CompactArray c3{TypeDescription{DataTag::kOctetString, 0, {}},
                  {Data::octet_string(hex("AB")), Data::octet_string({})}};
  expect_wire(Data::compact_array(c3), "13 09 03 01 AB 00");

  CompactArray empty{TypeDescription{DataTag::kUnsigned, 0, {}}, {}};
  expect_wire(Data::compact_array(empty), "13 11 00");
}

TEST(AxdrDecode, CompactArrayErrors) {
  // Element types with parts of zero size would let a few bytes stand for many values.
  EXPECT_EQ(decode_error("13 00 00"), Errc::kUnsupported);           // null
  EXPECT_EQ(decode_error("13 FF 01 00"), Errc::kUnsupported);        // dont-care
  EXPECT_EQ(decode_error("13 01 00 00 11 00"), Errc::kUnsupported);  // array[0]
  EXPECT_EQ(decode_error("13 02 00 00"), Errc::kUnsupported);        // structure{}
  // Found by fuzz_axdr: structure{long-unsigned, array[63506] of dont-care} made 17 input bytes
  // decode to 190,000 values.
  EXPECT_EQ(decode_error("13 02 02 12 01 F8 12 FF 06 0F FF 00 11 0A DA"), Errc::kUnsupported);
  EXPECT_EQ(decode_error("13 13 00"), Errc::kMalformed);           // compact-array in type
  EXPECT_EQ(decode_error("13 07 00"), Errc::kMalformed);           // unknown type tag
  EXPECT_EQ(decode_error("13 12 03 00 01 02"), Errc::kMalformed);  // element overruns contents
  EXPECT_EQ(decode_error("13 12 04 00 01"), Errc::kMalformed);     // contents truncated
}

// Every type once, nested, for round-trips and truncation.
Data every_type() {
  BitString esw = BitString::of_size(128);
  esw.set(0);
  esw.set(85);
  TypeDescription row{DataTag::kStructure,
                      0,
                      {TypeDescription{DataTag::kDateTime, 0, {}},
                       TypeDescription{DataTag::kDoubleLongUnsigned, 0, {}},
                       TypeDescription{DataTag::kVisibleString, 0, {}}}};
  CompactArray c{
      row,
      {Data::structure({Data::date_time(CosemDateTime{2026, 1, 2, 5, 3, 4, 5, 6, -330, 0}),
                        Data::double_long_unsigned(7), Data::visible_string("x")})}};
  return Data::structure({
      Data::null(),
      Data::dont_care(),
      Data::boolean(true),
      Data::bit_string(esw),
      Data::double_long(std::numeric_limits<std::int32_t>::min()),
      Data::double_long_unsigned(std::numeric_limits<std::uint32_t>::max()),
      Data::octet_string(hex("0000010000FF")),
      Data::visible_string("IS15959"),
      Data::utf8_string("meter"),
      Data::bcd(0x45),
      Data::integer(-128),
      Data::long_(-32768),
      Data::unsigned_(255),
      Data::long_unsigned(65535),
      Data::compact_array(c),
      Data::long64(std::numeric_limits<std::int64_t>::min()),
      Data::long64_unsigned(std::numeric_limits<std::uint64_t>::max()),
      Data::enumerated(3),
      Data::float32(-0.25f),
      Data::float64(1e300),
      Data::date_time(CosemDateTime{2026, 11, 23, 1, 15, 45, 0, 0, -330, 0}),
      Data::date(CosemDate{2026, 11, 23, 1}),
      Data::time(CosemTime{23, 59, 59, 99}),
      Data::array({Data::array({Data::long_unsigned(1)}), Data::structure({})}),
      Data::octet_string(Bytes(200, 0x11)),
  });
}

TEST(AxdrDecode, RoundTripEveryType) {
  const Data d = every_type();
  const Bytes enc = axdr::encode(d);
  auto back = axdr::decode_all(enc);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(*back, d);
  EXPECT_EQ(axdr::encode(*back), enc);
  for (const Data& e : *d.as_list()) {
    auto one = axdr::decode_all(axdr::encode(e));
    ASSERT_TRUE(one.ok()) << to_string(e.tag());
    EXPECT_EQ(*one, e) << to_string(e.tag());
  }
}

TEST(AxdrDecode, DecodeLeavesReaderAfterValue) {
  const Bytes b = hex("12 00 E6 11 07");
  ByteReader r(b);
  auto a = axdr::decode(r);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, Data::long_unsigned(230));
  EXPECT_EQ(r.position(), 3u);
  auto c = axdr::decode(r);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, Data::unsigned_(7));
  EXPECT_TRUE(r.empty());
}

TEST(AxdrDecode, TruncationAtEveryByte) {
  const Bytes enc = axdr::encode(every_type());
  for (std::size_t n = 0; n < enc.size(); ++n) {
    ByteView part(enc.data(), n);
    ByteReader r(part);
    auto d = axdr::decode(r);
    ASSERT_FALSE(d.ok()) << "prefix " << n;
    // The compact-array's contents are length-delimited: a cut inside them is a short
    // octet-string, still kNeedMore at the outer level.
    EXPECT_EQ(d.error().code, Errc::kNeedMore) << "prefix " << n << ": " << d.error().describe();
    auto all = axdr::decode_all(part);
    ASSERT_FALSE(all.ok());
    EXPECT_EQ(all.error().code, Errc::kMalformed) << "prefix " << n;
  }
}

TEST(AxdrDecode, TrailingBytes) {
  EXPECT_EQ(decode_error("11 01 00"), Errc::kMalformed);
  const Bytes b = hex("11 01 00");
  ByteReader r(b);
  EXPECT_TRUE(axdr::decode(r).ok());  // decode() leaves them for the caller
}

TEST(AxdrDecode, UnknownTags) {
  for (std::string_view t : {"07", "08", "0B", "0E", "1C", "80", "FE"}) {
    EXPECT_EQ(decode_error(std::string(t) + " 00 00 00 00 00 00 00 00"), Errc::kMalformed) << t;
  }
  EXPECT_EQ(decode_error("02 02 11 01 07"), Errc::kMalformed);  // nested
}

TEST(AxdrDecode, FloatsKeepEveryBit) {
  // Signalling NaNs and negative zero come back bit for bit (no float/double conversion).
  for (std::string_view h : {"17 7F 80 00 01", "17 FF C1 23 45", "17 80 00 00 00",
                             "18 7F F0 00 00 00 00 00 01", "18 80 00 00 00 00 00 00 00"}) {
    const Bytes b = hex(h);
    auto d = axdr::decode_all(b);
    ASSERT_TRUE(d.ok()) << h;
    EXPECT_EQ(to_hex(axdr::encode(*d)), to_hex(b)) << h;
  }
}

TEST(AxdrDecode, BooleanAnyNonZeroIsTrue) {
  EXPECT_EQ(*axdr::decode_all(hex("03 05")), Data::boolean(true));
}

TEST(AxdrDecode, BitStringKeepsPaddingBytes) {
  auto d = axdr::decode_all(hex("04 03 E0"));
  ASSERT_TRUE(d.ok());
  const BitString* b = d->as_bits();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->bits, 3u);
  EXPECT_TRUE(b->test(0) && b->test(1) && b->test(2));
  EXPECT_FALSE(b->test(3));
  EXPECT_EQ(decode_error("04 09 FF"), Errc::kMalformed);  // 9 bits need 2 bytes
}

Bytes nested(std::size_t depth) {
  Bytes b;
  for (std::size_t i = 0; i < depth; ++i) {
    b.push_back(0x02);
    b.push_back(0x01);
  }
  b.push_back(0x00);
  return b;
}

TEST(AxdrLimits, Depth) {
  EXPECT_TRUE(axdr::decode_all(nested(axdr::kMaxDepth)).ok());
  auto r = axdr::decode_all(nested(axdr::kMaxDepth + 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kLimitExceeded);
  // Far deeper input is refused the same way, without recursing into it.
  auto deep = axdr::decode_all(nested(100'000));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().code, Errc::kLimitExceeded);
}

TEST(AxdrLimits, ElementCountRefusedBeforeAllocating) {
  // Array claiming 2^32 - 1 elements with no contents: refused from the count alone.
  EXPECT_EQ(decode_error("01 84 FF FF FF FF"), Errc::kLimitExceeded);
  EXPECT_EQ(decode_error("01 88 FF FF FF FF FF FF FF FF"), Errc::kLimitExceeded);
  ByteWriter w;
  w.u8(0x02);
  axdr::encode_length(axdr::kMaxElements + 1, w);
  EXPECT_EQ(axdr::decode_all(w.view()).error().code, Errc::kLimitExceeded);
  // A count within the limit but with short input is only truncated.
  ByteWriter w2;
  w2.u8(0x01);
  axdr::encode_length(axdr::kMaxElements, w2);
  ByteReader r(w2.view());
  EXPECT_EQ(axdr::decode(r).error().code, Errc::kNeedMore);
}

TEST(AxdrLimits, ElementCountIsForAllLevelsTogether) {
  // structure { array(N1) of null, array(N2) } where each fits but the sum does not.
  const std::size_t n1 = axdr::kMaxElements - 10;
  ByteWriter w;
  w.u8(0x02);
  w.u8(0x02);
  w.u8(0x01);
  axdr::encode_length(n1, w);
  for (std::size_t i = 0; i < n1; ++i) w.u8(0x00);
  w.u8(0x01);
  w.u8(20);
  for (int i = 0; i < 20; ++i) w.u8(0x00);
  auto r = axdr::decode_all(w.view());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kLimitExceeded);
}

TEST(AxdrLimits, CompactArrayElements) {
  // array[65535] nested five deep: the counts alone pass kMaxElements before the first value is
  // read, so this is refused although the contents are only 4 bytes.
  EXPECT_EQ(decode_error("13 01 FF FF 01 FF FF 01 FF FF 01 FF FF 01 FF FF 11 04 00 00 00 00"),
            Errc::kLimitExceeded);
  // Two levels: runs out of contents first.
  EXPECT_EQ(decode_error("13 01 FF FF 01 FF FF 11 04 00 00 00 00"), Errc::kMalformed);
}

TEST(AxdrLimits, StringLength) {
  ByteWriter w;
  w.u8(0x09);
  axdr::encode_length(axdr::kMaxStringLength + 1, w);
  EXPECT_EQ(axdr::decode_all(w.view()).error().code, Errc::kLimitExceeded);
  EXPECT_EQ(decode_error("0A 84 7F FF FF FF"), Errc::kLimitExceeded);
  EXPECT_EQ(decode_error("0C 84 7F FF FF FF"), Errc::kLimitExceeded);
  EXPECT_EQ(decode_error("04 84 7F FF FF FF"), Errc::kLimitExceeded);  // bit-string
  // Exactly at the limit is fine.
  const Data ok = Data::octet_string(Bytes(axdr::kMaxStringLength, 1));
  EXPECT_TRUE(axdr::decode_all(axdr::encode(ok)).ok());
}

TEST(AxdrData, Accessors) {
  EXPECT_EQ(Data::long_unsigned(230).as_int(), 230);
  EXPECT_EQ(Data::integer(-5).as_uint(), std::nullopt);
  EXPECT_EQ(Data::integer(-5).as_int(), -5);
  EXPECT_EQ(Data::long64_unsigned(std::numeric_limits<std::uint64_t>::max()).as_int(),
            std::nullopt);
  EXPECT_EQ(Data::float32(0.5f).as_double(), 0.5);
  EXPECT_EQ(Data::enumerated(2).as_double(), 2.0);
  EXPECT_EQ(Data::visible_string("a").as_int(), std::nullopt);
  EXPECT_TRUE(Data::bcd(1).is_integer());
  EXPECT_TRUE(Data::enumerated(1).is_integer());
  EXPECT_FALSE(Data::float32(1).is_integer());
  EXPECT_EQ(Data::boolean(true).as_bool(), true);
  EXPECT_EQ(Data::unsigned_(1).as_bool(), std::nullopt);
  EXPECT_EQ(*Data::utf8_string("u").as_text(), "u");
  EXPECT_EQ(Data::octet_string({}).as_text(), nullptr);
  const Data s = Data::structure({Data::unsigned_(1)});
  ASSERT_NE(s.at(0), nullptr);
  EXPECT_EQ(*s.at(0), Data::unsigned_(1));
  EXPECT_EQ(s.at(1), nullptr);
  EXPECT_EQ(Data::unsigned_(1).at(0), nullptr);
  EXPECT_TRUE(Data().is_null());
  EXPECT_NE(Data::long_(1), Data::long_unsigned(1));  // the wire type is part of the value
  const CosemDateTime t = CosemDateTime::from_utc(UtcTime(Millis(0)));
  EXPECT_EQ(Data::date_time_octets(t).as_date_time(), t);
  EXPECT_EQ(Data::date_time(t).as_date_time(), t);
  EXPECT_EQ(Data::octet_string(Bytes(11, 0)).as_date_time(), std::nullopt);
  EXPECT_EQ(Data::date(CosemDate{}).as_date(), CosemDate{});
  EXPECT_EQ(Data::time(CosemTime{}).as_time(), CosemTime{});
  EXPECT_EQ(Data::time(CosemTime{}).as_date(), std::nullopt);
}

TEST(AxdrData, BitStringSetTest) {
  BitString b;
  EXPECT_FALSE(b.test(0));
  b.set(9);
  EXPECT_EQ(b.bits, 10u);
  EXPECT_EQ(to_hex(b.bytes), "0040");
  EXPECT_TRUE(b.test(9));
  EXPECT_FALSE(b.test(8));
  EXPECT_FALSE(b.test(1000));
  b.set(9, false);
  EXPECT_FALSE(b.test(9));
  EXPECT_EQ(b.bits, 10u);
  EXPECT_EQ(BitString::of_size(128).bytes.size(), 16u);
}

TEST(AxdrData, TagNames) {
  EXPECT_STREQ(to_string(DataTag::kLongUnsigned), "long-unsigned");
  EXPECT_STREQ(to_string(DataTag::kCompactArray), "compact-array");
  EXPECT_STREQ(to_string(DataTag::kDontCare), "dont-care");
}

TEST(AxdrFuzzCorpus, SeedsAreValidEncodings) {
  // The fuzz seeds must decode and re-encode to themselves, or the fuzzer starts from garbage.
  const std::filesystem::path dir = std::filesystem::path(VIDYUT_SOURCE_DIR) / "fuzz/corpus/axdr";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream f(entry.path(), std::ios::binary);
    const Bytes b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto d = axdr::decode_all(b);
    ASSERT_TRUE(d.ok()) << entry.path() << ": " << d.error().describe();
    EXPECT_EQ(axdr::encode(*d), b) << entry.path();
    ++seen;
  }
  EXPECT_GE(seen, 5);
}

}  // namespace
}  // namespace vidyut::dlms
