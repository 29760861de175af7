#include "mdm/monitor.h"

#include "mdm/loading.h"
#include "mdm/network.h"

namespace vidyut::mdm {

Monitor::Monitor(store::Store& store, const Clock& clock, MonitorOptions options)
    : store_(store), clock_(clock), options_(options) {}

Status Monitor::tick() {
  const UtcTime now = clock_.now();
  if (ran_ && now < next_) return ok_status();
  return run();
}

Status Monitor::run() {
  const UtcTime now = clock_.now();
  ran_ = true;
  next_ = now + options_.every;
  ++stats_.runs;
  const Millis period{std::int64_t{options_.period_s} * 1000};
  // Whole intervals only: the one in progress has no data yet.
  const UtcTime to = UtcTime(now.time_since_epoch() / period * period);
  auto meters = all_meters(store_);
  if (!meters.ok()) {
    ++stats_.errors;
    return meters.error();
  }
  const Network network = build_network(*meters);
  auto loading = loading_from_store(store_, network, to - options_.lookback, to, options_.period_s);
  if (!loading.ok()) {
    ++stats_.errors;
    return loading.error();
  }
  store::WriteBatch batch;
  batch.alerts = overload_alerts(*loading, now);
  if (batch.alerts.empty()) return ok_status();
  auto w = store_.write(batch);
  if (!w.ok()) {
    ++stats_.errors;
    return w.error();
  }
  stats_.overload_alerts += w->alerts_inserted;
  return ok_status();
}

}  // namespace vidyut::mdm
