// The platform's metrics in the Prometheus text format, for GET /metrics (docs/metrics.md):
// counters and gauges read from each component's own statistics when scraped (sources), and
// latency histograms observed as things happen (HTTP requests by route, commands from request to
// outcome, recharge to reconnection, billing ticks and MDM runs). prometheus-cpp (Debian's
// prometheus-cpp-dev) stays inside this module's .cc file.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace vidyut::metrics {

struct Sample {
  std::string name;  // vidyut_..., with _total for counters
  std::string help;
  bool counter = true;  // false: a gauge
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

using Source = std::function<std::vector<Sample>()>;

// Latency histograms with buckets in seconds.
enum class Latency {
  kHttpRequest,        // label: route
  kCommand,            // label: kind (connect, disconnect, ...): created to outcome
  kRechargeReconnect,  // a recharge that reconnects, to the confirmed connect
  kBillingTick,
  kMdmRun,
};

class Exporter {
 public:
  Exporter();
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // A source read at every scrape (thread-safe calls from the scraping thread).
  void add_source(Source source);
  // Thread-safe.
  void observe(Latency what, const std::string& label, double seconds);
  // The whole exposition (text format 0.0.4).
  std::string render() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vidyut::metrics
