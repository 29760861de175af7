// Alerts as server-sent events: each alert after the cursor once, with its id; a quiet stream
// stays quiet (until its keep-alive); a resumed stream starts after its cursor.
#include "api/alert_stream.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "store/sqlite_store.h"

namespace vidyut::api {
namespace {

TEST(AlertStream, SendsEachNewAlertOnceFromItsCursor) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("vidyut-alert-stream-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ManualClock clock{UtcTime(Millis(1'796'149'800'000))};
  auto s = store::open_sqlite_store(dir.string(), clock, {});
  ASSERT_TRUE(s.ok());
  auto raise = [&](const std::string& name) {
    store::WriteBatch b;
    b.alerts.push_back(store::Alert{0, 0, clock.now(), clock.now(), "tamper", name, true, "x"});
    ASSERT_TRUE((*s)->write(b).ok());
    clock.advance(Millis(1000));
  };
  raise("magnet");
  bool valid = true;
  AlertStream stream(**s, 0, [&] { return valid; });
  const std::string first = stream.poll();
  EXPECT_NE(first.find("id: 1\nevent: alert\ndata: {"), std::string::npos) << first;
  EXPECT_NE(first.find("\"name\":\"magnet\""), std::string::npos);
  EXPECT_EQ(stream.poll(), "") << "nothing new, nothing sent (the keep-alive waits 15 s)";
  raise("cover-open");
  raise("neutral-missing");
  const std::string next = stream.poll();
  EXPECT_EQ(next.find("magnet"), std::string::npos) << "sent once";
  EXPECT_NE(next.find("id: 2\n"), std::string::npos);
  EXPECT_NE(next.find("id: 3\n"), std::string::npos);
  EXPECT_FALSE(stream.done());
  // A stream started from a cursor (Last-Event-ID) sends only what came after it.
  AlertStream resumed(**s, 2, nullptr);
  const std::string rest = resumed.poll();
  EXPECT_EQ(rest.find("id: 2\n"), std::string::npos);
  EXPECT_NE(rest.find("id: 3\n"), std::string::npos);
  s->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vidyut::api
