#include "dlms/security/gcm.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <string>

namespace vidyut::dlms::security {
namespace {

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

// Drains OpenSSL's thread-local error queue into an Error so stale entries do not leak into
// later, unrelated failures.
Error openssl_error(std::string_view what) {
  std::string msg(what);
  unsigned long code = 0;
  bool first = true;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    msg += first ? ": " : "; ";
    msg += buf;
    first = false;
  }
  return Error(Errc::kInternal, std::move(msg));
}

// OpenSSL takes int lengths.
Status check_int_length(std::size_t n, std::string_view what) {
  if (n > static_cast<std::size_t>(INT_MAX)) {
    return Error(Errc::kInvalidArgument, std::string(what) + " too long for OpenSSL");
  }
  return ok_status();
}

Status check_tag_length(std::size_t tag_length) {
  if (tag_length < kMinGcmTagLength || tag_length > kMaxGcmTagLength) {
    return Error(Errc::kInvalidArgument,
                 "GCM tag length " + std::to_string(tag_length) + " outside 12..16");
  }
  return ok_status();
}

// Starts a GCM context for key/iv and feeds the AAD.
Result<CtxPtr> start_gcm(bool encrypt, const Key128& key, const Iv& iv, ByteView aad) {
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return openssl_error("EVP_CIPHER_CTX_new");
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()),
                          nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data(), encrypt ? 1 : 0) != 1) {
    return openssl_error("AES-GCM init");
  }
  if (!aad.empty()) {
    int outl = 0;
    if (EVP_CipherUpdate(ctx.get(), nullptr, &outl, aad.data(), static_cast<int>(aad.size())) !=
        1) {
      return openssl_error("AES-GCM AAD");
    }
  }
  return ctx;
}

}  // namespace

Result<Bytes> aes128_gcm_encrypt(const Key128& key, const Iv& iv, ByteView aad, ByteView plaintext,
                                 std::size_t tag_length) {
  VIDYUT_CHECK(check_tag_length(tag_length));
  VIDYUT_CHECK(check_int_length(aad.size(), "AAD"));
  VIDYUT_CHECK(check_int_length(plaintext.size() + kMaxGcmTagLength, "plaintext"));
  VIDYUT_TRY(ctx, start_gcm(true, key, iv, aad));

  Bytes out(plaintext.size() + tag_length);
  int outl = 0;
  if (!plaintext.empty() && EVP_EncryptUpdate(ctx->get(), out.data(), &outl, plaintext.data(),
                                              static_cast<int>(plaintext.size())) != 1) {
    return openssl_error("AES-GCM encrypt");
  }
  int finl = 0;
  if (EVP_EncryptFinal_ex(ctx->get(), out.data() + outl, &finl) != 1) {
    return openssl_error("AES-GCM final");
  }
  if (static_cast<std::size_t>(outl + finl) != plaintext.size()) {
    return Error(Errc::kInternal, "AES-GCM produced an unexpected ciphertext length");
  }
  std::uint8_t tag[kMaxGcmTagLength];
  if (EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(sizeof tag), tag) !=
      1) {
    return openssl_error("AES-GCM get tag");
  }
  std::copy(tag, tag + tag_length, out.begin() + static_cast<std::ptrdiff_t>(plaintext.size()));
  return out;
}

Result<Bytes> aes128_gcm_decrypt(const Key128& key, const Iv& iv, ByteView aad,
                                 ByteView ciphertext_and_tag, std::size_t tag_length) {
  VIDYUT_CHECK(check_tag_length(tag_length));
  if (ciphertext_and_tag.size() < tag_length) {
    return Error(Errc::kMalformed,
                 "ciphered payload of " + std::to_string(ciphertext_and_tag.size()) +
                     " bytes is shorter than its " + std::to_string(tag_length) + "-byte tag");
  }
  VIDYUT_CHECK(check_int_length(aad.size(), "AAD"));
  VIDYUT_CHECK(check_int_length(ciphertext_and_tag.size(), "ciphertext"));
  const ByteView ciphertext = ciphertext_and_tag.first(ciphertext_and_tag.size() - tag_length);
  const ByteView tag = ciphertext_and_tag.last(tag_length);
  VIDYUT_TRY(ctx, start_gcm(false, key, iv, aad));

  Bytes out(ciphertext.size());
  int outl = 0;
  if (!ciphertext.empty() && EVP_DecryptUpdate(ctx->get(), out.data(), &outl, ciphertext.data(),
                                               static_cast<int>(ciphertext.size())) != 1) {
    return openssl_error("AES-GCM decrypt");
  }
  // SET_TAG copies from a non-const pointer; the bytes are not modified.
  std::uint8_t tag_copy[kMaxGcmTagLength];
  std::copy(tag.begin(), tag.end(), tag_copy);
  if (EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_length),
                          tag_copy) != 1) {
    return openssl_error("AES-GCM set tag");
  }
  int finl = 0;
  if (EVP_DecryptFinal_ex(ctx->get(), out.data() + outl, &finl) != 1) {
    ERR_clear_error();
    secure_wipe(out.data(), out.size());
    return Error(Errc::kAuthFailed,
                 "AES-GCM tag does not verify (wrong key, title, counter or "
                 "altered data)");
  }
  out.resize(static_cast<std::size_t>(outl + finl));
  return out;
}

namespace {

// RFC 3394 key data: n >= 2 64-bit blocks. The upper bound keeps us well inside int lengths.
inline constexpr std::size_t kMaxKeyDataLength = 1024;  // far beyond any DLMS key (16 bytes)

Result<Bytes> key_wrap_op(bool wrap, const Key128& kek, ByteView in) {
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return openssl_error("EVP_CIPHER_CTX_new");
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_128_wrap(), nullptr, kek.data(), nullptr,
                        wrap ? 1 : 0) != 1) {
    return openssl_error("AES key wrap init");
  }
  Bytes out(in.size() + 8);
  int outl = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &outl, in.data(), static_cast<int>(in.size())) != 1 ||
      outl < 0) {
    if (!wrap) {
      ERR_clear_error();
      secure_wipe(out.data(), out.size());
      return Error(Errc::kAuthFailed, "AES key unwrap integrity check failed");
    }
    return openssl_error("AES key wrap");
  }
  int finl = 0;
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + outl, &finl) != 1) {
    return openssl_error("AES key wrap final");
  }
  out.resize(static_cast<std::size_t>(outl + finl));
  return out;
}

}  // namespace

Result<Bytes> aes_key_wrap(const Key128& kek, ByteView key_data) {
  if (key_data.size() < 16 || key_data.size() % 8 != 0 || key_data.size() > kMaxKeyDataLength) {
    return Error(Errc::kInvalidArgument, "key data of " + std::to_string(key_data.size()) +
                                             " bytes: RFC 3394 needs a multiple of 8, at least 16");
  }
  return key_wrap_op(true, kek, key_data);
}

Result<Bytes> aes_key_unwrap(const Key128& kek, ByteView wrapped) {
  if (wrapped.size() < 24 || wrapped.size() % 8 != 0 || wrapped.size() > kMaxKeyDataLength + 8) {
    return Error(Errc::kMalformed, "wrapped key of " + std::to_string(wrapped.size()) +
                                       " bytes: RFC 3394 needs a multiple of 8, at least 24");
  }
  return key_wrap_op(false, kek, wrapped);
}

}  // namespace vidyut::dlms::security
