// A thread that runs one piece of work every `poll` of real time until stopped: the shape of
// every background job of `vidyut serve` (the MDM's monitor, the consumers' notices).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "core/clock.h"

namespace vidyut::cli {

class Periodic {
 public:
  Periodic(Millis poll, std::function<void()> work) : poll_(poll), work_(std::move(work)) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Periodic() { stop(); }
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

  // Waits for the work in progress, if any, and ends the thread.
  void stop() {
    {
      std::lock_guard l(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    for (;;) {
      {
        std::lock_guard l(mu_);
        if (stop_) return;
      }
      work_();
      std::unique_lock l(mu_);
      if (wake_.wait_for(l, poll_, [this] { return stop_; })) return;
    }
  }

  const Millis poll_;
  std::function<void()> work_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace vidyut::cli
