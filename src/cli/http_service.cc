#include "cli/http_service.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "api/payment_api.h"
#include "api/platform_api.h"
#include "core/bytes.h"
#include "http/router.h"
#include "http/server.h"
#include "http/static_files.h"

namespace vidyut::cli {

Result<std::string> load_or_create_api_key(const std::string& path) {
  std::ifstream in(path);
  if (in) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      return Error(Errc::kInvalidArgument,
                   path + ": the key file is readable or writable by others: chmod 600 it");
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
                   path + ": the key is too weak (fewer than 8 different characters)");
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

// The pages' content security policy: scripts, styles and connections from this server only;
// no inline script, no framing, no plugin, forms post only here.
constexpr const char* kPagePolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

}  // namespace

class HttpService::Impl {
 public:
  std::unique_ptr<api::PaymentApi> api;
  http::Router router;
  std::optional<http::StaticFiles> files;
  std::unique_ptr<http::Server> server;
  std::string key_file;
};

HttpService::HttpService() : impl_(std::make_unique<Impl>()) {}
HttpService::~HttpService() { stop(); }

Result<std::unique_ptr<HttpService>> HttpService::start(HttpServiceOptions o,
                                                        const std::string& data_dir,
                                                        billing::Engine* payments,
                                                        const api::Platform& platform,
                                                        metrics::Exporter* exporter) {
  std::unique_ptr<HttpService> s(new HttpService());
  if (payments != nullptr) {
    s->impl_->key_file = o.key_file.empty()
                             ? (std::filesystem::path(data_dir) / "payment-api.key").string()
                             : o.key_file;
    VIDYUT_TRY(key, load_or_create_api_key(s->impl_->key_file));
    s->impl_->api = std::make_unique<api::PaymentApi>(*payments, *key);
    s->impl_->api->add_routes(s->impl_->router);
  }
  api::add_platform_routes(s->impl_->router, platform);
  if (exporter != nullptr) {
    // For a scraper on this machine (or behind the utility's reverse proxy on it): the figures
    // describe the utility's operations and are not published to the network.
    s->impl_->router.add("GET", "/metrics", [exporter](const http::Request& r, const http::Match&) {
      if (!http::is_loopback(r.remote_address)) {
        return http::error_response(403, "metrics are served to this machine only");
      }
      http::Response out;
      out.content_type = "text/plain; version=0.0.4; charset=utf-8";
      out.body = exporter->render();
      return out;
    });
  }
  if (!o.web_root.empty()) {
    VIDYUT_TRY(files, http::StaticFiles::open(o.web_root, kPagePolicy));
    s->impl_->files = std::move(*files);
    const http::StaticFiles* f = &*s->impl_->files;
    // The portal's page also takes what a payment gateway adds when it sends the consumer back
    // (docs/checkout.md); the page reads them, the server does not.
    s->impl_->router.add(
        "GET", "/", [f](const http::Request&, const http::Match&) { return f->serve(""); },
        http::RouteOptions{{"order", "status"}});
    s->impl_->router.add("GET", "/{path*}", [f](const http::Request&, const http::Match& m) {
      return f->serve(m.var("path"));
    });
  }
  http::ServerOptions so;
  so.bind_address = o.bind_address;
  so.port = o.port;
  so.max_connections = o.max_connections;
  so.max_connections_per_address = o.max_connections_per_address;
  so.request_deadline = o.request_deadline;
  so.tls_certificate_file = o.tls_certificate_file;
  so.tls_key_file = o.tls_key_file;
  const http::Router* router = &s->impl_->router;
  http::RequestObserver observer;
  if (exporter != nullptr) {
    observer = [exporter](const http::Request&, const http::Response& res, double seconds) {
      exporter->observe(metrics::Latency::kHttpRequest, res.route, seconds);
    };
  }
  VIDYUT_TRY(server,
             http::Server::start(
                 so, [router](const http::Request& r) { return router->dispatch(r); }, observer));
  s->impl_->server = std::move(*server);
  return s;
}

void HttpService::stop() {
  if (impl_ && impl_->server) impl_->server->stop();
}
std::uint16_t HttpService::port() const { return impl_->server->port(); }
const std::string& HttpService::key_file() const { return impl_->key_file; }
http::ServerStats HttpService::stats() const { return impl_->server->stats(); }

}  // namespace vidyut::cli
