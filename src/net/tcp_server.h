// DlmsTcpServer: an event-driven TCP listener that hosts one sans-I/O protocol handler per
// accepted connection (for DLMS: a dlms::ServerConnection; see make_dlms_handler_factory in
// dlms_tcp.h).
//
// One I/O thread runs every socket, timer and handler, so handlers (and whatever they share, such
// as a simulated meter) are only ever called from that thread. Hostile peers are bounded by
// TcpServerLimits: a peer that exceeds one is disconnected without affecting the others.
//
// Thread-safety: start(), stop(), port() and stats() may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/result.h"

namespace vidyut::net {

// The protocol side of one connection. Called only from the server's I/O thread.
class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  // Bytes received from the peer (any split: TCP keeps no boundaries). Returns bytes to send back
  // (possibly none). An Error closes the connection.
  virtual Result<Bytes> on_bytes(ByteView data) = 0;
  // True once the handler wants the connection closed (after what it returned has been sent).
  virtual bool wants_close() const = 0;
};

struct PeerInfo {
  std::string address;  // "127.0.0.1"
  std::uint16_t port = 0;
  // The local address the peer connected to: with a wildcard bind, which of the machine's
  // addresses it dialled (the simulator hosts one meter per loopback address this way).
  std::string local_address;
  std::uint64_t connection_id = 0;  // 1, 2, ... in accept order
};

// Returns the handler for a new connection, or nullptr to refuse it.
using HandlerFactory = std::function<std::unique_ptr<StreamHandler>(const PeerInfo&)>;

// Every bound against a hostile or broken peer.
struct TcpServerLimits {
  // A head-end's meter-facing port serves one meter client at a time in practice; 64 leaves room
  // for parallel reads and bounds sockets and memory.
  static constexpr std::size_t kDefaultMaxConnections = 64;
  // A DLMS client that says nothing for 2 minutes is gone (meters' own inactivity timeouts are
  // typically 60-120 s).
  static constexpr Millis kDefaultIdleTimeout{120'000};
  // Bytes queued for sending to one peer that has stopped reading: a whole block-load profile
  // is well under 1 MiB, so 4 MiB means the peer is not draining.
  static constexpr std::size_t kDefaultMaxBufferedBytes = 4u << 20;

  std::size_t max_connections = kDefaultMaxConnections;
  Millis idle_timeout = kDefaultIdleTimeout;
  std::size_t max_buffered_bytes = kDefaultMaxBufferedBytes;
};

struct TcpServerOptions {
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 4059;  // 0 picks an ephemeral port; read it back with port()
  TcpServerLimits limits;
};

struct TcpServerStats {
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;  // over max_connections, or the factory returned nullptr
  std::uint64_t active = 0;
  std::uint64_t closed_idle = 0;   // idle timeout
  std::uint64_t closed_error = 0;  // handler error, I/O error or buffer limit
  std::uint64_t closed_by_handler = 0;
  std::uint64_t closed_by_peer = 0;
};

class DlmsTcpServer {
 public:
  DlmsTcpServer(TcpServerOptions options, HandlerFactory factory);
  ~DlmsTcpServer();  // stops
  DlmsTcpServer(const DlmsTcpServer&) = delete;
  DlmsTcpServer& operator=(const DlmsTcpServer&) = delete;

  // Binds, listens and starts the I/O thread. kIo when the address cannot be bound.
  // REQUIRES: not started.
  Status start();
  // Closes the listener and every connection, then joins the I/O thread. Idempotent.
  void stop();
  // The bound port (the ephemeral one when options.port was 0). 0 before start().
  std::uint16_t port() const;
  TcpServerStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vidyut::net
