#include "http/server.h"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>

#include "core/log.h"
#include "http/beast_request.h"

namespace vidyut::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyMillis = std::chrono::milliseconds;

// What every connection of one server shares. Connections hold it, never the server itself.
struct Shared {
  ServerOptions options;
  Handler handler;
  RequestObserver observer;
  std::mutex mu;
  std::map<std::string, std::size_t> per_address;  // guarded by mu
  std::atomic<std::uint64_t> connections{0}, refused{0}, requests{0}, bad{0}, timeouts{0};
  std::atomic<std::uint64_t> open{0};

  bool take(const std::string& address) {
    std::lock_guard l(mu);
    if (open.load() >= options.max_connections) return false;
    std::size_t& n = per_address[address];
    if (options.max_connections_per_address != 0 && n >= options.max_connections_per_address) {
      if (n == 0) per_address.erase(address);
      return false;
    }
    ++n;
    ++open;
    return true;
  }
  void give_back(const std::string& address) {
    std::lock_guard l(mu);
    auto it = per_address.find(address);
    if (it != per_address.end() && --it->second == 0) per_address.erase(it);
    --open;
  }
};

bhttp::response<bhttp::string_body> to_beast(const Response& r, bool keep_alive, bool head,
                                             const ServerOptions& o) {
  bhttp::response<bhttp::string_body> m;
  m.result(static_cast<unsigned>(r.status));
  m.version(11);
  m.set(bhttp::field::content_type, r.content_type);
  for (const auto& [name, value] : o.default_headers) {
    bool overridden = false;
    for (const auto& h : r.headers) {
      if (beast::iequals(h.first, name)) overridden = true;
    }
    if (!overridden) m.set(name, value);
  }
  for (const auto& [name, value] : r.headers) m.insert(name, value);
  m.keep_alive(keep_alive);
  m.body() = r.body;
  m.prepare_payload();
  if (head) m.body().clear();  // HEAD: the length of the GET's body, no body
  return m;
}

template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, std::shared_ptr<Shared> shared, std::string address, bool tls)
      : stream_(std::move(stream)),
        timer_(stream_.get_executor()),
        shared_(std::move(shared)),
        address_(std::move(address)),
        tls_(tls) {}
  ~Session() { shared_->give_back(address_); }

  void start() {
    if constexpr (std::is_same_v<Stream, ssl::stream<tcp::socket>>) {
      arm(shared_->options.request_deadline);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                self->timer_.cancel();
                                if (ec) return self->close();
                                self->wait_first_byte();
                              });
    } else {
      wait_first_byte();
    }
  }

 private:
  void arm(SteadyMillis d) {
    timed_out_ = false;
    timer_.expires_after(d);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec) return;  // cancelled: the operation finished in time
      self->timed_out_ = true;
      beast::error_code ignored;
      beast::get_lowest_layer(self->stream_).cancel(ignored);
    });
  }

  // Between requests: wait up to the idle timeout for the next request's first byte; from
  // that byte on, the request deadline runs.
  void wait_first_byte() {
    if (buffer_.size() > 0) return read_request();
    arm(shared_->options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->timer_.cancel();
                              if (ec) return self->close();  // idle timeout, peer closed, or error
                              self->buffer_.commit(n);
                              self->read_request();
                            });
  }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.limits.max_head));
    parser_->body_limit(shared_->options.limits.max_body);
    arm(shared_->options.request_deadline);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->timer_.cancel();
                        self->on_read(ec);
                      });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      if (timed_out_) {
        ++shared_->timeouts;
        return write_final(error_response(408, "the request did not arrive in time"));
      }
      if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
          ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
        return close();
      }
      ++shared_->bad;
      const Error e = detail::from_beast_error(ec);
      return write_final(error_response(status_for_parse_error(e), e.message));
    }
    auto request = detail::from_beast(parser_->release(), address_, tls_);
    parser_.reset();
    if (!request.ok()) {
      ++shared_->bad;
      return write_final(
          error_response(status_for_parse_error(request.error()), request.error().message));
    }
    ++shared_->requests;
    const auto started = std::chrono::steady_clock::now();
    Response response;
    try {
      response = shared_->handler(*request);
    } catch (const std::exception& e) {
      // A handler must not throw; if one does, the client gets a 500 and the server goes on.
      logger("http")->error("handler threw on {} {}: {}", request->method,
                            request->path.substr(0, 64), e.what());
      response = error_response(500, "internal error");
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (shared_->observer) shared_->observer(*request, response, seconds);
    if (response.stream) return start_stream(std::move(response));
    write(response, request->keep_alive, request->method == "HEAD");
  }

  void write(const Response& r, bool keep_alive, bool head) {
    res_ = to_beast(r, keep_alive, head, shared_->options);
    arm(shared_->options.request_deadline);
    bhttp::async_write(
        stream_, res_,
        [self = this->shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
          self->timer_.cancel();
          if (ec || !keep_alive) return self->close();
          self->wait_first_byte();
        });
  }

  // An answer after which the connection closes (errors, timeouts).
  void write_final(const Response& r) { write(r, false, false); }

  void start_stream(Response r) {
    stream_source_ = r.stream;
    head_.result(static_cast<unsigned>(r.status));
    head_.version(11);
    head_.set(bhttp::field::content_type, r.content_type);
    head_.set(bhttp::field::cache_control, "no-store");
    for (const auto& [name, value] : shared_->options.default_headers) head_.set(name, value);
    for (const auto& [name, value] : r.headers) head_.set(name, value);
    head_.keep_alive(false);  // the body ends when the connection does
    serializer_.emplace(head_);
    arm(shared_->options.request_deadline);
    bhttp::async_write_header(stream_, *serializer_,
                              [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                                self->timer_.cancel();
                                if (ec) return self->close();
                                self->stream_next();
                              });
  }

  void stream_next() {
    if (stream_source_->done()) return close();
    chunk_ = stream_source_->poll();
    if (chunk_.empty()) {
      timer_.expires_after(SteadyMillis(1000));
      timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return self->close();
        self->stream_next();
      });
      return;
    }
    arm(shared_->options.request_deadline);
    asio::async_write(stream_, asio::buffer(chunk_),
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->timer_.cancel();
                        if (ec) return self->close();
                        self->stream_next();
                      });
  }

  void close() {
    beast::error_code ignored;
    timer_.cancel();
    auto& sock = beast::get_lowest_layer(stream_);
    sock.shutdown(tcp::socket::shutdown_both, ignored);
    sock.close(ignored);
  }

  Stream stream_;
  asio::steady_timer timer_;
  std::shared_ptr<Shared> shared_;
  std::string address_;
  bool tls_;
  bool timed_out_ = false;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> res_;
  bhttp::response<bhttp::empty_body> head_;
  std::optional<bhttp::response_serializer<bhttp::empty_body>> serializer_;
  std::shared_ptr<http::Stream> stream_source_;
  std::string chunk_;
};

}  // namespace

bool is_loopback(const std::string& address) {
  if (address == "localhost") return true;
  beast::error_code ec;
  const auto a = asio::ip::make_address(address, ec);
  return !ec && a.is_loopback();
}

class Server::Impl {
 public:
  asio::io_context ioc;
  std::optional<tcp::acceptor> acceptor;
  std::optional<ssl::context> tls;
  std::shared_ptr<Shared> shared;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  std::once_flag stopped;

  void accept() {
    acceptor->async_accept(asio::make_strand(ioc),
                           [this](beast::error_code ec, tcp::socket socket) {
                             if (ec == asio::error::operation_aborted) return;
                             if (!ec) admit(std::move(socket));
                             if (acceptor->is_open()) accept();
                           });
  }

  void admit(tcp::socket socket) {
    beast::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    if (ec) return;
    const std::string address = peer.address().to_string();
    if (!shared->take(address)) {
      ++shared->refused;
      socket.close(ec);
      return;
    }
    ++shared->connections;
    socket.set_option(tcp::no_delay(true), ec);
    if (tls) {
      std::make_shared<Session<ssl::stream<tcp::socket>>>(
          ssl::stream<tcp::socket>(std::move(socket), *tls), shared, address, true)
          ->start();
    } else {
      std::make_shared<Session<tcp::socket>>(std::move(socket), shared, address, false)->start();
    }
  }
};

Server::Server() : impl_(std::make_shared<Impl>()) {}
Server::~Server() { stop(); }

Result<std::unique_ptr<Server>> Server::start(ServerOptions o, Handler handler,
                                              RequestObserver observer) {
  const bool want_tls = !o.tls_certificate_file.empty() || !o.tls_key_file.empty();
  if (want_tls && (o.tls_certificate_file.empty() || o.tls_key_file.empty())) {
    return Error(Errc::kInvalidArgument, "TLS needs both a certificate file and a key file");
  }
  if (!want_tls && !is_loopback(o.bind_address)) {
    return Error(Errc::kInvalidArgument,
                 "plain HTTP is served only on a loopback address (127.0.0.1, ::1); to listen on " +
                     o.bind_address + " give a TLS certificate and key");
  }
  if (o.threads == 0) o.threads = 1;
  std::unique_ptr<Server> s(new Server());
  Impl& impl = *s->impl_;
  if (want_tls) {
    impl.tls.emplace(ssl::context::tls_server);
    impl.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                          ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                          ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    beast::error_code ec;
    impl.tls->use_certificate_chain_file(o.tls_certificate_file, ec);
    if (ec) {
      return Error(Errc::kInvalidArgument,
                   "cannot use the certificate " + o.tls_certificate_file + ": " + ec.message());
    }
    impl.tls->use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      return Error(Errc::kInvalidArgument,
                   "cannot use the key " + o.tls_key_file + ": " + ec.message());
    }
  }
  impl.shared = std::make_shared<Shared>();
  impl.shared->options = o;
  impl.shared->handler = std::move(handler);
  impl.shared->observer = std::move(observer);
  beast::error_code ec;
  const std::string host = o.bind_address == "localhost" ? "127.0.0.1" : o.bind_address;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return Error(Errc::kInvalidArgument, "bad address " + o.bind_address);
  const tcp::endpoint endpoint(address, o.port);
  impl.acceptor.emplace(impl.ioc);
  impl.acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl.acceptor->bind(endpoint, ec);
  if (!ec) impl.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error(Errc::kIo, "cannot listen on " + o.bind_address + ":" + std::to_string(o.port) +
                                ": " + ec.message());
  }
  impl.port = impl.acceptor->local_endpoint().port();
  impl.accept();
  for (std::size_t i = 0; i < o.threads; ++i) {
    impl.threads.emplace_back([&impl] { impl.ioc.run(); });
  }
  return s;
}

void Server::stop() {
  if (!impl_) return;
  Impl& impl = *impl_;
  std::call_once(impl.stopped, [&impl] {
    impl.ioc.stop();
    for (auto& t : impl.threads) {
      if (t.joinable()) t.join();
    }
    // No thread runs the context now: the listener closes here, the connections when the
    // context (and the handlers that hold them) goes.
    beast::error_code ec;
    if (impl.acceptor) impl.acceptor->close(ec);
  });
}

std::uint16_t Server::port() const { return impl_->port; }
bool Server::tls() const { return impl_->tls.has_value(); }

ServerStats Server::stats() const {
  const Shared& s = *impl_->shared;
  ServerStats out;
  out.connections = s.connections.load();
  out.refused_connections = s.refused.load();
  out.requests = s.requests.load();
  out.bad_requests = s.bad.load();
  out.timeouts = s.timeouts.load();
  out.open_connections = s.open.load();
  return out;
}

}  // namespace vidyut::http
