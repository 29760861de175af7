// What `vidyut serve` exposes at /metrics (docs/metrics.md): the head end's, billing's, the MDM's
// and the HTTP server's counters as sources of the exporter, and, fed from the store on every
// status tick, the latency of each finished command (request to outcome) and of each
// reconnection a recharge ordered (recharge to the meter's confirmation).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "billing/engine.h"
#include "billing/ledger.h"
#include "cli/notice_service.h"
#include "core/clock.h"
#include "headend/head_end.h"
#include "http/server.h"
#include "mdm/monitor.h"
#include "metrics/exporter.h"
#include "store/store.h"

namespace vidyut::cli {

// Each component's statistics as samples (names in docs/metrics.md).
std::vector<metrics::Sample> head_end_samples(const headend::HeadEndStats& s);
std::vector<metrics::Sample> billing_samples(const billing::EngineStats& s);
std::vector<metrics::Sample> mdm_samples(const mdm::MonitorStats& s);
std::vector<metrics::Sample> http_samples(const http::ServerStats& s);
std::vector<metrics::Sample> notice_samples(const NoticeStats& s);

class MetricsFeed {
 public:
  // `store` (a connection of the feed's own), `db` (may be null: no reconnection latencies).
  MetricsFeed(metrics::Exporter& exporter, store::Store& store, billing::BillingDb* db);
  // Observes what finished since the last call.
  void tick(UtcTime now);

 private:
  metrics::Exporter& exporter_;
  store::Store& store_;
  billing::BillingDb* db_;
  std::int64_t cursor_ = 0;         // commands seen up to this id
  std::set<std::int64_t> pending_;  // seen while pending: checked again
  std::set<std::string> reconnections_seen_;
  // The reconnection scan reads every account: at most once a minute, not on every status tick.
  std::chrono::steady_clock::time_point next_reconnection_scan_{};
};

}  // namespace vidyut::cli
