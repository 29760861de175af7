#include "access/password.h"

#include <sodium.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <vector>

#include "core/text.h"

namespace vidyut::access {
namespace {

void init_sodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();  // no usable random source: nothing is safe
  });
}

}  // namespace

Status check_password(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return Error(Errc::kInvalidArgument,
                 "a password needs at least " + std::to_string(kMinPasswordLength) + " characters");
  }
  if (password.size() > kMaxPasswordLength) {
    return Error(Errc::kInvalidArgument,
                 "a password may have at most " + std::to_string(kMaxPasswordLength) + " bytes");
  }
  if (!valid_utf8(password)) return Error(Errc::kInvalidArgument, "a password must be UTF-8 text");
  std::set<char> distinct(password.begin(), password.end());
  if (distinct.size() < 5) {
    return Error(Errc::kInvalidArgument, "a password needs at least 5 different characters");
  }
  return ok_status();
}

Result<std::string> hash_password(std::string_view password) {
  init_sodium();
  std::vector<char> out(crypto_pwhash_STRBYTES);
  if (crypto_pwhash_str(out.data(), password.data(), password.size(),
                        crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Error(Errc::kInternal, "out of memory hashing a password");
  }
  return std::string(out.data());
}

bool verify_password(const std::string& hash, std::string_view password) {
  init_sodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string random_hex(std::size_t bytes) {
  init_sodium();
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  hex.pop_back();
  return hex;
}

std::string sha256_hex(std::string_view text) {
  init_sodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  std::string hex(sizeof digest * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest, sizeof digest);
  hex.pop_back();
  return hex;
}

}  // namespace vidyut::access
