// The exposition: the sources' counters and gauges with their labels, and histograms observed.
#include "metrics/exporter.h"

#include <gtest/gtest.h>

namespace vidyut::metrics {
namespace {

TEST(Exporter, RendersSourcesAndHistogramsInTheTextFormat) {
  Exporter e;
  int scrapes = 0;
  e.add_source([&] {
    ++scrapes;
    return std::vector<Sample>{
        {"vidyut_pushes_total", "Authenticated pushes", true, {}, 132},
        {"vidyut_write_queue_rows", "Rows waiting for the writer", false, {}, 7},
        {"vidyut_meters", "Meters by state", false, {{"state", "silent"}}, 3},
        {"vidyut_meters", "Meters by state", false, {{"state", "communicating"}}, 21}};
  });
  e.observe(Latency::kHttpRequest, "/api/v1/fleet", 0.004);
  e.observe(Latency::kHttpRequest, "/api/v1/fleet", 0.2);
  e.observe(Latency::kCommand, "disconnect", 3.5);
  const std::string text = e.render();
  EXPECT_EQ(scrapes, 1);
  EXPECT_NE(text.find("# TYPE vidyut_pushes_total counter"), std::string::npos) << text;
  EXPECT_NE(text.find("vidyut_pushes_total 132"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE vidyut_write_queue_rows gauge"), std::string::npos);
  EXPECT_NE(text.find("vidyut_meters{state=\"silent\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("vidyut_meters{state=\"communicating\"} 21"), std::string::npos);
  EXPECT_NE(text.find("vidyut_http_request_duration_seconds_count{route=\"/api/v1/fleet\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          "vidyut_http_request_duration_seconds_bucket{route=\"/api/v1/fleet\",le=\"0.005\"} 1"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("vidyut_command_duration_seconds_sum{kind=\"disconnect\"} 3.5"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace vidyut::metrics
