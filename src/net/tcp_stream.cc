#include "net/tcp_stream.h"

#include <optional>

#include <asio.hpp>

namespace vidyut::net {

// Each blocking call starts an asynchronous operation and runs the private io_context until the
// operation completes or the deadline passes; on a deadline the socket is closed, which aborts
// the operation, and the context is run until the abort has been delivered.
class TcpStream::Impl {
 public:
  Impl() : socket_(io_) {}

  // Runs io_ until `done` or `timeout`. Returns false on timeout (the socket is then closed).
  bool run_until(const bool& done, Millis timeout) {
    io_.restart();
    io_.run_for(timeout);
    if (done) return true;
    asio::error_code ignored;
    socket_.close(ignored);
    io_.restart();
    io_.run();  // deliver the aborted handler so nothing refers to stale state
    return false;
  }

  asio::io_context io_;
  asio::ip::tcp::socket socket_;
};

TcpStream::TcpStream() : impl_(std::make_unique<Impl>()) {}
TcpStream::~TcpStream() = default;
TcpStream::TcpStream(TcpStream&&) noexcept = default;
TcpStream& TcpStream::operator=(TcpStream&&) noexcept = default;

Status TcpStream::connect(const std::string& host, std::uint16_t port, Millis timeout) {
  close();
  asio::error_code ec;
  asio::ip::tcp::resolver resolver(impl_->io_);
  auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) return Error(Errc::kInvalidArgument, "cannot resolve " + host + ": " + ec.message());
  bool done = false;
  asio::error_code result;
  asio::async_connect(impl_->socket_, endpoints,
                      [&](const asio::error_code& e, const asio::ip::tcp::endpoint&) {
                        result = e;
                        done = true;
                      });
  const std::string where = host + ":" + std::to_string(port);
  if (!impl_->run_until(done, timeout)) {
    return Error(Errc::kTimeout, "no connection to " + where + " within " +
                                     std::to_string(timeout.count()) + " ms");
  }
  if (result) {
    asio::error_code ignored;
    impl_->socket_.close(ignored);
    if (result == asio::error::connection_refused) {
      return Error(Errc::kIo, "connection to " + where + " refused");
    }
    return Error(Errc::kIo, "cannot connect to " + where + ": " + result.message());
  }
  impl_->socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  return ok_status();
}

Status TcpStream::write_all(ByteView data, Millis timeout) {
  if (!impl_->socket_.is_open()) return Error(Errc::kClosed, "not connected");
  bool done = false;
  asio::error_code result;
  asio::async_write(impl_->socket_, asio::buffer(data.data(), data.size()),
                    [&](const asio::error_code& e, std::size_t) {
                      result = e;
                      done = true;
                    });
  if (!impl_->run_until(done, timeout)) {
    return Error(Errc::kTimeout,
                 "send did not finish within " + std::to_string(timeout.count()) + " ms");
  }
  if (result) {
    close();
    if (result == asio::error::broken_pipe || result == asio::error::connection_reset) {
      return Error(Errc::kClosed, "peer closed the connection");
    }
    return Error(Errc::kIo, "send failed: " + result.message());
  }
  return ok_status();
}

Status TcpStream::read_some(Bytes& out, std::size_t max_bytes, Millis timeout) {
  if (!impl_->socket_.is_open()) return Error(Errc::kClosed, "not connected");
  const std::size_t old = out.size();
  out.resize(old + max_bytes);
  bool done = false;
  asio::error_code result;
  std::size_t got = 0;
  impl_->socket_.async_read_some(asio::buffer(out.data() + old, max_bytes),
                                 [&](const asio::error_code& e, std::size_t n) {
                                   result = e;
                                   got = n;
                                   done = true;
                                 });
  const bool finished = impl_->run_until(done, timeout);
  out.resize(old + (finished && !result ? got : 0));
  if (!finished) {
    return Error(Errc::kTimeout, "no answer within " + std::to_string(timeout.count()) + " ms");
  }
  if (result) {
    close();
    if (result == asio::error::eof || result == asio::error::connection_reset) {
      return Error(Errc::kClosed, "peer closed the connection");
    }
    return Error(Errc::kIo, "receive failed: " + result.message());
  }
  return ok_status();
}

bool TcpStream::is_open() const { return impl_ && impl_->socket_.is_open(); }

void TcpStream::close() {
  if (!impl_) return;
  asio::error_code ignored;
  impl_->socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  impl_->socket_.close(ignored);
}

}  // namespace vidyut::net
