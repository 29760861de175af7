#include "mdm/monitor.h"

#include "mdm/loading.h"
#include "mdm/network.h"
#include "mdm/outage.h"

namespace vidyut::mdm {

Monitor::Monitor(store::Store& store, const Clock& clock, MonitorOptions options, VeeBook* vee_book)
    : store_(store), clock_(clock), options_(options), vee_book_(vee_book) {}

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
  const std::size_t overloads = batch.alerts.size();
  // Feeder and DT outages of the same window, from the meters' power events so far.
  auto events = power_events(store_, network, to - options_.lookback, now);
  if (!events.ok()) {
    ++stats_.errors;
    return events.error();
  }
  const OutageReport outages = detect_outages(network, *events, to - options_.lookback, now, now);
  for (auto& a : outage_alerts(network, outages, now)) batch.alerts.push_back(std::move(a));
  if (vee_book_ != nullptr) {
    auto v = run_vee(store_, network, *vee_book_, now, options_.vee);
    if (!v.ok()) {
      ++stats_.errors;
      return v.error();
    }
    stats_.vee.add(v->applied);
    stats_.register_mismatches += v->register_mismatches;
  }
  if (batch.alerts.empty()) return ok_status();
  // Written one kind at a time, to count what is new of each.
  store::WriteBatch first;
  first.alerts.assign(batch.alerts.begin(),
                      batch.alerts.begin() + static_cast<std::ptrdiff_t>(overloads));
  store::WriteBatch second;
  second.alerts.assign(batch.alerts.begin() + static_cast<std::ptrdiff_t>(overloads),
                       batch.alerts.end());
  for (auto* b : {&first, &second}) {
    if (b->alerts.empty()) continue;
    auto w = store_.write(*b);
    if (!w.ok()) {
      ++stats_.errors;
      return w.error();
    }
    (b == &first ? stats_.overload_alerts : stats_.outage_alerts) += w->alerts_inserted;
  }
  return ok_status();
}

}  // namespace vidyut::mdm
