#include "cli/payment_server.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "billing/payment_api.h"
#include "core/bytes.h"
#include "net/tcp_server.h"

namespace vidyut::cli {

Result<std::string> load_or_create_api_key(const std::string& path) {
  std::ifstream in(path);
  if (in) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      return Error(Errc::kInvalidArgument,
                   path + ": the payment API key is readable or writable by others: chmod 600 it");
    }
    std::string key;
    std::getline(in, key);
    if (key.size() < 32)
      return Error(Errc::kInvalidArgument, path + ": key shorter than 32 characters");
    // A key of few distinct characters ("aaaa...") is guessable, whatever its length.
    std::string distinct = key;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    if (distinct.size() < 8) {
      return Error(Errc::kInvalidArgument,
                   path + ": the payment API key is too weak (fewer than 8 different characters)");
    }
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

// Connections open per peer address, shared by the handlers of one server.
class AddressCounts {
 public:
  explicit AddressCounts(std::size_t limit) : limit_(limit) {}
  bool take(const std::string& address) {
    std::lock_guard l(mu_);
    std::size_t& n = open_[address];
    if (limit_ != 0 && n >= limit_) return false;
    ++n;
    return true;
  }
  void give_back(const std::string& address) {
    std::lock_guard l(mu_);
    auto it = open_.find(address);
    if (it != open_.end() && --it->second == 0) open_.erase(it);
  }

 private:
  std::mutex mu_;
  std::size_t limit_;
  std::map<std::string, std::size_t> open_;
};

class Connection final : public net::StreamHandler {
 public:
  Connection(billing::PaymentApi& api, AddressCounts& counts, std::string address, Millis deadline)
      : api_(api), counts_(counts), address_(std::move(address)), deadline_(deadline) {}
  Result<Bytes> on_bytes(ByteView data) override {
    if (!parser_.pending()) started_ = std::chrono::steady_clock::now();
    parser_.feed(data);
    std::string out;
    while (!close_) {
      auto r = parser_.next();
      if (!r.ok()) {
        const int status = r.error().code == Errc::kLimitExceeded ? 413 : 400;
        out += billing::serialize(
            billing::HttpResponse{status,
                                  nlohmann::json{{"error", r.error().message}}.dump(
                                      -1, ' ', false, nlohmann::json::error_handler_t::replace)},
            false);
        close_ = true;
        break;
      }
      if (!*r) break;
      const auto response = api_.handle(**r);
      close_ = !(*r)->keep_alive;
      out += billing::serialize(response, (*r)->keep_alive);
      // The next request's time starts with its first byte, which may already be here.
      started_ = std::chrono::steady_clock::now();
    }
    return Bytes(out.begin(), out.end());
  }
  bool wants_close() const override { return close_; }
  // While part of a request is here, wake at its deadline.
  std::optional<Millis> wake_after() const override {
    if (!parser_.pending() || close_) return std::nullopt;
    const auto spent =
        std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started_);
    return spent >= deadline_ ? Millis(0) : deadline_ - spent;
  }
  Result<Bytes> on_wake() override {
    if (!parser_.pending()) return Bytes{};
    const auto spent = std::chrono::steady_clock::now() - started_;
    if (spent < deadline_) return Bytes{};
    close_ = true;
    const std::string out = billing::serialize(
        billing::HttpResponse{408, R"({"error":"the request did not arrive in time"})"}, false);
    return Bytes(out.begin(), out.end());
  }
  void on_closed() override { counts_.give_back(address_); }

 private:
  billing::PaymentApi& api_;
  AddressCounts& counts_;
  std::string address_;
  Millis deadline_;
  billing::HttpRequestParser parser_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  bool close_ = false;
};

}  // namespace

class PaymentServer::Impl {
 public:
  std::unique_ptr<billing::PaymentApi> api;
  std::unique_ptr<AddressCounts> counts;
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
  s->impl_->counts = std::make_unique<AddressCounts>(o.max_connections_per_address);
  AddressCounts* counts = s->impl_->counts.get();
  const Millis deadline = o.request_deadline;
  s->impl_->server = std::make_unique<net::DlmsTcpServer>(
      so,
      [api, counts, deadline](const net::PeerInfo& peer) -> std::unique_ptr<net::StreamHandler> {
        if (!counts->take(peer.address)) return nullptr;  // refused: "handler-refused"
        return std::make_unique<Connection>(*api, *counts, peer.address, deadline);
      });
  VIDYUT_CHECK(s->impl_->server->start());
  return s;
}

void PaymentServer::stop() {
  if (impl_ && impl_->server) impl_->server->stop();
}
std::uint16_t PaymentServer::port() const { return impl_->server->port(); }
const std::string& PaymentServer::key_file() const { return impl_->key_file; }

}  // namespace vidyut::cli
