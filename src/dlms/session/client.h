// DLMS/COSEM client association (IS 15959 head-end side): ClientCodec and Client.
//
// ClientCodec is sans-I/O: it builds request APDUs and checks response APDUs, holding the
// association state (negotiated PDU size, server system title, invocation counters, invoke ids,
// GET block reassembly). Client drives a ClientCodec over an ApduTransport, blocking, with a
// timeout on every receive.
//
// Errors (Errc): association rejected for a wrong password or key -> kAuthFailed; other AARE
// rejections -> kRefused; a ciphered response whose invocation counter does not increase, or an
// Exception-Response invocation-counter-error from the meter -> kReplay; no answer -> kTimeout;
// undecodable bytes -> kMalformed; wrong invoke id, unexpected APDU, Exception-Response or
// confirmed-service-error -> kProtocol / kRefused. A meter's per-attribute result (e.g.
// read-write-denied) is not an Error: it comes back as a DataAccessResult in the value.
//
// Thread-safety: ClientCodec and Client are used by one thread at a time.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/result.h"
#include "dlms/apdu/xdlms.h"
#include "dlms/axdr/data.h"
#include "dlms/security/suite0.h"
#include "dlms/session/association.h"
#include "dlms/session/quirks.h"
#include "dlms/session/transport.h"

namespace vidyut::dlms {

// Largest GET response the client reassembles from blocks. A three-phase meter's 45 days of
// 15-minute block load is about 0.5 MB of A-XDR; 8 MiB leaves room without trusting the meter.
inline constexpr std::size_t kMaxReassembledBytes = 8u << 20;
// Most blocks in one GET: 8 MiB in blocks of at least kMinPduSize - kBlockOverhead bytes.
inline constexpr std::uint32_t kMaxGetBlocks = 350'000;
// Data-Notifications queued while waiting for a response; older ones are dropped beyond this.
inline constexpr std::size_t kMaxQueuedNotifications = 16;
// Most entries in one GET/SET with-list request (IS 15959 HES read lists are a few dozen).
inline constexpr std::size_t kMaxClientListItems = 64;

struct ClientSettings {
  std::uint16_t client_sap = kPublicClientSap;
  std::uint16_t server_sap = kManagementLogicalDeviceSap;
  Authentication auth = Authentication::kNone;
  std::string password;  // LLS only
  // Protection applied to every xDLMS request after association; kNone uses the unciphered
  // application context (…1.1), anything else the ciphered one (…1.3).
  security::SecurityPolicy security = security::SecurityPolicy::kNone;
  security::SystemTitle client_title{};  // calling-AP-title; needed when ciphering or HLS
  security::SecurityKeys keys;           // EK/AK; needed when ciphering or HLS
  // First invocation counter to use; 1 when unset. Persist next_invocation_counter() between
  // sessions (or read the meter's 0.0.43.1.3.255) so counters are never reused.
  std::optional<std::uint32_t> invocation_counter;
  std::uint16_t max_receive_pdu = kDefaultMaxPduSize;  // proposed client-max-receive-pdu-size
  Millis timeout{5000};                                // per receive
  // Known deviations of this meter's firmware to accept (quirks.h); none by default (strict).
  QuirkSet quirks;
};

struct ActionReply {
  ActionResult result = ActionResult::kSuccess;
  std::optional<GetDataResult> return_value;  // return-parameters, when the meter sent any
};

// Outcome of feeding a GET response to the codec.
struct GetProgress {
  bool complete = false;
  // When !complete: the GET-Request-Next to send for the next block.
  Bytes next_request;
  // When complete: one result for GET-normal, one per item for GET-with-list.
  std::vector<GetDataResult> results;
};

class ClientCodec {
 public:
  explicit ClientCodec(const ClientSettings& settings);

  // --- Association ---
  // AARQ (pass 1). Resets any previous association state.
  Result<Bytes> build_aarq();
  // Checks the AARE (pass 2). On success associated() or hls_pending() is true.
  Status on_aare(ByteView apdu);
  bool hls_pending() const { return hls_pending_; }
  bool associated() const { return associated_; }
  // REQUIRES: hls_pending(). ACTION 15/0.0.40.0.0.255/1 carrying f(StoC) (pass 3).
  Result<Bytes> build_hls_reply();
  // Checks the ACTION response carrying f(CtoS) (pass 4); associated() afterwards.
  Status on_hls_reply_response(ByteView apdu);
  Result<Bytes> build_rlrq();
  // Checks the RLRE; the association is closed either way.
  Status on_rlre(ByteView apdu);

  // --- Services (REQUIRE: associated()) ---
  Result<Bytes> build_get(const AttributeDescriptor& attribute,
                          const std::optional<SelectiveAccess>& access = std::nullopt);
  Result<Bytes> build_get_list(const std::vector<AttributeDescriptor>& attributes);
  // Feeds a GET response (normal, with-datablock or with-list; ciphered or not).
  Result<GetProgress> on_get_response(ByteView apdu);
  Result<Bytes> build_set(const AttributeDescriptor& attribute, const Data& value,
                          const std::optional<SelectiveAccess>& access = std::nullopt);
  Result<Bytes> build_set_list(const std::vector<AttributeDescriptor>& attributes,
                               const std::vector<Data>& values);
  // One result for SET-normal, one per item for SET-with-list.
  Result<std::vector<DataAccessResult>> on_set_response(ByteView apdu);
  Result<Bytes> build_action(const MethodDescriptor& method,
                             const std::optional<Data>& params = std::nullopt);
  Result<ActionReply> on_action_response(ByteView apdu);

  // Decodes a Data-Notification push (plain 0x0F, or general-glo-ciphering 0xDB from the
  // server's title with this association's keys; replay-checked against the server's counter).
  Result<DataNotification> decode_notification(ByteView apdu);
  // True when `apdu` starts like a Data-Notification (plain or general-glo-ciphered).
  static bool looks_like_notification(ByteView apdu);

  // The server's system title, learned from the AARE (ciphered contexts and HLS only).
  const std::optional<security::SystemTitle>& server_title() const { return server_title_; }
  // The invocation counter the next protected request will use.
  std::uint32_t next_invocation_counter() const { return ic_.peek(); }
  // The largest APDU the server accepts, from its InitiateResponse.
  std::uint16_t server_max_receive_pdu() const { return server_max_pdu_; }
  const ClientSettings& settings() const { return settings_; }
  // Deviations accepted under settings().quirks since the codec was made.
  const QuirkCounts& deviations() const { return deviations_; }

 private:
  enum class Pending : std::uint8_t { kNone, kGet, kGetList, kSet, kSetList, kAction, kHls };
  Result<Bytes> protect_request(ByteView plain);
  Result<Bytes> unprotect_response(ByteView apdu);
  std::uint8_t take_invoke_id();
  Status expect(Pending what) const;

  ClientSettings settings_;
  security::InvocationCounter ic_;
  security::InvocationCounterGuard server_guard_;
  std::optional<security::SystemTitle> server_title_;
  bool ciphered_ = false;
  bool associated_ = false;
  bool hls_pending_ = false;
  Bytes ctos_;
  Bytes stoc_;
  std::uint16_t server_max_pdu_ = 0;
  std::uint8_t next_invoke_id_ = 1;
  std::uint8_t invoke_id_ = 0;
  Pending pending_ = Pending::kNone;
  std::size_t pending_count_ = 0;  // items in the pending with-list request
  // GET block transfer in progress.
  Bytes blocks_;
  std::uint32_t last_block_ = 0;
  QuirkCounts deviations_;
};

// Blocking client over an ApduTransport. Every receive uses settings.timeout; none waits longer.
class Client {
 public:
  // `transport` must outlive the Client.
  Client(ApduTransport& transport, const ClientSettings& settings);

  // AARQ/AARE and, for HLS, passes 3 and 4.
  Status associate();
  Result<GetDataResult> get(const AttributeDescriptor& attribute,
                            const std::optional<SelectiveAccess>& access = std::nullopt);
  Result<std::vector<GetDataResult>> get_list(const std::vector<AttributeDescriptor>& attributes);
  Result<DataAccessResult> set(const AttributeDescriptor& attribute, const Data& value);
  Result<std::vector<DataAccessResult>> set_list(const std::vector<AttributeDescriptor>& attributes,
                                                 const std::vector<Data>& values);
  Result<ActionReply> action(const MethodDescriptor& method,
                             const std::optional<Data>& params = std::nullopt);
  // RLRQ/RLRE. The transport stays open; close it separately.
  Status release();

  // Data-Notifications that arrived while waiting for responses (oldest first); clears them.
  std::vector<DataNotification> take_notifications();
  // Waits up to `timeout` for one push.
  Result<DataNotification> receive_notification(Millis timeout);

  const std::optional<security::SystemTitle>& server_title() const { return codec_.server_title(); }
  std::uint32_t next_invocation_counter() const { return codec_.next_invocation_counter(); }
  ClientCodec& codec() { return codec_; }
  const QuirkCounts& deviations() const { return codec_.deviations(); }

 private:
  Result<Bytes> exchange(ByteView request);
  Result<Bytes> receive_response();

  ApduTransport& transport_;
  ClientCodec codec_;
  std::deque<DataNotification> notifications_;
};

}  // namespace vidyut::dlms
