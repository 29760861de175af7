// Offline recharge tokens: the 20-digit numbers a consumer types into a meter through its Wi-Fi
// hotspot when the meter cannot reach the head end (docs/hotspot-tokens.md is the design and
// the operator's guide; this header is its constants and the codec).
//
// A token carries a 66-bit number N < 2^66 written as exactly 20 decimal digits (10^20 is a
// little more than 2^66.4; a 20-digit value of 2^66 or more is never a token):
//
//   N = tag (26 bits) << 40 | C (40 bits)
//   P = sequence (16 bits) << 24 | amount in rupees (16 bits) << 8 | issued day mod 256 (8 bits)
//   tag = the first 26 bits of AES-128_K(0x56 0x54 0x01 0x01 || P as 5 bytes || 0...)
//   C   = P xor the first 40 bits of AES-128_K(0x56 0x54 0x01 0x02 || tag as 4 bytes || 0...)
//
// where K is the meter's token key (derive_token_key). The tag authenticates P and also
// whitens it (a synthetic-IV construction): consecutive tokens of one meter share no visible
// digits. Decoding recovers P from C and the tag, recomputes the tag and compares: a wrong
// meter, a mistyped digit or a guessed number passes with probability 2^-26 per try.
//
// The codec is pure (no clock, no I/O); TokenGuard is the meter's single-use and brute-force
// guard around it and takes the injected Clock.
//
// Thread-safety: the functions are safe to call from any thread; a TokenGuard is not (its
// owner, the meter, serialises calls).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace vidyut::token {

// Digits in a token.
inline constexpr std::size_t kTokenDigits = 20;
// Longest text decode_token looks at (digits plus separators); longer input is kMalformed
// without being scanned further. 20 digits in groups of 4 with a separator are 24 characters.
inline constexpr std::size_t kMaxTokenText = 64;

// Field widths (bits) and the limits they give.
inline constexpr unsigned kSequenceBits = 16;
inline constexpr unsigned kAmountBits = 16;
inline constexpr unsigned kDayBits = 8;
inline constexpr unsigned kTagBits = 26;
inline constexpr std::uint32_t kMaxSequence = (1u << kSequenceBits) - 1;    // 65,535
inline constexpr std::uint32_t kMaxAmountRupees = (1u << kAmountBits) - 1;  // Rs 65,535
inline constexpr std::uint32_t kDayModulus = 1u << kDayBits;                // 256 days
// Reconstructing the issued day from a reference day (the meter's today): a token may be dated
// up to this many days after the reference (the meter's clock behind the issuer's) and up to
// kDayModulus - 1 - kFutureDaySlack days before it.
inline constexpr std::uint32_t kFutureDaySlack = 2;

// What a token says. issued_day: IST days since 1970-01-01 (a token carries it modulo
// kDayModulus; see decode_token).
struct TokenFields {
  std::uint32_t sequence = 0;       // per meter, issued in increasing order; <= kMaxSequence
  std::uint32_t amount_rupees = 0;  // <= kMaxAmountRupees
  std::uint32_t issued_day = 0;
  bool operator==(const TokenFields&) const = default;
};

using TokenKey = std::array<std::uint8_t, 16>;

// The meter's token key: HMAC-SHA256(key = the meter's authentication key AK, message =
// "vidyut/hotspot-token/v1" 0x00 || system title), first 16 bytes. Binding the system title
// makes tokens of two meters differ even when they share an AK. kInternal only when OpenSSL
// fails.
Result<TokenKey> try_derive_token_key(const std::array<std::uint8_t, 16>& meter_ak,
                                      const std::array<std::uint8_t, 8>& system_title);
// As try_derive_token_key. Should OpenSSL fail (it does not, short of memory exhaustion) the
// failure is logged and a random key is returned: it fails closed (no token verifies with it).
TokenKey derive_token_key(const std::array<std::uint8_t, 16>& meter_ak,
                          const std::array<std::uint8_t, 8>& system_title);

// The 20 digits of a token. kInvalidArgument when sequence > kMaxSequence or amount_rupees >
// kMaxAmountRupees; issued_day is reduced modulo kDayModulus.
Result<std::string> encode_token(const TokenKey& key, const TokenFields& fields);

// Decodes and authenticates a token. `digits` may hold spaces and dashes between the digits
// ("1234 5678 9012 3456 7890", "1234-5678-..."). kMalformed: not exactly 20 digits, another
// character, more than kMaxTokenText characters, or a number of 2^66 or more. kAuthFailed:
// the tag does not match (another meter's token, a mistyped digit, a guess).
// The first form returns issued_day reduced (0 .. kDayModulus - 1). The second reconstructs it
// as the day in (reference_day + kFutureDaySlack - kDayModulus, reference_day + kFutureDaySlack]
// with those low bits.
Result<TokenFields> decode_token(const TokenKey& key, std::string_view digits);
Result<TokenFields> decode_token(const TokenKey& key, std::string_view digits,
                                 std::uint32_t reference_day);

// The day with low bits `low_bits` nearest below reference_day + kFutureDaySlack (see above).
std::uint32_t reconstruct_day(std::uint32_t low_bits, std::uint32_t reference_day);
// The IST day (days since 1970-01-01 in UTC+05:30) of an instant.
std::uint32_t ist_day(UtcTime t);

// "12345678901234567890" -> "1234 5678 9012 3456 7890": groups of 4 for reading aloud. Spaces
// and dashes in the input are dropped first; input that is then not 20 digits comes back as
// it was.
std::string format_token(std::string_view digits);

// ---- the meter's guard ------------------------------------------------------------------------

// Sequences behind the highest accepted one that can still be used (out of order), each once.
inline constexpr std::uint32_t kSequenceWindow = 64;
// Wrong tokens (tag mismatch) after which the meter refuses every token for kLockout. The
// count restarts after an accepted token and after a lockout.
inline constexpr std::uint32_t kMaxBadTokens = 5;
inline constexpr Millis kLockout{3'600'000};

enum class TokenStatus : std::uint8_t {
  kAccepted,
  kMalformed,    // not a 20-digit token number (never counts as a wrong token)
  kWrongToken,   // tag mismatch: another meter's token, a mistyped digit, a guess
  kAlreadyUsed,  // authentic, but its sequence was accepted before
  kTooOld,       // authentic, but kSequenceWindow or more behind the highest accepted
  kLockedOut,    // refused unchecked: too many wrong tokens
  kCheckFailed,  // the meter could not check it (a crypto library failure); not counted
};
// "accepted", "malformed", "wrong-token", "already-used", "too-old", "locked-out",
// "check-failed".
const char* to_string(TokenStatus s);

struct TokenDecision {
  TokenStatus status = TokenStatus::kMalformed;
  // kAccepted, kAlreadyUsed, kTooOld: what the token says (issued_day reconstructed from the
  // clock's IST day).
  std::optional<TokenFields> fields;
  // kLockedOut, and the kWrongToken that started a lockout: when tokens are taken again.
  std::optional<UtcTime> locked_until;
  std::string detail;  // one line for the consumer's app or the operator
  bool accepted() const { return status == TokenStatus::kAccepted; }
};

// Accepts each sequence at most once: the highest accepted sequence and a bitmap of the
// kSequenceWindow sequences at and below it. A sequence above the highest moves the window up;
// one inside the window is accepted if its bit is clear; one below the window is refused (its
// use can no longer be ruled out). After kMaxBadTokens wrong tokens, every token is refused
// unchecked for kLockout of the clock's time.
class TokenGuard {
 public:
  // `clock` must outlive the guard.
  explicit TokenGuard(const Clock& clock) : clock_(&clock) {}

  // Checks `digits` with `key` and, when it is authentic and unused, records its sequence.
  TokenDecision accept(const TokenKey& key, std::string_view digits);

  // Whether `sequence` would be accepted now (unused and inside the window).
  bool fresh(std::uint32_t sequence) const;
  std::optional<std::uint32_t> highest() const {
    return any_ ? std::optional<std::uint32_t>(highest_) : std::nullopt;
  }
  // Wrong tokens counted towards the next lockout.
  std::uint32_t bad_tokens() const { return bad_; }
  // The end of the lockout in force now, if any.
  std::optional<UtcTime> locked_until() const;

 private:
  void mark(std::uint32_t sequence);

  const Clock* clock_;
  std::uint64_t used_ = 0;  // bit i: highest_ - i was accepted
  std::uint32_t highest_ = 0;
  bool any_ = false;
  std::uint32_t bad_ = 0;
  UtcTime lock_end_{};
};

}  // namespace vidyut::token
