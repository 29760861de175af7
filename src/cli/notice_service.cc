#include "cli/notice_service.h"

#include "core/log.h"

namespace vidyut::cli {

Result<std::unique_ptr<NoticeService>> NoticeService::start(const DataOptions& data,
                                                            const Clock& clock,
                                                            notify::Notifier& notifier,
                                                            bool with_billing) {
  std::unique_ptr<NoticeService> s(new NoticeService());
  VIDYUT_TRY(store, open_store(data));
  s->store_ = std::move(*store);
  if (with_billing) {
    VIDYUT_TRY(db, billing::BillingDb::open(data.data_dir));
    s->billing_ = std::move(*db);
  }
  s->notifier_ = &notifier;
  s->feed_ = std::make_unique<notices::NoticeFeed>(s->billing_.get(), *s->store_, notifier, clock);
  s->runner_ = std::make_unique<Periodic>(Millis(1000), [p = s.get()] { p->round(); });
  return s;
}

NoticeStats NoticeService::stats() const {
  std::lock_guard l(mu_);
  return stats_;
}

void NoticeService::round() {
  auto r = feed_->run_once();
  auto waiting = notifier_->queued();
  std::lock_guard l(mu_);
  if (!r.ok()) {
    ++stats_.errors;
    logger("notify")->warn("notices: {}", r.error().describe());
    return;
  }
  stats_.queued += r->queued;
  stats_.sent += r->delivery.sent;
  stats_.retries += r->delivery.retrying;
  stats_.failed += r->delivery.failed;
  if (waiting.ok()) stats_.waiting = *waiting;
}

}  // namespace vidyut::cli
