// The fleet at a glance, live (GET /api/v1/fleet/stream, docs/api.md): the fleet's status is
// computed at most once every kFleetRefresh for all the operators watching (FleetFeed), and each
// watching page gets a server-sent event `fleet` when the counts change, and at least every
// kFleetResend so that its "updated" time moves on. A comment line every 15 s keeps proxies from
// closing a quiet stream; the stream ends when the operator's session does.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/result.h"
#include "http/message.h"

namespace vidyut::api {

inline constexpr std::chrono::seconds kFleetRefresh{2};
inline constexpr std::chrono::seconds kFleetResend{30};

class FleetFeed {
 public:
  using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;
  struct Snapshot {
    std::uint64_t version = 0;  // increases when the counts change
    std::string text;           // the fleet's JSON, with its "at"
  };
  // `compute` answers the fleet's JSON text (`text`) and the same without its time (`counts`),
  // which decides whether anything changed.
  struct Computed {
    std::string text;
    std::string counts;
  };
  FleetFeed(std::function<Result<Computed>()> compute, SteadyNow steady_now);

  // The latest snapshot, computed again when older than kFleetRefresh. An error keeps the last
  // snapshot and is returned (the streams try again at their next poll).
  Result<Snapshot> latest();

 private:
  std::function<Result<Computed>()> compute_;
  SteadyNow now_;
  std::mutex mu_;
  std::optional<std::chrono::steady_clock::time_point> computed_at_;
  std::string counts_;
  Snapshot snapshot_;
};

class FleetStream final : public http::Stream {
 public:
  // `still_valid` is asked about every 30 s whether the session that opened the stream lives.
  FleetStream(std::shared_ptr<FleetFeed> feed, std::function<bool()> still_valid,
              FleetFeed::SteadyNow steady_now);
  std::string poll() override;
  bool done() const override { return done_; }

 private:
  std::shared_ptr<FleetFeed> feed_;
  std::function<bool()> still_valid_;
  FleetFeed::SteadyNow now_;
  bool done_ = false;
  std::uint64_t sent_version_ = 0;
  std::chrono::steady_clock::time_point last_event_, last_sent_, last_check_;
};

}  // namespace vidyut::api
