// LoopbackTransport: an in-process ApduTransport connected straight to a ServerConnection, so
// client code runs against the server code without sockets (tests, selfcheck).
//
// send() wraps the APDU (source = client SAP, destination = server SAP), feeds the server and
// queues the APDUs it answers; receive() pops that queue and, because the server answers
// synchronously, returns kTimeout at once when it is empty: it never sleeps.
// Thread-safety: one thread at a time, the same thread that owns the ServerConnection.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "dlms/session/server.h"
#include "dlms/session/transport.h"

namespace vidyut::dlms {

class LoopbackTransport final : public ApduTransport {
 public:
  // REQUIRES: `server` outlives the transport.
  LoopbackTransport(ServerConnection& server, std::uint16_t client_sap,
                    std::uint16_t server_sap = kManagementLogicalDeviceSap);

  Status send(ByteView apdu) override;
  Result<Bytes> receive(Millis timeout) override;
  void close() override { closed_ = true; }

  // --- Test hooks ---
  // Every APDU sent so far (for replaying a captured request).
  const std::vector<Bytes>& sent() const { return sent_; }
  // Every APDU the server answered so far (for replaying a captured response).
  const std::vector<Bytes>& received() const { return received_; }
  // Raw bytes straight to the server's byte stream (no wrapping); replies are queued.
  Status send_raw(ByteView bytes);
  // Queues an APDU as if the server had sent it.
  void inject(Bytes apdu) { queue_.push_back(std::move(apdu)); }
  // When true, the server's answers are discarded: a server that never answers.
  void set_silent(bool silent) { silent_ = silent; }

 private:
  Status feed(ByteView wire);

  ServerConnection& server_;
  std::uint16_t client_sap_;
  std::uint16_t server_sap_;
  WrapperDecoder decoder_;
  std::deque<Bytes> queue_;
  std::vector<Bytes> sent_;
  std::vector<Bytes> received_;
  bool closed_ = false;
  bool silent_ = false;
};

// A transport whose peer never answers: send succeeds, receive waits its timeout (on the real
// clock) and fails with kTimeout. For testing that nothing hangs; use small timeouts.
class SilentTransport final : public ApduTransport {
 public:
  Status send(ByteView apdu) override;
  Result<Bytes> receive(Millis timeout) override;
  void close() override { closed_ = true; }
  std::size_t sends() const { return sends_; }

 private:
  std::size_t sends_ = 0;
  bool closed_ = false;
};

}  // namespace vidyut::dlms
