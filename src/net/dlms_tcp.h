// DLMS over TCP (IEC 62056-4-7 wrapper, port 4059): the client transport and the glue that
// hosts sans-I/O dlms::ServerConnection objects in a DlmsTcpServer.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/result.h"
#include "dlms/apdu/wrapper.h"
#include "dlms/session/server.h"
#include "dlms/session/transport.h"
#include "net/tcp_server.h"
#include "net/tcp_stream.h"

namespace vidyut::net {

// The IANA-registered DLMS/COSEM TCP port.
inline constexpr std::uint16_t kDlmsTcpPort = 4059;

struct TcpEndpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = kDlmsTcpPort;
  std::uint16_t client_sap = dlms::kWPortPublicClient;             // wrapper source port
  std::uint16_t server_sap = dlms::kWPortManagementLogicalDevice;  // wrapper destination port
  Millis connect_timeout{5000};
  // Largest APDU accepted from the meter in one wrapper frame.
  std::size_t max_apdu = dlms::kMaxApduSize;
};

// dlms::ApduTransport over a TCP client socket. Outgoing APDUs are wrapped with source = client
// SAP and destination = server SAP; incoming frames must come from the server SAP to the client
// SAP (anything else is kProtocol). Errors: kIo (refused, network failure), kTimeout, kClosed
// (peer closed, or close() was called), kMalformed / kLimitExceeded (broken framing; the transport
// closes itself), kProtocol (frame for other ports).
// Thread-safety: one thread at a time.
class TcpApduTransport final : public dlms::ApduTransport {
 public:
  // Connects within endpoint.connect_timeout.
  static Result<std::unique_ptr<TcpApduTransport>> connect(const TcpEndpoint& endpoint);

  Status send(ByteView apdu) override;
  // Waits at most `timeout` in total, however many reads the frame takes.
  Result<Bytes> receive(Millis timeout) override;
  void close() override;

  const TcpEndpoint& endpoint() const { return endpoint_; }

 private:
  explicit TcpApduTransport(TcpEndpoint endpoint);

  TcpEndpoint endpoint_;
  TcpStream stream_;
  dlms::WrapperDecoder decoder_;
};

// A dlms::ServerConnection seen as a StreamHandler.
class ServerConnectionHandler final : public StreamHandler {
 public:
  explicit ServerConnectionHandler(std::unique_ptr<dlms::ServerConnection> connection)
      : connection_(std::move(connection)) {}
  Result<Bytes> on_bytes(ByteView data) override { return connection_->on_bytes(data); }
  bool wants_close() const override { return connection_->wants_close(); }

 private:
  std::unique_ptr<dlms::ServerConnection> connection_;
};

// Returns the ServerConnection for a new TCP connection, or nullptr to refuse it.
using ServerConnectionFactory =
    std::function<std::unique_ptr<dlms::ServerConnection>(const PeerInfo&)>;

// Adapts a ServerConnectionFactory for DlmsTcpServer.
HandlerFactory dlms_handler_factory(ServerConnectionFactory factory);

}  // namespace vidyut::net
