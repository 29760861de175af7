// Alerts as they arrive, as server-sent events (GET /api/v1/alerts/stream, docs/api.md): each
// alert after the cursor becomes an event `alert` with the alert's JSON and its id (a browser's
// EventSource resumes from Last-Event-ID by itself); a comment line every 15 s keeps proxies from
// closing a quiet stream. The stream ends when the operator's session does.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "http/message.h"
#include "store/store.h"

namespace vidyut::api {

inline constexpr std::size_t kMaxAlertsPerPoll = 200;

class AlertStream final : public http::Stream {
 public:
  // `still_valid` is asked about every 30 s whether the session that opened the stream lives.
  AlertStream(store::Store& store, std::int64_t after_id, std::function<bool()> still_valid);
  std::string poll() override;
  bool done() const override { return done_; }

 private:
  store::Store& store_;
  std::int64_t cursor_;
  std::function<bool()> still_valid_;
  bool done_ = false;
  std::chrono::steady_clock::time_point last_sent_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_check_ = std::chrono::steady_clock::now();
};

}  // namespace vidyut::api
