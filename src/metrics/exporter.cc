#include "metrics/exporter.h"

#include <map>
#include <mutex>
#include <sstream>

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace vidyut::metrics {
namespace {

// The sources' samples as metric families, gathered at each scrape.
class Sources final : public prometheus::Collectable {
 public:
  void add(Source s) {
    std::lock_guard l(mu_);
    sources_.push_back(std::move(s));
  }
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<Source> sources;
    {
      std::lock_guard l(mu_);
      sources = sources_;
    }
    std::map<std::string, prometheus::MetricFamily> families;
    for (const auto& source : sources) {
      for (const auto& s : source()) {
        auto& f = families[s.name];
        f.name = s.name;
        f.help = s.help;
        f.type = s.counter ? prometheus::MetricType::Counter : prometheus::MetricType::Gauge;
        prometheus::ClientMetric m;
        for (const auto& [k, v] : s.labels) m.label.push_back({k, v});
        if (s.counter) {
          m.counter.value = s.value;
        } else {
          m.gauge.value = s.value;
        }
        f.metric.push_back(std::move(m));
      }
    }
    std::vector<prometheus::MetricFamily> out;
    for (auto& [name, f] : families) out.push_back(std::move(f));
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Source> sources_;
};

const prometheus::Histogram::BucketBoundaries& buckets(Latency w) {
  static const prometheus::Histogram::BucketBoundaries kFast{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  static const prometheus::Histogram::BucketBoundaries kSlow{0.5, 1,   2,   5,   10,   20,  30,
                                                             60,  120, 300, 600, 1800, 3600};
  return w == Latency::kHttpRequest || w == Latency::kBillingTick || w == Latency::kMdmRun ? kFast
                                                                                           : kSlow;
}

}  // namespace

class Exporter::Impl {
 public:
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  std::shared_ptr<Sources> sources = std::make_shared<Sources>();
  std::map<Latency, prometheus::Family<prometheus::Histogram>*> families;
  std::mutex mu;
  Impl() {
    auto add = [&](Latency w, const char* name, const char* help) {
      families[w] = &prometheus::BuildHistogram().Name(name).Help(help).Register(*registry);
    };
    add(Latency::kHttpRequest, "vidyut_http_request_duration_seconds",
        "Time to answer an HTTP request, by route");
    add(Latency::kCommand, "vidyut_command_duration_seconds",
        "Time from a command's request to its outcome at the meter, by kind");
    add(Latency::kRechargeReconnect, "vidyut_recharge_reconnect_seconds",
        "Time from a recharge that restores supply to the meter's confirmed reconnection");
    add(Latency::kBillingTick, "vidyut_billing_tick_duration_seconds",
        "Time of one billing engine tick");
    add(Latency::kMdmRun, "vidyut_mdm_run_duration_seconds",
        "Time of one run of the MDM's continuous work");
  }
};

Exporter::Exporter() : impl_(std::make_unique<Impl>()) {}
Exporter::~Exporter() = default;

void Exporter::add_source(Source source) { impl_->sources->add(std::move(source)); }

void Exporter::observe(Latency what, const std::string& label, double seconds) {
  std::lock_guard l(impl_->mu);
  auto* family = impl_->families.at(what);
  prometheus::Labels labels;
  if (!label.empty()) {
    labels[what == Latency::kHttpRequest ? "route" : "kind"] = label;
  }
  family->Add(labels, buckets(what)).Observe(seconds);
}

std::string Exporter::render() const {
  auto families = impl_->registry->Collect();
  auto more = impl_->sources->Collect();
  families.insert(families.end(), more.begin(), more.end());
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace vidyut::metrics
