// DLMS/COSEM server associations (the meter side): sans-I/O, no sockets.
//
//   ServerConnection  one per TCP connection: raw bytes in (wrapper frames), raw bytes out. It
//                     routes each frame by source wPort (client SAP) to a ServerAssociation and by
//                     destination wPort (server SAP) to a LogicalDevice.
//   ServerAssociation one per client SAP on a connection: AARQ/AARE, HLS passes 3/4, GET (normal,
//                     next, with-list, block transfer), SET (normal, with-list), ACTION, RLRQ/RLRE,
//                     ciphering per the association's policy, replay protection.
//   InvocationCounterStore  shared by all connections of one server: the last client invocation
//                     counter accepted per (client SAP, client system title), so a replay on a new
//                     connection is still refused, and the server's own outgoing counter.
//
// Behaviour on rejection (docs/dlms-associations.md): a refused AARQ gets an AARE "rejected" with
// its diagnostic and an audit line on logger "dlms.server"; the connection stays open and the
// client may send a new AARQ. A replayed or undecipherable request gets an Exception-Response and
// an audit line; the association continues. Requests before association, or before HLS pass 3
// succeeded, get an Exception-Response (service-not-allowed). A frame the wrapper cannot parse
// makes the connection want to close.
//
// Thread-safety: ServerConnection and ServerAssociation are used by one thread at a time.
// InvocationCounterStore implementations are thread-safe. The LogicalDevice is called from the
// thread that feeds the connection; if several connections share one device from several
// threads, the caller must serialise them (e.g. one io thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/result.h"
#include "dlms/apdu/wrapper.h"
#include "dlms/apdu/xdlms.h"
#include "dlms/axdr/data.h"
#include "dlms/cosem/logical_device.h"
#include "dlms/security/suite0.h"
#include "dlms/session/association.h"

namespace vidyut::dlms {

// Largest encoded GET response the server holds for block transfer (the "long-GET" state), per
// association. Bounds memory per connection; 45 days of three-phase block load fits in 1 MiB.
inline constexpr std::size_t kMaxLongGetBytes = 4u << 20;
// Most blocks one response may be split into: kMaxLongGetBytes / the smallest block.
inline constexpr std::uint32_t kMaxServerBlocks = 200'000;
// Most attributes in one GET/SET with-list request we serve: bounds the work one APDU can ask for.
inline constexpr std::size_t kMaxServerListItems = 64;
// Most client SAPs associated at once on one connection (IS 15959 defines five).
inline constexpr std::size_t kMaxAssociationsPerConnection = 8;
// Most distinct (client SAP, system title) pairs InMemoryInvocationCounterStore remembers; a
// meter serves a handful of HES clients, so this only bounds a misbehaving peer's effect.
inline constexpr std::size_t kMaxRememberedClients = 4096;

// What one client SAP may do and how it must authenticate.
struct AssociationPolicy {
  std::uint16_t client_sap = kPublicClientSap;
  Authentication auth = Authentication::kNone;
  std::string password;  // LLS secret (compared in constant time)
  // Protection every xDLMS request must carry. Anything other than kNone requires the ciphered
  // application context (…1.3) and a calling-AP-title in the AARQ.
  security::SecurityPolicy required_security = security::SecurityPolicy::kNone;
  security::SecurityKeys keys;  // EK/AK for ciphering and HLS-GMAC
};

struct ServerSettings {
  security::SystemTitle server_title{};
  std::vector<AssociationPolicy> associations;
  std::uint16_t max_receive_pdu = kDefaultMaxPduSize;  // server-max-receive-pdu-size
  // Length of the StoC challenge sent in the AARE for HLS.
  std::size_t challenge_length = security::kDefaultChallengeLength;

  // The three IS 15959 associations: 16 none; 32 LLS with `password` (no ciphering);
  // 48 HLS-GMAC with authenticated encryption under `keys`.
  static ServerSettings is15959_defaults(const security::SystemTitle& title,
                                         const std::string& password,
                                         const security::SecurityKeys& keys);
  const AssociationPolicy* find(std::uint16_t client_sap) const;
};

// Remembers invocation counters across connections. Thread-safe.
class InvocationCounterStore {
 public:
  virtual ~InvocationCounterStore() = default;
  // Atomically: kReplay when `counter` <= the last one accepted from (client_sap, title);
  // otherwise records it. Call only after the APDU authenticated.
  virtual Status accept_client_counter(std::uint16_t client_sap, const security::SystemTitle& title,
                                       std::uint32_t counter) = 0;
  virtual std::optional<std::uint32_t> last_client_counter(
      std::uint16_t client_sap, const security::SystemTitle& title) const = 0;
  // Highest counter accepted at `client_sap` from any title (what 0.0.43.1.3.255 reports).
  virtual std::optional<std::uint32_t> highest_client_counter(std::uint16_t client_sap) const = 0;
  // The server's next outgoing invocation counter; kLimitExceeded when exhausted.
  virtual Result<std::uint32_t> next_server_counter() = 0;
  // The value next_server_counter() would return.
  virtual std::uint32_t peek_server_counter() const = 0;
};

class InMemoryInvocationCounterStore final : public InvocationCounterStore {
 public:
  explicit InMemoryInvocationCounterStore(std::uint32_t first_server_counter = 1);
  Status accept_client_counter(std::uint16_t client_sap, const security::SystemTitle& title,
                               std::uint32_t counter) override;
  std::optional<std::uint32_t> last_client_counter(
      std::uint16_t client_sap, const security::SystemTitle& title) const override;
  std::optional<std::uint32_t> highest_client_counter(std::uint16_t client_sap) const override;
  Result<std::uint32_t> next_server_counter() override;
  std::uint32_t peek_server_counter() const override;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::uint16_t, security::SystemTitle>, std::uint32_t> last_;  // guarded by mu_
  security::InvocationCounter server_;                                             // guarded by mu_
};

// Everything a ServerAssociation needs from its surroundings. Pointers are borrowed and must
// outlive the association.
struct ServerContext {
  const ServerSettings* settings = nullptr;
  InvocationCounterStore* counters = nullptr;
  const Clock* clock = nullptr;
};

class ServerAssociation {
 public:
  // REQUIRES: ctx pointers non-null; `device` outlives this object.
  ServerAssociation(std::uint16_t client_sap, cosem::LogicalDevice& device, ServerContext ctx);

  // Handles one complete request APDU; returns the response APDUs (usually one; none when the
  // request needs no answer). Protocol problems become response APDUs (AARE rejected,
  // Exception-Response, data-access-results), never Errors; an Error means an internal failure
  // (e.g. the server's invocation counter is exhausted) and the connection should close.
  Result<std::vector<Bytes>> on_apdu(ByteView apdu);

  bool associated() const { return state_ == State::kAssociated; }
  bool hls_pending() const { return state_ == State::kHlsPending; }
  // True after an RLRQ was answered.
  bool released() const { return released_; }
  std::uint16_t client_sap() const { return client_sap_; }
  const std::optional<security::SystemTitle>& client_title() const { return client_title_; }

 private:
  enum class State : std::uint8_t { kIdle, kHlsPending, kAssociated };
  Result<std::vector<Bytes>> on_aarq(ByteView apdu);
  Result<Bytes> on_service(ByteView apdu);

  std::uint16_t client_sap_;
  cosem::LogicalDevice& device_;
  ServerContext ctx_;
  const AssociationPolicy* policy_ = nullptr;
  State state_ = State::kIdle;
  bool released_ = false;
  bool ciphered_ = false;
  std::optional<security::SystemTitle> client_title_;
  Bytes ctos_;
  Bytes stoc_;
  std::uint16_t client_max_pdu_ = kDefaultMaxPduSize;
  // Long-GET state: the encoded response being sent in blocks.
  Bytes long_get_;
  std::size_t long_get_pos_ = 0;
  std::uint32_t long_get_block_ = 0;
  std::uint8_t long_get_invoke_ = 0;
  bool long_get_active_ = false;
  std::uint8_t last_sc_ = 0;  // protection of the request being answered (mirrored in the reply)
};

// One TCP connection's DLMS server: wrapper frames in, wrapper frames out.
class ServerConnection {
 public:
  // `device` serves destination wPort 1 (the management logical device).
  // REQUIRES: settings, device, counters and clock outlive the connection.
  ServerConnection(const ServerSettings& settings, cosem::LogicalDevice& device,
                   InvocationCounterStore& counters, const Clock& clock = RealClock::instance());
  ~ServerConnection();
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  // Serves another logical device at destination wPort `server_sap`.
  void add_logical_device(std::uint16_t server_sap, cosem::LogicalDevice& device);

  // Feeds bytes read from the socket; returns the bytes to write back (possibly empty). An Error
  // means the stream is broken (bad wrapper version, oversized frame) and wants_close() is true.
  Result<Bytes> on_bytes(ByteView bytes);
  // True once the connection should be closed: broken framing, or every association released.
  bool wants_close() const { return wants_close_; }

  // The association for `client_sap` on this connection, if one was started (for tests).
  const ServerAssociation* association(std::uint16_t client_sap) const;

 private:
  const ServerSettings& settings_;
  InvocationCounterStore& counters_;
  const Clock& clock_;
  std::map<std::uint16_t, cosem::LogicalDevice*> devices_;
  // Keyed by (client SAP, server SAP).
  std::map<std::pair<std::uint16_t, std::uint16_t>, std::unique_ptr<ServerAssociation>> assocs_;
  WrapperDecoder decoder_;
  bool wants_close_ = false;
};

// Builds a Data-Notification push (server -> client). policy kNone: a plain 0x0F APDU; otherwise
// general-glo-ciphering (0xDB) carrying `server_title`, protected with `keys` under the counter
// taken from `counters`.
Result<Bytes> build_data_notification(std::uint32_t long_invoke_id_and_priority,
                                      const std::optional<CosemDateTime>& date_time,
                                      const Data& body, security::SecurityPolicy policy,
                                      const security::SystemTitle& server_title,
                                      const security::SecurityKeys& keys,
                                      InvocationCounterStore& counters);

}  // namespace vidyut::dlms
