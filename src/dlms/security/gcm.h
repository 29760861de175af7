// AES-128-GCM and AES key wrap on top of OpenSSL 3 EVP. Suite 0 (suite0.h) is built on these;
// they are public so tests can pin them against published NIST vectors.
#pragma once

#include <cstddef>

#include "core/bytes.h"
#include "core/result.h"
#include "dlms/security/suite0.h"

namespace vidyut::dlms::security {

// SP 800-38D allows 96..128-bit tags for general use; suite 0 uses 96.
inline constexpr std::size_t kMinGcmTagLength = 12;
inline constexpr std::size_t kMaxGcmTagLength = 16;

// Returns ciphertext || tag (tag_length bytes, the leading bytes of the full GCM tag).
// kInvalidArgument when tag_length is outside [kMinGcmTagLength, kMaxGcmTagLength];
// kInternal (with the OpenSSL error text) if OpenSSL fails.
Result<Bytes> aes128_gcm_encrypt(const Key128& key, const Iv& iv, ByteView aad, ByteView plaintext,
                                 std::size_t tag_length);

// Input is ciphertext || tag. kMalformed when shorter than tag_length; kAuthFailed when the tag
// does not verify (no plaintext is returned then).
Result<Bytes> aes128_gcm_decrypt(const Key128& key, const Iv& iv, ByteView aad,
                                 ByteView ciphertext_and_tag, std::size_t tag_length);

// AES-128 key wrap (RFC 3394, default IV A6A6A6A6A6A6A6A6) as used to transfer new keys to a
// meter (IC 64 security setup, method key_transfer). key_data must be a multiple of 8 bytes and at
// least 16 (kInvalidArgument otherwise). The result is 8 bytes longer than key_data.
Result<Bytes> aes_key_wrap(const Key128& kek, ByteView key_data);
// kMalformed on a bad length; kAuthFailed when the integrity check fails (wrong KEK or altered).
Result<Bytes> aes_key_unwrap(const Key128& kek, ByteView wrapped);

}  // namespace vidyut::dlms::security
