#include "net/tcp_server.h"

#include <array>
#include <atomic>
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

struct Counters {
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> active{0};
  std::atomic<std::uint64_t> closed_idle{0};
  std::atomic<std::uint64_t> closed_error{0};
  std::atomic<std::uint64_t> closed_by_handler{0};
  std::atomic<std::uint64_t> closed_by_peer{0};
};

enum class CloseReason { kIdle, kError, kHandler, kPeer, kShutdown };

}  // namespace

class DlmsTcpServer::Impl {
 public:
  class Connection;

  Impl(TcpServerOptions options, HandlerFactory factory)
      : options_(std::move(options)), factory_(std::move(factory)), acceptor_(io_) {}

  Status start();
  void stop();
  std::uint16_t port() const { return port_.load(); }
  TcpServerStats stats() const {
    TcpServerStats s;
    s.accepted = counters_.accepted.load();
    s.refused = counters_.refused.load();
    s.active = counters_.active.load();
    s.closed_idle = counters_.closed_idle.load();
    s.closed_error = counters_.closed_error.load();
    s.closed_by_handler = counters_.closed_by_handler.load();
    s.closed_by_peer = counters_.closed_by_peer.load();
    return s;
  }

  // I/O thread only.
  void do_accept();
  void on_closed(std::uint64_t id, CloseReason reason);

  TcpServerOptions options_;
  HandlerFactory factory_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::mutex lifecycle_mu_;  // guards started_/stopped_ against concurrent start/stop
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<std::uint16_t> port_{0};
  Counters counters_;
  std::uint64_t next_id_ = 0;                                             // I/O thread only
  std::unordered_map<std::uint64_t, std::shared_ptr<Connection>> conns_;  // I/O thread only
  std::shared_ptr<spdlog::logger> log_ = logger("net.server");
};

class DlmsTcpServer::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Impl& server, asio::ip::tcp::socket socket, std::unique_ptr<StreamHandler> handler,
             PeerInfo peer)
      : server_(server),
        socket_(std::move(socket)),
        timer_(server.io_),
        handler_(std::move(handler)),
        peer_(std::move(peer)) {}

  void start() {
    arm_idle_timer();
    do_read();
  }

  void close(CloseReason reason) {
    if (closed_) return;
    closed_ = true;
    asio::error_code ignored;
    timer_.cancel();
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
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

  void do_read() {
    socket_.async_read_some(asio::buffer(buf_),
                            [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                              self->on_read(ec, n);
                            });
  }

  void on_read(const asio::error_code& ec, std::size_t n) {
    if (closed_) return;
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
    auto out = handler_->on_bytes(ByteView(buf_.data(), n));
    if (!out.ok()) {
      server_.log_->info("connection {} from {}: closing: {}", peer_.connection_id, peer_.address,
                         out.error().describe());
      close(CloseReason::kError);
      return;
    }
    if (!out->empty()) {
      pending_bytes_ += out->size();
      if (pending_bytes_ > server_.options_.limits.max_buffered_bytes) {
        server_.log_->warn("connection {}: {} bytes queued, peer not reading; closing",
                           peer_.connection_id, pending_bytes_);
        close(CloseReason::kError);
        return;
      }
      queue_.push_back(std::move(*out));
      if (queue_.size() == 1) do_write();
    }
    if (handler_->wants_close()) {
      closing_ = true;
      if (queue_.empty()) close(CloseReason::kHandler);
      return;  // stop reading; close after the queue drains
    }
    do_read();
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
  asio::steady_timer timer_;
  std::unique_ptr<StreamHandler> handler_;
  PeerInfo peer_;
  std::array<std::uint8_t, kReadChunk> buf_{};
  std::deque<Bytes> queue_;
  std::size_t pending_bytes_ = 0;
  bool closing_ = false;
  bool closed_ = false;
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
  do_accept();
  thread_ = std::thread([this] { io_.run(); });
  log_->info("listening on {}:{}", options_.bind_address, port_.load());
  return ok_status();
}

void DlmsTcpServer::Impl::stop() {
  std::lock_guard lock(lifecycle_mu_);
  if (!started_ || stopped_) return;
  stopped_ = true;
  asio::post(io_, [this] {
    asio::error_code ignored;
    acceptor_.close(ignored);
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
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      log_->warn("accept failed: {}", ec.message());
      do_accept();
      return;
    }
    PeerInfo peer;
    asio::error_code peer_ec;
    auto remote = socket.remote_endpoint(peer_ec);
    if (!peer_ec) {
      peer.address = remote.address().to_string();
      peer.port = remote.port();
    }
    auto local = socket.local_endpoint(peer_ec);
    if (!peer_ec) peer.local_address = local.address().to_string();
    peer.connection_id = ++next_id_;
    if (conns_.size() >= options_.limits.max_connections) {
      ++counters_.refused;
      log_->warn("refusing connection from {}: {} connections open (limit)", peer.address,
                 conns_.size());
      asio::error_code ignored;
      socket.close(ignored);
    } else if (auto handler = factory_(peer)) {
      ++counters_.accepted;
      ++counters_.active;
      socket.set_option(asio::ip::tcp::no_delay(true), peer_ec);
      log_->info("connection {} from {}:{}", peer.connection_id, peer.address, peer.port);
      auto conn = std::make_shared<Connection>(*this, std::move(socket), std::move(handler), peer);
      conns_.emplace(peer.connection_id, conn);
      conn->start();
    } else {
      ++counters_.refused;
      asio::error_code ignored;
      socket.close(ignored);
    }
    do_accept();
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

}  // namespace vidyut::net
