// The MDM's continuous work (mdm/monitor.h) as `vidyut serve` runs it: on a thread of its own,
// with its own store connection and the validated data's book, so that a long validation run
// (seconds at 100,000 meters) never holds up the serve loop (load-control restores, status,
// a stop signal).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "cli/data_options.h"
#include "cli/periodic.h"
#include "core/clock.h"
#include "core/result.h"
#include "mdm/monitor.h"
#include "mdm/vee_book.h"
#include "store/store.h"

namespace vidyut::cli {

class MonitorService {
 public:
  // Opens a store connection and mdm.db in the data directory and starts the thread, which
  // ticks the monitor every `poll` of real time (the monitor itself runs every 15 simulated
  // minutes).
  // `on_run`: the duration of each tick in which the monitor ran (metrics), may be empty.
  static Result<std::unique_ptr<MonitorService>> start(
      const DataOptions& data, const Clock& clock, Millis poll = Millis(200),
      std::function<void(double seconds)> on_run = nullptr);
  ~MonitorService() { stop(); }
  void stop() { runner_.reset(); }  // waits for a run in progress
  // A copy of the monitor's counters (safe from any thread).
  mdm::MonitorStats stats() const;

 private:
  MonitorService() = default;
  void tick();
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<mdm::VeeBook> book_;
  std::unique_ptr<mdm::Monitor> monitor_;
  std::function<void(double)> on_run_;
  mutable std::mutex mu_;
  mdm::MonitorStats stats_;
  std::unique_ptr<Periodic> runner_;  // last: stopped first
};

}  // namespace vidyut::cli
