// Fuzz target for the HTTP side of the platform's APIs: hostile bytes from a payment channel or
// a browser. Requests are read with http::parse_requests (Boost.Beast's parser and the rules of
// src/http/parse.h, exactly what the server runs). The first input byte b splits the rest at
// b/256 of its length; the first piece is parsed, then the bytes from where its complete
// requests ended to the end of the input (as a server keeps its buffer): the requests and the
// final outcome must be those of the input parsed whole. Every request must respect the rules
// (no header twice, lower-case names, a decoded path without dot segments, NUL or bad UTF-8,
// the body within its limit and as long as Content-Length says); its body then goes through
// api::parse_recharge and api::parse_rupees (success exactly for ^[0-9]{1,12}(\.[0-9]{1,2})?$,
// with exactly that many paise), and the request through api::PaymentApi::handle against an
// engine with no accounts (every route then answers without writing): nothing may throw, and
// every answer is a JSON object with a known status. Traps otherwise.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/payment_api.h"
#include "billing/engine.h"
#include "billing/ledger.h"
#include "core/clock.h"
#include "core/text.h"
#include "http/parse.h"
#include "store/sqlite_store.h"
#include "tariff/tariff_file.h"

namespace {

using namespace vidyut;
using http::Request;

constexpr const char* kKey = "fuzz-key-0123456789abcdef0123456789";

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_payment_api_http: %s%s%s\n", what, detail.empty() ? "" : ": ",
               detail.c_str());
  __builtin_trap();
}

bool same(const Request& a, const Request& b) {
  return a.method == b.method && a.target == b.target && a.path == b.path && a.params == b.params &&
         a.headers == b.headers && a.body == b.body && a.keep_alive == b.keep_alive;
}

std::string lower(std::string s) {
  for (auto& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

void check_request(const Request& r) {
  if (r.body.size() > http::kMaxBody) fail("body above kMaxBody");
  if (r.headers.size() > http::kMaxHeaders) fail("more headers than kMaxHeaders");
  if (r.method.empty() || r.method.find(' ') != std::string::npos) fail("bad method", r.method);
  if (r.target.empty() || r.target.front() != '/' || r.target.find(' ') != std::string::npos) {
    fail("bad target", r.target);
  }
  if (r.path.empty() || r.path.front() != '/') fail("bad path", r.path);
  if (!check_text("path", r.path, http::kMaxHead).ok()) fail("a path with bad text", r.path);
  if (r.path.find("/../") != std::string::npos || r.path.find("/./") != std::string::npos ||
      (r.path.size() >= 3 && r.path.compare(r.path.size() - 3, 3, "/..") == 0)) {
    fail("a dot segment in the path", r.path);
  }
  for (const auto& [name, value] : r.params) {
    if (name.empty() || !check_text("q", name, http::kMaxHead).ok() ||
        !check_text("q", value, http::kMaxHead).ok()) {
      fail("a query parameter with bad text");
    }
  }
  for (const auto& [name, value] : r.headers) {
    if (name.empty() || name != lower(name) || name.find(':') != std::string::npos) {
      fail("bad header name", name);
    }
    if (name.find("\r\n") != std::string::npos || value.find("\r\n") != std::string::npos) {
      fail("a header spans lines", name);
    }
  }
  if (auto te = r.headers.find("transfer-encoding"); te != r.headers.end()) {
    if (lower(te->second) != "chunked") fail("a transfer coding other than chunked", te->second);
    if (r.headers.count("content-length") != 0) fail("Transfer-Encoding with Content-Length");
  } else if (auto cl = r.headers.find("content-length"); cl != r.headers.end()) {
    if (std::strtoull(cl->second.c_str(), nullptr, 10) != r.body.size()) {
      fail("body length differs from Content-Length", cl->second);
    }
  } else if (!r.body.empty()) {
    fail("a body without Content-Length or chunks");
  }
  if (auto c = r.headers.find("connection"); c != r.headers.end()) {
    const std::string v = lower(c->second);
    if ((v == "close" && r.keep_alive) || (v == "keep-alive" && !r.keep_alive)) {
      fail("keep_alive contradicts Connection", c->second);
    }
  }
}

// ^[0-9]{1,12}(\.[0-9]{1,2})?$ and its exact value in paise.
std::optional<billing::Paise> rupees_reference(std::string_view t) {
  const auto dot = t.find('.');
  const std::string_view whole = t.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? "" : t.substr(dot + 1);
  if (whole.empty() || whole.size() > 12) return std::nullopt;
  if (dot != std::string_view::npos && (frac.empty() || frac.size() > 2)) return std::nullopt;
  billing::Paise v = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  billing::Paise f = 0;
  for (char c : frac) {
    if (c < '0' || c > '9') return std::nullopt;
    f = f * 10 + (c - '0');
  }
  if (frac.size() == 1) f *= 10;
  return v * 100 + f;
}

void check_rupees(std::string_view text) {
  const auto want = rupees_reference(text);
  auto got = api::parse_rupees(text);
  if (got.ok() != want.has_value()) {
    fail(got.ok() ? "parse_rupees accepted a non-amount" : "parse_rupees refused an amount",
         std::string(text.substr(0, 40)));
  }
  if (got.ok() && *got != *want) fail("parse_rupees got the value wrong", std::string(text));
  if (!got.ok() && got.error().code != Errc::kInvalidArgument) fail("parse_rupees: error code");
}

void check_recharge(std::string_view body) {
  auto q = api::parse_recharge(body);
  if (!q.ok()) {
    if (q.error().code != Errc::kInvalidArgument || q.error().message.empty()) {
      fail("parse_recharge: unexpected error", q.error().describe());
    }
    return;
  }
  if (q->payment_ref.empty() || q->payment_ref.size() > billing::kMaxRefLength ||
      q->consumer_id.empty() || q->consumer_id.size() > billing::kMaxRefLength) {
    fail("parse_recharge accepted a reference or consumer id out of bounds");
  }
  if (q->channel.empty() || q->channel.size() > 32) fail("parse_recharge: channel out of bounds");
  if (q->actor != "payment-api:" + q->channel) fail("parse_recharge: actor");
  // The amount is exactly what the body says.
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail("parse_recharge accepted a body that is not JSON");
  if (auto p = j.find("amount_paise"); p != j.end()) {
    const bool exact =
        p->is_number_unsigned()
            ? p->get<std::uint64_t>() <=
                      static_cast<std::uint64_t>(std::numeric_limits<billing::Paise>::max()) &&
                  static_cast<billing::Paise>(p->get<std::uint64_t>()) == q->amount
            : p->is_number_integer() && p->get<billing::Paise>() == q->amount;
    if (!exact) fail("parse_recharge: amount differs from amount_paise", p->dump());
  } else {
    const auto a = j.find("amount");
    if (a == j.end() || !a->is_string()) fail("parse_recharge accepted a body without an amount");
    const auto want = rupees_reference(a->get<std::string>());
    if (!want || *want != q->amount) fail("parse_recharge: amount differs from the rupees text");
  }
}

// An engine over an empty registry and an empty billing.db in a scratch directory: every route
// of PaymentApi::handle answers without writing (no account, no recharge to find).
struct EmptyEngine {
  EmptyEngine() : clock(UtcTime(Millis(1'796'149'800'000))) {  // 2026-12-02 00:00 IST
    char tmpl[] = "/tmp/fuzz_payment_api_http.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) fail("mkdtemp");
    dir = tmpl;
    store::SqliteOptions so;
    so.master_key = std::array<std::uint8_t, 32>{7};
    so.synchronous_full = false;
    auto s = store::open_sqlite_store((dir / "data").string(), clock, so);
    if (!s.ok()) fail("open store", s.error().describe());
    store = std::move(*s);
    auto d = billing::BillingDb::open(dir / "data");
    if (!d.ok()) fail("open billing.db", d.error().describe());
    db = std::move(*d);
    engine = std::make_unique<billing::Engine>(*db, *store, clock, tariff::builtin_tariffs(),
                                               billing::EngineOptions{}, nullptr);
    if (auto st = engine->start(); !st.ok()) fail("engine start", st.error().describe());
    api = std::make_unique<api::PaymentApi>(*engine, kKey);
  }
  ~EmptyEngine() {
    api.reset();
    engine.reset();
    db.reset();
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::filesystem::path dir;
  ManualClock clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<billing::BillingDb> db;
  std::unique_ptr<billing::Engine> engine;
  std::unique_ptr<api::PaymentApi> api;
};

void check_handle(const Request& r) {
  static EmptyEngine e;
  http::Response res;
  try {
    res = e.api->handle(r);
  } catch (const std::exception& ex) {
    fail("PaymentApi::handle threw", ex.what());
  }
  switch (res.status) {
    case 200:  // /v1/health only: nothing else can succeed without accounts
      if (r.path != "/v1/health") fail("a 200 without any account", r.path);
      break;
    case 400:
    case 401:
    case 404:
    case 405:
    case 409:
    case 413:
      break;
    default:
      fail("unexpected status", std::to_string(res.status));
  }
  const auto j = nlohmann::json::parse(res.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail("a response body that is not a JSON object");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view all(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t cut = data[0] * (all.size() + 1) / 256;

  const auto whole = http::parse_requests(all);
  std::vector<Request> split;
  Result<http::Parsed> first = http::parse_requests(all.substr(0, cut));
  std::optional<Error> split_error;
  if (!first.ok()) {
    split_error = first.error();
  } else {
    split = first->requests;
    auto rest = http::parse_requests(all.substr(first->consumed));
    if (!rest.ok()) {
      split_error = rest.error();
    } else {
      for (auto& r : rest->requests) split.push_back(std::move(r));
    }
  }
  if (whole.ok()) {
    if (split_error) fail("the split made an error", split_error->describe());
    if (whole->requests.size() != split.size()) {
      fail("the split changed the number of requests",
           std::to_string(whole->requests.size()) + " vs " + std::to_string(split.size()));
    }
    for (std::size_t i = 0; i < split.size(); ++i) {
      if (!same(whole->requests[i], split[i])) fail("the split changed a request");
    }
    if (whole->consumed > all.size()) fail("consumed more than was given");
  } else {
    const Errc c = whole.error().code;
    if (c != Errc::kMalformed && c != Errc::kLimitExceeded && c != Errc::kUnsupported &&
        c != Errc::kInvalidArgument) {
      fail("unexpected parser error", whole.error().describe());
    }
    if (whole.error().message.empty()) fail("an error without a message");
    return 0;
  }

  for (const auto& r : whole->requests) {
    check_request(r);
    check_rupees(r.body);
    check_recharge(r.body);
    check_handle(r);
  }
  return 0;
}
