// The payment API: how payment channels (UPI, counters, apps, the hotspot token shops) notify
// recharges, over HTTP/1.1 with JSON bodies (docs/payment-api.md).
//
//   POST /v1/recharges   {"payment_ref", "consumer_id", "amount_paise" | "amount": "250.50",
//                         "channel", "token": false}   -> 201 credited, 200 duplicate
//   POST /v1/reversals   {"payment_ref", "reason"}     -> 200
//   GET  /v1/accounts/<consumer_id>                    -> 200 balance and state
//   GET  /v1/health                                    -> 200
// Every request but /v1/health needs "Authorization: Bearer <key>" (the key file of the data
// directory). Errors: 400 malformed, 401 no or wrong key, 404 unknown consumer or path,
// 409 a payment reference reused for another consumer or amount, 413 too large, 500 storage.
//
// Sans-I/O: HttpRequestParser takes bytes in any split and yields requests; PaymentApi turns a
// request into a response. The network side (net's server) lives in the CLI.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "billing/engine.h"
#include "core/bytes.h"
#include "core/result.h"

namespace vidyut::billing {

// Named limits against a hostile or broken client.
inline constexpr std::size_t kMaxHttpHead = 8 * 1024;   // request line + headers
inline constexpr std::size_t kMaxHttpBody = 16 * 1024;  // a recharge is ~200 bytes
inline constexpr std::size_t kMaxHttpHeaders = 64;

struct HttpRequest {
  std::string method;                          // "GET", "POST"
  std::string target;                          // "/v1/recharges"
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  bool keep_alive = true;  // HTTP/1.1 default unless "Connection: close"
};

struct HttpResponse {
  int status = 200;
  std::string body;  // JSON
};
// Status line, headers (Content-Type: application/json, Content-Length, Connection) and body.
std::string serialize(const HttpResponse& r, bool keep_alive);

class HttpRequestParser {
 public:
  void feed(ByteView data);
  // The next complete request, nullopt when more bytes are needed. kMalformed for a request that
  // is not HTTP/1.x, kLimitExceeded beyond the limits above (the connection should answer 400 /
  // 413 and close), kUnsupported for chunked bodies.
  Result<std::optional<HttpRequest>> next();
  // True while part of a request has arrived and not yet the whole of it.
  bool pending() const { return !buf_.empty(); }

 private:
  std::string buf_;
};

// Parses a recharge body into a request (whole rupees or paise; "amount" is a decimal string with
// at most two decimals, never a floating-point number). kInvalidArgument naming the field.
Result<RechargeRequest> parse_recharge(std::string_view json);
// "250" -> 25000, "250.5" -> 25050, "0.05" -> 5. kInvalidArgument for anything else (signs,
// three decimals, exponents, more than 12 digits).
Result<Paise> parse_rupees(std::string_view text);

class PaymentApi {
 public:
  // `key`: the bearer key channels must present (compared in constant time).
  PaymentApi(Engine& engine, std::string key) : engine_(engine), key_(std::move(key)) {}
  HttpResponse handle(const HttpRequest& request);

 private:
  Engine& engine_;
  std::string key_;
};

}  // namespace vidyut::billing
