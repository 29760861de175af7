// The MDM's continuous work inside `vidyut serve` (docs/mdm.md, "Running in the head end"): every
// `every` of (simulated) time it rereads the registry's network and the last `lookback` of the DT
// meters' intervals and the meters' power events, and writes overload alerts (loading.h) and feeder
// and DT outage alerts (outage.h) to the store, where `vidyut alerts` and every alert subscriber
// see them. Alerts are idempotent, so rereading is harmless, and data
// that arrives late (gap fill) is taken into account at the next runs within `lookback`.
// Given a VeeBook, each run also validates the recent days and keeps the validated data
// (vee.h run_vee): gaps estimated, estimates replaced once their readings arrive.
#pragma once

#include <cstdint>

#include "core/clock.h"
#include "core/result.h"
#include "mdm/vee.h"
#include "store/store.h"

namespace vidyut::mdm {

struct MonitorOptions {
  Millis every{15 * 60'000};
  Millis lookback{6 * 3'600'000};
  std::int32_t period_s = 900;
  VeeRunOptions vee;
};

struct MonitorStats {
  std::uint64_t runs = 0;
  std::uint64_t overload_alerts = 0;  // new alerts written
  std::uint64_t outage_alerts = 0;
  VeeApplied vee;  // changes to the validated data, summed over runs
  std::uint64_t register_mismatches = 0;
  std::uint64_t errors = 0;
};

class Monitor {
 public:
  // `store`, `clock` and `vee_book` (may be null: no validation) must outlive the monitor.
  Monitor(store::Store& store, const Clock& clock, MonitorOptions options = {},
          VeeBook* vee_book = nullptr);
  // Runs when `every` has passed since the last run (the first call runs at once). Errors are
  // returned and counted; the next call tries again.
  Status tick();
  // Runs now, whatever the time since the last run.
  Status run();
  const MonitorStats& stats() const { return stats_; }

 private:
  store::Store& store_;
  const Clock& clock_;
  MonitorOptions options_;
  VeeBook* vee_book_;
  bool ran_ = false;
  UtcTime next_{};
  MonitorStats stats_;
};

}  // namespace vidyut::mdm
