// The server on loopback: keep-alive, security headers, the request deadline against a slow
// client, the per-address cap, plain HTTP refused off loopback, TLS, server-sent events, and a
// throwing handler answered with 500.
#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace vidyut::http {
namespace {

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

void send_all(int fd, const std::string& s) {
  ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
}

// Reads until `needle` has arrived (or the peer closes / 5 s pass).
std::string read_until(int fd, const std::string& needle, std::size_t times = 1) {
  std::string got;
  char buf[4096];
  auto count = [&] {
    std::size_t n = 0;
    for (auto p = got.find(needle); p != std::string::npos; p = got.find(needle, p + 1)) ++n;
    return n;
  };
  while (count() < times) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

bool closed_by_peer(int fd) {
  char c;
  return ::recv(fd, &c, 1, 0) == 0;
}

Handler echo() {
  return [](const Request& r) {
    if (r.path == "/throw") throw std::runtime_error("boom");
    return json_response(200, "{\"path\":\"" + r.path + "\"}");
  };
}

TEST(HttpServer, KeepAliveAndSecurityHeaders) {
  auto s = Server::start(ServerOptions{}, echo());
  ASSERT_TRUE(s.ok()) << s.error().message;
  const int fd = connect_to((*s)->port());
  send_all(fd, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string got = read_until(fd, "\"path\":", 2);
  EXPECT_NE(got.find("{\"path\":\"/a\"}"), std::string::npos) << got;
  EXPECT_NE(got.find("{\"path\":\"/b\"}"), std::string::npos) << got;
  EXPECT_NE(got.find("X-Content-Type-Options: nosniff"), std::string::npos) << got;
  send_all(fd, "GET /throw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string thrown = read_until(fd, "internal error");
  EXPECT_EQ(thrown.rfind("HTTP/1.1 500", 0), 0u) << thrown;
  EXPECT_TRUE(closed_by_peer(fd));
  ::close(fd);
  EXPECT_EQ((*s)->stats().requests, 3u);
}

TEST(HttpServer, ASlowRequestGets408AtItsDeadline) {
  ServerOptions o;
  o.request_deadline = Millis(1000);
  auto s = Server::start(o, echo());
  ASSERT_TRUE(s.ok());
  const int fd = connect_to((*s)->port());
  const auto t0 = std::chrono::steady_clock::now();
  // A byte every 100 ms never completes the head; each byte would restart an idle timer. Keep
  // trickling (up to 20 s) until the server answers: it must answer 408 soon after 1 s.
  std::string got;
  char buf[512];
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20)) {
    (void)::send(fd, "G", 1, MSG_NOSIGNAL);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      got.append(buf, static_cast<std::size_t>(n));
      break;
    }
    if (n == 0) break;
  }
  const auto waited = std::chrono::steady_clock::now() - t0;
  got += read_until(fd, "in time");
  EXPECT_EQ(got.rfind("HTTP/1.1 408", 0), 0u) << got;
  EXPECT_GE(waited, std::chrono::milliseconds(900)) << "not before the deadline";
  // The deadline is 1 s; the rest is slack for a loaded machine (sanitizers, parallel tests).
  EXPECT_LT(waited, std::chrono::seconds(8)) << "trickled bytes did not extend the deadline";
  EXPECT_TRUE(closed_by_peer(fd));
  ::close(fd);
  EXPECT_EQ((*s)->stats().timeouts, 1u);
}

TEST(HttpServer, BadRequestsGetAClearErrorAndTheConnectionCloses) {
  auto s = Server::start(ServerOptions{}, echo());
  ASSERT_TRUE(s.ok());
  const int fd = connect_to((*s)->port());
  send_all(fd, "POST /x HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 7\r\n\r\n{}");
  const std::string got = read_until(fd, "}");
  EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got;
  EXPECT_TRUE(closed_by_peer(fd));
  ::close(fd);
  const int big = connect_to((*s)->port());
  send_all(big, "POST /x HTTP/1.1\r\nContent-Length: 999999\r\n\r\n");
  EXPECT_EQ(read_until(big, "}").rfind("HTTP/1.1 413", 0), 0u);
  ::close(big);
}

TEST(HttpServer, OneAddressCannotTakeEveryConnection) {
  ServerOptions o;
  o.max_connections_per_address = 2;
  auto s = Server::start(o, echo());
  ASSERT_TRUE(s.ok());
  const int a = connect_to((*s)->port());
  const int b = connect_to((*s)->port());
  send_all(a, "G");
  send_all(b, "G");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const int c = connect_to((*s)->port());
  EXPECT_TRUE(closed_by_peer(c)) << "the third connection from one address is closed at once";
  ::close(a);
  ::close(b);
  ::close(c);
  // The places come back once the server has seen the two close (soon; a loaded machine may
  // take a moment, so try for up to 10 s).
  std::string again;
  for (int i = 0; i < 100 && again.find("/again") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const int d = connect_to((*s)->port());
    const std::string get = "GET /again HTTP/1.1\r\nConnection: close\r\n\r\n";
    (void)::send(d, get.data(), get.size(), MSG_NOSIGNAL);  // refused while still full
    again = read_until(d, "again");
    ::close(d);
  }
  EXPECT_NE(again.find("/again"), std::string::npos) << "places come back";
  EXPECT_GE((*s)->stats().refused_connections, 1u);
}

TEST(HttpServer, PlainHttpOnlyOnLoopback) {
  ServerOptions o;
  o.bind_address = "0.0.0.0";
  auto s = Server::start(o, echo());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("loopback"), std::string::npos);
  EXPECT_TRUE(is_loopback("127.0.0.1"));
  EXPECT_TRUE(is_loopback("::1"));
  EXPECT_FALSE(is_loopback("10.0.0.1"));
}

class Ticks final : public Stream {
 public:
  std::string poll() override {
    return n_ < 2 ? "data: tick " + std::to_string(n_++) + "\n\n" : "";
  }
  bool done() const override { return n_ >= 2; }

 private:
  int n_ = 0;
};

TEST(HttpServer, ServerSentEventsStreamUntilDone) {
  auto s = Server::start(ServerOptions{}, [](const Request&) {
    Response r;
    r.content_type = "text/event-stream";
    r.stream = std::make_shared<Ticks>();
    return r;
  });
  ASSERT_TRUE(s.ok());
  const int fd = connect_to((*s)->port());
  send_all(fd, "GET /events HTTP/1.1\r\n\r\n");
  const std::string got = read_until(fd, "tick 1");
  EXPECT_NE(got.find("text/event-stream"), std::string::npos) << got;
  EXPECT_NE(got.find("data: tick 0\n\n"), std::string::npos) << got;
  EXPECT_TRUE(closed_by_peer(fd));
  ::close(fd);
}

// A throwaway self-signed certificate for 127.0.0.1 (OpenSSL's API, no openssl binary needed).
void write_self_signed(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* pkey = EVP_RSA_gen(2048);
  ASSERT_NE(pkey, nullptr);
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_sign(x, pkey, EVP_sha256());
  FILE* c = std::fopen(cert_path.c_str(), "w");
  PEM_write_X509(c, x);
  std::fclose(c);
  FILE* k = std::fopen(key_path.c_str(), "w");
  PEM_write_PrivateKey(k, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(k);
  X509_free(x);
  EVP_PKEY_free(pkey);
}

TEST(HttpServer, ServesTlsWithACertificateAndKey) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("vidyut-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  write_self_signed(cert, key);
  ServerOptions o;
  o.bind_address = "0.0.0.0";  // allowed off loopback with TLS
  o.tls_certificate_file = cert;
  o.tls_key_file = key;
  auto s = Server::start(o, echo());
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE((*s)->tls());

  namespace asio = boost::asio;
  namespace bhttp = boost::beast::http;
  asio::io_context ioc;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(cert);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  asio::ssl::stream<asio::ip::tcp::socket> stream(ioc, ctx);
  stream.next_layer().connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), (*s)->port()));
  stream.handshake(asio::ssl::stream_base::client);
  bhttp::request<bhttp::empty_body> req(bhttp::verb::get, "/secure", 11);
  bhttp::write(stream, req);
  boost::beast::flat_buffer buf;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(stream, buf, res);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "{\"path\":\"/secure\"}");

  // Plain HTTP to the TLS port gets nothing served.
  const int fd = connect_to((*s)->port());
  send_all(fd, "GET /secure HTTP/1.1\r\n\r\n");
  EXPECT_EQ(read_until(fd, "secure").find("{\"path\""), std::string::npos);
  ::close(fd);
  std::filesystem::remove_all(dir);
}

TEST(HttpServer, StopIsPromptAndIdempotent) {
  auto s = Server::start(ServerOptions{}, echo());
  ASSERT_TRUE(s.ok());
  const int fd = connect_to((*s)->port());
  send_all(fd, "GET /a HTTP/1.1\r\n\r\n");
  read_until(fd, "/a");
  (*s)->stop();
  (*s)->stop();
  ::close(fd);
  EXPECT_EQ(connect_to((*s)->port()), -1) << "nothing listens after stop";
}

}  // namespace
}  // namespace vidyut::http
