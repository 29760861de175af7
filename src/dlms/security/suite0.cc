#include "dlms/security/suite0.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <algorithm>
#include <string>

#include "dlms/security/gcm.h"

namespace vidyut::dlms::security {
namespace {

template <std::size_t N>
Result<std::array<std::uint8_t, N>> parse_fixed_hex(std::string_view hex, std::string_view what) {
  auto bytes = from_hex(hex);
  if (!bytes.ok()) {
    return Error(Errc::kInvalidArgument, std::string(what) + ": " + bytes.error().message);
  }
  if (bytes->size() != N) {
    const std::size_t got = bytes->size();
    secure_wipe(bytes->data(), bytes->size());
    return Error(Errc::kInvalidArgument, std::string(what) + " must be " + std::to_string(N) +
                                             " bytes (" + std::to_string(2 * N) +
                                             " hex digits), got " + std::to_string(got));
  }
  std::array<std::uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  secure_wipe(bytes->data(), bytes->size());
  return out;
}

std::string sc_hex(std::uint8_t sc) { return "0x" + to_hex(ByteView(&sc, 1)); }

// AAD = SC || AK [|| extra].
Bytes make_aad(std::uint8_t sc, const Key128& auth_key, ByteView extra) {
  Bytes aad;
  aad.reserve(1 + auth_key.size() + extra.size());
  aad.push_back(sc);
  aad.insert(aad.end(), auth_key.begin(), auth_key.end());
  aad.insert(aad.end(), extra.begin(), extra.end());
  return aad;
}

// Wipes an AAD that holds the authentication key when it goes out of scope.
struct WipeOnExit {
  Bytes& b;
  ~WipeOnExit() { secure_wipe(b.data(), b.size()); }
};

Status check_challenge_length(std::size_t n, Errc code) {
  if (n < kMinChallengeLength || n > kMaxChallengeLength) {
    return Error(code, "HLS challenge of " + std::to_string(n) + " bytes outside " +
                           std::to_string(kMinChallengeLength) + ".." +
                           std::to_string(kMaxChallengeLength));
  }
  return ok_status();
}

}  // namespace

void secure_wipe(void* data, std::size_t length) {
  if (data != nullptr && length != 0) OPENSSL_cleanse(data, length);
}

Result<Key128> parse_key(std::string_view hex) { return parse_fixed_hex<kKeyLength>(hex, "key"); }

Result<SystemTitle> parse_system_title(std::string_view hex) {
  return parse_fixed_hex<kSystemTitleLength>(hex, "system title");
}

Result<SystemTitle> system_title_from_bytes(ByteView bytes) {
  if (bytes.size() != kSystemTitleLength) {
    return Error(Errc::kMalformed,
                 "system title of " + std::to_string(bytes.size()) + " bytes, expected 8");
  }
  SystemTitle t{};
  std::copy(bytes.begin(), bytes.end(), t.begin());
  return t;
}

Result<SecurityPolicy> parse_security_policy(std::string_view text) {
  if (text == "none") return SecurityPolicy::kNone;
  if (text == "auth") return SecurityPolicy::kAuthenticated;
  if (text == "enc") return SecurityPolicy::kEncrypted;
  if (text == "auth-enc") return SecurityPolicy::kAuthenticatedEncrypted;
  return Error(Errc::kInvalidArgument,
               "security policy '" + std::string(text) + "': expected none|auth|enc|auth-enc");
}

std::string_view to_string(SecurityPolicy policy) {
  switch (policy) {
    case SecurityPolicy::kNone:
      return "none";
    case SecurityPolicy::kAuthenticated:
      return "auth";
    case SecurityPolicy::kEncrypted:
      return "enc";
    case SecurityPolicy::kAuthenticatedEncrypted:
      return "auth-enc";
  }
  return "invalid";
}

Status check_security_control(std::uint8_t sc) {
  if ((sc & kScSuiteIdMask) != kSuite0) {
    return Error(Errc::kUnsupported, "security control " + sc_hex(sc) + ": only suite 0");
  }
  if ((sc & kScCompression) != 0) {
    return Error(Errc::kUnsupported, "security control " + sc_hex(sc) + ": compression");
  }
  if ((sc & kScBroadcastKey) != 0) {
    return Error(Errc::kUnsupported, "security control " + sc_hex(sc) + ": broadcast key set");
  }
  if (policy_of(sc) == SecurityPolicy::kNone) {
    return Error(Errc::kUnsupported, "security control " + sc_hex(sc) + ": no protection");
  }
  return ok_status();
}

Iv make_iv(const SystemTitle& sender_title, std::uint32_t invocation_counter) {
  Iv iv{};
  std::copy(sender_title.begin(), sender_title.end(), iv.begin());
  iv[8] = static_cast<std::uint8_t>(invocation_counter >> 24);
  iv[9] = static_cast<std::uint8_t>(invocation_counter >> 16);
  iv[10] = static_cast<std::uint8_t>(invocation_counter >> 8);
  iv[11] = static_cast<std::uint8_t>(invocation_counter);
  return iv;
}

Result<Bytes> protect(std::uint8_t security_control, const SystemTitle& sender_title,
                      std::uint32_t invocation_counter, const SecurityKeys& keys,
                      ByteView plaintext) {
  VIDYUT_CHECK(check_security_control(security_control));
  const Iv iv = make_iv(sender_title, invocation_counter);
  switch (policy_of(security_control)) {
    case SecurityPolicy::kAuthenticatedEncrypted: {
      Bytes aad = make_aad(security_control, keys.auth_key, {});
      WipeOnExit wipe{aad};
      return aes128_gcm_encrypt(keys.block_key, iv, aad, plaintext, kTagLength);
    }
    case SecurityPolicy::kAuthenticated: {
      Bytes aad = make_aad(security_control, keys.auth_key, plaintext);
      WipeOnExit wipe{aad};
      VIDYUT_TRY(tag, aes128_gcm_encrypt(keys.block_key, iv, aad, {}, kTagLength));
      Bytes out(plaintext.begin(), plaintext.end());
      out.insert(out.end(), tag->begin(), tag->end());
      return out;
    }
    case SecurityPolicy::kEncrypted: {
      // GCM without a tag is CTR mode; the tag that OpenSSL computes is dropped.
      VIDYUT_TRY(sealed, aes128_gcm_encrypt(keys.block_key, iv, {}, plaintext, kTagLength));
      sealed->resize(plaintext.size());
      return std::move(*sealed);
    }
    case SecurityPolicy::kNone:
      break;
  }
  return Error(Errc::kInternal, "unreachable security policy");
}

Result<Bytes> unprotect(std::uint8_t security_control, const SystemTitle& sender_title,
                        std::uint32_t invocation_counter, const SecurityKeys& keys,
                        ByteView payload) {
  VIDYUT_CHECK(check_security_control(security_control));
  const Iv iv = make_iv(sender_title, invocation_counter);
  switch (policy_of(security_control)) {
    case SecurityPolicy::kAuthenticatedEncrypted: {
      Bytes aad = make_aad(security_control, keys.auth_key, {});
      WipeOnExit wipe{aad};
      return aes128_gcm_decrypt(keys.block_key, iv, aad, payload, kTagLength);
    }
    case SecurityPolicy::kAuthenticated: {
      if (payload.size() < kTagLength) {
        return Error(Errc::kMalformed, "authenticated payload of " +
                                           std::to_string(payload.size()) +
                                           " bytes is shorter than its 12-byte tag");
      }
      const ByteView plaintext = payload.first(payload.size() - kTagLength);
      Bytes aad = make_aad(security_control, keys.auth_key, plaintext);
      WipeOnExit wipe{aad};
      VIDYUT_TRY(empty,
                 aes128_gcm_decrypt(keys.block_key, iv, aad, payload.last(kTagLength), kTagLength));
      return Bytes(plaintext.begin(), plaintext.end());
    }
    case SecurityPolicy::kEncrypted: {
      // CTR decryption: encrypting the ciphertext with the same key stream gives the plaintext.
      VIDYUT_TRY(clear, aes128_gcm_encrypt(keys.block_key, iv, {}, payload, kTagLength));
      clear->resize(payload.size());
      return std::move(*clear);
    }
    case SecurityPolicy::kNone:
      break;
  }
  return Error(Errc::kInternal, "unreachable security policy");
}

Result<Bytes> seal(std::uint8_t security_control, const SystemTitle& sender_title,
                   std::uint32_t invocation_counter, const SecurityKeys& keys, ByteView plaintext) {
  VIDYUT_TRY(body, protect(security_control, sender_title, invocation_counter, keys, plaintext));
  Bytes out;
  out.reserve(kSecurityHeaderLength + body->size());
  ByteWriter w(out);
  w.u8(security_control);
  w.u32(invocation_counter);
  w.bytes(*body);
  return out;
}

Result<Opened> open(const SystemTitle& sender_title, const SecurityKeys& keys, ByteView sealed) {
  if (sealed.size() < kSecurityHeaderLength) {
    return Error(Errc::kMalformed, "ciphered content of " + std::to_string(sealed.size()) +
                                       " bytes is shorter than its 5-byte security header");
  }
  ByteReader r(sealed);
  Opened o;
  o.security_control = r.u8().value();
  o.invocation_counter = r.u32().value();
  VIDYUT_TRY(clear,
             unprotect(o.security_control, sender_title, o.invocation_counter, keys, r.rest()));
  o.plaintext = std::move(*clear);
  return o;
}

Result<Bytes> make_challenge(std::size_t length) {
  VIDYUT_CHECK(check_challenge_length(length, Errc::kInvalidArgument));
  Bytes out(length);
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    const unsigned long code = ERR_get_error();
    char buf[256] = "unknown";
    if (code != 0) ERR_error_string_n(code, buf, sizeof buf);
    ERR_clear_error();
    return Error(Errc::kInternal, std::string("RAND_bytes failed: ") + buf);
  }
  return out;
}

Result<Bytes> gmac_response(const SystemTitle& title, std::uint32_t invocation_counter,
                            const SecurityKeys& keys, ByteView challenge) {
  VIDYUT_CHECK(check_challenge_length(challenge.size(), Errc::kMalformed));
  const Iv iv = make_iv(title, invocation_counter);
  Bytes aad = make_aad(kScAuthentication, keys.auth_key, challenge);
  WipeOnExit wipe{aad};
  VIDYUT_TRY(tag, aes128_gcm_encrypt(keys.block_key, iv, aad, {}, kTagLength));
  Bytes out;
  out.reserve(kGmacResponseLength);
  ByteWriter w(out);
  w.u8(kScAuthentication);
  w.u32(invocation_counter);
  w.bytes(*tag);
  return out;
}

Result<std::uint32_t> verify_gmac_response(const SystemTitle& peer_title, const SecurityKeys& keys,
                                           ByteView challenge_we_sent, ByteView response) {
  VIDYUT_CHECK(check_challenge_length(challenge_we_sent.size(), Errc::kInvalidArgument));
  if (response.size() != kGmacResponseLength) {
    return Error(Errc::kAuthFailed,
                 "HLS-GMAC response of " + std::to_string(response.size()) + " bytes, expected 17");
  }
  if (response[0] != kScAuthentication) {
    return Error(Errc::kAuthFailed,
                 "HLS-GMAC response security control " + sc_hex(response[0]) + ", expected 0x10");
  }
  ByteReader r(response.subspan(1));
  const std::uint32_t ic = r.u32().value();
  auto expected = gmac_response(peer_title, ic, keys, challenge_we_sent);
  if (!expected.ok()) return expected.error();
  if (CRYPTO_memcmp(expected->data(), response.data(), kGmacResponseLength) != 0) {
    return Error(Errc::kAuthFailed, "HLS-GMAC response does not verify (wrong key or title)");
  }
  return ic;
}

Status InvocationCounterGuard::accept(std::uint32_t counter) {
  if (last_.has_value() && counter <= *last_) {
    return Error(Errc::kReplay, "invocation counter " + std::to_string(counter) +
                                    " not above last accepted " + std::to_string(*last_));
  }
  last_ = counter;
  return ok_status();
}

Result<std::uint32_t> InvocationCounter::next() {
  if (next_ == UINT32_MAX) {
    return Error(Errc::kLimitExceeded,
                 "invocation counter exhausted (0xFFFFFFFF): the keys must be changed");
  }
  return next_++;
}

}  // namespace vidyut::dlms::security
