#include "token/token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>

#include "core/log.h"

namespace vidyut::token {
namespace {

// 20-digit numbers need 67 bits; 2^66 <= N < 10^20 is not a token.
__extension__ using Uint128 = unsigned __int128;

constexpr unsigned kPayloadBits = kSequenceBits + kAmountBits + kDayBits;  // 40
static_assert(kPayloadBits + kTagBits == 66, "a token is a 66-bit number");
static_assert(kMaxAmountRupees >= 50'000, "a token must carry at least Rs 50,000");
constexpr std::uint64_t kPayloadMask = (std::uint64_t{1} << kPayloadBits) - 1;
constexpr Uint128 kTokenLimit = Uint128{1} << (kPayloadBits + kTagBits);

// Domain separation of the two AES calls and of the key derivation ("VT" = Vidyut token, v1).
constexpr std::uint8_t kDomain0 = 0x56, kDomain1 = 0x54, kVersion = 0x01;
constexpr std::uint8_t kTagBlock = 0x01, kPadBlock = 0x02;
constexpr std::string_view kKeyLabel = "vidyut/hotspot-token/v1";

using Block = std::array<std::uint8_t, 16>;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// AES-128 of one block (a PRF on distinct inputs).
Result<Block> aes_block(const TokenKey& key, const Block& in) {
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  Block out{};
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ecb(), nullptr, key.data(), nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, in.data(), static_cast<int>(in.size())) != 1 ||
      len != static_cast<int>(out.size())) {
    return Error(Errc::kInternal, "token: AES-128 failed");
  }
  return out;
}

Block header(std::uint8_t which) {
  Block b{};
  b[0] = kDomain0;
  b[1] = kDomain1;
  b[2] = kVersion;
  b[3] = which;
  return b;
}

// The 26-bit tag of payload p.
Result<std::uint32_t> tag_of(const TokenKey& key, std::uint64_t p) {
  Block b = header(kTagBlock);
  for (int i = 0; i < 5; ++i) b[4 + i] = static_cast<std::uint8_t>(p >> (8 * (4 - i)));
  VIDYUT_TRY(out, aes_block(key, b));
  const std::uint32_t first = (std::uint32_t{(*out)[0]} << 24) | (std::uint32_t{(*out)[1]} << 16) |
                              (std::uint32_t{(*out)[2]} << 8) | std::uint32_t{(*out)[3]};
  return first >> (32 - kTagBits);
}

// The 40-bit pad that whitens the payload of a token with this tag.
Result<std::uint64_t> pad_of(const TokenKey& key, std::uint32_t tag) {
  Block b = header(kPadBlock);
  for (int i = 0; i < 4; ++i) b[4 + i] = static_cast<std::uint8_t>(tag >> (8 * (3 - i)));
  VIDYUT_TRY(out, aes_block(key, b));
  std::uint64_t v = 0;
  for (int i = 0; i < 5; ++i) v = (v << 8) | (*out)[static_cast<std::size_t>(i)];
  return v;
}

bool separator(char c) { return c == ' ' || c == '-'; }

// The digits of `text` without separators, or nullopt when it holds anything else.
std::optional<std::string> strip(std::string_view text) {
  if (text.size() > kMaxTokenText) return std::nullopt;
  std::string d;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      d.push_back(c);
    } else if (!separator(c)) {
      return std::nullopt;
    }
  }
  return d;
}

Error malformed(std::string what) { return Error(Errc::kMalformed, "token: " + std::move(what)); }

}  // namespace

Result<TokenKey> try_derive_token_key(const std::array<std::uint8_t, 16>& meter_ak,
                                      const std::array<std::uint8_t, 8>& system_title) {
  std::array<std::uint8_t, kKeyLabel.size() + 1 + 8> msg{};
  std::copy(kKeyLabel.begin(), kKeyLabel.end(), msg.begin());
  msg[kKeyLabel.size()] = 0x00;
  std::copy(system_title.begin(), system_title.end(), msg.begin() + kKeyLabel.size() + 1);
  std::array<std::uint8_t, 32> mac{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), meter_ak.data(), static_cast<int>(meter_ak.size()), msg.data(), msg.size(),
           mac.data(), &len) == nullptr ||
      len != mac.size()) {
    return Error(Errc::kInternal, "token: HMAC-SHA256 failed");
  }
  TokenKey k{};
  std::copy(mac.begin(), mac.begin() + k.size(), k.begin());
  return k;
}

TokenKey derive_token_key(const std::array<std::uint8_t, 16>& meter_ak,
                          const std::array<std::uint8_t, 8>& system_title) {
  auto k = try_derive_token_key(meter_ak, system_title);
  if (k.ok()) return *k;
  logger("token")->error("token key not derived ({}); using a random key: no token will verify",
                         k.error().describe());
  TokenKey random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    // Still fail closed: a key nobody else derives from a meter's AK.
    random.fill(0xA5);
    random[0] ^= system_title[7];
  }
  return random;
}

Result<std::string> encode_token(const TokenKey& key, const TokenFields& f) {
  if (f.sequence > kMaxSequence) {
    return Error(Errc::kInvalidArgument, "token: sequence " + std::to_string(f.sequence) +
                                             " above " + std::to_string(kMaxSequence));
  }
  if (f.amount_rupees > kMaxAmountRupees) {
    return Error(Errc::kInvalidArgument, "token: amount Rs " + std::to_string(f.amount_rupees) +
                                             " above Rs " + std::to_string(kMaxAmountRupees));
  }
  const std::uint64_t p = (std::uint64_t{f.sequence} << (kAmountBits + kDayBits)) |
                          (std::uint64_t{f.amount_rupees} << kDayBits) |
                          (f.issued_day % kDayModulus);
  VIDYUT_TRY(tag, tag_of(key, p));
  VIDYUT_TRY(pad, pad_of(key, *tag));
  Uint128 n = (Uint128{*tag} << kPayloadBits) | ((p ^ *pad) & kPayloadMask);
  std::string out(kTokenDigits, '0');
  for (std::size_t i = kTokenDigits; i-- > 0;) {
    out[i] = static_cast<char>('0' + static_cast<int>(n % 10));
    n /= 10;
  }
  return out;
}

Result<TokenFields> decode_token(const TokenKey& key, std::string_view text) {
  auto digits = strip(text);
  if (!digits) {
    return malformed(text.size() > kMaxTokenText
                         ? "longer than " + std::to_string(kMaxTokenText) + " characters"
                         : "only digits, spaces and dashes are allowed");
  }
  if (digits->size() != kTokenDigits) {
    return malformed(std::to_string(digits->size()) + " digits instead of " +
                     std::to_string(kTokenDigits));
  }
  Uint128 n = 0;
  for (char c : *digits) n = n * 10 + static_cast<unsigned>(c - '0');
  if (n >= kTokenLimit) return malformed("number out of range");
  const auto tag = static_cast<std::uint32_t>(n >> kPayloadBits);
  const auto c = static_cast<std::uint64_t>(n) & kPayloadMask;
  VIDYUT_TRY(pad, pad_of(key, tag));
  const std::uint64_t p = (c ^ *pad) & kPayloadMask;
  VIDYUT_TRY(expected, tag_of(key, p));
  if ((*expected ^ tag) != 0) {
    return Error(Errc::kAuthFailed, "token: does not verify with this meter's key");
  }
  TokenFields f;
  f.sequence = static_cast<std::uint32_t>(p >> (kAmountBits + kDayBits)) & kMaxSequence;
  f.amount_rupees = static_cast<std::uint32_t>(p >> kDayBits) & kMaxAmountRupees;
  f.issued_day = static_cast<std::uint32_t>(p) & (kDayModulus - 1);
  return f;
}

Result<TokenFields> decode_token(const TokenKey& key, std::string_view digits,
                                 std::uint32_t reference_day) {
  VIDYUT_TRY(f, decode_token(key, digits));
  f->issued_day = reconstruct_day(f->issued_day, reference_day);
  return *f;
}

std::uint32_t reconstruct_day(std::uint32_t low_bits, std::uint32_t reference_day) {
  const std::int64_t top = std::int64_t{reference_day} + kFutureDaySlack;
  const std::int64_t low = low_bits % kDayModulus;
  const std::int64_t back = ((top - low) % kDayModulus + kDayModulus) % kDayModulus;
  const std::int64_t day = top - back;
  return day < 0 ? static_cast<std::uint32_t>(low) : static_cast<std::uint32_t>(day);
}

std::uint32_t ist_day(UtcTime t) {
  constexpr std::int64_t kIstMs = kIstOffset.count();
  constexpr std::int64_t kDayMs = 86'400'000;
  const std::int64_t ms = t.time_since_epoch().count() + kIstMs;
  const std::int64_t day = ms >= 0 ? ms / kDayMs : -((-ms + kDayMs - 1) / kDayMs);
  return day < 0 ? 0u : static_cast<std::uint32_t>(day);
}

std::string format_token(std::string_view text) {
  auto digits = strip(text);
  if (!digits || digits->size() != kTokenDigits) return std::string(text);
  std::string out;
  out.reserve(kTokenDigits + kTokenDigits / 4 - 1);
  for (std::size_t i = 0; i < digits->size(); ++i) {
    if (i != 0 && i % 4 == 0) out.push_back(' ');
    out.push_back((*digits)[i]);
  }
  return out;
}

// ---- guard --------------------------------------------------------------------------------------

const char* to_string(TokenStatus s) {
  switch (s) {
    case TokenStatus::kAccepted:
      return "accepted";
    case TokenStatus::kMalformed:
      return "malformed";
    case TokenStatus::kWrongToken:
      return "wrong-token";
    case TokenStatus::kAlreadyUsed:
      return "already-used";
    case TokenStatus::kTooOld:
      return "too-old";
    case TokenStatus::kLockedOut:
      return "locked-out";
    case TokenStatus::kCheckFailed:
      return "check-failed";
  }
  return "unknown";
}

std::optional<UtcTime> TokenGuard::locked_until() const {
  if (lock_end_ > clock_->now()) return lock_end_;
  return std::nullopt;
}

bool TokenGuard::fresh(std::uint32_t sequence) const {
  if (!any_ || sequence > highest_) return true;
  const std::uint32_t behind = highest_ - sequence;
  if (behind >= kSequenceWindow) return false;
  return ((used_ >> behind) & 1u) == 0;
}

void TokenGuard::mark(std::uint32_t sequence) {
  if (!any_) {
    any_ = true;
    highest_ = sequence;
    used_ = 1;
    return;
  }
  if (sequence > highest_) {
    const std::uint32_t shift = sequence - highest_;
    used_ = shift >= kSequenceWindow ? 0 : used_ << shift;
    used_ |= 1;
    highest_ = sequence;
    return;
  }
  used_ |= std::uint64_t{1} << (highest_ - sequence);
}

TokenDecision TokenGuard::accept(const TokenKey& key, std::string_view digits) {
  static_assert(kSequenceWindow == 64, "the window is one 64-bit word");
  const UtcTime now = clock_->now();
  TokenDecision d;
  if (lock_end_ > now) {
    d.status = TokenStatus::kLockedOut;
    d.locked_until = lock_end_;
    d.detail = "too many wrong tokens: no token is taken before " + format_iso8601(lock_end_);
    return d;
  }
  auto f = decode_token(key, digits, ist_day(now));
  if (!f.ok()) {
    switch (f.error().code) {
      case Errc::kMalformed:
        d.status = TokenStatus::kMalformed;
        d.detail = f.error().message;
        return d;
      case Errc::kAuthFailed:
        d.status = TokenStatus::kWrongToken;
        if (++bad_ >= kMaxBadTokens) {
          bad_ = 0;
          lock_end_ = now + kLockout;
          d.locked_until = lock_end_;
          d.detail = "wrong token; " + std::to_string(kMaxBadTokens) +
                     " wrong tokens: no token is taken before " + format_iso8601(lock_end_);
        } else {
          d.detail = "wrong token (check the digits); " + std::to_string(kMaxBadTokens - bad_) +
                     " more before a lockout";
        }
        return d;
      default:
        d.status = TokenStatus::kCheckFailed;
        d.detail = f.error().message;
        return d;
    }
  }
  d.fields = *f;
  const std::uint32_t seq = f->sequence;
  if (!fresh(seq)) {
    const bool old = highest_ - seq >= kSequenceWindow;
    d.status = old ? TokenStatus::kTooOld : TokenStatus::kAlreadyUsed;
    d.detail = old ? "token " + std::to_string(seq) +
                         " is too old: " + std::to_string(kSequenceWindow) +
                         " or more tokens behind " + std::to_string(highest_)
                   : "token " + std::to_string(seq) + " was already used";
    return d;
  }
  mark(seq);
  bad_ = 0;
  d.status = TokenStatus::kAccepted;
  d.detail = "token " + std::to_string(seq) + " accepted: Rs " + std::to_string(f->amount_rupees);
  return d;
}

}  // namespace vidyut::token
