#include "store/master_key.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

namespace vidyut::store {
namespace {

namespace fs = std::filesystem;

Result<MasterKey> parse_key_hex(std::string_view text, const std::string& where) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  auto bytes = from_hex(text);
  if (!bytes.ok() || bytes->size() != 32) {
    return Error(Errc::kInvalidArgument, "master key from " + where + " is not 64 hex digits");
  }
  MasterKey k{};
  std::memcpy(k.data(), bytes->data(), 32);
  OPENSSL_cleanse(bytes->data(), bytes->size());
  return k;
}

Result<MasterKey> read_key_file(const fs::path& path) {
  // A key others can read is no secret: refused, with the fix.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    return Error(Errc::kInvalidArgument,
                 "master key file " + path.string() + " is readable or writable by others (mode " +
                     fmt::format("{:04o}", st.st_mode & 07777) + "): chmod 600 it");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Errc::kIo, "cannot read master key file " + path.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto key = parse_key_hex(text, path.string());
  OPENSSL_cleanse(text.data(), text.size());
  return key;
}

Status fsync_path(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Error(Errc::kIo, "cannot open " + path.string() + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Error(Errc::kIo, "fsync " + path.string() + ": " + std::strerror(errno));
  return ok_status();
}

// Reads <dir>/master.key, or creates it (mode 0600, O_EXCL) from RAND_bytes.
Result<MasterKey> load_or_create_key_file(const fs::path& dir) {
  const fs::path path = dir / kMasterKeyFile;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return read_key_file(path);
    return Error(Errc::kIo, "cannot create " + path.string() + ": " + std::strerror(errno));
  }
  MasterKey k{};
  if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1) {
    ::close(fd);
    ::unlink(path.c_str());
    return Error(Errc::kInternal, "openssl: RAND_bytes failed");
  }
  std::string text = to_hex(k) + "\n";
  const auto written = ::write(fd, text.data(), text.size());
  const bool ok = written == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  OPENSSL_cleanse(text.data(), text.size());
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return Error(Errc::kIo, "cannot write " + path.string());
  }
  VIDYUT_CHECK(fsync_path(dir, O_RDONLY | O_DIRECTORY));
  return k;
}

}  // namespace

Result<MasterKey> load_master_key(const MasterKeySource& o) {
  if (o.key) return *o.key;
  if (!o.key_file.empty()) return read_key_file(o.key_file);
  if (const char* env = std::getenv(kMasterKeyEnv); env != nullptr && *env != '\0') {
    return parse_key_hex(env, std::string("environment variable ") + kMasterKeyEnv);
  }
  if (o.key_dir.empty()) {
    return Error(
        Errc::kInvalidArgument,
        std::string("no master key: give a key file (--master-key-file) or set ") + kMasterKeyEnv);
  }
  return load_or_create_key_file(o.key_dir);
}

}  // namespace vidyut::store
