#include "net/tcp_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <asio.hpp>

#include "core/log.h"

namespace vidyut::net {
namespace {

// Bytes read from a socket per read call; a DLMS request is far smaller, a response never read.
constexpr std::size_t kReadChunk = 4096;
// Pause before accepting again after accept() failed for lack of resources (EMFILE, ENFILE,
// ENOBUFS, ENOMEM): retrying at once would spin while nothing has been freed.
constexpr Millis kAcceptRetryDelay{100};

struct Counters {
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> refused_rate{0};
  std::atomic<std::uint64_t> accept_errors{0};
  std::atomic<std::uint64_t> active{0};
  std::atomic<std::uint64_t> closed_idle{0};
  std::atomic<std::uint64_t> closed_error{0};
  std::atomic<std::uint64_t> closed_by_handler{0};
  std::atomic<std::uint64_t> closed_by_peer{0};
  std::atomic<std::uint64_t> dialed{0};
  std::atomic<std::uint64_t> dial_failed{0};
};

enum class CloseReason { kIdle, kError, kHandler, kPeer, kShutdown };

// Errors of one pending connection (it went away before accept() took it): accept the next at once.
bool is_per_connection_accept_error(const asio::error_code& ec) {
  return ec == asio::error::connection_aborted || ec == asio::error::connection_reset ||
         ec == asio::error::operation_aborted;
}

// The token bucket behind TcpServerLimits::max_accepts_per_second. I/O thread only.
class AcceptRateLimiter {
 public:
  using SteadyClock = std::chrono::steady_clock;

  AcceptRateLimiter(double per_second, std::size_t burst)
      : rate_(per_second),
        capacity_(burst > 0 ? static_cast<double>(burst) : std::max(1.0, std::ceil(per_second))),
        tokens_(capacity_) {}

  // True when a connection arriving at `now` may be accepted (and takes a token).
  bool admit(SteadyClock::time_point now) {
    if (rate_ <= 0) return true;
    if (last_ != SteadyClock::time_point{}) {
      const std::chrono::duration<double> elapsed = now - last_;
      tokens_ = std::min(capacity_, tokens_ + std::max(0.0, elapsed.count()) * rate_);
    }
    last_ = now;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double rate_;
  double capacity_;
  double tokens_;
  SteadyClock::time_point last_{};
};

// The remote and local ends of a connected socket; connection_id is left to the caller.
PeerInfo peer_info_of(const asio::ip::tcp::socket& socket) {
  PeerInfo peer;
  asio::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  if (!ec) {
    peer.address = remote.address().to_string();
    peer.port = remote.port();
  }
  auto local = socket.local_endpoint(ec);
  if (!ec) peer.local_address = local.address().to_string();
  return peer;
}

}  // namespace

class DlmsTcpServer::Impl {
 public:
  class Connection;
  struct Dial;

  Impl(TcpServerOptions options, HandlerFactory factory)
      : options_(std::move(options)),
        factory_(std::move(factory)),
        acceptor_(io_),
        accept_retry_timer_(io_),
        rate_limiter_(options_.limits.max_accepts_per_second, options_.limits.accept_burst) {}

  Status start();
  void stop();
  std::uint16_t port() const { return port_.load(); }
  TcpServerStats stats() const {
    TcpServerStats s;
    s.accepted = counters_.accepted.load();
    s.refused = counters_.refused.load();
    s.refused_rate = counters_.refused_rate.load();
    s.accept_errors = counters_.accept_errors.load();
    s.active = counters_.active.load();
    s.closed_idle = counters_.closed_idle.load();
    s.closed_error = counters_.closed_error.load();
    s.closed_by_handler = counters_.closed_by_handler.load();
    s.closed_by_peer = counters_.closed_by_peer.load();
    s.dialed = counters_.dialed.load();
    s.dial_failed = counters_.dial_failed.load();
    return s;
  }
  void dial(std::string host, std::uint16_t port, HandlerFactory factory,
            DlmsTcpServer::DialFailed on_failed, Millis connect_timeout);

  // I/O thread only.
  void do_accept();
  void on_accepted(asio::ip::tcp::socket socket);
  // Hosts `handler` on a connected socket, accepted or dialled; `speak_first` calls its on_wake()
  // at once (dialled connections).
  void open_connection(asio::ip::tcp::socket socket, std::unique_ptr<StreamHandler> handler,
                       const PeerInfo& peer, bool speak_first);
  void start_dial(const std::shared_ptr<Dial>& dial, const asio::ip::tcp::endpoint& endpoint);
  void on_dial_done(const std::shared_ptr<Dial>& dial, const asio::error_code& ec);
  void fail_dial(Dial& dial, const Error& error);
  void refuse(asio::ip::tcp::socket& socket, const PeerInfo& peer, std::string_view reason);
  void on_closed(std::uint64_t id, CloseReason reason);
  void wake(std::uint64_t id);

  TcpServerOptions options_;
  HandlerFactory factory_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_timer_;  // I/O thread only
  AcceptRateLimiter rate_limiter_;         // I/O thread only
  std::thread thread_;
  std::mutex lifecycle_mu_;  // guards started_/stopped_ against concurrent start/stop
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<std::uint16_t> port_{0};
  Counters counters_;
  std::uint64_t next_id_ = 0;                                             // I/O thread only
  std::unordered_map<std::uint64_t, std::shared_ptr<Connection>> conns_;  // I/O thread only
  // Dials still connecting, by dial id (not a connection id). I/O thread only.
  std::unordered_map<std::uint64_t, std::shared_ptr<Dial>> dials_;
  std::uint64_t next_dial_id_ = 0;  // I/O thread only
  bool shutting_down_ = false;      // I/O thread only: stop()'s shutdown has run
  // True from a successful start() until stop() begins. dial() posts to io_ only while it holds
  // dial_mu_ and sees this true, and stop() clears it under dial_mu_ before posting the shutdown,
  // so every posted dial runs (and fails or connects) before the I/O thread ends. Not
  // lifecycle_mu_: stop() holds that while joining, and dial() may be called on the I/O thread.
  std::mutex dial_mu_;
  bool dial_open_ = false;
  std::shared_ptr<spdlog::logger> log_ = logger("net.server");
};

class DlmsTcpServer::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Impl& server, asio::ip::tcp::socket socket, std::unique_ptr<StreamHandler> handler,
             PeerInfo peer)
      : server_(server),
        socket_(std::move(socket)),
        timer_(server.io_),
        wake_timer_(server.io_),
        handler_(std::move(handler)),
        peer_(std::move(peer)) {}

  // `speak_first`: call the handler's on_wake() at once and send what it returns (a dialled
  // connection's client-role handler speaks first).
  void start(bool speak_first) {
    arm_idle_timer();
    if (speak_first) {
      if (handle_output(handler_->on_wake())) do_read();
      return;
    }
    arm_wake_timer();
    do_read();
  }

  // The handler's on_wake(), on DlmsTcpServer::wake() or when its wake_after() delay has passed.
  // A read is always pending while the connection is open and not closing, so none is started.
  void wake() {
    if (closed_ || closing_) return;
    handle_output(handler_->on_wake());
  }

  void close(CloseReason reason) {
    if (closed_) return;
    closed_ = true;
    asio::error_code ignored;
    timer_.cancel();
    wake_timer_.cancel();
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    handler_->on_closed();
    server_.on_closed(peer_.connection_id, reason);  // may drop the last owner but `self` holds
  }

 private:
  void arm_idle_timer() {
    timer_.expires_after(server_.options_.limits.idle_timeout);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (ec || self->closed_) return;  // cancelled or re-armed
      if (self->timer_.expiry() > asio::steady_timer::clock_type::now()) return;  // re-armed
      self->server_.log_->info("connection {} from {}: idle timeout", self->peer_.connection_id,
                               self->peer_.address);
      self->close(CloseReason::kIdle);
    });
  }

  // Follows the handler's wake_after(): (re)arms the wake timer, or cancels it on std::nullopt.
  void arm_wake_timer() {
    const std::optional<Millis> delay = handler_->wake_after();
    ++wake_generation_;  // a wait that completed but has not run yet is stale from now on
    if (!delay) {
      if (wake_armed_) wake_timer_.cancel();
      wake_armed_ = false;
      return;
    }
    wake_armed_ = true;
    wake_timer_.expires_after(std::max(*delay, Millis::zero()));
    wake_timer_.async_wait(
        [self = shared_from_this(), generation = wake_generation_](const asio::error_code& ec) {
          if (ec || self->closed_ || generation != self->wake_generation_) return;
          self->wake_armed_ = false;
          self->wake();
        });
  }

  void do_read() {
    socket_.async_read_some(asio::buffer(buf_),
                            [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                              self->on_read(ec, n);
                            });
  }

  void on_read(const asio::error_code& ec, std::size_t n) {
    // Closing (the handler asked, from on_wake() while this read was pending): what the peer says
    // now is not read; the write completion closes the connection.
    if (closed_ || closing_) return;
    if (ec) {
      if (ec == asio::error::eof || ec == asio::error::connection_reset) {
        close(CloseReason::kPeer);
      } else {
        server_.log_->info("connection {}: read failed: {}", peer_.connection_id, ec.message());
        close(CloseReason::kError);
      }
      return;
    }
    arm_idle_timer();
    if (handle_output(handler_->on_bytes(ByteView(buf_.data(), n)))) do_read();
  }

  // Sends what the handler returned, then honours wants_close() and wake_after(). Returns true
  // when the connection stays open for reading; false when it is closed or closing.
  bool handle_output(Result<Bytes> out) {
    if (!out.ok()) {
      server_.log_->info("connection {} from {}: closing: {}", peer_.connection_id, peer_.address,
                         out.error().describe());
      close(CloseReason::kError);
      return false;
    }
    if (!out->empty()) {
      pending_bytes_ += out->size();
      if (pending_bytes_ > server_.options_.limits.max_buffered_bytes) {
        server_.log_->warn("connection {}: {} bytes queued, peer not reading; closing",
                           peer_.connection_id, pending_bytes_);
        close(CloseReason::kError);
        return false;
      }
      queue_.push_back(std::move(*out));
      if (queue_.size() == 1) do_write();
    }
    if (handler_->wants_close()) {
      closing_ = true;
      if (wake_armed_) wake_timer_.cancel();
      wake_armed_ = false;
      if (queue_.empty()) close(CloseReason::kHandler);
      return false;  // stop reading; close after the queue drains
    }
    arm_wake_timer();
    return true;
  }

  void do_write() {
    asio::async_write(socket_, asio::buffer(queue_.front()),
                      [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                        if (self->closed_) return;
                        if (ec) {
                          self->close(CloseReason::kError);
                          return;
                        }
                        self->pending_bytes_ -= self->queue_.front().size();
                        self->queue_.pop_front();
                        if (!self->queue_.empty()) {
                          self->do_write();
                        } else if (self->closing_) {
                          self->close(CloseReason::kHandler);
                        }
                      });
  }

  Impl& server_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;       // idle time-out
  asio::steady_timer wake_timer_;  // the handler's wake_after(); waits only while wake_armed_
  std::unique_ptr<StreamHandler> handler_;
  PeerInfo peer_;
  std::array<std::uint8_t, kReadChunk> buf_{};
  std::deque<Bytes> queue_;
  std::size_t pending_bytes_ = 0;
  std::uint64_t wake_generation_ = 0;
  bool wake_armed_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

// One dial still connecting. Its connect handler is the only place it ends: the time-out and
// stop() only record why and close the socket, which makes that handler run.
struct DlmsTcpServer::Impl::Dial {
  enum class Abort { kNone, kTimeout, kStopped };

  Dial(asio::io_context& io, std::uint64_t dial_id, std::string host_port,
       HandlerFactory handler_factory, DlmsTcpServer::DialFailed failed, Millis connect_timeout)
      : id(dial_id),
        where(std::move(host_port)),
        socket(io),
        timer(io),
        factory(std::move(handler_factory)),
        on_failed(std::move(failed)),
        timeout(connect_timeout) {}

  // Ends the connect attempt; the connect handler then reports `why` (the first reason wins).
  void abort(Abort why) {
    if (aborted == Abort::kNone) aborted = why;
    asio::error_code ignored;
    timer.cancel();
    socket.close(ignored);
  }

  std::uint64_t id;
  std::string where;  // "10.1.2.3:4059", for messages
  asio::ip::tcp::socket socket;
  asio::steady_timer timer;  // the connect time-out
  HandlerFactory factory;
  DlmsTcpServer::DialFailed on_failed;
  Millis timeout;
  Abort aborted = Abort::kNone;
  bool done = false;  // the connect handler has run
};

Status DlmsTcpServer::Impl::start() {
  std::lock_guard lock(lifecycle_mu_);
  if (started_) return Error(Errc::kInternal, "server already started");
  asio::error_code ec;
  auto address = asio::ip::make_address(options_.bind_address, ec);
  if (ec) return Error(Errc::kInvalidArgument, "bad bind address " + options_.bind_address);
  asio::ip::tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    asio::error_code ignored;
    acceptor_.close(ignored);
    return Error(Errc::kIo, "cannot listen on " + options_.bind_address + ":" +
                                std::to_string(options_.port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint(ec).port();
  started_ = true;
  {
    std::lock_guard dial_lock(dial_mu_);
    dial_open_ = true;
  }
  do_accept();
  thread_ = std::thread([this] { io_.run(); });
  log_->info("listening on {}:{}", options_.bind_address, port_.load());
  return ok_status();
}

void DlmsTcpServer::Impl::stop() {
  std::lock_guard lock(lifecycle_mu_);
  if (!started_ || stopped_) return;
  stopped_ = true;
  {
    std::lock_guard dial_lock(dial_mu_);
    dial_open_ = false;  // dials from now on fail at once; those posted before run first
  }
  asio::post(io_, [this] {
    asio::error_code ignored;
    shutting_down_ = true;
    acceptor_.close(ignored);
    accept_retry_timer_.cancel();
    // Their connect handlers report "server stopped" (on_failed may dial again: that fails at
    // once).
    for (auto& [id, dial] : dials_) dial->abort(Dial::Abort::kStopped);
    auto conns = conns_;  // close() erases from conns_
    for (auto& [id, conn] : conns) conn->close(CloseReason::kShutdown);
  });
  // Every pending operation now completes with operation_aborted; run() returns when none is
  // left. The stop() afterwards is a backstop, should a handler have been posted late.
  thread_.join();
  io_.stop();
}

void DlmsTcpServer::Impl::do_accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (!acceptor_.is_open()) {  // stopping; a connection accepted meanwhile is dropped
      asio::error_code ignored;
      socket.close(ignored);
      return;
    }
    if (ec) {
      // Whatever failed, keep accepting: a listener that stops is an outage.
      ++counters_.accept_errors;
      if (is_per_connection_accept_error(ec)) {
        log_->info("accept failed: {}", ec.message());
        do_accept();
        return;
      }
      // Out of descriptors or memory: nothing frees up by retrying at once.
      log_->warn("accept failed: {}; retrying in {} ms", ec.message(), kAcceptRetryDelay.count());
      accept_retry_timer_.expires_after(kAcceptRetryDelay);
      accept_retry_timer_.async_wait([this](const asio::error_code& wait_ec) {
        if (wait_ec || !acceptor_.is_open()) return;
        do_accept();
      });
      return;
    }
    on_accepted(std::move(socket));
    do_accept();
  });
}

void DlmsTcpServer::Impl::on_accepted(asio::ip::tcp::socket socket) {
  PeerInfo peer = peer_info_of(socket);
  peer.connection_id = ++next_id_;
  if (!rate_limiter_.admit(std::chrono::steady_clock::now())) {
    ++counters_.refused_rate;
    // Debug only: a flood would otherwise flood the log too; stats and on_refused count it.
    log_->debug("refusing connection from {}: over {} new connections per second", peer.address,
                options_.limits.max_accepts_per_second);
    refuse(socket, peer, "rate-limit");
  } else if (conns_.size() + dials_.size() >= options_.limits.max_connections) {
    ++counters_.refused;
    log_->warn("refusing connection from {}: {} connections open or dialling (limit)", peer.address,
               conns_.size() + dials_.size());
    refuse(socket, peer, "max-connections");
  } else if (auto handler = factory_(peer)) {
    ++counters_.accepted;
    log_->info("connection {} from {}:{}", peer.connection_id, peer.address, peer.port);
    open_connection(std::move(socket), std::move(handler), peer, /*speak_first=*/false);
  } else {
    ++counters_.refused;
    refuse(socket, peer, "handler-refused");
  }
}

void DlmsTcpServer::Impl::open_connection(asio::ip::tcp::socket socket,
                                          std::unique_ptr<StreamHandler> handler,
                                          const PeerInfo& peer, bool speak_first) {
  ++counters_.active;
  asio::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  auto conn = std::make_shared<Connection>(*this, std::move(socket), std::move(handler), peer);
  conns_.emplace(peer.connection_id, conn);  // before start(): it may close (and erase) at once
  conn->start(speak_first);
}

void DlmsTcpServer::Impl::dial(std::string host, std::uint16_t port, HandlerFactory factory,
                               DlmsTcpServer::DialFailed on_failed, Millis connect_timeout) {
  std::string where = host + ":" + std::to_string(port);
  {
    std::lock_guard lock(dial_mu_);
    if (dial_open_) {
      asio::post(io_, [this, host = std::move(host), port, where, factory = std::move(factory),
                       on_failed = std::move(on_failed), connect_timeout]() mutable {
        auto dial =
            std::make_shared<Dial>(io_, ++next_dial_id_, std::move(where), std::move(factory),
                                   std::move(on_failed), connect_timeout);
        if (shutting_down_) {
          fail_dial(*dial, Error(Errc::kIo, "cannot dial " + dial->where + ": server stopped"));
          return;
        }
        asio::error_code ec;
        const auto address = asio::ip::make_address(host, ec);
        if (ec) {
          fail_dial(*dial, Error(Errc::kInvalidArgument,
                                 "cannot dial " + dial->where + ": not an IP address"));
          return;
        }
        if (conns_.size() + dials_.size() >= options_.limits.max_connections) {
          fail_dial(*dial,
                    Error(Errc::kLimitExceeded, "cannot dial " + dial->where + ": " +
                                                    std::to_string(conns_.size() + dials_.size()) +
                                                    " connections open (limit)"));
          return;
        }
        start_dial(dial, asio::ip::tcp::endpoint(address, port));
      });
      return;
    }
  }
  // Not running: no I/O thread will ever run a posted dial.
  ++counters_.dial_failed;
  if (on_failed) on_failed(Error(Errc::kIo, "cannot dial " + where + ": server not running"));
}

void DlmsTcpServer::Impl::start_dial(const std::shared_ptr<Dial>& dial,
                                     const asio::ip::tcp::endpoint& endpoint) {
  dials_.emplace(dial->id, dial);
  dial->timer.expires_after(std::max(dial->timeout, Millis::zero()));
  dial->timer.async_wait([dial](const asio::error_code& ec) {
    if (ec || dial->done) return;  // cancelled, or the connect handler has run
    dial->abort(Dial::Abort::kTimeout);
  });
  dial->socket.async_connect(endpoint,
                             [this, dial](const asio::error_code& ec) { on_dial_done(dial, ec); });
}

void DlmsTcpServer::Impl::on_dial_done(const std::shared_ptr<Dial>& dial,
                                       const asio::error_code& ec) {
  dial->done = true;
  dials_.erase(dial->id);
  asio::error_code ignored;
  dial->timer.cancel();
  // An abort wins over a success that completed meanwhile: the socket is closed already.
  switch (dial->aborted) {
    case Dial::Abort::kStopped:
      fail_dial(*dial, Error(Errc::kIo, "cannot dial " + dial->where + ": server stopped"));
      return;
    case Dial::Abort::kTimeout:
      fail_dial(*dial, Error(Errc::kTimeout, "no connection to " + dial->where + " within " +
                                                 std::to_string(dial->timeout.count()) + " ms"));
      return;
    case Dial::Abort::kNone:
      break;
  }
  if (ec) {
    dial->socket.close(ignored);
    if (ec == asio::error::connection_refused) {
      fail_dial(*dial, Error(Errc::kIo, "connection to " + dial->where + " refused"));
    } else {
      fail_dial(*dial, Error(Errc::kIo, "cannot connect to " + dial->where + ": " + ec.message()));
    }
    return;
  }
  PeerInfo peer = peer_info_of(dial->socket);
  peer.connection_id = ++next_id_;
  auto handler = dial->factory ? dial->factory(peer) : nullptr;
  if (!handler) {
    log_->info("dialled connection {} to {}: handler refused it", peer.connection_id, dial->where);
    dial->socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    dial->socket.close(ignored);
    return;
  }
  ++counters_.dialed;
  log_->info("connection {} to {}:{} (dialled)", peer.connection_id, peer.address, peer.port);
  open_connection(std::move(dial->socket), std::move(handler), peer, /*speak_first=*/true);
}

void DlmsTcpServer::Impl::fail_dial(Dial& dial, const Error& error) {
  ++counters_.dial_failed;
  log_->info("{}", error.describe());
  // Moved out first: whatever on_failed does (dial again, ...), it is called only once.
  auto on_failed = std::move(dial.on_failed);
  dial.on_failed = nullptr;
  if (on_failed) on_failed(error);
}

void DlmsTcpServer::Impl::refuse(asio::ip::tcp::socket& socket, const PeerInfo& peer,
                                 std::string_view reason) {
  asio::error_code ignored;
  socket.close(ignored);
  if (options_.on_refused) options_.on_refused(peer, reason);
}

void DlmsTcpServer::Impl::wake(std::uint64_t id) {
  asio::post(io_, [this, id] {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;  // closed, never existed, or not accepted yet
    auto conn = it->second;          // on_wake() may close it, which erases it from conns_
    conn->wake();
  });
}

void DlmsTcpServer::Impl::on_closed(std::uint64_t id, CloseReason reason) {
  if (conns_.erase(id) == 0) return;
  --counters_.active;
  switch (reason) {
    case CloseReason::kIdle:
      ++counters_.closed_idle;
      break;
    case CloseReason::kError:
      ++counters_.closed_error;
      break;
    case CloseReason::kHandler:
      ++counters_.closed_by_handler;
      break;
    case CloseReason::kPeer:
      ++counters_.closed_by_peer;
      break;
    case CloseReason::kShutdown:
      break;
  }
}

DlmsTcpServer::DlmsTcpServer(TcpServerOptions options, HandlerFactory factory)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(factory))) {}

DlmsTcpServer::~DlmsTcpServer() { stop(); }

Status DlmsTcpServer::start() { return impl_->start(); }
void DlmsTcpServer::stop() { impl_->stop(); }
std::uint16_t DlmsTcpServer::port() const { return impl_->port(); }
TcpServerStats DlmsTcpServer::stats() const { return impl_->stats(); }
void DlmsTcpServer::wake(std::uint64_t connection_id) { impl_->wake(connection_id); }
void DlmsTcpServer::dial(std::string host, std::uint16_t port, HandlerFactory factory,
                         DialFailed on_failed, Millis connect_timeout) {
  impl_->dial(std::move(host), port, std::move(factory), std::move(on_failed), connect_timeout);
}

}  // namespace vidyut::net
