// Meter secrets at rest, the same for every backend: AES-256-GCM under the 32-byte master key,
// a random 96-bit nonce per value, and the meter's serial as associated data (a sealed value
// moved to another meter's row fails authentication). A sealed value is
// format byte (1) || nonce (12) || ciphertext || tag (16).
//
// A database also keeps one value sealed under the master key with a fixed associated data
// (the "key check"): a store opened with another key is recognised at once, before it mixes
// two keys in one registry.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"
#include "store/store.h"

namespace vidyut::store {

using MasterKey = std::array<std::uint8_t, 32>;

// What an operator is told when secrets do not open: which key sources there are.
inline constexpr const char* kCheckKeyHint =
    "check the master key (master key option, --master-key-file, VIDYUT_MASTER_KEY or "
    "master.key) is the one this database was written with";

// Seals `plain` under `key` with associated data `ad`.
Result<Bytes> seal(const MasterKey& key, std::string_view ad, ByteView plain);
// kAuthFailed when `blob` was not sealed under this key for this associated data.
Result<Bytes> unseal(const MasterKey& key, std::string_view ad, ByteView blob);

// A meter's secrets sealed for its serial; and opened again (kAuthFailed: wrong key or a row
// moved or tampered with). The plain text never outlives the call.
Result<Bytes> seal_secrets(const MasterKey& key, const std::string& serial, const MeterSecrets& s);
Result<MeterSecrets> open_secrets(const MasterKey& key, const std::string& serial, ByteView blob);

// The key check value for a new database, and whether a stored one was sealed under `key`.
Result<Bytes> seal_key_check(const MasterKey& key);
bool key_check_matches(const MasterKey& key, ByteView sealed);

}  // namespace vidyut::store
