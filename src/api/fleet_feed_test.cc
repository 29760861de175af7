#include "api/fleet_feed.h"

#include <gtest/gtest.h>

namespace vidyut::api {
namespace {

using namespace std::chrono_literals;

struct Rig {
  std::chrono::steady_clock::time_point t{};
  int computed = 0;
  std::string counts = "{\"meters\":2}";
  bool fail = false;
  bool session = true;
  FleetFeed::SteadyNow now = [this] { return t; };
  std::shared_ptr<FleetFeed> shared = std::make_shared<FleetFeed>(
      [this]() -> Result<FleetFeed::Computed> {
        ++computed;
        if (fail) return Error(Errc::kIo, "store down");
        return FleetFeed::Computed{counts + " at " + std::to_string(computed), counts};
      },
      now);
  FleetFeed& feed = *shared;
};

TEST(FleetFeed, OneComputationServesEveryWatcherWithinTheRefresh) {
  Rig r;
  ASSERT_TRUE(r.feed.latest().ok());
  r.t += 1s;
  auto again = r.feed.latest();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(r.computed, 1);
  EXPECT_EQ(again->version, 1u);
  r.t += kFleetRefresh;
  auto later = r.feed.latest();
  EXPECT_EQ(r.computed, 2);
  EXPECT_EQ(later->version, 1u) << "same counts, same version";
  r.counts = "{\"meters\":3}";
  r.t += kFleetRefresh;
  EXPECT_EQ(r.feed.latest()->version, 2u);
  // A failed computation is reported and the last snapshot stays.
  r.fail = true;
  r.t += kFleetRefresh;
  EXPECT_FALSE(r.feed.latest().ok());
  r.fail = false;
  EXPECT_EQ(r.feed.latest()->version, 2u);
}

TEST(FleetStream, SendsOnChangeAndOtherwiseOnlyKeepAlivesAndRefreshes) {
  Rig r;
  FleetStream s(
      r.shared, [&r] { return r.session; }, r.now);
  const std::string first = s.poll();
  EXPECT_EQ(first.rfind("event: fleet\ndata: {\"meters\":2}", 0), 0u) << first;
  r.t += 1s;
  EXPECT_EQ(s.poll(), "") << "nothing changed";
  r.t += 3s;
  EXPECT_EQ(s.poll(), "") << "recomputed, nothing changed";
  r.counts = "{\"meters\":3}";
  r.t += 3s;
  EXPECT_NE(s.poll().find("{\"meters\":3}"), std::string::npos) << "a change is sent at once";
  r.t += 16s;
  EXPECT_EQ(s.poll(), ": keep-alive\n\n");
  r.t += 15s;
  EXPECT_EQ(s.poll().rfind("event: fleet", 0), 0u) << "a refresh every kFleetResend";
  r.session = false;
  r.t += 31s;
  EXPECT_EQ(s.poll(), "event: end\ndata: the session ended\n\n");
  EXPECT_TRUE(s.done());
}

}  // namespace
}  // namespace vidyut::api
