#include "cli/payment_server.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "billing/payment_api.h"
#include "core/bytes.h"
#include "net/tcp_server.h"

namespace vidyut::cli {

Result<std::string> load_or_create_api_key(const std::string& path) {
  std::ifstream in(path);
  if (in) {
    std::string key;
    std::getline(in, key);
    if (key.size() < 32)
      return Error(Errc::kInvalidArgument, path + ": key shorter than 32 characters");
    return key;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error(Errc::kIo, "cannot create " + path + ": " + std::strerror(errno));
  std::array<std::uint8_t, 32> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    ::close(fd);
    ::unlink(path.c_str());
    return Error(Errc::kIo, "no random bytes for the API key");
  }
  const std::string key = to_hex(raw);
  const std::string text = key + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Error(Errc::kIo, "cannot write " + path);
  return key;
}

namespace {

class Connection final : public net::StreamHandler {
 public:
  explicit Connection(billing::PaymentApi& api) : api_(api) {}
  Result<Bytes> on_bytes(ByteView data) override {
    parser_.feed(data);
    std::string out;
    while (!close_) {
      auto r = parser_.next();
      if (!r.ok()) {
        const int status = r.error().code == Errc::kLimitExceeded ? 413 : 400;
        out += billing::serialize(
            billing::HttpResponse{status, nlohmann::json{{"error", r.error().message}}.dump()},
            false);
        close_ = true;
        break;
      }
      if (!*r) break;
      const auto response = api_.handle(**r);
      close_ = !(*r)->keep_alive;
      out += billing::serialize(response, (*r)->keep_alive);
    }
    return Bytes(out.begin(), out.end());
  }
  bool wants_close() const override { return close_; }

 private:
  billing::PaymentApi& api_;
  billing::HttpRequestParser parser_;
  bool close_ = false;
};

}  // namespace

class PaymentServer::Impl {
 public:
  std::unique_ptr<billing::PaymentApi> api;
  std::unique_ptr<net::DlmsTcpServer> server;
  std::string key_file;
};

PaymentServer::PaymentServer() : impl_(std::make_unique<Impl>()) {}
PaymentServer::~PaymentServer() { stop(); }

Result<std::unique_ptr<PaymentServer>> PaymentServer::start(PaymentServerOptions o,
                                                            const std::string& data_dir,
                                                            billing::Engine& engine) {
  std::unique_ptr<PaymentServer> s(new PaymentServer());
  s->impl_->key_file = o.key_file.empty()
                           ? (std::filesystem::path(data_dir) / "payment-api.key").string()
                           : o.key_file;
  VIDYUT_TRY(key, load_or_create_api_key(s->impl_->key_file));
  s->impl_->api = std::make_unique<billing::PaymentApi>(engine, *key);
  net::TcpServerOptions so;
  so.bind_address = o.bind_address;
  so.port = o.port;
  so.limits.max_connections = o.max_connections;
  so.limits.idle_timeout = Millis(60'000);
  so.limits.max_buffered_bytes = 1u << 20;
  billing::PaymentApi* api = s->impl_->api.get();
  s->impl_->server = std::make_unique<net::DlmsTcpServer>(
      so, [api](const net::PeerInfo&) { return std::make_unique<Connection>(*api); });
  VIDYUT_CHECK(s->impl_->server->start());
  return s;
}

void PaymentServer::stop() {
  if (impl_ && impl_->server) impl_->server->stop();
}
std::uint16_t PaymentServer::port() const { return impl_->server->port(); }
const std::string& PaymentServer::key_file() const { return impl_->key_file; }

}  // namespace vidyut::cli
