#include "simulator/simulator.h"

#include <array>
#include <atomic>
#include <deque>
#include <queue>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <asio.hpp>

#include "core/log.h"
#include "net/tcp_server.h"
#include "net/tcp_stream.h"

namespace vidyut::simulator {
namespace {

using asio::ip::tcp;

asio::ip::address_v4 source_address(std::uint32_t meter, std::uint8_t sim) {
  const auto hi = static_cast<std::uint8_t>(10 + 8 * sim + (meter >> 16) % 8);
  return asio::ip::address_v4(asio::ip::address_v4::bytes_type{
      127, hi, static_cast<std::uint8_t>(meter >> 8), static_cast<std::uint8_t>(meter)});
}

struct Counters {
  std::atomic<std::uint64_t> frames_sent{0}, frames_dropped{0}, frames_counted{0},
      sessions_opened{0}, sessions_failed{0}, sessions_cut{0}, sessions_active{0},
      requests_served{0}, inbound_accepted{0}, control_commands{0}, bytes_sent{0};
};

}  // namespace

class Simulator::Impl {
 public:
  class OutSession;
  class ControlConn;
  class InboundHandler;

  Impl(fleet::Fleet& fleet, const Clock& clock, SimulatorOptions options)
      : fleet_(fleet),
        clock_(clock),
        options_(std::move(options)),
        tick_(io_),
        sweep_(io_),
        control_(io_) {
    for (std::uint32_t i = 0; i < fleet_.topology().meters.size(); ++i) {
      const auto& ip = fleet_.topology().meters[i].static_ip;
      if (!ip.empty()) by_ip_.emplace(ip, i);
    }
  }

  Status start() {
    if (!options_.head_end_host.empty()) {
      asio::error_code ec;
      tcp::resolver resolver(io_);
      auto results =
          resolver.resolve(options_.head_end_host, std::to_string(options_.head_end_port), ec);
      if (ec || results.empty()) {
        return Error(Errc::kInvalidArgument,
                     fmt::format("head end {}: {}", options_.head_end_host, ec.message()));
      }
      head_end_ = results.begin()->endpoint();
      have_head_end_ = true;
      spread_ = options_.spread_source_addresses && head_end_.address().is_loopback();
    }
    if (options_.control_port != 0) {
      asio::error_code ec;
      const std::uint16_t port = options_.control_port == kAnyPort ? 0 : options_.control_port;
      tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
      control_.open(ep.protocol(), ec);
      if (!ec) control_.set_option(tcp::acceptor::reuse_address(true), ec);
      if (!ec) control_.bind(ep, ec);
      if (!ec) control_.listen(asio::socket_base::max_listen_connections, ec);
      if (ec) {
        return Error(Errc::kIo, fmt::format("control port {}: {}", port, ec.message()));
      }
      control_port_ = control_.local_endpoint().port();
      accept_control();
    }
    if (options_.inbound) {
      net::TcpServerOptions so;
      so.bind_address = options_.inbound_bind;
      so.port = options_.inbound_port;
      so.limits.max_connections = options_.max_inbound;
      inbound_ = std::make_unique<net::DlmsTcpServer>(
          so, [this](const net::PeerInfo& peer) { return make_inbound(peer); });
      VIDYUT_CHECK(inbound_->start());
    }
    arm_tick();
    arm_sweep();
    thread_ = std::thread([this] { io_.run(); });
    return ok_status();
  }

  void stop() {
    if (inbound_) inbound_->stop();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(mu_); }

  // ---- the fleet's clock ------------------------------------------------------------------------
  void arm_tick() {
    tick_.expires_after(options_.tick);
    tick_.async_wait([this](const asio::error_code& ec) {
      if (ec) return;
      on_tick();
      arm_tick();
    });
  }

  void on_tick() {
    std::vector<fleet::Outgoing> out;
    UtcTime now;
    {
      auto l = lock();
      now = clock_.now();
      out = fleet_.advance(now);
    }
    for (auto& o : out) {
      if (o.deliver_at > now) {
        delayed_.push(std::move(o));
      } else {
        dispatch(std::move(o));
      }
    }
    while (!delayed_.empty() && delayed_.top().deliver_at <= now) {
      fleet::Outgoing o = delayed_.top();
      delayed_.pop();
      dispatch(std::move(o));
    }
  }

  // Sessions whose path went down or whose meter lost power are cut, as the network would.
  void arm_sweep();

  // ---- outbound sessions ------------------------------------------------------------------------
  void dispatch(fleet::Outgoing o);
  void close_session(const std::shared_ptr<OutSession>& s, bool cut);
  void session_closed(std::uint32_t meter, const OutSession* s);

  // ---- control ---------------------------------------------------------------------------------
  void accept_control();

  // ---- inbound
  // -----------------------------------------------------------------------------------
  std::unique_ptr<net::StreamHandler> make_inbound(const net::PeerInfo& peer);

  fleet::Fleet& fleet_;
  const Clock& clock_;
  SimulatorOptions options_;
  std::mutex mu_;  // guards fleet_
  asio::io_context io_;
  asio::steady_timer tick_;
  asio::steady_timer sweep_;
  tcp::acceptor control_;
  std::atomic<std::uint16_t> control_port_{0};
  std::size_t control_conns_ = 0;  // I/O thread only
  std::thread thread_;
  tcp::endpoint head_end_;
  bool have_head_end_ = false;
  bool spread_ = false;
  std::unordered_map<std::uint32_t, std::shared_ptr<OutSession>> sessions_;  // I/O thread only
  std::deque<fleet::Outgoing> waiting_;                                      // I/O thread only
  struct Later {
    bool operator()(const fleet::Outgoing& a, const fleet::Outgoing& b) const {
      return a.deliver_at > b.deliver_at;
    }
  };
  std::priority_queue<fleet::Outgoing, std::vector<fleet::Outgoing>, Later> delayed_;
  std::unordered_map<std::string, std::uint32_t> by_ip_;  // static IP -> meter
  std::unique_ptr<net::DlmsTcpServer> inbound_;
  Counters counters_;
};

// One meter-initiated connection to the head end.
class Simulator::Impl::OutSession : public std::enable_shared_from_this<OutSession> {
 public:
  OutSession(Impl& sim, std::uint32_t meter, std::uint8_t path)
      : sim_(sim), socket_(sim.io_), timer_(sim.io_), meter_(meter), path_(path) {}

  std::uint8_t path() const { return path_; }
  bool closed() const { return closed_; }
  // Connecting, or frames still to write: a last gasp goes out on the meter's stored energy
  // before its session is cut.
  bool busy() const { return !open_ || writing_ || !queue_.empty(); }

  void start() {
    asio::error_code ec;
    socket_.open(sim_.head_end_.protocol(), ec);
    if (!ec && sim_.spread_) socket_.bind(tcp::endpoint(source_address(meter_, path_), 0), ec);
    if (ec) {
      fail(ec);
      return;
    }
    timer_.expires_after(sim_.options_.connect_timeout);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& e) {
      if (!e && !self->open_) self->fail(asio::error::timed_out);
    });
    socket_.async_connect(sim_.head_end_, [self = shared_from_this()](const asio::error_code& e) {
      if (self->closed_) return;
      if (e) {
        self->fail(e);
        return;
      }
      self->open_ = true;
      ++self->sim_.counters_.sessions_opened;
      asio::error_code ignored;
      self->socket_.set_option(tcp::no_delay(true), ignored);
      self->arm_linger();
      self->do_read();
      self->do_write();
    });
  }

  void send(Bytes bytes, bool frame) {
    queue_.emplace_back(std::move(bytes), frame);
    if (open_ && !writing_) do_write();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    std::size_t dropped = 0;
    for (const auto& [b, frame] : queue_) dropped += frame;
    sim_.counters_.frames_dropped += dropped;
    queue_.clear();
    asio::error_code ignored;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    {
      auto l = sim_.lock();
      server_.reset();  // the COSEM device refers to the meter
    }
    sim_.session_closed(meter_, this);
  }

 private:
  void fail(const asio::error_code& ec) {
    if (closed_) return;
    ++sim_.counters_.sessions_failed;
    logger("sim")->debug("meter {}: connect failed: {}", meter_, ec.message());
    close();
  }

  void arm_linger() {
    timer_.expires_after(sim_.options_.linger);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (ec || self->closed_) return;
      if (self->timer_.expiry() > asio::steady_timer::clock_type::now()) return;
      if (self->writing_) {
        self->arm_linger();
        return;
      }
      self->close();
    });
  }

  void do_write() {
    if (closed_ || writing_ || queue_.empty()) return;
    writing_ = true;
    asio::async_write(socket_, asio::buffer(queue_.front().first),
                      [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                        self->writing_ = false;
                        if (self->closed_) return;
                        if (ec) {
                          self->close();
                          return;
                        }
                        self->sim_.counters_.bytes_sent += n;
                        if (self->queue_.front().second) ++self->sim_.counters_.frames_sent;
                        self->queue_.pop_front();
                        self->arm_linger();
                        if (self->queue_.empty() && self->close_after_write_) {
                          self->close();
                          return;
                        }
                        self->do_write();
                      });
  }

  void do_read() {
    socket_.async_read_some(asio::buffer(buf_),
                            [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                              if (self->closed_) return;
                              if (ec) {
                                self->close();
                                return;
                              }
                              self->on_bytes(ByteView(self->buf_.data(), n));
                              if (!self->closed_) self->do_read();
                            });
  }

  void on_bytes(ByteView data) {
    Result<Bytes> reply = Bytes{};
    std::vector<fleet::Outgoing> alerts;
    bool wants_close = false;
    {
      auto l = sim_.lock();
      // The meter answers from the present: the fleet first runs every event due by now.
      sim_.fleet_.catch_up();
      if (!server_) server_ = sim_.fleet_.make_session(meter_);
      reply = server_->on_bytes(data);
      alerts = sim_.fleet_.after_session(meter_);
      wants_close = server_->wants_close();
    }
    ++sim_.counters_.requests_served;
    arm_linger();
    if (!reply.ok()) {
      logger("sim")->info("meter {}: closing head-end session: {}", meter_,
                          reply.error().describe());
      close();
      return;
    }
    if (!reply->empty()) send(std::move(*reply), false);
    for (auto& a : alerts) {
      if (a.meter == meter_ && a.sim == path_) {
        send(std::move(a.frame), true);
      } else {
        sim_.dispatch(std::move(a));
      }
    }
    if (wants_close) {
      if (queue_.empty() && !writing_) {
        close();
      } else {
        close_after_write_ = true;
      }
    }
  }

  Impl& sim_;
  tcp::socket socket_;
  asio::steady_timer timer_;  // connect timeout, then linger
  std::uint32_t meter_;
  std::uint8_t path_;
  bool open_ = false;
  bool closed_ = false;
  bool writing_ = false;
  bool close_after_write_ = false;
  std::deque<std::pair<Bytes, bool>> queue_;       // bytes, is a push frame
  std::unique_ptr<fleet::Fleet::Session> server_;  // guarded by sim_.mu_
  std::array<std::uint8_t, 4096> buf_{};
};

void Simulator::Impl::arm_sweep() {
  sweep_.expires_after(Millis(500));
  sweep_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    std::vector<std::shared_ptr<OutSession>> cut;
    {
      auto l = lock();
      const UtcTime now = fleet_.now();
      for (auto& [m, s] : sessions_) {
        if (s->busy()) continue;
        if (!fleet_.path_up(m, s->path(), now) || !fleet_.grid().powered(m, now)) {
          cut.push_back(s);
        }
      }
    }
    for (auto& s : cut) close_session(s, true);
    arm_sweep();
  });
}

void Simulator::Impl::dispatch(fleet::Outgoing o) {
  if (!have_head_end_) {
    ++counters_.frames_counted;
    return;
  }
  auto it = sessions_.find(o.meter);
  if (it != sessions_.end() && it->second->path() != o.sim) {
    // Failover: the meter's other SIM is in use now; the old path's session is gone.
    auto old = it->second;
    close_session(old, true);
    it = sessions_.find(o.meter);
  }
  if (it != sessions_.end()) {
    it->second->send(std::move(o.frame), true);
    return;
  }
  if (sessions_.size() >= options_.max_sessions) {
    if (waiting_.size() >= kMaxQueuedFrames) {
      ++counters_.frames_dropped;
    } else {
      waiting_.push_back(std::move(o));
    }
    return;
  }
  auto s = std::make_shared<OutSession>(*this, o.meter, o.sim);
  sessions_.emplace(o.meter, s);
  ++counters_.sessions_active;
  s->send(std::move(o.frame), true);
  s->start();
}

void Simulator::Impl::close_session(const std::shared_ptr<OutSession>& s, bool cut) {
  if (s->closed()) return;
  if (cut) ++counters_.sessions_cut;
  s->close();
}

void Simulator::Impl::session_closed(std::uint32_t meter, const OutSession* s) {
  auto it = sessions_.find(meter);
  if (it == sessions_.end() || it->second.get() != s) return;
  sessions_.erase(it);
  --counters_.sessions_active;
  // A slot is free: the oldest waiting frame goes next (posted: we may be inside a handler of
  // the session being closed).
  if (!waiting_.empty()) {
    asio::post(io_, [this] {
      while (!waiting_.empty() && sessions_.size() < options_.max_sessions) {
        fleet::Outgoing o = std::move(waiting_.front());
        waiting_.pop_front();
        dispatch(std::move(o));
      }
    });
  }
}

// ---- control ----------------------------------------------------------------------------------

class Simulator::Impl::ControlConn : public std::enable_shared_from_this<ControlConn> {
 public:
  ControlConn(Impl& sim, tcp::socket s) : sim_(sim), socket_(std::move(s)), buf_(kMaxControlLine) {}
  void start() { read(); }

 private:
  void read() {
    asio::async_read_until(
        socket_, buf_, '\n',
        [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
          if (ec) {
            if (ec == asio::error::not_found) self->reply("error line longer than 4096 bytes");
            self->finish();
            return;
          }
          std::string line(asio::buffers_begin(self->buf_.data()),
                           asio::buffers_begin(self->buf_.data()) + static_cast<std::ptrdiff_t>(n));
          self->buf_.consume(n);
          while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
          ++self->sim_.counters_.control_commands;
          Result<std::string> r = std::string();
          {
            auto l = self->sim_.lock();
            r = self->sim_.fleet_.control(line);
          }
          self->reply(r.ok() ? "ok " + *r : "error " + r.error().describe());
          self->read();
        });
  }
  void reply(std::string text) {
    auto out = std::make_shared<std::string>(std::move(text) + "\n");
    asio::async_write(socket_, asio::buffer(*out),
                      [self = shared_from_this(), out](const asio::error_code&, std::size_t) {});
  }
  void finish() {
    asio::error_code ignored;
    socket_.close(ignored);
    --sim_.control_conns_;
  }

  Impl& sim_;
  tcp::socket socket_;
  asio::streambuf buf_;
};

void Simulator::Impl::accept_control() {
  control_.async_accept([this](const asio::error_code& ec, tcp::socket s) {
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      accept_control();
      return;
    }
    if (control_conns_ >= kMaxControlConnections) {
      asio::error_code ignored;
      s.close(ignored);
    } else {
      ++control_conns_;
      std::make_shared<ControlConn>(*this, std::move(s))->start();
    }
    accept_control();
  });
}

// ---- inbound ----------------------------------------------------------------------------------

class Simulator::Impl::InboundHandler final : public net::StreamHandler {
 public:
  InboundHandler(Impl& sim, std::uint32_t meter) : sim_(sim), meter_(meter) {}
  ~InboundHandler() override {
    auto l = sim_.lock();
    server_.reset();
  }
  Result<Bytes> on_bytes(ByteView data) override {
    std::vector<fleet::Outgoing> alerts;
    Result<Bytes> reply = Bytes{};
    {
      auto l = sim_.lock();
      sim_.fleet_.catch_up();  // the meter answers from the present
      if (!sim_.fleet_.reachable(meter_, sim_.fleet_.now())) {
        return Error(Errc::kClosed, "meter has no power or network now");
      }
      if (!server_) server_ = sim_.fleet_.make_session(meter_);
      reply = server_->on_bytes(data);
      wants_close_ = server_->wants_close();
      alerts = sim_.fleet_.after_session(meter_);
    }
    ++sim_.counters_.requests_served;
    if (!alerts.empty()) {
      asio::post(sim_.io_, [s = &sim_, alerts = std::move(alerts)]() mutable {
        for (auto& a : alerts) s->dispatch(std::move(a));
      });
    }
    return reply;
  }
  bool wants_close() const override { return wants_close_; }

 private:
  Impl& sim_;
  std::uint32_t meter_;
  std::unique_ptr<fleet::Fleet::Session> server_;  // guarded by sim_.mu_
  bool wants_close_ = false;
};

std::unique_ptr<net::StreamHandler> Simulator::Impl::make_inbound(const net::PeerInfo& peer) {
  auto it = by_ip_.find(peer.local_address);
  if (it == by_ip_.end()) {
    logger("sim")->info("inbound connection to {}: no meter has that address", peer.local_address);
    return nullptr;
  }
  ++counters_.inbound_accepted;
  return std::make_unique<InboundHandler>(*this, it->second);
}

// ---- Simulator --------------------------------------------------------------------------------

Simulator::Simulator(fleet::Fleet& fleet, const Clock& clock, SimulatorOptions options)
    : fleet_(fleet), impl_(std::make_unique<Impl>(fleet, clock, std::move(options))) {}

Simulator::~Simulator() { stop(); }

Status Simulator::start() { return impl_->start(); }
void Simulator::stop() { impl_->stop(); }
std::uint16_t Simulator::control_port() const { return impl_->control_port_; }
std::uint16_t Simulator::inbound_port() const {
  return impl_->inbound_ ? impl_->inbound_->port() : 0;
}
std::unique_lock<std::mutex> Simulator::lock_fleet() { return impl_->lock(); }

SimulatorStats Simulator::stats() const {
  const Counters& c = impl_->counters_;
  SimulatorStats s;
  s.frames_sent = c.frames_sent;
  s.frames_dropped = c.frames_dropped;
  s.frames_counted = c.frames_counted;
  s.sessions_opened = c.sessions_opened;
  s.sessions_failed = c.sessions_failed;
  s.sessions_cut = c.sessions_cut;
  s.sessions_active = c.sessions_active;
  s.requests_served = c.requests_served;
  s.inbound_accepted = c.inbound_accepted;
  s.control_commands = c.control_commands;
  s.bytes_sent = c.bytes_sent;
  return s;
}

Result<std::string> send_control(const std::string& host, std::uint16_t port,
                                 const std::string& line, Millis timeout) {
  if (line.find('\n') != std::string::npos || line.size() >= kMaxControlLine) {
    return Error(Errc::kInvalidArgument, "a control command is one line under 4096 bytes");
  }
  net::TcpStream s;
  VIDYUT_CHECK(s.connect(host, port, timeout));
  const std::string msg = line + "\n";
  VIDYUT_CHECK(s.write_all(ByteView(reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size()),
                           timeout));
  Bytes in;
  while (std::find(in.begin(), in.end(), '\n') == in.end()) {
    if (in.size() > kMaxControlLine * 4) return Error(Errc::kProtocol, "answer too long");
    VIDYUT_CHECK(s.read_some(in, 4096, timeout));
  }
  std::string answer(in.begin(), std::find(in.begin(), in.end(), '\n'));
  return answer;
}

}  // namespace vidyut::simulator
