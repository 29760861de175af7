// ACSE APDUs as DLMS uses them (IEC 62056-5-3 / Green Book, BER-encoded): AARQ, AARE, RLRQ,
// RLRE, and the xDLMS InitiateRequest/InitiateResponse carried in their user-information.
// Wire format: docs/dlms.md, "ACSE".
//
// In a ciphered application context the InitiateRequest/Response inside user-information is
// itself protected (glo-initiateRequest 0x21 / glo-initiateResponse 0x28): the user-information
// then holds a CipheredApdu, which the session layer protects/unprotects; its plaintext is
// encoded/decoded with encode_initiate_request() / decode_initiate_response() below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "core/bytes.h"
#include "core/result.h"
#include "dlms/apdu/ciphered.h"
#include "dlms/apdu/xdlms.h"

namespace vidyut::dlms {

// Application context names 2.16.756.5.8.1.x (last arc).
enum class ApplicationContext : std::uint8_t {
  kLogicalName = 1,
  kShortName = 2,
  kLogicalNameCiphered = 3,
  kShortNameCiphered = 4,
};
// Authentication mechanism names 2.16.756.5.8.2.x (last arc).
enum class Mechanism : std::uint8_t {
  kNone = 0,  // "lowest level security"; the mechanism-name field is then usually absent
  kLow = 1,   // LLS: password
  kHigh = 2,  // HLS manufacturer-specific
  kHighMd5 = 3,
  kHighSha1 = 4,
  kHighGmac = 5,  // HLS mechanism 5, IS 15959 utility settings / push / firmware clients
  kHighSha256 = 6,
  kHighEcdsa = 7,
};
const char* to_string(ApplicationContext c);
const char* to_string(Mechanism m);

// The 24-bit xDLMS conformance block ([APPLICATION 31] IMPLICIT BIT STRING (SIZE(24))).
// Bit n is numbered as in the Green Book: bit 0 is the most significant bit of the first byte.
enum class ConformanceBit : std::uint8_t {
  kReservedZero = 0,
  kGeneralProtection = 1,
  kGeneralBlockTransfer = 2,
  kRead = 3,
  kWrite = 4,
  kUnconfirmedWrite = 5,
  kDeltaValueEncoding = 6,
  kReservedSeven = 7,
  kAttribute0SupportedWithSet = 8,
  kPriorityMgmtSupported = 9,
  kAttribute0SupportedWithGet = 10,
  kBlockTransferWithGetOrRead = 11,
  kBlockTransferWithSetOrWrite = 12,
  kBlockTransferWithAction = 13,
  kMultipleReferences = 14,
  kInformationReport = 15,
  kDataNotification = 16,
  kAccess = 17,
  kParameterizedAccess = 18,
  kGet = 19,
  kSet = 20,
  kSelectiveAccess = 21,
  kEventNotification = 22,
  kAction = 23,
};
const char* to_string(ConformanceBit b);

struct Conformance {
  // The three bytes as on the wire, big-endian: bit n is (1 << (23 - n)).
  std::uint32_t bits = 0;

  constexpr bool has(ConformanceBit b) const {
    return (bits >> (23 - static_cast<unsigned>(b))) & 1u;
  }
  constexpr Conformance& set(ConformanceBit b, bool on = true) {
    const std::uint32_t m = 1u << (23 - static_cast<unsigned>(b));
    bits = on ? (bits | m) : (bits & ~m);
    return *this;
  }
  constexpr Conformance operator&(Conformance o) const { return {bits & o.bits}; }
  std::string to_string() const;  // "get set selective-access ..."
  bool operator==(const Conformance&) const = default;
};
// What a LN client typically proposes: 0x007E1F (priority-mgmt, attribute0-with-get, block
// transfer for get/set/action, multiple-references, get, set, selective-access,
// event-notification, action).
inline constexpr Conformance kDefaultClientConformance{0x007E1F};

inline constexpr std::uint8_t kDlmsVersion = 6;
// vaa-name of the LN association (the "VAA" of short-name referencing is 0xFA00).
inline constexpr std::uint16_t kVaaNameLn = 0x0007;

// xDLMS InitiateRequest (tag 0x01), A-XDR encoded.
struct InitiateRequest {
  std::optional<Bytes> dedicated_key;
  bool response_allowed = true;  // encoded as "default" (absent) when true
  std::optional<std::int8_t> proposed_quality_of_service;
  std::uint8_t proposed_dlms_version = kDlmsVersion;
  Conformance proposed_conformance = kDefaultClientConformance;
  std::uint16_t client_max_receive_pdu_size = 0xFFFF;
  bool operator==(const InitiateRequest&) const = default;
};

// xDLMS InitiateResponse (tag 0x08).
struct InitiateResponse {
  std::optional<std::int8_t> negotiated_quality_of_service;
  std::uint8_t negotiated_dlms_version = kDlmsVersion;
  Conformance negotiated_conformance;
  std::uint16_t server_max_receive_pdu_size = 0;
  std::uint16_t vaa_name = kVaaNameLn;
  bool operator==(const InitiateResponse&) const = default;
};

// Longest dedicated key accepted in an InitiateRequest (AES-256 key; suite 0 uses 16 bytes).
inline constexpr std::size_t kMaxDedicatedKeyLength = 32;
// Longest AP-title, authentication value or other octet field accepted in an ACSE APDU. System
// titles are 8 bytes and HLS challenges 8..64 bytes; LLS passwords are at most 16 characters
// in practice. 255 bounds every field while tolerating odd peers.
inline constexpr std::size_t kMaxAcseFieldLength = 255;

// A-XDR plaintext codecs (the whole buffer is one PDU; trailing bytes are kMalformed).
Bytes encode_initiate_request(const InitiateRequest& r);
Result<InitiateRequest> decode_initiate_request(ByteView bytes);
Bytes encode_initiate_response(const InitiateResponse& r);
Result<InitiateResponse> decode_initiate_response(ByteView bytes);

// What an AARQ/RLRQ's user-information carries: plain, or glo-/ded-ciphered (tag 0x21 / 0x41).
using RequestUserInformation = std::variant<InitiateRequest, CipheredApdu>;
// What an AARE/RLRE's user-information carries: plain, a refusal (0x0E), or ciphered
// (0x28 / 0x48, or 0x2E for a ciphered Confirmed-Service-Error).
using ResponseUserInformation = std::variant<InitiateResponse, ConfirmedServiceError, CipheredApdu>;

// AARQ (0x60). Fields not listed (called-AP-title, AE qualifiers, invocation ids,
// implementation-information) are skipped on decode and never encoded; protocol-version is
// accepted only as the default version1.
struct Aarq {
  ApplicationContext context = ApplicationContext::kLogicalName;
  std::optional<Bytes> calling_ap_title;  // client system title (ciphered contexts, HLS)
  // sender-acse-requirements with the authentication bit; encoded when a mechanism is set.
  bool authentication = false;
  std::optional<Mechanism> mechanism;
  // calling-authentication-value, charstring choice: LLS password or HLS challenge CtoS.
  std::optional<Bytes> calling_authentication_value;
  std::optional<RequestUserInformation> user_information;
  bool operator==(const Aarq&) const = default;
};

enum class AssociationResult : std::uint8_t {
  kAccepted = 0,
  kRejectedPermanent = 1,
  kRejectedTransient = 2,
};
// acse-service-user diagnostic values.
enum class AcseServiceUserDiagnostic : std::uint8_t {
  kNull = 0,
  kNoReasonGiven = 1,
  kApplicationContextNameNotSupported = 2,
  kCallingApTitleNotRecognized = 3,
  kCallingApInvocationIdNotRecognized = 4,
  kCallingAeQualifierNotRecognized = 5,
  kCallingAeInvocationIdNotRecognized = 6,
  kCalledApTitleNotRecognized = 7,
  kCalledApInvocationIdNotRecognized = 8,
  kCalledAeQualifierNotRecognized = 9,
  kCalledAeInvocationIdNotRecognized = 10,
  kAuthenticationMechanismNameNotRecognised = 11,
  kAuthenticationMechanismNameRequired = 12,
  kAuthenticationFailure = 13,
  kAuthenticationRequired = 14,
};
const char* to_string(AssociationResult r);
std::string to_string(AcseServiceUserDiagnostic d);

// result-source-diagnostic CHOICE: acse-service-user [1] or acse-service-provider [2]
// (provider values: 0 null, 1 no-reason-given, 2 no-common-acse-version).
struct ResultSourceDiagnostic {
  bool service_user = true;
  std::uint8_t value = 0;  // AcseServiceUserDiagnostic when service_user
  bool operator==(const ResultSourceDiagnostic&) const = default;
};

// AARE (0x61).
struct Aare {
  ApplicationContext context = ApplicationContext::kLogicalName;
  AssociationResult result = AssociationResult::kAccepted;
  ResultSourceDiagnostic diagnostic;
  std::optional<Bytes> responding_ap_title;  // server system title
  bool authentication = false;               // responder-acse-requirements
  std::optional<Mechanism> mechanism;
  std::optional<Bytes> responding_authentication_value;  // HLS challenge StoC
  std::optional<ResponseUserInformation> user_information;
  bool operator==(const Aare&) const = default;
};

// RLRQ (0x62). Reason: 0 normal, 1 urgent, 30 user-defined.
struct Rlrq {
  std::optional<std::uint8_t> reason;
  std::optional<RequestUserInformation> user_information;
  bool operator==(const Rlrq&) const = default;
};

// RLRE (0x63). Reason: 0 normal, 1 not-finished, 30 user-defined.
struct Rlre {
  std::optional<std::uint8_t> reason;
  std::optional<ResponseUserInformation> user_information;
  bool operator==(const Rlre&) const = default;
};

}  // namespace vidyut::dlms
