// The payment gateway's side of the portal's recharges (docs/checkout.md): the gateway's signed
// notice of a payment, and the consumer's view of his own order when his browser comes back.
#include <nlohmann/json.hpp>

#include "api/guard.h"
#include "api/json_body.h"
#include "api/platform_api.h"
#include "api/resources.h"
#include "api/route_support.h"
#include "billing/engine.h"
#include "checkout/checkout.h"
#include "core/log.h"

namespace vidyut::api {
namespace {

using json = nlohmann::json;

// A notice's record in the audit trail; the gateway's answer does not wait on it.
void audit_notice(const Platform& p, const std::string& actor, const std::string& action,
                  const std::string& subject, const std::string& detail) {
  if (auto w = audit(p, actor, action, subject, detail); !w.ok()) {
    logger("api")->warn("audit of {} {} not written: {}", action, subject, w.error().describe());
  }
}

http::Response notice(const Platform& p, const http::Request& r) {
  if (p.checkout == nullptr) return http::error_response(503, "no payment gateway is configured");
  auto body =
      json_request(r, {"merchant", "order", "status", "amount_paise", "gateway_txn", "signature"});
  if (!body.ok()) return body_error(body.error());
  checkout::Notice n;
  for (auto [name, field] : {std::pair<const char*, std::string*>{"merchant", &n.merchant},
                             {"order", &n.order},
                             {"status", &n.status},
                             {"amount_paise", &n.amount_paise},
                             {"gateway_txn", &n.gateway_txn},
                             {"signature", &n.signature}}) {
    auto it = body->find(name);
    if (it == body->end() || !it->is_string()) {
      return http::error_response(400, std::string(name) + " must be a string");
    }
    *field = it->get<std::string>();
  }
  auto c = p.checkout->confirm(n);
  if (!c.ok()) {
    // A forged or wrong notice is kept in the trail with where it came from.
    audit_notice(p, "gateway@" + r.remote_address, "checkout-notice-refused", n.order.substr(0, 64),
                 c.error().message);
    return error_of(c.error());
  }
  if (!c->repeated) {
    audit_notice(p, "gateway:" + n.merchant,
                 "checkout-" + std::string(checkout::to_string(c->order.state)), c->order.ref,
                 "gateway transaction " + c->order.gateway_txn + ", " +
                     std::to_string(c->order.amount_paise) + " paise for " + c->order.consumer_id);
  }
  return http::json_response(
      200, dump(json{{"order", c->order.ref}, {"state", checkout::to_string(c->order.state)}}));
}

http::Response my_order(const Platform& p, const std::string& consumer, const std::string& ref) {
  if (p.checkout == nullptr) return http::error_response(503, "no payment gateway is configured");
  auto o = p.checkout->order(ref);
  if (!o.ok()) return error_of(o.error());
  // Another consumer's order is as unknown as one that does not exist.
  if (!*o || (*o)->consumer_id != consumer) return http::error_response(404, "no such payment");
  const checkout::Order& order = **o;
  json j{{"order", order.ref},
         {"state", checkout::to_string(order.state)},
         {"amount_paise", order.amount_paise}};
  if (order.state == checkout::OrderState::kPaid) {
    auto c = p.checkout->credit_of(order);
    if (!c.ok()) return error_of(c.error());
    j["balance_paise"] = c->balance;
    if (!c->token.empty()) {
      j["token"] = token_in_fours(c->token);
      j["token_sequence"] = c->token_sequence;
    }
  }
  return http::json_response(200, dump(j));
}

}  // namespace

void add_checkout_routes(http::Router& router, const Platform& p) {
  router.add("POST", "/api/v1/payments/checkout/notify",
             [p](const http::Request& r, const http::Match&) { return notice(p, r); });
  router.add(
      "GET", "/api/v1/portal/checkout/{order}",
      consumer_route(*p.access, false,
                     [p](const http::Request&, const http::Match& m, const access::Session& s) {
                       return my_order(p, s.subject, m.var("order"));
                     }));
}

}  // namespace vidyut::api
