#include "cli/monitor_service.h"

#include "core/log.h"

namespace vidyut::cli {

Result<std::unique_ptr<MonitorService>> MonitorService::start(
    const DataOptions& data, const Clock& clock, Millis poll,
    std::function<void(double seconds)> on_run) {
  std::unique_ptr<MonitorService> s(new MonitorService());
  VIDYUT_TRY(store, open_store(data));
  s->store_ = std::move(*store);
  VIDYUT_TRY(book, mdm::VeeBook::open(data.data_dir, clock));
  s->book_ = std::move(*book);
  s->monitor_ =
      std::make_unique<mdm::Monitor>(*s->store_, clock, mdm::MonitorOptions{}, s->book_.get());
  s->on_run_ = std::move(on_run);
  s->runner_ = std::make_unique<Periodic>(poll, [p = s.get()] { p->tick(); });
  return s;
}

mdm::MonitorStats MonitorService::stats() const {
  std::lock_guard l(mu_);
  return stats_;
}

void MonitorService::tick() {
  const auto runs_before = monitor_->stats().runs;
  const auto started = std::chrono::steady_clock::now();
  if (auto st = monitor_->tick(); !st.ok()) logger("mdm")->warn("{}", st.error().describe());
  if (on_run_ && monitor_->stats().runs != runs_before) {
    on_run_(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  std::lock_guard l(mu_);
  stats_ = monitor_->stats();
}

}  // namespace vidyut::cli
