// Where the master key that seals meter secrets comes from, for every backend (docs/storage.md,
// "Master key"): given directly, a key file outside the data directory, the environment
// variable VIDYUT_MASTER_KEY, or <dir>/master.key (created at first use).
#pragma once

#include <optional>
#include <string>

#include "core/result.h"
#include "store/sealing.h"

namespace vidyut::store {

// Environment variable holding the master key as 64 hex digits.
inline constexpr const char* kMasterKeyEnv = "VIDYUT_MASTER_KEY";
// The key file's name inside a data directory.
inline constexpr const char* kMasterKeyFile = "master.key";

struct MasterKeySource {
  std::optional<MasterKey> key;  // used as given when set
  std::string key_file;          // else this file (64 hex digits, must exist, mode 0600 or tighter)
  // Else the environment variable, else <key_dir>/master.key, created (mode 0600, O_EXCL) from
  // a cryptographic random source when missing. Empty: no such fallback (kInvalidArgument).
  std::string key_dir;
};

// kInvalidArgument for a malformed key or a key file others can read or write; kIo when the key
// file cannot be read or created. The key never appears in a message.
Result<MasterKey> load_master_key(const MasterKeySource& source);

}  // namespace vidyut::store
