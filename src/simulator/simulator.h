// Simulator: puts a Fleet (src/fleet, sans-I/O) on the network.
//
//   - Meter-initiated sessions: when a meter has something to send (a block-load push, an
//     alert), it opens a TCP connection to the head end - from a source address that stands for
//     its SIM path (127.<10 + 8 x sim + i / 65536>.<i / 256 % 256>.<i % 256>, so the head end
//     sees a different address after a failover and the fleet spreads over many ephemeral-port
//     ranges) - sends the wrapper frames, answers whatever the head end asks on that connection
//     (the meter is the DLMS server, the head end the client), and closes it after `linger` of
//     silence. A session whose SIM path goes down (operator cut, SIM outage) or whose meter
//     loses power is dropped, as the network would drop it.
//   - Inbound sessions: meters on static-IP APNs (a static_ip in the fleet file) accept
//     connections on their own address, as `vidyut dlms read --host 127.64.0.5` expects. One
//     listener on the wildcard address serves them all, routing by the address dialled.
//   - The control interface: a line protocol on a loopback TCP port (docs/fleet-simulator.md):
//     each line is a Fleet::control command; the answer is "ok <text>" or "error <text>".
//
// One I/O thread runs the fleet, the outbound sessions and the control port; the inbound
// listener runs on its own thread and takes the same mutex before touching the fleet.
//
// Limits: max_sessions bounds concurrent outbound sessions (file descriptors: the process's
// RLIMIT_NOFILE is the real ceiling); a push that finds the limit reached waits in a bounded
// queue (kMaxQueuedFrames) and is dropped beyond it, counted in stats().
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "fleet/fleet.h"

namespace vidyut::simulator {

// Frames waiting for a free session slot or a connection, fleet-wide; beyond this a frame is
// dropped (a real meter's push retries are finite too).
inline constexpr std::size_t kMaxQueuedFrames = 200'000;
// Longest control line accepted, and control connections at once.
inline constexpr std::size_t kMaxControlLine = 4096;
inline constexpr std::size_t kMaxControlConnections = 16;

struct SimulatorOptions {
  // Head end to push to; empty host: pushes are counted but not sent.
  std::string head_end_host;
  std::uint16_t head_end_port = 4059;
  // Bind outbound sockets to per-meter loopback source addresses (only when the head end is on
  // loopback; otherwise the machine's own address is used).
  bool spread_source_addresses = true;
  // A meter-initiated session closes after this much silence (real time).
  Millis linger{10'000};
  Millis connect_timeout{5'000};
  std::size_t max_sessions = 15'000;
  // Inbound sessions for static-IP meters on inbound_bind:inbound_port (0: an ephemeral port,
  // read it back with inbound_port()).
  bool inbound = false;
  std::string inbound_bind = "0.0.0.0";
  std::uint16_t inbound_port = 4059;
  std::size_t max_inbound = 1024;
  // Control interface on 127.0.0.1:control_port (0 = off; kAnyPort picks one).
  std::uint16_t control_port = 0;
  // Real time between looks at the fleet's event queue.
  Millis tick{10};
};
inline constexpr std::uint16_t kAnyPort = 65535;  // control_port: pick an ephemeral port

struct SimulatorStats {
  std::uint64_t frames_sent = 0;     // written to a head-end connection
  std::uint64_t frames_dropped = 0;  // connect failed, queue full, or session dropped
  std::uint64_t frames_counted = 0;  // no head end configured: counted only
  std::uint64_t sessions_opened = 0;
  std::uint64_t sessions_failed = 0;  // connect refused / timed out
  std::uint64_t sessions_cut = 0;     // path or power lost while open
  std::uint64_t sessions_active = 0;
  std::uint64_t requests_served = 0;  // reads of head-end bytes handled by a meter
  std::uint64_t inbound_accepted = 0;
  std::uint64_t control_commands = 0;
  std::uint64_t bytes_sent = 0;
};

class Simulator {
 public:
  // `fleet` and `clock` (the fleet's clock) must outlive the simulator.
  Simulator(fleet::Fleet& fleet, const Clock& clock, SimulatorOptions options);
  ~Simulator();  // stops
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Binds the control and inbound ports and starts the I/O thread. kIo when a port cannot be
  // bound.
  Status start();
  void stop();
  std::uint16_t control_port() const;
  std::uint16_t inbound_port() const;
  SimulatorStats stats() const;
  // Runs `fn` on the fleet under the simulator's lock (for reports while it runs).
  template <class Fn>
  auto with_fleet(Fn&& fn) {
    auto lock = lock_fleet();
    return fn(fleet_);
  }

 private:
  class Impl;
  std::unique_lock<std::mutex> lock_fleet();
  fleet::Fleet& fleet_;
  std::unique_ptr<Impl> impl_;
};

// Sends one control line to a running simulator and returns its answer line.
Result<std::string> send_control(const std::string& host, std::uint16_t port,
                                 const std::string& line, Millis timeout = Millis(5000));

}  // namespace vidyut::simulator
