// DLMS/COSEM security suite 0 (IEC 62056-5-3, DLMS UA Green Book "security"): AES-GCM-128 with a
// 12-byte tag, the security control byte, HLS mechanism 5 (GMAC) and invocation counters.
//
// This module works on bytes only; it does not know APDU tags or lengths. A ciphered APDU
// (glo-ciphered 0xC8.., general-glo-ciphering 0xDB) carries, after its tag and length:
//
//   security header: SC (1) || invocation counter IC (4, big-endian)
//   then:            what protect() returns (ciphertext and/or plaintext, and/or the tag)
//
// seal() / open() produce and consume "security header || protected payload" in one step.
//
// Nonce (GCM IV, 12 bytes) = sender system title (8) || IC (4, big-endian). The sender is the
// party that protects: the client's title for requests, the meter's title for responses.
//
// Thread safety: the free functions are reentrant. InvocationCounter and InvocationCounterGuard
// are plain values; guard them externally if shared.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace vidyut::dlms::security {

inline constexpr std::size_t kKeyLength = 16;         // AES-128
inline constexpr std::size_t kSystemTitleLength = 8;  // IEC 62056-5-3: 8-octet system title
inline constexpr std::size_t kInvocationCounterLength = 4;
inline constexpr std::size_t kIvLength = 12;   // title (8) || IC (4)
inline constexpr std::size_t kTagLength = 12;  // suite 0 truncates the GCM tag to 96 bits
inline constexpr std::size_t kSecurityHeaderLength = 1 + kInvocationCounterLength;  // SC || IC

using Key128 = std::array<std::uint8_t, kKeyLength>;
using SystemTitle = std::array<std::uint8_t, kSystemTitleLength>;
using Iv = std::array<std::uint8_t, kIvLength>;

// 32 hex digits (spaces, ':' and '-' ignored) -> key. kInvalidArgument on bad hex or length.
Result<Key128> parse_key(std::string_view hex);
// 16 hex digits -> system title, e.g. "4D4D4D0000BC614E". kInvalidArgument on bad hex or length.
Result<SystemTitle> parse_system_title(std::string_view hex);
// From an octet-string received on the wire (AARE responding-AP-title). kMalformed unless 8 bytes.
Result<SystemTitle> system_title_from_bytes(ByteView bytes);

// Overwrites memory holding secrets in a way the compiler cannot elide (OPENSSL_cleanse).
void secure_wipe(void* data, std::size_t length);

// The keys of one client association. Wiped on destruction; copies are independent and each is
// wiped when it dies, so avoid needless copies.
struct SecurityKeys {
  Key128 block_key{};  // EK: global unicast encryption key
  Key128 auth_key{};   // AK: authentication key (goes into the AAD, never used as a cipher key)
  ~SecurityKeys() {
    secure_wipe(block_key.data(), block_key.size());
    secure_wipe(auth_key.data(), auth_key.size());
  }
};

// ---------------------------------------------------------------------------------------------
// Security control byte (SC): bits 0-3 suite id, 4 authentication, 5 encryption,
// 6 key set (0 unicast, 1 broadcast), 7 compression.

inline constexpr std::uint8_t kScSuiteIdMask = 0x0F;
inline constexpr std::uint8_t kScAuthentication = 0x10;
inline constexpr std::uint8_t kScEncryption = 0x20;
inline constexpr std::uint8_t kScBroadcastKey = 0x40;
inline constexpr std::uint8_t kScCompression = 0x80;
inline constexpr std::uint8_t kSuite0 = 0x00;

enum class SecurityPolicy : std::uint8_t {
  kNone = 0x00,
  kAuthenticated = 0x10,
  kEncrypted = 0x20,
  kAuthenticatedEncrypted = 0x30,
};

// "none" | "auth" | "enc" | "auth-enc". kInvalidArgument otherwise.
Result<SecurityPolicy> parse_security_policy(std::string_view text);
std::string_view to_string(SecurityPolicy policy);

// Suite 0, unicast key set, no compression.
constexpr std::uint8_t security_control(SecurityPolicy policy) {
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(policy) | kSuite0);
}
// The protection bits (4 and 5) of an SC byte.
constexpr SecurityPolicy policy_of(std::uint8_t sc) {
  return static_cast<SecurityPolicy>(sc & (kScAuthentication | kScEncryption));
}
// True when `sc` protects at least as much as `required` (no downgrade): a session that requires
// authenticated+encrypted must refuse an APDU that is only encrypted.
constexpr bool satisfies(std::uint8_t sc, SecurityPolicy required) {
  const auto need = static_cast<std::uint8_t>(required);
  return (sc & need) == need;
}
// Checks an SC byte is one this module can process: suite 0, unicast key, no compression, and at
// least one of authentication/encryption. kUnsupported otherwise.
Status check_security_control(std::uint8_t sc);

// IV = sender system title || invocation counter (big-endian).
Iv make_iv(const SystemTitle& sender_title, std::uint32_t invocation_counter);

// ---------------------------------------------------------------------------------------------
// Protecting and unprotecting xDLMS APDUs.

// Returns what follows the security header (SC || IC):
//   SC 0x30: ciphertext || tag(12), AAD = SC || AK
//   SC 0x10: plaintext || tag(12),  AAD = SC || AK || plaintext (nothing encrypted)
//   SC 0x20: ciphertext, no tag, no AAD
// kUnsupported for an SC that check_security_control() rejects (including "no protection").
// REQUIRES: each (key, title, invocation counter) triple is used once; see InvocationCounter.
Result<Bytes> protect(std::uint8_t security_control, const SystemTitle& sender_title,
                      std::uint32_t invocation_counter, const SecurityKeys& keys,
                      ByteView plaintext);

// The inverse of protect(). kAuthFailed when the tag does not verify (wrong key, altered bytes,
// wrong title or counter); kMalformed when the payload is shorter than the tag; kUnsupported for
// an SC that check_security_control() rejects. Encryption-only payloads cannot be verified: a
// wrong key yields garbage plaintext that the APDU decoder must reject.
// This does not check the invocation counter for replay: use InvocationCounterGuard.
Result<Bytes> unprotect(std::uint8_t security_control, const SystemTitle& sender_title,
                        std::uint32_t invocation_counter, const SecurityKeys& keys,
                        ByteView payload);

// SC || IC || protect(...): the content of a glo-ciphered / general-glo-ciphering APDU after its
// tag and length (general-glo-ciphering also carries the system title before it).
Result<Bytes> seal(std::uint8_t security_control, const SystemTitle& sender_title,
                   std::uint32_t invocation_counter, const SecurityKeys& keys, ByteView plaintext);

struct Opened {
  std::uint8_t security_control = 0;
  std::uint32_t invocation_counter = 0;
  Bytes plaintext;
};
// The inverse of seal(): reads SC and IC, then unprotect()s the rest. kMalformed when shorter
// than the security header. The caller must still check the SC against its policy (satisfies())
// and the IC against its InvocationCounterGuard.
Result<Opened> open(const SystemTitle& sender_title, const SecurityKeys& keys, ByteView sealed);

// ---------------------------------------------------------------------------------------------
// HLS mechanism 5 (GMAC) four-pass authentication.
//
// Pass 1: client sends CtoS in the AARQ. Pass 2: meter answers StoC in the AARE.
// Pass 3: client sends f(StoC) = gmac_response(client title, client IC, keys, StoC) in an
//         ACTION on the association object (method 1, reply_to_HLS_authentication).
// Pass 4: meter returns f(CtoS) computed with its own title and IC; the client checks it with
//         verify_gmac_response(meter title, keys, CtoS, response).

inline constexpr std::size_t kMinChallengeLength = 8;   // Green Book / IS 15959: 8..64 octets
inline constexpr std::size_t kMaxChallengeLength = 64;  // bounds a peer-supplied StoC
inline constexpr std::size_t kDefaultChallengeLength = 16;
inline constexpr std::size_t kGmacResponseLength = 1 + kInvocationCounterLength + kTagLength;

// A fresh random challenge from the OpenSSL CSPRNG. kInvalidArgument unless length is within
// [kMinChallengeLength, kMaxChallengeLength]; kInternal if the CSPRNG fails.
Result<Bytes> make_challenge(std::size_t length = kDefaultChallengeLength);

// f(challenge) = SC(0x10) || IC(4) || GMAC tag(12); the tag is AES-GCM over an empty plaintext
// with AAD = SC || AK || challenge and IV = title || IC. kMalformed when the challenge length is
// outside [kMinChallengeLength, kMaxChallengeLength].
Result<Bytes> gmac_response(const SystemTitle& title, std::uint32_t invocation_counter,
                            const SecurityKeys& keys, ByteView challenge);

// Checks the peer's f(challenge_we_sent). On success returns the peer's invocation counter taken
// from the response (feed it to that peer's InvocationCounterGuard). kAuthFailed on a wrong SC,
// a wrong length or a tag mismatch (compared in constant time); kInvalidArgument if
// challenge_we_sent is outside [kMinChallengeLength, kMaxChallengeLength].
Result<std::uint32_t> verify_gmac_response(const SystemTitle& peer_title, const SecurityKeys& keys,
                                           ByteView challenge_we_sent, ByteView response);

// ---------------------------------------------------------------------------------------------
// Invocation counters.

// Incoming: accepts only strictly increasing counters from one peer under one key.
class InvocationCounterGuard {
 public:
  explicit InvocationCounterGuard(std::optional<std::uint32_t> last_seen = {}) : last_(last_seen) {}
  // kReplay if counter <= the last accepted one; otherwise records it. Call only after the APDU
  // authenticated, or an attacker can push the counter forward with forged messages.
  Status accept(std::uint32_t counter);
  std::optional<std::uint32_t> last() const { return last_; }

 private:
  std::optional<std::uint32_t> last_;
};

// Outgoing: hands out each counter value once and refuses to wrap.
class InvocationCounter {
 public:
  // The first value next() returns. Persist last issued value + 1 across restarts (or read the
  // meter's expectation, 0.0.43.1.x.255) so a counter is never reused under the same key.
  explicit InvocationCounter(std::uint32_t first = 0) : next_(first) {}
  // The next unused value. kLimitExceeded at 0xFFFFFFFF: the keys must be changed.
  Result<std::uint32_t> next();
  // The value next() would return (no side effect).
  std::uint32_t peek() const { return next_; }

 private:
  std::uint32_t next_;
};

}  // namespace vidyut::dlms::security
