// PushSink: a listener that receives what simulated (or real) meters push - wrapper frames
// carrying Data-Notifications - and counts them, deciphering each with the sending meter's keys
// when it is given the fleet. It stands in for a head end when a utility evaluates the
// simulator alone, and it is the receiving end of the simulator's benchmark.
//
// It never asks the meter anything: a session stays open until the meter closes it (or the idle
// timeout). Thread-safety: start/stop/port/stats from any thread; the callback runs on the
// sink's I/O thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "core/result.h"
#include "dlms/apdu/xdlms.h"
#include "fleet/topology.h"
#include "net/tcp_server.h"

namespace vidyut::simulator {

struct PushSinkStats {
  std::uint64_t connections = 0;
  std::uint64_t active = 0;
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
  std::uint64_t notifications = 0;  // deciphered and decoded (needs the fleet)
  std::uint64_t rejected = 0;       // unknown system title, failed to decipher or decode
};

class PushSink {
 public:
  // Called for each notification decoded: the meter's index in the fleet and the notification.
  using Callback = std::function<void(std::uint32_t meter, const dlms::DataNotification&)>;
  // `fleet` (may be null: frames are only counted) must outlive the sink.
  PushSink(const fleet::Topology* fleet, net::TcpServerOptions options, Callback callback = {});
  ~PushSink();
  Status start();
  void stop();
  std::uint16_t port() const;
  PushSinkStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vidyut::simulator
