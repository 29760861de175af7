// The HTTP/1.1 server (Boost.Beast on Boost.Asio): keep-alive, TLS when given a certificate and a
// key, plain HTTP only on a loopback address, server-sent events, and limits against hostile
// clients (docs/http.md). Knows no domain: it hands each Request to a Handler and writes the
// Response. Beast and Asio stay in this module's .cc files.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "http/message.h"
#include "http/parse.h"

namespace vidyut::http {

struct ServerOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port (see Server::port())
  std::size_t threads = 2;
  std::size_t max_connections = 512;
  // Connections from one address at once: a host that opens many slow connections cannot take
  // the places other clients need (the rest are closed at once).
  std::size_t max_connections_per_address = 32;
  // A request must arrive whole within this time of its first byte, however slowly it trickles
  // in; then 408 and the connection closes. Also the time to write a response.
  Millis request_deadline{10'000};
  // How long a kept-alive connection may wait for its next request's first byte.
  Millis idle_timeout{60'000};
  ParseLimits limits;
  // Both or neither: PEM files. Without them the server listens only on a loopback address.
  std::string tls_certificate_file;
  std::string tls_key_file;
  // Headers on every response (security headers); a handler's own header of the same name wins.
  std::vector<std::pair<std::string, std::string>> default_headers = {
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
  };
};

struct ServerStats {
  std::uint64_t connections = 0;          // accepted and served
  std::uint64_t refused_connections = 0;  // over max_connections or the per-address cap
  std::uint64_t requests = 0;
  std::uint64_t bad_requests = 0;  // refused by the parser's rules
  std::uint64_t timeouts = 0;      // 408
  std::uint64_t open_connections = 0;
};

// Called after every handled request with the request, the response and how long the handler
// took.
using RequestObserver = std::function<void(const Request&, const Response&, double seconds)>;

class Server {
 public:
  static Result<std::unique_ptr<Server>> start(ServerOptions options, Handler handler,
                                               RequestObserver observer = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  bool tls() const;
  ServerStats stats() const;
  // Closes the listener and every connection; waits for the threads. Idempotent.
  void stop();

 private:
  Server();
  class Impl;
  std::shared_ptr<Impl> impl_;
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback(const std::string& address);

}  // namespace vidyut::http
