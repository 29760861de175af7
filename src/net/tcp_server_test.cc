// DlmsTcpServer and TcpStream on loopback with simple handlers: limits, timeouts, shutdown.
#include "net/tcp_server.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/tcp_stream.h"

namespace vidyut::net {
namespace {

using namespace std::chrono_literals;

constexpr Millis kIoTimeout{2000};  // generous: loopback answers in microseconds

// Echoes every byte; "bye" makes it answer "ok" and ask to close; "bad" is an error.
class EchoHandler : public StreamHandler {
 public:
  Result<Bytes> on_bytes(ByteView data) override {
    std::string text(data.begin(), data.end());
    if (text == "bad") return Error(Errc::kMalformed, "garbage");
    if (text == "bye") {
      close_ = true;
      return Bytes{'o', 'k'};
    }
    return Bytes(data.begin(), data.end());
  }
  bool wants_close() const override { return close_; }

 private:
  bool close_ = false;
};

HandlerFactory echo_factory() {
  return [](const PeerInfo&) { return std::make_unique<EchoHandler>(); };
}

TcpServerOptions loopback(TcpServerLimits limits = {}) {
  TcpServerOptions o;
  o.bind_address = "127.0.0.1";
  o.port = 0;
  o.limits = limits;
  return o;
}

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Reads until `n` bytes have arrived or a read fails.
Result<Bytes> read_n(TcpStream& s, std::size_t n) {
  Bytes out;
  while (out.size() < n) {
    VIDYUT_CHECK(s.read_some(out, n - out.size(), kIoTimeout));
  }
  return out;
}

// Polls `pred` for up to two seconds.
template <typename Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 400; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

TEST(DlmsTcpServer, BindsEphemeralPortAndEchoes) {
  DlmsTcpServer server(loopback(), echo_factory());
  ASSERT_TRUE(server.start().ok());
  ASSERT_NE(server.port(), 0);
  TcpStream s;
  ASSERT_TRUE(s.connect("127.0.0.1", server.port(), kIoTimeout).ok());
  ASSERT_TRUE(s.write_all(bytes_of("hello"), kIoTimeout).ok());
  auto got = read_n(s, 5);
  ASSERT_TRUE(got.ok()) << got.error().describe();
  EXPECT_EQ(*got, bytes_of("hello"));
  EXPECT_TRUE(eventually([&] { return server.stats().active == 1; }));
  server.stop();
  server.stop();  // idempotent
}

TEST(DlmsTcpServer, HandlerCloseSendsReplyThenCloses) {
  DlmsTcpServer server(loopback(), echo_factory());
  ASSERT_TRUE(server.start().ok());
  TcpStream s;
  ASSERT_TRUE(s.connect("127.0.0.1", server.port(), kIoTimeout).ok());
  ASSERT_TRUE(s.write_all(bytes_of("bye"), kIoTimeout).ok());
  auto got = read_n(s, 2);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, bytes_of("ok"));
  Bytes more;
  auto st = s.read_some(more, 16, kIoTimeout);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kClosed);
  EXPECT_TRUE(eventually([&] { return server.stats().closed_by_handler == 1; }));
}

TEST(DlmsTcpServer, GarbageClosesOnlyThatConnection) {
  DlmsTcpServer server(loopback(), echo_factory());
  ASSERT_TRUE(server.start().ok());
  TcpStream good, bad;
  ASSERT_TRUE(good.connect("127.0.0.1", server.port(), kIoTimeout).ok());
  ASSERT_TRUE(bad.connect("127.0.0.1", server.port(), kIoTimeout).ok());
  ASSERT_TRUE(bad.write_all(bytes_of("bad"), kIoTimeout).ok());
  Bytes sink;
  auto st = bad.read_some(sink, 16, kIoTimeout);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kClosed);
  ASSERT_TRUE(good.write_all(bytes_of("still"), kIoTimeout).ok());
  auto got = read_n(good, 5);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, bytes_of("still"));
  EXPECT_TRUE(eventually([&] { return server.stats().closed_error == 1; }));
}

TEST(DlmsTcpServer, IdleTimeoutCloses) {
  TcpServerLimits limits;
  limits.idle_timeout = Millis(100);
  DlmsTcpServer server(loopback(limits), echo_factory());
  ASSERT_TRUE(server.start().ok());
  TcpStream s;
  ASSERT_TRUE(s.connect("127.0.0.1", server.port(), kIoTimeout).ok());
  Bytes sink;
  const auto t0 = std::chrono::steady_clock::now();
  auto st = s.read_some(sink, 16, kIoTimeout);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kClosed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, kIoTimeout);
  EXPECT_TRUE(eventually([&] { return server.stats().closed_idle == 1; }));
}

TEST(DlmsTcpServer, RefusesOverMaxConnections) {
  TcpServerLimits limits;
  limits.max_connections = 1;
  DlmsTcpServer server(loopback(limits), echo_factory());
  ASSERT_TRUE(server.start().ok());
  TcpStream first, second;
  ASSERT_TRUE(first.connect("127.0.0.1", server.port(), kIoTimeout).ok());
  ASSERT_TRUE(eventually([&] { return server.stats().active == 1; }));
  ASSERT_TRUE(second.connect("127.0.0.1", server.port(), kIoTimeout).ok());  // kernel accepts
  Bytes sink;
  auto st = second.read_some(sink, 16, kIoTimeout);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kClosed);
  EXPECT_EQ(server.stats().refused, 1u);
  // The first connection still works.
  ASSERT_TRUE(first.write_all(bytes_of("x"), kIoTimeout).ok());
  EXPECT_TRUE(read_n(first, 1).ok());
}

TEST(DlmsTcpServer, StopClosesOpenConnections) {
  DlmsTcpServer server(loopback(), echo_factory());
  ASSERT_TRUE(server.start().ok());
  TcpStream s;
  ASSERT_TRUE(s.connect("127.0.0.1", server.port(), kIoTimeout).ok());
  ASSERT_TRUE(eventually([&] { return server.stats().active == 1; }));
  server.stop();
  Bytes sink;
  auto st = s.read_some(sink, 16, kIoTimeout);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kClosed);
}

TEST(DlmsTcpServer, BindFailureIsIoError) {
  DlmsTcpServer first(loopback(), echo_factory());
  ASSERT_TRUE(first.start().ok());
  TcpServerOptions o = loopback();
  o.port = first.port();
  DlmsTcpServer second(o, echo_factory());
  auto st = second.start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kIo);
}

// What ProbeHandlers saw, shared with the test thread.
struct Probe {
  std::mutex mu;
  std::vector<std::uint64_t> ids;          // connection ids, in accept order
  std::vector<PeerInfo> peers;             // what the factory was given, in the same order
  std::vector<std::string> refusals;       // on_refused reasons
  std::atomic<int> wakes{0};               // on_wake() calls
  std::atomic<int> closed{0};              // on_closed() calls
  std::atomic<int> destroyed{0};           // handlers destroyed
  std::atomic<int> destroyed_unclosed{0};  // ... without exactly one on_closed() before

  std::vector<std::uint64_t> id_list() {
    std::lock_guard lock(mu);
    return ids;
  }
  std::vector<std::string> refusal_list() {
    std::lock_guard lock(mu);
    return refusals;
  }
  std::vector<PeerInfo> peer_list() {
    std::lock_guard lock(mu);
    return peers;
  }
};

// "wake" plus the connection id in six digits: what a ProbeHandler's on_wake() sends.
std::string wake_text(std::uint64_t id) {
  char text[16];
  std::snprintf(text, sizeof text, "wake%06llu", static_cast<unsigned long long>(id));
  return text;
}
constexpr std::size_t kWakeTextSize = 10;

// Echoes like EchoHandler ("bye", "bad"), and: "arm" asks for a wake-up in 100 ms, "disarm"
// cancels it, "wake-close" / "wake-bad" make the next on_wake() ask to close / fail. on_wake()
// sends wake_text(id) and asks for no further wake-up.
class ProbeHandler : public StreamHandler {
 public:
  ProbeHandler(Probe& probe, std::uint64_t id) : probe_(probe), id_(id) {}
  ~ProbeHandler() override {
    if (closed_calls_ != 1) ++probe_.destroyed_unclosed;
    ++probe_.destroyed;
  }

  Result<Bytes> on_bytes(ByteView data) override {
    std::string text(data.begin(), data.end());
    if (text == "bad") return Error(Errc::kMalformed, "garbage");
    if (text == "bye") {
      close_ = true;
      return bytes_of("ok");
    }
    if (text == "arm") wake_after_ = Millis(100);
    if (text == "disarm") wake_after_.reset();
    if (text == "wake-close") close_on_wake_ = true;
    if (text == "wake-bad") fail_on_wake_ = true;
    return Bytes(data.begin(), data.end());
  }
  bool wants_close() const override { return close_; }
  Result<Bytes> on_wake() override {
    ++probe_.wakes;
    wake_after_.reset();
    if (fail_on_wake_) return Error(Errc::kInternal, "wake failed");
    if (close_on_wake_) close_ = true;
    return bytes_of(wake_text(id_));
  }
  std::optional<Millis> wake_after() const override { return wake_after_; }
  void on_closed() override {
    ++closed_calls_;
    ++probe_.closed;
  }

 private:
  Probe& probe_;
  std::uint64_t id_;
  bool close_ = false;
  bool close_on_wake_ = false;
  bool fail_on_wake_ = false;
  std::optional<Millis> wake_after_;
  int closed_calls_ = 0;
};

HandlerFactory probe_factory(Probe& probe) {
  return [&probe](const PeerInfo& peer) {
    {
      std::lock_guard lock(probe.mu);
      probe.ids.push_back(peer.connection_id);
      probe.peers.push_back(peer);
    }
    return std::make_unique<ProbeHandler>(probe, peer.connection_id);
  };
}

TcpServerOptions audited(Probe& probe, TcpServerLimits limits = {}) {
  TcpServerOptions o = loopback(limits);
  o.on_refused = [&probe](const PeerInfo&, std::string_view reason) {
    std::lock_guard lock(probe.mu);
    probe.refusals.emplace_back(reason);
  };
  return o;
}

// Connects and waits until the server has made the handler; returns its connection id (0 when
// either failed).
std::uint64_t connect_probe(TcpStream& s, DlmsTcpServer& server, Probe& probe) {
  const std::size_t before = probe.id_list().size();
  if (!s.connect("127.0.0.1", server.port(), kIoTimeout).ok()) return 0;
  if (!eventually([&] { return probe.id_list().size() == before + 1; })) return 0;
  return probe.id_list().back();
}

// The peer sees nothing but the end of the stream.
void expect_closed_by_server(TcpStream& s) {
  Bytes sink;
  auto st = s.read_some(sink, 64, kIoTimeout);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kClosed);
  EXPECT_TRUE(sink.empty());
}

TEST(DlmsTcpServer, WakeSendsOnIdleConnectionAndIgnoresClosedIds) {
  Probe probe;
  DlmsTcpServer server(loopback(), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  TcpStream s;
  const std::uint64_t id = connect_probe(s, server, probe);
  ASSERT_NE(id, 0u);

  server.wake(id);  // the peer has said nothing: the server speaks first
  auto got = read_n(s, kWakeTextSize);
  ASSERT_TRUE(got.ok()) << got.error().describe();
  EXPECT_EQ(*got, bytes_of(wake_text(id)));
  EXPECT_EQ(probe.wakes.load(), 1);

  server.wake(id + 1000);  // no such connection: nothing happens, nothing reaches this one
  ASSERT_TRUE(s.write_all(bytes_of("x"), kIoTimeout).ok());
  got = read_n(s, 1);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, bytes_of("x"));
  EXPECT_EQ(probe.wakes.load(), 1);

  s.close();
  ASSERT_TRUE(eventually([&] { return server.stats().closed_by_peer == 1; }));
  server.wake(id);  // closed now: ignored
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(probe.wakes.load(), 1);
  EXPECT_EQ(server.stats().closed_error, 0u);
}

TEST(DlmsTcpServer, WakeFindsItsConnectionAmongMany) {
  TcpServerLimits limits;
  limits.max_connections = 20'000;
  Probe probe;
  DlmsTcpServer server(loopback(limits), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  constexpr int kConnections = 100;
  std::vector<TcpStream> streams(kConnections);
  std::vector<std::uint64_t> ids;
  for (auto& s : streams) {
    ids.push_back(connect_probe(s, server, probe));
    ASSERT_NE(ids.back(), 0u);
  }
  // The last accept may still be on its way through the I/O thread.
  EXPECT_TRUE(eventually(
      [&] { return server.stats().active == static_cast<std::uint64_t>(kConnections); }));
  for (int i = kConnections - 1; i >= 0; --i) server.wake(ids[i]);
  for (int i = 0; i < kConnections; ++i) {
    auto got = read_n(streams[i], kWakeTextSize);
    ASSERT_TRUE(got.ok()) << "connection " << ids[i] << ": " << got.error().describe();
    EXPECT_EQ(*got, bytes_of(wake_text(ids[i])));
  }
  EXPECT_EQ(probe.wakes.load(), kConnections);
}

TEST(DlmsTcpServer, WakeHonoursWantsCloseAndErrors) {
  Probe probe;
  DlmsTcpServer server(loopback(), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  TcpStream closing, failing;
  const std::uint64_t closing_id = connect_probe(closing, server, probe);
  const std::uint64_t failing_id = connect_probe(failing, server, probe);
  ASSERT_NE(closing_id, 0u);
  ASSERT_NE(failing_id, 0u);
  ASSERT_TRUE(closing.write_all(bytes_of("wake-close"), kIoTimeout).ok());
  ASSERT_TRUE(read_n(closing, 10).ok());
  ASSERT_TRUE(failing.write_all(bytes_of("wake-bad"), kIoTimeout).ok());
  ASSERT_TRUE(read_n(failing, 8).ok());

  server.wake(closing_id);  // sends, then closes as the handler asked
  auto got = read_n(closing, kWakeTextSize);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, bytes_of(wake_text(closing_id)));
  expect_closed_by_server(closing);
  EXPECT_TRUE(eventually([&] { return server.stats().closed_by_handler == 1; }));

  server.wake(failing_id);  // on_wake() fails: closed without a word
  expect_closed_by_server(failing);
  EXPECT_TRUE(eventually([&] { return server.stats().closed_error == 1; }));
  EXPECT_TRUE(eventually([&] { return probe.closed.load() == 2; }));
}

TEST(DlmsTcpServer, OnClosedCalledOnceWhenPeerCloses) {
  Probe probe;
  DlmsTcpServer server(loopback(), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  TcpStream s;
  ASSERT_NE(connect_probe(s, server, probe), 0u);
  ASSERT_TRUE(s.write_all(bytes_of("x"), kIoTimeout).ok());
  ASSERT_TRUE(read_n(s, 1).ok());
  EXPECT_EQ(probe.closed.load(), 0);
  s.close();
  ASSERT_TRUE(eventually([&] { return probe.destroyed.load() == 1; }));
  EXPECT_EQ(probe.closed.load(), 1);
  EXPECT_EQ(probe.destroyed_unclosed.load(), 0);
  EXPECT_EQ(server.stats().closed_by_peer, 1u);
  server.stop();
  EXPECT_EQ(probe.closed.load(), 1);  // not again at stop
}

TEST(DlmsTcpServer, OnClosedCalledOnceForEveryConnectionAtStop) {
  Probe probe;
  DlmsTcpServer server(loopback(), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  TcpStream a, b, c;
  ASSERT_NE(connect_probe(a, server, probe), 0u);
  ASSERT_NE(connect_probe(b, server, probe), 0u);
  ASSERT_NE(connect_probe(c, server, probe), 0u);
  ASSERT_TRUE(c.write_all(bytes_of("bye"), kIoTimeout).ok());  // one ends before the stop
  ASSERT_TRUE(eventually([&] { return probe.closed.load() == 1; }));
  server.stop();
  EXPECT_EQ(probe.closed.load(), 3);
  EXPECT_TRUE(eventually([&] { return probe.destroyed.load() == 3; }));
  EXPECT_EQ(probe.destroyed_unclosed.load(), 0);
  expect_closed_by_server(a);
  expect_closed_by_server(b);
}

TEST(DlmsTcpServer, WakeAfterCallsOnWakeAfterTheDelay) {
  Probe probe;
  DlmsTcpServer server(loopback(), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  TcpStream s;
  const std::uint64_t id = connect_probe(s, server, probe);
  ASSERT_NE(id, 0u);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(s.write_all(bytes_of("arm"), kIoTimeout).ok());  // wake_after() = 100 ms
  auto got = read_n(s, 3);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, bytes_of("arm"));
  got = read_n(s, kWakeTextSize);
  ASSERT_TRUE(got.ok()) << got.error().describe();
  EXPECT_EQ(*got, bytes_of(wake_text(id)));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 95ms);
  EXPECT_EQ(probe.wakes.load(), 1);
  std::this_thread::sleep_for(250ms);  // on_wake() asked for no further wake-up
  EXPECT_EQ(probe.wakes.load(), 1);
  EXPECT_EQ(server.stats().active, 1u);
}

TEST(DlmsTcpServer, WakeAfterNulloptCancelsThePendingWake) {
  Probe probe;
  DlmsTcpServer server(loopback(), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  TcpStream s;
  ASSERT_NE(connect_probe(s, server, probe), 0u);
  ASSERT_TRUE(s.write_all(bytes_of("arm"), kIoTimeout).ok());
  ASSERT_TRUE(read_n(s, 3).ok());
  ASSERT_TRUE(s.write_all(bytes_of("disarm"), kIoTimeout).ok());
  ASSERT_TRUE(read_n(s, 6).ok());
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(probe.wakes.load(), 0);
  ASSERT_TRUE(s.write_all(bytes_of("y"), kIoTimeout).ok());  // nothing else was sent meanwhile
  auto got = read_n(s, 1);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, bytes_of("y"));
}

TEST(DlmsTcpServer, RateLimitRefusesBeyondBurst) {
  TcpServerLimits limits;
  limits.max_accepts_per_second = 0.01;  // no token comes back during the test
  limits.accept_burst = 2;
  Probe probe;
  DlmsTcpServer server(audited(probe, limits), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  TcpStream first, second, third;
  ASSERT_NE(connect_probe(first, server, probe), 0u);
  ASSERT_NE(connect_probe(second, server, probe), 0u);
  ASSERT_TRUE(third.connect("127.0.0.1", server.port(), kIoTimeout).ok());  // kernel accepts
  expect_closed_by_server(third);
  // on_refused runs after the socket is closed: wait for it, not only for the counter.
  ASSERT_TRUE(eventually([&] { return probe.refusal_list().size() == 1; }));
  EXPECT_EQ(probe.refusal_list(), std::vector<std::string>{"rate-limit"});
  EXPECT_EQ(server.stats().refused_rate, 1u);
  const TcpServerStats stats = server.stats();
  EXPECT_EQ(stats.accepted, 2u);
  EXPECT_EQ(stats.refused, 0u);
  EXPECT_EQ(probe.id_list().size(), 2u);  // the factory was not asked
  // The connections accepted earlier keep working.
  ASSERT_TRUE(first.write_all(bytes_of("x"), kIoTimeout).ok());
  auto got = read_n(first, 1);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, bytes_of("x"));
  ASSERT_TRUE(second.write_all(bytes_of("y"), kIoTimeout).ok());
  got = read_n(second, 1);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, bytes_of("y"));
}

TEST(DlmsTcpServer, RateLimitBucketRefills) {
  TcpServerLimits limits;
  limits.max_accepts_per_second = 2;  // a token every 500 ms
  limits.accept_burst = 1;
  Probe probe;
  DlmsTcpServer server(audited(probe, limits), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  TcpStream first, second, third;
  ASSERT_NE(connect_probe(first, server, probe), 0u);
  ASSERT_TRUE(second.connect("127.0.0.1", server.port(), kIoTimeout).ok());
  expect_closed_by_server(second);
  std::this_thread::sleep_for(600ms);
  ASSERT_NE(connect_probe(third, server, probe), 0u);
  ASSERT_TRUE(third.write_all(bytes_of("z"), kIoTimeout).ok());
  EXPECT_TRUE(read_n(third, 1).ok());
  EXPECT_EQ(server.stats().refused_rate, 1u);
  EXPECT_EQ(server.stats().accepted, 2u);
}

TEST(DlmsTcpServer, RefusalReasonsForMaxConnectionsAndFactory) {
  TcpServerLimits limits;
  limits.max_connections = 1;
  Probe probe;
  DlmsTcpServer server(audited(probe, limits), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  TcpStream first, second;
  ASSERT_NE(connect_probe(first, server, probe), 0u);
  ASSERT_TRUE(second.connect("127.0.0.1", server.port(), kIoTimeout).ok());
  expect_closed_by_server(second);
  ASSERT_TRUE(eventually([&] { return probe.refusal_list().size() == 1; }));
  EXPECT_EQ(probe.refusal_list(), std::vector<std::string>{"max-connections"});
  EXPECT_EQ(server.stats().refused, 1u);
  EXPECT_EQ(server.stats().refused_rate, 0u);

  Probe refusing_probe;
  DlmsTcpServer refusing(audited(refusing_probe), [](const PeerInfo&) { return nullptr; });
  ASSERT_TRUE(refusing.start().ok());
  TcpStream s;
  ASSERT_TRUE(s.connect("127.0.0.1", refusing.port(), kIoTimeout).ok());
  expect_closed_by_server(s);
  ASSERT_TRUE(eventually([&] { return refusing_probe.refusal_list().size() == 1; }));
  EXPECT_EQ(refusing_probe.refusal_list(), std::vector<std::string>{"handler-refused"});
  EXPECT_EQ(refusing.stats().refused, 1u);
}

// Lowers this process's descriptor limit and uses up every descriptor; undoes both when destroyed.
class DescriptorExhaustion {
 public:
  DescriptorExhaustion() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit low = saved_;
    if (low.rlim_cur > 512) low.rlim_cur = 512;
    ::setrlimit(RLIMIT_NOFILE, &low);
    for (;;) {
      const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        exhausted_ = errno == EMFILE;
        break;
      }
      fds_.push_back(fd);
    }
  }
  ~DescriptorExhaustion() { release(); }
  // Frees one descriptor (for the test's own socket).
  void free_one() {
    ::close(fds_.back());
    fds_.pop_back();
  }
  void release() {
    for (int fd : fds_) ::close(fd);
    fds_.clear();
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }
  // True when opening failed for want of descriptors (not for another reason).
  bool exhausted() const { return exhausted_ && !fds_.empty(); }

 private:
  rlimit saved_{};
  std::vector<int> fds_;
  bool exhausted_ = false;
};

TEST(DlmsTcpServer, AcceptErrorsBackOffAndAcceptingResumes) {
  Probe probe;
  DlmsTcpServer server(loopback(), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  int client = -1;
  {
    DescriptorExhaustion exhaustion;
    ASSERT_TRUE(exhaustion.exhausted());
    exhaustion.free_one();
    client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);  // the last free descriptor
    ASSERT_GE(client, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // The kernel completes the handshake; the server's accept() fails with EMFILE.
    ASSERT_EQ(::connect(client, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_TRUE(eventually([&] { return server.stats().accept_errors >= 1; }));
    std::this_thread::sleep_for(350ms);
    // Retried about every 100 ms, not in a busy loop; nothing accepted meanwhile.
    EXPECT_LE(server.stats().accept_errors, 8u);
    EXPECT_EQ(server.stats().accepted, 0u);
  }  // descriptors free again
  ASSERT_TRUE(eventually([&] { return server.stats().accepted == 1; }));
  timeval tv{2, 0};
  ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ASSERT_EQ(::send(client, "x", 1, 0), 1);
  char c = 0;
  EXPECT_EQ(::recv(client, &c, 1, 0), 1);
  EXPECT_EQ(c, 'x');
  ::close(client);
  // And it keeps accepting.
  TcpStream s;
  ASSERT_NE(connect_probe(s, server, probe), 0u);
}

// ---- dial(): outbound connections ----

// One end of a plain TCP connection, driven with blocking POSIX calls (the test plays the meter).
class RawConn {
 public:
  explicit RawConn(int fd = -1) : fd_(fd) {
    if (fd_ >= 0) {
      timeval tv{2, 0};
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
  }
  ~RawConn() { close(); }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool valid() const { return fd_ >= 0; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool send_text(std::string_view text) {
    return ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }
  // Reads until `n` bytes arrived, the peer closed or two seconds passed; returns what arrived.
  std::string recv_n(std::size_t n) {
    std::string out;
    char buf[256];
    while (out.size() < n) {
      const ssize_t got = ::recv(fd_, buf, std::min(sizeof buf, n - out.size()), 0);
      if (got <= 0) break;
      out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
  }
  // True when the peer closes (end of stream) within two seconds, having sent nothing more.
  bool closed_by_peer() {
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }
  // True when no byte (and no end of stream) arrives within `wait`.
  bool silent_for(Millis wait) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(wait.count())) == 0;
  }

 private:
  int fd_;
};

// A plain listening socket on 127.0.0.1 for dial() to reach.
class RawListener {
 public:
  explicit RawListener(int backlog = 16) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, backlog) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      close();
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~RawListener() { close(); }
  RawListener(const RawListener&) = delete;
  RawListener& operator=(const RawListener&) = delete;

  std::uint16_t port() const { return port_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // The next connection, waiting up to `wait`; an invalid RawConn when none came.
  std::unique_ptr<RawConn> accept_one(Millis wait = kIoTimeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) != 1) return std::make_unique<RawConn>();
    return std::make_unique<RawConn>(::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC));
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// A listener whose accept queue is full, so that the kernel drops further SYNs and a connect to
// it neither succeeds nor fails until its time-out (a reliable "no answer" on loopback).
class UnansweringListener {
 public:
  UnansweringListener() : listener_(/*backlog=*/0) {
    for (int i = 0; i < 8 && !full_; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0) return;
      fillers_.push_back(fd);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(listener_.port());
      ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);  // EINPROGRESS
      pollfd p{fd, POLLOUT, 0};
      full_ = ::poll(&p, 1, 200) == 0;  // still connecting: SYNs are being dropped
    }
  }
  ~UnansweringListener() {
    for (int fd : fillers_) ::close(fd);
  }
  bool full() const { return full_; }
  std::uint16_t port() const { return listener_.port(); }

 private:
  RawListener listener_;
  std::vector<int> fillers_;
  bool full_ = false;
};

// What on_failed saw, shared with the test thread.
struct DialFailures {
  std::mutex mu;
  std::vector<Error> errors;
  std::atomic<int> count{0};

  DlmsTcpServer::DialFailed callback() {
    return [this](const Error& e) {
      {
        std::lock_guard lock(mu);
        errors.push_back(e);
      }
      ++count;
    };
  }
  Error last() {
    std::lock_guard lock(mu);
    return errors.empty() ? Error() : errors.back();
  }
};

TEST(DlmsTcpServer, DialedHandlerSpeaksFirstHearsTheReplyAndIsClosedOnce) {
  Probe probe;
  DialFailures failures;
  DlmsTcpServer server(loopback(), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  TcpStream inbound;  // connection 1: dialled connections share the id sequence
  ASSERT_EQ(connect_probe(inbound, server, probe), 1u);

  RawListener meter;
  ASSERT_NE(meter.port(), 0);
  server.dial("127.0.0.1", meter.port(), probe_factory(probe), failures.callback());
  auto conn = meter.accept_one();
  ASSERT_TRUE(conn->valid());
  // The meter has said nothing: the head end's handler speaks first (its on_wake()).
  EXPECT_EQ(conn->recv_n(kWakeTextSize), wake_text(2));
  ASSERT_EQ(probe.id_list(), (std::vector<std::uint64_t>{1, 2}));
  const PeerInfo peer = probe.peer_list().back();
  EXPECT_EQ(peer.address, "127.0.0.1");
  EXPECT_EQ(peer.port, meter.port());
  EXPECT_EQ(peer.local_address, "127.0.0.1");
  EXPECT_EQ(peer.connection_id, 2u);

  // The meter's reply reaches on_bytes() (ProbeHandler echoes it).
  ASSERT_TRUE(conn->send_text("ping"));
  EXPECT_EQ(conn->recv_n(4), "ping");
  TcpServerStats stats = server.stats();
  EXPECT_EQ(stats.dialed, 1u);
  EXPECT_EQ(stats.accepted, 1u);
  EXPECT_EQ(stats.active, 2u);
  EXPECT_EQ(stats.dial_failed, 0u);

  conn->close();  // the meter hangs up: on_closed() once, for that connection only
  ASSERT_TRUE(eventually([&] { return probe.destroyed.load() == 1; }));
  EXPECT_EQ(probe.closed.load(), 1);
  EXPECT_EQ(probe.destroyed_unclosed.load(), 0);
  stats = server.stats();
  EXPECT_EQ(stats.closed_by_peer, 1u);
  EXPECT_EQ(stats.active, 1u);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(probe.closed.load(), 1);
  server.stop();
  EXPECT_EQ(probe.closed.load(), 2);  // the inbound one, at stop
  EXPECT_EQ(failures.count.load(), 0);
}

TEST(DlmsTcpServer, DialToClosedPortOrBadHostFailsOnce) {
  Probe probe;
  DialFailures failures;
  DlmsTcpServer server(loopback(), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  std::uint16_t closed_port = 0;
  {
    RawListener gone;
    closed_port = gone.port();
  }  // nothing listens on closed_port now
  ASSERT_NE(closed_port, 0);
  server.dial("127.0.0.1", closed_port, probe_factory(probe), failures.callback());
  ASSERT_TRUE(eventually([&] { return failures.count.load() == 1; }));
  EXPECT_EQ(failures.last().code, Errc::kIo);
  EXPECT_NE(failures.last().message.find("refused"), std::string::npos) << failures.last().message;

  server.dial("meter.invalid", 4059, probe_factory(probe), failures.callback());  // no DNS
  ASSERT_TRUE(eventually([&] { return failures.count.load() == 2; }));
  EXPECT_EQ(failures.last().code, Errc::kInvalidArgument);

  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(failures.count.load(), 2);  // once each
  const TcpServerStats stats = server.stats();
  EXPECT_EQ(stats.dial_failed, 2u);
  EXPECT_EQ(stats.dialed, 0u);
  EXPECT_EQ(stats.active, 0u);
  EXPECT_TRUE(probe.id_list().empty());  // no handler was made
}

TEST(DlmsTcpServer, DialTimesOut) {
  UnansweringListener meter;
  if (!meter.full()) GTEST_SKIP() << "could not fill a listener's accept queue here";
  Probe probe;
  DialFailures failures;
  DlmsTcpServer server(loopback(), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  const auto t0 = std::chrono::steady_clock::now();
  server.dial("127.0.0.1", meter.port(), probe_factory(probe), failures.callback(), Millis(200));
  ASSERT_TRUE(eventually([&] { return failures.count.load() == 1; }));
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(elapsed, 190ms);
  EXPECT_LT(elapsed, 1500ms);
  EXPECT_EQ(failures.last().code, Errc::kTimeout);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(failures.count.load(), 1);
  EXPECT_EQ(server.stats().dial_failed, 1u);
  EXPECT_EQ(server.stats().dialed, 0u);
  EXPECT_TRUE(probe.id_list().empty());
}

TEST(DlmsTcpServer, StopCancelsPendingDialsAndLaterDialsFailAtOnce) {
  UnansweringListener meter;
  if (!meter.full()) GTEST_SKIP() << "could not fill a listener's accept queue here";
  Probe probe;
  DialFailures failures;
  DlmsTcpServer server(loopback(), probe_factory(probe));

  server.dial("127.0.0.1", meter.port(), probe_factory(probe), failures.callback());
  EXPECT_EQ(failures.count.load(), 1);  // not started: fails before dial() returns
  EXPECT_EQ(failures.last().code, Errc::kIo);

  ASSERT_TRUE(server.start().ok());
  // on_failed dials again from the I/O thread while stop() is under way: that must fail at once,
  // not deadlock.
  std::atomic<int> retried{0};
  server.dial(
      "127.0.0.1", meter.port(), probe_factory(probe),
      [&](const Error& e) {
        failures.callback()(e);
        if (retried++ == 0) {
          server.dial("127.0.0.1", meter.port(), probe_factory(probe), failures.callback());
        }
      },
      Millis(10'000));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(failures.count.load(), 1);  // still connecting
  const auto t0 = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1000ms);
  EXPECT_EQ(failures.count.load(), 3);  // the cancelled dial, then its retry
  {
    std::lock_guard lock(failures.mu);
    ASSERT_EQ(failures.errors.size(), 3u);
    EXPECT_EQ(failures.errors[1].code, Errc::kIo);
    EXPECT_NE(failures.errors[1].message.find("stopped"), std::string::npos)
        << failures.errors[1].message;
    EXPECT_EQ(failures.errors[2].code, Errc::kIo);
  }
  server.dial("127.0.0.1", meter.port(), probe_factory(probe), failures.callback());
  EXPECT_EQ(failures.count.load(), 4);  // stopped: fails before dial() returns
  EXPECT_EQ(server.stats().dial_failed, 4u);
  EXPECT_TRUE(probe.id_list().empty());
}

TEST(DlmsTcpServer, DialedConnectionsCountTowardMaxConnections) {
  TcpServerLimits limits;
  limits.max_connections = 1;
  Probe probe;
  DialFailures failures;
  DlmsTcpServer server(audited(probe, limits), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  RawListener meter;
  server.dial("127.0.0.1", meter.port(), probe_factory(probe), failures.callback());
  auto conn = meter.accept_one();
  ASSERT_TRUE(conn->valid());
  ASSERT_EQ(conn->recv_n(kWakeTextSize), wake_text(1));
  EXPECT_EQ(server.stats().active, 1u);

  server.dial("127.0.0.1", meter.port(), probe_factory(probe), failures.callback());
  ASSERT_TRUE(eventually([&] { return failures.count.load() == 1; }));
  EXPECT_EQ(failures.last().code, Errc::kLimitExceeded);
  EXPECT_FALSE(meter.accept_one(Millis(100))->valid());  // it did not even connect

  TcpStream inbound;  // the dialled connection fills the limit for inbound ones too
  ASSERT_TRUE(inbound.connect("127.0.0.1", server.port(), kIoTimeout).ok());
  expect_closed_by_server(inbound);
  ASSERT_TRUE(eventually([&] { return probe.refusal_list().size() == 1; }));
  EXPECT_EQ(probe.refusal_list(), std::vector<std::string>{"max-connections"});

  conn->close();  // a place frees up: dialling works again
  ASSERT_TRUE(eventually([&] { return server.stats().active == 0; }));
  server.dial("127.0.0.1", meter.port(), probe_factory(probe), failures.callback());
  auto again = meter.accept_one();
  ASSERT_TRUE(again->valid());
  const std::string first_word = again->recv_n(kWakeTextSize);  // the handler exists by now
  EXPECT_EQ(first_word, wake_text(3));  // 2 went to the refused inbound connection
  const TcpServerStats stats = server.stats();
  EXPECT_EQ(stats.dialed, 2u);
  EXPECT_EQ(stats.dial_failed, 1u);
  EXPECT_EQ(stats.refused, 1u);
  EXPECT_EQ(failures.count.load(), 1);
}

TEST(DlmsTcpServer, WakeAndWakeAfterWorkOnDialedConnection) {
  Probe probe;
  DialFailures failures;
  DlmsTcpServer server(loopback(), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  RawListener meter;
  server.dial("127.0.0.1", meter.port(), probe_factory(probe), failures.callback());
  auto conn = meter.accept_one();
  ASSERT_TRUE(conn->valid());
  const std::string first_word = conn->recv_n(kWakeTextSize);  // the handler exists by now
  ASSERT_EQ(probe.id_list().size(), 1u);
  const std::uint64_t id = probe.id_list().back();
  ASSERT_EQ(first_word, wake_text(id));
  EXPECT_EQ(probe.wakes.load(), 1);
  EXPECT_TRUE(conn->silent_for(Millis(100)));

  server.wake(id);
  EXPECT_EQ(conn->recv_n(kWakeTextSize), wake_text(id));
  EXPECT_EQ(probe.wakes.load(), 2);

  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(conn->send_text("arm"));  // wake_after() = 100 ms
  EXPECT_EQ(conn->recv_n(3), "arm");
  EXPECT_EQ(conn->recv_n(kWakeTextSize), wake_text(id));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 95ms);
  EXPECT_EQ(probe.wakes.load(), 3);
  EXPECT_EQ(failures.count.load(), 0);
}

TEST(DlmsTcpServer, DialedConnectionHasTheIdleTimeout) {
  TcpServerLimits limits;
  limits.idle_timeout = Millis(150);
  Probe probe;
  DialFailures failures;
  DlmsTcpServer server(loopback(limits), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  RawListener meter;
  server.dial("127.0.0.1", meter.port(), probe_factory(probe), failures.callback());
  auto conn = meter.accept_one();
  ASSERT_TRUE(conn->valid());
  ASSERT_EQ(conn->recv_n(kWakeTextSize).size(), kWakeTextSize);
  EXPECT_TRUE(conn->closed_by_peer());  // the meter says nothing: closed after 150 ms
  ASSERT_TRUE(eventually([&] { return server.stats().closed_idle == 1; }));
  EXPECT_EQ(probe.closed.load(), 1);
  EXPECT_EQ(failures.count.load(), 0);
}

TEST(DlmsTcpServer, DialFactoryReturningNullClosesWithoutOnFailed) {
  Probe probe;
  DialFailures failures;
  DlmsTcpServer server(audited(probe), probe_factory(probe));
  ASSERT_TRUE(server.start().ok());
  RawListener meter;
  std::atomic<int> asked{0};
  server.dial(
      "127.0.0.1", meter.port(),
      [&](const PeerInfo&) -> std::unique_ptr<StreamHandler> {
        ++asked;
        return nullptr;
      },
      failures.callback());
  auto conn = meter.accept_one();
  ASSERT_TRUE(conn->valid());
  EXPECT_TRUE(conn->closed_by_peer());
  EXPECT_EQ(asked.load(), 1);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(failures.count.load(), 0);
  const TcpServerStats stats = server.stats();
  EXPECT_EQ(stats.dialed, 0u);
  EXPECT_EQ(stats.dial_failed, 0u);
  EXPECT_EQ(stats.active, 0u);
}

TEST(TcpStream, ConnectionRefusedIsIoError) {
  std::uint16_t port = 0;
  {
    DlmsTcpServer server(loopback(), echo_factory());
    ASSERT_TRUE(server.start().ok());
    port = server.port();
  }  // nothing listens on `port` now
  TcpStream s;
  auto st = s.connect("127.0.0.1", port, kIoTimeout);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kIo);
  EXPECT_NE(st.error().message.find("refused"), std::string::npos);
}

TEST(TcpStream, ReadTimesOutWhenPeerSilent) {
  DlmsTcpServer server(loopback(), echo_factory());
  ASSERT_TRUE(server.start().ok());
  TcpStream s;
  ASSERT_TRUE(s.connect("127.0.0.1", server.port(), kIoTimeout).ok());
  Bytes sink;
  auto st = s.read_some(sink, 16, Millis(50));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kTimeout);
  EXPECT_TRUE(sink.empty());
  EXPECT_FALSE(s.is_open());
}

TEST(TcpStream, UnresolvableHostIsInvalidArgument) {
  TcpStream s;
  auto st = s.connect("no-such-host.invalid", 4059, kIoTimeout);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kInvalidArgument);
}

TEST(TcpStream, OperationsWhenNotConnectedAreClosed) {
  TcpStream s;
  Bytes sink;
  EXPECT_EQ(s.read_some(sink, 1, kIoTimeout).error().code, Errc::kClosed);
  EXPECT_EQ(s.write_all(bytes_of("x"), kIoTimeout).error().code, Errc::kClosed);
}

}  // namespace
}  // namespace vidyut::net
