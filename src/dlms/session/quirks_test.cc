// Meter quirks (quirks.h): the deviant bytes an independent meter sent are refused by default and
// accepted only with the quirk that names them, each acceptance counted.
#include "dlms/session/quirks.h"

#include <gtest/gtest.h>

#include <vector>

#include "dlms/apdu/apdu.h"
#include "dlms/cosem/classes.h"
#include "dlms/session/client.h"
#include "dlms/session/loopback.h"
#include "dlms/session/server.h"

namespace vidyut::dlms {
namespace {

constexpr Obis kProfile{1, 0, 99, 1, 0, 255};

// A public association on a meter with nothing in it: enough for the client codec to be
// associated; the GET responses are then fed to the codec by hand.
struct Associated {
  ManualClock clock{*parse_iso8601("2026-11-23T10:15:00Z")};
  cosem::LogicalDevice device;
  InMemoryInvocationCounterStore counters;
  ServerSettings settings = ServerSettings::is15959_defaults(
      *security::parse_system_title("4D4D4D0000BC614E"), "ABCDEFGH12345678", {});
  ServerConnection conn{settings, device, counters, clock};
  LoopbackTransport transport{conn, kPublicClientSap};
  Client client;

  explicit Associated(QuirkSet quirks) : client(transport, settings_with(quirks)) {
    EXPECT_TRUE(client.associate().ok());
  }
  static ClientSettings settings_with(QuirkSet quirks) {
    ClientSettings s;
    s.client_sap = kPublicClientSap;
    s.timeout = Millis(50);
    s.quirks = quirks;
    return s;
  }

  // GETs the profile buffer and answers with `blocks` as GET-Response-With-Data-Block.
  Result<Data> read_in_blocks(const std::vector<Bytes>& blocks) {
    ClientCodec& codec = client.codec();
    auto req = codec.build_get({7, kProfile, 2});
    if (!req.ok()) return req.error();
    const auto invoke = decode_apdu(*req);
    const auto* g = apdu_get<GetRequestNormal>(*invoke);
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      GetResponseWithDataBlock b;
      b.invoke = g->invoke;
      b.block_number = static_cast<std::uint32_t>(i + 1);
      b.last_block = i + 1 == blocks.size();
      b.raw = blocks[i];
      VIDYUT_TRY(p, codec.on_get_response(encode(Apdu(GetResponse(b)))));
      if (p->complete) {
        if (const auto* d = std::get_if<Data>(&p->results.at(0))) return *d;
        return Error(Errc::kProtocol, "data-access-result");
      }
    }
    return Error(Errc::kProtocol, "not complete");
  }
};

Bytes row(std::uint16_t v) {
  return axdr::encode(Data::structure({Data::long_unsigned(v), Data::long_unsigned(v + 1)}));
}

// 01 02 <row 1> | <row 2> | 01 02: the last block repeats the array header.
std::vector<Bytes> repeated_header_blocks() {
  Bytes first{0x01, 0x02};
  const Bytes r1 = row(10);
  first.insert(first.end(), r1.begin(), r1.end());
  return {first, row(20), Bytes{0x01, 0x02}};
}

// 01 00 | 01 00: an empty profile whose empty array comes twice.
std::vector<Bytes> empty_array_twice_blocks() { return {Bytes{0x01, 0x00}, Bytes{0x01, 0x00}}; }

TEST(Quirks, RepeatedHeaderInTheLastBlockIsRefusedWithoutTheQuirk) {
  Associated a{QuirkSet()};
  auto r = a.read_in_blocks(repeated_header_blocks());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kMalformed);
  EXPECT_EQ(a.client.deviations().total(), 0u);
}

TEST(Quirks, RepeatedHeaderInTheLastBlockIsAcceptedAndCountedWithTheQuirk) {
  Associated a{QuirkSet().add(Quirk::kRepeatedHeaderInEmptyLastBlock)};
  auto r = a.read_in_blocks(repeated_header_blocks());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_NE(r->as_list(), nullptr);
  ASSERT_EQ(r->as_list()->size(), 2u);
  EXPECT_EQ(r->at(1)->at(0)->as_uint(), 20u);
  EXPECT_EQ(a.client.deviations().of(Quirk::kRepeatedHeaderInEmptyLastBlock), 1u);
  EXPECT_EQ(a.client.deviations().total(), 1u);
  // A second read counts again; a strict answer counts nothing.
  ASSERT_TRUE(a.read_in_blocks(repeated_header_blocks()).ok());
  ASSERT_TRUE(a.read_in_blocks({Bytes{0x01, 0x01}, row(5)}).ok());
  EXPECT_EQ(a.client.deviations().total(), 2u);
}

TEST(Quirks, EmptyArrayTwiceIsRefusedWithoutTheQuirkAndAcceptedWithIt) {
  {
    Associated strict{QuirkSet()};
    auto r = strict.read_in_blocks(empty_array_twice_blocks());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::kMalformed);
  }
  Associated a{QuirkSet().add(Quirk::kEmptyArrayTwice)};
  auto r = a.read_in_blocks(empty_array_twice_blocks());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_NE(r->as_list(), nullptr);
  EXPECT_TRUE(r->as_list()->empty());
  EXPECT_EQ(a.client.deviations().of(Quirk::kEmptyArrayTwice), 1u);
}

TEST(Quirks, AQuirkAcceptsOnlyTheDeviationItNames) {
  // Each quirk alone refuses the other's deviation.
  {
    Associated a{QuirkSet().add(Quirk::kEmptyArrayTwice)};
    EXPECT_FALSE(a.read_in_blocks(repeated_header_blocks()).ok());
  }
  {
    Associated a{QuirkSet().add(Quirk::kRepeatedHeaderInEmptyLastBlock)};
    EXPECT_FALSE(a.read_in_blocks(empty_array_twice_blocks()).ok());
  }
  // Other trailing bytes stay refused with every quirk on.
  QuirkSet all =
      QuirkSet().add(Quirk::kEmptyArrayTwice).add(Quirk::kRepeatedHeaderInEmptyLastBlock);
  Associated a{all};
  std::vector<Bytes> other = repeated_header_blocks();
  other.back() = Bytes{0x01, 0x03};  // a header that is not the first block's
  EXPECT_FALSE(a.read_in_blocks(other).ok());
  // The repeated header must be the whole last block, not bytes after the last row.
  std::vector<Bytes> glued = repeated_header_blocks();
  glued.pop_back();
  glued.back().insert(glued.back().end(), {0x01, 0x02});
  EXPECT_FALSE(a.read_in_blocks(glued).ok());
  EXPECT_EQ(a.client.deviations().total(), 0u);
}

TEST(Quirks, NamesParseAndUnknownNamesAreRefused) {
  auto set = QuirkSet::parse("empty-array-twice, repeated-header-in-empty-last-block");
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(set->has(Quirk::kEmptyArrayTwice));
  EXPECT_TRUE(set->has(Quirk::kRepeatedHeaderInEmptyLastBlock));
  EXPECT_EQ(QuirkSet::parse("")->to_string(), "none");
  auto bad = QuirkSet::parse("empty-array-twice,lenient");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("lenient"), std::string::npos);
}

}  // namespace
}  // namespace vidyut::dlms
