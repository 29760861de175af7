#include "store/sealing.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <memory>

namespace vidyut::store {
namespace {

constexpr std::uint8_t kSealFormat = 1;
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;
constexpr const char* kKeyCheckAd = "vidyut-master-key-check";
constexpr const char* kKeyCheckPlain = "vidyut master key check v1";

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

Error crypto_error(const char* what) {
  return Error(Errc::kInternal, std::string("openssl: ") + what + " failed");
}

Bytes encode_secrets(const MeterSecrets& s) {
  Bytes b;
  b.reserve(1 + s.lls_password.size() + 32);
  b.push_back(static_cast<std::uint8_t>(s.lls_password.size()));
  b.insert(b.end(), s.lls_password.begin(), s.lls_password.end());
  b.insert(b.end(), s.ek.begin(), s.ek.end());
  b.insert(b.end(), s.ak.begin(), s.ak.end());
  return b;
}

Result<MeterSecrets> decode_secrets(ByteView b) {
  if (b.empty() || b.size() != 1u + b[0] + 32u) {
    return Error(Errc::kInternal, "decrypted secrets have an unexpected length");
  }
  MeterSecrets s;
  const std::size_t n = b[0];
  s.lls_password.assign(reinterpret_cast<const char*>(b.data() + 1), n);
  std::memcpy(s.ek.data(), b.data() + 1 + n, 16);
  std::memcpy(s.ak.data(), b.data() + 1 + n + 16, 16);
  return s;
}

}  // namespace

Result<Bytes> seal(const MasterKey& key, std::string_view ad, ByteView plain) {
  Bytes out(1 + kNonceSize + plain.size() + kTagSize);
  out[0] = kSealFormat;
  std::uint8_t* nonce = out.data() + 1;
  if (RAND_bytes(nonce, static_cast<int>(kNonceSize)) != 1) return crypto_error("RAND_bytes");
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return crypto_error("EVP_CIPHER_CTX_new");
  int len = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize),
                          nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(ad.data()),
                        static_cast<int>(ad.size())) != 1) {
    return crypto_error("AES-GCM init");
  }
  std::uint8_t* ct = nonce + kNonceSize;
  int total = 0;
  if (!plain.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), ct, &len, plain.data(), static_cast<int>(plain.size())) != 1)
      return crypto_error("AES-GCM encrypt");
    total = len;
  }
  if (EVP_EncryptFinal_ex(ctx.get(), ct + total, &len) != 1) return crypto_error("AES-GCM final");
  total += len;
  if (static_cast<std::size_t>(total) != plain.size()) return crypto_error("AES-GCM length");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize),
                          ct + total) != 1) {
    return crypto_error("AES-GCM tag");
  }
  return out;
}

Result<Bytes> unseal(const MasterKey& key, std::string_view ad, ByteView blob) {
  if (blob.size() < 1 + kNonceSize + kTagSize || blob[0] != kSealFormat) {
    return Error(Errc::kAuthFailed, "sealed value has an unknown format");
  }
  const std::uint8_t* nonce = blob.data() + 1;
  const std::size_t ct_len = blob.size() - 1 - kNonceSize - kTagSize;
  const std::uint8_t* ct = nonce + kNonceSize;
  std::array<std::uint8_t, kTagSize> tag{};
  std::memcpy(tag.data(), ct + ct_len, kTagSize);
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return crypto_error("EVP_CIPHER_CTX_new");
  int len = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize),
                          nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(ad.data()),
                        static_cast<int>(ad.size())) != 1) {
    return crypto_error("AES-GCM init");
  }
  Bytes out(ct_len + 16);
  int total = 0;
  if (ct_len > 0) {
    if (EVP_DecryptUpdate(ctx.get(), out.data(), &len, ct, static_cast<int>(ct_len)) != 1) {
      OPENSSL_cleanse(out.data(), out.size());
      return crypto_error("AES-GCM decrypt");
    }
    total = len;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize),
                          tag.data()) != 1) {
    return crypto_error("AES-GCM set tag");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + total, &len) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return Error(Errc::kAuthFailed, "authentication tag mismatch");
  }
  total += len;
  out.resize(static_cast<std::size_t>(total));
  return out;
}

Result<Bytes> seal_secrets(const MasterKey& key, const std::string& serial, const MeterSecrets& s) {
  Bytes plain = encode_secrets(s);
  auto sealed = seal(key, serial, plain);
  OPENSSL_cleanse(plain.data(), plain.size());
  return sealed;
}

Result<MeterSecrets> open_secrets(const MasterKey& key, const std::string& serial, ByteView blob) {
  auto plain = unseal(key, serial, blob);
  if (!plain.ok()) {
    if (plain.error().code != Errc::kAuthFailed) return plain.error();
    return Error(Errc::kAuthFailed, "secrets of meter " + serial +
                                        " fail authentication (tampered or moved row?); " +
                                        kCheckKeyHint);
  }
  auto s = decode_secrets(*plain);
  OPENSSL_cleanse(plain->data(), plain->size());
  return s;
}

Result<Bytes> seal_key_check(const MasterKey& key) {
  const std::string_view check(kKeyCheckPlain);
  return seal(key, kKeyCheckAd,
              ByteView(reinterpret_cast<const std::uint8_t*>(check.data()), check.size()));
}

bool key_check_matches(const MasterKey& key, ByteView sealed) {
  return unseal(key, kKeyCheckAd, sealed).ok();
}

}  // namespace vidyut::store
