#include "net/dlms_tcp.h"

#include <chrono>

namespace vidyut::net {
namespace {

// Bytes asked of the socket per read: one default-size APDU and its wrapper header.
constexpr std::size_t kReadChunk = 4096;

}  // namespace

TcpApduTransport::TcpApduTransport(TcpEndpoint endpoint)
    : endpoint_(std::move(endpoint)), decoder_(endpoint_.max_apdu) {}

Result<std::unique_ptr<TcpApduTransport>> TcpApduTransport::connect(const TcpEndpoint& endpoint) {
  if (endpoint.max_apdu > dlms::kMaxApduSize) {
    return Error(Errc::kInvalidArgument, "max_apdu over the wrapper's 65535");
  }
  std::unique_ptr<TcpApduTransport> t(new TcpApduTransport(endpoint));
  VIDYUT_CHECK(t->stream_.connect(endpoint.host, endpoint.port, endpoint.connect_timeout));
  return t;
}

Status TcpApduTransport::send(ByteView apdu) {
  if (!stream_.is_open()) return Error(Errc::kClosed, "transport closed");
  if (apdu.size() > dlms::kMaxApduSize) {
    return Error(Errc::kLimitExceeded, "APDU of " + std::to_string(apdu.size()) +
                                           " bytes does not fit one wrapper frame");
  }
  const Bytes frame = dlms::wrap(endpoint_.client_sap, endpoint_.server_sap, apdu);
  // A send to a live peer on TCP completes as soon as the kernel takes the bytes; the connect
  // timeout is a fair bound for a peer whose window stays shut.
  return stream_.write_all(frame, endpoint_.connect_timeout);
}

Result<Bytes> TcpApduTransport::receive(Millis timeout) {
  using std::chrono::steady_clock;
  const auto deadline = steady_clock::now() + timeout;
  while (true) {
    auto frame = decoder_.next();
    if (!frame.ok()) {
      stream_.close();
      return frame.error();
    }
    if (frame->has_value()) {
      dlms::WrapperFrame& f = **frame;
      if (f.source != endpoint_.server_sap || f.destination != endpoint_.client_sap) {
        return Error(Errc::kProtocol, "wrapper frame from wPort " + std::to_string(f.source) +
                                          " to " + std::to_string(f.destination) + ", expected " +
                                          std::to_string(endpoint_.server_sap) + " to " +
                                          std::to_string(endpoint_.client_sap));
      }
      return std::move(f.apdu);
    }
    if (!stream_.is_open()) return Error(Errc::kClosed, "transport closed");
    const auto left = std::chrono::duration_cast<Millis>(deadline - steady_clock::now());
    if (left <= Millis(0)) {
      stream_.close();  // a frame may be half-read: the stream cannot be trusted any more
      return Error(Errc::kTimeout,
                   "no answer from the meter within " + std::to_string(timeout.count()) + " ms");
    }
    Bytes chunk;
    VIDYUT_CHECK(stream_.read_some(chunk, kReadChunk, left));
    decoder_.feed(chunk);
  }
}

void TcpApduTransport::close() { stream_.close(); }

HandlerFactory dlms_handler_factory(ServerConnectionFactory factory) {
  return [factory = std::move(factory)](const PeerInfo& peer) -> std::unique_ptr<StreamHandler> {
    auto connection = factory(peer);
    if (!connection) return nullptr;
    return std::make_unique<ServerConnectionHandler>(std::move(connection));
  };
}

}  // namespace vidyut::net
