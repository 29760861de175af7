// ApduTransport: how a DLMS client sends and receives whole APDUs.
//
// The transport owns framing (for TCP, the IEC 62056-4-7 wrapper and its ports); the session
// layer above only ever sees complete APDUs. Implementations: net/TcpApduTransport (sockets) and
// LoopbackTransport (session/loopback.h, in-process, for tests and self-checks).
// Thread-safety: an ApduTransport is used by one thread at a time.
#pragma once

#include "core/bytes.h"
#include "core/clock.h"
#include "core/result.h"

namespace vidyut::dlms {

class ApduTransport {
 public:
  virtual ~ApduTransport() = default;
  // Sends one complete APDU. kIo / kClosed when the link is gone.
  virtual Status send(ByteView apdu) = 0;
  // The next complete APDU from the peer. Waits at most `timeout`: kTimeout when nothing
  // arrived in time, kClosed when the peer closed, kIo on link failure, kMalformed when the
  // framing is broken (the transport is then unusable).
  virtual Result<Bytes> receive(Millis timeout) = 0;
  // Closes the link; later send/receive fail with kClosed. Safe to call twice.
  virtual void close() = 0;
};

}  // namespace vidyut::dlms
