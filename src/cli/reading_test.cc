// The reading path of `vidyut dlms read` (cli/reading.h) against an in-memory meter: the values
// an independent meter sent (class 77 attributes 5 and 9, each a structure of {unsigned,
// date-time}) and other valid values print as text and as JSON that parses, including in a
// profile's cells.
#include "cli/reading.h"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

#include "cli/test_meter.h"

namespace vidyut::cli {
namespace {

using dlms::CosemDateTime;
using dlms::Data;
using dlms::Obis;

using testing::kAnything;
using testing::kDiagnostic;
using testing::kProfile;

CosemDateTime ist(int minute) {
  CosemDateTime dt;
  dt.year = 2026;
  dt.month = 11;
  dt.day = 23;
  dt.weekday = 1;
  dt.hour = 15;
  dt.minute = static_cast<std::uint8_t>(minute);
  dt.second = 0;
  dt.hundredths = 0;
  dt.deviation = -330;
  dt.status = 0;
  return dt;
}

struct Meter : testing::TestMeter {
  Meter() {
    // As the independent meter sent them: the date-time as tag 25 in one, as the 12-byte
    // octet-string in the other.
    diagnostic.put(5, Data::structure({Data::unsigned_(3), Data::date_time(ist(45))}));
    diagnostic.put(9, Data::structure({Data::unsigned_(2), Data::date_time_octets(ist(46))}));
  }
};

struct Connected {
  testing::Line line;
  dlms::Client client;
  explicit Connected(Meter& m)
      : line(m, dlms::kPublicClientSap), client(*line.transport, testing::public_client()) {
    EXPECT_TRUE(client.associate().ok());
  }
};

Reading read_ok(dlms::Client& client, const Target& t) {
  auto r = read_and_format(client, t, std::nullopt);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().describe());
  if (!r.ok()) return {};
  EXPECT_TRUE(nlohmann::json::accept(r->json)) << r->json;
  EXPECT_FALSE(r->text.empty());
  return *r;
}

TEST(Reading, Class77StructuresOfUnsignedAndDateTimePrintAsTextAndJson) {
  Meter m;
  Connected c(m);
  const Reading five = read_ok(c.client, Target{kDiagnostic, 5, 77});
  EXPECT_TRUE(five.success);
  EXPECT_NE(five.text.find("{3, 2026-11-23 15:45:00 IST}"), std::string::npos) << five.text;
  EXPECT_NE(five.json.find("[3,\"2026-11-23T15:45:00+05:30\"]"), std::string::npos) << five.json;
  const Reading nine = read_ok(c.client, Target{kDiagnostic, 9, 77});
  EXPECT_NE(nine.text.find("{2, 2026-11-23 15:46:00 IST}"), std::string::npos) << nine.text;
  EXPECT_NE(nine.json.find("[2,\"2026-11-23T15:46:00+05:30\"]"), std::string::npos) << nine.json;
}

// Values of every kind a meter may send, alone and as a profile's cells and columns.
std::vector<Data> odd_values() {
  CosemDateTime unspecified;  // every field "not specified"
  CosemDateTime out_of_range = ist(0);
  out_of_range.month = 13;
  out_of_range.deviation = 0x7FFF;
  dlms::CompactArray compact;
  compact.element_type.tag = dlms::DataTag::kLongUnsigned;
  compact.elements = {Data::long_unsigned(1), Data::long_unsigned(2)};
  return {
      Data::null(),
      Data::dont_care(),
      Data::boolean(true),
      Data::date_time(unspecified),
      Data::date_time(out_of_range),
      Data::date_time_octets(unspecified),
      Data::octet_string(Bytes(12, 0xFF)),
      Data::octet_string(Bytes{}),
      Data::visible_string(std::string("a\0b\x7F\n", 5)),
      Data::utf8_string("\xC3\x28\xFF"),
      Data::float32(std::numeric_limits<float>::quiet_NaN()),
      Data::float64(-std::numeric_limits<double>::infinity()),
      Data::long64(std::numeric_limits<std::int64_t>::min()),
      Data::long64_unsigned(std::numeric_limits<std::uint64_t>::max()),
      Data::bit_string(dlms::BitString::of_size(13)),
      Data::date(dlms::CosemDate{}),
      Data::time(dlms::CosemTime{}),
      Data::compact_array(compact),
      Data::array({}),
      Data::structure({Data::unsigned_(1), Data::date_time(ist(1)), Data::array({Data::null()})}),
      // Shaped like a scaler-unit (a structure of integer and enum) with values out of range.
      Data::structure({Data::integer(-128), Data::enumerated(250)}),
  };
}

TEST(Reading, EveryKindOfValuePrintsAsTextAndJson) {
  Meter m;
  Connected c(m);
  for (const Data& v : odd_values()) {
    SCOPED_TRACE(dlms::axdr::to_text(v));
    m.anything.put(2, v);
    read_ok(c.client, Target{kAnything, 2, 1});
    // The same value as a register's value and as its scaler_unit.
    m.anything.put(3, v);
    read_ok(c.client, Target{kAnything, 2, 3});
    read_ok(c.client, Target{kAnything, 3, 3});
    m.anything.put(3, Data::structure({Data::integer(127), Data::enumerated(255)}));
    read_ok(c.client, Target{kAnything, 2, 3});
  }
}

TEST(Reading, AProfileOfAnyCellsAndColumnsPrintsAsTextAndJson) {
  Meter m;
  Connected c(m);
  const std::vector<Data> values = odd_values();
  // Rows of every value, rows that are not structures, rows wider than the columns.
  dlms::DataList rows;
  rows.push_back(Data::structure(values));
  for (const Data& v : values) rows.push_back(v);
  rows.push_back(Data::structure({}));
  m.profile.put(2, Data::array(rows));
  for (const Data& columns : {Data::array({}), Data::null(), Data::array({Data::null()})}) {
    m.profile.put(3, columns);
    auto r = read_and_format(c.client, Target{kProfile, 2, 7}, std::nullopt);
    if (!r.ok()) {
      // Capture objects that are not capture object definitions are refused, not printed.
      EXPECT_EQ(r.error().code, Errc::kMalformed);
      continue;
    }
    EXPECT_TRUE(nlohmann::json::accept(r->json)) << r->json;
    EXPECT_EQ(r->rows, rows.size());
  }
  // A buffer that is not an array.
  m.profile.put(3, Data::array({}));
  for (const Data& v : values) {
    m.profile.put(2, v);
    read_ok(c.client, Target{kProfile, 2, 7});
  }
}

}  // namespace
}  // namespace vidyut::cli
