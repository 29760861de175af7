// The usage answer written straight to text is byte for byte the JSON document's dump.
#include "api/resources.h"

#include <gtest/gtest.h>

#include "api/json_body.h"

namespace vidyut::api {
namespace {

TEST(Resources, UsageTextIsTheDocumentsDumpByteForByte) {
  mdm::UsageSeries s;
  s.resolution = mdm::Resolution::k15Min;
  for (int i = 0; i < 5; ++i) {
    mdm::UsageBucket b;
    b.start = UtcTime(Millis(1'796'149'800'000 + std::int64_t{i} * 900'000));
    b.label = "2026-12-06 0" + std::to_string(i) + ":15";
    b.import_wh = 100 * i - 3;
    b.export_wh = i;
    b.intervals = static_cast<std::uint32_t>(i);
    b.estimated = i == 2 ? 1u : 0u;
    b.missing = i == 4 ? 1u : 0u;
    s.buckets.push_back(b);
  }
  s.buckets[3].label = "odd \"label\" with \\ and\ta\nbreak\x01";
  s.import_wh = 12'345;
  s.export_wh = 7;
  s.estimated = 1;
  s.missing = 1;
  EXPECT_EQ(usage_text(s), dump(usage_json(s)));
  mdm::UsageSeries empty;
  empty.resolution = mdm::Resolution::kMonth;
  EXPECT_EQ(usage_text(empty), dump(usage_json(empty)));
}

}  // namespace
}  // namespace vidyut::api
