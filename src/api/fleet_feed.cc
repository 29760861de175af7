#include "api/fleet_feed.h"

namespace vidyut::api {

FleetFeed::FleetFeed(std::function<Result<Computed>()> compute, SteadyNow steady_now)
    : compute_(std::move(compute)), now_(std::move(steady_now)) {}

Result<FleetFeed::Snapshot> FleetFeed::latest() {
  std::lock_guard lock(mu_);
  const auto now = now_();
  if (computed_at_ && now - *computed_at_ < kFleetRefresh) return snapshot_;
  auto c = compute_();
  if (!c.ok()) return c.error();
  computed_at_ = now;
  if (snapshot_.version == 0 || c->counts != counts_) ++snapshot_.version;
  counts_ = std::move(c->counts);
  snapshot_.text = std::move(c->text);
  return snapshot_;
}

FleetStream::FleetStream(std::shared_ptr<FleetFeed> feed, std::function<bool()> still_valid,
                         FleetFeed::SteadyNow steady_now)
    : feed_(feed), still_valid_(std::move(still_valid)), now_(std::move(steady_now)) {
  last_event_ = last_sent_ = last_check_ = now_();
}

std::string FleetStream::poll() {
  const auto now = now_();
  if (now - last_check_ >= std::chrono::seconds(30)) {
    last_check_ = now;
    if (still_valid_ && !still_valid_()) {
      done_ = true;
      return "event: end\ndata: the session ended\n\n";
    }
  }
  std::string out;
  auto s = feed_->latest();
  if (s.ok() && (s->version != sent_version_ || now - last_event_ >= kFleetResend)) {
    sent_version_ = s->version;
    last_event_ = now;
    out = "event: fleet\ndata: " + s->text + "\n\n";
  }
  if (out.empty() && now - last_sent_ >= std::chrono::seconds(15)) out = ": keep-alive\n\n";
  if (!out.empty()) last_sent_ = now;
  return out;
}

}  // namespace vidyut::api
