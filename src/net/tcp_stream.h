// TcpStream: a blocking TCP client socket where every operation has a deadline.
//
// Errors: kIo when the peer refuses or the network fails, kTimeout when the deadline passes
// (the stream is closed then: a half-done operation leaves it unusable), kClosed when the peer
// closed the connection, kInvalidArgument for an unresolvable host.
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/result.h"

namespace vidyut::net {

class TcpStream {
 public:
  TcpStream();
  ~TcpStream();
  TcpStream(TcpStream&&) noexcept;
  TcpStream& operator=(TcpStream&&) noexcept;

  // Resolves `host` (name or address) and connects within `timeout`.
  [[nodiscard]] Status connect(const std::string& host, std::uint16_t port, Millis timeout);
  // Sends every byte of `data` within `timeout`.
  [[nodiscard]] Status write_all(ByteView data, Millis timeout);
  // Waits up to `timeout` for some bytes and appends them to `out` (at most `max_bytes`).
  [[nodiscard]] Status read_some(Bytes& out, std::size_t max_bytes, Millis timeout);
  bool is_open() const;
  void close();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vidyut::net
