// The HTTP side of `vidyut serve`: one server (http/server.h) carrying the payment API's routes
// (api/payment_api.h, when billing runs) and the platform API (api/platform_api.h). The payment
// API's bearer key lives in <data>/payment-api.key (created 0600 at first start, 32 random bytes
// as hex) unless a file is named. docs/http.md, docs/payment-api.md, docs/api.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/platform.h"
#include "billing/engine.h"
#include "core/clock.h"
#include "core/result.h"
#include "http/server.h"
#include "metrics/exporter.h"

namespace vidyut::cli {

struct HttpServiceOptions {
  std::string bind_address = "127.0.0.1";  // channels reach it through the utility's gateway
  std::uint16_t port = 8059;
  std::string key_file;  // empty: <data>/payment-api.key
  std::size_t max_connections = 256;
  // Connections from one address at once: a host that opens many slow connections cannot take
  // the places the payment channels need (the rest are refused at once).
  std::size_t max_connections_per_address = 32;
  // A request must arrive whole within this time of its first byte, however slowly it trickles
  // in (the idle timeout restarts with every byte; this does not).
  Millis request_deadline{10'000};
  // PEM files; with them the API speaks HTTPS and may listen off loopback (plain HTTP may not).
  std::string tls_certificate_file;
  std::string tls_key_file;
  // The built web front end (web/dist): the portal at /, the control room at /control/.
  // Empty: no pages, only the APIs.
  std::string web_root;
};

class HttpService {
 public:
  // `payments`: the engine whose payment API is served (null: none). `platform`: what the
  // platform API reads and acts through (its pointers must outlive the service).
  static Result<std::unique_ptr<HttpService>> start(HttpServiceOptions options,
                                                    const std::string& data_dir,
                                                    billing::Engine* payments,
                                                    const api::Platform& platform,
                                                    metrics::Exporter* exporter = nullptr);
  ~HttpService();
  void stop();
  std::uint16_t port() const;
  const std::string& key_file() const;
  http::ServerStats stats() const;

 private:
  HttpService();
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads (or creates with mode 0600) a key file of 64 hex digits; returns the hex text.
Result<std::string> load_or_create_api_key(const std::string& path);

}  // namespace vidyut::cli
