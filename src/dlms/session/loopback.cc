#include "dlms/session/loopback.h"

#include <thread>

namespace vidyut::dlms {

LoopbackTransport::LoopbackTransport(ServerConnection& server, std::uint16_t client_sap,
                                     std::uint16_t server_sap)
    : server_(server), client_sap_(client_sap), server_sap_(server_sap) {}

Status LoopbackTransport::send(ByteView apdu) {
  if (closed_) return Error(Errc::kClosed, "loopback transport closed");
  if (apdu.size() > kMaxApduSize) {
    return Error(Errc::kLimitExceeded, "APDU larger than a wrapper frame");
  }
  sent_.emplace_back(apdu.begin(), apdu.end());
  const Bytes wire = wrap(client_sap_, server_sap_, apdu);
  return feed(wire);
}

Status LoopbackTransport::send_raw(ByteView bytes) {
  if (closed_) return Error(Errc::kClosed, "loopback transport closed");
  return feed(bytes);
}

Status LoopbackTransport::feed(ByteView wire) {
  auto out = server_.on_bytes(wire);
  if (!out.ok())
    return Error(Errc::kClosed, "server closed the connection: " + out.error().describe());
  decoder_.feed(*out);
  while (true) {
    auto frame = decoder_.next();
    if (!frame.ok()) return frame.error();
    if (!*frame) break;
    WrapperFrame& f = **frame;
    if (f.source != server_sap_ || f.destination != client_sap_) {
      return Error(Errc::kProtocol, "loopback: response frame with unexpected wPorts");
    }
    received_.push_back(f.apdu);
    if (!silent_) queue_.push_back(std::move(f.apdu));
  }
  return ok_status();
}

Result<Bytes> LoopbackTransport::receive(Millis /*timeout*/) {
  if (closed_) return Error(Errc::kClosed, "loopback transport closed");
  if (queue_.empty()) return Error(Errc::kTimeout, "no response from the loopback server");
  Bytes apdu = std::move(queue_.front());
  queue_.pop_front();
  return apdu;
}

Status SilentTransport::send(ByteView /*apdu*/) {
  if (closed_) return Error(Errc::kClosed, "transport closed");
  ++sends_;
  return ok_status();
}

Result<Bytes> SilentTransport::receive(Millis timeout) {
  if (closed_) return Error(Errc::kClosed, "transport closed");
  std::this_thread::sleep_for(timeout);
  return Error(Errc::kTimeout, "no response within " + std::to_string(timeout.count()) + " ms");
}

}  // namespace vidyut::dlms
