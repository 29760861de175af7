// The consumers' notices (notices/notices.h) as `vidyut serve` runs them: a thread of its own with
// its own store connection and billing.db handle, feeding the outbox of the server's Notifier and
// delivering what is due every second of real time.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "billing/ledger.h"
#include "cli/data_options.h"
#include "cli/periodic.h"
#include "core/clock.h"
#include "core/result.h"
#include "notices/notices.h"
#include "notify/notifier.h"
#include "store/store.h"

namespace vidyut::cli {

struct NoticeStats {
  std::uint64_t queued = 0;  // notices queued (new)
  std::uint64_t sent = 0;
  std::uint64_t retries = 0;  // failed attempts that will be tried again
  std::uint64_t failed = 0;   // given up
  std::uint64_t errors = 0;   // rounds that failed (logged)
  std::size_t waiting = 0;    // queued now
};

class NoticeService {
 public:
  // `with_billing`: follow billing's notifications too (billing runs on this server).
  static Result<std::unique_ptr<NoticeService>> start(const DataOptions& data, const Clock& clock,
                                                      notify::Notifier& notifier,
                                                      bool with_billing);
  ~NoticeService() { runner_.reset(); }
  NoticeStats stats() const;

 private:
  NoticeService() = default;
  void round();
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<billing::BillingDb> billing_;
  notify::Notifier* notifier_ = nullptr;
  std::unique_ptr<notices::NoticeFeed> feed_;
  mutable std::mutex mu_;
  NoticeStats stats_;
  std::unique_ptr<Periodic> runner_;  // last: stopped first
};

}  // namespace vidyut::cli
