// The payment API: how payment channels (UPI, counters, apps, the hotspot token shops) notify
// recharges, over HTTP with JSON bodies (docs/payment-api.md). It turns requests into calls on
// the billing engine and their results into JSON; the rules are the engine's.
//
//   POST /v1/recharges   {"payment_ref", "consumer_id", "amount_paise" | "amount": "250.50",
//                         "channel", "token": false}   -> 201 credited, 200 duplicate
//   POST /v1/reversals   {"payment_ref", "reason"}     -> 200
//   GET  /v1/accounts/<consumer_id>                    -> 200 balance and state
//   GET  /v1/health                                    -> 200
// Every request but /v1/health needs "Authorization: Bearer <key>" (the key file of the data
// directory). Errors: 400 malformed, 401 no or wrong key, 404 unknown consumer or path,
// 405 wrong method, 409 a payment reference reused for another consumer or amount, 500 storage.
#pragma once

#include <string>
#include <string_view>

#include "billing/engine.h"
#include "core/result.h"
#include "http/message.h"
#include "http/router.h"

namespace vidyut::api {

// Parses a recharge body into a request (whole rupees or paise; "amount" is a decimal string with
// at most two decimals, never a floating-point number). kInvalidArgument naming the field.
Result<billing::RechargeRequest> parse_recharge(std::string_view json);
// "250" -> 25000, "250.5" -> 25050, "0.05" -> 5. kInvalidArgument for anything else (signs,
// three decimals, exponents, more than 12 digits).
Result<billing::Paise> parse_rupees(std::string_view text);

// True when `presented` equals `expected` (non-empty), compared in constant time in the length
// of what was presented.
bool same_secret(std::string_view presented, std::string_view expected);

class PaymentApi {
 public:
  // `key`: the bearer key channels must present.
  PaymentApi(billing::Engine& engine, std::string key);
  // Adds the routes above to a router (the server's, beside other APIs).
  void add_routes(http::Router& router);
  // The routes above alone (tests, the fuzz target).
  http::Response handle(const http::Request& request);

 private:
  bool authorised(const http::Request& r) const;
  http::Response recharge(const http::Request& r);
  http::Response reversal(const http::Request& r);
  http::Response account(const http::Request& r, const std::string& consumer_id);

  billing::Engine& engine_;
  std::string key_;
  http::Router own_;
};

}  // namespace vidyut::api
