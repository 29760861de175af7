#include "cli/metrics_feed.h"

#include "cli/reconnections.h"
#include "core/log.h"

namespace vidyut::cli {
namespace {

constexpr std::size_t kMaxPending = 100'000;

double seconds_between(UtcTime a, UtcTime b) {
  return std::chrono::duration<double>(b - a).count();
}

metrics::Sample counter(const char* name, const char* help, std::uint64_t v,
                        std::vector<std::pair<std::string, std::string>> labels = {}) {
  return metrics::Sample{name, help, true, std::move(labels), static_cast<double>(v)};
}
metrics::Sample gauge(const char* name, const char* help, std::uint64_t v) {
  return metrics::Sample{name, help, false, {}, static_cast<double>(v)};
}

}  // namespace

std::vector<metrics::Sample> head_end_samples(const headend::HeadEndStats& s) {
  const char* rejected = "Pushes and sessions refused, by reason";
  const char* commands = "Commands finished, by outcome";
  std::vector<metrics::Sample> out = {
      counter("vidyut_sessions_accepted_total", "Meter sessions accepted", s.sessions_accepted),
      counter("vidyut_sessions_refused_total", "Meter sessions refused (limits, budgets)",
              s.sessions_refused),
      gauge("vidyut_sessions_active", "Meter sessions open now", s.sessions_active),
      gauge("vidyut_meters_connected", "Meters with a session now", s.meters_connected),
      counter("vidyut_pushes_total", "Authenticated pushes (block load and alerts)", s.pushes),
      counter("vidyut_intervals_received_total", "Interval rows pushed or read, before storage",
              s.intervals_received),
      counter("vidyut_intervals_committed_total",
              "New interval rows durable in the store (acknowledged)", s.intervals_committed),
      counter("vidyut_intervals_duplicate_total", "Interval rows already stored",
              s.intervals_duplicate),
      gauge("vidyut_write_queue_rows", "Rows waiting for the store's writer", s.write_queue),
      counter("vidyut_write_errors_total", "Store writes that failed", s.write_errors),
      counter("vidyut_gap_rows_total", "Interval rows recovered by gap fill", s.gap_rows),
      counter("vidyut_alerts_raised_total", "Alerts raised", s.alerts_raised),
      counter("vidyut_rejected_total", rejected, s.rejected_unknown, {{"reason", "unknown-meter"}}),
      counter("vidyut_rejected_total", rejected, s.rejected_auth, {{"reason", "authentication"}}),
      counter("vidyut_rejected_total", rejected, s.rejected_replay, {{"reason", "replay"}}),
      counter("vidyut_rejected_total", rejected, s.rejected_malformed, {{"reason", "malformed"}}),
      counter("vidyut_rejected_total", rejected, s.rejected_flood, {{"reason", "flood"}}),
      counter("vidyut_commands_total", commands, s.commands_succeeded, {{"outcome", "succeeded"}}),
      counter("vidyut_commands_total", commands, s.commands_failed, {{"outcome", "failed"}}),
      counter("vidyut_commands_total", commands, s.commands_expired, {{"outcome", "expired"}}),
      counter("vidyut_clock_checks_total", "Meter clocks read and compared with the head end's",
              s.clock_checks),
      counter("vidyut_clock_corrections_total",
              "Clock-set commands the head end queued for meters beyond the tolerance",
              s.clock_corrections),
      counter("vidyut_clock_alerts_total", "Meter clocks found beyond the alert limit",
              s.clock_alerts),
      gauge("vidyut_meters_clock_beyond_tolerance",
            "Meters whose last clock check found them beyond the tolerance",
            s.meters_clock_beyond_tolerance),
      counter("vidyut_intervals_clock_suspect_total",
              "Interval rows from meters whose last clock check was beyond the tolerance",
              s.intervals_clock_suspect),
      counter("vidyut_sim_reads_total", "Active SIM and operator read from meters", s.sim_reads),
      counter("vidyut_sim_changes_total", "Active SIM or operator found changed by a meter",
              s.sim_changes),
  };
  for (std::size_t q = 0; q < dlms::kQuirkCount; ++q) {
    const auto quirk = static_cast<dlms::Quirk>(q);
    out.push_back(counter("vidyut_quirk_deviations_total",
                          "Meter answers accepted only under a configured quirk, by quirk",
                          s.quirk_deviations.of(quirk), {{"quirk", dlms::to_string(quirk)}}));
  }
  return out;
}

std::vector<metrics::Sample> billing_samples(const billing::EngineStats& s) {
  return {
      gauge("vidyut_billing_accounts", "Accounts billed", s.accounts),
      counter("vidyut_billing_recharges_total", "Recharges credited", s.recharges),
      counter("vidyut_billing_duplicate_recharges_total", "Recharges notified again (no credit)",
              s.duplicate_recharges),
      counter("vidyut_billing_reversals_total", "Recharges reversed", s.reversals),
      counter("vidyut_billing_daily_postings_total", "Account-days posted", s.daily_postings),
      counter("vidyut_billing_disconnects_total", "Disconnections ordered by billing",
              s.disconnects),
      counter("vidyut_billing_reconnects_total", "Reconnections ordered by billing", s.reconnects),
      counter("vidyut_billing_notifications_total", "Notices recorded", s.notifications),
      counter("vidyut_billing_errors_total", "Billing errors", s.errors),
  };
}

std::vector<metrics::Sample> mdm_samples(const mdm::MonitorStats& s) {
  return {
      counter("vidyut_mdm_runs_total", "Runs of the MDM's continuous work", s.runs),
      counter("vidyut_mdm_overload_alerts_total", "DT overload alerts raised", s.overload_alerts),
      counter("vidyut_mdm_outage_alerts_total", "Outage alerts raised", s.outage_alerts),
      counter("vidyut_mdm_errors_total", "MDM errors", s.errors),
  };
}

std::vector<metrics::Sample> http_samples(const http::ServerStats& s) {
  return {
      counter("vidyut_http_connections_total", "HTTP connections served", s.connections),
      counter("vidyut_http_refused_connections_total",
              "HTTP connections refused (limits, per-address cap)", s.refused_connections),
      counter("vidyut_http_requests_total", "HTTP requests handled", s.requests),
      counter("vidyut_http_bad_requests_total", "HTTP requests refused by the request rules",
              s.bad_requests),
      counter("vidyut_http_timeouts_total", "HTTP requests that did not arrive in time (408)",
              s.timeouts),
      gauge("vidyut_http_open_connections", "HTTP connections open now", s.open_connections),
  };
}

std::vector<metrics::Sample> notice_samples(const NoticeStats& s) {
  return {
      counter("vidyut_notices_queued_total", "Notices to consumers queued", s.queued),
      counter("vidyut_notices_sent_total", "Notices accepted by the SMS gateway", s.sent),
      counter("vidyut_notice_retries_total", "Failed notice attempts to be tried again", s.retries),
      counter("vidyut_notices_failed_total", "Notices given up after their last attempt", s.failed),
      counter("vidyut_notice_errors_total", "Notice rounds that failed", s.errors),
      gauge("vidyut_notices_waiting", "Notices waiting for an attempt", s.waiting),
  };
}

MetricsFeed::MetricsFeed(metrics::Exporter& exporter, store::Store& store, billing::BillingDb* db)
    : exporter_(exporter), store_(store), db_(db) {}

void MetricsFeed::tick(UtcTime now) {
  auto observe = [&](const store::Command& c) {
    exporter_.observe(metrics::Latency::kCommand, store::to_string(c.kind),
                      seconds_between(c.created, c.finished));
  };
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto c = store_.command(*it);
    if (!c.ok()) return;
    if (!*c || (*c)->state != store::CommandState::kPending) {
      if (*c) observe(**c);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  for (;;) {
    auto page = store_.commands_after(cursor_, 1'000);
    if (!page.ok()) {
      logger("metrics")->warn("commands: {}", page.error().message);
      return;
    }
    for (const auto& c : *page) {
      cursor_ = c.id;
      if (c.state == store::CommandState::kPending) {
        if (pending_.size() < kMaxPending) pending_.insert(c.id);
      } else {
        observe(c);
      }
    }
    if (page->size() < 1'000) break;
  }
  if (db_ == nullptr || std::chrono::steady_clock::now() < next_reconnection_scan_) return;
  next_reconnection_scan_ = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  // Reconnections ordered in the last two hours; each observed once, when confirmed.
  const UtcTime since = now - Millis(2 * 3'600'000);
  auto recs = reconnections(store_, *db_, since);
  if (!recs.ok()) return;
  for (const auto& r : *recs) {
    if (r.state != "succeeded") continue;
    const std::string key =
        r.consumer_id + "@" + std::to_string(r.ordered.time_since_epoch().count());
    if (!reconnections_seen_.insert(key).second) continue;
    exporter_.observe(metrics::Latency::kRechargeReconnect, "",
                      static_cast<double>(r.latency_ms()) / 1000.0);
  }
  if (reconnections_seen_.size() > kMaxPending) reconnections_seen_.clear();
}

}  // namespace vidyut::cli
