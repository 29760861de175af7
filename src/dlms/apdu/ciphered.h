// The outer structure of ciphered xDLMS APDUs (Green Book, security suite 0): glo-/ded-ciphered
// service APDUs and general-glo-ciphering. No cryptography here: src/dlms/security turns the
// payload into plaintext and back. Wire format: docs/dlms.md, "xDLMS APDUs".
//
//   glo-/ded-xxx:          tag | len | SC | IC(4) | payload
//   general-glo-ciphering: 0xDB | len | system-title | len | SC | IC(4) | payload
//
// `len` is an A-XDR length; payload is the ciphertext followed by the authentication tag (or the
// plaintext followed by the tag for authentication-only SC 0x10).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/bytes.h"
#include "core/result.h"

namespace vidyut::dlms {

namespace tag {
inline constexpr std::uint8_t kGloInitiateRequest = 0x21;
inline constexpr std::uint8_t kGloInitiateResponse = 0x28;
inline constexpr std::uint8_t kGloConfirmedServiceError = 0x2E;
inline constexpr std::uint8_t kGloGetRequest = 0xC8;
inline constexpr std::uint8_t kGloSetRequest = 0xC9;
inline constexpr std::uint8_t kGloEventNotificationRequest = 0xCA;
inline constexpr std::uint8_t kGloActionRequest = 0xCB;
inline constexpr std::uint8_t kGloGetResponse = 0xCC;
inline constexpr std::uint8_t kGloSetResponse = 0xCD;
inline constexpr std::uint8_t kGloActionResponse = 0xCF;
inline constexpr std::uint8_t kDedInitiateRequest = 0x41;
inline constexpr std::uint8_t kDedInitiateResponse = 0x48;
inline constexpr std::uint8_t kDedConfirmedServiceError = 0x4E;
inline constexpr std::uint8_t kDedGetRequest = 0xD0;
inline constexpr std::uint8_t kDedSetRequest = 0xD1;
inline constexpr std::uint8_t kDedEventNotificationRequest = 0xD2;
inline constexpr std::uint8_t kDedActionRequest = 0xD3;
inline constexpr std::uint8_t kDedGetResponse = 0xD4;
inline constexpr std::uint8_t kDedSetResponse = 0xD5;
inline constexpr std::uint8_t kDedActionResponse = 0xD7;
inline constexpr std::uint8_t kGeneralGloCiphering = 0xDB;
inline constexpr std::uint8_t kGeneralDedCiphering = 0xDC;
}  // namespace tag

// Security control byte (suite 0): bit 4 authentication, bit 5 encryption, low nibble suite id.
inline constexpr std::uint8_t kScAuthentication = 0x10;
inline constexpr std::uint8_t kScEncryption = 0x20;
inline constexpr std::uint8_t kScAuthenticatedEncryption = 0x30;
// System titles are 8 bytes (Green Book); a few more are tolerated from quirky peers.
inline constexpr std::size_t kMaxSystemTitleLength = 16;
// SC (1) + IC (4).
inline constexpr std::size_t kSecurityHeaderSize = 5;

struct CipheredApdu {
  std::uint8_t tag = tag::kGloGetRequest;
  std::optional<Bytes> system_title;  // general-glo/ded-ciphering only; required there
  std::uint8_t security_control = kScAuthenticatedEncryption;
  std::uint32_t invocation_counter = 0;
  Bytes payload;  // ciphertext || tag, after the security header
  bool operator==(const CipheredApdu&) const = default;
};

// True for every tag this header covers (glo-/ded- services, general-glo/ded-ciphering).
bool is_ciphered_tag(std::uint8_t tag);
bool is_general_ciphering_tag(std::uint8_t tag);  // 0xDB, 0xDC: carry a system title

// The glo-/ded- tag protecting a plain service tag (0xC0 -> 0xC8, 0x01 -> 0x21 ...), or nullopt
// when the service has no such form (e.g. Data-Notification: use general-glo-ciphering).
std::optional<std::uint8_t> glo_tag_for(std::uint8_t plain_tag);
std::optional<std::uint8_t> ded_tag_for(std::uint8_t plain_tag);
// The plain service tag behind a glo-/ded- tag (0xC8 -> 0xC0), nullopt for others.
std::optional<std::uint8_t> plain_tag_for(std::uint8_t ciphered_tag);

// SC || IC: the 5 bytes that form the security header (and part of the GCM additional data).
Bytes security_header(std::uint8_t security_control, std::uint32_t invocation_counter);

// Appends the encoding. REQUIRES: is_ciphered_tag(c.tag); system_title present exactly for the
// general-ciphering tags.
void encode_ciphered(const CipheredApdu& c, ByteWriter& out);
Bytes encode_ciphered(const CipheredApdu& c);
// Decodes one ciphered APDU from `in` (tag included). kNeedMore when short, kMalformed for a tag
// that is not ciphered or a security header that does not fit, kLimitExceeded for a system
// title longer than kMaxSystemTitleLength.
Result<CipheredApdu> decode_ciphered(ByteReader& in);

}  // namespace vidyut::dlms
