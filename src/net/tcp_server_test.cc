// DlmsTcpServer and TcpStream on loopback with simple handlers: limits, timeouts, shutdown.
#include "net/tcp_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

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
