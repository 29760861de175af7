// DlmsTcpServer: an event-driven TCP listener that hosts one sans-I/O protocol handler per
// accepted connection (for DLMS: a dlms::ServerConnection; see make_dlms_handler_factory in
// dlms_tcp.h). It also dials out (dial()): an outbound connection's handler runs exactly like an
// accepted one's, and speaks first.
//
// One I/O thread runs every socket, timer and handler, so handlers (and whatever they share, such
// as a simulated meter) are only ever called from that thread. Hostile peers are bounded by
// TcpServerLimits: a peer that exceeds one is disconnected without affecting the others.
//
// Holding many sessions: connections are kept in a hash map by id, so no event (read, write,
// timer, wake) costs time proportional to the number of open connections; each connection owns a
// read buffer, an idle timer and a wake timer that is only armed when its handler asks.
//
// Thread-safety: start(), stop(), wake(), dial(), port() and stats() may be called from any
// thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

  // The head end has something to say on this connection without the peer having spoken: called
  // after DlmsTcpServer::wake() named this connection, or once the delay from wake_after() has
  // passed. Returns bytes to send (possibly none); an Error closes the connection, and
  // wants_close() is honoured exactly as after on_bytes(). Not called once the connection is
  // closing. Default: nothing to send.
  virtual Result<Bytes> on_wake() { return Bytes{}; }
  // Asked when the connection opens and after every on_bytes() and on_wake(): call on_wake() after
  // this delay (for example a request time-out), or std::nullopt for no wake-up. Each answer
  // replaces the previous one, so std::nullopt cancels a pending wake-up and a delay postpones
  // it. Default: never.
  virtual std::optional<Millis> wake_after() const { return std::nullopt; }
  // Called exactly once when the connection ends for any reason (peer close, idle time-out, error,
  // handler close, server stop), after the socket is closed and before the handler is destroyed.
  // Nothing is sent any more. Default: nothing.
  virtual void on_closed() {}
};

struct PeerInfo {
  std::string address;  // "127.0.0.1": the remote end (for a dialled connection, the one dialled)
  std::uint16_t port = 0;
  // The local address the peer connected to: with a wildcard bind, which of the machine's
  // addresses it dialled (the simulator hosts one meter per loopback address this way). For a
  // connection made by DlmsTcpServer::dial(), the local address it was made from.
  std::string local_address;
  // 1, 2, ... in the order connections open, accepted and dialled alike (one sequence).
  std::uint64_t connection_id = 0;
};

// Returns the handler for a new connection, or nullptr to refuse it (close it).
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

  // Open connections at once, accepted and dialled (a dial still connecting holds a place too);
  // a head end holding its meters' sessions sets tens of thousands (mind the process's
  // file-descriptor limit, RLIMIT_NOFILE). Connections over it are refused ("max-connections");
  // dials over it fail with kLimitExceeded.
  std::size_t max_connections = kDefaultMaxConnections;
  // A peer that sends nothing for this long is disconnected (whatever the server sends it).
  Millis idle_timeout = kDefaultIdleTimeout;
  std::size_t max_buffered_bytes = kDefaultMaxBufferedBytes;
  // New inbound connections per second (dials are not limited), enforced as a token bucket of
  // accept_burst tokens refilled at this rate; connections over it are accepted and closed at once
  // ("rate-limit"). It bounds the cost of a reconnect storm or a connection flood. 0 = unlimited.
  double max_accepts_per_second = 0;
  // The bucket's size: how many connections may arrive at once after a quiet spell. 0 = one
  // second's worth (max_accepts_per_second rounded up, at least 1).
  std::size_t accept_burst = 0;
};

struct TcpServerOptions {
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 4059;  // 0 picks an ephemeral port; read it back with port()
  TcpServerLimits limits;
  // Called on the I/O thread for every refused connection, after its socket is closed, with
  // reason "rate-limit", "max-connections" or "handler-refused" (the factory returned nullptr),
  // so that the head end can audit. Must be quick and must not call stop(). May be empty.
  std::function<void(const PeerInfo&, std::string_view reason)> on_refused = nullptr;
};

struct TcpServerStats {
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;        // over max_connections, or the factory returned nullptr
  std::uint64_t refused_rate = 0;   // over max_accepts_per_second (not counted in `refused`)
  std::uint64_t accept_errors = 0;  // accept() failed (EMFILE, ...); the server retries
  std::uint64_t active = 0;
  std::uint64_t closed_idle = 0;   // idle timeout
  std::uint64_t closed_error = 0;  // handler error, I/O error or buffer limit
  std::uint64_t closed_by_handler = 0;
  std::uint64_t closed_by_peer = 0;
  // Connections established by dial() and handed to a handler (also counted in `active` and the
  // closed_* counters while and after they are open). A dialled connection whose factory returned
  // nullptr counts in neither `dialed` nor `dial_failed`.
  std::uint64_t dialed = 0;
  std::uint64_t dial_failed = 0;  // dials that ended in on_failed
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
  // Asks the handler of connection `connection_id` (PeerInfo::connection_id) to speak: on the I/O
  // thread, calls its on_wake() and sends what it returns. Returns at once. Ignored when no such
  // connection is open (any more), or it is closing. Callable from handlers too (it never calls
  // on_wake() re-entrantly).
  void wake(std::uint64_t connection_id);

  // Called on the I/O thread when a dial fails (connect refused, timed out, unresolvable host,
  // or the server stopped first).
  using DialFailed = std::function<void(const Error&)>;
  // Opens a connection to host:port (an IP literal is enough; no DNS needed) from the I/O
  // thread. On success `factory` is called with the PeerInfo (address/port = the remote end,
  // local_address, a fresh connection_id from the same sequence as accepted connections) and the
  // handler it returns runs like an accepted one: same idle timeout, buffer limits, wake(),
  // wake_after(), on_closed(); the connection counts toward max_connections (a dial over the
  // limit fails with kLimitExceeded). Right after the handler is created the server calls its
  // on_wake() and sends what it returns - that is how a client-role handler speaks first. A
  // factory returning nullptr closes the connection (no on_failed). Thread-safe; returns at
  // once. Not subject to the accept rate limit.
  //
  // Errors passed to on_failed: kInvalidArgument (host is not an IP address literal: names are
  // not resolved), kLimitExceeded, kTimeout (not connected within connect_timeout), kIo (refused,
  // unreachable, or "server stopped" when stop() came first). on_failed is called exactly once
  // for a dial that fails and never for one that connects. When the server is not running
  // (before start(), after stop() has begun) the dial fails at once with kIo and on_failed is
  // called on the caller's thread, before dial() returns. on_failed may call dial() again.
  void dial(std::string host, std::uint16_t port, HandlerFactory factory, DialFailed on_failed,
            Millis connect_timeout = Millis(10'000));

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vidyut::net
