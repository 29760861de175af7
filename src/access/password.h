// Operators' passwords, stored only as Argon2id hashes (libsodium's crypto_pwhash_str: a
// memory-hard function with its salt and parameters inside the stored string).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace vidyut::access {

inline constexpr std::size_t kMinPasswordLength = 12;
inline constexpr std::size_t kMaxPasswordLength = 256;

// kInvalidArgument unless the password is 12 to 256 bytes of valid UTF-8 with at least 5
// different characters (the message says which rule it broke; never the password).
Status check_password(std::string_view password);

// The Argon2id hash of a password (64 MiB, 2 passes: libsodium's interactive limits).
Result<std::string> hash_password(std::string_view password);

// True when `password` matches `hash`. False for a malformed hash.
bool verify_password(const std::string& hash, std::string_view password);

// Random bytes as lower-case hex (2 * bytes characters), from libsodium's generator.
std::string random_hex(std::size_t bytes);

// SHA-256 of text as lower-case hex: how session tokens and codes are kept at rest.
std::string sha256_hex(std::string_view text);

}  // namespace vidyut::access
